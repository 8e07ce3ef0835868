"""data.mix: a second data set mixed into every training epoch, oversampled by `repeat`."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from configs import test as test_config
from dlt_jax.data.pipeline import ConcatSource, make_pipeline, mix_in


@pytest.fixture
def config():
    data = test_config.get_config().data
    data.batch_size = 3
    data.num_epochs = 1
    data.shuffle = False
    return data


def epoch_indices(pipeline) -> list[int]:
    """The example_index of every real row of one epoch, in order."""
    indices = []
    iterator = iter(pipeline)
    for batch in iterator:
        indices += [int(i) for i, valid in zip(batch["example_index"], batch["slot_valid"].any(-1)) if valid]
    return indices


def test_concat_source_reads_each_source_in_turn():
    source = ConcatSource((["a", "b"], ["c"], ["d", "e"]))
    assert len(source) == 5
    assert [source[i] for i in range(5)] == ["a", "b", "c", "d", "e"]
    with pytest.raises(IndexError):
        source[5]


def test_mixed_records_follow_the_main_ones_and_repeat(bundled_data):
    mixture = mix_in(bundled_data, "train", 128, bundled_data, "train", repeat=3)
    main = len(bundled_data.node_counts("train"))
    assert mixture.mixed == 3 * main
    assert list(mixture.kept) == list(range(main)) + list(range(main, 2 * main)) * 3
    assert list(mixture.node_counts) == list(bundled_data.node_counts("train")) * 4
    mixed_record, record = mixture.source[main + 1], bundled_data.source("train")[1]
    assert all(np.array_equal(mixed_record[key], record[key]) for key in record)


def test_an_epoch_draws_every_mixed_record_repeat_times(config, bundled_data):
    plain = epoch_indices(make_pipeline(config, data=bundled_data, shard_index=0, shard_count=1))
    config.mix.path = str(bundled_data.path)
    config.mix.repeat = 2
    pipeline = make_pipeline(config, data=bundled_data, shard_index=0, shard_count=1)
    mixed = epoch_indices(pipeline)
    main = len(bundled_data.node_counts("train"))
    assert pipeline.mixed is not None and pipeline.mixed.fingerprint == bundled_data.fingerprint
    assert len(plain) == main // 3 * 3 and len(mixed) == 3 * main // 3 * 3
    counts = collections.Counter(mixed)
    assert all(counts[i] == 1 for i in range(main))           # unshuffled: every main record once
    assert sum(counts[i] for i in range(main, 2 * main)) == 2 * main  # every mixed record twice
    assert max(mixed) < 2 * main


def test_nothing_is_mixed_in_evaluation_or_with_repeat_zero(config, bundled_data):
    config.mix.path = str(bundled_data.path)
    assert make_pipeline(config, data=bundled_data, mode="eval", split="train", shard_index=0,
                         shard_count=1).mixed is None
    config.mix.repeat = 0
    assert make_pipeline(config, data=bundled_data, shard_index=0, shard_count=1).mixed is None
    assert np.array_equal(mix_in(bundled_data, "train", 128, bundled_data, repeat=0).kept,
                          np.arange(len(bundled_data.node_counts("train"))))
