"""JSON with repeated keys survives load -> dump unchanged."""


from hypothesis import given, settings
from hypothesis import strategies as st

from dlt_jax.layout import JsonObject, dump_json, load_json, to_json_object

def test_duplicate_keys_are_kept_in_order():
    obj = load_json('{"li.item": "a", "li.x": "", "li.item": "b"}')
    assert obj.keys() == ["li.item", "li.x", "li.item"]
    assert obj.get_all("li.item") == ["a", "b"]
    assert obj["li.item"] == "a"

def test_dump_of_load_equals_text_up_to_whitespace():
    text = '{\n "a": {"b": 1, "b": [1, 2.5, null, true], "c": "é\\"x"},\n "a": "", "z": {}}'
    assert "".join(dump_json(load_json(text)).split()) == "".join(text.replace("\n", "").split())

def test_dump_with_indent_is_loadable_to_the_same_object():
    obj = load_json('{"x": {"y": "", "y": {"z": [1, {"q": 2}]}}, "x": []}')
    assert load_json(dump_json(obj, indent=2)) == obj

def test_plain_dicts_convert_and_compare():
    assert to_json_object({"a": {"b": ""}}) == JsonObject([("a", JsonObject([("b", "")]))])
    assert JsonObject({"a": 1}) == {"a": 1}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) |
    st.lists(st.tuples(st.sampled_from(["a", "b", "li.item", "é"]), children), max_size=4).map(JsonObject),
    max_leaves=12)

@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_value_round_trips_through_text(value):
    text = dump_json(value)
    assert dump_json(load_json(text)) == text
    assert "".join(dump_json(load_json(dump_json(value, indent=3))).split()) == "".join(text.split())
