"""Readers: the folder layout, the JSONL manifest (with loopback downloads) and bare input."""

import functools
import http.server
import json
import threading
from pathlib import Path

import pytest

from dlt_jax.data import (DatasetError, Example, ExampleError, inference_example, read_examples,
                          read_folder, read_manifest)
from dlt_jax.data.readers import BUNDLED_DATA
from dlt_jax.layout import dump_json

MANIFEST = BUNDLED_DATA.parent / "manifest" / "manifest.jsonl"


def test_folder_reader_yields_examples_with_layout_split_and_boxes():
    examples = list(read_folder(BUNDLED_DATA))
    assert all(isinstance(e, Example) for e in examples)
    hero = next(e for e in examples if e.id == "hero_basic")
    assert hero.split == "train" and hero.category == "hero"
    assert list(hero.layout.keys()) == ["structure", "props"]
    assert dump_json(hero.layout["props"]) == '{"bi": "div.background_image", "bo": "div.background_overlay"}'
    assert len(hero.html_boxes) == 8
    assert hero.load_screenshot().size == hero.screenshot_size


def test_manifest_reader_resolves_relative_paths_and_keeps_duplicates():
    examples = list(read_manifest(MANIFEST))
    gallery = next(e for e in examples if e.id == "gallery_dot")
    assert gallery.screenshot == MANIFEST.parent / "gallery_dot.png"
    tiles = gallery.layout["structure"]["section.section.gallery"]["gallery.div.row.grid"]
    assert tiles.keys() == ["image.img.tile"] * 4
    assert gallery.used_elements == ["gallery", "heading", "image", "section"]


def test_manifest_bare_section_layout_is_read_as_structure(tmp_path):
    record = {"screenshot": "s.png", "html": {"section": ""}, "section_layout": {"section@section": ""}}
    (tmp_path / "m.jsonl").write_text(json.dumps(record) + "\n")
    (example,) = read_manifest(tmp_path / "m.jsonl")
    assert dump_json(example.layout) == '{"structure": {"section@section": ""}, "props": {}}'
    assert example.id == "m.jsonl:1"


def test_manifest_broken_line_is_yielded_as_error_and_reading_goes_on(tmp_path):
    good = {"id": "ok", "screenshot": "s.png", "html": {"section": ""}}
    (tmp_path / "m.jsonl").write_text('{"id": "x", "screenshot": \n' + json.dumps(good) + "\n")
    first, second = read_manifest(tmp_path / "m.jsonl")
    assert isinstance(first, ExampleError) and first.field == "line" and first.example_id == "m.jsonl:1"
    assert isinstance(second, Example) and second.id == "ok"


def test_folder_reader_reports_missing_example_file(tmp_path):
    (tmp_path / "dataset_config.yaml").write_text("splits:\n  train: [ghost]\n")
    (error,) = read_folder(tmp_path)
    assert (error.example_id, error.field) == ("ghost", "example.json")


@pytest.mark.parametrize("config", ["splits: [a, b]\n", "splits: {train: [a]\n", "other: 1\n"])
def test_broken_dataset_config_raises_dataset_error(tmp_path, config):
    (tmp_path / "dataset_config.yaml").write_text(config)
    with pytest.raises(DatasetError, match="dataset_config.yaml"):
        list(read_folder(tmp_path))


def test_read_examples_refuses_a_path_that_is_neither(tmp_path):
    with pytest.raises(DatasetError, match="expected a data set folder"):
        read_examples(tmp_path / "nothing.txt")


def test_inference_example_accepts_json_text_and_bytes_screenshot():
    png = (MANIFEST.parent / "cta_dash.png").read_bytes()
    example = inference_example(png, '{"section": {"h1": "x", "h1": "y"}}')
    assert example.layout is None
    assert example.html.keys() == ["section"] and example.html["section"].keys() == ["h1", "h1"]
    assert example.load_screenshot().mode == "RGB"


def test_corrupt_screenshot_names_example_and_field(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(ExampleError) as caught:
        inference_example(tmp_path / "bad.png", {"section": ""}, example_id="e1").load_screenshot()
    assert (caught.value.example_id, caught.value.field) == ("e1", "screenshot")


@pytest.fixture
def loopback_server(tmp_path):
    """An http server on 127.0.0.1 serving tmp_path/www, counting requests."""
    root = tmp_path / "www"
    root.mkdir()
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root, requests
    server.shutdown()
    server.server_close()


def test_url_screenshots_download_once_into_the_cache(tmp_path, loopback_server):
    url, root, requests = loopback_server
    (root / "shot.png").write_bytes((MANIFEST.parent / "cta_dash.png").read_bytes())
    records = [{"id": "a", "screenshot": f"{url}/shot.png", "html": {"section": ""}},
               {"id": "b", "screenshot": f"{url}/missing.png", "html": {"section": ""}}]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in records))
    cache = tmp_path / "cache"
    first, missing = read_manifest(manifest, cache_dir=cache)
    again, _ = read_manifest(manifest, cache_dir=cache)
    assert first.screenshot == again.screenshot and Path(first.screenshot).parent == cache
    assert first.load_screenshot().tobytes() == inference_example(root / "shot.png", {}).load_screenshot().tobytes()
    assert requests.count("/shot.png") == 1
    assert isinstance(missing, ExampleError) and missing.field == "screenshot"
    assert "404" in missing.message and "missing.png" in missing.message


def test_example_errors_survive_pickling_for_worker_processes():
    import pickle
    error = pickle.loads(pickle.dumps(ExampleError("e7", "html", "bad key")))
    assert (error.example_id, error.field, error.message, str(error)) == ("e7", "html", "bad key", "e7: html: bad key")
