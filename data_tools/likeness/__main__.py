"""Compare the html statistics of real template sections with a generated set.

    npm ci --prefix data_tools/likeness          # once: the pinned real pages
    python -m data_tools.likeness [--generated PATH] [--synth N --seed S] [--out DIR]
        [--width 1920] [--chromium PATH] [--sections FILE] [--refresh]

Renders the sections of data_tools/likeness/sections.json from a local server
(cached in OUT/real_sections.json), then writes OUT/likeness.md, likeness.json
and likeness.png and prints the table. Without --generated or --synth the
embedded data set is the generated set.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

from data_tools.likeness import generated as gen
from data_tools.likeness import pages, report
from data_tools.likeness import stats as st
from dlt_jax.data.example import DatasetError
from dlt_jax.data.readers import EMBEDDED_DATA


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_tools.likeness", description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=Path, help=f"data set folder or .jsonl manifest (default: {EMBEDDED_DATA} "
                        "unless --synth is given)")
    parser.add_argument("--synth", type=int, default=0, metavar="N", help="also compare N synthetic examples made now")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --synth examples")
    parser.add_argument("--out", type=Path, default=Path("build/likeness"), help="output folder (default: %(default)s)")
    parser.add_argument("--width", type=int, default=1920, help="viewport width for the real pages, px")
    parser.add_argument("--chromium", default=None, help="Chromium executable (default: $DLT_CHROMIUM, /usr/bin/chromium)")
    parser.add_argument("--sections", type=Path, default=pages.SECTIONS_FILE,
                        help="JSON list of {package, page, selector} (default: the pinned list)")
    parser.add_argument("--refresh", action="store_true", help="render the real pages again even if cached")
    args = parser.parse_args(argv)
    start = time.monotonic()

    sources: dict[str, tuple[str, list, int]] = {}
    try:
        if args.generated is not None or not args.synth:
            path = args.generated or EMBEDDED_DATA
            objects, skipped = gen.dataset_html(path)
            sources[f"dataset {path}"] = (str(path), objects, skipped)
        if args.synth:
            sources[f"synth seed {args.seed}"] = (f"data_tools.synth seed {args.seed}, examples 0..{args.synth - 1}",
                                                  gen.synth_html(args.synth, args.seed), 0)
        rendered, failed, versions = pages.real_sections(args.out, args.chromium, args.width, args.refresh,
                                                            pages.load_sections(args.sections))
    except (pages.LikenessError, DatasetError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for section, message in failed:
        print(f"likeness: could not render {section.name}: {message}", file=sys.stderr)
    if not rendered:
        print("error: no real section could be rendered", file=sys.stderr)
        return 1

    real = [st.section_stats(html) for _, html in rendered]
    real_info = {"sections": len(real), "width": args.width, "packages": versions,
                 "per_package": dict(collections.Counter(s.package for s, _ in rendered)),
                 "failed": [f"{s.name}: {m}" for s, m in failed]}
    comparisons, generated_stats = {}, {}
    for name, (source, objects, skipped) in sources.items():
        if not objects:
            print(f"error: {name}: no readable example", file=sys.stderr)
            return 1
        generated_stats[name] = [st.section_stats(html) for html in objects]
        comparisons[name] = {"source": source, "sections": len(objects), "skipped": skipped,
                             "rows": st.compare(real, generated_stats[name])}
    full = report.build_report(real_info, comparisons)
    report.write_report(full, args.out)
    distances = {name: {row["statistic"]: row["distance"] for row in c["rows"]} for name, c in comparisons.items()}
    report.plot(real, generated_stats, distances, args.out / "likeness.png")

    print(f"real: {len(real)} sections from {len(versions)} packages"
          + (f", {len(failed)} failed to render" if failed else ""))
    for name, comparison in comparisons.items():
        print(f"\n{name} ({comparison['sections']} sections)\n{report.text_table(comparison['rows'])}")
    print(f"\nwrote {args.out / 'likeness.md'}, likeness.json, likeness.png in {time.monotonic() - start:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
