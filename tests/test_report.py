"""Evaluation reports: files written, one Markdown column per system, JSON that round-trips."""

import json

import numpy as np
from PIL import Image

from dlt_jax.evaluation.metrics import ExampleResult, score
from dlt_jax.evaluation.report import REPORT_JSON, REPORT_MD, system_slug, write_report
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
