"""Model selection: the best checkpoint by a selection metric, its resume, early stopping, and what
`--mode=eval/sample` restore. The loop runs are few steps of configs/test.py with a scripted metric."""

import dataclasses
import json

import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest

from configs import test as test_config
from dlt_jax.inference import LayoutGenerator
from dlt_jax.train import loop
from dlt_jax.train.checkpoint import mismatches, open_checkpoint
from dlt_jax.train.metrics import read_metrics
from dlt_jax.train.select import (BEST_FILE, Selection, SelectSettings, improves, read_best,
                                  selection_pipeline)

# The bundled set has no val split: select and validate on train; validation only at the end.
OVERRIDES = {"data.eval_split": "train", "data.max_slots": 32, "data.slot_buckets": (32,),
             "train.save_every": 3, "train.log_every": 3, "train.eval_every": 100, "train.eval_batches": 1,
             "train.select.every": 3}


def _config(data, **values):
    config = test_config.get_config()
    config.data.path = str(data.path)
    for key, value in {**OVERRIDES, **values}.items():
        *sections, name = key.split(".")
        node = config
        for section in sections:
            node = getattr(node, section)
        setattr(node, name, value)
    return config


def _script(monkeypatch, accuracies):
    """Each evaluation the loop asks for returns the next of `accuracies` as the selection metric."""
    calls = iter(accuracies)

    def fake_evaluate(*args, **kwargs):
        value = next(calls)
        return {"loss": 1.0 - value, "action_accuracy": value, "boxes_given_accuracy": value, "examples": 5}, None, None
    monkeypatch.setattr(loop, "evaluate", fake_evaluate)


def _restored_ema(directory, step):
    manager = ocp.CheckpointManager(directory)
    state = manager.restore(step, args=ocp.args.Composite(state=ocp.args.StandardRestore()))["state"]
    manager.close()
    return [np.asarray(x) for x in jax.tree.leaves(state["ema_params"])]


def test_improves_is_strict_per_mode_and_never_takes_a_non_finite_value():
    assert improves(0.5, None, "max") and improves(0.6, 0.5, "max") and not improves(0.5, 0.5, "max")
    assert improves(0.4, 0.5, "min") and not improves(0.6, 0.5, "min")
    assert not improves(float("nan"), None, "max") and not improves(float("inf"), 1.0, "max")


def test_settings_default_to_validation_and_refuse_unknown_metrics():
    config = test_config.get_config()
    settings = SelectSettings.from_config(config)
    assert (settings.path, settings.split, settings.metric, settings.mode) == (None, "val", "boxes_given_accuracy", "max")
    assert (settings.every, settings.batches, settings.patience) == (config.train.eval_every, config.train.eval_batches, 0)
    config.train.select.metric = "accuracy"
    with pytest.raises(ValueError, match="train.select.metric 'accuracy' is not a validation metric; one of loss"):
        SelectSettings.from_config(config)


def test_selection_counts_selections_since_the_best_and_resumes_only_the_same_measure():
    settings = SelectSettings(None, "dev", "loss", "min", 5, 2, 0)
    selection = Selection.start(settings)
    assert [selection.record(s, v) for s, v in [(5, 0.9), (10, 0.7), (15, 0.8)]] == [True, True, False]
    assert (selection.best_step, selection.best_value, selection.since_best) == (10, 0.7, 1)
    assert not selection.exhausted(2) and selection.record(20, 0.75) is False and selection.exhausted(2)
    assert not selection.exhausted(0)
    stored = dataclasses.asdict(selection)
    assert Selection.resume(stored, settings) == selection
    assert Selection.resume(stored, dataclasses.replace(settings, split="val")).best_value is None
    assert Selection.resume(None, settings) == Selection.start(settings)


def test_selection_settings_may_change_on_resume():
    stored, changed = test_config.get_config(), test_config.get_config()
    changed.train.select.patience, changed.train.select.path, changed.train.select.metric = 3, "/dev", "loss"
    meta = {"vocabulary": [], "data_fingerprint": "x", "model_spec": {}}
    assert mismatches(dict(meta, config=stored.to_dict()), dict(meta, config=changed.to_dict())) == []


def test_a_selection_set_is_read_with_the_training_tokenizer(bundled_data, monkeypatch):
    from dlt_jax.data.pipeline import make_pipeline
    from dlt_jax.train import select as select_module
    config = _config(bundled_data, **{"train.select.path": "/elsewhere/dev"})
    train = make_pipeline(config.data, mode="train", seed=0, data=bundled_data)
    other_tags = dataclasses.replace(bundled_data, metadata=dict(bundled_data.metadata, tag_counts={"marquee": 9}))
    monkeypatch.setattr(select_module, "resolve_dataset", lambda path, **kwargs: other_tags)
    pipeline = selection_pipeline(config, SelectSettings.from_config(config), train)
    assert pipeline.tokenizer == train.tokenizer and pipeline.data is other_tags and pipeline.mode == "eval"
    config.train.select.split = "dev"
    with pytest.raises(ValueError, match="train.select.path /elsewhere/dev has no split 'dev'"):
        selection_pipeline(config, SelectSettings.from_config(config), train)


def test_the_best_is_kept_across_a_resume_and_restored_for_inference(bundled_data, tmp_path, monkeypatch, capsys):
    _script(monkeypatch, [0.2, 0.5])                                   # selections at steps 3, 6
    loop.run(_config(bundled_data, **{"train.steps": 6}), tmp_path, progress=False)
    assert read_best(tmp_path)["step"] == 6
    capsys.readouterr()

    _script(monkeypatch, [0.4, 0.6, 0.3])                              # steps 9 (worse), 12 (new best), 15
    loop.run(_config(bundled_data, **{"train.steps": 15}), tmp_path, progress=False)
    out = capsys.readouterr().out
    assert "; select train boxes_given_accuracy best 0.5000 at step 6" in out  # the resume line
    assert "step 9: select train boxes_given_accuracy 0.4000 (best 0.5000 at step 6)" in out
    assert "step 15: select train boxes_given_accuracy 0.3000 (best 0.6000 at step 12)" in out
    assert json.loads((tmp_path / BEST_FILE).read_text()) == {
        "step": 12, "metric": "boxes_given_accuracy", "value": 0.6, "split": "train", "path": str(bundled_data.path),
        "checkpoint": str(tmp_path.absolute() / "checkpoints" / "best" / "12")}
    assert sorted(p.name for p in (tmp_path / "checkpoints" / "best").iterdir() if p.name.isdigit()) == ["12"]
    logged = [(m["step"], m["boxes_given_accuracy"], m["best"], m["best_step"]) for m in read_metrics(tmp_path)
              if m["mode"] == "select"]
    assert logged == [(3, 0.2, 0.2, 3), (6, 0.5, 0.5, 6), (9, 0.4, 0.5, 6), (12, 0.6, 0.6, 12), (15, 0.3, 0.6, 12)]

    generator = LayoutGenerator.from_checkpoint(tmp_path, checkpoint="best")
    assert generator.step == 12
    numbered = _restored_ema(tmp_path.absolute() / "checkpoints", 12)
    for got, want in zip(jax.tree.leaves(generator.params), numbered, strict=True):
        np.testing.assert_array_equal(np.asarray(got), want)
    latest = _restored_ema(tmp_path.absolute() / "checkpoints", 15)
    assert any(not np.array_equal(a, b) for a, b in zip(numbered, latest))
    assert LayoutGenerator.from_checkpoint(tmp_path).step == 15

    with pytest.raises(FileNotFoundError, match=r"no latest checkpoint at step 7; numbered checkpoints: steps "
                                                r"\[9, 12, 15\]; best: step \[12\]"):
        open_checkpoint(tmp_path, 7)
    with pytest.raises(FileNotFoundError, match=r"no best checkpoint at step 15"):
        open_checkpoint(tmp_path, 15, "best")


def test_early_stopping_saves_stops_and_a_rerun_does_not_train_on(bundled_data, tmp_path, monkeypatch, capsys):
    config = _config(bundled_data, **{"train.steps": 30, "train.save_every": 5, "train.select.patience": 2})
    _script(monkeypatch, [0.5, 0.4, 0.3])                              # steps 3 (best), 6, 9: stop at 9
    state = loop.run(config, tmp_path, progress=False)
    assert int(state.step) == 9
    out = capsys.readouterr().out
    assert ("step 9: stopping early: select train boxes_given_accuracy has not improved for 2 selections "
            "(train.select.patience=2; best 0.5000 at step 3)") in out
    assert open_checkpoint(tmp_path)[1] == 9 and read_best(tmp_path)["step"] == 3

    _script(monkeypatch, [])                                           # any evaluation would fail
    state = loop.run(config, tmp_path, progress=False)
    assert int(state.step) == 9 and open_checkpoint(tmp_path)[1] == 9
    assert f"{tmp_path} stopped early at step 9: select train boxes_given_accuracy has not improved" in (
        capsys.readouterr().out)
