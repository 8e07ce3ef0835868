"""The synthetic data set at scale: a process pool of browsers and a Beam pipeline write the same bytes
as one browser (skipped without a Chromium; the Beam test also without apache-beam)."""

import os
from pathlib import Path

import pytest

from data_tools.render import find_chromium
from data_tools.synth.dataset import chunk_size, write_dataset

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium found ($DLT_CHROMIUM, /usr/bin/chromium or chromium on PATH); "
           "install it with `apt-get install -y chromium` to run the renderer tests")

COUNT = 6


SEED = 0


def folder_bytes(root: Path) -> dict[str, bytes]:
    """Every file under `root` (relative path -> bytes), so two folders compare byte for byte."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def one_browser(tmp_path_factory) -> Path:
    """The reference: examples 0..5 of data set SEED rendered by one browser."""
    out = tmp_path_factory.mktemp("one") / "set"
    summary = write_dataset(str(out), COUNT, SEED, chromium=CHROMIUM, progress=False)
    assert summary.count == COUNT and summary.skipped == []
    return out


def test_chunks_spread_the_indices_over_the_workers():
    assert chunk_size(6, 2) == 1
    assert chunk_size(120, 2) == 15
    assert chunk_size(100_000, 16) == 16
    assert chunk_size(3, 8) == 1


@needs_chromium
def test_two_browser_processes_write_the_same_bytes_as_one(one_browser, tmp_path):
    summary = write_dataset(str(tmp_path / "set"), COUNT, SEED, chromium=CHROMIUM, progress=False, workers=2)
    assert summary.count == COUNT and summary.skipped == []
    reference = folder_bytes(one_browser)
    assert "dataset_config.yaml" in reference and sum(name.endswith("screenshot.jpg") for name in reference) == COUNT
    assert folder_bytes(tmp_path / "set") == reference


def test_the_pool_reports_a_missing_chromium(tmp_path):
    from data_tools.render import RenderError
    with pytest.raises(RenderError, match="no Chromium found"):
        write_dataset(str(tmp_path / "set"), 4, SEED, chromium=str(tmp_path / "nowhere"), progress=False, workers=2)


@needs_chromium
def test_the_beam_pipeline_writes_the_same_bytes_as_the_pool(one_browser, tmp_path):
    pytest.importorskip("apache_beam", reason="the Beam pipeline needs the `beam` extra (apache-beam)")
    from data_tools.synth.beam import run_pipeline
    summary = run_pipeline(str(tmp_path / "set"), COUNT, SEED, chromium=CHROMIUM,
                           pipeline_args=["--runner", "DirectRunner"])
    assert summary.count == COUNT and summary.skipped == []
    assert all(ids == sorted(ids) for ids in summary.written.values())  # index order, as the pool writes
    assert not [name for name in os.listdir(tmp_path / "set") if name.startswith(".")]  # no leftovers
    assert folder_bytes(tmp_path / "set") == folder_bytes(one_browser)


@needs_chromium
def test_boxes_of_a_logo_marquee_do_not_depend_on_the_time_they_are_read(monkeypatch):
    import time
    from data_tools import render
    from data_tools.synth import generate_example
    example = next(e for e in (generate_example(seed, i) for seed in range(10) for i in range(60))
                   if "infinite" in e.page_html)
    delay = [0.0]
    capture = render.Renderer._capture_handle

    def capture_late(self, page, handle, selector):  # a loaded machine: the walk comes later after the screenshot
        screenshot = page.screenshot

        def screenshot_then_wait(*args, **kwargs):
            png = screenshot(*args, **kwargs)
            time.sleep(delay[0])
            return png
        page.screenshot = screenshot_then_wait
        try:
            return capture(self, page, handle, selector)
        finally:
            page.screenshot = screenshot

    monkeypatch.setattr(render.Renderer, "_capture_handle", capture_late)
    with render.Renderer(CHROMIUM) as renderer:
        prompt = renderer.render_html(example.page_html, width=example.width)
        delay[0] = 1.0
        late = renderer.render_html(example.page_html, width=example.width)
    assert prompt.png == late.png
    assert prompt.boxes == late.boxes
