"""The real annotated corpus: pinned template pages rendered offline, their outlines applied, one data set folder.

The annotations live as outlines in `data_tools/real/outlines/<id>.txt` (what a
person edits, see `data_tools.annotate`); `build` renders every section of
`sections.json` from the pinned packages, applies its outline, validates it and
writes `dlt_jax/data/real/` (splits `train` and `dev`, JPEG screenshots,
`sources.json`). The same packages, Chromium and fonts give the same bytes.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import yaml

from data_tools import render
from data_tools.annotate.outline import OutlineError, parse_outline
from data_tools.annotate.section import (ANNOTATION_FIELD, EXAMPLE_FILE, OUTLINE_FILE, AnnotateError, Prelabel,
                                         annotated_record, apply_outline, check_written, model_prelabel,
                                         record_tree, rule_prelabel, section_record, with_prelabel,
                                         write_new_section)
from data_tools.likeness.pages import serve
from data_tools.real.sources import NODE_MODULES, RealSection, check_ready, check_split, load_sections
from dlt_jax.layout import JsonObject, dump_json, load_json
from dlt_jax.layout.codec import LayoutError

HERE = Path(__file__).parent
OUTLINES = HERE / "outlines"
PRELABELS_FILE = HERE / "prelabels.json"
CORPUS_DIR = HERE.parent.parent / "dlt_jax" / "data" / "real"
WORK_DIR = Path("build") / "real"
MAX_SIDE = 1280      # long side of the stored screenshots (JPEG): 150+ sections stay well under 40 MB
WIDTH = 1920         # viewport width the pages are rendered at
SPLITS = ("train", "dev")


def outline_path(section: RealSection) -> Path:
    return OUTLINES / f"{section.id}.txt"


def rendered_sections(sections: Sequence[RealSection], chromium: str | None = None, width: int = WIDTH,
                      progress: bool = True) -> Iterator[tuple[RealSection, dict[str, str], render.Rendering | None,
                                                               str | None]]:
    """Renders each section from the pinned packages on 127.0.0.1: (section, versions, rendering or None, error)."""
    versions = check_ready(sections, NODE_MODULES)
    renderer = render.Renderer(chromium, width=width)
    with serve(NODE_MODULES) as base, renderer:
        jobs = [(s.id, "url", f"{base}/{s.package}/{s.page}", width, s.selector) for s in sections]
        for section, (_, rendering, error) in zip(sections, renderer.render_many(jobs, progress, len(jobs))):
            yield section, versions, rendering, error


def section_source(section: RealSection, versions: dict[str, str]) -> JsonObject:
    return JsonObject([("package", section.package), ("version", versions[section.package]),
                       ("page", section.page), ("selector", section.selector), ("style", section.style)])


def section_input(section: RealSection, versions: dict[str, str], rendering: render.Rendering
                  ) -> tuple[JsonObject, bytes, list[str]]:
    warnings: list[str] = []
    record, shot = section_record(section.id, rendering, MAX_SIDE, "jpeg", section_source(section, versions), warnings)
    return record, shot, warnings


def read_prelabels() -> dict[str, dict]:
    return json.loads(PRELABELS_FILE.read_text()) if PRELABELS_FILE.is_file() else {}


def write_prelabels(prelabels: dict[str, dict]) -> None:
    PRELABELS_FILE.write_text(json.dumps(dict(sorted(prelabels.items())), indent=0) + "\n")


def select(sections: Sequence[RealSection], ids: Sequence[str] | None) -> list[RealSection]:
    if not ids:
        return list(sections)
    known = {s.id: s for s in sections}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise AnnotateError(f"unknown section id(s) {unknown}; the ids are in {OUTLINES.parent / 'sections.json'}")
    return [known[i] for i in ids]


def prelabel(sections: Sequence[RealSection], work: Path = WORK_DIR, workdir: str | None = None,
             force: bool = False, chromium: str | None = None) -> tuple[int, list[str]]:
    """Renders and pre-labels sections into `work/<id>/`; writes `outlines/<id>.txt` where there is none yet
    (or every one with `force`). Returns (outlines written, failures)."""
    prelabels, written, failed = read_prelabels(), 0, []
    OUTLINES.mkdir(exist_ok=True)
    try:
        written = _prelabel_each(sections, work, workdir, force, chromium, prelabels, failed)
    finally:  # the outlines written so far keep their pre-labels even when a later section fails
        write_prelabels(prelabels)
    return written, failed


def _prelabel_each(sections: Sequence[RealSection], work: Path, workdir: str | None, force: bool,
                   chromium: str | None, prelabels: dict[str, dict], failed: list[str]) -> int:
    written = 0
    for section, versions, rendering, error in rendered_sections(sections, chromium):
        if rendering is None:
            failed.append(f"{section.id}: {error}")
            continue
        record, shot, _ = section_input(section, versions, rendering)
        label = (model_prelabel(record, shot, workdir) if workdir else rule_prelabel(record_tree(record)))
        folder = work / section.id
        write_new_section(folder, record, shot, label, force=True)  # the work folder is scratch
        if force or not outline_path(section).exists():
            shutil.copyfile(folder / OUTLINE_FILE, outline_path(section))
            prelabels[section.id] = {"prelabel": label.source, "actions": list(label.actions)}
            written += 1
        else:  # keep the person's outline; show it in the work folder
            shutil.copyfile(outline_path(section), folder / OUTLINE_FILE)
    return written


def check(sections: Sequence[RealSection], work: Path = WORK_DIR, chromium: str | None = None
          ) -> tuple[list[JsonObject], list[str]]:
    """Applies each section's outline in its work folder (rendering it first if needed), drawing overlay.png.
    Returns (annotated records, failures as `id: reason`)."""
    missing = [s for s in sections if not (work / s.id / EXAMPLE_FILE).is_file()]
    if missing:
        prelabel(missing, work, chromium=chromium)
    done, failed = [], []
    for section in sections:
        folder = work / section.id
        if not outline_path(section).is_file():
            failed.append(f"{section.id}: no outline at {outline_path(section)}")
            continue
        shutil.copyfile(outline_path(section), folder / OUTLINE_FILE)
        try:
            done.append(apply_outline(folder, force=True))
        except (OutlineError, AnnotateError, LayoutError) as error:
            failed.append(f"{section.id}: {error}")
    return done, failed


def corpus_record(record: JsonObject, section: RealSection, prelabels: dict[str, dict]) -> JsonObject:
    """The annotated record as the corpus stores it (the pre-label actions counted, not stored)."""
    entry = prelabels.get(section.id)
    if entry is not None:
        record = with_prelabel(record, Prelabel(tuple(entry["actions"]), entry["prelabel"]))
    text = outline_path(section).read_text(encoding="utf-8")
    annotated = annotated_record(record, parse_outline(text, record_tree(record), source=str(outline_path(section))))
    annotation = JsonObject((k, v) for k, v in annotated[ANNOTATION_FIELD].items() if k != "prelabel_actions")
    return JsonObject((k, annotation if k == ANNOTATION_FIELD else v) for k, v in annotated.items())


def build(out: Path = CORPUS_DIR, sections: Sequence[RealSection] | None = None, chromium: str | None = None,
          progress: bool = True) -> tuple[dict[str, list[str]], list[str]]:
    """Renders, annotates and validates every section into the data set folder `out` (replacing it).
    Returns (ids per split, failures as `id: reason`); nothing is written when any section fails."""
    sections = load_sections() if sections is None else list(sections)
    check_split(sections)
    prelabels = read_prelabels()
    staged: list[tuple[RealSection, JsonObject, bytes]] = []
    failed: list[str] = []
    for section, versions, rendering, error in rendered_sections(sections, chromium, progress=progress):
        if rendering is None:
            failed.append(f"{section.id}: render: {error}")
            continue
        if not outline_path(section).is_file():
            failed.append(f"{section.id}: no outline at {outline_path(section)} (python -m data_tools.real prelabel)")
            continue
        record, shot, _ = section_input(section, versions, rendering)
        try:
            staged.append((section, corpus_record(record, section, prelabels), shot))
        except (OutlineError, LayoutError) as problem:
            failed.append(f"{section.id}: {problem}")
    if failed:
        return {}, failed
    building = out.with_name(out.name + ".building")  # `out` is replaced only by a corpus that checked clean
    if building.exists():
        shutil.rmtree(building)
    splits: dict[str, list[str]] = {split: [] for split in SPLITS}
    sources = JsonObject()
    for section, record, shot in staged:
        folder = building / section.split / section.id
        folder.mkdir(parents=True)
        (folder / record["screenshot"]["path"]).write_bytes(shot)
        try:
            check_written(folder, record)
        except OutlineError as problem:
            failed.append(f"{section.id}: {problem}")
        (folder / EXAMPLE_FILE).write_text(dump_json(record, indent=1) + "\n", encoding="utf-8")
        splits[section.split].append(section.id)
        sources.append(section.id, record["source"])
    if failed:
        shutil.rmtree(building)
        return {}, failed
    with open(building / "dataset_config.yaml", "w", encoding="utf-8") as f:
        yaml.safe_dump({"splits": splits}, f, sort_keys=False, default_flow_style=None, width=100)
    (building / "sources.json").write_text(dump_json(sources, indent=1) + "\n", encoding="utf-8")
    if out.exists():
        shutil.rmtree(out)
    building.rename(out)
    return splits, failed


def annotation_stats(root: Path = CORPUS_DIR) -> dict:
    """Per split: sections, packages, nodes, and how many pre-labels the annotation changed."""
    config = yaml.safe_load((root / "dataset_config.yaml").read_text())
    stats = {}
    for split, ids in config["splits"].items():
        records = [load_json((root / split / i / EXAMPLE_FILE).read_text()) for i in ids]
        changed = sum(r[ANNOTATION_FIELD].get("changed", 0) for r in records)
        nodes = sum(len(record_tree(r)) for r in records)
        counted = sum(r[ANNOTATION_FIELD].get("nodes", 0) for r in records)
        stats[split] = {"sections": len(records), "packages": len({r["source"]["package"] for r in records}),
                        "styles": sorted({r["source"]["style"] for r in records}), "nodes": nodes,
                        "prelabels_changed": changed, "prelabels_counted": counted,
                        "notes": sum(len(r[ANNOTATION_FIELD].get("notes", ())) for r in records)}
    return stats
