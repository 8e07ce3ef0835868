"""Node crops: each DOM box's fit and native pixel views, read from the stored letterbox canvas."""

import io

import numpy as np
from PIL import Image

from dlt_jax.data.crops import canvas_content, node_crops, record_crops
from dlt_jax.data.transforms import letterbox_image


def _canvas_bytes(image: Image.Image, canvas: int) -> bytes:
    square, _ = letterbox_image(image, canvas)
    out = io.BytesIO()
    square.save(out, format="PNG")
    return out.getvalue()


def _section() -> Image.Image:
    """A 200x100 white section with a red 40x20 box at (20, 10) and a blue 100x60 box at (80, 30)."""
    pixels = np.full((100, 200, 3), 255, np.uint8)
    pixels[10:30, 20:60] = (255, 0, 0)
    pixels[30:90, 80:180] = (0, 0, 255)
    return Image.fromarray(pixels)


def test_the_canvas_content_leaves_out_the_letterbox_and_gives_its_scale():
    pixels, scale = canvas_content(_canvas_bytes(_section(), 100), (200, 100), 100)
    assert pixels.shape == (50, 100, 3) and scale == 0.5
    assert (pixels[2, 2] == 255).all()                        # white section, not the letterbox fill
    assert pixels[10, 20, 0] > 200 and pixels[10, 20, 2] < 60  # the red box, at half scale


def test_the_fit_view_resamples_the_whole_box_and_the_native_view_is_unscaled_at_its_centre():
    pixels = np.asarray(_section())
    boxes = np.array([[20, 10, 40, 20], [80, 30, 100, 60], [0, 0, 0, 0]], np.float64)
    crops = node_crops(pixels, 1.0, boxes, np.array([True, True, False]), 8)
    assert crops.shape == (3, 8, 8, 6) and crops.dtype == np.uint8
    assert (crops[0, ..., :3] == (255, 0, 0)).all()          # the red box fills its fit view
    assert (crops[1, ..., :3] == (0, 0, 255)).all()
    assert (crops[1, ..., 3:] == (0, 0, 255)).all()          # 8 px around the blue box's centre are blue
    assert not crops[2].any()                                # no box: zeros
    # the red box is 20 px high: 8 native px around its centre stay inside it, the views differ in scale only
    assert (crops[0, ..., 3:] == (255, 0, 0)).all()
    wide = node_crops(pixels, 1.0, np.array([[20, 10, 40, 20]], np.float64), np.array([True]), 32)
    assert (wide[0, 0, :, 3:] == 255).all()                  # 32 native px reach the white around it


def test_native_pixels_outside_the_screenshot_are_zero():
    pixels = np.asarray(_section())
    crops = node_crops(pixels, 1.0, np.array([[0, 0, 4, 4]], np.float64), np.array([True]), 8)
    native = crops[0, ..., 3:]
    assert not native[:2].any() and not native[:, :2].any()  # above and left of the image
    assert (native[2:, 2:] == 255).all()


def test_record_crops_map_screenshot_pixels_to_the_canvas_and_pad_to_the_slots():
    data = _canvas_bytes(_section(), 100)
    boxes = np.array([[20, 10, 40, 20], [80, 30, 100, 60]], np.float64)
    crops = record_crops(data, (200, 100), 100, boxes, np.array([True, True]), 4, slots=5)
    assert crops.shape == (5, 4, 4, 6) and not crops[2:].any()
    red, blue = crops[0, ..., :3].reshape(-1, 3).mean(0), crops[1, ..., :3].reshape(-1, 3).mean(0)
    assert red[0] > 200 and red[2] < 60 and blue[2] > 200 and blue[0] < 60
