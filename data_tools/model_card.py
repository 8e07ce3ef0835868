"""The model card's pictures and failure table, from the shipped weights on the real dev split.

    python -m data_tools.model_card --out docs/model_card

Writes `failures.png` (the real dev sections the weights get most wrong, truth beside prediction,
boxes given) and `confusions.md` (the most frequent true -> predicted action confusions), and
prints the confusion table for MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dlt_jax import viz
from dlt_jax.data.readers import REAL_DATA, read_examples
from dlt_jax.inference import LayoutGenerator
from dlt_jax.layout import encode_layout, parse_html

TILE_WIDTH = 560


def truth_actions(example, vocab) -> list[str]:
    return list(encode_layout(parse_html(example.html), example.layout, vocab).actions)


def worst_sections(examples, predictions, vocab, count: int, min_nodes: int = 12) -> list[int]:
    """Indices of the `count` sections with the lowest node accuracy (of at least `min_nodes` nodes)."""
    scored = []
    for index, (example, prediction) in enumerate(zip(examples, predictions)):
        truth = truth_actions(example, vocab)
        if len(truth) >= min_nodes:
            scored.append((np.mean([t == p for t, p in zip(truth, prediction.actions)]), example.id, index))
    return [index for _, _, index in sorted(scored)[:count]]


def confusions(examples, predictions, vocab, top: int) -> list[tuple[str, str, int, int]]:
    """(true, predicted, count, support of true) for the most frequent wrong predictions."""
    pairs, support = Counter(), Counter()
    for example, prediction in zip(examples, predictions):
        for t, p in zip(truth_actions(example, vocab), prediction.actions):
            support[t] += 1
            if t != p:
                pairs[t, p] += 1
    return [(t, p, n, support[t]) for (t, p), n in pairs.most_common(top)]


def draw_failures(examples, predictions, indices: Sequence[int], vocab, path: Path) -> None:
    pictures = []
    for index in indices:
        example, prediction = examples[index], predictions[index]
        image = np.asarray(example.load_screenshot())
        truth = truth_actions(example, vocab)
        accuracy = np.mean([t == p for t, p in zip(truth, prediction.actions)])
        for actions, title in ((truth, f"{example.id}: truth"),
                               (prediction.actions, f"prediction ({100 * accuracy:.0f} % of nodes right)")):
            picture = viz.draw_example(image, np.asarray(vocab.action_ids(actions)), prediction.box_targets,
                                       prediction.box_valid, vocab, width=TILE_WIDTH)
            pictures.append(viz.titled(picture, [title]))
    viz.draw_grid(pictures, columns=2).save(path, optimize=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_tools.model_card", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/model_card")
    parser.add_argument("--failures", type=int, default=3, help="sections in failures.png")
    parser.add_argument("--top", type=int, default=12, help="confusions listed")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    generator = LayoutGenerator.pretrained()
    examples = [e for e in read_examples(REAL_DATA) if e.split == "dev"]
    predictions = generator.predict_examples(examples, boxes="given", seed=int(generator.config.seed))
    worst = worst_sections(examples, predictions, generator.vocab, args.failures)
    draw_failures(examples, predictions, worst, generator.vocab, out / "failures.png")
    lines = ["| true action | predicted | nodes | share of the true action's nodes |", "| --- | --- | ---: | ---: |"]
    lines += [f"| {t} | {p} | {n} | {100 * n / s:.0f} % of {s} |"
              for t, p, n, s in confusions(examples, predictions, generator.vocab, args.top)]
    (out / "confusions.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"failures.png: {', '.join(examples[i].id for i in worst)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
