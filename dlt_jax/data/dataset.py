"""Finds the built `section_layouts` data for a path, building it into a cache on first use.

A path is a built version folder, a `--out` folder of build_dataset, or a
source (data set folder or .jsonl manifest); a source is built once into
`$DLT_JAX_DATA_DIR` (default `~/.cache/dlt_jax/tfds`), keyed by a fingerprint of
its files, so a fresh clone runs without a separate build step.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow_datasets as tfds

from dlt_jax.data.builder import DATASET_NAME, FORMAT_VERSION, REPORT_FILE, build_dataset, source_fingerprint
from dlt_jax.data.example import DatasetError
from dlt_jax.data.readers import default_data_path
from dlt_jax.layout import Vocabulary

DATA_DIR_ENV = "DLT_JAX_DATA_DIR"
INFO_FILE = "dataset_info.json"


def default_cache_dir() -> Path:
    """`$DLT_JAX_DATA_DIR`, else `~/.cache/dlt_jax/tfds`."""
    return Path(os.environ.get(DATA_DIR_ENV) or Path.home() / ".cache" / "dlt_jax" / "tfds")


@dataclasses.dataclass(frozen=True)
class BuiltDataset:
    """A prepared `section_layouts` version folder and the metadata the builder stored with it."""

    path: Path
    metadata: Mapping[str, Any]
    splits: tuple[str, ...]

    @classmethod
    def open(cls, path: str | Path) -> "BuiltDataset":
        path = Path(path)
        if not (path / INFO_FILE).is_file():
            raise DatasetError(f"{path}: not a built {DATASET_NAME} folder (no {INFO_FILE})")
        builder = tfds.builder_from_directory(str(path))
        metadata = dict(builder.info.metadata or {})
        if metadata.get("format_version") != FORMAT_VERSION:
            raise DatasetError(f"{path}: built with format {metadata.get('format_version')!r}, this code reads "
                               f"{FORMAT_VERSION}; rebuild it with python -m data_tools.build_dataset")
        return cls(path, metadata, tuple(sorted(builder.info.splits.keys())))

    @property
    def fingerprint(self) -> str:
        """Source fingerprint + stored image config: what a checkpoint records to detect other data."""
        return f"{self.metadata['source_fingerprint'][:16]}-{self.metadata['image_format']}{self.canvas_size}"

    @property
    def canvas_size(self) -> int:
        return int(self.metadata["image_size"])

    @functools.cached_property
    def vocab(self) -> Vocabulary:
        stored = self.metadata["vocabulary"]
        vocab = Vocabulary(tuple(stored["element_types"]), tuple(stored["props"]))
        if list(vocab.actions) != list(stored["actions"]):
            raise DatasetError(f"{self.path}: stored action ids {stored['actions']} differ from the "
                               f"vocabulary's {list(vocab.actions)}; rebuild the data set")
        return vocab

    @property
    def tag_counts(self) -> dict[str, int]:
        return dict(self.metadata.get("tag_counts", {}))

    def node_counts(self, split: str) -> np.ndarray:
        """Node count of every record of `split`, in record order."""
        self.check_split(split)
        return np.asarray(self.metadata["node_counts"][split], dtype=np.int64)

    def check_split(self, split: str) -> None:
        if split not in self.splits:
            raise DatasetError(f"{self.path}: no split {split!r}; it has {', '.join(self.splits)}")

    def source(self, split: str):
        """A random-access data source of `split`; the screenshot stays encoded bytes."""
        self.check_split(split)
        builder = tfds.builder_from_directory(str(self.path))
        return builder.as_data_source(split=split, decoders={"screenshot": tfds.decode.SkipDecoding()})

    @property
    def report_path(self) -> Path:
        return self.path / REPORT_FILE


def find_built(root: str | Path, image_size: int = 512, image_format: str = "jpeg") -> Path | None:
    """The version folder of a built data set at `root` (a version folder or a TFDS data_dir)."""
    root = Path(root)
    if (root / INFO_FILE).is_file():
        return root
    config_dir = root / DATASET_NAME / f"{image_format}{image_size}"
    versions = sorted(p for p in config_dir.glob("*") if (p / INFO_FILE).is_file()) if config_dir.is_dir() else []
    return versions[-1] if versions else None


def resolve_dataset(path: str | Path | None = None, *, cache_dir: str | Path | None = None,
                    image_size: int = 512, image_format: str = "jpeg", workers: int | None = None,
                    progress: bool = True) -> BuiltDataset:
    """The built data set for `path` (None: the embedded data set), building a source on first use."""
    path = Path(path) if path is not None else default_data_path()
    if not path.exists():
        raise DatasetError(f"{path}: no such data set (expected a built {DATASET_NAME} folder, a data set "
                           "folder with dataset_config.yaml, or a .jsonl manifest)")
    built = find_built(path, image_size, image_format)
    if built is not None:
        return BuiltDataset.open(built)
    if path.is_dir() and (path / DATASET_NAME).is_dir():
        options = sorted(p.name for p in (path / DATASET_NAME).iterdir() if p.is_dir() and not p.name.startswith("."))
        raise DatasetError(f"{path}: has no {image_format}{image_size} build (it has {options}); set "
                           "data.build_image_size / data.image_format to match or rebuild")
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    fingerprint = source_fingerprint(path)
    data_dir = root / f"{path.stem}-{fingerprint[:16]}"
    with _lock(data_dir):
        built = find_built(data_dir, image_size, image_format)
        if built is None:
            built = build_dataset(path, data_dir, image_size=image_size, image_format=image_format,
                                  workers=workers, progress=progress, fingerprint=fingerprint)
    return BuiltDataset.open(built)


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[None]:
    """One builder per cache folder at a time (two jobs starting together wait, then reuse)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
