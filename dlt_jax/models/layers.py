"""Building blocks shared by the encoders and the denoiser: attention, MLP, pre-LN and adaLN-Zero blocks.

Attention goes through `jax.nn.dot_product_attention`, so a GPU can take the
fused cuDNN kernel (`implementation='cudnn'`) and a CPU the XLA one. Modules
compute in `dtype` (e.g. bfloat16) and keep float32 parameters.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
from einops import rearrange
from flax import nnx

# Tree relations between two slots, the buckets of the learned tree attention bias (DESIGN §3).
TREE_RELATIONS = ("self", "parent", "child", "sibling", "other")

zeros_init = nnx.initializers.zeros_init()


def tree_relations(parent_slot: jax.Array) -> jax.Array:
    """`b n` parent slot (-1: none) -> `b n n` relation of key j to query i, indexing TREE_RELATIONS."""
    n = parent_slot.shape[-1]
    slots = jnp.arange(n)
    query_parent = parent_slot[:, :, None]
    key_parent = parent_slot[:, None, :]
    is_self = slots[:, None] == slots[None, :]
    is_parent = query_parent == slots[None, None, :]       # key j is the parent of query i
    is_child = key_parent == slots[None, :, None]          # key j is a child of query i
    is_sibling = (query_parent == key_parent) & ~is_self
    return jnp.select([is_self, is_parent, is_child, is_sibling], [0, 1, 2, 3], 4).astype(jnp.int32)


def key_mask(key_valid: jax.Array) -> jax.Array:
    """`b k` bool -> `b 1 1 k`: every query attends to the valid keys (padding queries too, so no row is
    empty; their outputs are never read)."""
    return key_valid[:, None, None, :]


def not_self_mask(n: int) -> jax.Array:
    """`1 1 n n` bool: False on the diagonal (a token does not attend to itself)."""
    return ~jnp.eye(n, dtype=bool)[None, None]


def modulate(x: jax.Array, shift: jax.Array, scale: jax.Array) -> jax.Array:
    return x * (1 + scale) + shift


class Attention(nnx.Module):
    """Multi-head attention of `x` to `context` (itself when None) with an optional bias and mask.

    With `locality` (Locality Self-Attention, Lee et al. 2021, for ViTs on small data sets) each head
    learns its softmax temperature (a factor exp(s_h) on the queries, s_h = 0 at init) and, in
    self-attention, no token attends to itself, which sharpens attention onto the other tokens.
    """

    def __init__(self, dim: int, num_heads: int, *, locality: bool = False, dtype: Any = jnp.float32,
                 implementation: str | None = None, rngs: nnx.Rngs):
        if dim % num_heads:
            raise ValueError(f"model dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.implementation = implementation
        self.log_temperature = nnx.Param(jnp.zeros((num_heads,))) if locality else None
        self.query = nnx.Linear(dim, dim, dtype=dtype, rngs=rngs)
        self.key_value = nnx.Linear(dim, 2 * dim, dtype=dtype, rngs=rngs)
        self.out = nnx.Linear(dim, dim, dtype=dtype, rngs=rngs)

    def __call__(self, x: jax.Array, context: jax.Array | None = None, *, bias: jax.Array | None = None,
                 mask: jax.Array | None = None) -> jax.Array:
        """x `b q d`, context `b k d`, bias `b h q k` (float), mask `b 1 q k` (bool) -> `b q d`."""
        q = rearrange(self.query(x), "b q (h d) -> b q h d", h=self.num_heads)
        if self.log_temperature is not None:
            q = q * jnp.exp(self.log_temperature[...]).astype(q.dtype)[:, None]
            if context is None:
                mask = not_self_mask(x.shape[1]) if mask is None else mask & not_self_mask(x.shape[1])
        context = x if context is None else context
        k, v = rearrange(self.key_value(context), "b k (two h d) -> two b k h d", two=2, h=self.num_heads)
        if bias is not None:
            bias = bias.astype(q.dtype)
        out = jax.nn.dot_product_attention(q, k, v, bias=bias, mask=mask, implementation=self.implementation)
        return self.out(rearrange(out, "b q h d -> b q (h d)"))


class Mlp(nnx.Module):
    def __init__(self, dim: int, hidden: int, *, dtype: Any = jnp.float32, rngs: nnx.Rngs):
        self.fc1 = nnx.Linear(dim, hidden, dtype=dtype, rngs=rngs)
        self.fc2 = nnx.Linear(hidden, dim, dtype=dtype, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.fc2(jax.nn.gelu(self.fc1(x)))


class TreeBias(nnx.Module):
    """A learned attention bias per head for each tree relation (self, parent, child, sibling, other)."""

    def __init__(self, num_heads: int, *, rngs: nnx.Rngs):
        self.table = nnx.Embed(len(TREE_RELATIONS), num_heads, embedding_init=zeros_init, rngs=rngs)

    def __call__(self, relations: jax.Array) -> jax.Array:
        """`b n n` relations -> `b h n n` bias."""
        return rearrange(self.table(relations), "b q k h -> b h q k")


class Block(nnx.Module):
    """Pre-LN transformer block: self-attention (optionally locality self-attention), optional
    cross-attention to a context, MLP."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float, *, cross_attention: bool = False,
                 locality_attention: bool = False, dtype: Any = jnp.float32, implementation: str | None = None,
                 rngs: nnx.Rngs):
        self.norm1 = nnx.LayerNorm(dim, dtype=dtype, rngs=rngs)
        self.attention = Attention(dim, num_heads, locality=locality_attention, dtype=dtype,
                                   implementation=implementation, rngs=rngs)
        self.norm_cross = nnx.LayerNorm(dim, dtype=dtype, rngs=rngs) if cross_attention else None
        self.cross = (Attention(dim, num_heads, dtype=dtype, implementation=implementation, rngs=rngs)
                      if cross_attention else None)
        self.norm2 = nnx.LayerNorm(dim, dtype=dtype, rngs=rngs)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), dtype=dtype, rngs=rngs)

    def __call__(self, x: jax.Array, *, bias: jax.Array | None = None, mask: jax.Array | None = None,
                 context: jax.Array | None = None, context_mask: jax.Array | None = None) -> jax.Array:
        x = x + self.attention(self.norm1(x), bias=bias, mask=mask)
        if self.cross is not None:
            x = x + self.cross(self.norm_cross(x), context, mask=context_mask)
        return x + self.mlp(self.norm2(x))


class AdaLNZeroBlock(nnx.Module):
    """DiT block with adaLN-Zero modulation computed per slot from a condition `c` `b n d`.

    The modulation is zero-initialised, so every gate is 0 and the block is the
    identity at initialisation (DiT's adaLN-Zero).
    """

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float, *, cross_attention: bool = False,
                 dtype: Any = jnp.float32, implementation: str | None = None, rngs: nnx.Rngs):
        norm = dict(use_bias=False, use_scale=False, dtype=dtype, rngs=rngs)
        self.norm1 = nnx.LayerNorm(dim, **norm)
        self.attention = Attention(dim, num_heads, dtype=dtype, implementation=implementation, rngs=rngs)
        self.norm_cross = nnx.LayerNorm(dim, **norm) if cross_attention else None
        self.cross = (Attention(dim, num_heads, dtype=dtype, implementation=implementation, rngs=rngs)
                      if cross_attention else None)
        self.norm2 = nnx.LayerNorm(dim, **norm)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), dtype=dtype, rngs=rngs)
        self.chunks = 9 if cross_attention else 6
        self.modulation = nnx.Linear(dim, self.chunks * dim, kernel_init=zeros_init, dtype=dtype, rngs=rngs)

    def __call__(self, x: jax.Array, condition: jax.Array, *, bias: jax.Array | None = None,
                 mask: jax.Array | None = None, context: jax.Array | None = None,
                 context_mask: jax.Array | None = None, context_bias: jax.Array | None = None) -> jax.Array:
        """x, condition `b n d`; bias `b h n n`; mask `b 1 n n`; context `b m d`; context_mask `b 1 n m`;
        context_bias `b h n m`."""
        parts = jnp.split(self.modulation(jax.nn.silu(condition)), self.chunks, axis=-1)
        shift_a, scale_a, gate_a, shift_m, scale_m, gate_m = parts[:6]
        x = x + gate_a * self.attention(modulate(self.norm1(x), shift_a, scale_a), bias=bias, mask=mask)
        if self.cross is not None:
            shift_c, scale_c, gate_c = parts[6:]
            x = x + gate_c * self.cross(modulate(self.norm_cross(x), shift_c, scale_c), context, bias=context_bias,
                                        mask=context_mask)
        return x + gate_m * self.mlp(modulate(self.norm2(x), shift_m, scale_m))


class FinalLayer(nnx.Module):
    """DiT's last adaLN (zero-initialised shift/scale) before the output heads."""

    def __init__(self, dim: int, *, dtype: Any = jnp.float32, rngs: nnx.Rngs):
        self.norm = nnx.LayerNorm(dim, use_bias=False, use_scale=False, dtype=dtype, rngs=rngs)
        self.modulation = nnx.Linear(dim, 2 * dim, kernel_init=zeros_init, dtype=dtype, rngs=rngs)

    def __call__(self, x: jax.Array, condition: jax.Array) -> jax.Array:
        shift, scale = jnp.split(self.modulation(jax.nn.silu(condition)), 2, axis=-1)
        return modulate(self.norm(x), shift, scale)


def timestep_embedding(u: jax.Array, dim: int, max_period: float = 10_000.0) -> jax.Array:
    """`b` time fractions in [0, 1] -> `b dim` sinusoidal features of 1000 u (DDPM's step scale)."""
    half = dim // 2
    frequencies = jnp.exp(-math.log(max_period) * jnp.arange(half, dtype=jnp.float32) / half)
    angles = 1000.0 * u.astype(jnp.float32)[:, None] * frequencies[None, :]
    embedding = jnp.concatenate([jnp.cos(angles), jnp.sin(angles)], axis=-1)
    if dim % 2:
        embedding = jnp.pad(embedding, ((0, 0), (0, 1)))
    return embedding


class TimeEmbedding(nnx.Module):
    """Sinusoidal time features through a two-layer MLP."""

    def __init__(self, dim: int, frequency_dim: int = 256, *, dtype: Any = jnp.float32, rngs: nnx.Rngs):
        self.frequency_dim = frequency_dim
        self.fc1 = nnx.Linear(frequency_dim, dim, dtype=dtype, rngs=rngs)
        self.fc2 = nnx.Linear(dim, dim, dtype=dtype, rngs=rngs)

    def __call__(self, u: jax.Array) -> jax.Array:
        return self.fc2(jax.nn.silu(self.fc1(timestep_embedding(u, self.frequency_dim))))


def patch_centers(patch_row: jax.Array, patch_col: jax.Array, image_grid: jax.Array) -> jax.Array:
    """`b m` 1-based rows/cols and `b 2` (rows, cols) -> `b m 2` patch centres (x, y) in [0, 1] of the screenshot."""
    rows = jnp.maximum(image_grid[:, 0:1], 1).astype(jnp.float32)
    cols = jnp.maximum(image_grid[:, 1:2], 1).astype(jnp.float32)
    return jnp.stack([(patch_col - 0.5) / cols, (patch_row - 0.5) / rows], axis=-1)


def boxes_cover_patches(boxes: jax.Array, centers: jax.Array) -> jax.Array:
    """`b n 4` boxes (cx, cy, w, h) in [-1, 1] targets and `b m 2` patch centres in [0, 1] -> `b n m`:
    1.0 where the patch centre lies inside the box (the pixels a slot's element is drawn with)."""
    unit = (boxes.astype(jnp.float32) + 1.0) / 2.0
    dx = jnp.abs(centers[:, None, :, 0] - unit[:, :, None, 0])
    dy = jnp.abs(centers[:, None, :, 1] - unit[:, :, None, 1])
    inside = (dx <= unit[:, :, None, 2] / 2) & (dy <= unit[:, :, None, 3] / 2)
    return inside.astype(jnp.float32)


def box_pixels(patches: jax.Array, image_grid: jax.Array, boxes: jax.Array, k: int) -> jax.Array:
    """The screenshot's pixels under each box, on a `k x k` grid of cell centres (nearest pixel).

    patches `b m (p p 3)` raw pixels of a row-major `rows x cols` patch grid (the pipeline's), image_grid
    `b 2` (rows, cols), boxes `b n 4` (cx, cy, w, h) in [-1, 1] -> `b n k k 3`. Read straight from the
    patches, so the sample costs a gather and no image is rebuilt.
    """
    b, m, d = patches.shape
    p = int(round((d // 3) ** 0.5))
    if p * p * 3 != d:
        raise ValueError(f"patches of width {d} are not p x p RGB pixels")
    rows = jnp.maximum(image_grid[:, 0], 1)[:, None, None]
    cols = jnp.maximum(image_grid[:, 1], 1)[:, None, None]
    unit = (boxes.astype(jnp.float32) + 1.0) / 2.0
    steps = (jnp.arange(k, dtype=jnp.float32) + 0.5) / k - 0.5                       # k offsets in (-0.5, 0.5)
    xs = jnp.clip(unit[..., 0:1] + steps * unit[..., 2:3], 0.0, 1.0 - 1e-6)           # b n k
    ys = jnp.clip(unit[..., 1:2] + steps * unit[..., 3:4], 0.0, 1.0 - 1e-6)
    px = jnp.floor(xs * (cols * p)).astype(jnp.int32)                                 # pixel column, b n k
    py = jnp.floor(ys * (rows * p)).astype(jnp.int32)
    patch = (py // p)[..., :, None] * cols[..., None] + (px // p)[..., None, :]      # b n k(y) k(x)
    inner = ((py % p)[..., :, None] * p + (px % p)[..., None, :]) * 3
    flat = (jnp.minimum(patch, m - 1) * d + inner)[..., None] + jnp.arange(3)        # b n k k 3
    values = jnp.take_along_axis(patches.reshape(b, m * d), flat.reshape(b, -1), axis=1)
    return values.reshape(*boxes.shape[:2], k, k, 3)


BOX_PIXEL_STATS = 6  # per cell: the mean and the standard deviation of R, G, B


def box_pixel_stats(patches: jax.Array, image_grid: jax.Array, boxes: jax.Array, k: int,
                    samples: int = 4) -> jax.Array:
    """Per cell of a `k x k` grid over each box, the mean and standard deviation of its pixels
    (`samples x samples` of them): ink density, fill colour and texture, robust to where strokes fall.
    Same inputs as `box_pixels` -> `b n (k k BOX_PIXEL_STATS)`."""
    points = box_pixels(patches, image_grid, boxes, k * samples)                      # b n (k s) (k s) 3
    cells = points.reshape(*points.shape[:2], k, samples, k, samples, 3)
    mean, std = cells.mean(axis=(3, 5)), cells.std(axis=(3, 5))                       # b n k k 3
    return jnp.concatenate([mean, std], axis=-1).reshape(*points.shape[:2], k * k * BOX_PIXEL_STATS)


def masked_mean(x: jax.Array, valid: jax.Array) -> jax.Array:
    """`b n d`, `b n` bool -> `b d`, the mean over valid positions (0 where none)."""
    weights = valid.astype(x.dtype)[..., None]
    return (x * weights).sum(axis=1) / jnp.maximum(weights.sum(axis=1), 1)


def roi_cells(boxes: jax.Array, k: int) -> jax.Array:
    """`b n 4` boxes (cx, cy, w, h) in [-1, 1] -> `b n (k k) 4` cells (x0, y0, x1, y1) in [0, 1] of the
    screenshot: a `k x k` grid over each box, row-major (y, then x)."""
    unit = (boxes.astype(jnp.float32) + 1.0) / 2.0
    edges = jnp.arange(k + 1, dtype=jnp.float32) / k - 0.5                          # k + 1 offsets in [-0.5, 0.5]
    xs = unit[..., 0:1] + edges * unit[..., 2:3]                                     # b n (k + 1)
    ys = unit[..., 1:2] + edges * unit[..., 3:4]
    x0, y0, x1, y1 = jnp.broadcast_arrays(xs[..., None, :-1], ys[..., :-1, None], xs[..., None, 1:],
                                          ys[..., 1:, None])                         # b n k(y) k(x)
    return jnp.stack([x0, y0, x1, y1], axis=-1).reshape(*boxes.shape[:2], k * k, 4)


def roi_pool_weights(boxes: jax.Array, patch_row: jax.Array, patch_col: jax.Array, patch_valid: jax.Array,
                     image_grid: jax.Array, k: int) -> jax.Array:
    """Weights that pool patch tokens over a `k x k` grid of cells in each box (RoI pooling).

    boxes `b n 4` (cx, cy, w, h) in [-1, 1]; patch_row/col `b m` 1-based; patch_valid `b m`; image_grid
    `b 2` (rows, cols) -> `b n (k k) m`, each row summing to 1. A cell holding patch centres averages
    those patches (masked mean); a cell holding none (a box smaller than a patch, or a thin one) reads
    the patch grid bilinearly at the cell's centre, so every cell of every box gets a value.
    """
    centers = patch_centers(patch_row, patch_col, image_grid)                       # b m 2
    cells = roi_cells(boxes, k)                                                      # b n c 4
    x, y = centers[:, None, None, :, 0], centers[:, None, None, :, 1]                # b 1 1 m
    inside = ((x >= cells[..., 0:1]) & (x < cells[..., 2:3]) & (y >= cells[..., 1:2]) & (y < cells[..., 3:4])
              & patch_valid[:, None, None, :]).astype(jnp.float32)                    # b n c m
    count = inside.sum(axis=-1, keepdims=True)
    rows = jnp.maximum(image_grid[:, 0], 1).astype(jnp.float32)[:, None, None, None]
    cols = jnp.maximum(image_grid[:, 1], 1).astype(jnp.float32)[:, None, None, None]
    # cell centre in patch-grid units (patch j's centre at j), clamped to the grid: a tent per patch
    grid_x = jnp.clip((cells[..., 0:1] + cells[..., 2:3]) / 2 * cols - 0.5, 0.0, cols - 1)
    grid_y = jnp.clip((cells[..., 1:2] + cells[..., 3:4]) / 2 * rows - 0.5, 0.0, rows - 1)
    tent = (jnp.maximum(0.0, 1.0 - jnp.abs(grid_x - (patch_col[:, None, None, :] - 1)))
            * jnp.maximum(0.0, 1.0 - jnp.abs(grid_y - (patch_row[:, None, None, :] - 1)))
            * patch_valid[:, None, None, :])
    bilinear = tent / jnp.maximum(tent.sum(axis=-1, keepdims=True), 1e-6)
    return jnp.where(count > 0, inside / jnp.maximum(count, 1.0), bilinear)


def roi_pool(tokens: jax.Array, weights: jax.Array) -> jax.Array:
    """`b m d` patch tokens and `b n c m` weights (`roi_pool_weights`) -> `b n (c d)` pooled cells."""
    pooled = jnp.einsum("bncm,bmd->bncd", weights.astype(tokens.dtype), tokens)
    return rearrange(pooled, "b n c d -> b n (c d)")
