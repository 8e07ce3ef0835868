"""Html node features per slot: tag ids, classes (whole and in parts), compact-CSS parts, content, tree
position, and the geometry of the DOM boxes (DESIGN §3, §10).

The tag vocabulary comes from the training split (most frequent first); any
other tag, and every class word, class part, css property and value, goes to a
stable hash bucket (crc32, not Python's salted `hash`), so ids agree across
processes and runs. Id 0 is padding everywhere. Class parts, content and
geometry are what holds on every site: `col-md-4` reads as col, md, 4 and a
CSS-modules hash as the one token `<hashed>`, whatever the site's vocabulary.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re
import zlib
from collections.abc import Mapping, Sequence

import numpy as np

from dlt_jax.evaluation.baseline import rule_actions
from dlt_jax.layout import CONTENT_KEYS, DEFAULT_VOCAB, HtmlTree, decompose_class

CSS_DEVICES = ("", "tablet", "mobile")  # id = 1 + index; 0 = padding or not a compact class
CSS_STATES = ("", "hover")
CSS_UNITS = ("", "rem", "px", "%", "vw/vh")
CSS_PARTS = ("device", "state", "property", "value", "unit")

# Class parts: ids 1.. are these tokens, then the hashed buckets. Renaming (augmentation) keeps them.
HASHED = "<hashed>"      # a generated name (CSS modules, CSS-in-JS): one token, never its string
NUMBER = "<num>"         # a number above MAX_PART_NUMBER
MAX_PART_NUMBER = 12     # 0..12 keep their value (grid columns, fractions)
RESERVED_PARTS = (HASHED, NUMBER) + tuple(str(i) for i in range(MAX_PART_NUMBER + 1))
FIRST_HASHED_PART = 1 + len(RESERVED_PARTS)  # the first part id that hashes a word

# Geometry of a node's DOM box (`geometry`, N G float32), zero where `geometry_valid` is False.
GEOMETRY_FEATURES = ("parent_x", "parent_y", "parent_w", "parent_h",
                     "section_x", "section_y", "section_w", "section_h", "log_aspect")
GEOMETRY_CLIP = (-0.5, 1.5)   # relative positions and sizes; a child may overflow its parent a little
LOG_ASPECT_SCALE = 4.0        # log(w / h) / 4, clipped to [-1, 1]: ~55:1 saturates
ALIGNMENTS = ("left", "centre", "right", "row")  # bit i of `alignment - 1`: shared with some sibling
TEXT_LENGTH_EDGES = (0, 20, 80, 200)  # own text: 0, 1-20, 21-80, 81-200, > 200 characters; id = 1 + bucket
MAX_DESCENDANT_BUCKET = 8     # descendant_count = bit length of the count: 0, 1, 2-3, 4-7, ..., >= 128
INLINE_TAGS = frozenset({"a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em",
                         "font", "i", "ins", "kbd", "label", "mark", "q", "s", "samp", "small", "span",
                         "strong", "sub", "sup", "time", "u", "var", "wbr"})

# Every per-slot feature `tokenize` returns, and what pads it.
FEATURE_PADDING = {
    "tag_id": 0, "class_ids": 0, "css_parts": 0, "class_part_ids": 0, "content_kinds": False,
    "descendant_content": False, "text_length": 0, "inline_text": False, "depth": 0, "sibling_index": 0,
    "child_count": 0, "sibling_count": 0, "descendant_count": 0, "parent_slot": -1,
    "geometry": 0.0, "geometry_valid": False, "alignment": 0, "rule_action": 0,
}

_HASH_PREFIX = re.compile(r"(?:css|sc|jsx|emotion|svelte)-(?=[a-z0-9]*[A-Z0-9])[A-Za-z0-9]{4,}(?![A-Za-z0-9])")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")  # camelCase and letter/digit boundaries
_compact_class = functools.lru_cache(maxsize=1 << 16)(decompose_class)  # class names repeat a lot


def stable_bucket(text: str, buckets: int, namespace: str) -> int:
    """1 + a stable hash of `namespace:text` modulo `buckets` (0 stays padding)."""
    return 1 + zlib.crc32(f"{namespace}:{text}".encode("utf-8")) % buckets


# ----------------------------------------------------------------------------- class parts

def looks_hashed(chunk: str) -> bool:
    """Whether an alphanumeric chunk of a class reads as a generated hash rather than words.

    At least 4 characters, and either letters and digits with at least two
    switches between them (`a8f3`, `1x9qk2`, `3xKz9`; `h100`, `2xl` are a
    word and a number), or letters only in 3+ case pieces of under 2.5
    characters on average (`bdfBwQ`, `kJhHbF`; camelCase `heroTitle` is words).
    """
    if len(chunk) < 4:
        return False
    digits = [c.isdigit() for c in chunk]
    if all(digits):
        return False
    if any(digits):
        return sum(a != b for a, b in zip(digits, digits[1:])) >= 2
    pieces = _WORDS.findall(chunk)
    return len(pieces) >= 3 and len(chunk) / len(pieces) < 2.5


def _number_part(digits: str) -> str:
    value = int(digits)
    return str(value) if value <= MAX_PART_NUMBER else NUMBER


@functools.lru_cache(maxsize=1 << 16)  # class names repeat across nodes and records
def class_parts(name: str) -> tuple[str, ...]:
    """A class name as lower-case parts: split on every non-alphanumeric (`-`, `_`, `:`, `/`, `@`, ...),
    at camelCase and at letter/digit boundaries; a hashed chunk (`looks_hashed`) or a CSS-in-JS prefix
    with its hash (`css-1x9qk2`, `sc-bdfBwQ`, `jsx-`, `emotion-`, `svelte-`) is `<hashed>`, a number
    above 12 `<num>`. `md:w-1/3` -> md, w, 1, 3; `Hero_title__a8f3` -> hero, title, <hashed>."""
    parts: list[str] = []
    prefix = _HASH_PREFIX.match(name)
    if prefix:
        parts.append(HASHED)
        name = name[prefix.end():]
    for chunk in _SEPARATORS.split(name):
        if not chunk:
            continue
        if looks_hashed(chunk):
            parts.append(HASHED)
            continue
        parts.extend(_number_part(word) if word.isdigit() else word.lower() for word in _WORDS.findall(chunk))
    return tuple(parts)


# ----------------------------------------------------------------------------- content and geometry

def own_text_length(content: Sequence[tuple[str, str]]) -> int:
    """Characters of a node's own text (its `text` content, stripped)."""
    return sum(len(value.strip()) for kind, value in content if kind == "text")


def text_length_id(length: int) -> int:
    """1 + the TEXT_LENGTH_EDGES bucket of a text length (0 stays padding)."""
    return 1 + bisect.bisect_left(TEXT_LENGTH_EDGES, length)


def _relative(boxes: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """`n 4` `[x, y, w, h]` of `boxes` as fractions of `frames` (`n 4` or `1 4`), clipped to GEOMETRY_CLIP."""
    return np.clip(np.concatenate([(boxes[:, :2] - frames[:, :2]) / frames[:, 2:], boxes[:, 2:] / frames[:, 2:]],
                                  axis=1), *GEOMETRY_CLIP)


def box_geometry(tree: HtmlTree, boxes: np.ndarray, box_valid: np.ndarray, tolerance: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per node of `tree`: GEOMETRY_FEATURES `n G` float32, valid `n` bool, alignment `n` int32.

    `boxes` `n 4` are `[x, y, w, h]` screenshot pixels, clipped to the
    screenshot (see `transforms.clip_boxes`). The section is the union of the
    valid boxes; a node's frame is the box of its nearest ancestor with a valid
    box, else the section. Alignment: 1 + bits of ALIGNMENTS, a bit set when
    some element sibling with a valid box has the same left edge, centre,
    right edge or top within `tolerance` x the section's width (at least 1 px);
    0 for a node without a valid box. All zeros when no box is valid.
    """
    n = len(tree)
    boxes = np.asarray(boxes, np.float64).reshape(n, 4)
    box_valid = np.asarray(box_valid, bool).reshape(n) & (boxes[:, 2] > 0) & (boxes[:, 3] > 0)
    geometry = np.zeros((n, len(GEOMETRY_FEATURES)), np.float32)
    alignment = np.zeros(n, np.int32)
    if not box_valid.any():
        return geometry, box_valid, alignment
    corners = np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)
    low, high = corners[box_valid, :2].min(axis=0), corners[box_valid, 2:].max(axis=0)
    section = np.concatenate([low, high - low])
    frame_of = [n] * n  # row of `boxes` + section: the nearest ancestor with a valid box, else the section
    valid = box_valid.tolist()
    for node in tree.nodes:  # preorder: a parent's frame is known before its children's
        parent = node.parent
        if parent is not None:
            frame_of[node.index] = parent if valid[parent] else frame_of[parent]
    frames = np.concatenate([boxes, section[None]])[frame_of]
    safe = np.where(box_valid[:, None], boxes, 1.0)
    aspect = np.clip(np.log(safe[:, 2] / safe[:, 3]) / LOG_ASPECT_SCALE, -1.0, 1.0)
    features = np.concatenate([_relative(safe, frames), _relative(safe, section[None]), aspect[:, None]], axis=1)
    geometry[box_valid] = features[box_valid]
    slack = max(1.0, tolerance * section[2])
    edges = np.stack([corners[:, 0], (corners[:, 0] + corners[:, 2]) / 2, corners[:, 2], corners[:, 1]], axis=1)
    bits = 1 << np.arange(len(ALIGNMENTS))
    for siblings in [tree.roots] + [node.children for node in tree.nodes if node.children]:
        members = np.asarray([j for j in siblings if box_valid[j]], np.int64)
        if not len(members):
            continue
        close = np.abs(edges[members, None] - edges[None, members]) <= slack  # m m 4
        close[np.arange(len(members)), np.arange(len(members))] = False
        alignment[members] = 1 + close.any(axis=1) @ bits
    return geometry, box_valid, alignment


@dataclasses.dataclass(frozen=True)
class HtmlTokenizer:
    """Turns an html tree (and its DOM boxes) into fixed-shape integer features; sizes are fixed by configuration.

    Tag ids: 0 padding, `1..len(tags)` known tags, then `tag_hash_buckets`
    hashed ids for unknown tags; the table size is `1 + tag_vocab_size +
    tag_hash_buckets` whatever the data, so a model's shapes do not depend on it.
    Part ids: 0 padding, `1..len(RESERVED_PARTS)` `<hashed>`, `<num>`, 0..12,
    then `class_part_buckets` hashed words. `whole_classes`, `class_parts`
    and `geometry` switch a feature off, and `rule_prior` (off by default) switches `rule_action`
    on: a feature off stays in the batch as zeros and leaves `sizes`, so the model builds no
    parameters for it.
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
    whole_classes: bool = True    # class_ids: each whole class name hashed
    class_parts: bool = True      # class_part_ids: the parts of the node's classes hashed
    max_class_parts: int = 16
    class_part_buckets: int = 2048
    geometry: bool = True         # geometry, alignment from the DOM boxes, when the example has them
    align_tolerance: float = 0.005  # same edge: within this share of the section's width
    rule_prior: bool = False      # rule_action: the rule baseline's action of each node, as a prior

    def __post_init__(self):
        if any(tag != tag.lower() for tag in self.tags):
            raise ValueError("known tags must be lower case (tags are matched case-insensitively)")
        if len(self.tags) > self.tag_vocab_size:
            raise ValueError(f"{len(self.tags)} known tags, more than tag_vocab_size {self.tag_vocab_size}")
        if min(self.tag_hash_buckets, self.max_classes, self.class_hash_buckets,
               self.css_property_buckets, self.css_value_buckets, self.max_class_parts,
               self.class_part_buckets) < 1:
            raise ValueError("hash buckets, max_classes and max_class_parts must be positive")
        if self.align_tolerance < 0:
            raise ValueError(f"align_tolerance {self.align_tolerance} must be >= 0")

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
        """Embedding table size of each feature the model reads (ids are in [0, size)); for
        content_kinds, descendant_content and geometry, the width of the vector."""
        sizes = {
            "tag_id": 1 + self.tag_vocab_size + self.tag_hash_buckets,
            "class_ids": 1 + self.class_hash_buckets,
            "class_part_ids": FIRST_HASHED_PART + self.class_part_buckets,
            "css_device": 1 + len(CSS_DEVICES),
            "css_state": 1 + len(CSS_STATES),
            "css_property": 1 + self.css_property_buckets,
            "css_value": 1 + self.css_value_buckets,
            "css_unit": 1 + len(CSS_UNITS),
            "content_kinds": len(CONTENT_KEYS),
            "descendant_content": len(CONTENT_KEYS),
            "text_length": 2 + len(TEXT_LENGTH_EDGES),
            "inline_text": 2,
            "depth": self.max_depth + 1,
            "sibling_index": self.max_position + 1,
            "child_count": self.max_position + 1,
            "sibling_count": self.max_position + 1,
            "descendant_count": MAX_DESCENDANT_BUCKET + 1,
            "geometry": len(GEOMETRY_FEATURES),
            "alignment": 1 + 2 ** len(ALIGNMENTS),
            "rule_action": DEFAULT_VOCAB.size,
        }
        off = {"class_ids": not self.whole_classes, "class_part_ids": not self.class_parts,
               "geometry": not self.geometry, "alignment": not self.geometry, "rule_action": not self.rule_prior}
        return {name: size for name, size in sizes.items() if not off.get(name, False)}

    def tag_id(self, tag: str) -> int:
        tag = tag.lower()
        known = self._tag_ids.get(tag)
        if known is not None:
            return known
        return self.tag_vocab_size + stable_bucket(tag, self.tag_hash_buckets, "tag")

    def class_features(self, name: str) -> tuple[int, tuple[int, int, int, int, int]]:
        """(class word id, compact-CSS part ids); parts are all 0 for an opaque word."""
        word = stable_bucket(name, self.class_hash_buckets, "class")
        compact = _compact_class(name)
        if compact is None:
            return word, (0, 0, 0, 0, 0)
        return word, (1 + CSS_DEVICES.index(compact.device), 1 + CSS_STATES.index(compact.state),
                      stable_bucket(compact.property, self.css_property_buckets, "css_property"),
                      stable_bucket(compact.value, self.css_value_buckets, "css_value"),
                      1 + CSS_UNITS.index(compact.unit))

    def part_id(self, part: str) -> int:
        """The id of one class part: a RESERVED_PARTS token's own id, else a hashed bucket."""
        reserved = self._reserved_part_ids.get(part)
        if reserved is not None:
            return reserved
        return FIRST_HASHED_PART - 1 + stable_bucket(part, self.class_part_buckets, "class_part")

    def node_part_ids(self, classes: Sequence[str]) -> list[int]:
        """Part ids of a node's classes, compact-CSS classes left to css_parts, first occurrence of
        each, at most `max_class_parts` (all classes count, not only the first max_classes)."""
        ids = dict.fromkeys(self.part_id(part) for name in classes if _compact_class(name) is None
                            for part in class_parts(name))
        return list(ids)[:self.max_class_parts]

    def tokenize(self, tree: HtmlTree, max_slots: int, boxes: np.ndarray | None = None,
                 box_valid: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Per-slot features of `tree` padded to `max_slots` (N) slots, C = max_classes, P = max_class_parts.

        tag_id `N`; class_ids `N C`, css_parts `N C 5` (CSS_PARTS order), class_part_ids `N P`;
        content_kinds, descendant_content `N K` bool (CONTENT_KEYS, own / in the subtree below);
        text_length `N` (1 + TEXT_LENGTH_EDGES bucket of the own text), inline_text `N` bool (no own
        text, only inline-tag children, text below them); depth / sibling_index / child_count /
        sibling_count (other element siblings) `N` clipped; descendant_count `N` (bit length, clipped
        to MAX_DESCENDANT_BUCKET); parent_slot `N` (-1 for top-level nodes and padding); geometry
        `N G`, geometry_valid `N`, alignment `N` from `boxes` `n 4` (`[x, y, w, h]` pixels, clipped
        to the screenshot) and `box_valid` `n` (see `box_geometry`), zeros without boxes; rule_action `N`
        (with `rule_prior`: the DEFAULT_VOCAB action id the rule baseline gives the node, 0 for padding).
        Classes after the first C of a node are left out of class_ids and css_parts.
        """
        if len(tree) > max_slots:
            raise ValueError(f"{len(tree)} html nodes, more than max_slots {max_slots}")
        n, c, k = max_slots, self.max_classes, len(CONTENT_KEYS)
        features = {
            "tag_id": np.zeros(n, np.int32),
            "class_ids": np.zeros((n, c), np.int32),
            "css_parts": np.zeros((n, c, len(CSS_PARTS)), np.int32),
            "class_part_ids": np.zeros((n, self.max_class_parts), np.int32),
            "content_kinds": np.zeros((n, k), bool),
            "descendant_content": np.zeros((n, k), bool),
            "text_length": np.zeros(n, np.int32),
            "inline_text": np.zeros(n, bool),
            "depth": np.zeros(n, np.int32),
            "sibling_index": np.zeros(n, np.int32),
            "child_count": np.zeros(n, np.int32),
            "sibling_count": np.zeros(n, np.int32),
            "descendant_count": np.zeros(n, np.int32),
            "parent_slot": np.full(n, -1, np.int32),
            "geometry": np.zeros((n, len(GEOMETRY_FEATURES)), np.float32),
            "geometry_valid": np.zeros(n, bool),
            "alignment": np.zeros(n, np.int32),
            "rule_action": np.zeros(n, np.int32),
        }
        for node in tree.nodes:
            i = node.index
            features["tag_id"][i] = self.tag_id(node.tag)
            for position, name in enumerate(node.classes[:c]):
                word, parts = self.class_features(name)
                features["class_ids"][i, position] = word if self.whole_classes else 0
                features["css_parts"][i, position] = parts
            if self.class_parts:
                part_ids = self.node_part_ids(node.classes)
                features["class_part_ids"][i, :len(part_ids)] = part_ids
            for kind in node.content_kinds:
                features["content_kinds"][i, CONTENT_KEYS.index(kind)] = True
            features["text_length"][i] = text_length_id(own_text_length(node.content))
            features["depth"][i] = min(node.depth, self.max_depth)
            features["sibling_index"][i] = min(node.sibling_index, self.max_position)
            features["child_count"][i] = min(node.child_count, self.max_position)
            siblings = tree.roots if node.parent is None else tree[node.parent].children
            features["sibling_count"][i] = min(len(siblings) - 1, self.max_position)
            features["parent_slot"][i] = -1 if node.parent is None else node.parent
        self._add_subtree_features(tree, features)
        if self.rule_prior and len(tree):
            features["rule_action"][:len(tree)] = DEFAULT_VOCAB.action_ids(rule_actions(tree))
        if self.geometry and boxes is not None and len(tree):
            valid = np.ones(len(tree), bool) if box_valid is None else box_valid
            geometry, geometry_valid, alignment = box_geometry(tree, boxes, valid, self.align_tolerance)
            features["geometry"][:len(tree)] = geometry
            features["geometry_valid"][:len(tree)] = geometry_valid
            features["alignment"][:len(tree)] = alignment
        return features

    def blank(self, max_slots: int) -> dict[str, np.ndarray]:
        """The features of no nodes: every slot padding."""
        return self.tokenize(HtmlTree((), ()), max_slots)

    @staticmethod
    def _add_subtree_features(tree: HtmlTree, features: dict[str, np.ndarray]) -> None:
        """descendant_content, descendant_count and inline_text, children before parents."""
        n = len(tree)
        kinds = features["content_kinds"][:n] @ (1 << np.arange(len(CONTENT_KEYS)))  # own kinds as bits
        own_text = (features["text_length"][:n] > 1).tolist()
        below = [0] * n         # content kinds below each node, as bits
        descendants = [0] * n
        has_text = own_text[:]  # own text or text anywhere below
        for node in reversed(tree.nodes):
            i = node.index
            for j in node.children:
                below[i] |= int(kinds[j]) | below[j]
                descendants[i] += 1 + descendants[j]
                has_text[i] = has_text[i] or has_text[j]
            features["inline_text"][i] = (not own_text[i] and bool(node.children)
                                          and any(has_text[j] for j in node.children)
                                          and all(tree[j].tag.lower() in INLINE_TAGS for j in node.children))
        bits = 1 << np.arange(len(CONTENT_KEYS))
        features["descendant_content"][:n] = (np.asarray(below, np.int64)[:, None] & bits) > 0
        features["descendant_count"][:n] = [min(count.bit_length(), MAX_DESCENDANT_BUCKET) for count in descendants]

    @functools.cached_property
    def _tag_ids(self) -> dict[str, int]:
        return {tag: 1 + i for i, tag in enumerate(self.tags)}

    @functools.cached_property
    def _reserved_part_ids(self) -> dict[str, int]:
        return {part: 1 + i for i, part in enumerate(RESERVED_PARTS)}
