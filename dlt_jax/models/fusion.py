"""Fusion: html node tokens cross-attend to the screenshot's patch tokens.

Gives the per-slot condition `c_i` (what this node is and how it looks) and a
global `c_g` (the whole section) that drive the denoiser's adaLN. Before it,
`NodeLook` can add to each node's token the patches pooled inside its DOM box.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from dlt_jax.models.layers import Block, TreeBias, key_mask, masked_mean, roi_pool, roi_pool_weights


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


class NodeLook(nnx.Module):
    """What each node looks like: the screenshot's patch tokens RoI-pooled over a `k x k` grid of cells
    in the node's DOM box, projected to one token that is added to the node's html token.

    A slot whose box is not given (generated, or none) or whose screenshot is dropped gets a learned
    null token instead, so nothing of a generated box reaches the conditions. Two linear heads map
    the html token and the look into a shared space for the html-pixel alignment loss
    (`train.step.contrastive_loss`).
    """

    def __init__(self, dim: int, k: int, *, dtype: Any = jnp.float32, rngs: nnx.Rngs):
        self.k = k
        self.embed = nnx.Linear(k * k * dim, dim, dtype=dtype, rngs=rngs)
        self.null = nnx.Param(jax.random.normal(rngs.params(), (dim,)) * 0.02)
        self.html_head = nnx.Linear(dim, dim, dtype=dtype, rngs=rngs)
        self.look_head = nnx.Linear(dim, dim, dtype=dtype, rngs=rngs)

    def __call__(self, patches: jax.Array, patch_row: jax.Array, patch_col: jax.Array, patch_valid: jax.Array,
                 image_grid: jax.Array, boxes: jax.Array, seen: jax.Array) -> tuple[jax.Array, jax.Array]:
        """patches `b m d` (the screenshot encoder's tokens), patch_row/col/valid `b m`, image_grid `b 2`,
        boxes `b n 4` DOM boxes in [-1, 1], seen `b n` bool (box given and screenshot kept) ->
        (the look to add `b n d`, the look before the null `b n d`)."""
        boxes = jnp.where(seen[..., None], boxes, 0.0)   # an unread box may hold anything, even NaN
        weights = roi_pool_weights(boxes, patch_row, patch_col, patch_valid, image_grid, self.k)
        look = self.embed(roi_pool(patches, weights))
        null = self.null[...].astype(look.dtype)
        return jnp.where(seen[..., None], look, null), look

    def alignment(self, nodes: jax.Array, look: jax.Array) -> tuple[jax.Array, jax.Array]:
        """The html tokens and the looks `b n d` in the shared space of the alignment loss (float32)."""
        return self.html_head(nodes).astype(jnp.float32), self.look_head(look).astype(jnp.float32)
