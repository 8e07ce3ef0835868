"""Every check of one example against DATA_FORMAT.md, shared by the validator and the shard builder.

Never raises for bad data: what it finds comes back as errors and warnings
naming the example and the field.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from dlt_jax.data.example import Example, ExampleError
from dlt_jax.layout import (DEFAULT_VOCAB, Encoded, HtmlError, LayoutError, Vocabulary, encode_layout,
                            layout_element_types, parse_html)
from dlt_jax.layout.vocab import LAYOUT_TYPES

# Arrangement types `used_elements` may leave out (DATA_FORMAT.md §1): seed data lists content types only.
ARRANGEMENT_TYPES = LAYOUT_TYPES

DEFAULT_MAX_SLOTS = 128


@dataclasses.dataclass
class Checked:
    """What validating one example found."""

    errors: list[ExampleError] = dataclasses.field(default_factory=list)
    warnings: list[ExampleError] = dataclasses.field(default_factory=list)
    node_count: int | None = None
    encoded: Encoded | None = None
    element_types: list[str] = dataclasses.field(default_factory=list)


def check_example(example: Example, max_slots: int = DEFAULT_MAX_SLOTS,
                  vocab: Vocabulary = DEFAULT_VOCAB, strict: bool = False) -> Checked:
    """Every check of one example; never raises for bad data.

    `strict` turns an inconsistent `used_elements` from a warning into an error.
    """
    found = Checked()
    error = lambda field, message: found.errors.append(ExampleError(example.id, field, message))
    warn = lambda field, message: found.warnings.append(ExampleError(example.id, field, message))

    try:
        image = example.load_screenshot()
        if example.screenshot_size and example.screenshot_size != image.size:
            error("screenshot", f"declared {example.screenshot_size[0]}x{example.screenshot_size[1]} "
                                f"but the image is {image.size[0]}x{image.size[1]}")
    except ExampleError as problem:
        found.errors.append(problem)

    try:
        tree = parse_html(example.html)
    except HtmlError as problem:
        error(problem.field, problem.message)
        return found
    for message in tree.warnings:
        warn("html", message)
    found.node_count = len(tree)
    if len(tree) > max_slots:
        warn("html", f"{len(tree)} nodes, more than --max-slots {max_slots} (skipped in training)")
    if example.html_boxes is not None:
        box_problem = _boxes_problem(example.html_boxes, len(tree))
        if box_problem:
            error("html_boxes", box_problem)

    if example.layout is None:
        error("layout", "missing: training data needs a target layout")
        return found
    try:
        found.encoded = encode_layout(tree, example.layout, vocab)
        found.element_types = layout_element_types(example.layout)
    except LayoutError as problem:
        error(f"layout[{problem.key!r}]", f"{problem.reason}: {problem.message}")
        return found

    if found.element_types and layout_element_types(example.layout, roots_only=True) != ["section"]:
        warn("layout", "the structure's top should be exactly one `section` (CONVENTIONS.md)")
    if example.used_elements is not None:
        declared, actual = set(map(str, example.used_elements)), set(found.element_types)
        absent, unlisted = sorted(declared - actual), sorted(actual - declared - set(ARRANGEMENT_TYPES))
        if absent or unlisted:
            parts = ([f"lists {absent} not in the layout"] if absent else []) + \
                    ([f"misses {unlisted} used in the layout"] if unlisted else [])
            (error if strict else warn)("used_elements", " and ".join(parts))
    return found


def check_example_guarded(example: Example, max_slots: int = DEFAULT_MAX_SLOTS,
                          vocab: Vocabulary = DEFAULT_VOCAB, strict: bool = False) -> Checked:
    """check_example, with a failure inside it reported on this example rather than ending the run."""
    try:
        return check_example(example, max_slots, vocab, strict)
    except Exception as error:  # noqa: BLE001 - one example must never stop the run
        return Checked(errors=[ExampleError(example.id, "(internal)",
                                            f"validation crashed: {type(error).__name__}: {error}")])


def _boxes_problem(boxes: Any, node_count: int) -> str | None:
    if not isinstance(boxes, list):
        return f"expected a list of [x, y, w, h], got {type(boxes).__name__}"
    if len(boxes) != node_count:
        return f"{len(boxes)} boxes for {node_count} html nodes (one per node, in preorder)"
    for index, box in enumerate(boxes):
        if not (isinstance(box, list) and len(box) == 4 and
                all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in box)):
            return f"box {index} is {box!r}, expected [x, y, w, h] numbers"
        if box[2] < 0 or box[3] < 0:
            return f"box {index} has a negative size: {box!r}"
    return None
