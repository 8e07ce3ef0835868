"""data_tools.stats: node-count histogram, frequencies, over-length share, JSON and plot."""

import json

import numpy as np

from data_tools import stats
from dlt_jax.layout import DEFAULT_VOCAB


def test_node_count_histogram_uses_inclusive_bins_and_keeps_empty_ones():
    assert stats.node_count_histogram([1, 8, 9, 25], bin_width=8) == {"1-8": 2, "9-16": 1, "17-24": 0, "25-32": 1}
    assert stats.node_count_histogram([]) == {}


def test_split_stats_count_actions_types_props_and_over_length():
    ids = DEFAULT_VOCAB.action_ids
    actions = [np.array(ids(["section", "heading", "MERGE_UP", "PROP_BI", "PROP_BO"])),
               np.array(ids(["section", "DROP", "heading", "heading"]))]
    result = stats.split_stats(actions, ["hero", "hero"], np.array([5, 4]), DEFAULT_VOCAB, max_slots=4)
    assert result["examples"] == 2 and result["nodes"] == 9
    assert result["element_types"] == {"section": 2, "heading": 3}
    assert result["actions"]["MERGE_UP"] == 1 and result["actions"]["DROP"] == 1 and "PAD" not in result["actions"]
    assert result["props"] == {"bi": 1, "bo": 1, "bv": 0}
    assert result["over_max_slots"] == 1 and result["over_max_slots_share"] == 0.5
    assert result["categories"] == {"hero": 2}


def test_stats_cli_writes_json_and_plot_of_the_built_set(bundled_data, tmp_path, capsys):
    assert stats.main([str(bundled_data.path), "--max-slots", "15", "--out", str(tmp_path)]) == 0
    written = json.loads((tmp_path / "stats.json").read_text())
    train = written["splits"]["train"]
    assert train["examples"] == 5 and train["node_count"]["max"] == 27
    assert train["over_max_slots"] == 2 and train["props"] == {"bi": 1, "bo": 2, "bv": 1}
    assert train["element_types"]["section"] == 5 and written["skipped_at_build"] == 0
    assert (tmp_path / "stats.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "train           5 examples" in capsys.readouterr().out
