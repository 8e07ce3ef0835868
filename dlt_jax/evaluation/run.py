"""The evaluation report of a checkpoint on a split: the model, its ablations, the rule baseline.

Systems, each scored by `metrics.score` on the same examples:
- model, boxes given: DOM boxes given, actions sampled (the main inference mode);
- model, boxes generated: boxes and actions sampled;
- model without screenshot (boxes given / generated): the screenshot dropped (what the pixels add,
  beside DOM geometry and without it);
- model without classes (boxes given): every class name stripped (what the class vocabulary adds);
- rule baseline: `baseline.rule_actions` (tag/class table and containers by their children).
Completion accuracy: a share (0, 25, 50, 75 %) of each example's true actions given, the rest
completed; accuracy on the nodes that were not given.
Conditional boxes (DLT's conditional tasks, its `mask_loc` / `mask_size`): every true action given
(C, the element types and merges), and either nothing of the boxes (C -> S + P), every node's true
size (C + S -> P) or its true location, the box centre (C + P -> S); the rest generated and scored by
box mIoU, alignment and overlap.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dlt_jax import report_page, viz
from dlt_jax.data.example import Example
from dlt_jax.data.transforms import clip_boxes
from dlt_jax.evaluation.baseline import rule_actions
from dlt_jax.evaluation.metrics import example_result, score
from dlt_jax.evaluation.report import REPORT_JSON, REPORT_MD, write_report
from dlt_jax.layout import (CONTENT_KEYS, HtmlError, JsonObject, LayoutError, encode_layout, parse_html,
                            parse_key)

COMPLETION_FRACTIONS = (0.0, 0.25, 0.5, 0.75)
# DLT's conditional box tasks: name, what of each box is given (cx, cy, w, h), what is generated.
CONDITIONAL_BOX_MODES = (("C -> S + P", (False, False, False, False), "size and location"),
                         ("C + S -> P", (False, False, True, True), "location (the centre)"),
                         ("C + P -> S", (True, True, False, False), "size"))
CONDITIONAL_BOX_METRICS = ("box_miou", "alignment", "overlap", "alignment_true", "overlap_true")
FIGURE = "examples.png"
PAGE_SHOTS = "sections"  # the report page's screenshots, under the report folder


def given_nodes(node_count: int, fraction: float, seed: int) -> list[int]:
    """`round(fraction * n)` distinct nodes, drawn by `seed` (the same for every system and run)."""
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(node_count, size=int(round(fraction * node_count)), replace=False).tolist())


def completion_accuracy(generator: Any, examples: Sequence[Example], truths: Sequence[Sequence[str]],
                        fraction: float, seed: int) -> dict[str, Any]:
    """Node-action accuracy on the nodes left to the model when `fraction` of the true actions are given."""
    partials = [{node: truth[node] for node in given_nodes(len(truth), fraction, seed + i)}
                for i, truth in enumerate(truths)]
    predictions = generator.predict_examples(examples, seed=seed, given_actions=partials)
    correct = total = 0
    for truth, partial, prediction in zip(truths, partials, predictions):
        assert all(prediction.actions[node] == action for node, action in partial.items())  # given stays given
        rest = [i for i in range(len(truth)) if i not in partial]
        correct += sum(prediction.actions[i] == truth[i] for i in rest)
        total += len(rest)
    return {"fraction_given": fraction, "nodes_completed": total,
            "accuracy": round(correct / total, 4) if total else None}


def true_centre_boxes(example: Example) -> tuple[np.ndarray, np.ndarray]:
    """Each node's DOM box clipped to the screenshot as `n 4` (cx, cy, w, h) pixels, and `n` which nodes have one."""
    width, height = example.image_size()
    boxes, valid = clip_boxes(np.asarray(example.html_boxes, np.float64), width, height)
    return np.concatenate([boxes[:, :2] + boxes[:, 2:] / 2, boxes[:, 2:]], axis=1), valid


def conditional_boxes(generator: Any, examples: Sequence[Example], truths: Sequence[Sequence[str]],
                      seed: int) -> list[dict[str, Any]]:
    """Box metrics of DLT's conditional tasks (`CONDITIONAL_BOX_MODES`): the true actions given, and the
    true size or location (centre) of every node that has a DOM box; the other coordinates generated."""
    vocab = generator.vocab
    actions = [dict(enumerate(truth)) for truth in truths]
    rows = []
    for mode, mask, generated in CONDITIONAL_BOX_MODES:
        given_boxes = []
        for example in examples:
            centres, valid = true_centre_boxes(example)
            given_boxes.append({int(node): (tuple(centres[node]), mask) for node in np.flatnonzero(valid)}
                               if any(mask) else {})
        predictions = generator.predict_examples(examples, boxes="generate", seed=seed, given_actions=actions,
                                                 given_boxes=given_boxes)
        scores = score([example_result(e, p.actions, pred_boxes=p.box_targets, pred_box_valid=p.box_valid,
                                       vocab=vocab) for e, p in zip(examples, predictions)], vocab)
        given = ["actions"] + [name for name, on in (("location", mask[0]), ("size", mask[2])) if on]
        rows.append({"mode": mode, "given": " + ".join(given), "generated": generated, "examples": len(examples),
                     **{key: scores.get(key) for key in CONDITIONAL_BOX_METRICS}})
    return rows


def strip_classes(html: Any) -> JsonObject:
    """The html object with every node key cut to its tag (content and order kept): what the model
    sees of a site whose class names say nothing."""
    out = JsonObject()
    for key, value in html.items():
        if isinstance(value, (JsonObject, dict)):
            out.append(parse_key(key).tag, strip_classes(value))
        elif key in CONTENT_KEYS:
            out.append(key, value)
        else:
            out.append(parse_key(key).tag, value)
    return out


def without_classes(example: Example) -> Example:
    """The example with its classes stripped; its slots (one per node, preorder) are the same."""
    return dataclasses.replace(example, html=strip_classes(example.html), layout=None)


def draw_examples(path: Path, examples: Sequence[Example], predictions: Sequence[Any], vocab: Any,
                  count: int = 8) -> None:
    """Truth (left) beside the model's prediction with boxes given (right)."""
    pictures = []
    for example, prediction in list(zip(examples, predictions))[:count]:
        image = np.asarray(example.load_screenshot())
        truth = vocab.action_ids(encode_layout(parse_html(example.html), example.layout, vocab).actions)
        for actions in (truth, vocab.action_ids(prediction.actions)):
            pictures.append(viz.draw_example(image, np.asarray(actions), prediction.box_targets,
                                             prediction.box_valid, vocab, width=viz.BATCH_TILE_WIDTH))
    if pictures:
        viz.titled(viz.draw_grid(pictures, columns=2), ["truth", "model, boxes given"]).save(path)


def readable(examples: Sequence[Example], vocab: Any) -> tuple[list[Example], list[dict[str, str]]]:
    """The examples whose html parses and whose layout (if any) encodes as actions, the others as `{id, reason}`."""
    kept, broken = [], []
    for example in examples:
        try:
            tree = parse_html(example.html)
            if example.layout is not None:
                encode_layout(tree, example.layout, vocab)
        except HtmlError as error:
            broken.append({"id": example.id, "reason": f"html: {error}"})
        except LayoutError as error:
            broken.append({"id": example.id, "reason": f"layout: {error}"})
        else:
            kept.append(example)
    return kept, broken


def scorable(examples: Sequence[Example], max_slots: int,
             windows: bool = False) -> tuple[list[Example], list[dict[str, str]]]:
    """The examples every system can be scored on, and the others as `{id, reason}`. With `windows`
    (the generator splits long sections into windows) a section over `max_slots` is scored too."""
    kept, skipped = [], []
    for example in examples:
        nodes = len(parse_html(example.html))
        reason = ("no layout" if example.layout is None else
                  "no html_boxes (the boxes-given systems need them)" if example.html_boxes is None else
                  f"{nodes} html nodes, more than the model's {max_slots} slots"
                  if nodes > max_slots and not windows else None)
        if reason is None:
            kept.append(example)
        else:
            skipped.append({"id": example.id, "reason": reason})
    return kept, skipped


def write_eval_page(out_dir: Path, examples: Sequence[Example], predictions: Sequence[Any],
                    truths: Sequence[Any], vocab: Any, step: int) -> Path:
    """The report page (`index.html`): each example's truth beside the prediction with boxes given,
    mismatched elements marked, keys in each example's own style (`truths`: their `encode_layout`); the
    screenshots are copied (JPEG) under `sections/`."""
    (out_dir / PAGE_SHOTS).mkdir(parents=True, exist_ok=True)
    views = []
    for number, (example, prediction, truth) in enumerate(zip(examples, predictions, truths)):
        image = example.load_screenshot().convert("RGB")
        shot = f"{PAGE_SHOTS}/{number:04d}.jpg"
        image.save(out_dir / shot, quality=85)
        views.append(report_page.section_view(
            example.id, prediction.tree, prediction.actions, prediction.probabilities, prediction.boxes,
            prediction.box_valid.tolist(), screenshot=shot, size=image.size, vocab=vocab, style=truth.style,
            truth_actions=list(truth.actions)))
    return report_page.write_report_page(out_dir, views, title="dlt_jax evaluation: truth beside prediction",
                                         meta={"step": step, "boxes": "given", "sections": len(views)})


def evaluate_layouts(generator: Any, examples: Sequence[Example], out_dir: str | Path, *, seed: int = 0,
                     fractions: Sequence[float] = COMPLETION_FRACTIONS, progress: Any = None,
                     unreadable: Sequence[Mapping[str, str]] = ()) -> dict[str, Any]:
    """Runs every system on `examples` (with layouts and html_boxes) and writes report.json / report.md,
    the confusion matrices and `examples.png` into `out_dir`; returns the report. An example that cannot
    be scored (no layout, no html_boxes, more nodes than the model's slots when `generator.windows` is
    off, a broken html object, layout or screenshot) is left out and listed in the report's `skipped`
    with the reason, after `unreadable` (`{id, reason}` of examples that could not be read at all)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    vocab = generator.vocab
    examples, broken = readable(examples, vocab)
    examples, skipped = scorable(examples, generator.spec.max_slots, windows=generator.windows)
    errors: list[dict[str, str]] = []
    given = generator.predict_examples(examples, boxes="given", seed=seed, progress=progress, errors=errors)
    examples, given = [e for e, p in zip(examples, given) if p is not None], [p for p in given if p is not None]
    skipped = [*unreadable, *broken, *skipped, *({"id": e["id"], "reason": f"{e['field']}: {e['message']}"}
                                                  for e in errors)]
    encoded = [encode_layout(parse_html(e.html), e.layout, vocab) for e in examples]
    truths = [list(e.actions) for e in encoded]

    def scored(predictions: Sequence[Any]) -> dict[str, Any]:
        # Nodes without a DOM box (zero area, off-screen) are left out of the box metrics: the model has
        # no "no box" output, and a zero target is not a box.
        return score([example_result(e, p.actions, pred_boxes=p.box_targets, pred_box_valid=p.box_valid,
                                     vocab=vocab) for e, p in zip(examples, predictions)], vocab)

    sections = {
        "model, boxes given": scored(given),
        "model, boxes generated": scored(generator.predict_examples(examples, boxes="generate", seed=seed)),
        "model without screenshot, boxes given": scored(generator.predict_examples(examples, boxes="given", seed=seed,
                                                                      drop_image=True)),
        "model without screenshot, boxes generated": scored(generator.predict_examples(
            examples, boxes="generate", seed=seed, drop_image=True)),
        "model without classes, boxes given": scored(generator.predict_examples(
            [without_classes(e) for e in examples], boxes="given", seed=seed)),
        "rule baseline": score([example_result(e, rule_actions(parse_html(e.html), vocab), vocab=vocab)
                                for e in examples], vocab),
    }
    write_report(out_dir, sections)
    completion = [completion_accuracy(generator, examples, truths, f, seed) for f in fractions]
    conditional = conditional_boxes(generator, examples, truths, seed)
    draw_examples(out_dir / FIGURE, examples, given, vocab)
    write_eval_page(out_dir, examples, given, encoded, vocab, generator.step)
    report = {"checkpoint_step": generator.step, "examples": len(examples), "systems": sections,
              "completion": completion, "conditional_boxes": conditional, "skipped": skipped}
    (out_dir / REPORT_JSON).write_text(json.dumps(report, indent=2) + "\n")
    with (out_dir / REPORT_MD).open("a") as stream:
        stream.write("\n## Completion\n\nA share of each example's true actions given (boxes given), the rest "
                     "completed; node-action accuracy on the completed nodes.\n\n| given | nodes completed | "
                     "accuracy |\n| --- | --- | --- |\n")
        for row in completion:
            accuracy = "" if row["accuracy"] is None else f"{100 * row['accuracy']:.1f}"
            stream.write(f"| {100 * row['fraction_given']:.0f} % | {row['nodes_completed']} | {accuracy} |\n")
        stream.write(conditional_boxes_markdown(conditional))
        stream.write(f"\n## Examples\n\n![truth beside prediction]({FIGURE})\n")
        if skipped:
            stream.write(f"\n## Not scored\n\n{len(skipped)} example(s) could not be scored:\n\n"
                         + "".join(f"- {s['id']}: {s['reason']}\n" for s in skipped))
    return report


def conditional_boxes_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """The `## Conditional boxes` section of report.md."""
    def cell(value: Any, percent: bool = False) -> str:
        return "" if value is None else f"{100 * value:.1f}" if percent else f"{value:.4f}"

    lines = ["", "## Conditional boxes", "",
             "DLT's conditional tasks: the true actions given (C: element types and merges), and the true size "
             "(S) or location (P, the box centre) of every node with a DOM box; the rest of each box generated. "
             "Box mIoU (%) to the DOM boxes; alignment and overlap (DLT, lower is better) of the leaf elements, "
             "beside the truth's.", "",
             "| task | given | generated | box mIoU | alignment | overlap | alignment (truth) | overlap (truth) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        lines.append(f"| {row['mode']} | {row['given']} | {row['generated']} | {cell(row['box_miou'], True)} | "
                     f"{cell(row['alignment'])} | {cell(row['overlap'])} | {cell(row['alignment_true'])} | "
                     f"{cell(row['overlap_true'])} |")
    return "\n".join(lines) + "\n"


def split_examples(data_config: Any, split: str, path: str | Path | None = None,
                   errors: list[dict[str, str]] | None = None) -> list[Example]:
    """The examples of `split` as read from the data set's source (screenshots at full size); `path`: another
    data set than `data_config.path`, read with the same settings. A source (data set folder, manifest) is
    read where it is now, even when its shard cache was built from a copy elsewhere; a built folder is read
    from the source it was built from. Broken examples of the split go to `errors` as `{id, reason}`."""
    from dlt_jax.data.dataset import find_built, resolve_dataset  # noqa: PLC0415
    from dlt_jax.data.example import DatasetError, ExampleError  # noqa: PLC0415
    from dlt_jax.data.readers import default_data_path, read_examples, read_folder  # noqa: PLC0415
    given = Path(path if path is not None else data_config.path or default_data_path())
    data = resolve_dataset(given, cache_dir=data_config.data_dir, image_size=data_config.build_image_size,
                           image_format=data_config.image_format, progress=False)
    named_built = find_built(given, data_config.build_image_size, data_config.image_format) is not None
    source = Path(data.metadata["source"]) if named_built else given
    if not source.exists():
        raise DatasetError(f"{data.path} was built from {source}, which is not here; the report needs the source "
                           "examples (full-size screenshots, visual cues): give the data set folder or .jsonl "
                           "manifest itself")
    # A folder's broken examples are known to be of `split`; a manifest's broken line has no readable split.
    records = read_folder(source, (split,)) if source.is_dir() else read_examples(source)
    examples = []
    for record in records:
        if isinstance(record, ExampleError):
            if errors is not None:
                errors.append({"id": record.example_id, "reason": f"{record.field}: {record.message}"})
        elif (record.split or record.extra.get("split", "train")) == split:
            examples.append(record)
    if not examples:
        raise DatasetError(f"{source}: no example in split {split!r}")
    return examples


def headline(report: Mapping[str, Any]) -> str:
    """A few lines for the terminal: the main metrics per system."""
    keys = ("exact_match", "node_action_accuracy", "element_f1", "tree_edit_distance", "visual_cue_node_accuracy")
    lines = [f"{'system':<28}" + "".join(f"{k[:22]:>24}" for k in keys)]
    for name, values in report["systems"].items():
        cells = "".join(f"{'' if values.get(k) is None else round(values[k], 4):>24}" for k in keys)
        lines.append(f"{name:<28}{cells}")
    lines += [f"completion, {100 * row['fraction_given']:.0f} % given: {row['accuracy']}" for row in report["completion"]]
    lines += [f"conditional boxes, {row['mode']}: box mIoU {row['box_miou']}, alignment {row['alignment']}, "
              f"overlap {row['overlap']}" for row in report.get("conditional_boxes", [])]
    skipped = report.get("skipped", [])
    if skipped:
        lines.append(f"not scored: {len(skipped)} example(s): "
                     + "; ".join(f"{s['id']} ({s['reason']})" for s in skipped[:5]) + ("; ..." if len(skipped) > 5 else ""))
    return "\n".join(lines)
