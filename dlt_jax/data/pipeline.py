"""The grain input pipeline: built records -> pure transforms -> numpy batches padded to slot buckets.

A pure batch plan (`train_batch_plan`, `eval_batch_plan`) says which records
make each GLOBAL batch of an epoch and its slot bucket; `grain.MapDataset`
over batch positions reads, parses, masks and stacks this host's rows of each
batch -> `to_iter_dataset().mp_prefetch(...)`. Everything random is seeded by
(seed, epoch, batch, row), so the same seed gives the same batches for any
worker count and host count, and the iterator's state restores the position.

A batch (B = per-host batch size, N = the batch's slot bucket, one of
`data.slot_buckets`, M = max_patches, D = patch_size^2 * 3, C = max_classes,
P = max_class_parts, K = content kinds, G = geometry features, F = width of
precomputed image features):
    patches `B M D` float32 in [-1, 1] (row-major pixels of each patch, RGB last),
        or, with `data.image_features`, image_features `B M F` float32 instead
    patch_row, patch_col `B M` int32 (1-based row / column in the grid; 0 = padding); patch_valid `B M` bool
    image_grid `B 2` int32 (rows, cols); screenshot_size `B 2` int32 (original width, height)
    tag_id, depth, sibling_index, child_count, sibling_count, descendant_count, text_length, parent_slot `B N` int32
    class_ids `B N C`, css_parts `B N C 5`, class_part_ids `B N P` int32; content_kinds, descendant_content `B N K` bool
    node_crops `B N S S 6` uint8 with data.node_crop = S (`data.crops`: each DOM box's fit and native views)
    inline_text `B N` bool; geometry `B N G` float32, geometry_valid `B N` bool, alignment `B N` int32 (from the
        DOM boxes, zero where the example has none; the html encoder reads them only where no box is generated)
    actions `B N` int32 (PAD beyond the nodes); boxes `B N 4` float32 (cx, cy, w, h) in [-1, 1] of the screenshot
    slot_valid, box_valid, gen_action `B N` bool; gen_box `B N 4` bool (1 = generate)
    mask_strategy, node_count, example_index `B` int32; example_valid `B` bool (False: eval padding)
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import grain
import numpy as np

from dlt_jax.data.crops import CHANNELS, record_crops
from dlt_jax.data.dataset import BuiltDataset, resolve_dataset
from dlt_jax.data.records import record_text
from dlt_jax.data.tokenize import FEATURE_PADDING, FIRST_HASHED_PART, HtmlTokenizer
from dlt_jax.data.transforms import (STRATEGIES, ClassAugment, ImagePatches, boxes_to_targets, clip_boxes,
                                     features_to_tokens, image_to_patches, pad_slots, sample_task_masks,
                                     strategy_probabilities, strategy_task_masks)
from dlt_jax.layout import Vocabulary, load_json, parse_html

MODES = ("train", "eval")
# Per-slot batch keys and what pads them (every other key is per example).
SLOT_PADDING = {**FEATURE_PADDING, "actions": 0, "boxes": 0.0, "slot_valid": False, "box_valid": False,
                "gen_action": False, "gen_box": False, "node_crops": 0}
_PLAN_STREAM, _EXAMPLE_STREAM, _AUGMENT_STREAM = 0, 1, 2  # seed-sequence tags keeping the kinds of draws apart
_log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- precomputed image features

class FeatureStore:
    """Precomputed image features, one array per example id in a `.npz` file, opened lazily once per process.

    An array is `rows cols F` (a feature grid) or `T F` (tokens, read as one row). With `feature_dim`
    (F known, e.g. from a checkpoint's model spec) the file is only opened when an example is read.
    """

    def __init__(self, path: str | Path, feature_dim: int | None = None):
        self.path = str(path)
        self._file: Any = None
        self._lock = threading.Lock()
        if feature_dim is not None:
            self.feature_dim = int(feature_dim)
            return
        with np.load(self.path) as stored:
            if not stored.files:
                raise ValueError(f"{self.path}: image_features file holds no arrays")
            self.feature_dim = int(stored[stored.files[0]].shape[-1])

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "feature_dim": self.feature_dim}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _file=None, _lock=threading.Lock())

    def __contains__(self, example_id: str) -> bool:
        with self._lock:
            return example_id in self._opened()

    def _opened(self) -> Any:
        if self._file is None:
            self._file = np.load(self.path)
        return self._file

    def __getitem__(self, example_id: str) -> np.ndarray:
        with self._lock:  # one zip file handle per process, shared by the reader threads
            if example_id not in self._opened():
                raise ValueError(f"{example_id}: image_features: no array for this example in {self.path}")
            return np.asarray(self._file[example_id], np.float32)


# ----------------------------------------------------------------------------- one record

@dataclasses.dataclass(frozen=True)
class ElementSpec:
    """What turning a stored record into model inputs needs (picklable, sent to workers)."""

    max_slots: int
    slot_buckets: tuple[int, ...]
    patch_size: int
    max_patches: int
    canvas_size: int
    tokenizer: HtmlTokenizer
    image_features: FeatureStore | None = None
    node_crop: int = 0           # side of each node's pixel views (`data.crops`); 0: none

    @property
    def image_key(self) -> str:
        return "patches" if self.image_features is None else "image_features"

    @property
    def image_width(self) -> int:
        """D of `patches`, or F of `image_features`."""
        if self.image_features is None:
            return self.patch_size * self.patch_size * 3
        return self.image_features.feature_dim


def image_inputs(record: Mapping[str, Any], spec: ElementSpec, example_id: str) -> dict[str, np.ndarray]:
    """The screenshot as patches (or precomputed features) with their grid ids, mask and sizes."""
    size = np.asarray(record["original_size"], np.int32)
    if spec.image_features is None:
        grid = image_to_patches(record["screenshot"], size, spec.canvas_size, spec.patch_size, spec.max_patches)
    else:
        features = spec.image_features[example_id]
        grid = features_to_tokens(features, spec.max_patches, example_id, spec.image_features.path)
        if grid.patches.shape[-1] != spec.image_width:
            raise ValueError(f"{example_id}: image_features in {spec.image_features.path}: width "
                             f"{grid.patches.shape[-1]}, the file's first array has {spec.image_width}")
    return image_arrays(grid, spec.image_key, size)


def image_arrays(grid: ImagePatches, image_key: str, screenshot_size: np.ndarray) -> dict[str, np.ndarray]:
    return {image_key: grid.patches, "patch_row": grid.row_ids, "patch_col": grid.col_ids,
            "patch_valid": grid.valid, "image_grid": np.asarray(grid.grid, np.int32),
            "screenshot_size": np.asarray(screenshot_size, np.int32)}


def parse_record(record: Mapping[str, Any], spec: ElementSpec, slots: int | None = None,
                 example_index: int = -1) -> dict[str, np.ndarray]:
    """One stored record -> image inputs, per-slot features and targets padded to `slots` (default
    max_slots), without task masks (see module doc)."""
    slots = spec.max_slots if slots is None else slots
    example_id = record_text(record["id"])
    tree = parse_html(load_json(record["html"]))
    n, node_count = len(tree), int(record["node_count"])
    actions = np.asarray(record["actions"], np.int32)
    if not (n == node_count == len(actions)):
        raise ValueError(f"{example_id}: html: {n} nodes, but the record stores node_count {node_count} "
                         f"and {len(actions)} actions; rebuild the data set")
    if n > slots:
        raise ValueError(f"{example_id}: html: {n} nodes, more than the {slots} slots of its batch "
                         f"(max_slots {spec.max_slots})")
    width, height = (int(v) for v in record["original_size"])
    boxes = np.zeros((n, 4), np.float32)
    box_valid = np.zeros(n, bool)
    dom_boxes = None  # the geometry condition features read the clipped DOM boxes
    if bool(record["has_boxes"]):
        html_boxes = np.asarray(record["html_boxes"], np.float32)
        if len(html_boxes) != n:
            raise ValueError(f"{example_id}: html_boxes: {len(html_boxes)} boxes for {n} html nodes")
        boxes, box_valid = boxes_to_targets(html_boxes, width, height)
        dom_boxes = clip_boxes(html_boxes, width, height)[0]
    element = image_inputs(record, spec, example_id)
    element.update(spec.tokenizer.tokenize(tree, slots, dom_boxes, box_valid))
    if spec.node_crop:
        crop_boxes = dom_boxes if dom_boxes is not None else np.zeros((n, 4))
        element["node_crops"] = record_crops(record["screenshot"], (width, height), spec.canvas_size, crop_boxes,
                                             box_valid, spec.node_crop, slots)
    element.update(
        actions=pad_slots(actions, slots),
        boxes=pad_slots(boxes, slots),
        slot_valid=np.arange(slots) < n,
        box_valid=pad_slots(box_valid, slots, fill=False),
        node_count=np.int32(n),
        example_index=np.int32(example_index),
        example_valid=np.bool_(True),
    )
    return element


def blank_element(spec: ElementSpec, slots: int | None = None) -> dict[str, np.ndarray]:
    """An all-padding element (example_valid False) that fills the last evaluation batch of a bucket."""
    n, m = spec.max_slots if slots is None else slots, spec.max_patches
    empty = ImagePatches(np.zeros((m, spec.image_width), np.float32), np.zeros(m, np.int32),
                         np.zeros(m, np.int32), np.zeros(m, bool), (0, 0))
    return {
        **image_arrays(empty, spec.image_key, np.zeros(2, np.int32)),
        **spec.tokenizer.blank(n),
        "actions": np.zeros(n, np.int32), "boxes": np.zeros((n, 4), np.float32),
        "slot_valid": np.zeros(n, bool), "box_valid": np.zeros(n, bool),
        "node_count": np.int32(0), "example_index": np.int32(-1), "example_valid": np.bool_(False),
        **({"node_crops": np.zeros((n, spec.node_crop, spec.node_crop, CHANNELS), np.uint8)} if spec.node_crop else {}),
    }


def with_task_masks(element: dict[str, np.ndarray], gen_action: np.ndarray, gen_box: np.ndarray,
                    strategy: int) -> dict[str, np.ndarray]:
    return dict(element, gen_action=gen_action, gen_box=gen_box, mask_strategy=np.int32(strategy))


def class_augment(augment_config: Any, tokenizer: HtmlTokenizer) -> ClassAugment:
    """The class augmentation of `data.augment` over the id ranges of `tokenizer`."""
    return ClassAugment(float(augment_config.class_drop), float(augment_config.class_rename),
                        float(augment_config.class_part_drop), tokenizer.class_hash_buckets, FIRST_HASHED_PART,
                        FIRST_HASHED_PART + tokenizer.class_part_buckets)


class SampleTaskMasks:
    """Training masks: DLT's mixture of conditioning strategies, drawn from the example's rng."""

    def __init__(self, probabilities: Sequence[float], min_ratio: float):
        self.probabilities = tuple(probabilities)
        self.min_ratio = min_ratio

    def __call__(self, element: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
        masks = sample_task_masks(rng, int(element["node_count"]), len(element["actions"]),
                                  self.probabilities, self.min_ratio)
        return with_task_masks(element, masks.gen_action, masks.gen_box, masks.strategy)


class FixedTaskMasks:
    """Evaluation masks: one strategy over all slots (`all` = generate everything)."""

    def __init__(self, strategy: str):
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown eval strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
        self.strategy = strategy

    def __call__(self, element: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
        masks = strategy_task_masks(self.strategy, rng, int(element["node_count"]), len(element["actions"]),
                                    ratio=1.0)
        return with_task_masks(element, masks.gen_action, masks.gen_box, masks.strategy)


# ----------------------------------------------------------------------------- slot buckets and batch plans

def check_slot_buckets(slot_buckets: Sequence[int], max_slots: int) -> tuple[int, ...]:
    """`data.slot_buckets` as a strictly increasing tuple whose largest entry is `data.max_slots`."""
    buckets = tuple(int(b) for b in slot_buckets)
    if not buckets or any(b <= 0 for b in buckets) or list(buckets) != sorted(set(buckets)):
        raise ValueError(f"data.slot_buckets {tuple(slot_buckets)} must be positive and strictly increasing")
    if buckets[-1] != max_slots:
        raise ValueError(f"data.slot_buckets {buckets}: the largest bucket must equal data.max_slots "
                         f"{max_slots}; set both together")
    return buckets


def bucket_slots(node_counts: np.ndarray, slot_buckets: Sequence[int]) -> np.ndarray:
    """The smallest bucket holding each node count, same shape (counts must be <= the largest bucket)."""
    buckets = np.asarray(slot_buckets, np.int32)
    return buckets[np.searchsorted(buckets, np.asarray(node_counts))]


@dataclasses.dataclass(frozen=True)
class BatchPlan:
    """The global batches of one epoch: `rows` `b B` positions into the kept records (-1: blank
    padding) and `slots` `b`, each batch's bucket."""

    rows: np.ndarray
    slots: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


def plan_from_rows(rows: np.ndarray, node_counts: np.ndarray, slot_buckets: Sequence[int]) -> BatchPlan:
    """A plan whose every batch gets the smallest bucket holding its longest example."""
    rows = np.asarray(rows, np.int64)
    counts = np.where(rows >= 0, np.asarray(node_counts)[np.maximum(rows, 0)], 0)
    return BatchPlan(rows, bucket_slots(counts.max(axis=1, initial=0), slot_buckets).astype(np.int32))


def _seed_entropy(seed: int) -> int:
    return int(seed) % 2**63  # numpy seed sequences take non-negative integers only


def example_rng(seed: int, epoch: int, batch: int, row: int) -> np.random.Generator:
    """The generator of one example's random draws, fixed by its place in the plan (row of the GLOBAL
    batch, so hosts and workers draw the same)."""
    return np.random.default_rng([_seed_entropy(seed), epoch, _EXAMPLE_STREAM, batch, row])


def augment_rng(seed: int, epoch: int, batch: int, row: int) -> np.random.Generator:
    """As `example_rng`, a separate stream for augmentation (the task masks draw the same with or without it)."""
    return np.random.default_rng([_seed_entropy(seed), epoch, _AUGMENT_STREAM, batch, row])


def train_batch_plan(node_counts: np.ndarray, batch_size: int, slot_buckets: Sequence[int], seed: int,
                     epoch: int, shuffle: bool = True) -> BatchPlan:
    """One training epoch's global batches, grouped by slot bucket; a pure function of its arguments.

    The kept records are shuffled and the last `len % batch_size` of them left
    out (a fresh draw each epoch, so no record is left out more than others),
    then the rest fill batches bucket by bucket, smallest first: a bucket's
    remainder moves up into the next larger bucket's first batch (it fits its
    slots), and the largest bucket comes out even: `len // batch_size` batches.
    Then the batch order is shuffled. `shuffle=False`: record order, smallest bucket first.
    """
    counts = np.asarray(node_counts, np.int64)
    rng = np.random.default_rng([_seed_entropy(seed), epoch, _PLAN_STREAM])
    order = rng.permutation(len(counts)) if shuffle else np.arange(len(counts))
    order = order[:len(order) // batch_size * batch_size]
    bucket_index = np.searchsorted(np.asarray(slot_buckets), counts[order])
    groups, carried = [], np.zeros(0, np.int64)
    for index in range(len(slot_buckets)):
        queue = np.concatenate([carried, order[bucket_index == index]])
        full = len(queue) // batch_size * batch_size
        groups.append(queue[:full].reshape(-1, batch_size))
        carried = queue[full:]
    rows = np.concatenate(groups)
    if shuffle:
        rows = rows[rng.permutation(len(rows))]
    return plan_from_rows(rows, counts, slot_buckets)


def eval_batch_plan(node_counts: np.ndarray, batch_size: int, slot_buckets: Sequence[int]) -> BatchPlan:
    """The evaluation epoch: record order within each bucket, smallest bucket first, each bucket's last
    batch padded with blanks (-1), so every record is seen exactly once."""
    counts = np.asarray(node_counts, np.int64)
    bucket_index = np.searchsorted(np.asarray(slot_buckets), counts)
    groups = []
    for index in range(len(slot_buckets)):
        members = np.flatnonzero(bucket_index == index)
        padded = -(-len(members) // batch_size) * batch_size
        groups.append(np.concatenate([members, np.full(padded - len(members), -1, np.int64)])
                      .reshape(-1, batch_size))
    return plan_from_rows(np.concatenate(groups), counts, slot_buckets)


def stack_elements(elements: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Per-example dicts of equal shapes -> one batch dict (leading axis B)."""
    return {key: np.stack([element[key] for element in elements]) for key in elements[0]}


def pad_batch_slots(batch: Mapping[str, np.ndarray], slots: int) -> dict[str, np.ndarray]:
    """Pads every per-slot array of `batch` (axis 1) to `slots`: PAD, zeros, False, parent_slot -1.

    E.g. to compare a bucketed batch with the same examples padded to max_slots.
    """
    padded = dict(batch)
    for key, fill in SLOT_PADDING.items():
        if key not in batch:
            continue
        values = np.asarray(batch[key])
        if values.shape[1] > slots:
            raise ValueError(f"{key}: batch has {values.shape[1]} slots, more than the {slots} to pad to")
        widths = [(0, 0), (0, slots - values.shape[1])] + [(0, 0)] * (values.ndim - 2)
        padded[key] = np.pad(values, widths, constant_values=fill)
    return padded


# ----------------------------------------------------------------------------- grain

class ReadBatch(grain.transforms.Map):
    """grain Map: batch position -> this host's rows of that global batch, parsed, masked, padded to
    its bucket and stacked. Position p is batch `p % batches_per_epoch` of epoch `p // batches_per_epoch`."""

    def __init__(self, source: Any, kept: np.ndarray, plan_for_epoch: Callable[[int], BatchPlan],
                 batches_per_epoch: int, rows: tuple[int, int], spec: ElementSpec,
                 task_masks: Callable[[dict[str, np.ndarray], np.random.Generator], dict[str, np.ndarray]],
                 seed: int, augment: ClassAugment | None = None):
        self.source = source
        self.kept = np.asarray(kept, np.int64)
        self.plan_for_epoch = plan_for_epoch
        self.batches_per_epoch = batches_per_epoch
        self.rows = rows
        self.spec = spec
        self.task_masks = task_masks
        self.seed = seed
        self.augment = augment  # training only: class augmentation of each real example
        self._plans: dict[int, BatchPlan] = {}

    def plan(self, epoch: int) -> BatchPlan:
        plan = self._plans.get(epoch)
        if plan is None:
            plan = self.plan_for_epoch(epoch)
            self._plans = {epoch: plan, **{e: p for e, p in self._plans.items() if e == epoch - 1}}
        return plan

    def map(self, position: int) -> dict[str, np.ndarray]:
        epoch, batch = divmod(int(position), self.batches_per_epoch)
        plan = self.plan(epoch)
        slots = int(plan.slots[batch])
        elements = []
        for row in range(*self.rows):
            kept_position = int(plan.rows[batch, row])
            if kept_position < 0:
                element = blank_element(self.spec, slots)
            else:
                index = int(self.kept[kept_position])
                element = parse_record(self.source[index], self.spec, slots, index)
                if self.augment is not None:
                    element = self.augment(element, augment_rng(self.seed, epoch, batch, row))
            elements.append(self.task_masks(element, example_rng(self.seed, epoch, batch, row)))
        return stack_elements(elements)


@dataclasses.dataclass(frozen=True)
class ConcatSource:
    """Several record sources as one index space, first source first (picklable for worker processes)."""

    sources: tuple[Any, ...]

    def __len__(self) -> int:
        return sum(len(source) for source in self.sources)

    def __getitem__(self, index: int) -> Any:
        for source in self.sources:
            if index < len(source):
                return source[index]
            index -= len(source)
        raise IndexError(index)


@dataclasses.dataclass(frozen=True)
class Mixture:
    """The records an epoch draws from: the split's kept records, then those of a second data set
    repeated `repeat` times (oversampled: a few real sections beside thousands of synthetic ones)."""

    source: Any
    kept: np.ndarray          # indices into `source`, repeats included
    node_counts: np.ndarray   # of `kept`
    skipped: int              # records over max_slots, of both data sets
    mixed: int                # how many of `kept` come from the mixed-in data set (repeats counted)


def _kept_logged(data: BuiltDataset, split: str, max_slots: int) -> tuple[np.ndarray, int]:
    kept, skipped = kept_indices(data.node_counts(split), max_slots)
    if skipped:
        _log.warning("%s/%s: skipped %d of %d records with more than max_slots=%d nodes",
                     data.path, split, skipped, skipped + len(kept), max_slots)
    return kept, skipped


def mix_in(data: BuiltDataset, split: str, max_slots: int, mix: BuiltDataset | None = None,
           mix_split: str = "train", repeat: int = 1) -> Mixture:
    """`split` of `data`, plus `mix_split` of `mix` x `repeat` (none when `mix` is None)."""
    kept, skipped = _kept_logged(data, split, max_slots)
    counts = data.node_counts(split)[kept]
    if mix is None or repeat <= 0:
        return Mixture(data.source(split), kept, counts, skipped, 0)
    if list(mix.vocab.actions) != list(data.vocab.actions):
        raise ValueError(f"data.mix.path {mix.path} has the actions {list(mix.vocab.actions)}, "
                         f"but {data.path} has {list(data.vocab.actions)}: both must share one vocabulary")
    mix_kept, mix_skipped = _kept_logged(mix, mix_split, max_slots)
    offset = len(data.source(split))
    extra = np.tile(mix_kept + offset, int(repeat))
    extra_counts = np.tile(mix.node_counts(mix_split)[mix_kept], int(repeat))
    _log.info("mixing %d records of %s/%s (x%d) into %d of %s/%s", len(mix_kept), mix.path, mix_split,
              int(repeat), len(kept), data.path, split)
    return Mixture(ConcatSource((data.source(split), mix.source(mix_split))), np.concatenate([kept, extra]),
                   np.concatenate([counts, extra_counts]), skipped + mix_skipped, len(extra))


def resolve_mix(data_config: Any) -> BuiltDataset | None:
    """The data set of `data.mix.path` (built as `data.path` is), or None when nothing is mixed in."""
    mix = data_config.get("mix")
    if mix is None or not mix.get("path") or int(mix.get("repeat", 1)) <= 0:
        return None
    return resolve_dataset(mix.path, cache_dir=data_config.data_dir, image_size=data_config.build_image_size,
                           image_format=data_config.image_format)


# ----------------------------------------------------------------------------- selection

def kept_indices(node_counts: np.ndarray, max_slots: int) -> tuple[np.ndarray, int]:
    """Record indices with at most `max_slots` nodes, and how many longer ones were skipped."""
    node_counts = np.asarray(node_counts)
    kept = np.flatnonzero(node_counts <= max_slots)
    return kept, int(len(node_counts) - len(kept))


def host_rows(batch_size: int, shard_index: int, shard_count: int) -> tuple[int, int]:
    """This host's rows `[h*B/H, (h+1)*B/H)` of every global batch of `batch_size`."""
    if not 0 <= shard_index < shard_count:
        raise ValueError(f"shard index {shard_index} outside [0, {shard_count})")
    if batch_size % shard_count:
        raise ValueError(f"global batch size {batch_size} is not divisible by the {shard_count} hosts; "
                         f"set data.batch_size / data.eval_batch_size to a multiple of {shard_count}")
    per_host = batch_size // shard_count
    return shard_index * per_host, (shard_index + 1) * per_host


def tokenizer_from_config(tokenizer_config: Any, tag_counts: Mapping[str, int]) -> HtmlTokenizer:
    """The html tokenizer of `data.tokenizer`, its tag vocabulary from the training split's counts."""
    options = dict(tokenizer_config)
    vocab_size = options.pop("tag_vocab_size")
    min_count = options.pop("tag_min_count", 1)
    return HtmlTokenizer.from_tag_counts(tag_counts, vocab_size, min_count=min_count, **options)


def tokenizer_with_tags(tokenizer_config: Any, tags: Sequence[str]) -> HtmlTokenizer:
    """The html tokenizer of `data.tokenizer` with a known tag vocabulary (e.g. a checkpoint's)."""
    options = dict(tokenizer_config)
    vocab_size = options.pop("tag_vocab_size")
    options.pop("tag_min_count", None)
    return HtmlTokenizer(tags=tuple(tags), tag_vocab_size=vocab_size, **options)


def element_spec(data_config: Any, data: BuiltDataset) -> ElementSpec:
    """The ElementSpec of `config.data` for a built data set (checks the slot buckets)."""
    features = data_config.image_features
    return ElementSpec(
        max_slots=int(data_config.max_slots),
        slot_buckets=check_slot_buckets(data_config.slot_buckets, data_config.max_slots),
        patch_size=int(data_config.patch_size), max_patches=int(data_config.max_patches),
        canvas_size=data.canvas_size, tokenizer=tokenizer_from_config(data_config.tokenizer, data.tag_counts),
        image_features=FeatureStore(features) if features else None, node_crop=int(data_config.get("node_crop", 0)))


# ----------------------------------------------------------------------------- pipeline

@dataclasses.dataclass
class Pipeline:
    """Batches of one split for one host, and what a trainer needs to know about them."""

    dataset: grain.IterDataset
    split: str
    mode: str
    batch_size: int              # rows per host: global batch size / host count
    num_examples: int            # real (not blank) examples this host reads per epoch
    skipped_over_length: int     # records of the split longer than max_slots (all hosts)
    batches_per_epoch: int       # the same on every host
    spec: ElementSpec
    data: BuiltDataset
    slot_buckets: tuple[int, ...] = ()
    global_batch_size: int = 0
    num_records: int = 0         # records of the split with at most max_slots nodes (all hosts)
    mixed: BuiltDataset | None = None  # the data set of data.mix.path, when one is mixed in (train)

    @property
    def tokenizer(self) -> HtmlTokenizer:
        return self.spec.tokenizer

    @property
    def vocab(self) -> Vocabulary:
        return self.data.vocab

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        return iter(self.dataset)


def make_pipeline(data_config: Any, split: str | None = None, *, mode: str = "train", seed: int = 0,
                  batch_size: int | None = None, num_workers: int | None = None,
                  shard_index: int | None = None, shard_count: int | None = None,
                  data: BuiltDataset | None = None, spec: ElementSpec | None = None) -> Pipeline:
    """Batches of `split` for this host, as configured by `config.data` (configs/base.py).

    `batch_size` (default `data.batch_size` / `data.eval_batch_size`) is the
    GLOBAL batch: every host computes the same plan over all kept records and
    takes its rows `[h*B/H, (h+1)*B/H)` of each batch, so all hosts run the
    same slot bucket at the same step. Each batch's per-slot arrays have the
    smallest of `data.slot_buckets` holding its longest example.
    `mode='train'`: `train_batch_plan`, a new shuffle per epoch,
    `data.num_epochs` epochs (None: forever), DLT's mixture of task masks, the class augmentation
    of `data.augment`.
    `mode='eval'`: `eval_batch_plan`, one epoch, masks of `data.eval_strategy`.
    Records with more nodes than `data.max_slots` are skipped and counted.
    Sharding defaults to `jax.process_index()` of `jax.process_count()`.
    `spec` (default: `config.data` over `data`) reads another data set as a
    trained model does, e.g. with the training split's tag vocabulary.
    """
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} not in {MODES}")
    data = data or resolve_dataset(data_config.path, cache_dir=data_config.data_dir,
                                   image_size=data_config.build_image_size,
                                   image_format=data_config.image_format)
    split = split or (data_config.train_split if mode == "train" else data_config.eval_split)
    global_batch = batch_size or (data_config.batch_size if mode == "train" else data_config.eval_batch_size)
    num_workers = data_config.num_workers if num_workers is None else num_workers
    if shard_index is None or shard_count is None:
        import jax  # noqa: PLC0415 - only here, so that worker processes need not import jax
        shard_index, shard_count = jax.process_index(), jax.process_count()
    rows = host_rows(global_batch, shard_index, shard_count)

    spec = spec if spec is not None else element_spec(data_config, data)
    mix = resolve_mix(data_config) if mode == "train" else None
    mix_config = data_config.get("mix") or {}
    mixture = mix_in(data, split, spec.max_slots, mix, mix_config.get("split", "train"), int(mix_config.get("repeat", 1)))
    kept, counts, skipped = mixture.kept, mixture.node_counts, mixture.skipped
    if not len(kept):
        raise ValueError(f"{data.path}: split {split!r} has no record with at most max_slots="
                         f"{spec.max_slots} nodes ({skipped} skipped)")

    if mode == "train":
        if len(kept) < global_batch:
            raise ValueError(f"{data.path}: split {split!r} has {len(kept)} usable records, fewer than the "
                             f"global batch_size {global_batch}")
        plan_for_epoch = _TrainPlan(counts, global_batch, spec.slot_buckets, seed, bool(data_config.shuffle))
        batches_per_epoch = len(kept) // global_batch
        epochs = data_config.num_epochs
        length = sys.maxsize if epochs is None else batches_per_epoch * int(epochs)
        num_examples = batches_per_epoch * (rows[1] - rows[0])
        masks = data_config.task_masks
        task_masks = SampleTaskMasks(strategy_probabilities(dict(masks.probabilities)), masks.min_ratio)
        augment = class_augment(data_config.augment, spec.tokenizer)
    else:
        plan = eval_batch_plan(counts, global_batch, spec.slot_buckets)
        plan_for_epoch = _FixedPlan(plan)
        batches_per_epoch = length = len(plan)
        num_examples = int((plan.rows[:, rows[0]:rows[1]] >= 0).sum())
        task_masks = FixedTaskMasks(data_config.eval_strategy)
        augment = None

    reader = ReadBatch(mixture.source, kept, plan_for_epoch, batches_per_epoch, rows, spec, task_masks, seed,
                       augment)
    dataset = grain.MapDataset.range(length).map(reader)
    iter_dataset = dataset.to_iter_dataset(grain.ReadOptions(num_threads=data_config.read_threads,
                                                             prefetch_buffer_size=data_config.prefetch_batches))
    if num_workers > 0:
        iter_dataset = iter_dataset.mp_prefetch(grain.MultiprocessingOptions(
            num_workers=num_workers, per_worker_buffer_size=data_config.prefetch_batches))
    return Pipeline(iter_dataset, split, mode, rows[1] - rows[0], num_examples, skipped, batches_per_epoch,
                    spec, data, spec.slot_buckets, global_batch, len(kept), mix)


@dataclasses.dataclass(frozen=True)
class _TrainPlan:
    """`train_batch_plan` of an epoch, as a picklable callable for worker processes."""

    node_counts: np.ndarray
    batch_size: int
    slot_buckets: tuple[int, ...]
    seed: int
    shuffle: bool

    def __call__(self, epoch: int) -> BatchPlan:
        return train_batch_plan(self.node_counts, self.batch_size, self.slot_buckets, self.seed, epoch,
                                self.shuffle)


@dataclasses.dataclass(frozen=True)
class _FixedPlan:
    """The same plan for every epoch (evaluation runs one)."""

    plan: BatchPlan

    def __call__(self, epoch: int) -> BatchPlan:
        return self.plan
