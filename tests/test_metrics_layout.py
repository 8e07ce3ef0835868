"""Layout and box metrics on tiny hand-made trees, against values computed by hand."""

import json
import math

import numpy as np
import pytest

from dlt_jax.data.example import Example
from dlt_jax.evaluation.metrics import (HEADLINE_KEYS, ExampleResult, alignment, box_iou, default_subsets,
                                        example_result, leaf_element_boxes, overlap, score, to_unit_boxes,
                                        tree_edit_distance)
from dlt_jax.layout import load_json, parse_html
from dlt_jax.layout.codec import DecodedElements, decode_elements

# 0 section.s, 1 h1.t, 2 p.x, 3 div.row, 4 div.col, 5 p.a, 6 div.col, 7 p.b
GRID_HTML = ('{"section.s": {"h1.t": "Title", "p.x": "Text", '
             '"div.row": {"div.col": {"p.a": "A"}, "div.col": {"p.b": "B"}}}}')
GRID_TRUTH = ("section", "heading", "paragraph", "grid", "column", "paragraph", "column", "paragraph")


def tree_of(html: str):
    return parse_html(load_json(html))


def result(pred, truth=GRID_TRUTH, html=GRID_HTML, **kwargs) -> ExampleResult:
    return ExampleResult(tree_of(html), truth, pred, **kwargs)


def test_perfect_prediction_scores_one_and_zero():
    s = score([result(GRID_TRUTH)])
    assert s["exact_match"] == 1.0
    assert s["node_action_accuracy"] == 1.0
    assert s["macro_f1"] == 1.0
    assert s["element_precision"] == s["element_recall"] == s["element_f1"] == 1.0
    assert s["tree_edit_distance"] == 0.0 and s["tree_edit_distance_raw"] == 0.0
    assert s["props_exact"] == 1.0
    assert s["props_node_accuracy"] is None  # no prop node anywhere
    assert s["repair_rate"] == 0.0 and s["repairs_per_example"] == 0.0
    assert s["box_miou"] is None and s["alignment"] is None and s["overlap"] is None


def test_one_wrong_type_changes_exactly_its_node_and_element():
    pred = ("section", "paragraph") + GRID_TRUTH[2:]  # the heading called a paragraph
    s = score([result(pred)])
    assert s["exact_match"] == 0.0
    assert s["node_action_accuracy"] == pytest.approx(7 / 8)
    assert s["element_precision"] == s["element_recall"] == s["element_f1"] == pytest.approx(7 / 8)
    # classes: section 1, heading 0, paragraph 2*3/(3+4), grid 1, column 1
    assert s["macro_f1"] == pytest.approx((1 + 0 + 6 / 7 + 1 + 1) / 5)
    assert s["tree_edit_distance_raw"] == 1.0  # one rename
    assert s["tree_edit_distance"] == pytest.approx(1 / 8)
    heading, paragraph = s["per_type"]["heading"], s["per_type"]["paragraph"]
    assert heading["element_recall"] == 0.0 and heading["element_precision"] is None
    assert heading["node_recall"] == 0.0 and heading["node_precision"] is None
    assert paragraph["element_recall"] == 1.0 and paragraph["element_precision"] == pytest.approx(3 / 4)
    assert s["per_type"]["grid"]["element_f1"] == 1.0
    labels, matrix = s["confusion"]["labels"], s["confusion"]["matrix"]
    assert matrix[labels.index("heading")][labels.index("paragraph")] == 1
    assert matrix[labels.index("paragraph")][labels.index("paragraph")] == 3
    assert sum(map(sum, matrix)) == 8


def test_merge_up_error_joins_two_elements_into_a_wrong_one():
    pred = GRID_TRUTH[:5] + ("MERGE_UP",) + GRID_TRUTH[6:]  # p.a joins its column
    s = score([result(pred)])
    assert s["node_action_accuracy"] == pytest.approx(7 / 8)
    assert s["element_precision"] == pytest.approx(6 / 7)
    assert s["element_recall"] == pytest.approx(6 / 8)
    assert s["element_f1"] == pytest.approx(2 * 6 / (7 + 8))
    assert s["tree_edit_distance_raw"] == 1.0  # one deleted paragraph
    assert s["per_type"]["column"]["element_recall"] == pytest.approx(1 / 2)


def test_missed_merge_left_splits_one_element_in_two():
    html = '{"section": {"div.t1": "first half", "div.t2": "second half", "h2": "T"}}'
    truth = ("section", "paragraph", "MERGE_LEFT", "heading")
    s = score([result(("section", "paragraph", "paragraph", "heading"), truth, html)])
    # true elements: section, paragraph{1,2}, heading; predicted: section, paragraph{1}, paragraph{2}, heading
    assert s["element_precision"] == pytest.approx(2 / 4)
    assert s["element_recall"] == pytest.approx(2 / 3)
    assert s["tree_edit_distance_raw"] == 1.0
    assert s["tree_edit_distance"] == pytest.approx(1 / 4)
    assert s["exact_match"] == 0.0


def test_props_are_scored_apart_from_elements():
    html = '{"section.s": {"div.bg": "", "div.overlay": "", "h1": "T"}}'
    truth = ("section", "PROP_BI", "PROP_BO", "heading")
    missed = score([result(("section", "PROP_BI", "DROP", "heading"), truth, html)])
    assert missed["element_f1"] == 1.0  # the structure is right
    assert missed["exact_match"] == 0.0 and missed["props_exact"] == 0.0
    assert missed["props_node_accuracy"] == pytest.approx(1 / 2)
    swapped = score([result(("section", "PROP_BO", "PROP_BI", "heading"), truth, html)])
    assert swapped["props_exact"] == 0.0 and swapped["props_node_accuracy"] == 0.0
    right = score([result(truth, truth, html)])
    assert right["props_exact"] == 1.0 and right["props_node_accuracy"] == 1.0


def test_repairs_are_counted_per_example():
    broken = ("MERGE_UP",) + GRID_TRUTH[1:]  # the root has no parent to merge into
    s = score([result(broken), result(GRID_TRUTH)])
    assert s["repair_rate"] == 0.5
    assert s["repairs_per_example"] == 0.5
    assert s["repairs"] == {"merge_up_without_target": 1}
    assert s["exact_match"] == 0.5  # the repair makes the root a wrapper, not a section


def test_exact_match_compares_order_and_duplicate_keys():
    html = '{"section": {"p": "a", "p": "b"}}'
    truth = ("section", "paragraph", "paragraph")
    assert score([result(("section", "paragraph", "heading"), truth, html)])["exact_match"] == 0.0
    # the same two keys as one merged element: another layout, though every key is the same string
    assert score([result(("section", "paragraph", "MERGE_LEFT"), truth, html)])["exact_match"] == 0.0


def test_tree_edit_distance_is_normalised_by_the_larger_tree_and_clipped():
    # a path section > w > w > w > w against a star section > (w, w, w, w): ancestry forbids
    # matching more than one path node below the section, so 3 deletions and 3 insertions
    path = DecodedElements(("section",) + ("wrapper",) * 4, tuple((i,) for i in range(5)),
                           (None, 0, 1, 2, 3), {}, {})
    star = DecodedElements(("section",) + ("wrapper",) * 4, tuple((i,) for i in range(5)),
                           (None, 0, 0, 0, 0), {}, {})
    assert tree_edit_distance(path, star) == (6, 1.0)
    assert tree_edit_distance(path, path) == (0, 0.0)
    empty = DecodedElements((), (), (), {}, {})
    assert tree_edit_distance(empty, empty) == (0, 0.0)
    assert tree_edit_distance(empty, star) == (5, 1.0)


def test_box_iou_maps_every_coordinate_from_minus_one_one():
    # (0, 0, 0, 0) in [-1, 1] is the box centred at 0.5 with size 0.5: [0.25, 0.75]^2
    a = to_unit_boxes(np.array([0.0, 0.0, 0.0, 0.0]))
    b = to_unit_boxes(np.array([0.5, 0.0, 0.0, 0.0]))  # shifted right by a quarter: [0.5, 1] x [0.25, 0.75]
    np.testing.assert_allclose(a, [0.5, 0.5, 0.5, 0.5])
    assert box_iou(a, b) == pytest.approx(0.125 / 0.375)
    assert box_iou(a, a) == pytest.approx(1.0)
    assert box_iou(a, to_unit_boxes(np.array([1.0, 1.0, -0.5, -0.5]))) == 0.0  # disjoint


def test_box_miou_over_nodes_with_a_true_box():
    html = '{"section": {"h1": "A", "p": "B"}}'
    truth = ("section", "heading", "paragraph")
    true_boxes = np.zeros((3, 4))
    pred_boxes = np.array([[0.0, 0.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.0], [0.3, 0.3, 0.0, 0.0]])
    s = score([result(truth, truth, html, true_boxes=true_boxes, pred_boxes=pred_boxes,
                      box_valid=np.array([True, True, False]))])
    assert s["box_nodes"] == 2
    assert s["box_miou"] == pytest.approx((1 + 1 / 3) / 2)
    assert s["per_type"]["heading"]["box_miou"] == pytest.approx(1 / 3)
    undrawn = score([result(truth, truth, html, true_boxes=true_boxes, pred_boxes=pred_boxes,
                            box_valid=np.array([True, True, False]), pred_box_valid=np.array([True, False, True]))])
    assert undrawn["box_miou"] == pytest.approx(1 / 2)


def test_overlap_by_hand():
    # [0, 0.5]^2 and [0.25, 0.75]^2: intersection 1/16, each area 1/4 -> (1/4 + 1/4) / 2
    boxes = np.array([[0.25, 0.25, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5]])
    assert overlap(boxes) == pytest.approx(0.25)
    side_by_side = np.array([[0.25, 0.5, 0.5, 1.0], [0.75, 0.5, 0.5, 1.0]])
    assert overlap(side_by_side) == 0.0
    # a box inside a box four times its size: 1 for the small one, 1/4 for the large one
    nested = np.array([[0.5, 0.5, 1.0, 1.0], [0.25, 0.25, 0.5, 0.5]])
    assert overlap(nested) == pytest.approx((1 + 0.25) / 2)
    assert overlap(np.concatenate([boxes, nested]), mask=np.array([True, True, False, False])) == \
        pytest.approx(0.25)


def test_alignment_by_hand():
    # A: l .1 cx .2 r .3 / t .1 cy .2 b .3 ; B: l .5 cx .6 r .7 / t .6 cy .7 b .8 -> nearest gap .4 for both
    boxes = np.array([[0.2, 0.2, 0.2, 0.2], [0.6, 0.7, 0.2, 0.2]])
    assert alignment(boxes, discretize=False) == pytest.approx(-math.log(1 - 0.4))
    # on DLT's 1/32 grid: right edges 10/32 and 22/32 are the closest pair, gap 12/32
    assert alignment(boxes) == pytest.approx(-math.log(1 - 12 / 32))
    left_aligned = np.array([[0.2, 0.2, 0.2, 0.2], [0.3, 0.7, 0.4, 0.2]])  # both left edges at 0.1
    assert alignment(left_aligned, discretize=False) == pytest.approx(0.0)
    assert alignment(boxes[:1]) == 0.0  # no partner
    padded = np.concatenate([boxes, [[0.1, 0.1, 0.2, 0.2]]])  # would align with A if it took part
    assert alignment(padded, mask=np.array([True, True, False]), discretize=False) == \
        pytest.approx(-math.log(0.6))


def test_alignment_and_overlap_use_the_predicted_leaf_elements():
    html = '{"section": {"h1": "A", "p": "B", "p": "C"}}'
    truth = ("section", "heading", "paragraph", "paragraph")
    # section everywhere; h1 [0, .5]^2, first p [.25, .75]^2, second p merged left into it: union
    unit = np.array([[0.5, 0.5, 1.0, 1.0], [0.25, 0.25, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5], [0.6, 0.6, 0.1, 0.1]])
    boxes = unit * 2 - 1
    elements = decode_elements(tree_of(html), ("section", "heading", "paragraph", "MERGE_LEFT"))
    np.testing.assert_allclose(leaf_element_boxes(elements, boxes, None), unit[1:3])
    s = score([result(("section", "heading", "paragraph", "MERGE_LEFT"), truth, html, true_boxes=boxes,
                      pred_boxes=boxes)])
    assert s["overlap"] == pytest.approx(0.25)  # the section, a container, takes no part
    assert s["overlap_true"] == pytest.approx(overlap(unit[1:]))


def test_visual_cue_nodes_and_subsets():
    wrong = ("section", "paragraph") + GRID_TRUTH[2:]
    results = [result(wrong, visual_cue_nodes=(1, 2), category="hero", id="a"),
               result(GRID_TRUTH, category="team", id="b", flags=("hand_made",))]
    assert results[0].has_visual_cues and not results[1].has_visual_cues
    s = score(results)
    assert s["visual_cue_node_accuracy"] == pytest.approx(1 / 2)
    assert set(s["subsets"]) == {"visual_cues", "no_visual_cues", "category=hero", "category=team", "hand_made"}
    assert s["subsets"]["visual_cues"]["examples"] == 1
    assert s["subsets"]["visual_cues"]["node_action_accuracy"] == pytest.approx(7 / 8)
    assert s["subsets"]["no_visual_cues"]["exact_match"] == 1.0
    assert set(default_subsets(results)) == set(s["subsets"])
    only = score(results, subsets={"first": lambda r: r.id == "a", "none": lambda r: False})
    assert list(only["subsets"]) == ["first"]


def test_score_is_json_ready():
    html = '{"section": {"h1": "A", "p": "B"}}'
    truth = ("section", "heading", "paragraph")
    s = score([result(truth, truth, html, true_boxes=np.zeros((3, 4)), pred_boxes=np.zeros((3, 4)))])
    assert json.loads(json.dumps(s, allow_nan=False)) == s
    assert set(HEADLINE_KEYS) <= set(s) and set(HEADLINE_KEYS) <= set(s["subsets"]["no_visual_cues"])


def test_score_of_no_examples_has_no_numbers():
    s = score([])
    assert s["examples"] == 0 and s["exact_match"] is None and s["node_action_accuracy"] is None
    assert s["subsets"] == {} and s["confusion"] == {"labels": [], "matrix": []}


def test_example_result_from_an_example_reads_truth_boxes_and_cues():
    html = load_json('{"section": {"h1": "A", "p": "B"}}')
    layout = load_json('{"structure": {"section@section": {"heading@h1": "", "paragraph@p": ""}}, "props": {}}')
    example = Example(id="e1", html=html, layout=layout, screenshot_size=(200, 100), category="hero",
                      html_boxes=[[0, 0, 200, 100], [50, 25, 100, 50], [0, 0, 0, 0]],
                      extra={"visual_cues": [{"node": 1, "cue": "styled_text_heading"}]})
    r = example_result(example, ["section", "heading", "paragraph"])
    assert r.true_actions == ("section", "heading", "paragraph")
    np.testing.assert_allclose(r.true_boxes[:2], [[0, 0, 1, 1], [0, 0, 0, 0]])  # full box; centred half box
    assert list(r.box_valid) == [True, True, False]
    assert r.has_visual_cues and r.visual_cue_nodes == (1,) and r.category == "hero" and r.id == "e1"


def test_example_result_checks_lengths_and_shapes():
    with pytest.raises(ValueError, match="pred_actions has 2 actions for 8 html nodes"):
        result(("section", "heading"))
    with pytest.raises(ValueError, match="true_boxes has shape"):
        result(GRID_TRUTH, true_boxes=np.zeros((3, 4)))
