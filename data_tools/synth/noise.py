"""Wrapper chains and page noise over a built section tree, labelled by CONVENTIONS.md.

`add_noise(ctx, root)` runs after an archetype built its tree and before
`nodes.apply_chain_rules`: it nests blocks in layout wrappers (left as
`wrapper`, so the chain rules decide MERGE_UP, the content's type or DROP) and
adds the clutter real pages carry: spacers, decorations, hidden nodes, links
around cards and pictures, inline svg icons and inline spans in text.
"""

from __future__ import annotations

from collections.abc import Iterator

from data_tools.synth import design, pictures
from data_tools.synth.blocks import CUE_DIVIDER, Ctx, inline_svg, px
from data_tools.synth.nodes import COMPOUND, Node, apply_chain_rules, elements_of, link_parents, preorder

CONTAINERS = frozenset(("section", "column", "wrapper"))
CONTENT = frozenset(("heading", "paragraph", "button", "icon", "image", "counter"))
BOX_TAGS = frozenset(("div", "section", "article", "header", "footer", "form"))
INTERACTIVE = frozenset(("a", "button", "form", "iframe", "input", "textarea", "select", "video"))
FLOW_KEYS = ("display", "flex-direction", "flex-wrap", "gap", "justify-content", "align-items")
# chain depth around a block: 1 wrapper most often, up to 4 (section > wrap > container > inner ...)
DEPTHS, DEPTH_WEIGHTS = (1, 2, 3), (0.6, 0.3, 0.1)
WRAP_ROLES = ("wrap", "inner", "holder", "content-wrap", "main", "block")


def add_noise(ctx: Ctx, root: Node) -> None:
    """Adds wrapper chains and page noise to the tree of one section, in place."""
    link_parents(root)
    before = {id(n) for n in preorder(root)}
    tops = [c for c in root.children if _is_plain_box(c)]
    if ctx.chance(0.3):
        _wrap_section(ctx, root)
    for grid_node in [n for n in preorder(root) if n.action == "grid"]:
        _dress_grid(ctx, grid_node)
    for container in tops:
        if ctx.chance(0.15):
            _nest(ctx, container, _roles(ctx, ("row", "inner", "content")))
    _text_block_boxes(ctx, root)
    _boxes_around_content(ctx, root)
    _links_around_images(ctx, root)
    _inline_svg_icons(ctx, root)
    _inline_spans(ctx, root)
    _title_links(ctx, root)
    _spacers_and_decoration(ctx, root)
    _hidden_nodes(ctx, root)
    apply_chain_rules(root)
    _unwrap_ambiguous(root, {id(n) for n in preorder(root)} - before)


def _unwrap_ambiguous(root: Node, added: set[int]) -> None:
    """Removes added DROP and MERGE_UP nodes that a layout could not tell from another node.

    A layout names nodes by key (tag + classes), and the encoder takes the first
    untaken match in preorder under the parent element: a DROP node keyed like a
    later element node would steal its place, and so would a DROP or prop node
    keyed like a later chain member. Removing such a node (its children move up)
    leaves every other label as it is, so the labels round-trip.
    """
    while True:
        link_parents(root)
        top, owner = elements_of(root)
        order = list(preorder(root))
        position = {id(n): i for i, n in enumerate(order)}
        for node in order:
            if id(node) not in added or node.action not in ("DROP", "MERGE_UP") or node.parent is None:
                continue
            siblings = node.parent.children
            index = siblings.index(node)
            if index + 1 < len(siblings) and siblings[index + 1].action == "MERGE_LEFT":
                continue
            if node.action == "DROP":
                scope, rivals = _owner_node(node, owner), lambda other: other.action != "DROP"
                after = True
            else:
                first = owner[id(node)].members[0]
                scope = root if first is root else _owner_node(first, owner)
                rivals, after = (lambda other: other.action == "DROP" or other.action.startswith("PROP_")), False
            key = (node.tag, tuple(node.classes))
            if any(other is not node and (other.tag, tuple(other.classes)) == key and rivals(other)
                   and (position[id(other)] > position[id(node)]) == after for other in preorder(scope)):
                siblings[index:index + 1] = node.children
                added.discard(id(node))
                break
        else:
            link_parents(root)
            return


def _owner_node(node: Node, owner: dict) -> Node:
    """The first node of the element that `node` hangs on."""
    ancestor = node.parent
    while id(ancestor) not in owner:
        ancestor = ancestor.parent
    return owner[id(ancestor)].members[0]


# --- helpers ---------------------------------------------------------------------

def _ancestors(node: Node) -> Iterator[Node]:
    ancestor = node.parent
    while ancestor is not None:
        yield ancestor
        ancestor = ancestor.parent


def _in_prop_or_hidden(node: Node) -> bool:
    return any(n.action.startswith("PROP_") or n.style.get("display") == "none" for n in (node, *_ancestors(node)))


def _under_compound(node: Node) -> bool:
    return any(ancestor.action in COMPOUND for ancestor in _ancestors(node))


def _is_plain_box(node: Node) -> bool:
    """A layout container we may nest wrappers in (not a compound, grid, prop, or content node)."""
    return (node.action in CONTAINERS and node.tag in BOX_TAGS and node.style.get("display") != "inline-flex"
            and node.style.get("position") != "absolute" and not _in_prop_or_hidden(node))


def _subtree_tags(node: Node) -> set[str]:
    return {n.tag for n in preorder(node)}


def _roles(ctx: Ctx, pool: tuple[str, ...], depth: int | None = None) -> list[str]:
    depth = depth or ctx.rng.choices(DEPTHS, DEPTH_WEIGHTS)[0]
    return [ctx.rng.choice(pool) for _ in range(depth)]


def _nest(ctx: Ctx, node: Node, roles: list[str], styles: list[dict] | None = None) -> Node:
    """Moves `node`'s children into a chain of new wrappers (one per role); returns the innermost.

    The flex/flow layout of `node` moves to the innermost wrapper, which now holds the children.
    """
    flow = {k: node.style.pop(k) for k in FLOW_KEYS if k in node.style}
    if flow.get("display") == "flex" and "display" not in node.style and node.parent is not None:
        node.style["display"] = "block"
    holder = node
    for i, role in enumerate(roles):
        style = dict(styles[i]) if styles and i < len(styles) else {}
        inner = ctx.node("div", "wrapper", role, style, [])
        inner.children, holder.children = holder.children, [inner]
        inner.parent = holder
        holder = inner
    holder.style.update(flow)
    for child in holder.children:
        child.parent = holder
    return holder


def _wrap_one(ctx: Ctx, node: Node, tag: str, role: str, style: dict, action: str = "wrapper") -> Node:
    """Puts a new box around `node` in its parent's children."""
    parent = node.parent
    box = ctx.node(tag, action, role, style, [])
    index = parent.children.index(node)
    parent.children[index] = box
    box.children, box.parent, node.parent = [node], parent, box
    return box


def _insert(parent: Node, index: int, node: Node) -> None:
    """Inserts a DROP/noise node, never right before a MERGE_LEFT node (it joins its left sibling)."""
    while index < len(parent.children) and parent.children[index].action == "MERGE_LEFT":
        index += 1
    parent.children.insert(index, node)
    node.parent = parent


# --- wrapper chains --------------------------------------------------------------

def _wrap_section(ctx: Ctx, root: Node) -> None:
    """section > div.wrapper (> div.inner) > the section's content; background props stay on the root."""
    layers = [c for c in root.children if c.action.startswith("PROP_")]
    content = [c for c in root.children if not c.action.startswith("PROP_")]
    if not content:
        return
    holder = root
    for role in _roles(ctx, WRAP_ROLES, ctx.rng.choice((1, 1, 2))):
        inner = ctx.node("div", "wrapper", role, {"position": "relative", "width": "100%"}, [])
        holder.children = (layers if holder is root else []) + [inner]
        inner.parent = holder
        holder = inner
    holder.children = content
    for child in content:
        child.parent = holder


def _dress_grid(ctx: Ctx, grid_node: Node) -> None:
    """Every cell of one grid gets the same markup: a chain inside the cell and/or a link around it."""
    if _in_prop_or_hidden(grid_node) or _under_compound(grid_node):
        return
    cells = [c for c in grid_node.children if c.action == "column" and _is_plain_box(c)]
    if len(cells) != len(grid_node.children) or not cells:
        return
    t = ctx.theme
    roll = ctx.rng.random()
    if roll < 0.25:  # col > div.card > div.card-body > content, or col > div.inner > content
        carded = not any(c.style.get("background-color") or c.style.get("border") for c in cells) and ctx.chance(0.4)
        depth = ctx.rng.choices((1, 2, 3), (0.65, 0.3, 0.05))[0]
        roles = ["card", "body", "inner"][:depth] if carded else _roles(ctx, ("inner", "body", "content", "box"), depth)
        card_style = {"background-color": t.surface, "border-radius": px(t.radius), "padding": px(ctx.rng.choice((20, 24, 28))),
                      "height": "100%", "box-sizing": "border-box"}
        for cell in cells:
            _nest(ctx, cell, roles, [card_style] if carded else None)
    if ctx.chance(0.12) and not any(_subtree_tags(c) & INTERACTIVE for c in cells):  # a link around each card
        for cell in cells:
            link = _wrap_one(ctx, cell, "a", "link", {"display": "block", "text-decoration": "none",
                                                       "color": "inherit", "height": "100%"}, action="column")
            link.content["href"] = "/" + design.token(ctx.rng, 6)
            for key in ("flex", "min-width"):
                if key in cell.style:
                    link.style[key] = cell.style.pop(key)
            cell.action = "wrapper"  # joins the chain that the link starts


def _text_block_boxes(ctx: Ctx, root: Node) -> None:
    """A heading + paragraph run inside two boxes (the outer a wrapper, the inner MERGE_UP)."""
    if not ctx.chance(0.25):
        return
    for node in list(preorder(root)):
        if not _is_plain_box(node) or _under_compound(node):
            continue
        kids = node.children
        for i in range(len(kids) - 1):
            if kids[i].action == "heading" and kids[i + 1].action == "paragraph" and len(kids) > 2 \
                    and (i + 2 >= len(kids) or kids[i + 2].action != "MERGE_LEFT"):
                pair = kids[i:i + 2]
                outer = ctx.node("div", "wrapper", ctx.rng.choice(("text", "content", "copy")), {}, pair)
                node.children = kids[:i] + [outer] + kids[i + 2:]
                outer.parent = node
                for child in pair:
                    child.parent = outer
                _nest(ctx, outer, [ctx.rng.choice(("inner", "body", "text-inner"))])
                return


def _boxes_around_content(ctx: Ctx, root: Node) -> None:
    """One or two boxes around a single content element: visible ones merge into it, invisible ones are DROP."""
    for node in list(preorder(root)):
        parent = node.parent
        if node.action not in CONTENT or parent is None or not _is_plain_box(parent) or _under_compound(node) \
                or node.style.get("position") == "absolute" or not ctx.chance(0.09):
            continue
        depth = ctx.rng.choice((1, 1, 2))
        visible = ctx.chance(0.7)
        for level in range(depth):
            style = {}
            if visible and level == 0:
                margin = node.style.pop("margin-bottom", None) or px(ctx.rng.choice((8, 12, 16, 24)))
                style = {"margin-bottom": margin} if ctx.chance(0.7) else {"padding": f"{ctx.rng.choice((4, 8))}px 0"}
            node = _wrap_one(ctx, node, "div", ctx.rng.choice(("box", "holder", "wrap", "item")), style)
        if node.style == {} and depth == 1 and ctx.chance(0.3):
            node.style["display"] = "block"


def _links_around_images(ctx: Ctx, root: Node) -> None:
    """`a` around a picture: a box around one content element (DROP when it adds nothing visible)."""
    for node in list(preorder(root)):
        if node.action != "image" or node.parent is None or _in_prop_or_hidden(node):
            continue
        if node.parent.action in ("grid",) or not ctx.chance(0.12):
            continue
        if any(a.tag == "a" for a in _ancestors(node)):
            continue
        link = _wrap_one(ctx, node, "a", "img-link", {"display": "block"})
        link.content["href"] = "/" + design.token(ctx.rng, 6)
        for key in ("break-inside", "margin-bottom", "position", "left", "top", "width", "height", "box-shadow"):
            if key in node.style and node.parent.parent.action in ("masonry", "freedom"):
                link.style[key] = node.style[key]
        if node.parent.parent.action == "freedom":
            node.style.update({"position": "static", "width": "100%", "height": "100%"})
            link.style["position"] = "absolute"


# --- noise -----------------------------------------------------------------------

def svg_icon(ctx: Ctx, size: int, colour: str, role: str = "svg") -> Node:
    """An inline svg glyph (an icon element)."""
    name = ctx.rng.choice(pictures.FEATURE_GLYPHS)
    node = ctx.node("svg", "icon", role, {"display": "block", "width": px(size), "height": px(size),
                                          "margin-bottom": "12px"}, bare=True)
    return inline_svg(node, pictures.glyph(name, colour, size), size=size)


def _inline_svg_icons(ctx: Ctx, root: Node) -> None:
    """An svg glyph before the heading of some blocks that have no icon yet."""
    if not ctx.chance(0.35):
        return
    for node in list(preorder(root)):
        if not _is_plain_box(node) or _under_compound(node) or node.action == "section":
            continue
        kids = node.children
        if kids and kids[0].action == "heading" and not any(k.action == "icon" for k in kids) and ctx.chance(0.5):
            _insert(node, 0, svg_icon(ctx, ctx.rng.choice((20, 24, 32, 40)), ctx.theme.primary))


def _inline_spans(ctx: Ctx, root: Node) -> None:
    """Spans, strongs and links inside running text (DROP)."""
    for node in list(preorder(root)):
        if node.action not in ("paragraph", "heading") or node.children or node.tag in ("a", "button") \
                or node.text.count(" ") < 4 or not ctx.chance(0.08):
            continue
        words = node.text.split(" ")
        cut = ctx.rng.randrange(1, len(words) - 2)
        kind = ctx.rng.choice(("a", "span", "span", "strong"))
        if kind == "a" and any(a.tag == "a" for a in _ancestors(node)):
            kind = "span"  # a link inside a link: the html parser would split the outer one
        inline = ctx.node(kind, "DROP", "inline", {"color": ctx.theme.primary} if kind == "a" else {},
                          text=" ".join(words[cut:cut + 2]), bare=True)
        if kind == "a":
            inline.content["href"] = "/" + design.token(ctx.rng, 5)
        node.text = " ".join(words[:cut]) + " "
        inline.tail = " " + " ".join(words[cut + 2:])
        node.children.append(inline)
        inline.parent = node


def _title_links(ctx: Ctx, root: Node) -> None:
    """`<h3><a href>Title</a></h3>` in the cells of a grid: the link is an inline part of the heading (DROP)."""
    if not ctx.chance(0.1):
        return
    for node in list(preorder(root)):
        if node.action != "heading" or node.children or not node.text or node.tag in ("a", "button") \
                or any(a.tag == "a" for a in _ancestors(node)) or not any(a.action == "column" for a in _ancestors(node)):
            continue
        link = ctx.node("a", "DROP", "title-link", {"color": "inherit", "text-decoration": "none"}, text=node.text,
                        bare=True)
        link.content["href"] = "/" + design.token(ctx.rng, 6)
        node.text = ""
        node.children.append(link)
        link.parent = node


def _spacers_and_decoration(ctx: Ctx, root: Node) -> None:
    t = ctx.theme
    boxes = [n for n in preorder(root) if _is_plain_box(n) and not _under_compound(n) and n.children]
    if ctx.chance(0.12) and boxes:  # an empty spacer div
        parent = ctx.rng.choice(boxes)
        spacer = ctx.node("div", "DROP", "spacer", {"height": px(ctx.rng.choice((16, 24, 32, 48)))})
        _insert(parent, ctx.rng.randint(1, len(parent.children)), spacer)
    if ctx.chance(0.08):  # a decorative shape drawn by an empty div (a pseudo-element in real markup)
        size = ctx.rng.choice((160, 220, 300))
        side = ctx.rng.choice(("left", "right"))
        deco = ctx.node("div", "DROP", "deco", {"position": "absolute", "width": px(size), "height": px(size),
                                                "top": px(-size // 3), side: px(-size // 3), "border-radius": "50%",
                                                "background-color": design.hsl(t.hue, 0.6, 0.5),
                                                "opacity": "0.12", "pointer-events": "none"})
        props = sum(1 for c in root.children if c.action.startswith("PROP_"))
        _insert(root, props, deco)
    if ctx.chance(0.12):  # a short accent line under a heading: a divider
        for node in list(preorder(root)):
            if node.action == "heading" and node.parent is not None and _is_plain_box(node.parent) \
                    and not _under_compound(node):
                bar = ctx.node("div", "divider", "accent", {"width": px(ctx.rng.choice((40, 56, 72))), "height": "3px",
                                                             "background-color": t.primary, "margin": "0 0 16px 0"})
                if node.style.get("text-align") == "center" or node.parent.style.get("text-align") == "center":
                    bar.style["margin"] = "0 auto 16px auto"
                ctx.cue(bar, CUE_DIVIDER)
                _insert(node.parent, node.parent.children.index(node) + 1, bar)
                break


def _hidden_nodes(ctx: Ctx, root: Node) -> None:
    """Content hidden in the screenshot is DROP: a skip link, a d-none block, a closed modal."""
    t = ctx.theme
    props = sum(1 for c in root.children if c.action.startswith("PROP_"))
    if ctx.chance(0.04):
        skip = ctx.node("a", "DROP", "skip-link", {"position": "absolute", "width": "1px", "height": "1px",
                                                   "overflow": "hidden", "clip": "rect(0 0 0 0)",
                                                   "white-space": "nowrap"}, text="Skip to content")
        skip.content["href"] = "#main"
        _insert(root, props, skip)
    boxes = [n for n in preorder(root) if _is_plain_box(n) and not _under_compound(n) and n.children]
    if ctx.chance(0.08) and boxes:
        parent = ctx.rng.choice(boxes)
        hidden = ctx.node("div", "DROP", "hidden", {"display": "none"},
                          [ctx.node("p", "DROP", "text", {}, text=design.sentence(ctx.rng), bare=True)])
        _insert(parent, len(parent.children), hidden)
    if ctx.chance(0.04):
        close = ctx.node("button", "DROP", "close", {}, text="×")
        title = ctx.node("h5", "DROP", "modal-title", {}, text=design.short_title(ctx.rng))
        body = ctx.node("p", "DROP", "modal-body", {}, text=design.sentence(ctx.rng), bare=True)
        dialog = ctx.node("div", "DROP", "modal-dialog", {"background-color": t.surface, "padding": "24px"},
                          [close, title, body])
        modal = ctx.node("div", "DROP", "modal", {"display": "none", "position": "fixed"}, [dialog])
        root.children.append(modal)
        modal.parent = root
