"""Building blocks shared by the archetypes: headings, buttons, pictures, grids...

Each block returns `Node`s labelled by CONVENTIONS.md. In opaque markup families,
tags are chosen so the type is decidable only from the rendering. A block names
the visual cue that decides a node wherever the tag leaves the type open; the
generator keeps the cue only if the node's classes do not tell the type either.
"""

from __future__ import annotations

import random

from data_tools.synth import design, pictures
from data_tools.synth.design import Theme
from data_tools.synth.families import Namer
from data_tools.synth.nodes import Node

CUE_HEADING = "styled_text_heading"        # a div/span/p drawn as a title
CUE_BUTTON = "styled_box_button"           # a div/span/a drawn as a button
CUE_BG_PICTURE = "div_background_picture"  # a div whose background is a content picture
CUE_PICTURE_SIZE = "picture_size_icon_vs_image"
CUE_ARRANGEMENT = "arrangement_grid_vs_stack"
CUE_HEIGHTS = "picture_heights_gallery_vs_masonry"
CUE_TEXT = "text_size_paragraph"           # a div of body text (vs a title)
CUE_DIVIDER = "thin_line_divider"
CUE_QR = "qr_pattern"
CUE_FULL_BG = "full_size_background"       # an opaque div/img that paints the section background
CUE_LINK = "plain_link_paragraph"          # an opaque link drawn as text, not as a button
CUE_MAP = "map_drawing"                    # an opaque div whose background is a map


# tuned towards the real train sections of data_tools/real (likeness): icon fonts are 9 % of their nodes
# (4.4 % here before)
ICON_KINDS = (0.2, 0.7, 0.1)   # svg, i, img (was 0.3, 0.6, 0.1)
BUTTON_GLYPH = 0.5             # buttons with an icon-font glyph after the label (was 0.35)


class Ctx:
    """Per-example state: rng, theme, markup families (namer), key spelling."""

    def __init__(self, rng: random.Random, theme: Theme, namer: Namer, spelling: str):
        self.rng, self.theme, self.namer, self.spelling = rng, theme, namer, spelling

    @property
    def opaque(self) -> bool:
        return self.namer.opaque

    def node(self, tag: str, action: str, role: str, style: dict | None = None, children=(), text: str = "",
             bare: bool = False, **fields) -> Node:
        style = dict(style or {})
        node = Node(tag=tag, action=action, classes=self.namer.classes(role, style, bare), style=style,
                    children=flatten(children), text=text, **fields)
        return node

    def cue(self, node: Node, cue: str) -> Node:
        """Records a candidate cue: the tag leaves the type open (whether the classes decide it is known
        only once they are final, so the generator filters)."""
        node.cues.append(cue)
        return node

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def src_token(self, ext: str = "jpg") -> str:
        return self.rng.choice(("/assets/img/", "https://cdn.example.com/media/", "/uploads/", "img/")) + \
            design.token(self.rng, 8) + "." + ext


def px(value: float) -> str:
    return f"{round(value)}px"


def inline_svg(node: Node, markup: str, view_box: str = "0 0 24 24", size: int | None = None) -> Node:
    """Makes an `svg` node draw `markup` (an `<svg>` document) inline: its inner markup, namespace and
    view box (and pixel size), with the start of the markup as the html object's `svg` content."""
    node.attrs.update({"xmlns": "http://www.w3.org/2000/svg", "viewBox": view_box})
    if size is not None:
        node.attrs.update({"width": str(size), "height": str(size)})
    node.inner_markup = markup.split(">", 1)[1].rsplit("</svg>", 1)[0]
    node.content["svg"] = node.inner_markup[:200]
    return node


# --- text ----------------------------------------------------------------------

def heading(ctx: Ctx, text: str, level: int = 2, size: int | None = None, colour: str | None = None,
            align: str | None = None, role: str = "title", weight: int | None = None, margin: int = 0) -> Node:
    t = ctx.theme
    size = size or {1: ctx.rng.randint(44, 68), 2: ctx.rng.randint(30, 46), 3: ctx.rng.randint(19, 24),
                    4: ctx.rng.randint(16, 19)}[min(level, 4)]
    style = {"font-size": px(size), "font-weight": str(weight or t.heading_weight), "line-height": "1.15",
             "margin": f"0 0 {margin}px 0", "font-family": t.heading_font, "color": colour or t.text}
    if align:
        style["text-align"] = align
    if level == 3 and ctx.chance(0.45):  # card titles are h4 about as often as h3 on real sites
        level = 4
    tag = f"h{level}"
    if ctx.opaque and ctx.chance(0.6):
        tag = ctx.rng.choice(("div", "span", "span", "p"))
        if tag == "span":
            style["display"] = "block"
    elif not ctx.opaque and ctx.chance(0.1):
        tag = "div"
    node = ctx.node(tag, "heading", role, style, text=text)
    if tag[0] != "h":
        ctx.cue(node, CUE_HEADING)
    if ctx.chance(0.1) and " " in text:  # an inline highlight span: DROP
        words = text.split(" ")
        cut = ctx.rng.randrange(1, len(words))
        node.text = " ".join(words[:cut]) + " "
        span = ctx.node(ctx.rng.choice(("span", "em", "strong")), "DROP", "highlight",
                        {"color": t.primary}, text=" ".join(words[cut:]), bare=True)
        node.children.append(span)
    return node


def paragraph(ctx: Ctx, text: str, size: int | None = None, colour: str | None = None, align: str | None = None,
              role: str = "text", margin: int = 0, inline_ok: bool = True) -> Node:
    t = ctx.theme
    style = {"font-size": px(size or t.base_size), "line-height": "1.6", "margin": f"0 0 {margin}px 0",
             "color": colour or t.muted, "font-family": t.body_font}
    if align:
        style["text-align"] = align
    tag = "p"
    if ctx.opaque and ctx.chance(0.25):
        tag = "div"
    node = ctx.node(tag, "paragraph", role, style, text=text, bare=True)
    if tag == "div":
        ctx.cue(node, CUE_TEXT)
    if inline_ok and ctx.chance(0.15) and text.count(" ") > 3:
        words = text.split(" ")
        cut = ctx.rng.randrange(1, len(words) - 2)
        kind = ctx.rng.choice(("strong", "strong", "a", "br", "br", "span", "span", "em"))
        node.text = " ".join(words[:cut]) + " "
        if kind == "br":
            inline = ctx.node("br", "DROP", "br", bare=True)
            inline.classes = []
            inline.tail = " ".join(words[cut:])
        else:
            inner = " ".join(words[cut:cut + 2])
            inline = ctx.node(kind, "DROP", "inline", {"color": t.primary} if kind == "a" else {}, text=inner, bare=True)
            if kind == "a":
                inline.content["href"] = "#"
            inline.tail = " " + " ".join(words[cut + 2:])
        node.children.append(inline)
    return node


def eyebrow(ctx: Ctx, text: str | None = None, colour: str | None = None) -> Node:
    t = ctx.theme
    text = text or ctx.rng.choice(("Features", "Our services", "Why us", "Pricing", "Testimonials", "About",
                                   "New", "Portfolio", "FAQ", "Contact", "Our team", "Latest news"))
    style = {"font-size": px(ctx.rng.choice((12, 13, 14))), "letter-spacing": "0.12em", "font-weight": "700",
             "color": colour or t.primary, "margin": "0 0 12px 0", "font-family": t.body_font}
    if t.uppercase_eyebrow:
        style["text-transform"] = "uppercase"
    return ctx.node(ctx.rng.choice(("p", "span", "span", "div")) if not ctx.opaque else ctx.rng.choice(("div", "span", "p")),
                    "paragraph", "eyebrow", style,
                    text=text)


def counter(ctx: Ctx, colour: str | None = None, size: int | None = None) -> Node:
    t = ctx.theme
    style = {"font-size": px(size or ctx.rng.randint(40, 64)), "font-weight": "800", "line-height": "1",
             "color": colour or t.primary, "font-family": t.heading_font, "margin": "0 0 8px 0"}
    tag = ctx.rng.choice(("div", "span", "strong", "h3")) if not ctx.opaque else "div"
    if tag in ("span", "strong"):
        style["display"] = "block"
    return ctx.node(tag, "counter", "counter", style, text=design.stat_figure(ctx.rng))


# --- buttons -----------------------------------------------------------------

def button(ctx: Ctx, label: str | None = None, primary: bool = True, colour: str | None = None,
           on_dark: bool = False) -> Node:
    t = ctx.theme
    label = label or design.button_label(ctx.rng)
    pad_y, pad_x = ctx.rng.choice(((10, 20), (12, 24), (14, 28), (16, 34)))
    style = {"display": "inline-block", "padding": f"{pad_y}px {pad_x}px", "border-radius": px(t.button_radius),
             "font-weight": "600", "font-size": px(ctx.rng.choice((14, 15, 16))), "text-decoration": "none",
             "font-family": t.body_font, "cursor": "pointer", "line-height": "1.2"}
    fill = colour or t.primary
    if primary:
        style.update({"background-color": fill, "color": t.on_primary, "border": f"2px solid {fill}"})
    else:
        edge = "#ffffff" if on_dark else fill
        style.update({"background-color": "transparent", "color": edge, "border": f"2px solid {edge}"})
    if ctx.opaque:
        tag = ctx.rng.choice(("div", "a", "a", "span", "button"))
    else:
        tag = ctx.rng.choice(("a", "a", "a", "button"))
    node = ctx.node(tag, "button", "btn" if primary else "btn2", style, text=label)
    if ctx.chance(BUTTON_GLYPH):  # an icon-font glyph after the label: part of the button (DROP)
        node.children.append(glyph_i(ctx, ctx.rng.choice(("arrow-right", "chevron-right", "download", "send")),
                                      {"margin-left": "8px"}))
    if tag == "a":
        node.content["href"] = ctx.rng.choice(("#", "/contact", "/signup", "#pricing", "/download"))
    if tag in ("div", "span", "a"):
        ctx.cue(node, CUE_BUTTON)
    if tag == "button":
        style["border-style"] = "solid"
    return node


def glyph_i(ctx: Ctx, name: str, style: dict, role: str = "glyph", prefix: str = "bi bi-",
             picture: str | None = None) -> Node:
    """An icon-font glyph `<i class="bi bi-arrow-right">` inside a button, link or list item (DROP)."""
    style = dict({"display": "inline-block", "width": "1em", "height": "1em"}, **style)
    if picture is not None:
        style["background"] = f"url('{pictures.data_uri(picture)}') center/contain no-repeat"
    node = ctx.node("i", "DROP", role, style, bare=True)
    if not ctx.opaque:
        node.classes = prefix.split()[:-1] + [prefix.split()[-1] + name]
    return node


def button_group(ctx: Ctx, n: int | None = None, on_dark: bool = False, align: str = "flex-start",
                 margin_top: int = 24) -> Node:
    n = n or ctx.rng.choice((1, 2, 2))
    buttons = [button(ctx, primary=(i == 0), on_dark=on_dark) for i in range(n)]
    style = {"display": "flex", "gap": "12px", "flex-wrap": "wrap", "justify-content": align,
             "margin-top": px(margin_top)}
    return ctx.node("div", "wrapper", "actions", style, buttons)


# --- pictures ----------------------------------------------------------------

def icon(ctx: Ctx, size: int | None = None, colour: str | None = None, name: str | None = None,
         badge: bool | None = None) -> Node:
    """A small glyph: svg, i (glyph as background) or small img; maybe in a styled badge box."""
    t = ctx.theme
    size = size or ctx.rng.choice((20, 24, 28, 32, 40, 48))
    colour = colour or t.primary
    name = name or ctx.rng.choice(pictures.FEATURE_GLYPHS)
    markup = pictures.glyph(name, colour, size)
    kind = ctx.rng.choices(("svg", "i", "img"), ICON_KINDS)[0]
    if kind == "svg":
        node = ctx.node("svg", "icon", "icon", {"display": "block", "width": px(size), "height": px(size)},
                        bare=True)
        inline_svg(node, markup, size=size)
    elif kind == "i":
        node = ctx.node("i", "icon", "icon", {"display": "block", "width": px(size), "height": px(size),
                                              "background": f"url('{pictures.data_uri(markup)}') center/contain no-repeat"})
        if not ctx.opaque:
            node.classes = ["bi", f"bi-{name}"] if ctx.chance(0.5) else ["fa", f"fa-{name}"]
    else:
        node = ctx.node("img", "icon", "icon", {"display": "block", "width": px(size), "height": px(size)})
        node.attrs.update({"src": pictures.data_uri(markup), "width": str(size), "height": str(size)})
        node.content["src"] = ctx.src_token("svg")
        if ctx.chance(0.7):
            node.content["alt"] = name
        ctx.cue(node, CUE_PICTURE_SIZE)
    if badge is None:
        badge = ctx.chance(0.3)
    if badge:  # a tinted circle/square around the glyph: merges into the icon (it adds a background)
        pad = ctx.rng.choice((10, 12, 16))
        box = ctx.node("span" if ctx.chance(0.4) else "div", "wrapper", "icon-box",
                       {"display": "inline-flex", "padding": px(pad), "margin-bottom": "16px",
                        "background-color": design.hsl(t.hue, 0.6, 0.25 if t.dark else 0.93),
                        "border-radius": ctx.rng.choice(("50%", px(t.radius), "12px"))}, [node])
        return box
    if ctx.chance(0.08):  # a box that adds nothing visible: DROP
        return ctx.node("div", "DROP", "icon-holder", {}, [node])
    node.style["margin-bottom"] = "16px"
    return node


def image(ctx: Ctx, w: int, h: int, kind: str = "photo", radius: int | None = None, fluid: bool = True,
          allow_bg_div: bool = True, role: str = "img") -> Node:
    """A content picture: img (data-URI SVG) or a div whose background is the picture."""
    t = ctx.theme
    draw = {"photo": pictures.photo, "portrait": pictures.portrait, "landscape": pictures.landscape,
            "abstract": pictures.abstract, "device": pictures.device_mockup, "interior": pictures.interior}[kind]
    svg = draw(ctx.rng, max(w, 40), max(h, 40))
    radius = t.radius if radius is None else radius
    as_div = allow_bg_div and ctx.chance(0.3)
    style = {"display": "block", "width": "100%" if fluid else px(w), "height": px(h),
             "border-radius": px(radius)}
    if as_div:
        style["background"] = f"url('{pictures.data_uri(svg)}') center/cover no-repeat"
        node = ctx.node("div", "image", "media" if role == "img" else role, style)
        if not ctx.opaque and ctx.chance(0.5):
            node.classes = node.classes + ["bg-cover"]
        ctx.cue(node, CUE_BG_PICTURE)
        return node
    style["object-fit"] = "cover"
    node = ctx.node("img", "image", role, style)
    node.attrs["src"] = pictures.data_uri(svg)
    node.content["src"] = ctx.src_token()
    if ctx.chance(0.85):
        node.content["alt"] = design.short_title(ctx.rng)
    ctx.cue(node, CUE_PICTURE_SIZE)
    return node


# --- containers --------------------------------------------------------------

def stack(ctx: Ctx, children: list[Node | None], role: str = "content", style: dict | None = None,
          gap: int = 0, tag: str = "div") -> Node:
    """A vertical block (wrapper); chain rules may later merge it."""
    base = {"display": "flex", "flex-direction": "column", "gap": px(gap)} if gap else {}
    base.update(style or {})
    node = ctx.node(tag, "wrapper", role, base, children)
    if len(node.children) >= 2:
        ctx.cue(node, CUE_ARRANGEMENT)
    return node


def container(ctx: Ctx, children: list[Node | None], width: int | None = None, align: str | None = None) -> Node:
    t = ctx.theme
    style = {"max-width": px(width or t.container), "margin": "0 auto", "padding": "0 24px",
             "position": "relative", "box-sizing": "border-box"}
    if align:
        style["text-align"] = align
    return ctx.node("div", "wrapper", "container", style, children)


def grid(ctx: Ctx, cells: list[Node], columns: int | None = None, gap: int | None = None,
         align: str = "stretch", template: str | None = None, role: str = "row") -> Node:
    """A grid whose direct children are columns."""
    columns = columns or len(cells)
    gap = ctx.theme.gap if gap is None else gap
    if len(cells) > columns or ctx.chance(0.5):
        style = {"display": "grid", "grid-template-columns": template or f"repeat({columns}, minmax(0, 1fr))",
                 "gap": px(gap), "align-items": align}
    else:  # flex row with percentage columns
        style = {"display": "flex", "gap": px(gap), "align-items": align}
        for cell in cells:
            cell.style.setdefault("flex", "1 1 0")
            cell.style.setdefault("min-width", "0")
    node = ctx.node("div", "grid", role, style, cells)
    for cell in cells:
        cell.action = "column" if cell.action in ("wrapper", "column") else cell.action
    return ctx.cue(node, CUE_ARRANGEMENT)


def column(ctx: Ctx, children: list[Node | None], role: str = "col", style: dict | None = None) -> Node:
    return ctx.node("div", "column", role, style or {}, children)


def card(ctx: Ctx, children: list[Node | None], pad: int | None = None, role: str = "card",
         centered: bool = False) -> Node:
    t = ctx.theme
    pad = pad if pad is not None else ctx.rng.choice((20, 24, 28, 32))
    style = {"background-color": t.surface, "border-radius": px(t.radius), "padding": px(pad),
             "box-sizing": "border-box", "height": "100%"}
    if ctx.chance(0.5):
        style["box-shadow"] = "0 6px 24px rgba(0,0,0,0.08)"
    else:
        style["border"] = f"1px solid {t.border}"
    if centered:
        style["text-align"] = "center"
    return ctx.node(ctx.rng.choice(("div", "div", "article")) if not ctx.opaque else "div", "wrapper", role,
                    style, children)


def divider(ctx: Ctx, margin: int = 24, colour: str | None = None) -> Node:
    colour = colour or ctx.theme.border
    if ctx.chance(0.5):
        return ctx.node("hr", "divider", "divider", {"border": "0", "border-top": f"1px solid {colour}",
                                                     "margin": f"{margin}px 0"})
    node = ctx.node("div", "divider", "divider", {"height": "1px", "background-color": colour,
                                                  "margin": f"{margin}px 0", "width": "100%"})
    return ctx.cue(node, CUE_DIVIDER)


def bullet_list(ctx: Ctx, items: list[str], with_icons: bool = False, colour: str | None = None,
                links: bool = False, gap: int = 10) -> Node:
    """ul/ol of items: the list element; li and everything inside are DROP."""
    t = ctx.theme
    lis = []
    for text in items:
        li_style = {"margin": f"0 0 {gap}px 0", "color": colour or t.muted, "font-size": px(t.base_size - 1),
                    "display": "flex", "align-items": "center", "gap": "8px"}
        li = ctx.node("li", "DROP", "item", li_style, bare=True)
        if with_icons:
            mark = pictures.glyph("check", t.primary, 16)
            glyph = ctx.node("i", "DROP", "check", {"display": "inline-block", "width": "16px", "height": "16px",
                                                    "background": f"url('{pictures.data_uri(mark)}') center/contain no-repeat"})
            li.children.append(glyph)
        if links:
            a = ctx.node("a", "DROP", "link", {"color": colour or t.muted, "text-decoration": "none"}, text=text,
                         bare=True)
            a.content["href"] = "/" + text.lower().replace(" ", "-")
            li.children.append(a)
        elif with_icons and ctx.chance(0.5):
            li.children.append(ctx.node("span", "DROP", "label", {}, text=text, bare=True))
        elif with_icons:  # <li><i></i> text</li>
            li.children[-1].tail = " " + text
        else:
            li.text = text
        lis.append(li)
    style = {"list-style": "none", "padding": "0", "margin": "0", "font-family": t.body_font}
    return ctx.node(ctx.rng.choice(("ul", "ul", "ol")) if not links else "ul", "list", "list", style, lis)


def social(ctx: Ctx, colour: str | None = None, size: int = 22) -> Node:
    """A row of social links: the social element; links and icons DROP."""
    colour = colour or ctx.theme.muted
    links = []
    font = ctx.chance(0.6)
    for name in ctx.rng.sample(pictures.SOCIAL_GLYPHS, ctx.rng.randint(3, 4)):
        a = ctx.node("a", "DROP", "social-link", {"display": "inline-flex"}, bare=True)
        a.content["href"] = f"https://{name}.com/{design.token(ctx.rng, 6)}"
        if font:  # <a><i class="fab fa-twitter"></i></a>
            a.children.append(glyph_i(ctx, name, {"width": px(size), "height": px(size)}, role="social-icon",
                                       prefix="fab fa-", picture=pictures.glyph(name, colour, size)))
        else:
            svg = ctx.node("svg", "DROP", "social-icon", {"width": px(size), "height": px(size)}, bare=True)
            a.children.append(inline_svg(svg, pictures.glyph(name, colour, size)))
        links.append(a)
    return ctx.node("div", "social", "social",
                    {"display": "flex", "gap": "14px", "margin-top": "16px"}, links)


def section_root(ctx: Ctx, children: list[Node | None], style: dict | None = None, tag: str | None = None) -> Node:
    t = ctx.theme
    base = {"position": "relative", "overflow": "hidden", "box-sizing": "border-box", "width": "100%",
            "padding": f"{t.pad_y}px 0", "background-color": t.bg, "color": t.text, "font-family": t.body_font}
    base.update(style or {})
    if tag is None:
        tag = "div" if ctx.opaque and ctx.chance(0.6) else ctx.rng.choice(("section", "section", "div"))
    return ctx.node(tag, "section", "root", base, children)


def intro(ctx: Ctx, align: str | None = None, title: str | None = None, with_eyebrow: bool | None = None,
          with_text: bool = True, on_dark: bool = False, max_width: int | None = None) -> Node:
    """Eyebrow + title + lead text; sometimes split over two stacked boxes (MERGE_LEFT)."""
    t = ctx.theme
    text_colour = "#ffffff" if on_dark else None
    muted = "rgba(255,255,255,0.82)" if on_dark else None
    parts = []
    if with_eyebrow if with_eyebrow is not None else ctx.chance(0.35):
        parts.append(eyebrow(ctx, colour="#ffffff" if on_dark else None))
    parts.append(heading(ctx, title or design.headline(ctx.rng), 2, colour=text_colour, align=align, margin=16))
    if with_text and ctx.chance(0.6):  # many real intros are a title alone
        parts.append(paragraph(ctx, design.sentences(ctx.rng, 1, 2), size=t.base_size + 1, colour=muted,
                               align=align))
    style = {"margin": f"0 auto {ctx.rng.choice((32, 40, 48, 56))}px auto" if align == "center" else
             f"0 0 {ctx.rng.choice((32, 40, 48))}px 0", "max-width": px(max_width or ctx.rng.choice((640, 720, 820)))}
    if align:
        style["text-align"] = align
    if len(parts) >= 2 and ctx.chance(0.15):  # one text block split over two stacked boxes
        cut = ctx.rng.randrange(1, len(parts))
        first = ctx.node("div", "wrapper", "intro", dict(style, margin="0 auto" if align == "center" else "0"), parts[:cut])
        second = ctx.node("div", "MERGE_LEFT", "intro-text", style, parts[cut:])
        return _Pair(first, second)
    return stack(ctx, parts, "intro", style)


class _Pair(list):
    """Two sibling nodes that form one block (the second joins with MERGE_LEFT)."""

    def __init__(self, first: Node, second: Node):
        super().__init__([first, second])


def flatten(items) -> list[Node]:
    """Children list where an `intro` pair counts as two nodes."""
    out: list[Node] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, list):
            out.extend(item)
        else:
            out.append(item)
    return out
