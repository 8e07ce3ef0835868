"""Long sections split into windows that fit the model's slots, and stitched back (layout.windows)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlt_jax.layout import DEFAULT_VOCAB, JsonObject, decode_layout, dump_json, load_json, parse_html
from dlt_jax.layout.windows import (Window, plan_windows, stitch_nodes, subtree_sizes,
                                    window_given, window_html, window_rows)
from strategies import html_objects


def cards(count: int, key: str = "div.card") -> dict:
    """A section of `count` cards, each a 4-node subtree (card, heading, paragraph, link)."""
    return {"section.s": {"div.row": [(key, {"h3.t": "Title", "p.x": {"text": "Body", "a.more": ""}})
                                      for _ in range(count)]}}


def html_of(pairs) -> object:
    """Nested (key, value) pairs or dicts (lists of pairs allow repeated keys) as a JsonObject."""
    if isinstance(pairs, dict):
        pairs = list(pairs.items())
    if isinstance(pairs, list):
        return JsonObject((k, html_of(v)) for k, v in pairs)
    return pairs


def assert_invariants(tree, windows, max_nodes):
    owners = [0] * len(tree)
    for window in windows:
        assert len(window.nodes) <= max_nodes
        assert list(window.nodes) == sorted(set(window.nodes)) and set(window.own) <= set(window.nodes)
        for node in window.own:
            owners[node] += 1
        for node in window.nodes:  # every node comes with its whole ancestor chain
            assert set(tree.ancestors(node)) <= set(window.nodes)
    assert owners == [1] * len(tree)
    firsts = [min(w.own) for w in windows]
    assert firsts == sorted(firsts)  # windows in preorder


def test_a_tree_that_fits_is_one_window_owning_every_node():
    tree = parse_html(html_of(cards(2)))
    assert plan_windows(tree, 64) == [Window(tuple(range(len(tree))), tuple(range(len(tree))))]
    assert plan_windows(tree, len(tree)) == [Window(tuple(range(10)), tuple(range(10)))]


def test_a_long_row_is_split_into_groups_of_whole_cards_under_their_ancestors():
    tree = parse_html(html_of(cards(6)))  # section, row, 6 x (card, h3, p, a): 26 nodes
    assert len(tree) == 26
    windows = plan_windows(tree, 12)
    assert_invariants(tree, windows, 12)
    # The first window owns section, row and the first two cards (2 + 8 = 10 nodes; a third does not fit).
    assert windows[0] == Window(tuple(range(10)), tuple(range(10)))
    # Then the row's other cards, two at a time, with section + row and the previous card as context.
    assert windows[1] == Window((0, 1, 6, *range(10, 18)), tuple(range(10, 18)))
    assert windows[1].context == (0, 1, 6)
    assert windows[2] == Window((0, 1, 14, *range(18, 26)), tuple(range(18, 26)))
    cards_at = [n.index for n in tree.nodes if n.key.key == "div.card"]
    for window in windows:  # whole cards stay together
        for card in cards_at:
            if card in window.own:
                assert set(range(card, card + 4)) <= set(window.own)


def test_a_subtree_too_big_for_a_window_is_split_below_its_root():
    html = html_of({"section.s": {"div.big": [(f"p.i{i}", "x") for i in range(10)], "div.small": {"p.a": ""}}})
    tree = parse_html(html)  # 0 section, 1 big, 2..11 p, 12 small, 13 p.a
    windows = plan_windows(tree, 6)
    assert_invariants(tree, windows, 6)
    # The big div is owned with its first children; the rest follow with it as context.
    assert windows[0].own == (0, 1, 2, 3, 4, 5) and windows[0].context == ()
    assert windows[1].context == (0, 1, 5) and windows[1].own == (6, 7, 8)
    assert windows[-1].own == (12, 13) and windows[-1].context == (0, 1)  # div.big: small's previous sibling


def test_a_first_child_too_big_pushes_its_parent_down_into_its_own_window():
    html = html_of({"section.s": {"div.a": {"div.b": [(f"p.i{i}", "") for i in range(6)]}}})
    tree = parse_html(html)  # 0 section, 1 a, 2 b, 3..8 p
    windows = plan_windows(tree, 5)
    assert_invariants(tree, windows, 5)
    assert windows[0] == Window((0, 1, 2, 3, 4), (0, 1, 2, 3, 4))


def test_the_previous_sibling_is_context_only_when_the_first_subtree_still_fits():
    tree = parse_html(html_of({"section.s": [(f"div.c{i}", {"p": "", "a": ""}) for i in range(4)]}))
    windows = plan_windows(tree, 4)  # section + one 3-node card fills it: no room for the previous card
    assert_invariants(tree, windows, 4)
    assert [w.context for w in windows[1:]] == [(0,), (0,), (0,)]
    windows = plan_windows(tree, 5)
    assert [w.context for w in windows[1:]] == [(0, 1), (0, 4), (0, 7)]
    assert [w.context for w in plan_windows(tree, 5, borders=False)[1:]] == [(0,), (0,), (0,)]


def test_several_top_level_nodes_are_grouped_without_a_common_root():
    tree = parse_html(html_of([(f"div.top{i}", {"p": ""}) for i in range(5)]))
    windows = plan_windows(tree, 4)
    assert_invariants(tree, windows, 4)
    # After the first, each window holds one pair and the previous top-level node (a border) as context.
    assert [w.own for w in windows] == [(0, 1, 2, 3), (4, 5), (6, 7), (8, 9)]
    assert [w.context for w in windows] == [(), (2,), (4,), (6,)]


def test_too_small_a_window_for_the_deepest_chain_is_a_clear_error():
    tree = parse_html(html_of({"section": {"div": {"div": {"p": ""}}, "a": ""}}))
    with pytest.raises(ValueError, match="max_nodes=3 is too small: the html tree is 4 nodes deep"):
        plan_windows(tree, 3)
    assert_invariants(tree, plan_windows(tree, 4), 4)


def test_window_html_holds_the_window_nodes_in_order_with_keys_and_content():
    html = load_json('{"section.s": {"div.row": {"div.c": {"h3.t": "One", "p": {"text": "x", "a.m": ""}}, '
                     '"div.c": {"h3.t": "Two", "p": {"text": "y", "a.m": ""}}, '
                     '"div.c": {"h3.t": "Three", "text": {"span": "z"}}}, "href": "/x"}}')
    tree = parse_html(html)
    windows = plan_windows(tree, 8)
    assert len(windows) >= 2
    for window in windows:
        sub = parse_html(window_html(html, tree, window))
        assert [n.key.key for n in sub.nodes] == [tree[i].key.key for i in window.nodes]
        assert [n.content for n in sub.nodes] == [tree[i].content for i in window.nodes]
        assert [n.depth for n in sub.nodes] == [tree[i].depth for i in window.nodes]
    last = windows[-1]
    assert last.context == (0, 1, 6)  # the second card comes as a border node, without its children
    assert dump_json(window_html(html, tree, last)) == (
        '{"section.s": {"div.row": {"div.c": {}, "div.c": {"h3.t": "Three", "text": {"span": "z"}}}, "href": "/x"}}')


def test_window_html_refuses_a_window_without_a_parent():
    tree = parse_html(html_of(cards(1)))
    with pytest.raises(ValueError, match="node 3 without its parent 2"):
        window_html(html_of(cards(1)), tree, Window((0, 3), (3,)))


def test_rows_and_given_values_map_into_a_window():
    window = Window((0, 1, 6, 10, 11), (10, 11))
    boxes = [[i, 0, 1, 1] for i in range(12)]
    assert window_rows(boxes, window) == [[0, 0, 1, 1], [1, 0, 1, 1], [6, 0, 1, 1], [10, 0, 1, 1], [11, 0, 1, 1]]
    assert window_rows(np.arange(12), window) == [0, 1, 6, 10, 11]
    assert window_given({1: "wrapper", 5: "DROP", 11: "heading"}, window) == {1: "wrapper", 4: "heading"}


def test_stitching_takes_each_node_from_its_owner_and_decodes():
    tree = parse_html(html_of(cards(6)))
    windows = plan_windows(tree, 12)
    per_window = [["section" if i == 0 else "wrapper" if tree[i].key.key == "div.card" else
                   "MERGE_LEFT" if i in w.context else "heading" for i in w.nodes] for w in windows]
    actions = stitch_nodes(len(tree), windows, per_window)
    assert actions[0] == "section" and actions[1] == "heading" and actions[6] == "wrapper"
    assert "MERGE_LEFT" not in actions  # context copies are never taken
    decoded = decode_layout(tree, actions)
    assert decoded.repairs == {}
    assert stitch_nodes(len(tree), windows, [list(w.nodes) for w in windows]) == list(range(len(tree)))


def test_stitching_refuses_nodes_owned_twice_or_never():
    windows = [Window((0, 1), (0, 1)), Window((0, 1, 2), (1, 2))]
    with pytest.raises(ValueError, match="node 1 is owned by windows 0 and 1"):
        stitch_nodes(3, windows, [["a", "b"], ["a", "b", "c"]])
    with pytest.raises(ValueError, match=r"1 node\(s\) owned by no window, first \[2\]"):
        stitch_nodes(3, windows[:1], [["a", "b"]])


def test_subtree_sizes_count_each_node_and_its_descendants():
    assert subtree_sizes(parse_html(html_of(cards(2)))) == [10, 9, 4, 1, 2, 1, 4, 1, 2, 1]


@settings(max_examples=150, deadline=None)
@given(html=html_objects(max_nodes=40), extra=st.integers(0, 20), data=st.data())
def test_windows_of_random_trees_own_every_node_once_and_fit(html, extra, data):
    tree = parse_html(html)
    deepest = max(n.depth for n in tree.nodes) + 1
    max_nodes = deepest + extra
    windows = plan_windows(tree, max_nodes)
    assert_invariants(tree, windows, max_nodes)
    assert (len(windows) == 1) == (len(tree) <= max_nodes)
    sizes = subtree_sizes(tree)
    for window in windows:
        sub = parse_html(window_html(html, tree, window))
        assert [n.key.key for n in sub.nodes] == [tree[i].key.key for i in window.nodes]
        local = {node: position for position, node in enumerate(window.nodes)}
        assert [n.parent for n in sub.nodes] == [None if tree[i].parent is None else local[tree[i].parent]
                                                 for i in window.nodes]
        own = set(window.own)
        for node in window.own:  # a subtree that fits under its ancestors is never split
            if sizes[node] <= max_nodes - tree[node].depth:
                assert set(range(node, node + sizes[node])) <= own
        for node in window.context:  # context is ancestors of own nodes, or a border sibling without children
            is_ancestor = any(node in set(tree.ancestors(o)) for o in window.own)
            assert is_ancestor or not (set(tree[node].children) & set(window.nodes))
    names = data.draw(st.lists(st.sampled_from(DEFAULT_VOCAB.actions[2:]), min_size=len(tree), max_size=len(tree)))
    per_window = [[names[i] for i in w.nodes] for w in windows]
    assert stitch_nodes(len(tree), windows, per_window) == names
    decode_layout(tree, names)  # any stitched sequence decodes (repairs counted)
