"""Turn real html pages into inference inputs: screenshot + html object + boxes of one section.

    python -m data_tools.render_page URL_OR_FILE [URL_OR_FILE ...] --selector CSS --out DIR
        [--all] [--width 1920] [--max-side 0] [--chromium PATH] [--force]

Writes DIR/<id>/screenshot.png and DIR/<id>/example.json (DATA_FORMAT §1.3
without a layout); the id names the page, the selector and the match, so runs
with other selectors add to DIR. A section already in DIR is kept (and
reported) unless --force. A page that fails is reported and skipped.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

from data_tools import render
from dlt_jax.layout.jsonio import JsonObject, dump_json


def page_id(source: str, match: int, selector: str = "") -> str:
    """A folder-safe id from a URL or file path, the selector, and the match number."""
    stem = re.sub(r"^[a-z]+://", "", source.rstrip("/"))
    stem = os.path.splitext(stem)[0] if os.path.exists(source) else stem
    stem = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-")[-60:] or "page"
    chosen = re.sub(r"[^A-Za-z0-9]+", "-", selector).strip("-")[:40]
    return f"{stem}-{chosen}-{match}" if chosen else f"{stem}-{match}"


def inference_record(ident: str, source: str, selector: str, rendering: render.Rendering, max_side: int,
                     warnings: list[str]) -> tuple[JsonObject, bytes]:
    """example.json object (no layout) and the encoded screenshot for one rendered section."""
    width, height, scale = render.stored_size(rendering.width, rendering.height, max_side)
    shot = render.encode_screenshot(rendering.png, width, height, "png")
    record = JsonObject([
        ("id", ident),
        ("screenshot", JsonObject([("path", "screenshot.png"), ("width", width), ("height", height)])),
        ("structure", JsonObject([("type", "HTMLObject"), ("data", render.reduce_dom(rendering.nodes, warnings))])),
        ("html_boxes", render.scale_boxes(rendering.boxes, scale, width, height)),
        ("source", JsonObject([("url", source), ("selector", selector)])),
    ])
    return record, shot


def write_section(folder: str | os.PathLike, record: JsonObject, shot: bytes) -> None:
    """`folder/screenshot.png` and `folder/example.json`: one inference input, as `--mode=sample` reads it."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "screenshot.png"), "wb") as f:
        f.write(shot)
    with open(os.path.join(folder, "example.json"), "w", encoding="utf-8") as f:
        f.write(dump_json(record))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_tools.render_page", description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", help="URLs or local html files")
    parser.add_argument("--selector", required=True, help="CSS selector of the section element")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--all", action="store_true", help="every element the selector matches, not only the first")
    parser.add_argument("--width", type=int, default=1920, help="viewport width in px")
    parser.add_argument("--max-side", type=int, default=0, help="scale screenshots so the long side is this (0: keep)")
    parser.add_argument("--chromium", default=None, help="Chromium executable (default: $DLT_CHROMIUM, /usr/bin/chromium)")
    parser.add_argument("--force", action="store_true", help="replace sections already in --out")
    args = parser.parse_args(argv)
    from tqdm import tqdm

    written, failed, kept = 0, [], []
    with render.Renderer(args.chromium, width=args.width) as renderer:
        for source in tqdm(args.sources, desc="pages", unit="page"):
            try:
                renderings = (renderer.render_url_all(source, args.selector, args.width) if args.all
                              else [renderer.render_url(source, args.selector, args.width)])
            except Exception as error:  # reported and skipped, never fatal
                failed.append(source)
                print(f"render_page: skipped {source}: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}",
                      file=sys.stderr)
                renderer.reset_page()
                continue
            for match, rendering in enumerate(renderings):
                warnings: list[str] = []
                ident = page_id(source, match, args.selector)
                folder = os.path.join(args.out, ident)
                if os.path.exists(folder) and not args.force:
                    kept.append(ident)
                    print(f"render_page: kept {folder}, which is already there (--force replaces it)",
                          file=sys.stderr)
                    continue
                record, shot = inference_record(ident, source, args.selector, rendering, args.max_side, warnings)
                write_section(folder, record, shot)
                for warning in warnings:
                    print(f"render_page: {ident}: {warning}", file=sys.stderr)
                written += 1
    print(f"wrote {written} section(s) to {args.out}; {len(failed)} page(s) failed; "
          f"{len(kept)} already there, kept")
    return 1 if failed or kept else 0


if __name__ == "__main__":
    sys.exit(main())
