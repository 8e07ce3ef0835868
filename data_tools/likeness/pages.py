"""The real sections: pinned npm template pages, served on 127.0.0.1 and rendered to html objects.

The list lives in sections.json (package, page inside the package, CSS selector);
the versions in package.json / package-lock.json beside it. What belongs in it: sections
of website pages (landing, marketing, portfolio, blog: what a page-builder user brings),
from packages of several authoring styles, at most 4 from one startbootstrap template so
no single author dominates; documentation code listings and html e-mails are out of scope.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import http.server
import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from data_tools import render
from dlt_jax.layout.jsonio import JsonObject, dump_json, load_json

HERE = Path(__file__).parent
SECTIONS_FILE = HERE / "sections.json"
PACKAGE_FILE = HERE / "package.json"
NODE_MODULES = HERE / "node_modules"
INSTALL_COMMAND = "npm ci --prefix data_tools/likeness"
CACHE_FORMAT = 1
# DESIGN.md §10: held back for independent evaluation, never used for training, tuning or likeness
HELD_BACK = frozenset(("startbootstrap-creative", "startbootstrap-resume", "uikit", "fomantic-ui", "spectre.css",
                       "bulma-start"))


class LikenessError(RuntimeError):
    """Something a person has to fix (install, a missing file); the message says what to do."""


@dataclasses.dataclass(frozen=True)
class Section:
    package: str
    page: str       # path inside the package folder
    selector: str   # CSS selector of the section element (its first match)

    @property
    def name(self) -> str:
        return f"{self.package}/{self.page} {self.selector}"


def load_sections(path: Path = SECTIONS_FILE, split: str | None = None) -> list[Section]:
    """The list of real sections (by default the pinned one); with `split`, only entries whose "split" is it.
    Sections of held-back packages (HELD_BACK) are never returned."""
    try:
        entries = json.loads(path.read_text())
        return [Section(entry["package"], entry["page"], entry["selector"]) for entry in entries
                if (split is None or entry.get("split") == split) and entry["package"] not in HELD_BACK]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise LikenessError(f"{path}: expected a JSON list of {{\"package\", \"page\", \"selector\"}} objects "
                            f"({type(error).__name__}: {error})") from None


def split_packages(path: Path, split: str) -> frozenset[str]:
    """The packages of `path`'s entries of one split (the real corpus splits by package)."""
    return frozenset(entry["package"] for entry in json.loads(path.read_text()) if entry.get("split") == split)


@dataclasses.dataclass(frozen=True)
class RealSource:
    """Where a set of real sections comes from: its list, the packages that hold its pages, their install."""

    name: str
    sections_file: Path
    package_file: Path
    node_modules: Path
    install_command: str
    split: str | None = None  # only the entries of this split
    cache_name: str = "real_sections.json"

    def sections(self, sections_file: Path | None = None) -> list[Section]:
        return load_sections(sections_file or self.sections_file, self.split)


REAL_DIR = HERE.parent / "real"
SOURCES = {  # --real: the likeness list, the train split of the annotated real corpus's sections
    "likeness": RealSource("likeness", SECTIONS_FILE, PACKAGE_FILE, NODE_MODULES, INSTALL_COMMAND),
    "real-train": RealSource("real-train", REAL_DIR / "sections.json", REAL_DIR / "package.json",
                             REAL_DIR / "node_modules", "npm ci --prefix data_tools/real", "train",
                             "real_train_sections.json"),
}


def pinned_versions(path: Path = PACKAGE_FILE) -> dict[str, str]:
    """package -> exact version, from package.json's dependencies."""
    return dict(json.loads(path.read_text())["dependencies"])


def check_installed(sections: Sequence[Section], node_modules: Path = NODE_MODULES,
                    pinned: dict[str, str] | None = None, install_command: str = INSTALL_COMMAND) -> dict[str, str]:
    """package -> installed version; LikenessError naming the npm command if any is missing or not the pinned one."""
    pinned = pinned_versions() if pinned is None else pinned
    installed, problems = {}, []
    for package in sorted({s.package for s in sections}):
        manifest = node_modules / package / "package.json"
        if package not in pinned:
            problems.append(f"{package} is not pinned in {node_modules.parent / 'package.json'}")
            continue
        if not manifest.is_file():
            problems.append(f"{package} is not installed")
            continue
        installed[package] = json.loads(manifest.read_text())["version"]
        if installed[package] != pinned[package]:
            problems.append(f"{package} {installed[package]} is installed, {pinned[package]} is pinned")
    missing_pages = [s.name for s in sections if s.package in installed and not (node_modules / s.package / s.page).is_file()]
    problems += [f"page missing: {name}" for name in missing_pages]
    if problems:
        raise LikenessError(f"the real template pages are not ready in {node_modules} ({'; '.join(problems)}). "
                            f"Install them with `{install_command}` (from the repository root; needs npm).")
    return installed


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@contextlib.contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serves `root` on 127.0.0.1 at a free port in a daemon thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="likeness-http")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def render_sections(sections: Sequence[Section], chromium: str | None = None, width: int = 1920,
                    node_modules: Path = NODE_MODULES, progress: bool = True
                    ) -> tuple[list[tuple[Section, JsonObject]], list[tuple[Section, str]]]:
    """Renders every section from the local server: (section, html object) pairs, and (section, error) failures.

    External requests (web fonts, CDNs) are not needed; offline they fail fast and the page renders without them.
    """
    try:
        renderer = render.Renderer(chromium, width=width)  # finds Chromium; the browser starts below
    except render.RenderError as error:  # no Chromium: the message says where it looked and what to install
        raise LikenessError(str(error)) from None
    rendered, failed = [], []
    with serve(node_modules) as base, renderer:
        jobs = [(s.name, "url", f"{base}/{s.package}/{s.page}", width, s.selector) for s in sections]
        for section, (_, rendering, error) in zip(sections, renderer.render_many(jobs, progress, len(jobs))):
            if rendering is None:
                failed.append((section, error))
                continue
            warnings: list[str] = []
            rendered.append((section, render.reduce_dom(rendering.nodes, warnings)))
    return rendered, failed


def cache_key(sections: Sequence[Section], versions: dict[str, str], width: int) -> list[Any]:
    """What the cached html objects depend on: the section list, the package versions and the viewport width."""
    return [CACHE_FORMAT, width, sorted(versions.items()), [dataclasses.astuple(s) for s in sections]]


def read_cache(path: Path, key: list[Any]) -> list[tuple[Section, JsonObject]] | None:
    """The cached real html objects, or None when there is no cache or it was made for something else."""
    if not path.is_file():
        return None
    cached = load_json(path.read_text(encoding="utf-8"))
    if json.loads(dump_json(cached["key"])) != json.loads(json.dumps(key)):
        return None
    return [(Section(e["package"], e["page"], e["selector"]), e["html"]) for e in cached["sections"]]


def write_cache(path: Path, key: list[Any], rendered: Sequence[tuple[Section, JsonObject]],
                versions: dict[str, str]) -> None:
    """Writes the real html objects (duplicate sibling keys kept) with the key they were made for."""
    entries = [JsonObject([("package", s.package), ("version", versions[s.package]), ("page", s.page),
                           ("selector", s.selector), ("html", html)]) for s, html in rendered]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_json(JsonObject([("key", key), ("sections", entries)]), indent=1) + "\n", encoding="utf-8")


def real_sections(out: Path, chromium: str | None = None, width: int = 1920, refresh: bool = False,
                  sections: Sequence[Section] | None = None, node_modules: Path = NODE_MODULES,
                  progress: bool = True, source: RealSource | None = None
                  ) -> tuple[list[tuple[Section, JsonObject]], list[tuple[Section, str]], dict[str, str]]:
    """The real sections' html objects, from OUT/<cache> when it matches, else rendered and cached.

    `source` (default: the likeness list) names the packages, their install command and the cache file;
    `sections` replaces its list. Returns (rendered, failed, versions). A failed section is reported, not
    cached, so the next run retries it.
    """
    if source is None:
        source = dataclasses.replace(SOURCES["likeness"], node_modules=node_modules)
    sections = source.sections() if sections is None else list(sections)
    versions = check_installed(sections, source.node_modules, pinned_versions(source.package_file),
                               source.install_command)
    key = cache_key(sections, versions, width)
    cache = out / source.cache_name
    cached = None if refresh else read_cache(cache, key)
    if cached is not None:
        return cached, [], versions
    rendered, failed = render_sections(sections, chromium, width, source.node_modules, progress)
    if not failed:
        write_cache(cache, key, rendered, versions)
    return rendered, failed, versions
