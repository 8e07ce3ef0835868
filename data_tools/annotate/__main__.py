"""Annotate real sections cheaply: render and pre-label, edit an outline, apply it as a validated example.

    python -m data_tools.annotate new PAGE --selector CSS --out DIR [--id ID] [--workdir W | --pretrained] [--force]
        renders the section (PAGE: an html file or an http(s) URL), pre-labels it (the model of W,
        else the rule baseline) and writes DIR/<id>/{example.json, screenshot.jpg, outline.txt,
        prelabel.png}
    python -m data_tools.annotate apply DIR/<id> [DIR/<id> ...] [--force]
        checks the edited outline.txt (each bad line reported with its number and why), then writes
        the layout into example.json and draws overlay.png; prints how many pre-labels were changed
    python -m data_tools.annotate outline DIR/<id> [--force]
        writes the outline of an annotated example back to outline.txt, to edit it again

Exit status: 0 done, 1 a section failed (the message says why), 2 usage.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from data_tools import render
from data_tools.annotate.outline import OutlineError
from data_tools.annotate.section import (OUTLINE_FILE, AnnotateError, apply_outline, model_prelabel,
                                         outline_of_record, read_record, record_tree, rule_prelabel,
                                         section_record, write_new_section)
from dlt_jax.layout import JsonObject
from dlt_jax.layout.codec import LayoutError


def default_id(page: str, selector: str) -> str:
    """A folder-safe id from the page and the selector (two selectors of one page never collide)."""
    text = re.sub(r"^[a-z]+://", "", page.rstrip("/"))
    if "://" not in page:  # a local file: its folder and name say enough
        text = "/".join(Path(text).parts[-2:])
    text = re.sub(r"\.html?$", "", text)
    stem = re.sub(r"[^A-Za-z0-9]+", "-", f"{text} {selector}").strip("-").lower()
    return stem[-80:].strip("-") or "section"


def command_new(args: argparse.Namespace) -> int:
    ident = args.id or default_id(args.page, args.selector)
    folder = Path(args.out) / ident
    with render.Renderer(args.chromium, width=args.width) as renderer:
        rendering = renderer.render_url(args.page, args.selector, args.width)
    warnings: list[str] = []
    source = JsonObject([("url", args.page), ("selector", args.selector)])
    record, shot = section_record(ident, rendering, args.max_side, args.image_format, source, warnings)
    prelabel = (model_prelabel(record, shot, args.workdir) if args.workdir or args.pretrained
                else rule_prelabel(record_tree(record)))
    write_new_section(folder, record, shot, prelabel, args.force)
    for warning in warnings:
        print(f"annotate: {ident}: {warning}", file=sys.stderr)
    print(f"{folder}: {len(prelabel.actions)} nodes pre-labelled by {prelabel.source}; "
          f"edit {folder / OUTLINE_FILE}, then: python -m data_tools.annotate apply {folder}")
    return 0


def command_apply(args: argparse.Namespace) -> int:
    failed, changed, nodes = 0, 0, 0
    for name in args.folders:
        folder = Path(name)
        try:
            record = apply_outline(folder, force=args.force)
        except (OutlineError, AnnotateError, LayoutError) as error:
            print(f"annotate: {error}", file=sys.stderr)
            failed += 1
            continue
        annotation = record["annotation"]
        if "changed" in annotation:
            changed, nodes = changed + annotation["changed"], nodes + annotation["nodes"]
        print(f"{folder}: annotated ({annotation.get('changed', '?')} of {annotation.get('nodes', '?')} "
              f"pre-labels changed); look at {folder / 'overlay.png'}")
    if len(args.folders) > 1:
        share = f" ({100 * changed / nodes:.1f} %)" if nodes else ""
        print(f"{len(args.folders) - failed} of {len(args.folders)} section(s) annotated; "
              f"{changed} of {nodes} pre-labels changed{share}")
    return 1 if failed else 0


def command_outline(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    target = folder / OUTLINE_FILE
    if target.exists() and not args.force:
        raise AnnotateError(f"{target} exists; pass --force to replace it")
    target.write_text(outline_of_record(read_record(folder)), encoding="utf-8")
    print(f"wrote {target}")
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m data_tools.annotate", description=__doc__.splitlines()[0],
                                   formatter_class=argparse.RawDescriptionHelpFormatter,
                                   epilog="\n".join(__doc__.splitlines()[2:]))
    commands = main.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new", help="render and pre-label a section")
    new.add_argument("page", help="an html file or an http(s) URL")
    new.add_argument("--selector", required=True, help="CSS selector of the section (its first match)")
    new.add_argument("--out", required=True, help="folder of section folders")
    new.add_argument("--id", default=None, help="the section's folder name (default: from page and selector)")
    labeller = new.add_mutually_exclusive_group()
    labeller.add_argument("--workdir", default=None, help="pre-label with this training workdir's model (default: rules)")
    labeller.add_argument("--pretrained", action="store_true", help="pre-label with the shipped weights (MODEL_CARD.md)")
    new.add_argument("--width", type=int, default=1920, help="viewport width in px")
    new.add_argument("--max-side", type=int, default=1280, help="long side of the stored screenshot (0: keep)")
    new.add_argument("--image-format", choices=("jpeg", "png"), default="jpeg")
    new.add_argument("--chromium", default=None, help="Chromium executable (default: $DLT_CHROMIUM, /usr/bin/chromium)")
    new.add_argument("--force", action="store_true", help="replace an existing annotation with fresh pre-labels")
    new.set_defaults(run=command_new)
    apply = commands.add_parser("apply", help="check an edited outline and write the annotated example")
    apply.add_argument("folders", nargs="+", help="section folders (DIR/<id>)")
    apply.add_argument("--force", action="store_true", help="replace a different annotation already written")
    apply.set_defaults(run=command_apply)
    outline = commands.add_parser("outline", help="write an annotated example's outline, to edit it again")
    outline.add_argument("folder")
    outline.add_argument("--force", action="store_true", help="replace an existing outline.txt")
    outline.set_defaults(run=command_outline)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (AnnotateError, render.RenderError) as error:
        print(f"annotate: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
