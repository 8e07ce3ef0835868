"""Shipped weights: a trained run's EMA params in one file, with their config, vocabulary and fingerprint.

    python -m dlt_jax.weights export --workdir=/work/runs/release --checkpoint=best
    generator = LayoutGenerator.pretrained()      # dlt_jax/pretrained/release/

A weights folder holds `weights.msgpack` (flax msgpack of the flat param tree, `path -> array`, in
bf16 or f32) and `model.json` (config, vocabulary, tokenizer tags, model spec, step, dtype, the
weights file's sha256, where they came from, and the metrics measured with them). Loading checks the
fingerprint, then that this code builds the same network from that config: vocabulary, input sizes,
and every parameter's path and shape. Any difference is a `WeightsMismatch` that lists it; weights
never load into a model they do not fit.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx, serialization
from ml_collections import ConfigDict

PRETRAINED = Path(__file__).parent / "pretrained" / "release"
WEIGHTS_FILE = "weights.msgpack"
MODEL_FILE = "model.json"
DTYPES = ("bfloat16", "float32")
FORMAT_VERSION = 1
METADATA_KEYS = ("config", "vocabulary", "element_types", "props", "tokenizer_tags", "model_spec")


class WeightsMismatch(ValueError):
    """Shipped weights that this code cannot use as they are (corrupt, or another network)."""


@dataclasses.dataclass(frozen=True)
class Weights:
    """Loaded weights: the run's config and metadata, the network's graph and its params (f32)."""

    folder: Path
    config: ConfigDict
    metadata: Mapping[str, Any]
    graphdef: nnx.GraphDef
    params: nnx.State
    step: int


def param_path(path: Sequence[Any]) -> str:
    return jax.tree_util.keystr(tuple(path), simple=True, separator="/")


def flat_params(params: Any) -> dict[str, Any]:
    """`{'denoiser/action_head/kernel/value': array, ...}` for a param tree."""
    return {param_path(path): leaf for path, leaf in jax.tree_util.tree_flatten_with_path(params)[0]}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def abstract_network(spec_json: Mapping[str, Any], config: ConfigDict) -> tuple[nnx.GraphDef, nnx.State]:
    """The network this code builds for a model spec and config: its graph and param shapes (nothing
    is allocated). A config key the code reads but the weights' config lacks is a WeightsMismatch."""
    from dlt_jax.models import DLTModel, ModelSpec  # noqa: PLC0415

    spec = ModelSpec.from_json(spec_json)
    try:
        abstract = nnx.eval_shape(lambda: DLTModel(spec, config.model, rngs=nnx.Rngs(params=int(config.seed))))
    except (AttributeError, KeyError) as error:
        raise WeightsMismatch(f"this code's model reads a config value the weights' config lacks: {error}") from error
    return nnx.split(abstract, nnx.Param)


def code_mismatches(metadata: Mapping[str, Any], config: ConfigDict) -> list[str]:
    """What this code derives differently from the weights' own record: the action vocabulary (order
    included) and the model's input sizes (tokenizer feature tables, patch size)."""
    from dlt_jax.data.pipeline import tokenizer_with_tags  # noqa: PLC0415
    from dlt_jax.layout import Vocabulary  # noqa: PLC0415

    problems = []
    vocab = Vocabulary(tuple(metadata["element_types"]), tuple(metadata["props"]))
    if list(vocab.actions) != list(metadata["vocabulary"]):
        problems.append(f"vocabulary: weights {list(metadata['vocabulary'])}, code {list(vocab.actions)}")
    stored = metadata["model_spec"]
    sizes = dict(tokenizer_with_tags(config.data.tokenizer, metadata["tokenizer_tags"]).sizes)
    current = {"vocab_size": vocab.size, "type_action_ids": [vocab.action_id(t) for t in vocab.element_types],
               "feature_sizes": sizes, "image_input_dim": int(config.data.patch_size) ** 2 * 3,
               "max_patches": int(config.data.max_patches)}
    for key, now in current.items():
        before = stored.get(key)
        if isinstance(now, dict):
            for name in sorted(set(now) | set(before or {})):
                if (before or {}).get(name) != now.get(name):
                    problems.append(f"model input {key}.{name}: weights {(before or {}).get(name)}, "
                                    f"code {now.get(name)}")
        elif before != now:
            problems.append(f"model input {key}: weights {before}, code {now}")
    return problems


def tree_mismatches(expected: Mapping[str, Any], stored: Mapping[str, Any], limit: int = 12) -> list[str]:
    """Param paths missing from the weights, not in the network, or of another shape."""
    problems = [f"param {p}: in the network, not in the weights" for p in sorted(set(expected) - set(stored))]
    problems += [f"param {p}: in the weights, not in the network" for p in sorted(set(stored) - set(expected))]
    problems += [f"param {p}: weights shape {tuple(stored[p].shape)}, network {tuple(expected[p].shape)}"
                 for p in sorted(set(expected) & set(stored)) if tuple(stored[p].shape) != tuple(expected[p].shape)]
    if len(problems) > limit:
        problems = problems[:limit] + [f"... and {len(problems) - limit} more"]
    return problems


def load_weights(folder: str | Path = PRETRAINED) -> Weights:
    """Reads and checks a weights folder (default: the shipped release weights)."""
    folder = Path(folder)
    model_file, weights_file = folder / MODEL_FILE, folder / WEIGHTS_FILE
    for path in (model_file, weights_file):
        if not path.is_file():
            raise FileNotFoundError(f"{path}: missing; a weights folder holds {MODEL_FILE} and {WEIGHTS_FILE} "
                                    "(python -m dlt_jax.weights export writes them)")
    try:
        metadata = json.loads(model_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise WeightsMismatch(f"{model_file}: not valid JSON ({error})") from error
    missing = [k for k in (*METADATA_KEYS, "sha256", "step", "format_version") if k not in metadata]
    if missing:
        raise WeightsMismatch(f"{model_file}: missing {', '.join(missing)}")
    if metadata["format_version"] != FORMAT_VERSION:
        raise WeightsMismatch(f"{model_file}: format version {metadata['format_version']}, this code reads "
                              f"{FORMAT_VERSION}")
    digest = sha256(weights_file)
    if digest != metadata["sha256"]:
        raise WeightsMismatch(f"{weights_file}: sha256 {digest[:16]}..., {MODEL_FILE} records "
                              f"{metadata['sha256'][:16]}...: the file is damaged or not these weights "
                              "(a Git LFS pointer or a partial download reads like this)")
    config = ConfigDict(metadata["config"])
    problems = code_mismatches(metadata, config)
    graphdef, abstract = abstract_network(metadata["model_spec"], config)
    stored = serialization.msgpack_restore(weights_file.read_bytes())
    expected = flat_params(abstract)
    problems += tree_mismatches(expected, stored)
    if problems:
        raise WeightsMismatch(f"{folder}: these weights do not fit this code's network:\n  - "
                              + "\n  - ".join(problems))
    leaves = {p: jnp.asarray(np.asarray(stored[p]), expected[p].dtype) for p in expected}
    params = jax.tree_util.tree_map_with_path(lambda path, _: leaves[param_path(path)], abstract)
    return Weights(folder, config, metadata, graphdef, params, int(metadata["step"]))


def export_weights(workdir: str | Path, out: str | Path = PRETRAINED, *, checkpoint: str = "best",
                   step: int | None = None, dtype: str = "bfloat16",
                   source: Mapping[str, Any] | None = None) -> Path:
    """Writes a checkpoint's EMA params (cast to `dtype`) and its metadata as a weights folder."""
    from dlt_jax.train.checkpoint import restore_run_ema  # noqa: PLC0415

    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r} not in {DTYPES}")
    metadata, _, ema, step = restore_run_ema(workdir, step, checkpoint)
    flat = {p: np.asarray(v).astype(jnp.bfloat16 if dtype == "bfloat16" else np.float32)
            for p, v in flat_params(ema).items()}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    weights_file = out / WEIGHTS_FILE
    weights_file.write_bytes(serialization.msgpack_serialize(dict(sorted(flat.items()))))
    record = {k: metadata[k] for k in METADATA_KEYS}
    record.update(format_version=FORMAT_VERSION, step=step, dtype=dtype, sha256=sha256(weights_file),
                  parameters=int(sum(v.size for v in flat.values())), bytes=weights_file.stat().st_size,
                  trained_on={"data": metadata.get("data_fingerprint"), "mix": metadata.get("mix_fingerprint")},
                  selected_by=metadata.get("select"), source=dict(source or {"checkpoint": checkpoint}))
    write_model_json(out, portable_paths(record))
    return out


def portable_paths(value: Any, root: Path = Path(__file__).parent.parent) -> Any:
    """Paths inside this checkout spelled relative to it (the weights travel to other machines)."""
    if isinstance(value, Mapping):
        return {k: portable_paths(v, root) for k, v in value.items()}
    if isinstance(value, str) and value.startswith(f"{root}/"):
        return value[len(str(root)) + 1:]
    return value


def write_model_json(folder: Path, record: Mapping[str, Any]) -> None:
    (Path(folder) / MODEL_FILE).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def read_params(source: str | Path) -> tuple[nnx.State, Mapping[str, Any], str]:
    """EMA params to start a run from (`train.init_from`), their metadata and a description: a weights
    folder (model.json beside its weights), or a training workdir's best checkpoint (its newest one if
    it kept no best)."""
    from dlt_jax.train.checkpoint import checkpoint_steps, restore_run_ema  # noqa: PLC0415

    source = Path(source)
    if (source / MODEL_FILE).is_file():
        weights = load_weights(source)
        return weights.params, weights.metadata, f"weights {source} (step {weights.step})"
    kind = "best" if checkpoint_steps(source)["best"] else "latest"
    metadata, _, ema, step = restore_run_ema(source, None, kind)
    return ema, metadata, f"{kind} checkpoint of {source} (step {step})"


def start_from(params: nnx.State, source: str | Path, run: Mapping[str, Any]) -> tuple[nnx.State, str]:
    """`source`'s EMA params in place of the fresh `params` of a run with metadata `run`. Another
    vocabulary or tokenizer (the same shapes would then mean other things) or a network of other
    shapes is a WeightsMismatch that lists the differences."""
    loaded, metadata, description = read_params(source)
    problems = [f"{key}: {description} has {list(metadata[key])}, this run {list(run[key])}"
                for key in ("vocabulary", "tokenizer_tags") if list(metadata[key]) != list(run[key])]
    problems += tree_mismatches(flat_params(params), flat_params(loaded))
    if problems:
        raise WeightsMismatch(f"train.init_from={source}: it cannot start this run (it needs the same network, "
                              "vocabulary and tokenizer: the same model config and training data set):\n  - " + "\n  - ".join(problems))
    return jax.tree.map(lambda fresh, old: jnp.asarray(old, fresh.dtype), params, loaded), description


# ----------------------------------------------------------------------------- card metrics

CARD_SYSTEMS = ("model, boxes given", "model, boxes generated", "model without screenshot, boxes given",
                "model without classes, boxes given", "rule baseline")
CARD_METRICS = ("node_action_accuracy", "element_f1", "exact_match", "tree_edit_distance")
CHECK_SECTIONS = 8  # real-dev sections the default test suite predicts against recorded values


def card_metrics(report: Mapping[str, Any]) -> dict[str, dict[str, float | None]]:
    """The model card's headline numbers from an evaluation report."""
    return {system: {m: report["systems"][system].get(m) for m in CARD_METRICS} for system in CARD_SYSTEMS
            if system in report["systems"]}


def check_subset(examples: Sequence[Any]) -> list[Any]:
    """A fixed, spread subset of examples (by id), for the quick check of the shipped weights."""
    ordered = sorted(examples, key=lambda e: e.id)
    stride = max(1, len(ordered) // CHECK_SECTIONS)
    return ordered[::stride][:CHECK_SECTIONS]


def subset_record(generator: Any, examples: Sequence[Any], seed: int = 0) -> dict[str, Any]:
    """Per section of `check_subset(examples)`: how many node actions the weights get right (boxes given)."""
    from dlt_jax.layout import encode_layout, parse_html  # noqa: PLC0415

    subset = check_subset(examples)
    predictions = generator.predict_examples(subset, boxes="given", seed=seed)
    record = {}
    for example, prediction in zip(subset, predictions):
        truth = encode_layout(parse_html(example.html), example.layout, generator.vocab).actions
        record[example.id] = {"nodes": len(truth),
                              "correct": int(sum(t == p for t, p in zip(truth, prediction.actions)))}
    return record


def evaluate_weights(folder: Path, report_dir: Path, splits: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    """Scores the weights in `folder` as a user loads them, on each named (data path, split); writes
    each report under `report_dir/<name>/` and returns the card metrics and the quick-check record."""
    from dlt_jax.evaluation import run as evaluation  # noqa: PLC0415
    from dlt_jax.inference import LayoutGenerator  # noqa: PLC0415

    generator = LayoutGenerator.pretrained(folder)
    metrics: dict[str, Any] = {}
    for name, (path, split) in splits.items():
        unreadable: list[dict[str, str]] = []  # listed in the report, never left out silently
        examples = evaluation.split_examples(generator.config.data, split, path, errors=unreadable)
        started = time.time()
        report = evaluation.evaluate_layouts(generator, examples, report_dir / name, seed=int(generator.config.seed),
                                             unreadable=unreadable)
        metrics[name] = {"data": path, "split": split, "sections": report["examples"],
                         "systems": card_metrics(report), "seconds": round(time.time() - started, 1)}
        if name == "real_dev":
            metrics["check"] = {"data": path, "split": split, "sections": subset_record(generator, examples)}
        print(f"{name}: {report['examples']} sections\n{evaluation.headline(report)}", flush=True)
    return metrics


def main(argv: Sequence[str] | None = None) -> int:
    from dlt_jax.data.readers import EMBEDDED_DATA, REAL_DATA  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m dlt_jax.weights", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="a checkpoint's EMA params as a weights folder, with its metrics")
    export.add_argument("--workdir", required=True, help="the training run's folder")
    export.add_argument("--checkpoint", default="best", choices=("best", "latest"))
    export.add_argument("--step", type=int, default=None)
    export.add_argument("--dtype", default="bfloat16", choices=DTYPES)
    export.add_argument("--out", default=str(PRETRAINED), help="weights folder (default: the shipped one)")
    export.add_argument("--command", default="", help="the training command, recorded in model.json")
    export.add_argument("--no-eval", action="store_true", help="skip the real-dev / synthetic-test scoring")
    export.add_argument("--report-dir", default="/tmp/dlt_weights_eval", help="where the evaluation reports go")
    check = commands.add_parser("check", help="load a weights folder and say whether this code can use it")
    check.add_argument("folder", nargs="?", default=str(PRETRAINED))
    args = parser.parse_args(argv)
    if args.command == "check":
        try:
            weights = load_weights(args.folder)
        except (WeightsMismatch, FileNotFoundError) as error:
            print(f"dlt_jax.weights: {error}", file=sys.stderr)
            return 1
        print(f"{weights.folder}: step {weights.step}, {weights.metadata.get('parameters')} params "
              f"({weights.metadata.get('dtype')}), fits this code")
        return 0
    source = {"workdir": str(args.workdir), "checkpoint": args.checkpoint, "command": args.command}
    out = export_weights(args.workdir, args.out, checkpoint=args.checkpoint, step=args.step, dtype=args.dtype,
                         source=source)
    if not args.no_eval:
        real = str(REAL_DATA)
        record = json.loads((out / MODEL_FILE).read_text(encoding="utf-8"))
        embedded = record["config"]["data"]["path"] or str(EMBEDDED_DATA)
        record["metrics"] = portable_paths(evaluate_weights(
            out, Path(args.report_dir), {"real_dev": (real, "dev"), "synthetic_test": (embedded, "test")}))
        write_model_json(out, record)
    print(f"wrote {out / WEIGHTS_FILE} ({(out / WEIGHTS_FILE).stat().st_size / 1e6:.1f} MB) and {out / MODEL_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
