"""Overlay pictures: boxes land where the targets say, on screenshots of any aspect."""

import numpy as np
from PIL import Image

from dlt_jax import viz
from dlt_jax.data.transforms import image_to_grid
from dlt_jax.layout import DEFAULT_VOCAB


def test_unit_boxes_map_to_pixel_corners():
    """All four coordinates are scaled to [-1, 1] (the pipeline's boxes_to_targets)."""
    boxes = np.array([[0.0, 0.0, 0.0, 0.0], [-1.0, -1.0, -1.0, -1.0], [-0.5, 0.0, -0.5, 1.0]])
    np.testing.assert_allclose(viz.unit_boxes_to_pixels(boxes, 100),
                               [[25, 25, 75, 75], [0, 0, 0, 0], [12.5, 0, 37.5, 100]])


def test_unit_boxes_follow_each_side_of_a_wide_image():
    full = np.array([[0.0, 0.0, 1.0, 1.0]])  # the whole screenshot
    np.testing.assert_allclose(viz.unit_boxes_to_pixels(full, 300, 100), [[0, 0, 300, 100]])


def test_patches_reassemble_into_the_image_they_were_cut_from():
    image = np.random.default_rng(0).uniform(-1, 1, (3 * 4, 5 * 4, 3)).astype(np.float32)
    patches = np.concatenate([image_to_grid(image, 4), np.zeros((7, 4 * 4 * 3), np.float32)])  # + padding
    np.testing.assert_array_equal(viz.patches_to_image(patches, (3, 5), 4), image)


def test_element_box_is_drawn_in_its_action_colour_at_its_place():
    image = np.zeros((32, 32, 3), np.float32)  # mid grey
    heading = DEFAULT_VOCAB.action_id("heading")
    picture = viz.draw_example(image, np.array([heading, 0]), np.array([[0.0, 0.0, 0.0, 0.0], [0, 0, 0, 0]]),
                               np.array([True, False]), DEFAULT_VOCAB, scale=2)
    pixels = np.asarray(picture)
    assert picture.size == (64, 64)
    assert tuple(pixels[40, 16]) == viz.action_colour(heading, DEFAULT_VOCAB)   # left edge of the box
    assert tuple(pixels[2, 2]) == (127, 127, 127)                                 # outside: untouched


def test_wide_uint8_screenshot_keeps_its_aspect_and_box_places():
    image = np.full((50, 200, 3), 255, np.uint8)
    heading = DEFAULT_VOCAB.action_id("heading")
    right_half = np.array([[0.5, 0.0, 0.0, 1.0]])  # x 100..200 of 200, full height
    picture = viz.draw_example(image, np.array([heading]), right_half, np.array([True]), DEFAULT_VOCAB, width=400)
    pixels = np.asarray(picture)
    assert picture.size == (400, 100)
    colour = viz.action_colour(heading, DEFAULT_VOCAB)
    assert tuple(pixels[50, 200]) == colour and tuple(pixels[50, 100]) == (255, 255, 255)


def test_a_box_of_negative_size_is_not_drawn():
    image = np.full((20, 40, 3), 255, np.uint8)
    heading = DEFAULT_VOCAB.action_id("heading")
    generated = np.array([[0.0, 0.0, -1.04, 0.5], [0.0, 0.0, 0.5, -1.2]])  # sampled just past "no box"
    picture = viz.draw_example(image, np.array([heading, heading]), generated, np.array([True, True]), DEFAULT_VOCAB,
                               width=40)
    assert np.all(np.asarray(picture) == 255)


def _batch(with_features=False):
    """Two examples: a 2x4 patch grid (p = 4) and a blank; boxes on the whole screenshot."""
    m, n = 12, 3
    batch = {
        "image_grid": np.array([[2, 4], [0, 0]], np.int32), "screenshot_size": np.array([[400, 200], [0, 0]], np.int32),
        "actions": np.array([[DEFAULT_VOCAB.action_id("section"), 0, 0]] * 2, np.int32),
        "boxes": np.array([[[0.0, 0.0, 1.0, 1.0]] + [[0.0] * 4] * 2] * 2, np.float32),
        "box_valid": np.array([[True, False, False], [False] * 3]), "slot_valid": np.array([[True, False, False]] * 2),
        "patch_valid": np.arange(m)[None].repeat(2, 0) < np.array([[8], [0]]),
    }
    if with_features:
        batch["image_features"] = np.zeros((2, m, 6), np.float32)
    else:
        batch["patches"] = np.zeros((2, m, 4 * 4 * 3), np.float32)
        batch["patches"][0, :8] = 1.0  # white screenshot
    assert batch["actions"].shape == (2, n)
    return batch


def test_draw_batch_draws_patches_at_their_aspect_and_features_on_grey():
    for with_features, inside in ((False, (255, 255, 255)), (True, (viz.BLANK_GREY,) * 3)):
        sheet = viz.draw_batch(_batch(with_features), DEFAULT_VOCAB)
        first = np.asarray(sheet)[:, :viz.BATCH_TILE_WIDTH]
        assert sheet.size[0] == 2 * viz.BATCH_TILE_WIDTH + 4
        assert sheet.size[1] >= viz.BATCH_TILE_WIDTH // 2  # 2:1 screenshot, blank one square
        assert tuple(first[viz.BATCH_TILE_WIDTH // 4, viz.BATCH_TILE_WIDTH // 2]) == inside
        colour = viz.action_colour(DEFAULT_VOCAB.action_id("section"), DEFAULT_VOCAB)
        assert tuple(first[viz.BATCH_TILE_WIDTH // 4, 0]) == colour  # the full-screenshot box's left edge


def test_grid_places_pictures_in_rows():
    sheet = viz.draw_grid([Image.new("RGB", (10, 5), "red")] * 5, columns=2, gap=1)
    assert sheet.size == (21, 17)
    mixed = viz.draw_grid([Image.new("RGB", (10, 5), "red"), Image.new("RGB", (10, 8), "blue")], gap=1)
    assert mixed.size == (21, 8)
