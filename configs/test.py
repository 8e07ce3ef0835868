"""Tiny configuration for tests: small images, few slots, no worker processes.

    python -m dlt_jax.main --config=configs/test.py --workdir=/tmp/dlt_test
"""

from ml_collections import ConfigDict

from configs import base


def get_config() -> ConfigDict:
    config = base.get_config()
    data = config.data
    data.build_image_size = 64
    data.image_size = 32
    data.max_slots = 64
    data.batch_size = 4
    data.eval_batch_size = 4
    data.num_workers = 0
    data.read_threads = 1
    data.prefetch_batches = 1
    data.tokenizer.tag_vocab_size = 16
    data.tokenizer.tag_hash_buckets = 4
    data.tokenizer.class_hash_buckets = 256
    return config
