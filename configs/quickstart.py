"""Quickstart: a small run on a CPU in minutes, on the embedded synthetic set and the real sections.

    python -m dlt_jax.main --config=configs/quickstart.py --workdir=/tmp/dlt_quickstart

The real corpus's train split (dlt_jax/data/real, 102 hand-annotated template sections) is mixed
into every epoch, each section `data.mix.repeat` times; the checkpoint kept in checkpoints/best/ is
the one best on its dev split (other packages, other authoring styles).
"""

from ml_collections import ConfigDict

from configs import base
from dlt_jax.data.readers import REAL_DATA


def get_config() -> ConfigDict:
    config = base.get_config()
    config.data.max_patches = 128
    config.data.batch_size = 16
    config.data.eval_batch_size = 32
    # Reader threads in this process give ~190 examples/s at 128 patches on a busy 2-core
    # machine (benchmarks/results/input_pipeline.json), more than a CPU train step takes,
    # and start in 0.1 s where worker processes need ~1 s.
    config.data.num_workers = 0
    config.data.mix.path, config.data.mix.split, config.data.mix.repeat = str(REAL_DATA), "train", 4
    # Each node's rule-baseline action as an input feature: the best one-pass real-dev accuracy of this
    # run went from 0.801 to 0.835 with it (README, Evaluation).
    config.data.tokenizer.rule_prior = True
    # DOM boxes given is the main inference mode, and the only one where the DOM geometry features are
    # read (models/html.py): it gets a quarter of the training examples (DLT's mixture gives it 5 %).
    config.data.task_masks.probabilities = {"all": 0.25, "loc": 0.10, "size": 0.10, "action": 0.25,
                                            "whole_box": 0.20, "random_box_and_action": 0.10}
    model = config.model
    model.d_model, model.num_heads, model.mlp_ratio = 128, 4, 4.0
    model.vit_layers, model.html_layers, model.fusion_layers, model.dit_layers = 1, 2, 1, 4
    model.dtype = "float32"  # bfloat16 is emulated, and slower, on most CPUs
    train = config.train
    train.steps, train.warmup_steps, train.learning_rate = 2000, 200, 1e-3
    train.ema_decay = 0.999
    train.save_every, train.log_every, train.eval_every = 250, 50, 500
    train.select.path, train.select.split, train.select.every = str(REAL_DATA), "dev", 250
    return config
