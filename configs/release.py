"""Release recipe (first version): the quickstart model trained longer on synthetic + real sections.

    python -m dlt_jax.main --config=configs/release.py --workdir=/tmp/dlt_release

5,000 steps of batch 16 on the embedded synthetic set with the real corpus's train split mixed in
(x4), each node's rule-baseline action as an input (the quickstart's rule prior), the checkpoint kept
in checkpoints/best/ chosen by boxes-given accuracy on the real dev split every 250 steps. On a 2-core
CPU it took 71 min beside other training runs (1.2-2.3 steps/s); without the rule prior, alone, it took
27 min (3.0-3.5 steps/s).
"""

from ml_collections import ConfigDict

from configs import quickstart


def get_config() -> ConfigDict:
    config = quickstart.get_config()
    train = config.train
    train.steps, train.warmup_steps = 5000, 300
    train.eval_every = 1000
    return config
