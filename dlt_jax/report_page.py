"""A static report page of predicted layouts: each section's screenshot with its element boxes, beside the tree.

`section_view(...)` turns one section's prediction (and, in evaluation, its truth) into plain JSON data;
`write_report_page(out_dir, views)` writes `out_dir/index.html`: one self-contained file (inline CSS and JS,
the data embedded as JSON) that works offline from file:// and requests nothing but its own images.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dlt_jax import viz
from dlt_jax.layout import DEFAULT_STYLE, DEFAULT_VOCAB, HtmlTree, OutputStyle, Vocabulary
from dlt_jax.layout.codec import DecodedElements, decode_elements

REPORT_PAGE = "index.html"
DIGITS = 4  # floats in the page data are rounded to this many decimals


def type_colour(element_type: str, vocab: Vocabulary = DEFAULT_VOCAB) -> str:
    """The `#rrggbb` colour of an element type: the one `viz.draw_example` draws it with."""
    return "#{:02x}{:02x}{:02x}".format(*viz.action_colour(vocab.action_id(element_type), vocab))


def section_view(section_id: str, tree: HtmlTree, actions: Sequence[str], probabilities: Sequence[float],
                 boxes: Sequence[Sequence[float]], box_valid: Sequence[bool], *, screenshot: str,
                 size: tuple[int, int], files: Mapping[str, str] | None = None, vocab: Vocabulary = DEFAULT_VOCAB,
                 style: OutputStyle = DEFAULT_STYLE, truth_actions: Sequence[str] | None = None,
                 note: str = "") -> dict[str, Any]:
    """One section's data for the page: elements (type, @-key, member nodes, box, confidence, parent), props, and
    with truth_actions the truth elements and which predictions are wrong.

    `boxes` are per-node `[x, y, w, h]` in screenshot pixels; a node's box counts only where `box_valid` is
    True, it has an area and some of it lies inside the `size = (width, height)` screenshot (it is clipped to
    it). An element's box is the union of its members' boxes (None without any), its confidence the minimum
    of its members' probabilities. With `truth_actions`, a predicted element whose (type, member nodes) is not
    a truth element is `mismatch`, and a truth element that was not predicted is `missed`.
    """
    where = f"section {section_id!r}"
    for name, values in (("actions", actions), ("probabilities", probabilities), ("boxes", boxes),
                         ("box_valid", box_valid)):
        if len(values) != len(tree):
            raise ValueError(f"{where}: {name} has {len(values)} entries for {len(tree)} html nodes; "
                             "give one per node, in preorder")
    if truth_actions is not None and len(truth_actions) != len(tree):
        raise ValueError(f"{where}: truth_actions has {len(truth_actions)} entries for {len(tree)} html nodes")
    width, height = (int(v) for v in size)
    if width <= 0 or height <= 0:
        raise ValueError(f"{where}: screenshot size must be positive (width, height), got {tuple(size)}")

    node_boxes = [_node_box(box, valid, width, height) for box, valid in zip(boxes, box_valid)]
    node_confidence = [_rounded(p) for p in probabilities]
    predicted = decode_elements(tree, actions, vocab)
    view: dict[str, Any] = {
        "id": str(section_id),
        "note": str(note),
        "screenshot": str(screenshot),
        "size": [width, height],
        "files": {str(label): str(path) for label, path in (files or {}).items()},
        "style": style.name,
        "nodes": len(tree),
        "elements": _elements(tree, predicted, node_boxes, node_confidence, style, vocab),
        "props": _props(tree, predicted, node_boxes, node_confidence, style),
        "counts": _type_counts(predicted.types),
        "repairs": {str(k): int(v) for k, v in predicted.repairs.items()},
        "truth": None,
    }
    if truth_actions is not None:
        truth = decode_elements(tree, truth_actions, vocab)
        truth_elements = _elements(tree, truth, node_boxes, None, style, vocab)
        truth_props = _props(tree, truth, node_boxes, None, style)
        _mark_differences(view["elements"], truth_elements, "mismatch")
        _mark_differences(truth_elements, view["elements"], "missed")
        for prop in view["props"]:
            prop["mismatch"] = truth.props.get(prop["name"]) != prop["node"]
        for prop in truth_props:
            prop["missed"] = predicted.props.get(prop["name"]) != prop["node"]
        view["truth"] = {"elements": truth_elements, "props": truth_props, "counts": _type_counts(truth.types)}
        view["mismatches"] = sum(e["mismatch"] for e in view["elements"]) + sum(p["mismatch"] for p in view["props"])
        view["missed"] = sum(e["missed"] for e in truth_elements) + sum(p["missed"] for p in truth_props)
    return view


def write_report_page(out_dir: str | Path, sections: Sequence[Mapping[str, Any]], *, title: str = "dlt_jax layouts",
                      low_confidence: float = 0.5, meta: Mapping[str, Any] | None = None) -> Path:
    """Writes out_dir/index.html for the given section views; returns its path.

    Paths in the views (screenshot, files) are relative to `out_dir`. An element whose confidence is below
    `low_confidence` is flagged `low`. `meta` (weights, step, command, ...) is listed in the page header.
    """
    flagged = [_flag_low(section, i, low_confidence) for i, section in enumerate(sections)]
    data = {
        "title": str(title),
        "low_confidence": float(low_confidence),
        "meta": {str(k): _meta_value(v) for k, v in (meta or {}).items()},
        "legend": _legend(flagged),
        "sections": flagged,
    }
    try:
        payload = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_plain)
    except ValueError as error:
        raise ValueError(f"report page data must be finite JSON (no NaN or infinity): {error}") from None
    before, after = _PAGE.split("@@DATA@@")
    page = before.replace("@@TITLE@@", html.escape(str(title))) + _script_safe(payload) + after
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REPORT_PAGE
    path.write_text(page, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- data

def _rounded(value: Any) -> float | None:
    value = float(value)
    return round(value, DIGITS) if math.isfinite(value) else None


def _node_box(box: Sequence[float], valid: bool, width: int, height: int) -> tuple[float, ...] | None:
    """`(x0, y0, x1, y1)` of one node's box clipped to the screenshot, or None where it has none."""
    if not bool(valid):
        return None
    x, y, w, h = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        return None
    x0, y0, x1, y1 = max(x, 0.0), max(y, 0.0), min(x + w, float(width)), min(y + h, float(height))
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _union(corners: Sequence[tuple[float, ...] | None]) -> list[float] | None:
    """`[x, y, w, h]` around the given corner boxes, ignoring None; None when all are."""
    real = [c for c in corners if c is not None]
    if not real:
        return None
    x0, y0 = min(c[0] for c in real), min(c[1] for c in real)
    x1, y1 = max(c[2] for c in real), max(c[3] for c in real)
    return [_rounded(x0), _rounded(y0), _rounded(x1 - x0), _rounded(y1 - y0)]


def _elements(tree: HtmlTree, decoded: DecodedElements, node_boxes: Sequence[tuple[float, ...] | None],
              node_confidence: Sequence[float | None] | None, style: OutputStyle,
              vocab: Vocabulary) -> list[dict[str, Any]]:
    depths: list[int] = []
    elements = []
    for index, (element_type, members, parent) in enumerate(zip(decoded.types, decoded.members, decoded.parents)):
        depths.append(0 if parent is None else depths[parent] + 1)  # a parent is always opened first
        confidence = None
        if node_confidence is not None:
            known = [node_confidence[m] for m in members if node_confidence[m] is not None]
            confidence = min(known) if known else None
        elements.append({
            "index": index,
            "type": element_type,
            "key": style.element_key(element_type, tree, members),
            "members": list(members),
            "parent": parent,
            "depth": depths[-1],
            "box": _union([node_boxes[m] for m in members]),
            "confidence": confidence,
            "colour": type_colour(element_type, vocab),
        })
    return elements


def _props(tree: HtmlTree, decoded: DecodedElements, node_boxes: Sequence[tuple[float, ...] | None],
           node_confidence: Sequence[float | None] | None, style: OutputStyle) -> list[dict[str, Any]]:
    return [{"name": name, "node": node, "key": style.spell(tree, node), "box": _union([node_boxes[node]]),
             "confidence": None if node_confidence is None else node_confidence[node]}
            for name, node in decoded.props.items()]


def _type_counts(types: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for element_type in types:
        counts[element_type] = counts.get(element_type, 0) + 1
    return counts


def _mark_differences(elements: list[dict[str, Any]], others: Sequence[Mapping[str, Any]], flag: str) -> None:
    """Sets `flag` on each element whose (type, member nodes) is not among `others`, and `match` to the index
    of the one it equals (None if none)."""
    index_of = {(o["type"], tuple(o["members"])): o["index"] for o in others}
    for element in elements:
        match = index_of.get((element["type"], tuple(element["members"])))
        element["match"] = match
        element[flag] = match is None


def _flag_low(section: Mapping[str, Any], position: int, low_confidence: float) -> dict[str, Any]:
    """A copy of one section view with `low` set on each predicted element (the input is left as it is)."""
    missing = [k for k in ("id", "screenshot", "size", "elements") if k not in section]
    if missing:
        raise ValueError(f"section {position}: missing {', '.join(missing)}; build sections with section_view()")
    copy = dict(section)
    copy["elements"] = [dict(e, low=e.get("confidence") is not None and e["confidence"] < low_confidence)
                        for e in section["elements"]]
    copy["low"] = sum(e["low"] for e in copy["elements"])
    return copy


def _legend(sections: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Colour of every element type on the page, in order of first use."""
    legend: dict[str, str] = {}
    for section in sections:
        truth = section.get("truth") or {}
        for element in list(section["elements"]) + list(truth.get("elements", [])):
            legend.setdefault(element["type"], element.get("colour", "#888888"))
    return legend


def _meta_value(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as plain JSON values; anything else is an error naming its type."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"report page data holds a {type(value).__name__} ({value!r}), which is not JSON")


def _script_safe(payload: str) -> str:
    """JSON text that cannot end its <script> element early (`</script>`, `<!--`): `<`, `>` and `&` only occur
    inside JSON strings, where their \\u escapes mean the same."""
    return payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# ----------------------------------------------------------------------------- the page

_CSS = """
:root { --ink: #1f2633; --muted: #687285; --line: #dbe0e8; --bg: #f4f5f7; --lit: #fff1b8; --bad: #c62828; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
       background: var(--bg); }
code { font: 12px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; }
.top { background: #fff; border-bottom: 1px solid var(--line); padding: 14px 24px; }
.top h1 { margin: 0 0 6px; font-size: 20px; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; overflow-wrap: anywhere; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 12px; margin: 8px 0 4px; padding: 0; list-style: none; }
.legend li { display: flex; align-items: center; gap: 4px; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; background: var(--c);
          flex: none; }
.stats, .summary, .note, .dim { color: var(--muted); }
.controls { display: flex; gap: 12px; align-items: center; margin-top: 6px; }
.cards { padding: 4px 0 24px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; margin: 14px 24px;
        padding: 10px 14px 14px; }
.card[hidden] { display: none; }
.card { content-visibility: auto; contain-intrinsic-size: auto 520px; }  /* many sections: lay out what is seen */
.card-head h2 { display: inline; margin: 0 8px 0 0; font-size: 16px; overflow-wrap: anywhere; }
.summary { margin: 2px 0 4px; }
.files { display: flex; flex-wrap: wrap; gap: 4px 12px; margin-bottom: 8px; }
.card-body { display: flex; gap: 16px; align-items: flex-start; }
.shot { flex: 0 0 60%; max-width: 60%; }
.frame { position: relative; max-width: 100%; background: #e9ebef; overflow: hidden; }
.frame img { position: absolute; inset: 0; width: 100%; height: 100%; display: block; }
.box { position: absolute; border: 2px solid var(--c); cursor: pointer; }
.box.low { border-style: dashed; }
.box.mismatch { box-shadow: inset 0 0 0 1px var(--bad); }
.box:hover, .box.hot { background: color-mix(in srgb, var(--c) 16%, transparent); }
.box.lit { border-width: 3px; background: color-mix(in srgb, var(--c) 28%, transparent);
           outline: 2px solid #111; outline-offset: -5px; }
.box.lit::before { content: attr(data-type); position: absolute; left: 0; top: 0; padding: 0 4px;
                   font-size: 11px; color: #fff; background: var(--c); pointer-events: none; }
.box[data-kind="truth"], .show-truth .box[data-kind="pred"] { display: none; }
.show-truth .box[data-kind="truth"] { display: block; }
.side { flex: 1 1 0; min-width: 0; }
.trees { display: flex; flex-wrap: wrap; gap: 10px 16px; }
.tree { flex: 1 1 240px; min-width: 0; }
.judged .shot { flex-basis: 50%; max-width: 50%; }
.tree h3, .props h3 { margin: 0 0 4px; font-size: 13px; color: var(--muted); font-weight: 600; }
.kids { margin-left: 9px; padding-left: 6px; border-left: 1px dotted #b7bfcc; }
summary { list-style: none; }
summary::-webkit-details-marker { display: none; }
.row { display: flex; flex-wrap: wrap; gap: 0 5px; align-items: baseline; padding: 1px 4px; border-radius: 4px; cursor: pointer; }
.row:hover { background: #f0f3f8; }
.row.lit { background: var(--lit); outline: 1px solid #d9b300; }
.row .type { font-weight: 600; white-space: nowrap; }
.row .key { overflow-wrap: anywhere; min-width: 0; color: #394150; }
.row .conf { margin-left: auto; white-space: nowrap; color: var(--muted); font-variant-numeric: tabular-nums; }
.row.low .conf { color: #b45309; font-weight: 600; }
.row.mismatch, .row.missed { background: #fdecec; }
.row.mismatch.lit, .row.missed.lit { background: var(--lit); }
.mark { color: var(--bad); font-weight: 700; white-space: nowrap; }
.warn { color: #b45309; }
.twisty { display: inline-block; width: 1em; flex: none; color: var(--muted); transition: transform .1s; }
details[open] > summary .twisty { transform: rotate(90deg); }
.props { margin-top: 8px; }
.props ul { margin: 0; padding-left: 18px; }
.props li.mismatch, .props li.missed { color: var(--bad); }
button { font: inherit; padding: 1px 8px; }
#tip { position: fixed; z-index: 10000; max-width: 420px; padding: 6px 8px; border-radius: 6px; background: #1f2633;
       color: #fff; font-size: 12px; pointer-events: none; box-shadow: 0 2px 8px rgba(0, 0, 0, .25); }
#tip[hidden] { display: none; }
#tip code { color: #ffe08a; overflow-wrap: anywhere; }
#tip .tip-type { font-weight: 700; }
@media (max-width: 900px) { .card-body { flex-direction: column; } .shot { flex: none; max-width: 100%; width: 100%; } }
"""

_JS = r"""
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const LOW = data.low_confidence;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }
  const fmt = (c) => (c === null || c === undefined) ? "–" : c.toFixed(3);
  const href = (path) => String(path).split("/").map(encodeURIComponent).join("/");
  const pct = (value, total) => (100 * value / total).toFixed(4) + "%";
  const plural = (n, word) => n + " " + word + (n === 1 ? "" : "s");

  // --- header
  function header() {
    const top = el("header", {class: "top"}, el("h1", {text: data.title}));
    const entries = Object.entries(data.meta);
    if (entries.length) {
      const dl = el("dl", {class: "meta"});
      for (const [k, v] of entries) dl.append(el("dt", {text: k}), el("dd", {text: v === null ? "–" : String(v)}));
      top.append(dl);
    }
    const legend = el("ul", {class: "legend", "aria-label": "element types"});
    for (const [type, colour] of Object.entries(data.legend)) {
      const swatch = el("span", {class: "swatch"});
      swatch.style.setProperty("--c", colour);
      legend.append(el("li", {"data-type": type}, swatch, type));
    }
    top.append(legend);
    const sections = data.sections;
    const elements = sections.reduce((n, s) => n + s.elements.length, 0);
    const low = sections.reduce((n, s) => n + s.low, 0);
    let stats = plural(sections.length, "section") + " · " + plural(elements, "element") + " · " +
      low + " low-confidence (⚠ below " + LOW + ")";
    const judged = sections.filter((s) => s.truth);
    if (judged.length) {
      stats += " · " + judged.reduce((n, s) => n + s.mismatches, 0) + " wrong, " +
        judged.reduce((n, s) => n + s.missed, 0) + " missed (" + judged.length + " with truth)";
    }
    top.append(el("div", {class: "stats", text: stats}));
    const filter = el("input", {type: "search", placeholder: "filter by section id", "aria-label": "filter"});
    const flagged = el("input", {type: "checkbox"});
    const apply = () => {
      const text = filter.value.toLowerCase();
      for (const card of document.querySelectorAll(".card")) {
        const show = card.dataset.section.toLowerCase().includes(text) &&
          (!flagged.checked || card.dataset.flagged === "1");
        card.hidden = !show;
      }
    };
    filter.addEventListener("input", apply);
    flagged.addEventListener("change", apply);
    top.append(el("div", {class: "controls"}, filter,
      el("label", {}, flagged, " only sections with low-confidence or wrong elements")));
    return top;
  }

  // --- one card
  function boxNode(element, kind, size, z) {
    const box = el("div", {class: "box" + (element.low ? " low" : "") + (element.mismatch ? " mismatch" : "") +
                                    (element.missed ? " missed" : ""),
                           "data-element": element.index, "data-kind": kind, "data-type": element.type});
    const [x, y, w, h] = element.box;
    box.style.left = pct(x, size[0]);
    box.style.top = pct(y, size[1]);
    box.style.width = pct(w, size[0]);
    box.style.height = pct(h, size[1]);
    box.style.zIndex = String(z);
    box.style.setProperty("--c", element.colour);
    return box;
  }

  function frame(section) {
    const [width, height] = section.size;
    const holder = el("div", {class: "frame"});
    holder.style.width = "min(100%, " + width + "px)";
    holder.style.aspectRatio = width + " / " + height;
    holder.append(el("img", {src: href(section.screenshot), alt: "screenshot of " + section.id, loading: "lazy"}));
    const layers = [["pred", section.elements]];
    if (section.truth) layers.push(["truth", section.truth.elements]);
    for (const [kind, elements] of layers) {
      // deeper elements on top, and among equals the smaller one, so every box can be hovered
      const order = elements.filter((e) => e.box).sort((a, b) =>
        (a.depth - b.depth) || (b.box[2] * b.box[3] - a.box[2] * a.box[3]));
      order.forEach((element, rank) => holder.append(boxNode(element, kind, section.size, rank + 1)));
    }
    return holder;
  }

  function row(element, kind, branch) {
    const attrs = {class: "row" + (element.low ? " low" : "") + (element.mismatch ? " mismatch" : "") +
                          (element.missed ? " missed" : "") + (element.box ? "" : " nobox"),
                   "data-element": element.index, "data-kind": kind};
    const node = el(branch ? "summary" : "div", attrs);
    if (!branch) node.tabIndex = 0;
    const swatch = el("span", {class: "swatch"});
    swatch.style.setProperty("--c", element.colour);
    node.append(el("span", {class: "twisty", text: branch ? "▸" : ""}), swatch,
                el("span", {class: "type", text: element.type}), el("code", {class: "key", text: element.key}));
    if (!element.box) node.append(el("span", {class: "dim", text: "no box"}));
    if (element.mismatch) node.append(el("span", {class: "mark", title: "not a truth element", text: "✗ wrong"}));
    if (element.missed) node.append(el("span", {class: "mark", title: "not predicted", text: "✗ missed"}));
    if (element.low) node.append(el("span", {class: "warn", title: "confidence below " + LOW, text: "⚠"}));
    if (kind === "pred") node.append(el("span", {class: "conf", text: fmt(element.confidence)}));
    return node;
  }

  function tree(elements, kind, label) {
    const children = elements.map(() => []);
    const roots = [];
    for (const e of elements) (e.parent === null ? roots : children[e.parent]).push(e);
    const build = (e) => {
      if (!children[e.index].length) return row(e, kind, false);
      const kids = el("div", {class: "kids"}, ...children[e.index].map(build));
      return el("details", {open: true, "data-branch": e.index}, row(e, kind, true), kids);
    };
    return el("section", {class: "tree", "data-kind": kind}, el("h3", {text: label}), ...roots.map(build));
  }

  function props(section) {
    const lists = [["predicted", section.props, "pred"]];
    if (section.truth) lists.push(["truth", section.truth.props, "truth"]);
    const holder = el("div", {class: "props"}, el("h3", {text: "props"}));
    for (const [label, items, kind] of lists) {
      const list = el("ul", {"data-kind": kind});
      for (const p of items) {
        const mark = p.mismatch ? " ✗ wrong" : p.missed ? " ✗ missed" : "";
        list.append(el("li", {class: p.mismatch ? "mismatch" : p.missed ? "missed" : ""},
                       (section.truth ? label + " " : "") + p.name + ": ", el("code", {text: p.key}),
                       kind === "pred" ? " " + fmt(p.confidence) : "", mark));
      }
      if (!items.length) list.append(el("li", {class: "dim", text: (section.truth ? label + ": " : "") + "none"}));
      holder.append(list);
    }
    return holder;
  }

  function summary(section) {
    const counts = Object.entries(section.counts).map(([t, n]) => t + " " + n).join(", ");
    const parts = [plural(section.nodes, "html node"), plural(section.elements.length, "element") +
                   (counts ? " (" + counts + ")" : ""), section.low + " low-confidence"];
    const repairs = Object.entries(section.repairs || {});
    if (repairs.length) parts.push("repairs: " + repairs.map(([k, n]) => k + " " + n).join(", "));
    if (section.truth) {
      parts.push(section.mismatches + " wrong, " + section.missed + " missed of " +
                 plural(section.truth.elements.length, "truth element"));
    }
    return parts.join(" · ");
  }

  function card(section) {
    const flagged = section.low > 0 || (section.truth && (section.mismatches > 0 || section.missed > 0));
    const node = el("article", {class: "card", "data-section": section.id, "data-flagged": flagged ? "1" : "0"});
    const head = el("div", {class: "card-head"}, el("h2", {text: section.id}));
    if (section.note) head.append(el("span", {class: "note", text: section.note}));
    head.append(el("div", {class: "summary", text: summary(section)}));
    const files = el("nav", {class: "files"});
    for (const [label, path] of Object.entries(section.files || {})) {
      files.append(el("a", {href: href(path), text: label}));
    }
    files.append(el("button", {type: "button", class: "fold", "data-open": "0", text: "collapse all"}));
    if (section.truth) {
      files.append(el("button", {type: "button", class: "toggle-truth", "aria-pressed": "false",
                                 text: "show truth boxes"}));
    }
    head.append(files);
    if (section.truth) node.classList.add("judged");
    const trees = el("div", {class: "trees"}, tree(section.elements, "pred", section.truth ? "prediction" : "layout"));
    if (section.truth) trees.append(tree(section.truth.elements, "truth", "truth"));
    node.append(head, el("div", {class: "card-body"}, el("div", {class: "shot"}, frame(section)),
                         el("div", {class: "side"}, trees, props(section))));
    return node;
  }

  // --- interaction
  function showTruth(card, on) {
    const button = card.querySelector(".toggle-truth");
    if (!button) return;
    card.classList.toggle("show-truth", on);
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "show predicted boxes" : "show truth boxes";
  }

  function select(card, kind, index, from) {
    for (const lit of card.querySelectorAll(".lit")) lit.classList.remove("lit");
    const which = '[data-kind="' + kind + '"][data-element="' + index + '"]';
    const box = card.querySelector(".box" + which);
    const row = card.querySelector(".row" + which);
    showTruth(card, kind === "truth");
    if (box) box.classList.add("lit");
    if (row) {
      row.classList.add("lit");
      const own = row.tagName === "SUMMARY" ? row.parentElement : null;
      for (let d = (own || row).parentElement.closest("details"); d; d = d.parentElement.closest("details")) {
        d.open = true;
      }
    }
    if (from === "row" && box) box.scrollIntoView({block: "nearest", inline: "nearest"});
    if (from === "box" && row) row.scrollIntoView({block: "nearest", inline: "nearest"});
  }

  const tip = el("div", {id: "tip", role: "tooltip", hidden: true});
  function showTip(box, event) {
    const card = box.closest(".card");
    const section = sectionsById.get(card.dataset.section);
    const elements = box.dataset.kind === "truth" ? section.truth.elements : section.elements;
    const e = elements[Number(box.dataset.element)];
    tip.replaceChildren(
      el("div", {}, el("span", {class: "tip-type", text: e.type}), box.dataset.kind === "truth" ? " (truth)" : ""),
      el("div", {}, el("code", {text: e.key})),
      el("div", {text: box.dataset.kind === "truth" ? "truth element" : "confidence " + fmt(e.confidence) +
                 (e.low ? " ⚠ low" : "")}));
    if (e.mismatch) tip.append(el("div", {text: "✗ not a truth element"}));
    if (e.missed) tip.append(el("div", {text: "✗ not predicted"}));
    tip.hidden = false;
    moveTip(event);
  }
  function moveTip(event) {
    const gap = 14;
    const x = Math.min(event.clientX + gap, window.innerWidth - tip.offsetWidth - 4);
    const y = event.clientY + gap + tip.offsetHeight > window.innerHeight ?
      event.clientY - gap - tip.offsetHeight : event.clientY + gap;
    tip.style.left = Math.max(4, x) + "px";
    tip.style.top = Math.max(4, y) + "px";
  }

  const sectionsById = new Map(data.sections.map((s) => [s.id, s]));
  const cards = el("main", {class: "cards"}, ...data.sections.map(card));
  document.body.append(header(), cards, tip);

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const card = target && target.closest(".card");
    if (!card) return;
    if (target.closest(".toggle-truth")) { showTruth(card, !card.classList.contains("show-truth")); return; }
    const fold = target.closest(".fold");
    if (fold) {
      const open = fold.dataset.open === "1";
      for (const d of card.querySelectorAll("details")) d.open = open;
      fold.dataset.open = open ? "0" : "1";
      fold.textContent = open ? "collapse all" : "expand all";
      return;
    }
    const box = target.closest(".box");
    if (box) { select(card, box.dataset.kind, box.dataset.element, "box"); return; }
    const r = target.closest(".row");
    if (!r) return;
    // the twisty (or the keyboard) opens and closes a branch; a click elsewhere on the row only selects it
    if (r.tagName === "SUMMARY" && !target.closest(".twisty") && event.detail !== 0) event.preventDefault();
    select(card, r.dataset.kind, r.dataset.element, "row");
  });
  document.addEventListener("keydown", (event) => {
    const r = event.target instanceof Element && event.target.closest("div.row");
    if (r && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      select(r.closest(".card"), r.dataset.kind, r.dataset.element, "row");
    }
  });
  document.addEventListener("mouseover", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const box = target && target.closest(".box");
    if (box) showTip(box, event);
    const r = target && target.closest(".row");
    if (r) {
      const hot = r.closest(".card").querySelector('.box[data-kind="' + r.dataset.kind + '"][data-element="' +
                                                   r.dataset.element + '"]');
      if (hot) hot.classList.add("hot");
    }
  });
  document.addEventListener("mousemove", (event) => {
    if (!tip.hidden && event.target instanceof Element && event.target.closest(".box")) moveTip(event);
  });
  document.addEventListener("mouseout", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const box = target && target.closest(".box");
    if (box && !(event.relatedTarget instanceof Node && box.contains(event.relatedTarget))) tip.hidden = true;
    const r = target && target.closest(".row");
    if (r && !(event.relatedTarget instanceof Node && r.contains(event.relatedTarget))) {
      for (const hot of r.closest(".card").querySelectorAll(".box.hot")) hot.classList.remove("hot");
    }
  });
})();
"""

# Nothing but the page's own images may load: the policy also keeps a stray URL in the data from fetching.
_PAGE = ("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' file: data:; \
style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>@@TITLE@@</title>
<style>""" + _CSS + """</style>
</head>
<body>
<noscript>This report needs JavaScript to draw its sections.</noscript>
<script type="application/json" id="report-data">@@DATA@@</script>
<script>""" + _JS + """</script>
</body>
</html>
""")
