"""Checkpoint metadata: a resumed run must match the stored one, and says exactly what differs."""

import grain
import jax.numpy as jnp
import numpy as np
import pytest

from dlt_jax.train.checkpoint import CheckpointMismatch, Checkpointer, flatten_config, mismatches
from model_inputs import tiny_config


def _meta(config=None, vocabulary=("PAD", "MASK", "heading"), fingerprint="abc-jpeg64"):
    config = config or tiny_config()
    return {"config": config.to_dict(), "vocabulary": list(vocabulary), "data_fingerprint": fingerprint,
            "data_path": "/data", "model_spec": {"vocab_size": len(vocabulary)}}


def test_flatten_config_joins_keys_and_lists_tuples():
    assert flatten_config({"a": {"b": 1, "c": (2, 3)}, "d": "x"}) == {"a.b": 1, "a.c": [2, 3], "d": "x"}


def test_same_settings_match_and_runtime_settings_may_change():
    changed = tiny_config()
    changed.train.steps, changed.data.num_workers, changed.train.eval_every = 999, 3, 7
    assert mismatches(_meta(), _meta(changed)) == []


def test_each_difference_is_named():
    changed = tiny_config()
    changed.model.d_model = 48
    changed.data.slot_buckets = (32, 64)
    problems = mismatches(_meta(), _meta(changed, vocabulary=("PAD", "MASK", "button", "icon"), fingerprint="zzz-jpeg64"))
    assert "config model.d_model: checkpoint 32, now 48" in problems
    assert "config data.slot_buckets: checkpoint [16, 32, 64], now [32, 64]" in problems
    assert any(p.startswith("vocabulary:") for p in problems)
    assert any(p.startswith("data: checkpoint trained on abc-jpeg64") for p in problems)
    assert any(p.startswith("model inputs:") for p in problems)


def test_an_evaluation_may_read_another_data_set_but_not_another_model():
    other_data = _meta(fingerprint="zzz-jpeg64")
    assert mismatches(_meta(), other_data, data=False) == []
    changed = tiny_config()
    changed.model.d_model = 48
    assert mismatches(_meta(), _meta(changed, fingerprint="zzz-jpeg64"), data=False) == [
        "config model.d_model: checkpoint 32, now 48"]


def test_state_iterator_and_metadata_round_trip(tmp_path):
    iterator = iter(grain.MapDataset.range(10).to_iter_dataset())
    state = {"w": jnp.arange(6.0).reshape(2, 3), "step": jnp.array(3, jnp.int32)}
    checkpointer = Checkpointer(tmp_path, keep=2)
    for step in (1, 2, 3):
        next(iterator)
        checkpointer.save(step, state, iterator, _meta())
    checkpointer.wait()
    assert checkpointer.manager.all_steps() == [2, 3] and checkpointer.latest_step() == 3
    expected_next = next(iterator)
    resumed = iter(grain.MapDataset.range(10).to_iter_dataset())
    restored, meta = checkpointer.restore(3, {"w": jnp.zeros((2, 3)), "step": jnp.array(0, jnp.int32)}, resumed)
    np.testing.assert_array_equal(restored["w"], state["w"])
    assert next(resumed) == expected_next and meta["data_fingerprint"] == "abc-jpeg64"
    changed = tiny_config()
    changed.model.dit_layers = 5
    with pytest.raises(CheckpointMismatch, match=r"model.dit_layers: checkpoint 2, now 5"):
        checkpointer.check_compatible(3, _meta(changed))
    checkpointer.close()
