"""The one batch program of generation (DESIGN §4, §7): encode a batch once, then every sampling step
in one compiled program. `LayoutGenerator`, `--mode=eval` and the benchmarks all call `generate`.

This is the model's side of the seam: the sampler (`diffusion.sampler`) sees only the closure
`model_predict` builds (the denoiser under the batch's conditions and the EMA weights, with the
guided CFG pair when asked), the task (`batch_task`: given values, legal actions) and the settings.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from dlt_jax.diffusion.aesthetics import leaf_slots
from dlt_jax.diffusion.guidance import guided
from dlt_jax.diffusion.sampler import (SampleResult, SamplerConfig, SamplerState, SampleTask, make_task, sample,
                                       sample_python_loop)
from dlt_jax.layout import DEFAULT_ROOT_ACTIONS, Vocabulary, legal_action_mask

# The `SamplerConfig` fields the `sample` section carries; the aesthetic_* ones are LACE-style
# alignment/overlap guidance of x0 late in sampling (aesthetic_weight 0: off; see SamplerConfig).
SAMPLER_FIELDS = ("box_method", "temperature", "top_k", "choice_temperature", "cfg_scale", "aesthetic_weight",
                  "aesthetic_from", "aesthetic_steps")


def sample_defaults() -> dict[str, Any]:
    """The `sample` config section's defaults, the one home of them (configs/base.py builds its section
    from this): `SamplerConfig`'s defaults, 25 steps, the root types and the batch size."""
    fields = {field.name: field.default for field in dataclasses.fields(SamplerConfig)}
    return {"steps": 25, **{name: fields[name] for name in SAMPLER_FIELDS},
            "root_types": DEFAULT_ROOT_ACTIONS,  # what the top node may be
            "batch_size": 16}                    # sections per compiled sampler call


@dataclasses.dataclass(frozen=True)
class GenerateSettings:
    """Everything static about a generation call (hashable: a static argument of jit)."""

    sampler: SamplerConfig
    vocab: Vocabulary
    root_actions: tuple[int, ...] | None = None  # ids the top node may take (None: any)
    drop_image: bool = False                     # generate without the screenshot
    drop_html: bool = False                      # ... and without the html features (DLT's unconditional)

    @classmethod
    def from_config(cls, config: Any, vocab: Vocabulary, *, drop_image: bool = False, drop_html: bool = False,
                    **sampler_overrides: Any) -> "GenerateSettings":
        """From a run config (`diffusion` and `sample` sections, `sample_defaults` for what it lacks)."""
        sample_config = {**sample_defaults(), **dict(config.get("sample") or {})}
        sampler = SamplerConfig.from_config(config, mask_id=vocab.mask_id, pad_id=vocab.pad_id, **sampler_overrides)
        root = tuple(vocab.action_id(t) for t in sample_config["root_types"]) or None
        return cls(sampler, vocab, root, bool(drop_image), bool(drop_html))


@dataclasses.dataclass(frozen=True)
class _DenoisePass:
    """The static half of `model_predict` (hashable: equal graphs reuse one compiled sampler)."""

    graphdef: nnx.GraphDef

    def __call__(self, params, conditions, uncond_conditions, gen_action, gen_box, slot_valid, cfg_scale,
                 actions, boxes, u):
        model = nnx.merge(self.graphdef, params)
        if uncond_conditions is None:
            prediction = model.denoise(conditions, actions, boxes, u, gen_action, gen_box, slot_valid)
            return prediction.action_logits, prediction.boxes
        b = actions.shape[0]
        twice = lambda x: jnp.concatenate([x, x], axis=0)  # noqa: E731
        both = jax.tree.map(lambda c, n: jnp.concatenate([c, n], axis=0), conditions, uncond_conditions)
        prediction = model.denoise(both, twice(actions), twice(boxes), twice(u), twice(gen_action), twice(gen_box),
                                   twice(slot_valid))
        logits = guided(prediction.action_logits[:b], prediction.action_logits[b:], cfg_scale)
        x0 = guided(prediction.boxes[:b], prediction.boxes[b:], cfg_scale)
        return logits, x0


def model_predict(model: Any, conditions: Any, gen_action: jax.Array, gen_box: jax.Array, slot_valid: jax.Array,
                  uncond_conditions: Any = None, cfg_scale: float | jax.Array = 1.0) -> jax.tree_util.Partial:
    """The sampler's `predict` from a `DLTModel`: an nnx module, or its `(graphdef, params)` (e.g. EMA weights).

    `conditions` = `model.encode(batch, ...)`, computed once. With `uncond_conditions` (the batch
    encoded with the screenshot dropped) every step runs the conditional and unconditional passes as
    one batch of 2b and mixes logits and x0 with `guided(cond, uncond, cfg_scale)`; scale 1 then
    equals the conditional pass (at twice the cost: leave it None when not guiding). A
    `jax.tree_util.Partial` whose leaves are the weights and conditions.
    """
    graphdef, params = nnx.split(model) if isinstance(model, nnx.Module) else model
    return jax.tree_util.Partial(_DenoisePass(graphdef), params, conditions, uncond_conditions, gen_action, gen_box,
                                 slot_valid, jnp.asarray(cfg_scale, jnp.float32))


def batch_task(batch: Mapping[str, jax.Array], settings: GenerateSettings) -> SampleTask:
    """What a pipeline-style batch gives (`actions`, `boxes` where `gen_*` is False) and what each slot may
    take: the tree's legal actions, less `batch["blocked"]` `b n V` where the batch has it (completion: a
    generated node may not join a given element or take a given prop). Aesthetic guidance looks at the
    html leaves (the evaluation scores alignment and overlap over leaf elements)."""
    legal = legal_action_mask(batch["parent_slot"], batch["sibling_index"], batch["slot_valid"], settings.vocab,
                              settings.root_actions)
    if "blocked" in batch:
        legal = legal & ~jnp.asarray(batch["blocked"], bool)
    return make_task(batch["slot_valid"], batch["actions"], batch["boxes"], batch["gen_action"], batch["gen_box"],
                     legal, leaf_slots(batch["parent_slot"], batch["slot_valid"]))


def batch_predict(graphdef: nnx.GraphDef, params: Any, batch: Mapping[str, jax.Array],
                  settings: GenerateSettings) -> jax.tree_util.Partial:
    """Encodes `batch` once (and, with CFG, once more without the screenshot): the sampler's `predict`."""
    model = nnx.merge(graphdef, params)
    b = batch["actions"].shape[0]
    drop_html = jnp.full((b,), settings.drop_html)
    conditions = model.encode(batch, jnp.full((b,), settings.drop_image), drop_html)
    uncond = None
    if settings.sampler.cfg_scale != 1.0 and not settings.drop_image:
        uncond = model.encode(batch, jnp.ones((b,), bool), drop_html)
    return model_predict((graphdef, params), conditions, batch["gen_action"], batch["gen_box"], batch["slot_valid"],
                         uncond, settings.sampler.cfg_scale)


@functools.partial(jax.jit, static_argnames=("graphdef", "settings"))
def generate(graphdef: nnx.GraphDef, params: Any, batch: Mapping[str, jax.Array], rng: jax.Array,
             settings: GenerateSettings) -> SampleResult:
    """Generates a batch's `gen_action` actions and `gen_box` coordinates: encode once, then all the
    sampler's steps, one compiled program per (graph, settings, bucket)."""
    return sample(batch_predict(graphdef, params, batch, settings), batch_task(batch, settings), rng,
                  settings.sampler)


@functools.partial(jax.jit, static_argnames=("graphdef", "settings"))
def prepare(graphdef: nnx.GraphDef, params: Any, batch: Mapping[str, jax.Array],
            settings: GenerateSettings) -> tuple[jax.tree_util.Partial, SampleTask]:
    """The sampler's inputs for a batch, jitted: `predict` (the batch encoded once) and the task. What
    `generate` does before sampling; benchmarks time it apart."""
    return batch_predict(graphdef, params, batch, settings), batch_task(batch, settings)


def generate_python_loop(graphdef: nnx.GraphDef, params: Any, batch: Mapping[str, jax.Array], rng: jax.Array,
                         settings: GenerateSettings,
                         on_step: Callable[[int, SamplerState], None] | None = None) -> SampleResult:
    """`generate` with the sampler as a Python loop over one jitted step: the same result for the same
    key, the reference the one-program sampler is measured against (and a way to watch the steps)."""
    predict, task = prepare(graphdef, params, batch, settings)
    return sample_python_loop(predict, task, rng, settings.sampler, on_step)
