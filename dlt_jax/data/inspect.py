"""One pass over the training data as the trainer will see it: counts, throughput, a picture.

What `python -m dlt_jax.main --mode=data` runs; it builds the data set on first use.
"""

from __future__ import annotations

import collections
import json
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dlt_jax import viz
from dlt_jax.data.pipeline import make_pipeline
from dlt_jax.data.transforms import STRATEGIES


def inspect_data(config: Any, workdir: str | Path, progress: bool = True) -> dict[str, Any]:
    """Iterates one epoch of the training split; writes `data_summary.json` and `data_batch.png`.

    Besides counts and examples/s: `patch_fill`, the mean share of an example's
    `max_patches` that hold screenshot; `slot_fill`, the share of padded slots
    that hold nodes; `batches_per_bucket`, how many batches ran at each slot bucket.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    data_config = config.data.copy_and_resolve_references()
    with data_config.unlocked():
        data_config.num_epochs = 1
    pipeline = make_pipeline(data_config, mode="train", seed=config.seed)
    strategies: collections.Counter = collections.Counter()
    buckets: collections.Counter = collections.Counter()
    slots = padded_slots = boxes = examples = patches = 0
    start = time.perf_counter()
    iterator = iter(pipeline)
    try:
        for index, batch in enumerate(tqdm(iterator, total=pipeline.batches_per_epoch, desc="one epoch",
                                           unit="batch", disable=not progress)):
            if index == 0:
                viz.draw_batch(batch, pipeline.vocab).save(workdir / "data_batch.png")
            examples += len(batch["actions"])
            slots += int(batch["slot_valid"].sum())
            padded_slots += batch["slot_valid"].size
            patches += int(batch["patch_valid"].sum())
            buckets[int(batch["actions"].shape[1])] += 1
            boxes += int((batch["box_valid"] & batch["slot_valid"]).sum())
            strategies.update(STRATEGIES[s] for s in batch["mask_strategy"])
            del batch
    finally:
        close = getattr(iterator, "close", None)
        if close:
            close()
    seconds = time.perf_counter() - start
    summary = {
        "data": str(pipeline.data.path),
        "split": pipeline.split,
        "examples_per_epoch": pipeline.num_records,
        "skipped_over_max_slots": pipeline.skipped_over_length,
        "batches": pipeline.batches_per_epoch,
        "examples_seen": examples,
        "slots_per_example": round(slots / max(examples, 1), 2),
        "slot_fill": round(slots / max(padded_slots, 1), 4),
        "batches_per_bucket": {str(b): buckets[b] for b in pipeline.slot_buckets},
        "box_share": round(boxes / max(slots, 1), 4),
        "task_mask_strategies": dict(strategies.most_common()),
        "seconds": round(seconds, 2),
        "examples_per_second": round(examples / max(seconds, 1e-9), 1),
        "max_patches": int(data_config.max_patches),
        "patch_size": int(data_config.patch_size),
        "patch_fill": round(patches / max(examples * int(data_config.max_patches), 1), 4),
        "max_slots": int(data_config.max_slots),
        "slot_buckets": list(pipeline.slot_buckets),
        "vocabulary_size": pipeline.vocab.size,
    }
    (workdir / "data_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def format_summary(summary: dict[str, Any], workdir: str | Path) -> str:
    lines = [f"{key:<26}{value}" for key, value in summary.items()]
    lines.append(f"wrote {Path(workdir) / 'data_summary.json'} and {Path(workdir) / 'data_batch.png'}")
    return "\n".join(lines)


__all__ = ["format_summary", "inspect_data"]
