"""The synthetic data set as an Apache Beam pipeline: generate + render in a ParDo, then build the shards.

    python -m data_tools.synth.beam --out DIR --num N --seed S [--data-dir DATA_DIR] [--image-size 512]
        [synth options as in `python -m data_tools.synth`] [Beam pipeline options, e.g.
        --runner DirectRunner --direct_num_workers 16 --direct_running_mode multi_processing]

Each Beam worker starts one Chromium (DoFn setup) and renders the indices it is
handed; example i's files depend only on (seed, i), so the folder is the same
bytes as `python -m data_tools.synth` writes with any --workers. The driver then
writes dataset_config.yaml and, with --data-dir, builds the TFDS array_record
shards from the folder (`data_tools.build_dataset`, which has its own process
pool). --out must be a file system that every Beam worker and the driver see
(local for the DirectRunner; a shared mount for a distributed runner).
Needs the `beam` extra: `pip install -e ".[beam]"`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator

from data_tools.synth.dataset import (SynthSettings, WriteSummary, add_example_arguments, parse_splits,
                                      render_examples, report_skipped, write_config, write_example)

try:
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions
except ImportError as error:  # the error says what to install, not only what is missing
    raise ImportError("the Beam pipeline needs apache-beam: pip install -e '.[beam]'") from error


class RenderExamples(beam.DoFn):
    """Index -> its example written under `out`; emits (index, id, split, error, bytes counted).

    Playwright's sync API must be driven from the thread that started it, and a
    Beam worker may call setup, process and teardown from different threads, so
    the DoFn's browser lives in a thread of its own and every call goes there.
    """

    def __init__(self, out: str, settings: SynthSettings, chromium: str | None):
        self.out, self.settings, self.chromium = out, settings, chromium
        self._browser_thread = self._renderer = None

    def setup(self) -> None:
        from concurrent.futures import ThreadPoolExecutor
        from data_tools import render
        self._browser_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
        self._renderer = self._browser_thread.submit(lambda: render.Renderer(self.chromium).__enter__()).result()
        self._written = beam.metrics.Metrics.counter("synth", "written")
        self._skipped = beam.metrics.Metrics.counter("synth", "skipped")

    def process(self, index: int) -> Iterator[tuple[int, str, str, str | None, int]]:
        examples = self._browser_thread.submit(
            lambda: list(render_examples(self._renderer, [index], self.settings))).result()
        for example in examples:
            if example.files is None:
                report_skipped(example)
                self._skipped.inc()
            else:
                write_example(self.out, example)
                self._written.inc()
            yield example.index, example.ident, example.split, example.error, example.counted_bytes

    def teardown(self) -> None:
        if self._browser_thread is not None:
            if self._renderer is not None:
                self._browser_thread.submit(self._renderer.__exit__, None, None, None).result()
            self._browser_thread.shutdown()
        self._browser_thread = self._renderer = None


def _save_results(results: list[tuple], path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(sorted(results), f)


def run_pipeline(out: str, num: int, seed: int, splits: tuple[float, ...] = (0.9, 0.05, 0.05),
                 width: int | None = None, chromium: str | None = None, image_format: str = "jpg",
                 max_side: int = 512, quality: int = 80, keep_html: bool = False, start: int = 0,
                 pipeline_args: list[str] | None = None) -> WriteSummary:
    """Renders examples start..start+num-1 of data set `seed` into `out` with a Beam pipeline
    (DirectRunner unless `pipeline_args` say otherwise) and writes dataset_config.yaml."""
    settings = SynthSettings(seed, tuple(splits), width, image_format, max_side, quality, keep_html)
    os.makedirs(out, exist_ok=True)
    # the per-example results come back to the driver through a file in `out` (seen by all workers)
    results_path = os.path.join(out, f".beam-results-{uuid.uuid4().hex}.json")
    began = time.perf_counter()
    options = PipelineOptions(pipeline_args or [])
    try:
        with beam.Pipeline(options=options) as pipeline:
            _ = (pipeline
                 | "Indices" >> beam.Create(list(range(start, start + num)))
                 | "Spread" >> beam.Reshuffle()  # one Create bundle would keep every index on one worker
                 | "Render" >> beam.ParDo(RenderExamples(out, settings, chromium))
                 | "Collect" >> beam.combiners.ToList()
                 | "Save" >> beam.Map(_save_results, results_path))
        with open(results_path, encoding="utf-8") as f:
            results = json.load(f)
    finally:
        if os.path.exists(results_path):
            os.remove(results_path)
    summary = WriteSummary.started(splits)
    for _, ident, split, error, counted in results:  # sorted by index, as the process pool writes them
        summary.add(ident, split, error, counted)
    write_config(out, summary.written)
    summary.seconds = time.perf_counter() - began
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_tools.synth.beam", description=__doc__.splitlines()[0],
                                     epilog="Other arguments are Beam pipeline options.")
    parser.add_argument("--out", required=True, help="output folder (canonical layout)")
    add_example_arguments(parser)
    parser.add_argument("--data-dir", default=None,
                        help="then build the TFDS shards here (what config.data.path points at)")
    parser.add_argument("--image-size", type=int, default=512, help="shard build: letterbox canvas size")
    parser.add_argument("--build-workers", type=int, default=None,
                        help="shard build processes (default: CPU count, at most 8)")
    parser.add_argument("--overwrite", action="store_true", help="shard build: replace a build of other data")
    args, pipeline_args = parser.parse_known_args(argv)
    splits = parse_splits(args.splits)
    summary = run_pipeline(args.out, args.num, args.seed, splits, args.width, args.chromium, args.format,
                           args.max_side, args.quality, args.keep_html, args.start, pipeline_args)
    print(summary.describe(args.out, f"(Beam: {' '.join(pipeline_args) or 'DirectRunner defaults'})"))
    status = 1 if summary.skipped else 0
    if args.data_dir:
        from data_tools.build_dataset import main as build_main
        build_args = [args.out, "--out", args.data_dir, "--image-size", str(args.image_size), "--no-progress"]
        if args.build_workers is not None:
            build_args += ["--workers", str(args.build_workers)]
        if args.overwrite:
            build_args.append("--overwrite")
        status = max(status, build_main(build_args))
    return status


if __name__ == "__main__":
    sys.exit(main())
