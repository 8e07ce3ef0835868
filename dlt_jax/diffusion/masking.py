"""The discrete (action) process: absorbing-state masking with probability gamma (DESIGN.md §4).

Randomness comes in as per-slot uniforms, so a slot's fate does not depend on
how many padding slots its batch has.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def mask_actions(actions: jax.Array, uniform: jax.Array, ratio: jax.Array, eligible: jax.Array,
                 mask_id: int) -> tuple[jax.Array, jax.Array]:
    """Replace eligible actions by `mask_id` with probability `ratio`.

    actions `b n` int, uniform `b n` in [0, 1), ratio `b` (gamma per example),
    eligible `b n` bool (gen_action & slot_valid). Returns (noisy_actions `b n`
    same dtype as actions, masked `b n` bool) with
    masked = eligible & (uniform < ratio); ratio 1 masks every eligible slot.
    """
    masked = jnp.logical_and(eligible, uniform < jnp.asarray(ratio)[:, None])
    noisy = jnp.where(masked, jnp.asarray(mask_id, dtype=actions.dtype), actions)
    return noisy, masked


def unmask_count(gamma_next: jax.Array, maskable_count: jax.Array) -> jax.Array:
    """Slots that stay masked after a decoding step: floor(gamma_next * maskable_count), int32.

    gamma_next and maskable_count broadcast (e.g. `b` each); gamma_next = 0
    (the last step) leaves nothing masked.
    """
    return jnp.floor(jnp.asarray(gamma_next, jnp.float32) * jnp.asarray(maskable_count, jnp.float32)).astype(
        jnp.int32)
