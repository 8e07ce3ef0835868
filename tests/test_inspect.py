"""One epoch of the training data through `python -m dlt_jax.main --mode=data`."""

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

from configs import test as test_config
from dlt_jax import viz
from dlt_jax.data.inspect import inspect_data

ROOT = Path(__file__).resolve().parent.parent


def test_one_epoch_is_counted_and_pictured(bundled_data, tmp_path):
    config = test_config.get_config()
    config.data.path = str(bundled_data.path)
    summary = inspect_data(config, tmp_path, progress=False)
    assert summary["examples_per_epoch"] == 5 and summary["batches"] == 1
    assert summary["examples_seen"] == 4                     # batch 4, the partial batch dropped
    assert sum(summary["task_mask_strategies"].values()) == 4
    assert 8 <= summary["slots_per_example"] <= 27           # the bundled examples' node counts
    assert sum(summary["batches_per_bucket"].values()) == 1 and list(summary["batches_per_bucket"]) == \
        ["16", "32", "64"]
    assert (summary["max_patches"], summary["patch_size"]) == (16, 8)
    assert 0.7 <= summary["patch_fill"] <= 1.0               # 960 px wide sections: 12-15 of 16 patches
    assert 0 < summary["slot_fill"] <= 1.0
    assert json.loads((tmp_path / "data_summary.json").read_text()) == summary
    width, height = Image.open(tmp_path / "data_batch.png").size
    assert width == 4 * viz.BATCH_TILE_WIDTH + 3 * 4 and viz.BATCH_TILE_WIDTH // 3 <= height < viz.BATCH_TILE_WIDTH


def test_main_runs_the_data_mode_and_refuses_missing_flags(bundled_data, tmp_path):
    command = [sys.executable, "-m", "dlt_jax.main", "--config=configs/test.py", f"--workdir={tmp_path}",
               f"--config.data.path={bundled_data.path}", "--mode=data"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "examples_per_epoch        5" in done.stdout
    refused = subprocess.run(command[:3], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0 and "workdir" in refused.stderr
