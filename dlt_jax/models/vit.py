"""Screenshot encoder: Pix2Struct-style variable-grid patches (or precomputed features) through a ViT.

Patches keep the screenshot's aspect (the pipeline makes them); each token gets
learned row and column embeddings, padding tokens are masked out of attention.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from dlt_jax.models.layers import Block, key_mask, masked_mean

VISION_ENCODERS = ("vit", "precomputed")


class ScreenshotEncoder(nnx.Module):
    """`b m d_in` patch pixels (or external features) -> `b m d` patch tokens and a `b d` pooled vector.

    With the screenshot dropped (classifier-free guidance), every token is a
    learned null token; the padding mask stays, so the shapes never change.
    """

    def __init__(self, input_dim: int, max_patches: int, dim: int, num_layers: int, num_heads: int,
                 mlp_ratio: float, *, dtype: Any = jnp.float32, implementation: str | None = None,
                 rngs: nnx.Rngs):
        self.embed = nnx.Linear(input_dim, dim, dtype=dtype, rngs=rngs)
        # rows and columns are 1-based, 0 = padding; a grid has at most max_patches of either
        self.row_embed = nnx.Embed(max_patches + 1, dim, dtype=dtype, rngs=rngs)
        self.col_embed = nnx.Embed(max_patches + 1, dim, dtype=dtype, rngs=rngs)
        self.null_token = nnx.Param(jax.random.normal(rngs.params(), (dim,)) * 0.02)
        self.blocks = nnx.List([Block(dim, num_heads, mlp_ratio, dtype=dtype, implementation=implementation,
                                      rngs=rngs) for _ in range(num_layers)])
        self.norm = nnx.LayerNorm(dim, dtype=dtype, rngs=rngs)

    def __call__(self, inputs: jax.Array, patch_row: jax.Array, patch_col: jax.Array, patch_valid: jax.Array,
                 drop: jax.Array) -> tuple[jax.Array, jax.Array]:
        """inputs `b m d_in`, patch_row/col `b m` int, patch_valid `b m` bool, drop `b` bool."""
        tokens = self.embed(inputs)
        null = jnp.broadcast_to(self.null_token[...].astype(tokens.dtype), tokens.shape)
        tokens = jnp.where(drop[:, None, None], null, tokens)
        tokens = tokens + self.row_embed(patch_row) + self.col_embed(patch_col)
        mask = key_mask(patch_valid)
        for block in self.blocks:
            tokens = block(tokens, mask=mask)
        tokens = self.norm(tokens)
        return tokens, masked_mean(tokens, patch_valid)
