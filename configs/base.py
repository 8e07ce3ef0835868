"""Base configuration (GPU/TPU scale); later issues add the model and train sections.

    python -m dlt_jax.main --config=configs/base.py --workdir=/tmp/dlt_base

Override any value on the command line, e.g. `--config.data.path=/data/sections`.
"""

from ml_collections import ConfigDict, config_dict

from dlt_jax.data.transforms import DEFAULT_STRATEGY_PROBS


def data_config() -> ConfigDict:
    """The `data` section: where the examples come from and how batches are made."""
    return ConfigDict({
        # A built section_layouts folder, a build_dataset --out folder, a data set folder or a
        # .jsonl manifest; None: the embedded synthetic data set. A source is built once into
        # data_dir (None: $DLT_JAX_DATA_DIR or ~/.cache/dlt_jax/tfds).
        "path": config_dict.placeholder(str),
        "data_dir": config_dict.placeholder(str),
        "build_image_size": 512,      # long side of the stored letterbox canvas
        "image_format": "jpeg",       # stored screenshot encoding: jpeg or png
        "image_size": 256,            # model input (square, letterboxed)
        "max_slots": 128,             # html nodes per example; longer ones are skipped and counted
        "train_split": "train",
        "eval_split": "val",
        "batch_size": 64,
        "eval_batch_size": 64,
        "shuffle": True,
        "num_epochs": config_dict.placeholder(int),  # None: repeat forever
        "num_workers": 4,             # grain worker processes (0: threads in this process)
        "read_threads": 2,            # threads per process reading and transforming records
        "prefetch_batches": 2,        # batches buffered per thread pool / worker
        "eval_strategy": "all",       # task masks at evaluation: generate everything
        "task_masks": {
            "probabilities": dict(DEFAULT_STRATEGY_PROBS),  # DLT's mixture (DESIGN §5)
            "min_ratio": 0.5,         # partial strategies pick U(min_ratio, 1) of the slots
        },
        "tokenizer": {
            "tag_vocab_size": 64,     # most frequent training tags get their own id
            "tag_min_count": 1,
            "tag_hash_buckets": 16,   # other tags share hashed ids
            "max_classes": 8,         # classes per node kept
            "class_hash_buckets": 4096,
            "css_property_buckets": 64,
            "css_value_buckets": 256,
            "max_depth": 31,
            "max_position": 63,       # clip for sibling index and child count
        },
    })


def get_config() -> ConfigDict:
    config = ConfigDict()
    config.seed = 0
    config.data = data_config()
    return config
