"""The whole network: shapes, padding-invariant outputs, conditions that matter, precomputed features."""

import dataclasses

import jax
import pytest
import jax.numpy as jnp
import numpy as np
from flax import nnx

from dlt_jax.data.pipeline import pad_batch_slots
from dlt_jax.models import DLTModel, ModelSpec
from model_inputs import tiny_config, tiny_spec, tree_batch


def _model():
    return DLTModel(tiny_spec(), tiny_config().model, rngs=nnx.Rngs(0))


def _forward(model, batch, drop_image=False, drop_html=False):
    b = len(batch["actions"])
    batch = {k: jnp.asarray(v) for k, v in batch.items()}
    u = jnp.full((b,), 0.5)
    return model(batch, batch["actions"], batch["boxes"], u, jnp.full((b,), drop_image), jnp.full((b,), drop_html))


def _trained_heads(model):
    """Heads start at zero (DiT); give them values so the outputs depend on the inputs."""
    for head in (model.denoiser.action_head, model.denoiser.box_head):
        head.kernel[...] = jax.random.normal(jax.random.PRNGKey(1), head.kernel[...].shape)
    for block in model.denoiser.blocks:
        block.modulation.kernel[...] = 0.1 * jax.random.normal(jax.random.PRNGKey(2), block.modulation.kernel[...].shape)
    return model


def test_outputs_have_one_row_per_slot_and_float32():
    model = _model()
    prediction = _forward(model, tree_batch([5, 9], 16))
    assert prediction.action_logits.shape == (2, 16, tiny_spec().vocab_size)
    assert prediction.boxes.shape == (2, 16, 4) and prediction.presence_logits.shape == (2, len(tiny_spec().type_action_ids))
    assert prediction.action_logits.dtype == jnp.float32
    assert not prediction.action_logits.any() and not prediction.boxes.any()  # zero-initialised heads


def test_sampling_passes_leave_out_the_training_only_presence_head():
    model = _trained_heads(_model())
    batch = {k: jnp.asarray(v) for k, v in tree_batch([5, 9], 16).items()}
    none = jnp.zeros((2,), bool)
    conditions = model.encode(batch, none, none)
    args = (conditions, batch["actions"], batch["boxes"], jnp.full((2,), 0.5), batch["gen_action"], batch["gen_box"],
            batch["slot_valid"])
    sampling, training = model.denoise(*args), model.denoise(*args, with_presence=True)
    assert sampling.presence_logits is None and training.presence_logits.shape == (2, len(tiny_spec().type_action_ids))
    np.testing.assert_array_equal(sampling.action_logits, training.action_logits)


def test_more_padding_slots_change_nothing_on_the_real_slots():
    model = _trained_heads(_model())
    batch = tree_batch([5, 9], 16)
    small, large = _forward(model, batch), _forward(model, pad_batch_slots(batch, 32))
    np.testing.assert_allclose(small.action_logits[:, :9], large.action_logits[:, :9], rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(small.boxes[:, :9], large.boxes[:, :9], rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(small.presence_logits, large.presence_logits, rtol=2e-4, atol=2e-5)


def test_screenshot_and_html_features_change_the_prediction_unless_dropped():
    model = _trained_heads(_model())
    batch = tree_batch([9], 16)
    other_image = dict(batch, patches=-batch["patches"])
    other_html = dict(batch, tag_id=np.where(batch["slot_valid"], 1, 0).astype(np.int32),
                      class_ids=np.zeros_like(batch["class_ids"]))
    base = _forward(model, batch).action_logits
    assert not np.allclose(base, _forward(model, other_image).action_logits)
    assert not np.allclose(base, _forward(model, other_html).action_logits)
    np.testing.assert_allclose(_forward(model, batch, drop_image=True).action_logits,
                               _forward(model, other_image, drop_image=True).action_logits, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_forward(model, batch, drop_html=True).action_logits,
                               _forward(model, other_html, drop_html=True).action_logits, rtol=1e-5, atol=1e-6)


def test_precomputed_features_replace_the_patch_pixels():
    config = tiny_config().model
    config.vision.encoder = "precomputed"
    config.box_pixels = 0
    model = DLTModel(tiny_spec(image_dim=12), config, rngs=nnx.Rngs(0))
    batch = tree_batch([4], 8, image_dim=12)
    batch["image_features"] = batch.pop("patches")
    assert _forward(model, batch).action_logits.shape == (1, 8, tiny_spec().vocab_size)


def test_box_pixels_with_precomputed_features_is_an_error_that_names_the_fix():
    config = tiny_config().model
    config.vision.encoder, config.box_pixels = "precomputed", 4
    with pytest.raises(ValueError, match="box_pixels.*vit"):
        DLTModel(tiny_spec(image_dim=12), config, rngs=nnx.Rngs(0))


def test_bfloat16_compute_keeps_float32_parameters():
    config = tiny_config().model
    config.dtype = "bfloat16"
    model = DLTModel(tiny_spec(), config, rngs=nnx.Rngs(0))
    params = nnx.state(model, nnx.Param)
    assert {x.dtype for x in jax.tree.leaves(params)} == {jnp.dtype(jnp.float32)}
    assert _forward(model, tree_batch([5], 8)).action_logits.dtype == jnp.float32


def _model_with(roi_pool=2, shifted=False, locality=False):
    config = tiny_config().model
    config.roi_pool = roi_pool
    config.vision.shifted_patches, config.vision.locality_attention = shifted, locality
    return DLTModel(tiny_spec(), config, rngs=nnx.Rngs(0))


def _encode(model, batch, drop_image=False):
    b = len(batch["actions"])
    batch = {k: jnp.asarray(v) for k, v in batch.items()}
    return model.encode_aligned(batch, jnp.full((b,), drop_image), jnp.zeros((b,), bool))


def _boxes_given(batch):
    return dict(batch, gen_box=np.zeros_like(batch["gen_box"]))


@pytest.mark.parametrize("roi_pool,shifted,locality", [(2, False, False), (1, True, True), (0, True, False)])
def test_the_model_runs_with_each_screenshot_option(roi_pool, shifted, locality):
    model = _trained_heads(_model_with(roi_pool, shifted, locality))
    batch = _boxes_given(tree_batch([5, 9], 16))
    prediction = _forward(model, batch)
    assert prediction.action_logits.shape == (2, 16, tiny_spec().vocab_size)
    assert np.isfinite(prediction.action_logits).all()
    if roi_pool:
        alignment = prediction.alignment
        assert alignment.html.shape == alignment.look.shape == (2, 16, 32)
        np.testing.assert_array_equal(alignment.valid, batch["slot_valid"])
        large = _forward(model, pad_batch_slots(batch, 32))   # per-slot pooling: padding changes nothing
        np.testing.assert_allclose(prediction.action_logits[:, :9], large.action_logits[:, :9], rtol=2e-4, atol=2e-5)
    else:
        assert prediction.alignment is None


def test_the_look_reads_given_dom_boxes_and_never_a_generated_one():
    model = _model_with(roi_pool=2)
    batch = tree_batch([9], 16)
    moved = dict(batch, boxes=np.where(batch["slot_valid"][..., None], -batch["boxes"] * 0.5, 0).astype(np.float32))
    # boxes generated (the training default): the DOM boxes are the targets, the look is the null token
    generated, alignment = _encode(model, batch)
    assert not np.asarray(alignment.valid).any()
    np.testing.assert_allclose(generated.c_i, _encode(model, moved)[0].c_i, rtol=1e-6, atol=1e-6)
    # one coordinate of a slot generated is enough to hide that slot's box
    partial = _boxes_given(batch)
    partial["gen_box"][0, 3, 0] = True
    assert np.asarray(_encode(model, partial)[1].valid).sum() == 8
    # boxes given: where a node sits changes what it looks like
    given = _encode(model, _boxes_given(batch))[0].c_i
    assert not np.allclose(given, _encode(model, _boxes_given(moved))[0].c_i, atol=1e-4)


def test_a_dropped_screenshot_gives_every_node_the_null_look():
    model = _model_with(roi_pool=2)
    batch = _boxes_given(tree_batch([9], 16))
    other = dict(batch, patches=-batch["patches"])
    dropped, alignment = _encode(model, batch, drop_image=True)
    assert not np.asarray(alignment.valid).any()
    np.testing.assert_allclose(dropped.c_i, _encode(model, other, drop_image=True)[0].c_i, rtol=1e-5, atol=1e-6)
    assert not np.allclose(_encode(model, batch)[0].c_i, _encode(model, other)[0].c_i, atol=1e-4)


def _with_crops(batch, seed=0, size=8):
    rng = np.random.default_rng(seed)
    b, n = batch["slot_valid"].shape
    return dict(batch, node_crops=rng.integers(0, 256, (b, n, size, size, 6)).astype(np.uint8))


def test_node_crops_reach_a_node_only_where_its_dom_box_is_given_and_the_screenshot_kept():
    spec = dataclasses.replace(tiny_spec(), node_crop=8)
    model = DLTModel(spec, tiny_config().model, rngs=nnx.Rngs(0))
    batch = _with_crops(tree_batch([9], 16))
    other = dict(batch, node_crops=_with_crops(batch, seed=1)["node_crops"])
    # boxes generated: the crops of DOM boxes are never read
    np.testing.assert_allclose(_encode(model, batch)[0].c_i, _encode(model, other)[0].c_i, rtol=1e-6, atol=1e-6)
    # boxes given: they are, unless the screenshot is dropped
    given, given_other = _boxes_given(batch), _boxes_given(other)
    assert not np.allclose(_encode(model, given)[0].c_i, _encode(model, given_other)[0].c_i, atol=1e-4)
    np.testing.assert_allclose(_encode(model, given, drop_image=True)[0].c_i,
                               _encode(model, given_other, drop_image=True)[0].c_i, rtol=1e-6, atol=1e-6)


def test_a_spec_without_node_crops_reads_as_before():
    spec = tiny_spec()
    assert "node_crop" not in spec.to_json() and ModelSpec.from_json(spec.to_json()) == spec
    cropped = dataclasses.replace(spec, node_crop=16)
    assert ModelSpec.from_json(cropped.to_json()) == cropped
    with pytest.raises(ValueError, match="multiple of 4"):
        DLTModel(dataclasses.replace(spec, node_crop=6), tiny_config().model, rngs=nnx.Rngs(0))


def test_shifted_patches_with_precomputed_features_is_an_error_that_names_the_fix():
    config = tiny_config().model
    config.vision.encoder, config.box_pixels, config.vision.shifted_patches = "precomputed", 0, True
    with pytest.raises(ValueError, match="shifted_patches.*vit"):
        DLTModel(tiny_spec(image_dim=12), config, rngs=nnx.Rngs(0))


def test_roi_pool_reads_precomputed_features_too():
    config = tiny_config().model
    config.vision.encoder, config.box_pixels, config.roi_pool = "precomputed", 0, 2
    model = DLTModel(tiny_spec(image_dim=12), config, rngs=nnx.Rngs(0))
    batch = _boxes_given(tree_batch([4], 8, image_dim=12))
    batch["image_features"] = batch.pop("patches")
    assert np.asarray(_forward(model, batch).alignment.valid).sum() == 4
