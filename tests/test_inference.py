"""From a checkpoint to layouts: predict, complete, sample, the sample CLI and the evaluation report."""

import dataclasses
import json
import shutil

import numpy as np
import pytest

from dlt_jax.data.checks import check_example
from dlt_jax.data.example import ExampleError
from dlt_jax.data.readers import BUNDLED_DATA, read_examples
from dlt_jax.evaluation.run import evaluate_layouts, headline, scorable, strip_classes
from dlt_jax.inference import LayoutGenerator, node_paths
from dlt_jax.layout import JsonObject, decode_layout, dump_json, load_json, parse_html
from dlt_jax.layout import encode_layout
from dlt_jax.layout.partial import GivenBox
from dlt_jax.predict import PredictError, read_partial_layouts, run_sample

# A partial layout of the bundled `testimonials_carousel` (960 x 614): the section, its carousel and
# the first slide given, with a whole box, a location (the centre) and a size.
CAROUSEL_PARTIAL = {
    "structure": {"section@section.testimonials.py_5r": {
        "carousel@div.swiper@div.swiper-wrapper": {"wrapper@div.swiper-slide": ""}}},
    "boxes": {"carousel@div.swiper@div.swiper-wrapper": {"box": [40, 100, 880, 400]},
              "wrapper@div.swiper-slide": {"location": [300.5, 301.25]}},
    "nodes": {"section.testimonials.py_5r/h2.title": {"size": [500, 60]}},
}


@pytest.fixture(scope="module")
def generator(tiny_workdir):
    """The tiny config trained a few steps on the bundled examples, loaded back from its checkpoint."""
    return LayoutGenerator.from_checkpoint(tiny_workdir)


@pytest.fixture(scope="module")
def examples():
    return [e for e in read_examples(BUNDLED_DATA) if not isinstance(e, ExampleError)]


def long_section(example, cards: int = 18):
    """`example` with its html replaced by a row of `cards` 4-node cards (2 + 4 * cards nodes) and DOM boxes
    for them inside its screenshot: at 18 cards, 74 nodes, over twice the tiny model's 32 slots."""
    card = lambda: JsonObject([("h3.title", "Title"), ("p.body", "Body text"), ("a.btn", JsonObject([("text", "Go")]))])
    html = JsonObject([("section.long", JsonObject([("div.row", JsonObject([("div.card", card()) for _ in range(cards)]))]))])
    width, height = example.load_screenshot().size
    row = height // cards  # the cards stacked down the screenshot
    boxes = [[0, 0, width, row * cards], [0, 0, width, row * cards]]
    for i in range(cards):
        top = row * i
        boxes += [[0, top, width, row], [0, top, width, row // 3], [0, top + row // 3, width, row // 3],
                  [0, top + 2 * (row // 3), width // 10, row // 3]]
    return dataclasses.replace(example, id="long", html=html, html_boxes=boxes, layout=None)


def test_predict_with_dom_boxes_keeps_them_and_returns_a_decodable_layout(generator, examples):
    example = examples[0]
    prediction = generator.predict(example.screenshot, example.html, html_boxes=example.html_boxes)
    tree = parse_html(example.html)
    assert len(prediction.actions) == len(tree) and prediction.actions[0] == "section"
    assert "PAD" not in prediction.actions and "MASK" not in prediction.actions
    np.testing.assert_allclose(np.asarray(prediction.boxes)[:, 2:], np.asarray(example.html_boxes)[:, 2:], atol=0.05)
    assert decode_layout(tree, prediction.actions).layout == prediction.layout
    document = json.loads(dump_json(prediction.to_json()))
    assert set(document) == {"structure", "props", "nodes", "repairs", "windows"} and document["windows"] == 1
    assert all(0 <= node["probability"] <= 1 for node in document["nodes"])


def test_the_same_seed_gives_the_same_layout(generator, examples):
    example = examples[1]
    first = generator.predict(example.screenshot, example.html, seed=3)
    again = generator.predict(example.screenshot, example.html, seed=3)
    assert first.actions == again.actions and np.array_equal(first.box_targets, again.box_targets)


def test_completion_never_changes_what_was_given(generator, examples):
    example = examples[1]
    tree = parse_html(example.html)
    paths = node_paths(tree)
    partial = {1: {"action": "heading"}, paths[2]: {"action": "DROP", "box": [1, 2, 30, 40]}}
    result = generator.complete(example.screenshot, example.html, partial)
    assert result.actions[1] == "heading" and result.actions[2] == "DROP"
    np.testing.assert_allclose(result.boxes[2], [1, 2, 30, 40], atol=0.05)


def test_bad_partials_and_inputs_are_clear_errors(generator, examples, monkeypatch):
    example = examples[1]
    with pytest.raises(ExampleError, match="unknown action 'headline'"):
        generator.complete(example.screenshot, example.html, {1: {"action": "headline"}})
    with pytest.raises(ExampleError, match="no html node at key path"):
        generator.complete(example.screenshot, example.html, {"nope/nothing": {"action": "DROP"}})
    big = {"section.x": {f"div.c{i}": "" for i in range(40)}}
    monkeypatch.setattr(generator, "windows", False)
    with pytest.raises(ExampleError, match="41 html nodes, more than the model's 32 slots; .*not truncated"):
        generator.predict(example.screenshot, big)
    with pytest.raises(ExampleError, match="screenshot"):
        generator.predict(b"not an image", example.html)


def test_a_section_twice_the_slots_is_predicted_in_windows_and_stitched(generator, examples):
    example = long_section(examples[0])
    tree = parse_html(example.html)
    assert len(tree) == 74 >= 2 * generator.spec.max_slots
    prediction = generator.predict_examples([example])[0]
    assert prediction.windows >= 3 and prediction.tree == tree
    assert len(prediction.actions) == len(prediction.probabilities) == len(prediction.boxes) == 74
    assert prediction.actions[0] == "section" and not {"PAD", "MASK"} & set(prediction.actions)
    decoded = decode_layout(tree, prediction.actions)
    assert decoded.layout == prediction.layout and dict(decoded.repairs) == prediction.repairs
    checked = check_example(dataclasses.replace(example, layout=prediction.layout), max_slots=len(tree))
    assert checked.errors == []  # the stitched layout is a valid layout of the whole section
    np.testing.assert_allclose(np.asarray(prediction.boxes), np.asarray(example.html_boxes), atol=0.05)
    assert json.loads(dump_json(prediction.to_json()))["windows"] == prediction.windows
    kept, skipped = scorable([dataclasses.replace(example, layout=prediction.layout)], 32, windows=True)
    assert len(kept) == 1 and skipped == []


def test_given_actions_and_boxes_in_a_long_section_stay_given(generator, examples):
    example = long_section(examples[0])
    # Node 1 (the row) is context of every window after the first; 70 is a card deep in a later window.
    fixed = {1: "grid", 2: "column", 40: "heading", 70: "column", 73: "DROP"}
    prediction = generator.predict_examples([example], given_actions=[fixed])[0]
    assert prediction.windows > 1 and {i: prediction.actions[i] for i in fixed} == fixed
    unboxed = dataclasses.replace(example, html_boxes=None)
    completed = generator.complete(unboxed.screenshot, unboxed.html,
                                   {1: {"action": "grid"}, 66: {"action": "column", "box": [10, 20, 300, 40]}})
    assert completed.windows > 1 and completed.actions[1] == "grid" and completed.actions[66] == "column"
    np.testing.assert_allclose(completed.boxes[66], [10, 20, 300, 40], atol=0.5)


def test_forcing_small_windows_splits_a_short_section_too(generator, examples, monkeypatch):
    example = examples[0]
    n = len(parse_html(example.html))
    monkeypatch.setattr(generator, "window_slots", n // 2 + 1)
    prediction = generator.predict_examples([example], boxes="given")[0]
    assert prediction.windows >= 2 and len(prediction.actions) == n and prediction.actions[0] == "section"


def test_with_windows_off_a_long_section_is_a_clear_error(generator, examples, monkeypatch):
    monkeypatch.setattr(generator, "windows", False)
    example = long_section(examples[0])
    with pytest.raises(ExampleError, match=r"74 html nodes, more than the model's 32 slots; .*sample\.windows=True"):
        generator.predict(example.screenshot, example.html)
    errors = []
    predictions = generator.predict_examples([example, examples[1]], errors=errors)
    assert predictions[0] is None and predictions[1].windows == 1
    assert [(e["id"], e["field"]) for e in errors] == [("long", "html")]


def by_id(examples, example_id):
    return next(e for e in examples if e.id == example_id)


def test_a_partial_layout_comes_back_with_its_elements_actions_and_coordinates(generator, examples):
    example = by_id(examples, "testimonials_carousel")
    result = generator.complete(example.screenshot, example.html, load_json(json.dumps(CAROUSEL_PARTIAL)))
    assert result.actions[:5] == ["section", result.actions[1], "carousel", "MERGE_UP", "wrapper"]
    assert result.actions[5] != "MERGE_UP" and result.actions[8] != "MERGE_LEFT"  # nothing joins a given element
    section = result.layout["structure"]["section@section.testimonials.py_5r"]
    assert "wrapper@div.swiper-slide" in section["carousel@div.swiper@div.swiper-wrapper"]
    assert result.boxes[2] == [40.0, 100.0, 880.0, 400.0]                        # the whole box, exactly
    x, y, w, h = result.boxes[4]
    assert x + w / 2 == pytest.approx(300.5, abs=1e-6) and y + h / 2 == pytest.approx(301.25, abs=1e-6)  # centre
    assert result.boxes[1][2:] == [500.0, 60.0]                                  # the size
    # In the model's space the given coordinates are the given values exactly.
    targets = np.float32(GivenBox((300.5, 301.25, 0, 0), (True, True, False, False)).targets(960, 614))
    np.testing.assert_array_equal(result.box_targets[4, :2], targets[:2])


def test_a_partial_layout_file_and_the_older_node_mapping_both_complete(generator, examples, tmp_path):
    example = by_id(examples, "testimonials_carousel")
    path = tmp_path / "partial.json"
    path.write_text(json.dumps({"structure": {"heading@h2.title": ""}, "props": {}}))
    assert generator.complete(example.screenshot, example.html, path).actions[1] == "heading"
    older = generator.complete(example.screenshot, example.html, {1: {"action": "paragraph", "box": [10, 20, 300, 40]}})
    assert older.actions[1] == "paragraph" and older.boxes[1] == [10.0, 20.0, 300.0, 40.0]


def test_given_box_coordinates_per_node_come_back_exactly(generator, examples):
    example = by_id(examples, "hero_basic")
    truth = list(encode_layout(parse_html(example.html), example.layout).actions)
    location = {node: ((100.0 + 10 * node, 50.0 + 5 * node, 0.0, 0.0), (True, True, False, False)) for node in range(4)}
    size = {node: ((0.0, 0.0, 200.0 + node, 30.0 + node), (False, False, True, True)) for node in range(4, 8)}
    result = generator.predict_examples([example], boxes="generate", given_actions=[dict(enumerate(truth))],
                                        given_boxes=[{**location, **size}])[0]
    assert result.actions == truth
    for node in range(4):
        x, y, w, h = result.boxes[node]
        assert x + w / 2 == pytest.approx(100.0 + 10 * node, abs=1e-6)
        assert y + h / 2 == pytest.approx(50.0 + 5 * node, abs=1e-6)
    assert [result.boxes[node][2:] for node in range(4, 8)] == [[200.0 + n, 30.0 + n] for n in range(4, 8)]
    with pytest.raises(ExampleError, match="hero_basic: given_boxes: node 0: the box reaches outside the 960x412"):
        generator.predict_examples([example], given_boxes=[{0: ((2000.0, 10.0, 0, 0), (True, True, False, False))}])


@pytest.mark.parametrize("partial, message", [
    ({"structure": {"heading@section.testimonials.py_5r": ""}},
     "input: partial layout: structure: 'heading@section.testimonials.py_5r': node 0 ('section.testimonials.py_5r') "
     "is the section's root, which may only be section"),
    ({"structure": {"heading@h2.title": "", "paragraph@h2.title": ""}},
     "input: partial layout: structure: 'paragraph@h2.title': node 1 ('h2.title') is also in the given element "
     "'heading@h2.title'"),
    ({"structure": {"title@h2.title": ""}}, "input: partial layout: structure: 'title@h2.title': unknown_type:"),
    ({"structure": {"heading@h3.title": ""}}, "input: partial layout: structure: 'heading@h3.title': unresolved_key:"),
    ({"structure": {"heading@h2.title": ""}, "boxes": {"heading@h2.title": {"box": [10, 10, -5, 20]}}},
     "input: partial layout: boxes: 'heading@h2.title': box: width and height must be positive"),
    ({"structure": {"heading@h2.title": ""}, "boxes": {"heading@h2.title": {"size": [40]}}},
     "input: partial layout: boxes: 'heading@h2.title': size: expected 2 numbers [w, h]"),
    ({"structure": {"heading@h2.title": ""}, "boxes": {"heading@h2.title": {"box": [900, 10, 100, 20]}}},
     "input: partial layout: boxes: 'heading@h2.title': the box reaches outside the 960x614 screenshot"),
    ({"structure": {}, "nodes": {"4": {"action": "MERGE_LEFT"}}},
     "input: partial layout: nodes: '4': MERGE_LEFT cannot hold at node 4 ('div.swiper-slide')"),
])
def test_each_contradiction_of_a_partial_layout_is_an_example_error(generator, examples, partial, message):
    example = by_id(examples, "testimonials_carousel")
    with pytest.raises(ExampleError) as error:
        generator.complete(example.screenshot, example.html, partial)
    assert str(error.value).startswith(message), str(error.value)


def test_sample_cli_completes_partial_layout_files_keyed_by_section(generator, tmp_path):
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"testimonials_carousel": CAROUSEL_PARTIAL,
                                   "hero_basic": {"structure": {"heading@h1.heading": ""}}}))
    summary = run_sample(generator, BUNDLED_DATA / "train", tmp_path / "out", progress=False,
                         partials=read_partial_layouts(partial))
    assert summary["predicted"] == 5
    folder = tmp_path / "out" / "testimonials_carousel"
    layout = load_json((folder / "layout.json").read_text())
    section = layout["structure"]["section@section.testimonials.py_5r"]
    assert "wrapper@div.swiper-slide" in section["carousel@div.swiper@div.swiper-wrapper"]
    nodes = json.loads((folder / "prediction.json").read_text())["nodes"]
    assert [n["action"] for n in nodes[2:5]] == ["carousel", "MERGE_UP", "wrapper"]
    assert nodes[2]["box"] == [40, 100, 880, 400] and nodes[1]["box"][2:] == [500, 60]
    hero = json.loads((tmp_path / "out" / "hero_basic" / "prediction.json").read_text())["nodes"]
    assert hero[3]["action"] == "heading"
    partial.write_text(json.dumps({"nowhere": CAROUSEL_PARTIAL}))
    with pytest.raises(PredictError, match="no input section 'nowhere'; the input has faq_accordion, "):
        run_sample(generator, BUNDLED_DATA / "train", tmp_path / "o2", progress=False,
                   partials=read_partial_layouts(partial))
    partial.write_text(json.dumps(CAROUSEL_PARTIAL))
    with pytest.raises(PredictError, match="one partial layout, but the input has 5 sections"):
        run_sample(generator, BUNDLED_DATA / "train", tmp_path / "o3", progress=False,
                   partials=read_partial_layouts(partial))


def test_sampling_without_conditions_gives_n_layouts(generator, examples):
    layouts = generator.sample(examples[0].html, 3, seed=1)
    assert len(layouts) == 3 and all(layout.actions[0] == "section" for layout in layouts)


def test_sample_cli_writes_a_folder_per_section_and_counts_broken_inputs(generator, tmp_path):
    inputs = tmp_path / "inputs"
    shutil.copytree(BUNDLED_DATA / "train", inputs)
    broken = inputs / "broken"
    broken.mkdir()
    (broken / "example.json").write_text("{not json")
    summary = run_sample(generator, inputs, tmp_path / "out", progress=False)
    assert summary["predicted"] == 5 and summary["skipped"] == 1 and summary["errors"][0]["id"] == "broken"
    folders = sorted(p for p in (tmp_path / "out").iterdir() if p.is_dir())
    assert len(folders) == 5
    for folder in folders:
        assert {p.name for p in folder.iterdir()} == {"layout.json", "prediction.json", "overlay.png",
                                                      "screenshot.png"}
    page = (tmp_path / "out" / "index.html").read_text()
    assert all(f'"{folder.name}/screenshot.png"' in page for folder in folders)  # the report page shows each


def test_evaluation_report_sets_the_model_beside_its_ablations_and_the_rule_baseline(generator, examples, tmp_path):
    report = evaluate_layouts(generator, examples, tmp_path, fractions=(0.0, 0.5))
    assert list(report["systems"]) == ["model, boxes given", "model, boxes generated",
                                       "model without screenshot, boxes given",
                                       "model without screenshot, boxes generated",
                                       "model without classes, boxes given", "rule baseline"]
    assert report["systems"]["rule baseline"]["examples"] == 5
    assert report["systems"]["model without classes, boxes given"]["examples"] == 5
    assert [row["fraction_given"] for row in report["completion"]] == [0.0, 0.5]
    assert [(row["mode"], row["given"]) for row in report["conditional_boxes"]] == [
        ("C -> S + P", "actions"), ("C + S -> P", "actions + size"), ("C + P -> S", "actions + location")]
    assert all(0.0 <= row["box_miou"] <= 1.0 and row["examples"] == 5 for row in report["conditional_boxes"])
    assert report["skipped"] == []
    markdown = (tmp_path / "report.md").read_text()
    assert ("| metric | model, boxes given | model, boxes generated | model without screenshot, boxes given | "
            "model without screenshot, boxes generated | model without classes, boxes given | rule baseline |") \
        in markdown and "## Completion" in markdown and "| C + S -> P | actions + size | location (the centre) |" \
        in markdown
    assert (tmp_path / "examples.png").is_file() and list(tmp_path.glob("confusion_*.png"))
    page = (tmp_path / "index.html").read_text()  # the report page: truth beside prediction
    assert '"truth":{"elements"' in page and len(list((tmp_path / "sections").glob("*.jpg"))) == 5


def test_stripping_classes_keeps_every_node_its_tag_and_content():
    html = load_json('{"section.hero.a": {"h1.t": {"text": "Hi", "span.x": ""}, "text": {"p": "x"}, '
                     '"li.i": "one", "li.i": "two", "href": "/x"}}')
    stripped = strip_classes(html)
    assert dump_json(stripped) == ('{"section": {"h1": {"text": "Hi", "span": ""}, "text": {"p": "x"}, '
                                   '"li": "one", "li": "two", "href": "/x"}}')
    assert [n.depth for n in parse_html(stripped).nodes] == [n.depth for n in parse_html(html).nodes]


def test_generated_boxes_stay_inside_the_screenshot(generator, examples):
    for prediction in generator.predict_examples(examples, boxes="generate"):
        assert np.all(np.abs(prediction.box_targets) <= 1.0)
        boxes = np.asarray(prediction.boxes)
        assert np.all(boxes[:, 2:] >= 0.0)  # no negative width or height in pixels


def test_evaluation_lists_the_examples_it_cannot_score(examples):
    unboxed = dataclasses.replace(examples[0], id="no-boxes", html_boxes=None)
    unlabelled = dataclasses.replace(examples[0], id="no-layout", layout=None)
    many = {f"p.item-{i}": "text" for i in range(40)}
    long = dataclasses.replace(examples[1], id="too-long", html=load_json(json.dumps({"section.long": many})),
                               html_boxes=[[0, 10 * i, 100, 10] for i in range(41)])
    kept, skipped = scorable([*examples[2:], unboxed, unlabelled, long], max_slots=32)
    assert [e.id for e in kept] == [e.id for e in examples[2:]]
    assert {s["id"]: s["reason"] for s in skipped} == {
        "no-boxes": "no html_boxes (the boxes-given systems need them)", "no-layout": "no layout",
        "too-long": "41 html nodes, more than the model's 32 slots"}
    report = {"systems": {}, "completion": [], "skipped": skipped}
    assert "not scored: 3 example(s): no-boxes (no html_boxes" in headline(report)
