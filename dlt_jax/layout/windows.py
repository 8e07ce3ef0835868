"""Long sections as windows: an html tree with more nodes than the model has slots is split into
windows that each fit, each window is predicted on its own, and the actions are stitched back.

A window is its **own** nodes (predicted by it, one window owns each node) plus **context** nodes
(shown to the model, predicted elsewhere): the ancestor chain of its own nodes from the top, so
every own node keeps its parent and depth. Own nodes are one or more consecutive whole sibling
subtrees; a subtree too big for one window is split below its root: the root is owned by the
window holding its first children (recursively, if the first child is too big as well) and each
further group of its children goes to a window that carries the root as context.

Borders. MERGE_UP needs the parent, which is always in the window (context chain). MERGE_LEFT
needs the previous sibling: the previous sibling of a window's first own node (and of a split
root it owns) is not its own, so it is added as a context node, **without its children**, when
the window has room for it; the budget keeps a whole first subtree before such a border node.
Where there is no room the node is at sibling index 0 in its window and MERGE_LEFT is not
predicted there (the sampler's legal mask forbids it). On the real dev sections the border nodes
help the nodes at borders most (benchmarks/windows_accuracy.py, `--ablate-borders`). Context copies are sampled in each window
independently of their owner, so a border merge may land on a node its owner dropped; the
stitched actions are then repaired by `decode_layout` (a merge without a target becomes a
wrapper) and counted, so the result always decodes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from dlt_jax.layout.html import CONTENT_KEYS, HtmlTree
from dlt_jax.layout.jsonio import JsonObject

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Window:
    """Preorder indices (in the full tree) of a window's nodes, context + own, and of its own ones."""

    nodes: tuple[int, ...]
    own: tuple[int, ...]

    @property
    def context(self) -> tuple[int, ...]:
        """The nodes shown but not predicted by this window."""
        own = set(self.own)
        return tuple(i for i in self.nodes if i not in own)

    def __len__(self) -> int:
        return len(self.nodes)


def subtree_sizes(tree: HtmlTree) -> list[int]:
    """Each node's subtree size (itself and all its descendants)."""
    sizes = [1] * len(tree)
    for node in reversed(tree.nodes):
        if node.parent is not None:
            sizes[node.parent] += sizes[node.index]
    return sizes


def plan_windows(tree: HtmlTree, max_nodes: int, borders: bool = True) -> list[Window]:
    """Windows of at most `max_nodes` nodes each that together own every node once, in preorder.

    A tree that fits is one window owning every node. `borders=False` leaves out the previous
    siblings at window borders (module doc; only to measure what they add). Raises ValueError when
    `max_nodes` cannot hold the deepest node with its ancestors (a window needs the whole chain).
    """
    n = len(tree)
    deepest = max((node.depth + 1 for node in tree.nodes), default=0)
    if max_nodes < max(deepest, 1):
        raise ValueError(f"max_nodes={max_nodes} is too small: the html tree is {deepest} nodes deep, and a "
                         f"window needs the deepest node with its whole ancestor chain ({deepest} nodes)")
    if n <= max_nodes:
        return [Window(tuple(range(n)), tuple(range(n)))]
    planner = _Planner(tree, max_nodes, subtree_sizes(tree), borders)
    planner.pack(tree.roots, chain=(), pending=())
    return planner.windows


class _Planner:
    """Greedy packing of sibling subtrees into windows (see `plan_windows`)."""

    def __init__(self, tree: HtmlTree, max_nodes: int, sizes: list[int], borders: bool = True):
        self.tree, self.max_nodes, self.sizes, self.borders = tree, max_nodes, sizes, borders
        self.windows: list[Window] = []

    def pack(self, siblings: Sequence[int], chain: tuple[int, ...], pending: tuple[int, ...]) -> None:
        """Windows for `siblings` (all children of one parent, or the roots) under ancestor `chain`;
        `pending` (a suffix of the chain) are split roots owned by the first window made here."""
        room = self.max_nodes - len(chain)
        start = 0
        while start < len(siblings):
            first = siblings[start]
            if self.sizes[first] > room:  # too big even alone: split it below its root
                self.pack(self.tree[first].children, chain + (first,), pending + (first,))
            else:
                borders = self._borders(siblings, start, pending)
                borders = borders[:room - self.sizes[first]]  # a whole first subtree comes before them
                end, used = start, len(borders)
                while end < len(siblings) and used + self.sizes[siblings[end]] <= room:
                    used += self.sizes[siblings[end]]
                    end += 1
                self._emit(chain, pending, borders, siblings[start:end])
                start = end - 1
            pending = ()
            start += 1

    def _borders(self, siblings: Sequence[int], start: int, pending: tuple[int, ...]) -> list[int]:
        """Previous siblings of the group's first node and of the split roots it owns: context that
        makes MERGE_LEFT possible at the window's border, nearest first."""
        if not self.borders:
            return []
        previous = [siblings[start - 1]] if start else []
        previous += [p for p in (self.tree.previous_sibling(node) for node in reversed(pending)) if p is not None]
        return previous

    def _emit(self, chain: tuple[int, ...], pending: tuple[int, ...], borders: list[int],
              group: Sequence[int]) -> None:
        own = list(pending)
        for root in group:
            own.extend(range(root, root + self.sizes[root]))
        self.windows.append(Window(tuple(sorted({*chain, *borders, *own})), tuple(sorted(own))))


def window_html(html: Any, tree: HtmlTree, window: Window) -> JsonObject:
    """The html object of a window's nodes alone, in the same order, keys and content kept, so that
    `parse_html` of it numbers `window.nodes` 0, 1, ... in preorder. Entries that are neither a node
    nor content (skipped by `parse_html`) are left out. Raises ValueError for a window that holds a
    node without its parent."""
    keep = set(window.nodes)
    for index in window.nodes:
        parent = tree[index].parent
        if parent is not None and parent not in keep:
            raise ValueError(f"window holds node {index} without its parent {parent}")
    sizes = subtree_sizes(tree)
    next_index = [0]

    def walk(obj: Any) -> JsonObject:
        out = JsonObject()
        for key, value in obj.items():
            if key in CONTENT_KEYS and not isinstance(value, (JsonObject, Mapping)):
                out.append(key, value)
            elif isinstance(value, (str, JsonObject, Mapping)):
                index = next_index[0]
                if index not in keep:  # its whole subtree is out of the window
                    next_index[0] = index + sizes[index]
                    continue
                next_index[0] += 1
                out.append(key, value if isinstance(value, str) else walk(value))
        return out

    return walk(html)


def window_rows(rows: Sequence[T], window: Window) -> list[T]:
    """The rows of a per-node sequence (html_boxes, features) for a window's nodes, in its order."""
    return [rows[i] for i in window.nodes]


def window_given(given: Mapping[int, T], window: Window) -> dict[int, T]:
    """Per-node values given on the full tree (actions, boxes) re-keyed by window position; a given
    context node is given in the window too, so the model sees it as the user fixed it."""
    return {position: given[node] for position, node in enumerate(window.nodes) if node in given}


def stitch_nodes(node_count: int, windows: Sequence[Window], window_values: Sequence[Sequence[T]]) -> list[T]:
    """One value per node of the full tree, each taken from the window that owns the node.

    `window_values[w]` has one value per node of `windows[w]`, in its order. Raises ValueError
    when a node is owned by no window or by two."""
    if len(windows) != len(window_values):
        raise ValueError(f"{len(window_values)} value lists for {len(windows)} windows")
    out: list[Any] = [None] * node_count
    owner: list[int | None] = [None] * node_count
    for number, (window, values) in enumerate(zip(windows, window_values)):
        if len(values) != len(window.nodes):
            raise ValueError(f"window {number}: {len(values)} values for its {len(window.nodes)} nodes")
        own = set(window.own)
        for node, value in zip(window.nodes, values):
            if node in own:
                if owner[node] is not None:
                    raise ValueError(f"node {node} is owned by windows {owner[node]} and {number}")
                owner[node], out[node] = number, value
    missing = [i for i, w in enumerate(owner) if w is None]
    if missing:
        raise ValueError(f"{len(missing)} node(s) owned by no window, first {missing[:5]}")
    return out
