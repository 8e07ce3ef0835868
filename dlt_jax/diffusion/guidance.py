"""Classifier-free guidance: condition dropout while training, the guided mix while sampling."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def condition_dropout(uniform: jax.Array, p_image: float, p_html: float,
                      p_both: float) -> tuple[jax.Array, jax.Array]:
    """Which examples lose their conditions: (drop_image `b`, drop_html `b`) bool.

    uniform `b` in [0, 1) splits into consecutive intervals: [0, p_image) drops
    the screenshot only, the next p_html drops the html features only, the next
    p_both drops both; the rest keeps both. Needs p_image + p_html + p_both <= 1.
    """
    uniform = jnp.asarray(uniform)
    image_only = uniform < p_image
    html_only = (uniform >= p_image) & (uniform < p_image + p_html)
    both = (uniform >= p_image + p_html) & (uniform < p_image + p_html + p_both)
    return image_only | both, html_only | both


def guided(cond: jax.Array, uncond: jax.Array, scale: jax.Array | float) -> jax.Array:
    """Guided prediction uncond + scale * (cond - uncond); scale 1 is the conditional one.

    Computed as cond + (scale - 1) * (cond - uncond), the same value, so that
    scale 1 returns cond exactly; where cond == uncond (e.g. both -inf logits
    of a forbidden action) that value is returned instead of inf - inf = NaN.
    """
    mixed = cond + (scale - 1.0) * (cond - uncond)
    return jnp.where(cond == uncond, cond, mixed)
