"""Partial layouts: given elements, props, boxes and nodes resolved to per-node actions and boxes; every
contradiction a PartialLayoutError naming the example, the element and the key."""

import json

import pytest

from dlt_jax.layout import OutputStyle, decode_layout, load_json, parse_html
from dlt_jax.layout.partial import (GivenBox, PartialLayoutError, is_partial_layout, load_partial_layout,
                                    lost_given, read_partial_layout)

HTML = """{
  "div.container": {
    "div.background_image": "",
    "h1.heading": {"text": "Hello World", "span.accent": "World"},
    "p.paragraph": {"text": "This is a paragraph"},
    "div.row": {
      "div.col": {"a.btn": {"text": "Go"}},
      "div.col": {"img.logo": {"src": "x"}},
      "p.note": "fine print"
    }
  }
}"""
# preorder: 0 div.container, 1 div.background_image, 2 h1.heading, 3 span.accent, 4 p.paragraph,
#           5 div.row, 6 div.col, 7 a.btn, 8 div.col, 9 img.logo, 10 p.note
SIZE = (1000, 500)


@pytest.fixture(scope="module")
def tree():
    return parse_html(load_json(HTML))


def read(tree, text, **kwargs):
    return read_partial_layout(tree, load_json(text), example_id="ex-7", screenshot_size=SIZE, **kwargs)


def test_a_whole_element_fixes_its_nodes_actions_and_blocks_growing_it(tree):
    partial = read(tree, '{"structure": {"heading@h1.heading@span.accent": ""}}')
    assert partial.actions == {2: "heading", 3: "MERGE_UP"}
    assert partial.elements == (("heading", (2, 3)),)
    assert partial.boxes == {} and partial.props == {}
    # p.paragraph follows h1 (MERGE_LEFT would join the heading); nothing else touches it.
    assert partial.blocked == {4: frozenset({"MERGE_LEFT"})}
    assert partial.style == OutputStyle("@", "original")


def test_nested_given_elements_and_merged_siblings(tree):
    partial = read(tree, '{"structure": {"section@div.container": {"grid@div.row": {'
                         '"column@div.col": "", "column@div.col": {"image@img.logo": ""}}}}, '
                         '"props": {"bi": "div.background_image"}}')
    assert partial.actions == {0: "section", 5: "grid", 6: "column", 8: "column", 9: "image", 1: "PROP_BI"}
    assert partial.props == {"bi": 1}
    assert partial.blocked[7] == frozenset({"MERGE_UP", "PROP_BI"})   # a.btn under a given column
    assert partial.blocked[10] == frozenset({"MERGE_UP", "MERGE_LEFT", "PROP_BI"})
    assert partial.blocked[3] == frozenset({"PROP_BI"})               # a hole far from given elements
    merged = read(tree, '{"structure": {"wrapper@div.col@div.col": ""}}')
    assert merged.actions == {6: "wrapper", 8: "MERGE_LEFT"}


def test_an_element_whose_children_are_holes_leaves_them_to_the_model(tree):
    partial = read(tree, '{"structure": {"section@div.container": {"wrapper@div.row": ""}}}')
    assert partial.actions == {0: "section", 5: "wrapper"}
    # Children of given nodes may not MERGE_UP into them; what follows div.row may not MERGE_LEFT (none does).
    assert partial.blocked == {node: frozenset({"MERGE_UP"}) for node in (1, 2, 4, 6, 8, 10)}
    assert all(node not in partial.actions for node in (6, 7, 8, 9, 10))


def test_a_given_element_may_sit_under_holes(tree):
    partial = read(tree, '{"structure": {"button@a.btn": ""}}')
    assert partial.actions == {7: "button"}


def test_box_location_and_size_become_centre_and_size_with_a_mask(tree):
    partial = read(tree, '{"structure": {"section@div.container": {"heading@h1.heading": "", '
                         '"paragraph@p.paragraph": "", "wrapper@div.row": ""}}, '
                         '"boxes": {"heading@h1.heading": {"box": [100, 40, 300, 60]}, '
                         '"paragraph@p.paragraph": {"location": [250, 150]}, "wrapper@div.row": {"size": [800, 200]}}}')
    assert partial.boxes[2] == GivenBox((250.0, 70.0, 300.0, 60.0), (True, True, True, True),
                                        "boxes['heading@h1.heading']")
    assert partial.boxes[4].values[:2] == (250.0, 150.0) and partial.boxes[4].mask == (True, True, False, False)
    assert partial.boxes[5].values[2:] == (800.0, 200.0) and partial.boxes[5].mask == (False, False, True, True)
    # The model's space: (cx, cy, w, h) as shares of the screenshot mapped to [-1, 1].
    assert partial.boxes[2].targets(*SIZE) == pytest.approx((-0.5, -0.72, -0.4, -0.76))
    assert partial.boxes[4].targets(*SIZE) == pytest.approx((-0.5, -0.4, 0.0, 0.0))


def test_repeated_element_keys_take_boxes_in_order(tree):
    partial = read(tree, '{"structure": {"column@div.col": "", "column@div.col": ""}, '
                         '"boxes": {"column@div.col": {"size": [10, 20]}, "column@div.col": {"size": [30, 40]}}}')
    assert partial.boxes[6].values[2:] == (10.0, 20.0) and partial.boxes[8].values[2:] == (30.0, 40.0)


def test_nodes_give_single_actions_and_boxes_by_index_or_key_path(tree):
    partial = read(tree, '{"structure": {}, "nodes": {"3": {"action": "DROP"}, '
                         '"div.container/div.row/p.note": {"action": "paragraph", "location": [500, 450]}}}')
    assert partial.actions == {3: "DROP", 10: "paragraph"}
    assert partial.boxes[10].mask == (True, True, False, False)
    assert partial.style is None and partial.blocked == {}


def test_dot_style_keys_keep_their_style(tree):
    partial = read(tree, '{"structure": {"heading.h1.heading": ""}}')
    assert partial.actions == {2: "heading"} and partial.style == OutputStyle(".", "original")


def test_what_a_result_lost_is_listed(tree):
    partial = read(tree, '{"structure": {"heading@h1.heading@span.accent": ""}, '
                         '"boxes": {"heading@h1.heading@span.accent": {"location": [250, 70]}}}')
    kept = ["section", "DROP", "heading", "MERGE_UP", "paragraph", "wrapper", "DROP", "button", "DROP", "image",
            "paragraph"]
    boxes = [[0, 0, 10, 10]] * 11
    boxes[2] = [200, 50, 100, 40]  # centre (250, 70)
    assert lost_given(partial, tree, kept, boxes) == []
    grown = kept[:4] + ["MERGE_LEFT"] + kept[5:]
    assert lost_given(partial, tree, grown, boxes) == ["element heading@[2, 3] is missing"]
    moved = [list(b) for b in boxes]
    moved[2] = [201, 50, 100, 40]
    assert lost_given(partial, tree, kept, moved) == ["node 2: cx 251.0, given 250.0"]
    assert decode_layout(tree, kept).layout["structure"]["section@div.container"]["heading@h1.heading@span.accent"] == ""


def test_partial_layouts_load_from_files_and_are_told_from_node_mappings(tmp_path):
    path = tmp_path / "partial.json"
    path.write_text('{"structure": {"column@div.col": "", "column@div.col": ""}}')
    assert [k for k, _ in load_partial_layout(path)["structure"].items()] == ["column@div.col"] * 2
    assert is_partial_layout(load_json('{"structure": {}}')) and not is_partial_layout({"3": {"action": "DROP"}})
    path.write_text("{nope")
    with pytest.raises(PartialLayoutError, match="ex-1: partial layout: file: .*partial.json': not JSON"):
        load_partial_layout(path, "ex-1")


@pytest.mark.parametrize("partial, message", [
    ('{"structure": {"heading@div.container": ""}}',
     "ex-7: partial layout: structure: 'heading@div.container': node 0 ('div.container') is the section's root, "
     "which may only be section (sample.root_types), not 'heading'"),
    ('{"structure": {}, "nodes": {"0": {"action": "DROP"}}}',
     "ex-7: partial layout: nodes: '0': node 0 ('div.container') is the section's root, which may only be section"),
    ('{"structure": {"heading@h1.heading": "", "paragraph@h1.heading": ""}}',
     "ex-7: partial layout: structure: 'paragraph@h1.heading': node 2 ('h1.heading') is also in the given element "
     "'heading@h1.heading'; a node belongs to one element"),
    ('{"structure": {"wrapper@div.row@div.col": {"column@div.col": "", "column@div.col": ""}}}',
     "ex-7: partial layout: structure: 'column@div.col': the given elements 'wrapper@div.row@div.col', "
     "'column@div.col', 'column@div.col' need 4 html nodes, but their keys name only 3 (node 5 ('div.row'), "
     "node 6 ('div.col'), node 8 ('div.col')); a node belongs to one element"),
    ('{"structure": {"headline@h1.heading": ""}}',
     "ex-7: partial layout: structure: 'headline@h1.heading': unknown_type: 'headline' is not an element type; known:"),
    ('{"structure": {"heading@h2.title": ""}}',
     "ex-7: partial layout: structure: 'heading@h2.title': unresolved_key: 'h2.title' is not a sequence of this "
     "example's html node keys joined by '@'"),
    ('{"structure": {"heading@h1.heading@a.btn": ""}}',
     "ex-7: partial layout: structure: 'heading@h1.heading@a.btn': not_connected:"),
    ('{"structure": {"button@a.btn": {"heading@h1.heading": ""}}}',
     "ex-7: partial layout: structure: 'heading@h1.heading': misplaced:"),
    ('{"structure": {"heading@h1.heading": ""}, "props": {"bi": "h1.heading"}}',
     "ex-7: partial layout: props: 'bi': node 2 ('h1.heading') is also in the given element 'heading@h1.heading'"),
    ('{"structure": {}, "props": {"bx": "div.row"}}', "ex-7: partial layout: props: 'bx': unknown_prop:"),
    ('{"structure": {"heading@h1.heading": ""}, "boxes": {"heading@h1.heading": {"box": [1, 2, 3]}}}',
     "ex-7: partial layout: boxes: 'heading@h1.heading': box: expected 4 numbers [x, y, w, h] in screenshot "
     "pixels, got 3 values"),
    ('{"structure": {"heading@h1.heading": ""}, "boxes": {"heading@h1.heading": {"box": [1, 2, -30, 40]}}}',
     "ex-7: partial layout: boxes: 'heading@h1.heading': box: width and height must be positive, got w=-30, h=40"),
    ('{"structure": {"heading@h1.heading": ""}, "boxes": {"heading@h1.heading": {"size": [0, 40]}}}',
     "ex-7: partial layout: boxes: 'heading@h1.heading': size: width and height must be positive, got w=0, h=40"),
    ('{"structure": {"heading@h1.heading": ""}, "boxes": {"heading@h1.heading": {"location": [50]}}}',
     "ex-7: partial layout: boxes: 'heading@h1.heading': location: expected 2 numbers [cx, cy] (the centre)"),
    ('{"structure": {"heading@h1.heading": ""}, "boxes": {"heading@h1.heading": {"box": [900, 0, 200, 40]}}}',
     "ex-7: partial layout: boxes: 'heading@h1.heading': the box reaches outside the 1000x500 screenshot (corners)"),
    ('{"structure": {"heading@h1.heading": ""}, "boxes": {"heading@h1.heading": {"location": [500, 600]}}}',
     "ex-7: partial layout: boxes: 'heading@h1.heading': the box reaches outside the 1000x500 screenshot (cy)"),
    ('{"structure": {"heading@h1.heading": ""}, "boxes": {"heading@h1.heading": {"box": [0, 0, 9, 9], '
     '"size": [9, 9]}}}',
     "ex-7: partial layout: boxes: 'heading@h1.heading': give either box [x, y, w, h], or location [cx, cy] and/or "
     "size [w, h], not both"),
    ('{"structure": {"heading@h1.heading": ""}, "boxes": {"paragraph@p.paragraph": {"size": [9, 9]}}}',
     "ex-7: partial layout: boxes: 'paragraph@p.paragraph': no given element has this key"),
    ('{"structure": {"column@div.col": ""}, "boxes": {"column@div.col": {"size": [9, 9]}, '
     '"column@div.col": {"size": [9, 9]}}}',
     "ex-7: partial layout: boxes: 'column@div.col': given 2 times, but `structure` has 1 such element(s)"),
    ('{"structure": {}, "nodes": {"1": {"action": "MERGE_LEFT"}}}',
     "ex-7: partial layout: nodes: '1': MERGE_LEFT cannot hold at node 1 ('div.background_image'): it needs a "
     "previous sibling node, and this node has none"),
    ('{"structure": {"heading@h1.heading": ""}, "nodes": {"4": {"action": "MERGE_LEFT"}}}',
     "ex-7: partial layout: nodes: '4': MERGE_LEFT would add node 4 ('p.paragraph') to the given element "
     "'heading@h1.heading', whose key does not list it"),
    ('{"structure": {"heading@h1.heading": ""}, "nodes": {"div.container/h1.heading": {"action": "DROP"}}}',
     "ex-7: partial layout: nodes: 'div.container/h1.heading': node 2 ('h1.heading') is given twice: 'heading' by "
     "the given element 'heading@h1.heading' and 'DROP' here"),
    ('{"structure": {}, "nodes": {"3": {"action": "headline"}}}',
     "ex-7: partial layout: nodes: '3': unknown action 'headline'; known: DROP, MERGE_UP"),
    ('{"structure": {}, "nodes": {"div.container/nav": {"action": "DROP"}}}',
     "ex-7: partial layout: nodes: 'div.container/nav': no html node at key path 'div.container/nav'"),
    ('{"structure": {}, "nodes": {"div.container/div.row/div.col": {"action": "DROP"}}}',
     "ex-7: partial layout: nodes: 'div.container/div.row/div.col': 2 nodes have the key path"),
    ('{"structure": {}, "nodes": {"11": {"action": "DROP"}}}',
     "ex-7: partial layout: nodes: '11': node index 11 outside [0, 11)"),
    ('{"structure": {}, "props": {"bi": "div.background_image"}, "nodes": {"3": {"action": "PROP_BI"}}}',
     "ex-7: partial layout: nodes: '3': prop 'bi' is given twice: node 1 ('div.background_image') and node 3"),
    ('{"structure": {}, "layout": {}}', "ex-7: partial layout: layout: unknown field; a partial layout has structure"),
])
def test_each_contradiction_is_an_error_naming_example_element_and_key(tree, partial, message):
    with pytest.raises(PartialLayoutError) as error:
        read(tree, partial)
    assert str(error.value).startswith(message), str(error.value)
    assert isinstance(error.value, ValueError)


def test_the_root_may_be_anything_when_root_actions_is_none(tree):
    assert read(tree, '{"structure": {"wrapper@div.container": ""}}', root_actions=None).actions == {0: "wrapper"}


def test_boxes_are_not_checked_against_a_screenshot_it_does_not_know(tree):
    partial = read_partial_layout(tree, json.loads('{"structure": {}, "nodes": {"2": {"location": [5000, 10]}}}'))
    assert partial.boxes[2].values[:2] == (5000.0, 10.0)
