"""The tiny training run the inference and weights tests share (the `tiny_workdir` fixture)."""

from configs import test as test_config


def tiny_run_config(data_path):
    """configs/test.py trained 4 steps on a built data set, one 32-slot bucket."""
    config = test_config.get_config()
    config.data.path = str(data_path)
    config.data.eval_split = "train"
    config.data.max_slots, config.data.slot_buckets = 32, (32,)
    config.train.steps, config.train.save_every, config.train.eval_every = 4, 4, 1000
    return config
