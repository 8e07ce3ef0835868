"""Pictures drawn procedurally as SVG (no downloads): photos, portraits, logos, QR codes, maps, icons.

Each function returns SVG markup; `data_uri` turns it into an `img`/CSS source.
"""

from __future__ import annotations

import base64
import random

from data_tools.synth.design import hsl


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _svg(w: int, h: int, body: str, extra: str = "") -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' viewBox='0 0 {w} {h}' "
            f"preserveAspectRatio='xMidYMid slice'{extra}>{body}</svg>")


def landscape(rng: random.Random, w: int, h: int) -> str:
    """Sky gradient, sun, layered hills: reads as an outdoor photo."""
    hue = rng.uniform(0, 360)
    sky1, sky2 = hsl(hue + 200, 0.6, rng.uniform(0.55, 0.8)), hsl(hue + 20, 0.7, rng.uniform(0.7, 0.88))
    body = (f"<defs><linearGradient id='s' x1='0' y1='0' x2='0' y2='1'><stop offset='0' stop-color='{sky1}'/>"
            f"<stop offset='1' stop-color='{sky2}'/></linearGradient></defs><rect width='{w}' height='{h}' fill='url(#s)'/>"
            f"<circle cx='{rng.uniform(0.15, 0.85) * w:.0f}' cy='{rng.uniform(0.15, 0.45) * h:.0f}' "
            f"r='{rng.uniform(0.04, 0.1) * max(w, h):.0f}' fill='{hsl(hue + 40, 0.9, 0.85)}' opacity='0.9'/>")
    for layer in range(rng.randint(2, 4)):
        base = h * (0.45 + 0.15 * layer)
        points = [f"0,{h}"]
        for i in range(9):
            points.append(f"{w * i / 8:.0f},{base - rng.uniform(0, 0.25) * h:.0f}")
        points.append(f"{w},{h}")
        body += f"<polygon points='{' '.join(points)}' fill='{hsl(hue + 120 + 15 * layer, 0.35, 0.45 - 0.1 * layer)}'/>"
    return _svg(w, h, body)


def abstract(rng: random.Random, w: int, h: int) -> str:
    """Soft coloured shapes: product shots, textures, blog covers."""
    hue = rng.uniform(0, 360)
    body = f"<rect width='{w}' height='{h}' fill='{hsl(hue, 0.5, rng.uniform(0.3, 0.85))}'/>"
    for _ in range(rng.randint(3, 7)):
        colour = hsl(hue + rng.uniform(-60, 60), rng.uniform(0.4, 0.9), rng.uniform(0.3, 0.8))
        if rng.random() < 0.5:
            body += (f"<circle cx='{rng.uniform(0, w):.0f}' cy='{rng.uniform(0, h):.0f}' "
                     f"r='{rng.uniform(0.1, 0.4) * min(w, h):.0f}' fill='{colour}' opacity='{rng.uniform(0.4, 0.9):.2f}'/>")
        else:
            body += (f"<rect x='{rng.uniform(-0.1, 0.8) * w:.0f}' y='{rng.uniform(-0.1, 0.8) * h:.0f}' "
                     f"width='{rng.uniform(0.2, 0.6) * w:.0f}' height='{rng.uniform(0.2, 0.6) * h:.0f}' "
                     f"rx='{rng.uniform(0, 40):.0f}' fill='{colour}' opacity='{rng.uniform(0.4, 0.9):.2f}' "
                     f"transform='rotate({rng.uniform(-30, 30):.0f} {w / 2:.0f} {h / 2:.0f})'/>")
    return _svg(w, h, body)


def interior(rng: random.Random, w: int, h: int) -> str:
    """Wall, floor, window and furniture blocks: reads as an indoor photo."""
    hue = rng.uniform(0, 360)
    floor_y = h * rng.uniform(0.6, 0.75)
    body = (f"<rect width='{w}' height='{h}' fill='{hsl(hue, 0.2, 0.85)}'/>"
            f"<rect y='{floor_y:.0f}' width='{w}' height='{h - floor_y:.0f}' fill='{hsl(hue + 30, 0.3, 0.45)}'/>"
            f"<rect x='{w * 0.1:.0f}' y='{h * 0.12:.0f}' width='{w * 0.3:.0f}' height='{h * 0.38:.0f}' fill='{hsl(200, 0.5, 0.8)}' stroke='#fff' stroke-width='6'/>")
    for _ in range(rng.randint(2, 4)):
        bw, bh = rng.uniform(0.12, 0.3) * w, rng.uniform(0.1, 0.3) * h
        body += (f"<rect x='{rng.uniform(0.05, 0.75) * w:.0f}' y='{floor_y - bh + 4:.0f}' width='{bw:.0f}' height='{bh:.0f}' "
                 f"rx='8' fill='{hsl(hue + rng.uniform(-90, 90), 0.45, rng.uniform(0.3, 0.6))}'/>")
    return _svg(w, h, body)


def portrait(rng: random.Random, w: int, h: int) -> str:
    """Head and shoulders on a plain backdrop."""
    skin = rng.choice(("#f1c7a5", "#e0ac7e", "#c68642", "#8d5524", "#ffdbac", "#a5724a"))
    hair = rng.choice(("#2b1b10", "#6b4423", "#d8b26e", "#111", "#8a3b12", "#999"))
    cx, s = w / 2, min(w, h)
    body = (f"<rect width='{w}' height='{h}' fill='{hsl(rng.uniform(0, 360), 0.35, rng.uniform(0.6, 0.85))}'/>"
            f"<ellipse cx='{cx:.0f}' cy='{h * 1.02:.0f}' rx='{s * 0.42:.0f}' ry='{s * 0.34:.0f}' fill='{hsl(rng.uniform(0, 360), 0.4, 0.4)}'/>"
            f"<rect x='{cx - s * 0.08:.0f}' y='{h * 0.55:.0f}' width='{s * 0.16:.0f}' height='{s * 0.2:.0f}' fill='{skin}'/>"
            f"<ellipse cx='{cx:.0f}' cy='{h * 0.44:.0f}' rx='{s * 0.19:.0f}' ry='{s * 0.23:.0f}' fill='{skin}'/>"
            f"<path d='M{cx - s * 0.2:.0f},{h * 0.42:.0f} Q{cx:.0f},{h * 0.05:.0f} {cx + s * 0.2:.0f},{h * 0.42:.0f} "
            f"Q{cx:.0f},{h * 0.25:.0f} {cx - s * 0.2:.0f},{h * 0.42:.0f}' fill='{hair}'/>")
    return _svg(w, h, body)


def photo(rng: random.Random, w: int, h: int) -> str:
    """Any content picture."""
    return rng.choice((landscape, abstract, interior, landscape, portrait))(rng, w, h)


def device_mockup(rng: random.Random, w: int, h: int) -> str:
    """A phone with an app screen, for app-download sections."""
    pw, ph = min(w * 0.6, h * 0.5), min(h * 0.92, w * 1.2)
    x, y = (w - pw) / 2, (h - ph) / 2
    hue = rng.uniform(0, 360)
    body = (f"<rect width='{w}' height='{h}' fill='{hsl(hue, 0.4, 0.92)}'/>"
            f"<rect x='{x:.0f}' y='{y:.0f}' width='{pw:.0f}' height='{ph:.0f}' rx='{pw * 0.14:.0f}' fill='#111'/>"
            f"<rect x='{x + pw * 0.05:.0f}' y='{y + ph * 0.04:.0f}' width='{pw * 0.9:.0f}' height='{ph * 0.92:.0f}' rx='{pw * 0.1:.0f}' fill='{hsl(hue, 0.6, 0.55)}'/>")
    for i in range(4):
        body += (f"<rect x='{x + pw * 0.15:.0f}' y='{y + ph * (0.2 + 0.16 * i):.0f}' width='{pw * 0.7:.0f}' height='{ph * 0.1:.0f}' "
                 f"rx='8' fill='#fff' opacity='0.85'/>")
    return _svg(w, h, body)


def qr_code(rng: random.Random, size: int) -> str:
    """A QR-like module grid with the three finder squares."""
    n, cell = 25, size / 25
    dark = rng.choice(("#000", "#111", "#1a1a2e"))
    body = f"<rect width='{size}' height='{size}' fill='#fff'/>"
    finder = {(r, c) for r0, c0 in ((0, 0), (0, 18), (18, 0)) for r in range(r0, r0 + 7) for c in range(c0, c0 + 7)}
    cells = []
    for r in range(n):
        for c in range(n):
            if (r, c) not in finder and rng.random() < 0.45:
                cells.append(f"M{c * cell:.1f},{r * cell:.1f}h{cell:.1f}v{cell:.1f}h-{cell:.1f}z")
    body += f"<path d='{''.join(cells)}' fill='{dark}'/>"
    for r0, c0 in ((0, 0), (0, 18), (18, 0)):
        body += (f"<rect x='{c0 * cell + cell / 2:.1f}' y='{r0 * cell + cell / 2:.1f}' width='{6 * cell:.1f}' height='{6 * cell:.1f}' "
                 f"fill='none' stroke='{dark}' stroke-width='{cell:.1f}'/>"
                 f"<rect x='{(c0 + 2) * cell:.1f}' y='{(r0 + 2) * cell:.1f}' width='{3 * cell:.1f}' height='{3 * cell:.1f}' fill='{dark}'/>")
    return _svg(size, size, body)


def street_map(rng: random.Random, w: int, h: int) -> str:
    """Beige blocks, roads, a river and a pin: reads as an embedded map."""
    body = f"<rect width='{w}' height='{h}' fill='#efe9dc'/>"
    body += (f"<path d='M0,{h * rng.uniform(0.5, 0.8):.0f} C{w * 0.3:.0f},{h * 0.4:.0f} {w * 0.6:.0f},{h:.0f} {w},{h * 0.6:.0f}' "
             f"stroke='#aad3f0' stroke-width='{rng.randint(18, 40)}' fill='none'/>")
    for _ in range(rng.randint(6, 10)):
        if rng.random() < 0.5:
            y = rng.uniform(0, h)
            body += f"<line x1='0' y1='{y:.0f}' x2='{w}' y2='{y + rng.uniform(-60, 60):.0f}' stroke='#fff' stroke-width='{rng.choice((4, 6, 10))}'/>"
        else:
            x = rng.uniform(0, w)
            body += f"<line x1='{x:.0f}' y1='0' x2='{x + rng.uniform(-60, 60):.0f}' y2='{h}' stroke='#fff' stroke-width='{rng.choice((4, 6, 10))}'/>"
    for _ in range(rng.randint(2, 4)):
        body += (f"<rect x='{rng.uniform(0, w):.0f}' y='{rng.uniform(0, h):.0f}' width='{rng.uniform(40, 140):.0f}' "
                 f"height='{rng.uniform(30, 90):.0f}' fill='#cfe6c0'/>")
    px, py = w * rng.uniform(0.3, 0.7), h * rng.uniform(0.3, 0.6)
    body += (f"<path d='M{px:.0f},{py + 34:.0f} L{px - 14:.0f},{py + 10:.0f} A16,16 0 1 1 {px + 14:.0f},{py + 10:.0f} Z' fill='#e8453c'/>"
             f"<circle cx='{px:.0f}' cy='{py + 2:.0f}' r='6' fill='#fff'/>")
    return _svg(w, h, body)


def logo(rng: random.Random, name: str, w: int = 160, h: int = 48, colour: str = "#555") -> str:
    """A wordmark with a small mark, for logo rows and footers."""
    shape = rng.randrange(3)
    mark = (f"<circle cx='{h / 2}' cy='{h / 2}' r='{h * 0.32:.0f}' fill='{colour}'/>" if shape == 0 else
            f"<rect x='{h * 0.18:.0f}' y='{h * 0.18:.0f}' width='{h * 0.64:.0f}' height='{h * 0.64:.0f}' rx='6' fill='{colour}'/>" if shape == 1 else
            f"<polygon points='{h / 2:.0f},{h * 0.15:.0f} {h * 0.85:.0f},{h * 0.85:.0f} {h * 0.15:.0f},{h * 0.85:.0f}' fill='{colour}'/>")
    text = (f"<text x='{h + 4}' y='{h * 0.66:.0f}' font-family='DejaVu Sans, sans-serif' font-weight='700' "
            f"font-size='{h * 0.45:.0f}' fill='{colour}'>{name}</text>")
    return _svg(w, h, mark + text)


_GLYPHS = {
    "star": "<polygon points='12,2 15,9 22,9 16.5,14 18.5,21 12,17 5.5,21 7.5,14 2,9 9,9' fill='{c}'/>",
    "check": "<polyline points='4,12 10,18 20,6' fill='none' stroke='{c}' stroke-width='2.6' stroke-linecap='round'/>",
    "bolt": "<polygon points='13,2 4,14 11,14 10,22 20,9 13,9' fill='{c}'/>",
    "heart": "<path d='M12 21 C5 15 2 12 2 8 A5 5 0 0 1 12 6 A5 5 0 0 1 22 8 C22 12 19 15 12 21Z' fill='{c}'/>",
    "shield": "<path d='M12 2 L20 5 V11 C20 16 16 20 12 22 C8 20 4 16 4 11 V5 Z' fill='{c}'/>",
    "chart": "<rect x='3' y='12' width='4' height='9' fill='{c}'/><rect x='10' y='7' width='4' height='14' fill='{c}'/><rect x='17' y='3' width='4' height='18' fill='{c}'/>",
    "globe": "<circle cx='12' cy='12' r='9' fill='none' stroke='{c}' stroke-width='2'/><ellipse cx='12' cy='12' rx='4' ry='9' fill='none' stroke='{c}' stroke-width='2'/><line x1='3' y1='12' x2='21' y2='12' stroke='{c}' stroke-width='2'/>",
    "mail": "<rect x='2' y='5' width='20' height='14' rx='2' fill='none' stroke='{c}' stroke-width='2'/><polyline points='2,6 12,13 22,6' fill='none' stroke='{c}' stroke-width='2'/>",
    "phone": "<rect x='7' y='2' width='10' height='20' rx='2' fill='none' stroke='{c}' stroke-width='2'/><circle cx='12' cy='18' r='1.2' fill='{c}'/>",
    "pin": "<path d='M12 22 C7 15 5 12 5 9 A7 7 0 0 1 19 9 C19 12 17 15 12 22Z' fill='{c}'/><circle cx='12' cy='9' r='2.5' fill='#fff'/>",
    "cloud": "<path d='M7 18 A5 5 0 0 1 7 8 A6 6 0 0 1 18 9 A4.5 4.5 0 0 1 18 18 Z' fill='{c}'/>",
    "gear": "<circle cx='12' cy='12' r='7' fill='none' stroke='{c}' stroke-width='4' stroke-dasharray='3 2.5'/><circle cx='12' cy='12' r='3' fill='{c}'/>",
    "play": "<circle cx='12' cy='12' r='11' fill='{c}'/><polygon points='9.5,7 17.5,12 9.5,17' fill='#fff'/>",
    "facebook": "<rect x='2' y='2' width='20' height='20' rx='5' fill='{c}'/><path d='M13 20 V13 H15.5 L16 10 H13 V8.5 C13 7.6 13.4 7 14.6 7 H16 V4.4 C15.6 4.3 14.6 4.2 13.6 4.2 C11.5 4.2 10 5.5 10 7.9 V10 H7.6 V13 H10 V20Z' fill='#fff'/>",
    "twitter": "<rect x='2' y='2' width='20' height='20' rx='5' fill='{c}'/><path d='M7 7 L17 17 M17 7 L7 17' stroke='#fff' stroke-width='2'/>",
    "instagram": "<rect x='3' y='3' width='18' height='18' rx='5' fill='none' stroke='{c}' stroke-width='2'/><circle cx='12' cy='12' r='4' fill='none' stroke='{c}' stroke-width='2'/><circle cx='17' cy='7' r='1.2' fill='{c}'/>",
    "linkedin": "<rect x='2' y='2' width='20' height='20' rx='3' fill='{c}'/><rect x='6' y='10' width='2.5' height='8' fill='#fff'/><circle cx='7.2' cy='7' r='1.5' fill='#fff'/><path d='M11 18 V10 H13.4 V11.3 C14 10.3 15 9.8 16 9.8 C17.8 9.8 18.5 11 18.5 13 V18 H16 V13.6 C16 12.5 15.6 12 14.8 12 C13.9 12 13.5 12.6 13.5 13.7 V18Z' fill='#fff'/>",
    "apple": "<path d='M16 3 C15 4.5 14 5 13 5 C13 3.8 14 2.5 16 3Z M12 7 C14 6 15 6 17 7.5 C15 9 15 13 17.5 14.5 C16.5 17.5 15 20 13 20 C12 20 11.5 19.4 10 19.4 C8.5 19.4 8 20 7 20 C5 20 3 15 3.5 11.5 C4 8 7 6.5 9 7 C10 7.3 11 7.6 12 7Z' fill='{c}'/>",
    "android": "<path d='M5 10 H19 V18 A2 2 0 0 1 17 20 H7 A2 2 0 0 1 5 18Z M6 9 A6 6 0 0 1 18 9Z' fill='{c}'/>",
    "quote": "<path d='M3 14 C3 8 6 5 10 4 L10 7 C8 8 7 9.5 7 11 H10 V20 H3Z M13 14 C13 8 16 5 20 4 L20 7 C18 8 17 9.5 17 11 H20 V20 H13Z' fill='{c}'/>",
    "arrow": "<path d='M4 12 H19 M13 6 L19 12 L13 18' fill='none' stroke='{c}' stroke-width='2.4' stroke-linecap='round'/>",
}
FEATURE_GLYPHS = ("star", "check", "bolt", "heart", "shield", "chart", "globe", "cloud", "gear")
SOCIAL_GLYPHS = ("facebook", "twitter", "instagram", "linkedin")


def glyph(name: str, colour: str, size: int = 24) -> str:
    """An icon as inline SVG markup (24-unit view box scaled to `size`)."""
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{size}' height='{size}' viewBox='0 0 24 24'>"
            f"{_GLYPHS[name].replace('{c}', colour)}</svg>")


def poster(rng: random.Random, w: int, h: int, people: bool = True) -> str:
    """A video still: a darker photo (scenery only for background videos)."""
    inner = (photo if people else rng.choice((landscape, abstract, interior)))(rng, w, h)
    return inner.replace("</svg>", f"<rect width='{w}' height='{h}' fill='#000' opacity='0.25'/></svg>")
