"""The grain pipeline: fixed-shape batches whose targets decode back to the layouts, deterministically."""

import gc

import numpy as np
import pytest

from configs import test as test_config
from dlt_jax.data import dataset as dataset_module
from dlt_jax.data.pipeline import kept_indices, make_pipeline, padded_eval_indices, shard_indices
from dlt_jax.data.readers import BUNDLED_DATA
from dlt_jax.data.transforms import STRATEGIES, boxes_to_targets, letterbox_geometry
from dlt_jax.layout import CONTENT_KEYS, OutputStyle, decode_layout, load_json, parse_html

SHAPES = {  # key: (shape without batch, dtype) for the test config: N 64 slots, S 32 px, C 8 classes
    "image": ((32, 32, 3), np.float32), "tag_id": ((64,), np.int32), "class_ids": ((64, 8), np.int32),
    "css_parts": ((64, 8, 5), np.int32), "content_kinds": ((64, len(CONTENT_KEYS)), np.bool_),
    "depth": ((64,), np.int32), "sibling_index": ((64,), np.int32), "child_count": ((64,), np.int32),
    "parent_slot": ((64,), np.int32), "actions": ((64,), np.int32), "boxes": ((64, 4), np.float32),
    "slot_valid": ((64,), np.bool_), "box_valid": ((64,), np.bool_), "gen_action": ((64,), np.bool_),
    "gen_box": ((64, 4), np.bool_), "mask_strategy": ((), np.int32), "node_count": ((), np.int32),
    "example_index": ((), np.int32), "example_valid": ((), np.bool_),
}


@pytest.fixture
def config():
    data = test_config.get_config().data
    data.batch_size = 2
    return data


def _pipeline(config, data, **kwargs):
    kwargs.setdefault("shard_index", 0)
    kwargs.setdefault("shard_count", 1)
    return make_pipeline(config, data=data, **kwargs)


def _take(pipeline, count):
    iterator = iter(pipeline)
    batches = [next(iterator) for _ in range(count)]
    iterator.close()
    return batches


def _copy(batches):
    """Plain numpy copies, so that worker-made shared memory can be released before exit."""
    return [{k: np.array(v) for k, v in batch.items()} for batch in batches]


def test_train_batches_have_fixed_shapes_dtypes_and_consistent_values(config, bundled_data):
    (batch,) = _take(_pipeline(config, bundled_data, seed=0), 1)
    assert {k: (v.shape[1:], v.dtype) for k, v in batch.items()} == SHAPES
    assert all(v.shape[0] == 2 for v in batch.values())
    assert -1.0 <= batch["image"].min() < 0 < batch["image"].max() <= 1.0
    counts = bundled_data.node_counts("train")[batch["example_index"]]
    assert batch["node_count"].tolist() == counts.tolist()
    assert batch["slot_valid"].sum(axis=1).tolist() == counts.tolist()
    assert ((batch["actions"] > 0) == batch["slot_valid"]).all()  # PAD exactly on the padding
    assert not (batch["gen_action"] & ~batch["slot_valid"]).any()
    assert not (batch["gen_box"] & ~batch["slot_valid"][..., None]).any()
    assert (batch["box_valid"] <= batch["slot_valid"]).all() and batch["example_valid"].all()


def test_decoded_targets_reproduce_each_layout(config, bundled_data):
    source = bundled_data.source("train")
    seen = 0
    for batch in _pipeline(config, bundled_data, mode="eval", split="train", batch_size=2):
        for row in np.flatnonzero(batch["example_valid"]):
            record = source[int(batch["example_index"][row])]
            tree = parse_html(load_json(record["html"]))
            n = int(batch["node_count"][row])
            names = bundled_data.vocab.action_names(batch["actions"][row, :n])
            decoded = decode_layout(tree, names, OutputStyle.from_name(record["output_style"].decode()))
            assert decoded.layout == load_json(record["layout"]) and not decoded.repairs
            seen += 1
    assert seen == 5


def test_batch_boxes_are_the_letterboxed_html_boxes(config, bundled_data):
    (batch,) = _take(_pipeline(config, bundled_data, mode="eval", split="train", batch_size=2), 1)
    record = bundled_data.source("train")[int(batch["example_index"][0])]
    width, height = record["original_size"]
    expected, valid = boxes_to_targets(record["html_boxes"], letterbox_geometry(width, height, 64))
    n = len(expected)
    np.testing.assert_allclose(batch["boxes"][0, :n], expected)
    assert batch["box_valid"][0, :n].tolist() == valid.tolist() and not batch["boxes"][0, n:].any()
    # hero_basic's root box covers the screenshot: centred, full width
    np.testing.assert_allclose(batch["boxes"][0, 0, [0, 2]], [0.0, 1.0], atol=1e-6)


def test_eval_mode_generates_everything_and_pads_the_last_batch(config, bundled_data):
    pipeline = _pipeline(config, bundled_data, mode="eval", split="train", batch_size=2)
    batches = list(pipeline)
    assert len(batches) == pipeline.batches_per_epoch == 3 and pipeline.num_examples == 5
    indices = np.concatenate([b["example_index"] for b in batches])
    assert indices.tolist() == [0, 1, 2, 3, 4, -1]  # record order, once each, one blank
    valid = np.concatenate([b["example_valid"] for b in batches])
    assert valid.tolist() == [True] * 5 + [False]
    for batch in batches:
        assert (batch["gen_action"] == batch["slot_valid"]).all()
        assert (batch["gen_box"] == batch["slot_valid"][..., None]).all()
        assert (batch["mask_strategy"] == STRATEGIES.index("all")).all()
    assert not batches[-1]["slot_valid"][1].any() and batches[-1]["node_count"][1] == 0


def test_longer_examples_than_max_slots_are_skipped_and_counted(config, bundled_data):
    config.max_slots = 15  # bundled node counts: 8, 27, 16, 11, 15
    pipeline = _pipeline(config, bundled_data, mode="eval", split="train", batch_size=1)
    assert pipeline.skipped_over_length == 2 and pipeline.num_examples == 3
    indices = [int(b["example_index"][0]) for b in pipeline]
    assert indices == [0, 3, 4]
    assert kept_indices(np.array([8, 27, 16, 11, 15]), 15) == (pytest.approx(np.array([0, 3, 4])), 2)


def test_task_mask_strategies_follow_the_configured_mixture(config, bundled_data):
    config.num_epochs = 60
    config.batch_size = 5
    strategies = np.concatenate([b["mask_strategy"] for b in _pipeline(config, bundled_data, seed=1)])
    assert len(strategies) == 300
    shares = np.bincount(strategies, minlength=len(STRATEGIES)) / len(strategies)
    expected = [config.task_masks.probabilities[s] for s in STRATEGIES]
    np.testing.assert_allclose(shares, expected, atol=0.08)


def test_one_strategy_only_when_configured(config, bundled_data):
    config.task_masks.probabilities = {"loc": 1.0}
    (batch,) = _take(_pipeline(config, bundled_data), 1)
    assert (batch["mask_strategy"] == STRATEGIES.index("loc")).all() and not batch["gen_action"].any()
    assert not batch["gen_box"][..., 2:].any() and batch["gen_box"][..., :2].any()


def test_same_seed_same_batches_and_other_seed_other_order(config, bundled_data):
    first = _take(_pipeline(config, bundled_data, seed=5), 5)
    again = _take(_pipeline(config, bundled_data, seed=5), 5)
    other = _take(_pipeline(config, bundled_data, seed=6), 5)
    assert all(np.array_equal(a[k], b[k]) for a, b in zip(first, again) for k in a)
    orders = [np.concatenate([b["example_index"] for b in run]).tolist() for run in (first, other)]
    assert orders[0] != orders[1]
    epoch = np.concatenate([b["example_index"] for b in first])[:4]
    assert len(set(epoch.tolist())) == 4  # two full batches of one epoch: no repeats


def test_worker_count_does_not_change_the_batches(config, bundled_data):
    reference = _take(_pipeline(config, bundled_data, seed=3, num_workers=0), 6)
    with_workers = _copy(_take(_pipeline(config, bundled_data, seed=3, num_workers=2), 6))
    gc.collect()
    for a, b in zip(reference, with_workers):
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_iterator_state_restores_the_exact_position(config, bundled_data):
    pipeline = _pipeline(config, bundled_data, seed=2, num_workers=1)
    iterator = iter(pipeline)
    for _ in range(3):
        next(iterator)
    state = iterator.get_state()
    expected = _copy([next(iterator) for _ in range(2)])
    iterator.close()
    resumed = iter(pipeline)
    resumed.set_state(state)
    got = _copy([next(resumed) for _ in range(2)])
    resumed.close()
    gc.collect()
    assert all(np.array_equal(a[k], b[k]) for a, b in zip(expected, got) for k in a)


def test_hosts_read_disjoint_shards_of_equal_batch_count(config, bundled_data):
    runs = [_pipeline(config, bundled_data, mode="eval", split="train", batch_size=2, shard_index=i,
                      shard_count=2) for i in range(2)]
    assert [r.batches_per_epoch for r in runs] == [2, 2]
    seen = [np.concatenate([b["example_index"] for b in run]) for run in runs]
    assert seen[0].tolist() == [0, 2, 4, -1] and seen[1].tolist() == [1, 3, -1, -1]
    assert shard_indices(np.arange(5), 1, 2).tolist() == [1, 3]
    assert padded_eval_indices(np.array([1, 3]), 5, 2, 2).tolist() == [1, 3, -1, -1]


def test_without_a_path_the_default_data_set_is_built_and_used(config, tmp_path, monkeypatch):
    monkeypatch.setattr(dataset_module, "default_data_path", lambda: BUNDLED_DATA)
    config.data_dir = str(tmp_path)
    config.path = None
    pipeline = make_pipeline(config, shard_index=0, shard_count=1)
    assert pipeline.data.metadata["source"] == str(BUNDLED_DATA)
    assert pipeline.data.path.is_relative_to(tmp_path) and pipeline.num_examples == 5


def test_missing_split_and_small_data_are_clear_errors(config, bundled_data):
    with pytest.raises(Exception, match="no split 'val'; it has train"):
        _pipeline(config, bundled_data, mode="eval")
    config.batch_size = 8
    with pytest.raises(ValueError, match="5 usable records on this host, fewer than batch_size 8"):
        _pipeline(config, bundled_data)


@pytest.mark.slow
def test_default_data_set_builds_from_scratch_and_one_epoch_runs(tmp_path):
    """The fresh-clone path: no data.path, empty cache -> build the embedded set, read one epoch."""
    if dataset_module.default_data_path() == BUNDLED_DATA:
        pytest.skip("the embedded data set is not there (being generated?)")
    config = test_config.get_config().data
    config.data_dir = str(tmp_path)
    config.num_epochs = 1
    config.batch_size = 16
    config.max_slots = 128
    pipeline = make_pipeline(config, shard_index=0, shard_count=1)
    batches = list(pipeline)
    assert len(batches) == pipeline.batches_per_epoch == pipeline.num_examples // 16
    indices = np.concatenate([b["example_index"] for b in batches])
    assert len(set(indices.tolist())) == len(indices)  # one epoch: every record at most once
    assert all(b["image"].shape == (16, 32, 32, 3) for b in batches)
