"""Markup families: how real sites spell their classes, and which one a section uses.

A section draws a main family (sometimes with a second one mixed in, as real
sites put BEM or hashed component classes inside a framework grid); `Namer`
turns a node's role and css into classes of its family and knows which of
those classes tell the node's type (so visual cues are recorded exactly when
neither tag nor classes decide it).
"""

from __future__ import annotations

import random

from data_tools.synth import design

FAMILIES = ("grid_framework", "utility_first", "component_kit", "bem", "hashed", "compact", "semantic")
FAMILY_WEIGHTS = (0.21, 0.18, 0.11, 0.13, 0.17, 0.11, 0.09)
MIX_SHARE = 0.22  # share of sections (whose family has partners) that mix in a second family
PARTNERS = {  # main family -> (second family, weight): layout stays main, content may take the second
    "grid_framework": (("bem", 0.6), ("hashed", 0.25), ("utility_first", 0.15)),
    "utility_first": (("hashed", 0.5), ("bem", 0.25), ("component_kit", 0.25)),
    "component_kit": (("bem", 0.7), ("utility_first", 0.3)),
    "bem": (("utility_first", 0.6), ("grid_framework", 0.4)),
    "hashed": (("utility_first", 0.6), ("bem", 0.4)),
    "semantic": (("utility_first", 0.5), ("bem", 0.5)),
    "compact": (),
}
# families whose sections pick non-semantic tags (div drawn as heading/button): the type is in the rendering
OPAQUE_FAMILIES = frozenset(("hashed",))


def draw_families(rng: random.Random) -> list[str]:
    """The section's families: [main] or [main, second]."""
    main = rng.choices(FAMILIES, FAMILY_WEIGHTS)[0]
    partners = PARTNERS[main]
    if partners and rng.random() < MIX_SHARE:
        return [main, rng.choices([p for p, _ in partners], [w for _, w in partners])[0]]
    return [main]


# --- roles -> kinds ------------------------------------------------------------

# first matching word wins; a role is split on '-'/'_' and digits are stripped ('btn2' -> 'btn')
_KIND_WORDS = (
    ("root", ("root",)),
    ("gallery", ("gallery",)),  # element types told apart only by a cue get their own words
    ("masonry", ("masonry",)),
    ("map", ("map",)),
    ("qr", ("qr",)),
    ("container", ("container", "inner")),
    ("row", ("row", "grid", "track", "collage", "filters", "stores", "logos")),
    ("col", ("col", "cell", "column", "tile", "slide")),
    ("icon", ("icon", "svg", "check", "glyph", "arrow", "dots")),
    ("btn", ("btn", "button", "cta", "nav", "close")),
    ("media", ("img", "image", "media", "avatar", "logo", "photo", "banner", "video",
               "player", "source", "ratio", "picture", "figure")),
    ("counter", ("counter", "stat", "figure", "number")),
    ("title", ("title", "heading", "question", "price", "name", "headline")),
    ("eyebrow", ("eyebrow", "badge", "label", "tag", "kicker", "per")),
    ("small", ("small", "meta", "role", "caption", "note", "date")),
    ("text", ("text", "lead", "answer", "quote", "paragraph", "copy", "desc", "body", "subtitle")),
    ("card", ("card", "panel", "article", "content", "box", "tab", "tabs", "accordion", "form", "field")),
    ("list", ("list", "ol", "ul", "menu")),
    ("item", ("item", "li", "entry")),
    ("link", ("link", "inline", "a")),
    ("input", ("input", "select", "textarea")),
    ("group", ("actions", "social", "group", "intro", "carousel", "marquee", "holder", "stack")),
    ("divider", ("divider", "hr", "rule", "line")),
    ("overlay", ("overlay", "backdrop", "shade")),
    ("hidden", ("hidden", "sr", "visually")),
    ("deco", ("deco", "spacer", "shape", "blob", "pattern", "ornament", "accent")),
    ("inline", ("span", "highlight", "strong", "em", "br", "mark")),
)
_KIND_OF_WORD = {}
for _kind, _words in _KIND_WORDS:
    for _word in _words:
        _KIND_OF_WORD.setdefault(_word, _kind)


def role_kind(role: str) -> str:
    """The kind of any role string ('btn2' -> 'btn', 'store-icon' -> 'icon', 'foo' -> 'generic')."""
    words = [w.rstrip("0123456789") for w in role.replace("_", "-").lower().split("-")]
    if words[0] in ("bg", "background"):  # a picture/video painting the section background
        return "bg"
    for word in reversed(words):  # the head word is last: 'store-icon' is an icon, 'icon-box' a box
        if word in _KIND_OF_WORD:
            return _KIND_OF_WORD[word]
    return "generic"


# kinds whose family words say what the node is; the rest (generic boxes, spacers) say nothing
_TELLING_KINDS = frozenset(("root", "gallery", "masonry", "map", "qr", "bg", "container", "row", "col", "icon", "btn", "media", "counter", "title",
                            "eyebrow", "small", "text", "card", "list", "item", "link", "input", "divider",
                            "overlay"))
LAYOUT_KINDS = frozenset(("root", "container", "row", "col", "group", "generic", "deco", "hidden", "overlay"))
# classes that blocks set themselves (icon fonts, background pictures): they tell the type
_BLOCK_WORDS = frozenset(("bi", "fa", "bg-cover"))


# --- vocabularies ----------------------------------------------------------------
# kind -> alternatives; each alternative is the kind's core words (they tell the type)

_GRID = {
    "root": (["section-block"], ["page-section"], ["hero-area"], ["content-section"]),
    "container": (["container"], ["container"], ["container-lg"], ["container-fluid"], ["container-xl"]),
    "row": (["row"], ["row", "g-4"], ["row", "gx-5"], ["row", "row-cols-1", "row-cols-md-3"], ["row", "gy-4"]),
    "col": (["col-md-6"], ["col-lg-4"], ["col-md-4", "col-sm-6"], ["col-12", "col-lg-6"], ["col"], ["col-md-3"],
            ["col-lg-3", "col-6"]),
    "icon": (["icon-md"], ["feature-icon"], ["icon-square"]),
    "gallery": (["row", "gallery-grid"], ["gallery", "row", "g-3"]),
    "masonry": (["row", "masonry-grid"], ["masonry"]),
    "map": (["map-embed"], ["ratio", "map-frame"]),
    "qr": (["qr-code"], ["img-qr"]),
    "bg": (["bg-image"], ["hero-bg", "position-absolute"]),
    "btn": (["btn", "btn-primary"], ["btn", "btn-primary", "btn-lg"], ["btn", "btn-outline-secondary"],
            ["btn", "btn-dark"], ["btn", "btn-light", "btn-sm"], ["btn", "btn-outline-primary", "px-4"]),
    "media": (["img-fluid"], ["img-fluid", "rounded"], ["img-cover"], ["ratio", "ratio-16x9"], ["img-thumbnail"]),
    "counter": (["display-4", "fw-bold"], ["counter-value"], ["h1", "mb-0"]),
    "title": (["display-5", "fw-bold"], ["h2"], ["card-title"], ["display-4"], ["h4", "fw-semibold"],
              ["section-title"]),
    "eyebrow": (["text-uppercase", "small"], ["badge", "bg-primary"], ["overline"]),
    "small": (["small", "text-muted"], ["text-body-secondary"], ["form-text"]),
    "text": (["lead"], ["card-text"], ["text-muted"], ["lead", "text-body-secondary"]),
    "card": (["card"], ["card", "shadow-sm"], ["card", "h-100"], ["card", "border-0"], ["card-body"],
             ["tab-pane"], ["accordion-item"]),
    "list": (["list-unstyled"], ["list-group"], ["nav"]),
    "item": (["list-group-item"], ["nav-item"], ["list-inline-item"]),
    "link": (["link-primary"], ["nav-link"], ["stretched-link"]),
    "input": (["form-control"], ["form-control", "form-control-lg"], ["form-select"]),
    "group": (["d-flex", "gap-3"], ["d-flex", "flex-wrap", "gap-2"], ["vstack", "gap-2"], ["hstack", "gap-3"]),
    "divider": (["border-top"], ["my-4"], ["divider"]),
    "overlay": (["position-absolute", "top-0", "start-0", "w-100", "h-100"], ["bg-overlay"]),
    "hidden": (["visually-hidden"], ["d-none"]),
    "deco": (["position-absolute"], ["pe-none"], ["opacity-50"]),
    "inline": (["text-primary"], ["fw-bold"], ["text-decoration-underline"]),
    "generic": (["position-relative"], ["d-block"], ["overflow-hidden"], ["h-100"]),
}
_GRID_HELPERS = ("mb-3", "mb-4", "mt-3", "mt-4", "py-5", "py-4", "px-3", "text-center", "text-lg-start", "d-flex",
                 "align-items-center", "justify-content-center", "justify-content-between", "shadow", "rounded-3",
                 "bg-light", "text-white", "mx-auto", "w-100", "order-lg-2", "pt-5", "pb-4", "fs-5", "gap-3")

_KIT = {
    "root": (["callout", "large"], ["section"], ["block-wrap"], ["top-bar-section"]),
    "container": (["grid-container"], ["grid-container", "fluid"], ["wrapper"], ["grid-container", "full"]),
    "row": (["grid-x", "grid-margin-x"], ["grid-x", "grid-padding-x"], ["kit-grid", "kit-child-width-1-3@m"],
            ["block-grid", "medium-up-3"], ["grid-x", "align-center"]),
    "col": (["cell", "medium-4"], ["cell", "medium-6", "large-4"], ["cell", "small-12", "medium-3"],
            ["kit-width-1-2@m"], ["cell", "auto"], ["column", "s12", "m6"], ["column", "s12", "l4"]),
    "icon": (["material-icons"], ["icon-prefix"], ["kit-icon"]),
    "gallery": (["kit-grid", "gallery-block"], ["grid-x", "lightbox-gallery"]),
    "masonry": (["masonry-wrap"], ["kit-masonry"]),
    "map": (["map-canvas"], ["responsive-embed", "map"]),
    "qr": (["qr-block"],),
    "bg": (["parallax-bg"], ["section-bg"]),
    "btn": (["button"], ["button", "hollow"], ["button", "large"], ["btn-large", "waves-effect", "waves-light"],
            ["btn", "waves-effect"], ["button", "secondary"], ["btn-flat"]),
    "media": (["responsive-img"], ["thumbnail"], ["media-object"], ["responsive-embed", "widescreen"],
              ["circle", "responsive-img"]),
    "counter": (["stat"], ["display-number"], ["card-value"]),
    "title": (["card-title"], ["header"], ["section-heading"], ["card-divider"], ["title", "is-2"]),
    "eyebrow": (["label"], ["chip"], ["label", "primary"], ["subheader"]),
    "small": (["help-text"], ["secondary-text"], ["grey-text"]),
    "text": (["flow-text"], ["lead-text"], ["card-content"], ["subheader"]),
    "card": (["card"], ["card", "z-depth-1"], ["card-section"], ["callout"], ["card", "hoverable"],
             ["tabs-panel"], ["accordion-item"], ["card-panel"]),
    "list": (["menu", "vertical"], ["no-bullet"], ["collection"], ["accordion"]),
    "item": (["collection-item"], ["accordion-title"], ["menu-item"]),
    "link": (["secondary-link"], ["card-link"], ["waves-effect"]),
    "input": (["input-field"], ["input-group-field"], ["validate"]),
    "group": (["button-group"], ["flex-container"], ["card-action"], ["stack-x"]),
    "divider": (["divider"], ["separator-line"]),
    "overlay": (["orbit-overlay"], ["parallax-shade"], ["reveal-overlay"]),
    "hidden": (["show-for-sr"], ["hide"]),
    "deco": (["parallax"], ["shape-deco"]),
    "inline": (["highlight"], ["emphasis"]),
    "generic": (["clearfix"], ["flex-container"], ["position-relative"]),
}
_KIT_HELPERS = ("text-center", "align-middle", "z-depth-2", "center-align", "hide-for-small-only", "margin-bottom-2",
                "padding-2", "white-text", "teal", "lighten-2", "rounded", "shadow", "show-for-medium", "flex-center")

# utility-first: core words (tell the kind), then several helpers, some with responsive/state prefixes
_UTIL = {
    "root": (["relative", "overflow-hidden"], ["relative", "isolate"], ["w-full"], ["relative"]),
    "container": (["max-w-7xl", "mx-auto"], ["container", "mx-auto"], ["max-w-6xl", "mx-auto"],
                  ["max-w-screen-xl", "mx-auto"]),
    "row": (["grid", "grid-cols-1", "md:grid-cols-3"], ["grid", "md:grid-cols-2"], ["flex", "flex-wrap", "-mx-4"],
            ["grid", "sm:grid-cols-2", "lg:grid-cols-4"], ["flex", "flex-col", "md:flex-row"]),
    "col": (["md:w-1/3"], ["w-full", "md:w-1/2"], ["lg:w-1/4", "px-4"], ["col-span-1"], ["flex-1"],
            ["md:col-span-2"], ["basis-full", "lg:basis-1/3"]),
    "gallery": (["grid", "grid-cols-2", "md:grid-cols-4"], ["grid", "grid-cols-3", "auto-rows-fr"]),
    "masonry": (["columns-2", "md:columns-3", "gap-4"], ["columns-3", "space-y-4"]),
    "bg": (["absolute", "inset-0", "-z-10", "bg-cover"], ["absolute", "inset-0", "object-cover"]),
    "icon": (["h-6", "w-6"], ["h-8", "w-8"], ["size-10"], ["h-5", "w-5", "shrink-0"]),
    "btn": (["inline-flex", "items-center", "rounded-md", "bg-indigo-600", "text-white"],
            ["inline-block", "rounded-lg", "bg-gray-900", "text-white", "hover:bg-gray-700"],
            ["rounded-full", "border", "border-gray-300", "hover:border-gray-400"],
            ["inline-flex", "justify-center", "rounded-md", "bg-white", "ring-1", "ring-inset"]),
    "media": (["w-full", "object-cover"], ["h-64", "w-full", "object-cover"], ["aspect-video", "w-full"],
              ["rounded-xl", "object-cover"], ["aspect-square", "object-cover"]),
    "counter": (["text-5xl", "font-extrabold"], ["text-4xl", "font-bold", "tabular-nums"]),
    "title": (["text-4xl", "font-bold", "tracking-tight"], ["text-3xl", "font-semibold"],
              ["text-xl", "font-semibold"], ["text-lg", "font-medium"], ["text-5xl", "font-extrabold"]),
    "eyebrow": (["text-sm", "font-semibold", "uppercase", "tracking-wide"], ["text-xs", "uppercase"],
                ["inline-block", "rounded-full", "px-3", "py-1", "text-xs"]),
    "small": (["text-sm", "text-gray-500"], ["text-xs", "text-slate-400"], ["text-sm", "leading-6"]),
    "text": (["text-lg", "leading-8", "text-gray-600"], ["text-base", "text-gray-700"], ["leading-relaxed"],
             ["text-slate-600", "md:text-lg"]),
    "card": (["rounded-2xl", "bg-white", "shadow-lg"], ["rounded-lg", "border", "border-gray-200"],
             ["rounded-xl", "bg-gray-50", "ring-1", "ring-gray-200"], ["overflow-hidden", "rounded-lg", "shadow"]),
    "list": (["space-y-3"], ["list-none", "space-y-2"], ["divide-y", "divide-gray-200"]),
    "item": (["flex", "items-start", "gap-x-3"], ["py-2"], ["flex", "gap-2"]),
    "link": (["underline", "hover:no-underline"], ["hover:text-gray-900"], ["font-medium", "hover:underline"]),
    "input": (["block", "w-full", "rounded-md", "border-0", "ring-1"], ["w-full", "rounded-lg", "border", "px-4"]),
    "group": (["flex", "gap-4"], ["flex", "flex-wrap", "gap-3"], ["flex", "flex-col", "gap-y-4"],
              ["flex", "items-center", "gap-x-6"], ["space-y-6"]),
    "divider": (["border-t", "border-gray-200"], ["h-px", "bg-gray-200"]),
    "overlay": (["absolute", "inset-0"], ["absolute", "inset-0", "bg-black/50"]),
    "hidden": (["sr-only"], ["hidden"]),
    "deco": (["absolute", "-z-10"], ["pointer-events-none", "absolute"], ["blur-3xl", "opacity-30"]),
    "inline": (["font-semibold"], ["text-indigo-600"], ["italic"]),
    "generic": (["relative"], ["block"], ["flex"], ["w-full"]),
}
_UTIL_HELPERS = ("mt-2", "mt-4", "mt-6", "mt-10", "mb-4", "mb-8", "px-4", "px-6", "py-2", "py-3", "py-12", "py-24",
                 "p-6", "p-8", "gap-4", "gap-8", "text-center", "text-left", "items-center", "justify-center",
                 "justify-between", "font-semibold", "text-gray-600", "text-gray-900", "text-white", "bg-white",
                 "bg-gray-50", "rounded-lg", "shadow-sm", "transition", "duration-200", "max-w-2xl", "w-full",
                 "leading-7", "py-2.5", "px-3.5", "gap-x-1.5", "bg-white/80", "ring-gray-900/10")
_UTIL_PREFIXED = ("md:px-8", "lg:px-8", "sm:py-32", "md:text-5xl", "lg:text-6xl", "md:mt-0", "lg:gap-12",
                  "md:flex", "lg:w-1/2", "md:text-left", "sm:text-lg", "hover:bg-indigo-500", "hover:shadow-xl",
                  "focus:outline-none", "focus-visible:ring-2", "dark:bg-gray-900", "dark:text-white",
                  "md:grid-cols-2", "lg:max-w-none", "xl:px-0", "group-hover:opacity-75", "sm:w-auto")

_HASH_ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_MODULE_HASH_ALPHA = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHJKMNPQRSTUVWXYZ"
_HASH_STYLES = ("emotion", "styled", "modules", "mangled")
_HASH_WEIGHTS = (0.3, 0.25, 0.3, 0.15)

# classes that say nothing of a node's type: the two nodes of a visual-only pair share them (DESIGN §10)
NEUTRAL_WORDS = ("item", "text", "box", "link", "content", "block", "el", "entry", "copy", "part")
_NEUTRAL_HELPERS = {"grid_framework": ("mb-3", "mb-4", "mt-3", "mt-4", "px-3", "d-block", "position-relative"),
                    "utility_first": ("mt-2", "mt-4", "mb-4", "px-4", "py-2", "block", "relative", "w-full",
                                      "transition", "md:mt-0", "sm:w-auto"),
                    "component_kit": ("margin-bottom-2", "padding-2", "clearfix", "position-relative")}

_SEMANTIC_CLASSES = {"root": ("hero", "features", "about", "intro"), "hidden": ("visually-hidden", "sr-only"),
                     "btn": ("button", "cta"), "container": ("container", "wrapper")}


class Namer:
    """Class lists for one section in its families; remembers which classes tell a node's type."""

    def __init__(self, rng: random.Random, families: str | list[str], block: str):
        self.families = [families] if isinstance(families, str) else list(families)
        self.family = self.families[0]
        self.second = self.families[1] if len(self.families) > 1 else None
        self.rng, self.block = rng, block
        self.bare_tags_ok = self.family == "semantic" or rng.random() < 0.5
        self.telling_words: set[str] = set()
        self.hash_style = rng.choices(_HASH_STYLES, _HASH_WEIGHTS)[0]
        # CSS modules / styled components reuse one hashed class per component role
        self.hash_memo: dict[str, list[str]] | None = {} if rng.random() < 0.8 else None
        self.picks: dict[str, list[str]] = {}  # one alternative per role and family: a site repeats itself
        self.util_density = rng.choice((1, 2, 2, 3))

    @property
    def opaque(self) -> bool:
        """Whether blocks should pick non-semantic tags (div drawn as heading/button)."""
        return any(f in OPAQUE_FAMILIES for f in self.families)

    def tells(self, classes: list[str]) -> bool:
        """Whether these classes decide a node's type (else only the rendering does)."""
        return any(c in self.telling_words or c in _BLOCK_WORDS or c.startswith(("bi-", "fa-")) for c in classes)

    def classes(self, role: str, style: dict[str, str] | None = None, bare: bool = False) -> list[str]:
        """Classes for a node with semantic `role` (e.g. 'title', 'btn', any string) and its css."""
        rng = self.rng
        kind = role_kind(role)
        family = self._family_for(kind)
        if bare and self.bare_tags_ok and family != "compact":
            return []
        out = self._one(family, role, kind, style or {})
        if self.second is not None and family not in (self.second, "semantic") and kind not in LAYOUT_KINDS \
                and rng.random() < 0.3:  # both families on one node: 'col-md-4 features__item'
            out = out + [c for c in self._one(self.second, role, kind, style or {}) if c not in out]
        return _spellable(out)

    def neutral(self) -> list[str]:
        """Classes that do not tell a node's type, in one of the section's families: a neutral word
        (`item`, `box`, BEM `block__item`), spacing helpers, a hashed class, or none. Not telling words."""
        rng = self.rng
        family = self.second if self.second is not None and rng.random() < 0.4 else self.family
        roll = rng.random()
        if roll < 0.15 or (family == "semantic" and roll < 0.6):
            return []
        if roll < 0.3 or family == "hashed":
            return ["css-" + design.token(rng, 6)] if rng.random() < 0.5 else \
                ["sc-" + design.token(rng, 6, _HASH_ALPHA), design.token(rng, 6, _HASH_ALPHA)]
        word = rng.choice(NEUTRAL_WORDS)
        if family == "bem":
            return [f"{self.block}__{word}"]
        helpers = _NEUTRAL_HELPERS.get(family)
        if helpers is None:  # compact, semantic: a bare word (compact css classes would spell the css)
            return [word]
        if family == "utility_first":
            return rng.sample(helpers, rng.randint(2, 4))
        return [word] + (rng.sample(helpers, 1) if rng.random() < 0.4 else [])

    def _family_for(self, kind: str) -> str:
        if self.second is None:
            return self.family
        if self.family == "semantic":  # bare html with a sprinkle of another family's classes
            return self.second if self.rng.random() < 0.35 else "semantic"
        if kind in LAYOUT_KINDS:
            return self.family
        return self.second if self.rng.random() < 0.65 else self.family

    def _one(self, family: str, role: str, kind: str, style: dict[str, str]) -> list[str]:
        if family == "bem":
            return self._bem(role)
        if family == "hashed":
            return self._hashed(role, kind)
        if family == "compact":
            return self._compact_classes(role, style)
        if family == "semantic":
            return self._semantic(kind)
        vocab, helpers = {"grid_framework": (_GRID, _GRID_HELPERS), "component_kit": (_KIT, _KIT_HELPERS),
                          "utility_first": (_UTIL, _UTIL_HELPERS)}[family]
        core = self._pick(family, role, vocab.get(kind, vocab["generic"]))
        if kind in _TELLING_KINDS and kind in vocab:
            self.telling_words.update(core)
        out = list(core)
        rng = self.rng
        if family == "utility_first":
            for _ in range(rng.randint(1, 2 + self.util_density)):
                out.append(rng.choice(_UTIL_HELPERS))
            for _ in range(rng.randint(0, self.util_density)):
                out.append(rng.choice(_UTIL_PREFIXED))
        elif rng.random() < 0.45:
            out += rng.sample(helpers, rng.choice((1, 1, 2, 3)))
        return list(dict.fromkeys(out))

    def _pick(self, family: str, role: str, options) -> list[str]:
        key = f"{family}:{role}"
        if key not in self.picks or self.rng.random() < 0.15:
            self.picks[key] = list(self.rng.choice(options))
        return self.picks[key]

    def _bem(self, role: str) -> list[str]:
        name = self.block if role == "root" else f"{self.block}__{role}"
        out = [name]
        if self.rng.random() < 0.2:
            out.append(f"{name}--{self.rng.choice(('lg', 'dark', 'center', 'alt', 'primary', 'large', 'reverse'))}")
        self.telling_words.update(out)
        return out

    def _semantic(self, kind: str) -> list[str]:
        if kind in _SEMANTIC_CLASSES and self.rng.random() < 0.25:
            word = self.rng.choice(_SEMANTIC_CLASSES[kind])
            self.telling_words.add(word)
            return [word]
        return []

    def _hashed(self, role: str, kind: str) -> list[str]:
        rng = self.rng
        if self.hash_memo is not None and role in self.hash_memo:
            return list(self.hash_memo[role])
        if self.hash_style == "modules":  # Hero_title__a8f3 / styles_card__3kQ2x: the role word survives
            stem = rng.choice((self.block.capitalize() + "_", "styles_", self.block + "-module_"))
            made = [f"{stem}{_camel(role)}__{design.token(rng, rng.choice((4, 5)), _MODULE_HASH_ALPHA)}"]
            if kind in _TELLING_KINDS:
                self.telling_words.update(made)
        elif self.hash_style == "styled":  # sc-<component id> <hash>
            made = ["sc-" + design.token(rng, 6, _HASH_ALPHA)] + ([design.token(rng, 6, _HASH_ALPHA)] if rng.random() < 0.7 else [])
        elif self.hash_style == "emotion":
            made = ["css-" + design.token(rng, rng.choice((5, 6, 7))) for _ in range(rng.choice((1, 1, 1, 2)))]
        else:
            made = [rng.choice(("_", "")) + rng.choice("abcdefghijklmnopqrstuvwxyz") + design.token(rng, 4)
                    for _ in range(rng.choice((1, 1, 2, 3)))]
        if self.hash_memo is not None:
            self.hash_memo[role] = made
        return list(made)

    def _compact_classes(self, role: str, style: dict[str, str]) -> list[str]:
        """A semantic word, then compact-encoded css with device/state variants (DATA_FORMAT §1.1)."""
        rng = self.rng
        out = [role if role != "root" else self.block] if rng.random() < 0.6 else []
        self.telling_words.update(out)
        out += _compact(rng, style)
        return out or [f"{self.block}-{role}"]


def _compact(rng: random.Random, style: dict[str, str]) -> list[str]:
    out = []
    props = [p for p in style if p in design.COMPACT_PROPS]
    rng.shuffle(props)
    for prop in props[: rng.randint(1, 4)]:
        value = design.compact_value(style[prop])
        if value is None:
            continue
        out.append(f"{design.COMPACT_PROPS[prop]}_{value}")
    if out and rng.random() < 0.45:
        prefix = rng.choice(("t:", "m:", "h:", "t:h:"))
        prop = rng.choice(("fs", "pt", "pb", "c", "bg", "mb"))
        value = {"fs": f"{rng.choice((14, 16, 18, 24, 32))}x", "pt": f"{rng.choice((1, 2, 3, 4))}r",
                 "pb": f"{rng.choice((1, 2, 3))}r", "c": rng.choice(("fff", "000", "333")),
                 "bg": rng.choice(("fff", "111", "f5f5f5")), "mb": f"{rng.choice((8, 16, 24))}x"}[prop]
        out.append(f"{prefix}{prop}_{value}")
    if out and rng.random() < 0.1:
        out.append(f"fs_{rng.choice(('1.125', '0.875', '1.5'))}r")  # decimal: not writable in dot spelling
    return out


def _camel(role: str) -> str:
    words = [w for w in role.replace("_", "-").split("-") if w]
    return words[0] + "".join(w.capitalize() for w in words[1:]) if words else "node"


def _spellable(classes: list[str]) -> list[str]:
    """Drops what no key spelling can write: a key splits on '.' or on '@', so one node cannot have both."""
    if any("@" in c for c in classes) and any("." in c for c in classes):
        return [c for c in classes if "." not in c]
    return classes
