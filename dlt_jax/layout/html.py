"""The html object of DATA_FORMAT §1.1 as a tree of element nodes in preorder.

Parses node keys in their three spellings (`div.a.b`, `div@a@b`, `h1-c_fff`),
separates content keys from element nodes, decomposes compact-CSS classes and
numbers nodes in preorder: a node's preorder index is its slot.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from dlt_jax.layout.jsonio import JsonObject

CONTENT_KEYS = ("text", "src", "svg", "href", "alt", "title", "value", "placeholder", "content")

SPELLING_DOT = "dot"
SPELLING_AT = "at"
SPELLING_DASH = "dash"
SPELLING_BARE = "bare"
_SEPARATOR_SPELLING = {".": SPELLING_DOT, "@": SPELLING_AT, "-": SPELLING_DASH}

_TAG = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_COMPACT = re.compile(
    r"(?P<prefixes>(?:[tmh]:)*)(?P<property>[a-z]{1,4})_"
    r"(?:(?P<number>-?(?:\d+\.?\d*|\.\d+))(?P<unit>[rxpv]?)|(?P<word>[a-z0-9#]+))\Z")
UNITS = {"r": "rem", "x": "px", "p": "%", "v": "vw/vh"}
DEVICES = {"t": "tablet", "m": "mobile"}
STATES = {"h": "hover"}


class HtmlError(ValueError):
    """An html object that does not follow DATA_FORMAT §1.1; `field` names where."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclasses.dataclass(frozen=True)
class NodeKey:
    """A parsed element key: tag, classes in order, and the spelling it used."""

    key: str
    tag: str
    classes: tuple[str, ...]
    spelling: str

    @property
    def normalized(self) -> tuple[str, tuple[str, ...]]:
        """What two references to the same node agree on: tag + ordered classes."""
        return self.tag, self.classes

    @property
    def dot_key(self) -> str:
        """The key re-spelled with dots (`h1-c_fff` -> `h1.c_fff`)."""
        return ".".join((self.tag,) + self.classes)


def parse_key(key: str) -> NodeKey:
    """Splits an element key into tag and classes by its spelling (§1.1)."""
    match = _TAG.match(key)
    if not match:
        raise HtmlError(repr(key), "an element key must start with a tag name [A-Za-z][A-Za-z0-9]*")
    tag = match.group()
    rest = key[match.end():]
    if not rest:
        return NodeKey(key, tag, (), SPELLING_BARE)
    spelling = _SEPARATOR_SPELLING.get(rest[0])
    if spelling is None:
        raise HtmlError(repr(key), f"unexpected {rest[0]!r} after tag {tag!r}; "
                        "expected '.' (div.a.b), '@' (div@a@b) or '-' (h1-c_fff)")
    separator = "." if spelling == SPELLING_DOT else "@"
    classes = tuple(c for c in rest[1:].split(separator) if c)
    return NodeKey(key, tag, classes, spelling)


@dataclasses.dataclass(frozen=True)
class CompactClass:
    """A compact-CSS class such as `t:h:pt_7r`: device, state, property, value, unit."""

    device: str
    state: str
    property: str
    value: str
    unit: str


def decompose_class(name: str) -> CompactClass | None:
    """Decomposes a compact-CSS class, or None for an opaque word like `hero__title`."""
    match = _COMPACT.match(name)
    if not match:
        return None
    prefixes = match.group("prefixes").split(":")[:-1]
    if len(prefixes) != len(set(prefixes)) or sum(p in DEVICES for p in prefixes) > 1:
        return None
    device = next((DEVICES[p] for p in prefixes if p in DEVICES), "")
    state = next((STATES[p] for p in prefixes if p in STATES), "")
    if match.group("word") is not None:
        return CompactClass(device, state, match.group("property"), match.group("word"), "")
    return CompactClass(device, state, match.group("property"), match.group("number"),
                        UNITS.get(match.group("unit"), ""))


@dataclasses.dataclass(frozen=True)
class HtmlNode:
    """One element node; `index` is its preorder number (its slot)."""

    index: int
    key: NodeKey
    parent: int | None
    depth: int
    sibling_index: int
    children: tuple[int, ...]
    content: tuple[tuple[str, str], ...]

    @property
    def tag(self) -> str:
        return self.key.tag

    @property
    def classes(self) -> tuple[str, ...]:
        return self.key.classes

    @property
    def content_kinds(self) -> tuple[str, ...]:
        """The content keys this node carries, in order, without repeats."""
        return tuple(dict.fromkeys(kind for kind, _ in self.content))

    @property
    def child_count(self) -> int:
        return len(self.children)


@dataclasses.dataclass(frozen=True)
class HtmlTree:
    """Element nodes in preorder, with the links encoding and decoding need."""

    nodes: tuple[HtmlNode, ...]
    roots: tuple[int, ...]
    warnings: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.nodes)

    def __getitem__(self, index: int) -> HtmlNode:
        return self.nodes[index]

    def previous_sibling(self, index: int) -> int | None:
        node = self.nodes[index]
        siblings = self.roots if node.parent is None else self.nodes[node.parent].children
        return siblings[node.sibling_index - 1] if node.sibling_index else None

    def ancestors(self, index: int):
        """Parent, grandparent, ... of a node, nearest first."""
        parent = self.nodes[index].parent
        while parent is not None:
            yield parent
            parent = self.nodes[parent].parent


def parse_html(obj: Any) -> HtmlTree:
    """Builds the preorder node tree of an html object (a JsonObject or dict).

    Raises HtmlError for a key that is not a valid element key. Entries that
    are neither nodes nor content (a number, a list, null) are skipped and
    listed in `HtmlTree.warnings`, so a caller can count and report them.
    """
    if not isinstance(obj, (JsonObject, Mapping)):
        raise HtmlError("html", f"expected an object, got {type(obj).__name__}")
    builder = _TreeBuilder()
    builder.add_children(obj, parent=None, depth=0, path="html")
    return builder.build()


class _TreeBuilder:
    def __init__(self):
        self.keys: list[NodeKey] = []
        self.parents: list[int | None] = []
        self.depths: list[int] = []
        self.sibling_indices: list[int] = []
        self.children: list[list[int]] = []
        self.contents: list[list[tuple[str, str]]] = []
        self.roots: list[int] = []
        self.warnings: list[str] = []

    def add_children(self, obj: Any, parent: int | None, depth: int, path: str) -> None:
        siblings = self.roots if parent is None else self.children[parent]
        for key, value in obj.items():
            where = f"{path}[{key!r}]"
            if key in CONTENT_KEYS and not isinstance(value, (JsonObject, Mapping)):
                self._add_content(key, value, parent, where)
            elif isinstance(value, (str, JsonObject, Mapping)):
                index = self._add_node(key, parent, depth, len(siblings), where)
                siblings.append(index)
                if isinstance(value, str):
                    if value:
                        self.contents[index].append(("text", value))
                else:
                    self.add_children(value, index, depth + 1, where)
            else:
                self.warnings.append(f"{where}: skipped a {type(value).__name__} value "
                                     "(an element node needs an object or a string)")

    def _add_content(self, key: str, value: Any, parent: int | None, where: str) -> None:
        if parent is None:
            self.warnings.append(f"{where}: skipped content outside any element node")
        elif isinstance(value, str):
            self.contents[parent].append((key, value))
        else:
            self.warnings.append(f"{where}: skipped content that is {type(value).__name__}, not a string")

    def _add_node(self, key: str, parent: int | None, depth: int, sibling_index: int, where: str) -> int:
        try:
            parsed = parse_key(key)
        except HtmlError as error:
            raise HtmlError(where, error.message) from None
        self.keys.append(parsed)
        self.parents.append(parent)
        self.depths.append(depth)
        self.sibling_indices.append(sibling_index)
        self.children.append([])
        self.contents.append([])
        return len(self.keys) - 1

    def build(self) -> HtmlTree:
        nodes = tuple(
            HtmlNode(i, self.keys[i], self.parents[i], self.depths[i], self.sibling_indices[i],
                     tuple(self.children[i]), tuple(self.contents[i]))
            for i in range(len(self.keys)))
        return HtmlTree(nodes, tuple(self.roots), tuple(self.warnings))
