"""Inference inputs: find the examples of a path, and turn one into the record the pipeline reads.

A path is a data set folder (`dataset_config.yaml`), a JSONL manifest, one example folder
(`example.json` + screenshot, as `render_page` writes), or a folder of such example folders.
An input becomes a record exactly like a stored training record (screenshot letterboxed on
the same canvas, html text, boxes), so the model sees it through the same transforms.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from dlt_jax.data.example import DatasetError, Example, ExampleError
from dlt_jax.data.readers import DATASET_CONFIG, EXAMPLE_FILE, folder_example, read_examples
from dlt_jax.data.transforms import encode_image, letterbox_image
from dlt_jax.layout import HtmlError, dump_json, parse_html

Record = Example | ExampleError


def read_inputs(path: str | Path) -> Iterator[Record]:
    """Every example under `path` (see module doc), in a stable order; broken ones as ExampleError."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such input (expected a data set folder, a .jsonl manifest, an example "
                           f"folder with {EXAMPLE_FILE}, or a folder of example folders)")
    if path.is_file() or (path / DATASET_CONFIG).is_file():
        yield from read_examples(path)
    elif (path / EXAMPLE_FILE).is_file():
        yield _guarded(path, path.name)
    else:
        folders = sorted(p for p in path.iterdir() if (p / EXAMPLE_FILE).is_file())
        if not folders:
            raise DatasetError(f"{path}: no {DATASET_CONFIG}, no {EXAMPLE_FILE} and no example folders inside")
        for folder in folders:
            yield _guarded(folder, folder.name)


def _guarded(folder: Path, example_id: str) -> Record:
    try:
        return folder_example(folder, example_id, split="input")
    except ExampleError as error:
        return error


def input_record(example: Example, canvas_size: int, max_slots: int) -> dict[str, Any]:
    """An input as a stored-record dict (`parse_record` reads it); actions are PAD (unknown).

    Raises ExampleError naming the field for an unreadable image, a broken html object, boxes
    that do not match the nodes, or more nodes than `max_slots` (never truncated)."""
    try:
        tree = parse_html(example.html)
    except HtmlError as error:
        raise ExampleError(example.id, "html", str(error)) from None
    n = len(tree)
    if n == 0:
        raise ExampleError(example.id, "html", "no html node")
    if n > max_slots:
        raise ExampleError(example.id, "html", f"{n} nodes, more than the {max_slots} slots of the largest slot "
                           "bucket (data.max_slots); the section is not truncated: split it or use a model "
                           "trained with more slots")
    boxes = np.zeros((0, 4), np.float32)
    if example.html_boxes is not None:
        boxes = np.asarray(example.html_boxes, dtype=np.float32).reshape(-1, 4)
        if len(boxes) != n:
            raise ExampleError(example.id, "html_boxes", f"{len(boxes)} boxes for {n} html nodes")
    image = example.load_screenshot()
    canvas, _ = letterbox_image(image, canvas_size)
    return {
        "id": example.id, "screenshot": encode_image(canvas, "png"),
        "original_size": np.array(image.size, np.int32), "html": dump_json(example.html),
        "html_boxes": boxes, "has_boxes": example.html_boxes is not None,
        "actions": np.zeros(n, np.int32), "node_count": np.int32(n),
    }
