"""Fusion: html node tokens cross-attend to the screenshot's patch tokens.

Gives the per-slot condition `c_i` (what this node is and how it looks) and a
global `c_g` (the whole section) that drive the denoiser's adaLN.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from dlt_jax.models.layers import Block, TreeBias, key_mask, masked_mean


class Fusion(nnx.Module):
    def __init__(self, dim: int, num_layers: int, num_heads: int, mlp_ratio: float, *, dtype: Any = jnp.float32,
                 implementation: str | None = None, rngs: nnx.Rngs):
        self.tree_bias = TreeBias(num_heads, rngs=rngs)
        self.blocks = nnx.List([Block(dim, num_heads, mlp_ratio, cross_attention=True, dtype=dtype,
                                      implementation=implementation, rngs=rngs) for _ in range(num_layers)])
        self.norm = nnx.LayerNorm(dim, dtype=dtype, rngs=rngs)
        self.global_html = nnx.Linear(dim, dim, dtype=dtype, rngs=rngs)
        self.global_image = nnx.Linear(dim, dim, dtype=dtype, rngs=rngs)

    def __call__(self, nodes: jax.Array, slot_valid: jax.Array, relations: jax.Array, patches: jax.Array,
                 patch_valid: jax.Array, pooled_image: jax.Array) -> tuple[jax.Array, jax.Array]:
        """nodes `b n d`, slot_valid `b n`, relations `b n n`, patches `b m d`, patch_valid `b m`,
        pooled_image `b d` -> (c_i `b n d`, c_g `b d`)."""
        tree_bias, mask, patch_mask = self.tree_bias(relations), key_mask(slot_valid), key_mask(patch_valid)
        for block in self.blocks:
            nodes = block(nodes, bias=tree_bias, mask=mask, context=patches, context_mask=patch_mask)
        c_i = self.norm(nodes)
        c_g = self.global_html(masked_mean(c_i, slot_valid)) + self.global_image(pooled_image)
        return c_i, c_g
