"""dlt_jax entry point: flags and config, then hand over.

    python -m dlt_jax.main --config=configs/quickstart.py --workdir=/tmp/dlt_quickstart

`--mode=train` (the default) trains, resuming from the workdir's newest
checkpoint; `--mode=eval` scores the newest checkpoint's EMA weights on
`--split`; `--mode=sample` writes a layout per section of `--input` into
`--output` (both restore `--checkpoint=best`, the best by train.select, or
`--step=N` instead); `--mode=data` runs one epoch of the input pipeline and
draws its first batch. Any config value can be overridden: `--config.train.steps=500`;
at `--mode=sample` (and `--mode=eval` of the shipped weights) an override of a setting the
weights fix is named in a warning, `--mode=eval` of a workdir stops on it.

Without `--workdir`, `--mode=sample` and `--mode=eval` use the shipped weights
(MODEL_CARD.md) with their own config (`--config` then only gives the sampler
settings):

    python -m dlt_jax.main --mode=sample --input=/tmp/sections --output=/tmp/layouts
    python -m dlt_jax.main --mode=sample --input=/tmp/sections/hero --output=/tmp/layouts --partial=partial.json
    python -m dlt_jax.main --mode=eval --output=/tmp/eval     # the real dev split, as in the card
"""

import sys
from collections.abc import Collection, Mapping
from typing import Any

from absl import app, flags, logging
from ml_collections import config_flags

MODES = ("train", "eval", "sample", "data")

_CONFIG = config_flags.DEFINE_config_file("config", None, "configuration file (configs/*.py)", lock_config=True)
_WORKDIR = flags.DEFINE_string("workdir", None, "folder for checkpoints, metrics and pictures")
_MODE = flags.DEFINE_enum("mode", "train", MODES, "what to run")
_SPLIT = flags.DEFINE_string("split", None, "--mode=eval: the split to score (default: config.data.eval_split)")
_INPUT = flags.DEFINE_string("input", None, "--mode=sample: a data set folder, a .jsonl manifest, an example folder, "
                             "or a folder of render_page outputs; --mode=eval without --workdir: the data set "
                             "to score (default: the real corpus, dlt_jax/data/real)")
_OUTPUT = flags.DEFINE_string("output", None, "--mode=sample: where OUTPUT/<id>/layout.json and overlay.png go; "
                              "--mode=eval without --workdir: where the report goes")
_BOXES = flags.DEFINE_enum("boxes", "auto", ("auto", "given", "generate"),
                           "--mode=sample: DOM boxes given (only actions generated) or generated; auto: given "
                           "where the input has html_boxes")
_CHECKPOINT = flags.DEFINE_enum("checkpoint", "latest", ("latest", "best"),
                                "--mode=eval/sample: restore the newest numbered checkpoint or the best by "
                                "train.select (checkpoints/best/)")
_STEP = flags.DEFINE_integer("step", None, "--mode=eval/sample: restore this step (of --checkpoint's kind)")
_PARTIAL = flags.DEFINE_string("partial", None, "--mode=sample: complete partial layouts (README, Completion): a "
                               "partial layout file for an input of one section, a JSON object of section id -> "
                               "partial layout, or a folder of <id>.json partial layouts")


def check_flags(mode: str, config: object, workdir: str | None) -> None:
    """Training needs a config and a workdir; sampling and evaluation fall back on the shipped weights."""
    if mode in ("train", "data") and (config is None or workdir is None):
        raise app.UsageError(f"--mode={mode} needs --config=configs/....py and --workdir=DIR")
    if mode in ("train", "data") and (flags.FLAGS["step"].present or flags.FLAGS["checkpoint"].present):
        raise app.UsageError("--step and --checkpoint choose what --mode=eval and --mode=sample restore; "
                             "training always resumes from the newest checkpoint")
    if workdir is None and (flags.FLAGS["step"].present or flags.FLAGS["checkpoint"].present):
        raise app.UsageError("--step and --checkpoint choose a checkpoint of --workdir; without one the "
                             "shipped weights are used")
    if mode != "sample" and flags.FLAGS["partial"].present:
        raise app.UsageError("--partial gives partial layouts to complete: it goes with --mode=sample")
    if mode == "eval" and workdir is not None and config is None:
        raise app.UsageError("--mode=eval of a workdir needs the --config it was trained with")


def ignored_overrides(overrides: Mapping[str, Any], weights_config: Any, applied: Collection[str] = ()) -> list[str]:
    """A warning line for each `--config.KEY=VALUE` the weights overrule: a learned key
    (`checkpoint.is_learned`) given another value than they were trained with, and not in `applied`."""
    from dlt_jax.train.checkpoint import flatten_config, is_learned  # noqa: PLC0415

    trained = flatten_config(weights_config.to_dict())
    lines = []
    for key, value in sorted(overrides.items()):
        value = list(value) if isinstance(value, tuple) else value
        used = trained.get(key, "(absent)")
        if key not in applied and is_learned(key) and value != used:
            lines.append(f"warning: --config.{key}={value} is not used: the weights were trained with {key}={used}, "
                         "and that is what they use (only --config.sample.* and the run-time keys apply here)")
    return lines


def apply_config(generator: Any, config: Any, mode: str) -> None:
    """`--mode=sample` / `--mode=eval` on weights with their own config: the given `data.image_features`
    (the features of these inputs, for a model that reads them) applies; each other learned key that the
    command line sets to another value is named in a warning on stderr."""
    if config is None:
        return
    applied = {"seed"} if mode == "sample" else set()
    if config.data.get("image_features") and generator.spec.image_features is not None:
        generator.use_image_features(config.data.image_features)
        applied.add("data.image_features")
    for line in ignored_overrides(config_flags.get_override_values(flags.FLAGS["config"]), generator.config, applied):
        print(line, file=sys.stderr)


def evaluate_shipped(generator, input_path: str | None, split: str | None, output: str | None) -> None:
    """`--mode=eval` without a workdir: the shipped weights' layout metrics (MODEL_CARD.md) on a data set."""
    from dlt_jax.data.readers import REAL_DATA  # noqa: PLC0415
    from dlt_jax.evaluation import run as evaluation  # noqa: PLC0415

    unreadable: list[dict[str, str]] = []
    examples = evaluation.split_examples(generator.config.data, split or "dev", input_path or REAL_DATA, unreadable)
    output = output or "dlt_eval"
    report = evaluation.evaluate_layouts(generator, examples, output, seed=int(generator.config.seed),
                                         unreadable=unreadable)
    print(evaluation.headline(report))
    print(f"wrote {output}/report.md, report.json and index.html")


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    logging.set_verbosity(logging.WARNING)
    config, workdir = _CONFIG.value, _WORKDIR.value
    restores = {"step": _STEP.value, "checkpoint": _CHECKPOINT.value}
    check_flags(_MODE.value, config, workdir)
    # Imports after flag parsing: JAX and grain start threads we do not want in `--help`.
    if _MODE.value == "data":
        from dlt_jax.data.inspect import format_summary, inspect_data  # noqa: PLC0415
        print(format_summary(inspect_data(config, workdir), workdir))
    elif _MODE.value == "train":
        from dlt_jax.train import loop  # noqa: PLC0415
        loop.run(config, workdir)
    elif _MODE.value == "sample":
        if not _INPUT.value or not _OUTPUT.value:
            raise app.UsageError("--mode=sample needs --input=PATH and --output=DIR")
        from dlt_jax.inference import load_generator  # noqa: PLC0415
        from dlt_jax.predict import PredictError, read_partial_layouts, run_sample  # noqa: PLC0415
        try:
            partials = read_partial_layouts(_PARTIAL.value) if _PARTIAL.value else {}
            generator = load_generator(workdir, sample_config=None if config is None else config.sample, **restores)
            apply_config(generator, config, "sample")
            seed = int((config or generator.config).seed)
            summary = run_sample(generator, _INPUT.value, _OUTPUT.value, boxes=_BOXES.value, seed=seed,
                                 meta={"weights": workdir or "shipped (MODEL_CARD.md)"}, partials=partials)
        except PredictError as error:  # a partial layout that names no section or contradicts its html
            raise SystemExit(f"dlt_jax.main: {error}") from None
        print(f"wrote {summary['predicted']} layouts to {summary['output']} ({summary['skipped']} inputs skipped, "
              f"{summary['repaired']} needed a repair; summary.json lists them); report: {summary['report']}")
    elif workdir is None:
        from dlt_jax.inference import load_generator  # noqa: PLC0415
        generator = load_generator(sample_config=None if config is None else config.sample)
        apply_config(generator, config, "eval")
        evaluate_shipped(generator, _INPUT.value, _SPLIT.value, _OUTPUT.value)
    else:
        from dlt_jax.evaluation import run as evaluation  # noqa: PLC0415
        from dlt_jax.inference import load_generator  # noqa: PLC0415
        from dlt_jax.train import evaluate  # noqa: PLC0415
        generator = load_generator(workdir, sample_config=config.sample, **restores)  # restored once, for both
        losses = evaluate.evaluate_checkpoint(config, workdir, _SPLIT.value, step=generator.step,
                                              checkpoint=_CHECKPOINT.value, ema=(generator.graphdef, generator.params))
        print(evaluate.format_report(losses))
        unreadable: list[dict[str, str]] = []
        examples = evaluation.split_examples(config.data, losses["split"], errors=unreadable)
        report = evaluation.evaluate_layouts(generator, examples, losses["written"], seed=config.seed,
                                             unreadable=unreadable)
        print(evaluation.headline(report))
        print(f"wrote {losses['written']}/report.md and report.json")


if __name__ == "__main__":
    app.run(main)
