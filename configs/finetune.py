"""Fine-tuning: the release model trained on further, mostly on the real sections' train split.

    python -m dlt_jax.main --config=configs/release.py --workdir=/tmp/dlt_release
    python -m dlt_jax.main --config=configs/finetune.py --workdir=/tmp/dlt_finetune \\
        --config.train.init_from=/tmp/dlt_release

The run starts from the EMA params of `train.init_from` (a release workdir's best checkpoint, or a
weights folder such as dlt_jax/pretrained/release) with a fresh optimizer and a low learning rate.
The synthetic set stays in (its tokenizer is the model's, and it keeps what was learned there), but
each real-train section comes `data.mix.repeat` times an epoch: about three in four examples are real.
The checkpoint kept is the one best on the real dev split (other packages, other authoring styles).

Measured on this 2-core CPU from the release run's best checkpoint (real-dev one-pass accuracy 0.820):
the best of 10 selections was 0.814 (step 100), the rest 0.803-0.810. Leaning harder on the real-train
sections, all of one authoring style, moves the model away from the dev styles, so the shipped weights
are the release run's own.
"""

from ml_collections import ConfigDict

from configs import release


def get_config() -> ConfigDict:
    config = release.get_config()
    config.data.mix.repeat = 32
    train = config.train
    train.init_from = "/tmp/dlt_release"
    train.steps, train.warmup_steps, train.learning_rate = 1000, 50, 2e-4
    train.save_every, train.eval_every = 100, 500
    train.select.every = 100
    return config
