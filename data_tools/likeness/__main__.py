"""Compare the html statistics of real template sections with a generated set.

    npm ci --prefix data_tools/likeness          # once: the pinned real pages
    npm ci --prefix data_tools/real              # once: the real corpus's pages (for --real real-train/both)
    python -m data_tools.likeness [--generated PATH] [--synth N --seed S] [--out DIR]
        [--real likeness|real-train|both] [--width 1920] [--chromium PATH] [--sections FILE] [--refresh]

Renders the real sections from a local server: the list of data_tools/likeness/sections.json
(cached in OUT/real_sections.json) and/or the train split of data_tools/real/sections.json
(OUT/real_train_sections.json), never a held-back package (DESIGN.md §10); then writes
OUT/likeness.md, likeness.json and likeness.png and prints the table. Without --generated
or --synth the embedded data set is the generated set.
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
    parser.add_argument("--real", choices=("likeness", "real-train", "both"), default="both",
                        help="the real side: the likeness list, the real corpus's train sections, or both "
                        "(default: %(default)s; both without data_tools/real/sections.json is the likeness list)")
    parser.add_argument("--sections", type=Path, default=None,
                        help="JSON list of {package, page, selector} replacing the likeness list (default: the pinned list)")
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
        rendered, failed, versions, per_source = _real_side(args)
    except (pages.LikenessError, DatasetError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for section, message in failed:
        print(f"likeness: could not render {section.name}: {message}", file=sys.stderr)
    if not rendered:
        print("error: no real section could be rendered", file=sys.stderr)
        return 1

    real = [st.section_stats(html) for _, html in rendered]
    real_info = {"sections": len(real), "width": args.width, "sources": per_source, "packages": versions,
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

    print(f"real: {len(real)} sections from {len(versions)} packages ("
          + ", ".join(f"{name} {count}" for name, count in per_source.items()) + ")"
          + (f", {len(failed)} failed to render" if failed else ""))
    for name, comparison in comparisons.items():
        print(f"\n{name} ({comparison['sections']} sections)\n{report.text_table(comparison['rows'])}")
    print(f"\nwrote {args.out / 'likeness.md'}, likeness.json, likeness.png in {time.monotonic() - start:.0f} s")
    return 1 if failed else 0


def _real_side(args) -> tuple[list, list, dict[str, str], dict[str, int]]:
    """The real sections of the chosen sources, each rendered from its own packages (or its cache); a section
    listed by both sources counts once. Returns (rendered, failed, versions, sections per source)."""
    names = ("likeness", "real-train") if args.real == "both" else (args.real,)
    corpus = pages.SOURCES["real-train"].sections_file
    if args.real == "both" and not corpus.is_file():
        print(f"likeness: {corpus} does not exist yet; the real side is the likeness list only", file=sys.stderr)
        names = ("likeness",)
    # tuning towards the corpus's train split never looks at its dev packages (they measure transfer)
    dev = pages.split_packages(corpus, "dev") if len(names) == 2 else frozenset()
    rendered, failed, versions, per_source, seen = [], [], {}, {}, set()
    for name in names:
        source = pages.SOURCES[name]
        listed = source.sections(args.sections if name == "likeness" else None)
        sections = [s for s in listed if s not in seen and s.package not in dev]
        if len(sections) < len(listed) and dev:
            print(f"likeness: {name}: {sum(s.package in dev for s in listed)} section(s) of the real corpus's dev "
                  "packages left out", file=sys.stderr)
        seen.update(sections)
        got, lost, source_versions = pages.real_sections(args.out, args.chromium, args.width, args.refresh,
                                                         sections, source=source)
        rendered += got
        failed += lost
        per_source[name] = len(got)
        for package, version in source_versions.items():
            versions[package] = version if versions.get(package, version) == version else \
                f"{versions[package]} / {version}"
    return rendered, failed, versions, per_source


if __name__ == "__main__":
    sys.exit(main())
