"""Orbax checkpoints in `workdir/checkpoints/<step>/`: train state, data iterator position, metadata;
the best by `train.select` in `workdir/checkpoints/best/<step>/`.

The metadata (config that shapes the model and its data, vocabulary, data
fingerprint, model spec) is checked on resume: a mismatch is an error that
names every difference, never a silent restart on other settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import grain
import jax
import orbax.checkpoint as ocp
from ml_collections import ConfigDict

from dlt_jax.models import ModelSpec
from dlt_jax.train.state import build_model, create_train_state, make_optimizer

CHECKPOINT_DIR = "checkpoints"
BEST_DIR = "best"                      # under CHECKPOINT_DIR; orbax reads only numbered folders as steps
CHECKPOINT_KINDS = ("latest", "best")  # what --mode=eval/sample restore (`open_checkpoint`)
# Config keys that may change between a run and its resumption: they do not change what is learned.
RUNTIME_KEYS = {
    "data.path", "data.mix.path", "data.data_dir", "data.num_workers", "data.read_threads", "data.prefetch_batches",
    "data.eval_batch_size", "data.eval_split", "data.eval_strategy",
    "train.steps", "train.save_every", "train.keep", "train.log_every", "train.eval_every", "train.eval_batches",
    "train.overlay_examples", "train.distributed",
    "train.init_from",  # read once, when a run starts
}
# Sampler settings are read at inference; model selection chooses what is kept: neither is learned.
RUNTIME_SECTIONS = ("sample.", "train.select.")


class CheckpointMismatch(ValueError):
    """The workdir holds a run of another configuration, vocabulary or data set."""


def flatten_config(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{'a': {'b': 1}}` -> `{'a.b': 1}` (tuples as lists, as JSON gives them back)."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_config(value, name + "."))
        else:
            flat[name] = list(value) if isinstance(value, tuple) else value
    return flat


def is_learned(key: str) -> bool:
    """A flat config key (`data.max_slots`) whose value shapes what a run learns: fixed by its weights."""
    return key not in RUNTIME_KEYS and not key.startswith(RUNTIME_SECTIONS)


def mismatches(stored: Mapping[str, Any], current: Mapping[str, Any], data: bool = True) -> list[str]:
    """Human-readable differences between a checkpoint's metadata and this run's; `data=False` leaves
    out the data fingerprints (an evaluation may score any data set the model can read)."""
    problems = []
    def learned(config: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in flatten_config(config).items() if is_learned(k)}

    stored_config, current_config = learned(stored["config"]), learned(current["config"])
    for key in sorted(set(stored_config) | set(current_config)):
        before, now = stored_config.get(key, "(absent)"), current_config.get(key, "(absent)")
        if before != now:
            problems.append(f"config {key}: checkpoint {before!r}, now {now!r}")
    if list(stored["vocabulary"]) != list(current["vocabulary"]):
        problems.append(f"vocabulary: checkpoint {stored['vocabulary']}, now {current['vocabulary']}")
    if data and stored["data_fingerprint"] != current["data_fingerprint"]:
        problems.append(f"data: checkpoint trained on {stored['data_fingerprint']} ({stored.get('data_path')}), "
                        f"now {current['data_fingerprint']} ({current.get('data_path')})")
    if data and stored.get("mix_fingerprint") != current.get("mix_fingerprint"):
        problems.append(f"data.mix: checkpoint mixed in {stored.get('mix_fingerprint')}, "
                        f"now {current.get('mix_fingerprint')}")
    if stored["model_spec"] != current["model_spec"]:
        problems.append(f"model inputs: checkpoint {stored['model_spec']}, now {current['model_spec']}")
    return problems


class Checkpointer:
    """Saves and restores (train state, grain iterator, metadata) every `save_every` steps, keeping `keep`."""

    def __init__(self, workdir: str | Path, keep: int, folder: str = CHECKPOINT_DIR):
        self.directory = Path(workdir).absolute() / folder
        self.manager = ocp.CheckpointManager(
            self.directory, options=ocp.CheckpointManagerOptions(max_to_keep=keep, create=True))

    def latest_step(self) -> int | None:
        return self.manager.latest_step()

    def all_steps(self) -> list[int]:
        return sorted(self.manager.all_steps())

    def metadata(self, step: int) -> dict[str, Any]:
        restored = self.manager.restore(step, args=ocp.args.Composite(meta=ocp.args.JsonRestore()))
        return dict(restored["meta"])

    def check_compatible(self, step: int, current: Mapping[str, Any], data: bool = True) -> None:
        problems = mismatches(self.metadata(step), current, data)
        if problems:
            raise CheckpointMismatch(
                f"{self.directory} holds a run (step {step}) that differs from this one:\n  - "
                + "\n  - ".join(problems)
                + "\nResume with the settings it was trained with, or start a new run in another --workdir.")

    def save(self, step: int, state: Any, iterator: Any, meta: Mapping[str, Any], force: bool = False) -> None:
        """Saves at `step`; `force` also saves a step below the newest one (orbax skips those otherwise)."""
        self.manager.save(step, args=ocp.args.Composite(
            state=ocp.args.StandardSave(state), data=grain.checkpoint.CheckpointSave(iterator),
            meta=ocp.args.JsonSave(dict(meta))), force=force)

    def restore(self, step: int, abstract_state: Any, iterator: Any) -> tuple[Any, dict[str, Any]]:
        """The state at `step` (laid out like `abstract_state`); `iterator` is moved to the saved position."""
        restored = self.manager.restore(step, args=ocp.args.Composite(
            state=ocp.args.StandardRestore(abstract_state), data=grain.checkpoint.CheckpointRestore(iterator),
            meta=ocp.args.JsonRestore()))
        return restored["state"], dict(restored["meta"])

    def restore_state(self, step: int, abstract_state: Any) -> Any:
        """Only the train state at `step` (evaluation and inference need no data position)."""
        restored = self.manager.restore(step, args=ocp.args.Composite(
            state=ocp.args.StandardRestore(abstract_state)))
        return restored["state"]

    def restore_ema_params(self, step: int, spec: Any, config: Any, sharding: Any = None) -> tuple[Any, Any]:
        """The network's graph and the EMA weights saved at `step` (what evaluation and inference use)."""
        graphdef, params = build_model(spec, config.model, int(config.seed))
        state = create_train_state(params, make_optimizer(config.train), int(config.seed))
        state = jax.device_put(state, sharding) if sharding is not None else jax.device_put(state)
        return graphdef, self.restore_state(step, abstract_like(state)).ema_params

    def wait(self) -> None:
        self.manager.wait_until_finished()

    def close(self) -> None:
        self.manager.wait_until_finished()
        self.manager.close()


def checkpoint_steps(workdir: str | Path) -> dict[str, list[int]]:
    """The saved steps of each kind (`latest`: the numbered checkpoints, `best`), read from the folders."""
    def steps(folder: Path) -> list[int]:
        return sorted(int(p.name) for p in folder.iterdir() if p.is_dir() and p.name.isdigit()) \
            if folder.is_dir() else []
    root = Path(workdir).absolute() / CHECKPOINT_DIR
    return {"latest": steps(root), "best": steps(root / BEST_DIR)}


def open_checkpoint(workdir: str | Path, step: int | None = None, checkpoint: str = "latest",
                    keep: int = 1_000_000) -> tuple[Checkpointer, int]:
    """The Checkpointer holding the checkpoint to restore, and its step: the newest numbered one
    (`checkpoint='latest'`) or the best by `train.select` (`'best'`); `step` picks one of that kind.
    A missing one is an error that lists what the workdir holds."""
    if checkpoint not in CHECKPOINT_KINDS:
        raise ValueError(f"checkpoint {checkpoint!r} not in {CHECKPOINT_KINDS}")
    saved = checkpoint_steps(workdir)
    held = f"numbered checkpoints: steps {saved['latest'] or 'none'}; best: step {saved['best'] or 'none'}"
    folder = Path(CHECKPOINT_DIR) / (BEST_DIR if checkpoint == "best" else "")
    directory = Path(workdir).absolute() / folder
    if not saved["latest"] and not saved["best"]:
        raise FileNotFoundError(f"{directory}: no checkpoint; train first "
                                f"(python -m dlt_jax.main --config=... --workdir={workdir})")
    if not saved[checkpoint]:
        what = ("no best checkpoint (training keeps one when train.select is on and its split exists)"
                if checkpoint == "best" else "no numbered checkpoint")
        raise FileNotFoundError(f"{directory}: {what}; {held}")
    if step is not None and step not in saved[checkpoint]:
        raise FileNotFoundError(f"{directory}: no {checkpoint} checkpoint at step {step}; {held}")
    return Checkpointer(workdir, keep, str(folder)), saved[checkpoint][-1] if step is None else int(step)


def restore_run_ema(workdir: str | Path, step: int | None = None,
                    checkpoint: str = "latest") -> tuple[dict[str, Any], Any, Any, int]:
    """A checkpoint's metadata and EMA weights, the network built from the run's own config (what
    inference and weight export read): `(metadata, graphdef, ema_params, step)`."""
    checkpointer, step = open_checkpoint(workdir, step, checkpoint)
    try:
        metadata = checkpointer.metadata(step)
        graphdef, ema_params = checkpointer.restore_ema_params(
            step, ModelSpec.from_json(metadata["model_spec"]), ConfigDict(metadata["config"]))
    finally:
        checkpointer.close()
    return metadata, graphdef, ema_params, step


def abstract_like(state: Any) -> Any:
    """Shape, dtype and sharding of every leaf: what orbax restores into."""
    return jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding), state)
