"""From a trained checkpoint to layouts: predict, complete a partial layout, or sample freely.

    generator = LayoutGenerator.from_checkpoint("/tmp/dlt_quickstart")
    result = generator.predict("section.png", html, html_boxes=boxes)
    result.layout        # {"structure": ..., "props": ...} (DATA_FORMAT §1.2)

An input goes through the same transforms as training data (`data.inputs.input_record`,
`pipeline.parse_record`); the jitted sampler (`diffusion.sampler`) runs all its steps in one
program per slot bucket; decoding repairs what it must and counts it.
"""

from __future__ import annotations

import dataclasses
import functools
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from ml_collections import ConfigDict
from PIL import Image

from dlt_jax.data.example import Example, ExampleError
from dlt_jax.data.inputs import input_record
from dlt_jax.data.pipeline import (ElementSpec, blank_element, check_slot_buckets, parse_record, stack_elements,
                                   tokenizer_with_tags)
from dlt_jax.data.readers import inference_example
from dlt_jax.data.transforms import boxes_to_targets, targets_to_boxes
from dlt_jax.diffusion.sampler import SamplerConfig, legal_action_mask, model_predict, sample
from dlt_jax.layout import (DEFAULT_STYLE, HtmlTree, JsonObject, LayoutError, OutputStyle, Vocabulary, decode_layout,
                            encode_layout, load_json, parse_html)
from dlt_jax.train.checkpoint import restore_run_ema
from dlt_jax.train.experiment import enable_compilation_cache


@dataclasses.dataclass
class LayoutPrediction:
    """One section's predicted layout, and per node its action, probability and box (pixels)."""

    id: str
    layout: JsonObject
    actions: list[str]
    probabilities: list[float]
    boxes: list[list[float]]          # [x, y, w, h] in screenshot pixels, per node
    repairs: Mapping[str, int]
    tree: HtmlTree = dataclasses.field(repr=False)
    box_targets: np.ndarray = dataclasses.field(repr=False)  # n 4, (cx, cy, w, h) in [-1, 1]
    box_valid: np.ndarray = dataclasses.field(repr=False)    # n: False where the DOM says "no box"
    style: OutputStyle = dataclasses.field(default=DEFAULT_STYLE, repr=False)  # how `layout` spells its keys

    def nodes_json(self) -> list[dict[str, Any]]:
        return [{"index": node.index, "key": node.key.key, "action": action, "probability": round(p, 4),
                 "box": [round(v, 1) for v in box]}
                for node, action, p, box in zip(self.tree.nodes, self.actions, self.probabilities, self.boxes)]

    def to_json(self) -> JsonObject:
        """DATA_FORMAT §3: the layout, plus per-node actions, probabilities, boxes, and the repair counts."""
        return JsonObject([("structure", self.layout["structure"]), ("props", self.layout["props"]),
                           ("nodes", self.nodes_json()), ("repairs", dict(self.repairs))])


@dataclasses.dataclass(frozen=True)
class _Request:
    """One example to generate: its record, and what is given (None: nothing beyond the boxes)."""

    example_id: str
    record: dict[str, Any]
    style: OutputStyle
    given_actions: Mapping[int, str] = dataclasses.field(default_factory=dict)
    given_boxes: Mapping[int, Sequence[float]] = dataclasses.field(default_factory=dict)


def node_paths(tree: HtmlTree) -> list[str]:
    """Each node's html key path from the top, keys joined by `/` (e.g. `section.hero/div.row/a.btn`)."""
    paths: list[str] = []
    for node in tree.nodes:
        paths.append(node.key.key if node.parent is None else f"{paths[node.parent]}/{node.key.key}")
    return paths


def resolve_node(tree: HtmlTree, ref: int | str, example_id: str) -> int:
    """A node given by preorder index or by html key path; an ambiguous or unknown path is an error."""
    if isinstance(ref, (int, np.integer)):
        if not 0 <= int(ref) < len(tree):
            raise ExampleError(example_id, "partial", f"node index {ref} outside [0, {len(tree)})")
        return int(ref)
    matches = [i for i, path in enumerate(node_paths(tree)) if path == ref]
    if not matches:
        raise ExampleError(example_id, "partial", f"no html node at key path {ref!r}")
    if len(matches) > 1:
        raise ExampleError(example_id, "partial", f"{len(matches)} nodes have the key path {ref!r} (repeated "
                           f"sibling keys): give the node index instead, one of {matches}")
    return matches[0]


class LayoutGenerator:
    """A trained model (EMA weights) with its vocabulary, tokenizer and sampler settings."""

    def __init__(self, config: ConfigDict, metadata: Mapping[str, Any], graphdef: nnx.GraphDef, params: Any,
                 step: int = 0):
        self.config = config
        self.step = step
        self.vocab = Vocabulary(tuple(metadata["element_types"]), tuple(metadata["props"]))
        data = config.data
        if config.model.vision.encoder != "vit":
            raise ValueError("this checkpoint reads precomputed image features; LayoutGenerator needs a model "
                             "trained on screenshots (model.vision.encoder='vit')")
        self.spec = ElementSpec(
            max_slots=int(data.max_slots), slot_buckets=check_slot_buckets(data.slot_buckets, data.max_slots),
            patch_size=int(data.patch_size), max_patches=int(data.max_patches),
            canvas_size=int(data.build_image_size),
            tokenizer=tokenizer_with_tags(data.tokenizer, metadata["tokenizer_tags"]))
        self.graphdef, self.params = graphdef, params
        self.batch_size = int(config.sample.batch_size)
        self.root_actions = tuple(self.vocab.action_id(t) for t in config.sample.root_types)

    @classmethod
    def from_checkpoint(cls, workdir: str | Path, step: int | None = None,
                        sample_config: Mapping[str, Any] | None = None,
                        checkpoint: str = "latest") -> "LayoutGenerator":
        """The newest (or `step`) checkpoint of a training workdir, with its EMA weights; `checkpoint`
        ='best': the best by train.select. The sampler settings are `sample_config` when given, else
        the run's (else the defaults of configs/base.py)."""
        enable_compilation_cache()
        metadata, graphdef, ema_params, step = restore_run_ema(workdir, step, checkpoint)
        config = ConfigDict(metadata["config"])
        if sample_config is not None or "sample" not in config:
            from configs.base import sample_config as default_sample_config  # noqa: PLC0415
            config.sample = ConfigDict(dict(sample_config if sample_config is not None else default_sample_config()))
        return cls(config, metadata, graphdef, ema_params, step)

    @classmethod
    def pretrained(cls, folder: str | Path | None = None,
                   sample_config: Mapping[str, Any] | None = None) -> "LayoutGenerator":
        """The shipped release weights (`dlt_jax/pretrained/release/`, MODEL_CARD.md), or another
        weights folder written by `python -m dlt_jax.weights export`, with their own config; the
        sampler settings are `sample_config` when given. Weights that do not fit this code's network
        raise `WeightsMismatch`, naming what differs."""
        from dlt_jax.weights import PRETRAINED, load_weights  # noqa: PLC0415

        enable_compilation_cache()
        weights = load_weights(PRETRAINED if folder is None else folder)
        config = weights.config
        if sample_config is not None:
            config.sample = ConfigDict(dict(sample_config))
        return cls(config, weights.metadata, weights.graphdef, weights.params, weights.step)

    # ------------------------------------------------------------------ public API

    def predict(self, screenshot: str | Path | bytes, html: Any, html_boxes: Sequence[Sequence[float]] | None = None,
                *, example_id: str = "input", seed: int = 0) -> LayoutPrediction:
        """The layout of one section. With `html_boxes` (DOM boxes, as `render_page` gives them)
        the boxes are given and only the actions are generated."""
        example = inference_example(screenshot, html, example_id, html_boxes=html_boxes)
        return self.predict_examples([example], seed=seed)[0]

    def complete(self, screenshot: str | Path | bytes, html: Any, partial: Mapping[int | str, Mapping[str, Any]],
                 html_boxes: Sequence[Sequence[float]] | None = None, *, example_id: str = "input",
                 seed: int = 0) -> LayoutPrediction:
        """Completes a partial layout: `partial` maps a node (preorder index or html key path) to
        `{"action": "heading"}` and/or `{"box": [x, y, w, h]}` (pixels); those stay as given."""
        example = inference_example(screenshot, html, example_id, html_boxes=html_boxes)
        record = self._record(example)
        tree = parse_html(example.html)
        given_actions, given_boxes = {}, {}
        for ref, values in partial.items():
            node = resolve_node(tree, ref, example.id)
            unknown = set(values) - {"action", "box"}
            if unknown:
                raise ExampleError(example.id, "partial", f"node {ref!r}: unknown fields {sorted(unknown)}; "
                                   "give 'action' and/or 'box'")
            if "action" in values:
                self.check_action(example.id, ref, values["action"])
                given_actions[node] = values["action"]
            if "box" in values:
                given_boxes[node] = values["box"]
        request = _Request(example.id, record, DEFAULT_STYLE, given_actions, given_boxes)
        return self._generate([request], boxes_given=example.html_boxes is not None, seed=seed)[0]

    def sample(self, html: Any, n: int, *, screenshot: str | Path | bytes | None = None,
               seed: int = 0, temperature: float = 1.0) -> list[LayoutPrediction]:
        """`n` layouts for an html tree with the screenshot and the html features dropped (only the
        tree's shape conditions them, as in DLT's unconditional generation)."""
        if screenshot is None:  # a blank canvas: the screenshot is dropped anyway
            buffer = io.BytesIO()
            Image.new("RGB", (960, 480), (128, 128, 128)).save(buffer, "PNG")
            screenshot = buffer.getvalue()
        example = inference_example(screenshot, html, "sample")
        requests = [_Request(f"sample-{i}", self._record(example), DEFAULT_STYLE) for i in range(n)]
        return self._generate(requests, boxes_given=False, seed=seed, drop_image=True, drop_html=True,
                              temperature=temperature)

    def predict_examples(self, examples: Sequence[Example], *, boxes: str = "auto", seed: int = 0,
                         drop_image: bool = False, progress: Any = None,
                         errors: list[dict[str, str]] | None = None,
                         given_actions: Sequence[Mapping[int, str]] | None = None) -> list[LayoutPrediction | None]:
        """Layouts for many examples, batched by slot bucket. `boxes`: 'given' (an example without
        `html_boxes` is an error), 'generate', or 'auto' (given where the example has them).
        A broken example raises ExampleError, or, when an `errors` list is passed, is appended to it
        (id, field, message) and gets None in the result. `given_actions[i]` fixes some of example
        i's node actions (preorder index -> action name), as `complete` does."""
        if boxes not in ("auto", "given", "generate"):
            raise ValueError(f"boxes={boxes!r}: use auto, given or generate")
        requests: list[_Request | None] = []
        for index, example in enumerate(examples):
            try:
                if boxes == "given" and example.html_boxes is None:
                    raise ExampleError(example.id, "html_boxes", "boxes=given, but the example has no html_boxes")
                fixed = dict(given_actions[index]) if given_actions is not None else {}
                for node, action in fixed.items():
                    self.check_action(example.id, node, action)
                requests.append(_Request(example.id, self._record(example), self._style(example), fixed))
            except ExampleError as error:
                if errors is None:
                    raise
                errors.append(error.as_dict())
                requests.append(None)
        given = {"given": True, "generate": False}.get(boxes)
        kept = [r for r in requests if r is not None]
        predictions = iter(self._generate(kept, boxes_given=given, seed=seed, drop_image=drop_image,
                                          progress=progress))
        return [None if r is None else next(predictions) for r in requests]

    # ------------------------------------------------------------------ internals

    def _record(self, example: Example) -> dict[str, Any]:
        return input_record(example, self.spec.canvas_size, self.spec.max_slots)

    def _style(self, example: Example) -> OutputStyle:
        """The example's own output style when it carries a layout, else the default `TYPE@key`."""
        if example.layout is None:
            return DEFAULT_STYLE
        try:
            return encode_layout(parse_html(example.html), example.layout, self.vocab).style
        except LayoutError:
            return DEFAULT_STYLE

    def check_action(self, example_id: str, ref: Any, action: str) -> None:
        """An action a partial layout may give node `ref`: any but PAD and MASK, else an ExampleError."""
        if action not in self.vocab.actions or action in ("PAD", "MASK"):
            raise ExampleError(example_id, "partial", f"node {ref!r}: unknown action {action!r}; known: "
                               f"{', '.join(a for a in self.vocab.actions if a not in ('PAD', 'MASK'))}")

    def _element(self, request: _Request, slots: int, boxes_given: bool | None) -> dict[str, np.ndarray]:
        element = parse_record(request.record, self.spec, slots)
        n = int(element["node_count"])
        valid = element["slot_valid"]
        has_boxes = bool(request.record["has_boxes"])
        gen_action = valid.copy()
        gen_box = np.repeat(valid[:, None], 4, axis=1)
        if boxes_given if boxes_given is not None else has_boxes:
            gen_box[:] = False
        for node, action in request.given_actions.items():
            element["actions"][node] = self.vocab.action_id(action)
            gen_action[node] = False
        if request.given_boxes:
            width, height = (int(v) for v in request.record["original_size"])
            nodes = sorted(request.given_boxes)
            targets, _ = boxes_to_targets(np.array([request.given_boxes[i] for i in nodes], np.float32), width, height)
            element["boxes"][nodes] = targets
            gen_box[nodes] = False
        element["boxes"][:n][gen_box[:n]] = 0.0  # generated values are not peeked at
        element["actions"][:n][gen_action[:n]] = 0
        return dict(element, gen_action=gen_action, gen_box=gen_box)

    def _generate(self, requests: Sequence[_Request], *, boxes_given: bool | None, seed: int,
                  drop_image: bool = False, drop_html: bool = False, temperature: float | None = None,
                  progress: Any = None) -> list[LayoutPrediction]:
        settings = SamplerConfig.from_config(
            self.config, mask_id=self.vocab.mask_id, pad_id=self.vocab.pad_id,
            **({} if temperature is None else {"temperature": temperature}))
        counts = [int(r.record["node_count"]) for r in requests]
        buckets = [next(b for b in self.spec.slot_buckets if b >= n) for n in counts]
        results: list[LayoutPrediction | None] = [None] * len(requests)
        rng = jax.random.PRNGKey(seed)
        chunks = [members[start:start + self.batch_size]
                  for bucket in sorted(set(buckets))
                  for members in [[i for i, b in enumerate(buckets) if b == bucket]]
                  for start in range(0, len(members), self.batch_size)]
        for number, chunk in enumerate(chunks):
            slots = buckets[chunk[0]]
            elements = [self._element(requests[i], slots, boxes_given) for i in chunk]
            blank = dict(blank_element(self.spec, slots), gen_action=np.zeros(slots, bool),
                         gen_box=np.zeros((slots, 4), bool))
            elements += [blank] * (self.batch_size - len(elements))
            batch = stack_elements(elements)
            output = _generate_program(self.params, batch, jax.random.fold_in(rng, number), self.graphdef, settings,
                                       self.vocab, self.root_actions, bool(drop_image), bool(drop_html))
            output = jax.device_get(output)
            for row, i in enumerate(chunk):
                results[i] = self._decode(requests[i], output, row)
            if progress is not None:
                progress.update(len(chunk))
        return results  # type: ignore[return-value]

    def _decode(self, request: _Request, output: Any, row: int) -> LayoutPrediction:
        tree = parse_html_cached(request.record["html"])
        n = len(tree)
        ids = np.asarray(output.actions[row, :n])
        names = self.vocab.action_names(ids)
        decoded = decode_layout(tree, names, request.style)
        width, height = (int(v) for v in request.record["original_size"])
        # The sampler's last box step may overshoot the box range (a "no box" width just below -1).
        targets = np.clip(np.asarray(output.boxes[row, :n], np.float32), -1.0, 1.0)
        pixels = targets_to_boxes(targets, width, height)
        valid = np.ones(n, bool)
        if bool(request.record["has_boxes"]):
            valid = boxes_to_targets(request.record["html_boxes"], width, height)[1]
        return LayoutPrediction(request.example_id, decoded.layout, names,
                                [float(p) for p in np.asarray(output.probabilities[row, :n])],
                                pixels.round(2).tolist(), dict(decoded.repairs), tree, targets, valid, request.style)


def load_generator(workdir: str | Path | None = None, *, step: int | None = None, checkpoint: str = "latest",
                   sample_config: Mapping[str, Any] | None = None) -> LayoutGenerator:
    """A training workdir's weights (`step`, `checkpoint` choose which) when one is given, else the shipped
    weights (DESIGN §11: a workdir always wins)."""
    if workdir is None:
        return LayoutGenerator.pretrained(sample_config=sample_config)
    return LayoutGenerator.from_checkpoint(workdir, step, sample_config=sample_config, checkpoint=checkpoint)


@functools.lru_cache(maxsize=256)
def parse_html_cached(html_text: str) -> HtmlTree:
    return parse_html(load_json(html_text))


@functools.partial(jax.jit, static_argnums=(3, 4, 5, 6, 7, 8))
def _generate_program(params: Any, batch: Mapping[str, jax.Array], rng: jax.Array, graphdef: nnx.GraphDef,
                      settings: SamplerConfig, vocab: Vocabulary, root_actions: tuple[int, ...], drop_image: bool,
                      drop_html: bool) -> Any:
    """Encode once, then every sampling step in one program (`diffusion.sampler.sample`)."""
    model = nnx.merge(graphdef, params)
    b = batch["actions"].shape[0]
    conditions = model.encode(batch, jnp.full((b,), drop_image), jnp.full((b,), drop_html))
    uncond = None
    if settings.cfg_scale != 1.0 and not drop_image:
        uncond = model.encode(batch, jnp.ones((b,), bool), jnp.full((b,), drop_html))
    predict = model_predict((graphdef, params), conditions, batch["gen_action"], batch["gen_box"], batch["slot_valid"],
                            uncond, settings.cfg_scale)
    legal = legal_action_mask(batch["parent_slot"], batch["sibling_index"], batch["slot_valid"], vocab,
                              root_actions or None)
    return sample(predict, batch["slot_valid"], batch["actions"], batch["boxes"], batch["gen_action"],
                  batch["gen_box"], legal, rng, settings)
