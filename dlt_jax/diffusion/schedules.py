"""Noise schedules and the two spellings of diffusion time (DESIGN.md §4).

The gaussian schedule is DLT's/diffusers' `squaredcos_cap_v2`, computed in
float64 numpy and stored float32; `mask_ratio` is the absorbing-state masking
probability gamma(u) shared by the discrete process and its sampler.
"""

from __future__ import annotations

import math

import flax.struct
import jax
import jax.numpy as jnp
import numpy as np

# Offset of the improved-DDPM cosine schedule: keeps beta_0 away from 0.
_COSINE_OFFSET = 0.008

BOX_PROCESSES = ("ddpm", "flow")  # the box processes a run may train (diffusion.box_process)


def _cosine_alpha_bar(x: np.ndarray) -> np.ndarray:
    return np.cos((x + _COSINE_OFFSET) / (1.0 + _COSINE_OFFSET) * math.pi / 2) ** 2


def cosine_betas(steps: int, max_beta: float = 0.999) -> np.ndarray:
    """Betas `T` (float64) of the cosine schedule, capped at `max_beta`.

    beta_i = min(1 - alpha_bar((i + 1) / T) / alpha_bar(i / T), max_beta) with
    alpha_bar(x) = cos(((x + 0.008) / 1.008) * pi / 2) ** 2; the cap keeps the
    last step from being a pure-noise step with alpha = 0.
    """
    if steps < 1:
        raise ValueError(f"cosine_betas: steps must be >= 1, got {steps}")
    grid = np.arange(steps, dtype=np.float64)
    betas = 1.0 - _cosine_alpha_bar((grid + 1) / steps) / _cosine_alpha_bar(grid / steps)
    return np.minimum(betas, max_beta)


@flax.struct.dataclass
class GaussianSchedule:
    """Per-step constants of a DDPM, each float32 `T`; a pytree, so it can enter `jax.jit`.

    `alphas_cumprod_prev[t]` is alpha_bar_{t-1} (1 at t = 0); the posterior
    fields describe q(x_{t-1} | x_t, x0). `posterior_log_variance_clipped`
    replaces the zero variance at t = 0 by the one at t = 1 so its log is finite.
    """

    betas: jax.Array
    alphas_cumprod: jax.Array
    alphas_cumprod_prev: jax.Array
    posterior_variance: jax.Array
    posterior_log_variance_clipped: jax.Array
    posterior_mean_coef1: jax.Array
    posterior_mean_coef2: jax.Array

    @property
    def steps(self) -> int:
        """T, the number of diffusion steps (static: read from the array shape)."""
        return self.betas.shape[0]


def make_gaussian_schedule(steps: int) -> GaussianSchedule:
    """The cosine-beta DDPM schedule of `steps` steps (float64 maths, float32 storage)."""
    betas = cosine_betas(steps)
    alphas = 1.0 - betas
    alphas_cumprod = np.cumprod(alphas)
    alphas_cumprod_prev = np.concatenate([[1.0], alphas_cumprod[:-1]])
    posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
    # With T = 1 there is no step 1 to borrow from; fall back to beta_0.
    first_nonzero = posterior_variance[1] if steps > 1 else betas[0]
    posterior_log_variance_clipped = np.log(np.concatenate([[first_nonzero], posterior_variance[1:]]))
    posterior_mean_coef1 = betas * np.sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod)
    posterior_mean_coef2 = (1.0 - alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - alphas_cumprod)

    def as_f32(values: np.ndarray) -> jax.Array:
        return jnp.asarray(values, dtype=jnp.float32)

    return GaussianSchedule(
        betas=as_f32(betas),
        alphas_cumprod=as_f32(alphas_cumprod),
        alphas_cumprod_prev=as_f32(alphas_cumprod_prev),
        posterior_variance=as_f32(posterior_variance),
        posterior_log_variance_clipped=as_f32(posterior_log_variance_clipped),
        posterior_mean_coef1=as_f32(posterior_mean_coef1),
        posterior_mean_coef2=as_f32(posterior_mean_coef2),
    )


def time_fraction(t: jax.Array | int, steps: int) -> jax.Array:
    """Continuous time u = (t + 1) / T (float32) of the discrete step t in {0..T-1}; u in (0, 1]."""
    return (jnp.asarray(t, dtype=jnp.float32) + 1.0) / steps


def mask_ratio(u: jax.Array | float) -> jax.Array:
    """Masking probability gamma(u) = sin(pi/2 * u) of the absorbing-state process.

    Increasing, gamma(0) = 0 and gamma(1) = 1, so the last step masks every
    eligible slot and sampling may start from all-MASK. It is MaskGIT's
    cos(pi/2 * r) with r = 1 - u.
    """
    gamma = jnp.sin(jnp.float32(math.pi / 2) * jnp.asarray(u, dtype=jnp.float32))
    return jnp.clip(gamma, 0.0, 1.0)


def expand_like(values: jax.Array, x: jax.Array) -> jax.Array:
    """Per-example `values` `b` reshaped to `b 1 ... 1` so they broadcast over the trailing axes of `x`."""
    values = jnp.asarray(values)
    return values.reshape(values.shape + (1,) * (x.ndim - values.ndim))
