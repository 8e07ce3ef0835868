"""Pure per-record transforms: letterbox geometry, screenshot to patches, boxes to targets, task masks,
class augmentation.

Every function here is a pure function of its arguments (and an explicit numpy
Generator where it draws), so the same seed gives the same batches anywhere.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
from PIL import Image

LETTERBOX_FILL = (128, 128, 128)  # maps to ~0 in [-1, 1]: padding reads as "nothing"
IMAGE_FORMATS = ("jpeg", "png")
_log = logging.getLogger(__name__)

# DLT's conditioning strategies (DESIGN §5): which slots' actions / box coordinates are generated.
STRATEGIES = ("all", "loc", "size", "action", "whole_box", "random_box_and_action")
DEFAULT_STRATEGY_PROBS = {"all": 0.30, "loc": 0.20, "size": 0.10, "action": 0.05,
                          "whole_box": 0.25, "random_box_and_action": 0.10}
_LOC = (True, True, False, False)
_SIZE = (False, False, True, True)
_WHOLE = (True, True, True, True)


# ----------------------------------------------------------------------------- letterbox

@dataclasses.dataclass(frozen=True)
class Letterbox:
    """Where a `width x height` screenshot lies on a square `canvas`: resized, centred, padded."""

    canvas: int
    width: int
    height: int
    content_width: int
    content_height: int
    offset_x: int
    offset_y: int


def letterbox_geometry(width: int, height: int, canvas: int) -> Letterbox:
    """Keeps the aspect ratio, scales the long side to `canvas`, centres the short side."""
    if width <= 0 or height <= 0 or canvas <= 0:
        raise ValueError(f"letterbox needs positive sizes, got {width}x{height} on {canvas}")
    scale = canvas / max(width, height)
    content_width = min(canvas, max(1, round(width * scale)))
    content_height = min(canvas, max(1, round(height * scale)))
    return Letterbox(canvas, width, height, content_width, content_height,
                     (canvas - content_width) // 2, (canvas - content_height) // 2)


def letterbox_image(image: Image.Image, canvas: int, fill: tuple[int, int, int] = LETTERBOX_FILL
                    ) -> tuple[Image.Image, Letterbox]:
    """The RGB screenshot on a `canvas x canvas` square, and the geometry boxes must follow."""
    geometry = letterbox_geometry(image.width, image.height, canvas)
    resized = image.convert("RGB").resize((geometry.content_width, geometry.content_height),
                                          Image.Resampling.BICUBIC, reducing_gap=3.0)
    square = Image.new("RGB", (canvas, canvas), fill)
    square.paste(resized, (geometry.offset_x, geometry.offset_y))
    return square, geometry


def encode_image(image: Image.Image, image_format: str = "jpeg", quality: int = 90) -> bytes:
    """PNG or JPEG bytes (TFDS stores bytes as given, so no TensorFlow is needed)."""
    if image_format not in IMAGE_FORMATS:
        raise ValueError(f"image format {image_format!r} not in {IMAGE_FORMATS}")
    buffer = io.BytesIO()
    if image_format == "jpeg":
        image.save(buffer, "JPEG", quality=quality, optimize=True)
    else:
        image.save(buffer, "PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- patches (Pix2Struct)

class ImagePatches(NamedTuple):
    """A screenshot as a `rows x cols` patch grid padded to M = max_patches (D = patch_size^2 * 3).

    patches `M D` float32 in [-1, 1] (row-major pixels of each patch, RGB last),
    row_ids / col_ids `M` int32 (1-based; 0 = padding), valid `M` bool, grid (rows, cols).
    """

    patches: np.ndarray
    row_ids: np.ndarray
    col_ids: np.ndarray
    valid: np.ndarray
    grid: tuple[int, int]


def patch_grid(width: int, height: int, patch_size: int, max_patches: int) -> tuple[int, int]:
    """(rows, cols) of the largest grid of `patch_size` patches with the screenshot's aspect in `max_patches`.

    As Pix2Struct: scale = sqrt(max_patches * p^2 / (h * w)), rows / cols the
    floors of the scaled sides in patches; an extreme aspect clamps a side to
    [1, max_patches]. Only the aspect matters, not the pixel size.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"patch grid needs a positive screenshot size, got {width}x{height}")
    if patch_size <= 0 or max_patches <= 0:
        raise ValueError(f"patch grid needs positive patch_size and max_patches, got {patch_size}, {max_patches}")
    scale = math.sqrt(max_patches * patch_size ** 2 / (width * height))
    rows = min(max_patches, max(1, math.floor(scale * height / patch_size)))
    cols = min(max_patches, max(1, math.floor(scale * width / patch_size)))
    while rows * cols > max_patches:  # only rounding at the edge of the budget gets here
        if rows / height > cols / width:
            rows -= 1
        else:
            cols -= 1
    return rows, cols


def grid_positions(rows: int, cols: int, max_patches: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """1-based row and column ids of a row-major `rows x cols` grid padded with 0 to `max_patches`, and valid."""
    count = rows * cols
    if count > max_patches:
        raise ValueError(f"a {rows}x{cols} grid has {count} patches, more than max_patches {max_patches}")
    row_ids = np.zeros(max_patches, np.int32)
    col_ids = np.zeros(max_patches, np.int32)
    row_ids[:count] = np.repeat(np.arange(1, rows + 1, dtype=np.int32), cols)
    col_ids[:count] = np.tile(np.arange(1, cols + 1, dtype=np.int32), rows)
    return row_ids, col_ids, np.arange(max_patches) < count


def image_to_grid(pixels: np.ndarray, patch_size: int) -> np.ndarray:
    """`(rows p) (cols p) c` -> `(rows cols) (p p c)`: row-major patches, each its pixels row-major
    (`viz.patches_to_image` is the inverse)."""
    height, width, channels = pixels.shape
    rows, cols = height // patch_size, width // patch_size
    grid = pixels.reshape(rows, patch_size, cols, patch_size, channels).transpose(0, 2, 1, 3, 4)
    return grid.reshape(rows * cols, patch_size * patch_size * channels)


_warned_upscaling: set[tuple[int, int, int]] = set()


def _warn_upscaling_once(geometry: Letterbox, target: tuple[int, int], patch_size: int, max_patches: int) -> None:
    key = (geometry.canvas, patch_size, max_patches)
    if key not in _warned_upscaling:
        _warned_upscaling.add(key)
        _log.warning("the stored %d px canvas holds e.g. a %dx%d screenshot at %dx%d px, smaller than the "
                     "%dx%d px its patch grid needs (patch_size %d, max_patches %d): screenshots are upscaled; build "
                     "the data with a larger data.build_image_size for sharper patches", geometry.canvas,
                     geometry.width, geometry.height, geometry.content_width, geometry.content_height,
                     target[0], target[1], patch_size, max_patches)


def _scaled_span(offset: int, length: int, scale: float) -> tuple[int, int]:
    """Pixel span `[offset, offset + length)` of the canvas on a copy decoded at `scale`; never empty."""
    start = round(offset * scale)
    return start, max(start + 1, round((offset + length) * scale))


def content_crop_box(geometry: Letterbox, decoded_size: tuple[int, int]) -> tuple[int, int, int, int]:
    """`(left, top, right, bottom)` of the screenshot inside a letterbox canvas decoded at `decoded_size`
    (`(width, height)`, the canvas itself or a reduced `draft` of it); never empty."""
    left, right = _scaled_span(geometry.offset_x, geometry.content_width, decoded_size[0] / geometry.canvas)
    top, bottom = _scaled_span(geometry.offset_y, geometry.content_height, decoded_size[1] / geometry.canvas)
    return left, top, right, bottom


def image_to_patches(data: bytes, original_size: Sequence[int], canvas: int, patch_size: int,
                     max_patches: int) -> ImagePatches:
    """A stored letterboxed screenshot -> its Pix2Struct patch grid (see `ImagePatches`).

    The content region of the square canvas (`letterbox_geometry`) is resized,
    keeping its aspect within one patch, to exactly `rows*p x cols*p`
    (`patch_grid`), so the grid covers the whole screenshot and no padding.
    JPEG is decoded at a reduced scale (`draft`) when the grid needs much fewer
    pixels, which is most of the decoding cost saved.
    """
    width, height = (int(v) for v in original_size)
    rows, cols = patch_grid(width, height, patch_size, max_patches)
    geometry = letterbox_geometry(width, height, canvas)
    target = (cols * patch_size, rows * patch_size)
    if geometry.content_width < target[0] or geometry.content_height < target[1]:
        _warn_upscaling_once(geometry, target, patch_size, max_patches)
    with Image.open(io.BytesIO(data)) as image:
        needed = canvas * max(target[0] / geometry.content_width, target[1] / geometry.content_height)
        image.draft("RGB", (math.ceil(needed), math.ceil(needed)))
        # crop before resizing: resampling at the content's edge must not blend in the letterbox fill
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        resized = rgb.crop(content_crop_box(geometry, image.size)).resize(target, Image.Resampling.BILINEAR)
        pixels = np.asarray(resized, dtype=np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)
    patches = np.zeros((max_patches, patch_size * patch_size * 3), np.float32)
    patches[:rows * cols] = image_to_grid(pixels, patch_size)
    return ImagePatches(patches, *grid_positions(rows, cols, max_patches), (rows, cols))


def features_to_tokens(features: np.ndarray, max_patches: int, example_id: str = "?", source: str = "?"
                       ) -> ImagePatches:
    """Precomputed image features `rows cols F` (a grid) or `T F` (tokens: one row) -> `M F` tokens + grid ids.

    Errors name the example and the file they came from.
    """
    features = np.asarray(features)
    if features.ndim == 2:
        features = features[None]
    if features.ndim != 3:
        raise ValueError(f"{example_id}: image_features in {source}: shape {features.shape}, expected "
                         f"(rows, cols, F) or (tokens, F)")
    rows, cols, dim = features.shape
    if rows * cols > max_patches:
        raise ValueError(f"{example_id}: image_features in {source}: {rows}x{cols} = {rows * cols} tokens, "
                         f"more than max_patches {max_patches}")
    tokens = np.zeros((max_patches, dim), np.float32)
    tokens[:rows * cols] = features.reshape(rows * cols, dim)
    return ImagePatches(tokens, *grid_positions(rows, cols, max_patches), (rows, cols))


# ----------------------------------------------------------------------------- boxes

def _clipped_corners(html_boxes: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """`n 4` `[x, y, w, h]` -> `n 4` corners `[x0, y0, x1, y1]` clipped to the screenshot, `n` valid."""
    if width <= 0 or height <= 0:
        raise ValueError(f"boxes need a positive screenshot size, got {width}x{height}")
    boxes = np.asarray(html_boxes, dtype=np.float64).reshape(-1, 4)
    finite = np.isfinite(boxes).all(axis=1)
    boxes = np.where(finite[:, None], boxes, 0.0)
    corners = np.stack([np.clip(boxes[:, 0], 0, width), np.clip(boxes[:, 1], 0, height),
                        np.clip(boxes[:, 0] + boxes[:, 2], 0, width),
                        np.clip(boxes[:, 1] + boxes[:, 3], 0, height)], axis=1)
    valid = finite & (corners[:, 2] > corners[:, 0]) & (corners[:, 3] > corners[:, 1])
    return corners, valid


def clip_boxes(html_boxes: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """`n 4` boxes `[x, y, w, h]` in screenshot pixels clipped to the screenshot -> `n 4` `[x, y, w, h]`
    float64, `n` valid (DATA_FORMAT §1.4): nothing left, zero area or non-finite is invalid, all zeros."""
    corners, valid = _clipped_corners(html_boxes, width, height)
    clipped = np.concatenate([corners[:, :2], corners[:, 2:] - corners[:, :2]], axis=1)
    return np.where(valid[:, None], clipped, 0.0), valid


def boxes_to_targets(html_boxes: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """`n 4` boxes `[x, y, w, h]` in screenshot pixels -> `n 4` `(cx, cy, w, h)` in [-1, 1], `n` valid.

    Coordinates are normalised to the screenshot's own `width x height`
    (DESIGN §2, §3), as the patch grid covers exactly the screenshot: 0..1 of
    each side maps to [-1, 1]. A box is clipped to the screenshot
    (DATA_FORMAT §1.4, `clip_boxes`); an invalid box is all zeros.
    """
    corners, valid = _clipped_corners(html_boxes, width, height)
    x0, y0, x1, y1 = corners.T
    unit = np.stack([(x0 + x1) / 2 / width, (y0 + y1) / 2 / height, (x1 - x0) / width, (y1 - y0) / height],
                    axis=1)
    targets = np.where(valid[:, None], unit * 2.0 - 1.0, 0.0)
    return targets.astype(np.float32), valid


def targets_to_boxes(targets: np.ndarray, width: int, height: int) -> np.ndarray:
    """Inverse of `boxes_to_targets` for valid boxes: `n 4` in [-1, 1] -> `[x, y, w, h]` screenshot pixels."""
    cx, cy, w, h = ((np.asarray(targets, dtype=np.float64).reshape(-1, 4) + 1.0) / 2.0).T
    return np.stack([(cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height], axis=1)


def pad_slots(values: np.ndarray, max_slots: int, fill: float = 0) -> np.ndarray:
    """Pads the leading (slot) axis of `values` to `max_slots`."""
    values = np.asarray(values)
    if len(values) > max_slots:
        raise ValueError(f"{len(values)} slots, more than max_slots {max_slots}")
    padding = [(0, max_slots - len(values))] + [(0, 0)] * (values.ndim - 1)
    return np.pad(values, padding, constant_values=fill)


# ----------------------------------------------------------------------------- task masks

@dataclasses.dataclass(frozen=True)
class TaskMasks:
    """1 = generate, 0 = given: `gen_action` `n`, `gen_box` `n 4`; `strategy` indexes STRATEGIES."""

    gen_action: np.ndarray
    gen_box: np.ndarray
    strategy: int


def strategy_probabilities(probs: Mapping[str, float]) -> np.ndarray:
    """The mixture weights in STRATEGIES order, checked and normalised."""
    unknown = sorted(set(probs) - set(STRATEGIES))
    if unknown:
        raise ValueError(f"unknown task-mask strategies {unknown}; known: {', '.join(STRATEGIES)}")
    weights = np.array([float(probs.get(name, 0.0)) for name in STRATEGIES])
    if (weights < 0).any() or weights.sum() <= 0:
        raise ValueError(f"task-mask probabilities must be >= 0 with a positive sum, got {dict(probs)}")
    return weights / weights.sum()


def sample_task_masks(rng: np.random.Generator, node_count: int, max_slots: int,
                      probabilities: Sequence[float], min_ratio: float = 0.5) -> TaskMasks:
    """Draws a strategy by `probabilities` (STRATEGIES order), then its masks, as DLT trains."""
    strategy = STRATEGIES[int(rng.choice(len(STRATEGIES), p=np.asarray(probabilities)))]
    return strategy_task_masks(strategy, rng, node_count, max_slots, min_ratio=min_ratio)


def strategy_task_masks(strategy: str, rng: np.random.Generator, node_count: int, max_slots: int,
                        min_ratio: float = 0.5, ratio: float | None = None) -> TaskMasks:
    """The masks of one strategy over the first `node_count` slots.

    Partial strategies pick `max(1, int(n * r))` random slots, `r ~ U(min_ratio, 1)`
    unless `ratio` is given (evaluation uses 1.0, as DLT's `cond_type`). DLT
    may pick no slot at all for a one-node layout; we always pick at least one.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown task-mask strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
    gen_action = np.zeros(max_slots, dtype=bool)
    gen_box = np.zeros((max_slots, 4), dtype=bool)
    n = int(node_count)
    draw_ratio = (lambda: ratio) if ratio is not None else (lambda: float(rng.uniform(min_ratio, 1.0)))

    def some_slots(r: float) -> np.ndarray:
        chosen = np.zeros(max_slots, dtype=bool)
        if n:
            chosen[rng.choice(n, size=max(1, int(n * r)), replace=False)] = True
        return chosen

    def box_part(columns: tuple[bool, ...], r: float) -> None:
        gen_box[some_slots(r)] |= np.array(columns)

    if strategy == "all":
        gen_action[:n] = True
        gen_box[:n] = True
    elif strategy == "loc":
        box_part(_LOC, draw_ratio())
    elif strategy == "size":
        box_part(_SIZE, draw_ratio())
    elif strategy == "whole_box":
        box_part(_WHOLE, draw_ratio())
    elif strategy == "action":
        gen_action |= some_slots(draw_ratio())
    else:  # random_box_and_action: a random box strategy, and actions of a subset or of none
        box_ratio, action_ratio = draw_ratio(), draw_ratio()
        option = int(rng.integers(4))
        if option == 2:  # loc and size on two independent subsets
            box_part(_LOC, box_ratio)
            box_part(_SIZE, box_ratio)
        else:
            box_part((_LOC, _SIZE, None, _WHOLE)[option], box_ratio)
        if rng.integers(2):
            gen_action |= some_slots(action_ratio)
    return TaskMasks(gen_action, gen_box, STRATEGIES.index(strategy))



# ----------------------------------------------------------------------------- class augmentation

@dataclasses.dataclass(frozen=True)
class ClassAugment:
    """Class-name augmentation on the tokenized features, so that no site's vocabulary is needed (DESIGN §10).

    Per example: with `class_drop` every class feature is zeroed (class_ids,
    css_parts, class_part_ids); else with `class_rename` every distinct
    class id and every distinct hashed part id is replaced by a random id,
    the same for the same id within the example (the reserved parts below
    `first_part_id`, `<hashed>` and numbers, hold on every site and stay);
    then each present part is dropped with `class_part_drop`. Shapes, tags,
    content, tree, geometry and targets are untouched. Ids: whole classes in
    `[1, class_ids]`, renamed parts in `[first_part_id, part_ids)`.
    """

    class_drop: float
    class_rename: float
    class_part_drop: float
    class_ids: int
    first_part_id: int
    part_ids: int

    def __post_init__(self):
        for name in ("class_drop", "class_rename", "class_part_drop"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"data.augment.{name} = {getattr(self, name)} must lie in [0, 1]")

    def __call__(self, element: Mapping[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
        return augment_classes(element, rng, self)


def rename_ids(ids: np.ndarray, rng: np.random.Generator, low: int, high: int) -> np.ndarray:
    """`ids` with each distinct id in `[low, high)` replaced by a distinct random id of that range
    (repeats only when there are more distinct ids than the range holds); others stay."""
    ids = np.asarray(ids)
    renamed = (ids >= low) & (ids < high)
    distinct = np.unique(ids[renamed])
    if not len(distinct):
        return ids.copy()
    new = low + rng.choice(high - low, size=len(distinct), replace=len(distinct) > high - low)
    out = ids.copy()
    out[renamed] = new[np.searchsorted(distinct, ids[renamed])].astype(ids.dtype)
    return out


def augment_classes(element: Mapping[str, np.ndarray], rng: np.random.Generator,
                    augment: ClassAugment) -> dict[str, np.ndarray]:
    """See `ClassAugment`: a pure function of (element, rng)."""
    drop, rename = rng.random(2) < (augment.class_drop, augment.class_rename)
    out = dict(element)
    if drop:
        for key in ("class_ids", "css_parts", "class_part_ids"):
            out[key] = np.zeros_like(element[key])
        return out
    parts = np.asarray(element["class_part_ids"])
    if rename:
        out["class_ids"] = rename_ids(element["class_ids"], rng, 1, augment.class_ids + 1)
        parts = rename_ids(parts, rng, augment.first_part_id, augment.part_ids)
    if augment.class_part_drop > 0:
        parts = np.where(rng.random(parts.shape) < augment.class_part_drop, 0, parts).astype(parts.dtype)
    out["class_part_ids"] = parts
    return out
