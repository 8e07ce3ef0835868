"""Rectified flow for the box process `flow`: straight paths from data (s = 0) to noise (s = 1).

The network still predicts x0; the velocity and the Euler step are derived from it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from dlt_jax.diffusion.schedules import expand_like

# Keeps s away from 0 (velocity divides by s) and from 1.
_TIME_EPS = 1e-5


def logit_normal_time(rng: jax.Array, shape: tuple[int, ...], mean: float = 0.0, std: float = 1.0) -> jax.Array:
    """Training times s = sigmoid(mean + std * z), z ~ N(0, 1), clipped into [1e-5, 1 - 1e-5]; float32 `shape`.

    Logit-normal sampling (SD3) spends more training on the middle of the path.
    """
    z = jax.random.normal(rng, shape, dtype=jnp.float32)
    return jnp.clip(jax.nn.sigmoid(mean + std * z), _TIME_EPS, 1.0 - _TIME_EPS)


def flow_interpolate(x0: jax.Array, noise: jax.Array, s: jax.Array) -> jax.Array:
    """x_s = (1 - s) x0 + s noise; x0, noise `b ...`, s `b`."""
    s = expand_like(s, x0)
    return (1.0 - s) * x0 + s * noise


def flow_velocity(x0_pred: jax.Array, x_s: jax.Array, s: jax.Array) -> jax.Array:
    """Velocity d x_s / d s = noise - x0 implied by an x0 prediction: (x_s - x0_pred) / s; `b ...`, s `b` > 0."""
    return (x_s - x0_pred) / expand_like(s, x_s)


def flow_euler_step(x0_pred: jax.Array, x_s: jax.Array, s: jax.Array, s_next: jax.Array) -> jax.Array:
    """Euler step x_s + (s_next - s) * velocity from s to s_next (both `b`); `b ...`.

    Written as (s_next / s) x_s + (1 - s_next / s) x0_pred, the same value,
    so that s_next = 0 returns x0_pred exactly.
    """
    ratio = expand_like(s_next, x_s) / expand_like(s, x_s)
    return ratio * x_s + (1.0 - ratio) * x0_pred
