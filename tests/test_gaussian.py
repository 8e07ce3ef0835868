"""q_sample, the posterior, DDPM and DDIM steps against closed forms of the cosine schedule."""

import jax
import numpy as np
import pytest

from dlt_jax import diffusion
from dlt_jax.diffusion import cosine_betas, make_gaussian_schedule

# Values are checked through jax.jit, as training and sampling call these functions
# (one compile per call rather than one per primitive keeps the file fast);
# `test_ddpm_and_ddim_steps_eager_equal_jitted` checks that eager calls give the same values.
q_sample = jax.jit(diffusion.q_sample)
posterior = jax.jit(diffusion.posterior)
ddpm_step = jax.jit(diffusion.ddpm_step)
predicted_noise = jax.jit(diffusion.predicted_noise)
ddim_step = jax.jit(diffusion.ddim_step, static_argnames="eta")

STEPS = 100


@pytest.fixture(scope="module")
def schedule():
    return make_gaussian_schedule(STEPS)


def _numpy_schedule():
    """alpha_t and alpha_bar_t in float64, independent of the module's coefficient formulas."""
    alphas = 1.0 - cosine_betas(STEPS)
    return alphas, np.cumprod(alphas)


def _boxes(seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (4, 3, 4)).astype(np.float32), rng.standard_normal((4, 3, 4)).astype(np.float32)


def test_q_sample_matches_formula_per_example(schedule):
    x0, noise = _boxes(0)
    t = np.array([0, 10, 50, 99])
    _, alpha_bar = _numpy_schedule()
    expected = (np.sqrt(alpha_bar[t])[:, None, None] * x0 + np.sqrt(1 - alpha_bar[t])[:, None, None] * noise)
    np.testing.assert_allclose(q_sample(schedule, x0, np.asarray(t), noise), expected, rtol=1e-5, atol=1e-6)


def test_posterior_is_product_of_gaussians(schedule):
    # q(x_{t-1} | x0) = N(sqrt(abar_{t-1}) x0, 1 - abar_{t-1}) times the likelihood
    # q(x_t | x_{t-1}) = N(sqrt(alpha_t) x_{t-1}, beta_t): precisions add, means weight by precision.
    x0, x_t = _boxes(1)
    t = np.array([1, 10, 50, 99])
    alphas, alpha_bar = _numpy_schedule()
    prior_var = 1 - alpha_bar[t - 1]
    like_precision = alphas[t] / (1 - alphas[t])
    variance = 1 / (1 / prior_var + like_precision)
    mean = variance[:, None, None] * (np.sqrt(alpha_bar[t - 1])[:, None, None] * x0 / prior_var[:, None, None]
                                      + np.sqrt(alphas[t])[:, None, None] * x_t / (1 - alphas[t])[:, None, None])
    got_mean, got_var, got_log_var = posterior(schedule, x0, x_t, np.asarray(t))
    np.testing.assert_allclose(got_mean, mean, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(got_var).reshape(-1), variance, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(got_log_var).reshape(-1), np.log(variance), rtol=1e-5, atol=1e-5)


def test_posterior_at_step_zero_is_x0_with_zero_variance(schedule):
    x0, x_t = _boxes(2)
    mean, variance, _ = posterior(schedule, x0, x_t, np.zeros(4, np.int32))
    np.testing.assert_allclose(mean, x0, rtol=1e-6, atol=1e-6)
    assert np.all(np.asarray(variance) == 0.0)


def test_ddpm_step_adds_posterior_noise_and_none_at_step_zero(schedule):
    x0, x_t = _boxes(3)
    _, noise = _boxes(4)
    t = np.array([0, 5, 0, 99])
    mean, variance, _ = map(np.asarray, posterior(schedule, x0, x_t, t))
    out = np.asarray(ddpm_step(schedule, x0, x_t, t, noise))
    np.testing.assert_array_equal(out[[0, 2]], mean[[0, 2]])
    np.testing.assert_allclose(out[[1, 3]], (mean + np.sqrt(variance) * noise)[[1, 3]], rtol=1e-5, atol=1e-5)


def test_predicted_noise_inverts_q_sample(schedule):
    x0, noise = _boxes(5)
    t = np.array([0, 20, 60, 98])
    x_t = q_sample(schedule, x0, t, noise)
    np.testing.assert_allclose(predicted_noise(schedule, x0, x_t, t), noise, rtol=1e-3, atol=1e-3)


def test_ddim_with_true_x0_retraces_q_sample_trajectory(schedule):
    x0, noise = _boxes(6)
    t = np.array([99, 50, 30, 10])
    t_prev = np.array([80, 40, 29, 0])
    x_t = q_sample(schedule, x0, t, noise)
    np.testing.assert_allclose(ddim_step(schedule, x0, x_t, t, t_prev), q_sample(schedule, x0, t_prev, noise),
                               rtol=1e-4, atol=1e-4)


def test_ddim_to_minus_one_returns_x0_pred(schedule):
    x0, x_t = _boxes(7)
    t = np.array([3, 50, 99, 0])
    out = ddim_step(schedule, x0, x_t, t, np.full(4, -1))
    np.testing.assert_array_equal(out, x0)


def test_ddim_eta_adds_sigma_noise(schedule):
    x0, x_t = _boxes(8)
    _, noise = _boxes(9)
    t, t_prev = np.array([60, 60, 60, 60]), np.array([40, 40, 40, 40])
    _, alpha_bar = _numpy_schedule()
    a, a_prev = alpha_bar[60], alpha_bar[40]
    eta = 0.5
    sigma = eta * np.sqrt((1 - a_prev) / (1 - a) * (1 - a / a_prev))
    eps = (x_t - np.sqrt(a) * x0) / np.sqrt(1 - a)
    expected = np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev - sigma ** 2) * eps + sigma * noise
    out = ddim_step(schedule, x0, x_t, t, t_prev, eta=eta, noise=noise)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="noise"):
        ddim_step(schedule, x0, x_t, t, t_prev, eta=eta)


def test_ddpm_and_ddim_steps_eager_equal_jitted(schedule):
    # The steps call posterior, predicted_noise and q_sample's gathers: one check covers the module.
    x0, noise = _boxes(10)
    t, t_prev = np.array([0, 5, 50, 99]), np.array([-1, 2, 40, 70])
    x_t = q_sample(schedule, x0, t, noise)
    # XLA fusion may reorder float32 operations: equal up to rounding.
    np.testing.assert_allclose(ddpm_step(schedule, x0, x_t, t, noise),
                               diffusion.ddpm_step(schedule, x0, x_t, t, noise), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ddim_step(schedule, x0, x_t, t, t_prev, eta=0.5, noise=noise),
                               diffusion.ddim_step(schedule, x0, x_t, t, t_prev, eta=0.5, noise=noise),
                               rtol=1e-4, atol=1e-5)
