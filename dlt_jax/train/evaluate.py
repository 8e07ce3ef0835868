"""Scoring a model on a split: validation losses, masked-slot and one-pass action accuracy, overlays.

Used by the training loop's periodic validation and model selection, and by
`--mode=eval`, which scores a checkpoint's EMA weights (what inference uses).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jax
import numpy as np

from dlt_jax import viz
from dlt_jax.data.dataset import resolve_dataset
from dlt_jax.data.pipeline import Pipeline, element_spec, make_pipeline, tokenizer_with_tags
from dlt_jax.train import sharding
from dlt_jax.train.checkpoint import open_checkpoint
from dlt_jax.train.experiment import enable_compilation_cache, model_spec, run_metadata
from dlt_jax.train.step import Objective, eval_step

EVAL_LOG_KEYS = ("loss", "action_loss", "box_loss", "presence_loss", "action_accuracy", "boxes_given_accuracy")
EVAL_DIR = "eval"


def evaluate(params: Any, pipeline: Pipeline, step_fn: Any, data_sharding: Any, seed: int, max_batches: int,
             ) -> tuple[dict[str, float], dict[str, np.ndarray] | None, np.ndarray | None]:
    """Validation metrics (weighted by examples; the one-pass accuracy by slots), and the first
    batch with its predicted actions for the overlay picture."""
    totals: dict[str, float] = {}
    weights = {"examples": 0.0, "slots": 0.0}
    first_batch = first_prediction = None
    iterator = iter(pipeline)
    try:
        for index, local in enumerate(iterator):
            if max_batches and index >= max_batches:
                break
            batch = sharding.global_batch(local, data_sharding)
            metrics = jax.device_get(step_fn(params, batch, jax.random.fold_in(jax.random.PRNGKey(seed), index)))
            if first_batch is None:
                first_batch = {k: np.asarray(v) for k, v in local.items()}
                first_prediction = np.asarray(metrics["predicted_actions"])[:len(local["actions"])]
            examples, slots = float(metrics["examples"]), float(metrics["slots"])
            for key in EVAL_LOG_KEYS:
                if key in metrics:
                    weight = slots if key == "boxes_given_accuracy" else examples
                    totals[key] = totals.get(key, 0.0) + float(metrics[key]) * weight
            weights["examples"] += examples
            weights["slots"] += slots
    finally:
        close = getattr(iterator, "close", None)
        if close:
            close()
    means = {key: value / max(weights["slots" if key == "boxes_given_accuracy" else "examples"], 1.0)
             for key, value in totals.items()}
    means["examples"] = int(weights["examples"])
    return means, first_batch, first_prediction


def write_overlay(path: Path, batch: Mapping[str, np.ndarray], predicted: np.ndarray, vocab: Any,
                  count: int) -> None:
    """Truth (left) beside the one-pass prediction with boxes given (right), for `count` examples."""
    pictures = []
    for i in np.flatnonzero(batch["example_valid"])[:count]:
        image, valid = viz.batch_screenshot(batch, i), batch["box_valid"][i] & batch["slot_valid"][i]
        for actions in (batch["actions"][i], np.where(batch["slot_valid"][i], predicted[i], 0)):
            pictures.append(viz.draw_example(image, actions, batch["boxes"][i], valid, vocab,
                                             width=viz.BATCH_TILE_WIDTH))
    if pictures:
        path.parent.mkdir(parents=True, exist_ok=True)
        viz.titled(viz.draw_grid(pictures, columns=2),
                   ["truth", "predicted: one pass, every action masked, boxes given"]).save(path)


def checkpoint_pipeline(config: Any, split: str | None, metadata: Mapping[str, Any]) -> Pipeline:
    """Evaluation batches of `config.data.path` tokenized as the checkpoint was trained (its tag
    vocabulary), so any data set can be scored: the training one, or real sections beside it."""
    data = resolve_dataset(config.data.path, cache_dir=config.data.data_dir, image_size=config.data.build_image_size,
                           image_format=config.data.image_format)
    tokenizer = tokenizer_with_tags(config.data.tokenizer, metadata["tokenizer_tags"])
    spec = dataclasses.replace(element_spec(config.data, data), tokenizer=tokenizer)
    return make_pipeline(config.data, split, mode="eval", seed=config.seed, data=data, spec=spec)


def evaluate_checkpoint(config: Any, workdir: str | Path, split: str | None = None,
                        progress: bool = True, step: int | None = None, checkpoint: str = "latest",
                        ema: tuple[Any, Any] | None = None) -> dict[str, Any]:
    """Scores a checkpoint of `workdir` (the newest, or the best by train.select, or `step` of that
    kind) on `split` (default `data.eval_split`); writes `eval/<split>/metrics.json` and
    `eval/<split>/overlay.png` and returns the metrics. `ema`: that checkpoint's `(graphdef, EMA params)`
    when the caller has restored them already (`--mode=eval` restores once for both reports)."""
    workdir = Path(workdir)
    enable_compilation_cache()
    checkpointer, step = open_checkpoint(workdir, step, checkpoint, keep=int(config.train.keep))
    pipeline = checkpoint_pipeline(config, split, checkpointer.metadata(step))
    spec = model_spec(config, pipeline)
    checkpointer.check_compatible(step, run_metadata(config, pipeline, spec), data=False)
    mesh = sharding.make_mesh()
    sharding.check_batch_size(int(config.data.eval_batch_size), mesh, "data.eval_batch_size")
    if ema is None:
        graphdef, ema_params = checkpointer.restore_ema_params(step, spec, config, sharding.replicated(mesh))
    else:
        graphdef, ema_params = ema[0], jax.device_put(ema[1], sharding.replicated(mesh))
    checkpointer.close()
    objective = Objective.from_config(config, pipeline.vocab.mask_id, spec.type_action_ids)
    step_fn = jax.jit(functools.partial(eval_step, graphdef=graphdef, objective=objective),
                      out_shardings=sharding.replicated(mesh))
    values, batch, predicted = evaluate(ema_params, pipeline, step_fn, sharding.batch_sharding(mesh),
                                        config.seed + 1, 0)
    report = {"step": step, "split": pipeline.split, "checkpoint": str(checkpointer.directory / str(step)),
              **values}
    out = workdir / EVAL_DIR / pipeline.split
    if jax.process_index() == 0:
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
        if batch is not None:
            write_overlay(out / "overlay.png", batch, predicted, pipeline.vocab, int(config.train.overlay_examples))
    report["written"] = str(out)
    return report


def format_report(report: Mapping[str, Any]) -> str:
    lines = [f"{key:<24}{round(value, 4) if isinstance(value, float) else value}" for key, value in report.items()]
    return "\n".join(lines)
