"""Tiny configuration for tests: few small patches, few slots, no worker processes.

    python -m dlt_jax.main --config=configs/test.py --workdir=/tmp/dlt_test
"""

from ml_collections import ConfigDict

from configs import base


def get_config() -> ConfigDict:
    config = base.get_config()
    data = config.data
    data.build_image_size = 64
    data.max_patches = 16
    data.patch_size = 8
    data.max_slots = 64
    data.slot_buckets = (16, 32, 64)
    data.batch_size = 4
    data.eval_batch_size = 4
    data.num_workers = 0
    data.read_threads = 1
    data.prefetch_batches = 1
    data.tokenizer.tag_vocab_size = 16
    data.tokenizer.tag_hash_buckets = 4
    data.tokenizer.class_hash_buckets = 256
    data.tokenizer.class_part_buckets = 128
    model = config.model
    model.d_model, model.num_heads, model.mlp_ratio = 32, 2, 2.0
    model.vit_layers, model.html_layers, model.fusion_layers, model.dit_layers = 1, 1, 1, 2
    model.dtype = "float32"
    model.roi_pool = 0  # the model tests switch it on where they test it
    config.diffusion.steps = 20
    train = config.train
    train.steps, train.warmup_steps, train.learning_rate = 20, 5, 1e-3
    train.ema_decay = 0.99
    train.save_every, train.log_every, train.eval_every, train.eval_batches = 10, 5, 10, 2
    train.overlay_examples = 2
    config.sample.steps = 10
    config.sample.batch_size = 4
    return config
