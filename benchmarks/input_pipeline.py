"""Input pipeline throughput: examples/s of training batches for several worker counts and patch budgets.

    python benchmarks/input_pipeline.py [--config configs/quickstart.py] [--max-patches 64 128] [--workers 0 1 2]

Reads the config's data set (default: the embedded one, built into the cache on
first use), times `--batches` training batches after `--warmup` ones (worker
start-up is reported apart, as time to the first batch) and writes JSON with
the machine, the config and the numbers to benchmarks/results/input_pipeline.json.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path

from absl import flags

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlt_jax.data.dataset import resolve_dataset  # noqa: E402
from dlt_jax.data.pipeline import make_pipeline  # noqa: E402


def load_config(path: Path):
    spec = importlib.util.spec_from_file_location("benchmark_config", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config()


def machine() -> dict:
    import grain  # noqa: PLC0415
    import jax  # noqa: PLC0415
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "memory_gib": round(memory, 1), "python": platform.python_version(),
            "jax": jax.__version__, "grain": grain.__version__, "jax_device": str(jax.devices()[0].device_kind)}


def measure(data_config, data, max_patches: int, workers: int, batches: int, warmup: int, seed: int,
            repeats: int) -> dict:
    """Median over `repeats` fresh pipelines of examples/s over `batches` batches after `warmup`."""
    runs = [measure_once(data_config, data, max_patches, workers, batches, warmup, seed) for _ in range(repeats)]
    rates = sorted(run["examples_per_s"] for run in runs)
    return dict(runs[0], examples_per_s=rates[len(rates) // 2],
                examples_per_s_runs=[r["examples_per_s"] for r in runs],
                first_batch_s=sorted(r["first_batch_s"] for r in runs)[len(runs) // 2], repeats=repeats)


def measure_once(data_config, data, max_patches: int, workers: int, batches: int, warmup: int, seed: int) -> dict:
    """Time to the first batch, then examples/s over `batches` batches after `warmup`."""
    data_config.max_patches = max_patches
    pipeline = make_pipeline(data_config, mode="train", seed=seed, num_workers=workers, shard_index=0,
                             shard_count=1, data=data)
    start = time.perf_counter()
    iterator = iter(pipeline)
    checksum = float(next(iterator)["patches"][0, 0, 0])
    first = time.perf_counter() - start
    for _ in range(warmup - 1):
        next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        batch = next(iterator)
        checksum += float(batch["patches"][0, 0, 0])
    seconds = time.perf_counter() - start
    del batch
    iterator.close()
    gc.collect()
    examples = batches * pipeline.batch_size
    return {"max_patches": max_patches, "workers": workers, "batch_size": pipeline.batch_size,
            "batches": batches, "seconds": round(seconds, 3), "examples_per_s": round(examples / seconds, 1),
            "first_batch_s": round(first, 2), "checksum": round(checksum, 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "quickstart.py")
    parser.add_argument("--data", default=None, help="data.path override (default: the config's)")
    parser.add_argument("--max-patches", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--batch-size", type=int, default=None, help="default: the config's")
    parser.add_argument("--batches", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=3, help="fresh pipelines per setting; the median is kept")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "input_pipeline.json")
    args = parser.parse_args(argv)
    flags.FLAGS.mark_as_parsed()  # grain workers read absl flags

    config = load_config(args.config)
    data_config = config.data
    if args.data:
        data_config.path = args.data
    if args.batch_size:
        data_config.batch_size = args.batch_size
    load_before = os.getloadavg()
    build_start = time.perf_counter()
    data = resolve_dataset(data_config.path, cache_dir=data_config.data_dir,
                           image_size=data_config.build_image_size, image_format=data_config.image_format)
    resolve_seconds = time.perf_counter() - build_start
    results = []
    for max_patches in args.max_patches:
        for workers in args.workers:
            result = measure(data_config, data, max_patches, workers, args.batches, args.warmup, config.seed,
                             args.repeats)
            print(json.dumps(result), flush=True)
            results.append(result)
    report = {
        "benchmark": "input_pipeline",
        "command": "python benchmarks/input_pipeline.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine(),
        "load_average_before": [round(v, 2) for v in load_before],
        "data": {"path": str(data.path), "fingerprint": data.fingerprint,
                 "train_records": int(len(data.node_counts(data_config.train_split))),
                 "resolve_or_build_s": round(resolve_seconds, 2)},
        "config": {"file": str(args.config.relative_to(ROOT)) if args.config.is_relative_to(ROOT) else str(args.config),
                   "data": {k: v for k, v in data_config.to_dict().items() if k != "max_patches"}},
        "results": results,
        "examples_per_s": {f"{r['max_patches']}patches/{r['workers']}w": r["examples_per_s"] for r in results},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
