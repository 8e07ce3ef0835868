"""Visual-only pairs: two nodes with the same html (tag, classes, content kinds, depth) and different labels.

`add_visual_only(ctx, root)` runs on a settled tree (after the noise). It makes
a node and a sibling or cousin identical in the html object and tells them apart
only by css the html object does not keep (a style attribute or a `<style>` rule
on an id or data attribute): a text drawn as a title beside body text, a link
drawn as a button beside a plain link, a div painting a picture beside a box of
content, a small img (icon) beside a large one (image). DESIGN.md §10: without
them the model reads the answer from the html and never looks at the pixels.
"""

from __future__ import annotations

from collections.abc import Iterator

from data_tools.synth import design, pictures
from data_tools.synth.blocks import Ctx, px
from data_tools.synth.nodes import COMPOUND, Node, link_parents, preorder
from dlt_jax.layout.html import HtmlTree

CUE_HEADING = "visual_only_heading"      # div/span/p drawn as a title beside the same key drawn as body text
CUE_BUTTON = "visual_only_button"        # a/div/span drawn as a button beside the same key drawn as a plain link
CUE_BG_IMAGE = "visual_only_bg_image"    # div painting a content picture beside the same key holding content
CUE_ICON_SIZE = "visual_only_icon_size"  # img <= 64 px (icon) beside the same key drawn large (image)
CUES = (CUE_HEADING, CUE_BUTTON, CUE_BG_IMAGE, CUE_ICON_SIZE)

# chance that a section gets a pair of a kind, where it has a place for one
PAIR_SHARES = {CUE_HEADING: 0.25, CUE_BUTTON: 0.42, CUE_BG_IMAGE: 0.55, CUE_ICON_SIZE: 0.6}
NEUTRAL_SHARE = 0.1     # other headings, buttons and pictures that carry classes telling nothing
SHEET_SHARE = 0.3       # pairs whose css is a <style> rule on an id or data attribute instead of style=""
RUNNING_TEXT_LINK = 0.5  # button pairs that also put the key in a sibling's running text (a DROP link)
TEXT_TAGS = ("div", "div", "p", "span")
TITLE_SCALE = 1.45      # a paired title's font size over its body text's (its line box is taller at 1.15 vs 1.6)
LINK_TAGS = ("a", "a", "a", "div", "span")


def add_visual_only(ctx: Ctx, root: Node) -> None:
    """Adds visual-only pairs and neutral classes to a settled section tree, in place."""
    link_parents(root)
    for cue, make in ((CUE_HEADING, _heading_pair), (CUE_BUTTON, _button_pair), (CUE_BG_IMAGE, _bg_image_pair),
                      (CUE_ICON_SIZE, _icon_size_pair)):
        if ctx.chance(PAIR_SHARES[cue]):
            make(ctx, root)
            link_parents(root)
    _neutral_classes(ctx, root)


def has_twin(tree: HtmlTree, actions: list[str], index: int) -> bool:
    """Whether another node has the same tag, classes, content kinds and depth under a different action."""
    node = tree[index]
    return any(other.index != index and other.key.tag == node.key.tag and other.classes == node.classes
               and other.content_kinds == node.content_kinds and other.depth == node.depth
               and actions[other.index] != actions[index] for other in tree.nodes)


# --- pairs -------------------------------------------------------------------------

def _heading_pair(ctx: Ctx, root: Node) -> None:
    """A title and a body text of one block get one tag and one class list; size and weight tell them apart."""
    pairs = [(a, b) for parent in _open_parents(root) for a in parent.children if _text_leaf(a, "heading")
             for b in parent.children if _text_leaf(b, "paragraph")]
    if not pairs:
        return
    title, text = ctx.rng.choice(pairs)
    tag = ctx.rng.choice(TEXT_TAGS)
    for node in (title, text):
        node.tag = tag
        node.content.pop("href", None)  # a text link retagged as a div is body text without a target
        if tag == "span":
            node.style["display"] = "block"
    body = _px_value(text.style.get("font-size"), ctx.theme.base_size)
    if _px_value(title.style.get("font-size"), 0) < TITLE_SCALE * body:  # larger, not only bolder: a taller line
        title.style["font-size"] = px(TITLE_SCALE * body + ctx.rng.choice((0, 2, 6)))
    text.style["font-weight"] = "400"
    _pair(ctx, [title, text], CUE_HEADING)


def _button_pair(ctx: Ctx, root: Node) -> None:
    """A button beside a plain text link of the same key: a second button of its group drawn as a link, or a
    link added after a lone button; sometimes the same key also links inside a sibling's running text."""
    buttons = [b for parent in _open_parents(root) for b in parent.children if _text_leaf(b, "button")]
    grouped = [b for b in buttons if sum(_text_leaf(o, "button") for o in b.parent.children) >= 2]
    first = ctx.rng.choice(grouped if grouped and ctx.chance(0.6) else buttons) if buttons else None
    group = first.parent if first is not None else None
    others = [b for b in group.children if b is not first and _text_leaf(b, "button")] if group else []
    if first is None or (not others and not _holds_elements(group)):
        return
    if others:
        link = ctx.rng.choice(others)
    else:
        link = ctx.node(first.tag, "paragraph", "link", {}, text=ctx.rng.choice(
            ("Learn more", "Read more →", "See details", "Contact sales", "View all")))
        group.children.insert(group.children.index(first) + 1, link)
        link.parent = group
    link.action = "paragraph"
    link.style = _link_style(ctx, link.style)
    tag = ctx.rng.choice(LINK_TAGS)
    members = [first, link]
    if _inside_link(group):  # no link inside a link
        tag = ctx.rng.choice(("div", "span"))
    elif others and ctx.chance(RUNNING_TEXT_LINK):
        inline = _running_text_link(ctx, group)
        if inline is not None:  # a link in running text is an `a`
            tag = "a"
            members.append(inline)
    for node in members:
        node.tag = tag
        if tag == "a":
            node.content.setdefault("href", ctx.rng.choice(("#", "/pricing", "/about", "#contact")))
        else:
            node.content.pop("href", None)
    _pair(ctx, members, CUE_BUTTON)


def _running_text_link(ctx: Ctx, group: Node) -> Node | None:
    """A link inside a paragraph beside the button group (DROP): it sits as deep as the group's buttons."""
    if group.action != "wrapper" or group.parent is None or not _holds_elements(group.parent):  # its own element
        return None
    texts = [p for p in group.parent.children if _text_leaf(p, "paragraph") and p.text.count(" ") >= 3]
    paragraph = ctx.rng.choice(texts) if texts else _fine_print(ctx, group)
    words = paragraph.text.split()
    cut = ctx.rng.randrange(1, len(words) - 1)
    inline = ctx.node("a", "DROP", "inline", {"color": ctx.theme.primary, "text-decoration": "underline"},
                      text=" ".join(words[cut:cut + 2]))
    inline.tail = " " + " ".join(words[cut + 2:]) + " "
    paragraph.text = " ".join(words[:cut]) + " "
    paragraph.children.insert(0, inline)
    inline.parent = paragraph
    return inline


def _fine_print(ctx: Ctx, group: Node) -> Node:
    """A line of small print under a button group (a paragraph), to hold a link in running text."""
    t = ctx.theme
    note = ctx.node("p", "paragraph", "note", {"font-size": px(t.base_size - 2), "color": t.muted,
                                               "margin": "16px 0 0 0", "font-family": t.body_font},
                    text=ctx.rng.choice(("No credit card required, read the terms of service first.",
                                         "Free for 14 days, then see our pricing plans for teams.",
                                         "Questions? Talk to our friendly support team any time.",
                                         "By signing up you accept the privacy policy and terms.")), bare=True)
    siblings = group.parent.children
    index = siblings.index(group) + 1
    while index < len(siblings) and siblings[index].action == "MERGE_LEFT":
        index += 1
    siblings.insert(index, note)
    note.parent = group.parent
    return note


def _bg_image_pair(ctx: Ctx, root: Node) -> None:
    """A picture painted by a div beside a div of the same key: the body of a card (there or made), or a gallery
    placeholder tile."""
    cards = [p for p in _open_parents(root) if _holds_elements(p) and p.action != "section" and _card_with_picture(p)]
    galleries = [n for n in preorder(root) if n.action in ("gallery", "masonry") and not _hidden(n)
                 and any(_picture_leaf(c) for c in n.children)]
    columns = [pair for grid in preorder(root) if grid.action == "grid" and not _hidden(grid)
               for pair in _picture_and_text_columns(grid)]
    roll = ctx.rng.random()
    if galleries and (roll < 0.3 or not (cards or columns)):
        _gallery_placeholder(ctx, ctx.rng.choice(galleries))
    elif columns and (roll < 0.65 or not cards):
        picture, text_end = ctx.rng.choice(columns)
        _paint_as_background(picture)
        body = ctx.node("div", "wrapper", "content", {}, text_end.children)  # joins the column's chain
        for child in body.children:
            child.parent = body
        text_end.children = [body]
        body.parent = text_end
        _pair(ctx, [picture, body], CUE_BG_IMAGE)
    elif cards:
        card = ctx.rng.choice(cards)
        picture, rest = card.children[0], card.children[1:]
        _paint_as_background(picture)
        body = rest[0] if len(rest) == 1 else _card_body(ctx, card, rest)
        body.tag = "div"
        _pair(ctx, [picture, body], CUE_BG_IMAGE)


def _picture_and_text_columns(grid: Node) -> list[tuple[Node, Node]]:
    """(picture, text column's innermost box) for grid columns holding only a picture beside columns holding
    two or more elements, both as deep (a two-column hero: the picture column and the copy column)."""
    ends = [(_chain_end(cell), cell) for cell in grid.children if cell.action == "column"]
    pictures_ = [end.children[0] for end, _ in ends if len(end.children) == 1 and _picture_leaf(end.children[0])]
    texts = [end for end, _ in ends if len([k for k in end.children if k.action not in ("DROP", "MERGE_UP")]) >= 2
             and not any(k.action.startswith(("PROP_", "MERGE")) for k in end.children)]
    return [(p, t) for p in pictures_ for t in texts if _depth(p.parent) == _depth(t)]


def _chain_end(node: Node) -> Node:
    while len(node.children) == 1 and node.children[0].action == "MERGE_UP":
        node = node.children[0]
    return node


def _depth(node: Node) -> int:
    depth = 0
    while node.parent is not None:
        node, depth = node.parent, depth + 1
    return depth


def _card_body(ctx: Ctx, card: Node, rest: list[Node]) -> Node:
    """A new box around the elements after a card's picture."""
    pad = ctx.rng.choice((12, 16, 20, 24))
    body = ctx.node("div", "wrapper", "body", {"padding": f"{pad}px 0 0 0"} if ctx.chance(0.6) else
                    {"padding": px(pad)}, rest)
    for child in rest:
        child.parent = body
    card.children = [card.children[0], body]
    body.parent = card
    return body


def _gallery_placeholder(ctx: Ctx, place: Node) -> None:
    """A gallery picture painted by a div, and after it a placeholder tile of the same key (a wrapper)."""
    picture = ctx.rng.choice([c for c in place.children if _picture_leaf(c)])
    _paint_as_background(picture)
    t = ctx.theme
    tile = ctx.node("div", "wrapper", "tile", {"height": picture.style.get("height", "200px"),
                                               "border-radius": px(t.radius),
                                               "background-color": design.hsl(t.hue, 0.4, 0.85)})
    for name in ("break-inside", "margin-bottom", "display"):
        if name in picture.style:
            tile.style[name] = picture.style[name]
    place.children.insert(place.children.index(picture) + 1, tile)
    tile.parent = place
    _pair(ctx, [picture, tile], CUE_BG_IMAGE)


def _icon_size_pair(ctx: Ctx, root: Node) -> None:
    """A small img (icon) and a large img (image) of one key: a logo or badge added beside a picture, or the
    icons of cousin blocks (cards of a grid) drawn as img, one of them large."""
    pictures_ = [c for parent in _open_parents(root) if _holds_elements(parent) for c in parent.children
                 if _picture_leaf(c) and c.tag == "img"]
    cousins = _cousin_icons(root)
    if cousins and (not pictures_ or ctx.chance(0.5)):
        icons = ctx.rng.choice(cousins)
        large = ctx.rng.choice(icons)
        with_alt = ctx.chance(0.6)
        for node in icons:
            _draw_as_img(ctx, node, large=node is large, alt=with_alt)
        _pair(ctx, icons, CUE_ICON_SIZE)
        return
    if not pictures_:
        return
    picture = ctx.rng.choice(pictures_)
    parent = picture.parent
    small = ctx.node("img", "icon", "icon", {})
    _draw_as_img(ctx, small, large=False, alt="alt" in picture.content)
    small.style["margin"] = "12px 0"
    index = parent.children.index(picture) + 1 if ctx.chance(0.6) else len(parent.children)
    while index < len(parent.children) and parent.children[index].action == "MERGE_LEFT":
        index += 1
    parent.children.insert(index, small)
    small.parent = parent
    _pair(ctx, [picture, small], CUE_ICON_SIZE)


def _cousin_icons(root: Node) -> list[list[Node]]:
    """Groups of icon leaves at one depth under different parents (the icons of a row of cards)."""
    depth: dict[int, int] = {}
    groups: dict[int, list[Node]] = {}
    for node in preorder(root):
        depth[id(node)] = 0 if node.parent is None else depth[id(node.parent)] + 1
        if node.action == "icon" and not node.children and node.tag in ("img", "svg", "i") and not _hidden(node) \
                and _holds_elements(node.parent):
            groups.setdefault(depth[id(node)], []).append(node)
    return [group for group in groups.values() if len({id(n.parent) for n in group}) == len(group) >= 2]


def _draw_as_img(ctx: Ctx, node: Node, large: bool, alt: bool) -> None:
    """Redraws a node as an img: a glyph of at most 56 px (an icon) or a picture as wide as its block (image)."""
    t = ctx.theme
    node.tag, node.inner_markup, node.attrs = "img", "", {}
    node.content = {"src": ctx.src_token("svg" if not large else "jpg")}
    if alt:
        node.content["alt"] = design.short_title(ctx.rng)
    if large:
        height = ctx.rng.choice((140, 160, 200, 240))
        node.action = "image"
        node.attrs["src"] = pictures.data_uri(pictures.photo(ctx.rng, 400, height))
        node.style = {"display": "block", "width": "100%", "height": px(height), "object-fit": "cover",
                      "border-radius": px(t.radius), "margin-bottom": "16px"}
        return
    size = ctx.rng.choice((24, 28, 32, 40, 48, 56))
    glyph = pictures.glyph(ctx.rng.choice(pictures.FEATURE_GLYPHS), t.primary, size)
    node.attrs.update({"src": pictures.data_uri(glyph), "width": str(size), "height": str(size)})
    node.style = {"display": "block", "width": px(size), "height": px(size), "margin-bottom": "16px"}


def _neutral_classes(ctx: Ctx, root: Node) -> None:
    """Some other headings, buttons and pictures carry classes that tell nothing (`item`, a hash, none)."""
    for node in preorder(root):
        if node.twin or node.action not in ("heading", "button", "image") or node.tag in ("i", "svg"):
            continue
        if ctx.chance(NEUTRAL_SHARE):
            node.classes = ctx.namer.neutral()


# --- helpers -----------------------------------------------------------------------

def _pair(ctx: Ctx, members: list[Node], cue: str) -> None:
    """Gives the nodes one class list and one key spelling, records the cue, and maybe moves their css to a
    <style> rule on an id or a data attribute."""
    classes = ctx.namer.neutral()
    sheet = ctx.chance(SHEET_SHARE)
    for node in members:
        node.classes = list(classes)
        node.twin = id(members[0])
        node.cues.append(cue)
        if sheet:
            node.selector = _hidden_selector(ctx, node)


def _link_style(ctx: Ctx, style: dict[str, str]) -> dict[str, str]:
    """A plain text link: the button's font, no box (no fill, border, padding or radius)."""
    t = ctx.theme
    out = {"display": "inline-block", "font-size": style.get("font-size", px(t.base_size)),
           "font-weight": ctx.rng.choice(("500", "600", "400")), "font-family": t.body_font,
           "color": ctx.rng.choice((t.primary, t.text)), "padding": "0", "background-color": "transparent",
           "border": "0", "text-decoration": ctx.rng.choice(("none", "underline")), "line-height": "1.2"}
    if ctx.chance(0.5):
        out["margin-left"] = px(ctx.rng.choice((8, 12, 16)))
    return out


def _hidden_selector(ctx: Ctx, node: Node) -> str:
    name = design.token(ctx.rng, 1, "abcdefghijklmnopqrstuvwxyz") + design.token(ctx.rng, 6)
    if ctx.chance(0.5):
        node.attrs["id"] = name
        return f"#{name}"
    node.attrs["data-v"] = name
    return f'[data-v="{name}"]'


def _open_parents(root: Node) -> Iterator[Node]:
    """Nodes whose children may take part in a pair: shown, outside compound elements and background props."""
    for node in preorder(root):
        if node.children and node.action not in ("grid", "freedom", "DROP") and not _hidden(node):
            yield node


def _holds_elements(node: Node) -> bool:
    """Whether `node` is (part of) a section, column or wrapper element, so it may take one more child element."""
    while node.action in ("MERGE_UP", "MERGE_LEFT"):
        if node.action == "MERGE_UP":
            node = node.parent
        else:
            siblings = node.parent.children
            node = siblings[siblings.index(node) - 1]
    return node.action in ("section", "column", "wrapper")


def _inside_link(node: Node) -> bool:
    while node is not None:
        if node.tag == "a":
            return True
        node = node.parent
    return False


def _hidden(node: Node) -> bool:
    """Inside a compound element, a background picture or video, or a box that is not displayed."""
    if node.action in COMPOUND:
        return True
    while node is not None:
        if node.action in ("PROP_BI", "PROP_BV") or node.style.get("display") == "none" or \
                (node.parent is not None and node.parent.action in COMPOUND):
            return True
        node = node.parent
    return False


def _text_leaf(node: Node, action: str) -> bool:
    """A node of `action` that holds its own text (not a box merged around it) and joins no sibling."""
    if node.action != action or not node.text.strip() or node.tag not in ("h1", "h2", "h3", "h4", "h5", "h6", "p",
                                                                         "div", "span", "a", "button"):
        return False
    siblings = node.parent.children
    index = siblings.index(node)
    return not (index + 1 < len(siblings) and siblings[index + 1].action == "MERGE_LEFT") and \
        node.style.get("position") != "absolute"


def _picture_leaf(node: Node) -> bool:
    return node.action == "image" and not node.children and node.tag in ("img", "div") and \
        node.style.get("position") != "absolute"


def _card_with_picture(node: Node) -> bool:
    """A box that starts with a picture and then holds two or more elements (and nothing that joins them)."""
    kids = node.children
    if len(kids) < 2 or not _picture_leaf(kids[0]) or node.tag not in ("div", "article", "a", "li"):
        return False
    rest = kids[1:]
    if len(rest) == 1:  # a body box is there already
        return rest[0].action == "wrapper" and rest[0].tag in ("div", "article") and len(rest[0].children) >= 2
    elements = [k for k in rest if k.action not in ("DROP", "MERGE_UP", "MERGE_LEFT")]
    return len(elements) >= 2 and not any(k.action.startswith(("PROP_", "MERGE")) for k in rest)


def _paint_as_background(picture: Node) -> None:
    """Turns an img into a div whose background is the same picture (content src/alt go: a div has none)."""
    if picture.tag == "img":
        source = picture.attrs.pop("src")
        picture.style.pop("object-fit", None)
        picture.style["background"] = f"url('{source}') center/cover no-repeat"
        for name in ("width", "height", "alt"):
            picture.attrs.pop(name, None)
    picture.tag = "div"
    for name in ("src", "alt"):
        picture.content.pop(name, None)
    picture.style.setdefault("height", "240px")


def _px_value(value: str | None, default: float) -> float:
    if value and value.endswith("px"):
        try:
            return float(value[:-2])
        except ValueError:
            return default
    return default
