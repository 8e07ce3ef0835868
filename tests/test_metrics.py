"""metrics.jsonl: one object a line, and a resumed run drops what a killed run logged past its checkpoint."""

from dlt_jax.train.metrics import MetricsWriter, read_metrics


def test_lines_are_written_and_truncated_after_a_step(tmp_path):
    writer = MetricsWriter(tmp_path)
    for step in (5, 10, 15):
        writer.write(step, "train", {"loss": 1.0 / step})
    writer.write(10, "val", {"loss": 0.5}, mode="eval")
    assert writer.truncate_after(10) == 1
    writer.write(15, "train", {"loss": 0.25})
    writer.close()
    assert [(m["step"], m["split"], m["mode"]) for m in read_metrics(tmp_path)] == [
        (5, "train", "train"), (10, "train", "train"), (10, "val", "eval"), (15, "train", "train")]
    assert read_metrics(tmp_path)[-1]["loss"] == 0.25
    assert list((tmp_path / "tensorboard").iterdir())  # event files beside the JSONL
