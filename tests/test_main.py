"""The entry point: which flags each mode needs, and sample / eval on the shipped weights without a workdir."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from ml_collections import ConfigDict

from dlt_jax.data.dataset import DATA_DIR_ENV
from dlt_jax.data.readers import BUNDLED_DATA
from dlt_jax.inference import LayoutGenerator
from dlt_jax.main import evaluate_shipped, ignored_overrides


def run_main(*flags, timeout=600, env=None):
    return subprocess.run([sys.executable, "-m", "dlt_jax.main", *flags], capture_output=True, text=True,
                          timeout=timeout, env=None if env is None else {**os.environ, **env})


@pytest.mark.parametrize("flags, message", [
    (["--mode=train"], "--mode=train needs --config=configs/....py and --workdir=DIR"),
    (["--mode=data", "--config=configs/test.py"], "--mode=data needs --config"),
    (["--mode=sample", "--input=x", "--output=y", "--step=5"], "without one the shipped weights are used"),
    (["--mode=eval", "--workdir=/tmp/nowhere"], "needs the --config it was trained with"),
    (["--mode=eval", "--partial=p.json"], "--partial gives partial layouts to complete: it goes with --mode=sample"),
])
def test_missing_or_contradictory_flags_are_usage_errors(flags, message):
    result = run_main(*flags, timeout=120)
    assert result.returncode != 0 and message in result.stderr


def test_sample_without_config_or_workdir_uses_the_shipped_weights(tmp_path):
    result = run_main("--mode=sample", f"--input={BUNDLED_DATA}", f"--output={tmp_path / 'o'}")
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["predicted"] == 5 and summary["checkpoint_step"] == LayoutGenerator.pretrained().step
    assert (tmp_path / "o" / "index.html").is_file() and "report:" in result.stdout


def test_eval_without_a_workdir_scores_the_shipped_weights(tmp_path, capsys):
    evaluate_shipped(LayoutGenerator.pretrained(), str(BUNDLED_DATA), "train", str(tmp_path))
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["examples"] == 5 and "rule baseline" in report["systems"]
    assert (tmp_path / "index.html").is_file() and "node_action_accuracy" in capsys.readouterr().out


def copy_example(source, folder, example_id, edit=None):
    """A bundled example folder copied under `folder` as `example_id`, its example.json passed through `edit`."""
    shutil.copytree(BUNDLED_DATA / "train" / source, folder / example_id)
    record = json.loads((folder / example_id / "example.json").read_text())
    record["id"] = example_id
    (folder / example_id / "example.json").write_text(json.dumps(edit(record) if edit else record))


def test_overrides_the_weights_fix_are_named_and_the_others_are_not():
    trained = ConfigDict({"seed": 0, "data": {"max_slots": 32, "slot_buckets": [32], "path": "a"},
                          "model": {"d_model": 32}, "sample": {"steps": 10}})
    overrides = {"data.max_slots": 16, "data.slot_buckets": (32,), "data.path": "b", "sample.steps": 2,
                 "model.d_model": 64, "seed": 3}
    assert ignored_overrides(overrides, trained, applied={"seed"}) == [
        "warning: --config.data.max_slots=16 is not used: the weights were trained with data.max_slots=32, and that "
        "is what they use (only --config.sample.* and the run-time keys apply here)",
        "warning: --config.model.d_model=64 is not used: the weights were trained with model.d_model=32, and that "
        "is what they use (only --config.sample.* and the run-time keys apply here)"]


def test_sample_warns_of_overrides_it_cannot_apply_and_lists_broken_inputs(tiny_workdir, tmp_path):
    inputs = tmp_path / "inputs"
    shutil.copytree(BUNDLED_DATA / "train", inputs)
    copy_example("hero_basic", inputs, "broken-json")
    (inputs / "broken-json" / "example.json").write_text('{"id": "broken-json", ')
    copy_example("hero_basic", inputs, "bad-screenshot")
    (inputs / "bad-screenshot" / "screenshot.png").write_bytes(b"not a png")
    result = run_main("--mode=sample", f"--workdir={tiny_workdir}", "--config=configs/test.py",
                      "--config.data.max_slots=16", "--config.sample.steps=2", "--config.data.path=elsewhere",
                      f"--input={inputs}", f"--output={tmp_path / 'out'}")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [  # configs/test.py has 64 slots in 3 buckets, the tiny run 32 in one: the file is not warned of
        "warning: --config.data.max_slots=16 is not used: the weights were trained with data.max_slots=32, and that "
        "is what they use (only --config.sample.* and the run-time keys apply here)"]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["predicted"] == 5 and summary["skipped"] == 2
    errors = {e["id"]: e for e in summary["errors"]}
    assert errors["broken-json"]["field"] == "example.json"
    assert errors["broken-json"]["message"].startswith("broken JSON: Expecting property name enclosed in double quotes")
    assert errors["bad-screenshot"]["field"] == "screenshot"
    assert errors["bad-screenshot"]["message"].startswith(
        f"cannot decode image {inputs / 'bad-screenshot' / 'screenshot.png'}: cannot identify image file")
    assert "(2 inputs skipped" in result.stdout


def test_eval_of_a_workdir_stops_on_an_override_of_a_learned_setting(tiny_workdir, bundled_data, tmp_path):
    result = run_main("--mode=eval", f"--workdir={tiny_workdir}", "--config=configs/test.py",
                      f"--config.data.path={bundled_data.path}", "--config.data.eval_split=train",
                      "--config.data.max_slots=16", "--config.data.slot_buckets=(16,)")
    assert result.returncode != 0
    assert "config data.max_slots: checkpoint 32, now 16" in result.stderr
    assert "Resume with the settings it was trained with" in result.stderr


def test_eval_on_a_folder_lists_the_examples_it_cannot_score(tmp_path):
    data = tmp_path / "data"
    (data / "dev").mkdir(parents=True)
    copy_example("hero_basic", data / "dev", "scored")
    copy_example("hero_basic", data / "dev", "no-boxes", lambda r: {k: v for k, v in r.items() if k != "html_boxes"})
    copy_example("hero_basic", data / "dev", "no-layout", lambda r: {k: v for k, v in r.items() if k != "layout"})
    copy_example("hero_basic", data / "dev", "broken-json")
    (data / "dev" / "broken-json" / "example.json").write_text("{")
    copy_example("hero_basic", data / "dev", "bad-screenshot")
    (data / "dev" / "bad-screenshot" / "screenshot.png").write_bytes(b"not a png")
    ids = ["scored", "no-boxes", "no-layout", "broken-json", "bad-screenshot"]
    (data / "dataset_config.yaml").write_text("splits:\n  dev: [" + ", ".join(ids) + "]\n")
    result = run_main("--mode=eval", f"--input={data}", f"--output={tmp_path / 'eval'}",
                      env={DATA_DIR_ENV: str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "eval" / "report.json").read_text())
    assert report["examples"] == 1
    reasons = {s["id"]: s["reason"] for s in report["skipped"]}
    assert reasons["no-boxes"] == "no html_boxes (the boxes-given systems need them)"
    assert reasons["no-layout"] == "no layout"
    assert reasons["broken-json"].startswith("example.json: broken JSON: ")
    assert reasons["bad-screenshot"].startswith("screenshot: cannot decode image ")
    assert "not scored: 4 example(s)" in result.stdout
    assert "## Not scored\n\n4 example(s) could not be scored" in (tmp_path / "eval" / "report.md").read_text()


CAROUSEL_PARTIAL = {  # the bundled testimonials_carousel (960 x 614): section, carousel and first slide given
    "structure": {"section@section.testimonials.py_5r": {
        "carousel@div.swiper@div.swiper-wrapper": {"wrapper@div.swiper-slide": ""}}},
    "boxes": {"carousel@div.swiper@div.swiper-wrapper": {"box": [40, 100, 880, 400]},
              "wrapper@div.swiper-slide": {"location": [300, 300]}},
    "nodes": {"1": {"action": "heading", "size": [500, 60]}},
}


def test_sample_completes_a_partial_layout_file_with_what_it_gives_intact(tiny_workdir, tmp_path):
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(CAROUSEL_PARTIAL))
    out = tmp_path / "out"
    result = run_main("--mode=sample", f"--workdir={tiny_workdir}", f"--input={BUNDLED_DATA / 'train' / 'testimonials_carousel'}",
                      f"--output={out}", f"--partial={partial}")
    assert result.returncode == 0, result.stderr
    layout = json.loads((out / "testimonials_carousel" / "layout.json").read_text())
    section = layout["structure"]["section@section.testimonials.py_5r"]
    assert "heading@h2.title" in section
    assert "wrapper@div.swiper-slide" in section["carousel@div.swiper@div.swiper-wrapper"]
    nodes = json.loads((out / "testimonials_carousel" / "prediction.json").read_text())["nodes"]
    assert [n["action"] for n in nodes[:5]] == ["section", "heading", "carousel", "MERGE_UP", "wrapper"]
    assert nodes[2]["box"] == [40, 100, 880, 400] and nodes[1]["box"][2:] == [500, 60]
    x, y, w, h = nodes[4]["box"]
    assert abs(x + w / 2 - 300) <= 0.1 and abs(y + h / 2 - 300) <= 0.1  # the centre, to the file's 0.1 px


@pytest.mark.parametrize("files, message", [
    ({"nowhere.json": CAROUSEL_PARTIAL},
     "dlt_jax.main: --partial: no input section 'nowhere'; the input has faq_accordion, features_at_spelling, "
     "hero_basic, testimonials_carousel, video_hero"),
    ({"testimonials_carousel.json": {"structure": {"title@h2.title": ""}}},
     "dlt_jax.main: --partial: testimonials_carousel: partial layout: structure: 'title@h2.title': unknown_type: "
     "'title' is not an element type"),
    ({"testimonials_carousel.json": {"structure": {"heading@h2.title": ""},
                                     "boxes": {"heading@h2.title": {"box": [0, 0, -10, 20]}}}},
     "dlt_jax.main: --partial: testimonials_carousel: partial layout: boxes: 'heading@h2.title': box: width and "
     "height must be positive, got w=-10, h=20"),
    ({"hero_basic.json": {"props": {}}}, "'hero_basic': expected a partial layout (an object with \"structure\")"),
])
def test_a_partial_layout_that_names_no_section_or_contradicts_its_html_stops_sampling(tiny_workdir, tmp_path,
                                                                                      files, message):
    folder = tmp_path / "partials"
    folder.mkdir()
    for name, partial in files.items():
        (folder / name).write_text(json.dumps(partial))
    result = run_main("--mode=sample", f"--workdir={tiny_workdir}", f"--input={BUNDLED_DATA / 'train'}",
                      f"--output={tmp_path / 'out'}", f"--partial={folder}", timeout=300)
    assert result.returncode != 0 and message in result.stderr, result.stderr
    assert not (tmp_path / "out" / "summary.json").exists()
