"""The training loop: data -> jitted train step -> logs, validation, checkpoints; resumes by itself.

`run(config, workdir)` is what `python -m dlt_jax.main --mode=train` calls. A
second run with the same workdir continues from the newest checkpoint (weights,
optimizer, EMA, RNG and the data position) and ends exactly where an
uninterrupted run would. With `train.select` on, the EMA weights are scored on a
selection split, the best kept in `checkpoints/best/`, and the run may stop early.
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
from dlt_jax.train.select import BestCheckpoint, Selection, SelectSettings, selection_pipeline
from dlt_jax.train.state import (TrainState, build_model, create_train_state, learning_rate_at, learning_rate_schedule,
                                 make_optimizer)
from dlt_jax.train.step import Objective, eval_step, train_step

_log = logging.getLogger(__name__)
CONFIG_FILE = "config.json"
TRAIN_LOG_KEYS = ("loss", "action_loss", "box_loss", "presence_loss", "contrastive_loss", "action_accuracy",
                  "grad_norm")
CPU_LARGE_D_MODEL = 512  # configs/base.py has 768 (GPU/TPU scale), quickstart 128 (minutes on a CPU)
TIMED_STEPS = 3          # a CPU run of a large model times its first steps (after the first: compiling)


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


def too_large_for_cpu(platform: str, d_model: int) -> bool:
    """A GPU/TPU-scale model on a CPU: what configs/base.py is, and what a CPU run should not be."""
    return platform == "cpu" and int(d_model) >= CPU_LARGE_D_MODEL


def cpu_time_warning(d_model: int, seconds_per_step: float, steps_left: int) -> str:
    """The measured cost of training a large model on a CPU, and what to run instead."""
    hours = seconds_per_step * steps_left / 3600
    return (f"model.d_model={d_model} on a CPU: ~{seconds_per_step:.1f} s/step, ~{hours:,.0f} hours for the "
            f"{steps_left:,} train.steps to go; for a CPU run use configs/quickstart.py")


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
    select = SelectSettings.from_config(config)
    select_pipeline = selection_pipeline(config, select, pipeline) if select.every > 0 else None
    spec = model_spec(config, pipeline)
    meta = run_metadata(config, pipeline, spec)
    if is_writer:
        (workdir / CONFIG_FILE).write_text(json.dumps(meta, indent=2) + "\n")

    mesh = sharding.make_mesh()
    sharding.check_batch_size(int(config.data.batch_size), mesh)
    data_sharding, replicated = sharding.batch_sharding(mesh), sharding.replicated(mesh)
    graphdef, params = build_model(spec, config.model, config.seed)
    checkpointer = Checkpointer(workdir, int(train.keep))
    start = checkpointer.latest_step()
    if start is None and train.get("init_from"):
        from dlt_jax.weights import start_from  # noqa: PLC0415
        params, source = start_from(params, train.init_from, meta)
        if is_writer:
            print(f"starting from the EMA params of {source}; optimizer state fresh")
    tx = make_optimizer(train)
    schedule = learning_rate_schedule(train)
    state = jax.device_put(create_train_state(params, tx, config.seed), replicated)
    objective = Objective.from_config(config, pipeline.vocab.mask_id, spec.type_action_ids)
    step_fn = jax.jit(functools.partial(train_step, graphdef=graphdef, objective=objective, tx=tx,
                                        ema_decay=float(train.ema_decay)),
                      donate_argnums=0, out_shardings=(replicated, replicated))
    eval_fn = jax.jit(functools.partial(eval_step, graphdef=graphdef, objective=objective),
                      out_shardings=replicated)

    best = BestCheckpoint(workdir, select_pipeline.data.path, is_writer) if select_pipeline is not None else None
    writer = MetricsWriter(workdir, enabled=is_writer)
    iterator = iter(pipeline)
    interval = Interval()
    selection = Selection.start(select)
    total = int(train.steps)
    last_saved = start
    if start is not None:
        checkpointer.check_compatible(start, meta)
        state, saved_meta = checkpointer.restore(start, abstract_like(state), iterator)
        interval = Interval(**saved_meta.get("interval", {}))
        selection = Selection.resume(saved_meta.get("select"), select)
        dropped = writer.truncate_after(start)
        if is_writer:
            print(f"resumed from step {start} of {total} in {checkpointer.directory} ({dropped} later log lines "
                  f"dropped)" + (f"; {selection.describe()}" if select_pipeline is not None else ""))
    start = start or 0

    def close() -> None:
        checkpointer.close()
        if best is not None:
            best.close()
        writer.close()

    if select_pipeline is not None and selection.exhausted(select.patience) and start < total:
        if is_writer:
            print(f"{workdir} stopped early at step {selection.stopped_at or start}: "
                  f"{selection.stop_reason(select.patience)}; the best "
                  f"checkpoint is {best.directory / str(selection.best_step)}. Raise --config.train.select.patience "
                  "(0: no early stopping) to train on")
        close()
        return state
    if start >= total:
        print(f"{workdir} is trained to step {start} (train.steps={total}); raise --config.train.steps to go on")
        close()
        return state
    selection.stopped_at = None

    def save(step: int) -> None:
        nonlocal last_saved
        checkpointer.save(step, state, iterator, dict(meta, interval=dataclasses.asdict(interval),
                                                      select=dataclasses.asdict(selection)))
        last_saved = step

    platform, d_model = jax.devices()[0].platform, int(config.model.d_model)
    timed = too_large_for_cpu(platform, d_model) and is_writer
    if timed:
        print(f"model.d_model={d_model} is GPU/TPU scale (configs/base.py) and this machine trains on its CPU; "
              f"timing the first {TIMED_STEPS} steps. For a CPU run use configs/quickstart.py")
    timings: list[float] = []

    pending: list[tuple[int, Any]] = []

    def drain() -> None:
        """Fetches the steps in flight: stops on a non-finite one, adds them to the interval."""
        fetched = [(s, jax.device_get(m)) for s, m in pending]
        pending.clear()
        check_finite(fetched, last_saved, checkpointer.directory)
        for _, values in fetched:
            interval.add(values)

    bar = tqdm(total=total, initial=start, desc="train", unit="step", disable=not (progress and is_writer),
               dynamic_ncols=True)
    interval_start, interval_examples = time.perf_counter(), 0
    try:
        for step in range(start + 1, total + 1):
            local = next(iterator)
            state, metrics = step_fn(state, sharding.global_batch(local, data_sharding))
            pending.append((step, metrics))
            if timed and step - start <= TIMED_STEPS:
                jax.block_until_ready(metrics)
                timings.append(time.perf_counter())
                if len(timings) == TIMED_STEPS:  # the first step compiles: time the ones after it
                    seconds = (timings[-1] - timings[0]) / (TIMED_STEPS - 1)
                    bar.write(cpu_time_warning(d_model, seconds, total - step))
            if len(pending) > 1:  # one step stays in flight; waiting on the one before keeps the bar honest
                jax.block_until_ready(pending[-2][1])
            interval_examples += int(config.data.batch_size)
            bar.update(1)
            selecting = select_pipeline is not None and (step % select.every == 0 or step == total)
            if step % int(train.log_every) == 0 or step == total or step % int(train.save_every) == 0 or selecting:
                drain()
            if step % int(train.log_every) == 0 or step == total:
                seconds = time.perf_counter() - interval_start
                values = dict(interval.means(), learning_rate=learning_rate_at(train, schedule, step - 1),
                              examples_per_second=round(interval_examples / max(seconds, 1e-9), 1))
                writer.write(step, "train", values)
                bar.set_postfix(loss=f"{values['loss']:.4f}", ex_s=f"{values['examples_per_second']:.0f}")
                interval, interval_start, interval_examples = Interval(), time.perf_counter(), 0
            eval_values = None
            if eval_pipeline is not None and (step % int(train.eval_every) == 0 or step == total):
                values, batch, predicted = evaluate(state.ema_params, eval_pipeline, eval_fn, data_sharding,
                                                    config.seed + 1, int(train.eval_batches))
                eval_values = values
                writer.write(step, eval_pipeline.split, values, mode="eval")
                if is_writer and batch is not None:
                    write_overlay(workdir / EVAL_DIR / f"overlay_{step:07d}.png", batch, predicted,
                                  pipeline.vocab, int(train.overlay_examples))
                bar.write(f"step {step}: {eval_pipeline.split} loss {values['loss']:.4f}, masked-slot action "
                          f"accuracy {values['action_accuracy']:.3f}, boxes-given one-pass accuracy "
                          f"{values['boxes_given_accuracy']:.3f}")
            stop = False
            if selecting:
                same_as_eval = (eval_values is not None and select.path is None
                                and select.split == eval_pipeline.split and select.batches == int(train.eval_batches))
                values = eval_values if same_as_eval else evaluate(
                    state.ema_params, select_pipeline, eval_fn, data_sharding, config.seed + 1, select.batches)[0]
                value = select_value(values, select.metric, select_pipeline.split)
                if selection.record(step, value):
                    best.save(selection, state, iterator, dict(meta, interval=dataclasses.asdict(interval),
                                                               select=dataclasses.asdict(selection)))
                writer.write(step, select_pipeline.split, dict(values, best=selection.best_value,
                                                               best_step=selection.best_step), mode="select")
                bar.write(f"step {step}: select {select_pipeline.split} {select.metric} {value:.4f} (best "
                          f"{selection.best_value:.4f} at step {selection.best_step})")
                stop = selection.exhausted(select.patience) and step < total
                if stop:
                    selection.stopped_at = step
                    bar.write(f"step {step}: stopping early: {selection.stop_reason(select.patience)}; the best "
                              f"checkpoint is {best.directory / str(selection.best_step)}")
            if step % int(train.save_every) == 0 or step == total or stop:
                save(step)
            if stop:
                break
    except KeyboardInterrupt:
        bar.write(f"interrupted; the same command resumes from step {last_saved or 0} (nothing is lost: "
                  "the steps after it are replayed exactly)")
        raise
    finally:
        bar.close()
        close()
        close_iterator = getattr(iterator, "close", None)
        if close_iterator:
            close_iterator()
    return state


def select_value(values: Mapping[str, float], metric: str, split: str) -> float:
    if metric not in values:
        raise KeyError(f"train.select.metric {metric!r}: the evaluation of {split!r} gives "
                       f"{', '.join(sorted(values))} (presence_loss needs model.presence_head)")
    return float(values[metric])


__all__ = ["TrainingDiverged", "run"]
