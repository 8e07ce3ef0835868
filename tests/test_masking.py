"""Absorbing-state masking of actions and the sampler's masked-slot counts."""

import jax
import numpy as np

from dlt_jax import diffusion

# Values are checked through jax.jit, as training and sampling call these functions
# (one compile per call rather than one per primitive keeps the file fast);
# `test_masking_functions_eager_equal_jitted` checks that eager calls give the same values.
mask_actions = jax.jit(diffusion.mask_actions, static_argnames="mask_id")
unmask_count = jax.jit(diffusion.unmask_count)

MASK_ID = 99
ACTIONS = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], np.int32)
UNIFORM = np.array([[0.1, 0.5, 0.2, 0.9], [0.3, 0.0, 0.99, 0.6]], np.float32)
RATIO = np.array([0.5, 0.3], np.float32)
ELIGIBLE = np.array([[True, True, False, True], [True, True, True, False]])
GAMMA = np.array([0.55, 1.0, 0.0, 0.8, 0.39], np.float32)
COUNTS = np.array([10, 7, 3, 0, 5], np.int32)


def test_mask_actions_masks_exactly_eligible_slots_below_ratio():
    noisy, masked = mask_actions(ACTIONS, UNIFORM, RATIO, ELIGIBLE, MASK_ID)
    # 0.5 is not < 0.5; slot (0, 2) is below the ratio but not eligible; 0.3 is not < 0.3.
    expected_masked = np.array([[True, False, False, False], [False, True, False, False]])
    np.testing.assert_array_equal(masked, expected_masked)
    np.testing.assert_array_equal(noisy, [[MASK_ID, 2, 3, 4], [5, MASK_ID, 7, 8]])
    assert noisy.dtype == np.int32 and masked.dtype == np.bool_


def test_mask_actions_ratio_one_masks_all_eligible_and_zero_masks_none():
    rng = np.random.default_rng(0)
    actions = np.asarray(rng.integers(0, 10, (2, 16)), np.int32)
    uniform = np.asarray(rng.uniform(0, 1, (2, 16)), np.float32)
    eligible = np.asarray(rng.uniform(0, 1, (2, 16)) < 0.6)
    # gamma(1) = 1 exactly (test_schedules): the last step masks every eligible slot.
    noisy, masked = map(np.asarray, mask_actions(actions, uniform, np.array([1.0, 0.0]), eligible, MASK_ID))
    np.testing.assert_array_equal(masked[0], eligible[0])
    assert not np.any(masked[1])
    np.testing.assert_array_equal(noisy, np.where(masked, MASK_ID, actions))


def test_mask_actions_does_not_depend_on_padding_slots():
    actions = np.array([[4, 5, 6, 0, 0]], np.int32)
    uniform = np.array([[0.2, 0.7, 0.4, 0.1, 0.3]])
    eligible = np.array([[True, True, True, False, False]])
    noisy_long, masked_long = map(np.asarray, mask_actions(actions, uniform, np.array([0.5]), eligible, MASK_ID))
    noisy_short, masked_short = mask_actions(actions[:, :3], uniform[:, :3], np.array([0.5]), eligible[:, :3],
                                             MASK_ID)
    np.testing.assert_array_equal(noisy_long[:, :3], noisy_short)
    np.testing.assert_array_equal(masked_long[:, :3], masked_short)
    assert not np.any(masked_long[:, 3:])


def test_unmask_count_is_floor_of_gamma_times_count():
    out = unmask_count(GAMMA, COUNTS)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [5, 7, 0, 0, 1])
    np.testing.assert_array_equal(unmask_count(0.5, np.array([4, 5])), [2, 2])


def test_masking_functions_eager_equal_jitted():
    args = (ACTIONS, UNIFORM, RATIO, ELIGIBLE)
    for got, want in zip(mask_actions(*args, MASK_ID), diffusion.mask_actions(*args, MASK_ID)):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(unmask_count(GAMMA, COUNTS), diffusion.unmask_count(GAMMA, COUNTS))
