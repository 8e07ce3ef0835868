"""A model trained on precomputed image features predicts and is evaluated with the features read as
training reads them (the data set's .npz, keyed by example id), and says which input has none."""

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

from tiny_run import tiny_run_config
from dlt_jax.data.example import ExampleError
from dlt_jax.data.pipeline import parse_record
from dlt_jax.data.readers import BUNDLED_DATA, read_examples
from dlt_jax.evaluation.run import evaluate_layouts
from dlt_jax.inference import LayoutGenerator
from dlt_jax.layout import DEFAULT_VOCAB
from dlt_jax.train import loop

FEATURE_DIM = 6


@pytest.fixture(scope="module")
def examples():
    return [e for e in read_examples(BUNDLED_DATA) if not isinstance(e, ExampleError)]


@pytest.fixture(scope="module")
def features(examples, tmp_path_factory):
    """An external encoder's output for every bundled example: alternately 4 tokens and a 2x3 grid."""
    rng = np.random.default_rng(0)
    arrays = {e.id: rng.normal(size=(2, 3, FEATURE_DIM) if i % 2 else (4, FEATURE_DIM)).astype(np.float32)
              for i, e in enumerate(examples)}
    path = tmp_path_factory.mktemp("features") / "features.npz"
    np.savez(path, **arrays)
    return path, arrays


def precomputed_config(data_path, features_path):
    config = tiny_run_config(data_path)
    config.model.vision.encoder = "precomputed"
    config.model.box_pixels = 0  # it samples raw screenshot pixels
    config.data.image_features = str(features_path)
    return config


@pytest.fixture
def untrained(features):
    """A generator of a precomputed-features run, without weights: what turns an input into model inputs."""
    metadata = {"element_types": list(DEFAULT_VOCAB.element_types), "props": list(DEFAULT_VOCAB.props),
                "tokenizer_tags": ["div", "section"], "model_spec": {"image_input_dim": FEATURE_DIM}}
    return LayoutGenerator(precomputed_config("unused", features[0]), metadata, graphdef=None, params=None)


def test_each_example_gets_its_stored_features_as_image_tokens(untrained, examples, features):
    _, arrays = features
    assert untrained.spec.image_key == "image_features" and untrained.spec.image_width == FEATURE_DIM
    for example in examples:
        element = parse_record(untrained._record(example), untrained.spec)
        stored = arrays[example.id].reshape(-1, FEATURE_DIM)
        np.testing.assert_array_equal(element["image_features"][:len(stored)], stored)
        assert element["patch_valid"].sum() == len(stored) and "patches" not in element


def test_an_input_without_features_is_a_clear_error_and_is_listed(untrained, examples, features, tmp_path):
    new = dataclasses.replace(examples[0], id="new-section")
    with pytest.raises(ExampleError, match=r"new-section: image_features: this model reads precomputed image "
                                           r"features \(model.vision.encoder='precomputed'\), not the screenshot, "
                                           f"and {features[0]} has none for this example; compute them with the "
                                           r"image encoder it was trained with \(16 tokens at most, F = 6\) into a "
                                           r".npz keyed by example id and pass it as "
                                           r"--config.data.image_features=FILE.npz"):
        untrained.predict_examples([new])
    errors = []
    assert untrained.predict_examples([new], errors=errors) == [None]
    assert [e["id"] for e in errors] == ["new-section"] and errors[0]["field"] == "image_features"
    # Another features file, holding the new section's features, is read instead of the run's.
    np.savez(tmp_path / "new.npz", **{"new-section": np.ones((2, 2, FEATURE_DIM), np.float32)})
    untrained.use_image_features(tmp_path / "new.npz")
    element = parse_record(untrained._record(new), untrained.spec)
    assert element["image_grid"].tolist() == [2, 2] and element["image_features"][:4].tolist() == [[1.0] * 6] * 4
    np.savez(tmp_path / "narrow.npz", **{"new-section": np.ones((2, 2, 3), np.float32)})
    untrained.use_image_features(tmp_path / "narrow.npz")
    with pytest.raises(ExampleError, match=f"new-section: image_features: in {tmp_path / 'narrow.npz'}: width 3, "
                                           "the model reads 6"):
        untrained._record(new)
    untrained.use_image_features(tmp_path / "nowhere.npz")
    with pytest.raises(ExampleError, match=f"its features file {tmp_path / 'nowhere.npz'} is not here"):
        untrained._record(new)


# ----------------------------------------------------------------------------- a trained run (about 70 s on CPU)

@pytest.fixture(scope="module")
def workdir(bundled_data, features, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("precomputed_run")
    loop.run(precomputed_config(bundled_data.path, features[0]), workdir, progress=False)
    return workdir


@pytest.mark.slow
def test_a_precomputed_features_run_predicts_and_is_evaluated(workdir, examples, tmp_path):
    generator = LayoutGenerator.from_checkpoint(workdir)
    predictions = generator.predict_examples(examples, boxes="given")
    assert [p.id for p in predictions] == [e.id for e in examples]
    assert all(len(p.actions) == len(p.tree) for p in predictions)
    report = evaluate_layouts(generator, examples, tmp_path, fractions=(0.0,))
    assert report["skipped"] == [] and report["systems"]["model, boxes given"]["examples"] == len(examples)
    assert report["systems"]["model without screenshot, boxes given"]["examples"] == len(examples)


@pytest.mark.slow
def test_mode_eval_on_a_precomputed_features_run(workdir, bundled_data, features):
    flags = ["--mode=eval", f"--workdir={workdir}", "--config=configs/test.py", "--split=train",
             f"--config.data.path={bundled_data.path}", "--config.data.max_slots=32", "--config.data.slot_buckets=(32,)",
             "--config.model.vision.encoder=precomputed", "--config.model.box_pixels=0",
             f"--config.data.image_features={features[0]}"]
    result = subprocess.run([sys.executable, "-m", "dlt_jax.main", *flags], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((workdir / "eval" / "train" / "report.json").read_text())
    assert report["examples"] == 5 and report["skipped"] == []
