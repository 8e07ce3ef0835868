"""The Colab notebooks run end to end (nbclient, a fresh kernel) on the shipped weights: predict real
sections, render and predict a page, complete a partial layout. Nothing is trained."""

import json
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "dlt_jax_test"
RENDERED_PAGE_MARK = "# notebook-test: rendered page"


@pytest.fixture(scope="module")
def jupyter_path(tmp_path_factory) -> str:
    """A kernel spec on this interpreter (first on JUPYTER_PATH, so no user-level spec can stand in)."""
    jupyter = tmp_path_factory.mktemp("jupyter")
    spec = jupyter / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "dlt_jax tests", "language": "python"}))
    return str(jupyter)


def checkpoint_folders(root: Path) -> set[Path]:
    """Every `checkpoints` folder under root (virtual environments and .git skipped)."""
    found = set()
    for folder, subfolders, _ in os.walk(root):
        subfolders[:] = [s for s in subfolders if s not in (".git", ".venv", "node_modules")]
        found.update(Path(folder, s) for s in subfolders if s == "checkpoints")
    return found


def pngs(outputs) -> list:
    return [o for o in outputs if o.output_type == "display_data" and "image/png" in o.get("data", {})]


@pytest.mark.parametrize("name", ["sampling", "completion"])
def test_notebook_runs_on_the_shipped_weights(name, jupyter_path, monkeypatch, tmp_path):
    monkeypatch.setenv("JUPYTER_PATH", jupyter_path)
    notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    sources = "\n".join(cell.source for cell in code)
    assert "dlt_jax.main" not in sources and "--workdir" not in sources, "the notebooks must not train"
    assert 'REPO_URL = "https://github.com/dlt-jax/dlt_jax"' in code[0].source
    assert not any(cell.outputs for cell in code), "commit the notebooks with their outputs cleared"
    before = checkpoint_folders(ROOT)
    started = time.perf_counter()
    # run outside the checkout: data and weights must come from package paths, not the working folder
    NotebookClient(notebook, timeout=900, kernel_name=KERNEL, resources={"metadata": {"path": str(tmp_path)}}).execute()
    print(f"\n{name}.ipynb executed in {time.perf_counter() - started:.1f} s")
    outputs = [o for cell in code for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert pngs(outputs), "no inline picture"
    assert checkpoint_folders(ROOT) == before and not checkpoint_folders(tmp_path), "a notebook trained"
    if name == "sampling":
        page = [cell for cell in code if cell.source.startswith(RENDERED_PAGE_MARK)]
        assert len(page) == 1, f"mark the rendered-page cell with {RENDERED_PAGE_MARK!r}"
        assert len(pngs(page[0].outputs)) == 2, "the rendered page's two sections were not drawn"
