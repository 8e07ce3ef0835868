"""Html tokenizer: tag vocabulary with hashed fallback, class hashes, compact-CSS parts, tree features."""

import numpy as np
import pytest

from dlt_jax.data.tokenize import CSS_PARTS, HtmlTokenizer, stable_bucket
from dlt_jax.layout import CONTENT_KEYS, load_json, parse_html

HTML = load_json("""{
  "section.hero": {
    "h1.title.t:h:pt_7r": {"text": "Hi"},
    "div.row": {"a.btn": {"text": "Go", "href": "/go"}, "a.btn": "", "img": {"src": "x.png", "alt": "x"}},
    "SPAN.note": ""
  }
}""")


def test_tag_vocabulary_orders_known_tags_by_frequency_then_name():
    tokenizer = HtmlTokenizer.from_tag_counts({"div": 9, "a": 3, "h1": 3, "p": 1, "DIV": 1}, tag_vocab_size=3,
                                              tag_hash_buckets=4)
    assert tokenizer.tags == ("div", "a", "h1")
    assert [tokenizer.tag_id(t) for t in ("div", "A", "h1")] == [1, 2, 3]


def test_unknown_tags_fall_back_to_stable_hash_buckets_after_the_vocabulary():
    tokenizer = HtmlTokenizer(tags=("div",), tag_vocab_size=8, tag_hash_buckets=16)
    ids = {tag: tokenizer.tag_id(tag) for tag in ("span", "video", "custom1")}
    assert all(8 < i <= 8 + 16 for i in ids.values())
    assert ids["span"] == 8 + stable_bucket("span", 16, "tag") == 8 + 13  # pinned: same in every process
    assert tokenizer.sizes["tag_id"] == 1 + 8 + 16


def test_min_count_leaves_rare_tags_to_hashing():
    tokenizer = HtmlTokenizer.from_tag_counts({"div": 5, "p": 1}, tag_vocab_size=4, min_count=2)
    assert tokenizer.tags == ("div",)


def test_class_hash_is_pinned_so_ids_agree_across_runs():
    assert stable_bucket("row", 4096, "class") == 2327


def test_compact_class_is_split_into_device_state_property_value_unit():
    tokenizer = HtmlTokenizer()
    word, parts = tokenizer.class_features("t:h:pt_7r")
    assert parts[0] == 2 and parts[1] == 2 and parts[4] == 2  # tablet, hover, rem
    assert parts[2] == stable_bucket("pt", 64, "css_property") and parts[3] == stable_bucket("7", 256, "css_value")
    assert word == stable_bucket("t:h:pt_7r", 4096, "class")
    assert tokenizer.class_features("hero__title")[1] == (0, 0, 0, 0, 0)
    assert tokenizer.class_features("c_fff")[1][4] == 1  # a word value has no unit


def test_tree_features_follow_the_preorder_slots():
    tokenizer = HtmlTokenizer(tags=("section", "div", "a"), tag_vocab_size=4, max_classes=2)
    features = tokenizer.tokenize(parse_html(HTML), max_slots=10)
    # slots: 0 section, 1 h1, 2 div.row, 3 a.btn, 4 a.btn, 5 img, 6 SPAN
    assert features["tag_id"][:7].tolist() == [1, tokenizer.tag_id("h1"), 2, 3, 3, tokenizer.tag_id("img"),
                                               tokenizer.tag_id("span")]
    assert features["depth"][:7].tolist() == [0, 1, 1, 2, 2, 2, 1]
    assert features["sibling_index"][:7].tolist() == [0, 0, 1, 0, 1, 2, 2]
    assert features["child_count"][:7].tolist() == [3, 0, 3, 0, 0, 0, 0]
    assert features["parent_slot"].tolist() == [-1, 0, 0, 2, 2, 2, 0, -1, -1, -1]
    kinds = features["content_kinds"]
    assert [CONTENT_KEYS[k] for k in np.flatnonzero(kinds[3])] == ["text", "href"]
    assert [CONTENT_KEYS[k] for k in np.flatnonzero(kinds[5])] == ["src", "alt"]
    assert not kinds[4].any() and not kinds[7:].any()


def test_classes_are_padded_and_cut_at_max_classes():
    tokenizer = HtmlTokenizer(max_classes=2)
    features = tokenizer.tokenize(parse_html(HTML), max_slots=8)
    assert features["class_ids"].shape == (8, 2) and features["css_parts"].shape == (8, 2, len(CSS_PARTS))
    assert (features["class_ids"][1] > 0).all()  # h1 has title and t:h:pt_7r
    assert features["class_ids"][5].tolist() == [0, 0]  # img has none
    assert features["css_parts"][1, 1, 0] == 2 and not features["css_parts"][1, 0].any()
    assert not features["class_ids"][7:].any()


def test_every_id_lies_inside_its_table():
    tokenizer = HtmlTokenizer(tag_vocab_size=2, tag_hash_buckets=3, class_hash_buckets=5,
                              css_property_buckets=2, css_value_buckets=2, max_depth=1, max_position=1)
    features = tokenizer.tokenize(parse_html(HTML), max_slots=8)
    sizes = tokenizer.sizes
    assert features["tag_id"].max() < sizes["tag_id"] and features["class_ids"].max() < sizes["class_ids"]
    for position, part in enumerate(CSS_PARTS):
        assert features["css_parts"][..., position].max() < sizes[f"css_{part}"]
    assert features["depth"].max() == 1 and features["child_count"].max() == 1  # clipped


def test_more_nodes_than_slots_is_an_error():
    with pytest.raises(ValueError, match="7 html nodes, more than max_slots 6"):
        HtmlTokenizer().tokenize(parse_html(HTML), max_slots=6)


def test_upper_case_known_tags_are_rejected():
    with pytest.raises(ValueError, match="lower case"):
        HtmlTokenizer(tags=("DIV",))
