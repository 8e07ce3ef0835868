"""Pictures people would rather look at than read: boxes and element types over screenshots."""

from __future__ import annotations

import colorsys
import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from dlt_jax.layout import Vocabulary

BATCH_TILE_WIDTH = 320  # px per example in `draw_batch`, whatever the screenshot's size
BLANK_GREY = 128


def action_colour(action_id: int, vocab: Vocabulary) -> tuple[int, int, int]:
    """A stable, distinct colour per action."""
    hue = (action_id * 0.61803398875) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.95)
    return int(r * 255), int(g * 255), int(b * 255)


def unit_boxes_to_pixels(boxes: np.ndarray, width: int, height: int | None = None) -> np.ndarray:
    """`(cx, cy, w, h)` in [-1, 1] of an image's extent -> `(x0, y0, x1, y1)` pixels of a `width x height`
    image (square when `height` is None).  `n 4 -> n 4`."""
    height = width if height is None else height
    unit = (np.asarray(boxes, np.float64).reshape(-1, 4) + 1.0) / 2.0
    cx, cy, w, h = (unit * np.array([width, height, width, height])).T
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)


def patches_to_image(patches: np.ndarray, grid: Sequence[int], patch_size: int) -> np.ndarray:
    """A pipeline example's patches `M D` (row-major, D = p*p*3) and its (rows, cols) -> the
    `rows*p cols*p 3` screenshot it was cut from (padding patches left out)."""
    rows, cols = (int(v) for v in grid)
    blocks = np.asarray(patches)[:rows * cols].reshape(rows, cols, patch_size, patch_size, 3)
    return blocks.transpose(0, 2, 1, 3, 4).reshape(rows * patch_size, cols * patch_size, 3)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """An `h w 3` image as uint8: floats are read as [-1, 1], uint8 passes through."""
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    return np.clip((image.astype(np.float32) + 1.0) * 127.5, 0, 255).astype(np.uint8)


def draw_example(image: np.ndarray, actions: np.ndarray, boxes: np.ndarray, box_valid: np.ndarray,
                 vocab: Vocabulary, scale: float = 2.0, width: int | None = None) -> Image.Image:
    """One example's boxes and types over its screenshot.

    `image` `H W 3` (uint8, or float in [-1, 1]) of any aspect, per-slot
    `actions` `N`, `boxes` `N 4` ((cx, cy, w, h) in [-1, 1] of the image's
    extent) and `box_valid` `N`. The picture is `scale` times the image, or
    `width` px wide (keeping the aspect) when given. Boxes of DROP/MERGE/PROP
    slots are drawn thin, element-starting slots thick with their type
    written at the corner. A box of negative width or height (a generated
    box past the "no box" value, w or h below -1) is not drawn.
    """
    picture = Image.fromarray(to_uint8(image)).convert("RGB")
    size = (width, max(1, round(picture.height * width / picture.width))) if width else \
        (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    picture = picture.resize(size, Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(picture)
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    drawn = np.asarray(box_valid, bool) & (boxes[:, 2] >= -1.0) & (boxes[:, 3] >= -1.0)
    for action, box in zip(np.asarray(actions)[drawn], unit_boxes_to_pixels(boxes[drawn], *picture.size)):
        name = vocab.action_name(int(action))
        colour = action_colour(int(action), vocab)
        starts_element = vocab.is_type(name)
        draw.rectangle(box.tolist(), outline=colour, width=2 if starts_element else 1)
        if starts_element:
            draw.text((box[0] + 2, box[1] + 1), name, fill=colour)
    return picture


def draw_grid(pictures: Sequence[Image.Image], columns: int = 4, gap: int = 4) -> Image.Image:
    """Pictures in a grid of equal cells (the largest picture's size), each at its cell's top left."""
    width = max(p.width for p in pictures)
    height = max(p.height for p in pictures)
    columns = min(columns, len(pictures))
    rows = math.ceil(len(pictures) / columns)
    sheet = Image.new("RGB", (columns * (width + gap) - gap, rows * (height + gap) - gap), "white")
    for index, picture in enumerate(pictures):
        sheet.paste(picture, ((index % columns) * (width + gap), (index // columns) * (height + gap)))
    return sheet


def titled(sheet: Image.Image, titles: Sequence[str], height: int = 16, gap: int = 4) -> Image.Image:
    """`sheet` under a strip of column titles (one per column of equal width)."""
    framed = Image.new("RGB", (sheet.width, sheet.height + height), "white")
    framed.paste(sheet, (0, height))
    draw = ImageDraw.Draw(framed)
    column = (sheet.width + gap) / max(len(titles), 1)
    for index, title in enumerate(titles):
        draw.text((index * column + 2, 2), title, fill=(0, 0, 0))
    return framed


def batch_screenshot(batch: dict[str, np.ndarray], index: int) -> np.ndarray:
    """Example `index` of a pipeline batch as an `H W 3` image: its patches reassembled, or, for
    precomputed features (no pixels), a grey canvas of the screenshot's aspect."""
    if "patches" in batch and int(np.prod(batch["image_grid"][index])) > 0:
        patch_size = math.isqrt(batch["patches"].shape[-1] // 3)
        return patches_to_image(batch["patches"][index], batch["image_grid"][index], patch_size)
    width, height = (int(v) for v in batch["screenshot_size"][index])
    aspect = height / width if width > 0 and height > 0 else 1.0
    return np.full((max(1, round(BATCH_TILE_WIDTH * aspect)), BATCH_TILE_WIDTH, 3), BLANK_GREY, np.uint8)


def draw_batch(batch: dict[str, np.ndarray], vocab: Vocabulary, count: int = 8) -> Image.Image:
    """The first `count` examples of a pipeline batch with their target boxes and types, each
    BATCH_TILE_WIDTH px wide at its screenshot's aspect."""
    count = min(count, len(batch["actions"]))
    return draw_grid([draw_example(batch_screenshot(batch, i), batch["actions"][i], batch["boxes"][i],
                                   batch["box_valid"][i] & batch["slot_valid"][i], vocab, width=BATCH_TILE_WIDTH)
                      for i in range(count)])
