"""Layout <-> one action per html node (DATA_FORMAT §2).

`encode_layout` resolves every output key against the html nodes it can refer
to and returns the action of each node; `decode_layout` rebuilds the layout
from actions deterministically, repairing inconsistent predictions by fixed,
counted rules. For every representable layout, decode(encode(x)) == x.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dlt_jax.layout.html import HtmlTree
from dlt_jax.layout.jsonio import JsonObject, dump_json
from dlt_jax.layout.vocab import (DEFAULT_VOCAB, DROP, MASK, MERGE_LEFT, MERGE_UP, PAD, Vocabulary,
                                  prop_action)

# LayoutError reasons.
BAD_LAYOUT = "bad_layout"            # not {"structure": {...}, "props": {...}}
BAD_VALUE = "bad_value"              # an element's value is neither "" nor an object
NO_NODES = "no_nodes"                # an output key names a type but no html node
UNKNOWN_TYPE = "unknown_type"        # the type is not in the vocabulary
UNRESOLVED_KEY = "unresolved_key"    # the key's nodes do not all exist in the html
NOT_CONNECTED = "not_connected"      # the nodes exist but no connected set of them does
MISPLACED = "misplaced"              # no connected set sits under the parent element, in order
MIXED_STYLE = "mixed_style"          # keys of one layout use two output styles
UNKNOWN_PROP = "unknown_prop"        # a props key other than bi/bo/bv (or configured ones)
DUPLICATE_PROP = "duplicate_prop"    # the same prop named twice
UNRESOLVED_PROP = "unresolved_prop"  # no free html node with the prop's key
PROP_ORDER = "prop_order"            # props not listed in the preorder of their nodes
SEARCH_LIMIT = "search_limit"        # too many ambiguous choices to decide
REASONS = (BAD_LAYOUT, BAD_VALUE, NO_NODES, UNKNOWN_TYPE, UNRESOLVED_KEY, NOT_CONNECTED,
           MISPLACED, MIXED_STYLE, UNKNOWN_PROP, DUPLICATE_PROP, UNRESOLVED_PROP, PROP_ORDER,
           SEARCH_LIMIT)

# Repairs counted by decode_layout.
REPAIR_MERGE_UP = "merge_up_without_target"
REPAIR_MERGE_LEFT = "merge_left_without_target"
REPAIR_DUPLICATE_PROP = "duplicate_prop"
REPAIR_NOT_AN_ACTION = "pad_or_mask_on_node"

SPELLING_ORIGINAL = "original"
SPELLING_DOT = "dot"
_BOTH_SPELLINGS = frozenset((SPELLING_ORIGINAL, SPELLING_DOT))


class LayoutError(ValueError):
    """A layout that cannot be represented as actions: which output key, and why."""

    def __init__(self, key: str, reason: str, message: str):
        super().__init__(f"{key!r}: {reason}: {message}")
        self.key = key
        self.reason = reason
        self.message = message


@dataclasses.dataclass(frozen=True)
class OutputStyle:
    """How output keys are spelled: `heading@h1-c_fff` or `heading.h1.c_fff`."""

    type_separator: str = "@"
    node_spelling: str = SPELLING_ORIGINAL

    def __post_init__(self):
        if self.type_separator not in ("@", "."):
            raise ValueError(f"type_separator must be '@' or '.', got {self.type_separator!r}")
        if self.node_spelling not in (SPELLING_ORIGINAL, SPELLING_DOT):
            raise ValueError(f"node_spelling must be 'original' or 'dot', got {self.node_spelling!r}")

    @property
    def name(self) -> str:
        """`type@original`, `type.dot`, ...: how reports and stored records name a style."""
        return f"type{self.type_separator}{self.node_spelling}"

    @classmethod
    def from_name(cls, name: str) -> "OutputStyle":
        """The inverse of `name`."""
        if not name.startswith("type") or len(name) < 6:
            raise ValueError(f"not an output style name: {name!r} (expected e.g. 'type@original')")
        return cls(name[4], name[5:])

    def spell(self, tree: HtmlTree, index: int) -> str:
        key = tree[index].key
        return key.key if self.node_spelling == SPELLING_ORIGINAL else key.dot_key

    def element_key(self, element_type: str, tree: HtmlTree, members: Sequence[int]) -> str:
        return element_type + self.type_separator + "@".join(self.spell(tree, m) for m in members)


DEFAULT_STYLE = OutputStyle()


@dataclasses.dataclass(frozen=True)
class Encoded:
    """A layout as actions. `props` maps prop name -> node index."""

    actions: tuple[str, ...]
    props: Mapping[str, int]
    style: OutputStyle
    elements: tuple[tuple[str, tuple[int, ...]], ...]  # (type, member nodes) in output preorder
    # Every style the keys are consistent with (`div.a` reads the same in both node
    # spellings), so a dataset's style can be agreed over all its examples.
    compatible_styles: frozenset[OutputStyle] = frozenset()


@dataclasses.dataclass(frozen=True)
class Decoded:
    """A layout rebuilt from actions, with the count of each repair it needed."""

    layout: JsonObject
    repairs: Mapping[str, int]

    def __iter__(self):
        return iter((self.layout, self.repairs))


# ----------------------------------------------------------------------------- decoding

@dataclasses.dataclass(frozen=True)
class DecodedElements:
    """The output elements decoded from actions, before spelling: what metrics compare.

    Elements are listed in output preorder (the order decoding opens them);
    `members[e]` are element e's html nodes in preorder, `parents[e]` its parent
    element (None at the top), `props` maps prop -> node (first kept).
    """

    types: tuple[str, ...]
    members: tuple[tuple[int, ...], ...]
    parents: tuple[int | None, ...]
    props: Mapping[str, int]
    repairs: Mapping[str, int]

    def children(self) -> list[list[int]]:
        """Child elements of each element, in order."""
        children: list[list[int]] = [[] for _ in self.types]
        for element, parent in enumerate(self.parents):
            if parent is not None:
                children[parent].append(element)
        return children

    @property
    def roots(self) -> list[int]:
        return [e for e, parent in enumerate(self.parents) if parent is None]


def decode_elements(tree: HtmlTree, actions: Sequence[str], vocab: Vocabulary = DEFAULT_VOCAB) -> DecodedElements:
    """Elements (type, member nodes, parent) and props from one action name per node (preorder).

    Applies and counts the same repairs as `decode_layout`, which spells its result.
    """
    if len(actions) != len(tree):
        raise ValueError(f"got {len(actions)} actions for {len(tree)} html nodes")
    repairs: collections.Counter = collections.Counter()
    owner: list[int | None] = [None] * len(tree)
    types: list[str] = []
    members: list[list[int]] = []
    parents: list[int | None] = []
    props: dict[str, int] = {}

    def open_element(node: int, element_type: str) -> None:
        parents.append(_nearest_owner(tree, owner, node))
        owner[node] = len(types)
        types.append(element_type)
        members.append([node])

    for node, action in enumerate(actions):
        if vocab.is_type(action):
            open_element(node, action)
        elif action in (MERGE_UP, MERGE_LEFT):
            target = tree[node].parent if action == MERGE_UP else tree.previous_sibling(node)
            element = None if target is None else owner[target]
            if element is None:
                repairs[REPAIR_MERGE_UP if action == MERGE_UP else REPAIR_MERGE_LEFT] += 1
                open_element(node, "wrapper")
            else:
                owner[node] = element
                members[element].append(node)
        elif vocab.prop_of(action) is not None:
            prop = vocab.prop_of(action)
            if prop in props:
                repairs[REPAIR_DUPLICATE_PROP] += 1
            else:
                props[prop] = node
        elif action in (PAD, MASK):
            repairs[REPAIR_NOT_AN_ACTION] += 1
        elif action != DROP:
            raise ValueError(f"node {node}: unknown action {action!r}")

    ordered_props = dict(sorted(props.items(), key=lambda item: item[1]))
    return DecodedElements(tuple(types), tuple(tuple(m) for m in members), tuple(parents), ordered_props,
                           dict(repairs))


def decode_layout(tree: HtmlTree, actions: Sequence[str], style: OutputStyle = DEFAULT_STYLE,
                  vocab: Vocabulary = DEFAULT_VOCAB) -> Decoded:
    """Rebuilds `{"structure", "props"}` from one action name per node (preorder)."""
    elements = decode_elements(tree, actions, vocab)
    children = elements.children()

    def build(indices: list[int]) -> JsonObject:
        return JsonObject(
            (style.element_key(elements.types[e], tree, elements.members[e]),
             build(children[e]) if children[e] else "")
            for e in indices)

    layout = JsonObject([
        ("structure", build(elements.roots)),
        ("props", JsonObject((prop, style.spell(tree, node)) for prop, node in elements.props.items())),
    ])
    return Decoded(layout, dict(elements.repairs))


def _nearest_owner(tree: HtmlTree, owner: Sequence[int | None], node: int) -> int | None:
    for ancestor in tree.ancestors(node):
        if owner[ancestor] is not None:
            return owner[ancestor]
    return None


# ----------------------------------------------------------------------------- encoding

@dataclasses.dataclass(frozen=True)
class _Element:
    key: str
    type: str
    type_separator: str
    remainder: str
    parent: int | None        # index into the element list, None at the root
    previous_sibling: int | None


@dataclasses.dataclass(frozen=True)
class _Prop:
    name: str
    key: str


def split_layout(layout: Any) -> tuple[Any, Any]:
    """(structure, props) of a layout object; a missing `props` is empty."""
    if not isinstance(layout, (JsonObject, Mapping)) or "structure" not in layout:
        raise LayoutError("layout", BAD_LAYOUT, 'expected an object with "structure" (and optional "props")')
    structure = layout["structure"]
    props = layout.get("props")
    if props is None:
        props = JsonObject()
    if not isinstance(structure, (JsonObject, Mapping)):
        raise LayoutError("structure", BAD_LAYOUT, f"expected an object, got {type(structure).__name__}")
    if not isinstance(props, (JsonObject, Mapping)):
        raise LayoutError("props", BAD_LAYOUT, f"expected an object, got {type(props).__name__}")
    return structure, props


def layout_element_types(layout: Any, roots_only: bool = False) -> list[str]:
    """Every element type of a layout (or of its top elements), in output preorder, repeats kept."""
    structure, _ = split_layout(layout)
    return [element.type for element in _flatten_structure(structure, DEFAULT_VOCAB, check_types=False)
            if not roots_only or element.parent is None]


def encode_layout(tree: HtmlTree, layout: Any, vocab: Vocabulary = DEFAULT_VOCAB,
                  max_search_steps: int = 200_000) -> Encoded:
    """Resolves a layout against its html tree into one action per node.

    Raises LayoutError naming the output key and the reason when the layout
    cannot be represented; it never guesses.
    """
    structure, props_obj = split_layout(layout)
    elements = _flatten_structure(structure, vocab, check_types=True)
    props = _flatten_props(props_obj, vocab)
    type_separator = _check_type_separators(elements)
    search = _Search(tree, elements, props, max_search_steps)
    solution = search.solve()
    if solution is None:
        raise search.failure()
    owner, members, prop_nodes, spellings = solution
    style = OutputStyle(type_separator, SPELLING_ORIGINAL if SPELLING_ORIGINAL in spellings else SPELLING_DOT)
    separators = (type_separator,) if elements else ("@", ".")
    actions = _actions_from_solution(tree, vocab, elements, owner, members, prop_nodes, props)
    encoded = Encoded(tuple(actions), {p.name: n for p, n in zip(props, prop_nodes)}, style,
                      tuple((e.type, tuple(m)) for e, m in zip(elements, members)),
                      frozenset(OutputStyle(sep, spelling) for sep in separators for spelling in spellings))
    _check_round_trip(tree, layout, encoded, vocab)
    return encoded


def _flatten_structure(structure: Any, vocab: Vocabulary, check_types: bool) -> list[_Element]:
    elements: list[_Element] = []

    def visit(obj: Any, parent: int | None) -> None:
        previous = None
        for key, value in obj.items():
            cut = min((i for i in (key.find("@"), key.find(".")) if i >= 0), default=-1)
            if cut <= 0 or cut == len(key) - 1:
                raise LayoutError(key, NO_NODES, "expected TYPE@node-key (e.g. heading@h1.title)")
            element_type = key[:cut]
            if check_types and not vocab.is_type(element_type):
                raise LayoutError(key, UNKNOWN_TYPE, f"{element_type!r} is not an element type; "
                                  f"known: {', '.join(vocab.element_types)} (extend the vocabulary "
                                  "in the config to add one)")
            if not (value == "" or isinstance(value, (JsonObject, Mapping))):
                raise LayoutError(key, BAD_VALUE, f'expected "" or an object of child elements, got {value!r}')
            index = len(elements)
            elements.append(_Element(key, element_type, key[cut], key[cut + 1:], parent, previous))
            previous = index
            if value != "":
                visit(value, index)

    visit(structure, None)
    return elements


def _flatten_props(props_obj: Any, vocab: Vocabulary) -> list[_Prop]:
    props, seen = [], set()
    for name, key in props_obj.items():
        if name not in vocab.props:
            raise LayoutError(name, UNKNOWN_PROP, f"props may name {', '.join(vocab.props)}")
        if name in seen:
            raise LayoutError(name, DUPLICATE_PROP, "named twice; a section has one node per prop")
        if not isinstance(key, str) or not key:
            raise LayoutError(name, BAD_VALUE, f"expected an html key, got {key!r}")
        seen.add(name)
        props.append(_Prop(name, key))
    return props


def _matches(tree: HtmlTree, node: int, text: str, start: int) -> list[tuple[int, frozenset[str]]]:
    """Where a reference to `node` at `text[start:]` ends, per spelling that fits.

    A reference ends at the end of `text` or at the '@' joining the next node key.
    Both spellings may fit with the same end (`div.a` is its own dot form).
    """
    key = tree[node].key
    ends: dict[int, set[str]] = {}
    for spelling, spelled in ((SPELLING_ORIGINAL, key.key), (SPELLING_DOT, key.dot_key)):
        end = start + len(spelled)
        if text.startswith(spelled, start) and (end == len(text) or text[end] == "@"):
            ends.setdefault(end, set()).add(spelling)
    return [(end, frozenset(spellings)) for end, spellings in ends.items()]


def _spellings_of(tree: HtmlTree, node: int, key: str) -> frozenset[str]:
    """The spellings under which `key` names `node` as a whole."""
    return next((spellings for end, spellings in _matches(tree, node, key, 0) if end == len(key)),
                frozenset())


def _is_linked(tree: HtmlTree, node: int, is_member) -> bool:
    """Whether `node` can merge into an element: its parent or previous sibling is in it."""
    parent, sibling = tree[node].parent, tree.previous_sibling(node)
    return (parent is not None and is_member(parent)) or (sibling is not None and is_member(sibling))


class _Search:
    """Backtracking search for the html nodes of every output element and prop.

    Elements are placed in output preorder. A placement is valid when (a) the
    first member's nearest taken ancestor belongs to the parent element, (b)
    no member is an ancestor of an already-taken node, (c) the first member
    comes after the previous sibling element's first member, and (d) every
    later member links to an earlier one through its parent or previous
    sibling. Decoding needs exactly these to put each element back in place.
    """

    def __init__(self, tree: HtmlTree, elements: list[_Element], props: list[_Prop], max_steps: int):
        self.tree = tree
        self.elements = elements
        self.props = props
        self.max_steps = max_steps
        self.steps = 0
        self.owner: list[int | None] = [None] * len(tree)
        self.taken_below = [0] * len(tree)   # taken nodes strictly inside each node's subtree
        self.members: list[list[int]] = [[] for _ in elements]
        self.spellings = [_BOTH_SPELLINGS]  # stack: spellings all references so far agree on
        self.placed = 0                      # most elements placed at once
        self.mixed_spelling = False          # a match was refused for mixing spellings

    def solve(self) -> tuple[list[int | None], list[list[int]], list[int], list[frozenset[str]]] | None:
        """Depth first over elements, one generator of placements per element."""
        placements: list[Iterator[None]] = []
        if self.elements:
            placements.append(self._placements(0))
        while placements or not self.elements:
            if self.elements:
                try:
                    next(placements[-1])
                except StopIteration:
                    placements.pop()
                    continue
                self.placed = max(self.placed, len(placements))
                if len(placements) < len(self.elements):
                    placements.append(self._placements(len(placements)))
                    continue
            prop_nodes = self._prop_nodes()
            if prop_nodes is not None:
                return list(self.owner), [list(m) for m in self.members], prop_nodes, self.spellings[-1]
            if not self.elements:
                break
        return None

    # -- taking and releasing nodes
    def _take(self, node: int, element: int) -> None:
        self.owner[node] = element
        for ancestor in self.tree.ancestors(node):
            self.taken_below[ancestor] += 1

    def _release(self, node: int) -> None:
        self.owner[node] = None
        for ancestor in self.tree.ancestors(node):
            self.taken_below[ancestor] -= 1

    def _free(self, node: int) -> bool:
        return self.owner[node] is None and self.taken_below[node] == 0

    def _tick(self) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise LayoutError("layout", SEARCH_LIMIT, f"gave up after {self.max_steps} tries; "
                              "too many ambiguous repeated keys to decide")

    # -- placements of one element
    def _placements(self, e: int) -> Iterator[None]:
        """Takes each valid member sequence of element e in turn, undoing it on resume."""
        element = self.elements[e]
        lower = -1 if element.previous_sibling is None else self.members[element.previous_sibling][0]
        for node in range(lower + 1, len(self.tree)):
            if self._free(node) and _nearest_owner(self.tree, self.owner, node) == element.parent:
                for end, spellings in _matches(self.tree, node, element.remainder, 0):
                    yield from self._with_member(e, node, end, spellings)

    def _with_member(self, e: int, node: int, end: int, spellings: frozenset[str]) -> Iterator[None]:
        agreed = self.spellings[-1] & spellings
        if not agreed:
            self.mixed_spelling = True
            return
        self._tick()
        self._take(node, e)
        self.members[e].append(node)
        self.spellings.append(agreed)
        remainder = self.elements[e].remainder
        if end == len(remainder):
            yield None
        else:
            for later in range(node + 1, len(self.tree)):
                if self._free(later) and _is_linked(self.tree, later, lambda n: self.owner[n] == e):
                    for later_end, later_spellings in _matches(self.tree, later, remainder, end + 1):
                        yield from self._with_member(e, later, later_end, later_spellings)
        self.spellings.pop()
        self.members[e].pop()
        self._release(node)

    # -- props, after the structure
    def _prop_nodes(self) -> list[int] | None:
        """Free nodes for the props, in their written order, preferring shallow ones."""
        chosen: list[int] = []
        for _ in self._prop_choices(0, -1, chosen):
            return list(chosen)
        return None

    def _prop_choices(self, p: int, lower: int, chosen: list[int]) -> Iterator[None]:
        if p == len(self.props):
            yield None
            return
        key = self.props[p].key
        candidates = [n for n in range(lower + 1, len(self.tree)) if self.owner[n] is None]
        for node in sorted(candidates, key=lambda n: (self.tree[n].depth, n)):
            agreed = self.spellings[-1] & _spellings_of(self.tree, node, key)
            if not agreed:
                self.mixed_spelling = self.mixed_spelling or bool(_spellings_of(self.tree, node, key))
                continue
            self._tick()
            chosen.append(node)
            self.spellings.append(agreed)
            yield from self._prop_choices(p + 1, node, chosen)
            self.spellings.pop()
            chosen.pop()

    # -- explaining a failure
    def failure(self) -> LayoutError:
        """The most specific reason no assignment exists."""
        for element in self.elements:
            problem = _diagnose_element(self.tree, element)
            if problem is not None:
                return problem
        if self.mixed_spelling:
            return LayoutError("layout", MIXED_STYLE, "no reading of the keys quotes every node the "
                               "same way: some as in the html, others re-spelled with dots")
        if self.placed == len(self.elements):
            return _diagnose_props(self.tree, self.props)
        element = self.elements[self.placed]
        parent = "the root" if element.parent is None else repr(self.elements[element.parent].key)
        return LayoutError(element.key, MISPLACED,
                           f"its nodes exist and connect, but no free set of them lies under {parent} "
                           "after its previous sibling element (an element's first node must lie below "
                           "its parent element's nodes, siblings in document order, each node used once)")


def _diagnose_element(tree: HtmlTree, element: _Element) -> LayoutError | None:
    """UNRESOLVED_KEY or NOT_CONNECTED for one element, ignoring all others."""
    text = element.remainder

    @functools.lru_cache(maxsize=None)
    def splits_from(start: int) -> bool:
        return any(end == len(text) or splits_from(end + 1)
                   for node in range(len(tree)) for end, _ in _matches(tree, node, text, start))

    if not splits_from(0):
        return LayoutError(element.key, UNRESOLVED_KEY,
                           f"{text!r} is not a sequence of this example's html node keys joined by '@'")

    def connects(members: tuple[int, ...], start: int) -> bool:
        for node in range(members[-1] + 1 if members else 0, len(tree)):
            if members and not _is_linked(tree, node, members.__contains__):
                continue
            for end, _ in _matches(tree, node, text, start):
                if end == len(text) or connects(members + (node,), end + 1):
                    return True
        return False

    if not connects((), 0):
        return LayoutError(element.key, NOT_CONNECTED,
                           "its html nodes exist, but not as one set in document order where each "
                           "node after the first is the child or next sibling of an earlier one")
    return None


def _diagnose_props(tree: HtmlTree, props: list[_Prop]) -> LayoutError:
    for prop in props:
        if not any(prop.key in (node.key.key, node.key.dot_key) for node in tree.nodes):
            return LayoutError(prop.name, UNRESOLVED_PROP, f"no html node has key {prop.key!r}")
    names = ", ".join(p.name for p in props)
    return LayoutError(props[0].name if props else "props", PROP_ORDER,
                       f"no free html nodes for props ({names}) in the order they are written; props "
                       "must be listed in the document order of their nodes, on nodes the structure "
                       "does not use")


def _check_type_separators(elements: list[_Element]) -> str:
    """The one type separator all output keys use; MIXED_STYLE when they differ."""
    for element in elements:
        if element.type_separator != elements[0].type_separator:
            raise LayoutError(element.key, MIXED_STYLE,
                              f"type separated by {element.type_separator!r} while "
                              f"{elements[0].key!r} uses {elements[0].type_separator!r}")
    return elements[0].type_separator if elements else "@"


def _actions_from_solution(tree: HtmlTree, vocab: Vocabulary, elements: list[_Element],
                           owner: list[int | None], members: list[list[int]],
                           prop_nodes: list[int], props: list[_Prop]) -> list[str]:
    actions = [DROP] * len(tree)
    for e, nodes in enumerate(members):
        actions[nodes[0]] = elements[e].type
        for node in nodes[1:]:
            parent = tree[node].parent
            actions[node] = MERGE_UP if parent is not None and owner[parent] == e else MERGE_LEFT
    for prop, node in zip(props, prop_nodes):
        actions[node] = prop_action(prop.name)
    return actions


def _canonical(layout: Any) -> tuple:
    """A comparable form of a layout: nested key/value tuples, `{}` leaves as ""."""

    def structure(obj: Any) -> tuple:
        return tuple((k, structure(v) if isinstance(v, (JsonObject, Mapping)) and len(v) else "")
                     for k, v in obj.items())

    structure_obj, props = split_layout(layout)
    return structure(structure_obj), tuple(props.items())


def _check_round_trip(tree: HtmlTree, layout: Any, encoded: Encoded, vocab: Vocabulary) -> None:
    decoded = decode_layout(tree, encoded.actions, encoded.style, vocab)
    if decoded.repairs or _canonical(decoded.layout) != _canonical(layout):
        raise LayoutError("layout", MISPLACED, "the resolved nodes decode to a different layout "
                          f"(order or nesting differs): {dump_json(decoded.layout)}")
