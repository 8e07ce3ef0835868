"""Model building blocks: adaLN-Zero starts as the identity, the tree relations, padding is ignored."""

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from dlt_jax.models.layers import (TREE_RELATIONS, AdaLNZeroBlock, Attention, box_pixel_stats, box_pixels,
                                   boxes_cover_patches, key_mask, patch_centers, roi_pool, roi_pool_weights,
                                   tree_relations)


def test_adaln_zero_blocks_are_the_identity_at_init():
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 5, 16))
    condition = jax.random.normal(jax.random.PRNGKey(1), (2, 5, 16))
    context = jax.random.normal(jax.random.PRNGKey(2), (2, 7, 16))
    for cross in (False, True):
        block = AdaLNZeroBlock(16, 4, 2.0, cross_attention=cross, rngs=nnx.Rngs(3))
        out = block(x, condition, mask=key_mask(jnp.ones((2, 5), bool)), context=context if cross else None,
                    context_mask=key_mask(jnp.ones((2, 7), bool)) if cross else None)
        np.testing.assert_array_equal(np.asarray(out), np.asarray(x))


def test_adaln_zero_block_stops_being_the_identity_once_its_modulation_is_trained():
    block = AdaLNZeroBlock(8, 2, 2.0, rngs=nnx.Rngs(0))
    block.modulation.bias[...] = jnp.ones_like(block.modulation.bias[...])
    x = jnp.ones((1, 3, 8)) * jnp.arange(8.0)
    assert not np.allclose(block(x, jnp.zeros((1, 3, 8))), x)


def test_tree_relations_name_self_parent_child_sibling_and_other():
    #   0
    #   ├── 1
    #   │   └── 3
    #   └── 2          slot 4 is padding (parent -1)
    parent_slot = jnp.array([[-1, 0, 0, 1, -1]])
    names = np.array(TREE_RELATIONS)[np.asarray(tree_relations(parent_slot))[0]]
    assert names[0].tolist() == ["self", "child", "child", "other", "sibling"]
    assert names[1].tolist() == ["parent", "self", "sibling", "child", "other"]
    assert names[3].tolist() == ["other", "parent", "other", "self", "other"]
    assert names[2][1] == "sibling" and names[4][4] == "self"


def test_attention_ignores_padded_keys_whatever_they_hold():
    attention = Attention(8, 2, rngs=nnx.Rngs(0))
    x = jax.random.normal(jax.random.PRNGKey(0), (1, 6, 8))
    valid = jnp.array([[True, True, True, True, False, False]])
    changed = x.at[:, 4:].set(100.0)
    out, out_changed = attention(x, mask=key_mask(valid)), attention(changed, mask=key_mask(valid))
    np.testing.assert_allclose(out[:, :4], out_changed[:, :4], rtol=1e-5, atol=1e-6)
    assert not np.allclose(attention(changed)[:, :4], out[:, :4])  # unmasked, the padding would leak in


def test_a_box_covers_the_patches_whose_centres_lie_inside_it():
    # a 2 x 4 grid; the box is the screenshot's left half, top row only: x in [0, 0.5], y in [0, 0.5]
    rows, cols = np.meshgrid(np.arange(1, 3), np.arange(1, 5), indexing="ij")
    centers = patch_centers(jnp.asarray(rows.reshape(1, -1)), jnp.asarray(cols.reshape(1, -1)), jnp.array([[2, 4]]))
    np.testing.assert_allclose(centers[0, :4], [[0.125, 0.25], [0.375, 0.25], [0.625, 0.25], [0.875, 0.25]])
    left_half_top = jnp.array([[[0.25, 0.25, 0.5, 0.5]]]) * 2 - 1  # (cx, cy, w, h) in [0, 1] -> targets
    cover = np.asarray(boxes_cover_patches(left_half_top, centers))[0, 0].reshape(2, 4)
    assert cover.tolist() == [[1, 1, 0, 0], [0, 0, 0, 0]]


def test_box_pixels_reads_the_screenshot_pixels_under_each_box_from_the_patches():
    p, rows, cols, k = 4, 3, 5, 4
    image = np.random.default_rng(0).uniform(-1, 1, size=(rows * p, cols * p, 3)).astype(np.float32)
    patches = np.zeros((20, p * p * 3), np.float32)  # row-major patches, each its pixels row-major; padded to 20
    patches[:rows * cols] = image.reshape(rows, p, cols, p, 3).transpose(0, 2, 1, 3, 4).reshape(rows * cols, -1)
    x0, x1, y0, y1 = 4, 12, 2, 10                     # pixels; k = 4 samples at the centres of 2 px cells
    w, h = cols * p, rows * p
    box = np.array([(x0 + x1) / 2 / w, (y0 + y1) / 2 / h, (x1 - x0) / w, (y1 - y0) / h]) * 2 - 1
    got = box_pixels(jnp.asarray(patches[None]), jnp.asarray([[rows, cols]]), jnp.asarray(box[None, None], jnp.float32), k)
    assert got.shape == (1, 1, k, k, 3)
    np.testing.assert_array_equal(np.asarray(got)[0, 0], image[y0 + 1:y1:2, x0 + 1:x1:2])
    # 2 x 2 cells of 2 x 2 samples each: each cell's mean and spread of the same pixels
    stats = np.asarray(box_pixel_stats(jnp.asarray(patches[None]), jnp.asarray([[rows, cols]]),
                                       jnp.asarray(box[None, None], jnp.float32), 2, samples=2)).reshape(2, 2, 6)
    cells = image[y0 + 1:y1:2, x0 + 1:x1:2].reshape(2, 2, 2, 2, 3)
    np.testing.assert_allclose(stats[..., :3], cells.mean(axis=(1, 3)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stats[..., 3:], cells.std(axis=(1, 3)), rtol=1e-5, atol=1e-6)


def _grid(rows, cols, max_patches):
    """Row-major 1-based patch rows and columns of a `rows x cols` grid padded to `max_patches`, `1 m`."""
    count = rows * cols
    row = np.zeros(max_patches, np.int32)
    col = np.zeros(max_patches, np.int32)
    row[:count] = np.repeat(np.arange(1, rows + 1), cols)
    col[:count] = np.tile(np.arange(1, cols + 1), rows)
    return jnp.asarray(row[None]), jnp.asarray(col[None]), jnp.asarray(np.arange(max_patches)[None] < count)


def _unit_box(x0, y0, x1, y1):
    """A box from its corners in [0, 1] of the screenshot to the (cx, cy, w, h) in [-1, 1] targets."""
    return np.array([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0]) * 2 - 1


def _pool(tokens, boxes, rows, cols, k):
    row, col, valid = _grid(rows, cols, tokens.shape[0])
    weights = roi_pool_weights(jnp.asarray(np.asarray(boxes)[None], jnp.float32), row, col, valid,
                               jnp.array([[rows, cols]]), k)
    return np.asarray(roi_pool(jnp.asarray(tokens[None]), weights))[0], np.asarray(weights)[0]


def test_roi_pool_of_the_left_half_of_a_two_by_two_grid_is_the_mean_of_the_left_patches():
    tokens = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 50.0], [7.0, 70.0], [99.0, 99.0]], np.float32)  # + padding
    pooled, weights = _pool(tokens, [_unit_box(0, 0, 0.5, 1)], 2, 2, k=1)
    np.testing.assert_allclose(pooled[0], (tokens[0] + tokens[2]) / 2)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-6)
    # k = 2 over the whole screenshot: one patch per cell, row-major cells, padding never read
    pooled, _ = _pool(tokens, [_unit_box(0, 0, 1, 1)], 2, 2, k=2)
    np.testing.assert_allclose(pooled[0], tokens[:4].reshape(-1))


def test_roi_pool_of_a_box_smaller_than_a_patch_reads_the_grid_bilinearly():
    tokens = np.array([[0.0], [4.0], [8.0], [12.0]], np.float32)   # 2 x 2 grid: patch centres at 0.25 / 0.75
    inside_one, _ = _pool(tokens, [_unit_box(0.05, 0.05, 0.15, 0.15)], 2, 2, k=1)
    np.testing.assert_allclose(inside_one[0], [0.0], atol=1e-6)   # clamped to the nearest patch centre
    # centred at (0.5, 0.5) between all four centres: their mean; at (0.5, 0.25): between the top two
    middle, _ = _pool(tokens, [_unit_box(0.45, 0.45, 0.55, 0.55), _unit_box(0.45, 0.2, 0.55, 0.3)], 2, 2, k=1)
    np.testing.assert_allclose(middle[:, 0], [6.0, 2.0], rtol=1e-6)


def test_roi_pool_every_cell_of_a_thin_box_gets_a_value():
    tokens = np.arange(8, dtype=np.float32)[:, None]               # 2 x 4 grid
    pooled, weights = _pool(tokens, [_unit_box(0, 0.5, 1, 0.52)], 2, 4, k=2)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-6)
    assert np.isfinite(pooled).all()


def test_locality_attention_never_attends_to_itself_and_starts_at_the_plain_temperature():
    plain = Attention(8, 2, rngs=nnx.Rngs(0))
    local = Attention(8, 2, locality=True, rngs=nnx.Rngs(0))
    assert local.log_temperature[...].shape == (2,)
    others = jnp.broadcast_to(jax.random.normal(jax.random.PRNGKey(1), (1, 1, 8)), (1, 3, 8))
    x = jnp.concatenate([jax.random.normal(jax.random.PRNGKey(0), (1, 1, 8)), others], axis=1)
    changed = x.at[:, 0].set(3.0)
    # tokens 1-3 are the same, so whatever token 0 asks, it reads only them: its own value never counts
    np.testing.assert_allclose(local(x)[:, 0], local(changed)[:, 0], rtol=1e-5, atol=1e-6)
    assert not np.allclose(plain(x)[:, 0], plain(changed)[:, 0], atol=1e-3)
    # with the diagonal masked by hand, the plain attention gives the same until the temperatures move
    x = jax.random.normal(jax.random.PRNGKey(0), (1, 4, 8))
    not_self = ~jnp.eye(4, dtype=bool)[None, None]
    np.testing.assert_allclose(local(x), plain(x, mask=not_self), rtol=1e-5, atol=1e-6)
    local.log_temperature[...] = jnp.array([1.0, -1.0])
    assert not np.allclose(local(x), plain(x, mask=not_self), atol=1e-4)
