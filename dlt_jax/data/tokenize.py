"""Html node features per slot: tag ids, class hashes, compact-CSS parts, content, tree position.

The tag vocabulary comes from the training split (most frequent first); any
other tag, and every class word, css property and value, goes to a stable
hash bucket (crc32, not Python's salted `hash`), so ids agree across
processes and runs. Id 0 is padding everywhere.
"""

from __future__ import annotations

import dataclasses
import functools
import zlib
from collections.abc import Mapping

import numpy as np

from dlt_jax.layout import CONTENT_KEYS, HtmlTree, decompose_class

CSS_DEVICES = ("", "tablet", "mobile")  # id = 1 + index; 0 = padding or not a compact class
CSS_STATES = ("", "hover")
CSS_UNITS = ("", "rem", "px", "%", "vw/vh")
CSS_PARTS = ("device", "state", "property", "value", "unit")


def stable_bucket(text: str, buckets: int, namespace: str) -> int:
    """1 + a stable hash of `namespace:text` modulo `buckets` (0 stays padding)."""
    return 1 + zlib.crc32(f"{namespace}:{text}".encode("utf-8")) % buckets


@dataclasses.dataclass(frozen=True)
class HtmlTokenizer:
    """Turns an html tree into fixed-shape integer features; sizes are fixed by configuration.

    Tag ids: 0 padding, `1..len(tags)` known tags, then `tag_hash_buckets`
    hashed ids for unknown tags; the table size is `1 + tag_vocab_size +
    tag_hash_buckets` whatever the data, so a model's shapes do not depend on it.
    """

    tags: tuple[str, ...] = ()  # known tags, lower case, most frequent first
    tag_vocab_size: int = 64
    tag_hash_buckets: int = 16
    max_classes: int = 8
    class_hash_buckets: int = 4096
    css_property_buckets: int = 64
    css_value_buckets: int = 256
    max_depth: int = 31
    max_position: int = 63

    def __post_init__(self):
        if any(tag != tag.lower() for tag in self.tags):
            raise ValueError("known tags must be lower case (tags are matched case-insensitively)")
        if len(self.tags) > self.tag_vocab_size:
            raise ValueError(f"{len(self.tags)} known tags, more than tag_vocab_size {self.tag_vocab_size}")
        if min(self.tag_hash_buckets, self.max_classes, self.class_hash_buckets,
               self.css_property_buckets, self.css_value_buckets) < 1:
            raise ValueError("hash buckets and max_classes must be positive")

    @classmethod
    def from_tag_counts(cls, tag_counts: Mapping[str, int], tag_vocab_size: int = 64, min_count: int = 1,
                        **options) -> "HtmlTokenizer":
        """The `tag_vocab_size` most frequent tags (ties by name) with at least `min_count` uses."""
        merged: dict[str, int] = {}
        for tag, count in tag_counts.items():
            merged[tag.lower()] = merged.get(tag.lower(), 0) + int(count)
        ranked = sorted((-count, tag) for tag, count in merged.items() if count >= min_count)
        return cls(tags=tuple(tag for _, tag in ranked[:tag_vocab_size]), tag_vocab_size=tag_vocab_size,
                   **options)

    @property
    def sizes(self) -> dict[str, int]:
        """Embedding table size of each feature (ids are in [0, size))."""
        return {
            "tag_id": 1 + self.tag_vocab_size + self.tag_hash_buckets,
            "class_ids": 1 + self.class_hash_buckets,
            "css_device": 1 + len(CSS_DEVICES),
            "css_state": 1 + len(CSS_STATES),
            "css_property": 1 + self.css_property_buckets,
            "css_value": 1 + self.css_value_buckets,
            "css_unit": 1 + len(CSS_UNITS),
            "content_kinds": len(CONTENT_KEYS),
            "depth": self.max_depth + 1,
            "sibling_index": self.max_position + 1,
            "child_count": self.max_position + 1,
        }

    def tag_id(self, tag: str) -> int:
        tag = tag.lower()
        known = self._tag_ids.get(tag)
        if known is not None:
            return known
        return self.tag_vocab_size + stable_bucket(tag, self.tag_hash_buckets, "tag")

    def class_features(self, name: str) -> tuple[int, tuple[int, int, int, int, int]]:
        """(class word id, compact-CSS part ids); parts are all 0 for an opaque word."""
        word = stable_bucket(name, self.class_hash_buckets, "class")
        compact = decompose_class(name)
        if compact is None:
            return word, (0, 0, 0, 0, 0)
        return word, (1 + CSS_DEVICES.index(compact.device), 1 + CSS_STATES.index(compact.state),
                      stable_bucket(compact.property, self.css_property_buckets, "css_property"),
                      stable_bucket(compact.value, self.css_value_buckets, "css_value"),
                      1 + CSS_UNITS.index(compact.unit))

    def tokenize(self, tree: HtmlTree, max_slots: int) -> dict[str, np.ndarray]:
        """Per-slot features of `tree` padded to `max_slots` (N) slots, C = max_classes.

        tag_id `N`, class_ids `N C`, css_parts `N C 5` (CSS_PARTS order),
        content_kinds `N K` bool (CONTENT_KEYS), depth / sibling_index /
        child_count `N` (clipped), parent_slot `N` (-1 for top-level nodes and padding).
        Classes after the first C of a node are left out.
        """
        if len(tree) > max_slots:
            raise ValueError(f"{len(tree)} html nodes, more than max_slots {max_slots}")
        n, c = max_slots, self.max_classes
        features = {
            "tag_id": np.zeros(n, np.int32),
            "class_ids": np.zeros((n, c), np.int32),
            "css_parts": np.zeros((n, c, len(CSS_PARTS)), np.int32),
            "content_kinds": np.zeros((n, len(CONTENT_KEYS)), bool),
            "depth": np.zeros(n, np.int32),
            "sibling_index": np.zeros(n, np.int32),
            "child_count": np.zeros(n, np.int32),
            "parent_slot": np.full(n, -1, np.int32),
        }
        for node in tree.nodes:
            i = node.index
            features["tag_id"][i] = self.tag_id(node.tag)
            for position, name in enumerate(node.classes[:c]):
                word, parts = self.class_features(name)
                features["class_ids"][i, position] = word
                features["css_parts"][i, position] = parts
            for kind in node.content_kinds:
                features["content_kinds"][i, CONTENT_KEYS.index(kind)] = True
            features["depth"][i] = min(node.depth, self.max_depth)
            features["sibling_index"][i] = min(node.sibling_index, self.max_position)
            features["child_count"][i] = min(node.child_count, self.max_position)
            features["parent_slot"][i] = -1 if node.parent is None else node.parent
        return features

    @functools.cached_property
    def _tag_ids(self) -> dict[str, int]:
        return {tag: 1 + i for i, tag in enumerate(self.tags)}
