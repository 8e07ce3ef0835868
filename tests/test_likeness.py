"""data_tools.likeness: html statistics and distances on hand cases, serving, caching, one real render."""

import collections
import json
import math
import urllib.request

import pytest

from data_tools.likeness import pages
from data_tools.likeness import stats as st
from data_tools.likeness.__main__ import main
from data_tools.render import find_chromium
from dlt_jax.layout.jsonio import load_json, to_json_object

HTML = load_json("""{"section.hero.dark": {
  "h1-c_fff": "Title",
  "div@row@mt_2r": {"a.btn": {"text": "Go", "href": "#"}, "a.btn": {"text": "More", "href": "#x"},
                    "IMG": {"src": "a.png", "alt": ""}},
  "p": ""}}""")


def test_section_stats_reads_tags_depths_classes_and_content_per_node():
    s = st.section_stats(HTML)
    assert s.tags == ("section", "h1", "div", "a", "a", "img", "p")  # duplicate keys kept, tags lower-cased
    assert s.depths == (0, 1, 1, 2, 2, 2, 1)
    assert s.max_depth == 2 and s.node_count == 7
    assert s.class_counts == (2, 1, 2, 1, 1, 0, 0)
    assert s.content_kinds == ((), ("text",), (), ("text", "href"), ("text", "href"), ("src", "alt"), ())


def test_statistics_of_a_hand_set():
    sections = [st.section_stats(HTML), st.section_stats(to_json_object({"footer": {"a": {"href": "/"}}}))]
    values = {s.name: s.values(sections) for s in st.STATISTICS}
    assert values["node_count"] == [7, 2]
    assert values["max_depth"] == [2, 1]
    assert values["depth"] == [0, 1, 1, 2, 2, 2, 1, 0, 1]
    assert values["tags"] == collections.Counter(section=1, h1=1, div=1, a=3, img=1, p=1, footer=1)
    assert values["content_kinds"] == collections.Counter(text=3, href=3, src=1, alt=1)
    assert values["classless_share"] == (4, 9)
    assert values["contentless_share"] == (4, 9)  # section, div, p, footer
    assert values["a_share"] == (3, 9)


def test_wasserstein1_of_hand_distributions():
    assert st.wasserstein1([0, 1, 2], [2, 1, 0]) == 0.0
    assert st.wasserstein1([0], [3]) == 3.0
    assert st.wasserstein1([0, 0, 1, 1], [0, 1, 1, 1]) == pytest.approx(0.25)
    assert st.wasserstein1([0, 10], [0, 0, 0, 10]) == pytest.approx(2.5)  # 1/4 of the mass moves by 10
    with pytest.raises(ValueError):
        st.wasserstein1([], [1])


def test_wasserstein1_agrees_with_scipy():
    scipy_stats = pytest.importorskip("scipy.stats")
    a, b = [1, 5, 5, 8, 13, 40], [2, 3, 3, 21]
    assert st.wasserstein1(a, b) == pytest.approx(scipy_stats.wasserstein_distance(a, b))


def test_scaled_wasserstein_is_in_units_of_the_real_spread():
    assert st.scaled_wasserstein([0, 2], [1, 3]) == pytest.approx(1.0)  # σ_real 1, shift 1
    assert st.scaled_wasserstein([0, 20], [10, 30]) == pytest.approx(1.0)  # scale-free
    assert st.scaled_wasserstein([5, 5], [7]) == pytest.approx(2.0)  # no real spread: divided by 1


def test_total_variation_of_hand_counts():
    counter = collections.Counter
    assert st.total_variation(counter(a=1, b=1), counter(a=1)) == pytest.approx(0.5)
    assert st.total_variation(counter(a=3), counter(b=1)) == pytest.approx(1.0)
    assert st.total_variation(counter(a=1, b=3), counter(a=10, b=30)) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        st.total_variation(counter(), counter(a=1))


def test_share_difference():
    assert st.share_difference((1, 4), (3, 4)) == pytest.approx(0.5)
    assert st.share_difference((0, 3), (0, 10)) == 0.0


def test_compare_is_zero_for_the_same_set_and_sees_a_difference():
    same = [st.section_stats(HTML)] * 3
    rows = st.compare(same, same[:1])
    assert [r["statistic"] for r in rows] == [s.name for s in st.STATISTICS]
    assert all(r["distance"] == 0 for r in rows)
    flat = [st.section_stats(to_json_object({"div": {"a": {"href": "#"}}}))]
    by_name = {r["statistic"]: r for r in st.compare(same, flat)}
    assert by_name["a_share"]["distance"] == pytest.approx(abs(2 / 7 - 1 / 2), abs=1e-4)
    assert by_name["classless_share"]["generated"]["share"] == 1.0
    assert by_name["node_count"]["distance"] == pytest.approx(5.0)  # no real spread: W1 = 7 - 2
    with pytest.raises(ValueError, match="both sides"):
        st.compare(same, [])


def test_missing_packages_name_the_npm_command(tmp_path):
    sections = [pages.Section("startbootstrap-agency", "dist/index.html", "header")]
    with pytest.raises(pages.LikenessError, match="npm ci --prefix data_tools/likeness"):
        pages.check_installed(sections, tmp_path, {"startbootstrap-agency": "7.0.12"})
    (tmp_path / "startbootstrap-agency").mkdir()
    (tmp_path / "startbootstrap-agency" / "package.json").write_text('{"version": "7.0.11"}')
    with pytest.raises(pages.LikenessError, match="7.0.11 is installed, 7.0.12 is pinned"):
        pages.check_installed(sections, tmp_path, {"startbootstrap-agency": "7.0.12"})


def test_pinned_sections_cover_at_least_4_packages_at_exact_versions():
    sections = pages.load_sections()
    pinned = pages.pinned_versions()
    per_package = collections.Counter(s.package for s in sections)
    assert len(sections) >= 20 and len(per_package) >= 4
    assert set(per_package) <= set(pinned)
    assert all(v[0].isdigit() for v in pinned.values())  # exact, no ranges
    held_back = {"startbootstrap-creative", "startbootstrap-resume", "uikit", "fomantic-ui", "spectre.css",
                 "bulma-start"}
    assert not held_back & set(pinned)
    # no single author dominates: at most 4 sections per startbootstrap template, at most half of the set in all
    startbootstrap = {p: n for p, n in per_package.items() if p.startswith("startbootstrap-")}
    assert max(startbootstrap.values()) <= 4 and sum(startbootstrap.values()) <= len(sections) / 2


def test_sections_of_one_split_leave_out_held_back_packages(tmp_path):
    listing = tmp_path / "sections.json"
    listing.write_text(json.dumps([
        {"id": "a-1", "package": "startbootstrap-agency", "page": "dist/index.html", "selector": "header",
         "style": "bootstrap", "split": "train"},
        {"id": "a-2", "package": "startbootstrap-agency", "page": "dist/index.html", "selector": "footer",
         "style": "bootstrap", "split": "dev"},
        {"id": "u-1", "package": "uikit", "page": "index.html", "selector": "section", "style": "uikit",
         "split": "train"}]))
    assert pages.load_sections(listing, "train") == [pages.Section("startbootstrap-agency", "dist/index.html", "header")]
    assert [s.selector for s in pages.load_sections(listing)] == ["header", "footer"]
    assert pages.HELD_BACK >= {"uikit", "fomantic-ui", "spectre.css", "bulma-start", "startbootstrap-creative"}


def test_the_real_train_source_renders_its_own_packages_and_names_its_install(tmp_path):
    source = pages.SOURCES["real-train"]
    assert source.split == "train" and source.node_modules.parts[-2:] == ("real", "node_modules")
    assert source.cache_name != pages.SOURCES["likeness"].cache_name
    sections = [pages.Section("startbootstrap-agency", "dist/index.html", "header")]
    with pytest.raises(pages.LikenessError, match="npm ci --prefix data_tools/real"):
        pages.check_installed(sections, tmp_path, {"startbootstrap-agency": "7.0.12"}, source.install_command)


def test_serve_answers_on_loopback_only(tmp_path):
    (tmp_path / "page.html").write_text("<p>hi</p>")
    with pages.serve(tmp_path) as base:
        assert base.startswith("http://127.0.0.1:")
        assert urllib.request.urlopen(f"{base}/page.html", timeout=5).read() == b"<p>hi</p>"


def test_cache_round_trips_duplicate_keys_and_checks_its_key(tmp_path):
    section = pages.Section("pkg", "index.html", "section")
    key = pages.cache_key([section], {"pkg": "1.0.0"}, 1920)
    pages.write_cache(tmp_path / "real.json", key, [(section, HTML)], {"pkg": "1.0.0"})
    cached = pages.read_cache(tmp_path / "real.json", key)
    assert cached == [(section, HTML)]
    assert len(cached[0][1]["section.hero.dark"]["div@row@mt_2r"].get_all("a.btn")) == 2
    assert pages.read_cache(tmp_path / "real.json", pages.cache_key([section], {"pkg": "1.0.1"}, 1920)) is None


INSTALLED = (pages.NODE_MODULES / "startbootstrap-agency" / "package.json").is_file() and \
    (pages.NODE_MODULES / "tailgrids" / "package.json").is_file()


@pytest.mark.skipif(not INSTALLED, reason=f"the real template pages are not installed: run `{pages.INSTALL_COMMAND}`")
@pytest.mark.skipif(find_chromium() is None, reason="no Chromium found ($DLT_CHROMIUM, /usr/bin/chromium or PATH); "
                    "install it with `apt-get install -y chromium`")
def test_renders_two_real_sections_and_writes_the_report(tmp_path, capsys):
    listing = tmp_path / "sections.json"
    listing.write_text(json.dumps([
        {"package": "startbootstrap-agency", "page": "dist/index.html", "selector": "section#services"},
        {"package": "tailgrids", "page": "marketing/stats/stats-01.html", "selector": "body > section"}]))
    out = tmp_path / "out"
    assert main(["--synth", "3", "--sections", str(listing), "--out", str(out), "--real", "likeness"]) == 0
    cached = load_json((out / "real_sections.json").read_text())["sections"]
    roots = [next(iter(entry["html"])) for entry in cached]
    assert roots[0].startswith("section.page-section") and roots[1].startswith("section")
    assert all(st.section_stats(entry["html"]).node_count > 10 for entry in cached)
    report = json.loads((out / "likeness.json").read_text())
    rows = next(iter(report["generated"].values()))["rows"]
    assert len(rows) == len(st.STATISTICS) and all(math.isfinite(r["distance"]) for r in rows)
    assert (out / "likeness.png").stat().st_size > 0 and "| statistic |" in (out / "likeness.md").read_text()
    assert "a_share" in capsys.readouterr().out
