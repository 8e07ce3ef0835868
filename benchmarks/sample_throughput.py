"""Sampler throughput of the public batch program: layouts/s of `generation.generate` (encode once,
then every step in one compiled program) against `generation.generate_python_loop` (the same, with
the sampler as a Python loop over one jitted step), at several step counts and batch sizes, and the
quality at each step count.

    python benchmarks/sample_throughput.py [--workdir /tmp/dlt_quickstart] [--steps 10 25 100]
        [--batch-sizes 1 64] [--slots 25] [--repeats 3] [--heavy-repeats 1]

Weights: a trained workdir (`--workdir`, EMA weights), else the shipped ones. Sections: real
sections of the test split, all padded to one slot count (one compiled program per batch size and
step count): `--slots N` (any N up to `data.max_slots`: the sections with more nodes than the
next-smaller model bucket and at most N, each parsed to N slots), default the model bucket that
holds most test sections. Boxes and actions generated (DLT's setting). Per setting: the first call
(trace + compile + one run, seconds), then the median of timed calls with `jax.block_until_ready`;
the two programs' timed calls alternate, so a change in the machine's load hits both, and each pair
runs with the same key and must give identical results. Both timed calls include the encoding of
the screenshot and html, which `generation.prepare` times apart (`encode_s`). Quality:
`predict_examples` with boxes given and generated at each step count, scored by
`evaluation.metrics.score`. The persistent compilation cache is off unless `--compilation-cache`,
so first calls compile for real. Every comparison is between numbers measured in the same run.
Writes JSON with the machine, the weights, the config and every number to
benchmarks/results/sample_throughput.json.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUALITY_KEYS = ("exact_match", "node_action_accuracy", "element_f1", "box_miou")
DEFINITIONS = {
    "median_s": "median wall seconds of one timed call of the public program, the encoding included",
    "layouts_per_s": "batch / median_s (the encoding included)",
    "ms_per_step": "(median_s - encode_s) / steps, in ms: the sampler's share of the call per step",
    "compile_s_estimate": "first_call_s - median_s",
    "encode_s": "median wall seconds of `generation.prepare` (encode + task), timed apart",
    "identical_both_samplers": "actions, probabilities and boxes bitwise equal for every key both programs ran",
}


def machine() -> dict:
    import jax  # noqa: PLC0415
    devices = jax.devices()
    return {"device_kind": str(devices[0].device_kind), "platform": devices[0].platform, "device_count": len(devices),
            "jax": jax.__version__, "python": platform.python_version(), "host": platform.platform(),
            "nproc": len(os.sched_getaffinity(0)), "cpu_count": os.cpu_count()}


def load_average() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def timed(fn, repeats_seen: list[float], cpu_seen: list[float] | None = None):
    """Runs `fn()` to completion, appends its wall seconds (and this process's CPU seconds, all
    threads, to `cpu_seen`), returns its output."""
    import jax  # noqa: PLC0415
    start, cpu_start = time.perf_counter(), time.process_time()
    out = jax.block_until_ready(fn())
    repeats_seen.append(time.perf_counter() - start)
    if cpu_seen is not None:
        cpu_seen.append(time.process_time() - cpu_start)
    return out


def section_batch(generator, requests, batch_size: int, slots: int) -> dict:
    """`batch_size` sections (cycling through `requests`) parsed to `slots` slots, every action and box generated."""
    from dlt_jax.data.pipeline import stack_elements  # noqa: PLC0415
    chosen = [requests[i % len(requests)] for i in range(batch_size)]
    return stack_elements([generator._element(r, slots, boxes_given=False) for r in chosen])


def identical(a, b) -> bool:
    """Two `SampleResult`s bitwise equal (actions, probabilities, boxes)."""
    import numpy as np  # noqa: PLC0415
    return all(np.array_equal(np.asarray(x), np.asarray(y))
               for x, y in ((a.actions, b.actions), (a.probabilities, b.probabilities), (a.boxes, b.boxes)))


def measure(generator, batch: dict, steps: int, repeats: int, seed: int) -> dict:
    """One batch size and step count: the encoding alone, then first call and median timed call of
    `generate` and `generate_python_loop`, with the same key in each pair of calls."""
    import jax  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415
    from dlt_jax import generation  # noqa: PLC0415
    settings = generator.generate_settings(steps=steps)
    graphdef, params = generator.graphdef, generator.params
    b = int(batch["actions"].shape[0])
    batch = jax.device_put(batch)
    encode_times: list[float] = []
    for _ in range(3):  # the first call compiles `prepare`; `generate_python_loop` reuses it
        timed(lambda: generation.prepare(graphdef, params, batch, settings), encode_times)
    programs = {
        "one_program": lambda key: generation.generate(graphdef, params, batch, key, settings),
        "python_loop": lambda key: generation.generate_python_loop(graphdef, params, batch, key, settings),
    }
    rng = jax.random.PRNGKey(seed)
    times: dict[str, list[float]] = {name: [] for name in programs}
    cpu: dict[str, list[float]] = {name: [] for name in programs}
    same_actions, same_all, box_gap = True, True, 0.0
    for repeat in range(repeats + 1):  # call 0: trace + compile + one run; then alternate, so load changes hit both
        key = rng if repeat == 0 else jax.random.fold_in(rng, repeat)
        order = list(programs) if repeat % 2 == 0 else list(reversed(programs))
        outputs = {name: timed(lambda name=name: programs[name](key), times[name], cpu[name]) for name in order}
        one, loop = outputs["one_program"], outputs["python_loop"]
        same_actions &= bool(np.array_equal(np.asarray(one.actions), np.asarray(loop.actions)))
        same_all &= identical(one, loop)
        box_gap = max(box_gap, float(np.abs(np.asarray(one.boxes) - np.asarray(loop.boxes)).max()))
    encode_s = statistics.median(encode_times[1:])
    result = {"batch": b, "steps": settings.sampler.steps, "steps_requested": steps, "repeats": repeats,
              "encode_s": round(encode_s, 4), "encode_first_call_s": round(encode_times[0], 3),
              "same_actions_both_samplers": same_actions, "identical_both_samplers": same_all,
              "max_box_gap_both_samplers": round(box_gap, 6), "keys_compared": repeats + 1}
    for name, seen in times.items():
        median = statistics.median(seen[1:])
        result[name] = {"first_call_s": round(seen[0], 3), "compile_s_estimate": round(max(seen[0] - median, 0.0), 3),
                        "median_s": round(median, 4), "timed_s": [round(t, 4) for t in seen[1:]],
                        "cpu_s_median": round(statistics.median(cpu[name][1:]), 4),
                        "layouts_per_s": round(b / median, 3),
                        "ms_per_step": round(1000 * max(median - encode_s, 0.0) / settings.sampler.steps, 3)}
    result["one_program_over_python_loop"] = round(result["one_program"]["layouts_per_s"]
                                                   / result["python_loop"]["layouts_per_s"], 3)
    return result


def quality(generator, examples, steps: int, seed: int) -> dict:
    """Scores of `predict_examples` with boxes given and generated, at `steps` sampling steps."""
    from dlt_jax.evaluation.metrics import example_result, score  # noqa: PLC0415
    variant = copy.copy(generator)
    variant.config = copy.deepcopy(generator.config)
    variant.config.sample.steps = steps
    out = {"steps": steps}
    for boxes in ("given", "generate"):
        start = time.perf_counter()
        predictions = variant.predict_examples(examples, boxes=boxes, seed=seed)
        seconds = time.perf_counter() - start
        scores = score([example_result(e, p.actions, pred_boxes=p.box_targets, pred_box_valid=p.box_valid,
                                       vocab=generator.vocab) for e, p in zip(examples, predictions)], generator.vocab)
        out[f"boxes_{boxes}"] = {k: None if scores.get(k) is None else round(float(scores[k]), 4)
                                 for k in QUALITY_KEYS}
        out[f"boxes_{boxes}"]["seconds_incl_compile"] = round(seconds, 2)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path, default=None,
                        help="a trained workdir (checkpoints/); default: the shipped weights")
    parser.add_argument("--step", type=int, default=None, help="checkpoint step of --workdir (default: the newest)")
    parser.add_argument("--steps", type=int, nargs="+", default=[10, 25, 100],
                        help="sampling steps (clamped to diffusion.steps)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per sampler and setting; median kept")
    parser.add_argument("--heavy-repeats", type=int, default=1,
                        help="timed calls where batch x steps >= --heavy-work (the slow settings)")
    parser.add_argument("--heavy-work", type=int, default=64 * 100)
    parser.add_argument("--slots", type=int, default=None,
                        help="slots every timed section is padded to, any value up to data.max_slots (e.g. 25 to "
                             "match another run's shapes); default: the model bucket holding most test sections")
    parser.add_argument("--split", default="test")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--compilation-cache", action="store_true",
                        help="keep the persistent compilation cache (first calls may then skip compiling)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "sample_throughput.json")
    args = parser.parse_args(argv)
    if min(args.repeats, args.heavy_repeats) < 1:
        parser.error("--repeats and --heavy-repeats must be at least 1 (the median of timed calls is kept)")

    start_all = time.perf_counter()
    load_start = load_average()
    import jax  # noqa: PLC0415
    if not args.compilation_cache:
        jax.config.update("jax_enable_compilation_cache", False)
    from dlt_jax.evaluation.run import split_examples  # noqa: PLC0415
    from dlt_jax.inference import _Request, load_generator  # noqa: PLC0415
    from dlt_jax.layout import DEFAULT_STYLE  # noqa: PLC0415

    start = time.perf_counter()
    generator = load_generator(args.workdir, step=args.step)
    load_s = time.perf_counter() - start
    weights = str(args.workdir) if args.workdir is not None else "shipped weights (dlt_jax/pretrained/release)"
    config = generator.config
    diffusion_steps = int(config.diffusion.steps)
    step_counts = list(dict.fromkeys(min(max(s, 1), diffusion_steps) for s in args.steps))
    examples = [e for e in split_examples(config.data, args.split) if e.layout is not None]
    requests = [_Request(e.id, generator._record(e), DEFAULT_STYLE) for e in examples]
    node_counts = [int(r.record["node_count"]) for r in requests]
    buckets = generator.spec.slot_buckets
    bucket_of = [next((b for b in buckets if b >= n), None) for n in node_counts]  # None: over max_slots
    counts = {b: bucket_of.count(b) for b in buckets}
    slots = args.slots if args.slots is not None else max(counts, key=counts.get)
    if not 1 <= slots <= generator.spec.max_slots:
        parser.error(f"--slots {slots}: the model takes 1 to data.max_slots={generator.spec.max_slots} slots "
                     f"(its buckets {list(buckets)})")
    below = max([b for b in buckets if b < slots], default=0)  # sections this small go to a smaller bucket
    in_slots = [r for r, n in zip(requests, node_counts) if below < n <= slots]
    over = sum(n > slots for n in node_counts)
    if not in_slots:
        parser.error(f"--slots {slots}: no {args.split} section has {below + 1} to {slots} nodes (node counts "
                     f"{min(node_counts)} to {max(node_counts)}; per model bucket {counts}): choose another value")
    timed_counts = [int(r.record["node_count"]) for r in in_slots]
    print(f"weights: {weights}, step {generator.step} (loaded in {load_s:.1f} s); {len(examples)} {args.split} "
          f"sections, per model bucket {counts}; timing {slots} slots"
          f"{'' if slots in buckets else ' (not a model bucket)'}: {len(in_slots)} sections of {below + 1} to "
          f"{slots} nodes ({over} have more, {len(examples) - len(in_slots) - over} fewer: left out); "
          f"diffusion.steps {diffusion_steps}; load average {load_start}", flush=True)

    throughput = []
    for batch_size in args.batch_sizes:
        batch = section_batch(generator, in_slots, batch_size, slots)
        for steps in step_counts:
            repeats = args.heavy_repeats if batch_size * steps >= args.heavy_work else args.repeats
            result = measure(generator, batch, steps, repeats, args.seed)
            result["distinct_sections"] = min(batch_size, len(in_slots))
            print(f"batch {batch_size:>3} steps {result['steps']:>3}: one program "
                  f"{result['one_program']['layouts_per_s']:8.2f} layouts/s (first call "
                  f"{result['one_program']['first_call_s']:.1f} s), python loop "
                  f"{result['python_loop']['layouts_per_s']:8.2f} layouts/s (first call "
                  f"{result['python_loop']['first_call_s']:.1f} s), one program / python loop "
                  f"{result['one_program_over_python_loop']:.2f}; encode {result['encode_s']:.3f} s; identical "
                  f"results {result['identical_both_samplers']}; load {load_average()[0]}", flush=True)
            throughput.append(result)

    qualities = []
    if not args.skip_quality:
        for steps in step_counts:
            row = quality(generator, examples, steps, args.seed)
            print(f"quality, {steps} steps: given {row['boxes_given']}, generated {row['boxes_generate']}",
                  flush=True)
            qualities.append(row)
    load_end = load_average()
    total_s = time.perf_counter() - start_all

    model = config.model
    report = {
        "benchmark": "sample_throughput",
        "command": "python benchmarks/sample_throughput.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_start": load_start,
        "load_average_end": load_end,
        "total_s": round(total_s, 1),
        "programs": {"one_program": "dlt_jax.generation.generate",
                     "python_loop": "dlt_jax.generation.generate_python_loop",
                     "encode": "dlt_jax.generation.prepare"},
        "definitions": DEFINITIONS,
        "checkpoint": {"weights": weights, "step": generator.step, "load_s": round(load_s, 1)},
        "config": {"d_model": int(model.d_model), "num_heads": int(model.num_heads),
                   "layers": {k: int(model[k]) for k in ("vit_layers", "html_layers", "fusion_layers", "dit_layers")},
                   "dit_cross_attn": bool(model.dit_cross_attn), "dtype": str(model.dtype),
                   "max_patches": int(config.data.max_patches), "max_slots": int(config.data.max_slots),
                   "slot_buckets": list(buckets), "slots_timed": slots, "slots_is_model_bucket": slots in buckets,
                   "diffusion_steps": diffusion_steps, "box_process": str(config.diffusion.box_process),
                   "sample": config.sample.to_dict(), "compilation_cache": bool(args.compilation_cache)},
        "sections": {"split": args.split, "count": len(examples), "per_model_bucket": counts,
                     "timed": len(in_slots), "timed_node_counts": [min(timed_counts), max(timed_counts)],
                     "left_out_over_slots": over, "left_out_smaller_bucket": len(examples) - len(in_slots) - over,
                     "note": (f"throughput batches hold the sections of {below + 1} to {slots} nodes, each padded to "
                              f"{slots} slots, cycled when the batch is larger than that; actions and boxes "
                              "generated")},
        "throughput": throughput,
        "quality": qualities,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")

    print(f"\n{slots} slots; one program = generation.generate, python loop = generation.generate_python_loop, "
          "both with the encoding; the ratio is between the two, measured in this run")
    print(f"{'batch':>5} {'steps':>5} | {'one-program l/s':>15} {'first s':>8} | {'py-loop l/s':>11} "
          f"{'first s':>8} | {'ratio':>6} | {'encode s':>8} | {'identical':>9}")
    for r in throughput:
        print(f"{r['batch']:>5} {r['steps']:>5} | {r['one_program']['layouts_per_s']:>15.2f} "
              f"{r['one_program']['first_call_s']:>8.1f} | {r['python_loop']['layouts_per_s']:>11.2f} "
              f"{r['python_loop']['first_call_s']:>8.1f} | {r['one_program_over_python_loop']:>6.2f} | "
              f"{r['encode_s']:>8.3f} | {str(r['identical_both_samplers']):>9}")
    if qualities:
        print(f"\n{'steps':>5} {'boxes':>9} | " + " ".join(f"{k:>20}" for k in QUALITY_KEYS))
        for row in qualities:
            for boxes in ("given", "generate"):
                values = row[f"boxes_{boxes}"]
                print(f"{row['steps']:>5} {boxes:>9} | " + " ".join(
                    f"{'' if values[k] is None else values[k]:>20}" for k in QUALITY_KEYS))
    print(f"total {total_s:.0f} s; load average {load_start} -> {load_end}; written {args.out}")
    return 0 if all(r["identical_both_samplers"] for r in throughput) else 1


if __name__ == "__main__":
    sys.exit(main())
