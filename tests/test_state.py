"""Optimizer, schedule and EMA of the train state."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dlt_jax.layout import DEFAULT_VOCAB
from dlt_jax.train.state import (build_model, create_train_state, decay_mask, ema_decay_at, learning_rate_at,
                                 learning_rate_schedule, make_optimizer)
from dlt_jax.train.step import Objective, train_step
from model_inputs import tiny_config, tiny_spec, tree_batch


def _train_config(**values):
    config = tiny_config().train
    for key, value in values.items():
        setattr(config, key, value)
    return config


def test_learning_rate_warms_up_linearly_then_follows_a_cosine_to_its_floor():
    schedule = learning_rate_schedule(_train_config(steps=110, warmup_steps=10, learning_rate=1e-3,
                                                    final_lr_fraction=0.01))
    np.testing.assert_allclose([float(schedule(s)) for s in (0, 5, 10)], [0.0, 5e-4, 1e-3], rtol=1e-6)
    middle = 1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + np.cos(np.pi * 0.5))
    np.testing.assert_allclose(float(schedule(60)), middle, rtol=1e-5)
    np.testing.assert_allclose(float(schedule(110)), 1e-5, rtol=1e-5)


def test_weight_decay_spares_biases_and_norms():
    params = {"kernel": jnp.ones((2, 3)), "bias": jnp.ones(3), "scale": jnp.ones(3)}
    assert decay_mask(params) == {"kernel": True, "bias": False, "scale": False}
    tx = make_optimizer(_train_config(learning_rate=0.1, warmup_steps=0, steps=10, weight_decay=0.5))
    zero = {k: jnp.zeros_like(v) for k, v in params.items()}
    updates, _ = tx.update(zero, tx.init(params), params)
    assert float(jnp.abs(updates["kernel"]).max()) > 0 and not updates["bias"].any() and not updates["scale"].any()


def test_gradient_accumulation_updates_every_k_batches():
    tx = make_optimizer(_train_config(grad_accum_steps=3, learning_rate=0.1, warmup_steps=0, steps=10,
                                      weight_decay=0.0))
    params = {"kernel": jnp.ones((2, 2))}
    state = tx.init(params)
    moved = []
    for _ in range(6):
        updates, state = tx.update({"kernel": jnp.ones((2, 2))}, state, params)
        params = optax.apply_updates(params, updates)
        moved.append(bool(jnp.abs(updates["kernel"]).max() > 0))
    assert moved == [False, False, True, False, False, True]


def test_ema_decay_warms_up_to_its_setting():
    assert float(ema_decay_at(jnp.array(0), 0.999)) == np.float32(0.1)
    assert float(ema_decay_at(jnp.array(10**6), 0.999)) == np.float32(0.999)


def test_accumulated_updates_follow_the_schedule_in_optimizer_steps():
    # 12 batches, k = 3: 4 updates; the warmup of 6 batches is 2 updates, so the peak is the third update's rate.
    train = _train_config(grad_accum_steps=3, steps=12, warmup_steps=6, learning_rate=0.1, weight_decay=0.0,
                          final_lr_fraction=0.0)
    schedule = learning_rate_schedule(train)
    np.testing.assert_allclose([float(schedule(u)) for u in range(5)],
                               [0.0, 0.05, 0.1, 0.1 * 0.5 * (1 + np.cos(np.pi * 0.5)), 0.0], atol=1e-7)
    tx, params = make_optimizer(train), {"kernel": jnp.zeros((2, 2))}
    state = tx.init(params)
    for index in range(12):
        updates, state = tx.update({"kernel": jnp.ones((2, 2))}, state, params)
        # The constant gradient's Adam direction is 1: an applied update is minus the rate it was scaled by.
        expected = -learning_rate_at(train, schedule, index) if index % 3 == 2 else 0.0
        np.testing.assert_allclose(np.asarray(updates["kernel"]), expected, rtol=1e-5, atol=1e-9)
        assert learning_rate_at(train, schedule, index) == float(schedule(index // 3))


def _two_updates(train, first, second):
    tx = make_optimizer(train)
    params = {"kernel": jnp.zeros((2, 2))}
    state = tx.init(params)
    updates = []
    for grad in (first, second):
        update, state = tx.update({"kernel": grad}, state, params)
        updates.append(np.asarray(update["kernel"]))
    return updates


def test_gradients_are_clipped_to_clip_norm_before_adam():
    train = _train_config(clip_norm=0.5, learning_rate=0.1, warmup_steps=0, steps=100, weight_decay=0.0)
    huge = jnp.array([[600.0, -800.0], [0.0, 0.0]])        # global norm 1000
    small = jnp.array([[0.1, 0.2], [-0.1, 0.0]])           # norm 0.245 < clip_norm: not clipped
    clipped = huge * (0.5 / 1000.0)
    got, same = _two_updates(train, huge, small), _two_updates(train, clipped, small)
    for a, b in zip(got, same):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    # By hand: Adam's moments of the clipped gradient, then of the small one, bias-corrected.
    b1, b2, lr = float(train.b1), float(train.b2), learning_rate_at(train, learning_rate_schedule(train), 1)
    m = b1 * (1 - b1) * np.asarray(clipped) + (1 - b1) * np.asarray(small)
    v = b2 * (1 - b2) * np.asarray(clipped) ** 2 + (1 - b2) * np.asarray(small) ** 2
    expected = -lr * (m / (1 - b1 ** 2)) / (np.sqrt(v / (1 - b2 ** 2)) + 1e-8)
    np.testing.assert_allclose(got[1], expected, rtol=1e-5)
    unclipped = _two_updates(_train_config(clip_norm=1e9, learning_rate=0.1, warmup_steps=0, steps=100,
                                           weight_decay=0.0), huge, small)
    assert not np.allclose(unclipped[1], got[1], rtol=1e-2)


def test_train_step_reports_the_gradient_norm_before_clipping():
    config = tiny_config()
    config.model.d_model, config.model.dit_layers = 16, 1
    config.train.clip_norm = 1e-4
    spec = tiny_spec()
    graphdef, params = build_model(spec, config.model, seed=0)
    tx = make_optimizer(config.train)
    objective = Objective.from_config(config, DEFAULT_VOCAB.mask_id, spec.type_action_ids)
    step = jax.jit(functools.partial(train_step, graphdef=graphdef, objective=objective, tx=tx, ema_decay=0.9))
    _, metrics = step(create_train_state(params, tx, 0), tree_batch([3, 5], 16, seed=1))
    # A clipped norm could not exceed clip_norm; the reported one is the raw gradient's.
    assert float(metrics["grad_norm"]) > 100 * config.train.clip_norm
