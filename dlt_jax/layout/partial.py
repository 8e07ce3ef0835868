"""Partial layouts: the elements of a section a user fixes, the rest left to the model (completion).

A **partial layout** is a layout object of DATA_FORMAT §1.2 with holes, plus optional given boxes:

```json
{
  "structure": {
    "section@div.container": {
      "heading@h1.heading": "",
      "wrapper@div.row": {"button@a.btn": ""}
    }
  },
  "props": {"bi": "div.background_image"},
  "boxes": {
    "heading@h1.heading": {"box": [660, 40, 600, 80]},
    "wrapper@div.row": {"location": [960, 500]},
    "button@a.btn": {"size": [180, 48]}
  },
  "nodes": {"3": {"action": "DROP"}, "div.container/div.row/img.logo": {"size": [64, 64]}}
}
```

- `structure` and `props` are written as in a full layout, with the same keys, output styles
  (`TYPE@key@key`, `TYPE.key`) and `@`-merges, but they list only the **given** elements and
  props. Every given element is fixed with its type and all its html nodes: its first node gets
  the type, each further node MERGE_UP or MERGE_LEFT as `encode_layout` assigns them, and no
  generated node may join it (its key lists all of its nodes). A given prop fixes its node's
  `PROP_*` action, and no generated node takes that prop. Every html node not named anywhere is
  a **hole**: its action (DROP included) and box are generated. Nesting says which given element
  a given element lies under (its first node's nearest given ancestor belongs to it); holes
  between them may become elements of their own, so a given parent may get a generated element
  between itself and its given child. `""` means "no given child elements", not "no children".
- `boxes` (optional) gives coordinates of given elements, keyed by the element's key exactly as
  `structure` spells it; a key that occurs k times in `structure` may occur up to k times here,
  the i-th entry for the i-th such element in preorder. The coordinates are those of the
  element's first node, in screenshot pixels, as `html_boxes` (DATA_FORMAT §1.4):
  `{"box": [x, y, w, h]}` (top-left corner and size: the whole box), `{"location": [cx, cy]}`
  (the box's **centre**; the size is generated), `{"size": [w, h]}` (the position is generated),
  or both `location` and `size`. Location is the centre because the model places boxes by their
  centre (DLT's `mask_loc`): a top-left corner could not be kept while the size is generated.
- `nodes` (optional) fixes single html nodes, named by preorder index (`"3"`) or html key path
  (keys joined by `/`): `{"action": ...}` with any action but PAD and MASK (DROP, MERGE_UP,
  MERGE_LEFT, PROP_BI, a type), and/or a box in one of the forms above. This is also what the
  older `{node: {"action", "box"}}` partials of `LayoutGenerator.complete` read as.

Contradictions raise `PartialLayoutError` (a ValueError naming the example, the field, the
element or node, and the key): an unknown element type or action, a key that does not resolve to
html nodes, a node in two given elements (or given two actions, or two boxes), an action that
cannot hold at its node (the root may only be `section` by default; MERGE_LEFT needs a previous
sibling, MERGE_UP a parent; a merge may not grow a given element), a box of the wrong length,
with a size that is not positive, or reaching outside the screenshot.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dlt_jax.layout.codec import (BAD_LAYOUT, SPELLING_DOT, SPELLING_ORIGINAL, LayoutError, OutputStyle,
                                  decode_elements)
# The resolution machinery of `encode_layout`, applied to the given elements only.
from dlt_jax.layout.codec import (_check_type_separators, _diagnose_element, _Element, _flatten_props,
                                  _flatten_structure, _is_linked, _matches, _Search, _spellings_of)
from dlt_jax.layout.html import HtmlTree
from dlt_jax.layout.jsonio import JsonObject, load_json, to_json_object
from dlt_jax.layout.legality import DEFAULT_ROOT_ACTIONS
from dlt_jax.layout.vocab import DEFAULT_VOCAB, MASK, MERGE_LEFT, MERGE_UP, PAD, Vocabulary, prop_action

FIELDS = ("structure", "props", "boxes", "nodes")
BOX_FIELDS = ("box", "location", "size")
COORDINATES = ("cx", "cy", "w", "h")
_CANDIDATE_LIMIT = 64  # placements looked at per element when explaining a failed resolution


class PartialLayoutError(ValueError):
    """A partial layout that contradicts itself or its html: example, field, element or node, and why."""

    def __init__(self, example_id: str, field: str, element: str | None, message: str):
        where = [example_id, "partial layout", field] + ([repr(element)] if element is not None else [])
        super().__init__(": ".join(where + [message]))
        self.example_id = example_id
        self.field = field
        self.element = element
        self.message = message

    def __reduce__(self):
        return type(self), (self.example_id, self.field, self.element, self.message)

    @property
    def detail(self) -> str:
        """The message without the example id: field, element, what is wrong."""
        return ": ".join([self.field] + ([repr(self.element)] if self.element is not None else []) + [self.message])


@dataclasses.dataclass(frozen=True)
class GivenBox:
    """Given coordinates of one node: `values` (cx, cy, w, h) in screenshot pixels (0 where not
    given), `mask` which of the four are given; `source` says where the file gave them."""

    values: tuple[float, float, float, float]
    mask: tuple[bool, bool, bool, bool]
    source: str = ""

    def targets(self, width: int, height: int) -> tuple[float, float, float, float]:
        """The coordinates in the model's space: each of (cx, cy, w, h) as a share of the screenshot's
        side, mapped to [-1, 1] as `data.transforms.boxes_to_targets` does (0 where not given)."""
        sides = (width, height, width, height)
        return tuple(v / side * 2.0 - 1.0 if given else 0.0
                     for v, side, given in zip(self.values, sides, self.mask))  # type: ignore[return-value]


@dataclasses.dataclass(frozen=True)
class PartialLayout:
    """What a partial layout fixes, per html node (preorder index).

    `actions`: node -> given action. `boxes`: node -> given coordinates. `blocked`: generated node
    -> actions it may not take, because they would grow a given element or repeat a given prop.
    `elements`: the given elements (type, member nodes) in output preorder; `props`: prop -> node.
    `style`: how the given keys are spelled (None when no element or prop is given).
    """

    actions: Mapping[int, str] = dataclasses.field(default_factory=dict)
    boxes: Mapping[int, GivenBox] = dataclasses.field(default_factory=dict)
    blocked: Mapping[int, frozenset[str]] = dataclasses.field(default_factory=dict)
    elements: tuple[tuple[str, tuple[int, ...]], ...] = ()
    props: Mapping[str, int] = dataclasses.field(default_factory=dict)
    style: OutputStyle | None = None


def is_partial_layout(obj: Any) -> bool:
    """Whether `obj` is a partial layout (an object with `structure`), not a `{node: ...}` mapping."""
    return isinstance(obj, (JsonObject, Mapping)) and "structure" in obj


def load_partial_layout(source: str | Path | Mapping | JsonObject, example_id: str = "input") -> JsonObject:
    """A partial layout from a JSON file's path, or from an object (dicts become JsonObjects)."""
    if isinstance(source, (JsonObject, Mapping)):
        return to_json_object(source)
    path = Path(source)
    try:
        data = load_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PartialLayoutError(example_id, "file", str(path), f"cannot read it: {error.strerror or error}") from None
    except ValueError as error:
        raise PartialLayoutError(example_id, "file", str(path), f"not JSON: {error}") from None
    if not is_partial_layout(data):
        raise PartialLayoutError(example_id, "file", str(path), 'expected a JSON object with "structure"')
    return data


# ----------------------------------------------------------------------------- nodes by reference

def node_paths(tree: HtmlTree) -> list[str]:
    """Each node's html key path from the top, keys joined by `/` (e.g. `section.hero/div.row/a.btn`)."""
    paths: list[str] = []
    for node in tree.nodes:
        paths.append(node.key.key if node.parent is None else f"{paths[node.parent]}/{node.key.key}")
    return paths


def resolve_node(tree: HtmlTree, ref: int | str, example_id: str, field: str = "nodes") -> int:
    """A node named by preorder index (an int or a string of digits) or by html key path."""
    if isinstance(ref, bool) or not (isinstance(ref, str) or hasattr(ref, "__index__")):
        raise PartialLayoutError(example_id, field, str(ref), "name a node by preorder index or html key path")
    if not isinstance(ref, str) or ref.isdigit():
        index = int(ref)
        if not 0 <= index < len(tree):
            raise PartialLayoutError(example_id, field, str(ref), f"node index {index} outside [0, {len(tree)})")
        return index
    matches = [i for i, path in enumerate(node_paths(tree)) if path == ref]
    if not matches:
        raise PartialLayoutError(example_id, field, ref, f"no html node at key path {ref!r}")
    if len(matches) > 1:
        raise PartialLayoutError(example_id, field, ref, f"{len(matches)} nodes have the key path {ref!r} "
                                 f"(repeated sibling keys): give the node index instead, one of {matches}")
    return matches[0]


def _node_name(tree: HtmlTree, node: int) -> str:
    return f"node {node} ({tree[node].key.key!r})"


# ----------------------------------------------------------------------------- boxes

def _numbers(value: Any, count: int, example_id: str, field: str, element: str, name: str,
             spelled: str) -> list[float]:
    if (not isinstance(value, (list, tuple)) or len(value) != count
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)):
        got = f"{len(value)} values" if isinstance(value, (list, tuple)) else repr(value)
        raise PartialLayoutError(example_id, field, element,
                                 f"{name}: expected {count} numbers {spelled} in screenshot pixels, got {got}")
    return [float(v) for v in value]


def _positive_size(w: float, h: float, example_id: str, field: str, element: str, name: str) -> None:
    if w <= 0 or h <= 0:
        raise PartialLayoutError(example_id, field, element,
                                 f"{name}: width and height must be positive, got w={w:g}, h={h:g} "
                                 "(leave a node without a box out)")


def check_inside(box: GivenBox, size: tuple[int, int], example_id: str, field: str, element: str) -> None:
    """Every given coordinate (and a whole box's corners) inside the screenshot: a clipped value
    could not come back as given."""
    width, height = size
    cx, cy, w, h = box.values
    limits = ((cx, width), (cy, height), (w, width), (h, height))
    outside = [name for (value, side), name, given in zip(limits, COORDINATES, box.mask)
               if given and not -1e-6 <= value <= side + 1e-6]
    if all(box.mask[:2]) and all(box.mask[2:]):
        if cx - w / 2 < -1e-6 or cy - h / 2 < -1e-6 or cx + w / 2 > width + 1e-6 or cy + h / 2 > height + 1e-6:
            outside.append("corners")
    if outside:
        raise PartialLayoutError(example_id, field, element,
                                 f"the box reaches outside the {width}x{height} screenshot ({', '.join(outside)}); "
                                 "give it clipped to the screenshot")


def read_box(value: Mapping[str, Any], example_id: str, field: str, element: str,
             screenshot_size: tuple[int, int] | None = None) -> GivenBox:
    """`{"box": [x, y, w, h]}`, `{"location": [cx, cy]}` and/or `{"size": [w, h]}` (pixels) as a GivenBox."""
    present = [name for name in BOX_FIELDS if name in value]
    if "box" in present and len(present) > 1:
        raise PartialLayoutError(example_id, field, element,
                                 "give either box [x, y, w, h], or location [cx, cy] and/or size [w, h], not both")
    values, mask = [0.0] * 4, [False] * 4
    if "box" in value:
        x, y, w, h = _numbers(value["box"], 4, example_id, field, element, "box", "[x, y, w, h]")
        _positive_size(w, h, example_id, field, element, "box")
        values, mask = [x + w / 2, y + h / 2, w, h], [True] * 4
    if "location" in value:
        values[:2] = _numbers(value["location"], 2, example_id, field, element, "location", "[cx, cy] (the centre)")
        mask[:2] = [True, True]
    if "size" in value:
        values[2:] = _numbers(value["size"], 2, example_id, field, element, "size", "[w, h]")
        _positive_size(*values[2:], example_id, field, element, "size")
        mask[2:] = [True, True]
    box = GivenBox(tuple(values), tuple(mask), f"{field}[{element!r}]")  # type: ignore[arg-type]
    if screenshot_size is not None:
        check_inside(box, screenshot_size, example_id, field, element)
    return box


# ----------------------------------------------------------------------------- reading

def read_partial_layout(tree: HtmlTree, partial: Any, *, example_id: str = "input",
                        vocab: Vocabulary = DEFAULT_VOCAB,
                        root_actions: Sequence[str] | None = DEFAULT_ROOT_ACTIONS,
                        screenshot_size: tuple[int, int] | None = None,
                        max_search_steps: int = 200_000) -> PartialLayout:
    """Resolves a partial layout (module docstring) against its html tree.

    `root_actions`: what the root node (node 0) may be (None: anything); `screenshot_size`
    (width, height): when given, boxes must lie inside it. Raises PartialLayoutError.
    """
    if not isinstance(partial, (JsonObject, Mapping)):
        raise PartialLayoutError(example_id, "partial", None,
                                 f"expected an object with {', '.join(FIELDS)}, got {type(partial).__name__}")
    partial = to_json_object(partial)
    for key in partial:
        if key not in FIELDS:
            raise PartialLayoutError(example_id, key, None, f"unknown field; a partial layout has {', '.join(FIELDS)}")
        if len(partial.get_all(key)) > 1:
            raise PartialLayoutError(example_id, key, None, "given twice")
    elements, props, solution = _resolve(tree, partial, example_id, vocab, max_search_steps)
    owner, members, prop_nodes, spellings = solution
    actions: dict[int, str] = {}
    element_of: dict[int, int] = {}
    for e, nodes in enumerate(members):
        for node in nodes:
            element_of[node] = e
            parent = tree[node].parent
            actions[node] = (elements[e].type if node == nodes[0] else
                             MERGE_UP if parent is not None and owner[parent] == e else MERGE_LEFT)
    given_props = {p.name: n for p, n in zip(props, prop_nodes)}
    for name, node in given_props.items():
        actions[node] = prop_action(name)
    if 0 in element_of:
        _check_root(tree, actions, 0, root_actions, example_id, "structure", elements[element_of[0]].key)
    elif 0 in actions:
        _check_root(tree, actions, 0, root_actions, example_id, "props", vocab.prop_of(actions[0]))
    boxes = _element_boxes(partial.get("boxes"), elements, members, example_id, screenshot_size)
    _read_nodes(tree, partial.get("nodes"), actions, boxes, element_of, elements, given_props, example_id, vocab,
                root_actions, screenshot_size)
    style = None  # props alone say how nodes are spelled, not how types are separated: "@" then
    if elements or props:
        style = OutputStyle(_check_type_separators(elements),
                            SPELLING_ORIGINAL if SPELLING_ORIGINAL in spellings else SPELLING_DOT)
    return PartialLayout(actions, boxes, _blocked(tree, actions, element_of, given_props, vocab),
                         tuple((e.type, tuple(m)) for e, m in zip(elements, members)), given_props, style)


def _resolve(tree: HtmlTree, partial: JsonObject, example_id: str, vocab: Vocabulary, max_steps: int):
    """The given elements and props, and the search's solution (owner, members, prop nodes, spellings)."""
    structure = partial.get("structure", JsonObject())
    props_obj = partial.get("props", JsonObject())
    for name, value in (("structure", structure), ("props", props_obj)):
        if not isinstance(value, (JsonObject, Mapping)):
            raise PartialLayoutError(example_id, name, None, f"{BAD_LAYOUT}: expected an object, got "
                                     f"{type(value).__name__}")
    try:
        elements = _flatten_structure(structure, vocab, check_types=True)
        _check_type_separators(elements)
    except LayoutError as error:
        raise PartialLayoutError(example_id, "structure", error.key, f"{error.reason}: {error.message}") from None
    try:
        props = _flatten_props(props_obj, vocab)
    except LayoutError as error:
        raise PartialLayoutError(example_id, "props", error.key, f"{error.reason}: {error.message}") from None
    for element in elements:
        problem = _diagnose_element(tree, element)
        if problem is not None:
            raise PartialLayoutError(example_id, "structure", element.key, f"{problem.reason}: {problem.message}")
    search = _Search(tree, elements, props, max_steps)
    try:
        solution = search.solve()
    except LayoutError as error:
        raise PartialLayoutError(example_id, "structure", error.key, f"{error.reason}: {error.message}") from None
    if solution is None:
        _explain_conflict(tree, elements, props, example_id)
        error = search.failure()
        field = "props" if error.key in {p.name for p in props} else "structure"
        raise PartialLayoutError(example_id, field, error.key, f"{error.reason}: {error.message}")
    return elements, props, solution


def _candidates(tree: HtmlTree, element: _Element) -> list[frozenset[int]]:
    """Node sets the element's key can name, ignoring the other elements (at most _CANDIDATE_LIMIT)."""
    text, found, budget = element.remainder, [], [10_000]

    def extend(members: tuple[int, ...], start: int) -> None:
        for node in range(members[-1] + 1 if members else 0, len(tree)):
            budget[0] -= 1
            if len(found) >= _CANDIDATE_LIMIT or budget[0] < 0:
                return
            if members and not _is_linked(tree, node, members.__contains__):
                continue
            for end, _ in _matches(tree, node, text, start):
                if end == len(text):
                    found.append(frozenset(members + (node,)))
                else:
                    extend(members + (node,), end + 1)

    extend((), 0)
    return found


def _explain_conflict(tree: HtmlTree, elements: list[_Element], props: list, example_id: str) -> None:
    """Raises when two given elements (or a prop and an element, or two props) can only name the same node."""
    candidates = [_candidates(tree, element) for element in elements]
    for b, later in enumerate(elements):
        for a in range(b):
            pairs = [(x, y) for x in candidates[a] for y in candidates[b]]
            if pairs and all(x & y for x, y in pairs):
                node = min(pairs[0][0] & pairs[0][1])
                raise PartialLayoutError(example_id, "structure", later.key,
                                         f"{_node_name(tree, node)} is also in the given element "
                                         f"{elements[a].key!r}; a node belongs to one element")
    unions = [frozenset().union(*sets) for sets in candidates]
    for e, union in enumerate(unions):  # pigeonholes: elements that can only use nodes of `union`
        group = [f for f, other in enumerate(unions) if candidates[f] and other <= union]
        need = sum(min(len(c) for c in candidates[f]) for f in group)
        if candidates[e] and need > len(union):
            keys = ", ".join(repr(elements[f].key) for f in group)
            raise PartialLayoutError(example_id, "structure", elements[group[-1]].key,
                                     f"the given elements {keys} need {need} html nodes, but their keys name only "
                                     f"{len(union)} ({', '.join(_node_name(tree, n) for n in sorted(union))}); "
                                     "a node belongs to one element")
    forced = {node: elements[e].key for e, sets in enumerate(candidates) if sets
              for node in frozenset.intersection(*sets)}
    claimed: dict[int, str] = {}
    for prop in props:
        nodes = [n for n in range(len(tree)) if _spellings_of(tree, n, prop.key)]
        free = [n for n in nodes if n not in forced and n not in claimed]
        if nodes and not free:
            node = nodes[0]
            other = f"the given element {forced[node]!r}" if node in forced else f"prop {claimed[node]!r}"
            raise PartialLayoutError(example_id, "props", prop.name,
                                     f"{_node_name(tree, node)} is also in {other}; a prop node is in no element and is one prop")
        if len(free) == 1:
            claimed[free[0]] = prop.name


def _check_root(tree: HtmlTree, actions: Mapping[int, str], node: int, root_actions: Sequence[str] | None,
                example_id: str, field: str, element: str | None) -> None:
    """The root (node 0, top level) may only take `root_actions`, as the sampler's legal mask says."""
    if node != 0 or node not in actions or root_actions is None or tree[0].parent is not None:
        return
    if actions[0] not in root_actions:
        raise PartialLayoutError(example_id, field, element,
                                 f"{_node_name(tree, 0)} is the section's root, which may only be "
                                 f"{' or '.join(root_actions)} (sample.root_types), not {actions[0]!r}")


def _element_boxes(boxes_obj: Any, elements: list[_Element], members: list[list[int]], example_id: str,
                   screenshot_size: tuple[int, int] | None) -> dict[int, GivenBox]:
    """`boxes`: element key -> box of that element's first node; the i-th repeat for the i-th element."""
    if boxes_obj is None:
        return {}
    if not isinstance(boxes_obj, (JsonObject, Mapping)):
        raise PartialLayoutError(example_id, "boxes", None, "expected an object of element key -> box")
    used: dict[str, int] = {}
    boxes: dict[int, GivenBox] = {}
    for key, value in boxes_obj.items():
        matching = [e for e, element in enumerate(elements) if element.key == key]
        if not matching:
            raise PartialLayoutError(example_id, "boxes", key, "no given element has this key; `boxes` names "
                                     "elements of `structure` by their key exactly as written there")
        occurrence = used.get(key, 0)
        if occurrence >= len(matching):
            raise PartialLayoutError(example_id, "boxes", key, f"given {occurrence + 1} times, but `structure` "
                                     f"has {len(matching)} such element(s)")
        used[key] = occurrence + 1
        if not isinstance(value, (JsonObject, Mapping)):
            raise PartialLayoutError(example_id, "boxes", key, 'expected {"box": [x, y, w, h]}, '
                                     '{"location": [cx, cy]} and/or {"size": [w, h]}')
        unknown = [k for k in value if k not in BOX_FIELDS]
        if unknown:
            raise PartialLayoutError(example_id, "boxes", key, f"unknown fields {unknown}; give "
                                     f"{', '.join(BOX_FIELDS)}")
        boxes[members[matching[occurrence]][0]] = read_box(value, example_id, "boxes", key, screenshot_size)
    return boxes


def _read_nodes(tree: HtmlTree, nodes_obj: Any, actions: dict[int, str], boxes: dict[int, GivenBox],
                element_of: Mapping[int, int], elements: list[_Element], given_props: dict[str, int],
                example_id: str, vocab: Vocabulary, root_actions: Sequence[str] | None,
                screenshot_size: tuple[int, int] | None) -> None:
    """`nodes`: node -> action and/or box, added to `actions` and `boxes` after checking them."""
    if nodes_obj is None:
        return
    if not isinstance(nodes_obj, (JsonObject, Mapping)):
        raise PartialLayoutError(example_id, "nodes", None, 'expected an object of node -> {"action", "box", ...}')
    seen: dict[int, str] = {}
    for ref, value in nodes_obj.items():
        name = str(ref)
        node = resolve_node(tree, ref, example_id)
        if node in seen:
            raise PartialLayoutError(example_id, "nodes", name, f"{_node_name(tree, node)} is given twice "
                                     f"(also as {seen[node]!r})")
        seen[node] = name
        if not isinstance(value, (JsonObject, Mapping)):
            raise PartialLayoutError(example_id, "nodes", name, 'expected {"action": ...} and/or a box')
        unknown = [k for k in value if k not in ("action",) + BOX_FIELDS]
        if unknown:
            raise PartialLayoutError(example_id, "nodes", name, f"unknown fields {unknown}; give 'action' "
                                     f"and/or {', '.join(BOX_FIELDS)}")
        if "action" in value:
            _add_node_action(tree, node, name, value["action"], actions, element_of, elements, given_props,
                             example_id, vocab, root_actions)
        if any(k in value for k in BOX_FIELDS):
            if node in boxes:
                raise PartialLayoutError(example_id, "nodes", name, f"{_node_name(tree, node)} has a box "
                                         f"given twice (also by {boxes[node].source})")
            boxes[node] = read_box(value, example_id, "nodes", name, screenshot_size)


def _add_node_action(tree: HtmlTree, node: int, name: str, action: Any, actions: dict[int, str],
                     element_of: Mapping[int, int], elements: list[_Element], given_props: dict[str, int],
                     example_id: str, vocab: Vocabulary, root_actions: Sequence[str] | None) -> None:
    """One `nodes` action: known, legal at its node, and agreeing with the given elements and props."""
    known = [a for a in vocab.actions if a not in (PAD, MASK)]
    if not isinstance(action, str) or action not in known:
        raise PartialLayoutError(example_id, "nodes", name, f"unknown action {action!r}; known: {', '.join(known)}")
    if node in actions and actions[node] != action:
        by = (f"the given element {elements[element_of[node]].key!r}" if node in element_of
              else "`props`")
        raise PartialLayoutError(example_id, "nodes", name, f"{_node_name(tree, node)} is given twice: "
                                 f"{actions[node]!r} by {by} and {action!r} here")
    parent, sibling = tree[node].parent, tree.previous_sibling(node)
    target = parent if action == MERGE_UP else sibling if action == MERGE_LEFT else None
    if action in (MERGE_UP, MERGE_LEFT) and target is None:
        needs = "a parent node" if action == MERGE_UP else "a previous sibling node"
        raise PartialLayoutError(example_id, "nodes", name, f"{action} cannot hold at {_node_name(tree, node)}: "
                                 f"it needs {needs}, and this node has none")
    if target is not None and target in element_of and node not in element_of:
        raise PartialLayoutError(example_id, "nodes", name, f"{action} would add {_node_name(tree, node)} to the "
                                 f"given element {elements[element_of[target]].key!r}, whose key does not list it")
    prop = vocab.prop_of(action)
    if prop is not None and given_props.get(prop, node) != node:
        raise PartialLayoutError(example_id, "nodes", name, f"prop {prop!r} is given twice: "
                                 f"{_node_name(tree, given_props[prop])} and {_node_name(tree, node)}")
    if prop is not None:
        given_props[prop] = node
    actions[node] = action
    _check_root(tree, actions, node, root_actions, example_id, "nodes", name)


def _blocked(tree: HtmlTree, actions: Mapping[int, str], element_of: Mapping[int, int],
             given_props: Mapping[str, int], vocab: Vocabulary) -> dict[int, frozenset[str]]:
    """Per generated node, the actions that would change what is given: joining a given element
    (MERGE_UP under one of its nodes, MERGE_LEFT after one) or taking a given prop."""
    props = {prop_action(p) for p in given_props}
    blocked: dict[int, frozenset[str]] = {}
    for node in range(len(tree)):
        if node in actions:
            continue
        parent, sibling = tree[node].parent, tree.previous_sibling(node)
        actions_here = set(props)
        if parent is not None and parent in element_of:
            actions_here.add(MERGE_UP)
        if sibling is not None and sibling in element_of:
            actions_here.add(MERGE_LEFT)
        if actions_here:
            blocked[node] = frozenset(actions_here)
    return blocked


# ----------------------------------------------------------------------------- checking a result

def lost_given(partial: PartialLayout, tree: HtmlTree, actions: Sequence[str],
               boxes: Sequence[Sequence[float]] | None = None, vocab: Vocabulary = DEFAULT_VOCAB,
               tolerance: float = 1e-6) -> list[str]:
    """What of `partial` a completed layout does not keep (empty: all of it): given actions, given
    elements (type and node set, as decoding forms them), given props, and given box coordinates
    (`boxes` `[x, y, w, h]` pixels per node, compared as centre and size)."""
    problems = [f"node {node}: {actions[node]!r}, given {action!r}"
                for node, action in partial.actions.items() if actions[node] != action]
    decoded = decode_elements(tree, actions, vocab)
    present = set(zip(decoded.types, decoded.members))
    problems += [f"element {element_type}@{list(nodes)} is missing" for element_type, nodes in partial.elements
                 if (element_type, nodes) not in present]
    problems += [f"prop {prop!r}: node {decoded.props.get(prop)}, given {node}"
                 for prop, node in partial.props.items() if decoded.props.get(prop) != node]
    for node, given in (partial.boxes.items() if boxes is not None else ()):
        x, y, w, h = (float(v) for v in boxes[node])
        for name, value, want, on in zip(COORDINATES, (x + w / 2, y + h / 2, w, h), given.values, given.mask):
            if on and abs(value - want) > tolerance * max(1.0, abs(want)):
                problems.append(f"node {node}: {name} {value}, given {want}")
    return problems
