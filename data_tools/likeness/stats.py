"""Html-object statistics of a set of sections, and the distance of each between two sets.

Pure functions: an html object (DATA_FORMAT §1.1) in, numbers out. Per-node
statistics pool the nodes of every section of a set, so large sections weigh more.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.stats

from dlt_jax.layout.html import parse_html

NUMERIC, CATEGORICAL, SHARE = "numeric", "categorical", "share"
DISTANCE_NAMES = {NUMERIC: "W1/σ_real", CATEGORICAL: "TV", SHARE: "|Δ|"}


@dataclasses.dataclass(frozen=True)
class SectionStats:
    """What the statistics need from one section: one entry per element node, in preorder."""

    tags: tuple[str, ...]
    depths: tuple[int, ...]            # 0 for a top-level node
    class_counts: tuple[int, ...]
    content_kinds: tuple[tuple[str, ...], ...]  # the content keys each node carries, no repeats

    @property
    def node_count(self) -> int:
        return len(self.tags)

    @property
    def max_depth(self) -> int:
        return max(self.depths, default=0)


def section_stats(html: Any) -> SectionStats:
    """Statistics of one html object; tags are compared lower-cased (DOM `localName` is)."""
    tree = parse_html(html)
    return SectionStats(tags=tuple(node.tag.lower() for node in tree.nodes),
                        depths=tuple(node.depth for node in tree.nodes),
                        class_counts=tuple(len(node.classes) for node in tree.nodes),
                        content_kinds=tuple(node.content_kinds for node in tree.nodes))


# --- distances ---------------------------------------------------------------------

def wasserstein1(a: Sequence[float], b: Sequence[float]) -> float:
    """1-Wasserstein distance of two empirical 1-D distributions, ∫|F_a(x) - F_b(x)| dx (scipy's)."""
    if not len(a) or not len(b):
        raise ValueError("wasserstein1 needs two non-empty samples")
    return float(scipy.stats.wasserstein_distance(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)))


def scaled_wasserstein(real: Sequence[float], generated: Sequence[float]) -> float:
    """W1 in units of the real set's standard deviation (1 when the real values are all equal).

    Scale-free, 0 for equal distributions; 1 means the generated mass sits on
    average one real standard deviation away, e.g. a shift of the mean by σ.
    """
    spread = float(np.std(np.asarray(real, dtype=np.float64)))
    return wasserstein1(real, generated) / (spread if spread > 0 else 1.0)


def total_variation(p: collections.Counter, q: collections.Counter) -> float:
    """Total-variation distance of two categorical counts: half the L1 distance of their shares, in [0, 1]."""
    total_p, total_q = sum(p.values()), sum(q.values())
    if not total_p or not total_q:
        raise ValueError("total_variation needs two non-empty counts")
    return 0.5 * sum(abs(p[k] / total_p - q[k] / total_q) for k in set(p) | set(q))


def share_difference(real: tuple[int, int], generated: tuple[int, int]) -> float:
    """Absolute difference of two shares given as (hits, total)."""
    return abs(share(real) - share(generated))


def share(hits_total: tuple[int, int]) -> float:
    hits, total = hits_total
    if not total:
        raise ValueError("a share of nothing")
    return hits / total


# --- the statistics ------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Statistic:
    """One compared statistic: its kind decides the distance (numeric W1/σ, categorical TV, share |Δ|)."""

    name: str
    kind: str
    description: str
    values: Callable[[Sequence[SectionStats]], Any]  # numbers, a Counter, or (hits, total)


def _per_node(field: str) -> Callable[[Sequence[SectionStats]], list[int]]:
    return lambda sections: [v for s in sections for v in getattr(s, field)]


def _node_share(is_hit: Callable[[SectionStats, int], bool]) -> Callable[[Sequence[SectionStats]], tuple[int, int]]:
    return lambda sections: (sum(is_hit(s, i) for s in sections for i in range(s.node_count)),
                             sum(s.node_count for s in sections))


STATISTICS = (
    Statistic("node_count", NUMERIC, "element nodes per section",
              lambda sections: [s.node_count for s in sections]),
    Statistic("max_depth", NUMERIC, "deepest node of a section (top-level node = 0)",
              lambda sections: [s.max_depth for s in sections]),
    Statistic("depth", NUMERIC, "depth of every node (pooled over sections)", _per_node("depths")),
    Statistic("classes_per_node", NUMERIC, "classes of every node (pooled)", _per_node("class_counts")),
    Statistic("tags", CATEGORICAL, "tag of every node (pooled)",
              lambda sections: collections.Counter(_per_node("tags")(sections))),
    Statistic("content_kinds", CATEGORICAL, "content keys carried, one count per node and kind (pooled)",
              lambda sections: collections.Counter(k for s in sections for kinds in s.content_kinds for k in kinds)),
    Statistic("classless_share", SHARE, "nodes without any class",
              _node_share(lambda s, i: s.class_counts[i] == 0)),
    Statistic("contentless_share", SHARE, "nodes without any content key (pure structure)",
              _node_share(lambda s, i: not s.content_kinds[i])),
    Statistic("a_share", SHARE, "nodes that are links (`a`)", _node_share(lambda s, i: s.tags[i] == "a")),
)


def distance(kind: str, real: Any, generated: Any) -> float:
    if kind == NUMERIC:
        return scaled_wasserstein(real, generated)
    if kind == CATEGORICAL:
        return total_variation(real, generated)
    return share_difference(real, generated)


def summarize(kind: str, values: Any, top: int = 30) -> dict[str, Any]:
    """A JSON-ready summary of one side of a statistic."""
    if kind == NUMERIC:
        array = np.asarray(values, dtype=np.float64)
        return {"n": int(len(array)), "mean": round(float(array.mean()), 3), "std": round(float(array.std()), 3),
                "median": float(np.median(array)), "p10": float(np.percentile(array, 10)),
                "p90": float(np.percentile(array, 90)), "min": float(array.min()), "max": float(array.max())}
    if kind == CATEGORICAL:
        total = sum(values.values())
        return {"n": total, "shares": {k: round(v / total, 4) for k, v in values.most_common(top)}}
    hits, total = values
    return {"hits": hits, "n": total, "share": round(hits / total, 4)}


def short_summary(kind: str, summary: dict[str, Any], top: int = 4) -> str:
    """One table cell: mean/median/p90, the top categories, or the share."""
    if kind == NUMERIC:
        return f"mean {summary['mean']:.3g}, median {summary['median']:.3g}, p90 {summary['p90']:.3g}"
    if kind == CATEGORICAL:
        return ", ".join(f"{k} {v:.0%}" for k, v in list(summary["shares"].items())[:top])
    return f"{summary['share']:.1%}"


def compare(real: Sequence[SectionStats], generated: Sequence[SectionStats]) -> list[dict[str, Any]]:
    """Every statistic of STATISTICS for both sets, with its distance (rounded to 4 places)."""
    if not real or not generated:
        raise ValueError(f"compare needs sections on both sides (real {len(real)}, generated {len(generated)})")
    rows = []
    for statistic in STATISTICS:
        real_values, generated_values = statistic.values(real), statistic.values(generated)
        rows.append({"statistic": statistic.name, "kind": statistic.kind, "description": statistic.description,
                     "distance_name": DISTANCE_NAMES[statistic.kind],
                     "distance": round(distance(statistic.kind, real_values, generated_values), 4),
                     "real": summarize(statistic.kind, real_values),
                     "generated": summarize(statistic.kind, generated_values)})
    return rows
