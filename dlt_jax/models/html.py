"""Html node encoder: per-slot embeddings of the tokenizer's features, then tree-biased attention.

A node is the sum of embeddings of what it *says* (tag, classes: hashed whole
words, hashed parts and the compact-CSS parts, each averaged over the node's
entries, content kinds of its own and below it, text length, inline text, the
geometry of its DOM box and, where the tokenizer gives it, the action the rule
baseline gives it: a prior that holds on every site) and of where it *is* in
the tree (depth, sibling index, child count, sibling count, descendant count).
Dropping the html features (classifier-free guidance) replaces what the node
says by a learned null vector and keeps where it is, which defines the slots. A
feature left out of `feature_sizes` (a tokenizer switch, or a checkpoint made
before it existed) gets no parameters and is not read.
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


def geometry_given(batch: Mapping[str, jax.Array]) -> jax.Array:
    """`b n` bool: where the box geometry features may be read: the node has them and no box of its
    example is generated (`gen_box` of a valid slot).

    The geometry is a condition read from the DOM boxes, which are the box
    targets too, so a generated box must not be readable from it; per example,
    not per node, as a node's box relative to its parent tells the parent's.
    The rule sits here, on the task masks the denoiser is given, rather than in
    the data pipeline, so that it holds for every batch: training strategies
    (only `action` gives every box), evaluation, and inference that builds its
    own masks (`predict` with DOM boxes reads the geometry, boxes generated
    does not, whatever the record holds). A batch whose masks are later set
    to "boxes given" (one-pass boxes-given evaluation) reads it too.
    """
    generated = jnp.any(batch["gen_box"] & batch["slot_valid"][..., None], axis=(1, 2))
    return batch["geometry_valid"] & ~generated[:, None]


class HtmlEncoder(nnx.Module):
    """Html features of `b n` slots -> `b n d` node tokens (padding slots masked out of attention)."""

    def __init__(self, feature_sizes: Mapping[str, int], dim: int, num_layers: int, num_heads: int,
                 mlp_ratio: float, *, dtype: Any = jnp.float32, implementation: str | None = None,
                 rngs: nnx.Rngs):
        def embed(name: str) -> nnx.Embed | None:
            if name not in feature_sizes:
                return None
            return nnx.Embed(feature_sizes[name], dim, dtype=dtype, rngs=rngs)

        def linear(name: str, extra: int = 0) -> nnx.Linear | None:
            if name not in feature_sizes:
                return None
            return nnx.Linear(feature_sizes[name] + extra, dim, dtype=dtype, rngs=rngs)

        self.tag = embed("tag_id")
        self.class_word = embed("class_ids")
        self.class_part = embed("class_part_ids")
        self.css_parts = nnx.List([embed(name) for name in CSS_PART_FEATURES])
        self.content = linear("content_kinds")
        self.descendant_content = linear("descendant_content")
        self.text_length = embed("text_length")
        self.inline_text = embed("inline_text")
        self.geometry = linear("geometry", extra=1)  # + the valid flag
        self.alignment = embed("alignment")
        self.rule_action = embed("rule_action")
        self.depth = embed("depth")
        self.sibling_index = embed("sibling_index")
        self.child_count = embed("child_count")
        self.sibling_count = embed("sibling_count")
        self.descendant_count = embed("descendant_count")
        self.null_features = nnx.Param(jax.random.normal(rngs.params(), (dim,)) * 0.02)
        self.tree_bias = TreeBias(num_heads, rngs=rngs)
        self.blocks = nnx.List([Block(dim, num_heads, mlp_ratio, dtype=dtype, implementation=implementation,
                                      rngs=rngs) for _ in range(num_layers)])
        self.norm = nnx.LayerNorm(dim, dtype=dtype, rngs=rngs)

    def node_features(self, batch: Mapping[str, jax.Array], drop: jax.Array) -> jax.Array:
        """What each node says: tag + classes + content + geometry, `b n d` (null where `drop` `b`)."""
        said = self.tag(batch["tag_id"])
        dtype = said.dtype
        if self.class_word is not None:
            said += mean_over_present(self.class_word(batch["class_ids"]), batch["class_ids"] > 0)
        if self.class_part is not None:
            said += mean_over_present(self.class_part(batch["class_part_ids"]), batch["class_part_ids"] > 0)
        css = sum(embed(batch["css_parts"][..., i]) for i, embed in enumerate(self.css_parts))
        said += mean_over_present(css, batch["css_parts"][..., 0] > 0)
        said += self.content(batch["content_kinds"].astype(dtype))
        if self.descendant_content is not None:
            said += self.descendant_content(batch["descendant_content"].astype(dtype))
        if self.text_length is not None:
            said += self.text_length(batch["text_length"])
        if self.inline_text is not None:
            said += self.inline_text(batch["inline_text"].astype(jnp.int32))
        if self.rule_action is not None:
            said += self.rule_action(batch["rule_action"])
        if self.geometry is not None:
            given = geometry_given(batch)
            geometry = jnp.where(given[..., None], batch["geometry"], 0).astype(dtype)
            said += self.geometry(jnp.concatenate([geometry, given[..., None].astype(dtype)], axis=-1))
            said += self.alignment(jnp.where(given, batch["alignment"], 0))
        null = jnp.broadcast_to(self.null_features[...].astype(said.dtype), said.shape)
        return jnp.where(drop[:, None, None], null, said)

    def tree_position(self, batch: Mapping[str, jax.Array]) -> jax.Array:
        """Where each node is: depth + sibling index + child, sibling and descendant counts, `b n d`."""
        position = (self.depth(batch["depth"]) + self.sibling_index(batch["sibling_index"])
                    + self.child_count(batch["child_count"]))
        for name in ("sibling_count", "descendant_count"):
            embed = getattr(self, name)
            if embed is not None:
                position += embed(batch[name])
        return position

    def __call__(self, batch: Mapping[str, jax.Array], relations: jax.Array, drop: jax.Array) -> jax.Array:
        """batch: the pipeline's html features `b n ...` and `gen_box`; relations `b n n`; drop `b` bool -> `b n d`."""
        tokens = self.node_features(batch, drop) + self.tree_position(batch)
        bias, mask = self.tree_bias(relations), key_mask(batch["slot_valid"])
        for block in self.blocks:
            tokens = block(tokens, bias=bias, mask=mask)
        return self.norm(tokens)
