"""Screenshot encoder: Pix2Struct-style variable-grid patches (or precomputed features) through a ViT.

Patches keep the screenshot's aspect (the pipeline makes them); each token gets
learned row and column embeddings, padding tokens are masked out of attention.
Two options from "Vision Transformer for Small-Size Datasets" (Lee et al. 2021),
off by default: shifted patch tokenization (`model.vision.shifted_patches`) and
locality self-attention (`model.vision.locality_attention`, see `layers.Attention`).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from einops import rearrange
from flax import nnx

from dlt_jax.models.layers import Block, key_mask, masked_mean

VISION_ENCODERS = ("vit", "precomputed")
SHIFTS = 4  # shifted patch tokenization: the four diagonal half-patch shifts


def patch_side(input_dim: int) -> int:
    """The side p of `p x p` RGB patches of width `input_dim` (a ValueError if they are not)."""
    p = int(round((input_dim // 3) ** 0.5))
    if p * p * 3 != input_dim:
        raise ValueError(f"patches of width {input_dim} are not p x p RGB pixels")
    return p


def grid_neighbours(patches: jax.Array, patch_row: jax.Array, patch_col: jax.Array,
                    patch_valid: jax.Array) -> jax.Array:
    """The 3 x 3 neighbourhood of every patch of a row-major grid (the pipeline's): `b m d` ->
    `b m 3 3 d` (dy, dx from -1 to 1), zeros outside the screenshot, as if it were padded with black."""
    b, m, _ = patches.shape
    rows = jnp.max(jnp.where(patch_valid, patch_row, 0), axis=1)[:, None, None, None]   # b 1 1 1
    cols = jnp.max(jnp.where(patch_valid, patch_col, 0), axis=1)[:, None, None, None]
    offsets = jnp.arange(-1, 2)
    row = patch_row[:, :, None, None] + offsets[:, None]                                  # b m 3 1
    col = patch_col[:, :, None, None] + offsets[None, :]                                  # b m 1 3
    inside = (row >= 1) & (row <= rows) & (col >= 1) & (col <= cols) & patch_valid[:, :, None, None]
    index = jnp.where(inside, (row - 1) * cols + (col - 1), 0).reshape(b, m * 9)
    gathered = jnp.take_along_axis(patches, index[..., None], axis=1).reshape(b, m, 3, 3, -1)
    return jnp.where(inside[..., None], gathered, 0)


def shifted_patch_inputs(patches: jax.Array, patch_row: jax.Array, patch_col: jax.Array,
                    patch_valid: jax.Array) -> jax.Array:
    """Shifted patch tokenization on the patch grid: `b m (p p 3)` -> `b m (5 p p 3)`, each patch beside
    the four patches of the screenshot shifted by half a patch diagonally (up-left, up-right,
    down-left, down-right), rebuilt from the quadrants of its neighbours, so a token sees across the
    edges the grid cuts."""
    p = patch_side(patches.shape[-1])
    tile = rearrange(grid_neighbours(patches, patch_row, patch_col, patch_valid),
                     "b m i j (y x c) -> b m (i y) (j x) c", y=p, x=p)                   # b m 3p 3p 3
    half = p // 2
    windows = [tile[:, :, y0:y0 + p, x0:x0 + p] for y0 in (p - half, p + half) for x0 in (p - half, p + half)]
    shifted = rearrange(jnp.stack(windows, axis=2), "b m s y x c -> b m (s y x c)")
    return jnp.concatenate([patches, shifted.astype(patches.dtype)], axis=-1)


class ScreenshotEncoder(nnx.Module):
    """`b m d_in` patch pixels (or external features) -> `b m d` patch tokens and a `b d` pooled vector.

    With the screenshot dropped (classifier-free guidance), every token is a
    learned null token; the padding mask stays, so the shapes never change.
    """

    def __init__(self, input_dim: int, max_patches: int, dim: int, num_layers: int, num_heads: int,
                 mlp_ratio: float, *, shifted_patches: bool = False, locality_attention: bool = False,
                 dtype: Any = jnp.float32, implementation: str | None = None, rngs: nnx.Rngs):
        if shifted_patches:
            patch_side(input_dim)
            input_dim *= 1 + SHIFTS
        # as the paper's tokenizer: the concatenated patches are layer-normalised before the projection
        self.input_norm = nnx.LayerNorm(input_dim, dtype=dtype, rngs=rngs) if shifted_patches else None
        self.embed = nnx.Linear(input_dim, dim, dtype=dtype, rngs=rngs)
        # rows and columns are 1-based, 0 = padding; a grid has at most max_patches of either
        self.row_embed = nnx.Embed(max_patches + 1, dim, dtype=dtype, rngs=rngs)
        self.col_embed = nnx.Embed(max_patches + 1, dim, dtype=dtype, rngs=rngs)
        self.null_token = nnx.Param(jax.random.normal(rngs.params(), (dim,)) * 0.02)
        self.blocks = nnx.List([Block(dim, num_heads, mlp_ratio, locality_attention=locality_attention,
                                      dtype=dtype, implementation=implementation, rngs=rngs)
                                for _ in range(num_layers)])
        self.norm = nnx.LayerNorm(dim, dtype=dtype, rngs=rngs)

    def __call__(self, inputs: jax.Array, patch_row: jax.Array, patch_col: jax.Array, patch_valid: jax.Array,
                 drop: jax.Array) -> tuple[jax.Array, jax.Array]:
        """inputs `b m d_in`, patch_row/col `b m` int, patch_valid `b m` bool, drop `b` bool."""
        if self.input_norm is not None:
            inputs = self.input_norm(shifted_patch_inputs(inputs, patch_row, patch_col, patch_valid))
        tokens = self.embed(inputs)
        null = jnp.broadcast_to(self.null_token[...].astype(tokens.dtype), tokens.shape)
        tokens = jnp.where(drop[:, None, None], null, tokens)
        tokens = tokens + self.row_embed(patch_row) + self.col_embed(patch_col)
        mask = key_mask(patch_valid)
        for block in self.blocks:
            tokens = block(tokens, mask=mask)
        tokens = self.norm(tokens)
        return tokens, masked_mean(tokens, patch_valid)
