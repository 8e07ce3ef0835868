"""The training objective and the pure, jitted train and eval steps.

One shared time per example drives both processes (DESIGN §4): boxes are
noised by DDPM (or rectified flow), actions are absorbed into MASK with
probability `gamma(u)`; given values (`gen_*` = 0) stay clean. Random draws are
made at `max_slots` and cut to the batch's slot bucket, so a batch gives the
same loss in any bucket that holds it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import optax
from flax import nnx

from dlt_jax import diffusion
from dlt_jax.train.state import TrainState, ema_decay_at, update_ema


@dataclasses.dataclass(frozen=True)
class Objective:
    """Everything about the loss that is fixed for a run (hashable: a static argument of jit)."""

    max_slots: int
    mask_id: int
    type_action_ids: tuple[int, ...]
    steps: int = 100                 # T, the discrete diffusion steps
    box_process: str = "ddpm"
    flow_logit_mean: float = 0.0
    flow_logit_std: float = 1.0
    drop_image: float = 0.1          # classifier-free guidance dropout shares (DESIGN §3)
    drop_html: float = 0.1
    drop_both: float = 0.1
    box_weight: float = 5.0
    presence_weight: float = 0.3
    label_smoothing: float = 0.0
    contrastive_weight: float = 0.0  # html-pixel alignment (InfoNCE), with model.roi_pool
    contrastive_temperature: float = 0.1

    @classmethod
    def from_config(cls, config: Any, mask_id: int, type_action_ids: tuple[int, ...]) -> "Objective":
        process = config.diffusion.box_process
        if process not in diffusion.BOX_PROCESSES:
            raise ValueError(f"diffusion.box_process {process!r} not in {diffusion.BOX_PROCESSES}")
        dropout = config.diffusion.condition_dropout
        return cls(max_slots=int(config.data.max_slots), mask_id=mask_id, type_action_ids=tuple(type_action_ids),
                   steps=int(config.diffusion.steps), box_process=process,
                   flow_logit_mean=float(config.diffusion.flow_logit_mean),
                   flow_logit_std=float(config.diffusion.flow_logit_std),
                   drop_image=float(dropout.image), drop_html=float(dropout.html), drop_both=float(dropout.both),
                   box_weight=float(config.loss.box_weight), presence_weight=float(config.loss.presence_weight),
                   label_smoothing=float(config.loss.label_smoothing),
                   contrastive_weight=float(config.loss.get("contrastive_weight", 0.0)),
                   contrastive_temperature=float(config.loss.get("contrastive_temperature", 0.1)))

    @property
    def schedule(self) -> diffusion.GaussianSchedule:
        # Not cached: made inside a trace, its arrays belong to that trace.
        return diffusion.make_gaussian_schedule(self.steps)


@jax.tree_util.register_dataclass
@dataclasses.dataclass
class NoisedInputs:
    """What the denoiser sees for one batch, and which targets the loss reads."""

    actions: jax.Array      # b n, MASK where `masked`
    boxes: jax.Array        # b n 4, noised where generated
    u: jax.Array            # b, time fraction in (0, 1]
    masked: jax.Array       # b n bool
    drop_image: jax.Array   # b bool
    drop_html: jax.Array    # b bool


def noise_batch(objective: Objective, batch: Mapping[str, jax.Array], rng: jax.Array,
                condition_dropout: bool = True) -> NoisedInputs:
    """Draws a time, box noise, action masks and condition dropout for every example of `batch`."""
    b, n = batch["actions"].shape
    key_time, key_noise, key_mask, key_drop = jax.random.split(rng, 4)
    noise = jax.random.normal(key_noise, (b, objective.max_slots, 4))[:, :n]
    boxes = batch["boxes"]
    if objective.box_process == "ddpm":
        t = jax.random.randint(key_time, (b,), 0, objective.steps)
        u = diffusion.time_fraction(t, objective.steps)
        noised = diffusion.q_sample(objective.schedule, boxes, t, noise)
    else:
        u = diffusion.logit_normal_time(key_time, (b,), objective.flow_logit_mean, objective.flow_logit_std)
        noised = diffusion.flow_interpolate(boxes, noise, u)
    noisy_boxes = jnp.where(batch["gen_box"], noised, boxes)
    uniform = jax.random.uniform(key_mask, (b, objective.max_slots))[:, :n]
    eligible = batch["gen_action"] & batch["slot_valid"]
    noisy_actions, masked = diffusion.mask_actions(batch["actions"], uniform, diffusion.mask_ratio(u), eligible,
                                                   objective.mask_id)
    if condition_dropout:
        drop_image, drop_html = diffusion.condition_dropout(jax.random.uniform(key_drop, (b,)), objective.drop_image,
                                                            objective.drop_html, objective.drop_both)
    else:
        drop_image = drop_html = jnp.zeros((b,), bool)
    return NoisedInputs(noisy_actions, noisy_boxes, u, masked, drop_image, drop_html)


def contrastive_loss(html: jax.Array, look: jax.Array, valid: jax.Array, temperature: float) -> jax.Array:
    """Symmetric InfoNCE between the nodes' html and their looks, within each example.

    html, look `b n e`; valid `b n` bool. Per example, each valid node's html embedding should pick its
    own look among the looks of the example's valid nodes (cosine similarity / temperature), and each
    look its own html: cross-entropy in both directions, averaged over the valid nodes, then over the
    examples with at least two of them (one node alone has nothing to tell apart). Padding and invalid
    nodes are neither queries nor candidates.
    """
    html = html / jnp.maximum(jnp.linalg.norm(html, axis=-1, keepdims=True), 1e-6)
    look = look / jnp.maximum(jnp.linalg.norm(look, axis=-1, keepdims=True), 1e-6)
    logits = jnp.einsum("bie,bje->bij", html, look) / temperature
    pairs = valid[:, :, None] & valid[:, None, :]
    logits = jnp.where(pairs, logits, -1e9)
    html_to_look = jnp.diagonal(jax.nn.log_softmax(logits, axis=-1), axis1=1, axis2=2)   # b n
    look_to_html = jnp.diagonal(jax.nn.log_softmax(logits, axis=-2), axis1=1, axis2=2)
    per_node = jnp.where(valid, -(html_to_look + look_to_html) / 2, 0.0)
    count = valid.sum(axis=-1)
    per_example = per_node.sum(axis=-1) / jnp.maximum(count, 1)
    counted = count >= 2
    return jnp.where(counted, per_example, 0.0).sum() / jnp.maximum(counted.sum(), 1)


def losses(objective: Objective, batch: Mapping[str, jax.Array], noised: NoisedInputs,
           prediction: Any) -> dict[str, jax.Array]:
    """The weighted total and its parts: action CE on masked slots, box MSE on generated valid
    coordinates (x0), presence BCE over element types, the html-pixel alignment (InfoNCE, where the
    model gives one and the html is not dropped); plus the masked-slot action accuracy."""
    slot_valid = batch["slot_valid"]
    action_loss = diffusion.masked_cross_entropy(prediction.action_logits, batch["actions"], noised.masked,
                                                 objective.label_smoothing)
    box_mask = batch["gen_box"] & (batch["box_valid"] & slot_valid)[..., None]
    box_loss = diffusion.masked_mse(prediction.boxes, batch["boxes"], box_mask)
    total = action_loss + objective.box_weight * box_loss
    parts = {"action_loss": action_loss, "box_loss": box_loss,
             "action_accuracy": diffusion.masked_accuracy(prediction.action_logits, batch["actions"], noised.masked)}
    if prediction.presence_logits is not None:
        targets = diffusion.presence_targets(batch["actions"], slot_valid, jnp.asarray(objective.type_action_ids))
        presence_loss = diffusion.presence_loss(prediction.presence_logits, targets, batch["example_valid"])
        total = total + objective.presence_weight * presence_loss
        parts["presence_loss"] = presence_loss
    alignment = getattr(prediction, "alignment", None)
    if objective.contrastive_weight and alignment is not None:
        valid = alignment.valid & ~noised.drop_html[:, None] & batch["example_valid"][:, None]
        contrastive = contrastive_loss(alignment.html, alignment.look, valid, objective.contrastive_temperature)
        total = total + objective.contrastive_weight * contrastive
        parts["contrastive_loss"] = contrastive
    return {"loss": total, **parts}


def loss_fn(params: nnx.State, graphdef: nnx.GraphDef, objective: Objective, batch: Mapping[str, jax.Array],
            rng: jax.Array, condition_dropout: bool = True) -> tuple[jax.Array, dict[str, jax.Array]]:
    model = nnx.merge(graphdef, params)
    noised = noise_batch(objective, batch, rng, condition_dropout)
    prediction = model(batch, noised.actions, noised.boxes, noised.u, noised.drop_image, noised.drop_html)
    metrics = losses(objective, batch, noised, prediction)
    return metrics["loss"], metrics


def train_step(state: TrainState, batch: Mapping[str, jax.Array], *, graphdef: nnx.GraphDef,
               objective: Objective, tx: optax.GradientTransformation, ema_decay: float
               ) -> tuple[TrainState, dict[str, jax.Array]]:
    """One optimizer update. A non-finite loss or gradient leaves the weights untouched and is
    reported in `metrics['finite']`, so the host can stop with the last good state intact."""
    rng = jax.random.fold_in(state.rng, state.step)
    grad_fn = jax.value_and_grad(loss_fn, has_aux=True)
    (_, metrics), grads = grad_fn(state.params, graphdef, objective, batch, rng)
    grad_norm = optax.tree.norm(grads)
    updates, opt_state = tx.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    finite = jnp.isfinite(metrics["loss"]) & jnp.isfinite(grad_norm)  # the norm is finite iff every gradient is
    keep = functools.partial(jax.tree.map, lambda new, old: jnp.where(finite, new, old))
    params, opt_state = keep(params, state.params), keep(opt_state, state.opt_state)
    ema_params = update_ema(state.ema_params, params, ema_decay_at(state.step, ema_decay))
    metrics = dict(metrics, grad_norm=grad_norm, finite=finite)
    return state.replace(step=state.step + 1, params=params, opt_state=opt_state, ema_params=ema_params), metrics


def one_pass_prediction(model: Any, batch: Mapping[str, jax.Array], mask_id: int) -> Any:
    """The network's answer from one pass at u = 1 with every action masked and the boxes given:
    the main inference mode (DOM boxes known), before any iterative sampling. The encoder is told the
    boxes are given too, so it reads what they give (each node's look and geometry)."""
    b = batch["actions"].shape[0]
    valid = batch["slot_valid"]
    no_drop = jnp.zeros((b,), bool)
    conditions = model.encode(dict(batch, gen_box=jnp.zeros_like(batch["gen_box"])), no_drop, no_drop)
    return model.denoise(conditions, jnp.where(valid, mask_id, batch["actions"]), batch["boxes"], jnp.ones((b,)),
                         valid, jnp.zeros_like(batch["gen_box"]), valid)


def eval_step(params: nnx.State, batch: Mapping[str, jax.Array], rng: jax.Array, *, graphdef: nnx.GraphDef,
              objective: Objective) -> dict[str, jax.Array]:
    """Validation losses at random times (no condition dropout), the one-pass boxes-given action
    accuracy, and the predicted actions (`b n`) for overlays."""
    _, metrics = loss_fn(params, graphdef, objective, batch, rng, condition_dropout=False)
    prediction = one_pass_prediction(nnx.merge(graphdef, params), batch, objective.mask_id)
    valid = batch["slot_valid"]
    return dict(metrics,
                boxes_given_accuracy=diffusion.masked_accuracy(prediction.action_logits, batch["actions"], valid),
                examples=batch["example_valid"].sum(), slots=valid.sum(),
                predicted_actions=jnp.argmax(prediction.action_logits, axis=-1))
