"""The parameters cells of the report notebooks, from one table.

Every notebook in ``notebooks/`` starts with a cell tagged ``parameters`` that papermill
overrides and :func:`shuangjian_eval.run.pipeline.check_parameters` reads. Those cells are written
from :data:`PARAMETERS` (name, type, default, comment, which notebooks take it) by
:func:`parameters_cell`; ``make notebooks`` (:func:`write_parameters_cells`) rewrites them in
both files of each notebook (the .ipynb and its py:percent twin), and a test checks that
every notebook's cell is the one this table gives. A default that is a policy rule (the
smallest published cell) is read from ``policy.yaml``, so a changed rule reaches every
notebook through one file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..inputs import regions
from . import suppression

__all__ = [
    "ANALYSIS_NOTEBOOKS",
    "NOTEBOOKS",
    "PARAMETERS",
    "NotebookParameter",
    "defaults",
    "parameters_cell",
    "write_parameters_cells",
]

#: notebooks of one analysis topic each (their parameters are the analysis run's)
ANALYSIS_NOTEBOOKS: tuple[str, ...] = (
    "10_homework_and_sleep",
    "20_tutoring",
    "30_parental_anxiety",
    "40_causal_effects",
    "50_heterogeneity",
)
#: every notebook with a parameters cell (the report notebooks and the chart gallery)
NOTEBOOKS: tuple[str, ...] = ("00_data_quality", *ANALYSIS_NOTEBOOKS, "90_policy_report", "gallery")
_REPORTS = NOTEBOOKS[:-1]  # the notebooks that read survey data


@dataclass(frozen=True)
class NotebookParameter:
    """One parameter of the notebooks' ``parameters`` cells.

    Attributes
    ----------
    name, type : str
        Variable name and its annotation (``str``, ``int``, ``list``).
    default : Any or callable
        The default, or a function of the notebook's name giving it (a policy rule).
    comment : str
        What it means, shown after the assignment.
    notebooks : tuple of str
        The notebooks that take it.
    """

    name: str
    type: str
    default: Any
    comment: str
    notebooks: tuple[str, ...]

    def default_for(self, notebook: str) -> Any:
        """The default of this parameter in ``notebook``."""
        return self.default(notebook) if callable(self.default) else self.default


def _min_cell(notebook: str) -> int:
    """The smallest published cell: the scorecard's rule in the policy report, which states
    verdicts; the tables' rule elsewhere (``policy.yaml`` ``suppression``)."""
    use = "scorecard" if notebook == "90_policy_report" else "tables"
    return suppression.rule_for(use).min_cell


def _min_cell_comment(notebook: str) -> str:
    if notebook == "00_data_quality":
        return "counts below this are suppressed in published tables (policy.yaml)"
    rule = "the scorecard rule" if notebook == "90_policy_report" else "the rule"
    return f"estimates from fewer respondents are suppressed ({rule} of policy.yaml)"


#: every notebook parameter, in the order of the cells
PARAMETERS: tuple[NotebookParameter, ...] = (
    NotebookParameter("data_path", "str", "../data/demo/survey.parquet",
                      "canonical survey Parquet (sje synth / sje ingest)", _REPORTS),
    NotebookParameter("region", "str", regions.ALL,
                      f'a county in the data, or "{regions.ALL}" for every county', _REPORTS),
    NotebookParameter("lang", "str", "zh", 'report language: "zh" or "en"', NOTEBOOKS),
    NotebookParameter("waves", "list", [], "waves to use; [] means every wave in the data",
                      ANALYSIS_NOTEBOOKS),
    NotebookParameter("baseline_waves", "list", [],
                      "pre-policy waves pooled as the baseline; [] means every one in the data",
                      ANALYSIS_NOTEBOOKS),
    NotebookParameter("plan", "str", "auto",
                      '"auto" (from the data), "before_after", "change" or "levels"',
                      ANALYSIS_NOTEBOOKS),
    NotebookParameter("comparison", "str", "grade",
                      '"grade" (grades 1-9 vs senior) or "pilot" (pilot vs other cities)',
                      ANALYSIS_NOTEBOOKS),
    NotebookParameter("outcomes", "list", [],
                      "outcome variables; [] means the notebook's default set",
                      ANALYSIS_NOTEBOOKS),
    NotebookParameter("cache_path", "str", "",
                      'precomputed briefing from the report runner; "" computes here',
                      ("90_policy_report",)),
    NotebookParameter("n_schools", "int", 60,
                      "schools (PSUs) in the synthetic demo survey", ("gallery",)),
    NotebookParameter("seed", "int", 0, "seed of the synthetic demo survey", ("gallery",)),
    NotebookParameter("min_cell", "int", _min_cell, "", NOTEBOOKS),
)  # fmt: skip


def defaults(notebook: str) -> dict[str, Any]:
    """The parameters of ``notebook`` and their defaults, in the order of its cell."""
    if notebook not in NOTEBOOKS:
        raise ValueError(f"unknown notebook {notebook!r}; valid notebooks: {', '.join(NOTEBOOKS)}")
    return {p.name: p.default_for(notebook) for p in PARAMETERS if notebook in p.notebooks}


def parameters_cell(notebook: str) -> str:
    """The source of ``notebook``'s ``parameters`` cell."""
    values = defaults(notebook)
    lines = []
    for p in PARAMETERS:
        if p.name in values:
            comment = p.comment or _min_cell_comment(notebook)
            value = json.dumps(values[p.name], ensure_ascii=False)
            lines.append(f"{p.name}: {p.type} = {value}  # {comment}")
    return "\n".join(lines)


_TAG = '# %% tags=["parameters"]'


def _replace_in_twin(text: str, cell: str, path: Path) -> str:
    start = text.find(_TAG)
    if start < 0:
        raise ValueError(f"{path}: no cell tagged parameters ({_TAG!r})")
    body = start + len(_TAG) + 1
    end = text.find("\n# %%", body)
    if end < 0:
        raise ValueError(f"{path}: the parameters cell is the last cell")
    return text[:body] + cell + "\n" + text[end:]


def write_parameters_cells(notebook_dir: str | Path) -> list[Path]:
    """Rewrite the ``parameters`` cell of every notebook in ``notebook_dir`` (both the .ipynb
    and its py:percent twin) from :data:`PARAMETERS`; return the files that changed."""
    import nbformat

    from ..base.files import atomic_write

    changed = []
    for name in NOTEBOOKS:
        cell = parameters_cell(name)
        twin = Path(notebook_dir) / f"{name}.py"
        old = twin.read_text(encoding="utf-8")
        new = _replace_in_twin(old, cell, twin)
        if new != old:
            atomic_write(twin, new)
            changed.append(twin)
        ipynb = Path(notebook_dir) / f"{name}.ipynb"
        nb = nbformat.read(ipynb, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        if len(tagged) != 1:
            raise ValueError(f"{ipynb}: {len(tagged)} cells tagged parameters, expected 1")
        if tagged[0].source != cell:
            tagged[0].source = cell
            atomic_write(ipynb, nbformat.writes(nb) + "\n")
            changed.append(ipynb)
    return changed
