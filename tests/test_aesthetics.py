"""Aesthetic guidance: the losses equal the evaluation's alignment and overlap on hand boxes, a
guidance step lowers them, only movable valid coordinates move, gradients stay finite."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dlt_jax.diffusion.aesthetics import alignment_loss, guide_boxes, leaf_slots, overlap_loss
from dlt_jax.evaluation import metrics


def _targets(unit_boxes):
    """`n 4` (cx, cy, w, h) on [0, 1] -> a batch of one `1 n 4` in the model's [-1, 1]."""
    return jnp.asarray(np.asarray(unit_boxes, np.float32)[None] * 2.0 - 1.0)


def _all_valid(boxes):
    return jnp.ones(boxes.shape[:2], bool)


def test_two_identical_boxes_overlap_one_and_disjoint_boxes_zero():
    same = _targets([[0.3, 0.3, 0.2, 0.2], [0.3, 0.3, 0.2, 0.2]])
    apart = _targets([[0.2, 0.2, 0.2, 0.2], [0.7, 0.7, 0.2, 0.2]])
    assert float(overlap_loss(same, _all_valid(same))[0]) == pytest.approx(1.0, abs=1e-6)
    assert float(overlap_loss(apart, _all_valid(apart))[0]) == pytest.approx(0.0, abs=1e-7)


def test_aligned_lefts_give_zero_alignment_and_unaligned_boxes_more():
    lefts = _targets([[0.2, 0.2, 0.2, 0.1], [0.3, 0.6, 0.4, 0.2]])  # both left edges at 0.1
    scattered = _targets([[0.2, 0.2, 0.2, 0.1], [0.53, 0.71, 0.3, 0.17]])
    assert float(alignment_loss(lefts, _all_valid(lefts))[0]) == pytest.approx(0.0, abs=1e-6)
    assert float(alignment_loss(scattered, _all_valid(scattered))[0]) > 0.01


def test_losses_equal_the_evaluation_metrics_without_rounding():
    rng = np.random.default_rng(0)
    unit = np.concatenate([rng.uniform(0.2, 0.8, (6, 2)), rng.uniform(0.05, 0.4, (6, 2))], axis=1)
    boxes, valid = _targets(unit), jnp.asarray([[True] * 5 + [False]])
    assert float(alignment_loss(boxes, valid)[0]) == pytest.approx(
        metrics.alignment(unit, valid[0], discretize=False), rel=1e-4)
    assert float(overlap_loss(boxes, valid)[0]) == pytest.approx(metrics.overlap(unit, valid[0]), rel=1e-4)


def test_losses_are_per_example_and_ignore_invalid_slots():
    boxes = jnp.concatenate([_targets([[0.3, 0.3, 0.2, 0.2], [0.3, 0.3, 0.2, 0.2]])] * 2)
    valid = jnp.asarray([[True, True], [True, False]])
    np.testing.assert_allclose(overlap_loss(boxes, valid), [1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(alignment_loss(boxes, valid), [0.0, 0.0], atol=1e-6)  # a lone box counts 0


def test_a_guidance_step_reduces_overlap():
    boxes = _targets([[0.4, 0.4, 0.3, 0.3], [0.5, 0.45, 0.3, 0.3], [0.8, 0.8, 0.1, 0.1]])
    valid = _all_valid(boxes)
    guided = guide_boxes(boxes, valid, 0.02, alignment_weight=0.0)
    before, after = float(overlap_loss(boxes, valid)[0]), float(overlap_loss(guided, valid)[0])
    assert after < before - 0.02
    assert float(overlap_loss(guide_boxes(boxes, valid, 0.02, steps=5, alignment_weight=0.0), valid)[0]) < after


def test_a_guidance_step_reduces_alignment():
    boxes = _targets([[0.2, 0.2, 0.2, 0.1], [0.53, 0.71, 0.3, 0.17], [0.81, 0.36, 0.13, 0.22]])
    valid = _all_valid(boxes)
    guided = guide_boxes(boxes, valid, 0.01, overlap_weight=0.0)
    assert float(alignment_loss(guided, valid)[0]) < float(alignment_loss(boxes, valid)[0]) - 0.005


def test_a_guidance_step_closes_a_small_gap_without_jumping_past_it():
    boxes = _targets([[0.2, 0.2, 0.2, 0.1], [0.302, 0.6, 0.4, 0.2]])  # lefts 0.100 and 0.102
    valid = _all_valid(boxes)
    for weight in (0.01, 0.03):  # steps larger than the gap
        guided = (np.asarray(guide_boxes(boxes, valid, weight, overlap_weight=0.0)) + 1) / 2
        lefts = guided[0, :, 0] - guided[0, :, 2] / 2
        assert abs(lefts[1] - lefts[0]) < 0.0002  # from 0.002 apart to nearly 0, not to the other side


def test_guidance_moves_only_movable_valid_coordinates_and_stays_in_range():
    boxes = _targets([[0.4, 0.4, 0.3, 0.3], [0.5, 0.45, 0.3, 0.3], [0.55, 0.5, 0.3, 0.3]])
    boxes = boxes.at[0, 0, 2].set(1.0)  # at the edge of the box space: the clip keeps it there
    valid = jnp.asarray([[True, True, False]])
    movable = jnp.asarray([[[True, True, True, True], [False, False, True, True], [True] * 4]])
    guided = np.asarray(guide_boxes(boxes, valid, 0.05, movable=movable, steps=3))
    np.testing.assert_array_equal(guided[0, 1, :2], np.asarray(boxes)[0, 1, :2])  # given coordinates
    np.testing.assert_array_equal(guided[0, 2], np.asarray(boxes)[0, 2])          # an invalid slot
    assert not np.allclose(guided[0, 0], np.asarray(boxes)[0, 0])
    assert guided.min() >= -1.0 and guided.max() <= 1.0


def test_gradients_are_finite_at_zero_size_and_coincident_boxes():
    boxes = jnp.asarray([[[0.0, 0.0, -1.0, -1.0], [0.0, 0.0, -1.0, -1.0], [0.2, 0.1, -1.0, 0.3],
                          [0.2, 0.1, -1.0, 0.3]]])
    valid = _all_valid(boxes)
    for loss in (alignment_loss, overlap_loss):
        grad = jax.grad(lambda b: loss(b, valid).sum())(boxes)
        assert np.isfinite(np.asarray(grad)).all()
    assert np.isfinite(np.asarray(guide_boxes(boxes, valid, 0.1, steps=2))).all()


def test_leaf_slots_are_valid_slots_without_valid_children():
    parent_slot = jnp.asarray([[-1, 0, 0, 1, -1], [-1, 0, 1, -1, -1]])
    slot_valid = jnp.asarray([[True, True, True, True, False], [True, True, False, False, False]])
    np.testing.assert_array_equal(leaf_slots(parent_slot, slot_valid),
                                  [[False, False, True, True, False], [False, True, False, False, False]])


def test_guidance_is_jittable_with_a_traced_weight():
    boxes = _targets([[0.4, 0.4, 0.3, 0.3], [0.5, 0.45, 0.3, 0.3]])
    valid = _all_valid(boxes)
    jitted = jax.jit(lambda b, w: guide_boxes(b, valid, w))(boxes, jnp.float32(0.02))
    np.testing.assert_allclose(jitted, guide_boxes(boxes, valid, 0.02), atol=1e-6)
