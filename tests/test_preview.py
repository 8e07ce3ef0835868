"""The contact sheet's choice of examples: every markup family in turn, titled by family."""

from data_tools.preview import markup_family, spread_examples
from dlt_jax.data.example import Example


def _example(ident: str, families: list[str] | None) -> Example:
    extra = {"synth": {"family": families[0], "families": families}} if families else {}
    return Example(ident, {}, extra=extra)


def test_each_family_is_taken_in_turn_by_id_within_a_family():
    examples = [_example("e1", ["bem"]), _example("e2", ["bem"]), _example("e3", ["hashed", "bem"]),
                _example("e4", ["semantic"]), _example("e0", ["bem"])]
    assert [e.id for e in spread_examples(examples, 4)] == ["e0", "e3", "e4", "e1"]
    assert [e.id for e in spread_examples(examples, 10)] == ["e0", "e3", "e4", "e1", "e2"]


def test_data_without_families_keeps_its_id_order():
    examples = [_example(f"x{i}", None) for i in (3, 1, 2)]
    assert [e.id for e in spread_examples(examples, 2)] == ["x1", "x2"]
    assert markup_family(examples[0]) == ""


def test_the_title_names_a_mix_of_two_families():
    assert markup_family(_example("m", ["grid_framework", "bem"])) == "grid_framework+bem"
