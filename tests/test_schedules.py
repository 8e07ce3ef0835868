"""Cosine betas, the gaussian schedule's constants, time fractions and the masking ratio."""

import math

import jax
import numpy as np

from dlt_jax.diffusion import (GaussianSchedule, cosine_betas, expand_like, make_gaussian_schedule, mask_ratio,
                               time_fraction)


def _alpha_bar(x):
    return np.cos((x + 0.008) / 1.008 * np.pi / 2) ** 2


def test_cosine_betas_are_alpha_bar_ratios_and_capped():
    steps = 100
    betas = cosine_betas(steps)
    assert betas.dtype == np.float64 and betas.shape == (steps,)
    expected = [min(1 - _alpha_bar((i + 1) / steps) / _alpha_bar(i / steps), 0.999) for i in range(steps)]
    np.testing.assert_allclose(betas, expected, rtol=1e-12)
    assert betas[-1] == 0.999  # alpha_bar(1) ~ 0: the last ratio is ~1 and gets capped
    assert np.all(betas[:-1] < 0.999) and np.all(np.diff(betas) > 0)
    assert cosine_betas(10, max_beta=0.5).max() == 0.5


def test_alphas_cumprod_is_product_of_one_minus_betas_and_alpha_bar_ratio():
    steps = 50
    schedule = make_gaussian_schedule(steps)
    assert isinstance(schedule, GaussianSchedule) and schedule.steps == steps
    betas = cosine_betas(steps)
    cumprod = np.array([np.prod(1 - betas[: i + 1]) for i in range(steps)])
    np.testing.assert_allclose(schedule.alphas_cumprod, cumprod, rtol=1e-6)
    # Before the cap acts, the telescoping product is alpha_bar((i+1)/T) / alpha_bar(0).
    grid = np.arange(1, steps) / steps
    np.testing.assert_allclose(np.asarray(schedule.alphas_cumprod)[:-1], _alpha_bar(grid) / _alpha_bar(0.0),
                               rtol=1e-5)
    np.testing.assert_allclose(schedule.alphas_cumprod_prev, np.concatenate([[1.0], cumprod[:-1]]), rtol=1e-6)


def test_schedule_fields_are_float32_and_posterior_variance_starts_at_zero():
    schedule = make_gaussian_schedule(20)
    leaves = jax.tree_util.tree_leaves(schedule)
    assert len(leaves) == 7
    for leaf in leaves:
        assert leaf.dtype == np.float32 and leaf.shape == (20,)
    variance = np.asarray(schedule.posterior_variance)
    log_variance = np.asarray(schedule.posterior_log_variance_clipped)
    assert variance[0] == 0.0
    np.testing.assert_allclose(log_variance[0], np.log(variance[1]), rtol=1e-6)
    np.testing.assert_allclose(log_variance[1:], np.log(variance[1:]),
                               rtol=1e-6, atol=1e-7)


def test_time_fraction_maps_steps_onto_zero_one():
    u = time_fraction(np.array([0, 4, 9]), 10)
    assert u.dtype == np.float32
    np.testing.assert_allclose(u, [0.1, 0.5, 1.0])
    assert float(time_fraction(9, 10)) == 1.0


def test_mask_ratio_endpoints_monotone_and_maskgit_cosine():
    assert float(mask_ratio(0.0)) == 0.0
    assert float(mask_ratio(1.0)) == 1.0
    assert float(mask_ratio(time_fraction(99, 100))) == 1.0
    u = np.linspace(0, 1, 101)
    gamma = np.asarray(mask_ratio(u))
    assert np.all(np.diff(gamma) > 0)
    np.testing.assert_allclose(gamma, np.cos(np.pi / 2 * (1 - u)), atol=1e-6)
    np.testing.assert_allclose(mask_ratio(0.5), math.sqrt(0.5), rtol=1e-6)


def test_expand_like_broadcasts_per_example_values():
    x = np.zeros((2, 3, 4))
    values = np.array([1.0, 2.0])
    assert expand_like(values, x).shape == (2, 1, 1)
    np.testing.assert_array_equal(np.asarray(expand_like(values, x))[:, :, 0], [[1], [2]])


def test_schedule_functions_eager_equal_jitted():
    schedule = make_gaussian_schedule(10)
    steps = np.arange(10)
    np.testing.assert_array_equal(jax.jit(time_fraction, static_argnums=1)(steps, 10), time_fraction(steps, 10))
    u = np.linspace(0, 1, 7)
    np.testing.assert_array_equal(jax.jit(mask_ratio)(u), mask_ratio(u))
    # The schedule is a pytree: it enters jit as an argument and `steps` stays static.
    assert jax.jit(lambda s: s.betas * s.steps)(schedule).shape == (10,)
