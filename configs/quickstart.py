"""Quickstart: a small run on a CPU in minutes, on the embedded data set.

    python -m dlt_jax.main --config=configs/quickstart.py --workdir=/tmp/dlt_quickstart
"""

from ml_collections import ConfigDict

from configs import base


def get_config() -> ConfigDict:
    config = base.get_config()
    config.data.max_patches = 128
    config.data.batch_size = 16
    config.data.eval_batch_size = 32
    # Reader threads in this process give ~190 examples/s at 128 patches on a busy 2-core
    # machine (benchmarks/results/input_pipeline.json), more than a CPU train step takes,
    # and start in 0.1 s where worker processes need ~1 s.
    config.data.num_workers = 0
    model = config.model
    model.d_model, model.num_heads, model.mlp_ratio = 128, 4, 4.0
    model.vit_layers, model.html_layers, model.fusion_layers, model.dit_layers = 1, 2, 1, 4
    model.dtype = "float32"  # bfloat16 is emulated, and slower, on most CPUs
    train = config.train
    train.steps, train.warmup_steps, train.learning_rate = 2000, 200, 1e-3
    train.ema_decay = 0.999
    train.save_every, train.log_every, train.eval_every = 250, 50, 500
    return config
