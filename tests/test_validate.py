"""The validator: every broken-input kind is reported by example and field; exit codes."""

import json
import shutil

import pytest

from data_tools import validate as validator
from dlt_jax.data.readers import BUNDLED_DATA
from dlt_jax.layout import dump_json, load_json

MANIFEST = BUNDLED_DATA.parent / "manifest" / "manifest.jsonl"


@pytest.fixture
def dataset(tmp_path):
    """A copy of the bundled folder data set to break one example at a time."""
    root = tmp_path / "data"
    shutil.copytree(BUNDLED_DATA, root)
    return root


def edit_example(root, example_id, change):
    path = root / "train" / example_id / "example.json"
    record = load_json(path.read_text())
    change(record)
    path.write_text(dump_json(record, indent=1))


def errors_of(root, **kwargs):
    report = validator.validate(root, progress=False, **kwargs)
    return report, [(e["id"], e["field"]) for e in report.errors]


def test_bundled_data_sets_are_clean_and_fully_representable():
    for path in (BUNDLED_DATA, MANIFEST):
        report = validator.validate(path, progress=False)
        assert report.errors == [] and report.warnings == []
        assert report.valid == report.representable == report.examples > 0


def test_report_has_the_documented_fields(tmp_path):
    report_path = tmp_path / "r.json"
    assert validator.main([str(BUNDLED_DATA), "--report", str(report_path)]) == 0
    data = json.loads(report_path.read_text())
    assert {"examples", "valid", "representable", "output_style", "errors", "warnings", "actions",
            "elements", "props", "node_count", "over_max_slots"} <= set(data)
    assert data["output_style"] == "type@original"
    assert data["props"] == {"bi": 1, "bo": 2, "bv": 1}
    assert data["node_count"] == {"min": 8, "median": 15, "max": 27}
    assert data["elements"]["column"] == 3 and data["actions"]["MERGE_LEFT"] == 3


def test_manifest_style_is_detected_as_dot():
    assert validator.validate(MANIFEST, progress=False).output_style == "type.dot"


def test_broken_json_is_reported(dataset):
    (dataset / "train/hero_basic/example.json").write_text('{"id": "hero_basic",')
    report, errors = errors_of(dataset)
    assert errors == [("hero_basic", "example.json")]
    assert "broken JSON" in report.errors[0]["message"]
    assert report.examples == 5 and report.valid == 4


def test_missing_and_corrupt_screenshots_are_reported(dataset):
    (dataset / "train/hero_basic/screenshot.png").unlink()
    (dataset / "train/video_hero/screenshot.png").write_bytes(b"\x89PNG broken")
    report, errors = errors_of(dataset)
    assert errors == [("hero_basic", "screenshot"), ("video_hero", "screenshot")]
    assert "file not found" in report.errors[0]["message"]
    assert "cannot decode" in report.errors[1]["message"]


def test_declared_size_mismatch_is_reported(dataset):
    edit_example(dataset, "hero_basic", lambda r: r["screenshot"]._pairs.__setitem__(1, ("width", 1)))
    _, errors = errors_of(dataset)
    assert errors == [("hero_basic", "screenshot")]


def test_unknown_type_and_unresolved_key_name_the_output_key(dataset):
    def rename(record, old, new):
        section = record["layout"]["data"]["structure"]["section@div.container"]
        section._pairs = [(new if k == old else k, v) for k, v in section.items()]
    edit_example(dataset, "hero_basic", lambda r: rename(r, "heading@h1.heading", "title@h1.heading"))
    edit_example(dataset, "video_hero", lambda r: None)
    report, errors = errors_of(dataset)
    assert errors == [("hero_basic", "layout['title@h1.heading']")]
    assert report.errors[0]["message"].startswith("unknown_type")
    assert report.representable == 4


def test_unrepresentable_layout_is_counted_not_representable(dataset):
    def swap(record):
        section = record["layout"]["data"]["structure"]["section@div.container"]
        section._pairs[0], section._pairs[1] = section._pairs[1], section._pairs[0]
    edit_example(dataset, "hero_basic", swap)
    report, errors = errors_of(dataset)
    assert errors == [("hero_basic", "layout['heading@h1.heading']")]
    assert "misplaced" in report.errors[0]["message"]


def test_bad_html_key_is_reported_on_the_html_field(dataset):
    edit_example(dataset, "hero_basic",
                 lambda r: r["structure"]["data"]["div.container"]._pairs.append(("#x", "")))
    _, errors = errors_of(dataset)
    assert errors == [("hero_basic", "html['div.container']['#x']")]


def test_inconsistent_used_elements_and_boxes_are_reported(dataset):
    edit_example(dataset, "hero_basic", lambda r: r._pairs.append(("used_elements", ["section", "map"])))
    edit_example(dataset, "faq_accordion", lambda r: r["html_boxes"].pop())
    report, errors = errors_of(dataset)
    assert errors == [("faq_accordion", "html_boxes")]
    assert "boxes for" in report.errors[0]["message"]
    assert [(w["id"], w["field"]) for w in report.warnings] == [("hero_basic", "used_elements")]
    assert "['map']" in report.warnings[0]["message"]
    assert "['button', 'heading', 'image', 'paragraph']" in report.warnings[0]["message"]
    report, errors = errors_of(dataset, strict=True)
    assert errors == [("hero_basic", "used_elements"), ("faq_accordion", "html_boxes")]
    assert report.warnings == []
    messages = " ".join(e["message"] for e in report.errors)
    assert "['map']" in messages and "boxes for" in messages


HERO_CONTENT = ["button", "heading", "image", "paragraph"]  # hero_basic also uses section and wrapper


@pytest.mark.parametrize("used", [HERO_CONTENT, HERO_CONTENT + ["section"],
                                  HERO_CONTENT + ["section", "wrapper"]])
def test_used_elements_may_leave_out_arrangement_types(dataset, used):
    edit_example(dataset, "hero_basic", lambda r: r._pairs.append(("used_elements", used)))
    for strict in (False, True):
        report = validator.validate(dataset, progress=False, strict=strict)
        assert report.errors == [] and report.warnings == []
    assert validator.main([str(dataset), "--strict"]) == 0


@pytest.mark.parametrize("used, named", [
    (HERO_CONTENT + ["map"], "['map']"),                    # listed but absent
    (HERO_CONTENT + ["grid"], "['grid']"),                  # an arrangement type listed but absent
    (["heading", "image", "paragraph"], "['button']"),      # a content type used but not listed
])
def test_inconsistent_used_elements_warn_by_default_and_fail_under_strict(dataset, capsys, used, named):
    edit_example(dataset, "hero_basic", lambda r: r._pairs.append(("used_elements", used)))
    report, errors = errors_of(dataset)
    assert errors == [] and report.valid == report.examples
    assert [(w["id"], w["field"]) for w in report.warnings] == [("hero_basic", "used_elements")]
    assert named in report.warnings[0]["message"]
    report, errors = errors_of(dataset, strict=True)
    assert errors == [("hero_basic", "used_elements")] and report.warnings == []
    assert named in report.errors[0]["message"]
    assert validator.main([str(dataset)]) == 0
    assert validator.main([str(dataset), "--strict"]) == 1
    assert "hero_basic: used_elements" in capsys.readouterr().out


def test_over_long_examples_are_counted_and_warned(dataset):
    report, errors = errors_of(dataset, max_slots=10)
    assert errors == []
    assert report.over_max_slots == 4  # node counts 8, 27, 16, 11, 15
    assert len([w for w in report.warnings if "--max-slots" in w["message"]]) == 4


def test_missing_layout_and_duplicate_ids_and_unlisted_folders(dataset):
    edit_example(dataset, "hero_basic", lambda r: r._pairs.__setitem__(
        [k for k, _ in r._pairs].index("layout"), ("layout", None)))
    edit_example(dataset, "video_hero", lambda r: r._pairs.__setitem__(0, ("id", "faq_accordion")))
    (dataset / "train" / "stray").mkdir()
    report, errors = errors_of(dataset)
    assert ("hero_basic", "layout") in errors and ("(dataset)", "id") in errors
    assert any(w["id"] == "stray" for w in report.warnings)


def test_exit_codes_for_clean_broken_and_usage_errors(dataset, tmp_path, capsys):
    assert validator.main([str(dataset)]) == 0
    (dataset / "train/hero_basic/example.json").write_text("[]")
    assert validator.main([str(dataset)]) == 1
    assert "hero_basic: example.json" in capsys.readouterr().out
    with pytest.raises(SystemExit) as usage:
        validator.main([str(tmp_path / "nowhere")])
    assert usage.value.code == 2
    with pytest.raises(SystemExit) as usage:
        validator.main([])
    assert usage.value.code == 2


def test_structure_without_a_single_section_root_is_warned(dataset):
    def two_roots(record):
        structure = record["layout"]["data"]["structure"]
        section = structure["section@div.container"]
        structure._pairs = [("wrapper@div.container", section)]
    edit_example(dataset, "hero_basic", two_roots)
    report, errors = errors_of(dataset)
    assert errors == []
    assert [(w["id"], w["field"]) for w in report.warnings] == [("hero_basic", "layout")]


def test_json_nested_too_deeply_is_reported(dataset):
    deep = '{"section": ' * 5000 + '""' + "}" * 5000
    (dataset / "train/hero_basic/example.json").write_text('{"id": "hero_basic", "structure": ' + deep + "}")
    report, errors = errors_of(dataset)
    assert errors == [("hero_basic", "example.json")]
    assert "nested too deeply" in report.errors[0]["message"]


def test_an_example_that_crashes_a_check_is_reported_and_the_run_goes_on(dataset, monkeypatch):
    from dlt_jax.data import checks
    real_check = checks.check_example

    def crash_on_hero(example, *args):
        if example.id == "hero_basic":
            raise RuntimeError("boom")
        return real_check(example, *args)

    monkeypatch.setattr(checks, "check_example", crash_on_hero)
    report, errors = errors_of(dataset)
    assert errors == [("hero_basic", "(internal)")]
    assert "RuntimeError: boom" in report.errors[0]["message"]
    assert report.examples == 5 and report.valid == 4
