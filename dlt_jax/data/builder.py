"""TFDS builder `section_layouts`: any input layout of DATA_FORMAT §1.3 -> array_record shards.

Examples are read by the readers, validated by `data_tools.validate`, and
written with their screenshot letterboxed to `image_size` as JPEG/PNG bytes
(no TensorFlow needed). Examples that fail validation are skipped and listed,
with their reasons, in `build_report.json` next to the shards.

    python -m data_tools.build_dataset SRC --out DATA_DIR [--image-size 512]
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import hashlib
import json
import multiprocessing
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow_datasets as tfds
from etils import epath
from tqdm import tqdm

from dlt_jax.data.example import DatasetError
from dlt_jax.data.readers import DATASET_CONFIG, read_examples, read_splits
from dlt_jax.data.records import Processed, RecordOptions, process_example
from dlt_jax.data.transforms import IMAGE_FORMATS, LETTERBOX_FILL
from dlt_jax.layout import DEFAULT_VOCAB, Vocabulary

DATASET_NAME = "section_layouts"
FORMAT_VERSION = 1
REPORT_FILE = "build_report.json"
_MANUAL_INSTRUCTIONS = (
    "Pass `source=` (a data set folder with dataset_config.yaml, or a .jsonl manifest), "
    "or put the folder's contents (or one .jsonl manifest) in the manual dir.")


@dataclasses.dataclass(eq=False)
class SectionLayoutsConfig(tfds.core.BuilderConfig):
    """Image size (long side of the letterbox canvas) and encoding of the stored screenshots."""

    image_size: int = 512
    image_format: str = "jpeg"
    jpeg_quality: int = 90


def builder_config(image_size: int = 512, image_format: str = "jpeg", jpeg_quality: int = 90
                   ) -> SectionLayoutsConfig:
    """The config named `jpeg512`, `png256`, ...: one directory per stored image size and format."""
    if image_format not in IMAGE_FORMATS:
        raise ValueError(f"image format {image_format!r} not in {IMAGE_FORMATS}")
    if image_size < 8:
        raise ValueError(f"image size {image_size} is too small (need >= 8)")
    return SectionLayoutsConfig(name=f"{image_format}{image_size}", image_size=image_size,
                                image_format=image_format, jpeg_quality=jpeg_quality,
                                description=f"screenshots letterboxed to {image_size} px, {image_format}")


def features(image_size: int, image_format: str) -> tfds.features.FeaturesDict:
    """The stored features of one example (html and layout as JSON text, duplicates kept)."""
    return tfds.features.FeaturesDict({
        "id": tfds.features.Text(),
        "category": tfds.features.Text(),
        "screenshot": tfds.features.Image(shape=(image_size, image_size, 3), encoding_format=image_format),
        "original_size": tfds.features.Tensor(shape=(2,), dtype=np.int32),  # (width, height)
        "html": tfds.features.Text(),
        "layout": tfds.features.Text(),
        "html_boxes": tfds.features.Tensor(shape=(None, 4), dtype=np.float32),  # [x, y, w, h] px
        "has_boxes": tfds.features.Scalar(dtype=np.bool_),
        "actions": tfds.features.Tensor(shape=(None,), dtype=np.int32),
        "output_style": tfds.features.Text(),
        "node_count": tfds.features.Scalar(dtype=np.int32),
    })


def source_fingerprint(source: str | Path) -> str:
    """sha256 over the source's files (relative path + bytes): a folder data set, or a manifest
    with the files of its folder (where its relative screenshot paths point)."""
    source = Path(source)
    if source.is_dir():
        files = sorted(p for p in source.rglob("*") if p.is_file())
        root = source
    elif source.is_file():
        files = sorted([source] + [p for p in source.parent.iterdir() if p.is_file() and p != source])
        root = source.parent
    else:
        raise DatasetError(f"{source}: no such data set folder or manifest")
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


class SectionLayouts(tfds.core.GeneratorBasedBuilder):
    """Website sections: letterboxed screenshot, html and layout JSON, boxes, encoded actions."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release."}
    BUILDER_CONFIGS = [builder_config(512, "jpeg"), builder_config(256, "jpeg"), builder_config(512, "png")]
    DEFAULT_CONFIG_NAME = "jpeg512"
    MANUAL_DOWNLOAD_INSTRUCTIONS = _MANUAL_INSTRUCTIONS

    @tfds.core.utils.classproperty
    @classmethod
    def code_path(cls) -> epath.Path:
        # TFDS's own lookup needs the `importlib_resources` package for a builder defined
        # inside an installed package; this file is where the class is, plainly.
        return epath.Path(__file__)

    def __init__(self, *, source: str | Path | None = None, workers: int | None = None,
                 vocab: Vocabulary = DEFAULT_VOCAB, progress: bool = True, fingerprint: str | None = None,
                 **kwargs: Any):
        self._source = Path(source) if source is not None else None
        self._fingerprint = fingerprint
        self._workers = workers
        self._vocab = vocab
        self._progress = progress
        super().__init__(**kwargs)

    def _info(self) -> tfds.core.DatasetInfo:
        config = self.builder_config
        return tfds.core.DatasetInfo(
            builder=self, description=__doc__.split("\n")[0],
            features=features(config.image_size, config.image_format),
            disable_shuffling=True,  # record i of a split is the i-th kept example; grain shuffles
            metadata=tfds.core.MetadataDict())

    def _split_generators(self, dl_manager: tfds.download.DownloadManager) -> dict[str, Iterator]:
        source = self._source or _manual_source(Path(dl_manager.manual_dir))
        config = self.builder_config
        options = RecordOptions(config.image_size, config.image_format, config.jpeg_quality, vocab=self._vocab)
        staging = Path(tempfile.mkdtemp(prefix="section_layouts-"))
        try:
            summary = _process_all(source, options, staging, self._workers, self._progress)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _write_report(Path(self.data_dir) / REPORT_FILE, source, summary)
        if not summary.node_counts:
            shutil.rmtree(staging, ignore_errors=True)
            raise DatasetError(f"{source}: no example passed validation ({summary.skipped_count} skipped); "
                               f"first reasons: {summary.first_reasons()}")
        self.info.metadata.update({
            "format_version": FORMAT_VERSION,
            "source": str(source),
            "source_fingerprint": self._fingerprint or source_fingerprint(source),
            "image_size": config.image_size,
            "image_format": config.image_format,
            "letterbox_fill": list(LETTERBOX_FILL),
            "vocabulary": {"element_types": list(self._vocab.element_types), "props": list(self._vocab.props),
                           "actions": list(self._vocab.actions)},
            "tag_counts": dict(summary.tag_counts.most_common()),
            "tag_counts_split": summary.tag_split,
            "node_counts": summary.node_counts,
            "skipped": dict(summary.skipped),
        })
        return {split: self._generate_examples(staging / f"{split}.pkl")
                for split in sorted(summary.node_counts)}

    def _generate_examples(self, staged: Path) -> Iterator[tuple[int, dict]]:
        try:
            with staged.open("rb") as stream:
                index = 0
                while True:
                    try:
                        record = pickle.load(stream)
                    except EOFError:
                        break
                    yield index, record
                    index += 1
        finally:
            staged.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                staged.parent.rmdir()  # the last split removes the staging folder


def _manual_source(manual_dir: Path) -> Path:
    if (manual_dir / DATASET_CONFIG).is_file():
        return manual_dir
    manifests = sorted(manual_dir.glob("*.jsonl")) if manual_dir.is_dir() else []
    if len(manifests) == 1:
        return manifests[0]
    raise DatasetError(f"{manual_dir}: no {DATASET_CONFIG} and not exactly one .jsonl manifest. "
                       + _MANUAL_INSTRUCTIONS)


@dataclasses.dataclass
class _Summary:
    node_counts: dict[str, list[int]] = dataclasses.field(default_factory=dict)
    tag_counts_by_split: dict[str, collections.Counter] = dataclasses.field(default_factory=dict)
    skipped: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    errors: list[dict] = dataclasses.field(default_factory=list)
    warnings: list[dict] = dataclasses.field(default_factory=list)
    examples: int = 0

    @property
    def skipped_count(self) -> int:
        return sum(self.skipped.values())

    @property
    def tag_split(self) -> str:
        """Tags are counted on the training split (all splits where there is none)."""
        return "train" if "train" in self.tag_counts_by_split else "all"

    @property
    def tag_counts(self) -> collections.Counter:
        if "train" in self.tag_counts_by_split:
            return self.tag_counts_by_split["train"]
        return sum(self.tag_counts_by_split.values(), collections.Counter())

    def first_reasons(self, count: int = 3) -> list[str]:
        return [f"{e['id']}: {e['field']}: {e['message']}" for e in self.errors[:count]]

    def add(self, processed: Processed, stage: "_Stage") -> None:
        self.examples += 1
        self.warnings.extend(processed.warnings)
        if processed.record is None:
            self.skipped[processed.split] += 1
            self.errors.extend(dict(e, split=processed.split) for e in processed.errors)
            return
        stage.write(processed.split, processed.record)
        self.node_counts.setdefault(processed.split, []).append(processed.node_count)
        self.tag_counts_by_split.setdefault(processed.split, collections.Counter()).update(processed.tag_counts)


class _Stage:
    """Records of each split pickled one after another into `folder/<split>.pkl` until TFDS writes them."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.streams: dict[str, Any] = {}

    def write(self, split: str, record: dict[str, Any]) -> None:
        if split not in self.streams:
            self.streams[split] = (self.folder / f"{split}.pkl").open("wb")
        pickle.dump(record, self.streams[split], protocol=pickle.HIGHEST_PROTOCOL)

    def close(self) -> None:
        for stream in self.streams.values():
            stream.close()


def _process_all(source: Path, options: RecordOptions, staging: Path, workers: int | None,
                 progress: bool) -> _Summary:
    """Validates and converts every example (in worker processes), staging records per split."""
    records = read_examples(source)
    total = sum(len(ids) for ids in read_splits(source).values()) if source.is_dir() else None
    workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    summary = _Summary()
    stage = _Stage(staging)
    convert = functools.partial(process_example, options=options)
    try:
        with contextlib.ExitStack() as stack:
            if workers > 1:
                # spawn, not fork: the caller may have started JAX threads, and a fork of those can deadlock
                pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(workers))
                results = pool.imap(convert, records, chunksize=4)
            else:
                results = map(convert, records)
            for processed in tqdm(results, total=total, desc=f"building {source.name}", unit="ex",
                                  disable=not progress):
                summary.add(processed, stage)
    finally:
        stage.close()
    return summary


def _write_report(path: Path, source: Path, summary: _Summary) -> None:
    reasons = collections.Counter(e["field"].split("[")[0] for e in summary.errors)
    report = {
        "source": str(source),
        "examples": summary.examples,
        "written": {split: len(counts) for split, counts in sorted(summary.node_counts.items())},
        "skipped": {"count": summary.skipped_count, "by_split": dict(summary.skipped),
                    "reasons": dict(reasons.most_common()), "errors": summary.errors},
        "warnings": {"count": len(summary.warnings), "items": summary.warnings},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


@contextlib.contextmanager
def _tfds_progress(enabled: bool) -> Iterator[None]:
    """TFDS's own progress bars on or off for one build, restored afterwards."""
    from tensorflow_datasets.core.utils import tqdm_utils  # noqa: PLC0415 - private switch, read only here
    before = getattr(tqdm_utils, "_active", True)
    tfds.display_progress_bar(enabled)
    try:
        yield
    finally:
        tfds.display_progress_bar(before)


def build_dataset(source: str | Path, data_dir: str | Path, image_size: int = 512, image_format: str = "jpeg",
                  jpeg_quality: int = 90, workers: int | None = None, vocab: Vocabulary = DEFAULT_VOCAB,
                  progress: bool = True, overwrite: bool = False, fingerprint: str | None = None) -> Path:
    """Builds `section_layouts` under `data_dir` and returns its version folder.

    A build of the same source (same fingerprint) already there is reused; one
    of other data is an error unless `overwrite`. Raises DatasetError when the
    source cannot be read or no example passes validation.
    """
    source = Path(source)
    if not source.exists():
        raise DatasetError(f"{source}: no such data set folder or manifest")
    config = builder_config(image_size, image_format, jpeg_quality)
    predefined = {c.name: c for c in SectionLayouts.BUILDER_CONFIGS}.get(config.name)
    if predefined is not None and predefined.jpeg_quality == config.jpeg_quality:
        config = predefined  # TFDS refuses a new config object named like a predefined one
    fingerprint = fingerprint or source_fingerprint(source)
    existing = Path(data_dir) / DATASET_NAME / config.name / str(SectionLayouts.VERSION)
    if (existing / "dataset_info.json").is_file():
        stored = json.loads((existing / "metadata.json").read_text()).get("source_fingerprint") \
            if (existing / "metadata.json").is_file() else None
        if stored == fingerprint:
            return existing
        if not overwrite:
            raise DatasetError(f"{existing} holds a build of other data (source fingerprint {str(stored)[:16]}, "
                               f"{source} is {fingerprint[:16]}); remove it or pass --overwrite")
        shutil.rmtree(existing)
    builder = SectionLayouts(source=source, workers=workers, vocab=vocab, progress=progress,
                             fingerprint=fingerprint, data_dir=str(data_dir), config=config)
    downloads = Path(data_dir) / ".downloads"  # TFDS wants one; this builder downloads nothing
    with _tfds_progress(False):
        builder.download_and_prepare(file_format="array_record", download_dir=str(downloads))
    shutil.rmtree(downloads, ignore_errors=True)
    return Path(builder.data_dir)
