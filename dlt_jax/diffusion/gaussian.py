"""The continuous (box) process: x0-predicting DDPM and DDIM updates (DESIGN.md §4).

`t` is an int array `b` of steps in {0..T-1}; it broadcasts over the trailing
axes of x (boxes `b n 4`). All functions are pure and jit-able.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from dlt_jax.diffusion.schedules import GaussianSchedule, expand_like


def _at(values: jax.Array, t: jax.Array, x: jax.Array) -> jax.Array:
    """values[t] for t `b`, shaped to broadcast against x `b ...`."""
    return expand_like(values[jnp.asarray(t)], x)


def _alpha_bar_or_one(schedule: GaussianSchedule, t: jax.Array, x: jax.Array) -> jax.Array:
    """alpha_bar_t, with 1 (clean data) where t == -1."""
    t = jnp.asarray(t)
    alpha_bar = jnp.where(t >= 0, schedule.alphas_cumprod[jnp.maximum(t, 0)], 1.0)
    return expand_like(alpha_bar, x)


def q_sample(schedule: GaussianSchedule, x0: jax.Array, t: jax.Array, noise: jax.Array) -> jax.Array:
    """x_t ~ q(x_t | x0): sqrt(abar_t) x0 + sqrt(1 - abar_t) noise; x0, noise `b ...`, t `b`."""
    alpha_bar = _at(schedule.alphas_cumprod, t, x0)
    return jnp.sqrt(alpha_bar) * x0 + jnp.sqrt(1.0 - alpha_bar) * noise


def posterior(schedule: GaussianSchedule, x0: jax.Array, x_t: jax.Array,
              t: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Mean `b ...`, variance and clipped log-variance (`b 1 ...`) of q(x_{t-1} | x_t, x0).

    At t = 0 the variance is 0 and the mean is x0; the log-variance there is
    the clipped one (that of t = 1), never used because `ddpm_step` adds no noise.
    """
    mean = _at(schedule.posterior_mean_coef1, t, x_t) * x0 + _at(schedule.posterior_mean_coef2, t, x_t) * x_t
    variance = _at(schedule.posterior_variance, t, x_t)
    log_variance = _at(schedule.posterior_log_variance_clipped, t, x_t)
    return mean, variance, log_variance


def ddpm_step(schedule: GaussianSchedule, x0_pred: jax.Array, x_t: jax.Array, t: jax.Array,
              noise: jax.Array) -> jax.Array:
    """One ancestral step x_t -> x_{t-1} from an x0 prediction; `b ...`.

    Samples the posterior with the given standard-normal `noise`; at t == 0
    returns exactly the posterior mean (the final sample carries no noise).
    """
    mean, _, log_variance = posterior(schedule, x0_pred, x_t, t)
    noisy = mean + jnp.exp(0.5 * log_variance) * noise
    return jnp.where(expand_like(jnp.asarray(t) > 0, x_t), noisy, mean)


def predicted_noise(schedule: GaussianSchedule, x0_pred: jax.Array, x_t: jax.Array, t: jax.Array) -> jax.Array:
    """The noise eps implied by x0_pred and x_t: (x_t - sqrt(abar_t) x0_pred) / sqrt(1 - abar_t); `b ...`."""
    alpha_bar = _at(schedule.alphas_cumprod, t, x_t)
    return (x_t - jnp.sqrt(alpha_bar) * x0_pred) / jnp.sqrt(1.0 - alpha_bar)


def ddim_step(schedule: GaussianSchedule, x0_pred: jax.Array, x_t: jax.Array, t: jax.Array,
              t_prev: jax.Array, eta: float = 0.0, noise: jax.Array | None = None) -> jax.Array:
    """DDIM update from step t to an earlier step t_prev (both `b`); `b ...`.

    t_prev = -1 means clean data (alpha_bar = 1) and returns x0_pred. With
    eta = 0 the update is deterministic: it keeps the noise implied by
    (x0_pred, x_t), so a true x0 retraces q_sample's trajectory. eta > 0 adds
    sigma = eta * sqrt((1 - abar_prev) / (1 - abar_t) * (1 - abar_t / abar_prev))
    times `noise`, which is then required (eta = 1 is DDPM-like).
    """
    if noise is None and not (isinstance(eta, (int, float)) and eta == 0):
        raise ValueError(f"ddim_step: eta={eta!r} adds noise, so pass a standard-normal `noise` like x_t")
    alpha_bar = _at(schedule.alphas_cumprod, t, x_t)
    alpha_bar_prev = _alpha_bar_or_one(schedule, t_prev, x_t)
    eps = predicted_noise(schedule, x0_pred, x_t, t)
    sigma = eta * jnp.sqrt((1.0 - alpha_bar_prev) / (1.0 - alpha_bar) * (1.0 - alpha_bar / alpha_bar_prev))
    direction = jnp.sqrt(jnp.maximum(1.0 - alpha_bar_prev - sigma ** 2, 0.0))
    x_prev = jnp.sqrt(alpha_bar_prev) * x0_pred + direction * eps
    if noise is not None:
        x_prev = x_prev + sigma * noise
    return x_prev
