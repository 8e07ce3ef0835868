"""The editable annotation outline: one line per html node (preorder) with its proposed action.

A person edits the ACTION column; `parse_outline` reads it back and checks
every line against the html tree, so a bad edit is reported with its line
number and the reason, never guessed. `write_outline(parse_outline(text)) ==
text` for an outline this module wrote (notes and header kept).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping, Sequence

from dlt_jax.layout import DEFAULT_VOCAB, HtmlTree, Vocabulary
from dlt_jax.layout.vocab import DROP, MERGE_LEFT, MERGE_UP

HEADER = "# dlt_jax annotation outline: edit the ACTION column only, one line per html node in preorder"
NOTE_PREFIX = "# note:"
FIELD_PREFIX = "# "
CONTENT_WIDTH = 48
# Short spellings a person may type; the outline is always written with the canonical names.
ALIASES = {"up": MERGE_UP, "^": MERGE_UP, "left": MERGE_LEFT, "<": MERGE_LEFT, "drop": DROP, "-": DROP,
           "bi": "PROP_BI", "bo": "PROP_BO", "bv": "PROP_BV"}
_NODE_LINE = re.compile(r"^\s*(?P<index>\d+)\s+(?P<action>\S+)\s+(?P<key>\S+)(?P<rest>.*)$")


class OutlineError(ValueError):
    """Every problem of an edited outline, one `line N: reason` each."""

    def __init__(self, source: str, problems: Sequence[str]):
        self.source = source
        self.problems = list(problems)
        listed = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s) in the outline:\n{listed}")


@dataclasses.dataclass(frozen=True)
class Outline:
    """What an outline says: one action per node, the annotator's notes and the header fields."""

    actions: tuple[str, ...]
    notes: tuple[str, ...] = ()
    fields: Mapping[str, str] = dataclasses.field(default_factory=dict)  # id, source, selector, prelabel


def node_content(tree: HtmlTree, index: int) -> str:
    """A short description of what a node holds (its own text, src, href), for the annotator."""
    parts = []
    for kind, value in tree[index].content:
        value = " ".join(value.split())
        if not value:
            continue
        if kind in ("src", "href"):
            value = value.rsplit("/", 1)[-1] or value
        parts.append(f'{kind}="{value}"' if kind != "text" else f'"{value}"')
    text = " ".join(parts)
    return text if len(text) <= CONTENT_WIDTH else text[:CONTENT_WIDTH - 1] + "…"


def _box_text(box: Sequence[float] | None) -> str:
    if box is None:
        return ""
    x, y, w, h = (round(float(v)) for v in box)
    return f"[{x} {y} {w} {h}]" if w > 0 and h > 0 else "[hidden]"


def write_outline(tree: HtmlTree, actions: Sequence[str], boxes: Sequence[Sequence[float]] | None = None,
                  fields: Mapping[str, str] | None = None, notes: Sequence[str] = (),
                  vocab: Vocabulary = DEFAULT_VOCAB) -> str:
    """The outline text: header, fields, notes, then `index action key box content` per node."""
    if len(actions) != len(tree):
        raise ValueError(f"{len(actions)} actions for {len(tree)} html nodes")
    lines = [HEADER,
             "# (do not add, remove or reorder node lines; the key column is checked against the html)",
             f"# actions: {' '.join(vocab.element_types)}",
             f"#          {MERGE_UP} {MERGE_LEFT} {DROP} {' '.join(vocab.prop_actions)}"
             f"   (short: up left drop bi bo bv)",
             "# lines starting with '# note:' are kept with the annotation"]
    lines += [f"{FIELD_PREFIX}{name}: {value}" for name, value in (fields or {}).items()]
    lines += [f"{NOTE_PREFIX} {note}" for note in notes]
    width = max((2 * node.depth + len(node.key.key) for node in tree.nodes), default=0) + 2
    for node, action in zip(tree.nodes, actions):
        key = "  " * node.depth + node.key.key
        box = _box_text(boxes[node.index] if boxes is not None else None)
        line = f"{node.index:>4}  {action:<11} {key:<{width}} {box:<22} {node_content(tree, node.index)}"
        lines.append(line.rstrip())
    return "\n".join(lines) + "\n"


def canonical_action(text: str, vocab: Vocabulary = DEFAULT_VOCAB) -> str | None:
    """The action a person meant (`Heading`, `up`, `merge_up`), or None when it is not one."""
    if text in vocab.actions:
        return text
    lowered = text.lower()
    if lowered in ALIASES:
        return ALIASES[lowered]
    by_lower = {a.lower(): a for a in vocab.actions}
    return by_lower.get(lowered)


def _unknown_action(text: str, vocab: Vocabulary) -> str:
    close = difflib.get_close_matches(text.lower(), [a.lower() for a in vocab.actions], n=1)
    hint = f" (did you mean {canonical_action(close[0], vocab)}?)" if close else ""
    return f"unknown action {text!r}{hint}"


def parse_outline(text: str, tree: HtmlTree, source: str = "outline",
                  vocab: Vocabulary = DEFAULT_VOCAB) -> Outline:
    """Reads an edited outline against its html tree; OutlineError lists every bad line and why."""
    problems: list[str] = []
    actions: list[str | None] = [None] * len(tree)
    line_of: dict[int, int] = {}
    notes, fields = [], {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith(NOTE_PREFIX):
            notes.append(stripped[len(NOTE_PREFIX):].strip())
            continue
        if stripped.startswith("#"):
            field = re.match(r"^#\s(id|source|selector|prelabel|style):\s(.*)$", stripped)
            if field:
                fields[field.group(1)] = field.group(2).strip()
            continue
        match = _NODE_LINE.match(line)
        if match is None:
            problems.append(f"line {number}: not a node line (expected: index action key ...)")
            continue
        index, key = int(match.group("index")), match.group("key")
        if index >= len(tree):
            problems.append(f"line {number}: node {index} does not exist (the html has {len(tree)} nodes)")
            continue
        if index in line_of:
            problems.append(f"line {number}: node {index} is already on line {line_of[index]}")
            continue
        if key != tree[index].key.key:
            problems.append(f"line {number}: node {index} is {tree[index].key.key!r} in the html, "
                            f"the line says {key!r} (lines must stay in preorder, keys unchanged)")
            continue
        line_of[index] = number
        action = canonical_action(match.group("action"), vocab)
        if action is None or action not in vocab.actions or action in ("PAD", "MASK"):
            problems.append(f"line {number}: {_unknown_action(match.group('action'), vocab)}")
            continue
        actions[index] = action
    missing = [i for i in range(len(tree)) if i not in line_of]
    if missing:
        shown = ", ".join(str(i) for i in missing[:10]) + (" ..." if len(missing) > 10 else "")
        problems.append(f"the outline has no line for node(s) {shown} of {len(tree)}")
    if not problems:
        problems += action_problems(tree, actions, line_of, vocab)
    if problems:
        raise OutlineError(source, problems)
    return Outline(tuple(actions), tuple(notes), fields)


def action_problems(tree: HtmlTree, actions: Sequence[str], line_of: Mapping[int, int] | None = None,
                    vocab: Vocabulary = DEFAULT_VOCAB) -> list[str]:
    """Actions that cannot hold where they stand (CONVENTIONS.md, DATA_FORMAT §2), as `line N: why`.

    A merge needs an element to join (its parent's / previous sibling's), each prop occurs once,
    the root node is the one `section`, and a `column` sits directly in a `grid`.
    """
    line_of = line_of or {i: i + 1 for i in range(len(tree))}
    where = lambda node: f"line {line_of[node]}: node {node} {tree[node].key.key!r}"
    problems = []
    owner: list[int | None] = [None] * len(tree)   # node -> the node that starts its element
    element_type: dict[int, str] = {}
    prop_node: dict[str, int] = {}

    def nearest_element(node: int) -> int | None:
        return next((owner[a] for a in tree.ancestors(node) if owner[a] is not None), None)

    for node, action in enumerate(actions):
        if vocab.is_type(action):
            owner[node] = node
            element_type[node] = action
            parent_element = nearest_element(node)
            if action == "section" and node != 0:
                problems.append(f"{where(node)}: a second section (only the root node is the section)")
            if action == "column" and (parent_element is None or element_type[parent_element] != "grid"):
                inside = "nothing" if parent_element is None else element_type[parent_element]
                problems.append(f"{where(node)}: a column must sit directly in a grid, this one is in {inside}")
        elif action in (MERGE_UP, MERGE_LEFT):
            target = tree[node].parent if action == MERGE_UP else tree.previous_sibling(node)
            if target is None:
                problems.append(f"{where(node)}: {action} with nothing to merge into "
                                f"({'a top-level node has no parent' if action == MERGE_UP else 'no previous sibling'})")
            elif owner[target] is None:
                problems.append(f"{where(node)}: {action} into node {target} (line {line_of[target]}), "
                                f"which is {actions[target]} and belongs to no element")
            else:
                owner[node] = owner[target]
        elif vocab.prop_of(action) is not None:
            prop = vocab.prop_of(action)
            if prop in prop_node:
                problems.append(f"{where(node)}: a second {action} (the first is node {prop_node[prop]}, "
                                f"line {line_of[prop_node[prop]]})")
            else:
                prop_node[prop] = node
    if len(actions) and actions[0] != "section":
        problems.insert(0, f"{where(0)}: the root node must be the section, not {actions[0]}")
    return problems
