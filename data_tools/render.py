"""Headless Chromium rendering, shared by synthetic and real html.

Screenshots a section element and reads every element node's
`getBoundingClientRect` in preorder (`html_boxes`), and reduces the DOM to the
html object of DATA_FORMAT §1.1. One browser serves many pages; a page that
fails is reported and skipped, never fatal.
"""

from __future__ import annotations

import dataclasses
import glob
import io
import os
import re
import shutil
import sys
from collections.abc import Iterable, Iterator

from dlt_jax.layout.jsonio import JsonObject

CHROMIUM_ENV = "DLT_CHROMIUM"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
LAUNCH_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
               "--font-render-hinting=none")
CONTENT_ORDER = ("text", "src", "alt", "href", "title", "value", "placeholder", "content", "svg")
MAX_CONTENT_CHARS = 256
MAX_SECTION_HEIGHT = 16384

# Walks the section in preorder: element nodes only, svg descendants and
# non-visual tags skipped, exactly the nodes of the reduced html object.
_WALK_JS = r"""
(root) => {
  const SKIP = new Set(['script', 'style', 'meta', 'link', 'noscript', 'template', 'title', 'head', 'base']);
  const CUT = %d;
  const origin = root.getBoundingClientRect();
  const nodes = [];
  const cut = (s) => s.length > CUT ? s.slice(0, CUT) : s;
  // boxes are clipped to ancestors that clip their overflow (a hidden carousel slide has no box)
  function visit(el, parent, clip) {
    const raw = el.getBoundingClientRect();
    let r = raw;
    if (clip) {
      const x0 = Math.max(raw.left, clip[0]), y0 = Math.max(raw.top, clip[1]);
      const x1 = Math.min(raw.right, clip[2]), y1 = Math.min(raw.bottom, clip[3]);
      r = (x1 > x0 && y1 > y0 && raw.width > 0 && raw.height > 0)
        ? {left: x0, top: y0, width: x1 - x0, height: y1 - y0} : {left: 0, top: 0, width: 0, height: 0};
    }
    const tag = el.localName;
    const content = {};
    let text = '';
    for (const child of el.childNodes) if (child.nodeType === 3) text += child.data;
    text = text.replace(/\s+/g, ' ').trim();
    if (text && tag !== 'svg') content.text = text;
    for (const name of ['src', 'alt', 'href', 'title', 'placeholder']) {
      const v = el.getAttribute(name);
      if (v !== null && tag !== 'svg') content[name] = cut(v);
    }
    if ((tag === 'input' || tag === 'option' || tag === 'button') && el.getAttribute('value') !== null)
      content.value = cut(el.getAttribute('value'));
    if (tag === 'svg') content.svg = cut(el.innerHTML.replace(/\s+/g, ' ').trim());
    const index = nodes.length;
    nodes.push({tag: tag, cls: el.getAttribute('class') || '', parent: parent, content: content,
                box: (r.width > 0 && r.height > 0) ? [r.left - origin.left, r.top - origin.top, r.width, r.height]
                                                    : [0, 0, 0, 0]});
    if (tag === 'svg') return;
    let inner = clip;
    const style = getComputedStyle(el);
    if (style.overflowX !== 'visible' || style.overflowY !== 'visible') {
      const own = [raw.left, raw.top, raw.right, raw.bottom];
      inner = clip ? [Math.max(own[0], clip[0]), Math.max(own[1], clip[1]), Math.min(own[2], clip[2]),
                      Math.min(own[3], clip[3])] : own;
    }
    for (const child of el.children) if (!SKIP.has(child.localName)) visit(child, index, inner);
  }
  visit(root, -1, null);
  return {nodes: nodes};
}
""" % MAX_CONTENT_CHARS


# Finite animations jump to their end and endless ones (a logo marquee) back to their start, as the
# screenshot's `animations="disabled"` does, so the boxes read after it match the picture at any load.
_SETTLE_ANIMATIONS_JS = """() => { for (const a of document.getAnimations()) {
  const end = a.effect ? a.effect.getComputedTiming().endTime : Infinity;
  if (end === Infinity) a.cancel(); else a.finish(); } }"""

_RECT_JS = """(el) => { const r = el.getBoundingClientRect();
  return {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height}; }"""


def playwright_chromium() -> str | None:
    """The newest Chromium that `python -m playwright install chromium` downloaded (Linux layout:
    `$PLAYWRIGHT_BROWSERS_PATH` or `~/.cache/ms-playwright`, `chromium-<revision>/chrome-linux*/chrome`)."""
    root = os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or os.path.join(os.path.expanduser("~"), ".cache",
                                                                        "ms-playwright")
    if root == "0":  # Playwright's spelling for "inside the playwright package"
        try:
            import playwright  # noqa: PLC0415
        except ImportError:
            return None
        root = os.path.join(os.path.dirname(playwright.__file__), "driver", "package", ".local-browsers")
    found = [path for path in glob.glob(os.path.join(root, "chromium-*", "chrome-linux*", "chrome"))
             if os.access(path, os.X_OK)]
    return max(found, key=_playwright_revision, default=None)


def _playwright_revision(chrome: str) -> int:
    """`.../chromium-1187/chrome-linux/chrome` -> 1187 (the newest download wins)."""
    folder = os.path.basename(os.path.dirname(os.path.dirname(chrome)))
    return int(re.sub(r"\D", "", folder) or 0)


def find_chromium(explicit: str | None = None) -> str | None:
    """The Chromium to use: explicit path, $DLT_CHROMIUM, a system chromium, Playwright's own, or None."""
    for path in (explicit, os.environ.get(CHROMIUM_ENV)):
        if path:
            return path if os.path.exists(path) else None
    for path in CHROMIUM_CANDIDATES:
        if os.path.exists(path):
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser") or playwright_chromium()


@dataclasses.dataclass
class DomNode:
    tag: str
    classes: list[str]
    parent: int
    content: dict[str, str]
    box: list[float]   # [x, y, w, h] in css px relative to the section


@dataclasses.dataclass
class Rendering:
    """A rendered section: the screenshot and every element node in preorder."""

    png: bytes
    width: int
    height: int
    nodes: list[DomNode]

    @property
    def boxes(self) -> list[list[float]]:
        return [node.box for node in self.nodes]


class RenderError(RuntimeError):
    pass


class Renderer:
    """One headless Chromium, reused for many pages. Use as a context manager."""

    def __init__(self, chromium: str | None = None, width: int = 1920, height: int = 1080, timeout_ms: int = 30000,
                 recycle_every: int = 200):
        path = find_chromium(chromium)
        if path is None:
            raise RenderError(
                f"no Chromium found (tried --chromium, ${CHROMIUM_ENV}, {', '.join(CHROMIUM_CANDIDATES)}, PATH, "
                "Playwright's downloads). Install one, e.g. `apt-get install -y chromium` or "
                "`python -m playwright install --with-deps chromium`, or pass --chromium PATH.")
        self.chromium, self.width, self.height, self.timeout_ms = path, width, height, timeout_ms
        self.recycle_every = recycle_every  # a fresh tab every so many pages keeps the renderer's memory flat
        self._playwright = self._browser = self._page = None
        self._pages_rendered = 0

    def __enter__(self) -> "Renderer":
        from playwright.sync_api import sync_playwright
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(executable_path=self.chromium, args=list(LAUNCH_ARGS))
        except Exception:
            self._playwright.stop()
            raise
        self._page = self._new_page()
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            if self._playwright is not None:
                self._playwright.stop()

    def reset_page(self) -> None:
        """Drops the current tab (after a failure), so the next page starts clean."""
        if self._page is not None:
            try:
                self._page.close()
            except Exception:
                pass
        self._page = None

    def _new_page(self):
        page = self._browser.new_page(viewport={"width": self.width, "height": self.height}, device_scale_factor=1)
        page.set_default_timeout(self.timeout_ms)
        return page

    def _page_for(self, width: int):
        self._pages_rendered += 1
        if self.recycle_every and self._pages_rendered % self.recycle_every == 0:
            self.reset_page()
        if self._page is None or self._page.is_closed():
            self._page = self._new_page()
        if self._page.viewport_size["width"] != width:
            self._page.set_viewport_size({"width": width, "height": self.height})
        return self._page

    def render_html(self, html: str, selector: str = "body > *", width: int | None = None) -> Rendering:
        """Renders an html document and captures the first element matching `selector`."""
        page = self._page_for(width or self.width)
        page.set_content(html, wait_until="load")
        return self._capture(page, selector)

    def render_url(self, url: str, selector: str, width: int | None = None, wait_until: str = "load") -> Rendering:
        """Opens a URL or local file and captures the first element matching `selector`."""
        if os.path.exists(url):
            url = "file://" + os.path.abspath(url)
        page = self._page_for(width or self.width)
        page.goto(url, wait_until=wait_until)
        return self._capture(page, selector)

    def render_url_all(self, url: str, selector: str, width: int | None = None, wait_until: str = "load",
                       limit: int = 100) -> list[Rendering]:
        """Like `render_url`, for every element matching `selector` (at most `limit`)."""
        if os.path.exists(url):
            url = "file://" + os.path.abspath(url)
        page = self._page_for(width or self.width)
        page.goto(url, wait_until=wait_until)
        handles = page.query_selector_all(selector)[:limit]
        if not handles:
            raise RenderError(f"selector {selector!r} matched no element")
        return [self._capture_handle(page, handle, selector) for handle in handles]

    def _capture(self, page, selector: str) -> Rendering:
        handle = page.query_selector(selector)
        if handle is None:
            raise RenderError(f"selector {selector!r} matched no element")
        return self._capture_handle(page, handle, selector)

    def _capture_handle(self, page, handle, selector: str) -> Rendering:
        page.evaluate("document.fonts ? document.fonts.ready : null")
        page.evaluate(_SETTLE_ANIMATIONS_JS)
        rect = handle.evaluate(_RECT_JS)
        width, height = round(rect["width"]), min(round(rect["height"]), MAX_SECTION_HEIGHT)
        if width <= 0 or height <= 0:
            raise RenderError(f"selector {selector!r} matched an element of size {width}x{height}")
        png = page.screenshot(clip={"x": rect["x"], "y": rect["y"], "width": width, "height": height},
                              full_page=True, animations="disabled", type="png")
        # boxes are read after painting, so late font fallbacks are settled exactly as drawn
        walked = handle.evaluate(_WALK_JS)
        nodes = [DomNode(n["tag"], n["cls"].split(), n["parent"], n["content"], [float(v) for v in n["box"]])
                 for n in walked["nodes"]]
        return Rendering(png, width, height, nodes)

    def render_many(self, jobs: Iterable[tuple[str, str, str, int | None]], progress: bool = True,
                    total: int | None = None) -> Iterator[tuple[str, Rendering | None, str | None]]:
        """Renders (name, kind 'html'|'url', source, width) jobs; yields (name, rendering or None, error)."""
        from tqdm import tqdm
        for name, kind, source, width, *selector in tqdm(jobs, total=total, disable=not progress, desc="render",
                                                        unit="page"):
            sel = selector[0] if selector else "body > *"
            try:
                if kind == "html":
                    yield name, self.render_html(source, sel, width), None
                else:
                    yield name, self.render_url(source, sel, width), None
            except Exception as error:  # a failing page is reported and skipped
                message = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
                print(f"render: skipped {name}: {message}", file=sys.stderr)
                self.reset_page()
                yield name, None, message


# --- geometry and files ------------------------------------------------------------

def stored_size(width: int, height: int, max_side: int | None) -> tuple[int, int, float]:
    """Size after scaling so the long side is `max_side` (None/0: unchanged), and the scale."""
    if not max_side or max(width, height) <= max_side:
        return width, height, 1.0
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale)), scale


def scale_boxes(boxes: list[list[float]], scale: float, width: int, height: int) -> list[list[float]]:
    """Scales css-px boxes into stored pixels, clipped to the image; empty boxes become [0, 0, 0, 0]."""
    out = []
    for x, y, w, h in boxes:
        x0, y0 = max(0.0, x * scale), max(0.0, y * scale)
        x1, y1 = min(float(width), (x + w) * scale), min(float(height), (y + h) * scale)
        if w <= 0 or h <= 0 or x1 - x0 <= 0 or y1 - y0 <= 0:
            out.append([0, 0, 0, 0])
        else:
            out.append([round(x0, 1), round(y0, 1), round(x1 - x0, 1), round(y1 - y0, 1)])
    return out


def encode_screenshot(png: bytes, width: int, height: int, fmt: str = "png", quality: int = 80) -> bytes:
    """Resizes the captured PNG to (width, height) and encodes it as PNG or JPEG."""
    from PIL import Image
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.size != (width, height):
        image = image.resize((width, height), Image.LANCZOS)
    buffer = io.BytesIO()
    if fmt == "jpg":
        image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    else:
        image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


# --- DOM reduction (DATA_FORMAT §1.1) ---------------------------------------------------

_TAG = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def node_key(tag: str, classes: list[str], warnings: list[str] | None = None) -> str:
    """An html-object key for a DOM element: dot spelling, '@' spelling when a class holds a dot."""
    clean_tag = "".join(ch for ch in tag if ch.isalnum())
    if not clean_tag or not clean_tag[0].isalpha():
        clean_tag = "x" + clean_tag
    if clean_tag != tag and warnings is not None:
        warnings.append(f"tag {tag!r} written as {clean_tag!r} (keys allow letters and digits only)")
    if not classes:
        return clean_tag
    if not any("." in c for c in classes):
        return clean_tag + "".join("." + c for c in classes)
    if not any("@" in c for c in classes):
        return clean_tag + "".join("@" + c for c in classes)
    kept = [c.replace("@", "_") for c in classes]
    if warnings is not None:
        warnings.append(f"classes {classes} hold both '.' and '@'; '@' written as '_'")
    return clean_tag + "".join("@" + c for c in kept)


def reduce_dom(nodes: list[DomNode], warnings: list[str] | None = None) -> JsonObject:
    """The html object of the walked nodes: tags + classes, content keys, preorder kept."""
    values: list[JsonObject] = [JsonObject() for _ in nodes]
    for node, value in zip(nodes, values):
        for name in CONTENT_ORDER:
            if name in node.content:
                value.append(name, node.content[name])
    keys = [node_key(n.tag, n.classes, warnings) for n in nodes]
    top = JsonObject()
    # children are appended after content, in preorder, so sibling order is document order
    for index, node in enumerate(nodes):
        target = top if node.parent < 0 else values[node.parent]
        target.append(keys[index], values[index])
    return _collapse_empty(top)


def _collapse_empty(obj: JsonObject) -> JsonObject:
    """Empty element objects are written as "" (DATA_FORMAT: no children, no content)."""
    out = JsonObject()
    for key, value in obj.items():
        if isinstance(value, JsonObject):
            out.append(key, _collapse_empty(value) if len(value) else "")
        else:
            out.append(key, value)
    return out
