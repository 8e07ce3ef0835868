"""The train state as a plain pytree, the optimizer, and the EMA of the weights.

The network is split once (`nnx.split`) into a static graph and its
parameters; everything that changes during training lives in `TrainState`, so
the train step is a pure function that jit can donate and orbax can save.
"""

from __future__ import annotations

from typing import Any

import flax.struct
import jax
import jax.numpy as jnp
import optax
from flax import nnx

from dlt_jax.models import DLTModel, ModelSpec


@flax.struct.dataclass
class TrainState:
    step: jax.Array          # int32 scalar: optimizer updates done
    params: nnx.State        # float32 weights
    opt_state: optax.OptState
    ema_params: nnx.State    # exponential moving average of `params` (what inference uses)
    rng: jax.Array           # uint32[2] base key; step keys are fold_in(rng, step)


def optimizer_steps(train_config: Any, batches: int) -> int:
    """Optimizer updates done after `batches` train steps: one every `grad_accum_steps` batches."""
    return int(batches) // max(int(train_config.grad_accum_steps), 1)


def learning_rate_schedule(train_config: Any) -> optax.Schedule:
    """Linear warmup to `learning_rate`, then cosine decay to `final_lr_fraction` of it at `steps`.

    The schedule counts optimizer updates, as `scale_by_learning_rate` inside `optax.MultiSteps` sees
    them (the inner optimizer runs once per `grad_accum_steps` batches); `steps` and `warmup_steps`
    count batches, so both are divided by `grad_accum_steps` and the curve spans the run at any k.
    """
    peak = float(train_config.learning_rate)
    total = max(optimizer_steps(train_config, train_config.steps), 1)
    warmup = min(optimizer_steps(train_config, train_config.warmup_steps), total - 1)
    return optax.warmup_cosine_decay_schedule(0.0, peak, warmup, max(total, warmup + 1),
                                              end_value=peak * float(train_config.final_lr_fraction))


def learning_rate_at(train_config: Any, schedule: optax.Schedule, step_index: int) -> float:
    """The rate the batch `step_index` (0-based) is scaled by when its update is applied: the
    optimizer has done `step_index // grad_accum_steps` updates before it."""
    return float(schedule(optimizer_steps(train_config, step_index)))


def decay_mask(params: nnx.State) -> Any:
    """Weight decay on matrices (kernels, embeddings) only, not on biases, norms or the null tokens."""
    return jax.tree.map(lambda p: p.ndim >= 2, params)


def make_optimizer(train_config: Any) -> optax.GradientTransformation:
    """Global-norm clipping, then AdamW on the warmup-cosine schedule; MultiSteps when accumulating.

    Adam's moments run on one flat vector (`optax.flatten`): the same arithmetic, but one fused
    update instead of one per parameter array, which XLA compiles several times faster.
    """
    tx = optax.chain(
        optax.clip_by_global_norm(float(train_config.clip_norm)),
        optax.flatten(optax.scale_by_adam(b1=float(train_config.b1), b2=float(train_config.b2))),
        optax.add_decayed_weights(float(train_config.weight_decay), mask=decay_mask),
        optax.scale_by_learning_rate(learning_rate_schedule(train_config)))
    if int(train_config.grad_accum_steps) > 1:
        tx = optax.MultiSteps(tx, every_k_schedule=int(train_config.grad_accum_steps))
    return tx


def build_model(spec: ModelSpec, model_config: Any, seed: int) -> tuple[nnx.GraphDef, nnx.State]:
    """The network's static graph and its freshly initialised parameters."""
    model = DLTModel(spec, model_config, rngs=nnx.Rngs(params=seed))
    graphdef, params = nnx.split(model, nnx.Param)
    return graphdef, params


def create_train_state(params: nnx.State, tx: optax.GradientTransformation, seed: int) -> TrainState:
    return TrainState(step=jnp.zeros((), jnp.int32), params=params, opt_state=tx.init(params),
                      ema_params=jax.tree.map(jnp.copy, params), rng=jax.random.PRNGKey(seed))


def ema_decay_at(step: jax.Array, decay: float) -> jax.Array:
    """`decay`, warmed up as (1 + step) / (10 + step) so a short run's EMA is not its initialisation."""
    step = step.astype(jnp.float32)
    return jnp.minimum(decay, (1.0 + step) / (10.0 + step))


def update_ema(ema_params: nnx.State, params: nnx.State, decay: jax.Array) -> nnx.State:
    return jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, ema_params, params)
