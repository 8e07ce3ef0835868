"""Structure and box metrics, the rule baseline, evaluation reports (DESIGN.md §7).

`score` turns `ExampleResult`s into one JSON-ready dict, `rule_actions` is the
reference every number sits beside, `write_report` puts systems side by side.
"""

from dlt_jax.evaluation.baseline import class_words, rule_actions
from dlt_jax.evaluation.metrics import (HEADLINE_KEYS, ExampleResult, alignment, box_iou, default_subsets,
                                        element_set, example_result, leaf_element_boxes, overlap, score,
                                        to_unit_boxes, tree_edit_distance)
from dlt_jax.evaluation.report import markdown_report, write_report

__all__ = [
    "HEADLINE_KEYS", "ExampleResult", "alignment", "box_iou", "class_words", "default_subsets", "element_set",
    "example_result", "leaf_element_boxes", "markdown_report", "overlap", "rule_actions", "score",
    "to_unit_boxes", "tree_edit_distance", "write_report",
]
