"""Optimizer, schedule and EMA of the train state."""

import jax.numpy as jnp
import numpy as np
import optax

from dlt_jax.train.state import decay_mask, ema_decay_at, learning_rate_schedule, make_optimizer
from model_inputs import tiny_config


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
