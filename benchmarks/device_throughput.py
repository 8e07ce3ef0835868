"""Train step and sampler throughput on an accelerator, with synthetic batches of the pipeline's shapes.

    python benchmarks/device_throughput.py [--configs base,quickstart] [--out FILE]

For a machine without the data stack (grain, TFDS): batches are made here with the
exact keys, shapes and dtypes of `make_pipeline` (patch grids ~90 % full, trees of
random nodes filling ~60 % of the bucket), so compile and step times are those of
the real program; quality needs real data (benchmarks/train_throughput.py,
sample_throughput.py). Per config: the jitted, donated train step per slot bucket
(compile time, median step, examples/s, peak device memory), optionally with cuDNN
attention; the one-program sampler at 10, 25 and 100 steps for batch 1 and 64
against a Python loop over one jitted step. JSON to benchmarks/results/.
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
from dlt_jax.data.pipeline import tokenizer_with_tags  # noqa: E402
from dlt_jax.diffusion.sampler import (SamplerConfig, legal_action_mask, model_predict, sample,  # noqa: E402
                                       sample_python_loop)
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
    spec = model_spec(config)
    graphdef, params = build_model(spec, config.model, 0)
    inputs = {k: jnp.asarray(v) for k, v in synthetic_batch(config, batch, slots, seed=1).items()}
    settings = SamplerConfig.from_config(config, steps=min(sample_steps, int(config.diffusion.steps)), temperature=0.0)

    @jax.jit
    def conditions_of(params, inputs):
        model = nnx.merge(graphdef, params)
        none = jnp.zeros((batch,), bool)
        return model.encode(inputs, none, none)

    conditions = conditions_of(params, inputs)
    predict = model_predict((graphdef, params), conditions, inputs["gen_action"], inputs["gen_box"], inputs["slot_valid"])
    legal = legal_action_mask(inputs["parent_slot"], inputs["sibling_index"], inputs["slot_valid"], DEFAULT_VOCAB)
    args = (predict, inputs["slot_valid"], jnp.zeros_like(inputs["actions"]), jnp.zeros_like(inputs["boxes"]),
            inputs["gen_action"], inputs["gen_box"], legal, jax.random.PRNGKey(0), settings)
    out = {}
    for name, fn in (("one_program", sample),) + ((("python_loop", sample_python_loop),) if python_loop else ()):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        first = time.perf_counter() - start
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            jax.block_until_ready(fn(*args))
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        out[name] = {"compile_s": round(first - median, 2), "seconds": round(median, 4),
                     "layouts_per_s": round(batch / median, 1)}
    if python_loop:
        out["ratio_one_program_to_loop"] = round(out["one_program"]["layouts_per_s"]
                                                 / out["python_loop"]["layouts_per_s"], 2)
    print(config.name, "sampler", batch, sample_steps, out, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default="base,quickstart")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--cudnn", action="store_true", help="also time base with model.attention='cudnn'")
    parser.add_argument("--buckets", default="", help="slot buckets to time (default: the config's)")
    parser.add_argument("--no-sampler", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "device_throughput.json"))
    args = parser.parse_args()
    device = jax.devices()[0]
    report = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "jax": jax.__version__,
              "device": {"kind": device.device_kind, "platform": device.platform, "count": jax.device_count()},
              "nproc": os.cpu_count(), "batches": "synthetic, make_pipeline's shapes", "entries": []}
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
        for b in () if args.no_sampler else (1, 64):
            for s in (10, 25, 100):
                entry["sampler"][f"b{b}_s{s}"] = time_sampler(config, b, s, 32, 3, python_loop=(s == 25))
                write()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
