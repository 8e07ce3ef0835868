"""Quickstart: a small run on a CPU in minutes, on the embedded data set.

    python -m dlt_jax.main --config=configs/quickstart.py --workdir=/tmp/dlt_quickstart
"""

from ml_collections import ConfigDict

from configs import base


def get_config() -> ConfigDict:
    config = base.get_config()
    config.data.image_size = 128
    config.data.batch_size = 16
    config.data.eval_batch_size = 32
    # Reader threads in this process give ~700 examples/s at 128 px on a 2-core machine
    # (benchmarks/results/input_pipeline.json), far more than a CPU train step takes,
    # and start in 0.1 s where worker processes need ~1 s.
    config.data.num_workers = 0
    return config
