"""What predicting a section in windows costs: node-action accuracy of the shipped weights on the real
dev sections predicted whole, against the same sections forced into windows.

    python benchmarks/windows_accuracy.py [--fraction 0.5] [--fixed 32] [--limit N] [--ablate-borders]

Boxes given (the main inference mode), the release's sampler settings (greedy). "half": every section
split with windows of at most ceil(fraction * n) nodes (so each is >= 2 windows unless its ancestor
chain needs more); "fixed": the sections over `--fixed` nodes split with windows of that many nodes,
as a model with that many slots would see them. Both windowed runs batch every window of every
section together (as `LayoutGenerator` does for long sections). Nodes are also split into "border"
nodes (own nodes whose parent is context in their window: the first nodes of a window's groups) and
the rest, to show where the loss is. `--ablate-borders` also runs both without the previous siblings
at window borders (`plan_windows(borders=False)`), to measure what that context adds. Writes
benchmarks/results/windows_accuracy.json.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUALITY_KEYS = ("examples", "nodes", "exact_match", "node_action_accuracy", "element_f1", "tree_edit_distance",
                "repair_rate", "repairs_per_example")


def machine() -> dict:
    import jax  # noqa: PLC0415
    device = jax.devices()[0]
    return {"device_kind": str(device.device_kind), "platform": device.platform, "jax": jax.__version__,
            "python": platform.python_version(), "host": platform.platform(),
            "nproc": len(os.sched_getaffinity(0)), "load_average": [round(v, 2) for v in os.getloadavg()]}


def windowed_predictions(generator, examples, sizes, seed: int) -> tuple[list, list]:
    """Each example predicted in windows of at most `sizes[i]` nodes, all windows batched together;
    returns the predictions and each example's windows."""
    requests = []
    for example, size in zip(examples, sizes):
        generator.window_slots = size
        requests.append(generator._request(example, generator._style(example)))
    generator.window_slots = None
    predictions = generator._generate(requests, boxes_given=True, seed=seed)
    return predictions, [getattr(r, "windows", None) for r in requests]


def border_nodes(tree, windows) -> set[int]:
    """Own nodes whose parent is not owned by the same window (a window's group roots and split roots)."""
    if windows is None:
        return set()
    border = set()
    for window in windows:
        own = set(window.own)
        border |= {i for i in own if tree[i].parent is not None and tree[i].parent not in own}
    return border


def accuracy(pairs) -> dict:
    pairs = list(pairs)
    correct = sum(t == p for t, p in pairs)
    return {"nodes": len(pairs), "accuracy": round(correct / len(pairs), 4) if pairs else None}


def compare(generator, examples, truths, whole, sizes, seed: int) -> dict:
    """Whole against windowed on `examples`: headline scores, accuracy on border / other nodes, windows."""
    from dlt_jax.evaluation.metrics import example_result, score  # noqa: PLC0415
    from dlt_jax.layout import parse_html  # noqa: PLC0415
    vocab = generator.vocab
    started = time.perf_counter()
    windowed, plans = windowed_predictions(generator, examples, sizes, seed)
    seconds = time.perf_counter() - started
    scores = {}
    for name, predictions in (("whole", whole), ("windowed", windowed)):
        scored = score([example_result(e, p.actions, vocab=vocab) for e, p in zip(examples, predictions)], vocab)
        scores[name] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in scored.items() if k in QUALITY_KEYS}
    border_pairs = {"whole": [], "windowed": []}
    other_pairs = {"whole": [], "windowed": []}
    changed = 0
    for example, truth, w, p, plan in zip(examples, truths, whole, windowed, plans):
        border = border_nodes(parse_html(example.html), plan)
        for i, t in enumerate(truth):
            bucket = border_pairs if i in border else other_pairs
            bucket["whole"].append((t, w.actions[i]))
            bucket["windowed"].append((t, p.actions[i]))
        changed += sum(a != b for a, b in zip(w.actions, p.actions))
    windows = [p.windows for p in windowed]
    return {"sections": len(examples), "window_slots": sorted(set(sizes)), "seconds_windowed": round(seconds, 1),
            "windows": {"total": sum(windows), "min": min(windows), "max": max(windows),
                        "mean": round(sum(windows) / len(windows), 2),
                        "sections_with_one_window": sum(w == 1 for w in windows)},
            "scores": scores,
            "border_nodes": {k: accuracy(v) for k, v in border_pairs.items()},
            "other_nodes": {k: accuracy(v) for k, v in other_pairs.items()},
            "node_actions_changed_by_windows": changed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fraction", type=float, default=0.5, help="window size as a share of each section")
    parser.add_argument("--fixed", type=int, default=32, help="window size for the sections longer than it (0: off)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N dev sections by id (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ablate-borders", action="store_true", help="also run without border siblings")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "windows_accuracy.json"))
    args = parser.parse_args()
    started = time.perf_counter()

    from dlt_jax.data.example import Example  # noqa: PLC0415
    from dlt_jax import inference  # noqa: PLC0415
    from dlt_jax.data.readers import read_examples  # noqa: PLC0415
    from dlt_jax.inference import LayoutGenerator  # noqa: PLC0415
    from dlt_jax.layout import encode_layout, parse_html  # noqa: PLC0415
    from dlt_jax.layout.windows import plan_windows  # noqa: PLC0415

    generator = LayoutGenerator.pretrained()
    dev = sorted((e for e in read_examples(ROOT / "dlt_jax" / "data" / "real") if isinstance(e, Example)
                  and e.split == "dev" and e.layout is not None and e.html_boxes is not None), key=lambda e: e.id)
    if args.limit:
        dev = dev[:args.limit]
    trees = [parse_html(e.html) for e in dev]
    truths = [list(encode_layout(t, e.layout, generator.vocab).actions) for t, e in zip(trees, dev)]
    counts = [len(t) for t in trees]
    deepest = [max(n.depth for n in t.nodes) + 1 for t in trees]
    print(f"{len(dev)} real dev sections, {min(counts)}-{max(counts)} nodes; shipped weights step {generator.step}, "
          f"slots {generator.spec.slot_buckets}", flush=True)

    whole_started = time.perf_counter()
    whole = generator.predict_examples(dev, boxes="given", seed=args.seed)
    whole_s = time.perf_counter() - whole_started
    assert all(p.windows == 1 for p in whole)

    settings = {}
    half = [max(math.ceil(args.fraction * n), d) for n, d in zip(counts, deepest)]
    longer = [i for i, n in enumerate(counts) if n > args.fixed] if args.fixed else []
    for borders in (True, False) if args.ablate_borders else (True,):
        inference.plan_windows = functools.partial(plan_windows, borders=borders)  # what the generator plans with
        suffix = "" if borders else "_without_borders"
        settings["half" + suffix] = compare(generator, dev, truths, whole, half, args.seed)
        print(f"half{suffix}:", json.dumps(settings["half" + suffix]["scores"]), flush=True)
        if longer:
            name = f"fixed_{args.fixed}{suffix}"
            settings[name] = compare(generator, [dev[i] for i in longer], [truths[i] for i in longer],
                                     [whole[i] for i in longer], [args.fixed] * len(longer), args.seed)
            print(f"{name}:", json.dumps(settings[name]["scores"]), flush=True)
    inference.plan_windows = plan_windows

    result = {
        "benchmark": "windows_accuracy",
        "command": "python " + " ".join([f"benchmarks/{Path(__file__).name}", *sys.argv[1:]]),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "weights": {"folder": "dlt_jax/pretrained/release", "step": generator.step,
                    "slot_buckets": list(generator.spec.slot_buckets)},
        "data": {"path": "dlt_jax/data/real", "split": "dev", "sections": len(dev),
                 "subset": f"first {args.limit} by id" if args.limit else "all", "nodes": sum(counts)},
        "settings": {"boxes": "given", "seed": args.seed, "sample": dict(generator.config.sample),
                     "fraction": args.fraction, "fixed": args.fixed, "ablate_borders": args.ablate_borders,
                     "half_rule": "window_slots = max(ceil(fraction * n), depth of the deepest node + 1)"},
        "seconds_whole": round(whole_s, 1),
        "results": settings,
        "total_s": round(time.perf_counter() - started, 1),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out} in {result['total_s']} s", flush=True)


if __name__ == "__main__":
    main()
