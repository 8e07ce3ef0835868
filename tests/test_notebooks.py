"""The Colab notebooks run end to end (nbclient) on the tiny config: train, predict, complete."""

from pathlib import Path

import json
import sys

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


KERNEL = "dlt_jax_test"


@pytest.fixture(scope="module")
def notebook_env(tmp_path_factory):
    """A kernel spec on this interpreter (first on JUPYTER_PATH, so no user-level spec can stand in),
    and a workdir for the tiny training the notebooks run."""
    jupyter = tmp_path_factory.mktemp("jupyter")
    spec = jupyter / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "dlt_jax tests", "language": "python"}))
    workdir = tmp_path_factory.mktemp("notebook_workdir") / "tiny"
    return {"DLT_JAX_REPO": str(ROOT), "DLT_JAX_WORKDIR": str(workdir), "DLT_JAX_NOTEBOOK_STEPS": "30",
            "JUPYTER_PATH": str(jupyter)}


@pytest.mark.parametrize("name", ["sampling", "completion"])
def test_notebook_executes_end_to_end(name, notebook_env, monkeypatch):
    for key, value in notebook_env.items():
        monkeypatch.setenv(key, value)
    notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    NotebookClient(notebook, timeout=900, kernel_name=KERNEL, resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(o.output_type == "display_data" and "image/png" in o.get("data", {}) for o in outputs)
    assert Path(notebook_env["DLT_JAX_WORKDIR"], "checkpoints").is_dir()
