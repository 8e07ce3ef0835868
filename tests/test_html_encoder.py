"""The html encoder: what each node says (classes, parts, content, geometry) and where it is, under the
conditioning rules: geometry only where every box is given, nothing said where the html is dropped."""

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from dlt_jax.data.transforms import STRATEGIES, strategy_task_masks
from dlt_jax.layout import DEFAULT_VOCAB
from dlt_jax.models.html import HtmlEncoder, geometry_given
from dlt_jax.models.layers import tree_relations
from model_inputs import tiny_spec, tree_batch

DIM = 32
NEW_FEATURES = ("class_part_ids", "descendant_content", "text_length", "inline_text", "sibling_count",
                "descendant_count", "geometry", "alignment")


def _encoder(sizes=None) -> HtmlEncoder:
    return HtmlEncoder(tiny_spec().feature_sizes if sizes is None else sizes, DIM, 1, 2, 2.0, rngs=nnx.Rngs(0))


def _batch(boxes_given: bool, seed: int = 0) -> dict:
    batch = tree_batch([5, 8], 8, seed=seed)
    if boxes_given:
        batch["gen_box"] = np.zeros_like(batch["gen_box"])
    return batch


def _run(encoder: HtmlEncoder, batch: dict, drop: bool = False) -> np.ndarray:
    arrays = {k: jnp.asarray(v) for k, v in batch.items()}
    out = encoder(arrays, tree_relations(arrays["parent_slot"]), jnp.full(len(batch["slot_valid"]), drop))
    return np.asarray(out)


def _other_geometry(batch: dict) -> dict:
    return dict(batch, geometry=batch["geometry"][:, ::-1] * 0.5, alignment=(batch["alignment"] % 16 + 1)
                * batch["slot_valid"])


def test_forward_gives_finite_tokens_of_every_slot():
    out = _run(_encoder(), _batch(boxes_given=True))
    assert out.shape == (2, 8, DIM) and np.isfinite(out).all()


def test_geometry_is_read_only_where_every_box_of_the_example_is_given():
    encoder = _encoder()
    given = _batch(boxes_given=True)
    assert not np.allclose(_run(encoder, given), _run(encoder, _other_geometry(given)))
    generated = _batch(boxes_given=False)
    generated["gen_box"][:, 1:] = False  # one generated box is enough to hide the geometry
    np.testing.assert_array_equal(_run(encoder, generated), _run(encoder, _other_geometry(generated)))


def test_class_parts_and_content_features_are_read():
    encoder, batch = _encoder(), _batch(boxes_given=True)
    reference = _run(encoder, batch)
    for key, modulo in (("class_part_ids", 40), ("text_length", 6), ("descendant_count", 9)):
        valid = batch["slot_valid"].reshape(batch["slot_valid"].shape + (1,) * (batch[key].ndim - 2))
        changed = dict(batch, **{key: np.where(valid, (batch[key] + 1) % modulo, 0).astype(np.int32)})
        assert not np.allclose(reference, _run(encoder, changed)), key


def test_the_rule_prior_is_read_only_where_the_tokenizer_gives_it_and_not_under_dropped_html():
    batch = _batch(boxes_given=True)
    other = dict(batch, rule_action=np.where(batch["slot_valid"], (batch["rule_action"] + 1) % DEFAULT_VOCAB.size,
                                             0).astype(np.int32))
    with_prior = _encoder(dict(tiny_spec().feature_sizes, rule_action=DEFAULT_VOCAB.size))
    assert not np.allclose(_run(with_prior, batch), _run(with_prior, other))
    np.testing.assert_array_equal(_run(with_prior, batch, drop=True), _run(with_prior, other, drop=True))
    without = _encoder()
    assert without.rule_action is None
    np.testing.assert_array_equal(_run(without, batch), _run(without, other))


def test_dropped_html_reads_nothing_a_node_says():
    encoder, batch = _encoder(), _batch(boxes_given=True)
    other = _batch(boxes_given=True, seed=1)
    said = ("tag_id", "class_ids", "css_parts", "class_part_ids", "content_kinds", "descendant_content",
            "text_length", "inline_text", "geometry", "geometry_valid", "alignment")
    mixed = dict(batch, **{k: other[k] for k in said})
    np.testing.assert_array_equal(_run(encoder, batch, drop=True), _run(encoder, mixed, drop=True))


def test_features_left_out_of_the_sizes_get_no_parameters():
    """A checkpoint made before a feature existed (or with its switch off) builds and runs as it was."""
    sizes = {k: v for k, v in tiny_spec().feature_sizes.items() if k not in NEW_FEATURES}
    old = _encoder(sizes)
    assert all(getattr(old, name) is None for name in ("class_part", "descendant_content", "text_length",
                                                      "inline_text", "geometry", "alignment", "sibling_count",
                                                      "descendant_count"))
    batch = {k: v for k, v in _batch(boxes_given=True).items() if k not in NEW_FEATURES + ("geometry_valid",)}
    assert _run(old, batch).shape == (2, 8, DIM)
    new_params = nnx.state(_encoder(), nnx.Param)
    old_params = nnx.state(old, nnx.Param)
    old_paths = {path for path, _ in nnx.to_flat_state(old_params)}
    new_paths = {path for path, _ in nnx.to_flat_state(new_params)}
    assert old_paths < new_paths and {p[0] for p in new_paths - old_paths} == {
        "class_part", "descendant_content", "text_length", "inline_text", "geometry", "alignment",
        "sibling_count", "descendant_count"}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_geometry_is_given_only_under_strategies_that_generate_no_box(strategy):
    rng = np.random.default_rng(0)
    valid = np.arange(6) < 4
    for _ in range(20):
        masks = strategy_task_masks(strategy, rng, 4, 6)
        batch = {"gen_box": masks.gen_box[None], "slot_valid": valid[None], "geometry_valid": valid[None]}
        given = np.asarray(geometry_given(batch))[0]
        assert given.tolist() == (valid & (not masks.gen_box.any())).tolist()
        if strategy == "all":
            assert not given.any()
        if strategy == "action":
            assert given[:4].all()


def test_a_generated_box_of_a_padding_slot_hides_nothing():
    gen_box = np.zeros((1, 3, 4), bool)
    gen_box[0, 2] = True
    batch = {"gen_box": gen_box, "slot_valid": np.array([[True, True, False]]),
             "geometry_valid": np.array([[True, True, False]])}
    assert np.asarray(geometry_given(batch)).tolist() == [[True, True, False]]
