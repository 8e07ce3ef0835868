"""From a web page (or rendered sections) to layouts, one folder per section, and a report page.

    python -m dlt_jax.predict page.html --selector "body > section" --out /tmp/layouts
    python -m dlt_jax.main --mode=sample --input=/tmp/sections --output=/tmp/layouts   # rendered already

`python -m dlt_jax.predict` renders PAGE (an html file, a folder with an index.html, or an http(s)
URL) in Chromium, finds every section the selector matches, and predicts each with the shipped
weights (MODEL_CARD.md; `--workdir` for others) with the DOM boxes given. Each `OUT/<id>/` gets
`screenshot.png` and `example.json` (the rendered input), `layout.json` (structure + props, DATA_FORMAT
§1.2), `prediction.json` (the same plus per-node actions, probabilities, boxes and repair counts) and
`overlay.png`; `OUT/index.html` shows them all (`report_page`). A broken input is reported with its
field and skipped; the summary counts it.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from tqdm import tqdm

from dlt_jax import report_page, viz
from dlt_jax.data.example import DatasetError, Example, ExampleError
from dlt_jax.data.inputs import read_inputs
from dlt_jax.data.readers import folder_example
from dlt_jax.inference import LayoutGenerator, LayoutPrediction, load_generator, resolve_node
from dlt_jax.layout import JsonObject, dump_json, load_json, parse_html
from dlt_jax.layout.partial import PartialLayout, is_partial_layout

OVERLAY_WIDTH = 800
SCREENSHOT = "screenshot.png"
LAYOUT, PREDICTION, OVERLAY = "layout.json", "prediction.json", "overlay.png"
SUMMARY = "summary.json"


class PredictError(Exception):
    """A problem with what the user asked for: one line saying what is wrong and what to do."""


def safe_name(example_id: str) -> str:
    """An example id as one folder name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", example_id).strip("._") or "example"


def draw_prediction(example: Example, prediction: LayoutPrediction, vocab: Any) -> Image.Image:
    """The predicted elements (boxes and types) over the example's own screenshot."""
    image = np.asarray(example.load_screenshot())
    ids = np.asarray(vocab.action_ids(prediction.actions))
    return viz.draw_example(image, ids, prediction.box_targets, prediction.box_valid, vocab, width=OVERLAY_WIDTH)


def write_prediction(folder: Path, example: Example, prediction: LayoutPrediction, vocab: Any) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / LAYOUT).write_text(dump_json(prediction.layout, indent=2) + "\n", encoding="utf-8")
    (folder / PREDICTION).write_text(dump_json(prediction.to_json(), indent=2) + "\n", encoding="utf-8")
    draw_prediction(example, prediction, vocab).save(folder / OVERLAY)


def prediction_view(output: Path, example: Example, prediction: LayoutPrediction, vocab: Any) -> dict[str, Any]:
    """One section of the report page, its files relative to `output`; the screenshot is copied beside
    them unless it is there already (the report page reads it from there)."""
    name = safe_name(example.id)
    image = example.load_screenshot()
    if not (output / name / SCREENSHOT).exists():
        image.convert("RGB").save(output / name / SCREENSHOT)
    files = {label: f"{name}/{label}" for label in (LAYOUT, PREDICTION, OVERLAY)}
    return report_page.section_view(
        example.id, prediction.tree, prediction.actions, prediction.probabilities, prediction.boxes,
        prediction.box_valid.tolist(), screenshot=f"{name}/{SCREENSHOT}", size=image.size, files=files,
        vocab=vocab, style=prediction.style)


def element_types(prediction: LayoutPrediction, vocab: Any) -> Counter:
    return Counter(a for a in prediction.actions if vocab.is_type(a))


def run_sample(generator: LayoutGenerator, input_path: str | Path, output: str | Path, boxes: str = "auto",
               seed: int = 0, progress: bool = True,
               given_actions: Mapping[str, Mapping[int, str]] | None = None,
               meta: Mapping[str, Any] | None = None,
               partials: Mapping[str | None, Any] | None = None) -> dict[str, Any]:
    """Predicts every input under `input_path` into `output` (one folder per section, the report page
    `index.html`); returns (and writes) a summary. `given_actions[id]` fixes some node actions of
    that section (preorder index -> action); `partials[id]` is that section's partial layout
    (`layout.partial`; key None: the only section of the input), completed around what it gives.
    A partial layout for no input section, or one that contradicts itself or its html, raises
    PredictError."""
    output = Path(output)
    examples, errors = [], []
    for item in read_inputs(input_path):
        if isinstance(item, ExampleError):
            errors.append(item.as_dict())
            continue
        examples.append(item)
    fixed = [dict((given_actions or {}).get(e.id, {})) for e in examples]
    layouts = partials_for(generator, examples, partials or {})
    with tqdm(total=len(examples), desc="predict", unit="section", disable=not progress) as bar:
        predictions = generator.predict_examples(examples, boxes=boxes, seed=seed, progress=bar, errors=errors,
                                                 given_actions=fixed, partials=layouts)
    sections, views = [], []
    for example, prediction in zip(examples, predictions):
        if prediction is None:
            continue
        folder = output / safe_name(example.id)
        write_prediction(folder, example, prediction, generator.vocab)
        views.append(prediction_view(output, example, prediction, generator.vocab))
        types = element_types(prediction, generator.vocab)
        sections.append({"id": example.id, "folder": str(folder), "nodes": len(prediction.actions),
                         "elements": sum(types.values()), "types": dict(types.most_common()),
                         "windows": prediction.windows, "repairs": dict(prediction.repairs)})
    output.mkdir(parents=True, exist_ok=True)
    report = report_page.write_report_page(output, views, meta=dict(meta or {}, step=generator.step, boxes=boxes))
    summary = {"input": str(input_path), "output": str(output), "report": str(report),
               "checkpoint_step": generator.step, "predicted": len(sections), "skipped": len(errors),
               "errors": errors, "repaired": sum(1 for s in sections if s["repairs"]), "boxes": boxes,
               "sections": sections}
    (output / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def partials_for(generator: LayoutGenerator, examples: Sequence[Example],
                 partials: Mapping[str | None, Any]) -> list[PartialLayout | None]:
    """Each example's partial layout resolved against it (None: it has none). A key is an example id
    or its folder name (`safe_name`); the key None is the one example of a single-example input."""
    ids = [e.id for e in examples]
    if None in partials:
        if len(examples) != 1:
            raise PredictError(f"--partial gives one partial layout, but the input has {len(examples)} sections; key "
                               'it by section id ({"<id>": {"structure": ...}}) or give a folder of <id>.json files')
        partials = {ids[0]: partials[None]}
    names = {safe_name(i): i for i in ids}
    keyed = {key if key in ids else names.get(key, key): value for key, value in partials.items()}
    unknown = [key for key in keyed if key not in ids]
    if unknown:
        raise PredictError(f"--partial: no input section {unknown[0]!r}; the input has "
                           f"{', '.join(ids) if ids else 'no readable section'}")
    resolved = []
    for example in examples:
        value = keyed.get(example.id)
        try:
            resolved.append(value if value is None or isinstance(value, PartialLayout)
                            else generator.read_partial(example, value))
        except ExampleError as error:
            raise PredictError(f"--partial: {error}") from None
    return resolved


def read_partial_layouts(path: str | Path) -> dict[str | None, JsonObject]:
    """`--partial` of `--mode=sample`: a partial layout file (for an input of one section), a JSON object
    of section id -> partial layout, or a folder of `<id>.json` partial layouts."""
    path = Path(path)
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if path.is_dir() and not files:
        raise PredictError(f"--partial {path}: a folder without <id>.json partial layouts")
    found: dict[str | None, JsonObject] = {}
    for file in files:
        try:
            data = load_json(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise PredictError(f"--partial {file}: {error}") from None
        if path.is_dir():
            entries = [(file.stem, data)]
        elif is_partial_layout(data):
            entries = [(None, data)]
        elif isinstance(data, JsonObject) and data:
            entries = data.items()
        else:
            raise PredictError(f'--partial {file}: expected a partial layout (an object with "structure") or an '
                               "object of section id -> partial layout")
        for key, value in entries:
            if not is_partial_layout(value):
                raise PredictError(f'--partial {file}: {key!r}: expected a partial layout (an object with '
                                   '"structure")')
            if key in found:
                raise PredictError(f"--partial {file}: section {key!r} given twice")
            found[key] = value
    return found


# ----------------------------------------------------------------------------- the page command

def page_url(page: str) -> str:
    """PAGE as something Chromium opens: an http(s) URL as it is, an html file or a folder's index.html."""
    if re.match(r"^https?://", page):
        return page
    if re.match(r"^[a-z][a-z0-9+.-]*://", page):
        raise PredictError(f"{page}: only http(s) URLs, html files and folders with an index.html are read")
    path = Path(page)
    if path.is_dir():
        if not (path / "index.html").is_file():
            raise PredictError(f"{page}: a folder without an index.html; give the html file itself")
        path = path / "index.html"
    elif not path.is_file():
        raise PredictError(f"{page}: no such file or folder (give an html file, a folder with an index.html, "
                           "or an http(s) URL)")
    return str(path.absolute())


def check_output(out: Path, force: bool) -> None:
    """`out` empty or absent; with `force`, what a previous run wrote there is cleared."""
    if out.exists() and not out.is_dir():
        raise PredictError(f"--out {out}: a file, not a folder")
    held = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    if held and not force:
        shown = ", ".join(held[:4]) + (", ..." if len(held) > 4 else "")
        raise PredictError(f"--out {out} already holds {len(held)} entries ({shown}); pass --force to replace "
                           "them, or choose another folder")
    for name in held:
        target = out / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()


def describe_render_error(page: str, selector: str, error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if "matched no element" in text:
        return (f"selector {selector!r} matches nothing on {page}; open the page and pick a selector of its "
                "sections (e.g. 'section', 'body > *', 'main > div')")
    if "net::ERR" in text or "NS_ERROR" in text:
        reason = re.search(r"net::ERR_[A-Z_]+", text)
        return (f"cannot open {page} ({reason.group(0) if reason else text}); check the address and that the "
                "server is up and reachable from here")
    if "Timeout" in type(error).__name__ or "Timeout" in text:
        return f"{page} did not finish loading in time ({text}); try again, or save the page and give the file"
    return f"rendering {page} failed: {text}"


def render_sections(page: str, selector: str, out: Path, *, first: bool, width: int,
                    chromium: str | None) -> list[str]:
    """Renders every section of `page` matching `selector` into `out/<id>/` (screenshot.png,
    example.json), returns their ids."""
    from data_tools import render  # noqa: PLC0415
    from data_tools.render_page import inference_record, write_section  # noqa: PLC0415

    url = page_url(page)
    try:
        renderer = render.Renderer(chromium, width=width)
    except render.RenderError as error:  # no Chromium: the message says where it looked and how to get one
        raise PredictError(str(error)) from None
    with renderer:
        try:
            renderings = ([renderer.render_url(url, selector, width)] if first
                          else renderer.render_url_all(url, selector, width))
        except Exception as error:  # playwright's errors name the network or selector problem
            raise PredictError(describe_render_error(page, selector, error)) from None
    ids = []
    for match, rendering in enumerate(renderings):
        ident = f"section-{match:02d}"
        warnings: list[str] = []
        record, shot = inference_record(ident, page, selector, rendering, 0, warnings)
        write_section(out / ident, record, shot)
        for warning in warnings:
            print(f"predict: {ident}: {warning}", file=sys.stderr)
        ids.append(ident)
    return ids


def read_partial(path: str | Path, out: Path, ids: Sequence[str],
                 generator: LayoutGenerator) -> tuple[dict[str, dict[int, str]], dict[str, PartialLayout]]:
    """`--partial FILE`: a partial layout (`layout.partial`: `{"structure": ..., "boxes": ...}`) or
    hand-fixed node actions `{"<node>": "<action>"}` for the first section, or either of them per
    section, `{"<section id>": ...}`; a node is its preorder index or its html key path. Returns the
    node actions and the partial layouts, per section."""
    try:
        data = load_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PredictError(f"--partial {path}: {error}") from None
    if not isinstance(data, JsonObject):
        raise PredictError(f"--partial {path}: expected a JSON object: a partial layout, or node -> action")
    single = is_partial_layout(data) or not data or not all(isinstance(v, JsonObject) for v in data.values())
    per_section = [(ids[0], data)] if single else data.items()
    fixed: dict[str, dict[int, str]] = {}
    layouts: dict[str, PartialLayout] = {}
    for section, given in per_section:
        if section not in ids:
            raise PredictError(f"--partial {path}: no section {section!r}; the page gave {', '.join(ids)}")
        if section in fixed or section in layouts:
            raise PredictError(f"--partial {path}: section {section!r} given twice")
        example = folder_example(out / section, section, split="input")
        try:
            if is_partial_layout(given):
                layouts[section] = generator.read_partial(example, given)
                continue
            fixed[section] = node_actions(parse_html(example.html), section, given, generator)
        except (ExampleError, ValueError) as error:
            raise PredictError(f"--partial {path}: {error}") from None
    return fixed, layouts


def node_actions(tree: Any, section: str, given: JsonObject, generator: LayoutGenerator) -> dict[int, str]:
    """`{"<node>": "<action>"}`: each node (index or key path) once, each action known."""
    keys = given.keys()
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)} given twice")
    fixed: dict[int, str] = {}
    for ref, action in given.items():
        generator.check_action(section, ref, action)
        fixed[resolve_node(tree, int(ref) if ref.isdigit() else ref, section)] = action
    return fixed


def format_table(summary: Mapping[str, Any]) -> str:
    rows = [("section", "nodes", "elements", "types")]
    for section in summary["sections"]:
        types = ", ".join(f"{t} {n}" for t, n in section["types"].items())
        if section.get("windows", 1) > 1:
            types += f"  (long: predicted in {section['windows']} windows)"
        rows.append((section["id"], str(section["nodes"]), str(section["elements"]), types))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}" for r in rows]
    for error in summary["errors"]:
        lines.append(f"{error['id']}: not predicted: {error['message']}")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m dlt_jax.predict", description=__doc__.splitlines()[0])
    parser.add_argument("page", help="an html file, a folder with an index.html, or an http(s) URL")
    parser.add_argument("--selector", required=True, help="CSS selector of the page's sections")
    parser.add_argument("--out", default="layouts", help="output folder (default: ./layouts)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every section the selector matches (the default)")
    which.add_argument("--first", action="store_true", help="only the first section the selector matches")
    parser.add_argument("--width", type=int, default=1920, help="viewport width in px (default 1920)")
    parser.add_argument("--partial", default=None, help="a partial layout (structure, props and boxes of the "
                        "elements you fix; README, Completion) or JSON of hand-fixed node actions (node -> action), "
                        "for the first section, or either keyed by section id; the rest is predicted around them")
    parser.add_argument("--workdir", default=None, help="a training workdir to predict with instead of the "
                        "shipped weights")
    parser.add_argument("--checkpoint", default="best", choices=("best", "latest"),
                        help="with --workdir: the best checkpoint by train.select (default) or the newest")
    parser.add_argument("--step", type=int, default=None, help="with --workdir: this step")
    parser.add_argument("--chromium", default=None, help="Chromium executable (default: $DLT_CHROMIUM, a system one)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="replace what --out already holds")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON instead of a table")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    started = time.time()
    try:
        check_output(out, args.force)
        ids = render_sections(args.page, args.selector, out, first=args.first, width=args.width,
                              chromium=args.chromium)
        generator = load_generator(args.workdir, step=args.step, checkpoint=args.checkpoint)
        fixed, layouts = read_partial(args.partial, out, ids, generator) if args.partial else ({}, {})
        meta = {"page": args.page, "selector": args.selector,
                "weights": args.workdir or "shipped (MODEL_CARD.md)"}
        summary = run_sample(generator, out, out, boxes="given", seed=args.seed, progress=not args.json,
                             given_actions=fixed, meta=meta, partials=layouts)
    except (PredictError, DatasetError, FileNotFoundError, ValueError) as error:
        print(f"predict: {error}", file=sys.stderr)
        return 2
    summary["seconds"] = round(time.time() - started, 1)
    for error in summary["errors"]:
        if "more than the model's" in error["message"]:
            error["message"] += "; or pick parts of it with a narrower --selector"
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_table(summary))
        print(f"{summary['predicted']} section(s) in {summary['seconds']} s; report: {summary['report']}")
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
