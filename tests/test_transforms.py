"""Pure transforms: letterbox geometry, box scaling, image decoding, DLT's task masks."""


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from dlt_jax.data.transforms import (DEFAULT_STRATEGY_PROBS, LETTERBOX_FILL, STRATEGIES, boxes_to_targets,
                                     encode_image, image_to_float, letterbox_geometry, letterbox_image,
                                     sample_task_masks, strategy_probabilities, strategy_task_masks,
                                     targets_to_boxes)


def test_letterbox_centres_a_wide_screenshot_vertically():
    geometry = letterbox_geometry(960, 412, 64)
    assert (geometry.content_width, geometry.content_height) == (64, 27)  # 412 * 64 / 960 = 27.5 -> 27
    assert (geometry.offset_x, geometry.offset_y) == (0, 18)


def test_letterbox_image_pads_with_fill_around_the_content():
    image = Image.new("RGB", (100, 50), (255, 0, 0))
    square, geometry = letterbox_image(image, 20)
    assert square.size == (20, 20) and (geometry.content_height, geometry.offset_y) == (10, 5)
    assert square.getpixel((10, 10)) == (255, 0, 0)
    assert square.getpixel((10, 2)) == LETTERBOX_FILL and square.getpixel((10, 17)) == LETTERBOX_FILL


def test_full_screenshot_box_spans_the_content_band():
    geometry = letterbox_geometry(960, 412, 64)
    targets, valid = boxes_to_targets(np.array([[0, 0, 960, 412]]), geometry)
    assert valid.tolist() == [True]
    expected_height = 27 / 64 * 2 - 1
    cy = (18 + 27 / 2) / 64 * 2 - 1
    np.testing.assert_allclose(targets[0], [0.0, cy, 1.0, expected_height], atol=1e-6)


def test_box_outside_the_screenshot_is_clipped_and_an_empty_one_is_invalid():
    geometry = letterbox_geometry(100, 100, 100)
    boxes = np.array([[-50, 0, 100, 10],    # left half off-screen: clipped to x 0..50
                      [10, 10, 0, 0],       # zero area
                      [200, 0, 10, 10],     # entirely off-screen
                      [np.nan, 0, 1, 1]])   # not a number
    targets, valid = boxes_to_targets(boxes, geometry)
    assert valid.tolist() == [True, False, False, False]
    np.testing.assert_allclose(targets[0], [0.25 * 2 - 1, 0.05 * 2 - 1, 0.5 * 2 - 1, 0.1 * 2 - 1], atol=1e-6)
    assert not targets[1:].any()


@settings(max_examples=200, deadline=None)
@given(width=st.integers(1, 4000), height=st.integers(1, 4000), canvas=st.integers(8, 1024),
       corner=st.tuples(st.floats(0, 0.9), st.floats(0, 0.9)),
       size=st.tuples(st.floats(0.01, 0.1), st.floats(0.01, 0.1)))
def test_box_scaling_round_trips(width, height, canvas, corner, size):
    geometry = letterbox_geometry(width, height, canvas)
    box = np.array([[corner[0] * width, corner[1] * height, size[0] * width, size[1] * height]])
    targets, valid = boxes_to_targets(box, geometry)
    assert valid[0] and (np.abs(targets) <= 1).all()
    np.testing.assert_allclose(targets_to_boxes(targets, geometry), box, rtol=1e-4, atol=1e-3 * max(width, height))


def test_image_to_float_maps_black_and_white_to_minus_one_and_one():
    image = Image.new("RGB", (64, 64), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, 32, 64))
    pixels = image_to_float(encode_image(image, "png"), 16)
    assert pixels.shape == (16, 16, 3) and pixels.dtype == np.float32
    assert pixels[:, :7].min() == 1.0 and pixels[:, 9:].max() == -1.0


def test_jpeg_decodes_at_reduced_scale_to_the_requested_size():
    image = Image.new("RGB", (512, 512), (200, 100, 50))
    pixels = image_to_float(encode_image(image, "jpeg"), 128)
    assert pixels.shape == (128, 128, 3)
    np.testing.assert_allclose(pixels[64, 64], np.array([200, 100, 50]) / 127.5 - 1, atol=0.03)


def _masks(strategy, n=20, slots=32, seed=0, **kwargs):
    return strategy_task_masks(strategy, np.random.default_rng(seed), n, slots, **kwargs)


def test_all_strategy_generates_every_node_and_no_padding():
    masks = _masks("all", n=5, slots=8)
    assert masks.gen_action.tolist() == [True] * 5 + [False] * 3
    assert masks.gen_box[:5].all() and not masks.gen_box[5:].any()


@pytest.mark.parametrize("strategy, columns", [("loc", [0, 1]), ("size", [2, 3]), ("whole_box", [0, 1, 2, 3])])
def test_box_strategies_generate_their_coordinates_of_half_to_all_nodes(strategy, columns):
    for seed in range(20):
        masks = _masks(strategy, seed=seed)
        rows = masks.gen_box.any(axis=1)
        assert 10 <= rows.sum() <= 20 and not rows[20:].any()
        assert masks.gen_box[rows][:, columns].all()
        assert not np.delete(masks.gen_box, columns, axis=1).any()
        assert not masks.gen_action.any()


def test_action_strategy_gives_every_box():
    masks = _masks("action")
    assert 10 <= masks.gen_action.sum() <= 20 and not masks.gen_box.any()


def test_eval_ratio_one_generates_all_nodes_of_the_strategy():
    masks = _masks("loc", ratio=1.0)
    assert masks.gen_box[:20, :2].all() and not masks.gen_box[:, 2:].any()


def test_one_node_layout_always_generates_something():
    for strategy in STRATEGIES:
        for seed in range(10):
            masks = _masks(strategy, n=1, slots=4, seed=seed)
            assert masks.gen_action[0] or masks.gen_box[0].any()


def test_mixture_frequencies_match_dlt_within_tolerance():
    rng = np.random.default_rng(0)
    probabilities = strategy_probabilities(DEFAULT_STRATEGY_PROBS)
    drawn = np.bincount([sample_task_masks(rng, 10, 16, probabilities).strategy for _ in range(4000)],
                        minlength=len(STRATEGIES)) / 4000
    expected = [DEFAULT_STRATEGY_PROBS[s] for s in STRATEGIES]
    np.testing.assert_allclose(drawn, expected, atol=0.025)


def test_partial_strategy_picks_three_quarters_of_nodes_on_average():
    shares = [_masks("whole_box", n=40, slots=40, seed=s).gen_box[:, 0].mean() for s in range(400)]
    assert abs(np.mean(shares) - 0.75) < 0.02


def test_random_box_and_action_generates_actions_about_half_the_time():
    with_actions = [_masks("random_box_and_action", seed=s).gen_action.any() for s in range(1000)]
    assert abs(np.mean(with_actions) - 0.5) < 0.05


def test_unknown_strategy_names_are_rejected():
    with pytest.raises(ValueError, match="unknown task-mask strategies"):
        strategy_probabilities({"all": 1.0, "everything": 0.5})
    with pytest.raises(ValueError, match="positive sum"):
        strategy_probabilities({"all": 0.0})
