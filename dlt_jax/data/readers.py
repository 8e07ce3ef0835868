"""Readers for the three input layouts of DATA_FORMAT §1.3, all yielding `Example`.

A broken record does not stop reading: it is yielded as an `ExampleError`
(example id, field, message) in its place, so callers count and report it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from dlt_jax.data.download import DEFAULT_CACHE, DownloadError, cached_download, is_url
from dlt_jax.data.example import DatasetError, Example, ExampleError
from dlt_jax.layout import JsonObject, load_json

DATASET_CONFIG = "dataset_config.yaml"
EXAMPLE_FILE = "example.json"
EMBEDDED_DATA = Path(__file__).parent / "embedded"
BUNDLED_DATA = Path(__file__).parent / "bundled" / "sections"
# Real template sections annotated by hand (data_tools.real), split by package: train and dev.
REAL_DATA = Path(__file__).parent / "real"
_KNOWN_FOLDER_FIELDS = {"id", "screenshot", "structure", "layout", "html_boxes", "category", "used_elements"}
_KNOWN_MANIFEST_FIELDS = {"id", "screenshot", "html", "section_layout", "html_boxes", "category",
                          "used_elements", "width", "height"}

Record = Example | ExampleError


def default_data_path() -> Path:
    """The embedded synthetic data set, or the small bundled one where it is absent."""
    return EMBEDDED_DATA if (EMBEDDED_DATA / DATASET_CONFIG).is_file() else BUNDLED_DATA


def read_examples(path: str | Path, cache_dir: Path = DEFAULT_CACHE) -> Iterator[Record]:
    """Any data set: a folder with dataset_config.yaml, or a .jsonl manifest."""
    path = Path(path)
    if path.is_dir():
        return read_folder(path)
    if path.suffix == ".jsonl" and path.is_file():
        return read_manifest(path, cache_dir)
    raise DatasetError(f"{path}: expected a data set folder with {DATASET_CONFIG} or a .jsonl manifest")


def read_splits(root: Path) -> dict[str, list[str]]:
    """`splits` of a folder data set's dataset_config.yaml: split name -> example ids."""
    config_path = Path(root) / DATASET_CONFIG
    if not config_path.is_file():
        raise DatasetError(f"{root}: no {DATASET_CONFIG} (expected `splits: {{train: [ids], ...}}`)")
    try:
        config = yaml.safe_load(config_path.read_text())
    except yaml.YAMLError as error:
        raise DatasetError(f"{config_path}: not valid YAML: {error}") from None
    splits = config.get("splits") if isinstance(config, dict) else None
    if not isinstance(splits, dict) or not all(isinstance(ids, list) for ids in splits.values()):
        raise DatasetError(f"{config_path}: expected `splits: {{train: [ids], val: [ids], test: [ids]}}`")
    return {str(name): [str(i) for i in ids] for name, ids in splits.items()}


def read_folder(root: str | Path, splits: tuple[str, ...] | None = None) -> Iterator[Record]:
    """The canonical layout: root/<split>/<id>/example.json + screenshot."""
    root = Path(root)
    for split, ids in read_splits(root).items():
        if splits is not None and split not in splits:
            continue
        for example_id in ids:
            folder = root / split / example_id
            try:
                yield folder_example(folder, example_id, split)
            except ExampleError as error:
                yield error


def folder_example(folder: Path, example_id: str, split: str) -> Example:
    path = folder / EXAMPLE_FILE
    if not path.is_file():
        raise ExampleError(example_id, EXAMPLE_FILE, f"file not found: {path}")
    record = _parse_json_object(example_id, EXAMPLE_FILE, path.read_text(encoding="utf-8"))
    return record_example(record, folder, example_id, split, str(path))


def record_example(record: Any, folder: Path, example_id: str, split: str | None, source: str) -> Example:
    """The Example of a parsed example.json object whose files (the screenshot) are in `folder`."""
    screenshot = record.get("screenshot")
    if not isinstance(screenshot, (JsonObject, Mapping)) or not isinstance(screenshot.get("path"), str):
        raise ExampleError(example_id, "screenshot", 'expected {"path": ..., "width": ..., "height": ...}')
    html = _typed_data(example_id, record, "structure", "HTMLObject")
    layout = None
    if record.get("layout") is not None:
        data = _typed_data(example_id, record, "layout", "SectionLayout")
        layout = _layout_object(example_id, "layout.data", data, record["layout"].get("props"))
    return Example(
        id=str(record.get("id", example_id)), html=html, layout=layout,
        screenshot=folder / screenshot["path"],
        screenshot_size=_declared_size(screenshot.get("width"), screenshot.get("height")),
        html_boxes=record.get("html_boxes"), category=record.get("category"),
        used_elements=record.get("used_elements"), split=split, source=source,
        extra={k: v for k, v in record.items() if k not in _KNOWN_FOLDER_FIELDS})


def _typed_data(example_id: str, record: Any, field: str, type_name: str) -> Any:
    value = record.get(field)
    if not isinstance(value, (JsonObject, Mapping)) or not isinstance(value.get("data"), (JsonObject, Mapping)):
        raise ExampleError(example_id, field, f'expected {{"type": "{type_name}", "data": {{...}}}}')
    if value.get("type", type_name) != type_name:
        raise ExampleError(example_id, f"{field}.type", f"expected {type_name!r}, got {value.get('type')!r}")
    return value["data"]


def _layout_object(example_id: str, field: str, data: Any, outer_props: Any = None) -> JsonObject:
    """`{"structure", "props"}` from the spellings the formats allow."""
    if not isinstance(data, (JsonObject, Mapping)):
        raise ExampleError(example_id, field, f"expected an object, got {type(data).__name__}")
    if "structure" not in data:
        if "props" in data:
            raise ExampleError(example_id, field, 'has "props" but no "structure"')
        return JsonObject([("structure", data), ("props", JsonObject())])  # a bare structure
    props = data.get("props", outer_props)
    if props is None:
        props = JsonObject()
    unexpected = [k for k in data.keys() if k not in ("structure", "props")]
    if unexpected:
        raise ExampleError(example_id, field, f"unexpected keys {unexpected} beside structure/props")
    return JsonObject([("structure", data["structure"]), ("props", props)])


def _declared_size(width: Any, height: Any) -> tuple[int, int] | None:
    if isinstance(width, int) and isinstance(height, int):
        return width, height
    return None


def _parse_json_object(example_id: str, field: str, text: str) -> Any:
    try:
        record = load_json(text)
    except json.JSONDecodeError as error:
        raise ExampleError(example_id, field, f"broken JSON: {error}") from None
    except RecursionError:
        raise ExampleError(example_id, field, "JSON nested too deeply to read") from None
    if not isinstance(record, JsonObject):
        raise ExampleError(example_id, field, f"expected a JSON object, got {type(record).__name__}")
    return record


def read_manifest(path: str | Path, cache_dir: Path = DEFAULT_CACHE) -> Iterator[Record]:
    """A JSONL manifest, one record a line; relative paths resolve against its folder."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: manifest not found")
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            fallback_id = f"{path.name}:{number}"
            try:
                yield _manifest_example(line, fallback_id, path.parent, cache_dir, f"{path}:{number}")
            except ExampleError as error:
                yield error


def _manifest_example(line: str, fallback_id: str, folder: Path, cache_dir: Path, source: str) -> Example:
    record = _parse_json_object(fallback_id, "line", line)
    example_id = str(record.get("id", fallback_id))
    screenshot = record.get("screenshot")
    if not isinstance(screenshot, str) or not screenshot:
        raise ExampleError(example_id, "screenshot", "expected a path or an http(s) URL")
    if is_url(screenshot):
        try:
            screenshot_path = cached_download(screenshot, cache_dir)
        except DownloadError as error:
            raise ExampleError(example_id, "screenshot", str(error)) from None
    else:
        screenshot_path = folder / screenshot
    html = record.get("html")
    if not isinstance(html, (JsonObject, Mapping)):
        raise ExampleError(example_id, "html", "expected the html object")
    layout = None
    if record.get("section_layout") is not None:
        layout = _layout_object(example_id, "section_layout", record["section_layout"])
    return Example(
        id=example_id, html=html, layout=layout, screenshot=screenshot_path,
        screenshot_size=_declared_size(record.get("width"), record.get("height")),
        html_boxes=record.get("html_boxes"), category=record.get("category"),
        used_elements=record.get("used_elements"), source=source,
        extra={k: v for k, v in record.items() if k not in _KNOWN_MANIFEST_FIELDS})


def inference_example(screenshot: str | Path | bytes, html: Any, example_id: str = "input",
                      html_boxes: list | None = None) -> Example:
    """Bare inference input: a screenshot and an html object (or its JSON text), no layout."""
    if isinstance(html, (str, bytes)):
        html = _parse_json_object(example_id, "html", html if isinstance(html, str) else html.decode())
    if not isinstance(html, (JsonObject, Mapping)):
        raise ExampleError(example_id, "html", "expected the html object")
    if isinstance(screenshot, str):
        screenshot = Path(screenshot)
    return Example(id=example_id, html=html, screenshot=screenshot, html_boxes=html_boxes,
                   source="inference input")
