"""The one batch program: given values kept, legal actions only, the same key the same layouts, the
Python-loop reference equal to the one program, and the sampler defaults in one home."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from configs import base
from dlt_jax.diffusion import SamplerConfig
from dlt_jax.generation import GenerateSettings, generate, generate_python_loop, sample_defaults
from dlt_jax.layout import DEFAULT_VOCAB
from dlt_jax.models import DLTModel
from model_inputs import tiny_config, tiny_spec, tree_batch

VOCAB = DEFAULT_VOCAB


@pytest.fixture(scope="module")
def network():
    """The tiny network with random weights drawn in numpy (random initialisers compile slowly on CPU)."""
    config = tiny_config()
    abstract = nnx.eval_shape(lambda: DLTModel(tiny_spec(), config.model, rngs=nnx.Rngs(0)))
    graphdef, shapes = nnx.split(abstract)
    rng = np.random.default_rng(0)
    params = jax.tree.map(lambda s: jnp.asarray(rng.normal(0.0, 0.2, s.shape).astype(s.dtype)), shapes)
    batch = tree_batch([9, 5], 16, seed=1)
    batch["gen_action"] = batch["slot_valid"] & (rng.random((2, 16)) < 0.7)
    batch["gen_action"][:, 0] = True
    batch["gen_box"] = batch["gen_box"] & (rng.random((2, 16, 4)) < 0.5)
    settings = GenerateSettings.from_config(config, VOCAB, steps=4, temperature=1.0)
    return graphdef, params, {k: jnp.asarray(v) for k, v in batch.items()}, settings


def test_generate_keeps_given_values_and_draws_legal_actions(network):
    graphdef, params, batch, settings = network
    result = jax.tree.map(np.asarray, generate(graphdef, params, batch, jax.random.PRNGKey(0), settings))
    valid, gen_action, gen_box = (np.asarray(batch[k]) for k in ("slot_valid", "gen_action", "gen_box"))
    given = valid & ~gen_action
    np.testing.assert_array_equal(result.actions[given], np.asarray(batch["actions"])[given])
    np.testing.assert_array_equal(result.boxes[~gen_box], np.asarray(batch["boxes"])[~gen_box])
    assert (result.actions[~valid] == VOCAB.pad_id).all()
    assert (result.actions[valid] != VOCAB.mask_id).all()
    assert (result.actions[:, 0] == VOCAB.action_id("section")).all()  # the default root types


def test_generate_is_seeded_and_equals_its_python_loop_reference(network):
    graphdef, params, batch, settings = network
    key = jax.random.PRNGKey(3)
    first, again = (generate(graphdef, params, batch, key, settings) for _ in range(2))
    loop = generate_python_loop(graphdef, params, batch, key, settings)
    np.testing.assert_array_equal(first.actions, again.actions)
    np.testing.assert_array_equal(first.actions, loop.actions)
    np.testing.assert_allclose(first.boxes, loop.boxes, atol=1e-5)


def test_settings_read_the_run_config_and_fill_what_it_lacks():
    config = tiny_config()
    config.sample.temperature = 0.5
    del config.sample["root_types"]
    settings = GenerateSettings.from_config(config, VOCAB, drop_image=True)
    assert settings.sampler.temperature == 0.5 and settings.sampler.T == config.diffusion.steps
    assert settings.root_actions == (VOCAB.action_id("section"),) and settings.drop_image
    assert GenerateSettings.from_config(config, VOCAB, temperature=0.0).sampler.temperature == 0.0


def test_sampler_defaults_have_one_home():
    section = base.get_config().sample.to_dict()
    assert section == sample_defaults()
    assert SamplerConfig(steps=1, T=1).temperature == section["temperature"] == 0.0


def test_blocked_actions_are_never_drawn(network):
    graphdef, params, batch, settings = network
    free = generate(graphdef, params, batch, jax.random.PRNGKey(5), settings)
    blocked = np.zeros(batch["actions"].shape + (VOCAB.size,), bool)
    chosen = np.asarray(free.actions)
    rows, cols = np.nonzero(np.asarray(batch["gen_action"]) & (np.arange(16) > 0))
    blocked[rows, cols, chosen[rows, cols]] = True  # take away what each generated slot drew
    again = np.asarray(generate(graphdef, params, dict(batch, blocked=jnp.asarray(blocked)), jax.random.PRNGKey(5),
                                settings).actions)
    assert (again[rows, cols] != chosen[rows, cols]).all()
