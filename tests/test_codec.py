"""Layout <-> actions: DATA_FORMAT examples, merges, props, every LayoutError, round trips."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlt_jax.layout import (REASONS, LayoutError, OutputStyle, Vocabulary, decode_layout, dump_json,
                            encode_layout, layout_element_types, load_json, parse_html)
from strategies import actions_for, html_objects

HTML = """{
  "div.container": {
    "div.background_image": "",
    "div.background_overlay": {"p.caption": {"text": "Photo: Ana"}},
    "h1.heading": {"text": "Hello World"},
    "p.paragraph": {"text": "This is a paragraph"},
    "div.row": {
      "a.btn.pt_7r.t:fs_18x.h:c_fff": {"text": "Go", "href": "x1"},
      "img.logo": {"src": "xv854"}
    }
  }
}"""

LAYOUT = """{
  "structure": {
    "section@div.container": {
      "paragraph@p.caption": "",
      "heading@h1.heading": "",
      "paragraph@p.paragraph": "",
      "wrapper@div.row": {
        "button@a.btn.pt_7r.t:fs_18x.h:c_fff": "",
        "image@img.logo": ""
      }
    }
  },
  "props": {"bi": "div.background_image", "bo": "div.background_overlay"}
}"""


def encode_text(html: str, layout: str, **kwargs):
    tree = parse_html(load_json(html))
    return tree, encode_layout(tree, load_json(layout), **kwargs)


def assert_round_trip(html: str, layout: str) -> None:
    tree, encoded = encode_text(html, layout)
    decoded = decode_layout(tree, encoded.actions, encoded.style)
    assert decoded.repairs == {}
    assert dump_json(decoded.layout) == dump_json(load_json(layout))


def test_data_format_example_encodes_to_one_action_per_node():
    tree, encoded = encode_text(HTML, LAYOUT)
    assert encoded.actions == ("section", "PROP_BI", "PROP_BO", "paragraph", "heading", "paragraph",
                               "wrapper", "button", "image")
    assert encoded.props == {"bi": 1, "bo": 2}
    assert encoded.style == OutputStyle("@", "original")


def test_data_format_example_round_trips_with_prop_subtree():
    assert_round_trip(HTML, LAYOUT)


def test_element_inside_a_prop_hangs_on_nearest_ancestor_element():
    tree, encoded = encode_text(HTML, LAYOUT)
    layout, _ = decode_layout(tree, encoded.actions)
    assert list(layout["structure"]["section@div.container"].keys())[0] == "paragraph@p.caption"


def test_merge_up_chain_and_merge_left_siblings():
    html = '{"section.s": {"div.col": {"div.card": {"h3": "A", "p": "B"}}, "div.t1": "x", "div.t2": "y"}}'
    layout = ('{"structure": {"section@section.s": {"column@div.col@div.card": {"heading@h3": "", '
              '"paragraph@p": ""}, "paragraph@div.t1@div.t2": ""}}, "props": {}}')
    _, encoded = encode_text(html, layout)
    assert encoded.actions == ("section", "column", "MERGE_UP", "heading", "paragraph", "paragraph",
                               "MERGE_LEFT")
    assert_round_trip(html, layout)


def test_drop_containers_hang_children_on_nearest_element():
    html = '{"section": {"div.inner": {"span.x": {"h2": "T"}}}}'
    layout = '{"structure": {"section@section": {"heading@h2": ""}}, "props": {}}'
    _, encoded = encode_text(html, layout)
    assert encoded.actions == ("section", "DROP", "DROP", "heading")
    assert_round_trip(html, layout)


def test_duplicate_keys_survive_load_encode_decode_dump():
    html = '{"ul.list": {"li.item": {"a": "1"}, "li.item": {"a": "2"}, "li.item": {"a": "3"}}}'
    layout = ('{"structure": {"wrapper@ul.list": {"button@li.item@a": "", "paragraph@li.item": "", '
              '"button@li.item@a": ""}}, "props": {}}')
    tree, encoded = encode_text(html, layout)
    assert encoded.actions == ("wrapper", "button", "MERGE_UP", "paragraph", "DROP", "button", "MERGE_UP")
    decoded, _ = decode_layout(tree, encoded.actions)
    assert dump_json(decoded) == dump_json(load_json(layout))
    assert list(decoded["structure"]["wrapper@ul.list"].keys()).count("button@li.item@a") == 2


def test_keys_containing_at_signs_resolve_against_html_nodes():
    html = '{"section@mx_auto": {"div@mr_auto@ml_auto": {"div@mb_1r": {"i@bi@bi-star": ""}}}}'
    layout = ('{"structure": {"section@section@mx_auto": {"icon@div@mr_auto@ml_auto@div@mb_1r@i@bi@bi-star": ""}},'
              ' "props": {}}')
    _, encoded = encode_text(html, layout)
    assert encoded.actions == ("section", "icon", "MERGE_UP", "MERGE_UP")
    assert_round_trip(html, layout)


@pytest.mark.parametrize("html_key", ["h1.c_fff.fs_3r", "h1@c_fff@fs_3r", "h1-c_fff@fs_3r"])
def test_each_html_spelling_round_trips_in_original_style(html_key):
    html = f'{{"section": {{"{html_key}": "Title"}}}}'
    layout = f'{{"structure": {{"section@section": {{"heading@{html_key}": ""}}}}, "props": {{}}}}'
    assert_round_trip(html, layout)


def test_dot_style_quotes_normalised_keys_and_is_detected():
    html = '{"section-bg_111": {"h1-c_fff": "Hi", "div@row": {"a-btn": "Go"}}}'
    layout = ('{"structure": {"section.section.bg_111": {"heading.h1.c_fff": "", '
              '"wrapper.div.row": {"button.a.btn": ""}}}, "props": {}}')
    tree, encoded = encode_text(html, layout)
    assert encoded.style == OutputStyle(".", "dot")
    assert_round_trip(html, layout)


def test_keys_already_in_dot_form_are_compatible_with_both_spellings():
    _, encoded = encode_text('{"section.a": {"h1.b": "x"}}',
                             '{"structure": {"section@section.a": {"heading@h1.b": ""}}}')
    assert encoded.compatible_styles == {OutputStyle("@", "original"), OutputStyle("@", "dot")}


def test_missing_props_reads_as_empty_props():
    tree, encoded = encode_text('{"section": ""}', '{"structure": {"section@section": ""}}')
    assert dump_json(decode_layout(tree, encoded.actions).layout) == \
        '{"structure": {"section@section": ""}, "props": {}}'


def test_layout_element_types_lists_every_element_in_preorder():
    assert layout_element_types(load_json(LAYOUT)) == [
        "section", "paragraph", "heading", "paragraph", "wrapper", "button", "image"]


ERROR_CASES = {
    "bad_layout": '{"props": {}}',
    "bad_value": '{"structure": {"section@div.container": 5}}',
    "no_nodes": '{"structure": {"section": ""}}',
    "unknown_type": '{"structure": {"banner@div.container": ""}}',
    "unresolved_key": '{"structure": {"section@div.container": {"heading@h9.nope": ""}}}',
    "not_connected": '{"structure": {"section@div.container": {"wrapper@h1.heading@div.row": ""}}}',
    "misplaced": '{"structure": {"section@div.container": {"wrapper@div.row": {"heading@h1.heading": ""}}}}',
    "mixed_style": '{"structure": {"section@div.container": {"heading.h1.heading": ""}}}',
    "unknown_prop": '{"structure": {"section@div.container": ""}, "props": {"bx": "div.row"}}',
    "duplicate_prop": ('{"structure": {"section@div.container": ""}, '
                       '"props": {"bi": "div.background_image", "bi": "div.row"}}'),
    "unresolved_prop": '{"structure": {"section@div.container": ""}, "props": {"bi": "div.nothing"}}',
    "prop_order": ('{"structure": {"section@div.container": ""}, '
                   '"props": {"bo": "div.background_overlay", "bi": "div.background_image"}}'),
}


@pytest.mark.parametrize("reason", sorted(ERROR_CASES))
def test_unrepresentable_layouts_raise_with_key_and_reason(reason):
    with pytest.raises(LayoutError) as caught:
        encode_text(HTML, ERROR_CASES[reason])
    assert caught.value.reason == reason
    assert caught.value.key and caught.value.message


def test_siblings_out_of_document_order_are_misplaced():
    layout = '{"structure": {"section@div.container": {"paragraph@p.paragraph": "", "heading@h1.heading": ""}}}'
    with pytest.raises(LayoutError) as caught:
        encode_text(HTML, layout)
    assert (caught.value.reason, caught.value.key) == ("misplaced", "heading@h1.heading")


def test_search_limit_stops_an_endless_search():
    with pytest.raises(LayoutError) as caught:
        encode_text(HTML, LAYOUT, max_search_steps=2)
    assert caught.value.reason == "search_limit"


def test_every_reason_has_a_case():
    assert set(ERROR_CASES) | {"search_limit"} == set(REASONS)


def test_extended_vocabulary_accepts_its_new_type():
    html = '{"section": {"div.cd": "10:00"}}'
    layout = '{"structure": {"section@section": {"countdown@div.cd": ""}}}'
    with pytest.raises(LayoutError):
        encode_text(html, layout)
    _, encoded = encode_text(html, layout, vocab=Vocabulary.extended(element_types=["countdown"]))
    assert encoded.actions == ("section", "countdown")


def test_decode_repairs_orphan_merges_and_second_props_and_counts_them():
    tree = parse_html(load_json('{"div.a": {"div.b": "", "div.c": ""}, "div.d": ""}'))
    decoded = decode_layout(tree, ["MERGE_UP", "PROP_BI", "PROP_BI", "MERGE_LEFT"])
    assert decoded.repairs == {"merge_up_without_target": 1, "duplicate_prop": 1}
    assert dump_json(decoded.layout) == \
        '{"structure": {"wrapper@div.a@div.d": ""}, "props": {"bi": "div.b"}}'


def test_decode_counts_pad_and_mask_on_real_nodes_as_drops():
    tree = parse_html(load_json('{"section": {"p": "x"}}'))
    decoded = decode_layout(tree, ["section", "MASK"])
    assert decoded.repairs == {"pad_or_mask_on_node": 1}
    assert dump_json(decoded.layout) == '{"structure": {"section@section": ""}, "props": {}}'


def test_decode_rejects_wrong_action_count():
    tree = parse_html(load_json('{"section": ""}'))
    with pytest.raises(ValueError, match="1 html nodes"):
        decode_layout(tree, ["section", "DROP"])


STYLES = [OutputStyle("@", "original"), OutputStyle(".", "dot"), OutputStyle("@", "dot"),
          OutputStyle(".", "original")]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_decoded_layout_round_trips_through_encode(data):
    """Every layout the decoder can produce is representable, and comes back identical."""
    tree = parse_html(data.draw(html_objects()))
    actions = data.draw(actions_for(len(tree)))
    layout, _ = decode_layout(tree, actions, data.draw(st.sampled_from(STYLES)))
    encoded = encode_layout(tree, layout)
    again = decode_layout(tree, encoded.actions, encoded.style)
    assert again.repairs == {}
    assert dump_json(again.layout) == dump_json(layout)
    assert load_json(dump_json(again.layout)) == layout


@pytest.mark.parametrize("style", STYLES)
def test_style_names_read_back(style):
    assert OutputStyle.from_name(style.name) == style


@pytest.mark.parametrize("html, action", [
    ('{"section": {"div.class1": {"div.class2": {"p": "a", "p": "b"}}}}', "MERGE_UP"),
    ('{"section": {"div.class1": {"p": "a"}, "div.class2": {"p": "b"}}}', "MERGE_LEFT"),
])
def test_data_format_two_node_wrapper_merges_up_or_left(html, action):
    layout = ('{"structure": {"section@section": {"wrapper@div.class1@div.class2": '
              '{"paragraph@p": "", "paragraph@p": ""}}}, "props": {}}')
    tree, encoded = encode_text(html, layout)
    class2 = next(n.index for n in tree.nodes if n.key.key == "div.class2")
    assert (encoded.actions[1], encoded.actions[class2]) == ("wrapper", action)
    assert_round_trip(html, layout)
