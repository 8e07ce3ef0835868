"""The renderer: DOM reduction, box geometry, and real Chromium runs (skipped without a Chromium)."""

from __future__ import annotations

import os

import pytest

from data_tools import render
from data_tools.render import DomNode, find_chromium, node_key, reduce_dom, scale_boxes, stored_size
from dlt_jax.layout import dump_json, parse_html

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium found ($DLT_CHROMIUM, /usr/bin/chromium or chromium on PATH); "
           "install it with `apt-get install -y chromium` to run the renderer tests")

PAGE = """<!doctype html><html><head><title>t</title><style>body{margin:0}</style></head><body>
<section class="hero pt_7r" style="width:800px;height:300px;position:relative">
  <script>var x = 1;</script>
  <h1 class="title">Hello <span>big</span> world</h1>
  <svg class="icon" width="24" height="24" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10"/></svg>
  <a class="btn btn-primary" href="/go" title="Go there">Go</a>
  <img class="logo" src="logo.png" alt="Logo" style="width:64px;height:32px">
  <div class="fs_1.125r x@m"><input placeholder="Email" value="a@b.c"><meta content="x"></div>
  <div style="position:absolute;left:100px;top:200px;width:50px;height:40px"></div>
  <div style="display:none"><p>hidden</p></div>
</section></body></html>"""

EXPECTED_OBJECT = (
    '{"section.hero.pt_7r": {"h1.title": {"text": "Hello world", "span": {"text": "big"}}, '
    '"svg.icon": {"svg": "<circle cx=\\"12\\" cy=\\"12\\" r=\\"10\\"></circle>"}, '
    '"a.btn.btn-primary": {"text": "Go", "href": "/go", "title": "Go there"}, '
    '"img.logo": {"src": "logo.png", "alt": "Logo"}, '
    '"div@fs_1.125r@x_m": {"input": {"value": "a@b.c", "placeholder": "Email"}}, '
    '"div": "", "div": {"p": {"text": "hidden"}}}}')


# --- pure parts (no browser) ------------------------------------------------------------

def test_reduce_dom_keeps_preorder_content_and_duplicate_siblings():
    nodes = [DomNode("div", ["row"], -1, {}, [0, 0, 10, 10]),
             DomNode("li", ["item"], 0, {"text": "a"}, [0, 0, 1, 1]),
             DomNode("li", ["item"], 0, {"text": "b"}, [0, 0, 1, 1]),
             DomNode("img", [], 2, {"src": "x.png", "alt": "x"}, [0, 0, 1, 1]),
             DomNode("p", [], 0, {}, [0, 0, 1, 1])]
    reduced = reduce_dom(nodes)
    assert dump_json(reduced) == ('{"div.row": {"li.item": {"text": "a"}, "li.item": {"text": "b", '
                                  '"img": {"src": "x.png", "alt": "x"}}, "p": ""}}')
    assert [n.key.key for n in parse_html(reduced)] == ["div.row", "li.item", "li.item", "img", "p"]


def test_node_key_picks_a_spelling_that_can_write_the_classes():
    assert node_key("div", ["a", "uk-width-1-2@m"]) == "div.a.uk-width-1-2@m"
    assert node_key("div", ["fs_1.125r", "b"]) == "div@fs_1.125r@b"
    assert node_key("p", []) == "p"
    warnings: list[str] = []
    assert node_key("my-widget", ["x"], warnings) == "mywidget.x" and warnings


def test_boxes_scale_into_stored_pixels_and_clip_to_the_image():
    assert stored_size(1920, 960, 512) == (512, 256, 512 / 1920)
    assert stored_size(400, 300, 512) == (400, 300, 1.0)
    assert stored_size(1000, 4000, 0) == (1000, 4000, 1.0)
    boxes = scale_boxes([[0, 0, 1920, 960], [960, 480, 1920, 960], [-100, 0, 50, 10], [10, 10, 0, 5]],
                        0.25, 480, 240)
    assert boxes == [[0, 0, 480, 240], [240, 120, 240, 120], [0, 0, 0, 0], [0, 0, 0, 0]]


def test_missing_chromium_is_a_clear_error(monkeypatch, tmp_path):
    with pytest.raises(render.RenderError, match="no Chromium found"):
        render.Renderer(str(tmp_path / "nowhere" / "chromium"))


def fake_chrome(root, revision: int, folder: str = "chrome-linux"):
    chrome = root / f"chromium-{revision}" / folder / "chrome"
    chrome.parent.mkdir(parents=True)
    chrome.write_text("#!/bin/sh\n")
    chrome.chmod(0o755)
    return str(chrome)


@pytest.fixture
def no_system_chromium(monkeypatch, tmp_path):
    """No explicit, system or PATH Chromium, and an empty home: only Playwright's downloads remain."""
    monkeypatch.delenv(render.CHROMIUM_ENV, raising=False)
    monkeypatch.delenv("PLAYWRIGHT_BROWSERS_PATH", raising=False)
    monkeypatch.setattr(render, "CHROMIUM_CANDIDATES", ())
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_find_chromium_falls_back_to_the_newest_playwright_download(no_system_chromium):
    assert find_chromium() is None
    cache = no_system_chromium / "home" / ".cache" / "ms-playwright"
    fake_chrome(cache, 1140)
    newest = fake_chrome(cache, 1187, "chrome-linux64")
    (cache / "chromium_headless_shell-1187").mkdir()   # the headless shell is not a browser we launch
    assert find_chromium() == newest


def test_find_chromium_reads_playwright_browsers_path(no_system_chromium, monkeypatch):
    fake_chrome(no_system_chromium / "home" / ".cache" / "ms-playwright", 1187)
    chrome = fake_chrome(no_system_chromium / "browsers", 1200)
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(no_system_chromium / "browsers"))
    assert find_chromium() == chrome
    monkeypatch.setenv(render.CHROMIUM_ENV, str(no_system_chromium / "missing"))
    assert find_chromium() is None   # an explicit choice that does not exist is not replaced


# --- with a real Chromium -------------------------------------------------------------------

@needs_chromium
def test_local_page_reduces_by_the_dom_rules_and_boxes_follow_preorder(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    with render.Renderer(CHROMIUM, width=1000) as renderer:
        rendering = renderer.render_url(str(page), "section.hero")
    reduced = reduce_dom(rendering.nodes)
    assert dump_json(reduced) == EXPECTED_OBJECT
    assert (rendering.width, rendering.height) == (800, 300)
    tree = parse_html(reduced)
    assert len(rendering.boxes) == len(tree) == 11
    assert rendering.boxes[0] == [0.0, 0.0, 800.0, 300.0]
    assert rendering.boxes[8] == [100.0, 200.0, 50.0, 40.0]     # the absolute div, section-relative
    assert rendering.boxes[9] == rendering.boxes[10] == [0.0, 0.0, 0.0, 0.0]  # display:none: no box
    assert rendering.png[:8] == b"\x89PNG\r\n\x1a\n"


@needs_chromium
def test_a_failing_page_is_reported_and_skipped(capsys):
    good = "<html><body><div style='width:100px;height:50px'></div></body></html>"
    jobs = [("a", "html", good, 400), ("b", "html", good, 400, "nav.missing"), ("c", "html", good, 400)]
    with render.Renderer(CHROMIUM) as renderer:
        results = list(renderer.render_many(jobs, progress=False))
    assert [(name, rendering is not None) for name, rendering, _ in results] == [("a", True), ("b", False), ("c", True)]
    assert "matched no element" in results[1][2]
    assert "skipped b" in capsys.readouterr().err
    assert results[2][1].boxes == [[0.0, 0.0, 100.0, 50.0]]


@needs_chromium
def test_synthetic_set_renders_validates_clean_and_is_byte_identical(tmp_path):
    from data_tools.synth.dataset import write_dataset
    from data_tools.validate import validate
    first = write_dataset(str(tmp_path / "a"), 4, seed=9, chromium=CHROMIUM, progress=False)
    write_dataset(str(tmp_path / "b"), 4, seed=9, chromium=CHROMIUM, progress=False)
    assert first.count == 4 and first.skipped == []
    report = validate(tmp_path / "a", progress=False).as_json()
    assert report["errors"] == [] and report["representable_share"] == 1.0
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


@needs_chromium
def test_render_page_cli_writes_an_inference_input(tmp_path):
    from data_tools import render_page
    from dlt_jax.layout import load_json
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    status = render_page.main([str(page), str(tmp_path / "missing.html"), "--selector", "section", "--out",
                               str(tmp_path / "out"), "--width", "1000", "--chromium", CHROMIUM])
    assert status == 1  # one page failed, the other was written
    folders = os.listdir(tmp_path / "out")
    assert len(folders) == 1
    record = load_json((tmp_path / "out" / folders[0] / "example.json").read_text())
    assert dump_json(record["structure"]["data"]) == EXPECTED_OBJECT
    assert record["screenshot"]["width"] == 800 and len(record["html_boxes"]) == 11


@needs_chromium
def test_render_page_never_replaces_a_section_without_force(tmp_path, capsys):
    from data_tools import render_page
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    out = tmp_path / "out"
    def run(*extra):
        return render_page.main([str(page), "--out", str(out), "--chromium", CHROMIUM, *extra])
    assert run("--selector", "section") == 0
    assert run("--selector", "body > *") == 0  # another selector: its own ids, added beside
    assert len(os.listdir(out)) == 2
    marker = out / next(name for name in os.listdir(out) if name.endswith("-section-0")) / "example.json"
    marker.write_text(marker.read_text() + " ")
    assert run("--selector", "section") == 1 and "already there" in capsys.readouterr().err
    assert marker.read_text().endswith(" ")  # kept as it was
    assert run("--selector", "section", "--force") == 0 and not marker.read_text().endswith(" ")


@needs_chromium
def test_contact_sheet_draws_a_rendered_set(tmp_path):
    from PIL import Image
    from data_tools.preview import contact_sheet
    from data_tools.synth.dataset import write_dataset
    write_dataset(str(tmp_path / "set"), 3, seed=4, chromium=CHROMIUM, progress=False)
    assert contact_sheet(str(tmp_path / "set"), str(tmp_path / "sheet.png"), count=3, columns=3) == 3
    assert Image.open(tmp_path / "sheet.png").width == 3 * (512 + 6)
