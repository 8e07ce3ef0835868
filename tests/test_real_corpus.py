"""data_tools.real: outlines applied to rendered sections, the built corpus folder, and the shipped corpus."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from data_tools.annotate.outline import parse_outline
from data_tools.real import corpus
from data_tools.real.sources import HELD_BACK, RealSection, load_sections
from data_tools.render import find_chromium
from dlt_jax.data.checks import check_example
from dlt_jax.data.readers import REAL_DATA, read_folder

needs_chromium = pytest.mark.skipif(find_chromium() is None, reason="no Chromium found; `apt-get install -y chromium`")

PAGE = ("<!doctype html><html><body style='margin:0'>"
        "<section class='hero' style='width:640px;padding:20px'><div class='container'>"
        "<h1>Title</h1><div class='lead' style='font-size:32px;font-weight:700'>Big words</div>"
        "<p>Body text.</p><a class='btn' href='/x' style='background:#06c;color:#fff;padding:8px'>Go</a>"
        "</div></section><footer class='f'><p>one</p><p>two</p></footer></body></html>")
SECTIONS = [RealSection("demo-hero", "demo-pkg", "index.html", "section.hero", "grid_framework", "train"),
            RealSection("demo-footer", "other-pkg", "index.html", "footer.f", "semantic", "dev")]


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """Two tiny 'packages' served like node_modules, with the corpus's folders moved under tmp_path."""
    modules = tmp_path / "node_modules"
    for package in ("demo-pkg", "other-pkg"):
        (modules / package).mkdir(parents=True)
        (modules / package / "index.html").write_text(PAGE)
    monkeypatch.setattr(corpus, "NODE_MODULES", modules)
    monkeypatch.setattr(corpus, "OUTLINES", tmp_path / "outlines")
    monkeypatch.setattr(corpus, "PRELABELS_FILE", tmp_path / "prelabels.json")
    monkeypatch.setattr(corpus, "check_ready", lambda sections, node_modules: {"demo-pkg": "1.0.0",
                                                                                "other-pkg": "2.0.0"})
    return tmp_path


def set_action(path: Path, node: int, action: str) -> None:
    text = re.sub(rf"^(\s*{node}\s+)\S+", lambda m: m.group(1) + action, path.read_text(), count=1,
                  flags=re.MULTILINE)
    path.write_text(text)


@needs_chromium
def test_prelabel_check_and_build_make_a_valid_corpus_by_package(workspace):
    written, failed = corpus.prelabel(SECTIONS, workspace / "work")
    assert (written, failed) == (2, [])
    hero = workspace / "outlines" / "demo-hero.txt"
    # rules: section, container MERGE_UP, h1 heading, div.lead paragraph, p paragraph, a.btn button
    set_action(hero, 3, "heading")  # the big bold div is drawn as a title
    hero.write_text(hero.read_text() + "# note: a large bold div is a heading\n")
    done, failed = corpus.check(SECTIONS, workspace / "work")
    assert failed == [] and [r["id"] for r in done] == ["demo-hero", "demo-footer"]
    assert (workspace / "work" / "demo-hero" / "overlay.png").is_file()

    out = workspace / "real"
    splits, failed = corpus.build(out, SECTIONS, progress=False)
    assert failed == [] and splits == {"train": ["demo-hero"], "dev": ["demo-footer"]}
    assert yaml.safe_load((out / "dataset_config.yaml").read_text()) == {"splits": splits}
    sources = json.loads((out / "sources.json").read_text())
    assert sources["demo-hero"] == {"package": "demo-pkg", "version": "1.0.0", "page": "index.html",
                                    "selector": "section.hero", "style": "grid_framework"}
    record = json.loads((out / "train" / "demo-hero" / "example.json").read_text())
    assert record["annotation"] == {"prelabel": "rules", "changed": 1, "nodes": 6,
                                    "notes": ["a large bold div is a heading"]}
    assert (out / "train" / "demo-hero" / "screenshot.jpg").read_bytes()[:2] == b"\xff\xd8"
    examples = list(read_folder(out))
    assert all(not check_example(e).errors for e in examples)
    first = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    corpus.build(out, SECTIONS, progress=False)
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == first  # the same bytes again


@needs_chromium
def test_a_bad_outline_fails_the_build_and_writes_nothing(workspace):
    corpus.prelabel(SECTIONS, workspace / "work")
    set_action(workspace / "outlines" / "demo-footer.txt", 1, "MERGE_LEFT")
    splits, failed = corpus.build(workspace / "real", SECTIONS, progress=False)
    assert splits == {} and not (workspace / "real").exists()
    assert len(failed) == 1 and failed[0].startswith("demo-footer:") and "MERGE_LEFT with nothing to merge into" in failed[0]


def test_prelabel_keeps_a_persons_outline(workspace, monkeypatch):
    outline = workspace / "outlines" / "demo-hero.txt"
    outline.parent.mkdir()
    outline.write_text("edited by hand\n")
    if find_chromium() is None:
        pytest.skip("no Chromium found")
    written, _ = corpus.prelabel(SECTIONS[:1], workspace / "work")
    assert written == 0 and outline.read_text() == "edited by hand\n"


# --- the shipped corpus -------------------------------------------------------------------

shipped = pytest.mark.skipif(not (REAL_DATA / "dataset_config.yaml").is_file(), reason="the real corpus is not built")


@shipped
def test_the_shipped_corpus_is_split_by_package_and_holds_no_held_back_package():
    sources = json.loads((REAL_DATA / "sources.json").read_text())
    splits = yaml.safe_load((REAL_DATA / "dataset_config.yaml").read_text())["splits"]
    package_splits = {}
    for split, ids in splits.items():
        for i in ids:
            package_splits.setdefault(sources[i]["package"], set()).add(split)
    assert not set(package_splits) & HELD_BACK
    assert all(len(found) == 1 for found in package_splits.values())
    dev_packages = {p for p, s in package_splits.items() if s == {"dev"}}
    assert len(splits["dev"]) >= 50 and len(dev_packages) >= 5
    assert sum(len(ids) for ids in splits.values()) >= 150 and len(package_splits) >= 15


@shipped
def test_the_shipped_corpus_matches_its_outlines_and_validates():
    by_id = {s.id: s for s in load_sections()}
    examples = list(read_folder(REAL_DATA))
    assert len(examples) == len(by_id)
    for example in examples:
        assert not check_example(example, max_slots=10_000).errors, example.id
        outline = (corpus.OUTLINES / f"{example.id}.txt").read_text()
        from dlt_jax.layout import encode_layout, parse_html
        tree = parse_html(example.html)
        assert parse_outline(outline, tree).actions == encode_layout(tree, example.layout).actions
    total = sum(p.stat().st_size for p in REAL_DATA.rglob("*.jpg"))
    assert total <= 40 * 2**20


@shipped
@needs_chromium
@pytest.mark.slow
@pytest.mark.skipif(not corpus.NODE_MODULES.is_dir(), reason="the pinned packages are not installed "
                    "(npm ci --prefix data_tools/real)")
def test_the_shipped_corpus_rebuilds_byte_for_byte_from_the_pinned_packages(tmp_path):
    splits, failed = corpus.build(tmp_path / "real", progress=False)
    assert failed == []
    shipped_files = {p.relative_to(REAL_DATA): p.read_bytes() for p in REAL_DATA.rglob("*") if p.is_file()}
    rebuilt = {p.relative_to(tmp_path / "real"): p.read_bytes() for p in (tmp_path / "real").rglob("*") if p.is_file()}
    assert rebuilt.keys() == shipped_files.keys()
    assert [name for name in rebuilt if rebuilt[name] != shipped_files[name]] == []
