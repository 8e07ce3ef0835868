"""The entry point: which flags each mode needs, and sample / eval on the shipped weights without a workdir."""

import json
import subprocess
import sys

import pytest

from dlt_jax.data.readers import BUNDLED_DATA
from dlt_jax.inference import LayoutGenerator
from dlt_jax.main import evaluate_shipped


def run_main(*flags, timeout=600):
    return subprocess.run([sys.executable, "-m", "dlt_jax.main", *flags], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("flags, message", [
    (["--mode=train"], "--mode=train needs --config=configs/....py and --workdir=DIR"),
    (["--mode=data", "--config=configs/test.py"], "--mode=data needs --config"),
    (["--mode=sample", "--input=x", "--output=y", "--step=5"], "without one the shipped weights are used"),
    (["--mode=eval", "--workdir=/tmp/nowhere"], "needs the --config it was trained with"),
])
def test_missing_or_contradictory_flags_are_usage_errors(flags, message):
    result = run_main(*flags, timeout=120)
    assert result.returncode != 0 and message in result.stderr


def test_sample_without_config_or_workdir_uses_the_shipped_weights(tmp_path):
    result = run_main("--mode=sample", f"--input={BUNDLED_DATA}", f"--output={tmp_path / 'o'}")
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["predicted"] == 5 and summary["checkpoint_step"] == LayoutGenerator.pretrained().step
    assert (tmp_path / "o" / "index.html").is_file() and "report:" in result.stdout


def test_eval_without_a_workdir_scores_the_shipped_weights(tmp_path, capsys):
    evaluate_shipped(LayoutGenerator.pretrained(), str(BUNDLED_DATA), "train", str(tmp_path))
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["examples"] == 5 and "rule baseline" in report["systems"]
    assert (tmp_path / "index.html").is_file() and "node_action_accuracy" in capsys.readouterr().out
