"""Builds the `section_layouts` TFDS data set (array_record shards) from any input layout.

    python -m data_tools.build_dataset SRC --out DATA_DIR [--image-size 512] [--image-format jpeg]

SRC is a data set folder (with dataset_config.yaml) or a .jsonl manifest. The
shards land in DATA_DIR/section_layouts/<format><size>/<version>/, with
build_report.json (skipped examples and their reasons) beside them; point
`config.data.path` at DATA_DIR. Exit status: 0 built, 1 nothing built, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from dlt_jax.data.builder import REPORT_FILE, build_dataset
from dlt_jax.data.example import DatasetError
from dlt_jax.data.transforms import IMAGE_FORMATS


def summary(version_dir: Path, seconds: float) -> str:
    """What was written and what was skipped, from the build report."""
    report = json.loads((version_dir / REPORT_FILE).read_text())
    lines = [f"built {version_dir} in {seconds:.1f} s",
             "written         " + "  ".join(f"{s} {n}" for s, n in report["written"].items()),
             f"skipped         {report['skipped']['count']}"
             + ("  (" + ", ".join(f"{k} {v}" for k, v in report["skipped"]["reasons"].items()) + ")"
                if report["skipped"]["count"] else ""),
             f"warnings        {report['warnings']['count']}"]
    for error in report["skipped"]["errors"][:10]:
        lines.append(f"  {error['id']}: {error['field']}: {error['message']}")
    if report["skipped"]["count"] > 10:
        lines.append(f"  ... all of them in {version_dir / REPORT_FILE}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_tools.build_dataset", description=__doc__.split("\n")[0])
    parser.add_argument("source", help="data set folder (with dataset_config.yaml) or .jsonl manifest")
    parser.add_argument("--out", required=True, type=Path, help="TFDS data dir to write into")
    parser.add_argument("--image-size", type=int, default=512, help="long side of the letterboxed screenshot")
    parser.add_argument("--image-format", choices=IMAGE_FORMATS, default="jpeg")
    parser.add_argument("--jpeg-quality", type=int, default=90)
    parser.add_argument("--workers", type=int, default=None, help="processes (default: CPU count, at most 8)")
    parser.add_argument("--overwrite", action="store_true", help="replace a build of other data at --out")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if not Path(args.source).exists():
        parser.error(f"{args.source} does not exist")
    if args.image_size < 8:
        parser.error("--image-size must be at least 8")
    start = time.perf_counter()
    try:
        version_dir = build_dataset(args.source, args.out, image_size=args.image_size,
                                    image_format=args.image_format, jpeg_quality=args.jpeg_quality,
                                    workers=args.workers, progress=not args.no_progress,
                                    overwrite=args.overwrite)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(summary(version_dir, time.perf_counter() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
