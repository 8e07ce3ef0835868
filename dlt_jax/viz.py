"""Pictures people would rather look at than read: boxes and element types over screenshots."""

from __future__ import annotations

import colorsys
import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from dlt_jax.layout import Vocabulary


def action_colour(action_id: int, vocab: Vocabulary) -> tuple[int, int, int]:
    """A stable, distinct colour per action."""
    hue = (action_id * 0.61803398875) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
    return int(r * 255), int(g * 255), int(b * 255)


def unit_boxes_to_pixels(boxes: np.ndarray, size: int) -> np.ndarray:
    """`(cx, cy, w, h)` in [-1, 1] on a square canvas -> `(x0, y0, x1, y1)` pixels.  `n 4 -> n 4`."""
    cx, cy, w, h = ((boxes + 1.0) / 2.0 * size).T
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)


def draw_example(image: np.ndarray, actions: np.ndarray, boxes: np.ndarray, box_valid: np.ndarray,
                 vocab: Vocabulary, scale: int = 2) -> Image.Image:
    """One example: `image` `S S 3` in [-1, 1], per-slot `actions`, `boxes` `N 4`, `box_valid` `N`.

    Boxes of DROP/MERGE/PROP slots are drawn thin, element-starting slots thick
    with their type written at the corner.
    """
    size = image.shape[0]
    picture = Image.fromarray(np.clip((image + 1.0) * 127.5, 0, 255).astype(np.uint8))
    picture = picture.resize((size * scale, size * scale), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(picture)
    for action, box in zip(actions[box_valid], unit_boxes_to_pixels(boxes[box_valid], size * scale)):
        name = vocab.action_name(int(action))
        colour = action_colour(int(action), vocab)
        starts_element = vocab.is_type(name)
        draw.rectangle(box.tolist(), outline=colour, width=2 if starts_element else 1)
        if starts_element:
            draw.text((box[0] + 2, box[1] + 1), name, fill=colour)
    return picture


def draw_grid(pictures: Sequence[Image.Image], columns: int = 4, gap: int = 4) -> Image.Image:
    """Pictures of equal size in a grid."""
    width, height = pictures[0].size
    rows = math.ceil(len(pictures) / columns)
    sheet = Image.new("RGB", (columns * (width + gap) - gap, rows * (height + gap) - gap), "white")
    for index, picture in enumerate(pictures):
        sheet.paste(picture, ((index % columns) * (width + gap), (index // columns) * (height + gap)))
    return sheet


def draw_batch(batch: dict[str, np.ndarray], vocab: Vocabulary, count: int = 8) -> Image.Image:
    """The first `count` examples of a pipeline batch with their target boxes and types."""
    count = min(count, len(batch["image"]))
    return draw_grid([draw_example(batch["image"][i], batch["actions"][i], batch["boxes"][i],
                                   batch["box_valid"][i] & batch["slot_valid"][i], vocab)
                      for i in range(count)])
