"""One example as a stored record: validated, encoded, screenshot letterboxed to bytes.

This is what the TFDS builder writes per example, kept apart from the builder
so that worker processes import no TFDS. An example that fails validation
gives no record, only its errors (example id, field, message).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import numpy as np

from dlt_jax.data.checks import Checked, check_example_guarded
from dlt_jax.data.example import Example, ExampleError
from dlt_jax.data.transforms import encode_image, letterbox_image
from dlt_jax.layout import DEFAULT_VOCAB, Vocabulary, dump_json, parse_html


@dataclasses.dataclass(frozen=True)
class RecordOptions:
    """How records are made: the letterbox canvas (long side) and the image encoding."""

    image_size: int = 512
    image_format: str = "jpeg"
    jpeg_quality: int = 90
    max_slots: int = 128  # only for the over-length warning; the pipeline decides what it skips
    vocab: Vocabulary = DEFAULT_VOCAB


@dataclasses.dataclass(frozen=True)
class Processed:
    """The outcome of one example: a record, or the errors that skip it; warnings either way."""

    example_id: str
    split: str
    record: dict[str, Any] | None
    errors: tuple[dict[str, str], ...] = ()
    warnings: tuple[dict[str, str], ...] = ()
    tag_counts: Counter = dataclasses.field(default_factory=Counter)

    @property
    def node_count(self) -> int:
        return int(self.record["node_count"]) if self.record is not None else 0


def record_text(value: Any) -> str:
    """A text feature of a stored record as str (TFDS hands text back as bytes)."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def process_example(item: Example | ExampleError, options: RecordOptions, split: str = "train") -> Processed:
    """Validates one example and, when it passes, makes its record; never raises for bad data."""
    if isinstance(item, ExampleError):
        return Processed(item.example_id, split, None, errors=(item.as_dict(),))
    split = item.split or str(item.extra.get("split", split))
    try:
        checked = check_example_guarded(item, options.max_slots, options.vocab)
        if checked.errors or checked.encoded is None:
            return Processed(item.id, split, None, errors=tuple(e.as_dict() for e in checked.errors),
                             warnings=tuple(w.as_dict() for w in checked.warnings))
        record, tags = _make_record(item, checked, options)
    except Exception as error:  # noqa: BLE001 - one example must never stop a build
        problem = ExampleError(item.id, "(internal)", f"record failed: {type(error).__name__}: {error}")
        return Processed(item.id, split, None, errors=(problem.as_dict(),))
    return Processed(item.id, split, record, warnings=tuple(w.as_dict() for w in checked.warnings),
                     tag_counts=tags)


def _make_record(example: Example, checked: Checked, options: RecordOptions) -> tuple[dict[str, Any], Counter]:
    image = example.load_screenshot()
    canvas, _ = letterbox_image(image, options.image_size)
    tree = parse_html(example.html)
    boxes = np.zeros((0, 4), np.float32)
    if example.html_boxes is not None:
        boxes = np.asarray(example.html_boxes, dtype=np.float32).reshape(-1, 4)
    record = {
        "id": example.id,
        "category": str(example.category or ""),
        "screenshot": encode_image(canvas, options.image_format, options.jpeg_quality),
        "original_size": np.array(image.size, np.int32),
        "html": dump_json(example.html),
        "layout": dump_json(example.layout),
        "html_boxes": boxes,
        "has_boxes": example.html_boxes is not None,
        "actions": np.array(options.vocab.action_ids(checked.encoded.actions), np.int32),
        "output_style": checked.encoded.style.name,
        "node_count": np.int32(len(tree)),
    }
    return record, Counter(node.tag.lower() for node in tree.nodes)
