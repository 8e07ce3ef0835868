"""`python -m dlt_jax.predict`: from a page to its sections' layouts and the report page, with the
shipped weights, and a one-line message for each bad input."""

import json
import shutil
import socket
import subprocess
import sys

import pytest

from data_tools.render import find_chromium
from dlt_jax import predict
from dlt_jax.data.readers import BUNDLED_DATA, folder_example
from dlt_jax.inference import LayoutGenerator
from dlt_jax.layout import encode_layout, load_json, parse_html

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found ($DLT_CHROMIUM, /usr/bin/chromium "
                                    "or chromium on PATH); install it with `apt-get install -y chromium`")

PAGE = """<!doctype html><html><head><style>
body { margin: 0; font-family: sans-serif; }
section { padding: 40px; }
.hero { background: #234; color: white; text-align: center; }
.btn { display: inline-block; padding: 10px 20px; margin: 4px; background: #e63; color: white; border-radius: 6px; }
.row { display: flex; gap: 20px; } .col { flex: 1; }
.pic { height: 120px; background: linear-gradient(#9ab, #567); }
</style></head><body>
<section class="hero"><h1>Build pages faster</h1><p>Every section as its own layout.</p>
  <a class="btn" href="#a">Start</a><a class="btn" href="#b">Learn more</a></section>
<section class="features"><div class="row">
  <div class="col"><div class="pic"></div><h3>Fast</h3><p>Seconds per page.</p></div>
  <div class="col"><div class="pic"></div><h3>Open</h3><p>Weights in the repository.</p></div>
  <div class="col"><div class="pic"></div><h3>Yours</h3><p>Fix what you like by hand.</p></div>
</div></section>
</body></html>"""


@pytest.fixture(scope="module")
def shipped():
    return LayoutGenerator.pretrained()


@pytest.fixture
def page(tmp_path):
    path = tmp_path / "site" / "index.html"
    path.parent.mkdir()
    path.write_text(PAGE)
    return path


@pytest.fixture
def run(shipped, monkeypatch, capsys):
    """`main(argv)` with the shipped weights loaded once for the module; returns (status, stdout, stderr)."""
    monkeypatch.setattr(predict, "load_generator", lambda *args, **kwargs: shipped)
    def call(*argv):
        status = predict.main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return status, out, err
    return call


@needs_chromium
def test_a_page_gives_a_valid_layout_per_section_and_a_report(run, page, tmp_path):
    out = tmp_path / "out"
    status, stdout, _ = run(page, "--selector", "body > section", "--out", out, "--chromium", CHROMIUM)
    assert status == 0
    sections = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert sections == ["section-00", "section-01"]
    for name in sections:
        folder = out / name
        tree = parse_html(folder_example(folder, name, split="input").html)
        layout = load_json((folder / "layout.json").read_text())
        assert len(encode_layout(tree, layout).actions) == len(tree)  # the layout reads back onto its html
        prediction = json.loads((folder / "prediction.json").read_text())
        assert len(prediction["nodes"]) == len(tree) and (folder / "overlay.png").stat().st_size > 0
    assert (out / "index.html").is_file()
    assert "section-00" in stdout and "section-01" in stdout and str(out / "index.html") in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["predicted"] == 2 and summary["boxes"] == "given"


@needs_chromium
def test_json_output_and_first_and_a_folder_with_an_index(run, page, tmp_path):
    status, stdout, _ = run(page.parent, "--selector", "section", "--first", "--out", tmp_path / "o", "--json",
                            "--chromium", CHROMIUM)
    assert status == 0
    summary = json.loads(stdout)
    assert [s["id"] for s in summary["sections"]] == ["section-00"]
    assert summary["sections"][0]["elements"] >= 1 and summary["sections"][0]["types"]


@needs_chromium
def test_partial_fixes_node_actions(run, page, tmp_path):
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"section-00": {"1": "paragraph", "section.hero/p": "heading"}}))
    status, _, _ = run(page, "--selector", "section", "--out", tmp_path / "o", "--partial", partial,
                       "--chromium", CHROMIUM)
    assert status == 0
    nodes = json.loads((tmp_path / "o" / "section-00" / "prediction.json").read_text())["nodes"]
    assert nodes[1]["action"] == "paragraph" and nodes[2]["action"] == "heading"


@needs_chromium
def test_partial_layout_completes_a_section_with_its_given_parts_intact(run, page, tmp_path):
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"section-00": {"structure": {"section@section.hero": {"heading@h1": ""}},
                                                  "boxes": {"heading@h1": {"size": [400, 50]}}}}))
    status, _, _ = run(page, "--selector", "section", "--out", tmp_path / "o", "--partial", partial,
                       "--chromium", CHROMIUM)
    assert status == 0
    layout = json.loads((tmp_path / "o" / "section-00" / "layout.json").read_text())
    assert "heading@h1" in layout["structure"]["section@section.hero"]
    nodes = json.loads((tmp_path / "o" / "section-00" / "prediction.json").read_text())["nodes"]
    assert nodes[1]["action"] == "heading" and nodes[1]["box"][2:] == [400, 50]


@pytest.fixture
def rendered(tmp_path):
    """An --out folder as the page command leaves it before predicting: one section, the bundled hero."""
    out = tmp_path / "o"
    shutil.copytree(BUNDLED_DATA / "train" / "hero_basic", out / "section-00")
    record = json.loads((out / "section-00" / "example.json").read_text())
    (out / "section-00" / "example.json").write_text(json.dumps(dict(record, id="section-00")))
    return out


def test_partial_reads_partial_layouts_and_node_actions_per_section(shipped, rendered, tmp_path):
    path = tmp_path / "partial.json"
    path.write_text(json.dumps({"structure": {"section@div.container": {"heading@h1.heading": ""}},
                                "boxes": {"heading@h1.heading": {"location": [480, 100]}}}))
    fixed, layouts = predict.read_partial(path, rendered, ["section-00"], shipped)
    assert fixed == {} and layouts["section-00"].actions == {0: "section", 3: "heading"}
    assert layouts["section-00"].boxes[3].mask == (True, True, False, False)
    path.write_text(json.dumps({"3": "paragraph", "div.container/div.row": "grid"}))  # the older form still reads
    fixed, layouts = predict.read_partial(path, rendered, ["section-00"], shipped)
    assert fixed == {"section-00": {3: "paragraph", 5: "grid"}} and layouts == {}


@pytest.mark.parametrize("partial, message", [
    ({"structure": {"headline@h1.heading": ""}},
     "section-00: partial layout: structure: 'headline@h1.heading': unknown_type: 'headline' is not an element type"),
    ({"structure": {"heading@div.container": ""}},
     "section-00: partial layout: structure: 'heading@div.container': node 0 ('div.container') is the section's root"),
    ({"structure": {"heading@h1.heading": ""}, "boxes": {"heading@h1.heading": {"box": [0, 0, 10]}}},
     "boxes: 'heading@h1.heading': box: expected 4 numbers [x, y, w, h] in screenshot pixels, got 3 values"),
    ({"section-03": {"structure": {}}}, "no section 'section-03'; the page gave section-00"),
])
def test_a_bad_partial_layout_is_a_predict_error(shipped, rendered, tmp_path, partial, message):
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(partial))
    with pytest.raises(predict.PredictError, match="^--partial .*partial.json: ") as error:
        predict.read_partial(path, rendered, ["section-00"], shipped)
    assert message in str(error.value)


@needs_chromium
@pytest.mark.parametrize("partial, message", [
    ({"1": "headline"}, "unknown action 'headline'; known:"),
    ({"section.hero/nav": "heading"}, "no html node at key path 'section.hero/nav'"),
    ({"section-09": {"1": "heading"}}, "no section 'section-09'"),
])
def test_a_bad_partial_is_a_message(run, page, tmp_path, partial, message):
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(partial))
    status, _, stderr = run(page, "--selector", "section", "--out", tmp_path / "o", "--partial", path,
                            "--chromium", CHROMIUM)
    assert status == 2 and message in stderr


@needs_chromium
def test_a_selector_matching_nothing_is_a_message(run, page, tmp_path):
    status, _, stderr = run(page, "--selector", "article.nope", "--out", tmp_path / "o", "--chromium", CHROMIUM)
    assert status == 2 and "'article.nope' matches nothing" in stderr and len(stderr.strip().splitlines()) == 1


@needs_chromium
def test_an_unreachable_page_is_a_message(run, tmp_path):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    status, _, stderr = run(f"http://127.0.0.1:{port}/", "--selector", "section", "--out", tmp_path / "o",
                            "--chromium", CHROMIUM)
    assert status == 2 and "cannot open" in stderr and "ERR_CONNECTION_REFUSED" in stderr


@needs_chromium
def test_a_section_longer_than_the_model_reads_is_predicted_in_windows(run, shipped, tmp_path):
    many = "".join(f"<p>item {i}</p>" for i in range(shipped.spec.max_slots + 10))
    path = tmp_path / "long.html"
    path.write_text(f"<html><body><section><h2>Short</h2></section><section>{many}</section></body></html>")
    status, stdout, _ = run(path, "--selector", "section", "--out", tmp_path / "o", "--chromium", CHROMIUM)
    assert status == 0, stdout
    assert "predicted in 2 windows" in stdout
    prediction = json.loads((tmp_path / "o" / "section-01" / "prediction.json").read_text())
    assert prediction["windows"] == 2 and len(prediction["nodes"]) == shipped.spec.max_slots + 11
    assert (tmp_path / "o" / "section-00" / "layout.json").is_file()


def test_missing_pages_and_folders_without_index_are_messages(run, tmp_path):
    status, _, stderr = run(tmp_path / "nope.html", "--selector", "section", "--out", tmp_path / "o")
    assert status == 2 and "no such file or folder" in stderr
    (tmp_path / "empty").mkdir()
    status, _, stderr = run(tmp_path / "empty", "--selector", "section", "--out", tmp_path / "o")
    assert status == 2 and "without an index.html" in stderr
    status, _, stderr = run("ftp://example.org/", "--selector", "section", "--out", tmp_path / "o")
    assert status == 2 and "only http(s) URLs" in stderr


def test_no_chromium_is_a_message(run, page, tmp_path, monkeypatch):
    monkeypatch.delenv("DLT_CHROMIUM", raising=False)
    status, _, stderr = run(page, "--selector", "section", "--out", tmp_path / "o",
                            "--chromium", tmp_path / "no-chromium")
    assert status == 2 and "no Chromium found" in stderr


@needs_chromium
def test_nothing_in_out_is_overwritten_without_force(run, page, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    status, _, stderr = run(page, "--selector", "section", "--out", out, "--chromium", CHROMIUM)
    assert status == 2 and "--force" in stderr and (out / "mine.txt").read_text() == "keep me"
    status, _, _ = run(page, "--selector", "section", "--out", out, "--chromium", CHROMIUM, "--force")
    assert status == 0 and not (out / "mine.txt").exists() and (out / "index.html").is_file()


@needs_chromium
def test_the_command_line_runs_with_the_shipped_weights(page, tmp_path):
    """The real entry point, in a fresh process, with nothing but a page and a selector."""
    result = subprocess.run([sys.executable, "-m", "dlt_jax.predict", str(page), "--selector", "section.hero",
                             "--out", str(tmp_path / "o"), "--chromium", CHROMIUM],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "section-00" in result.stdout and (tmp_path / "o" / "section-00" / "layout.json").is_file()
