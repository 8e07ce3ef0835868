"""Masked MSE, cross-entropy, accuracy, presence and html-pixel contrastive losses against hand computations."""

import jax
import numpy as np

from dlt_jax import diffusion
from dlt_jax.train.step import contrastive_loss as contrastive_loss_fn

# Values are checked through jax.jit, as training and sampling call these functions
# (one compile per call rather than one per primitive keeps the file fast);
# `test_cross_entropy_and_presence_eager_equal_jitted` checks that eager calls give the same values.
masked_accuracy = jax.jit(diffusion.masked_accuracy)
masked_cross_entropy = jax.jit(diffusion.masked_cross_entropy)
masked_mse = jax.jit(diffusion.masked_mse)
presence_loss = jax.jit(diffusion.presence_loss)
presence_targets = jax.jit(diffusion.presence_targets)

LOGITS = np.array([[[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]], [[0.5, 0.5, 3.0], [1.0, 2.0, 0.0]]], np.float32)
LABELS = np.array([[0, 2], [2, 0]])


def _log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def test_masked_mse_averages_selected_coordinates():
    pred = np.array([[[1.0, 2.0], [0.0, 0.0]], [[3.0, 3.0], [1.0, -1.0]]], np.float32)
    target = np.zeros_like(pred)
    mask = np.array([[[1, 0], [1, 1]], [[0, 0], [1, 0]]], bool)
    # Selected squared errors: 1, 0, 0, 1 -> mean 0.5.
    assert float(masked_mse(pred, target, mask)) == 0.5
    slot_mask = np.array([[True, False], [False, True]])[..., None]  # b n 1 broadcasts over coordinates
    np.testing.assert_allclose(masked_mse(pred, target, slot_mask), (1 + 4 + 1 + 1) / 4)
    np.testing.assert_allclose(masked_mse(pred, target, slot_mask.astype(np.float32)), 7 / 4)


def test_masked_mse_empty_mask_is_zero_and_ignores_nan_outside():
    pred = np.array([[[np.nan, 1.0]]], np.float32)
    assert float(masked_mse(pred, np.zeros_like(pred), np.zeros_like(pred, bool))) == 0.0
    assert float(masked_mse(pred, np.zeros_like(pred), np.array([[[False, True]]]))) == 1.0


def test_masked_cross_entropy_matches_log_softmax_over_mask():
    mask = np.array([[True, False], [True, True]])
    nll = -np.take_along_axis(_log_softmax(LOGITS.astype(np.float64)), LABELS[..., None], -1)[..., 0]
    expected = (nll[0, 0] + nll[1, 0] + nll[1, 1]) / 3
    np.testing.assert_allclose(masked_cross_entropy(LOGITS, LABELS, mask), expected, rtol=1e-6)


def test_masked_cross_entropy_label_smoothing_spreads_alpha_over_classes():
    mask = np.array([[True, True], [False, False]])
    alpha, classes = 0.3, 3
    log_probs = _log_softmax(LOGITS.astype(np.float64))
    targets = np.full((2, 2, classes), alpha / classes)
    targets[np.arange(2)[:, None], np.arange(2)[None, :], LABELS] += 1 - alpha
    ce = -(targets * log_probs).sum(-1)
    np.testing.assert_allclose(masked_cross_entropy(LOGITS, LABELS, mask, label_smoothing=alpha),
                               (ce[0, 0] + ce[0, 1]) / 2, rtol=1e-6)


def test_masked_cross_entropy_and_accuracy_empty_mask_are_zero():
    empty = np.zeros((2, 2), bool)
    assert float(masked_cross_entropy(LOGITS, LABELS, empty)) == 0.0
    assert float(masked_accuracy(LOGITS, LABELS, empty)) == 0.0


def test_masked_accuracy_counts_argmax_hits_over_mask():
    # argmax: [[0, 1], [2, 1]] against labels [[0, 2], [2, 0]] -> hits at (0,0) and (1,0).
    assert float(masked_accuracy(LOGITS, LABELS, np.ones((2, 2), bool))) == 0.5
    assert float(masked_accuracy(LOGITS, LABELS, np.array([[True, True], [True, False]]))) == np.float32(2 / 3)
    assert float(masked_accuracy(LOGITS, LABELS, np.array([[False, True], [False, True]]))) == 0.0


def test_presence_targets_mark_types_among_valid_slots_only():
    actions = np.array([[7, 3, 7, 5], [4, 4, 9, 3]])
    slot_valid = np.array([[True, True, True, False], [True, True, False, False]])
    type_action_ids = np.array([3, 5, 7, 9])
    out = presence_targets(actions, slot_valid, type_action_ids)
    assert out.dtype == np.float32
    # Example 0: 5 is on an invalid slot. Example 1: 9 and 3 are on invalid slots.
    np.testing.assert_array_equal(out, [[1, 0, 1, 0], [0, 0, 0, 0]])


def test_presence_loss_is_mean_binary_cross_entropy():
    logits = np.array([[2.0, -1.0, 0.0], [0.5, 3.0, -2.0]], np.float32)
    targets = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], np.float32)
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    expected = -(targets * np.log(p) + (1 - targets) * np.log(1 - p)).mean()
    np.testing.assert_allclose(presence_loss(logits, targets), expected, rtol=1e-6)
    per_example = -(targets * np.log(p) + (1 - targets) * np.log(1 - p)).mean(axis=1)
    # weights leave out a blank example (an evaluation batch's padding)
    np.testing.assert_allclose(presence_loss(logits, targets, np.array([1.0, 0.0])), per_example[0], rtol=1e-6)
    np.testing.assert_allclose(presence_loss(logits, targets, np.zeros(2)), 0.0)


def test_cross_entropy_and_presence_eager_equal_jitted():
    # The masked mean shared by all masked losses, label smoothing, and the presence comparison.
    mask = np.array([[True, False], [True, True]])
    np.testing.assert_allclose(masked_cross_entropy(LOGITS, LABELS, mask, label_smoothing=0.1),
                               diffusion.masked_cross_entropy(LOGITS, LABELS, mask, label_smoothing=0.1), rtol=1e-6)
    np.testing.assert_array_equal(presence_targets(LABELS, mask, np.array([0, 1, 2])),
                                  diffusion.presence_targets(LABELS, mask, np.array([0, 1, 2])))


contrastive_loss = jax.jit(contrastive_loss_fn, static_argnums=3)


def test_contrastive_loss_of_aligned_nodes_is_lower_than_of_shuffled_ones():
    rng = np.random.default_rng(0)
    html = rng.normal(size=(2, 5, 8)).astype(np.float32)
    valid = np.ones((2, 5), bool)
    aligned = float(contrastive_loss(html, html, valid, 0.1))
    shuffled = float(contrastive_loss(html, html[:, [1, 2, 3, 4, 0]], valid, 0.1))
    assert aligned < 0.1 < shuffled   # 5 random 8-d directions at temperature 0.1: near-one-hot when aligned


def test_contrastive_loss_matches_a_hand_symmetric_cross_entropy():
    html = np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]], np.float32)
    look = np.array([[[2.0, 0.0], [1.0, 1.0], [0.0, 3.0]]], np.float32)
    unit = lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True)
    logits = unit(html[0]).astype(np.float64) @ unit(look[0]).T / 0.5
    rows = -np.diag(_log_softmax(logits))
    cols = -np.diag(_log_softmax(logits.T))
    np.testing.assert_allclose(contrastive_loss(html, look, np.ones((1, 3), bool), 0.5),
                               ((rows + cols) / 2).mean(), rtol=1e-5)


def test_contrastive_loss_ignores_padding_and_examples_without_two_nodes():
    rng = np.random.default_rng(1)
    html, look = rng.normal(size=(2, 2, 4, 6)).astype(np.float32)
    valid = np.array([[True, True, True, False], [True, True, False, False]])
    base = float(contrastive_loss(html, look, valid, 0.1))
    junk = lambda x: np.where(valid[..., None], x, rng.normal(size=x.shape).astype(np.float32) * 100)
    np.testing.assert_allclose(contrastive_loss(junk(html), junk(look), valid, 0.1), base, rtol=1e-6)
    # padding slots appended, and a third example with a single node: the same loss
    pad = lambda x: np.concatenate([np.pad(x, ((0, 0), (0, 3), (0, 0))), np.ones((1, 7, 6), np.float32)])
    padded_valid = np.concatenate([np.pad(valid, ((0, 0), (0, 3))), np.eye(1, 7, dtype=bool)])
    np.testing.assert_allclose(contrastive_loss(pad(html), pad(look), padded_valid, 0.1), base, rtol=1e-6)
    assert float(contrastive_loss(html, look, np.zeros_like(valid), 0.1)) == 0.0
