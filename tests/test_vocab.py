"""The action vocabulary: fixed structural ids, extension by configuration."""

import pytest

from dlt_jax.layout import DEFAULT_VOCAB, Vocabulary


def test_default_vocabulary_has_every_documented_type_and_action():
    assert len(DEFAULT_VOCAB.element_types) == 23
    assert DEFAULT_VOCAB.actions[:8] == ("PAD", "MASK", "DROP", "MERGE_UP", "MERGE_LEFT",
                                         "PROP_BI", "PROP_BO", "PROP_BV")
    assert DEFAULT_VOCAB.size == 31
    assert (DEFAULT_VOCAB.pad_id, DEFAULT_VOCAB.mask_id) == (0, 1)


def test_ids_and_names_are_inverse():
    ids = DEFAULT_VOCAB.action_ids(["section", "DROP", "PROP_BV", "masonry"])
    assert DEFAULT_VOCAB.action_names(ids) == ["section", "DROP", "PROP_BV", "masonry"]


def test_extension_appends_without_renumbering():
    extended = Vocabulary.extended(element_types=["countdown"], props=["bc"])
    assert extended.action_id("DROP") == DEFAULT_VOCAB.action_id("DROP")
    assert extended.prop_of("PROP_BC") == "bc"
    assert extended.actions[-1] == "countdown"


@pytest.mark.parametrize("bad", ["Hero", "a@b", "a.b", "", "section"])
def test_bad_or_duplicate_type_names_are_refused(bad):
    with pytest.raises(ValueError):
        Vocabulary.extended(element_types=[bad])


def test_unknown_action_names_and_ids_fail_clearly():
    with pytest.raises(ValueError, match="unknown action 'banner'"):
        DEFAULT_VOCAB.action_id("banner")
    with pytest.raises(ValueError, match="outside"):
        DEFAULT_VOCAB.action_name(99)
