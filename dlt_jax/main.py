"""dlt_jax entry point: flags and config, then hand over.

    python -m dlt_jax.main --config=configs/quickstart.py --workdir=/tmp/dlt_quickstart --mode=data

`--mode=data` builds the data set on first use (the embedded one unless
`--config.data.path` names another) and runs one epoch of the input pipeline,
writing a summary and a picture of the first batch into the workdir. The
train, eval and sample modes arrive with the model and training.
"""

from absl import app, flags
from ml_collections import config_flags

MODES = ("data",)

_CONFIG = config_flags.DEFINE_config_file("config", None, "configuration file (configs/*.py)", lock_config=True)
_WORKDIR = flags.DEFINE_string("workdir", None, "folder for outputs (and, later, checkpoints)")
_MODE = flags.DEFINE_enum("mode", "data", MODES, "what to run")
flags.mark_flags_as_required(["config", "workdir"])


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    from dlt_jax.data.inspect import format_summary, inspect_data  # noqa: PLC0415 - after flag parsing
    summary = inspect_data(_CONFIG.value, _WORKDIR.value)
    print(format_summary(summary, _WORKDIR.value))


if __name__ == "__main__":
    app.run(main)
