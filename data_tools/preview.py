"""Contact sheet: a grid of examples with their element boxes and types drawn over the screenshots.

`python -m data_tools.preview DIR --out sheet.png [--count 12]` reads a canonical
data set folder, so a person can check the labels by eye.
"""

from __future__ import annotations

import argparse
import os

from dlt_jax.data import Example, read_folder
from dlt_jax.layout import Encoded, HtmlTree, encode_layout, parse_html

TYPE_COLOURS = {
    "section": (120, 120, 120), "grid": (0, 150, 136), "column": (76, 175, 80), "wrapper": (158, 158, 158),
    "freedom": (233, 30, 99), "heading": (244, 67, 54), "paragraph": (33, 150, 243), "button": (255, 152, 0),
    "icon": (156, 39, 176), "image": (0, 188, 212), "list": (121, 85, 72), "map": (139, 195, 74),
    "qr": (63, 81, 181), "counter": (255, 87, 34), "divider": (96, 125, 139), "video": (103, 58, 183),
    "marquee": (205, 220, 57), "carousel": (255, 193, 7), "accordion": (0, 121, 107), "tab": (194, 24, 91),
    "social": (3, 169, 244), "gallery": (255, 235, 59), "masonry": (255, 111, 0),
    "bi": (0, 0, 0), "bo": (60, 60, 60), "bv": (20, 20, 20),
}
_CONTAINERS = frozenset(("grid", "freedom", "carousel", "accordion", "tab", "gallery", "masonry", "marquee"))
_FONT_PATHS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
               "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf")


def _font(size: int):
    from PIL import ImageFont
    for path in _FONT_PATHS:
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def element_boxes(tree: HtmlTree, encoded: Encoded, boxes: list[list[float]]) -> list[tuple[str, list[float], int]]:
    """(type or prop name, union box of its member nodes, depth of its first node) per element
    and prop, in document order of their first nodes; elements without a visible box are left out."""
    parts = [(members, element_type) for element_type, members in encoded.elements]
    parts += [((node,), prop) for prop, node in encoded.props.items()]
    out = []
    for members, name in sorted(parts, key=lambda part: part[0][0]):
        real = [boxes[m] for m in members if boxes[m][2] > 0 and boxes[m][3] > 0]
        if not real:
            continue
        x0 = min(b[0] for b in real)
        y0 = min(b[1] for b in real)
        x1 = max(b[0] + b[2] for b in real)
        y1 = max(b[1] + b[3] for b in real)
        out.append((name, [x0, y0, x1 - x0, y1 - y0], tree[members[0]].depth))
    return out


def draw_example(image, tree: HtmlTree, encoded: Encoded, boxes, title: str = ""):
    """The screenshot with every element's box and type drawn on it."""
    from PIL import ImageDraw
    image = image.convert("RGB")
    overlay = image.copy()
    draw = ImageDraw.Draw(overlay)
    font = _font(10)
    for name, (x, y, w, h), depth in element_boxes(tree, encoded, boxes):
        colour = TYPE_COLOURS.get(name, (255, 0, 255))
        width = 1 if name in ("section", "bi", "bo", "bv") else 2
        draw.rectangle([x, y, max(x, x + w - 1), max(y, y + h - 1)], outline=colour, width=width)
        label = name
        tw = draw.textlength(label, font=font)
        lx, ly = x, y
        if name in ("bi", "bo", "bv"):  # props: bottom-left, out of the way of the structure
            ly = y + h - 12
        elif name in _CONTAINERS:  # containers: top-right, so the first child's label stays readable
            lx = max(x, x + w - tw - 3)
        draw.rectangle([lx, ly, lx + tw + 3, ly + 11], fill=colour)
        draw.text((lx + 2, ly), label, fill=(255, 255, 255) if sum(colour) < 500 else (0, 0, 0), font=font)
    if title:
        tw = draw.textlength(title, font=_font(11))
        draw.rectangle([0, image.height - 14, tw + 6, image.height], fill=(0, 0, 0))
        draw.text((3, image.height - 14), title, fill=(255, 255, 0), font=_font(11))
    return overlay


def markup_family(example: Example) -> str:
    """The synthetic example's markup families ('bem+hashed'), or '' for other data."""
    synth = (example.extra or {}).get("synth") or {}
    return "+".join(synth.get("families") or ([synth["family"]] if synth.get("family") else []))


def spread_examples(examples: list[Example], count: int) -> list[Example]:
    """`count` examples taking each markup family in turn (by id within a family), so a sheet shows
    every family; data without families keeps its id order."""
    groups: dict[str, list[Example]] = {}
    for example in sorted(examples, key=lambda e: e.id):
        groups.setdefault(markup_family(example).split("+")[0], []).append(example)
    picked, queues = [], [list(group) for _, group in sorted(groups.items())]
    while len(picked) < count and any(queues):
        for queue in queues:
            if queue and len(picked) < count:
                picked.append(queue.pop(0))
    return picked


def contact_sheet(root: str, out_path: str, count: int = 12, columns: int = 3, cell_width: int = 512,
                  split: str | None = None) -> int:
    """Draws `count` examples of a data set folder into one PNG, each markup family in turn (synthetic
    data); returns how many were drawn."""
    from PIL import Image
    tiles = []
    splits = (split,) if split else None
    examples = spread_examples([e for e in read_folder(root, splits) if isinstance(e, Example)], count)
    for example in examples:
        tree = parse_html(example.html)
        encoded = encode_layout(tree, example.layout)
        title = f"{example.id}  {example.category or ''}  {markup_family(example)}".rstrip()
        tile = draw_example(example.load_screenshot(), tree, encoded, example.html_boxes, title)
        if tile.width != cell_width:
            tile = tile.resize((cell_width, round(tile.height * cell_width / tile.width)))
        tiles.append(tile)
    if not tiles:
        raise ValueError(f"no examples found under {root}")
    rows = [tiles[i:i + columns] for i in range(0, len(tiles), columns)]
    heights = [max(t.height for t in row) + 6 for row in rows]
    sheet = Image.new("RGB", (columns * (cell_width + 6), sum(heights)), (255, 255, 255))
    y = 0
    for row, height in zip(rows, heights):
        for j, tile in enumerate(row):
            sheet.paste(tile, (j * (cell_width + 6), y))
        y += height
    sheet.save(out_path)
    return len(tiles)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="canonical data set folder (dataset_config.yaml + split folders)")
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.add_argument("--count", type=int, default=12)
    parser.add_argument("--columns", type=int, default=3)
    parser.add_argument("--split", default=None)
    args = parser.parse_args(argv)
    drawn = contact_sheet(args.root, args.out, args.count, args.columns, split=args.split)
    print(f"wrote {args.out} ({drawn} examples)")


if __name__ == "__main__":
    main()
