"""The training log on resume: metrics.jsonl lines and TensorBoard events past the restored step go."""

from pathlib import Path

from dlt_jax.train.metrics import MetricsWriter, read_events, read_metrics, read_records, truncate_events_after


def _scalars(folder):
    return [(e.step, v.tag, round(v.simple_value, 4)) for e in read_events(folder) if e.HasField("summary")
            for v in e.summary.value]


def _log(workdir, steps, loss):
    writer = MetricsWriter(workdir)
    for step in steps:
        writer.write(step, "train", {"loss": loss + step})
    writer.close()


def test_a_resumed_run_drops_later_lines_and_tensorboard_events(tmp_path):
    _log(tmp_path, [5, 10, 15, 20], 0.0)
    writer = MetricsWriter(tmp_path)
    assert writer.truncate_after(10) == 2
    for step in (15, 20):
        writer.write(step, "train", {"loss": 100.0 + step})
    writer.close()
    assert [(m["step"], m["loss"]) for m in read_metrics(tmp_path)] == [(5, 5), (10, 10), (15, 115), (20, 120)]
    assert _scalars(tmp_path / "tensorboard") == [(5, "train_train/loss", 5), (10, "train_train/loss", 10),
                                                   (15, "train_train/loss", 115), (20, "train_train/loss", 120)]


def test_event_files_left_without_scalars_are_removed_and_a_torn_record_is_cut(tmp_path):
    _log(tmp_path, [5], 0.0)
    _log(tmp_path, [10, 15], 0.0)
    folder = tmp_path / "tensorboard"
    first, second = sorted(folder.iterdir())
    with second.open("ab") as stream:  # a writer killed mid-record
        stream.write(b"\x40\x00\x00\x00\x00\x00\x00\x00partial")
    assert truncate_events_after(folder, 12) == 1
    assert [e.step for e in read_events(folder) if e.HasField("summary")] == [5, 10]
    assert len(list(read_records(second))) == 2  # the file header and step 10; the torn tail is gone
    truncate_events_after(folder, 7)
    assert sorted(Path(p).name for p in folder.iterdir()) == [first.name]
