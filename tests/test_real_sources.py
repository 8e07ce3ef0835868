"""The real corpus's source list: split by package, held-back packages absent, every package pinned."""

import json

import pytest

from data_tools.real import sources
from data_tools.real.sources import RealSection, check_split, load_sections


@pytest.fixture(scope="module")
def shipped():
    return load_sections()


def _pinned():
    return json.loads(sources.PACKAGE_FILE.read_text())["dependencies"]


def test_shipped_list_passes_check_split(shipped):
    check_split(shipped)
    assert len(shipped) >= 150
    assert len({s.package for s in shipped}) >= 15


def test_no_held_back_package_anywhere(shipped):
    assert sources.HELD_BACK == {"startbootstrap-creative", "startbootstrap-resume", "uikit", "fomantic-ui",
                                 "spectre.css", "bulma-start"}
    assert not {s.package for s in shipped} & sources.HELD_BACK
    lock = json.loads((sources.PACKAGE_FILE.parent / "package-lock.json").read_text())
    installed = {path.rsplit("node_modules/", 1)[-1] for path in lock["packages"] if path}
    assert not (set(_pinned()) | installed) & sources.HELD_BACK


def test_every_package_is_pinned_exactly(shipped):
    pinned = _pinned()
    assert {s.package for s in shipped} <= set(pinned)
    for name, version in pinned.items():
        assert version[:1].isdigit() and not any(c in version for c in "^~<>*x| "), (name, version)


def test_no_package_in_both_splits(shipped):
    train = {s.package for s in shipped if s.split == "train"}
    dev = {s.package for s in shipped if s.split == "dev"}
    assert train and dev and not train & dev


def test_dev_is_unseen_packages_and_styles(shipped):
    dev = [s for s in shipped if s.split == "dev"]
    train_styles = {s.style for s in shipped if s.split == "train"}
    assert len(dev) >= 50
    assert len({s.package for s in dev}) >= 5
    assert len({s.style for s in dev} - train_styles) >= 2


def _section(id_, package, split, style="grid_framework"):
    return RealSection(id_, package, "index.html", "body > section", style, split)


def test_check_split_rejects_a_held_back_package():
    with pytest.raises(ValueError, match="held-back.*uikit"):
        check_split([_section("a", "tailgrids", "dev"), _section("b", "uikit", "train")])


def test_check_split_rejects_a_package_in_both_splits():
    with pytest.raises(ValueError, match="more than one split: startbootstrap-agency"):
        check_split([_section("a", "startbootstrap-agency", "train"), _section("b", "startbootstrap-agency", "dev")])


def test_check_split_rejects_repeated_ids_and_unknown_values():
    with pytest.raises(ValueError, match="repeated id.*: a"):
        check_split([_section("a", "p", "train"), _section("a", "p", "train")])
    with pytest.raises(ValueError, match="unknown style 'tailwind'"):
        check_split([_section("a", "p", "train", style="tailwind")])
    with pytest.raises(ValueError, match="unknown split 'test'"):
        check_split([_section("a", "p", "test")])


def test_load_sections_names_the_entry_and_field(tmp_path):
    path = tmp_path / "sections.json"
    path.write_text(json.dumps([{"id": "ok", "package": "p", "page": "x.html", "selector": "s", "style": "bem",
                                 "split": "dev"},
                                {"id": "bad", "package": "p", "page": "x.html", "selector": "s", "style": "bem"}]))
    with pytest.raises(sources.SourcesError, match=r"entry 1 \('bad'\): missing field 'split'"):
        load_sections(path)
    path.write_text(json.dumps([{"id": "x", "package": 3, "page": "p", "selector": "s", "style": "bem",
                                 "split": "dev"}]))
    with pytest.raises(sources.SourcesError, match="entry 0.*field 'package'"):
        load_sections(path)
