"""Rectified-flow time sampling, interpolation, velocity and Euler steps."""

import jax
import numpy as np

from dlt_jax import diffusion

# Values are checked through jax.jit, as training and sampling call these functions
# (one compile per call rather than one per primitive keeps the file fast);
# `test_flow_euler_step_eager_equals_jitted` checks that eager calls give the same values.
flow_euler_step = jax.jit(diffusion.flow_euler_step)
flow_interpolate = jax.jit(diffusion.flow_interpolate)
flow_velocity = jax.jit(diffusion.flow_velocity)
logit_normal_time = jax.jit(diffusion.logit_normal_time, static_argnames="shape")


def _times(seed, mean=0.0, std=1.0):
    # mean and std always passed, so every draw shares one compiled signature.
    return np.asarray(logit_normal_time(jax.random.key(seed), (20000,), mean=mean, std=std))


def _boxes(seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (3, 2, 4)).astype(np.float32), rng.standard_normal((3, 2, 4)).astype(np.float32)


def test_logit_normal_time_centred_on_half_in_open_interval_and_reproducible():
    s = _times(0)
    assert s.dtype == np.float32 and s.shape == (20000,)
    assert abs(s.mean() - 0.5) < 0.01 and abs(np.median(s) - 0.5) < 0.01
    assert s.min() >= 1e-5 and s.max() <= 1 - 1e-5
    np.testing.assert_array_equal(_times(0), s)
    assert not np.array_equal(_times(1), s)


def test_logit_normal_time_shifts_and_scales_in_logit_space_and_clips():
    # Same key, same normal draw z: logit(s) = mean + std * z, with z = logit of the standard draw.
    standard = _times(3).astype(np.float64)
    z = np.log(standard / (1 - standard))
    expected = np.clip(1 / (1 + np.exp(-(0.7 + 2 * z))), 1e-5, 1 - 1e-5)
    np.testing.assert_allclose(_times(3, mean=0.7, std=2.0), expected, rtol=1e-4)
    extreme = _times(3, std=100.0)
    assert extreme.min() == np.float32(1e-5) and extreme.max() == np.float32(1 - 1e-5)


def test_flow_interpolate_endpoints_and_midpoint():
    x0, noise = _boxes(0)
    s = np.array([0.0, 1.0, 0.25])
    out = np.asarray(flow_interpolate(x0, noise, s))
    np.testing.assert_array_equal(out[0], x0[0])
    np.testing.assert_array_equal(out[1], noise[1])
    np.testing.assert_allclose(out[2], 0.75 * x0[2] + 0.25 * noise[2], rtol=1e-6)


def test_flow_velocity_of_true_x0_is_noise_minus_x0():
    x0, noise = _boxes(1)
    s = np.array([0.1, 0.5, 0.9])
    x_s = flow_interpolate(x0, noise, s)
    np.testing.assert_allclose(flow_velocity(x0, x_s, s), noise - x0, rtol=1e-4, atol=1e-5)


def test_flow_euler_step_with_true_x0_stays_on_straight_line():
    x0, noise = _boxes(2)
    s, s_next = np.array([0.9, 0.5, 0.3]), np.array([0.6, 0.2, 0.1])
    x_s = flow_interpolate(x0, noise, s)
    np.testing.assert_allclose(flow_euler_step(x0, x_s, s, s_next), flow_interpolate(x0, noise, s_next),
                               rtol=1e-5, atol=1e-6)


def test_flow_euler_step_to_zero_returns_x0_pred():
    x0_pred, x_s = _boxes(3)
    s = np.array([0.9, 0.5, 1e-5])
    np.testing.assert_array_equal(flow_euler_step(x0_pred, x_s, s, np.zeros(3)), x0_pred)


def test_flow_euler_step_is_x_plus_dt_times_velocity():
    x0_pred, x_s = _boxes(4)
    s, s_next = np.array([0.8, 0.4, 0.7], np.float32), np.array([0.7, 0.35, 0.2], np.float32)
    velocity = (x_s - x0_pred) / s[:, None, None]
    expected = x_s + (s_next - s)[:, None, None] * velocity
    np.testing.assert_allclose(flow_euler_step(x0_pred, x_s, s, s_next), expected, rtol=1e-5, atol=1e-6)


def test_flow_euler_step_eager_equals_jitted():
    x0, noise = _boxes(5)
    s, s_next = np.array([0.9, 0.5, 0.3]), np.array([0.6, 0.0, 0.1])
    x_s = flow_interpolate(x0, noise, s)
    np.testing.assert_allclose(flow_euler_step(x0, x_s, s, s_next), diffusion.flow_euler_step(x0, x_s, s, s_next),
                               rtol=1e-6, atol=1e-6)
