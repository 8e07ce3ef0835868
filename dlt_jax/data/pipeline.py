"""The grain input pipeline: built records -> pure transforms -> fixed-shape numpy batches.

`tfds` data source -> `grain.MapDataset` (host shard, shuffle, repeat, parse,
task masks, batch) -> `to_iter_dataset().mp_prefetch(...)`. Everything random
is drawn from grain's per-record rng, so the same seed gives the same batches
for any worker count, and the iterator's state restores the exact position.

A batch (B = batch size, N = max_slots, S = image_size, C = max_classes):
    image `B S S 3` float32 in [-1, 1] (letterboxed screenshot)
    tag_id, depth, sibling_index, child_count, parent_slot `B N` int32
    class_ids `B N C`, css_parts `B N C 5` int32; content_kinds `B N K` bool
    actions `B N` int32 (PAD beyond the nodes); boxes `B N 4` float32 (cx, cy, w, h) in [-1, 1]
    slot_valid, box_valid, gen_action `B N` bool; gen_box `B N 4` bool (1 = generate)
    mask_strategy, node_count, example_index `B` int32; example_valid `B` bool (False: eval padding)
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import grain
import numpy as np

from dlt_jax.data.dataset import BuiltDataset, resolve_dataset
from dlt_jax.data.records import record_text
from dlt_jax.data.tokenize import HtmlTokenizer
from dlt_jax.data.transforms import (STRATEGIES, boxes_to_targets, image_to_float, letterbox_geometry,
                                     pad_slots, sample_task_masks, strategy_probabilities, strategy_task_masks)
from dlt_jax.layout import CONTENT_KEYS, Vocabulary, load_json, parse_html

MODES = ("train", "eval")
_log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- one record

@dataclasses.dataclass(frozen=True)
class ElementSpec:
    """What turning a stored record into model inputs needs (picklable, sent to workers)."""

    max_slots: int
    image_size: int
    canvas_size: int
    tokenizer: HtmlTokenizer



def parse_record(record: Mapping[str, Any], spec: ElementSpec, example_index: int = -1) -> dict[str, np.ndarray]:
    """One stored record -> per-slot features and targets, without task masks (see module doc)."""
    example_id = record_text(record["id"])
    tree = parse_html(load_json(record["html"]))
    n, node_count = len(tree), int(record["node_count"])
    actions = np.asarray(record["actions"], np.int32)
    if not (n == node_count == len(actions)):
        raise ValueError(f"{example_id}: html: {n} nodes, but the record stores node_count {node_count} "
                         f"and {len(actions)} actions; rebuild the data set")
    if n > spec.max_slots:
        raise ValueError(f"{example_id}: html: {n} nodes, more than max_slots {spec.max_slots}")
    width, height = (int(v) for v in record["original_size"])
    boxes = np.zeros((n, 4), np.float32)
    box_valid = np.zeros(n, bool)
    if bool(record["has_boxes"]):
        html_boxes = np.asarray(record["html_boxes"], np.float32)
        if len(html_boxes) != n:
            raise ValueError(f"{example_id}: html_boxes: {len(html_boxes)} boxes for {n} html nodes")
        boxes, box_valid = boxes_to_targets(html_boxes, letterbox_geometry(width, height, spec.canvas_size))
    element = spec.tokenizer.tokenize(tree, spec.max_slots)
    element.update(
        image=image_to_float(record["screenshot"], spec.image_size),
        actions=pad_slots(actions, spec.max_slots),
        boxes=pad_slots(boxes, spec.max_slots),
        slot_valid=np.arange(spec.max_slots) < n,
        box_valid=pad_slots(box_valid, spec.max_slots, fill=False),
        node_count=np.int32(n),
        example_index=np.int32(example_index),
        example_valid=np.bool_(True),
    )
    return element


def blank_element(spec: ElementSpec) -> dict[str, np.ndarray]:
    """An all-padding element (example_valid False) that fills the last evaluation batch."""
    n, c = spec.max_slots, spec.tokenizer.max_classes
    return {
        "tag_id": np.zeros(n, np.int32), "class_ids": np.zeros((n, c), np.int32),
        "css_parts": np.zeros((n, c, 5), np.int32), "content_kinds": np.zeros((n, len(CONTENT_KEYS)), bool),
        "depth": np.zeros(n, np.int32), "sibling_index": np.zeros(n, np.int32),
        "child_count": np.zeros(n, np.int32), "parent_slot": np.full(n, -1, np.int32),
        "image": np.zeros((spec.image_size, spec.image_size, 3), np.float32),
        "actions": np.zeros(n, np.int32), "boxes": np.zeros((n, 4), np.float32),
        "slot_valid": np.zeros(n, bool), "box_valid": np.zeros(n, bool),
        "node_count": np.int32(0), "example_index": np.int32(-1), "example_valid": np.bool_(False),
    }


def with_task_masks(element: dict[str, np.ndarray], gen_action: np.ndarray, gen_box: np.ndarray,
                    strategy: int) -> dict[str, np.ndarray]:
    return dict(element, gen_action=gen_action, gen_box=gen_box, mask_strategy=np.int32(strategy))


# ----------------------------------------------------------------------------- grain transforms

class ParseRecord(grain.transforms.Map):
    """grain Map over (record index, record) pairs: `parse_record`, or a blank element for padding."""

    def __init__(self, spec: ElementSpec):
        self.spec = spec

    def map(self, indexed: tuple[int, Mapping[str, Any] | None]) -> dict[str, np.ndarray]:
        index, record = indexed
        if record is None:
            return blank_element(self.spec)
        return parse_record(record, self.spec, index)


class SampleTaskMasks(grain.transforms.RandomMap):
    """grain RandomMap: DLT's mixture of conditioning strategies, from the per-record rng."""

    def __init__(self, probabilities: Sequence[float], min_ratio: float):
        self.probabilities = tuple(probabilities)
        self.min_ratio = min_ratio

    def random_map(self, element: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
        masks = sample_task_masks(rng, int(element["node_count"]), len(element["actions"]),
                                  self.probabilities, self.min_ratio)
        return with_task_masks(element, masks.gen_action, masks.gen_box, masks.strategy)


class FixedTaskMasks(grain.transforms.RandomMap):
    """grain RandomMap for evaluation: one strategy over all slots (`all` = generate everything)."""

    def __init__(self, strategy: str):
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown eval strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
        self.strategy = strategy

    def random_map(self, element: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
        masks = strategy_task_masks(self.strategy, rng, int(element["node_count"]), len(element["actions"]),
                                    ratio=1.0)
        return with_task_masks(element, masks.gen_action, masks.gen_box, masks.strategy)


class IndexedSource:
    """Random access to chosen records of a data source, as (record index, record); index -1 is padding."""

    def __init__(self, source: Any, indices: np.ndarray):
        self.source = source
        self.indices = np.asarray(indices, np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, position: int) -> tuple[int, Mapping[str, Any] | None]:
        index = int(self.indices[position])
        return index, (None if index < 0 else self.source[index])


# ----------------------------------------------------------------------------- selection

def kept_indices(node_counts: np.ndarray, max_slots: int) -> tuple[np.ndarray, int]:
    """Record indices with at most `max_slots` nodes, and how many longer ones were skipped."""
    node_counts = np.asarray(node_counts)
    kept = np.flatnonzero(node_counts <= max_slots)
    return kept, int(len(node_counts) - len(kept))


def shard_indices(indices: np.ndarray, shard_index: int, shard_count: int) -> np.ndarray:
    """This host's share: every `shard_count`-th index from `shard_index` (hosts differ by at most one)."""
    if not 0 <= shard_index < shard_count:
        raise ValueError(f"shard index {shard_index} outside [0, {shard_count})")
    return np.asarray(indices)[shard_index::shard_count]


def padded_eval_indices(indices: np.ndarray, total: int, shard_count: int, batch_size: int) -> np.ndarray:
    """Pads a host's indices with -1 so every host runs the same number of full batches."""
    per_host = -(-total // shard_count)
    length = max(1, -(-per_host // batch_size)) * batch_size
    return np.concatenate([indices, np.full(length - len(indices), -1, np.int64)])


def tokenizer_from_config(tokenizer_config: Any, tag_counts: Mapping[str, int]) -> HtmlTokenizer:
    """The html tokenizer of `data.tokenizer`, its tag vocabulary from the training split's counts."""
    options = dict(tokenizer_config)
    vocab_size = options.pop("tag_vocab_size")
    min_count = options.pop("tag_min_count", 1)
    return HtmlTokenizer.from_tag_counts(tag_counts, vocab_size, min_count=min_count, **options)


# ----------------------------------------------------------------------------- pipeline

@dataclasses.dataclass
class Pipeline:
    """Batches of one split for one host, and what a trainer needs to know about them."""

    dataset: grain.IterDataset
    split: str
    mode: str
    batch_size: int
    num_examples: int            # records this host reads per epoch (after skipping and sharding)
    skipped_over_length: int     # records of the split longer than max_slots (all hosts)
    batches_per_epoch: int
    spec: ElementSpec
    data: BuiltDataset

    @property
    def tokenizer(self) -> HtmlTokenizer:
        return self.spec.tokenizer

    @property
    def vocab(self) -> Vocabulary:
        return self.data.vocab

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        return iter(self.dataset)


def batched_map_dataset(source: IndexedSource, spec: ElementSpec, data_config: Any, mode: str, seed: int,
                        batch_size: int) -> grain.MapDataset:
    """source -> (train: shuffle, repeat) -> parse -> task masks -> batches, all index-addressable."""
    dataset = grain.MapDataset.source(source).seed(seed)
    if mode == "train":
        if data_config.shuffle:
            dataset = dataset.shuffle()
        dataset = dataset.repeat(data_config.num_epochs)
    dataset = dataset.map(ParseRecord(spec))
    if mode == "train":
        masks = data_config.task_masks
        probabilities = strategy_probabilities(dict(masks.probabilities))
        dataset = dataset.random_map(SampleTaskMasks(probabilities, masks.min_ratio))
    else:
        dataset = dataset.random_map(FixedTaskMasks(data_config.eval_strategy))
    return dataset.batch(batch_size, drop_remainder=(mode == "train"))


def make_pipeline(data_config: Any, split: str | None = None, *, mode: str = "train", seed: int = 0,
                  batch_size: int | None = None, num_workers: int | None = None,
                  shard_index: int | None = None, shard_count: int | None = None,
                  data: BuiltDataset | None = None) -> Pipeline:
    """Batches of `split` for this host, as configured by `config.data` (configs/base.py).

    `mode='train'`: shuffled, repeated `data.num_epochs` times (None: forever),
    task masks by DLT's mixture, last partial batch dropped. `mode='eval'`:
    record order, one epoch, masks of `data.eval_strategy`, the last batch
    padded with blank elements (example_valid False). Records with more nodes
    than `data.max_slots` are skipped and counted. Sharding defaults to
    `jax.process_index()` of `jax.process_count()`.
    """
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} not in {MODES}")
    data = data or resolve_dataset(data_config.path, cache_dir=data_config.data_dir,
                                   image_size=data_config.build_image_size,
                                   image_format=data_config.image_format)
    split = split or (data_config.train_split if mode == "train" else data_config.eval_split)
    batch_size = batch_size or (data_config.batch_size if mode == "train" else data_config.eval_batch_size)
    num_workers = data_config.num_workers if num_workers is None else num_workers
    if shard_index is None or shard_count is None:
        import jax  # noqa: PLC0415 - only here, so that worker processes need not import jax
        shard_index, shard_count = jax.process_index(), jax.process_count()

    spec = ElementSpec(data_config.max_slots, data_config.image_size, data.canvas_size,
                       tokenizer_from_config(data_config.tokenizer, data.tag_counts))
    if spec.image_size > spec.canvas_size:
        _log.warning("%s: image_size %d is larger than the stored %d px canvas; images are upscaled",
                     data.path, spec.image_size, spec.canvas_size)
    kept, skipped = kept_indices(data.node_counts(split), spec.max_slots)
    if skipped:
        _log.warning("%s/%s: skipped %d of %d records with more than max_slots=%d nodes",
                     data.path, split, skipped, skipped + len(kept), spec.max_slots)
    if not len(kept):
        raise ValueError(f"{data.path}: split {split!r} has no record with at most max_slots="
                         f"{spec.max_slots} nodes ({skipped} skipped)")
    indices = shard_indices(kept, shard_index, shard_count)
    if mode == "eval":
        indices = padded_eval_indices(indices, len(kept), shard_count, batch_size)
    elif len(indices) < batch_size:
        raise ValueError(f"{data.path}: split {split!r} has {len(indices)} usable records on this host, "
                         f"fewer than batch_size {batch_size}")

    dataset = batched_map_dataset(IndexedSource(data.source(split), indices), spec, data_config, mode, seed,
                                  batch_size)
    iter_dataset = dataset.to_iter_dataset(grain.ReadOptions(num_threads=data_config.read_threads,
                                                             prefetch_buffer_size=data_config.prefetch_batches))
    if num_workers > 0:
        iter_dataset = iter_dataset.mp_prefetch(grain.MultiprocessingOptions(
            num_workers=num_workers, per_worker_buffer_size=data_config.prefetch_batches))
    num_examples = int((indices >= 0).sum())
    return Pipeline(iter_dataset, split, mode, batch_size, num_examples, skipped,
                    len(indices) // batch_size, spec, data)
