"""The screenshot encoder's small-data options: shifted patch tokenization and locality self-attention."""

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from dlt_jax.models.vit import ScreenshotEncoder, shifted_patch_inputs


def _patch_grid(image, p, max_patches):
    """`(rows p) (cols p) 3` -> row-major patches `1 m (p p 3)` padded to max_patches, rows, cols, valid."""
    rows, cols = image.shape[0] // p, image.shape[1] // p
    patches = np.zeros((max_patches, p * p * 3), np.float32)
    patches[:rows * cols] = image.reshape(rows, p, cols, p, 3).transpose(0, 2, 1, 3, 4).reshape(rows * cols, -1)
    row = np.zeros(max_patches, np.int32)
    col = np.zeros(max_patches, np.int32)
    row[:rows * cols] = np.repeat(np.arange(1, rows + 1), cols)
    col[:rows * cols] = np.tile(np.arange(1, cols + 1), rows)
    return (jnp.asarray(patches[None]), jnp.asarray(row[None]), jnp.asarray(col[None]),
            jnp.asarray(np.arange(max_patches)[None] < rows * cols))


def test_shifted_patches_are_the_screenshot_shifted_by_half_a_patch_diagonally():
    p, rows, cols = 4, 3, 5
    image = np.random.default_rng(0).uniform(-1, 1, (rows * p, cols * p, 3)).astype(np.float32)
    patches, row, col, valid = _patch_grid(image, p, 18)
    got = np.asarray(shifted_patch_inputs(patches, row, col, valid))
    assert got.shape == (1, 18, 5 * p * p * 3)
    padded = np.pad(image, ((p, p), (p, p), (0, 0)))   # outside the screenshot: zeros
    half = p // 2
    for r in range(rows):
        for c in range(cols):
            token = got[0, r * cols + c].reshape(5, p, p, 3)
            np.testing.assert_array_equal(token[0], image[r * p:(r + 1) * p, c * p:(c + 1) * p])
            windows = [(p - half, p - half), (p - half, p + half), (p + half, p - half), (p + half, p + half)]
            for shift, (y0, x0) in enumerate(windows, start=1):
                expected = padded[r * p + y0:r * p + y0 + p, c * p + x0:c * p + x0 + p]
                np.testing.assert_array_equal(token[shift], expected, err_msg=f"patch ({r}, {c}) shift {shift}")
    assert not got[0, rows * cols:, p * p * 3:].any()   # padding tokens see nothing shifted


@pytest.mark.parametrize("shifted,locality", [(True, False), (False, True), (True, True)])
def test_the_encoder_with_the_small_data_options_keeps_its_shapes_and_ignores_padding(shifted, locality):
    p = 4
    encoder = ScreenshotEncoder(p * p * 3, 18, 16, 2, 2, 2.0, shifted_patches=shifted, locality_attention=locality,
                                rngs=nnx.Rngs(0))
    image = np.random.default_rng(1).uniform(-1, 1, (3 * p, 5 * p, 3)).astype(np.float32)
    patches, row, col, valid = _patch_grid(image, p, 18)
    tokens, pooled = encoder(patches, row, col, valid, jnp.zeros((1,), bool))
    assert tokens.shape == (1, 18, 16) and pooled.shape == (1, 16)
    other, _ = encoder(patches.at[:, 15:].set(7.0), row, col, valid, jnp.zeros((1,), bool))
    np.testing.assert_allclose(tokens[:, :15], other[:, :15], rtol=1e-5, atol=1e-5)
    if locality:
        assert all(block.attention.log_temperature is not None for block in encoder.blocks)


def test_shifted_patches_need_pixel_patches():
    with pytest.raises(ValueError, match="p x p RGB"):
        ScreenshotEncoder(10, 16, 16, 1, 2, 2.0, shifted_patches=True, rngs=nnx.Rngs(0))
