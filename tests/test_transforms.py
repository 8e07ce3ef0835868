"""Pure transforms: letterbox geometry, Pix2Struct patch grids, box scaling, DLT's task masks, class
augmentation."""

import logging
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from dlt_jax.data import transforms
from dlt_jax.data.tokenize import FIRST_HASHED_PART, HtmlTokenizer
from dlt_jax.data.transforms import (DEFAULT_STRATEGY_PROBS, LETTERBOX_FILL, STRATEGIES, ClassAugment,
                                     boxes_to_targets, clip_boxes, encode_image, features_to_tokens,
                                     image_to_patches, letterbox_geometry, letterbox_image, patch_grid,
                                     rename_ids, sample_task_masks, strategy_probabilities, strategy_task_masks,
                                     targets_to_boxes)
from dlt_jax.layout import load_json, parse_html
from dlt_jax.viz import patches_to_image
from strategies import html_objects

QUADRANTS = {"top_left": (255, 0, 0), "top_right": (0, 255, 0), "bottom_left": (0, 0, 255),
             "bottom_right": (255, 255, 0)}


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


def test_content_crop_box_scales_with_the_decoded_copy_and_is_never_empty():
    geometry = letterbox_geometry(960, 412, 64)  # content rows 18..45 of the 64 px canvas
    assert transforms.content_crop_box(geometry, (64, 64)) == (0, 18, 64, 45)
    assert transforms.content_crop_box(geometry, (32, 32)) == (0, 9, 32, 22)  # a half-scale draft
    thin = letterbox_geometry(1000, 1, 64)
    left, top, right, bottom = transforms.content_crop_box(thin, (8, 8))
    assert right > left and bottom == top + 1


# ----------------------------------------------------------------------------- patch grids

def _scale(width, height, patch_size, max_patches):
    return math.sqrt(max_patches * patch_size ** 2 / (width * height))


@pytest.mark.parametrize("max_patches", [16, 64, 128, 512])
@pytest.mark.parametrize("aspect", [1 / 4, 1 / 3, 1 / 2, 1.0, 1.5, 2.3, 3.0, 4.0, 5.0, 6.0])
def test_patch_grid_fits_the_budget_and_follows_the_aspect_within_a_patch(aspect, max_patches):
    width, height = round(1000 * aspect), 1000
    rows, cols = patch_grid(width, height, 16, max_patches)
    assert 1 <= rows and 1 <= cols and rows * cols <= max_patches
    exact = _scale(width, height, 16, max_patches) / 16  # patches per pixel at Pix2Struct's scale
    assert 0 <= exact * height - rows < 1 or rows == 1
    assert 0 <= exact * width - cols < 1 or cols == 1


@pytest.mark.parametrize("max_patches", [64, 128, 512])
@pytest.mark.parametrize("aspect", np.linspace(0.5, 3.0, 26).tolist())
def test_patch_grid_uses_most_of_the_budget_for_moderate_aspects(aspect, max_patches):
    rows, cols = patch_grid(round(1000 * aspect), 1000, 16, max_patches)
    assert rows * cols >= 0.7 * max_patches


def test_patch_grid_depends_on_the_aspect_only_and_clamps_extreme_ones():
    assert patch_grid(960, 412, 16, 128) == patch_grid(480, 206, 16, 128) == (7, 17)
    assert patch_grid(1000, 10, 16, 16) == (1, 16)     # 100:1 -> one row, the whole budget
    assert patch_grid(10, 1000, 8, 16) == (16, 1)
    with pytest.raises(ValueError, match="positive screenshot size"):
        patch_grid(0, 10, 16, 16)


def _quadrants(width, height):
    image = Image.new("RGB", (width, height))
    for name, colour in QUADRANTS.items():
        x = 0 if name.endswith("left") else width // 2
        y = 0 if name.startswith("top") else height // 2
        image.paste(colour, (x, y, x + width // 2, y + height // 2))
    return image


def _stored(image, canvas, image_format="png"):
    square, _ = letterbox_image(image, canvas)
    return encode_image(square, image_format)


def _unit(colour):
    return np.array(colour) / 127.5 - 1.0


@pytest.mark.parametrize("width, height", [(100, 400), (200, 200), (460, 200), (600, 100)])
def test_patches_cover_the_whole_screenshot_and_land_in_their_quadrants(width, height):
    stored = _stored(_quadrants(width, height), 256)
    patches, row_ids, col_ids, valid, (rows, cols) = image_to_patches(stored, (width, height), 256, 8, 64)
    assert (rows, cols) == patch_grid(width, height, 8, 64)
    assert patches.shape == (64, 8 * 8 * 3) and patches.dtype == np.float32
    count = rows * cols
    assert valid.tolist() == [True] * count + [False] * (64 - count)
    assert row_ids[:count].tolist() == [r for r in range(1, rows + 1) for _ in range(cols)]
    assert col_ids[:count].tolist() == list(range(1, cols + 1)) * rows
    assert not row_ids[count:].any() and not col_ids[count:].any() and not patches[count:].any()
    image = patches_to_image(patches, (rows, cols), 8)
    assert image.shape == (rows * 8, cols * 8, 3)
    # every corner pixel is the screenshot's own corner colour: no letterbox fill anywhere in the grid
    for (y, x), name in zip([(0, 0), (0, -1), (-1, 0), (-1, -1)], QUADRANTS):
        np.testing.assert_allclose(image[y, x], _unit(QUADRANTS[name]), atol=0.05, err_msg=name)
    # each patch wholly inside a quadrant has that quadrant's colour
    for index in range(count):
        row, col = row_ids[index] - 1, col_ids[index] - 1
        vertical = "top" if (row + 1) * 2 <= rows else "bottom" if row * 2 >= rows else None
        horizontal = "left" if (col + 1) * 2 <= cols else "right" if col * 2 >= cols else None
        if vertical and horizontal:
            pixels = patches[index].reshape(8, 8, 3)
            np.testing.assert_allclose(pixels[2:-2, 2:-2].mean(axis=(0, 1)),
                                       _unit(QUADRANTS[f"{vertical}_{horizontal}"]), atol=0.05)


def test_patches_map_black_and_white_to_minus_one_and_one():
    image = Image.new("RGB", (64, 64), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, 32, 64))
    patches, *_, grid = image_to_patches(_stored(image, 64), (64, 64), 64, 8, 16)
    pixels = patches_to_image(patches, grid, 8)
    assert grid == (4, 4) and pixels.shape == (32, 32, 3)
    assert pixels[:, :14].min() == 1.0 and pixels[:, 18:].max() == -1.0


def test_jpeg_decodes_at_reduced_scale_to_the_grid_size():
    image = Image.new("RGB", (512, 512), (200, 100, 50))
    patches, *_, grid = image_to_patches(_stored(image, 512, "jpeg"), (512, 512), 512, 16, 16)
    assert grid == (4, 4)
    np.testing.assert_allclose(patches[:16].reshape(-1, 3).mean(axis=0), np.array([200, 100, 50]) / 127.5 - 1,
                               atol=0.03)


def test_a_canvas_smaller_than_the_grid_upscales_and_warns_once(caplog, monkeypatch):
    monkeypatch.setattr(transforms, "_warned_upscaling", set())
    stored = _stored(_quadrants(300, 100), 32)
    with caplog.at_level(logging.WARNING, logger=transforms.__name__):
        for _ in range(3):
            patches, *_, grid = image_to_patches(stored, (300, 100), 32, 8, 64)
    assert grid == (4, 13)  # 104 px wide from a 32 px canvas
    assert len([r for r in caplog.records if "upscaled" in r.getMessage()]) == 1
    np.testing.assert_allclose(patches[0].reshape(8, 8, 3)[4, 4], _unit(QUADRANTS["top_left"]), atol=0.05)


def test_precomputed_features_become_tokens_with_grid_ids():
    grid = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    tokens, row_ids, col_ids, valid, shape = features_to_tokens(grid, 8)
    assert shape == (2, 3) and tokens.shape == (8, 4)
    np.testing.assert_array_equal(tokens[:6], grid.reshape(6, 4))
    assert row_ids.tolist() == [1, 1, 1, 2, 2, 2, 0, 0] and col_ids.tolist() == [1, 2, 3, 1, 2, 3, 0, 0]
    assert valid.sum() == 6 and not tokens[6:].any()
    assert features_to_tokens(np.ones((5, 4)), 8).grid == (1, 5)  # tokens read as one row
    with pytest.raises(ValueError, match="hero: image_features in f.npz: 3x3 = 9 tokens, more than max_patches 8"):
        features_to_tokens(np.ones((3, 3, 4)), 8, "hero", "f.npz")
    with pytest.raises(ValueError, match="hero: image_features in f.npz: shape \\(4,\\)"):
        features_to_tokens(np.ones(4), 8, "hero", "f.npz")


# ----------------------------------------------------------------------------- boxes

def test_full_screenshot_box_is_the_whole_unit_square():
    targets, valid = boxes_to_targets(np.array([[0, 0, 960, 412]]), 960, 412)
    assert valid.tolist() == [True]
    np.testing.assert_allclose(targets[0], [0.0, 0.0, 1.0, 1.0], atol=1e-6)


def test_boxes_are_normalised_to_the_screenshot_not_a_square():
    targets, _ = boxes_to_targets(np.array([[0, 0, 480, 103]]), 960, 412)  # the top-left quarter
    np.testing.assert_allclose(targets[0], [-0.5, -0.75, 0.0, -0.5], atol=1e-6)


def test_box_outside_the_screenshot_is_clipped_and_an_empty_one_is_invalid():
    boxes = np.array([[-50, 0, 100, 10],    # left half off-screen: clipped to x 0..50
                      [10, 10, 0, 0],       # zero area
                      [200, 0, 10, 10],     # entirely off-screen
                      [np.nan, 0, 1, 1]])   # not a number
    targets, valid = boxes_to_targets(boxes, 100, 100)
    assert valid.tolist() == [True, False, False, False]
    np.testing.assert_allclose(targets[0], [0.25 * 2 - 1, 0.05 * 2 - 1, 0.5 * 2 - 1, 0.1 * 2 - 1], atol=1e-6)
    assert not targets[1:].any()


@settings(max_examples=200, deadline=None)
@given(width=st.integers(1, 4000), height=st.integers(1, 4000),
       corner=st.tuples(st.floats(0, 0.9), st.floats(0, 0.9)),
       size=st.tuples(st.floats(0.01, 0.1), st.floats(0.01, 0.1)))
def test_box_scaling_round_trips(width, height, corner, size):
    box = np.array([[corner[0] * width, corner[1] * height, size[0] * width, size[1] * height]])
    targets, valid = boxes_to_targets(box, width, height)
    assert valid[0] and (np.abs(targets) <= 1).all()
    np.testing.assert_allclose(targets_to_boxes(targets, width, height), box, rtol=1e-4,
                               atol=1e-3 * max(width, height))


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


# ----------------------------------------------------------------------------- pixel boxes

def test_clip_boxes_keeps_pixels_and_zeroes_invalid_boxes():
    clipped, valid = clip_boxes([[-10, 10, 60, 20], [50, 50, 0, 10], [90, 0, 20, 5]], 100, 50)
    np.testing.assert_allclose(clipped, [[0, 10, 50, 20], [0, 0, 0, 0], [90, 0, 10, 5]])
    assert valid.tolist() == [True, False, True]


# ----------------------------------------------------------------------------- class augmentation

CLASS_KEYS = ("class_ids", "css_parts", "class_part_ids")
TOKENIZER = HtmlTokenizer(class_hash_buckets=64, class_part_buckets=32, max_classes=4, max_class_parts=6)


def _augment(drop=0.0, rename=0.0, part_drop=0.0) -> ClassAugment:
    return ClassAugment(drop, rename, part_drop, TOKENIZER.class_hash_buckets, FIRST_HASHED_PART,
                        TOKENIZER.sizes["class_part_ids"])


def _element(html) -> dict:
    tree = parse_html(html)
    element = TOKENIZER.tokenize(tree, len(tree) + 2)
    element["actions"] = np.arange(len(tree) + 2, dtype=np.int32)  # stand-ins for the targets
    element["boxes"] = np.linspace(-1, 1, (len(tree) + 2) * 4, dtype=np.float32).reshape(-1, 4)
    return element


def _same_pattern(ids: np.ndarray, renamed: np.ndarray) -> bool:
    """renamed = f(ids) for an injective f that keeps 0."""
    pairs = set(zip(ids.ravel().tolist(), renamed.ravel().tolist()))
    return (len({a for a, _ in pairs}) == len(pairs) == len({b for _, b in pairs})
            and all((a == 0) == (b == 0) for a, b in pairs))


@settings(max_examples=60, deadline=None)
@given(html_objects(), st.integers(0, 2**32 - 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1))
def test_augmentation_changes_only_class_features_and_is_deterministic(html, seed, drop, rename, part_drop):
    element = _element(html)
    augment = _augment(drop, rename, part_drop)
    out = augment(element, np.random.default_rng(seed))
    assert out.keys() == element.keys()
    for key, value in element.items():
        assert out[key].shape == value.shape and out[key].dtype == value.dtype
        if key not in CLASS_KEYS:
            assert np.array_equal(out[key], value), key
    for key in CLASS_KEYS:  # padding stays padding; nothing appears where nothing was
        assert not out[key][element["tag_id"] == 0].any() and not out[key][element[key] == 0].any()
    assert out["class_ids"].max(initial=0) <= TOKENIZER.class_hash_buckets
    assert out["class_part_ids"].max(initial=0) < TOKENIZER.sizes["class_part_ids"]
    again = augment(element, np.random.default_rng(seed))
    assert all(np.array_equal(out[k], again[k]) for k in out)


@settings(max_examples=60, deadline=None)
@given(html_objects(), st.integers(0, 2**32 - 1))
def test_rename_maps_equal_classes_to_equal_ids_and_keeps_reserved_parts(html, seed):
    element = _element(html)
    out = _augment(rename=1.0)(element, np.random.default_rng(seed))
    assert _same_pattern(element["class_ids"], out["class_ids"])
    assert _same_pattern(element["class_part_ids"], out["class_part_ids"])
    reserved = element["class_part_ids"] < FIRST_HASHED_PART
    assert np.array_equal(out["class_part_ids"][reserved], element["class_part_ids"][reserved])
    assert (out["class_part_ids"][~reserved] >= FIRST_HASHED_PART).all()
    assert np.array_equal(out["css_parts"], element["css_parts"])


def test_drop_zeroes_every_class_feature_and_part_drop_only_parts():
    element = _element(load_json('{"div.row.col-md-4.pt_7r": {"a.btn.btn-primary": "Go"}}'))
    dropped = _augment(drop=1.0)(element, np.random.default_rng(0))
    assert not any(dropped[k].any() for k in CLASS_KEYS) and element["css_parts"].any()
    no_parts = _augment(part_drop=1.0)(element, np.random.default_rng(0))
    assert not no_parts["class_part_ids"].any()
    assert np.array_equal(no_parts["class_ids"], element["class_ids"])
    kept = _augment()(element, np.random.default_rng(0))
    assert all(np.array_equal(kept[k], element[k]) for k in element)


def test_rename_ids_draws_distinct_new_ids_in_range():
    ids = np.array([[5, 5, 0], [7, 2, 5]])
    out = rename_ids(ids, np.random.default_rng(1), 3, 10)
    assert out[0, 2] == 0 and out[1, 1] == 2  # outside [3, 10): kept
    assert out[0, 0] == out[0, 1] == out[1, 2] != out[1, 0] and 3 <= out.min(where=ids >= 3, initial=9)
    assert out.max() < 10


def test_augment_probabilities_are_checked():
    with pytest.raises(ValueError, match="class_drop"):
        _augment(drop=1.5)
