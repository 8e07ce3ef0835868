"""The generated side: html objects of a data set folder / manifest, or of synthetic examples made on the fly."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from dlt_jax.data.example import ExampleError
from dlt_jax.data.readers import read_examples


def dataset_html(path: str | Path) -> tuple[list[Any], int]:
    """Html objects of every readable example of a data set (all splits), and how many were skipped."""
    objects, skipped = [], 0
    for record in read_examples(path):
        if isinstance(record, ExampleError):
            skipped += 1
            print(f"likeness: skipped {record}", file=sys.stderr)
        else:
            objects.append(record.html)
    return objects, skipped


def synth_html(count: int, seed: int) -> list[Any]:
    """Html objects of synthetic examples 0..count-1 of data set `seed` (no rendering needed)."""
    from data_tools.synth import generate_example  # noqa: PLC0415 - only when --synth is asked for
    return [generate_example(seed, index).html_object for index in range(count)]
