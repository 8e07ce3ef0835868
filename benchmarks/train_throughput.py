"""Train-step throughput: compile time, step time, examples/s and peak memory of the jitted train step.

    python benchmarks/train_throughput.py [--configs quickstart,base] [--steps 10] [--base-batch 4]

Times the exact step `dlt_jax/train/loop.py` runs (`train_step`, jitted with
`donate_argnums=0` and the loop's mesh, shardings and replicated state) on real
batches of the config's data set (default: the embedded one, built into the
cache on first use). Each config runs in two slot modes:

  buckets  the configured `data.slot_buckets`: each bucket's step is compiled and
           timed, and the mean step time is weighted by how many of the first
           epoch's batches fall in each bucket (the pipeline's batch plan);
  full     `data.slot_buckets = (max_slots,)`: every batch padded to max_slots.

Every (config, mode) runs in a fresh process, so compile times are cold (no
persistent compilation cache) and peak memory is that entry's own. The step
time is the median of `--steps` steps after `--warmup` ones, each ended with
`jax.block_until_ready`; batches are on the device before the clock starts
(host-to-device copies are not timed). The JSON goes to
benchmarks/results/train_throughput.json.

On a CPU, base (DiT-B widths, 512 patches, bfloat16 emulated) takes minutes to
compile and tens of seconds a step, so by default it runs at batch 4, times
min(--steps, 2) steps with no warm-up beyond the compiling call, and in buckets
mode measures only its most common bucket (see --base-*; the JSON's notes say
what was cut). With a GPU/TPU it runs as configured.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import functools
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODES = ("buckets", "full")
# Context only, never a ratio: a figure from elsewhere, not measured in this run (shapes and load differ).
CONTEXT = {
    "text": "context, not measured here: Wix DLT's PyTorch training step was reported (project issue tracker, "
            "a peer's run on this machine kind, date not recorded) at 102 layouts/s, batch 64, 25 slots, "
            "8.9 M parameters",
    "source": "project issue tracker (peer measurement); not this run",
    "implementation": "Wix DLT (PyTorch)",
    "examples_per_s": 102.0,
    "batch": 64,
    "slots": 25,
    "params": 8_900_000,
}


def load_config(name_or_path: str):
    path = Path(name_or_path)
    if not path.suffix:
        path = ROOT / "configs" / f"{name_or_path}.py"
    spec = importlib.util.spec_from_file_location(f"benchmark_config_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config()


def device_info() -> dict:
    """The devices, asked of a child process: on a GPU the first process to start a backend takes most of
    its memory, which the measuring processes need."""
    code = ("import json, jax; d = jax.devices()[0]; print(json.dumps({'device_kind': str(d.device_kind), "
            "'platform': d.platform, 'count': jax.device_count(), 'jax': jax.__version__}))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def key_config(config, batch: int) -> dict:
    model, data = config.model, config.data
    return {"d_model": int(model.d_model), "num_heads": int(model.num_heads),
            "layers": {"vit": int(model.vit_layers), "html": int(model.html_layers),
                       "fusion": int(model.fusion_layers), "dit": int(model.dit_layers)},
            "dit_cross_attn": bool(model.dit_cross_attn), "max_patches": int(data.max_patches),
            "max_slots": int(data.max_slots), "slot_buckets": [int(b) for b in data.slot_buckets],
            "batch": int(batch), "configured_batch": int(config.data.batch_size), "dtype": str(model.dtype)}


def peak_memory() -> dict:
    import jax  # noqa: PLC0415
    device = jax.devices()[0]
    stats = device.memory_stats() if device.platform != "cpu" else None
    if stats and "peak_bytes_in_use" in stats:
        return {"peak_memory_mib": round(stats["peak_bytes_in_use"] / 2**20, 1),
                "peak_memory_kind": "device.memory_stats()['peak_bytes_in_use'] of device 0"}
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"peak_memory_mib": round(rss_kib / 1024, 1),
            "peak_memory_kind": "peak RSS of the whole benchmark process (ru_maxrss): weights, optimizer, "
                                "activations, XLA compiler and data pipeline together"}


# ----------------------------------------------------------------------------- one (config, mode), in its own process

def measure_entry(config_name: str, mode: str, batch: int, steps: int, warmup: int, bucket_choice: str) -> dict:
    """Compile and time the loop's train step for one config and slot mode."""
    import jax  # noqa: PLC0415

    from dlt_jax.data.pipeline import kept_indices, make_pipeline, train_batch_plan  # noqa: PLC0415
    from dlt_jax.train import sharding  # noqa: PLC0415
    from dlt_jax.train.experiment import model_spec  # noqa: PLC0415
    from dlt_jax.train.state import build_model, create_train_state, make_optimizer  # noqa: PLC0415
    from dlt_jax.train.step import Objective, train_step  # noqa: PLC0415

    config = load_config(config_name)
    config.data.batch_size = batch
    if mode == "full":
        config.data.slot_buckets = (int(config.data.max_slots),)
    seed = 0
    setup_start = time.perf_counter()
    # Reader threads in this process: the batches are only inputs here, not what is measured.
    pipeline = make_pipeline(config.data, mode="train", seed=seed, num_workers=0)
    buckets = tuple(int(b) for b in pipeline.slot_buckets)
    counts = pipeline.data.node_counts(config.data.train_split)
    plan = train_batch_plan(counts[kept_indices(counts, pipeline.spec.max_slots)[0]], pipeline.global_batch_size,
                            buckets, seed, 0, bool(config.data.shuffle))
    frequency = collections.Counter(int(s) for s in plan.slots)
    weights = {b: frequency.get(b, 0) / len(plan) for b in buckets}
    if bucket_choice == "all":
        wanted = [b for b in buckets if frequency.get(b, 0)]
    else:
        wanted = [max(buckets, key=lambda b: frequency.get(b, 0))]
    keep = warmup + steps + 1
    batches: dict[int, list] = {b: [] for b in wanted}
    iterator = iter(pipeline)
    for position in range(len(plan)):  # the first epoch holds every bucket the plan uses
        local = next(iterator)
        slots = int(local["actions"].shape[1])
        if slots != int(plan.slots[position]):
            raise RuntimeError(f"batch {position} has {slots} slots, the plan says {int(plan.slots[position])}")
        if slots in batches and len(batches[slots]) < keep:
            batches[slots].append(local)
        if all(len(v) >= keep for v in batches.values()):
            break
    close = getattr(iterator, "close", None)
    if close:
        close()

    # As dlt_jax/train/loop.py builds it.
    mesh = sharding.make_mesh()
    sharding.check_batch_size(int(config.data.batch_size), mesh)
    data_sharding, replicated = sharding.batch_sharding(mesh), sharding.replicated(mesh)
    spec = model_spec(config, pipeline)
    graphdef, params = build_model(spec, config.model, config.seed)
    param_count = int(sum(x.size for x in jax.tree.leaves(params)))
    tx = make_optimizer(config.train)
    state = jax.device_put(create_train_state(params, tx, config.seed), replicated)
    del params
    objective = Objective.from_config(config, pipeline.vocab.mask_id, spec.type_action_ids)
    step_fn = jax.jit(functools.partial(train_step, graphdef=graphdef, objective=objective, tx=tx,
                                        ema_decay=float(config.train.ema_decay)),
                      donate_argnums=0, out_shardings=(replicated, replicated))
    setup_s = time.perf_counter() - setup_start

    per_bucket = {}
    for slots in sorted(batches):
        device_batches = [sharding.global_batch(b, data_sharding) for b in batches[slots]]
        jax.block_until_ready(device_batches)
        start = time.perf_counter()
        state, metrics = step_fn(state, device_batches[0])
        jax.block_until_ready((state, metrics))
        first_call = time.perf_counter() - start
        times = []
        for i in range(warmup + steps):
            start = time.perf_counter()
            state, metrics = step_fn(state, device_batches[(i + 1) % len(device_batches)])
            jax.block_until_ready((state, metrics))
            if i >= warmup:
                times.append(time.perf_counter() - start)
        step_s = statistics.median(times)
        per_bucket[slots] = {
            "slots": slots, "plan_share": round(weights[slots], 4), "first_call_s": round(first_call, 2),
            "compile_s": round(first_call - step_s, 2), "step_ms": round(step_s * 1e3, 1),
            "step_ms_runs": [round(t * 1e3, 1) for t in times], "steps_per_s": round(1 / step_s, 3),
            "examples_per_s": round(batch / step_s, 1), "loss": round(float(metrics["loss"]), 4),
            "finite": bool(metrics["finite"]), "batches_cycled": len(device_batches)}
        print(f"  {config_name}/{mode} bucket {slots}: first call {first_call:.1f} s, step {step_s * 1e3:.0f} ms",
              file=sys.stderr, flush=True)

    measured = sorted(per_bucket)
    complete = all(b in per_bucket for b in buckets if weights[b] > 0)
    if complete:
        step_s = sum(weights[b] * per_bucket[b]["step_ms"] / 1e3 for b in measured)
        summary = "plan-weighted mean over the buckets"
    else:
        step_s = per_bucket[measured[0]]["step_ms"] / 1e3
        summary = f"only the most common bucket ({measured[0]} slots, {weights[measured[0]]:.0%} of the plan)"
    result = {
        "config": config_name, "mode": mode, "key_config": key_config(config, batch), "buckets": list(buckets),
        "measured_buckets": measured, "all_buckets_measured": complete, "step_time_is": summary,
        "plan": {"batches_per_epoch": len(plan), "bucket_batches": {str(b): frequency.get(b, 0) for b in buckets}},
        "params": param_count, "steps": steps, "warmup": warmup,
        "compile_s": round(sum(per_bucket[b]["compile_s"] for b in measured), 2),
        "step_ms": round(step_s * 1e3, 1), "steps_per_s": round(1 / step_s, 3),
        "examples_per_s": round(batch / step_s, 1), "per_bucket": [per_bucket[b] for b in measured],
        "setup_s": round(setup_s, 2), **peak_memory()}
    return result


# ----------------------------------------------------------------------------- driver

def run_entry(config_name: str, mode: str, batch: int, steps: int, warmup: int, bucket_choice: str) -> dict:
    """`measure_entry` in a fresh interpreter (cold compiles, its own peak memory)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "entry.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--entry", config_name, mode, str(batch),
                   str(steps), str(warmup), bucket_choice, str(out)]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT)
        if done.returncode or not out.exists():
            result = {"config": config_name, "mode": mode, "batch": batch,
                      "error": f"the measuring process exited with status {done.returncode} (output above)"}
        else:
            result = json.loads(out.read_text())
    result["wall_s"] = round(time.perf_counter() - start, 1)
    result["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    return result


def table(results: list[dict]) -> str:
    header = (f"{'config':<11}{'mode':<8}{'batch':>6}  {'buckets':<14}{'compile s':>10}{'step ms':>10}"
              f"{'steps/s':>9}{'ex/s':>9}{'params M':>9}{'peak MiB':>10}{'vs ref':>8}")
    lines = [header, "-" * len(header)]
    for r in results:
        if "error" in r:
            lines.append(f"{r['config']:<11}{r['mode']:<8}{r['batch']:>6}  {r['error']}")
            continue
        buckets = ",".join(str(b) for b in r["measured_buckets"])
        if not r["all_buckets_measured"]:
            buckets += " only"
        lines.append(f"{r['config']:<11}{r['mode']:<8}{r['key_config']['batch']:>6}  {buckets:<14}"
                     f"{r['compile_s']:>10.1f}{r['step_ms']:>10.1f}{r['steps_per_s']:>9.2f}{r['examples_per_s']:>9.1f}"
                     f"{r['params'] / 1e6:>9.2f}{r['peak_memory_mib']:>10.0f}")
        for b in r["per_bucket"]:
            if len(r["per_bucket"]) > 1:
                label = f"  {b['slots']} ({b['plan_share']:.0%})"
                lines.append(f"{'':<19}{'':>6}  {label:<14}"
                             f"{b['compile_s']:>10.1f}{b['step_ms']:>10.1f}{b['steps_per_s']:>9.2f}"
                             f"{b['examples_per_s']:>9.1f}")
    lines.append(CONTEXT["text"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--entry"]:
        config_name, mode, batch, steps, warmup, bucket_choice, out = argv[1:]
        result = measure_entry(config_name, mode, int(batch), int(steps), int(warmup), bucket_choice)
        Path(out).write_text(json.dumps(result))
        return 0

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default="quickstart,base", help="comma-separated names in configs/ or paths")
    parser.add_argument("--modes", default="buckets,full", help=f"comma-separated, of {MODES}")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per bucket (the median is kept)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps after the compiling first call")
    parser.add_argument("--base-batch", type=int, default=None,
                        help="global batch for base (default: the configured one with a GPU/TPU, 4 on a CPU)")
    parser.add_argument("--base-steps", type=int, default=None,
                        help="timed steps for base (default: --steps with a GPU/TPU, min(--steps, 2) on a CPU)")
    parser.add_argument("--base-warmup", type=int, default=None,
                        help="untimed steps for base after the compiling call (default: --warmup with a GPU/TPU, 0 "
                             "on a CPU, where one base step takes tens of seconds and the first call warms up)")
    parser.add_argument("--base-buckets", choices=("all", "most_common"), default=None,
                        help="buckets mode for base: every bucket, or only the most common one (default: all with "
                             "a GPU/TPU, most_common on a CPU, where a base compile takes minutes)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "train_throughput.json")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()
    started = time.perf_counter()
    date = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    device = device_info()
    accelerator = device["platform"] in ("gpu", "tpu")
    modes = [m for m in args.modes.split(",") if m]
    if any(m not in MODES for m in modes):
        parser.error(f"--modes {args.modes!r}: each of {MODES}")
    notes = []
    results = []
    for name in [c for c in args.configs.split(",") if c]:
        config = load_config(name)
        batch, steps, warmup, bucket_choice = int(config.data.batch_size), args.steps, args.warmup, "all"
        if Path(name).stem == "base":
            batch = args.base_batch or (batch if accelerator else 4)
            steps = args.base_steps or (args.steps if accelerator else min(args.steps, 2))
            warmup = args.base_warmup if args.base_warmup is not None else (args.warmup if accelerator else 0)
            bucket_choice = args.base_buckets or ("all" if accelerator else "most_common")
            if batch != int(config.data.batch_size):
                notes.append(f"{name}: batch {batch} instead of the configured {int(config.data.batch_size)}")
            if steps != args.steps or warmup != args.warmup:
                notes.append(f"{name}: {steps} timed steps after {warmup} warm-up steps (plus the compiling call) "
                             f"instead of {args.steps} after {args.warmup}")
            if bucket_choice == "most_common" and "buckets" in modes:
                notes.append(f"{name}: buckets mode measures only its most common bucket (a base compile takes "
                             "minutes on a CPU); its step time is that bucket's, not the plan-weighted mean")
        for mode in modes:
            print(f"{name}/{mode}: batch {batch}, {warmup} + {steps} steps ...", file=sys.stderr, flush=True)
            results.append(run_entry(name, mode, batch, steps, warmup, bucket_choice))

    report = {
        "benchmark": "train_throughput",
        "command": "python benchmarks/train_throughput.py " + " ".join(argv),
        "date": date,
        "device": {k: device[k] for k in ("device_kind", "platform", "count")},
        "jax": device["jax"],
        "host": {"nproc": len(os.sched_getaffinity(0)), "cpu_count": os.cpu_count(),
                 "platform": platform.platform(), "python": platform.python_version()},
        "load_average_start": [round(v, 2) for v in load_before],
        "total_wall_s": round(time.perf_counter() - started, 1),
        "method": {
            "step": "dlt_jax.train.step.train_step, jax.jit(donate_argnums=0, out_shardings=(replicated, "
                    "replicated)), state replicated and batches split on the loop's 1-D data mesh",
            "data": "make_pipeline(config.data, mode='train', seed=0, num_workers=0); each bucket cycles through "
                    "up to warmup + steps + 1 real batches of the first epoch, put on the device before timing",
            "compile_s": "first call (trace + compile + one step) minus the median step, per bucket; a fresh "
                         "process per entry and no persistent compilation cache, so compiles are cold",
            "step_ms": "median of `steps` timed steps after `warmup` untimed ones, each ended with "
                       "jax.block_until_ready; buckets mode: per-bucket medians weighted by each bucket's share of "
                       "the first epoch's batch plan",
            "examples_per_s": "global batch / step time",
        },
        "notes": notes + ["the machine may be shared: see load_average_start and each entry's load_average_after"],
        "context_not_measured_here": CONTEXT,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(results))
    for note in notes:
        print(f"note: {note}")
    print(f"total {report['total_wall_s']:.0f} s; written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
