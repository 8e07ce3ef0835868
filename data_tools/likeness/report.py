"""The likeness report: the table (statistic | real | generated | distance) as Markdown, JSON and a plot."""

from __future__ import annotations

import collections
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from data_tools.likeness import stats as st

DEFINITIONS = (
    "Statistics are computed over html objects (DATA_FORMAT §1.1, parsed with `parse_html`); per-node ones pool "
    "the nodes of all sections of a set. Distances: **numeric** `W1/σ_real` = 1-Wasserstein distance of the two "
    "empirical distributions divided by the real set's standard deviation (scale-free; 0 = equal, 1 = about one "
    "real σ apart); **categorical** `TV` = total-variation distance of the shares, in [0, 1]; **share** `|Δ|` = "
    "absolute difference of the two shares.")


def table_rows(rows: Sequence[dict[str, Any]]) -> list[list[str]]:
    return [[row["statistic"], st.short_summary(row["kind"], row["real"]),
             st.short_summary(row["kind"], row["generated"]), f"{row['distance']:.3f} {row['distance_name']}"]
            for row in rows]


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    lines = ["| statistic | real | generated | distance |", "| --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(cells) + " |" for cells in table_rows(rows)]
    return "\n".join(lines)


def text_table(rows: Sequence[dict[str, Any]]) -> str:
    """The table for a terminal: aligned columns."""
    cells = [["statistic", "real", "generated", "distance"]] + table_rows(rows)
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)


def build_report(real_info: dict[str, Any], comparisons: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The JSON report: what the real set is, then per generated set its source, size and rows."""
    return {"definitions": DEFINITIONS, "real": real_info, "generated": comparisons}


def markdown_report(report: dict[str, Any]) -> str:
    real = report["real"]
    lines = ["# Likeness of generated sections to real template sections", "",
             f"Real: {real['sections']} sections from {len(real['packages'])} npm packages "
             f"(rendered at {real['width']} px):", ""]
    lines += [f"- {package} {version}: {real['per_package'][package]} sections"
              for package, version in real["packages"].items()]
    if real.get("failed"):
        lines += ["", f"Failed to render ({len(real['failed'])}): " + "; ".join(real["failed"])]
    lines += ["", DEFINITIONS]
    for name, comparison in report["generated"].items():
        lines += ["", f"## {name}", "", f"Generated: {comparison['source']}, {comparison['sections']} sections"
                  + (f" ({comparison['skipped']} unreadable skipped)" if comparison.get("skipped") else "") + ".", "",
                  markdown_table(comparison["rows"])]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "likeness.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "likeness.md").write_text(markdown_report(report), encoding="utf-8")


def plot(real: Sequence[st.SectionStats], generated: dict[str, Sequence[st.SectionStats]],
         distances: dict[str, dict[str, float]], path: Path, top: int = 12) -> None:
    """One panel per statistic: real vs each generated set (histograms, bars); the distances in each title."""
    import matplotlib  # noqa: PLC0415 - the backend is chosen before pyplot loads
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    columns = 3
    rows = -(-len(st.STATISTICS) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(6 * columns, 4 * rows))
    sets = {"real": real, **generated}
    colors = ["#333333", "#4a7ab5", "#b5754a", "#5aa55a"]
    for ax, statistic in zip(axes.flat, st.STATISTICS):
        values = {name: statistic.values(sections) for name, sections in sets.items()}
        if statistic.kind == st.NUMERIC:
            pooled = np.concatenate([np.asarray(v, dtype=np.float64) for v in values.values()])
            step = max(1, int(np.ceil((pooled.max() - pooled.min() + 1) / 30)))  # the statistics are integers
            edges = np.arange(pooled.min() - 0.5, pooled.max() + step + 0.5, step)
            for (name, v), color in zip(values.items(), colors):
                ax.hist(v, bins=edges, density=True, histtype="step", linewidth=1.6, color=color, label=name)
            ax.set_ylabel("density")
        else:
            if statistic.kind == st.CATEGORICAL:
                totals = collections.Counter()
                for counter in values.values():
                    total = sum(counter.values())
                    totals.update({k: c / total for k, c in counter.items()})
                labels = [k for k, _ in totals.most_common(top)]
                shares = {name: [c[k] / sum(c.values()) for k in labels] for name, c in values.items()}
            else:
                labels = [statistic.name]
                shares = {name: [st.share(v)] for name, v in values.items()}
            x = np.arange(len(labels))
            width = 0.8 / len(sets)
            for i, ((name, s), color) in enumerate(zip(shares.items(), colors)):
                ax.bar(x + (i - (len(sets) - 1) / 2) * width, s, width, color=color, label=name)
            ax.set_xticks(x, labels, rotation=60 if len(labels) > 1 else 0, fontsize=8)
            ax.set_ylabel("share")
        title = ", ".join(f"{name} {d[statistic.name]:.3f}" for name, d in distances.items())
        ax.set_title(f"{statistic.name}\n{st.DISTANCE_NAMES[statistic.kind]}: {title}", fontsize=9)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(st.STATISTICS):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
