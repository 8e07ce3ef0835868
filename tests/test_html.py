"""Parsing html objects: nodes vs content, key spellings, compact CSS, preorder links."""

import pytest

from dlt_jax.layout import CompactClass, HtmlError, decompose_class, load_json, parse_html, parse_key

DATA_FORMAT_HTML = """{
  "div.container": {
    "h1.heading": {"text": "Hello World"},
    "p.paragraph": {"text": "This is a paragraph"},
    "div.row": {
      "a.btn.pt_7r.t:fs_18x.h:c_fff": {"text": "Go", "href": "x1"},
      "img.logo": {"src": "xv854"}
    }
  }
}"""


def test_data_format_example_numbers_nodes_in_preorder():
    tree = parse_html(load_json(DATA_FORMAT_HTML))
    assert [n.key.key for n in tree.nodes] == [
        "div.container", "h1.heading", "p.paragraph", "div.row", "a.btn.pt_7r.t:fs_18x.h:c_fff", "img.logo"]
    assert [n.parent for n in tree.nodes] == [None, 0, 0, 0, 3, 3]
    assert [n.depth for n in tree.nodes] == [0, 1, 1, 1, 2, 2]
    assert [n.sibling_index for n in tree.nodes] == [0, 0, 1, 2, 0, 1]
    assert [n.child_count for n in tree.nodes] == [3, 0, 0, 2, 0, 0]
    assert tree[4].content == (("text", "Go"), ("href", "x1"))
    assert tree[5].content_kinds == ("src",)
    assert tree.previous_sibling(3) == 2 and tree.previous_sibling(1) is None
    assert list(tree.ancestors(4)) == [3, 0]


@pytest.mark.parametrize("key, tag, classes, spelling", [
    ("div.c1.c2", "div", ("c1", "c2"), "dot"),
    ("div.uk-width-1-2@m", "div", ("uk-width-1-2@m",), "dot"),
    ("div@c1@fs_1.125r", "div", ("c1", "fs_1.125r"), "at"),
    ("h1-c_fff", "h1", ("c_fff",), "dash"),
    ("h1-c_fff@mb_2r", "h1", ("c_fff", "mb_2r"), "dash"),
    ("section", "section", (), "bare"),
])
def test_three_key_spellings_split_classes_their_own_way(key, tag, classes, spelling):
    parsed = parse_key(key)
    assert (parsed.tag, parsed.classes, parsed.spelling) == (tag, classes, spelling)


def test_dot_key_respells_any_spelling_with_dots():
    assert parse_key("h1-c_fff").dot_key == "h1.c_fff"
    assert parse_key("div@mr_auto@ml_auto").dot_key == "div.mr_auto.ml_auto"


def test_bad_key_is_reported_with_its_path():
    with pytest.raises(HtmlError, match=r"html\['div'\]\['#text'\]"):
        parse_html(load_json('{"div": {"#text": "x"}}'))
    with pytest.raises(HtmlError, match="unexpected '#'"):
        parse_key("div#main")


def test_content_keys_with_strings_are_content_not_nodes():
    tree = parse_html(load_json('{"a.link": {"text": "", "href": "/x", "title": "t"}, "p": "Hi"}'))
    assert len(tree) == 2
    assert tree[0].content == (("text", ""), ("href", "/x"), ("title", "t"))
    assert tree[1].content == (("text", "Hi"),)


def test_content_key_with_an_object_value_is_an_element_named_by_it():
    tree = parse_html(load_json('{"div": {"text": {"span": ""}}}'))
    assert [n.tag for n in tree.nodes] == ["div", "text", "span"]


def test_values_that_are_neither_nodes_nor_content_are_warned_about():
    tree = parse_html(load_json('{"div": {"p": 3, "span": null, "text": 5}}'))
    assert len(tree) == 1
    assert len(tree.warnings) == 3


def test_repeated_sibling_keys_are_separate_nodes():
    tree = parse_html(load_json('{"ul": {"li.item": "a", "li.item": "b", "li.item": "c"}}'))
    assert [n.sibling_index for n in tree.nodes[1:]] == [0, 1, 2]
    assert [n.content for n in tree.nodes[1:]] == [(("text", "a"),), (("text", "b"),), (("text", "c"),)]


@pytest.mark.parametrize("name, expected", [
    ("pt_7r", CompactClass("", "", "pt", "7", "rem")),
    ("t:fs_18x", CompactClass("tablet", "", "fs", "18", "px")),
    ("h:c_fff", CompactClass("", "hover", "c", "fff", "")),
    ("t:h:pt_7r", CompactClass("tablet", "hover", "pt", "7", "rem")),
    ("m:w_50p", CompactClass("mobile", "", "w", "50", "%")),
    ("fs_1.125r", CompactClass("", "", "fs", "1.125", "rem")),
    ("h_100v", CompactClass("", "", "h", "100", "vw/vh")),
])
def test_compact_css_classes_decompose(name, expected):
    assert decompose_class(name) == expected


@pytest.mark.parametrize("name", ["hero__title", "btn-primary", "container", "t:m:pt_7r", "x_"])
def test_other_classes_are_opaque_words(name):
    assert decompose_class(name) is None
