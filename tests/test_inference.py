"""From a checkpoint to layouts: predict, complete, sample, the sample CLI and the evaluation report."""

import dataclasses
import json
import shutil

import numpy as np
import pytest

from dlt_jax.data.example import ExampleError
from dlt_jax.data.readers import BUNDLED_DATA, read_examples
from dlt_jax.evaluation.run import evaluate_layouts, headline, scorable, strip_classes
from dlt_jax.inference import LayoutGenerator, node_paths
from dlt_jax.layout import decode_layout, dump_json, load_json, parse_html
from dlt_jax.predict import run_sample


@pytest.fixture(scope="module")
def generator(tiny_workdir):
    """The tiny config trained a few steps on the bundled examples, loaded back from its checkpoint."""
    return LayoutGenerator.from_checkpoint(tiny_workdir)


@pytest.fixture(scope="module")
def examples():
    return [e for e in read_examples(BUNDLED_DATA) if not isinstance(e, ExampleError)]


def test_predict_with_dom_boxes_keeps_them_and_returns_a_decodable_layout(generator, examples):
    example = examples[0]
    prediction = generator.predict(example.screenshot, example.html, html_boxes=example.html_boxes)
    tree = parse_html(example.html)
    assert len(prediction.actions) == len(tree) and prediction.actions[0] == "section"
    assert "PAD" not in prediction.actions and "MASK" not in prediction.actions
    np.testing.assert_allclose(np.asarray(prediction.boxes)[:, 2:], np.asarray(example.html_boxes)[:, 2:], atol=0.05)
    assert decode_layout(tree, prediction.actions).layout == prediction.layout
    document = json.loads(dump_json(prediction.to_json()))
    assert set(document) == {"structure", "props", "nodes", "repairs"}
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


def test_bad_partials_and_inputs_are_clear_errors(generator, examples):
    example = examples[1]
    with pytest.raises(ExampleError, match="unknown action 'headline'"):
        generator.complete(example.screenshot, example.html, {1: {"action": "headline"}})
    with pytest.raises(ExampleError, match="no html node at key path"):
        generator.complete(example.screenshot, example.html, {"nope/nothing": {"action": "DROP"}})
    big = {"section.x": {f"div.c{i}": "" for i in range(40)}}
    with pytest.raises(ExampleError, match="41 nodes, more than the 32 slots.*not truncated"):
        generator.predict(example.screenshot, big)
    with pytest.raises(ExampleError, match="screenshot"):
        generator.predict(b"not an image", example.html)


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
    assert report["skipped"] == []
    markdown = (tmp_path / "report.md").read_text()
    assert ("| metric | model, boxes given | model, boxes generated | model without screenshot, boxes given | "
            "model without screenshot, boxes generated | model without classes, boxes given | rule baseline |") \
        in markdown and "## Completion" in markdown
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
