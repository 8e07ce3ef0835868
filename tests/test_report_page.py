"""The report page: section views (keys, boxes, confidence, truth), safe embedding, and the page in real Chromium."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data_tools.render import LAUNCH_ARGS, find_chromium
from dlt_jax import viz
from dlt_jax.layout import DEFAULT_VOCAB, OutputStyle, load_json, parse_html
from dlt_jax.report_page import section_view, type_colour, write_report_page

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium found ($DLT_CHROMIUM, /usr/bin/chromium or chromium on PATH); "
           "install it with `apt-get install -y chromium` to run the report page's browser tests")

# 0 section.hero, 1 div.bg, 2 div.box, 3 h1.title, 4 p.sub, 5 a.btn, 6 span.icon
HERO = parse_html(load_json("""{"section.hero": {
  "div.bg": "",
  "div.box": {"h1.title": {"text": "Hi"}, "p.sub": {"text": "there"}},
  "a.btn": {"text": "Go", "span.icon": ""}}}"""))
HERO_ACTIONS = ["section", "PROP_BI", "heading", "MERGE_UP", "MERGE_LEFT", "button", "DROP"]
HERO_TRUTH = ["section", "PROP_BI", "paragraph", "MERGE_UP", "MERGE_LEFT", "button", "DROP"]
HERO_PROBABILITIES = [0.99, 0.9, 0.8, 0.6, 0.7, 0.3, 0.95]
HERO_BOXES = [[0, 0, 200, 100], [0, 0, 200, 100], [20, 10, 80, 20], [22, 12, 70, 10], [500, 500, 10, 10],
              [20, 50, 40, 16], [24, 52, 8, 8]]
HERO_VALID = [True, True, True, True, False, True, True]

# 0 section.cards, 1 div.grid, 2 div.col, 3 h3.t, 4 p.x</script>, 5 div.col, 6 h3.t
CARDS = parse_html(load_json("""{"section.cards": {"div.grid": {
  "div.col": {"h3.t": {"text": "A"}, "p.x</script>": {"text": "</script><b>x</b>"}},
  "div.col": {"h3.t": {"text": "B"}}}}}"""))
CARDS_ACTIONS = ["section", "grid", "column", "heading", "paragraph", "column", "heading"]
CARDS_BOXES = [[0, 0, 300, 150], [10, 10, 280, 130], [10, 10, 130, 130], [20, 20, 100, 20], [20, 50, 100, 40],
               [150, 10, 130, 130], [160, 20, 100, 20]]


def hero_view(**kwargs):
    return section_view("hero", HERO, HERO_ACTIONS, HERO_PROBABILITIES, HERO_BOXES, HERO_VALID,
                        screenshot="hero/screenshot.png", size=(200, 100), **kwargs)


def by_type(elements):
    return {e["type"]: e for e in elements}


def page_data(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text, re.S)
    return json.loads(match.group(1))


# --- section views ------------------------------------------------------------------------

def test_merged_nodes_give_one_element_with_the_at_key_union_box_and_lowest_confidence():
    view = hero_view()
    section, heading, button = view["elements"]
    assert (section["type"], section["members"], section["parent"], section["depth"]) == ("section", [0], None, 0)
    assert heading["key"] == "heading@div.box@h1.title@p.sub"
    assert heading["members"] == [2, 3, 4] and heading["parent"] == 0 and heading["depth"] == 1
    # p.sub's box is not valid, so the union is of div.box [20, 10, 80, 20] and h1.title [22, 12, 70, 10] only
    assert heading["box"] == [20.0, 10.0, 80.0, 20.0]
    assert heading["confidence"] == 0.6
    assert button["key"] == "button@a.btn" and button["box"] == [20.0, 50.0, 40.0, 16.0]
    assert button["confidence"] == 0.3  # the DROP span inside it is no member
    assert view["counts"] == {"section": 1, "heading": 1, "button": 1}
    assert view["nodes"] == 7 and view["truth"] is None and "mismatches" not in view


def test_element_colours_are_the_overlay_colours():
    heading = hero_view()["elements"][1]
    r, g, b = viz.action_colour(DEFAULT_VOCAB.action_id("heading"), DEFAULT_VOCAB)
    assert heading["colour"] == type_colour("heading") == f"#{r:02x}{g:02x}{b:02x}"


def test_props_are_listed_with_their_key_box_and_confidence():
    assert hero_view()["props"] == [{"name": "bi", "node": 1, "key": "div.bg", "box": [0.0, 0.0, 200.0, 100.0],
                                     "confidence": 0.9}]


def test_boxes_are_clipped_to_the_screenshot_and_elements_without_one_have_none():
    boxes = [list(b) for b in HERO_BOXES]
    boxes[2] = [150, -10, 100, 30]  # reaches out right and top
    boxes[3] = [250, 0, 10, 10]     # wholly outside
    boxes[5] = [20, 50, 0, 16]      # zero width
    view = section_view("hero", HERO, HERO_ACTIONS, HERO_PROBABILITIES, boxes, HERO_VALID,
                        screenshot="s.png", size=(200, 100))
    _, heading, button = view["elements"]
    assert heading["box"] == [150.0, 0.0, 50.0, 20.0]
    assert button["box"] is None


def test_dot_style_spells_keys_and_props_like_the_data():
    tree = parse_html(load_json('{"div-c_fff": {"h1-big": ""}}'))
    view = section_view("s", tree, ["section", "MERGE_UP"], [0.5, 0.5], [[0, 0, 1, 1]] * 2, [True, True],
                        screenshot="s.png", size=(1, 1), style=OutputStyle(".", "dot"))
    assert view["elements"][0]["key"] == "section.div.c_fff@h1.big" and view["style"] == "type.dot"


def test_a_wrong_type_is_a_mismatch_and_its_truth_element_missed():
    view = hero_view(truth_actions=HERO_TRUTH)
    predicted, truth = by_type(view["elements"]), by_type(view["truth"]["elements"])
    assert predicted["heading"]["mismatch"] and predicted["heading"]["match"] is None
    assert truth["paragraph"]["missed"] and truth["paragraph"]["key"] == "paragraph@div.box@h1.title@p.sub"
    assert not predicted["section"]["mismatch"] and predicted["button"]["match"] == truth["button"]["index"]
    assert not truth["button"]["missed"]
    assert truth["paragraph"]["box"] == predicted["heading"]["box"] and truth["paragraph"]["confidence"] is None
    assert view["mismatches"] == 1 and view["missed"] == 1
    assert view["props"][0]["mismatch"] is False and view["truth"]["props"][0]["missed"] is False


def test_a_different_member_set_is_a_mismatch_even_with_the_right_type():
    truth = ["section", "PROP_BI", "heading", "MERGE_UP", "paragraph", "button", "DROP"]  # p.sub apart
    view = hero_view(truth_actions=truth)
    assert [e["mismatch"] for e in view["elements"]] == [False, True, False]
    assert [(e["type"], e["missed"]) for e in view["truth"]["elements"]] == [
        ("section", False), ("heading", True), ("paragraph", True), ("button", False)]


def test_a_prop_on_another_node_is_a_mismatch():
    truth = ["section", "DROP", "heading", "MERGE_UP", "MERGE_LEFT", "button", "PROP_BI"]
    view = hero_view(truth_actions=truth)
    assert view["props"][0]["mismatch"] is True and view["truth"]["props"][0]["missed"] is True
    assert view["mismatches"] == 1 and view["missed"] == 1


def test_repaired_predictions_are_counted_and_still_shown():
    actions = ["MERGE_UP", "PROP_BI", "heading", "MERGE_UP", "MERGE_LEFT", "button", "DROP"]  # nothing above node 0
    view = section_view("s", HERO, actions, HERO_PROBABILITIES, HERO_BOXES, HERO_VALID, screenshot="s.png",
                        size=(200, 100))
    assert view["repairs"] == {"merge_up_without_target": 1}
    assert view["elements"][0]["type"] == "wrapper" and view["elements"][0]["key"] == "wrapper@section.hero"


def test_view_is_plain_json_with_rounded_numbers():
    view = section_view("s", HERO, HERO_ACTIONS, np.array(HERO_PROBABILITIES, np.float32) + np.float32(1e-6),
                        np.array(HERO_BOXES, np.float32) + np.float32(0.123456), np.array(HERO_VALID),
                        screenshot="s.png", size=(np.int64(200), np.int64(100)), files={"layout.json": "s/l.json"},
                        truth_actions=HERO_TRUTH)
    assert json.loads(json.dumps(view, allow_nan=False)) == view
    assert view["elements"][1]["confidence"] == 0.6 and view["elements"][1]["box"][0] == 20.1235
    assert view["size"] == [200, 100] and view["files"] == {"layout.json": "s/l.json"}


def test_lengths_that_disagree_with_the_tree_name_the_section_and_field():
    with pytest.raises(ValueError, match=r"section 'hero': probabilities has 2 entries for 7 html nodes"):
        section_view("hero", HERO, HERO_ACTIONS, [0.5, 0.5], HERO_BOXES, HERO_VALID, screenshot="s.png",
                     size=(200, 100))
    with pytest.raises(ValueError, match=r"section 'hero': truth_actions has 1 entries"):
        hero_view(truth_actions=["section"])


# --- the written page -----------------------------------------------------------------------

def test_script_closing_text_in_keys_notes_and_title_does_not_break_the_page(tmp_path):
    view = section_view("</script><script>alert(1)</script>", CARDS, CARDS_ACTIONS, [0.9] * 7, CARDS_BOXES,
                        [True] * 7, screenshot="s.png", size=(300, 150), note="a </script> note <!-- x")
    path = write_report_page(tmp_path, [view], title="</title><script>alert(2)</script>")
    text = path.read_text(encoding="utf-8")
    assert path == tmp_path / "index.html"
    assert text.count("</script>") == 2 and text.count("<script") == 2  # the data and the code, nothing else
    assert "<title>&lt;/title&gt;&lt;script&gt;alert(2)&lt;/script&gt;</title>" in text
    data = page_data(path)
    assert data["sections"][0]["id"] == "</script><script>alert(1)</script>"
    assert data["sections"][0]["note"] == "a </script> note <!-- x"
    assert data["sections"][0]["elements"][4]["key"] == "paragraph@p.x</script>"
    assert data["title"] == "</title><script>alert(2)</script>"


def test_low_confidence_threshold_flags_elements_and_leaves_the_views_alone(tmp_path):
    view = hero_view()
    data = page_data(write_report_page(tmp_path, [view], low_confidence=0.65, meta={"step": 1200, "path": tmp_path}))
    assert [e["low"] for e in data["sections"][0]["elements"]] == [False, True, True]
    assert data["sections"][0]["low"] == 2 and data["low_confidence"] == 0.65
    assert data["meta"] == {"step": 1200, "path": str(tmp_path)}
    assert "low" not in view["elements"][0]
    assert data["legend"] == {"section": type_colour("section"), "heading": type_colour("heading"),
                              "button": type_colour("button")}


def test_page_refers_to_nothing_outside_itself(tmp_path):
    text = write_report_page(tmp_path, [hero_view()]).read_text(encoding="utf-8")
    assert not re.search(r"https?:|//[a-z]", text.replace("file:", ""))
    assert "<link" not in text and "@import" not in text


def test_a_section_not_built_by_section_view_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="section 1: missing screenshot, size"):
        write_report_page(tmp_path, [hero_view(), {"id": "x", "elements": []}])


def test_non_finite_numbers_are_refused(tmp_path):
    view = hero_view()
    view["elements"][0]["confidence"] = float("nan")
    with pytest.raises(ValueError, match="finite JSON"):
        write_report_page(tmp_path, [view])


# --- in real Chromium -----------------------------------------------------------------------

@dataclasses.dataclass
class Report:
    path: Path
    views: list[dict]


@dataclasses.dataclass
class Opened:
    page: object
    errors: list[str]
    urls: list[str]

    def card(self, section_id: str):
        return self.page.locator(f'.card[data-section="{section_id}"]')


def screenshot(folder: Path, size: tuple[int, int], colour: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(folder / "screenshot.png")
    return f"{folder.name}/screenshot.png"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Report:
    root = tmp_path_factory.mktemp("report")
    files = {"layout.json": "hero/layout.json", "prediction.json": "hero/prediction.json"}
    views = [
        section_view("hero", HERO, HERO_ACTIONS, HERO_PROBABILITIES, HERO_BOXES, HERO_VALID,
                     screenshot=screenshot(root / "hero", (200, 100), "#dde"), size=(200, 100), files=files),
        section_view("cards", CARDS, CARDS_ACTIONS, [0.9, 0.8, 0.85, 0.95, 0.7, 0.88, 0.4], CARDS_BOXES, [True] * 7,
                     screenshot=screenshot(root / "cards", (300, 150), "#ede"), size=(300, 150),
                     note="a </script> note"),
        section_view("judged", HERO, HERO_ACTIONS, HERO_PROBABILITIES, HERO_BOXES, HERO_VALID,
                     screenshot=screenshot(root / "judged", (200, 100), "#eed"), size=(200, 100),
                     truth_actions=HERO_TRUTH),
    ]
    path = write_report_page(root, views, title="test layouts", meta={"weights": "none", "step": 3})
    return Report(path, views)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(LAUNCH_ARGS))
        yield browser
        browser.close()


@pytest.fixture
def opened(browser, report):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(5000)
    errors, urls = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: urls.append(request.url))
    page.goto(report.path.as_uri())
    yield Opened(page, errors, urls)
    page.close()


@needs_chromium
def test_every_section_card_box_and_tree_row_is_on_the_page(opened, report):
    assert opened.page.locator(".card").count() == len(report.views)
    for view in report.views:
        card = opened.card(view["id"])
        expected = {"pred": view["elements"], "truth": (view["truth"] or {}).get("elements", [])}
        for kind, elements in expected.items():
            assert card.locator(f'.box[data-kind="{kind}"]').count() == sum(e["box"] is not None for e in elements)
            assert card.locator(f'.row[data-kind="{kind}"]').count() == len(elements)
    assert opened.card("hero").locator(".files a").evaluate_all("links => links.map(a => a.textContent)") == [
        "layout.json", "prediction.json"]
    summary = opened.card("hero").locator(".summary").inner_text()
    assert "7 html nodes" in summary and "3 elements" in summary and "1 low-confidence" in summary


@needs_chromium
def test_hovering_a_box_shows_a_tooltip_with_type_key_and_confidence(opened):
    tip = opened.page.locator("#tip")
    assert tip.is_hidden()
    opened.card("hero").locator('.box[data-kind="pred"][data-element="1"]').hover()
    assert tip.is_visible()
    text = tip.inner_text()
    assert "heading" in text and "heading@div.box@h1.title@p.sub" in text and "0.600" in text


@needs_chromium
def test_the_section_box_does_not_hide_the_boxes_inside_it(opened):
    card = opened.card("cards")
    tip = opened.page.locator("#tip")
    card.locator('.box[data-element="0"]').hover(position={"x": 3, "y": 3})  # outside every inner box
    assert "section@section.cards" in tip.inner_text()
    card.locator('.box[data-element="3"]').hover()  # on top of the section, grid and column boxes
    assert "heading@h3.t" in tip.inner_text() and "0.950" in tip.inner_text()


@needs_chromium
def test_clicking_a_tree_row_lights_its_box_and_keeps_the_branch_open(opened):
    card = opened.card("cards")
    card.locator('.row[data-element="1"]').click()  # the grid: a <summary> with children
    assert "lit" in card.locator('.box[data-element="1"]').get_attribute("class").split()
    assert card.locator('details[data-branch="1"]').evaluate("d => d.open")
    card.locator('.row[data-element="4"]').click()
    assert "lit" in card.locator('.box[data-element="4"]').get_attribute("class").split()
    assert card.locator(".box.lit").count() == 1 and card.locator(".row.lit").count() == 1


@needs_chromium
def test_clicking_a_box_lights_its_row_and_opens_collapsed_ancestors(opened):
    card = opened.card("cards")
    card.locator("button.fold").click()
    assert not card.locator('.row[data-element="3"]').is_visible()
    card.locator('.box[data-element="3"]').click()
    row = card.locator('.row[data-element="3"]')
    assert "lit" in row.get_attribute("class").split() and row.is_visible()
    for branch in (0, 1, 2):
        assert card.locator(f'details[data-branch="{branch}"]').evaluate("d => d.open")
    assert not card.locator('details[data-branch="5"]').evaluate("d => d.open")  # the other column stays shut


@needs_chromium
def test_low_confidence_elements_are_flagged_in_box_and_tree(opened):
    card = opened.card("cards")
    row, box = card.locator('.row[data-element="6"]'), card.locator('.box[data-element="6"]')
    assert "low" in row.get_attribute("class").split() and "⚠" in row.inner_text()
    assert box.evaluate("b => getComputedStyle(b).borderTopStyle") == "dashed"
    confident = card.locator('.row[data-element="3"]')
    assert "low" not in confident.get_attribute("class").split() and "⚠" not in confident.inner_text()
    assert card.locator('.box[data-element="3"]').evaluate("b => getComputedStyle(b).borderTopStyle") == "solid"


@needs_chromium
def test_evaluated_section_shows_the_truth_tree_and_marks_mismatches(opened):
    card = opened.card("judged")
    assert card.locator('.tree[data-kind="truth"]').is_visible()
    wrong = card.locator('.row[data-kind="pred"][data-element="1"]')
    assert "mismatch" in wrong.get_attribute("class").split() and "✗" in wrong.inner_text()
    missed = card.locator('.row[data-kind="truth"][data-element="1"]')
    assert "missed" in missed.get_attribute("class").split() and "paragraph" in missed.inner_text()
    assert "✗" not in card.locator('.row[data-kind="pred"][data-element="2"]').inner_text()
    assert "1 wrong, 1 missed" in card.locator(".summary").inner_text()
    truth_box = card.locator('.box[data-kind="truth"][data-element="1"]')
    assert truth_box.is_hidden()
    card.locator("button.toggle-truth").click()
    assert truth_box.is_visible() and card.locator('.box[data-kind="pred"][data-element="1"]').is_hidden()
    assert opened.card("hero").locator("button.toggle-truth").count() == 0


@needs_chromium
def test_the_filter_hides_sections_whose_id_does_not_match(opened):
    opened.page.locator('.controls input[type="search"]').fill("car")
    assert opened.card("cards").is_visible()
    assert opened.card("hero").is_hidden() and opened.card("judged").is_hidden()


@needs_chromium
def test_page_loads_offline_without_console_errors_and_shows_script_text_as_text(opened):
    page = opened.page
    page.wait_for_function("() => { const i = document.querySelector('.card img'); "
                           "return i.complete && i.naturalWidth === 200; }")
    assert page.title() == "test layouts"
    assert "weights" in page.locator(".meta").inner_text() and page.locator(".legend li").count() == 6
    cards = opened.card("cards")
    assert "paragraph@p.x</script>" in cards.locator('.row[data-element="4"]').inner_text()
    assert "a </script> note" in cards.locator(".note").inner_text()
    cards.locator('.box[data-element="2"]').hover(position={"x": 3, "y": 3})
    cards.locator('.row[data-element="5"]').click()
    opened.card("judged").locator('.row[data-kind="truth"][data-element="1"]').click()
    assert opened.errors == []
    assert opened.urls and all(url.startswith("file://") for url in opened.urls), opened.urls
