"""What a run is made of besides its weights: the model's data-given sizes and the metadata a
checkpoint carries (config, vocabulary, tokenizer, data fingerprint), shared by training and eval."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jax

from dlt_jax.data.pipeline import Pipeline
from dlt_jax.models import ModelSpec, image_input_key


def model_spec(config: Any, pipeline: Pipeline) -> ModelSpec:
    """The network's data-given sizes for this config and data set."""
    vocab = pipeline.vocab
    if image_input_key(config.model) != pipeline.spec.image_key:
        raise ValueError(f"model.vision.encoder={config.model.vision.encoder!r} reads "
                         f"{image_input_key(config.model)}, but the pipeline gives {pipeline.spec.image_key}: "
                         "'precomputed' goes with data.image_features (a .npz of per-example features), "
                         "'vit' without it")
    return ModelSpec(vocab.size, tuple(vocab.action_id(t) for t in vocab.element_types),
                     dict(pipeline.tokenizer.sizes), int(pipeline.spec.image_width), int(config.data.max_patches),
                     int(pipeline.spec.node_crop))


def run_metadata(config: Any, pipeline: Pipeline, spec: ModelSpec) -> dict[str, Any]:
    """What a checkpoint records beside the weights, and what a resumed run must agree with."""
    return {"config": config.to_dict(), "vocabulary": list(pipeline.vocab.actions),
            "element_types": list(pipeline.vocab.element_types), "props": list(pipeline.vocab.props),
            "tokenizer_tags": list(pipeline.tokenizer.tags),
            "data_fingerprint": pipeline.data.fingerprint, "data_path": str(pipeline.data.path),
            "mix_fingerprint": pipeline.mixed.fingerprint if pipeline.mixed is not None else None,
            "model_spec": spec.to_json()}


def enable_compilation_cache() -> None:
    """Compiled steps persist across runs (a resumed or repeated run skips most of its compile time):
    `$JAX_COMPILATION_CACHE_DIR` when set, else `~/.cache/dlt_jax/xla`."""
    if not os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        jax.config.update("jax_compilation_cache_dir", str(Path.home() / ".cache" / "dlt_jax" / "xla"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)
