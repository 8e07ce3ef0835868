"""Synthetic website sections, labelled exactly by CONVENTIONS.md.

`generate_example(seed, index)` builds one section (html page, html object,
layout, per-node actions, visual cues) from an rng derived from (seed, index),
so any subset of a data set regenerates byte for byte.
"""

from __future__ import annotations

import dataclasses
import random

from data_tools.synth import design, families, visual_only
from data_tools.synth.archetypes import ARCHETYPES
from data_tools.synth.blocks import Ctx
from data_tools.synth.noise import add_noise
from data_tools.synth.nodes import Node, apply_chain_rules, layout_of, link_parents, preorder, to_html, to_html_object
from dlt_jax.layout import LayoutError, decode_layout, encode_layout, parse_html
from dlt_jax.layout.jsonio import JsonObject

MAX_NODES = 128
SPELLINGS = ("dot", "at", "mixed")
SPELLING_WEIGHTS = (0.55, 0.3, 0.15)
BLOCK_NAMES = {"hero_background_image": "hero", "hero_background_video": "hero", "hero_two_column": "hero",
               "features": "features", "services": "services", "pricing": "pricing", "testimonials": "testimonials",
               "team": "team", "gallery": "gallery", "masonry": "portfolio", "faq": "faq", "tabs": "tabs",
               "stats": "stats", "call_to_action": "cta", "contact": "contact", "footer": "footer",
               "logo_marquee": "logos", "app_download": "app", "blog": "blog", "video": "video", "collage": "about"}

PAGE_CSS = ("*{box-sizing:border-box}html,body{margin:0;padding:0;background:#ffffff}"
            "img,video,iframe{max-width:100%}"
            "@keyframes synth-scroll{from{transform:translateX(0)}to{transform:translateX(-50%)}}")


@dataclasses.dataclass
class SynthExample:
    """One generated section with its exact labels."""

    id: str
    category: str
    width: int
    page_html: str                  # full html document (inline css); the section is body's first child
    html_object: JsonObject         # DATA_FORMAT §1.1
    layout: JsonObject              # {"structure", "props"}
    actions: list[str]              # one per node, preorder
    visual_cues: list[dict]         # [{"node": i, "cue": name}]
    family: str                     # main markup family (families.FAMILIES): grid_framework, ..., semantic
    families: list[str]             # the main family, then the one mixed in, if any
    spelling: str                   # key spelling habit: dot, at, mixed
    attempts: int = 1


def example_id(seed: int, index: int) -> str:
    return f"synth-{seed}-{index:06d}"


def generate_example(seed: int, index: int, width: int | None = None, archetype: str | None = None,
                     markup: list[str] | None = None) -> SynthExample:
    """Builds example `index` of the data set `seed`, retrying with derived rngs while it is too large or
    its labels are not the layout's own encoding (bare sibling keys a layout cannot tell apart);
    `markup` forces the markup families ([main] or [main, second]) instead of drawing them."""
    for attempt in range(20):
        rng = random.Random(f"dlt-synth:{seed}:{index}:{attempt}")
        name = archetype or rng.choice(sorted(ARCHETYPES))
        example = _build(rng, name, width, example_id(seed, index), markup)
        if len(example.actions) <= MAX_NODES and labels_round_trip(example):
            example.attempts = attempt + 1
            return example
    raise RuntimeError(f"example {index} of seed {seed}: every attempt had more than {MAX_NODES} nodes "
                       "or labels that do not round-trip")


def labels_round_trip(example: SynthExample) -> bool:
    """Whether the layout encodes to exactly the example's actions and decodes back to itself, unrepaired."""
    tree = parse_html(example.html_object)
    try:
        actions = list(encode_layout(tree, example.layout).actions)
    except LayoutError:
        return False
    layout, repairs = decode_layout(tree, example.actions)
    return actions == example.actions and layout == example.layout and not sum(repairs.values())


def _build(rng: random.Random, name: str, width: int | None, ident: str, markup: list[str] | None) -> SynthExample:
    theme = design.make_theme(rng, width)
    drawn = families.draw_families(rng)
    if markup is not None:
        drawn = list(markup)
    spelling = rng.choices(SPELLINGS, SPELLING_WEIGHTS)[0]
    namer = families.Namer(rng, drawn, BLOCK_NAMES[name])
    ctx = Ctx(rng, theme, namer, spelling)
    root = ARCHETYPES[name](ctx)
    add_noise(ctx, root)
    visual_only.add_visual_only(ctx, root)
    apply_chain_rules(root)
    link_parents(root)
    nodes = list(preorder(root))
    pair_spelling: dict[int, str] = {}  # the nodes of a visual-only pair spell one key
    for node in nodes:
        preferred = pair_spelling.get(node.twin) or _preferred_spelling(rng, node, spelling)
        if node.twin:
            pair_spelling[node.twin] = preferred
        node.key = design.key_for(node.tag, node.classes, design.spelling_for(node.classes, preferred))
        if namer.tells(node.classes):  # a cue only where neither tag nor classes decide the type
            node.cues = [cue for cue in node.cues if cue in visual_only.CUES]
    html_object, actions = to_html_object(root), [n.action for n in nodes]
    tree = parse_html(html_object)
    cues = [{"node": i, "cue": cue} for i, node in enumerate(nodes) for cue in node.cues
            if cue not in visual_only.CUES or visual_only.has_twin(tree, actions, i)]
    sheet = "".join(f"{node.selector}{{{_css(node.style)}}}" for node in nodes if node.selector)
    for node in nodes:
        if node.selector:
            node.style = {}
    page = (f"<!doctype html><html><head><meta charset=\"utf-8\"><style>{PAGE_CSS}{sheet}</style></head>"
            f"<body style=\"width:{theme.width}px\">{to_html(root)}</body></html>")
    return SynthExample(id=ident, category=name, width=theme.width, page_html=page, html_object=html_object,
                        layout=layout_of(root), actions=actions, visual_cues=cues,
                        family=drawn[0], families=drawn, spelling=spelling)


def _preferred_spelling(rng: random.Random, node: Node, habit: str) -> str:
    if habit == "mixed":
        return "dash" if node.classes and rng.random() < 0.5 else rng.choice(("dot", "at"))
    return habit


def _css(style: dict[str, str]) -> str:
    return ";".join(f"{name}:{value}" for name, value in style.items())
