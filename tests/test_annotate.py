"""data_tools.annotate: the outline round trip (outline -> example -> outline), bad-edit messages, the CLI."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from data_tools.annotate import __main__ as cli
from data_tools.annotate.outline import OutlineError, parse_outline, write_outline
from data_tools.annotate.section import (ANNOTATION_FIELD, OUTLINE_FILE, AnnotateError, Prelabel, apply_outline,
                                         outline_of_record, read_record, record_actions, record_tree,
                                         write_new_section)
from data_tools.render import find_chromium
from dlt_jax.layout import JsonObject, load_json, parse_html

HTML = ('{"section.hero": {"div.container": {"h1.title": {"text": "Big title"}, "div.row": {'
        '"div.col": {"p": {"text": "one"}}, "div.col": {"p": {"text": "two"}}}, '
        '"a.btn": {"text": "Go", "href": "/go"}}, "div.bg": ""}}')
# preorder: 0 section.hero, 1 div.container, 2 h1.title, 3 div.row, 4 div.col, 5 p, 6 div.col, 7 p, 8 a.btn, 9 div.bg
ACTIONS = ("section", "MERGE_UP", "heading", "grid", "column", "paragraph", "column", "paragraph", "button",
           "PROP_BI")
BOXES = [[0, 0, 400, 200], [10, 10, 380, 180], [20, 20, 200, 30], [20, 60, 360, 60], [20, 60, 180, 60],
         [25, 65, 100, 20], [200, 60, 180, 60], [205, 65, 100, 20], [20, 150, 60, 24], [0, 0, 400, 200]]


def tree():
    return parse_html(load_json(HTML))


def record(ident: str = "hero-1") -> JsonObject:
    return JsonObject([
        ("id", ident),
        ("screenshot", JsonObject([("path", "screenshot.png"), ("width", 400), ("height", 200)])),
        ("structure", JsonObject([("type", "HTMLObject"), ("data", load_json(HTML))])),
        ("html_boxes", BOXES),
        ("source", JsonObject([("package", "demo"), ("version", "1.0.0"), ("page", "index.html"),
                               ("selector", "section.hero")])),
    ])


def png(width: int = 400, height: int = 200) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (240, 240, 240)).save(buffer, format="PNG")
    return buffer.getvalue()


def edit(text: str, node: int, action: str) -> str:
    """The outline with node `node`'s action replaced."""
    pattern = re.compile(rf"^(\s*{node}\s+)\S+", re.MULTILINE)
    edited, count = pattern.subn(lambda m: m.group(1) + action, text, count=1)
    assert count == 1
    return edited


def line_number(text: str, node: int) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if re.match(rf"^\s*{node}\s", line))


# --- the outline itself ------------------------------------------------------------------

def test_outline_round_trips_actions_and_notes():
    text = write_outline(tree(), ACTIONS, BOXES, {"id": "hero-1"}, notes=["the bg div paints the picture"])
    parsed = parse_outline(text, tree())
    assert parsed.actions == ACTIONS
    assert parsed.notes == ("the bg div paints the picture",)
    assert parsed.fields["id"] == "hero-1"
    assert write_outline(tree(), parsed.actions, BOXES, parsed.fields, parsed.notes) == text


def test_outline_shows_box_and_text_for_each_node():
    text = write_outline(tree(), ACTIONS, BOXES)
    assert re.search(r'^\s*2\s+heading\s+h1\.title\s+\[20 20 200 30\]\s+"Big title"$', text, re.MULTILINE)
    assert re.search(r'^\s*8\s+button\s+a\.btn\s+\[20 150 60 24\]\s+"Go" href="go"$', text, re.MULTILINE)


def test_short_and_lower_case_actions_are_read_as_the_canonical_ones():
    text = edit(edit(edit(write_outline(tree(), ACTIONS), 1, "up"), 9, "bi"), 2, "Heading")
    assert parse_outline(text, tree()).actions == ACTIONS


@pytest.mark.parametrize("node, action, reason", [
    (2, "headng", "unknown action 'headng' (did you mean heading?)"),
    (0, "wrapper", "the root node must be the section, not wrapper"),
    (4, "wrapper", None),  # a legal edit: no problem
    (2, "section", "a second section"),
    (6, "MERGE_LEFT", None),
    (3, "wrapper", "a column must sit directly in a grid, this one is in wrapper"),
    (9, "PROP_BI", None),
])
def test_bad_edits_name_the_line_and_the_reason(node, action, reason):
    text = edit(write_outline(tree(), ACTIONS), node, action)
    if reason is None:
        parse_outline(text, tree())
        return
    with pytest.raises(OutlineError) as error:
        parse_outline(text, tree(), source="demo/outline.txt")
    target = node if node != 3 else 4  # changing the grid makes its column (node 4) wrong
    assert any(p.startswith(f"line {line_number(text, target)}:") and reason in p for p in error.value.problems), \
        error.value.problems
    assert "demo/outline.txt" in str(error.value)


def test_a_merge_with_nothing_to_merge_into_is_reported():
    text = edit(edit(write_outline(tree(), ACTIONS), 3, "DROP"), 4, "MERGE_UP")
    with pytest.raises(OutlineError) as error:
        parse_outline(text, tree())
    assert any(f"line {line_number(text, 4)}:" in p and "MERGE_UP into node 3" in p and "belongs to no element" in p
               for p in error.value.problems)
    text = edit(write_outline(tree(), ACTIONS), 2, "MERGE_LEFT")
    with pytest.raises(OutlineError, match="MERGE_LEFT with nothing to merge into"):
        parse_outline(text, tree())


def test_a_second_prop_of_one_kind_is_reported():
    text = edit(write_outline(tree(), ACTIONS), 8, "PROP_BI")
    with pytest.raises(OutlineError, match=r"a second PROP_BI \(the first is node 8"):
        parse_outline(edit(text, 9, "PROP_BI"), tree())


def test_removed_reordered_or_renamed_lines_are_reported():
    text = write_outline(tree(), ACTIONS)
    lines = text.splitlines()
    removed = "\n".join(l for l in lines if not re.match(r"^\s*7\s", l))
    with pytest.raises(OutlineError, match=r"no line for node\(s\) 7 of 10"):
        parse_outline(removed, tree())
    renamed = text.replace("h1.title", "h2.title")
    with pytest.raises(OutlineError, match=r"node 2 is 'h1.title' in the html, the line says 'h2.title'"):
        parse_outline(renamed, tree())
    with pytest.raises(OutlineError, match="node 12 does not exist"):
        parse_outline(text + "  12  DROP  div.x\n", tree())


# --- a section folder ----------------------------------------------------------------------

def new_folder(tmp_path: Path, force: bool = False) -> Path:
    folder = tmp_path / "hero-1"
    prelabel = Prelabel(("section", "MERGE_UP", "heading", "grid", "column", "paragraph", "column", "paragraph",
                         "paragraph", "DROP"), "rules")
    write_new_section(folder, record(), png(), prelabel, force)
    return folder


def test_outline_to_example_to_outline_round_trips(tmp_path):
    folder = new_folder(tmp_path)
    assert (folder / "nodes.png").read_bytes()[:4] == b"\x89PNG" and (folder / "prelabel.png").is_file()
    outline = (folder / OUTLINE_FILE).read_text()
    outline = edit(edit(outline, 8, "button"), 9, "PROP_BI").replace(
        "# prelabel: rules", "# prelabel: rules\n# note: the bg div is the background picture")
    (folder / OUTLINE_FILE).write_text(outline)
    annotated = apply_outline(folder)
    assert record_actions(annotated) == ACTIONS
    assert annotated[ANNOTATION_FIELD]["changed"] == 2 and annotated[ANNOTATION_FIELD]["nodes"] == 10
    assert annotated[ANNOTATION_FIELD]["notes"] == ["the bg div is the background picture"]
    assert list(annotated["layout"]["props"].items()) == [("bi", "div.bg")]
    assert (folder / "overlay.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = outline_of_record(read_record(folder))
    assert parse_outline(again, record_tree(annotated)).actions == ACTIONS
    assert "# note: the bg div is the background picture" in again


def test_an_annotated_section_is_not_overwritten_without_force(tmp_path):
    folder = new_folder(tmp_path)
    apply_outline(folder)
    with pytest.raises(AnnotateError, match="already holds an annotation.*--force"):
        new_folder(tmp_path)
    (folder / OUTLINE_FILE).write_text(edit((folder / OUTLINE_FILE).read_text(), 8, "button"))
    with pytest.raises(AnnotateError, match="already holds another annotation.*--force"):
        apply_outline(folder)
    assert record_actions(apply_outline(folder, force=True))[8] == "button"
    assert new_folder(tmp_path, force=True).is_dir()


def test_cli_apply_reports_bad_lines_and_exits_1(tmp_path, capsys):
    folder = new_folder(tmp_path)
    (folder / OUTLINE_FILE).write_text(edit((folder / OUTLINE_FILE).read_text(), 5, "paragrph"))
    assert cli.main(["apply", str(folder)]) == 1
    err = capsys.readouterr().err
    assert f"line {line_number((folder / OUTLINE_FILE).read_text(), 5)}: unknown action 'paragrph'" in err
    assert "layout" not in read_record(folder)
    (folder / OUTLINE_FILE).write_text(edit((folder / OUTLINE_FILE).read_text(), 5, "paragraph"))
    assert cli.main(["apply", str(folder)]) == 0
    assert "annotated (0 of 10 pre-labels changed)" in capsys.readouterr().out


def test_default_ids_differ_by_selector():
    assert cli.default_id("pages/shop/index.html", "section#a") != cli.default_id("pages/shop/index.html", "section#b")
    assert cli.default_id("/x/y/shop/index.html", "footer") == "shop-index-footer"


def hero_page(tmp_path, content: str):
    """A page whose one `section.hero` holds `content`."""
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><html><body style='margin:0'><section class='hero' style='width:600px'>"
                    f"{content}</section></body></html>")
    return page


def annotate_hero(page, tmp_path, *options):
    """`annotate new` on the page's hero section into tmp_path/out/hero; its exit status."""
    return cli.main(["new", str(page), "--selector", "section.hero", "--out", str(tmp_path / "out"),
                     "--id", "hero", *options])


@pytest.mark.skipif(find_chromium() is None, reason="no Chromium found; `apt-get install -y chromium`")
def test_cli_new_renders_and_prelabels_a_page(tmp_path, capsys):
    page = hero_page(tmp_path, "<h1>Hello</h1><p>Some text here.</p><a class='btn' href='/x'>Go</a>")
    assert annotate_hero(page, tmp_path) == 0
    folder = tmp_path / "out" / "hero"
    assert (folder / "screenshot.jpg").read_bytes()[:2] == b"\xff\xd8"  # JPEG, as the file name says
    text = (folder / OUTLINE_FILE).read_text()
    assert parse_outline(text, record_tree(read_record(folder))).actions == (
        "section", "heading", "paragraph", "button")
    assert cli.main(["apply", str(folder)]) == 0
    assert annotate_hero(page, tmp_path) == 1
    assert "--force" in capsys.readouterr().err


@pytest.mark.skipif(find_chromium() is None, reason="no Chromium found; `apt-get install -y chromium`")
def test_cli_new_prelabels_with_the_shipped_weights(tmp_path, capsys):
    page = hero_page(tmp_path, "<h1>Hello</h1><p>Some text here.</p>")
    assert annotate_hero(page, tmp_path, "--pretrained") == 0
    assert "pre-labelled by model shipped step" in capsys.readouterr().out
    actions = parse_outline((tmp_path / "out" / "hero" / OUTLINE_FILE).read_text(),
                            record_tree(read_record(tmp_path / "out" / "hero"))).actions
    assert len(actions) == 3 and actions[0] == "section"
