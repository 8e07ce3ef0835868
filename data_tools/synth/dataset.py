"""Writes generated + rendered examples in the canonical folder layout (DATA_FORMAT §1.3), and their statistics."""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import itertools
import multiprocessing
import os
import sys
import time
from collections.abc import Iterable, Iterator

import yaml

from data_tools import render
from data_tools.synth import SynthExample, generate_example
from dlt_jax.layout import HtmlTree, parse_html
from dlt_jax.layout.jsonio import JsonObject, dump_json
from dlt_jax.layout.vocab import DEFAULT_VOCAB

SPLIT_NAMES = ("train", "val", "test")
_GOLDEN = 0.6180339887498949


def split_of(index: int, fractions: tuple[float, ...]) -> str:
    """Deterministic split of example `index`: a low-discrepancy sequence keeps the shares exact-ish
    and never changes an example's split when the data set grows."""
    u = (index * _GOLDEN) % 1.0
    edge = 0.0
    for name, share in zip(SPLIT_NAMES, fractions):
        edge += share
        if u < edge:
            return name
    return SPLIT_NAMES[len(fractions) - 1]


def parse_splits(text: str) -> tuple[float, ...]:
    values = tuple(float(v) for v in text.split(","))
    if not 1 <= len(values) <= 3 or any(v < 0 for v in values) or abs(sum(values) - 1.0) > 1e-6:
        raise ValueError(f"--splits wants 1 to 3 non-negative shares summing to 1 (train,val,test), got {text!r}")
    return values


def example_record(example: SynthExample, seed: int, index: int, shot_name: str, width: int, height: int,
                   boxes: list[list[float]], rendered: tuple[int, int]) -> JsonObject:
    """The example.json object (canonical layout) with the synthetic extras."""
    return JsonObject([
        ("id", example.id),
        ("screenshot", JsonObject([("path", shot_name), ("width", width), ("height", height)])),
        ("structure", JsonObject([("type", "HTMLObject"), ("data", example.html_object)])),
        ("layout", JsonObject([("type", "SectionLayout"),
                               ("data", JsonObject([("structure", example.layout["structure"])])),
                               ("props", example.layout["props"])])),
        ("html_boxes", boxes),
        ("category", example.category),
        ("visual_cues", [JsonObject([("node", c["node"]), ("cue", c["cue"])]) for c in example.visual_cues]),
        ("synth", JsonObject([("seed", seed), ("index", index), ("family", example.family),
                              ("families", list(example.families)),
                              ("spelling", example.spelling), ("rendered_width", rendered[0]),
                              ("rendered_height", rendered[1])])),
    ])


@dataclasses.dataclass
class WriteSummary:
    written: dict[str, list[str]]
    skipped: list[tuple[str, str]]
    seconds: float
    bytes_written: int

    @classmethod
    def started(cls, splits: tuple[float, ...]) -> "WriteSummary":
        """An empty summary with a list of written ids per split, to `add` examples to in index order."""
        return cls({name: [] for name in SPLIT_NAMES[: len(splits)]}, [], 0.0, 0)

    def add(self, ident: str, split: str, error: str | None, counted_bytes: int) -> None:
        """Counts one example: written to `split` (with its bytes), or skipped with `error`."""
        if error is not None:
            self.skipped.append((ident, error))
        else:
            self.written[split].append(ident)
            self.bytes_written += counted_bytes

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.written.values())

    def describe(self, out: str, how: str) -> str:
        """One line for the terminal: what was written where, what was skipped, and how fast (`how`)."""
        per_split = ", ".join(f"{k}={len(v)}" for k, v in self.written.items())
        rate = self.count / max(self.seconds, 1e-9)
        return (f"wrote {self.count} examples to {out} ({per_split}); skipped {len(self.skipped)}; "
                f"{self.bytes_written / 1e6:.1f} MB; {self.seconds:.1f} s, {rate:.2f} examples/s {how}")


def _dom_matches(example: SynthExample, rendering: render.Rendering) -> str | None:
    """None when the DOM walk saw exactly the generated nodes, else why not."""
    from dlt_jax.layout import parse_html
    tree = parse_html(example.html_object)
    if len(tree) != len(rendering.nodes):
        return f"the browser saw {len(rendering.nodes)} element nodes, the html object has {len(tree)}"
    for index, (node, seen) in enumerate(zip(tree, rendering.nodes)):
        if node.tag != seen.tag or tuple(node.classes) != tuple(seen.classes):
            return f"node {index}: html object {node.key.key!r}, browser <{seen.tag} class={' '.join(seen.classes)!r}>"
    return None


def _width(text: str) -> int:
    value = int(text)
    if not 320 <= value <= 3840:
        raise argparse.ArgumentTypeError(f"--width {value} outside 320..3840 px")
    return value


def add_example_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that decide which examples are made and how they are rendered and stored, shared by
    `python -m data_tools.synth` and its Beam pipeline."""
    parser.add_argument("--num", type=int, required=True, help="number of examples")
    parser.add_argument("--seed", type=int, default=0, help="data set seed (same seed, same bytes)")
    parser.add_argument("--start", type=int, default=0, help="first example index (to (re)make a slice)")
    parser.add_argument("--splits", default="0.9,0.05,0.05", help="train,val,test shares")
    parser.add_argument("--width", type=_width, default=None,
                        help="viewport width in px for every example (default: random 1280..1920 each)")
    parser.add_argument("--chromium", default=None,
                        help="Chromium executable, on every worker (default: $DLT_CHROMIUM, /usr/bin/chromium)")
    parser.add_argument("--format", choices=("jpg", "png"), default="jpg", help="screenshot file format")
    parser.add_argument("--max-side", type=int, default=512, help="scale screenshots so the long side is this (0: keep)")
    parser.add_argument("--quality", type=int, default=80, help="JPEG quality")
    parser.add_argument("--keep-html", action="store_true", help="also write each section's html+css (section.html)")


@dataclasses.dataclass(frozen=True)
class SynthSettings:
    """What, besides the index, decides an example's bytes (the same in every worker process)."""

    seed: int
    splits: tuple[float, ...] = (0.9, 0.05, 0.05)
    width: int | None = None
    image_format: str = "jpg"
    max_side: int = 512
    quality: int = 80
    keep_html: bool = False


@dataclasses.dataclass
class RenderedExample:
    """One generated + rendered example: its files (name -> bytes, in writing order), or why it was skipped."""

    index: int
    ident: str
    split: str
    files: dict[str, bytes] | None
    error: str | None = None

    @property
    def counted_bytes(self) -> int:
        """Screenshot + example.json bytes (what the summary reports; section.html is not counted)."""
        return sum(len(data) for name, data in (self.files or {}).items() if name != "section.html")


def render_examples(renderer: render.Renderer, indices: Iterable[int],
                    settings: SynthSettings) -> Iterator[RenderedExample]:
    """Generates and renders examples `indices` of data set `settings.seed` with one browser, in order.

    An example's bytes depend only on (settings, index), never on which browser
    rendered it or what it rendered before, so any split of the indices over
    processes gives the same files.
    """
    examples: dict[str, tuple[int, SynthExample]] = {}

    def jobs():
        for index in indices:
            example = generate_example(settings.seed, index, settings.width)
            examples[example.id] = (index, example)
            yield example.id, "html", example.page_html, example.width

    for ident, rendering, error in renderer.render_many(jobs(), progress=False):
        index, example = examples.pop(ident)
        split = split_of(index, settings.splits)
        if rendering is not None:
            error = _dom_matches(example, rendering)
        if error is not None:
            yield RenderedExample(index, ident, split, None, error)
            continue
        stored_w, stored_h, scale = render.stored_size(rendering.width, rendering.height, settings.max_side)
        shot = render.encode_screenshot(rendering.png, stored_w, stored_h, settings.image_format, settings.quality)
        boxes = render.scale_boxes(rendering.boxes, scale, stored_w, stored_h)
        shot_name = f"screenshot.{settings.image_format}"
        record = example_record(example, settings.seed, index, shot_name, stored_w, stored_h, boxes,
                                (rendering.width, rendering.height))
        files = {shot_name: shot, "example.json": dump_json(record).encode("utf-8")}
        if settings.keep_html:
            files["section.html"] = example.page_html.encode("utf-8")
        yield RenderedExample(index, ident, split, files)


def write_example(out: str, example: RenderedExample) -> None:
    """Writes a rendered example's files into `out/<split>/<id>/`."""
    folder = os.path.join(out, example.split, example.ident)
    os.makedirs(folder, exist_ok=True)
    for name, data in (example.files or {}).items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


def report_skipped(example: RenderedExample) -> None:
    print(f"synth: skipped {example.ident}: {example.error}", file=sys.stderr)


# One browser per worker process, started by its first chunk (so a browser that cannot
# start is an error in the caller, not a pool that respawns failing workers forever)
# and closed when the pool lets the worker exit.
_WORKER_RENDERER: render.Renderer | None = None


def _worker_renderer(chromium: str | None) -> render.Renderer:
    global _WORKER_RENDERER
    if _WORKER_RENDERER is None:
        from multiprocessing import util
        renderer = render.Renderer(chromium)
        renderer.__enter__()
        _WORKER_RENDERER = renderer
        util.Finalize(renderer, renderer.__exit__, args=(None, None, None), exitpriority=10)
    return _WORKER_RENDERER


def _render_chunk(task: tuple[str | None, list[int], SynthSettings]) -> list[RenderedExample]:
    chromium, indices, settings = task
    return list(render_examples(_worker_renderer(chromium), indices, settings))


def chunk_size(num: int, workers: int) -> int:
    """Indices per pool task: about 4 tasks per worker for balance, at most 16 so progress moves."""
    return max(1, min(16, -(-num // (4 * workers))))


def write_dataset(out: str, num: int, seed: int, splits: tuple[float, ...] = (0.9, 0.05, 0.05),
                  width: int | None = None, chromium: str | None = None, image_format: str = "jpg",
                  max_side: int = 512, quality: int = 80, keep_html: bool = False, start: int = 0,
                  progress: bool = True, workers: int = 1) -> WriteSummary:
    """Generates, renders and writes examples start..start+num-1 of data set `seed` under `out`.

    With `workers` > 1 the examples are rendered by that many processes, each
    with its own Chromium, in chunks of indices; results are written in index
    order, and the files are the same bytes for any number of workers.
    """
    from tqdm import tqdm

    settings = SynthSettings(seed, tuple(splits), width, image_format, max_side, quality, keep_html)
    os.makedirs(out, exist_ok=True)
    summary = WriteSummary.started(splits)
    began = time.perf_counter()
    indices = range(start, start + num)
    workers = max(1, min(workers, num))
    with contextlib.ExitStack() as stack:
        if workers == 1:
            renderer = stack.enter_context(render.Renderer(chromium))
            results: Iterable[RenderedExample] = render_examples(renderer, indices, settings)
        else:
            render.Renderer(chromium)  # finds Chromium (no browser yet): an error here, not in every worker
            # spawn, not fork: the caller may hold JAX or Playwright threads
            pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(workers))
            size = chunk_size(num, workers)
            tasks = [(chromium, list(indices[i:i + size]), settings) for i in range(0, num, size)]
            results = itertools.chain.from_iterable(pool.imap(_render_chunk, tasks))  # imap keeps index order
        for example in tqdm(results, total=num, disable=not progress, desc=f"render ({workers} workers)",
                            unit="page"):
            if example.files is None:
                report_skipped(example)
            else:
                write_example(out, example)
            summary.add(example.ident, example.split, example.error, example.counted_bytes)
        if workers > 1:
            pool.close()  # workers exit normally, closing their browsers
            pool.join()
    write_config(out, summary.written)
    summary.seconds = time.perf_counter() - began
    return summary


def write_config(out: str, written: dict[str, list[str]]) -> None:
    """dataset_config.yaml lists every example id found under each split folder (so reruns that add examples merge)."""
    splits = {}
    for name in written:
        base = os.path.join(out, name)
        ids = sorted(d for d in os.listdir(base) if os.path.exists(os.path.join(base, d, "example.json"))) \
            if os.path.isdir(base) else []
        splits[name] = ids
    with open(os.path.join(out, "dataset_config.yaml"), "w", encoding="utf-8") as f:
        yaml.safe_dump({"splits": splits}, f, sort_keys=False, default_flow_style=None, width=100)


# --- statistics ----------------------------------------------------------------------

def statistics(examples: list[SynthExample]) -> dict:
    """Frequencies of actions, element types, categories, markup families, key spellings and visual cues,
    and the class counts per node (overall and per main family)."""
    actions = collections.Counter()
    categories = collections.Counter()
    family_counts = collections.Counter()
    mixes = collections.Counter()
    family_nodes = collections.Counter()
    family_classless = collections.Counter()
    family_classes = collections.Counter()
    spellings = collections.Counter()
    cues = collections.Counter()
    key_styles = collections.Counter()
    nodes = 0
    with_cues = 0
    duplicate_keys = 0
    for example in examples:
        actions.update(example.actions)
        categories[example.category] += 1
        family_counts[example.family] += 1
        if len(example.families) > 1:
            mixes["+".join(example.families)] += 1
        spellings[example.spelling] += 1
        cues.update({c["cue"] for c in example.visual_cues})
        with_cues += bool(example.visual_cues)
        nodes += len(example.actions)
        tree = parse_html(example.html_object)
        duplicate_keys += _has_duplicate_siblings(tree)
        key_styles.update(node.key.spelling for node in tree.nodes)
        family_nodes[example.family] += len(tree)
        family_classless[example.family] += sum(not node.classes for node in tree.nodes)
        family_classes[example.family] += sum(len(node.classes) for node in tree.nodes)
    return {"examples": len(examples), "nodes": nodes, "actions": actions, "categories": categories,
            "family": family_counts, "mixed": mixes, "family_nodes": family_nodes,
            "family_classless": family_classless, "family_classes": family_classes, "spelling": spellings,
            "key_styles": key_styles, "cues": cues, "with_cues": with_cues,
            "with_duplicate_sibling_keys": duplicate_keys}


def _has_duplicate_siblings(tree: HtmlTree) -> bool:
    groups = [tree.roots] + [node.children for node in tree.nodes]
    return any(len({tree[i].key.key for i in group}) != len(group) for group in groups)


def format_statistics(stats: dict) -> str:
    """A plain-text frequency table; every action of the default vocabulary is listed, zeros included."""
    lines = [f"examples: {stats['examples']}   nodes: {stats['nodes']}"]
    n = max(stats["examples"], 1)
    lines.append("\naction              nodes   share   (element types, then structural actions)")
    for action in DEFAULT_VOCAB.element_types + ("MERGE_UP", "MERGE_LEFT", "DROP") + DEFAULT_VOCAB.prop_actions:
        count = stats["actions"].get(action, 0)
        flag = "   <-- MISSING" if count == 0 else ""
        lines.append(f"  {action:16s} {count:7d}  {100 * count / max(stats['nodes'], 1):5.1f}%{flag}")
    for title, key in (("category", "categories"), ("markup family (main)", "family"), ("mixed families", "mixed"),
                       ("key spelling habit", "spelling"), ("node key spelling", "key_styles"),
                       ("visual cue (examples having it)", "cues")):
        lines.append(f"\n{title}")
        for name, count in sorted(stats[key].items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {name:34s} {count:6d}  {100 * count / n:5.1f}%" if key != "key_styles" else
                         f"  {name:34s} {count:6d}")
    lines.append("\nclasses per node       nodes  class-less  classes/node")
    counts = (stats["family_nodes"], stats["family_classless"], stats["family_classes"])
    rows = [(family, *(c[family] for c in counts)) for family in sorted(stats["family_nodes"])]
    rows.append(("all", *(sum(c.values()) for c in counts)))
    for family, count, bare, total in rows:
        lines.append(f"  {family:18s} {count:7d}  {100 * bare / max(count, 1):9.1f}%  {total / max(count, 1):12.2f}")
    lines.append(f"\nexamples with at least one visual cue: {stats['with_cues']} ({100 * stats['with_cues'] / n:.1f}%)")
    lines.append(f"examples with duplicate sibling keys: {stats['with_duplicate_sibling_keys']} "
                 f"({100 * stats['with_duplicate_sibling_keys'] / n:.1f}%)")
    return "\n".join(lines)


def missing_actions(stats: dict) -> list[str]:
    wanted = DEFAULT_VOCAB.element_types + ("MERGE_UP", "MERGE_LEFT", "DROP") + DEFAULT_VOCAB.prop_actions
    return [a for a in wanted if stats["actions"].get(a, 0) == 0]

