"""Html tokenizer: tag vocabulary with hashed fallback, class hashes and parts, compact-CSS parts, tree,
content and box-geometry features."""

import numpy as np
import pytest

from dlt_jax.data.tokenize import (CSS_PARTS, FEATURE_PADDING, FIRST_HASHED_PART, HASHED, NUMBER, HtmlTokenizer,
                                   class_parts, looks_hashed, stable_bucket, text_length_id)
from dlt_jax.evaluation.baseline import rule_actions
from dlt_jax.layout import CONTENT_KEYS, DEFAULT_VOCAB, load_json, parse_html

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


# ----------------------------------------------------------------------------- class parts

@pytest.mark.parametrize("name, parts", [
    ("col-md-4", ("col", "md", "4")),
    ("btn-primary", ("btn", "primary")),
    ("features__item--large", ("features", "item", "large")),
    ("heroTitle", ("hero", "title")),
    ("featuresItem", ("features", "item")),
    ("md:w-1/3", ("md", "w", "1", "3")),
    ("hover:bg-blue-500", ("hover", "bg", "blue", NUMBER)),
    ("css-1x9qk2", (HASHED,)),
    ("sc-bdfBwQ", (HASHED,)),
    ("Hero_title__a8f3", ("hero", "title", HASHED)),
    ("uk-width-1-2@m", ("uk", "width", "1", "2", "m")),
    ("XMLHttpRequest", ("xml", "http", "request")),
    ("h100", ("h", NUMBER)),
    ("grid-cols-12", ("grid", "cols", "12")),
    ("css-grid", ("css", "grid")),              # a css- prefix hashes only a hash-looking chunk
    ("css-1x9qk2-Button", (HASHED, "button")),
])
def test_classes_split_into_lower_case_parts(name, parts):
    assert class_parts(name) == parts


@pytest.mark.parametrize("chunk", ["a8f3", "1x9qk2", "3xKz9", "bdfBwQ", "kJhHbF"])
def test_generated_names_look_hashed(chunk):
    assert looks_hashed(chunk)


@pytest.mark.parametrize("chunk", ["x1y", "h100", "2xl", "abc1", "1234", "col", "heroTitle", "isActiveNavItem",
                                   "iPhone", "BUTTON"])
def test_words_and_numbers_do_not_look_hashed(chunk):
    assert not looks_hashed(chunk)


def test_part_ids_keep_reserved_tokens_then_hash_words_into_buckets():
    tokenizer = HtmlTokenizer(class_part_buckets=2048)
    assert tokenizer.part_id(HASHED) == 1 and tokenizer.part_id(NUMBER) == 2
    assert [tokenizer.part_id(str(i)) for i in (0, 4, 12)] == [3, 7, 15] and FIRST_HASHED_PART == 16
    assert tokenizer.part_id("col") == 15 + stable_bucket("col", 2048, "class_part") == 1962  # pinned
    assert FIRST_HASHED_PART <= tokenizer.part_id("hero") < tokenizer.sizes["class_part_ids"] == 16 + 2048


def test_node_parts_leave_compact_css_out_and_count_each_part_once():
    tokenizer = HtmlTokenizer()
    ids = tokenizer.node_part_ids(["btn", "btn-primary", "pt_7r", "css-1x9qk2", "Hero_title__a8f3"])
    assert ids == [tokenizer.part_id(p) for p in ("btn", "primary", HASHED, "hero", "title")]
    assert len(HtmlTokenizer(max_class_parts=2).node_part_ids(["a-b-c"])) == 2


def test_two_sites_hashes_read_the_same():
    tokenizer = HtmlTokenizer()
    assert tokenizer.node_part_ids(["css-1x9qk2"]) == tokenizer.node_part_ids(["sc-bdfBwQ"]) == [1]


def test_class_part_features_fill_slots_and_switches_turn_features_off():
    tree = parse_html(HTML)
    features = HtmlTokenizer(max_class_parts=4).tokenize(tree, max_slots=8)
    assert features["class_part_ids"].shape == (8, 4)
    tokenizer = HtmlTokenizer()
    assert features["class_part_ids"][1].tolist() == [tokenizer.part_id("title"), 0, 0, 0]  # pt_7r is compact
    assert not features["class_part_ids"][5].any() and not features["class_part_ids"][7:].any()
    off = HtmlTokenizer(whole_classes=False, class_parts=False, geometry=False)
    plain = off.tokenize(tree, 8, np.ones((7, 4)) * 10)
    assert not plain["class_ids"].any() and not plain["class_part_ids"].any() and not plain["geometry_valid"].any()
    assert plain["css_parts"].any()  # compact CSS stays
    assert {"class_ids", "class_part_ids", "geometry", "alignment"}.isdisjoint(off.sizes)
    assert set(plain) == set(features) == set(FEATURE_PADDING)


def test_rule_prior_gives_each_node_the_rule_baseline_action_and_is_off_by_default():
    tree = parse_html(HTML)
    assert "rule_action" not in HtmlTokenizer().sizes
    assert not HtmlTokenizer().tokenize(tree, 8)["rule_action"].any()
    on = HtmlTokenizer(rule_prior=True)
    prior = on.tokenize(tree, 8)["rule_action"]
    assert DEFAULT_VOCAB.action_names(prior[:len(tree)]) == rule_actions(tree)
    assert DEFAULT_VOCAB.action_name(prior[1]) == "heading" and not prior[len(tree):].any()
    assert on.sizes["rule_action"] == DEFAULT_VOCAB.size and prior.max() < DEFAULT_VOCAB.size
    stripped = parse_html(load_json('{"section": {"a": {"text": "Go", "href": "/go"}}}'))
    styled = parse_html(load_json('{"section": {"a.btn": {"text": "Go", "href": "/go"}}}'))
    assert on.tokenize(stripped, 4)["rule_action"][1] != on.tokenize(styled, 4)["rule_action"][1]  # class words count


# ----------------------------------------------------------------------------- content

@pytest.mark.parametrize("length, expected", [(0, 1), (1, 2), (20, 2), (21, 3), (80, 3), (81, 4), (200, 4),
                                              (201, 5)])
def test_text_length_buckets(length, expected):
    assert text_length_id(length) == expected


def test_content_and_subtree_features():
    features = HtmlTokenizer().tokenize(parse_html(HTML), max_slots=8)
    # slots: 0 section, 1 h1 "Hi", 2 div.row, 3 a.btn "Go", 4 a.btn, 5 img, 6 SPAN
    assert features["text_length"].tolist() == [1, 2, 1, 2, 1, 1, 1, 0]
    assert features["sibling_count"].tolist() == [0, 2, 2, 2, 2, 2, 2, 0]
    assert features["descendant_count"].tolist() == [3, 0, 2, 0, 0, 0, 0, 0]  # 6 and 3 descendants
    below = features["descendant_content"]
    assert [CONTENT_KEYS[k] for k in np.flatnonzero(below[0])] == ["text", "src", "href", "alt"]
    assert [CONTENT_KEYS[k] for k in np.flatnonzero(below[2])] == ["text", "src", "href", "alt"]
    assert not below[1].any() and not below[3].any()
    assert not features["inline_text"].any()  # div.row holds an img


def test_inline_text_is_text_held_only_through_inline_children():
    tree = parse_html(load_json('{"p": {"span": {"b": "Hello"}, "a": {"text": "x", "href": "/"}},'
                                ' "div": {"div": "Hi"}, "h2": {"b": ""}, "h3": {"text": "T", "span": "x"}}'))
    features = HtmlTokenizer().tokenize(tree, max_slots=len(tree))
    inline = {tree[i].key.key: bool(features["inline_text"][i]) for i in tree.roots}
    assert inline == {"p": True, "div": False, "h2": False, "h3": False}  # h3 has text of its own
    assert features["inline_text"][1]  # span holds its text through b


# ----------------------------------------------------------------------------- geometry

GEOMETRY_HTML = '{"section": {"div.a": {"h1": "Title", "p": "Text"}, "div.b": {"img": {"src": "x"}}}}'
# slots: 0 section, 1 div.a, 2 h1, 3 p, 4 div.b, 5 img; [x, y, w, h] pixels
GEOMETRY_BOXES = np.array([[0, 0, 1000, 500], [0, 0, 500, 500], [50, 100, 400, 50], [50, 200, 400, 100],
                           [500, 0, 500, 500], [600, 100, 300, 300]], np.float64)


def test_geometry_is_relative_to_parent_and_section_with_sibling_alignment():
    features = HtmlTokenizer().tokenize(parse_html(load_json(GEOMETRY_HTML)), 8, GEOMETRY_BOXES)
    l2, l4, l8 = (np.log(v) / 4 for v in (2, 4, 8))
    np.testing.assert_allclose(features["geometry"][:6], [
        [0, 0, 1, 1, 0, 0, 1, 1, l2],
        [0, 0, 0.5, 1, 0, 0, 0.5, 1, 0],
        [0.1, 0.2, 0.8, 0.1, 0.05, 0.2, 0.4, 0.1, l8],
        [0.1, 0.4, 0.8, 0.2, 0.05, 0.4, 0.4, 0.2, l4],
        [0.5, 0, 0.5, 1, 0.5, 0, 0.5, 1, 0],
        [0.2, 0.2, 0.6, 0.6, 0.6, 0.2, 0.3, 0.6, 0],
    ], rtol=1e-6, atol=1e-7)
    assert features["geometry_valid"].tolist() == [True] * 6 + [False] * 2
    # 1 + bits (left 1, centre 2, right 4, row 8): div.a / div.b share a top; h1 / p their left, centre, right
    assert features["alignment"].tolist() == [1, 9, 8, 8, 9, 1, 0, 0]
    assert features["geometry"][6:].sum() == 0


def test_a_node_without_a_box_has_no_geometry_and_its_children_use_the_next_frame():
    boxes, valid = GEOMETRY_BOXES.copy(), np.ones(6, bool)
    boxes[4], valid[4] = 0, False
    features = HtmlTokenizer().tokenize(parse_html(load_json(GEOMETRY_HTML)), 6, boxes, valid)
    assert features["geometry_valid"].tolist() == [True, True, True, True, False, True]
    assert not features["geometry"][4].any() and features["alignment"][4] == 0
    assert features["alignment"][1] == 1  # its only sibling has no box
    np.testing.assert_allclose(features["geometry"][5, :8], [0.6, 0.2, 0.3, 0.6] * 2)  # frame: the section


def test_geometry_is_zero_without_boxes():
    features = HtmlTokenizer().tokenize(parse_html(load_json(GEOMETRY_HTML)), 6)
    assert not features["geometry"].any() and not features["geometry_valid"].any()
    assert not features["alignment"].any()


def test_checkpoint_comparison_names_the_tokenizer_and_augment_settings():
    from configs import test as test_config
    from dlt_jax.train.checkpoint import mismatches

    current = test_config.get_config().to_dict()
    stored = test_config.get_config()
    del stored.data.tokenizer["class_parts"]
    stored.data.augment.class_rename = 0.0
    meta = {"vocabulary": [], "data_fingerprint": "f", "model_spec": {}}
    problems = mismatches({**meta, "config": stored.to_dict()}, {**meta, "config": current})
    assert problems == ["config data.augment.class_rename: checkpoint 0.0, now 0.15",
                        "config data.tokenizer.class_parts: checkpoint '(absent)', now True"]
