"""Writes the small bundled example data set from the hand-written examples below.

    python -m data_tools.make_bundled [--out dlt_jax/data/bundled]

Each example's html and layout are written by hand to cover DATA_FORMAT.md;
the screenshot is a wireframe drawn from a simple flow layout of the html,
and `html_boxes` are that layout's node boxes, so boxes and picture agree.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

from dlt_jax.layout import JsonObject, dump_json, layout_element_types, load_json, parse_html

WIDTH = 960
PAD = 12
LEAF_HEIGHT = {"h1": 56, "h2": 44, "h3": 34, "p": 40, "a": 38, "button": 38, "img": 140, "i": 28,
               "svg": 28, "li": 26, "video": 180, "source": 0, "span": 20, "iframe": 180}
ROW_WORDS = ("row", "grid", "track", "cols", "flex")
FILL = {"h1": "#222", "h2": "#333", "h3": "#333", "p": "#888", "a": "#2b6cb0", "button": "#2b6cb0",
        "img": "#9ac", "i": "#e9a23b", "svg": "#e9a23b", "li": "#aaa", "video": "#445"}

# (id, category, html, layout); the layout uses the default output style.
FOLDER_EXAMPLES = [
    ("hero_basic", "hero", """{
  "div.container": {
    "div.background_image": "",
    "div.background_overlay": "",
    "h1.heading": {"text": "Hello World"},
    "p.paragraph": {"text": "This is a paragraph"},
    "div.row": {
      "a.btn.pt_7r.t:fs_18x.h:c_fff": {"text": "Go", "href": "x1"},
      "img.logo": {"src": "xv854"}
    }
  }
}""", """{
  "structure": {
    "section@div.container": {
      "heading@h1.heading": "",
      "paragraph@p.paragraph": "",
      "wrapper@div.row": {
        "button@a.btn.pt_7r.t:fs_18x.h:c_fff": "",
        "image@img.logo": ""
      }
    }
  },
  "props": {"bi": "div.background_image", "bo": "div.background_overlay"}
}"""),
    ("features_at_spelling", "features", """{
  "section@features@pt_7r@t:pt_4r": {
    "div@mr_auto@ml_auto@mw_70r": {
      "h2-c_222@fs_2.5r": {"text": "Why teams pick us"},
      "div@row@g_2r": {
        "div@col@w_33p": {"div@card@p_2r@h:bs_lg": {
          "div@mb_1r": {"i@bi@bi-star": ""},
          "h3-c_222": {"text": "Fast"},
          "p@fs_1r@c_666": {"text": "Pages in a blink."}}},
        "div@col@w_33p": {"div@card@p_2r@h:bs_lg": {
          "div@mb_1r": {"i@bi@bi-heart": ""},
          "h3-c_222": {"text": "Loved"},
          "p@fs_1r@c_666": {"text": "By thousands of teams."}}},
        "div@col@w_33p": {"div@card@p_2r@h:bs_lg": {
          "div@mb_1r": {"i@bi@bi-lock": ""},
          "h3-c_222": {"text": "Safe"},
          "p@fs_1r@c_666": {"text": "Your data stays yours."}}}
      },
      "ul.checks": {"li.item": {"text": "No setup"}, "li.item": {"text": "No lock-in"},
                    "li.item": {"span.em": {"text": "Free"}, "text": " to start"}}
    }
  }
}""", """{
  "structure": {
    "section@section@features@pt_7r@t:pt_4r@div@mr_auto@ml_auto@mw_70r": {
      "heading@h2-c_222@fs_2.5r": "",
      "grid@div@row@g_2r": {
        "column@div@col@w_33p@div@card@p_2r@h:bs_lg": {
          "icon@div@mb_1r@i@bi@bi-star": "",
          "heading@h3-c_222": "",
          "paragraph@p@fs_1r@c_666": ""
        },
        "column@div@col@w_33p@div@card@p_2r@h:bs_lg": {
          "icon@div@mb_1r@i@bi@bi-heart": "",
          "heading@h3-c_222": "",
          "paragraph@p@fs_1r@c_666": ""
        },
        "column@div@col@w_33p@div@card@p_2r@h:bs_lg": {
          "icon@div@mb_1r@i@bi@bi-lock": "",
          "heading@h3-c_222": "",
          "paragraph@p@fs_1r@c_666": ""
        }
      },
      "list@ul.checks": ""
    }
  },
  "props": {}
}"""),
    ("testimonials_carousel", "testimonials", """{
  "section.testimonials.py_5r": {
    "h2.title": {"text": "What customers say"},
    "div.swiper": {
      "div.swiper-wrapper": {
        "div.swiper-slide": {"p.quote": {"text": "Best tool we bought."},
                             "p.quote": {"text": "It paid for itself in a week."},
                             "span.author": {"text": "Ana, CTO"}},
        "div.swiper-slide": {"p.quote": {"text": "Support answers in minutes."},
                             "p.quote": {"text": "Real people, real help."},
                             "span.author": {"text": "Ben, designer"}}
      },
      "div.swiper-button-prev": "",
      "div.swiper-button-next": ""
    },
    "div.cta": {"a.btn.btn-primary": {"text": "Read more stories", "href": "/stories"}}
  }
}""", """{
  "structure": {
    "section@section.testimonials.py_5r": {
      "heading@h2.title": "",
      "carousel@div.swiper@div.swiper-wrapper": {
        "wrapper@div.swiper-slide": {
          "paragraph@p.quote@p.quote": "",
          "paragraph@span.author": ""
        },
        "wrapper@div.swiper-slide": {
          "paragraph@p.quote@p.quote": "",
          "paragraph@span.author": ""
        }
      },
      "button@div.cta@a.btn.btn-primary": ""
    }
  },
  "props": {}
}"""),
    ("video_hero", "hero", """{
  "section.hero-video": {
    "video.bg-video": {"source": {"src": "clip.mp4"}},
    "div.bg-overlay": {"p.credit": {"text": "Footage: our studio"}},
    "div.content": {
      "h1.display-3": {"text": "Make it move"},
      "p.lead": {"text": "Video backgrounds, done right."},
      "div.buttons": {
        "a.btn.btn-light": {"text": "Start", "href": "/start"},
        "a.btn.btn-outline-light": {"text": "Watch", "href": "/watch"}
      }
    }
  }
}""", """{
  "structure": {
    "section@section.hero-video": {
      "paragraph@p.credit": "",
      "wrapper@div.content": {
        "heading@h1.display-3": "",
        "paragraph@p.lead": "",
        "wrapper@div.buttons": {
          "button@a.btn.btn-light": "",
          "button@a.btn.btn-outline-light": ""
        }
      }
    }
  },
  "props": {"bv": "video.bg-video", "bo": "div.bg-overlay"}
}"""),
    ("faq_accordion", "faq", """{
  "section.faq": {
    "div.container": {
      "h2.faq__title": {"text": "Questions"},
      "div.accordion": {
        "div.accordion-item": {"button.accordion-button": {"text": "Can I cancel?"},
                               "div.accordion-body": {"text": "Any time, from your account."}},
        "div.accordion-item": {"button.accordion-button": {"text": "Is there a trial?"},
                               "div.accordion-body": {"text": "Yes, 14 days."}}
      },
      "hr.sep": "",
      "div.text-block": {"p": {"text": "Still unsure?"}},
      "div.text-block": {"p": {"text": "Write to us."}}
    }
  }
}""", """{
  "structure": {
    "section@section.faq@div.container": {
      "heading@h2.faq__title": "",
      "accordion@div.accordion": {
        "wrapper@div.accordion-item": {
          "heading@button.accordion-button": "",
          "paragraph@div.accordion-body": ""
        },
        "wrapper@div.accordion-item": {
          "heading@button.accordion-button": "",
          "paragraph@div.accordion-body": ""
        }
      },
      "divider@hr.sep": "",
      "paragraph@div.text-block@div.text-block": ""
    }
  },
  "props": {}
}"""),
]

# Manifest records in the dot output style (`heading.h1.c_fff`), the seed spelling.
MANIFEST_EXAMPLES = [
    ("cta_dash", "cta", """{
  "section-bg_111@py_6r": {
    "h1-c_fff@fs_3r": {"text": "Ready when you are"},
    "div-d_flex@g_1r": {
      "a-btn@c_fff@h:c_eee": {"text": "Buy", "href": "/buy"},
      "a-btn@c_fff@h:c_eee": {"text": "Try", "href": "/try"}
    }
  }
}""", """{
  "structure": {
    "section.section.bg_111.py_6r": {
      "heading.h1.c_fff.fs_3r": "",
      "wrapper.div.d_flex.g_1r": {
        "button.a.btn.c_fff.h:c_eee": "",
        "button.a.btn.c_fff.h:c_eee": ""
      }
    }
  },
  "props": {}
}"""),
    ("gallery_dot", "gallery", """{
  "section.gallery": {
    "h2.title": {"text": "Our work"},
    "div.row.grid": {
      "img.tile": {"src": "a.jpg"}, "img.tile": {"src": "b.jpg"},
      "img.tile": {"src": "c.jpg"}, "img.tile": {"src": "d.jpg"}
    }
  }
}""", """{
  "structure": {
    "section.section.gallery": {
      "heading.h2.title": "",
      "gallery.div.row.grid": {
        "image.img.tile": "", "image.img.tile": "", "image.img.tile": "", "image.img.tile": ""
      }
    }
  },
  "props": {}
}"""),
]


def flow_boxes(html) -> list[list[int]]:
    """Node boxes of a simple flow layout: stacked, or side by side for row-like keys."""
    tree = parse_html(html)
    boxes: list[list[int]] = [[0, 0, 0, 0] for _ in tree.nodes]

    def place(index: int, x: int, y: int, width: int) -> int:
        node = tree[index]
        if not node.children:
            height = LEAF_HEIGHT.get(node.tag, 40)
        elif any(word in c for c in node.classes for word in ROW_WORDS):
            column_width = (width - PAD * (len(node.children) + 1)) // len(node.children)
            heights = [place(child, x + PAD + i * (column_width + PAD), y + PAD, column_width)
                       for i, child in enumerate(node.children)]
            height = max(heights) + 2 * PAD
        else:
            cursor = y + PAD
            for child in node.children:
                cursor += place(child, x + PAD, cursor, width - 2 * PAD) + PAD
            height = cursor - y
        boxes[index] = [x, y, width, height] if height else [0, 0, 0, 0]
        return height

    cursor = 0
    for root in tree.roots:
        cursor += place(root, 0, cursor, WIDTH)
    return boxes


def wireframe(html, boxes: list[list[int]]) -> Image.Image:
    """A picture of the boxes: containers outlined, content filled by tag."""
    tree = parse_html(html)
    height = max(y + h for x, y, w, h in boxes)
    image = Image.new("RGB", (WIDTH, height), "#f7f5f0")
    draw = ImageDraw.Draw(image)
    for node, (x, y, w, h) in zip(tree.nodes, boxes):
        if w and h:
            if node.children:
                draw.rectangle([x, y, x + w - 1, y + h - 1], outline="#c8c2b6")
            else:
                draw.rectangle([x + 2, y + 2, x + w - 3, y + h - 3], fill=FILL.get(node.tag, "#bbb"))
    return image


def drawn_example(html_text: str, layout_text: str):
    """(html, layout, html_boxes, screenshot) of one hand-written example."""
    html, layout = load_json(html_text), load_json(layout_text)
    boxes = flow_boxes(html)
    return html, layout, boxes, wireframe(html, boxes)


def write_folder_dataset(root: Path) -> None:
    ids = []
    for example_id, category, html_text, layout_text in FOLDER_EXAMPLES:
        html, layout, boxes, image = drawn_example(html_text, layout_text)
        folder = root / "train" / example_id
        folder.mkdir(parents=True, exist_ok=True)
        image.save(folder / "screenshot.png", optimize=True)
        record = JsonObject([
            ("id", example_id),
            ("screenshot", JsonObject([("path", "screenshot.png"), ("width", image.width),
                                       ("height", image.height)])),
            ("structure", JsonObject([("type", "HTMLObject"), ("data", html)])),
            ("layout", JsonObject([("type", "SectionLayout"),
                                   ("data", JsonObject([("structure", layout["structure"])])),
                                   ("props", layout["props"])])),
            ("html_boxes", boxes),
            ("category", category),
        ])
        (folder / "example.json").write_text(dump_json(record, indent=2) + "\n", encoding="utf-8")
        ids.append(example_id)
    (root / "dataset_config.yaml").write_text(
        "# Hand-written examples covering DATA_FORMAT.md; made by python -m data_tools.make_bundled\n"
        "splits:\n  train:\n" + "".join(f"    - {i}\n" for i in ids))


def write_manifest_dataset(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    lines = []
    for example_id, category, html_text, layout_text in MANIFEST_EXAMPLES:
        html, layout, boxes, image = drawn_example(html_text, layout_text)
        image.save(root / f"{example_id}.png", optimize=True)
        record = JsonObject([
            ("id", example_id), ("screenshot", f"{example_id}.png"), ("html", html), ("section_layout", layout),
            ("used_elements", sorted(set(layout_element_types(layout)))), ("category", category),
            ("html_boxes", boxes),
        ])
        lines.append(dump_json(record))
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "dlt_jax/data/bundled")
    args = parser.parse_args()
    write_folder_dataset(args.out / "sections")
    write_manifest_dataset(args.out / "manifest")
    print(f"wrote {len(FOLDER_EXAMPLES)} folder examples and {len(MANIFEST_EXAMPLES)} manifest records "
          f"under {args.out}")


if __name__ == "__main__":
    main()
