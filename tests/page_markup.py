"""Reads a generated page's body elements as the renderer walks them (preorder, svg insides skipped)."""

from __future__ import annotations

import dataclasses
import html.parser

VOID_TAGS = frozenset(("img", "input", "hr", "br", "source", "meta", "link"))


@dataclasses.dataclass(frozen=True)
class MarkupNode:
    tag: str
    classes: tuple[str, ...]
    style: str
    depth: int


class _BodyElements(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.seen: list[MarkupNode] = []
        self.stack: list[str] = []
        self.in_body = False

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.in_body = True
            return
        if not self.in_body:
            return
        if "svg" not in self.stack:
            attrs = dict(attrs)
            self.seen.append(MarkupNode(tag, tuple((attrs.get("class") or "").split()), attrs.get("style") or "",
                                        len(self.stack)))
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass


def body_elements(page_html: str) -> list[MarkupNode]:
    """The elements inside <body> in document order, with their classes, inline style and depth."""
    parser = _BodyElements()
    parser.feed(page_html)
    return parser.seen
