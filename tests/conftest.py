"""Shared test set-up: absl flags marked parsed, and a small built data set.

grain worker processes read absl flags; pytest never runs `app.run`, so they
are marked parsed here (NOTES_JAX.md).
"""

import os
import tempfile

import pytest
from absl import flags

# Compiled train steps are cached for the session and its subprocesses (the resume tests compile once).
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", tempfile.mkdtemp(prefix="dlt_jax_xla_"))

from dlt_jax.data.builder import build_dataset
from dlt_jax.data.dataset import BuiltDataset
from dlt_jax.data.readers import BUNDLED_DATA

flags.FLAGS.mark_as_parsed()

TEST_CANVAS = 64


@pytest.fixture(scope="session")
def bundled_data(tmp_path_factory) -> BuiltDataset:
    """The bundled examples built once (64 px canvas) for the whole test session."""
    path = build_dataset(BUNDLED_DATA, tmp_path_factory.mktemp("tfds"), image_size=TEST_CANVAS,
                         workers=1, progress=False)
    return BuiltDataset.open(path)


@pytest.fixture(scope="session")
def tiny_workdir(bundled_data, tmp_path_factory):
    """A workdir of the tiny run, trained once for the session (inference and weights tests read it)."""
    from dlt_jax.train import loop
    from tiny_run import tiny_run_config

    workdir = tmp_path_factory.mktemp("tiny_run")
    loop.run(tiny_run_config(bundled_data.path), workdir, progress=False)
    return workdir
