"""Where training reports to: one JSON object a line in `metrics.jsonl`, and TensorBoard events.

On resume the lines after the restored step are dropped, so an interrupted
and resumed run leaves the same log as one that was never stopped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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
        self.enabled = enabled
        self._tensorboard = None
        if enabled:
            from tensorboardX import SummaryWriter  # noqa: PLC0415 - only the writing host needs it
            self._tensorboard = SummaryWriter(str(Path(workdir) / TENSORBOARD_DIR))

    def truncate_after(self, step: int) -> int:
        """Drops the lines of steps after `step` (what a killed run logged past its checkpoint)."""
        if not self.enabled or not self.path.is_file():
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
        for key, value in values.items():
            if isinstance(value, (int, float)):
                self._tensorboard.add_scalar(f"{mode}_{split}/{key}", value, step)
        self._tensorboard.flush()

    def close(self) -> None:
        if self._tensorboard is not None:
            self._tensorboard.close()


def _plain(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value
