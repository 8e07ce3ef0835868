"""Section archetypes seen on real sites, each a function `(ctx) -> root Node`.

The trees are labelled while they are built; `nodes.apply_chain_rules` then
settles chains and boxes around single content elements.
"""

from __future__ import annotations

from collections.abc import Callable

from data_tools.synth import design, pictures
from data_tools.synth.blocks import (CUE_FULL_BG, CUE_HEIGHTS, CUE_LINK, CUE_MAP, CUE_QR, Ctx, bullet_list, button,
                                     button_group, card, column, container, counter, divider, eyebrow, flatten,
                                     glyph_i, grid, heading, icon, image, inline_svg, intro, paragraph, px,
                                     section_root, social, stack)
from data_tools.synth.nodes import Node

WHITE_MUTED = "rgba(255,255,255,0.85)"
# share of grid-like sections drawn "rich": many items (footers with many link columns, pricing tables, team and
# blog grids of 6-9 cards, long feature lists), the long tail of node counts on real sites
RICH = 0.6
# share of some sections drawn "minimal": a copyright bar, a title and one button (the short end of real sections)
MINIMAL = 0.45


# --- backgrounds ---------------------------------------------------------------

def _background_image(ctx: Ctx, w: int, h: int) -> Node:
    """The node that paints the section's background picture (PROP_BI)."""
    svg = ctx.rng.choice((pictures.landscape, pictures.abstract, pictures.interior))(ctx.rng, w, h)
    full = {"position": "absolute", "top": "0", "left": "0", "width": "100%", "height": "100%"}
    if ctx.chance(0.5):
        node = ctx.node("div", "PROP_BI", "bg", dict(full, background=f"url('{pictures.data_uri(svg)}') center/cover no-repeat"))
    else:
        node = ctx.node("img", "PROP_BI", "bg", dict(full, **{"object-fit": "cover"}))
        node.attrs["src"] = pictures.data_uri(svg)
        node.content["src"] = ctx.src_token()
    return ctx.cue(node, CUE_FULL_BG)


def _overlay(ctx: Ctx, children: list | None = None) -> Node:
    alpha = ctx.rng.uniform(0.35, 0.7)
    tint = ctx.rng.choice((f"rgba(0,0,0,{alpha:.2f})", f"rgba(10,20,40,{alpha:.2f})",
                           f"linear-gradient(90deg, rgba(0,0,0,{alpha:.2f}), rgba(0,0,0,0.1))"))
    style = {"position": "absolute", "top": "0", "left": "0", "width": "100%", "height": "100%", "background": tint}
    node = ctx.node("div", "PROP_BO", "overlay", style, children or [])
    return ctx.cue(node, CUE_FULL_BG)


def _background_video(ctx: Ctx, w: int, h: int) -> Node:
    video = ctx.node("video", "PROP_BV", "bg-video",
                     {"position": "absolute", "top": "0", "left": "0", "width": "100%", "height": "100%",
                      "object-fit": "cover"})
    video.attrs.update({"autoplay": "", "muted": "", "loop": "", "playsinline": "",
                        "poster": pictures.data_uri(pictures.poster(ctx.rng, w, h, people=False))})
    for ext in ctx.rng.sample(("mp4", "webm"), ctx.rng.randint(1, 2)):
        source = ctx.node("source", "DROP", "source", bare=True)
        source.classes = []
        source.attrs["type"] = f"video/{ext}"
        source.content["src"] = f"/media/{design.token(ctx.rng, 6)}.{ext}"
        video.children.append(source)
    return ctx.cue(video, CUE_FULL_BG)


def _hero_copy(ctx: Ctx, align: str, on_dark: bool = True) -> list[Node]:
    t = ctx.theme
    parts = []
    if ctx.chance(MINIMAL * 0.7):  # a title, maybe a line of text, and one button
        parts.append(heading(ctx, design.headline(ctx.rng), 1, colour="#ffffff" if on_dark else None, align=align,
                             margin=20, role="title"))
        if ctx.chance(0.6):
            parts.append(paragraph(ctx, design.sentence(ctx.rng), colour=WHITE_MUTED if on_dark else None,
                                   align=align, role="lead"))
        parts.append(button(ctx, primary=True))
        return parts
    if ctx.chance(0.5):
        parts.append(eyebrow(ctx, colour="#ffffff" if on_dark else None))
    parts.append(heading(ctx, design.headline(ctx.rng), 1, colour="#ffffff" if on_dark else None, align=align,
                         margin=20, role="title"))
    if ctx.chance(0.85):
        parts.append(paragraph(ctx, design.sentences(ctx.rng, 1, 2), size=t.base_size + ctx.rng.choice((1, 2, 4)),
                               colour=WHITE_MUTED if on_dark else None, align=align, role="lead"))
    parts.append(button_group(ctx, on_dark=on_dark, align="center" if align == "center" else "flex-start"))
    return parts


# --- archetypes ----------------------------------------------------------------

def hero_background_image(ctx: Ctx) -> Node:
    t, rng = ctx.theme, ctx.rng
    h = rng.randint(520, 800)
    align = rng.choice(("center", "left"))
    style = {"min-height": px(h), "display": "flex", "align-items": "center", "background-color": "#222"}
    if ctx.chance(MINIMAL):  # a masthead: the root paints the picture; title, a line, one button in the container
        svg = pictures.landscape(rng, t.width, h)
        style["background"] = f"#222 url('{pictures.data_uri(svg)}') center/cover no-repeat"
        parts = [heading(ctx, design.headline(rng), 1, colour="#ffffff", align=align, margin=20, role="title"),
                 paragraph(ctx, design.sentence(rng), colour=WHITE_MUTED, align=align, role="lead")
                 if ctx.chance(0.6) else None,
                 button(ctx, primary=True)]
        return section_root(ctx, [container(ctx, parts, align=align)], style, tag=_hero_tag(ctx))
    mode = rng.randrange(4)
    if mode == 0:  # the root carries the picture: no bi node
        svg = pictures.landscape(rng, t.width, h)
        style["background"] = f"#222 url('{pictures.data_uri(svg)}') center/cover no-repeat"
        layers = [_overlay(ctx)] if ctx.chance(0.5) else []
    else:
        layers = [_background_image(ctx, t.width, h)]
        if ctx.chance(0.75):
            layers.append(_overlay(ctx))
    if mode == 3 and len(layers) == 2:  # the copy lives inside the overlay: hangs on the section
        overlay = layers[1]
        overlay.style.update({"display": "flex", "flex-direction": "column", "justify-content": "center",
                              "align-items": "center" if align == "center" else "flex-start",
                              "padding": f"0 {max(48, (t.width - t.container) // 2)}px", "box-sizing": "border-box"})
        overlay.children = _hero_copy(ctx, align)
        return section_root(ctx, layers, style, tag=_hero_tag(ctx))
    copy = stack(ctx, _hero_copy(ctx, align), "content", {"max-width": px(rng.choice((640, 720, 860))),
                                                          "margin": "0 auto" if align == "center" else "0",
                                                          "text-align": align})
    return section_root(ctx, layers + [container(ctx, [copy])], style, tag=_hero_tag(ctx))


def _hero_tag(ctx: Ctx) -> str | None:
    """Mastheads are often a `header` (else section_root draws the tag)."""
    return "header" if not ctx.opaque and ctx.chance(0.4) else None


def hero_background_video(ctx: Ctx) -> Node:
    t, rng = ctx.theme, ctx.rng
    h = rng.randint(540, 820)
    align = rng.choice(("center", "center", "left"))
    layers = [_background_video(ctx, t.width, h)]
    if ctx.chance(0.8):
        layers.append(_overlay(ctx))
    copy = stack(ctx, _hero_copy(ctx, align), "content", {"max-width": px(rng.choice((680, 760, 900))),
                                                          "margin": "0 auto" if align == "center" else "0",
                                                          "text-align": align})
    style = {"min-height": px(h), "display": "flex", "align-items": "center", "background-color": "#111"}
    return section_root(ctx, layers + [container(ctx, [copy])], style, tag=_hero_tag(ctx))


def hero_two_column(ctx: Ctx) -> Node:
    rng = ctx.rng
    text = column(ctx, _hero_copy(ctx, "left", on_dark=False))
    if ctx.chance(0.3):
        text.children.append(paragraph(ctx, f"Trusted by {rng.randint(2, 90)},000+ teams worldwide",
                                       size=13, role="note", margin=0, inline_ok=False))
        text.children[-1].style["margin-top"] = "20px"
    picture = image(ctx, 640, rng.randint(360, 520), kind=rng.choice(("photo", "device", "interior")))
    media = column(ctx, [picture], "media-col")
    cells = [text, media] if ctx.chance(0.75) else [media, text]
    row = grid(ctx, cells, 2, gap=rng.choice((40, 56, 72)), align="center",
               template=rng.choice(("1fr 1fr", "1.1fr 1fr", "1fr 1.2fr")))
    return section_root(ctx, [container(ctx, [row])], tag=_hero_tag(ctx))


def feature_grid(ctx: Ctx) -> Node:
    t, rng = ctx.theme, ctx.rng
    cols = rng.choice((2, 3, 3, 3, 4))
    n = cols * (rng.choice((2, 2, 3)) if ctx.chance(RICH) else 1)
    if n > 9:
        n = 8
    centered = ctx.chance(0.5)
    use_cards = ctx.chance(0.6)
    wrap_cells = ctx.chance(0.5)
    cells = []
    for _ in range(n):
        items = [icon(ctx), heading(ctx, design.short_title(rng), 3, margin=10),
                 paragraph(ctx, design.sentence(rng), size=t.base_size - 1)]
        if ctx.chance(0.15):
            items.append(_text_link(ctx))
        body = card(ctx, items, centered=centered) if use_cards else None
        if body is not None and wrap_cells:
            cells.append(column(ctx, [body]))
        elif body is not None:
            cells.append(body)
        else:
            cells.append(column(ctx, items, style={"text-align": "center"} if centered else {}))
    head = intro(ctx, align="center" if centered or ctx.chance(0.5) else None)
    return section_root(ctx, [container(ctx, flatten([head, grid(ctx, cells, cols)]))])


def _text_link(ctx: Ctx) -> Node:
    """A standalone link drawn as text: a paragraph."""
    node = ctx.node("a", "paragraph", "link", {"color": ctx.theme.primary, "font-weight": "600",
                                               "text-decoration": "none", "display": "inline-block",
                                               "margin-top": "12px", "font-size": px(ctx.theme.base_size - 1)},
                    text=ctx.rng.choice(("Learn more →", "Read more →", "Details", "Discover more")))
    node.content["href"] = "#"
    if ctx.chance(0.4):  # an icon-font arrow after the label: part of the link (DROP)
        node.text = node.text.rstrip(" →")
        node.children.append(glyph_i(ctx, "arrow-right", {"margin-left": "6px"}))
    return ctx.cue(node, CUE_LINK)


def services(ctx: Ctx) -> Node:
    rng = ctx.rng
    head = intro(ctx, align=rng.choice(("center", None)))
    if ctx.chance(0.25):  # alternating image/text rows
        rows = []
        for i in range(rng.choice((2, 2, 3))):
            text = column(ctx, [heading(ctx, design.short_title(rng), 3, margin=12, size=rng.randint(24, 32)),
                                paragraph(ctx, design.sentences(rng, 2, 3)),
                                bullet_list(ctx, [design.short_title(rng) for _ in range(3)], with_icons=True)
                                if ctx.chance(0.5) else button_group(ctx, 1)])
            media = column(ctx, [image(ctx, 560, rng.randint(280, 380))])
            row = grid(ctx, [media, text] if i % 2 == 0 else [text, media], 2, gap=56, align="center")
            row.style["margin-bottom"] = "56px"
            rows.append(row)
        return section_root(ctx, [container(ctx, flatten([head] + rows))])
    cols = rng.choice((2, 3))
    cells = []
    pictured = ctx.chance(0.5)
    for _ in range(cols * (2 if ctx.chance(RICH) else 1)):
        if not pictured:  # an icon card
            cells.append(card(ctx, [icon(ctx), heading(ctx, design.short_title(rng), 3, margin=10),
                                    paragraph(ctx, design.sentence(rng)),
                                    _text_link(ctx) if ctx.chance(0.4) else None]))
            continue
        body = stack(ctx, [heading(ctx, design.short_title(rng), 3, margin=10),
                           paragraph(ctx, design.sentence(rng)),
                           button(ctx, rng.choice(("Read more", "Learn more")), primary=ctx.chance(0.5))
                           if ctx.chance(0.5) else _text_link(ctx)],
                     "body", {"padding": px(rng.choice((20, 24, 28)))})
        media = image(ctx, 420, rng.randint(180, 240), radius=0)
        cells.append(card(ctx, [media, body], pad=0, role="card"))
        cells[-1].style["overflow"] = "hidden"
    return section_root(ctx, [container(ctx, flatten([head, grid(ctx, cells, cols)]))])


def pricing(ctx: Ctx) -> Node:
    t, rng = ctx.theme, ctx.rng
    rich = ctx.chance(RICH)
    plans = rng.sample(("Starter", "Basic", "Pro", "Team", "Business", "Enterprise", "Plus", "Premium"),
                       rng.choice((3, 4)) if rich else rng.choice((2, 3, 3)))
    popular = rng.randrange(len(plans))
    wrap_cells = ctx.chance(0.4)
    as_text = ctx.chance(0.4)
    cells = []
    for i, plan in enumerate(plans):
        featured = i == popular and ctx.chance(0.7)
        amount = f"${rng.choice((0, 9, 12, 19, 29, 49, 79, 99, 149))}"
        price = heading(ctx, amount, 3, size=rng.randint(40, 52), margin=6, role="price",
                        colour="#ffffff" if featured else None)
        price.text, price.children = amount, []
        per = ctx.node("span", "DROP", "per", {"font-size": "16px", "font-weight": "400"}, text="/mo", bare=True)
        price.children.append(per)
        fg = "#ffffff" if featured else None
        items = [heading(ctx, plan, 3, size=22, margin=8, colour=fg), price,
                 paragraph(ctx, design.sentence(rng, 6, 10), colour=WHITE_MUTED if featured else None,
                           size=t.base_size - 1, inline_ok=False),
                 divider(ctx, 20, colour="rgba(255,255,255,0.3)" if featured else None),
                 _plan_features(ctx, [f"{rng.randint(1, 50)} {rng.choice(('projects', 'users', 'GB storage', 'seats'))}"
                                      if j == 0 else design.short_title(rng)
                                      for j in range(rng.randint(4, 5) if rich else rng.randint(3, 4))],
                                as_text, WHITE_MUTED if featured else None),
                 button(ctx, "Choose " + plan, primary=True, colour="#ffffff" if featured else None)]
        items[-1].style.update({"display": "block", "text-align": "center", "margin-top": "20px"})
        if featured:
            items[-1].style["color"] = t.primary
        box = card(ctx, items, pad=rng.choice((28, 32, 40)))
        box.style["position"] = "relative"
        if featured:
            box.style.update({"background-color": t.primary, "color": "#fff"})
            if ctx.chance(0.7):
                badge = paragraph(ctx, "Most popular", size=12, colour=t.primary, role="badge", inline_ok=False)
                badge.style.update({"position": "absolute", "top": "16px", "right": "16px", "background-color": "#fff",
                                    "padding": "4px 10px", "border-radius": "999px", "font-weight": "700"})
                box.children.insert(0, badge)
        cells.append(column(ctx, [box]) if wrap_cells else box)
    head = intro(ctx, align="center")
    return section_root(ctx, [container(ctx, flatten([head, grid(ctx, cells, len(plans), align="start")]))])


def _plan_features(ctx: Ctx, lines: list[str], as_text: bool, colour: str | None) -> Node:
    """A plan's feature list: a ul (list, often with check glyphs) or a box of one-line paragraphs (wrapper)."""
    if not as_text:
        return bullet_list(ctx, lines, with_icons=ctx.chance(0.8), colour=colour)
    return stack(ctx, [paragraph(ctx, line, size=ctx.theme.base_size - 1, colour=colour, margin=10, inline_ok=False)
                       for line in lines], "features", {"margin": "0 0 8px 0"})


def _carousel(ctx: Ctx, slides: list[Node], visible: int, gap: int = 24, dots: bool = True) -> Node:
    """carousel container MERGE_UP track; arrows and dots DROP."""
    for slide in slides:
        slide.style.update({"flex": f"0 0 calc((100% - {gap * (visible - 1)}px) / {visible})", "box-sizing": "border-box"})
    track = ctx.node("div", "MERGE_UP", "track", {"display": "flex", "gap": px(gap)}, slides)
    parts: list[Node] = [track]
    if ctx.chance(0.5):
        for side in ("prev", "next"):
            arrow = ctx.node("button", "DROP", side, {"position": "absolute", "top": "40%", side == "prev" and "left" or "right": "8px",
                                                      "width": "44px", "height": "44px", "border-radius": "50%",
                                                      "border": "0", "background-color": "#ffffff",
                                                      "box-shadow": "0 2px 10px rgba(0,0,0,0.2)"})
            svg = ctx.node("svg", "DROP", "arrow", {"width": "20px", "height": "20px", "transform": "scaleX(-1)" if side == "prev" else "none"}, bare=True)
            arrow.children.append(inline_svg(svg, pictures.glyph("arrow", "#333")))
            parts.append(arrow)
    if dots:
        dot_nodes = []
        for i in range(len(slides)):
            dot_nodes.append(ctx.node(ctx.rng.choice(("span", "button")) if i == 0 else dot_nodes[0].tag, "DROP", "dot",
                                      {"display": "inline-block", "width": "10px", "height": "10px", "border": "0",
                                       "padding": "0", "border-radius": "50%",
                                       "background-color": ctx.theme.primary if i == 0 else ctx.theme.border}, bare=True))
        parts.append(ctx.node("div", "DROP", "dots", {"display": "flex", "gap": "8px", "justify-content": "center",
                                                      "margin-top": "24px"}, dot_nodes))
    return ctx.node("div", "carousel", "carousel", {"position": "relative", "overflow": "hidden"}, parts)


def testimonials(ctx: Ctx) -> Node:
    t, rng = ctx.theme, ctx.rng
    visible = rng.choice((1, 1, 1, 2, 2, 3))
    slides = []
    for _ in range(visible + (2 if ctx.chance(0.3) else 1)):
        quote = ctx.node(rng.choice(("blockquote", "p", "p")) if not ctx.opaque else "div", "paragraph", "quote",
                         {"font-size": px(t.base_size + (4 if visible == 1 else 1)), "line-height": "1.6",
                          "margin": "0 0 20px 0", "font-style": "italic", "color": t.text,
                          "font-family": t.body_font}, text="“" + design.sentences(rng, 1, 2) + "”")
        parts = [icon(ctx, 28, name="quote", badge=False) if ctx.chance(0.25) else None,
                 _stars(ctx) if ctx.chance(0.3) else None, quote]
        parts.append(_avatar(ctx))
        parts.append(heading(ctx, design.person(rng), 4, size=16, margin=2, role="name"))
        parts.append(paragraph(ctx, f"{rng.choice(design.ROLES)}, {rng.choice(design.COMPANIES)}", size=14,
                               inline_ok=False, role="role"))
        slide = card(ctx, parts, centered=visible == 1, role="slide")
        slides.append(slide)
    head = intro(ctx, align="center", with_text=ctx.chance(0.5))
    if visible > 1 and ctx.chance(RICH):  # every quote shown: a grid of 4-6 cards
        for slide in slides:
            slide.classes = ctx.namer.classes("card", slide.style)
        while len(slides) < visible * 2:
            slides.append(_quote_card(ctx, t))
        return section_root(ctx, [container(ctx, flatten([head, grid(ctx, slides, visible)]))])
    return section_root(ctx, [container(ctx, flatten([head, _carousel(ctx, slides, visible, dots=ctx.chance(0.6))]))])


def _quote_card(ctx: Ctx, t) -> Node:
    rng = ctx.rng
    quote = ctx.node(rng.choice(("blockquote", "p", "p")) if not ctx.opaque else "div", "paragraph", "quote",
                     {"font-size": px(t.base_size + 1), "line-height": "1.6", "margin": "0 0 20px 0",
                      "font-style": "italic", "color": t.text, "font-family": t.body_font},
                     text="“" + design.sentences(rng, 1, 2) + "”")
    return card(ctx, [quote, _avatar(ctx), heading(ctx, design.person(rng), 4, size=16, margin=2, role="name"),
                      paragraph(ctx, f"{rng.choice(design.ROLES)}, {rng.choice(design.COMPANIES)}", size=14,
                                inline_ok=False, role="role")])


def _stars(ctx: Ctx) -> Node:
    """A rating: a row of five glyphs, each an icon."""
    stars = []
    for _ in range(5):
        star = ctx.node("i", "icon", "star-icon", {"display": "inline-block", "width": "16px", "height": "16px",
                                                   "background": f"url('{pictures.data_uri(pictures.glyph('star', '#f5a623', 16))}') center/contain no-repeat"},
                        bare=True)
        if not ctx.opaque:
            star.classes = ["bi", "bi-star-fill"] if ctx.chance(0.5) else ["fa", "fa-star"]
        stars.append(star)
    return ctx.node("div", "wrapper", "rating", {"display": "flex", "gap": "4px", "margin-bottom": "16px"}, stars)


def _avatar(ctx: Ctx) -> Node:
    """A portrait no larger than 64 px: an icon by the conventions."""
    size = ctx.rng.choice((40, 48, 56, 64))
    node = ctx.node("img", "icon", "avatar", {"width": px(size), "height": px(size), "border-radius": "50%",
                                              "display": "block", "margin": "0 auto 12px auto", "object-fit": "cover"})
    node.attrs["src"] = pictures.data_uri(pictures.portrait(ctx.rng, 96, 96))
    node.content["src"] = ctx.src_token()
    return ctx.cue(node, "picture_size_icon_vs_image")


def team(ctx: Ctx) -> Node:
    rng = ctx.rng
    cols = rng.choice((2, 3, 3, 3, 4))
    rich = ctx.chance(RICH)
    n = cols * (2 if rich else 1)
    with_social = ctx.chance(0.12 if n <= 6 else 0.06)
    use_cards = ctx.chance(0.5)
    cells = []
    for _ in range(n):
        parts = [image(ctx, 300, rng.randint(240, 320), kind="portrait"),
                 heading(ctx, design.person(rng), 3, size=20, margin=4),
                 paragraph(ctx, rng.choice(design.ROLES), size=14, inline_ok=False)]
        parts[0].style["margin-bottom"] = "16px"
        if with_social:
            parts.append(social(ctx, size=18))
        if use_cards:
            cells.append(card(ctx, parts, centered=True))
        else:
            cells.append(column(ctx, parts, style={"text-align": "center"}))
    head = intro(ctx, align="center")
    return section_root(ctx, [container(ctx, flatten([head, grid(ctx, cells, cols)]))])


def _picture_item(ctx: Ctx, h: int, masonry: bool) -> Node:
    """One picture of a gallery/masonry: img, a styled box around an img, or a background div."""
    picture = image(ctx, 400, h, allow_bg_div=True)
    picture.style["height"] = px(h)
    if masonry:
        picture.style.update({"margin-bottom": "0", "break-inside": "avoid"})
    roll = ctx.rng.random()
    if roll < 0.35:  # figure-like box with a radius and overflow: merges into the image
        box = ctx.node("div", "wrapper", "item", {"border-radius": px(ctx.theme.radius + 4), "overflow": "hidden",
                                                  "box-shadow": "0 4px 14px rgba(0,0,0,0.12)"}, [picture])
        picture.style["border-radius"] = "0"
        item = box
    elif roll < 0.5:  # a box that adds nothing: DROP
        item = ctx.node("div", "DROP", "item", {}, [picture])
    else:
        item = picture
    if masonry:
        item.style.update({"break-inside": "avoid", "margin-bottom": px(ctx.theme.gap)})
        if item is not picture:
            item.style["display"] = "block"
    return item


def _portfolio_grid(ctx: Ctx) -> Node:
    """A portfolio of captioned pictures: a grid of columns (picture, title, category), 6-9 cells."""
    rng = ctx.rng
    cols = rng.choice((3, 3, 4))
    cells = []
    for _ in range(cols * 2 if cols == 4 else rng.choice((6, 9))):
        parts = [image(ctx, 400, rng.randint(220, 280), kind=rng.choice(("photo", "abstract", "interior"))),
                 heading(ctx, design.short_title(rng), 4, size=18, margin=4),
                 paragraph(ctx, rng.choice(("Branding", "Web design", "Photography", "Illustration", "App")),
                           size=14, inline_ok=False, role="meta")]
        parts[0].style["margin-bottom"] = "12px"
        cells.append(card(ctx, parts, pad=rng.choice((0, 16))) if ctx.chance(0.5) else column(ctx, parts))
    return grid(ctx, cells, cols)


def gallery(ctx: Ctx) -> Node:
    t, rng = ctx.theme, ctx.rng
    if ctx.chance(RICH * 0.5):
        head = intro(ctx, align=rng.choice(("center", None)), with_text=ctx.chance(0.6))
        return section_root(ctx, [container(ctx, flatten([head, _portfolio_grid(ctx)]))])
    cols = rng.choice((3, 4, 4))
    n = cols * (rng.choice((2, 3)) if ctx.chance(RICH) else rng.choice((1, 2)))
    h = rng.randint(160, 260)
    items = [_picture_item(ctx, h, masonry=False) for _ in range(n)]
    if ctx.chance(0.15):  # a placeholder tile without a picture
        items[-1] = ctx.node("div", "wrapper", "tile", {"height": px(h), "border-radius": px(t.radius),
                                                        "background-color": design.hsl(t.hue, 0.4, 0.85)})
    g = ctx.node("div", "gallery", "gallery", {"display": "grid", "gap": px(t.gap),
                                               "grid-template-columns": f"repeat({cols}, minmax(0, 1fr))"}, items)
    ctx.cue(g, CUE_HEIGHTS)
    head = intro(ctx, align=rng.choice(("center", None)), with_text=ctx.chance(0.6))
    return section_root(ctx, [container(ctx, flatten([head, g]))])


def masonry(ctx: Ctx) -> Node:
    t, rng = ctx.theme, ctx.rng
    cols = rng.choice((3, 3, 4))
    n = rng.choice((5, 6, 6, 7))
    items = [_picture_item(ctx, rng.choice((160, 200, 240, 280, 340, 400)), masonry=True) for _ in range(n)]
    m = ctx.node("div", "masonry", "masonry", {"column-count": str(cols), "column-gap": px(t.gap)}, items)
    ctx.cue(m, CUE_HEIGHTS)
    parts = [intro(ctx, align=rng.choice(("center", None)), with_text=ctx.chance(0.5))]
    if ctx.chance(0.4):  # filter buttons: a button row
        filters = [button(ctx, label, primary=(i == 0)) for i, label in
                   enumerate(("All", "Branding", "Web", "Print", "Photo")[: rng.randint(3, 5)])]
        parts.append(ctx.node("div", "wrapper", "filters", {"display": "flex", "gap": "10px", "margin-bottom": "32px",
                                                            "justify-content": "center"}, filters))
    parts.append(m)
    return section_root(ctx, [container(ctx, flatten(parts))])


def faq(ctx: Ctx) -> Node:
    t, rng = ctx.theme, ctx.rng
    items = []
    open_index = rng.choice((0, 0, 1, -1))
    for i in range(rng.randint(5, 8) if ctx.chance(RICH) else rng.choice((3, 3, 4))):
        question = design.headline(rng).rstrip(".") + "?"
        title = ctx.node(rng.choice(("button", "h3", "div")) if not ctx.opaque else "div", "heading", "question",
                         {"font-size": px(rng.randint(17, 20)), "font-weight": "600", "padding": "18px 0",
                          "display": "block", "width": "100%", "text-align": "left", "background": "none",
                          "border": "0", "color": t.text, "font-family": t.heading_font, "margin": "0"},
                         text=question)
        answer = paragraph(ctx, design.sentences(rng, 2, 3), inline_ok=ctx.chance(0.5))
        shown = i == open_index
        if ctx.chance(0.5):  # the answer in a padded body box: merges into the paragraph
            body = ctx.node("div", "wrapper", "answer", {"padding": "0 0 18px 0", "display": "block" if shown else "none"},
                            [answer])
        else:
            answer.style.update({"padding-bottom": "18px", "display": "block" if shown else "none"})
            body = answer
        items.append(ctx.node("div", "wrapper", "item", {"border-bottom": f"1px solid {t.border}"}, [title, body]))
    acc = ctx.node("div", "accordion", "accordion", {"max-width": "860px", "margin": "0 auto", "width": "100%"}, items)
    if ctx.chance(0.4):
        text = column(ctx, [intro(ctx, with_text=True), button_group(ctx, 1)])
        body = grid(ctx, [text, column(ctx, [acc])], 2, gap=64, template="1fr 1.6fr", align="start")
        return section_root(ctx, [container(ctx, [body])])
    return section_root(ctx, [container(ctx, flatten([intro(ctx, align="center"), acc]))])


def tabs(ctx: Ctx) -> Node:
    t, rng = ctx.theme, ctx.rng
    n = rng.choice((3, 3, 3, 4))
    labels = rng.sample(("Overview", "Features", "Design", "Pricing", "Support", "Reviews", "Specs", "Team"), n)
    active = rng.randrange(n)
    label_nodes = []
    as_list = ctx.chance(0.35)
    for i, label in enumerate(labels):
        style = {"padding": "12px 20px", "font-weight": "600", "border": "0", "background": "none",
                 "color": t.primary if i == active else t.muted, "font-size": px(t.base_size),
                 "border-bottom": f"3px solid {t.primary if i == active else 'transparent'}", "cursor": "pointer",
                 "font-family": t.body_font, "display": "inline-block", "text-decoration": "none"}
        tag = "a" if as_list else rng.choice(("button", "button", "a")) if not ctx.opaque else "div"
        node = ctx.node(tag, "button", "tab", style, text=label)
        if tag == "a":
            node.content["href"] = f"#tab-{i}"
        if as_list:  # ul/li navigation: the li boxes add nothing, DROP
            node = ctx.node("li", "DROP", "tab-item", {"display": "inline-block"}, [node], bare=True)
        label_nodes.append(node)
    nav = ctx.node("ul" if as_list else "div", "DROP", "tab-nav",
                   {"display": "flex", "gap": "8px", "border-bottom": f"1px solid {t.border}", "margin": "0 0 32px 0",
                    "padding": "0", "list-style": "none", "justify-content": rng.choice(("center", "flex-start"))},
                   label_nodes)
    panels = []
    for i in range(n):
        shown = {"display": "block" if i == active else "none"}
        if ctx.chance(0.65):
            panel = ctx.node("div", "paragraph", "panel", dict(shown, **{"color": t.muted, "line-height": "1.7",
                                                                        "font-size": px(t.base_size + 1)}),
                             text=design.sentences(rng, 3, 5))
        else:
            text = column(ctx, [heading(ctx, design.short_title(rng), 3, size=26, margin=12),
                                paragraph(ctx, design.sentences(rng, 2, 3)), button_group(ctx, 1)])
            media = column(ctx, [image(ctx, 520, rng.randint(260, 340))])
            panel = ctx.node("div", "wrapper", "panel", shown,
                             [grid(ctx, [text, media], 2, gap=48, align="center")])
        panels.append(panel)
    holder = ctx.node("div", "DROP", "tab-content", {}, panels)
    tab = ctx.node("div", "tab", "tabs", {}, [nav, holder])
    return section_root(ctx, [container(ctx, flatten([intro(ctx, align="center", with_text=ctx.chance(0.5)), tab]))])


def stats(ctx: Ctx) -> Node:
    t, rng = ctx.theme, ctx.rng
    cols = rng.choice((3, 4, 4))
    dark_band = ctx.chance(0.4)
    fg = "#ffffff" if dark_band else None
    with_icons = ctx.chance(0.4)
    cells = []
    for _ in range(cols):
        parts = [icon(ctx, colour=fg) if with_icons else None, counter(ctx, colour=fg), paragraph(ctx, rng.choice(("Happy clients", "Projects delivered",
                                                                      "Countries", "Uptime", "Downloads",
                                                                      "Team members", "Awards won", "Reviews")),
                                                    colour=WHITE_MUTED if dark_band else None, inline_ok=False)]
        cells.append(column(ctx, parts, style={"text-align": "center"}))
    layers, style = [], {}
    if dark_band:
        style["background-color"] = design.hsl(t.hue, 0.5, 0.18)
        if ctx.chance(0.6):
            layers = [_background_image(ctx, t.width, 400), _overlay(ctx)]
    head = intro(ctx, align="center", on_dark=dark_band, with_text=ctx.chance(0.5)) if ctx.chance(0.6) else None
    return section_root(ctx, layers + [container(ctx, flatten([head, grid(ctx, cells, cols)]))], style)


def call_to_action(ctx: Ctx) -> Node:
    t, rng = ctx.theme, ctx.rng
    on_dark = ctx.chance(0.6)
    style = {"background-color": t.primary if on_dark else t.surface}
    fg, muted = ("#ffffff", WHITE_MUTED) if on_dark else (None, None)
    title = heading(ctx, design.headline(rng), 2, colour=fg, margin=12)
    if ctx.chance(MINIMAL):  # a title (maybe a line of text) and one button, straight in the container
        title.style["text-align"] = "center"
        action = button(ctx, primary=True, colour="#ffffff" if on_dark else None)
        action.style["margin-top"] = "16px"
        if on_dark:
            action.style["color"] = t.primary
        line = paragraph(ctx, design.sentence(rng), colour=muted, align="center") if ctx.chance(0.4) else None
        box = container(ctx, [title, line, action], align="center")
        return section_root(ctx, [box] if ctx.chance(0.7) else box.children, style)
    text = paragraph(ctx, design.sentence(rng), colour=muted, size=t.base_size + 1)
    buttons = button_group(ctx, on_dark=on_dark, margin_top=0)
    if on_dark:
        for b in buttons.children:
            if b.style.get("background-color") == t.primary:
                b.style.update({"background-color": "#ffffff", "color": t.primary, "border": "2px solid #ffffff"})
    layers = []
    if on_dark and ctx.chance(0.3):
        layers = [_background_image(ctx, t.width, 360), _overlay(ctx)]
    if ctx.chance(0.45):  # text left, buttons right
        left = column(ctx, [title, text])
        right = column(ctx, [buttons], style={"display": "flex", "justify-content": "flex-end"})
        body = grid(ctx, [left, right], 2, align="center", template="2fr 1fr")
    else:
        parts = [title, divider(ctx, 16, colour="rgba(255,255,255,0.4)" if on_dark else None) if ctx.chance(0.3) else None,
                 text, buttons]
        buttons.style["justify-content"] = "center"
        buttons.style["margin-top"] = "24px"
        title.style["text-align"] = "center"
        text.style["text-align"] = "center"
        body = stack(ctx, parts, "content", {"max-width": "760px", "margin": "0 auto", "text-align": "center"})
    if ctx.chance(0.3) and not layers:  # a boxed banner inside the container
        body = ctx.node("div", "wrapper", "banner", {"background-color": t.primary if on_dark else t.surface,
                                                     "border-radius": px(t.radius + 8), "padding": "48px"}, [body])
        style["background-color"] = t.bg
    return section_root(ctx, layers + [container(ctx, [body])], style)


def _map(ctx: Ctx, height: int) -> Node:
    svg = pictures.street_map(ctx.rng, 1200, height)
    if ctx.chance(0.5):
        frame = ctx.node("iframe", "map", "map", {"width": "100%", "height": px(height), "border": "0", "display": "block"})
        frame.attrs["srcdoc"] = (f"<html><body style='margin:0'><img src='{pictures.data_uri(svg)}' "
                                 f"style='width:100%;height:100vh;object-fit:cover;display:block'></body></html>")
        frame.content["src"] = f"https://maps.google.com/maps?q={ctx.rng.choice(design.CITIES)}&output=embed"
        return frame
    node = ctx.node("div", "map", "map", {"width": "100%", "height": px(height),
                                          "background": f"url('{pictures.data_uri(svg)}') center/cover no-repeat"})
    return ctx.cue(node, CUE_MAP)


def contact(ctx: Ctx) -> Node:
    t, rng = ctx.theme, ctx.rng
    info = bullet_list(ctx, [f"{rng.randint(1, 200)} {rng.choice(('Main St', 'Harbour Rd', 'Park Ave'))}, "
                             f"{rng.choice(design.CITIES)}", f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                             f"hello@{rng.choice(design.COMPANIES).lower()}.com"], with_icons=ctx.chance(0.7))
    left = column(ctx, [heading(ctx, rng.choice(("Get in touch", "Contact us", "Let's talk", "Visit us")), 2, margin=12),
                        paragraph(ctx, design.sentences(rng, 1, 2), margin=24), info,
                        social(ctx) if ctx.chance(0.3) else None])
    fields = []
    for label, kind in rng.sample((("Name", "text"), ("Email", "email"), ("Phone", "tel"), ("Company", "text")), rng.randint(1, 3)) + [("Message", "textarea")]:
        control_style = {"width": "100%", "padding": "12px", "border": f"1px solid {t.border}", "border-radius": px(min(t.radius, 8)),
                         "box-sizing": "border-box", "font-size": "15px", "font-family": t.body_font,
                         "background-color": "#ffffff"}
        if kind == "textarea":
            control = ctx.node("textarea", "DROP", "input", dict(control_style, height="110px"), bare=True)
        else:
            control = ctx.node("input", "DROP", "input", control_style, bare=True)
            control.attrs["type"] = kind
        control.attrs["placeholder"] = label
        control.content["placeholder"] = label
        lab = ctx.node("label", "DROP", "label", {"display": "block", "font-size": "13px", "font-weight": "600",
                                                  "margin-bottom": "6px", "color": t.text}, text=label, bare=True)
        if ctx.chance(0.25):  # a placeholder-only field: the input alone
            control.style["margin-bottom"] = "16px"
            fields.append(control)
        else:
            fields.append(ctx.node("div", "DROP", "field", {"margin-bottom": "16px"}, [lab, control]))
    submit = button(ctx, rng.choice(("Send message", "Submit", "Send")))
    if submit.tag != "a":
        submit.tag = "button" if not ctx.opaque else submit.tag
        submit.attrs["type"] = "submit" if submit.tag == "button" else submit.attrs.get("type", "")
        if not submit.attrs["type"]:
            del submit.attrs["type"]
    form = ctx.node("form", "wrapper", "form", {"background-color": t.surface, "padding": "32px",
                                                "border-radius": px(t.radius), "box-shadow": "0 8px 30px rgba(0,0,0,0.08)"},
                    [heading(ctx, "Send us a message", 3, size=22, margin=20)] + fields + [submit])
    row = grid(ctx, [left, column(ctx, [form])], 2, gap=64, align="start")
    map_node = _map(ctx, rng.randint(260, 380))
    if ctx.chance(0.5):
        map_node.style["margin-top"] = "56px"
        return section_root(ctx, [container(ctx, [row, map_node])])
    root = section_root(ctx, [container(ctx, [row]), map_node])
    map_node.style["margin-top"] = "64px"
    root.style["padding-bottom"] = "0"
    return root


def footer(ctx: Ctx) -> Node:
    t, rng = ctx.theme, ctx.rng
    dark = ctx.chance(0.65)
    fg = "#ffffff" if dark else t.text
    muted = "rgba(255,255,255,0.65)" if dark else t.muted
    name = rng.choice(design.COMPANIES)
    style = {"background-color": design.hsl(t.hue, 0.25, 0.1) if dark else t.surface,
             "padding": f"{rng.choice((56, 64, 80))}px 0 32px 0"}
    tag = "footer" if not ctx.opaque else "div"
    copyright_line = paragraph(ctx, f"© {rng.randint(2019, 2025)} {name}. All rights reserved.", colour=muted,
                               size=13, inline_ok=False, align="center")
    if ctx.chance(MINIMAL * 0.7):  # a copyright bar, maybe with social links
        style["padding"] = f"{rng.choice((24, 32, 40))}px 0"
        parts = [copyright_line, social(ctx, colour=fg) if ctx.chance(0.3) else None]
        return section_root(ctx, [container(ctx, parts)] if ctx.chance(0.7) else parts, style, tag=tag)
    rich = ctx.chance(RICH)
    brand = ctx.node("img", "image", "logo", {"display": "block", "width": "150px", "height": "44px", "margin-bottom": "16px"})
    brand.attrs["src"] = pictures.data_uri(pictures.logo(rng, name, 150, 44, fg))
    brand.content["src"] = ctx.src_token("svg")
    brand.content["alt"] = name
    first = column(ctx, [brand, paragraph(ctx, design.sentence(rng, 8, 14), colour=muted, size=14),
                         social(ctx, colour=fg) if ctx.chance(0.5) else None])
    cells = [first]
    for title in rng.sample(("Product", "Company", "Resources", "Support", "Legal", "Services"),
                            rng.choice((3, 4)) if rich else rng.choice((1, 2, 2, 3))):
        links = rng.sample(("About", "Careers", "Blog", "Press", "Pricing", "Features", "Docs", "Help center",
                            "Contact", "Privacy", "Terms", "Partners", "Status"),
                           rng.randint(4, 5) if rich else rng.randint(2, 3))
        cells.append(column(ctx, [heading(ctx, title, 4, size=16, colour=fg, margin=16),
                                  bullet_list(ctx, links, links=True, colour=muted, gap=8)]))
    row = grid(ctx, cells, len(cells), gap=48, template=f"2fr repeat({len(cells) - 1}, 1fr)")
    return section_root(ctx, [container(ctx, [row, divider(ctx, 32, colour="rgba(255,255,255,0.15)" if dark else None),
                                              copyright_line])], style, tag=tag)


def logo_marquee(ctx: Ctx) -> Node:
    t, rng = ctx.theme, ctx.rng
    names = rng.sample(design.COMPANIES, rng.randint(4, 6))
    items = []
    ticker = ctx.chance(0.5)
    for name in names * (2 if ctx.chance(0.4) else 1):  # the strip repeats so the loop is seamless (or a script clones it)
        if ticker:
            item = ctx.node("span", "DROP", "ticker-item", {"font-size": "28px", "font-weight": "700", "white-space": "nowrap",
                                                            "color": t.muted, "font-family": t.heading_font},
                            text=f"{name} •", bare=True)
        else:
            item = ctx.node("img", "DROP", "logo", {"height": "40px", "width": "150px", "opacity": "0.7", "flex": "0 0 auto"})
            item.attrs["src"] = pictures.data_uri(pictures.logo(rng, name, 150, 40, t.muted))
            item.content["src"] = ctx.src_token("svg")
            item.content["alt"] = name
        items.append(item)
    track = ctx.node("div", "DROP", "marquee-track", {"display": "flex", "gap": px(rng.choice((48, 64, 80))),
                                                      "width": "max-content", "animation": "synth-scroll 30s linear infinite"},
                     items)
    strip = ctx.node("div", "marquee", "marquee", {"overflow": "hidden", "width": "100%", "padding": "8px 0"}, [track])
    label = paragraph(ctx, rng.choice(("Trusted by leading teams", "Our partners", "As featured in",
                                       f"Join {rng.randint(2, 50)},000+ companies")), align="center", margin=28,
                      inline_ok=False)
    root_style = {"padding": f"{rng.choice((40, 48, 64))}px 0"}
    if ctx.chance(0.5):
        return section_root(ctx, [label, strip], root_style)
    return section_root(ctx, [container(ctx, [label, strip])], root_style)


def _store_badge(ctx: Ctx, store: str) -> Node:
    badge = ctx.node("a", "button", "store-badge", {"display": "inline-flex", "align-items": "center", "gap": "10px",
                                                    "padding": "10px 18px", "background-color": "#111", "color": "#fff",
                                                    "border-radius": "10px", "text-decoration": "none",
                                                    "font-family": ctx.theme.body_font})
    badge.content["href"] = f"https://{'apps.apple.com' if store == 'apple' else 'play.google.com'}/app/{design.token(ctx.rng, 8)}"
    glyph = ctx.node("svg", "DROP", "store-icon", {"width": "24px", "height": "24px"}, bare=True)
    inline_svg(glyph, pictures.glyph(store, "#ffffff"))
    label = ctx.node("span", "DROP", "store-label", {"font-size": "15px", "font-weight": "600"},
                     text="App Store" if store == "apple" else "Google Play", bare=True)
    badge.children = [glyph, label]
    return badge


def _qr(ctx: Ctx, size: int) -> Node:
    svg = pictures.qr_code(ctx.rng, size)
    roll = ctx.rng.randrange(3)
    if roll == 0:
        node = ctx.node("img", "qr", "qr", {"width": px(size), "height": px(size), "display": "block"})
        node.attrs["src"] = pictures.data_uri(svg)
        node.content["src"] = ctx.src_token("png")
    elif roll == 1:
        node = ctx.node("svg", "qr", "qr", {"width": px(size), "height": px(size), "display": "block"})
        inline_svg(node, svg, view_box=f"0 0 {size} {size}")
    else:
        node = ctx.node("div", "qr", "qr", {"width": px(size), "height": px(size),
                                            "background": f"url('{pictures.data_uri(svg)}') center/contain no-repeat"})
    return ctx.cue(node, CUE_QR)


def app_download(ctx: Ctx) -> Node:
    t, rng = ctx.theme, ctx.rng
    badges = ctx.node("div", "wrapper", "stores", {"display": "flex", "gap": "12px", "margin": "24px 0"},
                      [_store_badge(ctx, "apple"), _store_badge(ctx, "android")])
    qr_block = stack(ctx, [_qr(ctx, rng.choice((96, 112, 128))),
                           paragraph(ctx, "Scan to download", size=13, inline_ok=False)], "qr-block",
                     {"margin-top": "8px"}, gap=8)
    text = column(ctx, [eyebrow(ctx, "Mobile app") if ctx.chance(0.5) else None,
                        heading(ctx, design.headline(rng), 2, margin=16), paragraph(ctx, design.sentences(rng, 1, 2)),
                        badges, qr_block if ctx.chance(0.6) else None])
    media = column(ctx, [image(ctx, 520, rng.randint(380, 480), kind="device", radius=t.radius)])
    cells = [text, media] if ctx.chance(0.6) else [media, text]
    return section_root(ctx, [container(ctx, [grid(ctx, cells, 2, gap=64, align="center")])])


def blog_cards(ctx: Ctx) -> Node:
    t, rng = ctx.theme, ctx.rng
    cols = rng.choice((2, 3))
    wrap_cells = ctx.chance(0.5)
    cells = []
    pictured = ctx.chance(0.8)
    for _ in range(cols * (2 if ctx.chance(RICH) else 1)):
        date = f"{rng.choice(design.MONTHS)} {rng.randint(1, 28)}, {rng.randint(2021, 2025)} · {rng.randint(3, 12)} min read"
        body = stack(ctx, [paragraph(ctx, date, size=13, inline_ok=False, role="meta", margin=8) if ctx.chance(0.6) else None,
                           heading(ctx, design.headline(rng), 3, size=rng.randint(19, 23), margin=10),
                           paragraph(ctx, design.sentence(rng), size=t.base_size - 1),
                           (_text_link(ctx) if ctx.chance(0.7) else button(ctx, "Read more", primary=False))
                           if ctx.chance(0.7) else None],
                     "body", {"padding": px(rng.choice((20, 24)))})
        media = image(ctx, 420, rng.randint(200, 240), kind=rng.choice(("photo", "abstract")), radius=0) \
            if pictured else None
        box = card(ctx, [media, body], pad=0)
        box.style["overflow"] = "hidden"
        cells.append(column(ctx, [box]) if wrap_cells else box)
    head = intro(ctx, align=rng.choice(("center", None)), title=rng.choice(("Latest news", "From the blog",
                                                                             "Insights", "Stories")))
    return section_root(ctx, [container(ctx, flatten([head, grid(ctx, cells, cols)]))])


def _video_player(ctx: Ctx, w: int, h: int) -> Node:
    t, rng = ctx.theme, ctx.rng
    still = pictures.poster(rng, w, h)
    roll = rng.randrange(3)
    if roll == 0:
        video = ctx.node("video", "video", "video", {"width": "100%", "height": px(h), "display": "block",
                                                     "object-fit": "cover", "border-radius": px(t.radius),
                                                     "background-color": "#000"})
        video.attrs.update({"controls": "", "poster": pictures.data_uri(still), "preload": "none"})
        video.content["src"] = f"/media/{design.token(rng, 6)}.mp4"
        return video
    play = pictures.glyph("play", t.primary, 72)
    doc = (f"<html><body style='margin:0;background:#000'><img src='{pictures.data_uri(still)}' "
           f"style='position:absolute;width:100%;height:100%;object-fit:cover'><img src='{pictures.data_uri(play)}' "
           f"style='position:absolute;left:50%;top:50%;width:72px;height:72px;margin:-36px 0 0 -36px'></body></html>")
    frame = ctx.node("iframe", "video", "player", {"width": "100%", "height": "100%" if roll == 2 else px(h),
                                                   "border": "0", "display": "block"})
    frame.attrs.update({"srcdoc": doc, "allowfullscreen": ""})
    frame.content["src"] = f"https://www.youtube.com/embed/{design.token(rng, 11)}"
    if roll == 1:
        return frame
    frame.style.update({"position": "absolute", "top": "0", "left": "0"})
    return ctx.node("div", "wrapper", "ratio", {"position": "relative", "height": px(h), "border-radius": px(t.radius),
                                                "overflow": "hidden"}, [frame])


def video_section(ctx: Ctx) -> Node:
    rng = ctx.rng
    if ctx.chance(0.4):
        text = column(ctx, [heading(ctx, design.headline(rng), 2, margin=16), paragraph(ctx, design.sentences(rng, 2, 3)),
                            button_group(ctx, 1)])
        player = column(ctx, [_video_player(ctx, 640, 360)])
        return section_root(ctx, [container(ctx, [grid(ctx, [text, player], 2, gap=56, align="center")])])
    width = rng.choice((860, 960, 1040))
    parts = [intro(ctx, align="center"), _video_player(ctx, width, int(width * 9 / 16))]
    if ctx.chance(0.3):
        parts.append(paragraph(ctx, design.sentence(rng), size=13, align="center", inline_ok=False, role="caption"))
        parts[-1].style["margin-top"] = "12px"
    return section_root(ctx, [container(ctx, flatten(parts), width=width + 48)])


def collage(ctx: Ctx) -> Node:
    rng = ctx.rng
    height = rng.randint(440, 560)
    pieces = []
    spots = [(0, 0, 62, 64), (38, 30, 60, 62), (10, 58, 40, 42), (62, 0, 36, 28)]
    for left, top, w, h in spots[: rng.randint(3, 4)]:
        jitter = rng.uniform(-3, 3)
        piece = image(ctx, 400, int(height * h / 100), allow_bg_div=ctx.chance(0.5))
        piece.style.update({"position": "absolute", "left": f"{left + jitter:.1f}%", "top": f"{top:.0f}%",
                            "width": f"{w}%", "height": f"{h}%", "box-shadow": "0 12px 30px rgba(0,0,0,0.2)"})
        pieces.append(piece)
    if ctx.chance(0.6):  # a floating stat card overlapping the pictures
        floating = card(ctx, [counter(ctx, size=36), paragraph(ctx, "Happy customers", size=13, inline_ok=False)], pad=18)
        floating.style.update({"position": "absolute", "left": "4%", "bottom": "4%", "height": "auto",
                               "background-color": "#ffffff", "box-shadow": "0 12px 30px rgba(0,0,0,0.18)"})
        pieces.append(floating)
    free = ctx.node("div", "freedom", "collage", {"position": "relative", "height": px(height)}, pieces)
    text = column(ctx, [eyebrow(ctx) if ctx.chance(0.6) else None, heading(ctx, design.headline(rng), 2, margin=16),
                        paragraph(ctx, design.sentences(rng, 2, 3)), button_group(ctx)])
    if ctx.chance(0.3):
        return section_root(ctx, [container(ctx, flatten([intro(ctx, align="center"), free]))])
    cells = [text, column(ctx, [free])] if ctx.chance(0.5) else [column(ctx, [free]), text]
    return section_root(ctx, [container(ctx, [grid(ctx, cells, 2, gap=64, align="center")])])


ARCHETYPES: dict[str, Callable[[Ctx], Node]] = {
    "hero_background_image": hero_background_image,
    "hero_background_video": hero_background_video,
    "hero_two_column": hero_two_column,
    "features": feature_grid,
    "services": services,
    "pricing": pricing,
    "testimonials": testimonials,
    "team": team,
    "gallery": gallery,
    "masonry": masonry,
    "faq": faq,
    "tabs": tabs,
    "stats": stats,
    "call_to_action": call_to_action,
    "contact": contact,
    "footer": footer,
    "logo_marquee": logo_marquee,
    "app_download": app_download,
    "blog": blog_cards,
    "video": video_section,
    "collage": collage,
}
