"""The real annotated corpus: pre-label sections, check edited outlines, rebuild dlt_jax/data/real/.

    npm ci --prefix data_tools/real                       # the pinned template packages, once
    python -m data_tools.real prelabel [ID ...] [--workdir W] [--force]
        renders sections into build/real/<id>/ and writes outlines/<id>.txt where there is none
    python -m data_tools.real check [ID ...]
        applies each outline in build/real/<id>/ (bad lines reported), draws overlay.png to look at
    python -m data_tools.real build [--out DIR]
        renders every section, applies its outline, validates, writes the data set folder
        (default dlt_jax/data/real/: splits train and dev, sources.json); same bytes every time
    python -m data_tools.real stats
        sections, packages, nodes and pre-label edits per split of the built corpus

Exit status: 0 done, 1 a section failed (each listed with its reason), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from data_tools.annotate.section import AnnotateError
from data_tools.likeness.pages import LikenessError
from data_tools.real import corpus
from data_tools.real.sources import load_sections
from data_tools.render import RenderError


def report(failed: list[str], what: str) -> int:
    for line in failed:
        print(f"real: {line}", file=sys.stderr)
    if failed:
        print(f"real: {len(failed)} section(s) failed; {what}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_tools.real", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("command", choices=("prelabel", "check", "build", "stats"))
    parser.add_argument("ids", nargs="*", help="section ids (default: all)")
    parser.add_argument("--workdir", default=None, help="prelabel: a training workdir's model (default: rules)")
    parser.add_argument("--force", action="store_true", help="prelabel: replace existing outlines")
    parser.add_argument("--out", type=Path, default=corpus.CORPUS_DIR, help="build: the data set folder")
    parser.add_argument("--work", type=Path, default=corpus.WORK_DIR, help="prelabel/check: section work folders")
    parser.add_argument("--chromium", default=None)
    args = parser.parse_args(argv)
    try:
        if args.command == "stats":
            print(json.dumps(corpus.annotation_stats(args.out), indent=1))
            return 0
        sections = corpus.select(load_sections(), args.ids)
        if args.command == "prelabel":
            written, failed = corpus.prelabel(sections, args.work, args.workdir, args.force, args.chromium)
            print(f"{written} outline(s) written to {corpus.OUTLINES}; work folders in {args.work}")
            return report(failed, "they were not rendered")
        if args.command == "check":
            done, failed = corpus.check(sections, args.work, args.chromium)
            for record in done:
                annotation = record["annotation"]
                print(f"{record['id']}: ok, {annotation.get('changed', '?')} of {annotation.get('nodes', '?')} "
                      f"pre-labels changed, {len(annotation.get('notes', []))} note(s); "
                      f"look at {args.work / str(record['id']) / 'overlay.png'}")
            print(f"{len(done)} of {len(sections)} outline(s) apply cleanly; overlays in {args.work}/<id>/overlay.png")
            return report(failed, "fix the lines named above")
        if args.ids:
            parser.error("build takes no ids: it always rebuilds the whole corpus")
        splits, failed = corpus.build(args.out, chromium=args.chromium)
        if not failed:
            print(f"wrote {args.out}: " + ", ".join(f"{split} {len(ids)}" for split, ids in splits.items()))
        return report(failed, f"nothing was written to {args.out}")
    except (AnnotateError, LikenessError, RenderError, ValueError) as error:
        print(f"real: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
