"""What each html node looks like at the stored resolution: two small pixel views per DOM box.

The ViT sees a 1280 px section through ~128 patches, about 5 screenshot pixels to one patch
pixel, where a 16 px line of text is a grey smear; what tells a `div` drawn as a heading,
a button or a picture (text size and weight, a filled rounded box, a photo) is lost there. A
node crop keeps it: for each DOM box, read from the stored letterbox canvas (512 px long side)

- the *fit* view: the whole box resampled to `size x size` (shape, fill, a picture), and
- the *native* view: the `size x size` canvas pixels around the box centre, unscaled, so that
  glyph size and stroke width are what they are on the canvas,

stacked as 6 channels, `uint8`. Boxes are read as given; a node without a box gets zeros, and
the model reads only crops of given DOM boxes (`models.crops`), so a generated box never leaks.
Nearest-neighbour sampling keeps this a few vectorised gathers per example.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from dlt_jax.data.transforms import content_crop_box, letterbox_geometry

CHANNELS = 6  # fit view RGB + native view RGB


def canvas_content(data: bytes, original_size: Sequence[int], canvas: int) -> tuple[np.ndarray, float]:
    """The screenshot part of a stored letterbox canvas, `h w 3` uint8, and canvas pixels per screenshot pixel."""
    width, height = (int(v) for v in original_size)
    geometry = letterbox_geometry(width, height, canvas)
    with Image.open(io.BytesIO(data)) as image:
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        pixels = np.asarray(rgb.crop(content_crop_box(geometry, rgb.size)), dtype=np.uint8)
    return pixels, pixels.shape[1] / width


def _gather(pixels: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """`h w 3`, rows `n s`, cols `n s` (float canvas coords) -> `n s s 3`, zeros outside the content."""
    rows, cols = np.floor(ys).astype(np.int64), np.floor(xs).astype(np.int64)
    inside = ((rows >= 0) & (rows < pixels.shape[0]))[:, :, None] & ((cols >= 0) & (cols < pixels.shape[1]))[:, None]
    values = pixels[np.clip(rows, 0, pixels.shape[0] - 1)[:, :, None], np.clip(cols, 0, pixels.shape[1] - 1)[:, None]]
    return np.where(inside[..., None], values, 0).astype(np.uint8)


def node_crops(pixels: np.ndarray, scale: float, boxes: np.ndarray, valid: np.ndarray, size: int) -> np.ndarray:
    """Canvas content `h w 3`, its scale, DOM boxes `n 4` `[x, y, w, h]` in screenshot pixels and their
    validity `n` -> `n size size 6` uint8: the fit view and the native view of each box (zeros where
    not valid)."""
    n = len(boxes)
    crops = np.zeros((n, size, size, CHANNELS), np.uint8)
    if n == 0 or not valid.any():
        return crops
    box = np.asarray(boxes, np.float64)[valid] * scale
    steps = (np.arange(size) + 0.5) / size
    fit = _gather(pixels, box[:, 1:2] + steps * box[:, 3:4], box[:, 0:1] + steps * box[:, 2:3])
    offsets = np.arange(size) - size / 2 + 0.5
    native = _gather(pixels, box[:, 1:2] + box[:, 3:4] / 2 + offsets, box[:, 0:1] + box[:, 2:3] / 2 + offsets)
    crops[valid] = np.concatenate([fit, native], axis=-1)
    return crops


def record_crops(data: bytes, original_size: Sequence[int], canvas: int, boxes: np.ndarray, valid: np.ndarray,
                 size: int, slots: int) -> np.ndarray:
    """`node_crops` of a stored record, padded to `slots`: `slots size size 6` uint8."""
    pixels, scale = canvas_content(data, original_size, canvas)
    crops = np.zeros((slots, size, size, CHANNELS), np.uint8)
    crops[:len(boxes)] = node_crops(pixels, scale, boxes, valid, size)
    return crops
