"""The jitted sampler: given values kept, legal actions only, masked counts along gamma, truth
recovered from a perfect predictor, guidance in one batch, and one program equal to a Python loop."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from dlt_jax import diffusion
from dlt_jax.diffusion import SamplerConfig, make_task, sample, sample_python_loop
from dlt_jax.generation import model_predict
from dlt_jax.layout import DEFAULT_VOCAB, legal_action_mask
from dlt_jax.models import Conditions, DLTModel
from dlt_jax.models.layers import tree_relations
from model_inputs import MAX_PATCHES, tiny_config, tiny_spec, tree_batch

VOCAB = DEFAULT_VOCAB
V = VOCAB.size
T = 20
B, N = 3, 8
SECTION = VOCAB.action_id("section")
MERGE_UP, MERGE_LEFT = VOCAB.action_id("MERGE_UP"), VOCAB.action_id("MERGE_LEFT")


def _layout(seed=0, node_counts=(8, 5, 3)):
    """A small batch: tree (parents, siblings), true actions (legal) and boxes, random gen masks."""
    rng = np.random.default_rng(seed)
    valid = np.arange(N)[None, :] < np.asarray(node_counts)[:, None]
    parents = np.array([-1, 0, 0, 1, 1, 2, 0, 6], np.int32)
    siblings = np.array([0, 0, 1, 0, 1, 0, 2, 0], np.int32)
    parent_slot = np.where(valid, parents[None], -1).astype(np.int32)
    sibling_index = (siblings[None] * valid).astype(np.int32)
    legal = np.asarray(legal_action_mask(parent_slot, sibling_index, valid, VOCAB))
    scores = rng.random((B, N, V)) * legal
    actions = scores.argmax(-1).astype(np.int32)
    boxes = (rng.uniform(-0.9, 0.9, (B, N, 4)) * valid[..., None]).astype(np.float32)
    gen_action = (rng.random((B, N)) < 0.6) & valid
    gen_box = (rng.random((B, N, 4)) < 0.6) & valid[..., None]
    return dict(slot_valid=valid, parent_slot=parent_slot, sibling_index=sibling_index, legal=legal,
                actions=actions, boxes=boxes, gen_action=gen_action, gen_box=gen_box)


def _fixed_fn(logits, x0, actions, boxes, u):
    return logits, x0


def _fixed(logits, x0):
    """A fake network that always answers `logits` `b n V` and `x0` `b n 4` (one compiled sampler
    per settings: every test's fake shares `_fixed_fn`)."""
    return jax.tree_util.Partial(_fixed_fn, jnp.asarray(logits, jnp.float32), jnp.asarray(x0, jnp.float32))


def _truth(layout):
    return _fixed(20.0 * jax.nn.one_hot(layout["actions"], V), layout["boxes"])


def _run(predict, layout, settings, seed=0, gen_action=None, gen_box=None, runner=sample):
    task = make_task(layout["slot_valid"], layout["actions"], layout["boxes"],
                     layout["gen_action"] if gen_action is None else gen_action,
                     layout["gen_box"] if gen_box is None else gen_box, layout["legal"])
    return runner(predict, task, jax.random.PRNGKey(seed), settings)


# Few distinct settings: each is one compilation.
DDIM = SamplerConfig(steps=5, T=T, temperature=1.0)
GREEDY = SamplerConfig(steps=5, T=T)
TOP2 = SamplerConfig(steps=5, T=T, top_k=2, temperature=1.0)
ANCESTRAL = SamplerConfig(steps=5, T=T, box_method="ddpm", choice_temperature=2.0, temperature=1.0)
FLOW = SamplerConfig(steps=5, T=T, box_process="flow", temperature=1.0)
FLAT = _fixed(np.zeros((B, N, V)), np.zeros((B, N, 4)))


def test_legal_action_mask_follows_the_tree():
    layout = _layout()
    legal = layout["legal"]
    valid = layout["slot_valid"]
    assert (legal[~valid] == (np.arange(V) == VOCAB.pad_id)).all()                  # padding: PAD only
    real = legal[valid]
    assert not real[:, VOCAB.pad_id].any() and not real[:, VOCAB.mask_id].any()
    assert (legal[:, 0] == (np.arange(V) == SECTION)).all()                           # the root: section only
    # slot 1: a parent, no previous sibling; slot 2: both; slot 6 (sibling 2) of example 0 only.
    assert legal[0, 1, MERGE_UP] and not legal[0, 1, MERGE_LEFT]
    assert legal[0, 2, MERGE_UP] and legal[0, 2, MERGE_LEFT]
    top = legal_action_mask(np.full((1, 2), -1), np.array([[0, 1]]), np.ones((1, 2), bool), VOCAB, None)
    assert top[0, 0, SECTION] and top[0, 0, VOCAB.action_id("heading")]               # None: no root rule
    assert not top[0, :, MERGE_UP].any() and top[0, 1, MERGE_LEFT]


def test_everything_given_returns_the_given_values():
    layout = _layout(1)
    random_x0 = np.random.default_rng(0).normal(size=(B, N, 4))
    result = _run(_fixed(np.random.default_rng(1).normal(size=(B, N, V)), random_x0), layout, DDIM,
                  gen_action=np.zeros((B, N), bool), gen_box=np.zeros((B, N, 4), bool))
    np.testing.assert_array_equal(result.actions, np.where(layout["slot_valid"], layout["actions"], VOCAB.pad_id))
    np.testing.assert_array_equal(result.boxes, layout["boxes"])
    np.testing.assert_array_equal(result.probabilities, np.ones((B, N)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_completion_never_changes_given_values_and_unmasks_every_valid_slot(seed):
    layout = _layout(seed)
    rng = np.random.default_rng(seed + 10)
    predict = _fixed(rng.normal(size=(B, N, V)), rng.normal(size=(B, N, 4)))
    result = jax.tree.map(np.asarray, _run(predict, layout, DDIM, seed))
    valid, gen_action, gen_box = layout["slot_valid"], layout["gen_action"], layout["gen_box"]
    given_action = valid & ~gen_action
    np.testing.assert_array_equal(result.actions[given_action], layout["actions"][given_action])
    np.testing.assert_array_equal(result.boxes[~gen_box], layout["boxes"][~gen_box])
    assert (result.actions[~valid] == VOCAB.pad_id).all()
    assert (result.actions[valid] != VOCAB.mask_id).all()
    assert (result.probabilities[given_action] == 1.0).all()
    assert ((result.probabilities[gen_action] > 0) & (result.probabilities[gen_action] <= 1)).all()


def test_illegal_actions_are_never_chosen_even_when_most_likely():
    layout = _layout(3)
    layout["gen_action"] = layout["slot_valid"].copy()
    logits = np.where(layout["legal"], 0.0, 10.0) + np.random.default_rng(0).normal(size=(B, N, V)) * 0.1
    for settings in (DDIM, GREEDY, TOP2):
        result = _run(_fixed(logits, np.zeros((B, N, 4))), layout, settings)
        chosen = np.take_along_axis(layout["legal"], np.asarray(result.actions)[..., None], -1)[..., 0]
        assert chosen.all()
        assert (np.asarray(result.actions)[:, 0] == SECTION).all()
        assert ((np.asarray(result.actions) == VOCAB.pad_id) == ~layout["slot_valid"]).all()


def test_top_k_and_greedy_restrict_the_draw():
    layout = _layout(4)
    layout["gen_action"] = layout["slot_valid"].copy()
    layout["legal"] = legal_action_mask(layout["parent_slot"], layout["sibling_index"], layout["slot_valid"],
                                        VOCAB, None)
    logits = np.random.default_rng(2).normal(size=(B, N, V)) * 3
    legal_logits = np.where(layout["legal"], logits, -np.inf)
    greedy = _run(_fixed(logits, np.zeros((B, N, 4))), layout, GREEDY)
    valid = layout["slot_valid"]
    np.testing.assert_array_equal(np.asarray(greedy.actions)[valid], legal_logits.argmax(-1)[valid])
    top2 = _run(_fixed(logits, np.zeros((B, N, 4))), layout, TOP2, seed=5)
    best_two = np.argsort(-legal_logits, -1)[..., :2]
    assert (np.asarray(top2.actions)[..., None] == best_two).any(-1)[valid].all()


def test_same_seed_reproduces_and_another_seed_differs():
    layout = _layout(5)
    first, again, other = (_run(FLAT, layout, DDIM, seed) for seed in (7, 7, 8))
    np.testing.assert_array_equal(first.actions, again.actions)
    np.testing.assert_array_equal(first.boxes, again.boxes)
    assert (np.asarray(first.actions) != np.asarray(other.actions)).any()


def test_masked_count_follows_gamma_along_the_steps():
    layout = _layout(6)
    predict = _fixed(np.random.default_rng(0).normal(size=(B, N, V)), np.zeros((B, N, 4)))
    states = []
    _run(predict, layout, ANCESTRAL, runner=functools.partial(
        sample_python_loop, on_step=lambda step, state: states.append(np.asarray(state.actions))))
    assert len(states) == ANCESTRAL.steps
    maskable = layout["gen_action"].sum(-1)
    _, t_next = diffusion.time_grid(ANCESTRAL)
    previous = np.where(layout["gen_action"], VOCAB.mask_id, layout["actions"])
    for step, actions in enumerate(states):
        masked = actions == VOCAB.mask_id
        gamma_next = diffusion.mask_ratio(diffusion.time_fraction(t_next[step], T))
        expected = diffusion.unmask_count(gamma_next, maskable)
        assert (expected == np.floor(np.sin(np.pi / 2 * (t_next[step] + 1) / T) * maskable)).all()
        np.testing.assert_array_equal(masked.sum(-1), expected)
        decided = previous != VOCAB.mask_id
        np.testing.assert_array_equal(actions[decided], previous[decided])   # fixed actions never change
        previous = actions
    assert not masked.any()


def test_time_grid_runs_from_the_last_step_to_clean_data():
    t, t_next = diffusion.time_grid(SamplerConfig(steps=7, T=T))
    assert t[0] == T - 1 and t[-1] == 0 and len(np.unique(t)) == 7 and (np.diff(t) < 0).all()
    np.testing.assert_array_equal(t_next, np.append(t[1:], -1))
    full, _ = diffusion.time_grid(SamplerConfig(steps=T, T=T))
    np.testing.assert_array_equal(full, np.arange(T)[::-1])
    single, single_next = diffusion.time_grid(SamplerConfig(steps=1, T=T))
    assert list(single) == [T - 1] and list(single_next) == [-1]


@pytest.mark.parametrize("settings", [DDIM, ANCESTRAL, FLOW], ids=["ddim", "ddpm", "flow"])
def test_a_perfect_predictor_ends_at_the_truth(settings):
    layout = _layout(7)
    result = _run(_truth(layout), layout, settings)
    valid = layout["slot_valid"]
    np.testing.assert_array_equal(np.asarray(result.actions)[valid], layout["actions"][valid])
    np.testing.assert_allclose(result.boxes, layout["boxes"], atol=1e-6)


def test_ancestral_ddim_between_consecutive_steps_is_the_ddpm_posterior():
    schedule = diffusion.make_gaussian_schedule(T)
    rng = np.random.default_rng(0)
    x0, x_t, noise = (jnp.asarray(rng.normal(size=(T, 4)), jnp.float32) for _ in range(3))
    t = jnp.arange(T)
    ancestral, posterior = jax.jit(lambda x0, x_t, noise: (
        diffusion.ddim_step(schedule, x0, x_t, t, t - 1, eta=1.0, noise=noise),
        diffusion.ddpm_step(schedule, x0, x_t, t, noise)))(x0, x_t, noise)
    np.testing.assert_allclose(ancestral, posterior, atol=2e-5, rtol=1e-4)


def test_flat_logits_box_noise_is_walked_to_x0_with_given_coordinates_clamped():
    layout = _layout(8)
    x0 = np.random.default_rng(3).uniform(-1, 1, (B, N, 4))
    result = _run(_fixed(np.zeros((B, N, V)), x0), layout, ANCESTRAL)
    gen_box = layout["gen_box"]
    np.testing.assert_allclose(np.asarray(result.boxes)[gen_box], x0[gen_box], atol=1e-6)
    np.testing.assert_array_equal(np.asarray(result.boxes)[~gen_box], layout["boxes"][~gen_box])


def test_settings_refuse_a_method_the_model_was_not_trained_for():
    with pytest.raises(ValueError, match="flow"):
        SamplerConfig(steps=5, T=T, box_process="flow", box_method="ddim")
    with pytest.raises(ValueError, match="steps"):
        SamplerConfig(steps=T + 1, T=T)
    settings = SamplerConfig.from_config(tiny_config(), steps=4)
    assert (settings.T, settings.steps, settings.box_method, settings.mask_id) == (T, 4, "ddim", VOCAB.mask_id)


def test_one_program_equals_the_python_loop_with_a_fake_predictor():
    layout = _layout(9)
    predict = _fixed(np.random.default_rng(4).normal(size=(B, N, V)), np.random.default_rng(5).normal(size=(B, N, 4)))
    one = _run(predict, layout, ANCESTRAL, 3)           # `sample` is itself one jitted program
    loop = _run(predict, layout, ANCESTRAL, 3, runner=sample_python_loop)
    np.testing.assert_array_equal(one.actions, loop.actions)
    np.testing.assert_allclose(one.probabilities, loop.probabilities, rtol=1e-6)
    np.testing.assert_allclose(one.boxes, loop.boxes, atol=1e-6)


# ----------------------------------------------------------------------------------------------
# Aesthetic guidance (LACE-style) of x0 late in sampling.

AESTHETIC = SamplerConfig(steps=5, T=T, aesthetic_weight=0.02, aesthetic_from=0.5, aesthetic_steps=3)


def _overlapping_x0(seed=0):
    """`B N 4` x0 boxes in a cluster: each 0.3 wide and high, shifted a little from the previous one,
    so that neighbours overlap and no line is shared."""
    rng = np.random.default_rng(seed)
    i = np.arange(N)[None, :, None]
    centre = np.concatenate([-0.3 + 0.09 * i, -0.2 + 0.07 * i], axis=-1) + rng.uniform(-0.01, 0.01, (B, N, 2))
    return np.concatenate([centre, np.full((B, N, 2), -0.4)], axis=-1).astype(np.float32)


def _aesthetic_run(settings, gen_box=None, guide_slots=None, seed=0, runner=sample):
    layout = _layout(11)
    task = make_task(layout["slot_valid"], layout["actions"], layout["boxes"], layout["gen_action"],
                     np.repeat(layout["slot_valid"][..., None], 4, -1) if gen_box is None else gen_box,
                     layout["legal"], guide_slots)
    return layout, runner(_fixed(np.zeros((B, N, V)), _overlapping_x0()), task, jax.random.PRNGKey(seed), settings)


def test_aesthetic_guidance_lowers_the_overlap_and_alignment_of_overlapping_x0():
    from dlt_jax.diffusion.aesthetics import alignment_loss, overlap_loss
    layout, plain = _aesthetic_run(GREEDY)
    _, guided = _aesthetic_run(AESTHETIC)
    valid = layout["slot_valid"]
    np.testing.assert_allclose(plain.boxes, np.where(valid[..., None], _overlapping_x0(), layout["boxes"]), atol=1e-6)
    assert (np.asarray(overlap_loss(guided.boxes, valid)) < np.asarray(overlap_loss(plain.boxes, valid)) - 0.05).all()
    assert (np.asarray(alignment_loss(guided.boxes, valid)) < np.asarray(alignment_loss(plain.boxes, valid))).all()
    np.testing.assert_array_equal(guided.actions, plain.actions)  # a fixed predictor: same actions
    assert np.asarray(guided.boxes).min() >= -1.0 and np.asarray(guided.boxes).max() <= 1.0


def test_aesthetic_guidance_never_changes_given_boxes_nor_unguided_slots():
    gen_box = _layout(11)["gen_box"]
    guide_slots = np.tile(np.arange(N) % 2 == 0, (B, 1))
    layout, plain = _aesthetic_run(GREEDY, gen_box=gen_box, guide_slots=guide_slots)
    _, guided = _aesthetic_run(AESTHETIC, gen_box=gen_box, guide_slots=guide_slots)
    guided_boxes = np.asarray(guided.boxes)
    np.testing.assert_array_equal(guided_boxes[~gen_box], layout["boxes"][~gen_box])
    np.testing.assert_array_equal(guided_boxes[:, 1::2], np.asarray(plain.boxes)[:, 1::2])
    assert not np.allclose(guided_boxes[:, ::2], np.asarray(plain.boxes)[:, ::2])


def test_aesthetic_guidance_reproduces_equals_the_python_loop_and_waits_for_its_time():
    _, first = _aesthetic_run(AESTHETIC, seed=4)
    _, again = _aesthetic_run(AESTHETIC, seed=4)
    _, loop = _aesthetic_run(AESTHETIC, seed=4, runner=sample_python_loop)
    np.testing.assert_array_equal(first.boxes, again.boxes)
    np.testing.assert_allclose(first.boxes, loop.boxes, atol=1e-6)
    # u >= 1 / T on every step: aesthetic_from below that guides no step.
    _, never = _aesthetic_run(SamplerConfig(steps=5, T=T, aesthetic_weight=0.02, aesthetic_from=0.5 / T))
    _, plain = _aesthetic_run(GREEDY)
    np.testing.assert_array_equal(never.boxes, plain.boxes)


def test_aesthetic_settings_are_checked_and_read_from_the_config():
    with pytest.raises(ValueError, match="aesthetic"):
        SamplerConfig(steps=5, T=T, aesthetic_weight=-0.1)
    with pytest.raises(ValueError, match="aesthetic"):
        SamplerConfig(steps=5, T=T, aesthetic_from=1.5)
    config = tiny_config()
    config.sample.aesthetic_weight = 0.03
    settings = SamplerConfig.from_config(config)
    assert (settings.aesthetic_weight, settings.aesthetic_from, settings.aesthetic_steps) == (0.03, 0.2, 1)


# ----------------------------------------------------------------------------------------------
# The real tiny denoiser, in one jitted program: random weights from numpy (random initialisers
# compile slowly on CPU) and random conditions (the encoders are not under test here).


@pytest.fixture(scope="module")
def tiny_network():
    abstract = nnx.eval_shape(lambda: DLTModel(tiny_spec(), tiny_config().model, rngs=nnx.Rngs(0)))
    graphdef, shapes = nnx.split(abstract)
    rng = np.random.default_rng(0)
    params = jax.tree.map(lambda s: jnp.asarray(rng.normal(0.0, 0.2, s.shape).astype(s.dtype)), shapes)
    batch = {k: jnp.asarray(v) for k, v in tree_batch([9, 5], 16, seed=1).items()}
    batch["gen_action"] = (batch["slot_valid"] & jnp.asarray(rng.random((2, 16)) < 0.7)).at[:, 0].set(True)
    batch["gen_box"] = batch["gen_box"] & jnp.asarray(rng.random((2, 16, 4)) < 0.5)
    d = tiny_config().model.d_model

    def conditions():
        return Conditions(jnp.asarray(rng.normal(size=(2, MAX_PATCHES, d)), jnp.float32), batch["patch_valid"],
                          jnp.asarray(rng.uniform(size=(2, MAX_PATCHES, 2)), jnp.float32),
                          jnp.asarray(rng.normal(size=(2, 16, d)), jnp.float32),
                          jnp.asarray(rng.normal(size=(2, d)), jnp.float32), jnp.zeros((2, 16, 16), jnp.int32),
                          batch["patches"], batch["image_grid"], jnp.ones((2,), bool))  # pixels for box_pixels

    return graphdef, params, batch, conditions(), conditions()


GUIDED = SamplerConfig(steps=3, T=T, cfg_scale=2.0, temperature=1.0)


def _network_program(graphdef, params, batch, conditions, uncond, rng):
    """The conditional and the guided (scale 1) passes of `model_predict` at u = 0.5, and a guided
    `sample` run."""
    relations = tree_relations(batch["parent_slot"])
    conditions, uncond = conditions.replace(relations=relations), uncond.replace(relations=relations)
    masks = (batch["gen_action"], batch["gen_box"], batch["slot_valid"])
    step_inputs = (batch["actions"], batch["boxes"], jnp.full((2,), 0.5))
    model = nnx.merge(graphdef, params)
    passes = {
        "cond": model_predict(model, conditions, *masks)(*step_inputs),
        "scale_one": model_predict((graphdef, params), conditions, *masks, uncond_conditions=uncond,
                                   cfg_scale=1.0)(*step_inputs),
    }
    predict = model_predict((graphdef, params), conditions, *masks, uncond_conditions=uncond,
                            cfg_scale=GUIDED.cfg_scale)
    legal = legal_action_mask(batch["parent_slot"], batch["sibling_index"], batch["slot_valid"], VOCAB)
    task = make_task(batch["slot_valid"], batch["actions"], batch["boxes"], batch["gen_action"], batch["gen_box"],
                     legal)
    result = sample(predict, task, rng, GUIDED)
    return passes, result


@pytest.fixture(scope="module")
def network_run(tiny_network):
    seen = []
    original = DLTModel.denoise

    def recording(self, conditions, actions, *args):
        seen.append((actions.shape, conditions.c_i.shape[0]))
        return original(self, conditions, actions, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DLTModel, "denoise", recording)
        run = jax.jit(_network_program, static_argnums=0)
        first = run(*tiny_network, jax.random.PRNGKey(0))
        again = run(*tiny_network, jax.random.PRNGKey(0))
    return first, again, seen


def test_guidance_runs_one_batch_of_two_b_and_scale_one_is_the_conditional_pass(network_run):
    (passes, _), _, seen = network_run
    # The conditional pass, the guided one, then the sampler's loop body (traced once).
    assert seen == [((2, 16), 2), ((4, 16), 4), ((4, 16), 4)]
    assert not np.allclose(passes["cond"][0], 0.0)
    # Scale 1 returns the first half of the 2b batch: the conditional pass.
    np.testing.assert_allclose(passes["scale_one"][0], passes["cond"][0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(passes["scale_one"][1], passes["cond"][1], rtol=1e-5, atol=1e-5)


def test_sampling_the_tiny_model_completes_the_layout_and_reproduces(tiny_network, network_run):
    batch = tiny_network[2]
    (_, one), (_, again), _ = network_run
    np.testing.assert_array_equal(one.actions, again.actions)
    np.testing.assert_array_equal(one.boxes, again.boxes)
    valid, gen_action = np.asarray(batch["slot_valid"]), np.asarray(batch["gen_action"])
    actions = np.asarray(one.actions)
    assert (actions[valid] != VOCAB.mask_id).all() and (actions[~valid] == VOCAB.pad_id).all()
    assert (actions[:, 0] == SECTION).all()
    np.testing.assert_array_equal(actions[valid & ~gen_action], np.asarray(batch["actions"])[valid & ~gen_action])
    gen_box = np.asarray(batch["gen_box"])
    np.testing.assert_array_equal(np.asarray(one.boxes)[~gen_box], np.asarray(batch["boxes"])[~gen_box])
    assert np.isfinite(np.asarray(one.boxes)).all()
