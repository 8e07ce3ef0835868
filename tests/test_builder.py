"""TFDS builder `section_layouts`: shards, stored features, skip reports, the cache, the CLI."""

import io
import json
import shutil

import numpy as np
import pytest
import yaml
from PIL import Image

from data_tools import build_dataset as build_cli
from dlt_jax.data import read_folder
from dlt_jax.data.builder import REPORT_FILE, build_dataset, source_fingerprint
from dlt_jax.data.dataset import BuiltDataset, find_built, resolve_dataset
from dlt_jax.data.example import DatasetError
from dlt_jax.data.readers import BUNDLED_DATA
from dlt_jax.data.transforms import LETTERBOX_FILL
from dlt_jax.layout import DEFAULT_VOCAB, OutputStyle, decode_layout, dump_json, load_json, parse_html

MANIFEST = BUNDLED_DATA.parent / "manifest" / "manifest.jsonl"


def _copy_with_broken_examples(root):
    """The bundled set plus one unresolvable layout and one missing screenshot."""
    shutil.copytree(BUNDLED_DATA, root)
    good = json.loads((root / "train" / "hero_basic" / "example.json").read_text())
    broken = dict(good, id="bad_layout")
    broken["layout"] = {"type": "SectionLayout", "data": {"structure": {"section@div.nowhere": ""}}}
    (root / "train" / "bad_layout").mkdir()
    (root / "train" / "bad_layout" / "example.json").write_text(json.dumps(broken))
    shutil.copy(root / "train" / "hero_basic" / "screenshot.png", root / "train" / "bad_layout")
    (root / "train" / "no_picture").mkdir()
    (root / "train" / "no_picture" / "example.json").write_text(json.dumps(dict(good, id="no_picture")))
    config = yaml.safe_load((root / "dataset_config.yaml").read_text())
    config["splits"]["train"] += ["bad_layout", "no_picture"]
    (root / "dataset_config.yaml").write_text(yaml.safe_dump(config))
    return root


def test_build_writes_array_record_shards_with_metadata(bundled_data):
    shards = sorted(p.name for p in bundled_data.path.glob("section_layouts-train.array_record-*"))
    assert shards == ["section_layouts-train.array_record-00000-of-00001"]
    assert bundled_data.splits == ("train",)
    assert bundled_data.metadata["image_size"] == 64
    in_config_order = [len(parse_html(e.html)) for e in read_folder(BUNDLED_DATA)]
    assert bundled_data.node_counts("train").tolist() == in_config_order == [8, 27, 16, 11, 15]
    assert bundled_data.vocab == DEFAULT_VOCAB
    assert bundled_data.tag_counts["div"] == 33


def test_records_keep_html_layout_and_actions_that_decode_back(bundled_data):
    examples = {e.id: e for e in read_folder(BUNDLED_DATA)}
    source = bundled_data.source("train")
    for index in range(len(source)):
        record = source[index]
        example = examples[record["id"].decode()]
        assert record["html"].decode() == dump_json(example.html)  # duplicate keys kept
        tree = parse_html(load_json(record["html"]))
        decoded = decode_layout(tree, DEFAULT_VOCAB.action_names(record["actions"]),
                                OutputStyle.from_name(record["output_style"].decode()))
        assert decoded.layout == load_json(record["layout"]) and not decoded.repairs
        assert record["original_size"].tolist() == list(example.screenshot_size)
        np.testing.assert_array_equal(record["html_boxes"], np.asarray(example.html_boxes, np.float32))


def test_stored_screenshot_is_letterboxed_to_the_canvas(bundled_data):
    record = bundled_data.source("train")[0]  # hero_basic, 960 x 572
    with Image.open(io.BytesIO(record["screenshot"])) as image:
        assert image.format == "JPEG" and image.size == (64, 64)
        top_band = np.asarray(image.convert("RGB"))[:4].reshape(-1, 3)
    np.testing.assert_allclose(top_band.mean(axis=0), LETTERBOX_FILL, atol=4)


def test_broken_examples_are_skipped_and_listed_with_reasons(tmp_path):
    source = _copy_with_broken_examples(tmp_path / "src")
    data = BuiltDataset.open(build_dataset(source, tmp_path / "out", image_size=32, workers=2, progress=False))
    assert len(data.node_counts("train")) == 5
    report = json.loads((data.path / REPORT_FILE).read_text())
    assert report["written"] == {"train": 5} and report["skipped"]["count"] == 2
    by_id = {e["id"]: e for e in report["skipped"]["errors"]}
    assert by_id["bad_layout"]["field"] == "layout['section@div.nowhere']"
    assert "unresolved_key" in by_id["bad_layout"]["message"]
    assert by_id["no_picture"]["field"] == "screenshot" and "file not found" in by_id["no_picture"]["message"]
    assert report["skipped"]["reasons"] == {"layout": 1, "screenshot": 1}


def test_worker_processes_write_the_same_records_as_one_process(tmp_path, bundled_data):
    data = BuiltDataset.open(build_dataset(BUNDLED_DATA, tmp_path, image_size=64, workers=2, progress=False))
    one, two = bundled_data.source("train"), data.source("train")
    for index in range(len(one)):
        assert {k: np.asarray(v).tolist() for k, v in one[index].items()} == \
               {k: np.asarray(v).tolist() for k, v in two[index].items()}


def test_no_valid_example_is_a_dataset_error(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "dataset_config.yaml").write_text("splits:\n  train: [ghost]\n")
    with pytest.raises(DatasetError, match="no example passed validation.*ghost: example.json"):
        build_dataset(tmp_path / "src", tmp_path / "out", image_size=32, workers=1, progress=False)


def test_manifest_source_builds_a_train_split(tmp_path):
    data = BuiltDataset.open(build_dataset(MANIFEST, tmp_path, image_size=32, workers=1, progress=False))
    assert data.splits == ("train",) and len(data.node_counts("train")) == 2
    ids = sorted(data.source("train")[i]["id"].decode() for i in range(2))
    assert ids == ["cta_dash", "gallery_dot"]
    assert data.metadata["tag_counts_split"] == "train"


def test_resolve_builds_a_source_once_into_a_cache_keyed_by_its_fingerprint(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(BUNDLED_DATA, source)
    first = resolve_dataset(source, cache_dir=tmp_path / "cache", image_size=32, workers=1, progress=False)
    assert first.path.parents[2].name == f"src-{source_fingerprint(source)[:16]}"
    stamp = (first.path / "dataset_info.json").stat().st_mtime_ns
    again = resolve_dataset(source, cache_dir=tmp_path / "cache", image_size=32, workers=1, progress=False)
    assert again.path == first.path and (again.path / "dataset_info.json").stat().st_mtime_ns == stamp
    (source / "train" / "hero_basic" / "example.json").write_text(
        (source / "train" / "hero_basic" / "example.json").read_text().replace("Hello World", "Hello"))
    changed = resolve_dataset(source, cache_dir=tmp_path / "cache", image_size=32, workers=1, progress=False)
    assert changed.path != first.path and changed.fingerprint != first.fingerprint


def test_resolve_reads_a_build_dataset_folder_and_names_missing_sizes(tmp_path, bundled_data):
    data_dir = bundled_data.path.parents[2]
    assert find_built(data_dir, image_size=64) == bundled_data.path
    assert resolve_dataset(data_dir, image_size=64).path == bundled_data.path
    with pytest.raises(DatasetError, match=r"no jpeg512 build \(it has \['jpeg64'\]\)"):
        resolve_dataset(data_dir, image_size=512)


def test_build_cli_prints_written_and_skipped(tmp_path, capsys):
    source = _copy_with_broken_examples(tmp_path / "src")
    assert build_cli.main([str(source), "--out", str(tmp_path / "out"), "--image-size", "32", "--workers", "1",
                           "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "written         train 5" in out and "skipped         2  (layout 1, screenshot 1)" in out
    assert "bad_layout: layout['section@div.nowhere']: unresolved_key" in out


def test_same_out_folder_reuses_a_build_of_the_same_data_and_refuses_other_data(tmp_path):
    first = build_dataset(MANIFEST, tmp_path, image_size=32, workers=1, progress=False)
    stamp = (first / "dataset_info.json").stat().st_mtime_ns
    assert build_dataset(MANIFEST, tmp_path, image_size=32, workers=1, progress=False) == first
    assert (first / "dataset_info.json").stat().st_mtime_ns == stamp
    with pytest.raises(DatasetError, match="holds a build of other data.*--overwrite"):
        build_dataset(BUNDLED_DATA, tmp_path, image_size=32, workers=1, progress=False)
    rebuilt = BuiltDataset.open(build_dataset(BUNDLED_DATA, tmp_path, image_size=32, workers=1, progress=False,
                                              overwrite=True))
    assert rebuilt.path == first and len(rebuilt.node_counts("train")) == 5
    assert not (tmp_path / ".downloads").exists()
