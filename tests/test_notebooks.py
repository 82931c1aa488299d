"""Notebooks: shipped in the package, committed without outputs, paired with their py:percent
twins outside the folder JupyterLab opens, kernel "python3" with its language information (so
that opening one does not modify it), a typed ``parameters`` cell, and no function or class
definitions (logic lives in the package)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

from shuangjian_eval.publication import notebook_parameters as nbp

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO / "shuangjian_eval" / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def test_there_are_notebooks_and_they_ship_with_the_package():
    assert [p.stem for p in NOTEBOOKS] == sorted(nbp.NOTEBOOKS), f"notebooks in {NOTEBOOK_DIR}"
    assert nbp.NOTEBOOK_DIR == NOTEBOOK_DIR
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "notebooks/*.ipynb" in config["tool"]["setuptools"]["package-data"]["shuangjian_eval"]
    assert "shuangjian_eval/notebooks" in config["tool"]["pytest"]["ini_options"]["testpaths"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_opening_in_jupyterlab_changes_nothing(path):
    """JupyterLab writes the kernel's ``language_info`` into a notebook when its kernel starts,
    and jupytext pairs the twin named by a notebook's own ``jupytext.formats`` (beside it, listed
    a second time) before the project's: the notebooks hold the first and not the second, and
    are of the current format minor (so no cell ids are added on opening)."""
    from ipykernel.ipkernel import IPythonKernel

    raw = json.loads(path.read_text(encoding="utf-8"))
    assert (raw["nbformat"], raw["nbformat_minor"]) == (4, nbformat.current_nbformat_minor)
    assert all("id" in cell for cell in raw["cells"])
    assert raw["metadata"] == nbp.notebook_metadata(), "run `make notebooks`"
    assert raw["metadata"]["language_info"] == IPythonKernel.language_info
    assert "jupytext" not in raw["metadata"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name}: outputs committed"
            assert cell.execution_count is None, f"{path.name}: execution count committed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_paired_twin_has_not_drifted(path):
    twin = nbp.twin_path(path)
    assert twin == REPO / "notebooks" / f"{path.stem}.py", "paired by pyproject's [tool.jupytext]"
    assert twin.exists(), f"{path.name} has no py:percent twin"
    assert "formats:" not in twin.read_text(encoding="utf-8").split("# ---")[1], (
        "a twin's own formats would pair it beside the notebook"
    )
    a = nbformat.read(path, as_version=4)
    b = jupytext.read(twin)
    strip = [(c.cell_type, c.source.strip()) for c in a.cells]
    strip_twin = [(c.cell_type, c.source.strip()) for c in b.cells]
    assert strip == strip_twin, f"{path.name} and {twin.name} differ: run `jupytext --sync`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_kernel_parameters_and_thinness(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"  # papermill finds the venv's kernel
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters'"
    for line in params[0].source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            assert re.match(r"^\w+: \w[\w\[\], ]* = .+  # .+", line), (
                f"untyped or uncommented: {line}"
            )
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not re.search(r"^\s*(def|class) ", cell.source, re.M), (
                "logic belongs in the package"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_is_the_one_the_table_gives(path):
    """The parameters cells are written from one table (``notebook_parameters.PARAMETERS``;
    ``make notebooks`` rewrites them), and the smallest published cell is policy.yaml's rule:
    10 respondents for tables, 30 for the scorecard of the policy report (``suppression:``)."""
    from shuangjian_eval.publication import notebook_parameters as nbp

    nb = nbformat.read(path, as_version=4)
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert cell.source == nbp.parameters_cell(path.stem), "run `make notebooks`"
    want = 30 if path.stem == "90_policy_report" else 10  # policy.yaml suppression:
    assert nbp.defaults(path.stem)["min_cell"] == want


def test_parameters_table_follows_a_changed_rule(monkeypatch):
    """A different rule in policy.yaml reaches the notebooks' cells through the table."""
    from shuangjian_eval.publication import notebook_parameters as nbp
    from shuangjian_eval.publication import suppression

    monkeypatch.setattr(
        suppression, "rule_for", lambda use, policy=None: suppression.CellRule(7, 2)
    )
    assert "min_cell: int = 7  #" in nbp.parameters_cell("20_tutoring")
    with pytest.raises(ValueError, match="unknown notebook 'tutoring'"):
        nbp.defaults("tutoring")
