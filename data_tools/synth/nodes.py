"""The node builder: one tree gives the html, the html object and the exact labels.

Every `Node` knows its tag, classes, css, content and its action (an element
type, MERGE_UP, MERGE_LEFT, DROP or PROP_*), so the ground-truth layout is
exact by construction and node preorder equals DOM preorder.
"""

from __future__ import annotations

import dataclasses
import html as html_lib
from collections.abc import Iterator

from dlt_jax.layout.jsonio import JsonObject

CONTENT_ORDER = ("text", "src", "alt", "href", "title", "value", "placeholder", "content", "svg")
VOID_TAGS = frozenset(("img", "input", "hr", "br", "source", "meta", "link"))
LAYOUT = frozenset(("section", "grid", "column", "wrapper", "freedom"))
COMPOUND = frozenset(("carousel", "accordion", "tab", "social", "gallery", "masonry", "list", "marquee"))
STRUCTURAL = frozenset(("MERGE_UP", "MERGE_LEFT", "DROP", "PROP_BI", "PROP_BO", "PROP_BV"))


@dataclasses.dataclass(eq=False)
class Node:
    """One element of the section DOM with its label."""

    tag: str
    action: str
    classes: list[str] = dataclasses.field(default_factory=list)
    style: dict[str, str] = dataclasses.field(default_factory=dict)
    children: list["Node"] = dataclasses.field(default_factory=list)
    text: str = ""                       # direct text before the children
    tail: str = ""                       # text after this node, inside its parent
    content: dict[str, str] = dataclasses.field(default_factory=dict)  # html-object content (src, href, ...)
    attrs: dict[str, str] = dataclasses.field(default_factory=dict)    # render-only attributes
    inner_markup: str = ""               # raw markup for svg/iframe-like leaves
    cues: list[str] = dataclasses.field(default_factory=list)
    key: str = ""
    twin: int = 0                        # >0: a visual-only pair (visual_only.py); its nodes spell one key
    selector: str = ""                   # set: the css goes to a <style> rule on this selector, not the style attribute
    parent: "Node | None" = dataclasses.field(default=None, repr=False)

    def add(self, *children: "Node | None") -> "Node":
        for child in children:
            if child is not None:
                self.children.append(child)
        return self


def link_parents(root: Node) -> None:
    for node in preorder(root):
        for child in node.children:
            child.parent = node


def preorder(root: Node) -> Iterator[Node]:
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _direct_text(node: Node) -> str:
    """Direct text as a DOM reader sees it: own text plus children's tails, whitespace collapsed."""
    raw = node.text + "".join(child.tail for child in node.children)
    return " ".join(raw.split())


def to_html_object(root: Node) -> JsonObject:
    """The DATA_FORMAT §1.1 object: {key: "" | {content..., children...}}."""
    return JsonObject([(root.key, _object_value(root))])


def _object_value(node: Node) -> str | JsonObject:
    pairs: list[tuple[str, object]] = []
    text = _direct_text(node)
    content = dict(node.content)
    if text:
        content["text"] = text
    for name in CONTENT_ORDER:
        if name in content:
            pairs.append((name, content[name]))
    for child in node.children:
        pairs.append((child.key, _object_value(child)))
    return JsonObject(pairs) if pairs else ""


def _style_attr(style: dict[str, str]) -> str:
    return ";".join(f"{k}:{v}" for k, v in style.items())


def to_html(node: Node) -> str:
    """Serialises the node tree as html markup (inline styles)."""
    parts: list[str] = []
    _write_html(node, parts)
    return "".join(parts)


def _write_html(node: Node, out: list[str]) -> None:
    attrs = []
    if node.classes:
        attrs.append(f'class="{html_lib.escape(" ".join(node.classes))}"')
    for name, value in node.attrs.items():
        attrs.append(f'{name}="{html_lib.escape(value)}"' if value != "" else name)
    if node.style:
        attrs.append(f'style="{html_lib.escape(_style_attr(node.style))}"')
    out.append(f"<{node.tag}{' ' if attrs else ''}{' '.join(attrs)}>")
    if node.tag in VOID_TAGS:
        out.append(html_lib.escape(node.tail))
        return
    out.append(node.inner_markup)
    out.append(html_lib.escape(node.text))
    for child in node.children:
        _write_html(child, out)
    out.append(f"</{node.tag}>")
    out.append(html_lib.escape(node.tail))


# --- labels ------------------------------------------------------------------

@dataclasses.dataclass(eq=False)
class Element:
    type: str
    members: list[Node]
    parent: "Element | None"
    children: list["Element"] = dataclasses.field(default_factory=list)


def elements_of(root: Node) -> tuple[Element, dict[int, Element]]:
    """Decodes the actions into the element tree (DATA_FORMAT §2 decoding, no repairs)."""
    owner: dict[int, Element] = {}
    top: Element | None = None
    for node in preorder(root):
        action = node.action
        if action in ("DROP", "PROP_BI", "PROP_BO", "PROP_BV"):
            continue
        if action == "MERGE_UP":
            owner[id(node)] = owner[id(node.parent)]
            owner[id(node)].members.append(node)
            continue
        if action == "MERGE_LEFT":
            siblings = node.parent.children
            previous = siblings[siblings.index(node) - 1]
            owner[id(node)] = owner[id(previous)]
            owner[id(node)].members.append(node)
            continue
        parent_element = _nearest_owner(node, owner)
        element = Element(action, [node], parent_element)
        if parent_element is None:
            top = element
        else:
            parent_element.children.append(element)
        owner[id(node)] = element
    assert top is not None, "the section root must start an element"
    return top, owner


def _nearest_owner(node: Node, owner: dict[int, Element]) -> Element | None:
    ancestor = node.parent
    while ancestor is not None:
        if id(ancestor) in owner:
            return owner[id(ancestor)]
        ancestor = ancestor.parent
    return None


def apply_chain_rules(root: Node) -> None:
    """Applies CONVENTIONS' chain and box-around-content rules to the actions.

    Chains: a section/column/wrapper with exactly one child element absorbs a
    child wrapper (MERGE_UP), outermost first, so a chain ends at the first node
    with two or more element children and keeps the outer role (section at the
    root, column in a grid cell); grid, freedom and compound children never join.
    Boxes around one content element: a wrapper (or a wrapper chain) whose only
    element child is content takes the content's type when any of its nodes adds
    spacing, alignment, background or border, and is DROP when none does (parts
    of carousels, accordions and tabs keep a role, so they merge instead).
    Archetypes build plain trees and let this decide, so the rules hold even
    where random choices leave a container with one child.
    """
    link_parents(root)
    while True:
        top, _ = elements_of(root)
        if not _merge_one(top, None):
            return


VISIBLE_PREFIXES = ("margin", "padding", "background", "border", "box-shadow", "outline", "text-align",
                    "justify-content", "align-items", "place-items", "place-content")
_NOTHING_VALUES = frozenset(("", "0", "0px", "none", "transparent", "normal", "initial", "unset", "inherit",
                             "stretch", "flex-start", "start", "left", "0 0 0 0", "0px 0px 0px 0px"))
PARTS_KEEP_ROLE = frozenset(("carousel", "accordion", "tab"))


def adds_visible(node: Node) -> bool:
    """Whether a box adds spacing, alignment, background or border of its own (CONVENTIONS, boxes around content)."""
    return any(name.startswith(VISIBLE_PREFIXES) and value.strip().lower() not in _NOTHING_VALUES
               for name, value in node.style.items())


def _merge_one(element: Element, parent: Element | None) -> bool:
    if element.type in ("section", "column", "wrapper") and len(element.children) == 1:
        child = element.children[0]
        first = child.members[0]
        if first.parent in element.members:
            if child.type == "wrapper":
                first.action = "MERGE_UP"
                return True
            if element.type == "wrapper" and child.type not in LAYOUT and child.type not in COMPOUND:
                keeps_role = parent is not None and parent.type in PARTS_KEEP_ROLE
                if keeps_role or any(adds_visible(member) for member in element.members):
                    element.members[0].action = child.type
                    first.action = "MERGE_UP"
                else:  # boxes that add nothing visible around one content element
                    for member in element.members:
                        member.action = "DROP"
                return True
    return any(_merge_one(child, element) for child in element.children)


def layout_of(root: Node) -> JsonObject:
    """The ground-truth layout {"structure", "props"} in the '@' style with original keys."""
    top, _ = elements_of(root)
    props = JsonObject([(node.action[5:].lower(), node.key) for node in preorder(root)
                        if node.action.startswith("PROP_")])
    return JsonObject([("structure", JsonObject([_element_pair(top)])), ("props", props)])


def _element_pair(element: Element) -> tuple[str, object]:
    key = "@".join([element.type] + [m.key for m in element.members])
    if not element.children:
        return key, ""
    return key, JsonObject([_element_pair(child) for child in element.children])
