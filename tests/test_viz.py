"""Overlay pictures: boxes land where the targets say."""

import numpy as np

from dlt_jax import viz
from dlt_jax.layout import DEFAULT_VOCAB


def test_unit_boxes_map_to_pixel_corners():
    """All four coordinates are scaled to [-1, 1] (the pipeline's boxes_to_targets)."""
    boxes = np.array([[0.0, 0.0, 0.0, 0.0], [-1.0, -1.0, -1.0, -1.0], [-0.5, 0.0, -0.5, 1.0]])
    np.testing.assert_allclose(viz.unit_boxes_to_pixels(boxes, 100),
                               [[25, 25, 75, 75], [0, 0, 0, 0], [12.5, 0, 37.5, 100]])


def test_element_box_is_drawn_in_its_action_colour_at_its_place():
    image = np.zeros((32, 32, 3), np.float32)  # mid grey
    heading = DEFAULT_VOCAB.action_id("heading")
    picture = viz.draw_example(image, np.array([heading, 0]), np.array([[0.0, 0.0, 0.0, 0.0], [0, 0, 0, 0]]),
                               np.array([True, False]), DEFAULT_VOCAB, scale=2)
    pixels = np.asarray(picture)
    assert picture.size == (64, 64)
    assert tuple(pixels[40, 16]) == viz.action_colour(heading, DEFAULT_VOCAB)   # left edge of the box
    assert tuple(pixels[2, 2]) == (127, 127, 127)                                 # outside: untouched


def test_grid_places_pictures_in_rows():
    from PIL import Image
    sheet = viz.draw_grid([Image.new("RGB", (10, 5), "red")] * 5, columns=2, gap=1)
    assert sheet.size == (21, 17)
