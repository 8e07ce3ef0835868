"""Model selection: the EMA weights scored on a selection split, the best kept, early stopping.

The selection split may belong to another data set than training's (a real dev set beside synthetic
training data); it is read with the training tokenizer and vocabulary, so its inputs mean the same.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dlt_jax.data.dataset import resolve_dataset
from dlt_jax.data.pipeline import Pipeline, make_pipeline
from dlt_jax.train.checkpoint import BEST_DIR, CHECKPOINT_DIR, Checkpointer
from dlt_jax.train.evaluate import EVAL_LOG_KEYS

_log = logging.getLogger(__name__)
SELECT_MODES = ("max", "min")
BEST_FILE = "best.json"


@dataclasses.dataclass(frozen=True)
class SelectSettings:
    """`train.select` with its defaults resolved (configs/base.py)."""

    path: str | None      # None: the training data set
    split: str
    metric: str
    mode: str
    every: int            # 0: no selection
    patience: int         # 0: no early stopping
    batches: int          # 0: the whole split

    @classmethod
    def from_config(cls, config: Any) -> "SelectSettings":
        select, train = config.train.select, config.train
        if select.mode not in SELECT_MODES:
            raise ValueError(f"train.select.mode {select.mode!r} not in {SELECT_MODES}")
        if select.metric not in EVAL_LOG_KEYS:
            raise ValueError(f"train.select.metric {select.metric!r} is not a validation metric; one of "
                             f"{', '.join(EVAL_LOG_KEYS)}")
        if int(select.patience) < 0:
            raise ValueError(f"train.select.patience {select.patience} < 0 (0: no early stopping)")
        every = int(train.eval_every if select.every is None else select.every)
        batches = int(train.eval_batches if select.batches is None else select.batches)
        return cls(select.path, select.split or config.data.eval_split, select.metric, select.mode, every,
                   int(select.patience), batches)

    @property
    def identity(self) -> dict[str, Any]:
        """What a best value refers to: a stored best of other settings is not comparable."""
        return {"metric": self.metric, "mode": self.mode, "split": self.split, "path": self.path}


def improves(value: float, best: float | None, mode: str) -> bool:
    """Whether `value` is a new best (strictly; a non-finite value never is)."""
    if not math.isfinite(value):
        return False
    return best is None or (value > best if mode == "max" else value < best)


@dataclasses.dataclass
class Selection:
    """Where selection stands; saved in every numbered checkpoint's metadata, so a resumed run goes on
    from the same best (and never replaces a better best with a worse one)."""

    metric: str
    mode: str
    split: str
    path: str | None
    best_value: float | None = None
    best_step: int | None = None
    since_best: int = 0              # selections since the best
    stopped_at: int | None = None    # the step early stopping ended the run at

    @classmethod
    def start(cls, settings: SelectSettings) -> "Selection":
        return cls(**settings.identity)

    @classmethod
    def resume(cls, stored: Mapping[str, Any] | None, settings: SelectSettings) -> "Selection":
        """The stored selection when it measured the same thing, else a fresh one."""
        fresh = cls.start(settings)
        if not stored or {k: stored.get(k) for k in settings.identity} != settings.identity:
            return fresh
        return cls(**{f.name: stored.get(f.name, getattr(fresh, f.name)) for f in dataclasses.fields(cls)})

    def record(self, step: int, value: float) -> bool:
        """Counts one selection at `step`; True when `value` is the new best."""
        if improves(value, self.best_value, self.mode):
            self.best_value, self.best_step, self.since_best = float(value), int(step), 0
            return True
        self.since_best += 1
        return False

    def exhausted(self, patience: int) -> bool:
        return patience > 0 and self.since_best >= patience

    def describe(self) -> str:
        best = "none yet" if self.best_value is None else f"{self.best_value:.4f} at step {self.best_step}"
        return f"select {self.split} {self.metric} best {best}"

    def stop_reason(self, patience: int) -> str:
        return (f"select {self.split} {self.metric} has not improved for {self.since_best} selections "
                f"(train.select.patience={patience}; best {self.best_value:.4f} at step {self.best_step})")


def selection_pipeline(config: Any, settings: SelectSettings, train_pipeline: Pipeline) -> Pipeline | None:
    """Evaluation batches of the selection split, tokenized as training's; None (with a warning) when
    the training data set has no such split. Another data set must have it and the same vocabulary."""
    data_config = config.data
    if settings.path is None:
        data = train_pipeline.data
        if settings.split not in data.splits:
            _log.warning("%s has no %r split: no model selection", data.path, settings.split)
            return None
    else:
        data = resolve_dataset(settings.path, cache_dir=data_config.data_dir, image_size=data_config.build_image_size,
                               image_format=data_config.image_format)
        if settings.split not in data.splits:
            raise ValueError(f"train.select.path {settings.path} has no split {settings.split!r} (it has "
                             f"{', '.join(data.splits)}): set train.select.split")
        if list(data.vocab.actions) != list(train_pipeline.vocab.actions):
            raise ValueError(f"train.select.path {settings.path} has the actions {list(data.vocab.actions)}, the "
                             f"training data {list(train_pipeline.vocab.actions)}: build both with one vocabulary")
        if data.canvas_size != train_pipeline.data.canvas_size:
            raise ValueError(f"train.select.path {settings.path} is stored at {data.canvas_size} px, the training "
                             f"data at {train_pipeline.data.canvas_size} px")
    return make_pipeline(data_config, settings.split, mode="eval", seed=config.seed, data=data,
                         spec=train_pipeline.spec)


class BestCheckpoint:
    """The best state so far in `workdir/checkpoints/best/<step>/` (one kept) and `workdir/best.json`."""

    def __init__(self, workdir: str | Path, data_path: str | Path, is_writer: bool = True):
        self.workdir, self.data_path = Path(workdir), str(data_path)
        self.checkpointer = Checkpointer(workdir, keep=1, folder=f"{CHECKPOINT_DIR}/{BEST_DIR}")
        self.is_writer = is_writer

    @property
    def directory(self) -> Path:
        return self.checkpointer.directory

    def save(self, selection: Selection, state: Any, iterator: Any, meta: Mapping[str, Any]) -> None:
        """Replaces the kept best with `state` at `selection.best_step`. A best saved past that step
        (by a run killed before its next numbered checkpoint) is the same one replayed: it goes."""
        step = int(selection.best_step)
        for saved in self.checkpointer.all_steps():
            if saved >= step:
                self.checkpointer.manager.delete(saved)
        self.checkpointer.save(step, state, iterator, meta, force=True)
        if self.is_writer:
            record = {"step": step, "metric": selection.metric, "value": selection.best_value,
                      "split": selection.split, "path": self.data_path,
                      "checkpoint": str(self.directory / str(step))}
            (self.workdir / BEST_FILE).write_text(json.dumps(record, indent=2) + "\n")

    def close(self) -> None:
        self.checkpointer.close()


def read_best(workdir: str | Path) -> dict[str, Any] | None:
    path = Path(workdir) / BEST_FILE
    return json.loads(path.read_text()) if path.is_file() else None
