"""Evaluation reports: several systems' `score` outputs side by side, as JSON, Markdown and images.

`write_report(out_dir, {"model, boxes given": score(...), "rule baseline": score(...)})`
writes `report.json` (every number), `report.md` (headline, per-type and
subset tables, one column per system) and `confusion_<system>.png`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

REPORT_JSON = "report.json"
REPORT_MD = "report.md"

# (key, label, format): format "pct" prints a share as a percentage, "num" a plain number.
HEADLINE = (
    ("examples", "examples", "int"),
    ("exact_match", "layout exact match", "pct"),
    ("node_action_accuracy", "node-action accuracy", "pct"),
    ("macro_f1", "node-action macro-F1", "pct"),
    ("element_precision", "element precision", "pct"),
    ("element_recall", "element recall", "pct"),
    ("element_f1", "element F1", "pct"),
    ("tree_edit_distance", "tree edit distance (normalised, lower is better)", "num"),
    ("props_exact", "props accuracy (per example)", "pct"),
    ("props_node_accuracy", "props accuracy (per prop node)", "pct"),
    ("repair_rate", "repair rate (examples, lower is better)", "pct"),
    ("repairs_per_example", "repairs per example", "num"),
    ("visual_cue_node_accuracy", "accuracy on visual-cue nodes", "pct"),
    ("box_miou", "box mIoU", "pct"),
    ("alignment", "alignment (DLT, lower is better)", "num"),
    ("overlap", "overlap (DLT, lower is better)", "num"),
    ("alignment_true", "alignment of the true boxes (reference)", "num"),
    ("overlap_true", "overlap of the true boxes (reference)", "num"),
)
SUBSET_ROWS = ("examples", "exact_match", "node_action_accuracy", "macro_f1", "element_f1", "tree_edit_distance",
               "visual_cue_node_accuracy", "box_miou")
PER_TYPE_TABLES = (
    ("element_f1", "Element F1 by type", "true_elements"),
    ("element_recall", "Element recall by true type", "true_elements"),
    ("element_precision", "Element precision by predicted type", "pred_elements"),
    ("node_recall", "Node-action recall by true type", "true_nodes"),
    ("node_precision", "Node-action precision by predicted type", "pred_nodes"),
)


def system_slug(name: str) -> str:
    """A file-name-safe form of a system name: `model, boxes given` -> `model_boxes_given`."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "system"


def write_report(out_dir: str | Path, sections: Mapping[str, Mapping[str, Any]]) -> Path:
    """Writes report.json, report.md and one confusion image per system; returns report.md's path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    slugs = _unique_slugs(list(sections))
    (out_dir / REPORT_JSON).write_text(json.dumps(sections, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    images = {}
    for name, scores in sections.items():
        confusion = scores.get("confusion")
        if confusion and confusion.get("labels"):
            images[name] = f"confusion_{slugs[name]}.png"
            draw_confusion(confusion, out_dir / images[name], title=name)
    path = out_dir / REPORT_MD
    path.write_text(markdown_report(sections, images), encoding="utf-8")
    return path


def _unique_slugs(names: Sequence[str]) -> dict[str, str]:
    slugs: dict[str, str] = {}
    for name in names:
        slug, n = system_slug(name), 2
        while slug in slugs.values():
            slug = f"{system_slug(name)}_{n}"
            n += 1
        slugs[name] = slug
    return slugs


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "int":
        return str(int(value))
    if kind == "pct":
        return f"{100 * float(value):.1f}"
    return f"{float(value):.4f}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    escape = [h.replace("|", "\\|") for h in header]
    lines = ["| " + " | ".join(escape) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return lines


def markdown_report(sections: Mapping[str, Mapping[str, Any]], images: Mapping[str, str] | None = None) -> str:
    """The Markdown text: headline, per-type and subset tables with a column per system."""
    names = list(sections)
    images = images or {}
    lines = ["# Evaluation report", "",
             "Shares in %. Tree edit distance is divided by the larger tree's element count; alignment and "
             "overlap are DLT's (LayoutGAN++'s) definitions on the leaf elements' boxes, raw (papers print x 100). "
             "A blank cell: the system has no such data (e.g. no boxes).", "", "## Headline", ""]
    kinds = {key: kind for key, _, kind in HEADLINE}
    lines += _table(["metric"] + names,
                    [[label] + [_cell(sections[n].get(key), kind) for n in names] for key, label, kind in HEADLINE])

    types = _union(sections[n].get("per_type", {}) for n in names)
    if types:
        lines += ["", "## Per element type", ""]
        for key, title, support_key in PER_TYPE_TABLES:
            lines += [f"### {title}", ""]
            rows = []
            for t in types:
                support = next((sections[n]["per_type"][t][support_key] for n in names
                                if t in sections[n].get("per_type", {})), 0)
                rows.append([t] + [_cell(sections[n].get("per_type", {}).get(t, {}).get(key), "pct") for n in names]
                            + [str(support)])
            lines += _table(["type"] + names + [f"{support_key} (first system)"], rows) + [""]

    subsets = _union(sections[n].get("subsets", {}) for n in names)
    if subsets:
        lines += ["## Subsets", ""]
        for subset in subsets:
            lines += [f"### {subset}", ""]
            rows = [[key] + [_cell(sections[n].get("subsets", {}).get(subset, {}).get(key), kinds.get(key, "num"))
                             for n in names] for key in SUBSET_ROWS]
            lines += _table(["metric"] + names, rows) + [""]

    if images:
        lines += ["## Confusion (true action x predicted action, rows normalised)", ""]
        for name, image in images.items():
            lines += [f"### {name}", "", f"![confusion matrix of {name}]({image})", ""]
    return "\n".join(lines).rstrip() + "\n"


def _union(mappings) -> list[str]:
    keys: dict[str, None] = {}
    for mapping in mappings:
        keys.update(dict.fromkeys(mapping))
    return list(keys)


def draw_confusion(confusion: Mapping[str, Any], path: str | Path, title: str = "") -> None:
    """A `labels x labels` confusion matrix as a PNG: colour = share of the true row, text = count."""
    labels = list(confusion["labels"])
    counts = np.asarray(confusion["matrix"], dtype=np.float64).reshape(len(labels), len(labels))
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    side = max(4.0, 0.42 * len(labels) + 2.0)
    figure = Figure(figsize=(side + 1.0, side), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    shown = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.set_xlabel("predicted action")
    axes.set_ylabel("true action")
    if title:
        axes.set_title(title, fontsize=10)
    for (row, col), count in np.ndenumerate(counts):
        if count:
            axes.text(col, row, f"{int(count)}", ha="center", va="center", fontsize=6,
                      color="white" if shares[row, col] > 0.5 else "black")
    figure.colorbar(shown, ax=axes, fraction=0.04, pad=0.02, label="share of the true row")
    figure.tight_layout()
    figure.savefig(str(path))
