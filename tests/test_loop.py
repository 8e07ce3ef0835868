"""Training end to end on the bundled examples: checkpoints, metrics, resume after SIGKILL, the NaN
guard, settings mismatches, many devices, `--mode=eval`, and the CPU warning for a large model."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest

from configs import base as base_config
from configs import quickstart as quickstart_config
from configs import test as test_config
from dlt_jax.train import loop
from dlt_jax.train.checkpoint import CheckpointMismatch
from dlt_jax.data.readers import REAL_DATA
from dlt_jax.train.evaluate import evaluate_checkpoint
from dlt_jax.train.metrics import read_events, read_metrics

ROOT = Path(__file__).resolve().parents[1]
# One slot bucket and the training split for validation: the bundled set has 5 examples, no val split.
OVERRIDES = {"data.eval_split": "train", "data.max_slots": 32, "data.slot_buckets": (32,),
             "train.save_every": 10, "train.log_every": 5, "train.eval_every": 20, "train.eval_batches": 1}
KILL_RUN = {"train.eval_every": 50}  # fewer evaluations: the kill test runs three processes


def _config(data, **values):
    config = test_config.get_config()
    config.data.path = str(data.path)
    for key, value in {**OVERRIDES, **values}.items():
        section, name = key.split(".")
        setattr(getattr(config, section), name, value)
    return config


def _command(data, workdir, steps):
    overrides = [f"--config.{k}={v}" for k, v in {**OVERRIDES, **KILL_RUN, "train.steps": steps}.items()]
    return [sys.executable, "-m", "dlt_jax.main", f"--config={ROOT / 'configs' / 'test.py'}", f"--workdir={workdir}",
            f"--config.data.path={data.path}", *overrides]


def _saved_steps(workdir):
    folder = Path(workdir) / "checkpoints"
    return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit()) if folder.is_dir() else []


def _params(workdir, step):
    manager = ocp.CheckpointManager(Path(workdir).absolute() / "checkpoints")
    state = manager.restore(step, args=ocp.args.Composite(state=ocp.args.StandardRestore()))["state"]
    manager.close()
    return state["params"], state["ema_params"]


def _losses(workdir):
    return [(m["step"], m["mode"], m["loss"], m.get("action_accuracy")) for m in read_metrics(workdir)]


def _tensorboard_losses(workdir):
    return [(e.step, v.tag, v.simple_value) for e in read_events(Path(workdir) / "tensorboard")
            if e.HasField("summary") for v in e.summary.value if v.tag.endswith("/loss")]


def test_training_writes_checkpoints_metrics_and_pictures_then_resumes(bundled_data, tmp_path, capsys):
    state = loop.run(_config(bundled_data, **{"train.steps": 20}), tmp_path, progress=False)
    assert int(state.step) == 20 and _saved_steps(tmp_path) == [10, 20]
    metrics = read_metrics(tmp_path)
    train = [m for m in metrics if m["mode"] == "train"]
    assert [m["step"] for m in train] == [5, 10, 15, 20]
    assert {"loss", "action_loss", "box_loss", "presence_loss", "learning_rate", "examples_per_second"} <= set(train[0])
    assert [(m["step"], m["split"]) for m in metrics if m["mode"] == "eval"] == [(20, "train")]
    assert (tmp_path / "eval" / "overlay_0000020.png").is_file() and (tmp_path / "config.json").is_file()
    assert list((tmp_path / "tensorboard").iterdir())

    capsys.readouterr()
    state = loop.run(_config(bundled_data, **{"train.steps": 30}), tmp_path, progress=False)  # continues
    assert (f"resumed from step 20 of 30 in {tmp_path.absolute() / 'checkpoints'} (0 later log lines dropped)"
            in capsys.readouterr().out)
    assert int(state.step) == 30 and _saved_steps(tmp_path) == [10, 20, 30]
    assert [m["step"] for m in read_metrics(tmp_path) if m["mode"] == "train"] == [5, 10, 15, 20, 25, 30]

    report = evaluate_checkpoint(_config(bundled_data), tmp_path, "train", progress=False)
    assert report["step"] == 30 and report["examples"] == 5 and 0 <= report["boxes_given_accuracy"] <= 1
    assert json.loads((tmp_path / "eval" / "train" / "metrics.json").read_text())["step"] == 30
    assert (tmp_path / "eval" / "train" / "overlay.png").is_file()
    # another data set (other tags; sections over the 32 slots of OVERRIDES skipped) scores with the run's tokenizer
    real = _config(bundled_data)
    real.data.path, real.data.data_dir = str(REAL_DATA), str(tmp_path / "tfds")
    report = evaluate_checkpoint(real, tmp_path, "dev", progress=False)
    assert report["split"] == "dev" and report["examples"] > 20 and 0 <= report["boxes_given_accuracy"] <= 1

    with pytest.raises(CheckpointMismatch, match="config model.d_model: checkpoint 32, now 48"):
        loop.run(_config(bundled_data, **{"train.steps": 40, "model.d_model": 48}), tmp_path, progress=False)


def test_a_run_killed_after_a_checkpoint_resumes_to_the_same_weights_and_log(bundled_data, tmp_path):
    steps = 150
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    subprocess.run(_command(bundled_data, straight, steps), check=True, capture_output=True, cwd=ROOT)

    process = subprocess.Popen(_command(bundled_data, killed, steps), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not any(s >= 20 for s in _saved_steps(killed)) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before it could be killed; raise `steps`"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    stopped_at = max(_saved_steps(killed))
    assert 20 <= stopped_at < steps

    subprocess.run(_command(bundled_data, killed, steps), check=True, capture_output=True, cwd=ROOT)
    assert _losses(killed) == _losses(straight)
    assert _tensorboard_losses(killed) == _tensorboard_losses(straight)  # the killed run's later events are gone
    for a, b in zip(_params(straight, steps), _params(killed, steps)):
        for x, y in zip(_leaves(a), _leaves(b)):
            np.testing.assert_array_equal(x, y)


def _leaves(tree):
    return [np.asarray(x) for x in jax.tree.leaves(tree)]


def test_a_non_finite_loss_stops_the_run_and_keeps_the_last_good_checkpoint(bundled_data, tmp_path):
    config = _config(bundled_data, **{"train.steps": 10, "train.save_every": 1, "train.log_every": 1,
                                      "train.learning_rate": 1e30, "train.warmup_steps": 0})
    with pytest.raises(loop.TrainingDiverged, match=r"step (\d+): the loss is (nan|inf).*last good checkpoint is step"):
        loop.run(config, tmp_path, progress=False)
    saved = _saved_steps(tmp_path)
    assert saved and max(saved) < 10
    params, ema = _params(tmp_path, max(saved))
    assert all(np.isfinite(x).all() for x in _leaves(params) + _leaves(ema))


def test_eight_devices_agree_with_one_on_the_same_global_batch():
    script = textwrap.dedent("""
        import functools, jax, numpy as np
        from dlt_jax.layout import DEFAULT_VOCAB
        from dlt_jax.train import sharding
        from dlt_jax.train.state import build_model, create_train_state, make_optimizer
        from dlt_jax.train.step import Objective, train_step
        from model_inputs import tiny_config, tiny_spec, tree_batch
        assert jax.device_count() == 8
        config = tiny_config()
        config.model.d_model, config.model.dit_layers = 16, 1  # compile time is the cost here
        spec = tiny_spec()
        graphdef, params = build_model(spec, config.model, seed=0)
        tx = make_optimizer(config.train)
        objective = Objective.from_config(config, DEFAULT_VOCAB.mask_id, spec.type_action_ids)
        batch = tree_batch([3, 5, 8, 13, 16, 2, 9, 11], 16, seed=4)
        finals = []
        for devices in (jax.devices()[:1], jax.devices()):
            mesh = jax.sharding.Mesh(np.array(devices), ("data",))
            replicated = sharding.replicated(mesh)
            step = jax.jit(functools.partial(train_step, graphdef=graphdef, objective=objective, tx=tx,
                                             ema_decay=0.99), out_shardings=(replicated, replicated))
            state = jax.device_put(create_train_state(params, tx, 0), replicated)
            for _ in range(3):
                state, metrics = step(state, sharding.global_batch(batch, sharding.batch_sharding(mesh)))
            finals.append(jax.tree.leaves(jax.device_get(state.params)))
            print(len(devices), "devices, loss", float(metrics["loss"]))
        print("max difference", max(float(np.abs(a - b).max()) for a, b in zip(*finals)))
    """)
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    losses = [float(line.split()[-1]) for line in lines if "devices, loss" in line]
    assert len(losses) == 2 and losses[0] == pytest.approx(losses[1], rel=1e-5)
    assert float(lines[-1].split()[-1]) < 1e-5


def test_only_a_large_model_on_a_cpu_is_warned_about():
    assert loop.too_large_for_cpu("cpu", base_config.get_config().model.d_model)
    assert not loop.too_large_for_cpu("cpu", quickstart_config.get_config().model.d_model)
    assert not loop.too_large_for_cpu("gpu", 768) and not loop.too_large_for_cpu("tpu", 1024)
    assert loop.too_large_for_cpu("cpu", 512) and not loop.too_large_for_cpu("cpu", 511)
    assert loop.cpu_time_warning(768, 2.5, 200_000) == (
        "model.d_model=768 on a CPU: ~2.5 s/step, ~139 hours for the 200,000 train.steps to go; "
        "for a CPU run use configs/quickstart.py")
