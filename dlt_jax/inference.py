"""From a trained checkpoint to layouts: predict, complete a partial layout, or sample freely.

    generator = LayoutGenerator.from_checkpoint("/tmp/dlt_quickstart")
    result = generator.predict("section.png", html, html_boxes=boxes)
    result.layout        # {"structure": ..., "props": ...} (DATA_FORMAT §1.2)

An input goes through the same transforms as training data (`data.inputs.input_record`,
`pipeline.parse_record`); `generation.generate` encodes and runs all the sampler's steps in one
program per slot bucket; decoding repairs what it must and counts it. A section with more nodes than
the largest slot bucket is split into windows (`layout.windows`), generated with the others and
stitched back into one prediction (`LayoutPrediction.windows` > 1).
"""

from __future__ import annotations

import dataclasses
import functools
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jax
import numpy as np
from flax import nnx
from ml_collections import ConfigDict
from PIL import Image

from dlt_jax.data.example import Example, ExampleError
from dlt_jax.data.inputs import input_record
from dlt_jax.data.pipeline import (ElementSpec, FeatureStore, blank_element, check_slot_buckets, eval_batch_plan,
                                   parse_record, stack_elements, tokenizer_with_tags)
from dlt_jax.data.readers import inference_example
from dlt_jax.data.transforms import boxes_to_targets, features_to_tokens, targets_to_boxes
from dlt_jax.generation import GenerateSettings, generate, sample_defaults
from dlt_jax.layout import (DEFAULT_STYLE, HtmlError, HtmlTree, JsonObject, LayoutError, OutputStyle, Vocabulary,
                            decode_layout, encode_layout, load_json, parse_html)
from dlt_jax.layout.partial import (GivenBox, PartialLayout, PartialLayoutError, check_inside, is_partial_layout,
                                    load_partial_layout, lost_given, read_partial_layout)
from dlt_jax.layout.partial import node_paths, resolve_node  # noqa: F401  (re-exported: predict, the notebooks)
from dlt_jax.layout.windows import (Window, plan_windows, stitch_nodes, window_given, window_html,
                                    window_rows)
from dlt_jax.models import image_input_key
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
    windows: int = 1                  # how many windows the section was split into (1: predicted whole)

    def nodes_json(self) -> list[dict[str, Any]]:
        return [{"index": node.index, "key": node.key.key, "action": action, "probability": round(p, 4),
                 "box": [round(v, 1) for v in box]}
                for node, action, p, box in zip(self.tree.nodes, self.actions, self.probabilities, self.boxes)]

    def to_json(self) -> JsonObject:
        """DATA_FORMAT §3: the layout, plus per-node actions, probabilities, boxes, the repair counts and
        the number of windows the section was predicted in."""
        return JsonObject([("structure", self.layout["structure"]), ("props", self.layout["props"]),
                           ("nodes", self.nodes_json()), ("repairs", dict(self.repairs)), ("windows", self.windows)])


@dataclasses.dataclass(frozen=True)
class _Request:
    """One example to generate: its record, and what is given (None: nothing beyond the boxes)."""

    example_id: str
    record: dict[str, Any]
    style: OutputStyle
    given_actions: Mapping[int, str] = dataclasses.field(default_factory=dict)
    given_boxes: Mapping[int, GivenBox] = dataclasses.field(default_factory=dict)
    blocked: Mapping[int, frozenset[str]] = dataclasses.field(default_factory=dict)  # generated: may not take


@dataclasses.dataclass(frozen=True)
class _Windowed:
    """A section longer than the slots: its tree, its windows, and one request per window (`parts`)."""

    example_id: str
    tree: HtmlTree
    style: OutputStyle
    windows: tuple[Window, ...]
    parts: tuple[_Request, ...]


class LayoutGenerator:
    """A trained model (EMA weights) with its vocabulary, tokenizer and sampler settings.

    `windows` (`sample.windows`, default True): a section with more html nodes than the largest slot
    bucket is split into windows and stitched, instead of being an error. `window_slots`: the most
    nodes of a window (None: the largest bucket); a smaller value forces windows on shorter sections
    (to measure what windowing costs).
    """

    def __init__(self, config: ConfigDict, metadata: Mapping[str, Any], graphdef: nnx.GraphDef, params: Any,
                 step: int = 0):
        self.config = config
        self.step = step
        self.vocab = Vocabulary(tuple(metadata["element_types"]), tuple(metadata["props"]))
        data = config.data
        features = None
        if image_input_key(config.model) == "image_features":
            # An external encoder's features, read as training read them: the run's data.image_features file,
            # keyed by example id (`use_image_features` reads another); opened when an example needs it.
            features = FeatureStore(data.get("image_features") or "", int(metadata["model_spec"]["image_input_dim"]))
        self.spec = ElementSpec(
            max_slots=int(data.max_slots), slot_buckets=check_slot_buckets(data.slot_buckets, data.max_slots),
            patch_size=int(data.patch_size), max_patches=int(data.max_patches),
            canvas_size=int(data.build_image_size),
            tokenizer=tokenizer_with_tags(data.tokenizer, metadata["tokenizer_tags"]), image_features=features,
            node_crop=int(data.get("node_crop", 0)))
        self.graphdef, self.params = graphdef, params
        self.batch_size = int(config.sample.batch_size)
        self.windows = bool(config.sample.get("windows", True))
        self.window_slots: int | None = None

    @classmethod
    def from_checkpoint(cls, workdir: str | Path, step: int | None = None,
                        sample_config: Mapping[str, Any] | None = None,
                        checkpoint: str = "latest") -> "LayoutGenerator":
        """The newest (or `step`) checkpoint of a training workdir, with its EMA weights; `checkpoint`
        ='best': the best by train.select. The sampler settings are `sample_config` when given, else
        the run's (else `generation.sample_defaults()`)."""
        enable_compilation_cache()
        metadata, graphdef, ema_params, step = restore_run_ema(workdir, step, checkpoint)
        config = ConfigDict(metadata["config"])
        if sample_config is not None or "sample" not in config:
            config.sample = ConfigDict(dict(sample_config if sample_config is not None else sample_defaults()))
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

    def use_image_features(self, path: str | Path) -> None:
        """A model trained on precomputed image features reads them from `path` (a .npz, one array per
        example id, as `data.image_features`) instead of its run's file: the features of other inputs."""
        if self.spec.image_features is None:
            raise ValueError(f"{path}: this model reads screenshots (model.vision.encoder="
                             f"{self.config.model.vision.encoder!r}), not precomputed image features")
        store = FeatureStore(path, self.spec.image_features.feature_dim)
        self.spec = dataclasses.replace(self.spec, image_features=store)

    # ------------------------------------------------------------------ public API

    def predict(self, screenshot: str | Path | bytes, html: Any, html_boxes: Sequence[Sequence[float]] | None = None,
                *, example_id: str = "input", seed: int = 0) -> LayoutPrediction:
        """The layout of one section. With `html_boxes` (DOM boxes, as `render_page` gives them)
        the boxes are given and only the actions are generated."""
        example = inference_example(screenshot, html, example_id, html_boxes=html_boxes)
        return self.predict_examples([example], seed=seed)[0]

    def complete(self, screenshot: str | Path | bytes, html: Any, partial: Any,
                 html_boxes: Sequence[Sequence[float]] | None = None, *, example_id: str = "input",
                 seed: int = 0) -> LayoutPrediction:
        """Completes a partial layout (`layout.partial`: a file's path, or its object with `structure`,
        given elements, props and boxes), or a mapping of node (preorder index or html key path) to
        `{"action": "heading"}` and/or `{"box": [x, y, w, h]}` (pixels). What is given comes back as
        given: its actions, its elements with their type and keys, its box coordinates."""
        example = inference_example(screenshot, html, example_id, html_boxes=html_boxes)
        given = self.read_partial(example, partial)
        request = self._request(example, given.style or DEFAULT_STYLE, given.actions, given.boxes, given.blocked)
        prediction = self._generate([request], boxes_given=example.html_boxes is not None, seed=seed)[0]
        _check_kept(given, prediction, self.vocab)
        return prediction

    def read_partial(self, example: Example, partial: Any) -> PartialLayout:
        """A partial layout (a path, or an object with `structure`) or a `{node: {"action", "box"}}`
        mapping, resolved against the example's html and screenshot; a contradiction is an ExampleError."""
        tree = self._tree(example)
        try:
            if isinstance(partial, (str, Path)):
                partial = load_partial_layout(partial, example.id)
            if not is_partial_layout(partial):
                if not isinstance(partial, (JsonObject, Mapping)):
                    raise PartialLayoutError(example.id, "partial", None, "expected a partial layout (an object "
                                             'with "structure") or a mapping of node -> {"action", "box"}')
                partial = {"nodes": partial}  # the older form: single nodes
            settings = self.generate_settings()
            roots = None if settings.root_actions is None else tuple(self.vocab.action_names(settings.root_actions))
            return read_partial_layout(tree, partial, example_id=example.id, vocab=self.vocab, root_actions=roots,
                                       screenshot_size=example.image_size())
        except PartialLayoutError as error:
            raise ExampleError(example.id, "partial layout", error.detail) from None

    def sample(self, html: Any, n: int, *, screenshot: str | Path | bytes | None = None,
               seed: int = 0, temperature: float = 1.0) -> list[LayoutPrediction]:
        """`n` layouts for an html tree with the screenshot and the html features dropped (only the
        tree's shape conditions them, as in DLT's unconditional generation)."""
        if screenshot is None:  # a blank canvas: the screenshot is dropped anyway
            buffer = io.BytesIO()
            Image.new("RGB", (960, 480), (128, 128, 128)).save(buffer, "PNG")
            screenshot = buffer.getvalue()
        example = inference_example(screenshot, html, "sample")
        request = self._request(example, DEFAULT_STYLE)
        requests = [dataclasses.replace(request, example_id=f"sample-{i}") for i in range(n)]
        return self._generate(requests, boxes_given=False, seed=seed, drop_image=True, drop_html=True,
                              temperature=temperature)

    def predict_examples(self, examples: Sequence[Example], *, boxes: str = "auto", seed: int = 0,
                         drop_image: bool = False, progress: Any = None,
                         errors: list[dict[str, str]] | None = None,
                         given_actions: Sequence[Mapping[int, str]] | None = None,
                         given_boxes: Sequence[Mapping[int, tuple[Sequence[float], Sequence[bool]]]] | None = None,
                         partials: Sequence[PartialLayout | None] | None = None) -> list[LayoutPrediction | None]:
        """Layouts for many examples, batched by slot bucket. `boxes`: 'given' (an example without
        `html_boxes` is an error), 'generate', or 'auto' (given where the example has them).
        A broken example raises ExampleError, or, when an `errors` list is passed, is appended to it
        (id, field, message) and gets None in the result. `given_actions[i]` fixes some of example
        i's node actions (preorder index -> action name), as `complete` does; `given_boxes[i]` some of
        its box coordinates: node -> ((cx, cy, w, h) in screenshot pixels, 4 bools: which are given),
        e.g. the centre alone (DLT's `mask_loc`) or the size alone; `partials[i]` a partial layout
        (`read_partial`), whose given elements and props no generated node may change."""
        if boxes not in ("auto", "given", "generate"):
            raise ValueError(f"boxes={boxes!r}: use auto, given or generate")
        requests: list[_Request | _Windowed | None] = []
        for index, example in enumerate(examples):
            try:
                if boxes == "given" and example.html_boxes is None:
                    raise ExampleError(example.id, "html_boxes", "boxes=given, but the example has no html_boxes")
                partial = partials[index] if partials is not None else None
                partial = partial if partial is not None else PartialLayout()
                fixed = _merged(example.id, "given_actions", partial.actions,
                                given_actions[index] if given_actions is not None else {})
                for node, action in fixed.items():
                    self.check_action(example.id, node, action)
                boxes_of = {node: self._given_box(example, node, box)
                            for node, box in (given_boxes[index] if given_boxes is not None else {}).items()}
                requests.append(self._request(example, partial.style or self._style(example), fixed,
                                              _merged(example.id, "given_boxes", partial.boxes, boxes_of),
                                              partial.blocked))
            except ExampleError as error:
                if errors is None:
                    raise
                errors.append(error.as_dict())
                requests.append(None)
        given = {"given": True, "generate": False}.get(boxes)
        kept = [r for r in requests if r is not None]
        predictions = iter(self._generate(kept, boxes_given=given, seed=seed, drop_image=drop_image,
                                          progress=progress))
        results = [None if r is None else next(predictions) for r in requests]
        for partial, prediction in zip(partials or (), results):
            if partial is not None and prediction is not None:
                _check_kept(partial, prediction, self.vocab)
        return results

    # ------------------------------------------------------------------ internals

    def _record(self, example: Example) -> dict[str, Any]:
        record = input_record(example, self.spec.canvas_size, self.spec.max_slots)
        self._check_image_features(example.id)
        return record

    def _check_image_features(self, example_id: str) -> None:
        """A model that reads precomputed image features needs a fitting array for the example, else an
        ExampleError saying how to make one."""
        store = self.spec.image_features
        if store is None:
            return
        needed = (f"this model reads precomputed image features (model.vision.encoder="
                  f"{self.config.model.vision.encoder!r}), not the screenshot")
        how = (f"compute them with the image encoder it was trained with ({self.spec.max_patches} tokens at most, "
               f"F = {store.feature_dim}) into a .npz keyed by example id and pass it as "
               "--config.data.image_features=FILE.npz (LayoutGenerator.use_image_features)")
        if not store.path or not Path(store.path).is_file():
            raise ExampleError(example_id, "image_features", f"{needed}, and its features file "
                               f"{store.path or '(data.image_features: none)'} is not here; {how}")
        if example_id not in store:
            raise ExampleError(example_id, "image_features", f"{needed}, and {store.path} has none for this "
                               f"example; {how}")
        try:
            grid = features_to_tokens(store[example_id], self.spec.max_patches, example_id, store.path)
        except ValueError as error:
            raise ExampleError(example_id, "image_features",
                               str(error).removeprefix(f"{example_id}: image_features ")) from None
        width = grid.patches.shape[-1]
        if width != store.feature_dim:
            raise ExampleError(example_id, "image_features", f"in {store.path}: width {width}, the model reads "
                               f"{store.feature_dim}")

    def _tree(self, example: Example) -> HtmlTree:
        try:
            return parse_html(example.html)
        except HtmlError as error:
            raise ExampleError(example.id, "html", str(error)) from None

    def _request(self, example: Example, style: OutputStyle, given_actions: Mapping[int, str] | None = None,
                 given_boxes: Mapping[int, GivenBox] | None = None,
                 blocked: Mapping[int, frozenset[str]] | None = None) -> _Request | _Windowed:
        """What to generate for one example: itself, or, past the window size, one request per window
        (each window's record built like a whole example's: its html, its html_boxes rows, the screenshot)."""
        given_actions, given_boxes, blocked = dict(given_actions or {}), dict(given_boxes or {}), dict(blocked or {})
        tree = self._tree(example)
        n, slots = len(tree), self.spec.max_slots
        limit = slots if self.window_slots is None else min(int(self.window_slots), slots)
        if n <= limit or (n <= slots and not self.windows):
            return _Request(example.id, self._record(example), style, given_actions, given_boxes, blocked)
        if not self.windows:
            raise ExampleError(example.id, "html", f"{n} html nodes, more than the model's {slots} slots; the section "
                               "is not truncated: set sample.windows=True (LayoutGenerator.windows) to predict it in "
                               "windows, pick a part of it, or use a model trained with more slots")
        if example.html_boxes is not None and len(example.html_boxes) != n:
            raise ExampleError(example.id, "html_boxes", f"{len(example.html_boxes)} boxes for {n} html nodes")
        try:
            windows = tuple(plan_windows(tree, limit))
        except ValueError as error:
            raise ExampleError(example.id, "html", f"{n} html nodes, more than {limit} slots, and no windows: "
                               f"{error}") from None
        parts = []
        for window in windows:
            part = dataclasses.replace(
                example, html=window_html(example.html, tree, window), layout=None,
                html_boxes=None if example.html_boxes is None else window_rows(list(example.html_boxes), window))
            parts.append(_Request(example.id, self._record(part), style, window_given(given_actions, window),
                                  window_given(given_boxes, window), window_given(blocked, window)))
        return _Windowed(example.id, tree, style, windows, tuple(parts))

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
        width, height = (int(v) for v in request.record["original_size"])
        for node, box in request.given_boxes.items():  # per coordinate: the centre, the size, or all four
            mask = np.asarray(box.mask, bool)
            element["boxes"][node, mask] = np.asarray(box.targets(width, height), np.float32)[mask]
            gen_box[node, mask] = False
        element["boxes"][:n][gen_box[:n]] = 0.0  # generated values are not peeked at
        element["actions"][:n][gen_action[:n]] = 0
        blocked = np.zeros((slots, self.vocab.size), bool)
        for node, actions in request.blocked.items():
            blocked[node, self.vocab.action_ids(sorted(actions))] = True
        return dict(element, gen_action=gen_action, gen_box=gen_box, blocked=blocked)

    def _given_box(self, example: Example, node: int, box: tuple[Sequence[float], Sequence[bool]]) -> GivenBox:
        """`given_boxes` entry ((cx, cy, w, h) pixels, 4 bools) as a GivenBox inside the screenshot."""
        values, mask = box
        if len(values) != 4 or len(mask) != 4:
            raise ExampleError(example.id, "given_boxes", f"node {node}: expected (4 coordinates, 4 bools)")
        given = GivenBox(tuple(float(v) for v in values), tuple(bool(m) for m in mask), f"given_boxes[{node}]")
        try:
            check_inside(given, example.image_size(), example.id, "given_boxes", str(node))
        except PartialLayoutError as error:
            raise ExampleError(example.id, "given_boxes", f"node {node}: {error.message}") from None
        return given

    def generate_settings(self, *, drop_image: bool = False, drop_html: bool = False,
                          **sampler_overrides: Any) -> Any:
        """The static settings of `generation.generate` for this model (`sample` config, then overrides)."""
        return GenerateSettings.from_config(self.config, self.vocab, drop_image=drop_image, drop_html=drop_html,
                                            **sampler_overrides)

    def _generate(self, requests: Sequence[_Request | _Windowed], *, boxes_given: bool | None, seed: int,
                  drop_image: bool = False, drop_html: bool = False, temperature: float | None = None,
                  progress: Any = None) -> list[LayoutPrediction]:
        """Every request's prediction; a windowed one's windows are batched with the rest, then stitched.
        `progress` counts sections (a windowed one when its last window is done)."""
        settings = self.generate_settings(drop_image=drop_image, drop_html=drop_html,
                                          **({} if temperature is None else {"temperature": temperature}))
        units: list[_Request] = []
        section_of: list[int] = []
        for number, request in enumerate(requests):
            parts = request.parts if isinstance(request, _Windowed) else (request,)
            units.extend(parts)
            section_of.extend([number] * len(parts))
        counts = np.array([int(r.record["node_count"]) for r in units], np.int64)
        plan = eval_batch_plan(counts, self.batch_size, self.spec.slot_buckets)
        done: list[LayoutPrediction | None] = [None] * len(units)
        left = np.bincount(np.asarray(section_of, np.int64), minlength=len(requests))
        rng = jax.random.PRNGKey(seed)
        for number, (rows, slots) in enumerate(zip(plan.rows, plan.slots)):
            slots = int(slots)
            blank = dict(blank_element(self.spec, slots), gen_action=np.zeros(slots, bool),
                         gen_box=np.zeros((slots, 4), bool), blocked=np.zeros((slots, self.vocab.size), bool))
            batch = stack_elements([blank if i < 0 else self._element(units[i], slots, boxes_given) for i in rows])
            if not batch["blocked"].any():
                del batch["blocked"]  # the common case: the program without the extra masks
            output = jax.device_get(generate(self.graphdef, self.params, batch, jax.random.fold_in(rng, number),
                                             settings))
            finished = 0
            for row, i in enumerate(rows):
                if i >= 0:
                    done[i] = self._decode(units[i], output, row)
                    left[section_of[i]] -= 1
                    finished += int(left[section_of[i]] == 0)
            if progress is not None and finished:
                progress.update(finished)
        results, start = [], 0
        for request in requests:
            size = len(request.parts) if isinstance(request, _Windowed) else 1
            predictions = done[start:start + size]
            start += size
            results.append(self._stitch(request, predictions) if isinstance(request, _Windowed) else predictions[0])
        return results  # type: ignore[return-value]

    def _stitch(self, request: _Windowed, parts: Sequence[LayoutPrediction]) -> LayoutPrediction:
        """One prediction for the whole tree: each node's action, probability and box from the window that
        owns it; the stitched actions decoded on the whole tree (repairs counted there)."""
        tree, windows, n = request.tree, request.windows, len(request.tree)
        actions = stitch_nodes(n, windows, [p.actions for p in parts])
        probabilities = stitch_nodes(n, windows, [p.probabilities for p in parts])
        boxes = stitch_nodes(n, windows, [p.boxes for p in parts])
        targets = np.asarray(stitch_nodes(n, windows, [list(p.box_targets) for p in parts]), np.float32).reshape(n, 4)
        valid = np.asarray(stitch_nodes(n, windows, [list(p.box_valid) for p in parts]), bool)
        decoded = decode_layout(tree, actions, request.style)
        return LayoutPrediction(request.example_id, decoded.layout, actions, probabilities, boxes,
                                dict(decoded.repairs), tree, targets, valid, request.style, windows=len(windows))

    def _decode(self, request: _Request, output: Any, row: int) -> LayoutPrediction:
        tree = parse_html_cached(request.record["html"])
        n = len(tree)
        ids = np.asarray(output.actions[row, :n])
        names = self.vocab.action_names(ids)
        decoded = decode_layout(tree, names, request.style)
        width, height = (int(v) for v in request.record["original_size"])
        # The sampler's last box step may overshoot the box range (a "no box" width just below -1).
        targets = np.clip(np.asarray(output.boxes[row, :n], np.float32), -1.0, 1.0)
        pixels = targets_to_boxes(targets, width, height).round(2)
        for node, box in request.given_boxes.items():
            pixels[node] = _with_given(pixels[node], box)
        valid = np.ones(n, bool)
        if bool(request.record["has_boxes"]):
            valid = boxes_to_targets(request.record["html_boxes"], width, height)[1]
        return LayoutPrediction(request.example_id, decoded.layout, names,
                                [float(p) for p in np.asarray(output.probabilities[row, :n])],
                                pixels.tolist(), dict(decoded.repairs), tree, targets, valid, request.style)


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


def _with_given(box: np.ndarray, given: GivenBox) -> np.ndarray:
    """A predicted `[x, y, w, h]` box with the given coordinates (centre, size) put back exactly."""
    x, y, w, h = (float(v) for v in box)
    centre_size = [given.values[i] if given.mask[i] else value for i, value in enumerate((x + w / 2, y + h / 2, w, h))]
    cx, cy, w, h = centre_size
    return np.round(np.array([cx - w / 2, cy - h / 2, w, h]), 6)


def _merged(example_id: str, field: str, first: Mapping[int, Any], second: Mapping[int, Any]) -> dict[int, Any]:
    """Two sets of given values of one example; a node in both is an ExampleError."""
    both = sorted(set(first) & set(second))
    if both:
        raise ExampleError(example_id, field, f"node {both[0]} is also given by the partial layout")
    return {**first, **second}


def _check_kept(partial: PartialLayout, prediction: LayoutPrediction, vocab: Vocabulary) -> None:
    """What was given came back (the sampler and decoding promise it; this says so if they break it)."""
    lost = lost_given(partial, prediction.tree, prediction.actions, prediction.boxes, vocab)
    if lost:
        raise RuntimeError(f"{prediction.id}: the completion lost what the partial layout gave: {'; '.join(lost)}")
