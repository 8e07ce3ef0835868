"""Masked training losses of the joint process: box MSE, action cross-entropy, element presence.

Every mean is over the positions a mask selects and is 0 when the mask is
empty; masked-out positions never reach the sum, so NaN or inf there is harmless.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax


def _masked_mean(values: jax.Array, mask: jax.Array) -> jax.Array:
    """Mean of `values` where `mask` (broadcast to values' shape) is set; 0 when none is."""
    mask = jnp.broadcast_to(jnp.asarray(mask), values.shape)
    weights = mask.astype(jnp.float32)
    total = jnp.sum(jnp.where(mask.astype(bool), values * weights, 0.0))
    return total / jnp.maximum(jnp.sum(weights), 1.0)


def masked_mse(pred: jax.Array, target: jax.Array, mask: jax.Array) -> jax.Array:
    """sum(mask * (pred - target)^2) / max(sum(mask), 1), scalar.

    pred, target `b n 4`; mask bool or float, broadcastable to them (`b n 4`
    or `b n 1`). The mask is broadcast before counting, so the result is the
    mean squared error per selected coordinate whichever form it has.
    """
    return _masked_mean(jnp.square(pred - target), mask)


def masked_cross_entropy(logits: jax.Array, labels: jax.Array, mask: jax.Array,
                         label_smoothing: float = 0.0) -> jax.Array:
    """Mean softmax cross-entropy over the masked positions, scalar; 0 when the mask is empty.

    logits `b n c`, labels `b n` int, mask `b n`. Targets are one-hot labels
    smoothed as optax does: (1 - label_smoothing) * onehot + label_smoothing / c.
    """
    targets = optax.smooth_labels(jax.nn.one_hot(labels, logits.shape[-1], dtype=logits.dtype), label_smoothing)
    return _masked_mean(optax.softmax_cross_entropy(logits, targets), mask)


def masked_accuracy(logits: jax.Array, labels: jax.Array, mask: jax.Array) -> jax.Array:
    """Share of masked positions whose argmax equals the label, scalar; 0 when the mask is empty.

    logits `b n c`, labels `b n` int, mask `b n`.
    """
    correct = (jnp.argmax(logits, axis=-1) == labels).astype(jnp.float32)
    return _masked_mean(correct, mask)


def presence_targets(actions: jax.Array, slot_valid: jax.Array, type_action_ids: jax.Array) -> jax.Array:
    """Which element types occur in each layout: `b k` float32.

    actions `b n` int, slot_valid `b n` bool, type_action_ids `k` int (the
    action id of element type k). 1 where some valid slot's action is type k's id.
    """
    hits = actions[:, :, None] == jnp.asarray(type_action_ids)[None, None, :]
    hits = jnp.logical_and(hits, jnp.asarray(slot_valid, bool)[:, :, None])
    return jnp.any(hits, axis=1).astype(jnp.float32)


def presence_loss(logits: jax.Array, targets: jax.Array, weights: jax.Array | None = None) -> jax.Array:
    """Mean sigmoid binary cross-entropy of presence logits `b k` against targets `b k`, scalar;
    with `weights` `b` (e.g. example_valid) a weighted mean over examples (0 when all weigh 0)."""
    per_example = jnp.mean(optax.sigmoid_binary_cross_entropy(logits, targets), axis=-1)
    if weights is None:
        return jnp.mean(per_example)
    weights = jnp.asarray(weights, jnp.float32)
    return jnp.sum(per_example * weights) / jnp.maximum(jnp.sum(weights), 1.0)
