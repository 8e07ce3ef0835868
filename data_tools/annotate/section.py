"""One section's annotation on disk: render and pre-label it, apply an edited outline, draw the overlay.

A section folder holds `example.json` (DATA_FORMAT §1.3; no layout until the
outline is applied), the screenshot, `outline.txt` (what a person edits) and
`overlay.png` (the applied layout drawn over the screenshot, to check by eye).
The pre-labels are kept in `example.json` so the edits can be counted.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from data_tools import render
from data_tools.annotate.outline import Outline, OutlineError, parse_outline, write_outline
from data_tools.preview import draw_example
from dlt_jax.data.checks import check_example
from dlt_jax.data.readers import record_example
from dlt_jax.layout import HtmlTree, JsonObject, decode_layout, dump_json, encode_layout, load_json, parse_html

EXAMPLE_FILE = "example.json"
OUTLINE_FILE = "outline.txt"
OVERLAY_FILE = "overlay.png"
PRELABEL_OVERLAY_FILE = "prelabel.png"
NODES_FILE = "nodes.png"
NODE_COLOURS = ((200, 0, 0), (0, 110, 200), (0, 140, 60), (150, 0, 170), (200, 110, 0), (0, 130, 130))
ANNOTATION_FIELD = "annotation"
SCREENSHOT_QUALITY = 85


class AnnotateError(RuntimeError):
    """Something a person has to fix (an existing annotation, a missing file); the message says what."""


@dataclasses.dataclass(frozen=True)
class Prelabel:
    actions: tuple[str, ...]
    source: str  # "rules", or "model <workdir> step <n>"


def screenshot_name(image_format: str) -> str:
    return "screenshot.jpg" if image_format == "jpeg" else "screenshot.png"


def section_record(ident: str, rendering: render.Rendering, max_side: int, image_format: str,
                   source: JsonObject, warnings: list[str] | None = None) -> tuple[JsonObject, bytes]:
    """example.json (no layout yet) and the encoded screenshot of one rendered section."""
    width, height, scale = render.stored_size(rendering.width, rendering.height, max_side)
    shot = render.encode_screenshot(rendering.png, width, height, "jpg" if image_format == "jpeg" else image_format,
                                    quality=SCREENSHOT_QUALITY)
    record = JsonObject([
        ("id", ident),
        ("screenshot", JsonObject([("path", screenshot_name(image_format)), ("width", width), ("height", height)])),
        ("structure", JsonObject([("type", "HTMLObject"), ("data", render.reduce_dom(rendering.nodes, warnings))])),
        ("html_boxes", render.scale_boxes(rendering.boxes, scale, width, height)),
        ("source", source),
    ])
    return record, shot


def record_tree(record: JsonObject) -> HtmlTree:
    return parse_html(record["structure"]["data"])


def rule_prelabel(tree: HtmlTree) -> Prelabel:
    from dlt_jax.evaluation.baseline import rule_actions  # noqa: PLC0415 - evaluation pulls in jax
    return Prelabel(tuple(rule_actions(tree)), "rules")


def model_prelabel(record: JsonObject, shot: bytes, workdir: str | None) -> Prelabel:
    """A model's actions with the DOM boxes given (its main inference mode): a training workdir's, or
    the shipped weights' (`workdir=None`)."""
    from dlt_jax.inference import LayoutGenerator  # noqa: PLC0415 - only when a model is asked for
    generator = LayoutGenerator.pretrained() if workdir is None else LayoutGenerator.from_checkpoint(workdir)
    prediction = generator.predict(shot, record["structure"]["data"], record["html_boxes"],
                                   example_id=str(record["id"]))
    return Prelabel(tuple(prediction.actions), f"model {workdir or 'shipped'} step {generator.step}")


def outline_fields(record: JsonObject, prelabel_source: str) -> dict[str, str]:
    """The outline's header fields: id, where the section comes from, and what pre-labelled it."""
    source = record.get("source") or {}
    where = " ".join(str(source[k]) for k in ("package", "version", "page") if k in source) or str(source.get("url", ""))
    fields = {"id": str(record["id"])}
    if where:
        fields["source"] = where
    fields.update({k: str(source[k]) for k in ("selector", "style") if k in source})
    fields["prelabel"] = prelabel_source
    return fields


def new_outline(record: JsonObject, prelabel: Prelabel, notes: Sequence[str] = ()) -> str:
    return write_outline(record_tree(record), prelabel.actions, record.get("html_boxes"),
                         outline_fields(record, prelabel.source), notes)


def with_prelabel(record: JsonObject, prelabel: Prelabel) -> JsonObject:
    """The record with the pre-labels kept under `annotation`, so the edits can be counted later."""
    out = JsonObject((k, v) for k, v in record.items() if k != ANNOTATION_FIELD)
    out.append(ANNOTATION_FIELD, JsonObject([("prelabel", prelabel.source), ("prelabel_actions", list(prelabel.actions))]))
    return out


def annotated_record(record: JsonObject, outline: Outline) -> JsonObject:
    """The record with the outline's layout (decoded from its actions) and its notes and edit count."""
    tree = record_tree(record)
    decoded = decode_layout(tree, outline.actions)
    if decoded.repairs:
        raise OutlineError(str(record["id"]), [f"the actions need repairs to decode: {dict(decoded.repairs)}"])
    layout = decoded.layout
    annotation = JsonObject((k, v) for k, v in (record.get(ANNOTATION_FIELD) or JsonObject()).items()
                            if k in ("prelabel", "prelabel_actions"))
    prelabel = annotation.get("prelabel_actions")
    if prelabel is not None and len(prelabel) == len(tree):
        annotation.append("changed", sum(a != b for a, b in zip(prelabel, outline.actions)))
        annotation.append("nodes", len(tree))
    annotation.append("notes", list(outline.notes))
    layout_field = JsonObject([("type", "SectionLayout"), ("data", JsonObject([("structure", layout["structure"])])),
                               ("props", layout["props"])])
    out = JsonObject()
    for key, value in record.items():
        if key not in ("layout", ANNOTATION_FIELD):
            out.append(key, value)
        if key == "html_boxes":  # the layout follows the boxes, as in the data sets this project writes
            out.append("layout", layout_field)
    if "layout" not in out:
        out.append("layout", layout_field)
    out.append(ANNOTATION_FIELD, annotation)
    return out


def record_layout(record: JsonObject) -> JsonObject:
    """`{"structure", "props"}` of an annotated record (props beside or inside `layout.data`)."""
    layout = record["layout"]
    props = layout.get("props", layout["data"].get("props", JsonObject()))
    return JsonObject([("structure", layout["data"]["structure"]), ("props", props)])


def record_actions(record: JsonObject) -> tuple[str, ...]:
    """The actions of an annotated record's layout (the inverse of `annotated_record`)."""
    return encode_layout(record_tree(record), record_layout(record)).actions


def outline_of_record(record: JsonObject) -> str:
    """The outline of an annotated record, its notes kept: edit it and apply again."""
    annotation = record.get(ANNOTATION_FIELD) or {}
    fields = outline_fields(record, "annotation")
    return write_outline(record_tree(record), record_actions(record), record.get("html_boxes"), fields,
                         annotation.get("notes", ()))


def overlay_png(record: JsonObject, screenshot: bytes | Path) -> bytes:
    """The annotated layout's elements drawn over the screenshot (PNG bytes)."""
    tree = record_tree(record)
    encoded = encode_layout(tree, record_layout(record))
    data = screenshot.read_bytes() if isinstance(screenshot, Path) else screenshot
    with Image.open(io.BytesIO(data)) as image:
        picture = draw_example(image, tree, encoded, record["html_boxes"], title=str(record["id"]))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def prelabel_png(record: JsonObject, screenshot: bytes, prelabel: Prelabel) -> bytes:
    """The pre-labels drawn as an overlay, so a person sees the proposal before editing."""
    return overlay_png(annotated_record(record, Outline(prelabel.actions)), screenshot)


def nodes_png(record: JsonObject, screenshot: bytes) -> bytes:
    """Every visible node's box with its index (the outline's first column), to find a line's node by eye."""
    from PIL import ImageDraw  # noqa: PLC0415
    tree = record_tree(record)
    with Image.open(io.BytesIO(screenshot)) as image:
        picture = image.convert("RGB")
    draw = ImageDraw.Draw(picture)
    for node in tree.nodes:
        x, y, w, h = record["html_boxes"][node.index]
        if w <= 0 or h <= 0:
            continue
        colour = NODE_COLOURS[node.depth % len(NODE_COLOURS)]
        draw.rectangle([x, y, max(x, x + w - 1), max(y, y + h - 1)], outline=colour, width=1)
        label = str(node.index)
        draw.rectangle([x, y, x + 6 * len(label) + 2, y + 10], fill=colour)
        draw.text((x + 1, y - 1), label, fill=(255, 255, 255))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- folders

def read_record(folder: Path) -> JsonObject:
    path = folder / EXAMPLE_FILE
    if not path.is_file():
        raise AnnotateError(f"{path}: not found (make the section first: python -m data_tools.annotate new ...)")
    return load_json(path.read_text(encoding="utf-8"))


def is_annotated(folder: Path) -> bool:
    return (folder / EXAMPLE_FILE).is_file() and "layout" in read_record(folder)


def write_new_section(folder: Path, record: JsonObject, shot: bytes, prelabel: Prelabel, force: bool) -> None:
    """Writes a freshly rendered, pre-labelled section; an annotated one is kept unless `force`."""
    if (folder / OUTLINE_FILE).exists() or is_annotated(folder):
        if not force:
            raise AnnotateError(f"{folder} already holds an annotation ({OUTLINE_FILE} or a layout); "
                                "pass --force to replace it with fresh pre-labels")
    folder.mkdir(parents=True, exist_ok=True)
    name = record["screenshot"]["path"]
    (folder / name).write_bytes(shot)
    (folder / EXAMPLE_FILE).write_text(dump_json(with_prelabel(record, prelabel), indent=1) + "\n", encoding="utf-8")
    (folder / OUTLINE_FILE).write_text(new_outline(record, prelabel), encoding="utf-8")
    (folder / PRELABEL_OVERLAY_FILE).write_bytes(prelabel_png(record, shot, prelabel))
    (folder / NODES_FILE).write_bytes(nodes_png(record, shot))


def apply_outline(folder: Path, force: bool = False, outline_text: str | None = None) -> JsonObject:
    """Reads `outline.txt`, checks it, writes the annotated example.json and overlay.png; returns the record.

    A folder whose example.json already has a different layout is kept unless `force`.
    """
    record = read_record(folder)
    text = outline_text if outline_text is not None else (folder / OUTLINE_FILE).read_text(encoding="utf-8")
    tree = record_tree(record)
    outline = parse_outline(text, tree, source=str(folder / OUTLINE_FILE))
    annotated = annotated_record(record, outline)
    if "layout" in record and not force and record_actions(record) != outline.actions:
        raise AnnotateError(f"{folder / EXAMPLE_FILE} already holds another annotation; "
                            "pass --force to replace it with the outline's")
    check_written(folder, annotated)
    (folder / EXAMPLE_FILE).write_text(dump_json(annotated, indent=1) + "\n", encoding="utf-8")
    (folder / OVERLAY_FILE).write_bytes(overlay_png(annotated, folder / annotated["screenshot"]["path"]))
    return annotated


def check_written(folder: Path, record: JsonObject) -> None:
    """The validator's checks (files, image, keys, representability, boxes) on the record about to be written."""
    example = record_example(record, folder, str(record["id"]), None, str(folder / EXAMPLE_FILE))
    checked = check_example(example, max_slots=10_000)
    if checked.errors:
        raise OutlineError(str(record["id"]), [f"{e.field}: {e.message}" for e in checked.errors])
