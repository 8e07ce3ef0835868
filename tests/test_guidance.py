"""Classifier-free guidance: condition dropout intervals and the guided mix."""

import jax
import numpy as np

from dlt_jax import diffusion

# Values are checked through jax.jit, as training and sampling call these functions
# (one compile per call rather than one per primitive keeps the file fast);
# `test_guidance_functions_eager_equal_jitted` checks that eager calls give the same values.
condition_dropout = jax.jit(diffusion.condition_dropout)
guided = jax.jit(diffusion.guided)


def test_condition_dropout_intervals_on_hand_picked_uniforms():
    uniform = np.array([0.0, 0.09, 0.1, 0.24, 0.25, 0.44, 0.45, 0.99])
    drop_image, drop_html = condition_dropout(uniform, p_image=0.1, p_html=0.15, p_both=0.2)
    np.testing.assert_array_equal(drop_image, [True, True, False, False, True, True, False, False])
    np.testing.assert_array_equal(drop_html, [False, False, True, True, True, True, False, False])
    assert drop_image.dtype == np.bool_ and drop_html.dtype == np.bool_


def test_condition_dropout_shares_on_fine_grid_equal_probabilities():
    n = 10000
    uniform = (np.arange(n) + 0.5) / n  # midpoints: no grid point sits on an interval boundary
    drop_image, drop_html = map(np.asarray, condition_dropout(np.asarray(uniform, np.float32), 0.1, 0.05, 0.2))
    assert np.mean(drop_image & ~drop_html) == 0.1
    assert np.mean(drop_html & ~drop_image) == 0.05
    assert np.mean(drop_image & drop_html) == 0.2
    assert np.mean(~drop_image & ~drop_html) == 0.65


def test_condition_dropout_with_zero_probabilities_keeps_everything():
    drop_image, drop_html = condition_dropout((np.arange(10000) + 0.5) / 10000, 0.0, 0.0, 0.0)
    assert not np.any(drop_image) and not np.any(drop_html)


def test_guided_extrapolates_from_uncond_through_cond():
    cond, uncond = np.array([1.0, -2.0, 0.5]), np.array([0.0, 1.0, 0.5])
    np.testing.assert_array_equal(guided(cond, uncond, 1.0), cond)
    np.testing.assert_array_equal(guided(cond, uncond, 0.0), uncond)
    np.testing.assert_allclose(guided(cond, uncond, 3.0), [3.0, -8.0, 0.5])


def test_guided_keeps_identical_infinite_logits():
    cond = np.array([-np.inf, 2.0, 0.0])
    uncond = np.array([-np.inf, 1.0, 0.0])
    np.testing.assert_array_equal(guided(cond, uncond, 2.0), [-np.inf, 3.0, 0.0])


def test_guidance_functions_eager_equal_jitted():
    uniform = np.array([0.0, 0.09, 0.1, 0.24, 0.25, 0.44, 0.45, 0.99])
    jitted, eager = condition_dropout(uniform, 0.2, 0.1, 0.3), diffusion.condition_dropout(uniform, 0.2, 0.1, 0.3)
    for got, want in zip(jitted, eager):
        np.testing.assert_array_equal(got, want)
    cond, uncond = np.array([1.0, 2.0, -3.0]), np.array([0.5, -1.0, -3.0])
    np.testing.assert_allclose(guided(cond, uncond, 2.5), diffusion.guided(cond, uncond, 2.5), rtol=1e-6)
