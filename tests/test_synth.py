"""The synthetic generator: determinism, exact labels, coverage, and the embedded data set."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_tools.synth import ARCHETYPES, MAX_NODES, generate_example
from data_tools.synth.dataset import (format_statistics, missing_actions, parse_splits, split_of, statistics)
from data_tools.synth.design import compact_value, key_for, spelling_for
from data_tools.synth.nodes import Node, apply_chain_rules, layout_of, link_parents, preorder
from dlt_jax.layout import decode_layout, dump_json, encode_layout, parse_html
from page_markup import body_elements
from test_families import neutral_class

EMBEDDED = Path(__file__).resolve().parents[1] / "dlt_jax" / "data" / "embedded"


@pytest.fixture(scope="module")
def sample():
    return [generate_example(11, i) for i in range(420)]


def test_same_seed_and_index_give_identical_examples():
    for index in range(6):
        first, second = generate_example(5, index), generate_example(5, index)
        assert first.page_html == second.page_html
        assert dump_json(first.html_object) == dump_json(second.html_object)
        assert dump_json(first.layout) == dump_json(second.layout)
        assert first.actions == second.actions and first.visual_cues == second.visual_cues


def test_other_seed_gives_other_examples():
    assert generate_example(5, 0).page_html != generate_example(6, 0).page_html
    assert generate_example(5, 0).page_html != generate_example(5, 1).page_html


def test_fixed_width_is_used_for_every_example():
    assert {generate_example(2, i, width=1333).width for i in range(5)} == {1333}


@pytest.mark.parametrize("archetype", sorted(ARCHETYPES))
def test_every_archetype_encodes_to_its_own_actions_and_round_trips(archetype):
    for seed in range(4):
        example = generate_example(seed, 0, archetype=archetype)
        tree = parse_html(example.html_object)
        assert len(tree) == len(example.actions) <= MAX_NODES
        assert list(encode_layout(tree, example.layout).actions) == example.actions
        layout, repairs = decode_layout(tree, example.actions)
        assert layout == example.layout and sum(repairs.values()) == 0
        assert example.category == archetype


def test_at_least_sixteen_archetypes():
    assert len(ARCHETYPES) >= 16


def test_every_element_type_and_action_occurs(sample):
    stats = statistics(sample)
    assert missing_actions(stats) == []
    assert set(stats["categories"]) == set(ARCHETYPES)


def test_a_quarter_of_examples_is_decidable_only_visually(sample):
    share = sum(bool(e.visual_cues) for e in sample) / len(sample)
    assert share >= 0.25
    cues = statistics(sample)["cues"]
    for cue in ("styled_text_heading", "styled_box_button", "div_background_picture", "picture_size_icon_vs_image",
                "arrangement_grid_vs_stack", "picture_heights_gallery_vs_masonry"):
        assert cues[cue] > 0, cue


def test_visual_cues_point_at_nodes_whose_classes_do_not_tell(sample):
    for example in sample[:80]:
        tree = parse_html(example.html_object)
        for cue in example.visual_cues:
            assert 0 <= cue["node"] < len(tree)
            if example.families == ["bem"]:  # BEM names every node's role: a cue only where classes are neutral
                assert all(neutral_class(c) for c in tree[cue["node"]].classes), example.id


def test_keys_use_all_three_spellings_and_repeat_among_siblings(sample):
    stats = statistics(sample)
    assert stats["key_styles"]["dot"] > 0 and stats["key_styles"]["at"] > 0 and stats["key_styles"]["dash"] > 0
    assert stats["with_duplicate_sibling_keys"] > len(sample) // 4
    assert set(stats["family"]) == {"grid_framework", "utility_first", "component_kit", "bem", "hashed", "compact",
                                    "semantic"}


def test_stats_table_lists_every_action_and_share_of_visual_cues(sample):
    table = format_statistics(statistics(sample[:50]))
    for action in ("heading", "masonry", "MERGE_UP", "MERGE_LEFT", "DROP", "PROP_BI", "PROP_BO", "PROP_BV"):
        assert f"  {action} " in table
    assert "examples with at least one visual cue" in table


def test_html_object_preorder_is_the_markup_preorder():
    for index in range(40):
        example = generate_example(3, index)
        tree = parse_html(example.html_object)
        seen = [(m.tag, m.classes) for m in body_elements(example.page_html)]
        assert seen == [(n.tag, tuple(n.classes)) for n in tree], example.id


def test_chain_of_single_child_containers_merges_up():
    heading = Node("h1", "heading", ["t"])
    text = Node("p", "paragraph", ["x"])
    inner = Node("div", "wrapper", ["container"], children=[heading, text])
    root = Node("section", "section", ["hero"], children=[inner])
    for node in preorder(root):
        node.key = key_for(node.tag, node.classes, "dot")
    apply_chain_rules(root)
    assert [n.action for n in preorder(root)] == ["section", "MERGE_UP", "heading", "paragraph"]
    assert dump_json(layout_of(root)["structure"]) == \
        '{"section@section.hero@div.container": {"heading@h1.t": "", "paragraph@p.x": ""}}'


def test_styled_box_around_one_picture_takes_its_type_but_a_grid_cell_stays_a_column():
    picture = Node("img", "image", ["pic"])
    box = Node("div", "wrapper", ["frame"], style={"padding": "8px"}, children=[picture])
    lone = Node("img", "image", ["pic"])
    cell = Node("div", "column", ["col"], children=[lone])
    other = Node("div", "column", ["col"], children=[Node("p", "paragraph")])
    grid = Node("div", "grid", ["row"], children=[cell, other])
    root = Node("section", "section", [], children=[box, grid])
    link_parents(root)
    apply_chain_rules(root)
    assert [n.action for n in preorder(root)] == ["section", "image", "MERGE_UP", "grid", "column", "image",
                                                 "column", "paragraph"]


def test_compact_values_and_key_spellings():
    assert compact_value("3rem") == "3r" and compact_value("18px") == "18x" and compact_value("50%") == "50p"
    assert compact_value("#ffffff") == "fff" and compact_value("#1a2b3c") == "1a2b3c" and compact_value("700") == "700"
    assert key_for("h1", ["c_fff", "fs_18x"], "dash") == "h1-c_fff@fs_18x"
    assert key_for("div", ["a", "b"], "at") == "div@a@b" and key_for("div", ["a", "b"], "dot") == "div.a.b"
    assert key_for("li", [], "dash") == "li"
    assert spelling_for(["fs_1.125r"], "dot") == "at"
    assert spelling_for(["uk-width-1-2@m"], "at") == "dot"


def test_splits_are_stable_and_close_to_the_shares():
    shares = parse_splits("0.9,0.05,0.05")
    names = [split_of(i, shares) for i in range(1000)]
    assert 880 <= names.count("train") <= 920 and 30 <= names.count("val") <= 70
    assert names[:100] == [split_of(i, shares) for i in range(100)]
    with pytest.raises(ValueError, match="summing to 1"):
        parse_splits("0.5,0.2")


@pytest.mark.skipif(not (EMBEDDED / "dataset_config.yaml").exists(), reason="embedded data set not generated")
def test_embedded_data_set_is_listed_and_sized():
    import yaml
    config = yaml.safe_load((EMBEDDED / "dataset_config.yaml").read_text())
    counts = {name: len(ids) for name, ids in config["splits"].items()}
    assert sum(counts.values()) >= 1200 and min(counts.values()) > 0
    total = sum(f.stat().st_size for f in EMBEDDED.rglob("*") if f.is_file())
    assert total <= 25 * 1024 * 1024


@pytest.mark.skipif(not (EMBEDDED / "dataset_config.yaml").exists(), reason="embedded data set not generated")
def test_embedded_examples_match_the_generator():
    """The stored html objects and layouts are what `generate_example` gives for their (seed, index)."""
    from dlt_jax.layout import load_json
    for path in sorted(EMBEDDED.glob("*/*/example.json"))[:25]:
        record = load_json(path.read_text(encoding="utf-8"))
        example = generate_example(record["synth"]["seed"], record["synth"]["index"])
        assert record["id"] == example.id
        assert dump_json(record["structure"]["data"]) == dump_json(example.html_object)
        assert dump_json(record["layout"]["data"]["structure"]) == dump_json(example.layout["structure"])
        assert len(record["html_boxes"]) == len(example.actions)


@pytest.mark.skipif(not (EMBEDDED / "dataset_config.yaml").exists(), reason="embedded data set not generated")
def test_embedded_data_set_validates_clean():
    from data_tools.validate import validate
    report = validate(EMBEDDED, progress=False).as_json()
    assert report["errors"] == [] and report["warnings"] == []
    assert report["representable_share"] == 1.0
