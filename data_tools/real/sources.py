"""Where the real annotated corpus comes from: sections of pinned npm template pages, split by package.

sections.json lists each section once: a short stable `id` (a folder-safe name for its annotation), the npm
`package`, the `page` inside the package folder, the CSS `selector` whose first match is the section, the
page's authoring `style` and its `split`. The split is by package (DESIGN.md §10): a package is all train or
all dev, and dev holds authoring styles that train never shows, so a dev figure measures transfer. The pages
are pinned in package.json / package-lock.json beside this file and served offline from node_modules
(`data_tools.likeness.pages.serve`), so any CDN a page names fails: every listed section was checked to render
styled without them. The held-back packages of DESIGN.md §10 are never listed.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from pathlib import Path

from data_tools.likeness.pages import (HELD_BACK, LikenessError, check_installed, pinned_versions,  # noqa: F401
                                       serve)  # re-exported: HELD_BACK (DESIGN.md §10) has one home

HERE = Path(__file__).parent
SOURCES_FILE = HERE / "sections.json"
PACKAGE_FILE = HERE / "package.json"
NODE_MODULES = HERE / "node_modules"
INSTALL_COMMAND = "npm ci --prefix data_tools/real"

STYLES = frozenset({"grid_framework", "utility_first", "component_kit", "bem", "semantic"})
SPLITS = frozenset({"train", "dev"})
FIELDS = ("id", "package", "page", "selector", "style", "split")
# Held back for independent evaluation (DESIGN.md §10): never used for training, tuning or likeness.
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class SourcesError(ValueError):
    """The sections list is malformed; the message names the entry and the field."""


@dataclasses.dataclass(frozen=True)
class RealSection:
    id: str         # short, stable, folder-safe: names the section's annotation
    package: str    # npm package name (pinned in package.json)
    page: str       # path inside the package folder
    selector: str   # CSS selector whose first match is the section
    style: str      # authoring style, one of STYLES
    split: str      # "train" or "dev", the same for every section of a package

    @property
    def name(self) -> str:
        return f"{self.package}/{self.page} {self.selector}"


def load_sections(path: Path = SOURCES_FILE) -> list[RealSection]:
    """The real sections listed in `path` (by default the shipped list), in file order.

    Raises SourcesError naming the entry and field when the file is not a JSON list of objects with the string
    fields of RealSection; the values themselves are checked by `check_split`.
    """
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SourcesError(f"{path}: cannot read a JSON list of sections ({type(error).__name__}: {error})") from None
    if not isinstance(entries, list):
        raise SourcesError(f"{path}: expected a JSON list of section objects, got {type(entries).__name__}")
    sections = []
    for index, entry in enumerate(entries):
        where = f"{path}: entry {index}" + (f" ({entry.get('id')!r})" if isinstance(entry, dict) and "id" in entry else "")
        if not isinstance(entry, dict):
            raise SourcesError(f"{where}: expected an object with fields {', '.join(FIELDS)}, got {type(entry).__name__}")
        for field in FIELDS:
            if field not in entry:
                raise SourcesError(f"{where}: missing field {field!r}")
            if not isinstance(entry[field], str) or not entry[field].strip():
                raise SourcesError(f"{where}: field {field!r} must be a non-empty string, got {entry[field]!r}")
        unknown = sorted(set(entry) - set(FIELDS))
        if unknown:
            raise SourcesError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}")
        sections.append(RealSection(**{field: entry[field] for field in FIELDS}))
    return sections


def check_split(sections: Sequence[RealSection]) -> None:
    """Raises ValueError naming the problem when the list breaks the corpus's rules.

    The rules: no held-back package, ids unique and folder-safe, style and split known values, and every
    package in one split only (the split is by package).
    """
    problems = []
    held = sorted({s.package for s in sections if s.package in HELD_BACK})
    if held:
        problems.append(f"held-back package(s) used: {', '.join(held)} (DESIGN.md §10: never for training or tuning)")
    seen: dict[str, int] = {}
    for s in sections:
        seen[s.id] = seen.get(s.id, 0) + 1
    repeated = sorted(i for i, n in seen.items() if n > 1)
    if repeated:
        problems.append(f"repeated id(s): {', '.join(repeated)}")
    bad_ids = sorted({s.id for s in sections if not _ID.match(s.id)})
    if bad_ids:
        problems.append(f"id(s) not folder-safe (lowercase letters, digits, '-'): {', '.join(map(repr, bad_ids))}")
    for s in sections:
        if s.style not in STYLES:
            problems.append(f"{s.id}: unknown style {s.style!r} (one of {', '.join(sorted(STYLES))})")
        if s.split not in SPLITS:
            problems.append(f"{s.id}: unknown split {s.split!r} (one of {', '.join(sorted(SPLITS))})")
    splits: dict[str, set[str]] = {}
    for s in sections:
        splits.setdefault(s.package, set()).add(s.split)
    both = sorted(p for p, found in splits.items() if len(found) > 1)
    if both:
        problems.append(f"package(s) in more than one split: {', '.join(both)} (the split is by package)")
    if problems:
        raise ValueError("real sections: " + "; ".join(problems))


def split_sections(sections: Sequence[RealSection], split: str) -> list[RealSection]:
    """The sections of one split, in list order."""
    return [s for s in sections if s.split == split]


def check_ready(sections: Sequence[RealSection], node_modules: Path = NODE_MODULES) -> dict[str, str]:
    """package -> installed version; LikenessError naming `INSTALL_COMMAND` when a page is missing or unpinned."""
    return check_installed(sections, node_modules, pinned_versions(PACKAGE_FILE), install_command=INSTALL_COMMAND)
