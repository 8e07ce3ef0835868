"""Train step and sampler throughput on an accelerator, with synthetic batches of the pipeline's shapes.

    python benchmarks/device_throughput.py [--configs base,quickstart] [--out FILE]
    python benchmarks/device_throughput.py --configs test --buckets 32 --steps 2 --sampler-batches 1 \
        --sampler-steps 5 --loop-steps 5 --repeats 1 --out /tmp/device_throughput.json  # the smallest run

For a machine without the data stack (grain, TFDS): batches are made here with the
exact keys, shapes and dtypes of `make_pipeline` (patch grids ~90 % full, trees of
random nodes filling ~60 % of the bucket), so compile and step times are those of
the real program; quality needs real data (benchmarks/train_throughput.py,
sample_throughput.py). Per config: the jitted, donated train step per slot bucket
(compile time, median step, examples/s, peak device memory), optionally with cuDNN
attention; the public batch program `generation.generate` (encode once, then every
sampler step in one program) at 10, 25 and 100 steps for batch 1 and 64 (`--slots`
slots), at 25 steps against `generation.generate_python_loop` (the sampler as a Python
loop over one jitted step) with the same key, whose results must be identical; the
encoding (`generation.prepare`) timed apart. Every ratio is between two numbers of this
run. JSON to benchmarks/results/ (`--out` elsewhere for trial runs: the default holds
the accelerator's numbers).
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from flax import nnx  # noqa: E402

from configs import base, quickstart, test  # noqa: E402
from dlt_jax import generation  # noqa: E402
from dlt_jax.data.pipeline import tokenizer_with_tags  # noqa: E402
from dlt_jax.diffusion.sampler import SamplerConfig  # noqa: E402
from dlt_jax.layout import CONTENT_KEYS, DEFAULT_VOCAB  # noqa: E402
from dlt_jax.models import ModelSpec  # noqa: E402
from dlt_jax.train import sharding  # noqa: E402
from dlt_jax.train.state import build_model, create_train_state, make_optimizer  # noqa: E402
from dlt_jax.train.step import Objective, train_step  # noqa: E402

CONFIGS = {"base": base.get_config, "quickstart": quickstart.get_config, "test": test.get_config}


def model_spec(config) -> ModelSpec:
    tokenizer = tokenizer_with_tags(config.data.tokenizer, ("div",))
    vocab = DEFAULT_VOCAB
    return ModelSpec(vocab.size, tuple(vocab.action_id(t) for t in vocab.element_types), tokenizer.sizes,
                     int(config.data.patch_size) ** 2 * 3, int(config.data.max_patches))


def synthetic_batch(config, batch: int, slots: int, seed: int = 0) -> dict[str, np.ndarray]:
    """A batch with `make_pipeline`'s keys and shapes: `slots` slots, patch grids and trees filled realistically."""
    rng = np.random.default_rng(seed)
    m, p, c = int(config.data.max_patches), int(config.data.patch_size), int(config.data.tokenizer.max_classes)
    nodes = rng.integers(max(2, slots // 3), slots + 1, batch)
    valid = np.arange(slots)[None] < nodes[:, None]
    rows, cols = max(1, int(np.sqrt(m / 2.3))), max(1, int(m / max(1, int(np.sqrt(m / 2.3)))))
    cells = rows * cols
    parents = np.array([-1] + [int(rng.integers(0, i)) for i in range(1, slots)], np.int32)
    sizes = model_spec(config).feature_sizes
    out = {
        "patches": rng.uniform(-1, 1, (batch, m, p * p * 3)).astype(np.float32),
        "patch_row": np.tile(np.pad(np.repeat(np.arange(1, rows + 1), cols), (0, m - cells)), (batch, 1)).astype(np.int32),
        "patch_col": np.tile(np.pad(np.tile(np.arange(1, cols + 1), rows), (0, m - cells)), (batch, 1)).astype(np.int32),
        "patch_valid": np.tile(np.arange(m) < cells, (batch, 1)),
        "image_grid": np.tile([rows, cols], (batch, 1)).astype(np.int32),
        "screenshot_size": np.tile([1920, 840], (batch, 1)).astype(np.int32),
        "tag_id": (rng.integers(1, sizes["tag_id"], (batch, slots)) * valid).astype(np.int32),
        "class_ids": (rng.integers(0, sizes["class_ids"], (batch, slots, c)) * valid[..., None]).astype(np.int32),
        "css_parts": np.zeros((batch, slots, c, 5), np.int32),
        "content_kinds": (rng.random((batch, slots, len(CONTENT_KEYS))) < 0.3) & valid[..., None],
        "depth": (rng.integers(0, 8, (batch, slots)) * valid).astype(np.int32),
        "sibling_index": (rng.integers(0, 4, (batch, slots)) * valid).astype(np.int32),
        "child_count": (rng.integers(0, 4, (batch, slots)) * valid).astype(np.int32),
        "parent_slot": np.where(valid, parents[None], -1).astype(np.int32),
        "actions": np.where(valid, rng.integers(2, DEFAULT_VOCAB.size, (batch, slots)), 0).astype(np.int32),
        "boxes": (rng.uniform(-0.9, 0.9, (batch, slots, 4)) * valid[..., None]).astype(np.float32),
        "slot_valid": valid, "box_valid": valid.copy(), "gen_action": valid.copy(),
        "gen_box": np.repeat(valid[..., None], 4, axis=-1),
        "mask_strategy": np.zeros(batch, np.int32), "node_count": nodes.astype(np.int32),
        "example_index": np.arange(batch, dtype=np.int32), "example_valid": np.ones(batch, bool),
    }
    # the html features not drawn above (class parts, geometry, content counts) as padding
    blank = tokenizer_with_tags(config.data.tokenizer, ("div",)).blank(slots)
    for key, value in blank.items():
        out.setdefault(key, np.repeat(value[None], batch, axis=0))
    return out


def peak_memory() -> int | None:
    stats = jax.devices()[0].memory_stats() or {}
    return stats.get("peak_bytes_in_use")


def time_train(config, buckets, steps: int) -> dict:
    spec = model_spec(config)
    mesh = sharding.make_mesh()
    replicated, data = sharding.replicated(mesh), sharding.batch_sharding(mesh)
    graphdef, params = build_model(spec, config.model, 0)
    tx = make_optimizer(config.train)
    state = jax.device_put(create_train_state(params, tx, 0), replicated)
    objective = Objective.from_config(config, DEFAULT_VOCAB.mask_id, spec.type_action_ids)
    step = jax.jit(functools.partial(train_step, graphdef=graphdef, objective=objective, tx=tx, ema_decay=0.999),
                   donate_argnums=0, out_shardings=(replicated, replicated))
    result = {"params_m": round(sum(x.size for x in jax.tree.leaves(params)) / 1e6, 2), "buckets": {}}
    batch_size = int(config.data.batch_size)
    for slots in buckets:
        batch = sharding.global_batch(synthetic_batch(config, batch_size, slots), data)
        start = time.perf_counter()
        state, metrics = step(state, batch)
        jax.block_until_ready(metrics)
        first = time.perf_counter() - start
        times = []
        for _ in range(steps):
            start = time.perf_counter()
            state, metrics = step(state, batch)
            jax.block_until_ready(metrics)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        result["buckets"][slots] = {"compile_s": round(first - median, 2), "step_ms": round(1000 * median, 2),
                                    "examples_per_s": round(batch_size / median, 1),
                                    "loss": round(float(metrics["loss"]), 4)}
        print(config.name, slots, result["buckets"][slots], flush=True)
    result["peak_bytes"] = peak_memory()
    result["batch"] = batch_size
    return result


def time_sampler(config, batch: int, sample_steps: int, slots: int, repeats: int, python_loop: bool) -> dict:
    """`generation.generate` on a synthetic batch (and `generate_python_loop` with the same keys): first
    call, median of `repeats` timed calls, both including the encoding, which `prepare` times apart."""
    spec = model_spec(config)
    graphdef, params = build_model(spec, config.model, 0)
    inputs = {k: jnp.asarray(v) for k, v in synthetic_batch(config, batch, slots, seed=1).items()}
    settings = generation.GenerateSettings(SamplerConfig.from_config(
        config, mask_id=DEFAULT_VOCAB.mask_id, pad_id=DEFAULT_VOCAB.pad_id,
        steps=min(sample_steps, int(config.diffusion.steps)), temperature=0.0), DEFAULT_VOCAB)

    def timed(fn):
        start = time.perf_counter()
        output = jax.block_until_ready(fn())
        return time.perf_counter() - start, output

    encode = [timed(lambda: generation.prepare(graphdef, params, inputs, settings))[0] for _ in range(repeats + 1)]
    out = {"encode_s": round(statistics.median(encode[1:]), 4), "encode_compile_s": round(encode[0] - encode[1], 2)}
    programs = {"one_program": generation.generate}
    if python_loop:
        programs["python_loop"] = generation.generate_python_loop
    times: dict[str, list[float]] = {name: [] for name in programs}
    same_actions, identical = True, True
    for repeat in range(repeats + 1):  # call 0 compiles; the programs alternate after it
        key = jax.random.fold_in(jax.random.PRNGKey(0), repeat)
        outputs = {}
        for name in (list(programs) if repeat % 2 == 0 else list(reversed(programs))):
            seconds, outputs[name] = timed(lambda name=name: programs[name](graphdef, params, inputs, key, settings))
            times[name].append(seconds)
        if python_loop:
            one, loop = outputs["one_program"], outputs["python_loop"]
            same_actions &= bool(jnp.array_equal(one.actions, loop.actions))
            identical &= all(bool(jnp.array_equal(a, b)) for a, b in ((one.actions, loop.actions),
                                                                      (one.probabilities, loop.probabilities),
                                                                      (one.boxes, loop.boxes)))
    for name, seen in times.items():
        median = statistics.median(seen[1:])
        out[name] = {"compile_s": round(seen[0] - median, 2), "seconds": round(median, 4),
                     "layouts_per_s": round(batch / median, 1),
                     "ms_per_step": round(1000 * max(median - out["encode_s"], 0.0) / settings.sampler.steps, 3)}
    if python_loop:
        out["ratio_one_program_to_loop"] = round(out["one_program"]["layouts_per_s"]
                                                 / out["python_loop"]["layouts_per_s"], 2)
        out["same_actions_both_samplers"] = same_actions
        out["identical_both_samplers"] = identical
    print(config.name, "sampler", batch, sample_steps, out, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default="base,quickstart")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--cudnn", action="store_true", help="also time base with model.attention='cudnn'")
    parser.add_argument("--buckets", default="", help="slot buckets to time (default: the config's)")
    parser.add_argument("--no-sampler", action="store_true")
    parser.add_argument("--sampler-batches", default="1,64", help="batch sizes of the sampler timings")
    parser.add_argument("--sampler-steps", default="10,25,100", help="sampling steps of the sampler timings")
    parser.add_argument("--loop-steps", default="25",
                        help="step counts also timed with generate_python_loop ('' for none)")
    parser.add_argument("--slots", type=int, default=32, help="slots of the sampler's synthetic batches")
    parser.add_argument("--repeats", type=int, default=3, help="timed sampler calls per setting; median kept")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "device_throughput.json"))
    args = parser.parse_args()
    device = jax.devices()[0]
    report = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "jax": jax.__version__,
              "device": {"kind": device.device_kind, "platform": device.platform, "count": jax.device_count()},
              "nproc": os.cpu_count(), "batches": "synthetic, make_pipeline's shapes",
              "command": "python benchmarks/device_throughput.py " + " ".join(sys.argv[1:]),
              "sampler_programs": {"one_program": "dlt_jax.generation.generate",
                                   "python_loop": "dlt_jax.generation.generate_python_loop",
                                   "encode": "dlt_jax.generation.prepare (timed apart; both programs include it)"},
              "sampler_slots": args.slots, "entries": []}
    for name in args.configs.split(","):
        config = CONFIGS[name]()
        config.name = name
        entry = {"config": name, "d_model": config.model.d_model, "dit_layers": config.model.dit_layers,
                 "max_patches": config.data.max_patches, "dtype": config.model.dtype}
        report["entries"].append(entry)
        write = lambda: (Path(args.out).parent.mkdir(parents=True, exist_ok=True),  # noqa: E731
                         Path(args.out).write_text(json.dumps(report, indent=2) + "\n"))
        buckets = tuple(int(b) for b in args.buckets.split(",")) if args.buckets else tuple(config.data.slot_buckets)
        entry["train"] = time_train(config, buckets, args.steps)
        write()
        if args.cudnn and name == "base":
            with config.unlocked():
                config.model.attention = "cudnn"
            try:
                entry["train_cudnn"] = time_train(config, (128,), args.steps)
            except Exception as error:  # noqa: BLE001 - record why the fused kernel was refused
                entry["train_cudnn"] = {"error": f"{type(error).__name__}: {str(error)[:300]}"}
            with config.unlocked():
                config.model.attention = ""
            write()
        entry["sampler"] = {}
        loop_steps = {int(s) for s in args.loop_steps.split(",") if s}
        for b in () if args.no_sampler else (int(v) for v in args.sampler_batches.split(",")):
            for s in (int(v) for v in args.sampler_steps.split(",")):
                entry["sampler"][f"b{b}_s{s}"] = time_sampler(config, b, s, args.slots, args.repeats,
                                                              python_loop=s in loop_steps)
                write()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
