"""What each node looks like, read from its own pixel views (`data.crops`) by a small conv encoder.

The patch tokens are too coarse for text size or a button's fill on a real 1280 px section
(`data.crops` says why); each node's two `S x S` views at the stored canvas resolution go
through two stride-2 convolutions and a linear map to one token, added to the node's html
token before fusion. A slot whose DOM box is not given, or whose screenshot is dropped, gets
a learned null token, as `fusion.NodeLook` does.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from dlt_jax.data.crops import CHANNELS


class NodeCrops(nnx.Module):
    def __init__(self, size: int, dim: int, *, width: int = 32, dtype: Any = jnp.float32, rngs: nnx.Rngs):
        if size < 4 or size % 4:
            raise ValueError(f"data.node_crop must be a positive multiple of 4, got {size}")
        conv = dict(kernel_size=(3, 3), strides=(2, 2), padding="SAME", dtype=dtype, rngs=rngs)
        self.conv1 = nnx.Conv(CHANNELS, width, **conv)
        self.conv2 = nnx.Conv(width, 2 * width, **conv)
        self.embed = nnx.Linear((size // 4) ** 2 * 2 * width, dim, dtype=dtype, rngs=rngs)
        self.null = nnx.Param(jax.random.normal(rngs.params(), (dim,)) * 0.02)
        self.dtype = dtype

    def __call__(self, crops: jax.Array, seen: jax.Array) -> jax.Array:
        """crops `b n S S 6` uint8, seen `b n` bool (DOM box given, screenshot kept) -> `b n d`."""
        b, n = crops.shape[:2]
        x = crops.reshape(b * n, *crops.shape[2:]).astype(self.dtype) * (2.0 / 255.0) - 1.0
        x = jax.nn.gelu(self.conv1(x))
        x = jax.nn.gelu(self.conv2(x))
        look = self.embed(x.reshape(b, n, -1))
        return jnp.where(seen[..., None], look, self.null[...].astype(look.dtype))
