"""The DiT denoiser: noisy slots in, clean actions (logits) and boxes (x0) out, adaLN-Zero per slot.

Slot token = embed(noisy action) + linear(noisy box) + embeddings of the task
masks (which values are given). Each block is modulated per slot by
`t_emb + c_g + c_i`, attends over the slots (padding masked, learned tree
bias) and optionally to the screenshot patches; with `box_patch_bias` that
cross-attention gets a learned per-head bias towards the patches inside the slot's
(noisy or given) box, so a node can read the pixels it is drawn with. With
`box_pixels = k` the slot token also gets the screenshot's pixels under its box (mean
and spread of each cell of a `k x k` grid over the box, gathered from the patches; a
learned null token when the screenshot is dropped): text size, fill colour and
texture reach the slot without going through attention.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from dlt_jax.models.conditions import Conditions
from dlt_jax.models.layers import (BOX_PIXEL_STATS, AdaLNZeroBlock, FinalLayer, TimeEmbedding, TreeBias,
                                   box_pixel_stats, boxes_cover_patches, key_mask, masked_mean, zeros_init)


class Denoiser(nnx.Module):
    def __init__(self, vocab_size: int, num_element_types: int, dim: int, num_layers: int, num_heads: int,
                 mlp_ratio: float, *, cross_attention: bool, presence_head: bool, box_patch_bias: bool = False,
                 box_pixels: int = 0, dtype: Any = jnp.float32, implementation: str | None = None, rngs: nnx.Rngs):
        self.action_embed = nnx.Embed(vocab_size, dim, dtype=dtype, rngs=rngs)
        self.box_embed = nnx.Linear(4, dim, dtype=dtype, rngs=rngs)
        self.gen_action_embed = nnx.Embed(2, dim, dtype=dtype, rngs=rngs)
        self.gen_box_embed = nnx.Linear(4, dim, dtype=dtype, rngs=rngs)
        self.time = TimeEmbedding(dim, dtype=dtype, rngs=rngs)
        self.box_pixels = box_pixels
        self.pixel_embed = (nnx.Linear(box_pixels * box_pixels * BOX_PIXEL_STATS, dim, dtype=dtype, rngs=rngs)
                            if box_pixels else None)
        self.pixel_null = nnx.Param(jax.random.normal(rngs.params(), (dim,)) * 0.02) if box_pixels else None
        self.tree_bias = TreeBias(num_heads, rngs=rngs)
        self.blocks = nnx.List([AdaLNZeroBlock(dim, num_heads, mlp_ratio, cross_attention=cross_attention,
                                               dtype=dtype, implementation=implementation, rngs=rngs)
                                for _ in range(num_layers)])
        self.cross_attention = cross_attention
        self.box_patch_scale = (nnx.Param(jnp.ones((num_heads,))) if cross_attention and box_patch_bias else None)
        self.final = FinalLayer(dim, dtype=dtype, rngs=rngs)
        self.action_head = nnx.Linear(dim, vocab_size, kernel_init=zeros_init, dtype=dtype, rngs=rngs)
        self.box_head = nnx.Linear(dim, 4, kernel_init=zeros_init, dtype=dtype, rngs=rngs)
        self.presence = (nnx.Linear(dim, num_element_types, dtype=dtype, rngs=rngs) if presence_head else None)

    def __call__(self, conditions: Conditions, noisy_actions: jax.Array, noisy_boxes: jax.Array, u: jax.Array,
                 gen_action: jax.Array, gen_box: jax.Array, slot_valid: jax.Array,
                 with_presence: bool = False) -> tuple[jax.Array, jax.Array, jax.Array | None]:
        """conditions (`Conditions`: relations, c_i, c_g, patches; with box_pixels the raw patch pixels,
        image grid and image_present), noisy_actions `b n` int, noisy_boxes `b n 4`, u `b` time fraction,
        gen_action `b n`, gen_box `b n 4`, slot_valid `b n` -> action logits `b n V`, boxes `b n 4`,
        presence logits `b T` (with_presence and a presence head, else None), float32. The presence head is a
        training-only auxiliary: sampling leaves it out (biasing the types by it measured no gain)."""
        c_i, c_g, relations = conditions.c_i, conditions.c_g, conditions.relations
        pixels, image_grid, image_present = conditions.pixels, conditions.image_grid, conditions.image_present
        x = (self.action_embed(noisy_actions) + self.box_embed(noisy_boxes.astype(c_i.dtype))
             + self.gen_action_embed(gen_action.astype(jnp.int32)) + self.gen_box_embed(gen_box.astype(c_i.dtype)))
        if self.pixel_embed is not None:
            if pixels is None or image_grid is None or image_present is None:
                raise ValueError("model.box_pixels needs the raw screenshot patches (model.vision.encoder='vit')")
            seen = self.pixel_embed(box_pixel_stats(pixels, image_grid, noisy_boxes, self.box_pixels).astype(x.dtype))
            null = self.pixel_null[...].astype(x.dtype)
            x = x + jnp.where(image_present[:, None, None], seen, null)
        condition = self.time(u)[:, None, :] + c_g[:, None, :] + c_i
        bias, mask = self.tree_bias(relations), key_mask(slot_valid)
        context = conditions.patches if self.cross_attention else None
        context_mask = key_mask(conditions.patch_valid) if self.cross_attention else None
        context_bias = None
        if self.box_patch_scale is not None:
            cover = boxes_cover_patches(noisy_boxes, conditions.patch_centers)
            context_bias = (self.box_patch_scale[...][None, :, None, None] * cover[:, None]).astype(x.dtype)
        for block in self.blocks:
            x = block(x, condition, bias=bias, mask=mask, context=context, context_mask=context_mask,
                      context_bias=context_bias)
        x = self.final(x, condition)
        presence = None
        if with_presence and self.presence is not None:
            presence = self.presence(masked_mean(x, slot_valid)).astype(jnp.float32)
        return self.action_head(x).astype(jnp.float32), self.box_head(x).astype(jnp.float32), presence
