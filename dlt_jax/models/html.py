"""Html node encoder: per-slot embeddings of the tokenizer's features, then tree-biased attention.

A node is the sum of embeddings of its tag, its classes (hashed words plus the
compact-CSS parts, averaged over the node's classes), its content kinds, depth,
sibling index and child count. Dropping the html features (classifier-free
guidance) replaces what the node *says* (tag, classes, content) by a learned
null vector and keeps where it *is* in the tree, which defines the slots.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from dlt_jax.models.layers import Block, TreeBias, key_mask

CSS_PART_FEATURES = ("css_device", "css_state", "css_property", "css_value", "css_unit")


def mean_over_present(embeddings: jax.Array, present: jax.Array) -> jax.Array:
    """`b n c d`, `b n c` bool -> `b n d`: mean over the present entries (0 where none)."""
    weights = present.astype(embeddings.dtype)[..., None]
    return (embeddings * weights).sum(axis=2) / jnp.maximum(weights.sum(axis=2), 1)


class HtmlEncoder(nnx.Module):
    """Html features of `b n` slots -> `b n d` node tokens (padding slots masked out of attention)."""

    def __init__(self, feature_sizes: Mapping[str, int], dim: int, num_layers: int, num_heads: int,
                 mlp_ratio: float, *, dtype: Any = jnp.float32, implementation: str | None = None,
                 rngs: nnx.Rngs):
        def embed(name: str) -> nnx.Embed:
            return nnx.Embed(feature_sizes[name], dim, dtype=dtype, rngs=rngs)

        self.tag = embed("tag_id")
        self.class_word = embed("class_ids")
        self.css_parts = nnx.List([embed(name) for name in CSS_PART_FEATURES])
        self.content = nnx.Linear(feature_sizes["content_kinds"], dim, dtype=dtype, rngs=rngs)
        self.depth = embed("depth")
        self.sibling_index = embed("sibling_index")
        self.child_count = embed("child_count")
        self.null_features = nnx.Param(jax.random.normal(rngs.params(), (dim,)) * 0.02)
        self.tree_bias = TreeBias(num_heads, rngs=rngs)
        self.blocks = nnx.List([Block(dim, num_heads, mlp_ratio, dtype=dtype, implementation=implementation,
                                      rngs=rngs) for _ in range(num_layers)])
        self.norm = nnx.LayerNorm(dim, dtype=dtype, rngs=rngs)

    def node_features(self, batch: Mapping[str, jax.Array], drop: jax.Array) -> jax.Array:
        """What each node says: tag + classes + content, `b n d` (null where `drop` `b`)."""
        classes = mean_over_present(self.class_word(batch["class_ids"]), batch["class_ids"] > 0)
        css = sum(embed(batch["css_parts"][..., i]) for i, embed in enumerate(self.css_parts))
        css = mean_over_present(css, batch["css_parts"][..., 0] > 0)
        said = self.tag(batch["tag_id"]) + classes + css + self.content(batch["content_kinds"].astype(classes.dtype))
        null = jnp.broadcast_to(self.null_features[...].astype(said.dtype), said.shape)
        return jnp.where(drop[:, None, None], null, said)

    def __call__(self, batch: Mapping[str, jax.Array], relations: jax.Array, drop: jax.Array) -> jax.Array:
        """batch: the pipeline's html features `b n ...`; relations `b n n`; drop `b` bool -> `b n d`."""
        tokens = (self.node_features(batch, drop) + self.depth(batch["depth"])
                  + self.sibling_index(batch["sibling_index"]) + self.child_count(batch["child_count"]))
        bias, mask = self.tree_bias(relations), key_mask(batch["slot_valid"])
        for block in self.blocks:
            tokens = block(tokens, bias=bias, mask=mask)
        return self.norm(tokens)
