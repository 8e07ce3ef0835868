"""Imports run one way (DESIGN.md §1): nothing in the package imports `configs`, the sampler knows
nothing of the model, `layout` nothing else of the project."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dlt_jax"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports inside functions too); `from a import b`
    gives `a` and `a.b` (b may be a module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_imported_modules_sees_lazy_imports(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("import os\ndef f():\n    from configs.base import x\n")
    assert imported_modules(source) == {"os", "configs.base", "configs.base.x"}


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_package_never_imports_configs(path):
    assert not {m for m in imported_modules(path) if m == "configs" or m.startswith("configs.")}


def test_the_sampler_imports_nothing_of_the_model():
    imports = imported_modules(PACKAGE / "diffusion" / "sampler.py")
    assert not {m for m in imports if m.startswith(("dlt_jax.models", "dlt_jax.generation", "flax.nnx"))}


@pytest.mark.parametrize("path", sorted((PACKAGE / "layout").glob("*.py")), ids=lambda p: p.name)
def test_layout_imports_nothing_else_of_the_project(path):
    assert all(not m.startswith("dlt_jax.") or m.startswith("dlt_jax.layout") for m in imported_modules(path))
