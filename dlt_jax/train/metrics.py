"""Where training reports to: one JSON object a line in `metrics.jsonl`, and TensorBoard events.

On resume the lines and TensorBoard events after the restored step are
dropped, so an interrupted and resumed run leaves the same log as one that
was never stopped.
"""

from __future__ import annotations

import json
import os
import struct
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

METRICS_FILE = "metrics.jsonl"
TENSORBOARD_DIR = "tensorboard"


def read_metrics(workdir: str | Path) -> list[dict[str, Any]]:
    path = Path(workdir) / METRICS_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class MetricsWriter:
    """Appends metrics lines and mirrors the numbers to TensorBoard (tensorboardX: no TensorFlow)."""

    def __init__(self, workdir: str | Path, enabled: bool = True):
        self.path = Path(workdir) / METRICS_FILE
        self.tensorboard_dir = Path(workdir) / TENSORBOARD_DIR
        self.enabled = enabled
        self._tensorboard = None  # opened at the first write, after any truncation of the old event files

    def truncate_after(self, step: int) -> int:
        """Drops the lines and TensorBoard events of steps after `step` (what a killed run logged past
        its checkpoint); returns the number of lines dropped."""
        if not self.enabled:
            return 0
        if self._tensorboard is not None:  # its event file is about to be rewritten: reopen at the next write
            self._tensorboard.close()
            self._tensorboard = None
        truncate_events_after(self.tensorboard_dir, step)
        if not self.path.is_file():
            return 0
        lines = [line for line in self.path.read_text().splitlines() if line.strip()]
        kept = [line for line in lines if json.loads(line)["step"] <= step]
        self.path.write_text("".join(line + "\n" for line in kept))
        return len(lines) - len(kept)

    def write(self, step: int, split: str, values: Mapping[str, float], mode: str = "train") -> None:
        """One line `{"step", "split", "mode", ...values}`; mode is `train` (the optimised batches) or
        `eval` (a validation pass over `split`)."""
        if not self.enabled:
            return
        record = {"step": int(step), "split": split, "mode": mode, **{k: _plain(v) for k, v in values.items()}}
        with self.path.open("a") as stream:
            stream.write(json.dumps(record) + "\n")
        if self._tensorboard is None:
            from tensorboardX import SummaryWriter  # noqa: PLC0415 - only the writing host needs it
            # tensorboardX names files by the second: a writer opened within the second of the last
            # run's would overwrite its file, so the name carries the nanoseconds too.
            self._tensorboard = SummaryWriter(str(self.tensorboard_dir), filename_suffix=f".{time.time_ns()}")
        for key, value in values.items():
            if isinstance(value, (int, float)):
                self._tensorboard.add_scalar(f"{mode}_{split}/{key}", value, step)
        self._tensorboard.flush()

    def close(self) -> None:
        if self._tensorboard is not None:
            self._tensorboard.close()


# ----------------------------------------------------------------------------- TensorBoard event files
# An event file is TFRecord framing around serialized `Event` protos: u64 length, u32 masked CRC of the
# length, the bytes, u32 masked CRC of the bytes. TensorBoard's own purge (a SessionLog.START event) depends
# on the reader and its flags, so a resumed run rewrites the files instead.

def read_records(path: str | Path) -> Iterator[bytes]:
    """The records of a TFRecord file; a torn last record (a killed writer) ends the file."""
    data = Path(path).read_bytes()
    offset = 0
    while offset + 12 <= len(data):
        (length,) = struct.unpack("<Q", data[offset:offset + 8])
        end = offset + 12 + length + 4
        if end > len(data):
            return
        yield data[offset + 12:offset + 12 + length]
        offset = end


def write_records(path: str | Path, records: list[bytes]) -> None:
    """`records` as a TFRecord file, replaced atomically."""
    from tensorboardX.record_writer import masked_crc32c  # noqa: PLC0415

    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as stream:
        for record in records:
            header = struct.pack("<Q", len(record))
            stream.write(header + struct.pack("<I", masked_crc32c(header)) + record
                         + struct.pack("<I", masked_crc32c(record)))
    os.replace(partial, path)


def read_events(folder: str | Path) -> list[Any]:
    """Every `Event` of the event files in `folder`, file by file in name (= creation time) order."""
    from tensorboardX.proto.event_pb2 import Event  # noqa: PLC0415

    return [Event.FromString(record) for path in sorted(Path(folder).glob("events.out.tfevents.*"))
            for record in read_records(path)]


def truncate_events_after(folder: str | Path, step: int) -> int:
    """Rewrites the event files in `folder` without the summaries of steps after `step`; files left
    without any summary are removed. Returns the number of events dropped."""
    from tensorboardX.proto.event_pb2 import Event  # noqa: PLC0415

    dropped = 0
    for path in sorted(Path(folder).glob("events.out.tfevents.*")):
        records = list(read_records(path))
        events = [Event.FromString(record) for record in records]
        kept = [r for r, e in zip(records, events) if not (e.HasField("summary") and e.step > step)]
        dropped += len(records) - len(kept)
        if not any(Event.FromString(r).HasField("summary") for r in kept):
            path.unlink()
        elif len(kept) < len(records) or path.stat().st_size != sum(len(r) + 16 for r in records):
            write_records(path, kept)
    return dropped


def _plain(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value
