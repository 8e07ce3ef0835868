"""`--mode=sample`: layouts for every section of an input path, written one folder per section.

    python -m dlt_jax.main --config=configs/quickstart.py --workdir=/tmp/dlt_quickstart --mode=sample \\
        --input=/tmp/sections --output=/tmp/layouts [--boxes=given|generate]

Each `OUTPUT/<id>/` gets `layout.json` (structure + props, duplicate keys kept, the input's
output style), `prediction.json` (the same plus per-node actions, probabilities, boxes and
repair counts) and `overlay.png` (the predicted elements over the screenshot). A broken
input is reported with its field and skipped; the summary counts it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from tqdm import tqdm

from dlt_jax import viz
from dlt_jax.data.example import Example, ExampleError
from dlt_jax.data.inputs import read_inputs
from dlt_jax.inference import LayoutGenerator, LayoutPrediction
from dlt_jax.layout import dump_json

OVERLAY_WIDTH = 800


def safe_name(example_id: str) -> str:
    """An example id as one folder name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", example_id).strip("._") or "example"


def draw_prediction(example: Example, prediction: LayoutPrediction, vocab: Any) -> Image.Image:
    """The predicted elements (boxes and types) over the example's own screenshot."""
    image = np.asarray(example.load_screenshot())
    ids = np.asarray(vocab.action_ids(prediction.actions))
    return viz.draw_example(image, ids, prediction.box_targets, prediction.box_valid, vocab, width=OVERLAY_WIDTH)


def write_prediction(folder: Path, example: Example, prediction: LayoutPrediction, vocab: Any) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "layout.json").write_text(dump_json(prediction.layout, indent=2) + "\n", encoding="utf-8")
    (folder / "prediction.json").write_text(dump_json(prediction.to_json(), indent=2) + "\n", encoding="utf-8")
    draw_prediction(example, prediction, vocab).save(folder / "overlay.png")


def run_sample(generator: LayoutGenerator, input_path: str | Path, output: str | Path, boxes: str = "auto",
               seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """Predicts every input under `input_path` into `output`; returns (and writes) a summary."""
    output = Path(output)
    examples, errors = [], []
    for item in read_inputs(input_path):
        if isinstance(item, ExampleError):
            errors.append(item.as_dict())
            continue
        examples.append(item)
    with tqdm(total=len(examples), desc="sample", unit="section", disable=not progress) as bar:
        predictions = generator.predict_examples(examples, boxes=boxes, seed=seed, progress=bar, errors=errors)
    for example, prediction in zip(examples, predictions):
        if prediction is not None:
            write_prediction(output / safe_name(example.id), example, prediction, generator.vocab)
    predictions = [p for p in predictions if p is not None]
    summary = {"input": str(input_path), "output": str(output), "checkpoint_step": generator.step,
               "predicted": len(predictions), "skipped": len(errors), "errors": errors,
               "repaired": sum(1 for p in predictions if p.repairs), "boxes": boxes}
    output.mkdir(parents=True, exist_ok=True)
    (output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary
