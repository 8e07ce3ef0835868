"""The rule baseline: one action per html node from tags and class words alone (CONVENTIONS.md).

A reference for every model number, not a competitor: honest, simple and
deterministic, with no pixels and no boxes. Its actions always decode without
repairs (MERGE_UP only under a node of the same element, never MERGE_LEFT,
each prop at most once).

Class words. Every class that is not compact CSS (`pt_7r`) is split into
lower-case words on non-alphanumerics; of a BEM class (`hero__title--lg`) only
the element and modifier parts count, as the block name is on every node of
the block. A node with any class counts as styled.

Content (a node's own type, from its tag first, then its words):

| node | action |
| --- | --- |
| h1..h6 | heading |
| p, blockquote, figcaption | paragraph (`title`/`heading`/`headline` words: heading) |
| button; input or a with a button word (`btn`, `button`) | button (an empty button, a pager dot: DROP) |
| a made of a glyph (svg, i) and at most an inline label | button |
| other a | paragraph when it has text and no block children, else a box |
| img | image (`icon`/`ico`/`glyph` words: icon; `qr`: qr) |
| svg; i without text | icon (`qr`: qr) |
| picture / video / hr | image / video / divider |
| iframe | map when its src or words say map, else video |
| ul, ol | list (`social` words: social) |
| span, strong, em, b, small, ... | inside text DROP; standalone with text: paragraph |
| input, select, textarea, label, source, option, br, ... | DROP |
| box (div, section, li, form, ...) with text and no block children | paragraph (title words: heading) |
| empty box (no children, no text) with a class | image, a picture drawn as a background (`divider` words: divider) |
| empty box without a class | DROP |

Everything inside a content node is DROP (inline parts of text, the glyph and
label of a button, the items of a list), and so is everything inside a social
group or a marquee.

Backgrounds, only on nodes at depth 1 or 2 (the section's own layers), the
first in preorder of each: PROP_BO for `overlay` words, or for an empty styled
box right after the chosen bi/bv node; PROP_BI for an img/picture with
`bg`/`background` words, or a box with them that is empty or has picture words
(`img`, `image`, `cover`, `photo`, `media`); PROP_BV for a video with
`bg`/`background` words. A bare img/picture/video that is the root's first
child, followed by content, is the background as well (DOM order draws it
behind). A prop node is DROP for the structure: elements inside it hang on the
nearest element.

Containers, top down, by their element children (children that are or hold an
element; children of a prop node count as children of its parent):

- Chains merge: from a box, follow single element children that are plain
  boxes (directly, not through a prop); the nodes down to the first with two
  or more element children are one element (first node its type, the rest
  MERGE_UP). A list, or a box with grid or compound words (`row`, `grid`,
  `columns`, `cols`, `flex`; `carousel`, `slider`, `swiper`, `accordion`,
  `tabs`, `gallery`, `masonry`, `marquee`, `ticker`, `social`) never joins the
  chain above it; a compound's only child with the same compound words (a
  slider's track) does.
- The section root's chain is `section`; a grid cell's chain is `column`
  (with its content as a child).
- Compounds: a chain with compound words takes that type (a box whose two or
  more element children are all glyph-only links is `social`); inside it,
  parts repeating its words are not new compounds.
- A chain ending in two or more element children is a `grid` when a chain
  node has grid words and not all its element children are buttons or icons
  (a row of buttons is a wrapper), or when two or more children carry column
  words (`col`, `column`, `cell`); else a `wrapper`. A grid's element children
  are its cells.
- Boxes around one content element: merged into it (first box takes the
  content's type, the rest and the content MERGE_UP) when a box is styled;
  DROP when none is. Styled boxes around a list or an arrangement element are
  a wrapper, unstyled ones DROP.

Not covered (they need the rendering): freedom, counter, MERGE_LEFT,
icon-sized pictures without words, text styled as a title, grids and buttons
with opaque class names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from dlt_jax.layout.html import HtmlTree, decompose_class
from dlt_jax.layout.vocab import DEFAULT_VOCAB, DROP, MERGE_UP, Vocabulary, prop_action

HEADING_TAGS = frozenset(f"h{i}" for i in range(1, 7))
PARAGRAPH_TAGS = frozenset(("p", "blockquote", "figcaption"))
INLINE_TAGS = frozenset(("span", "strong", "em", "b", "small", "u", "sup", "sub", "mark", "abbr", "code",
                         "s", "time", "cite", "q", "font", "del", "ins", "kbd", "var"))
IGNORED_TAGS = frozenset(("input", "select", "textarea", "option", "optgroup", "label", "source", "track",
                          "br", "wbr", "path", "script", "style", "noscript", "meta", "link", "template"))
LIST_TAGS = frozenset(("ul", "ol"))

BUTTON_WORDS = frozenset(("btn", "button"))
TITLE_WORDS = frozenset(("title", "heading", "headline"))
ICON_WORDS = frozenset(("icon", "ico", "glyph"))
PICTURE_WORDS = frozenset(("img", "image", "photo", "picture", "media", "thumb", "thumbnail", "cover"))
DIVIDER_WORDS = frozenset(("divider", "separator", "hr", "rule"))
MAP_WORDS = frozenset(("map", "maps", "gmap"))
BACKGROUND_WORDS = frozenset(("bg", "background"))
OVERLAY_WORDS = frozenset(("overlay",))
GRID_WORDS = frozenset(("row", "grid", "columns", "cols", "flex"))
COLUMN_WORDS = frozenset(("col", "column", "cell"))
COMPOUND_WORDS = {"carousel": "carousel", "slider": "carousel", "swiper": "carousel", "slick": "carousel",
                  "splide": "carousel", "accordion": "accordion", "tabs": "tab", "gallery": "gallery",
                  "masonry": "masonry", "marquee": "marquee", "ticker": "marquee", "social": "social",
                  "socials": "social"}
OPAQUE_COMPOUNDS = frozenset(("social", "marquee"))  # everything inside is DROP
SMALL_CONTENT = frozenset(("button", "icon"))
BACKGROUND_DEPTH = 2  # background layers sit at the top of the section, not inside its cards

_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_BOX = "box"        # a container: its role comes from its element children
_INLINE = "inline"  # inline text part: DROP inside text, paragraph when standalone with text
_NONE = "none"      # never an element (form fields, sources, pager dots)


def class_words(classes: Iterable[str]) -> frozenset[str]:
    """Lower-case words of the non-compact classes; of a BEM class only its element and modifier."""
    words: set[str] = set()
    for name in classes:
        if decompose_class(name) is not None:
            continue
        name = name.lower()
        if "__" in name:
            name = name.split("__", 1)[1]
        words.update(w for w in _WORD_SPLIT.split(name) if w)
    return frozenset(words)


def rule_actions(tree: HtmlTree, vocab: Vocabulary = DEFAULT_VOCAB) -> list[str]:
    """One action per node (preorder) by the rules of the module docstring; always decodes without repairs."""
    return _RuleBaseline(tree, vocab).run()


class _RuleBaseline:
    def __init__(self, tree: HtmlTree, vocab: Vocabulary):
        self.tree = tree
        self.vocab = vocab
        self.words = [class_words(node.classes) for node in tree.nodes]
        self.kinds = [self._kind(i) for i in range(len(tree))]
        self.props = self._props()
        self.holds = self._holds()
        self.actions = [DROP] * len(tree)

    # -- per-node facts
    def _text(self, index: int) -> bool:
        return any(kind == "text" and value.strip() for kind, value in self.tree[index].content)

    def _content_words_type(self, index: int, default: str) -> str:
        return "heading" if self.words[index] & TITLE_WORDS else default

    def _kind(self, index: int) -> str:
        """The node's own type, `box`, `inline` or `none`, ignoring its context."""
        node, words = self.tree[index], self.words[index]
        tag = node.tag.lower()
        if tag in HEADING_TAGS:
            return "heading"
        if tag in PARAGRAPH_TAGS:
            return self._content_words_type(index, "paragraph")
        if tag == "button" and not node.children and not self._text(index):
            return _NONE  # an empty button draws a dot (a slider's pager), not an element
        if tag == "button" or (tag in ("a", "input") and words & BUTTON_WORDS):
            return "button"
        if tag in ("img", "svg"):
            if "qr" in words:
                return "qr"
            return "icon" if tag == "svg" or words & ICON_WORDS else "image"
        if tag == "i":
            return "icon" if not self._text(index) else _INLINE
        if tag == "picture":
            return "image"
        if tag == "video":
            return "video"
        if tag == "iframe":
            source = " ".join(value.lower() for kind, value in node.content if kind == "src")
            return "map" if words & MAP_WORDS or "map" in source else "video"
        if tag == "hr":
            return "divider"
        if tag in LIST_TAGS:
            return "social" if words & {"social", "socials"} else "list"
        if tag in IGNORED_TAGS:
            return _NONE
        if tag in INLINE_TAGS:
            return _INLINE if not self._has_block_children(index) else _BOX
        if tag == "a":
            if self._glyph_link(index):
                return "button"
            if not self._has_block_children(index):
                return "paragraph" if self._text(index) else _NONE
        return _BOX

    def _glyph_link(self, index: int) -> bool:
        """A link made of a glyph (svg, i) and at most an inline label: drawn as a button."""
        children = [self.tree[c] for c in self.tree[index].children]
        return (any(c.tag.lower() in ("svg", "i") for c in children)
                and all(c.tag.lower() in INLINE_TAGS | {"svg", "i"} and not c.children for c in children))

    def _glyph_only_link(self, index: int) -> bool:
        """Links that are a glyph alone (no label): the links of a social group."""
        return self._glyph_link(index) and not self._text(index) and not any(
            self._text(c) for c in self.tree[index].children)

    def _has_block_children(self, index: int) -> bool:
        return any(self.tree[c].tag.lower() not in INLINE_TAGS | IGNORED_TAGS | {"i", "a"}
                   for c in self.tree[index].children)

    def _compound(self, index: int) -> str | None:
        found = sorted(COMPOUND_WORDS[w] for w in self.words[index] if w in COMPOUND_WORDS)
        return found[0] if found else None

    def _styled(self, index: int) -> bool:
        return bool(self.tree[index].classes)

    # -- backgrounds
    def _props(self) -> dict[int, str]:
        """node -> prop action, each prop at most once, first in preorder."""
        chosen: dict[str, int] = {}
        roots = set(self.tree.roots)
        for node in self.tree.nodes:
            if node.index in roots or node.depth > BACKGROUND_DEPTH or self._inside_content(node.index):
                continue
            prop = self._prop_hint(node.index, chosen)
            if prop is not None and prop not in chosen and prop in self.vocab.props:
                chosen[prop] = node.index
        return {node: prop_action(prop) for prop, node in chosen.items()}

    def _prop_hint(self, index: int, chosen: dict[str, int]) -> str | None:
        node, words = self.tree[index], self.words[index]
        tag = node.tag.lower()
        background = bool(words & BACKGROUND_WORDS)
        if words & OVERLAY_WORDS:
            return "bo"
        if tag == "video":
            return "bv" if background or self._first_layer(index) else None
        if tag in ("img", "picture"):
            return "bi" if background or self._first_layer(index) else None
        if self.kinds[index] != _BOX:
            return None
        if background and (words & PICTURE_WORDS or self._empty_box(index)):
            return "bi"
        behind = {chosen.get("bi"), chosen.get("bv")} - {None}
        if self._empty_box(index) and self._styled(index) and self.tree.previous_sibling(index) in behind:
            return "bo"  # an empty layer right after the background tints it
        return None

    def _first_layer(self, index: int) -> bool:
        """A bare media node that is the root's first child, with content after it."""
        node = self.tree[index]
        if node.parent not in self.tree.roots or node.sibling_index != 0 or node.children:
            return False
        return len(self.tree[node.parent].children) > 1

    def _inside_content(self, index: int) -> bool:
        return any(self.kinds[a] not in (_BOX, _NONE, _INLINE) or self._compound(a) in OPAQUE_COMPOUNDS
                   for a in self.tree.ancestors(index))

    # -- which nodes hold an element
    def _empty_box(self, index: int) -> bool:
        node = self.tree[index]
        return self.kinds[index] == _BOX and not node.children and not self._text(index)

    def _holds(self) -> list[bool]:
        holds = [False] * len(self.tree)
        for index in reversed(range(len(self.tree))):
            kind = self.kinds[index]
            if index in self.props:
                holds[index] = any(holds[c] for c in self.tree[index].children)
            elif kind == _BOX:
                holds[index] = (any(holds[c] for c in self.tree[index].children) or self._text(index)
                                or (self._empty_box(index) and self._styled(index)))
            elif kind == _INLINE:
                holds[index] = self._text(index)
            else:
                holds[index] = kind != _NONE
        return holds

    def _element_children(self, index: int) -> list[tuple[int, bool]]:
        """(child, reached through a prop node) for every child that is or holds an element."""
        found: list[tuple[int, bool]] = []
        for child in self.tree[index].children:
            if child in self.props:
                found.extend((c, True) for c, _ in self._element_children(child))
            elif self.holds[child]:
                found.append((child, False))
        return found

    def _leaf_type(self, index: int) -> str | None:
        """The type of a node that is one element with nothing inside: content, a text box,
        or a styled empty box (a picture drawn as a background, a line); None for a container."""
        kind = self.kinds[index]
        if kind == _INLINE:
            return self._content_words_type(index, "paragraph")
        if kind != _BOX:
            return kind
        if self._text(index) and not self._has_block_children(index):
            return self._content_words_type(index, "paragraph")
        if self._empty_box(index) and self._styled(index):
            return "divider" if self.words[index] & DIVIDER_WORDS else "image"
        return None

    def _group_type(self, index: int) -> str | None:
        """The compound a box is by its words, or `social` for a group of glyph-only links."""
        compound = self._compound(index)
        if compound is not None:
            return compound
        children = [c for c, _ in self._element_children(index)]
        if len(children) >= 2 and all(self._glyph_only_link(c) for c in children):
            return "social"
        return None

    def _arrangement(self, index: int) -> bool:
        """A node that starts its own element even as an only child (grid, compound, list)."""
        return (self.kinds[index] in ("list", "social") or self._group_type(index) is not None
                or bool(self.words[index] & GRID_WORDS))

    # -- placing elements
    def run(self) -> list[str]:
        for node, action in self.props.items():
            self.actions[node] = action
        for root in self.tree.roots:
            self._place(root, "root")
        for action in self.actions:
            if action not in (DROP, MERGE_UP) and self.vocab.prop_of(action) is None and not self.vocab.is_type(action):
                raise ValueError(f"the rule baseline needs element type {action!r}, missing from the vocabulary")
        return self.actions

    def _place(self, index: int, role: str, inside: str | None = None) -> None:
        """Sets the actions of `index`'s subtree; `role` is root, cell (of a grid) or normal;
        `inside` the compound type of the nearest enclosing compound, whose parts repeat its words."""
        if index in self.props:
            for child, _ in self._element_children(index):
                self._place(child, "normal", inside)
            return
        leaf = self._leaf_type(index)
        if role == "root" and (leaf is not None or self.kinds[index] != _BOX):
            self.actions[index] = "section"
            return
        if leaf is not None:
            self.actions[index] = leaf
            return
        if self.kinds[index] != _BOX:  # a `none` node holding elements: they hang on the nearest element
            for child, _ in self._element_children(index):
                self._place(child, "normal", inside)
            return
        chain, last, end = self._chain(index)
        groups = [] if role == "root" else [g for g in map(self._group_type, chain) if g and g != inside]
        if groups:
            self._mark_chain(chain, groups[0])
            if groups[0] not in OPAQUE_COMPOUNDS:
                for child, _ in last:
                    self._place(child, "normal", groups[0])
            return
        if not last:
            if role == "root":
                self.actions[index] = "section"
            return
        chain_type = self._chain_type(chain, last, role)
        if end is not None and role == "normal":
            if not any(self._styled(n) for n in chain):
                self._place(end, "normal", inside)  # boxes that add nothing: DROP
                return
            (only, through_prop), = last
            if not through_prop and self._leaf_type(only) is not None and self.kinds[only] not in ("list", "social"):
                self._mark_chain(chain, self._leaf_type(only))  # boxes around one content element
                self.actions[only] = MERGE_UP
                return
        self._mark_chain(chain, chain_type)
        for child, _ in last:
            self._place(child, "cell" if chain_type == "grid" else "normal", inside)

    def _chain(self, index: int) -> tuple[list[int], list[tuple[int, bool]], int | None]:
        """The chain of boxes from `index`, the element children of its last node, and the one
        element it ends on (None when it ends on two or more element children, or none).

        A compound's only child with the same compound words (a slider's track) joins its chain.
        """
        chain = [index]
        while True:
            children = self._element_children(chain[-1])
            if len(children) != 1:
                return chain, children, None
            only, through_prop = children[0]
            if through_prop or self.kinds[only] != _BOX or self._leaf_type(only) is not None:
                return chain, children, only
            compound = self._compound(chain[-1])
            if self._arrangement(only) and (compound is None or self._compound(only) != compound):
                return chain, children, only
            chain.append(only)

    def _chain_type(self, chain: list[int], last: list[tuple[int, bool]], role: str) -> str:
        if role == "root":
            return "section"
        if role == "cell":
            return "column"
        if len(last) < 2:
            return "wrapper"
        children = [child for child, _ in last]
        small = all(self._leaf_type(c) in SMALL_CONTENT for c in children)
        column_children = sum(bool(self.words[c] & COLUMN_WORDS) for c in children)
        if (any(self.words[n] & GRID_WORDS for n in chain) and not small) or column_children >= 2:
            return "grid"
        return "wrapper"

    def _mark_chain(self, chain: list[int], element_type: str) -> None:
        self.actions[chain[0]] = element_type
        for node in chain[1:]:
            self.actions[node] = MERGE_UP
