"""The training loop: data -> jitted train step -> logs, validation, checkpoints; resumes by itself.

`run(config, workdir)` is what `python -m dlt_jax.main --mode=train` calls. A
second run with the same workdir continues from the newest checkpoint (weights,
optimizer, EMA, RNG and the data position) and ends exactly where an
uninterrupted run would.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jax
from tqdm import tqdm

from dlt_jax.data.pipeline import make_pipeline
from dlt_jax.train import sharding
from dlt_jax.train.checkpoint import Checkpointer, abstract_like
from dlt_jax.train.evaluate import EVAL_DIR, evaluate, write_overlay
from dlt_jax.train.experiment import enable_compilation_cache, model_spec, run_metadata
from dlt_jax.train.metrics import MetricsWriter
from dlt_jax.train.state import TrainState, build_model, create_train_state, learning_rate_schedule, make_optimizer
from dlt_jax.train.step import Objective, eval_step, train_step

_log = logging.getLogger(__name__)
CONFIG_FILE = "config.json"
TRAIN_LOG_KEYS = ("loss", "action_loss", "box_loss", "presence_loss", "action_accuracy", "grad_norm")


class TrainingDiverged(RuntimeError):
    """A non-finite loss or gradient: the run stops, the last good checkpoint stays as it was."""


@dataclasses.dataclass
class Interval:
    """Train metrics accumulated since the last log line (saved with checkpoints, so resume is exact)."""

    sums: dict[str, float] = dataclasses.field(default_factory=dict)
    count: int = 0

    def add(self, metrics: Mapping[str, float]) -> None:
        for key in TRAIN_LOG_KEYS:
            if key in metrics:
                self.sums[key] = self.sums.get(key, 0.0) + float(metrics[key])
        self.count += 1

    def means(self) -> dict[str, float]:
        return {key: value / max(self.count, 1) for key, value in self.sums.items()}


def check_finite(pending: list[tuple[int, dict[str, Any]]], last_saved: int | None, checkpoints: Path) -> None:
    for step, metrics in pending:
        if not bool(metrics["finite"]):
            where = (f"the last good checkpoint is step {last_saved} in {checkpoints}" if last_saved is not None
                     else "no checkpoint was written")
            raise TrainingDiverged(
                f"step {step}: the loss is {float(metrics['loss'])} (gradient norm {float(metrics['grad_norm'])}); "
                f"training stopped, {where}. Lower train.learning_rate or check the data, then run again.")


def run(config: Any, workdir: str | Path, progress: bool = True) -> TrainState:
    """Trains `config` in `workdir` (resuming from its newest checkpoint) and returns the final state."""
    if config.train.distributed:
        jax.distributed.initialize()
    enable_compilation_cache()
    workdir = Path(workdir)
    is_writer = jax.process_index() == 0
    workdir.mkdir(parents=True, exist_ok=True)
    train = config.train

    pipeline = make_pipeline(config.data, mode="train", seed=config.seed)
    eval_pipeline = None
    if config.data.eval_split in pipeline.data.splits:
        eval_pipeline = make_pipeline(config.data, mode="eval", seed=config.seed, data=pipeline.data)
    else:
        _log.warning("%s has no %r split: no validation", pipeline.data.path, config.data.eval_split)
    spec = model_spec(config, pipeline)
    meta = run_metadata(config, pipeline, spec)
    if is_writer:
        (workdir / CONFIG_FILE).write_text(json.dumps(meta, indent=2) + "\n")

    mesh = sharding.make_mesh()
    sharding.check_batch_size(int(config.data.batch_size), mesh)
    data_sharding, replicated = sharding.batch_sharding(mesh), sharding.replicated(mesh)
    graphdef, params = build_model(spec, config.model, config.seed)
    tx = make_optimizer(train)
    schedule = learning_rate_schedule(train)
    state = jax.device_put(create_train_state(params, tx, config.seed), replicated)
    objective = Objective.from_config(config, pipeline.vocab.mask_id, spec.type_action_ids)
    step_fn = jax.jit(functools.partial(train_step, graphdef=graphdef, objective=objective, tx=tx,
                                        ema_decay=float(train.ema_decay)),
                      donate_argnums=0, out_shardings=(replicated, replicated))
    eval_fn = jax.jit(functools.partial(eval_step, graphdef=graphdef, objective=objective),
                      out_shardings=replicated)

    checkpointer = Checkpointer(workdir, int(train.keep))
    writer = MetricsWriter(workdir, enabled=is_writer)
    iterator = iter(pipeline)
    interval = Interval()
    start = checkpointer.latest_step()
    last_saved = start
    if start is not None:
        checkpointer.check_compatible(start, meta)
        state, saved_meta = checkpointer.restore(start, abstract_like(state), iterator)
        interval = Interval(**saved_meta.get("interval", {}))
        dropped = writer.truncate_after(start)
        _log.info("resumed from step %d (%d later log lines dropped)", start, dropped)
    start = start or 0
    total = int(train.steps)
    if start >= total:
        print(f"{workdir} is trained to step {start} (train.steps={total}); raise --config.train.steps to go on")
        checkpointer.close()
        writer.close()
        return state

    def save(step: int) -> None:
        nonlocal last_saved
        checkpointer.save(step, state, iterator, dict(meta, interval=dataclasses.asdict(interval)))
        last_saved = step

    pending: list[tuple[int, Any]] = []
    bar = tqdm(total=total, initial=start, desc="train", unit="step", disable=not (progress and is_writer),
               dynamic_ncols=True)
    interval_start, interval_examples = time.perf_counter(), 0
    try:
        for step in range(start + 1, total + 1):
            local = next(iterator)
            state, metrics = step_fn(state, sharding.global_batch(local, data_sharding))
            pending.append((step, metrics))
            if len(pending) > 1:  # one step stays in flight; waiting on the one before keeps the bar honest
                jax.block_until_ready(pending[-2][1])
            interval_examples += int(config.data.batch_size)
            bar.update(1)
            if step % int(train.log_every) == 0 or step == total or step % int(train.save_every) == 0:
                fetched = [(s, jax.device_get(m)) for s, m in pending]
                pending.clear()
                check_finite(fetched, last_saved, checkpointer.directory)
                for _, values in fetched:
                    interval.add(values)
            if step % int(train.log_every) == 0 or step == total:
                seconds = time.perf_counter() - interval_start
                values = dict(interval.means(), learning_rate=float(schedule(step - 1)),
                              examples_per_second=round(interval_examples / max(seconds, 1e-9), 1))
                writer.write(step, "train", values)
                bar.set_postfix(loss=f"{values['loss']:.4f}", ex_s=f"{values['examples_per_second']:.0f}")
                interval, interval_start, interval_examples = Interval(), time.perf_counter(), 0
            if eval_pipeline is not None and (step % int(train.eval_every) == 0 or step == total):
                values, batch, predicted = evaluate(state.ema_params, eval_pipeline, eval_fn, data_sharding,
                                                    config.seed + 1, int(train.eval_batches))
                writer.write(step, eval_pipeline.split, values, mode="eval")
                if is_writer and batch is not None:
                    write_overlay(workdir / EVAL_DIR / f"overlay_{step:07d}.png", batch, predicted,
                                  pipeline.vocab, int(train.overlay_examples))
                bar.write(f"step {step}: {eval_pipeline.split} loss {values['loss']:.4f}, masked-slot action "
                          f"accuracy {values['action_accuracy']:.3f}, boxes-given one-pass accuracy "
                          f"{values['boxes_given_accuracy']:.3f}")
            if step % int(train.save_every) == 0 or step == total:
                save(step)
    except KeyboardInterrupt:
        bar.write(f"interrupted; the same command resumes from step {last_saved or 0} (nothing is lost: "
                  "the steps after it are replayed exactly)")
        raise
    finally:
        bar.close()
        checkpointer.close()
        writer.close()
        close = getattr(iterator, "close", None)
        if close:
            close()
    return state


__all__ = ["TrainingDiverged", "run"]
