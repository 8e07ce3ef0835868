"""Wrapper chains and page noise: the chain rule on hand-made deep chains, and the noise the generator adds."""

from __future__ import annotations

import random
import statistics

import pytest

from data_tools.synth import design, generate_example, noise
from data_tools.synth.blocks import Ctx
from data_tools.synth.nodes import (Node, adds_visible, apply_chain_rules, layout_of, link_parents, preorder,
                                   to_html_object)
from dlt_jax.layout import decode_layout, dump_json, encode_layout, parse_html
from page_markup import body_elements


def _settle(root: Node) -> list[str]:
    """Applies the chain rules, names every node by tag.class, and checks the labels round-trip."""
    link_parents(root)
    apply_chain_rules(root)
    for node in preorder(root):
        node.key = design.key_for(node.tag, node.classes, "dot")
    actions = [n.action for n in preorder(root)]
    tree = parse_html(to_html_object(root))
    layout = layout_of(root)
    assert list(encode_layout(tree, layout).actions) == actions
    decoded, repairs = decode_layout(tree, actions)
    assert decoded == layout and sum(repairs.values()) == 0
    return actions


def _structure(root: Node) -> str:
    return dump_json(layout_of(root)["structure"])


def box(tag: str, cls: str, children=(), action: str = "wrapper", **style) -> Node:
    return Node(tag, action, [cls], style={k.replace("_", "-"): v for k, v in style.items()}, children=list(children))


def text(tag: str = "p", cls: str = "t", action: str = "paragraph") -> Node:
    return Node(tag, action, [cls], text="words")


# --- the chain rule on hand-made chains ------------------------------------------------

def test_four_deep_chain_at_the_root_is_one_section():
    root = box("section", "hero", [box("div", "wrapper", [box("div", "container", [box("div", "inner", [
        text("h1", "title", "heading"), text()])])])], action="section")
    assert _settle(root) == ["section", "MERGE_UP", "MERGE_UP", "MERGE_UP", "heading", "paragraph"]
    assert _structure(root) == ('{"section@section.hero@div.wrapper@div.container@div.inner": '
                                '{"heading@h1.title": "", "paragraph@p.t": ""}}')


def test_chain_stops_at_the_first_node_with_two_element_children():
    card = box("div", "card", [box("div", "body", [text("h3", "h", "heading"), box("div", "meta", [text(), text()])])],
               padding="20px")
    root = box("section", "s", [box("div", "container", [text("h2", "h", "heading"), card])], action="section")
    actions = _settle(root)
    assert actions == ["section", "MERGE_UP", "heading", "wrapper", "MERGE_UP", "heading", "wrapper",
                       "paragraph", "paragraph"]


def test_grid_cell_chain_is_a_column_and_a_link_around_the_card_starts_it():
    linked = box("a", "link", [box("div", "card", [box("div", "card-body", [text("h3", "h", "heading"), text()])],
                                   background_color="#fff")], action="column")
    plain = box("div", "col", [box("div", "card", [box("div", "card-body", [text("h3", "h", "heading"), text()])])],
                action="column")
    root = box("section", "s", [box("div", "row", [linked, plain], action="grid")], action="section")
    actions = _settle(root)
    assert actions == ["section", "grid",
                       "column", "MERGE_UP", "MERGE_UP", "heading", "paragraph",
                       "column", "MERGE_UP", "MERGE_UP", "heading", "paragraph"]
    assert '"column@a.link@div.card@div.card-body"' in _structure(root)


def test_grid_cell_around_one_picture_stays_a_column_with_the_picture_as_child():
    cell = box("div", "col", [box("div", "frame", [Node("img", "image", ["pic"])], padding="8px")], action="column")
    other = box("div", "col", [text(), text()], action="column")
    root = box("section", "s", [box("div", "row", [cell, other], action="grid")], action="section")
    assert _settle(root) == ["section", "grid", "column", "MERGE_UP", "image", "column", "paragraph", "paragraph"]


def test_arrangement_roles_never_join_the_chain_above():
    pictures = [box("div", "item", [Node("img", "image", ["pic"])], action="wrapper") for _ in range(3)]
    gallery = box("div", "row", pictures, action="gallery")
    root = box("section", "portfolio", [box("div", "container", [box("div", "inner", [gallery])])],
               action="section")
    actions = _settle(root)
    assert actions[:4] == ["section", "MERGE_UP", "MERGE_UP", "gallery"]
    assert actions[4:] == ["DROP", "image"] * 3  # boxes that add nothing around each picture


def test_visible_boxes_around_one_content_element_merge_into_it():
    chain = box("div", "mb-3", [box("div", "holder", [Node("i", "icon", ["bi-star"])])], margin_bottom="12px")
    root = box("section", "s", [text("h2", "h", "heading"), chain], action="section")
    assert _settle(root) == ["section", "heading", "icon", "MERGE_UP", "MERGE_UP"]
    assert '"icon@div.mb-3@div.holder@i.bi-star"' in _structure(root)


def test_invisible_boxes_around_one_content_element_are_dropped():
    link = box("a", "img-link", [Node("img", "image", ["pic"])], display="block")
    chain = box("div", "holder", [box("div", "inner", [text()])], margin="0")
    card = box("div", "card", [link, text("h3", "h", "heading"), chain], padding="24px")
    root = box("section", "s", [text("h2", "h", "heading"), card], action="section")
    assert _settle(root) == ["section", "heading", "wrapper", "DROP", "image", "heading", "DROP", "DROP", "paragraph"]


def test_text_block_inside_two_boxes_is_one_wrapper():
    block = box("div", "text", [box("div", "inner", [text("h3", "h", "heading"), text()])])
    root = box("section", "s", [text("h2", "h", "heading"), Node("img", "image", ["pic"]), block], action="section")
    assert _settle(root) == ["section", "heading", "image", "wrapper", "MERGE_UP", "heading", "paragraph"]


def test_parts_of_compounds_merge_instead_of_dropping():
    slides = [box("div", "slide", [Node("img", "image", ["pic"])]) for _ in range(2)]
    carousel = box("div", "carousel", [box("div", "track", slides, action="MERGE_UP")], action="carousel")
    root = box("section", "s", [text("h2", "h", "heading"), carousel], action="section")
    assert _settle(root) == ["section", "heading", "carousel", "MERGE_UP", "image", "MERGE_UP", "image", "MERGE_UP"]


def test_dropped_nodes_do_not_count_as_element_children():
    spacer = box("div", "spacer", [], action="DROP", height="24px")
    hidden = box("div", "d-none", [Node("p", "DROP", [], text="hidden")], action="DROP", display="none")
    root = box("section", "s", [spacer, box("div", "container", [text("h2", "h", "heading"), text(), hidden])],
               action="section")
    assert _settle(root) == ["section", "DROP", "MERGE_UP", "heading", "paragraph", "DROP", "DROP"]


@pytest.mark.parametrize("style, visible", [({"padding": "8px"}, True), ({"margin-bottom": "12px"}, True),
                                            ({"text-align": "center"}, True), ({"border": "1px solid #ddd"}, True),
                                            ({"background-color": "#eee"}, True), ({}, False),
                                            ({"display": "block"}, False), ({"margin": "0"}, False),
                                            ({"border": "0", "background": "none"}, False),
                                            ({"position": "relative", "width": "100%"}, False)])
def test_adds_visible_reads_spacing_alignment_background_and_border(style, visible):
    assert adds_visible(Node("div", "wrapper", style=style)) is visible


# --- the noise helpers -----------------------------------------------------------------

class _RoleNamer:
    opaque = False

    def classes(self, role, style=None, bare=False):
        return [role]


def _ctx(seed: int = 0) -> Ctx:
    rng = random.Random(seed)
    return Ctx(rng, design.make_theme(rng, 1440), _RoleNamer(), "dot")


def test_nest_moves_children_and_flex_layout_into_the_innermost_wrapper():
    kids = [text(), text()]
    node = box("div", "actions", kids, display="flex", gap="12px", margin_top="24px")
    link_parents(node)
    inner = noise._nest(_ctx(), node, ["inner", "row"])
    assert [c.classes for c in node.children] == [["inner"]] and node.children[0].children == [inner]
    assert inner.children == kids and all(k.parent is inner for k in kids)
    assert inner.style == {"display": "flex", "gap": "12px"} and node.style == {"margin-top": "24px"}


def test_wrap_section_keeps_background_props_on_the_root():
    bg = Node("div", "PROP_BI", ["bg"], style={"position": "absolute"})
    container = box("div", "container", [text("h1", "h", "heading"), text()])
    root = box("section", "hero", [bg, container], action="section")
    ctx = _ctx(3)
    noise._wrap_section(ctx, root)
    assert root.children[0] is bg and root.children[1].action == "wrapper"
    actions = _settle(root)
    assert actions[:2] == ["section", "PROP_BI"] and "MERGE_UP" in actions and actions[-2:] == ["heading", "paragraph"]


# --- the noise in generated examples ---------------------------------------------------

@pytest.fixture(scope="module")
def examples():
    return [generate_example(21, i) for i in range(240)]


def _rows(example):
    seen = body_elements(example.page_html)
    assert len(seen) == len(example.actions), example.id
    return [(m.tag, m.style, m.depth, action) for m, action in zip(seen, example.actions)]


def _subtree(rows, i):
    depth = rows[i][2]
    j = i + 1
    while j < len(rows) and rows[j][2] > depth:
        j += 1
    return rows[i:j]


def test_hidden_noise_is_dropped_with_everything_inside(examples):
    seen = {"modal": 0, "skip": 0, "spacer_or_deco": 0}
    for example in examples:
        rows = _rows(example)
        for i, (tag, style, _, action) in enumerate(rows):
            if "display:none;position:fixed" in style:
                seen["modal"] += 1
                assert {r[3] for r in _subtree(rows, i)} == {"DROP"}, example.id
            if "clip:rect(0 0 0 0)" in style:
                seen["skip"] += 1
                assert tag == "a" and action == "DROP", example.id
            if "opacity:0.12" in style or (style.startswith("height:") and style.count(":") == 1 and tag == "div"):
                seen["spacer_or_deco"] += 1
                assert action == "DROP", example.id
    assert all(count > 0 for count in seen.values()), seen


def test_links_around_cards_start_the_column_chain(examples):
    found = 0
    for example in examples:
        rows = _rows(example)
        for i, (tag, _, depth, action) in enumerate(rows):
            if tag == "a" and action == "column":
                found += 1
                assert rows[i + 1][2] == depth + 1 and rows[i + 1][3] == "MERGE_UP", example.id
    assert found > 0


def test_no_link_inside_a_link(examples):
    for example in examples:
        rows = _rows(example)
        for i, (tag, _, _, _) in enumerate(rows):
            if tag == "a":
                assert all(r[0] != "a" for r in _subtree(rows, i)[1:]), example.id


def test_no_link_inside_a_link_where_an_inline_link_met_a_card_link():
    # seed 0 examples whose running text once drew an inline <a> inside a card wrapped in <a>
    test_no_link_inside_a_link([generate_example(0, i) for i in (704, 802, 1025, 1086, 1496)])


def test_statistics_are_close_to_real_sections(examples):
    nodes = sum(len(e.actions) for e in examples)
    merge_up = sum(e.actions.count("MERGE_UP") for e in examples) / nodes
    links = sum(sum(r[0] == "a" for r in _rows(e)) for e in examples) / nodes
    median = statistics.median(len(e.actions) for e in examples)
    # the 64 real template sections of data_tools.likeness: `a` 7.3 % of nodes, median 21 nodes (the tuned
    # generator: MERGE_UP 16 %, `a` 7.2-7.6 %, median 22-23 on seeds 0 and 1); MERGE_UP is kept at 15-19 %
    assert 0.145 <= merge_up <= 0.195, merge_up
    assert 0.06 <= links <= 0.09, links
    assert 16 <= median <= 26, median


def test_noise_keeps_labels_round_tripping(examples):
    for example in examples[:60]:
        tree = parse_html(example.html_object)
        assert list(encode_layout(tree, example.layout).actions) == example.actions
        layout, repairs = decode_layout(tree, example.actions)
        assert layout == example.layout and sum(repairs.values()) == 0
