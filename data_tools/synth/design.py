"""Random but plausible design choices for one synthetic section.

A `Theme` holds palette, fonts and spacing; text, compact-CSS values and key
spellings live here too. Class vocabularies are in `families.py`.
"""

from __future__ import annotations

import colorsys
import dataclasses
import random

WIDTHS = (1280, 1280, 1366, 1440, 1440, 1536, 1600, 1680, 1920, 1920)
HEADING_FONTS = ("'DejaVu Sans', sans-serif", "'Liberation Sans', Arial, sans-serif",
                 "'DejaVu Serif', Georgia, serif", "'Liberation Serif', 'Times New Roman', serif",
                 "'Liberation Sans Narrow', 'Arial Narrow', sans-serif", "'DejaVu Sans Condensed', sans-serif")
BODY_FONTS = ("'DejaVu Sans', sans-serif", "'Liberation Sans', Arial, sans-serif",
              "'Liberation Serif', serif", "'DejaVu Serif', serif")


def hsl(h: float, s: float, l: float) -> str:
    """CSS hex colour from hue in degrees and saturation/lightness in [0, 1]."""
    r, g, b = colorsys.hls_to_rgb((h % 360) / 360.0, min(max(l, 0), 1), min(max(s, 0), 1))
    return "#{:02x}{:02x}{:02x}".format(round(r * 255), round(g * 255), round(b * 255))


@dataclasses.dataclass
class Theme:
    """Design tokens shared by all nodes of one section."""

    width: int
    dark: bool
    hue: float
    bg: str
    surface: str
    text: str
    muted: str
    primary: str
    on_primary: str
    accent: str
    border: str
    heading_font: str
    body_font: str
    base_size: int
    radius: int
    button_radius: int
    pad_y: int
    gap: int
    container: int
    heading_weight: int
    uppercase_eyebrow: bool


def make_theme(rng: random.Random, width: int | None = None) -> Theme:
    """Draws a coherent palette/typography/spacing set."""
    hue = rng.uniform(0, 360)
    dark = rng.random() < 0.3
    sat = rng.uniform(0.45, 0.9)
    if dark:
        bg = hsl(hue + rng.uniform(-20, 20), rng.uniform(0.1, 0.35), rng.uniform(0.07, 0.16))
        surface = hsl(hue, rng.uniform(0.1, 0.3), rng.uniform(0.17, 0.24))
        text, muted, border = "#f5f6f8", hsl(hue, 0.1, 0.72), hsl(hue, 0.15, 0.3)
    else:
        bg = rng.choice(["#ffffff", "#ffffff", hsl(hue, rng.uniform(0.2, 0.6), rng.uniform(0.95, 0.985)),
                         "#f7f7f9", "#fbfaf7"])
        surface = rng.choice(["#ffffff", hsl(hue, 0.3, 0.97), "#f3f4f6"])
        text, muted, border = hsl(hue, 0.2, rng.uniform(0.08, 0.2)), hsl(hue, 0.08, 0.42), hsl(hue, 0.12, 0.86)
    primary = hsl(hue, sat, rng.uniform(0.38, 0.55))
    accent = hsl(hue + rng.choice([150, 180, 210, 40, -40]), sat, 0.55)
    heading_font = rng.choice(HEADING_FONTS)
    body_font = heading_font if rng.random() < 0.4 else rng.choice(BODY_FONTS)
    return Theme(
        width=width or rng.choice(WIDTHS), dark=dark, hue=hue, bg=bg, surface=surface, text=text,
        muted=muted, primary=primary, on_primary="#ffffff", accent=accent, border=border,
        heading_font=heading_font, body_font=body_font, base_size=rng.choice([15, 16, 16, 17, 18]),
        radius=rng.choice([0, 4, 6, 8, 12, 16, 20]), button_radius=rng.choice([0, 4, 6, 8, 999]),
        pad_y=rng.choice([56, 64, 80, 96, 112, 128]), gap=rng.choice([16, 20, 24, 32, 40]),
        container=rng.choice([1040, 1140, 1200, 1240, 1320]), heading_weight=rng.choice([600, 700, 700, 800]),
        uppercase_eyebrow=rng.random() < 0.6)


# --- text --------------------------------------------------------------------

_NOUNS = ("platform", "workflow", "team", "design", "analytics", "product", "studio", "garden", "kitchen",
          "journey", "strategy", "brand", "community", "future", "home", "business", "data", "story",
          "experience", "project", "coffee", "city", "health", "finance", "travel", "music", "craft")
_ADJS = ("smarter", "simple", "modern", "beautiful", "reliable", "fast", "sustainable", "creative",
         "effortless", "powerful", "honest", "local", "trusted", "bold", "calm", "secure", "fresh")
_VERBS = ("Build", "Grow", "Design", "Launch", "Discover", "Transform", "Plan", "Create", "Scale",
          "Explore", "Simplify", "Elevate", "Meet", "Power", "Shape", "Find")
_WORDS = ("we", "help", "teams", "and", "people", "make", "the", "most", "of", "their", "time", "with",
          "tools", "that", "just", "work", "every", "day", "our", "clients", "trust", "us", "to", "deliver",
          "results", "on", "schedule", "from", "first", "idea", "final", "launch", "care", "about",
          "details", "quality", "support", "your", "growth", "at", "scale", "without", "hassle", "in",
          "minutes", "not", "weeks", "built", "for", "modern", "companies", "small", "studios", "everyone",
          "simple", "pricing", "honest", "advice", "real", "impact", "a", "better", "way", "work", "together")
FIRST = ("Anna", "Liam", "Sofia", "Noah", "Maya", "Lucas", "Emma", "Omar", "Chloe", "Hiro", "Lea", "Marco",
         "Nina", "Ethan", "Ines", "Jonas", "Priya", "Daniel", "Zoe", "Felix", "Amara", "Tom", "Yuki", "Sara")
LAST = ("Meyer", "Rossi", "Kim", "Garcia", "Novak", "Dubois", "Silva", "Ito", "Walsh", "Berg", "Khan",
        "Larsen", "Costa", "Adler", "Moreau", "Patel", "Fischer", "Brooks", "Haddad", "Lind")
ROLES = ("CEO & Founder", "Head of Design", "Lead Engineer", "Marketing Director", "Product Manager",
         "Art Director", "Customer Success", "Photographer", "Chef", "Architect", "Consultant", "CTO")
COMPANIES = ("Northwind", "Lumina", "Acme", "Bluepeak", "Vertex", "Orbitly", "Kestrel", "Nimbus", "Halcyon",
             "Sproutly", "Quanta", "Fjord", "Helix", "Aurora", "Pinecrest", "Mosaic", "Zenith", "Cobalt")
CITIES = ("Berlin", "Lisbon", "Toronto", "Austin", "Kyoto", "Oslo", "Melbourne", "Lyon", "Seoul", "Denver")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def sentence(rng: random.Random, lo: int = 8, hi: int = 16) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(lo, hi))]
    return " ".join(words).capitalize() + rng.choice([".", ".", ".", "!"])


def sentences(rng: random.Random, n_lo: int = 1, n_hi: int = 3) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(n_lo, n_hi)))


def headline(rng: random.Random) -> str:
    pattern = rng.randrange(5)
    noun, adj, verb = rng.choice(_NOUNS), rng.choice(_ADJS), rng.choice(_VERBS)
    if pattern == 0:
        return f"{verb} a {adj} {noun}"
    if pattern == 1:
        return f"The {adj} way to {verb.lower()} your {noun}"
    if pattern == 2:
        return f"{verb} your {noun}, {adj} and {rng.choice(_ADJS)}"
    if pattern == 3:
        return f"{adj.capitalize()} {noun} for {rng.choice(['everyone', 'modern teams', 'small studios', 'growing brands'])}"
    return f"{verb} with {rng.choice(COMPANIES)}"


def short_title(rng: random.Random) -> str:
    return f"{rng.choice(_ADJS).capitalize()} {rng.choice(_NOUNS)}"


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def button_label(rng: random.Random) -> str:
    return rng.choice(("Get started", "Learn more", "Contact us", "Book a call", "Try it free", "Sign up",
                       "Download", "See plans", "Join now", "Shop now", "Read more", "Watch demo"))


def stat_figure(rng: random.Random) -> str:
    return rng.choice((f"{rng.randint(2, 99)}k", f"{rng.randint(50, 999)}+", f"{rng.randint(80, 99)}%",
                       f"{rng.randint(2, 40)}M", f"{rng.randint(1, 9)}.{rng.randint(1, 9)}x",
                       f"${rng.randint(2, 90)}B", f"{rng.randint(10, 99)}"))


def token(rng: random.Random, n: int = 6, alphabet: str = "abcdefghijklmnopqrstuvwxyz0123456789") -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


# --- compact css classes and keys ----------------------------------------------

# css property -> compact abbreviation (DATA_FORMAT §1.1 encoding)
COMPACT_PROPS = {"padding-top": "pt", "padding-bottom": "pb", "padding-left": "pl", "padding-right": "pr",
                 "margin-top": "mt", "margin-bottom": "mb", "font-size": "fs", "color": "c",
                 "background-color": "bg", "max-width": "mw", "width": "w", "gap": "g",
                 "border-radius": "br", "line-height": "lh", "font-weight": "fw", "text-align": "ta",
                 "height": "h", "letter-spacing": "ls"}
_UNITS = {"rem": "r", "px": "x", "%": "p", "vw": "v", "vh": "v"}


def compact_value(value: str) -> str | None:
    """'3rem' -> '3r', '#ffffff' -> 'fff', '700' -> '700'; None if not encodable."""
    value = value.strip()
    if value.startswith("#"):
        hexes = value[1:].lower()
        if len(hexes) == 6 and hexes[0] == hexes[1] and hexes[2] == hexes[3] and hexes[4] == hexes[5]:
            return hexes[0] + hexes[2] + hexes[4]
        return hexes
    for unit, letter in _UNITS.items():
        if value.endswith(unit):
            number = value[: -len(unit)]
            if number.replace(".", "", 1).isdigit():
                return number + letter
            return None
    if value.replace(".", "", 1).isdigit() or value.isalpha():
        return value
    return None


def key_for(tag: str, classes: list[str], spelling: str) -> str:
    """Spells an html-object key: 'dot' div.a.b, 'at' div@a@b, 'dash' h1-a@b."""
    if not classes:
        return tag
    if spelling == "dot":
        return tag + "".join("." + c for c in classes)
    if spelling == "at":
        return tag + "".join("@" + c for c in classes)
    return tag + "-" + "@".join(classes)


def spelling_for(classes: list[str], preferred: str) -> str:
    """The preferred spelling if it can write these classes, else one that can."""
    has_dot = any("." in c for c in classes)
    has_at = any("@" in c for c in classes)
    if preferred == "dot" and not has_dot:
        return "dot"
    if preferred in ("at", "dash") and not has_at:
        return preferred
    if not has_at:
        return "at"
    if not has_dot:
        return "dot"
    raise ValueError(f"classes {classes} cannot be spelled in any key style")

