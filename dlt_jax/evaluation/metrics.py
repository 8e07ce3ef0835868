"""Structure and box metrics of predicted layouts against the truth (DESIGN.md §7).

Every example is scored from its html tree and two action lists (one action
per node, preorder), decoded by `decode_layout`, so a metric sees exactly the
layout a user would get; `score` aggregates them into one JSON-ready dict.

Definitions (all counts are pooled over the examples unless said otherwise):

- exact match: the decoded predicted layout equals the decoded true layout
  (structure and props, key order and duplicate keys included); share of examples.
- node-action accuracy: share of nodes whose predicted action is the true one.
  macro-F1: mean over the action classes present in truth or prediction of
  each class's F1 = 2 TP / (true + predicted).
- elements: an element is (type, frozenset of its html nodes) as decoding forms
  it; precision = matched / predicted elements, recall = matched / true
  elements, F1 their harmonic mean. A wrong type or a merge error (a node set
  split or joined) makes the element unmatched. Props are not elements.
- tree edit distance: APTED with unit costs between the output trees (node
  label = element type, under a virtual root that always matches), per
  example divided by the larger tree's element count and clipped to 1; the
  mean of that, and of the raw distance. Two empty trees are at distance 0.
- props: `props_exact` is the share of examples whose decoded props (prop ->
  node) equal the truth's; `props_node_accuracy` the share of nodes that are
  a prop in truth or prediction whose predicted action is the true one.
- repairs: `repair_rate` is the share of examples whose predicted actions
  needed a decoding repair, `repairs_per_example` the mean repair count.
- boxes, `(cx, cy, w, h)` in [-1, 1] as the pipeline's targets: each of the
  four maps back to [0, 1] of the screenshot by (v + 1) / 2 (the width too).
  `box_miou`: mean IoU of predicted to true box over the nodes with a true
  box (a node the prediction draws no box for counts 0). `alignment` and
  `overlap` follow DLT (`dlt/evaluation/metrics.py`, itself LayoutGAN++'s
  `compute_alignment` / `compute_overlap`) on [0, 1] boxes, over the leaf
  elements of the predicted layout (elements without child elements: a flat
  set, as in DLT's data sets; a container overlaps its children by design),
  an element's box being the union of its member nodes' boxes:
  alignment = mean over elements i of -log(1 - d_i), d_i the smallest
  |coordinate difference| to any other element over the six coordinates
  (left, centre x, right, top, centre y, bottom), rounded to a 1/32 grid as
  DLT does (`discretize`); an element with no partner (d_i = 1) counts 0.
  overlap = sum over ordered pairs i != j of area(i ∩ j) / area(i), divided
  by the element count. Both are means over examples with at least one
  element box; `alignment_true` / `overlap_true` are the same on the truth.
  LayoutGAN++ prints both x 100; these are the raw values.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from apted import APTED, Config

from dlt_jax.layout.codec import (DEFAULT_STYLE, DecodedElements, OutputStyle, decode_elements, decode_layout,
                                  encode_layout)
from dlt_jax.layout.html import HtmlTree, parse_html
from dlt_jax.layout.vocab import DEFAULT_VOCAB, Vocabulary

ALIGNMENT_GRID = 32  # DLT rounds coordinates to 1/32 "for fair comparison"
HEADLINE_KEYS = ("examples", "nodes", "exact_match", "node_action_accuracy", "macro_f1", "element_precision",
                 "element_recall", "element_f1", "tree_edit_distance", "tree_edit_distance_raw", "props_exact",
                 "props_node_accuracy", "repair_rate", "repairs_per_example", "visual_cue_node_accuracy",
                 "box_miou", "alignment", "overlap", "alignment_true", "overlap_true")


@dataclasses.dataclass(frozen=True)
class ExampleResult:
    """One example to score: the html tree, true and predicted actions, optional boxes.

    Boxes are `n 4` `(cx, cy, w, h)` in [-1, 1] of the screenshot (the
    pipeline's targets); `box_valid` `n` marks nodes whose true box exists,
    `pred_box_valid` `n` the nodes the prediction draws a box for (None: all).
    `visual_cue_nodes` are the nodes whose type only the rendering decides;
    `flags` name extra subsets the example belongs to.
    """

    tree: HtmlTree
    true_actions: Sequence[str]
    pred_actions: Sequence[str]
    style: OutputStyle = DEFAULT_STYLE
    true_boxes: np.ndarray | None = None
    pred_boxes: np.ndarray | None = None
    box_valid: np.ndarray | None = None
    pred_box_valid: np.ndarray | None = None
    id: str = ""
    category: str | None = None
    has_visual_cues: bool = False
    visual_cue_nodes: tuple[int, ...] = ()
    flags: tuple[str, ...] = ()

    def __post_init__(self):
        n = len(self.tree)
        where = f"example {self.id!r}" if self.id else "example"
        for name in ("true_actions", "pred_actions"):
            value = tuple(getattr(self, name))
            if len(value) != n:
                raise ValueError(f"{where}: {name} has {len(value)} actions for {n} html nodes")
            object.__setattr__(self, name, value)
        for name, shape in (("true_boxes", (n, 4)), ("pred_boxes", (n, 4)), ("box_valid", (n,)),
                            ("pred_box_valid", (n,))):
            value = getattr(self, name)
            if value is None:
                continue
            value = np.asarray(value, dtype=bool if name.endswith("valid") else np.float64)
            if value.shape != shape:
                raise ValueError(f"{where}: {name} has shape {value.shape}, expected {shape}")
            object.__setattr__(self, name, value)
        object.__setattr__(self, "visual_cue_nodes", tuple(int(i) for i in self.visual_cue_nodes))
        object.__setattr__(self, "flags", tuple(self.flags))
        if self.visual_cue_nodes and not self.has_visual_cues:
            object.__setattr__(self, "has_visual_cues", True)


def example_result(example: Any, pred_actions: Sequence[str], *, pred_boxes: np.ndarray | None = None,
                   pred_box_valid: np.ndarray | None = None, style: OutputStyle | None = None,
                   vocab: Vocabulary = DEFAULT_VOCAB, flags: Sequence[str] = ()) -> ExampleResult:
    """An `ExampleResult` from a `dlt_jax.data.Example` with a layout: true actions by
    `encode_layout`, true boxes from `html_boxes`, visual cues from `extra`.

    Raises `LayoutError` when the example's layout is not representable.
    """
    from dlt_jax.data.transforms import boxes_to_targets  # data depends on layout only; keep it lazy

    tree = parse_html(example.html)
    encoded = encode_layout(tree, example.layout, vocab)
    true_boxes = box_valid = None
    if example.html_boxes is not None:
        true_boxes, box_valid = boxes_to_targets(np.asarray(example.html_boxes, dtype=np.float64),
                                                 *example.image_size())
    cues = (example.extra or {}).get("visual_cues") or ()
    return ExampleResult(
        tree=tree, true_actions=encoded.actions, pred_actions=tuple(pred_actions),
        style=style or encoded.style, true_boxes=true_boxes, pred_boxes=pred_boxes, box_valid=box_valid,
        pred_box_valid=pred_box_valid, id=example.id, category=example.category,
        has_visual_cues=bool(cues), visual_cue_nodes=tuple(int(cue["node"]) for cue in cues), flags=tuple(flags))


# ----------------------------------------------------------------------------- single metrics

Element = tuple[str, frozenset[int]]


def element_set(elements: DecodedElements) -> set[Element]:
    """The elements of a decoded layout as (type, node set); node sets are disjoint, so a set suffices."""
    return {(t, frozenset(m)) for t, m in zip(elements.types, elements.members)}


class _TedNode:
    __slots__ = ("name", "children")

    def __init__(self, name: str, children: list["_TedNode"]):
        self.name = name
        self.children = children


def _ted_tree(elements: DecodedElements) -> _TedNode:
    children = elements.children()

    def build(e: int) -> _TedNode:
        return _TedNode(elements.types[e], [build(c) for c in children[e]])

    return _TedNode("", [build(r) for r in elements.roots])  # virtual root: a forest becomes one tree


def tree_edit_distance(true: DecodedElements, pred: DecodedElements) -> tuple[int, float]:
    """(raw APTED distance with unit costs, that / the larger element count clipped to 1)."""
    raw = int(APTED(_ted_tree(true), _ted_tree(pred), Config()).compute_edit_distance())
    larger = max(len(true.types), len(pred.types))
    return raw, (min(1.0, raw / larger) if larger else 0.0)


def to_unit_boxes(boxes: np.ndarray) -> np.ndarray:
    """`... 4` (cx, cy, w, h) in [-1, 1] -> in [0, 1] of the screenshot (every coordinate by (v + 1) / 2)."""
    return (np.asarray(boxes, dtype=np.float64) + 1.0) / 2.0


def _ltrb(boxes: np.ndarray) -> tuple[np.ndarray, ...]:
    cx, cy, w, h = np.moveaxis(np.asarray(boxes, dtype=np.float64), -1, 0)
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of `... 4` (cx, cy, w, h) boxes in [0, 1], pairwise along the leading axes; 0 for empty unions."""
    l1, t1, r1, b1 = _ltrb(a)
    l2, t2, r2, b2 = _ltrb(b)
    inter = np.clip(np.minimum(r1, r2) - np.maximum(l1, l2), 0, None) * np.clip(
        np.minimum(b1, b2) - np.maximum(t1, t2), 0, None)
    union = (r1 - l1) * (b1 - t1) + (r2 - l2) * (b2 - t2) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def _masked_boxes(boxes: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """`n 4` boxes as float64, only those under `mask` (all when None)."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return boxes if mask is None else boxes[np.asarray(mask, dtype=bool)]


def alignment(boxes: np.ndarray, mask: np.ndarray | None = None, discretize: bool = True) -> float:
    """DLT / LayoutGAN++ alignment of `n 4` (cx, cy, w, h) boxes in [0, 1] (lower is better aligned).

    Only boxes under `mask` take part, as partners too (DLT masks both sides).
    """
    boxes = _masked_boxes(boxes, mask)
    count = len(boxes)
    if count == 0:
        return 0.0
    left, top, right, bottom = _ltrb(boxes)
    coords = np.stack([left, boxes[:, 0], right, top, boxes[:, 1], bottom])  # 6 n
    if discretize:
        coords = np.round(coords * ALIGNMENT_GRID) / ALIGNMENT_GRID
    gaps = np.abs(coords[:, :, None] - coords[:, None, :])  # 6 n n
    gaps[:, np.arange(count), np.arange(count)] = 1.0
    nearest = np.minimum(gaps.min(axis=(0, 2)), 1.0)
    nearest[nearest == 1.0] = 0.0  # no partner within the canvas: counts 0, as in DLT
    return float(-np.log(1.0 - nearest).sum() / count)


def overlap(boxes: np.ndarray, mask: np.ndarray | None = None) -> float:
    """DLT / LayoutGAN++ overlap: sum over ordered pairs i != j of area(i ∩ j) / area(i), / n."""
    boxes = _masked_boxes(boxes, mask)
    count = len(boxes)
    if count == 0:
        return 0.0
    left, top, right, bottom = _ltrb(boxes)
    inter = (np.clip(np.minimum(right[:, None], right[None]) - np.maximum(left[:, None], left[None]), 0, None)
             * np.clip(np.minimum(bottom[:, None], bottom[None]) - np.maximum(top[:, None], top[None]), 0, None))
    np.fill_diagonal(inter, 0.0)
    area = ((right - left) * (bottom - top))[:, None]
    ratio = np.where(area > 0, inter / np.where(area > 0, area, 1.0), 0.0)
    return float(ratio.sum() / count)


def leaf_element_boxes(elements: DecodedElements, boxes: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
    """`m 4` [0, 1] boxes of the leaf elements that have a box: the union of their member nodes' boxes."""
    unit = to_unit_boxes(boxes)
    valid = np.ones(len(unit), bool) if valid is None else np.asarray(valid, bool)
    children = elements.children()
    out = []
    for e, members in enumerate(elements.members):
        if children[e]:
            continue
        drawn = [m for m in members if valid[m]]
        if not drawn:
            continue
        left, top, right, bottom = _ltrb(unit[drawn])
        x0, y0, x1, y1 = left.min(), top.min(), right.max(), bottom.max()
        out.append(((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0))
    return np.asarray(out, dtype=np.float64).reshape(-1, 4)


# ----------------------------------------------------------------------------- per example

@dataclasses.dataclass
class _Stats:
    """What one example contributes to every aggregate."""

    nodes: int
    confusion: collections.Counter          # (true action, predicted action) -> nodes
    exact: bool
    true_elements: collections.Counter      # type -> count
    pred_elements: collections.Counter
    matched_elements: collections.Counter
    ted_raw: int
    ted: float
    props_exact: bool
    prop_nodes: int
    prop_nodes_correct: int
    repairs: dict[str, int]
    cue_nodes: int
    cue_correct: int
    node_iou: list[tuple[str, float]]       # (true action, IoU) per node with a true box
    alignment: float | None
    overlap: float | None
    alignment_true: float | None
    overlap_true: float | None


def _example_stats(result: ExampleResult, vocab: Vocabulary) -> _Stats:
    tree, true_actions, pred_actions = result.tree, result.true_actions, result.pred_actions
    true = decode_elements(tree, true_actions, vocab)
    pred = decode_elements(tree, pred_actions, vocab)
    exact = decode_layout(tree, true_actions, result.style, vocab).layout == \
        decode_layout(tree, pred_actions, result.style, vocab).layout
    true_set, pred_set = element_set(true), element_set(pred)
    ted_raw, ted = tree_edit_distance(true, pred)
    prop_nodes = [i for i, (t, p) in enumerate(zip(true_actions, pred_actions))
                  if vocab.prop_of(t) is not None or vocab.prop_of(p) is not None]
    cue_nodes = [i for i in result.visual_cue_nodes if 0 <= i < len(tree)]

    node_iou: list[tuple[str, float]] = []
    if result.true_boxes is not None and result.pred_boxes is not None:
        has_true = np.ones(len(tree), bool) if result.box_valid is None else result.box_valid
        drawn = np.ones(len(tree), bool) if result.pred_box_valid is None else result.pred_box_valid
        ious = box_iou(to_unit_boxes(result.pred_boxes), to_unit_boxes(result.true_boxes))
        node_iou = [(true_actions[i], float(ious[i]) if drawn[i] else 0.0) for i in np.flatnonzero(has_true)]

    def layout_quality(elements: DecodedElements, boxes, valid) -> tuple[float | None, float | None]:
        if boxes is None:
            return None, None
        leaves = leaf_element_boxes(elements, boxes, valid)
        return (alignment(leaves), overlap(leaves)) if len(leaves) else (None, None)

    pred_alignment, pred_overlap = layout_quality(pred, result.pred_boxes, result.pred_box_valid)
    true_alignment, true_overlap = layout_quality(true, result.true_boxes, result.box_valid)
    return _Stats(
        nodes=len(tree), confusion=collections.Counter(zip(true_actions, pred_actions)), exact=exact,
        true_elements=collections.Counter(t for t, _ in true_set),
        pred_elements=collections.Counter(t for t, _ in pred_set),
        matched_elements=collections.Counter(t for t, _ in true_set & pred_set),
        ted_raw=ted_raw, ted=ted, props_exact=dict(true.props) == dict(pred.props),
        prop_nodes=len(prop_nodes), prop_nodes_correct=sum(true_actions[i] == pred_actions[i] for i in prop_nodes),
        repairs=dict(pred.repairs), cue_nodes=len(cue_nodes),
        cue_correct=sum(true_actions[i] == pred_actions[i] for i in cue_nodes), node_iou=node_iou,
        alignment=pred_alignment, overlap=pred_overlap, alignment_true=true_alignment, overlap_true=true_overlap)


# ----------------------------------------------------------------------------- aggregates

def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator) / float(denominator) if denominator else None


def _f1(matched: int, true: int, predicted: int) -> float | None:
    return _ratio(2 * matched, true + predicted)


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def _ordered(labels: set[str], vocab: Vocabulary) -> list[str]:
    known = [a for a in vocab.actions if a in labels]
    return known + sorted(labels - set(known))


def _aggregate(stats: Sequence[_Stats], vocab: Vocabulary, details: bool) -> dict[str, Any]:
    confusion: collections.Counter = collections.Counter()
    true_elements: collections.Counter = collections.Counter()
    pred_elements: collections.Counter = collections.Counter()
    matched_elements: collections.Counter = collections.Counter()
    repairs: collections.Counter = collections.Counter()
    for s in stats:
        confusion.update(s.confusion)
        true_elements.update(s.true_elements)
        pred_elements.update(s.pred_elements)
        matched_elements.update(s.matched_elements)
        repairs.update(s.repairs)
    nodes = sum(s.nodes for s in stats)
    support: collections.Counter = collections.Counter()
    predicted: collections.Counter = collections.Counter()
    correct: collections.Counter = collections.Counter()
    for (t, p), count in confusion.items():
        support[t] += count
        predicted[p] += count
        if t == p:
            correct[t] += count
    classes = _ordered(set(support) | set(predicted), vocab)
    matched, n_true, n_pred = (sum(c.values()) for c in (matched_elements, true_elements, pred_elements))
    precision, recall = _ratio(matched, n_pred), _ratio(matched, n_true)
    ious = [iou for s in stats for _, iou in s.node_iou]
    out: dict[str, Any] = {
        "examples": len(stats),
        "nodes": nodes,
        "exact_match": _ratio(sum(s.exact for s in stats), len(stats)),
        "node_action_accuracy": _ratio(sum(correct.values()), nodes),
        "macro_f1": _mean([_f1(correct[c], support[c], predicted[c]) for c in classes]),
        "element_precision": precision,
        "element_recall": recall,
        "element_f1": _f1(matched, n_true, n_pred),
        "tree_edit_distance": _mean([s.ted for s in stats]),
        "tree_edit_distance_raw": _mean([s.ted_raw for s in stats]),
        "props_exact": _ratio(sum(s.props_exact for s in stats), len(stats)),
        "props_node_accuracy": _ratio(sum(s.prop_nodes_correct for s in stats), sum(s.prop_nodes for s in stats)),
        "repair_rate": _ratio(sum(bool(s.repairs) for s in stats), len(stats)),
        "repairs_per_example": _ratio(sum(sum(s.repairs.values()) for s in stats), len(stats)),
        "visual_cue_node_accuracy": _ratio(sum(s.cue_correct for s in stats), sum(s.cue_nodes for s in stats)),
        "box_miou": _mean(ious),
        "box_nodes": len(ious),
        "alignment": _mean([s.alignment for s in stats]),
        "overlap": _mean([s.overlap for s in stats]),
        "alignment_true": _mean([s.alignment_true for s in stats]),
        "overlap_true": _mean([s.overlap_true for s in stats]),
        "repairs": dict(sorted(repairs.items())),
    }
    if not details:
        return out
    out["per_action"] = {
        c: {"support": support[c], "predicted": predicted[c], "correct": correct[c],
            "precision": _ratio(correct[c], predicted[c]), "recall": _ratio(correct[c], support[c]),
            "f1": _f1(correct[c], support[c], predicted[c])}
        for c in classes}
    type_ious: dict[str, list[float]] = collections.defaultdict(list)
    for s in stats:
        for action, iou in s.node_iou:
            type_ious[action].append(iou)
    types = [t for t in _ordered(set(true_elements) | set(pred_elements) | set(support) | set(predicted), vocab)
             if vocab.is_type(t) or t in true_elements or t in pred_elements]
    out["per_type"] = {
        t: {"true_elements": true_elements[t], "pred_elements": pred_elements[t],
            "matched_elements": matched_elements[t],
            "element_precision": _ratio(matched_elements[t], pred_elements[t]),
            "element_recall": _ratio(matched_elements[t], true_elements[t]),
            "element_f1": _f1(matched_elements[t], true_elements[t], pred_elements[t]),
            "true_nodes": support[t], "pred_nodes": predicted[t],
            "node_recall": _ratio(correct[t], support[t]), "node_precision": _ratio(correct[t], predicted[t]),
            "box_miou": _mean(type_ious.get(t, []))}
        for t in types}
    out["confusion"] = {"labels": classes,
                        "matrix": [[confusion[(t, p)] for p in classes] for t in classes]}
    return out


def default_subsets(results: Sequence[ExampleResult]) -> dict[str, Callable[[ExampleResult], bool]]:
    """Examples with / without visual cues, one subset per category, one per flag."""
    subsets: dict[str, Callable[[ExampleResult], bool]] = {
        "visual_cues": lambda r: r.has_visual_cues,
        "no_visual_cues": lambda r: not r.has_visual_cues,
    }
    for category in sorted({r.category for r in results if r.category}):
        subsets[f"category={category}"] = lambda r, c=category: r.category == c
    for flag in sorted({f for r in results for f in r.flags}):
        subsets[flag] = lambda r, f=flag: f in r.flags
    return subsets


def score(results: Sequence[ExampleResult], vocab: Vocabulary = DEFAULT_VOCAB,
          subsets: Mapping[str, Callable[[ExampleResult], bool]] | None = None) -> dict[str, Any]:
    """Every metric of the module docstring over `results`, as a JSON-ready dict.

    Top level: the headline numbers (`HEADLINE_KEYS`), `repairs` by kind,
    `per_action`, `per_type`, `confusion` (`labels`, `matrix[true][predicted]`
    node counts) and `subsets` (name -> headline numbers over the examples it
    selects; `default_subsets` when None, empty subsets left out). A metric
    without data (no boxes, no prop nodes) is None.
    """
    results = list(results)
    stats = [_example_stats(r, vocab) for r in results]
    out = _aggregate(stats, vocab, details=True)
    chosen = default_subsets(results) if subsets is None else subsets
    out["subsets"] = {}
    for name, selects in chosen.items():
        picked = [s for r, s in zip(results, stats) if selects(r)]
        if picked:
            out["subsets"][name] = _aggregate(picked, vocab, details=False)
    return out
