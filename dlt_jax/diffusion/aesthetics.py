"""Aesthetic guidance (LACE, Chen et al. ICLR 2024): differentiable alignment and overlap losses of
boxes, and a gradient step on them that the sampler applies to its x0 prediction late in sampling.

Boxes are the model's `b n 4` (cx, cy, w, h) targets in [-1, 1]; the losses read them on [0, 1] of
the screenshot, every coordinate by (v + 1) / 2, the convention of `data.transforms.boxes_to_targets`
and of `evaluation.metrics`, whose `alignment` / `overlap` (DLT, LayoutGAN++) these losses equal
without the 1/32 rounding, so that guidance lowers what the evaluation measures.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

_FAR = 1.0        # a gap no partner reaches on [0, 1]: DLT counts such an element 0
_EPS = 1e-6


def _unit_ltrb(boxes: jax.Array) -> tuple[jax.Array, ...]:
    """`b n 4` [-1, 1] targets -> (left, top, right, bottom, cx, cy) `b n` each, on [0, 1]."""
    cx, cy, w, h = jnp.moveaxis((jnp.asarray(boxes, jnp.float32) + 1.0) / 2.0, -1, 0)
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, cx, cy


def _pair_mask(valid: jax.Array) -> jax.Array:
    """`b n n`: both slots valid and distinct."""
    valid = jnp.asarray(valid, bool)
    n = valid.shape[-1]
    return valid[:, :, None] & valid[:, None, :] & ~jnp.eye(n, dtype=bool)[None]


def _huber(x: jax.Array, delta: float | jax.Array) -> jax.Array:
    """|x|, quadratic below `delta` (0: |x|; may be traced): its gradient shrinks with the gap
    instead of jumping from -1 to 1."""
    delta = jnp.asarray(delta, jnp.float32)
    quadratic = x ** 2 / (2 * jnp.maximum(delta, 1e-12)) + delta / 2
    return jnp.where(jnp.abs(x) < delta, quadratic, jnp.abs(x))


def alignment_terms(boxes: jax.Array, valid: jax.Array, smooth: float | jax.Array = 0.0) -> jax.Array:
    """Per-element alignment `b n`: -log(1 - d_i), d_i the smallest |difference| of element i's six
    lines (left, centre x, right, top, centre y, bottom) to the same line of any other valid element;
    0 where i is invalid or has no partner closer than the canvas (d_i >= 1), as DLT counts it.
    `smooth` > 0 makes |difference| quadratic below it (guidance: a step then does not overshoot a
    gap smaller than itself); 0 is the metric."""
    left, top, right, bottom, cx, cy = _unit_ltrb(boxes)
    lines = jnp.stack([left, cx, right, top, cy, bottom], axis=1)                    # b 6 n
    gaps = _huber(lines[:, :, :, None] - lines[:, :, None, :], smooth)              # b 6 n n
    gaps = jnp.where(_pair_mask(valid)[:, None], gaps, _FAR)
    nearest = gaps.min(axis=(1, 3))                                                  # b n
    counted = jnp.asarray(valid, bool) & (nearest < _FAR)
    safe = jnp.where(counted, nearest, 0.0)  # no log(0) and no NaN gradient through the unused branch
    return jnp.where(counted, -jnp.log1p(-jnp.minimum(safe, 1.0 - _EPS)), 0.0)


def overlap_terms(boxes: jax.Array, valid: jax.Array) -> jax.Array:
    """Per-element overlap `b n`: sum over the other valid elements j of area(i ∩ j) / area(i); 0 for
    an invalid or zero-area element. The normalising area(i) is held constant for the gradient, so
    that guidance separates or shrinks overlapping boxes rather than inflating one to dilute it."""
    left, top, right, bottom, _, _ = _unit_ltrb(boxes)
    inter_w = jax.nn.relu(jnp.minimum(right[:, :, None], right[:, None]) - jnp.maximum(left[:, :, None], left[:, None]))
    inter_h = jax.nn.relu(jnp.minimum(bottom[:, :, None], bottom[:, None]) - jnp.maximum(top[:, :, None], top[:, None]))
    inter = jnp.where(_pair_mask(valid), inter_w * inter_h, 0.0)                     # b n n
    area = jax.lax.stop_gradient(jax.nn.relu(right - left) * jax.nn.relu(bottom - top))
    has_area = jnp.asarray(valid, bool) & (area > _EPS)
    return jnp.where(has_area, inter.sum(axis=-1) / jnp.where(has_area, area, 1.0), 0.0)


def _per_example_mean(terms: jax.Array, valid: jax.Array) -> jax.Array:
    count = jnp.asarray(valid, jnp.float32).sum(axis=-1)
    return terms.sum(axis=-1) / jnp.maximum(count, 1.0)


def alignment_loss(boxes: jax.Array, valid: jax.Array) -> jax.Array:
    """DLT / LayoutGAN++ alignment `b` of `b n 4` [-1, 1] boxes over the `valid` `b n` ones (lower is
    better aligned): the mean of `alignment_terms` over the valid elements; 0 without any."""
    return _per_example_mean(alignment_terms(boxes, valid), valid)


def overlap_loss(boxes: jax.Array, valid: jax.Array) -> jax.Array:
    """DLT / LayoutGAN++ overlap `b` of `b n 4` [-1, 1] boxes over the `valid` `b n` ones: the mean
    of `overlap_terms` (two identical boxes give 1, disjoint ones 0); 0 without any."""
    return _per_example_mean(overlap_terms(boxes, valid), valid)


def leaf_slots(parent_slot: jax.Array, slot_valid: jax.Array) -> jax.Array:
    """`b n` bool: valid slots that no valid slot names as its parent (html leaves).

    The evaluation scores alignment and overlap over leaf elements, since a container overlaps its
    children by design; at sample time the elements are not decided yet, so the html leaves stand
    in for them and are the slots guidance looks at."""
    parent_slot, slot_valid = jnp.asarray(parent_slot), jnp.asarray(slot_valid, bool)
    n = slot_valid.shape[-1]
    is_parent = (parent_slot[:, :, None] == jnp.arange(n)[None, None]) & slot_valid[:, :, None]  # b child parent
    return slot_valid & ~is_parent.any(axis=1)


def _guidance_objective(boxes: jax.Array, valid: jax.Array, alignment_weight: float, overlap_weight: float,
                        smooth: jax.Array) -> jax.Array:
    """Sum over examples and elements (not the mean): each element's gradient is then O(1), whatever
    the element count, so `weight` reads as a move in [-1, 1] box units. Overlap moves boxes apart
    but does not resize them (their sizes held for its gradient): shrinking boxes out of each other
    lowered the mIoU to the truth more, for the same drop in overlap (real dev, guiding final boxes).
    Alignment gaps below `smooth` are quadratic, so that a step closes a small gap instead of
    jumping past it (with |gap| every step moves a line by the whole step, and the lines overshoot)."""
    held_sizes = jnp.concatenate([boxes[..., :2], jax.lax.stop_gradient(boxes[..., 2:])], axis=-1)
    return (alignment_weight * alignment_terms(boxes, valid, smooth)
            + overlap_weight * overlap_terms(held_sizes, valid)).sum()


def guide_boxes(x0: jax.Array, valid: jax.Array, weight: float | jax.Array, *, movable: jax.Array | None = None,
                steps: int = 1, alignment_weight: float = 1.0, overlap_weight: float = 1.0) -> jax.Array:
    """x0 `b n 4` after `steps` gradient steps on alignment + overlap; the given coordinates exact.

    valid `b n`: the boxes that take part (guided ones, and fixed partners to align to); movable
    `b n 4` (default: valid): the coordinates that may change, e.g. the generated (`gen_box`) ones.
    Each step is x0 - weight * clip(grad, -1, 1), clipped to [-1, 1]: the gradient clip bounds a
    step by `weight` (a small box's overlap gradient, 1 / area, is otherwise unbounded), and the
    sum-over-elements objective keeps the step size independent of the element count; overlap
    moves centres only, alignment any coordinate. Pure, jit-able; `steps` is static.
    """
    x0 = jnp.asarray(x0, jnp.float32)
    valid = jnp.asarray(valid, bool)
    movable = valid[..., None] if movable is None else jnp.asarray(movable, bool) & valid[..., None]
    grad_fn = jax.grad(_guidance_objective)
    # A step moves an edge on [0, 1] by weight * (1/2 + 1/4) * gap / smooth through cx and w, twice when
    # the two boxes are each other's nearest, so 5/4 weight closes a mutual gap in one step.
    smooth = 1.25 * jnp.asarray(weight, jnp.float32)

    def step(_, boxes):
        grad = grad_fn(boxes, valid, alignment_weight, overlap_weight, smooth)
        moved = jnp.clip(boxes - weight * jnp.clip(grad, -1.0, 1.0), -1.0, 1.0)
        return jnp.where(movable, moved, x0)

    return jax.lax.fori_loop(0, steps, step, x0)
