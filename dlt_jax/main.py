"""dlt_jax entry point: flags and config, then hand over.

    python -m dlt_jax.main --config=configs/quickstart.py --workdir=/tmp/dlt_quickstart

`--mode=train` (the default) trains, resuming from the workdir's newest
checkpoint; `--mode=eval` scores the newest checkpoint's EMA weights on
`--split`; `--mode=data` runs one epoch of the input pipeline and draws its
first batch. Any config value can be overridden: `--config.train.steps=500`.
"""

from absl import app, flags, logging
from ml_collections import config_flags

MODES = ("train", "eval", "data")

_CONFIG = config_flags.DEFINE_config_file("config", None, "configuration file (configs/*.py)", lock_config=True)
_WORKDIR = flags.DEFINE_string("workdir", None, "folder for checkpoints, metrics and pictures")
_MODE = flags.DEFINE_enum("mode", "train", MODES, "what to run")
_SPLIT = flags.DEFINE_string("split", None, "--mode=eval: the split to score (default: config.data.eval_split)")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    logging.set_verbosity(logging.WARNING)
    config, workdir = _CONFIG.value, _WORKDIR.value
    # Imports after flag parsing: JAX and grain start threads we do not want in `--help`.
    if _MODE.value == "data":
        from dlt_jax.data.inspect import format_summary, inspect_data  # noqa: PLC0415
        print(format_summary(inspect_data(config, workdir), workdir))
    elif _MODE.value == "train":
        from dlt_jax.train import loop  # noqa: PLC0415
        loop.run(config, workdir)
    else:
        from dlt_jax.train import evaluate  # noqa: PLC0415
        print(evaluate.format_report(evaluate.evaluate_checkpoint(config, workdir, _SPLIT.value)))


if __name__ == "__main__":
    app.run(main)
