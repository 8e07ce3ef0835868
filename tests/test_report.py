"""Evaluation reports: files written, one Markdown column per system, JSON that round-trips; the
examples a report reads."""

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from configs import test as test_config
from dlt_jax.data.dataset import resolve_dataset
from dlt_jax.data.example import DatasetError
from dlt_jax.data.readers import BUNDLED_DATA
from dlt_jax.evaluation.metrics import ExampleResult, score
from dlt_jax.evaluation.report import REPORT_JSON, REPORT_MD, system_slug, write_report
from dlt_jax.evaluation.run import split_examples
from dlt_jax.layout import load_json, parse_html

HTML = '{"section.s": {"h1": "Title", "p": "Text", "div.row": {"div.col": {"p": "A"}, "div.col": {"p": "B"}}}}'
TRUTH = ("section", "heading", "paragraph", "grid", "column", "paragraph", "column", "paragraph")


def sections() -> dict:
    tree = parse_html(load_json(HTML))
    boxes = np.tile([[0.0, 0.0, -0.5, -0.5]], (len(tree), 1))
    with_boxes = score([ExampleResult(tree, TRUTH, TRUTH, true_boxes=boxes, pred_boxes=boxes, category="hero",
                                      visual_cue_nodes=(1,))])
    wrong = ("section", "paragraph", "paragraph", "wrapper", "wrapper", "paragraph", "wrapper", "paragraph")
    without_boxes = score([ExampleResult(tree, TRUTH, wrong, category="hero", visual_cue_nodes=(1,))])
    return {"model, boxes given": with_boxes, "rule baseline": without_boxes}


def test_report_files_are_written(tmp_path):
    path = write_report(tmp_path / "eval", sections())
    assert path == tmp_path / "eval" / REPORT_MD
    for name in (REPORT_JSON, REPORT_MD, "confusion_model_boxes_given.png", "confusion_rule_baseline.png"):
        assert (tmp_path / "eval" / name).is_file(), name
    with Image.open(tmp_path / "eval" / "confusion_rule_baseline.png") as image:
        assert image.format == "PNG" and min(image.size) >= 300


def test_markdown_has_one_column_per_system(tmp_path):
    text = write_report(tmp_path, sections()).read_text()
    assert "| metric | model, boxes given | rule baseline |" in text
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert rows["node-action accuracy"] == "| node-action accuracy | 100.0 | 50.0 |"
    assert rows["box mIoU"] == "| box mIoU | 100.0 |  |"  # blank where a system has no boxes
    assert "### Element F1 by type" in text and "### category=hero" in text
    assert "![confusion matrix of rule baseline](confusion_rule_baseline.png)" in text
    for line in text.splitlines():
        if line.startswith("| metric |"):
            assert line.count("|") == 4  # metric + two systems


def test_report_json_round_trips(tmp_path):
    data = sections()
    write_report(tmp_path, data)
    assert json.loads((tmp_path / REPORT_JSON).read_text()) == data


def test_system_names_become_distinct_file_names(tmp_path):
    assert system_slug("model, boxes given") == "model_boxes_given"
    data = sections()
    write_report(tmp_path, {"a b": data["rule baseline"], "a-b": data["rule baseline"]})
    assert (tmp_path / "confusion_a_b.png").is_file() and (tmp_path / "confusion_a_b_2.png").is_file()


def _data_config(path, cache):
    config = test_config.get_config().data
    config.path, config.data_dir, config.build_image_size = str(path), str(cache), 32
    return config


def test_a_copied_data_set_found_in_the_cache_by_content_is_read_where_it_is_now(tmp_path):
    first, copy = tmp_path / "first" / "sections", tmp_path / "copy" / "sections"
    shutil.copytree(BUNDLED_DATA, first)
    built = resolve_dataset(first, cache_dir=tmp_path / "cache", image_size=32, workers=1, progress=False)
    assert len(split_examples(_data_config(first, tmp_path / "cache"), "train")) == 5
    shutil.copytree(first, copy)
    shutil.rmtree(first)
    examples = split_examples(_data_config(copy, tmp_path / "cache"), "train")
    assert resolve_dataset(copy, cache_dir=tmp_path / "cache", image_size=32, progress=False).path == built.path
    assert len(examples) == 5 and all(copy in e.screenshot.parents for e in examples)
    assert examples[0].load_screenshot().size[0] > 32  # the full-size source screenshot, not the stored canvas
    # The cache folder named itself falls back on the recorded source, and says so when that is gone.
    with pytest.raises(DatasetError, match=f"was built from {first}, which is not here; the report needs the "
                                           "source examples .*: give the data set folder or .jsonl manifest itself"):
        split_examples(_data_config(built.path, tmp_path / "cache"), "train")
    shutil.copytree(copy, first)
    assert len(split_examples(_data_config(built.path, tmp_path / "cache"), "train")) == 5


def test_broken_examples_of_the_split_are_returned_as_reasons(tmp_path):
    source = tmp_path / "sections"
    shutil.copytree(BUNDLED_DATA, source)
    broken = source / "train" / "hero_basic" / "example.json"
    broken.write_text("{not json")
    errors = []
    examples = split_examples(_data_config(source, tmp_path / "cache"), "train", errors=errors)
    assert len(examples) == 4 and errors == [{"id": "hero_basic", "reason": errors[0]["reason"]}]
    assert errors[0]["reason"].startswith("example.json: broken JSON: ")
