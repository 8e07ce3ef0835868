"""Aesthetic guidance (LACE-style alignment + overlap gradient on x0, `diffusion.aesthetics`) measured
on real sections: box mIoU, alignment and overlap of the generated boxes, node accuracy, per weight.

    python benchmarks/aesthetics.py [--weights 0 0.01 0.03 0.1 0.3] [--from 0.2] [--guide-steps 1 3]
        [--seeds 0 1 2] [--synthetic] [--out benchmarks/results/aesthetics.json]

The shipped weights (`LayoutGenerator.pretrained`) with the release's own `sample` settings, only
the aesthetic keys changed; boxes and actions generated (`predict_examples(boxes="generate")`), on
the real dev split (`dlt_jax/data/real`) and, with --synthetic, the embedded synthetic test split;
scored as `evaluation.run.evaluate_layouts` scores them (`example_result` + `score`: alignment and
overlap over the predicted layout's leaf elements, the truth's as `alignment_true` / `overlap_true`).
Weight 0 is guidance off (the default); every other weight runs with each --guide-steps. Seeds
change the starting box noise, which moves the mIoU more than small weights do: compare a weight
with weight 0 seed by seed, and by the mean (`summary`). Writes JSON with the device, the settings,
every row and the per-setting means over seeds.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEYS = ("box_miou", "alignment", "overlap", "alignment_true", "overlap_true", "node_action_accuracy",
        "element_f1", "exact_match")
DATA = {"real_dev": ("dlt_jax/data/real", "dev"), "synthetic_test": ("dlt_jax/data/embedded", "test")}


def machine() -> dict:
    import jax  # noqa: PLC0415
    device = jax.devices()[0]
    return {"device_kind": str(device.device_kind), "platform": device.platform, "jax": jax.__version__,
            "python": platform.python_version(), "nproc": len(os.sched_getaffinity(0))}


def split(path: str, name: str, max_slots: int) -> list:
    """The scorable examples of split `name` of the data set folder `path`."""
    from dlt_jax.data.example import Example  # noqa: PLC0415
    from dlt_jax.data.readers import read_examples  # noqa: PLC0415
    from dlt_jax.evaluation.run import scorable  # noqa: PLC0415
    examples = [e for e in read_examples(ROOT / path) if isinstance(e, Example)
                and (e.split or e.extra.get("split", "train")) == name]
    return scorable(examples, max_slots)[0]


def measure(sample_config: dict, examples: list, seed: int) -> dict:
    """One setting on one split: the headline box and structure metrics, and the wall seconds."""
    from dlt_jax.evaluation.metrics import example_result, score  # noqa: PLC0415
    from dlt_jax.inference import LayoutGenerator  # noqa: PLC0415
    generator = LayoutGenerator.pretrained(sample_config=sample_config)
    start = time.perf_counter()
    predictions = generator.predict_examples(examples, boxes="generate", seed=seed)
    seconds = time.perf_counter() - start
    scored = score([example_result(e, p.actions, pred_boxes=p.box_targets, pred_box_valid=p.box_valid,
                                   vocab=generator.vocab) for e, p in zip(examples, predictions)], generator.vocab)
    return {**{k: None if scored.get(k) is None else round(float(scored[k]), 5) for k in KEYS},
            "seconds": round(seconds, 1)}


def summary(rows: list[dict]) -> list[dict]:
    """Per (split, weight, guide steps): the mean of every metric over the seeds, and the change from
    guidance off (weight 0) on the same split and seeds."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["split"], row["aesthetic_weight"], row["aesthetic_steps"]), []).append(row)
    means = {key: {k: round(sum(r[k] for r in group) / len(group), 5) for k in KEYS if group[0][k] is not None}
             for key, group in groups.items()}
    off = {key[0]: mean for key, mean in means.items() if key[1] == 0.0}
    return [{"split": key[0], "aesthetic_weight": key[1], "aesthetic_steps": key[2], "seeds": len(groups[key]),
             **mean, **({f"{k}_change": round(mean[k] - off[key[0]][k], 5) for k in mean} if key[0] in off else {})}
            for key, mean in means.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.01, 0.03, 0.1, 0.3])
    parser.add_argument("--from", dest="aesthetic_from", type=float, default=0.2,
                        help="guidance on the steps with time fraction u <= this")
    parser.add_argument("--guide-steps", type=int, nargs="+", default=[1, 3],
                        help="gradient steps per sampling step (each tried with every weight > 0)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--synthetic", action="store_true", help="also the embedded synthetic test split")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/aesthetics.json"))
    args = parser.parse_args()

    from dlt_jax.inference import LayoutGenerator  # noqa: PLC0415
    release = LayoutGenerator.pretrained()
    base_sample = release.config.sample.to_dict()
    splits = {"real_dev": DATA["real_dev"]} | ({"synthetic_test": DATA["synthetic_test"]} if args.synthetic else {})
    examples = {name: split(path, s, release.spec.max_slots) for name, (path, s) in splits.items()}
    settings = [(w, s) for w in args.weights for s in (args.guide_steps if w > 0 else args.guide_steps[:1])]
    rows = []
    for weight, guide_steps in settings:
        sample_config = dict(base_sample, aesthetic_weight=weight, aesthetic_from=args.aesthetic_from,
                             aesthetic_steps=guide_steps)
        for name, chosen in examples.items():
            for seed in args.seeds:
                row = {"split": name, "sections": len(chosen), "seed": seed, "aesthetic_weight": weight,
                       "aesthetic_from": args.aesthetic_from, "aesthetic_steps": guide_steps,
                       **measure(sample_config, chosen, seed)}
                rows.append(row)
                print(json.dumps(row), flush=True)
    result = {"benchmark": "aesthetics", "command": "python " + " ".join(sys.argv),
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "machine": machine(), "weights": "shipped release (dlt_jax/pretrained/release)",
              "release_step": release.step, "sample_config": base_sample, "boxes": "generate",
              "summary": summary(rows), "rows": rows}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
