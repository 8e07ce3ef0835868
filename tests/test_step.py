"""The objective and the train step: it learns, it is bucket-invariant, it refuses non-finite updates."""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dlt_jax.data.pipeline import pad_batch_slots
from dlt_jax.layout import DEFAULT_VOCAB
from dlt_jax.train.state import build_model, create_train_state, make_optimizer
from dlt_jax.train.step import Objective, loss_fn, noise_batch, train_step
from model_inputs import tiny_config, tiny_spec, tree_batch

SLOTS = 16


@pytest.fixture(scope="module")
def setup():
    config = tiny_config()
    config.train.steps, config.train.warmup_steps, config.train.learning_rate = 150, 10, 3e-3
    config.data.max_slots = 32
    spec = tiny_spec()
    graphdef, params = build_model(spec, config.model, seed=0)
    tx = make_optimizer(config.train)
    objective = Objective.from_config(config, DEFAULT_VOCAB.mask_id, spec.type_action_ids)
    step = jax.jit(functools.partial(train_step, graphdef=graphdef, objective=objective, tx=tx, ema_decay=0.99))
    loss = jax.jit(lambda params, batch, rng: loss_fn(params, graphdef, objective, batch, rng)[1])
    return {"graphdef": graphdef, "params": params, "tx": tx, "objective": objective, "step": step, "loss": loss}


@pytest.fixture(scope="module")
def trained(setup):
    """150 steps on one fixed batch, and the losses at fixed noise before and after."""
    batch = tree_batch([6, 9, 12, 16], SLOTS, seed=1)
    state = create_train_state(setup["params"], setup["tx"], seed=0)
    probe = jax.random.PRNGKey(7)
    before = setup["loss"](state.params, batch, probe)
    for _ in range(150):
        state, metrics = setup["step"](state, batch)
    return {"batch": batch, "state": state, "before": before, "after": setup["loss"](state.params, batch, probe),
            "metrics": metrics}


def test_loss_on_a_fixed_batch_falls_far_below_its_start(trained):
    before, after = trained["before"], trained["after"]
    assert float(after["loss"]) < 0.3 * float(before["loss"])
    assert float(after["action_loss"]) < 0.3 * float(before["action_loss"])
    assert float(after["box_loss"]) < 0.5 * float(before["box_loss"])
    assert bool(trained["metrics"]["finite"]) and int(trained["state"].step) == 150


def test_ema_follows_the_weights(trained):
    state = trained["state"]
    distance = jax.tree.map(lambda e, p: float(jnp.abs(e - p).max()), state.ema_params, state.params)
    assert 0 < max(jax.tree.leaves(distance)) < 1.0


def test_a_slot_bucket_gives_the_same_loss_as_full_padding(setup, trained):
    params, batch = trained["state"].params, trained["batch"]
    rng = jax.random.PRNGKey(3)
    bucketed = setup["loss"](params, batch, rng)
    padded = setup["loss"](params, pad_batch_slots(batch, 32), rng)
    for key in ("loss", "action_loss", "box_loss", "presence_loss", "action_accuracy"):
        np.testing.assert_allclose(float(bucketed[key]), float(padded[key]), rtol=1e-4, err_msg=key)


def test_a_non_finite_loss_leaves_the_weights_untouched(setup, trained):
    state = trained["state"]
    broken = dict(trained["batch"], boxes=np.full_like(trained["batch"]["boxes"], np.nan))
    params_before = jax.tree.map(np.asarray, state.params)
    new_state, metrics = setup["step"](state, broken)
    assert not bool(metrics["finite"]) and not np.isfinite(float(metrics["loss"]))
    assert int(new_state.step) == int(state.step) + 1
    for old, new in zip(jax.tree.leaves(params_before), jax.tree.leaves(new_state.params)):
        np.testing.assert_array_equal(old, np.asarray(new))


def test_given_values_stay_clean_and_only_generated_actions_are_masked(setup):
    batch = tree_batch([7, 12, 16, 3], SLOTS, seed=2)
    rng = np.random.default_rng(0)
    batch["gen_action"] = batch["slot_valid"] & (rng.random(batch["slot_valid"].shape) < 0.5)
    batch["gen_box"] = batch["slot_valid"][..., None] & (rng.random(batch["gen_box"].shape) < 0.5)
    noised = jax.jit(functools.partial(noise_batch, setup["objective"]))(batch, jax.random.PRNGKey(0))
    masked = np.asarray(noised.masked)
    assert masked.any() and not (masked & ~batch["gen_action"]).any()
    np.testing.assert_array_equal(np.asarray(noised.actions)[~masked], batch["actions"][~masked])
    assert (np.asarray(noised.actions)[masked] == DEFAULT_VOCAB.mask_id).all()
    np.testing.assert_array_equal(np.asarray(noised.boxes)[~batch["gen_box"]], batch["boxes"][~batch["gen_box"]])
    assert not np.allclose(np.asarray(noised.boxes)[batch["gen_box"]], batch["boxes"][batch["gen_box"]])


def test_the_flow_box_process_trains_too(setup):
    objective = dataclasses.replace(setup["objective"], box_process="flow")
    batch = tree_batch([6, 9], SLOTS, seed=3)
    metrics = jax.jit(lambda p, b, r: loss_fn(p, setup["graphdef"], objective, b, r)[1])(
        setup["params"], batch, jax.random.PRNGKey(0))
    assert np.isfinite(float(metrics["loss"])) and float(metrics["box_loss"]) > 0


@pytest.mark.parametrize("roi_pool,shifted,locality", [(2, False, False), (0, True, True)])
def test_a_train_step_runs_with_the_screenshot_options_and_logs_the_contrastive_loss(roi_pool, shifted, locality):
    config = tiny_config()
    config.data.max_slots = 32
    config.model.roi_pool = roi_pool
    config.model.vision.shifted_patches, config.model.vision.locality_attention = shifted, locality
    spec = tiny_spec()
    graphdef, params = build_model(spec, config.model, seed=0)
    tx = make_optimizer(config.train)
    objective = Objective.from_config(config, DEFAULT_VOCAB.mask_id, spec.type_action_ids)
    assert objective.contrastive_weight == 0.1 and objective.contrastive_temperature == 0.1
    batch = tree_batch([6, 9, 12, 16], SLOTS, seed=4)
    batch["gen_box"][:2] = False   # two examples with their DOM boxes given: their nodes are aligned
    step = jax.jit(functools.partial(train_step, graphdef=graphdef, objective=objective, tx=tx, ema_decay=0.99))
    state, metrics = step(create_train_state(params, tx, seed=0), batch)
    assert bool(metrics["finite"]) and int(state.step) == 1
    assert ("contrastive_loss" in metrics) == bool(roi_pool)
    if roi_pool:
        assert float(metrics["contrastive_loss"]) > 0
        loss = jax.jit(lambda p, b, r: loss_fn(p, graphdef, objective, b, r)[1])
        rng = jax.random.PRNGKey(5)
        bucketed, padded = loss(state.params, batch, rng), loss(state.params, pad_batch_slots(batch, 32), rng)
        for key in ("loss", "contrastive_loss"):
            np.testing.assert_allclose(float(bucketed[key]), float(padded[key]), rtol=1e-4, err_msg=key)
