"""Generate synthetic sections, render them with headless Chromium, write a canonical data set.

    python -m data_tools.synth --out DIR --num N --seed S [--workers W] [--splits 0.9,0.05,0.05] [--width W]
        [--chromium PATH] [--stats] [--preview FILE.png] [--clean] [--keep-html]

--workers W renders with W processes, each with its own Chromium; the files are
the same bytes for any W. For a Beam pipeline (and the shard build after it) see
`python -m data_tools.synth.beam`.

Without --out it only generates (no browser) and, with --stats, prints the frequency table.
"""

from __future__ import annotations

import argparse
import os
import sys

from data_tools.synth import generate_example
from data_tools.synth.dataset import (add_example_arguments, format_statistics, missing_actions, parse_splits,
                                      statistics, write_dataset)


def _workers(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"--workers {value} is negative (0 means one per CPU core)")
    return value or (os.cpu_count() or 1)


def _clean(out: str) -> None:
    """Removes what a previous run wrote (split folders, config), so no stale example stays listed."""
    import shutil
    from data_tools.synth.dataset import SPLIT_NAMES
    for name in SPLIT_NAMES:
        shutil.rmtree(os.path.join(out, name), ignore_errors=True)
    config = os.path.join(out, "dataset_config.yaml")
    if os.path.exists(config):
        os.remove(config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_tools.synth", description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="output folder (canonical layout); omit to only generate")
    add_example_arguments(parser)
    parser.add_argument("--workers", type=_workers, default=1,
                        help="rendering processes, each with its own Chromium (0: one per CPU core; default 1)")
    parser.add_argument("--clean", action="store_true",
                        help="first remove --out's split folders and dataset_config.yaml (other files stay)")
    parser.add_argument("--stats", action="store_true", help="print the action/type/cue frequency table")
    parser.add_argument("--preview", default=None, help="write a contact sheet PNG of the first examples")
    parser.add_argument("--preview-count", type=int, default=12)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    splits = parse_splits(args.splits)
    if args.preview and not args.out:
        parser.error("--preview draws rendered examples: give --out")

    status = 0
    if args.out and args.clean:
        _clean(args.out)
    if args.out:
        summary = write_dataset(args.out, args.num, args.seed, splits, args.width, args.chromium, args.format,
                                args.max_side, args.quality, args.keep_html, args.start, not args.no_progress,
                                workers=args.workers)
        print(summary.describe(args.out, f"with {args.workers} worker(s) on {os.cpu_count()} CPU cores "
                                         "(generation + rendering + writing)"))
        status = 1 if summary.skipped else 0
    if args.stats:
        examples = [generate_example(args.seed, i, args.width) for i in range(args.start, args.start + args.num)]
        stats = statistics(examples)
        print(format_statistics(stats))
        missing = missing_actions(stats)
        if missing:
            print(f"missing actions: {', '.join(missing)}", file=sys.stderr)
    if args.preview:
        from data_tools.preview import contact_sheet
        drawn = contact_sheet(args.out, args.preview, args.preview_count)
        print(f"wrote contact sheet {args.preview} ({drawn} examples)")
    return status


if __name__ == "__main__":
    sys.exit(main())
