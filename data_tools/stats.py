"""Statistics of a built `section_layouts` data set, as JSON and a plot.

    python -m data_tools.stats DATA_DIR [--max-slots 128] [--out DIR]

DATA_DIR is what build_dataset wrote (or a version folder, or a source, which
is then built into the cache first). Writes stats.json and stats.png into
--out (default: the data set's version folder) and prints a summary.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from dlt_jax.data.dataset import BuiltDataset, resolve_dataset
from dlt_jax.data.example import DatasetError
from dlt_jax.data.records import record_text
from dlt_jax.layout import Vocabulary


def node_count_histogram(counts: Iterable[int], bin_width: int = 8) -> dict[str, int]:
    """Counts per node-count bin `lo-hi` (inclusive), in order, empty bins kept between the ends."""
    counts = np.asarray(list(counts), dtype=np.int64)
    if not len(counts):
        return {}
    bins = np.maximum(counts - 1, 0) // bin_width  # 1..w -> bin 0, w+1..2w -> bin 1, ...
    hist = np.bincount(bins)
    return {f"{i * bin_width + 1}-{(i + 1) * bin_width}": int(v) for i, v in enumerate(hist)}


def split_stats(actions: Iterable[np.ndarray], categories: Iterable[str], node_counts: np.ndarray,
                vocab: Vocabulary, max_slots: int) -> dict[str, Any]:
    """Frequencies of one split: actions per node, element types, props per example, categories."""
    action_counts: collections.Counter = collections.Counter()
    prop_examples: collections.Counter = collections.Counter()
    for ids in actions:
        names = vocab.action_names(ids)
        action_counts.update(names)
        prop_examples.update({vocab.prop_of(a) for a in names if vocab.prop_of(a)})
    node_counts = np.asarray(node_counts)
    over = int((node_counts > max_slots).sum())
    return {
        "examples": int(len(node_counts)),
        "nodes": int(node_counts.sum()),
        "node_count": {"min": int(node_counts.min()), "median": float(np.median(node_counts)),
                       "mean": round(float(node_counts.mean()), 2), "max": int(node_counts.max())}
        if len(node_counts) else {},
        "node_count_histogram": node_count_histogram(node_counts),
        "over_max_slots": over,
        "over_max_slots_share": round(over / len(node_counts), 4) if len(node_counts) else 0.0,
        "actions": {a: action_counts.get(a, 0) for a in vocab.actions if a not in ("PAD", "MASK")},
        "element_types": {t: action_counts[t] for t in vocab.element_types if action_counts[t]},
        "props": {p: prop_examples.get(p, 0) for p in vocab.props},
        "categories": dict(collections.Counter(categories).most_common()),
    }


def dataset_stats(data: BuiltDataset, max_slots: int) -> dict[str, Any]:
    """Statistics of every split of a built data set, plus what the build skipped."""
    splits = {}
    for split in data.splits:
        source = data.source(split)
        actions, categories = [], []
        for i in range(len(source)):
            record = source[i]
            actions.append(record["actions"])
            categories.append(record_text(record["category"]) or "-")
        splits[split] = split_stats(actions, categories, data.node_counts(split), data.vocab, max_slots)
    report = json.loads(data.report_path.read_text()) if data.report_path.is_file() else {}
    return {
        "path": str(data.path),
        "fingerprint": data.fingerprint,
        "max_slots": max_slots,
        "skipped_at_build": report.get("skipped", {}).get("count"),
        "skipped_reasons": report.get("skipped", {}).get("reasons", {}),
        "splits": splits,
        "tags": dict(list(data.tag_counts.items())[:30]),
    }



def plot_stats(stats: dict[str, Any], path: Path) -> None:
    """Four panels: node counts per split (with max_slots), actions, element types, props/categories."""
    import matplotlib  # noqa: PLC0415 - the plotting backend is chosen before pyplot loads
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    splits = stats["splits"]
    fig, axes = plt.subplots(2, 2, figsize=(14, 9))
    ax = axes[0, 0]
    for split, values in splits.items():
        hist = values["node_count_histogram"]
        starts = [int(label.split("-")[0]) for label in hist]
        ax.step(starts, [v / max(1, values["examples"]) for v in hist.values()], where="post",
                label=f"{split} ({values['examples']})")
    ax.axvline(stats["max_slots"], color="red", linestyle="--", label=f"max_slots {stats['max_slots']}")
    ax.set_xlabel("html nodes (bins of 8)")
    ax.set_title("nodes per example (share of the split)")
    ax.legend(fontsize=8)
    for ax, key, title in ((axes[0, 1], "actions", "actions per node"),
                           (axes[1, 0], "element_types", "element types (elements)")):
        totals = collections.Counter()
        for values in splits.values():
            totals.update(values[key])
        names = [name for name, _ in totals.most_common()]
        ax.bar(names, [totals[n] for n in names], color="#4a7ab5")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.tick_params(axis="x", rotation=70, labelsize=7)
    ax = axes[1, 1]
    train = splits.get("train") or next(iter(splits.values()))
    labels = [f"prop {p}" for p in train["props"]] + list(train["categories"])
    shares = [v / max(1, train["examples"]) for v in list(train["props"].values()) + list(train["categories"].values())]
    ax.barh(labels, shares, color="#b5754a")
    ax.set_title("examples with each prop / category (share, train)")
    ax.tick_params(axis="y", labelsize=7)
    fig.suptitle(f"{stats['path']}  (skipped at build: {stats['skipped_at_build']})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def summary(stats: dict[str, Any]) -> str:
    lines = [f"data set        {stats['path']}", f"skipped (build) {stats['skipped_at_build']}"]
    for split, values in stats["splits"].items():
        nodes = values["node_count"]
        lines.append(f"{split:<16}{values['examples']} examples, nodes min {nodes.get('min')} median "
                     f"{nodes.get('median')} max {nodes.get('max')}, over {stats['max_slots']}: "
                     f"{values['over_max_slots']} ({values['over_max_slots_share']:.1%})")
        top = sorted(values["element_types"].items(), key=lambda kv: -kv[1])[:8]
        lines.append(" " * 16 + "types " + "  ".join(f"{k} {v}" for k, v in top))
        lines.append(" " * 16 + "props " + "  ".join(f"{k} {v}" for k, v in values["props"].items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_tools.stats", description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", help="build_dataset --out folder, a version folder, or a source")
    parser.add_argument("--max-slots", type=int, default=128, help="node count limit to report the share above")
    parser.add_argument("--image-size", type=int, default=512, help="which build to read (stored size)")
    parser.add_argument("--image-format", default="jpeg")
    parser.add_argument("--out", type=Path, help="folder for stats.json and stats.png (default: the data set's)")
    args = parser.parse_args(argv)
    if not Path(args.data_dir).exists():
        parser.error(f"{args.data_dir} does not exist")
    try:
        data = resolve_dataset(args.data_dir, image_size=args.image_size, image_format=args.image_format)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    stats = dataset_stats(data, args.max_slots)
    out = args.out or data.path
    out.mkdir(parents=True, exist_ok=True)
    (out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    plot_stats(stats, out / "stats.png")
    print(summary(stats))
    print(f"written {out / 'stats.json'} and {out / 'stats.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
