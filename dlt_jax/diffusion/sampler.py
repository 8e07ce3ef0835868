"""The jitted joint sampler (DESIGN.md §4): MaskGIT-style unmasking of the actions and a DDIM, DDPM
or rectified-flow walk of the boxes, every step inside one `lax.fori_loop`, the reverse of `noise_batch`.

The sampler knows nothing of the model: it is a pure function of `predict(actions b n, boxes b n 4,
u b) -> (logits b n V float32, x0 b n 4)` (the network's closure, `generation.model_predict`, or any
pure function: tests use fakes), a `SampleTask` (what is given, what may be drawn) and the settings.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import flax.struct
import jax
import jax.numpy as jnp
import numpy as np

from dlt_jax.diffusion.aesthetics import guide_boxes
from dlt_jax.diffusion.flow import flow_euler_step
from dlt_jax.diffusion.gaussian import ddim_step
from dlt_jax.diffusion.masking import unmask_count
from dlt_jax.diffusion.schedules import BOX_PROCESSES, make_gaussian_schedule, mask_ratio, time_fraction

BOX_METHODS = ("ddpm", "ddim", "flow")

Predict = Callable[[jax.Array, jax.Array, jax.Array], tuple[jax.Array, jax.Array]]


# ----------------------------------------------------------------------------------------------
# Settings and the time grid.


@dataclasses.dataclass(frozen=True)
class SamplerConfig:
    """Static sampling settings (hashable: a static argument of jit).

    steps: sampling steps S (1 <= S <= T); T: `diffusion.steps` of training; box_process: the box
    process trained ('ddpm' | 'flow'); box_method: 'ddim' (deterministic, eta 0) or 'ddpm'
    (ancestral: DDIM with eta 1, which between consecutive steps is the DDPM posterior) for a ddpm
    process, 'flow' (Euler) for a flow process; None picks 'ddim' / 'flow'. temperature: of the
    action draw (0: the most likely legal action, what prediction wants; 1: sampling); top_k: draw
    among the k best legal actions (0: all); choice_temperature: scale of the Gumbel noise added to
    the confidences, annealed with the remaining time (MaskGIT's `mask_by_random_topk`; 0: off).
    cfg_scale: classifier-free guidance on the screenshot (1: off), read by whoever builds `predict`
    (`generation.model_predict`), not by `sample`. aesthetic_weight: LACE-style guidance, gradient
    steps of at most that size (in [-1, 1] box units) on the alignment + overlap of the predicted x0
    boxes of the task's `guide_slots` (`diffusion.aesthetics.guide_boxes`); 0: off, the default (on
    the shipped weights, 0.01 cut the generated boxes' overlap by about a tenth at an unchanged box
    mIoU and alignment; larger weights lowered the mIoU: benchmarks/results/aesthetics.json).
    aesthetic_from: guidance on the steps whose time fraction u is at most this (the last part of
    sampling, where x0 is nearly decided); aesthetic_steps: gradient steps per sampling step.
    These defaults are the project's: the `sample` config section is built from them
    (`generation.sample_defaults`).
    """

    steps: int
    T: int
    box_process: str = "ddpm"
    box_method: str | None = None
    temperature: float = 0.0
    top_k: int = 0
    choice_temperature: float = 0.0
    cfg_scale: float = 1.0
    aesthetic_weight: float = 0.0
    aesthetic_from: float = 0.2
    aesthetic_steps: int = 1
    mask_id: int = 1
    pad_id: int = 0

    def __post_init__(self):
        if self.box_process not in BOX_PROCESSES:
            raise ValueError(f"SamplerConfig.box_process {self.box_process!r} not in {BOX_PROCESSES}")
        if self.box_method is None:
            object.__setattr__(self, "box_method", "flow" if self.box_process == "flow" else "ddim")
        if self.box_method not in BOX_METHODS:
            raise ValueError(f"SamplerConfig.box_method {self.box_method!r} not in {BOX_METHODS}")
        if (self.box_method == "flow") != (self.box_process == "flow"):
            raise ValueError(f"SamplerConfig.box_method {self.box_method!r} cannot sample a model trained with "
                             f"box_process {self.box_process!r}: use 'flow' for flow, 'ddim' or 'ddpm' for ddpm")
        if not 1 <= self.steps <= self.T:
            raise ValueError(f"SamplerConfig.steps must be in [1, T={self.T}], got {self.steps}")
        if self.temperature < 0 or self.top_k < 0 or self.choice_temperature < 0:
            raise ValueError("SamplerConfig: temperature, top_k and choice_temperature must be >= 0, got "
                             f"{self.temperature}, {self.top_k}, {self.choice_temperature}")
        if self.aesthetic_weight < 0 or not 0 <= self.aesthetic_from <= 1 or self.aesthetic_steps < 1:
            raise ValueError("SamplerConfig: aesthetic_weight must be >= 0, aesthetic_from in [0, 1] and "
                             f"aesthetic_steps >= 1, got {self.aesthetic_weight}, {self.aesthetic_from}, "
                             f"{self.aesthetic_steps}")

    @classmethod
    def from_config(cls, config: Any, mask_id: int = 1, pad_id: int = 0, **overrides: Any) -> "SamplerConfig":
        """Settings from a run config: T and box_process from `diffusion`, the rest from `sample`
        when the config has that section (steps default T), then `overrides`."""
        values: dict[str, Any] = dict(steps=int(config.diffusion.steps), T=int(config.diffusion.steps),
                                      box_process=str(config.diffusion.box_process), mask_id=mask_id, pad_id=pad_id)
        sample_config = config.get("sample") if hasattr(config, "get") else None
        for field in ("steps", "box_method", "temperature", "top_k", "choice_temperature", "cfg_scale",
                      "aesthetic_weight", "aesthetic_from", "aesthetic_steps"):
            if sample_config is not None and field in sample_config:
                values[field] = sample_config[field]
        values.update(overrides)
        return cls(**values)


def time_grid(settings: SamplerConfig) -> tuple[np.ndarray, np.ndarray]:
    """The S steps (t, t_next), int32 `S` each.

    t runs evenly from T-1 down to 0 (`linspace` rounded, unique since S <= T); t_next is the next
    step, and -1 (clean data) after the last. The network sees u = time_fraction(t) = (t + 1) / T,
    also the flow time s, so the last step goes to u_next = 0, where nothing stays masked.
    """
    t = np.unique(np.linspace(settings.T - 1, 0, settings.steps).round().astype(np.int32))[::-1]
    t_next = np.concatenate([t[1:], [-1]]).astype(np.int32)
    return t, t_next


# ----------------------------------------------------------------------------------------------
# State and one step.


@flax.struct.dataclass
class SampleTask:
    """What is given and what is generated; fixed during sampling."""

    slot_valid: jax.Array     # b n bool
    given_actions: jax.Array  # b n int32
    given_boxes: jax.Array    # b n 4 float32
    gen_action: jax.Array     # b n bool: generate (and valid)
    gen_box: jax.Array        # b n 4 bool: generate (and valid)
    legal: jax.Array          # b n V bool
    guide_slots: jax.Array    # b n bool: the boxes aesthetic guidance looks at (valid; e.g. the html leaves)


@flax.struct.dataclass
class SamplerState:
    actions: jax.Array        # b n int32, MASK on slots not decided yet
    boxes: jax.Array          # b n 4, x at the current time, given coordinates clean
    probabilities: jax.Array  # b n float32: of the action when it was fixed (1 for given, 0 while masked)
    x0: jax.Array             # b n 4: the last box prediction


@flax.struct.dataclass
class SampleResult:
    actions: jax.Array        # b n int32: never MASK on valid slots, PAD on padding
    probabilities: jax.Array  # b n float32: of the chosen action when it was fixed; 1.0 for given
    boxes: jax.Array          # b n 4: x0 of the last step, given values exact


def make_task(slot_valid: jax.Array, given_actions: jax.Array, given_boxes: jax.Array, gen_action: jax.Array,
              gen_box: jax.Array, legal: jax.Array, guide_slots: jax.Array | None = None) -> SampleTask:
    """The task of a batch: slot_valid `b n`, given_actions `b n` int, given_boxes `b n 4`, gen_action
    `b n` and gen_box `b n 4` (True = generate; padding never is), legal `b n V`
    (`layout.legal_action_mask`); guide_slots `b n`: the boxes aesthetic guidance aligns and
    separates (None: every valid slot; the generator passes the html leaves, `aesthetics.leaf_slots`,
    since a container overlaps its children by design). Guidance moves only `gen_box` coordinates;
    a given box still takes part, as a fixed partner."""
    slot_valid = jnp.asarray(slot_valid, bool)
    guide_slots = slot_valid if guide_slots is None else jnp.asarray(guide_slots, bool) & slot_valid
    return SampleTask(slot_valid=slot_valid, given_actions=jnp.asarray(given_actions, jnp.int32),
                      given_boxes=jnp.asarray(given_boxes, jnp.float32),
                      gen_action=jnp.asarray(gen_action, bool) & slot_valid,
                      gen_box=jnp.asarray(gen_box, bool) & slot_valid[..., None], legal=jnp.asarray(legal, bool),
                      guide_slots=guide_slots)


def _keys(rng: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(key of the starting noise, base key of the steps), both of the `rbg` implementation.

    The caller's key (threefry, raw or typed) seeds XLA's RngBitGenerator: the same key gives the
    same samples on a backend, and a draw compiles in a fraction of threefry's time on CPU.
    """
    data = jax.random.key_data(rng) if jnp.issubdtype(rng.dtype, jax.dtypes.prng_key) else rng
    data = jnp.asarray(data, jnp.uint32).reshape(-1)
    rbg_key = jax.random.wrap_key_data(jnp.concatenate([data, data])[:4], impl="rbg")
    start, steps = jax.random.split(rbg_key)
    return start, steps


def init_state(task: SampleTask, rng: jax.Array, settings: SamplerConfig) -> SamplerState:
    """Every generated action MASK, every generated coordinate N(0, 1) (x at t = T-1, or flow s = 1)."""
    start_key, _ = _keys(rng)
    actions = jnp.where(task.gen_action, settings.mask_id, task.given_actions)
    actions = jnp.where(task.slot_valid, actions, settings.pad_id).astype(jnp.int32)
    noise = jax.random.normal(start_key, task.given_boxes.shape, jnp.float32)
    boxes = jnp.where(task.gen_box, noise, task.given_boxes)
    probabilities = jnp.where(task.gen_action, 0.0, 1.0).astype(jnp.float32)
    return SamplerState(actions, boxes, probabilities, task.given_boxes)


def _step_noise(key: jax.Array, shape: tuple[int, int], vocab_size: int
                ) -> tuple[jax.Array, jax.Array, jax.Array]:
    """A step's randomness from ONE uniform draw (each draw costs compile time):
    Gumbel `b n V` for the action draw, Gumbel `b n` for the confidences, standard normal `b n 4`
    for the ancestral box step (by the inverse error function, as `jax.random.normal` does)."""
    uniform = jax.random.uniform(key, shape + (vocab_size + 5,), jnp.float32, minval=jnp.finfo(jnp.float32).tiny,
                                 maxval=1.0)
    gumbel = -jnp.log(-jnp.log(uniform[..., :vocab_size + 1]))
    normal = jnp.sqrt(2.0).astype(jnp.float32) * jax.lax.erf_inv(2.0 * uniform[..., vocab_size + 1:] - 1.0)
    return gumbel[..., :vocab_size], gumbel[..., vocab_size], normal


def _draw_actions(logits: jax.Array, legal: jax.Array, gumbel: jax.Array,
                  settings: SamplerConfig) -> tuple[jax.Array, jax.Array]:
    """One action per slot from the legal (and top-k) logits at the temperature (Gumbel-max with
    `gumbel` `b n V`; temperature 0: argmax), and its probability under that distribution."""
    logits = jnp.where(legal, logits.astype(jnp.float32), -jnp.inf)
    if settings.top_k:
        kth = jax.lax.top_k(logits, min(settings.top_k, logits.shape[-1]))[0][..., -1:]
        logits = jnp.where(logits >= kth, logits, -jnp.inf)
    if settings.temperature > 0:
        logits = logits / settings.temperature
        drawn = jnp.argmax(logits + gumbel, axis=-1)
    else:
        drawn = jnp.argmax(logits, axis=-1)
    probabilities = jnp.take_along_axis(jax.nn.softmax(logits, axis=-1), drawn[..., None], axis=-1)[..., 0]
    return drawn.astype(jnp.int32), probabilities


def _keep_masked(confidence: jax.Array, masked: jax.Array, keep_count: jax.Array) -> jax.Array:
    """The `keep_count` (`b`) least confident of the `masked` slots (`b n`), exactly (ties: lower slot first)."""
    confidence = jnp.where(masked, confidence, jnp.inf)
    rank = jnp.argsort(jnp.argsort(confidence, axis=-1, stable=True), axis=-1, stable=True)
    return masked & (rank < keep_count[:, None])


def _aesthetic_x0(x0: jax.Array, task: SampleTask, u: jax.Array, settings: SamplerConfig) -> jax.Array:
    """x0 after the aesthetic gradient steps when u <= aesthetic_from, else x0; given coordinates
    take part at their given values and stay there."""
    x0 = jnp.where(task.gen_box, x0, task.given_boxes)
    guided_x0 = guide_boxes(x0, task.guide_slots, settings.aesthetic_weight, movable=task.gen_box,
                            steps=settings.aesthetic_steps)
    return jnp.where(u <= settings.aesthetic_from, guided_x0, x0)


def sample_step(predict: Predict, task: SampleTask, state: SamplerState, step: jax.Array, rng: jax.Array,
                settings: SamplerConfig) -> SamplerState:
    """Sampling step `step` (int scalar, 0..S-1) of the grid: predict (and, late in sampling, guide
    x0 towards aligned, non-overlapping boxes), move the boxes to t_next and clamp the given ones,
    fix the actions of the most confident masked slots."""
    t_grid, t_next_grid = time_grid(settings)
    t, t_next = jnp.asarray(t_grid)[step], jnp.asarray(t_next_grid)[step]
    u, u_next = time_fraction(t, settings.T), time_fraction(t_next, settings.T)
    b = state.actions.shape[0]
    _, steps_key = _keys(rng)
    action_gumbel, confidence_gumbel, box_noise = _step_noise(jax.random.fold_in(steps_key, step),
                                                              state.actions.shape, task.legal.shape[-1])

    logits, x0 = predict(state.actions, state.boxes, jnp.full((b,), u, jnp.float32))
    x0 = x0.astype(jnp.float32)
    if settings.aesthetic_weight > 0:  # static: off, the program is the unguided one
        x0 = _aesthetic_x0(x0, task, u, settings)

    # Boxes.
    if settings.box_method == "flow":
        boxes = flow_euler_step(x0, state.boxes, jnp.full((b,), u), jnp.full((b,), u_next))
    else:
        schedule = make_gaussian_schedule(settings.T)
        t_b, t_next_b = jnp.full((b,), t), jnp.full((b,), t_next)
        if settings.box_method == "ddim":
            boxes = ddim_step(schedule, x0, state.boxes, t_b, t_next_b)
        else:
            boxes = ddim_step(schedule, x0, state.boxes, t_b, t_next_b, eta=1.0, noise=box_noise)
    boxes = jnp.where(task.gen_box, boxes, task.given_boxes)

    # Actions.
    masked = task.gen_action & (state.actions == settings.mask_id)
    drawn, drawn_probability = _draw_actions(logits, task.legal, action_gumbel, settings)
    confidence = jnp.log(drawn_probability)
    if settings.choice_temperature > 0:
        confidence = confidence + settings.choice_temperature * u_next * confidence_gumbel
    maskable = task.gen_action.sum(axis=-1)
    keep_count = jnp.minimum(unmask_count(mask_ratio(u_next), maskable), masked.sum(axis=-1))
    still_masked = _keep_masked(confidence, masked, keep_count)
    fixed_now = masked & ~still_masked
    actions = jnp.where(fixed_now, drawn, state.actions)
    probabilities = jnp.where(fixed_now, drawn_probability, state.probabilities)
    return SamplerState(actions, boxes, probabilities, x0)


def _result(task: SampleTask, state: SamplerState) -> SampleResult:
    boxes = jnp.where(task.gen_box, state.x0, task.given_boxes)
    return SampleResult(state.actions, state.probabilities, boxes)


def _as_pytree(predict: Predict) -> jax.tree_util.Partial:
    """`predict` as a pytree, so it can be an argument of jit (its arrays are leaves, not constants)."""
    return predict if isinstance(predict, jax.tree_util.Partial) else jax.tree_util.Partial(predict)


@functools.partial(jax.jit, static_argnames=("settings",))
def _sample_program(predict, task: SampleTask, rng: jax.Array, settings: SamplerConfig) -> SampleResult:
    state = init_state(task, rng, settings)
    state = jax.lax.fori_loop(0, settings.steps,
                              lambda step, state: sample_step(predict, task, state, step, rng, settings), state)
    return _result(task, state)


def sample(predict: Predict, task: SampleTask, rng: jax.Array, settings: SamplerConfig) -> SampleResult:
    """Generates the `task`'s actions and coordinates; one compiled program.

    All S steps run in one `lax.fori_loop`; the same key gives the same result. Given values are
    never changed. `predict` is a pure function or a `jax.tree_util.Partial` (whose arrays then
    enter as arguments, e.g. the weights); works inside an outer jit too.
    """
    return _sample_program(_as_pytree(predict), task, rng, settings)


@functools.partial(jax.jit, static_argnames=("settings",))
def _init_program(task, rng, settings):
    return init_state(task, rng, settings)


@functools.partial(jax.jit, static_argnames=("settings",))
def _step_program(predict, task, state, step, rng, settings):
    return sample_step(predict, task, state, step, rng, settings)


def sample_python_loop(predict: Predict, task: SampleTask, rng: jax.Array, settings: SamplerConfig,
                       on_step: Callable[[int, SamplerState], None] | None = None) -> SampleResult:
    """`sample` as a Python loop over one jitted step (a host dispatch per step): the reference the
    benchmark compares the one-program sampler with. Same arguments, same result for the same key.
    `on_step(step, state)`, when given, sees the state after every step (e.g. to show the decoding)."""
    predict = _as_pytree(predict)
    state = _init_program(task, rng, settings)
    for step in range(settings.steps):
        state = _step_program(predict, task, state, jnp.int32(step), rng, settings)
        if on_step is not None:
            on_step(step, state)
    return _result(task, state)
