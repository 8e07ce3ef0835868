"""Checks every example of a data set against DATA_FORMAT.md and reports what it found.

    python -m data_tools.validate PATH [--max-slots N] [--report FILE] [--strict]

PATH is a data set folder (with dataset_config.yaml) or a .jsonl manifest.
An inconsistent `used_elements` is a warning, or an error under --strict.
Exit status: 0 without errors, 1 with errors, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import statistics
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from dlt_jax.data import DatasetError, Example, ExampleError, read_examples, read_splits
from dlt_jax.data.checks import DEFAULT_MAX_SLOTS, Checked, check_example, check_example_guarded
from dlt_jax.layout import DEFAULT_VOCAB, OutputStyle

__all__ = ["Checked", "Report", "check_example", "main", "summary", "validate"]


@dataclasses.dataclass
class Report:
    """Counts over a data set, and every error and warning with its example and field."""

    examples: int = 0
    valid: int = 0
    representable: int = 0
    with_layout: int = 0
    errors: list[dict] = dataclasses.field(default_factory=list)
    warnings: list[dict] = dataclasses.field(default_factory=list)
    actions: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    elements: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    props: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    categories: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    splits: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    style_counts: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    compatible_styles: set | None = None
    node_counts: list[int] = dataclasses.field(default_factory=list)
    over_max_slots: int = 0
    max_slots: int = DEFAULT_MAX_SLOTS

    def add(self, example: Example | ExampleError, checked: Checked | None) -> None:
        self.examples += 1
        if isinstance(example, ExampleError):
            self.errors.append(example.as_dict())
            return
        self.splits[example.split or "-"] += 1
        self.categories[str(example.category)] += 1
        self.errors.extend(e.as_dict() for e in checked.errors)
        self.warnings.extend(w.as_dict() for w in checked.warnings)
        self.valid += not checked.errors
        self.with_layout += example.layout is not None
        if checked.node_count is not None:
            self.node_counts.append(checked.node_count)
            self.over_max_slots += checked.node_count > self.max_slots
        if checked.encoded is not None:
            encoded = checked.encoded
            self.representable += 1
            self.actions.update(encoded.actions)
            self.elements.update(checked.element_types)
            self.props.update(encoded.props.keys())
            self.style_counts[encoded.style.name] += 1
            self.compatible_styles = (set(encoded.compatible_styles) if self.compatible_styles is None
                                      else self.compatible_styles & encoded.compatible_styles)

    def add_dataset_error(self, field: str, message: str) -> None:
        self.errors.append({"id": "(dataset)", "field": field, "message": message})

    @property
    def output_style(self) -> str:
        """The one style every example agrees with, else `mixed`."""
        if self.compatible_styles is None:
            return "unknown"
        if not self.compatible_styles:
            return "mixed"
        preferred = [s for s in self.compatible_styles if s == OutputStyle()] or \
            sorted(self.compatible_styles, key=lambda s: s.name)
        return preferred[0].name

    def as_json(self) -> dict[str, Any]:
        counts = self.node_counts
        return {
            "examples": self.examples,
            "valid": self.valid,
            "representable": self.representable,
            "representable_share": round(self.representable / self.with_layout, 4) if self.with_layout else None,
            "output_style": self.output_style,
            "output_styles": dict(self.style_counts),
            "errors": self.errors,
            "warnings": self.warnings,
            "actions": dict(self.actions.most_common()),
            "elements": dict(self.elements.most_common()),
            "props": {p: self.props.get(p, 0) for p in DEFAULT_VOCAB.props} | dict(self.props),
            "categories": dict(self.categories.most_common()),
            "splits": dict(self.splits),
            "node_count": {"min": min(counts), "median": statistics.median(counts), "max": max(counts)}
            if counts else {"min": None, "median": None, "max": None},
            "max_slots": self.max_slots,
            "over_max_slots": self.over_max_slots,
        }


def validate(path: str | Path, max_slots: int = DEFAULT_MAX_SLOTS, progress: bool = True,
             strict: bool = False) -> Report:
    """Validates a whole data set; one broken example never stops the run.

    `strict` reports an inconsistent `used_elements` as an error rather than a warning.
    """
    report = Report(max_slots=max_slots)
    path = Path(path)
    records: Iterable = read_examples(path)
    total = None
    if path.is_dir():
        splits = read_splits(path)
        total = sum(len(ids) for ids in splits.values())
        _check_folder_listing(path, splits, report)
    seen_ids: set[str] = set()
    for record in tqdm(records, total=total, desc="validating", unit="ex", disable=not progress):
        checked = (None if isinstance(record, ExampleError)
                   else check_example_guarded(record, max_slots, strict=strict))
        report.add(record, checked)
        record_id = record.example_id if isinstance(record, ExampleError) else record.id
        if record_id in seen_ids:
            report.add_dataset_error("id", f"id {record_id!r} occurs more than once")
        seen_ids.add(record_id)
    if report.output_style == "mixed":
        report.warnings.append({"id": "(dataset)", "field": "layout", "message":
                                f"examples use different output styles: {dict(report.style_counts)}"})
    return report


def _check_folder_listing(root: Path, splits: dict[str, list[str]], report: Report) -> None:
    for split, ids in splits.items():
        listed = set(ids)
        if (root / split).is_dir():
            for folder in sorted((root / split).iterdir()):
                if folder.is_dir() and folder.name not in listed:
                    report.warnings.append({"id": folder.name, "field": "dataset_config.yaml",
                                            "message": f"{split}/{folder.name} exists but is not listed"})


def summary(report: Report) -> str:
    """A human-readable summary of a report."""
    data = report.as_json()
    lines = [
        f"examples        {data['examples']}",
        f"valid           {data['valid']}",
        f"representable   {data['representable']} of {report.with_layout} with a layout",
        f"output style    {data['output_style']}",
        f"node count      min {data['node_count']['min']}  median {data['node_count']['median']}  "
        f"max {data['node_count']['max']}  (over {report.max_slots}: {data['over_max_slots']})",
        "props           " + "  ".join(f"{k} {v}" for k, v in data["props"].items()),
        "elements        " + "  ".join(f"{k} {v}" for k, v in data["elements"].items()),
        "actions         " + "  ".join(f"{k} {v}" for k, v in data["actions"].items()),
    ]
    for title, entries in (("errors", data["errors"]), ("warnings", data["warnings"])):
        lines.append(f"{title:<16}{len(entries)}")
        for entry in entries[:20]:
            lines.append(f"  {entry['id']}: {entry['field']}: {entry['message']}")
        if len(entries) > 20:
            lines.append(f"  ... {len(entries) - 20} more in the report")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_tools.validate", description=__doc__.split("\n")[0])
    parser.add_argument("path", help="data set folder (with dataset_config.yaml) or .jsonl manifest")
    parser.add_argument("--max-slots", type=int, default=DEFAULT_MAX_SLOTS,
                        help="node count above which an example is reported as too long (default 128)")
    parser.add_argument("--report", type=Path, help="write the full report as JSON to this file")
    parser.add_argument("--strict", action="store_true",
                        help="report an inconsistent used_elements as an error, not a warning")
    args = parser.parse_args(argv)
    if args.max_slots < 1:
        parser.error("--max-slots must be positive")
    if not Path(args.path).exists():
        parser.error(f"{args.path} does not exist")
    try:
        report = validate(args.path, args.max_slots, progress=sys.stderr.isatty(), strict=args.strict)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(summary(report))
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n")
        print(f"report written to {args.report}")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
