"""Pure per-record transforms: letterbox geometry, image to float, boxes to targets, task masks.

Every function here is a pure function of its arguments (and an explicit numpy
Generator where it draws), so the same seed gives the same batches anywhere.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Mapping, Sequence

import numpy as np
from PIL import Image

LETTERBOX_FILL = (128, 128, 128)  # maps to ~0 in [-1, 1]: padding reads as "nothing"
IMAGE_FORMATS = ("jpeg", "png")

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


def image_to_float(data: bytes, image_size: int) -> np.ndarray:
    """Decodes a stored (square, letterboxed) image to `h w 3` float32 in [-1, 1] at `image_size`.

    JPEG is decoded at a reduced scale (`draft`) when the target is much
    smaller, which is most of the cost saved.
    """
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (image_size, image_size))
        image = image.convert("RGB")
        if image.size != (image_size, image_size):
            image = image.resize((image_size, image_size), Image.Resampling.BILINEAR)
        pixels = np.asarray(image, dtype=np.float32)
    return pixels * np.float32(2.0 / 255.0) - np.float32(1.0)


# ----------------------------------------------------------------------------- boxes

def boxes_to_targets(html_boxes: np.ndarray, geometry: Letterbox) -> tuple[np.ndarray, np.ndarray]:
    """`n 4` boxes `[x, y, w, h]` in screenshot pixels -> `n 4` `(cx, cy, w, h)` in [-1, 1], `n` valid.

    Coordinates are normalised to the letterboxed canvas (DESIGN §2), so that
    they agree with the image patches. A box is clipped to the screenshot
    (DATA_FORMAT §1.4); nothing left, zero area or non-finite means invalid,
    and an invalid box is all zeros.
    """
    boxes = np.asarray(html_boxes, dtype=np.float64).reshape(-1, 4)
    finite = np.isfinite(boxes).all(axis=1)
    boxes = np.where(finite[:, None], boxes, 0.0)
    x0 = np.clip(boxes[:, 0], 0, geometry.width)
    y0 = np.clip(boxes[:, 1], 0, geometry.height)
    x1 = np.clip(boxes[:, 0] + boxes[:, 2], 0, geometry.width)
    y1 = np.clip(boxes[:, 1] + boxes[:, 3], 0, geometry.height)
    valid = finite & (x1 > x0) & (y1 > y0)
    scale_x = geometry.content_width / geometry.width / geometry.canvas
    scale_y = geometry.content_height / geometry.height / geometry.canvas
    left = geometry.offset_x / geometry.canvas + x0 * scale_x
    top = geometry.offset_y / geometry.canvas + y0 * scale_y
    width, height = (x1 - x0) * scale_x, (y1 - y0) * scale_y
    unit = np.stack([left + width / 2, top + height / 2, width, height], axis=1)
    targets = np.where(valid[:, None], unit * 2.0 - 1.0, 0.0)
    return targets.astype(np.float32), valid


def targets_to_boxes(targets: np.ndarray, geometry: Letterbox) -> np.ndarray:
    """Inverse of `boxes_to_targets` for valid boxes: `n 4` in [-1, 1] -> `[x, y, w, h]` pixels."""
    unit = (np.asarray(targets, dtype=np.float64) + 1.0) / 2.0
    scale_x = geometry.content_width / geometry.width / geometry.canvas
    scale_y = geometry.content_height / geometry.height / geometry.canvas
    width, height = unit[:, 2] / scale_x, unit[:, 3] / scale_y
    x = (unit[:, 0] - unit[:, 2] / 2 - geometry.offset_x / geometry.canvas) / scale_x
    y = (unit[:, 1] - unit[:, 3] / 2 - geometry.offset_y / geometry.canvas) / scale_y
    return np.stack([x, y, width, height], axis=1)


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
