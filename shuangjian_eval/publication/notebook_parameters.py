"""The parameters cells of the report notebooks, from one table, and the checks of their values.

The notebooks ship with the package, in :data:`NOTEBOOK_DIR` (``shuangjian_eval/notebooks``).
Every one starts with a cell tagged ``parameters`` that papermill overrides and
:func:`shuangjian_eval.run.pipeline.check_parameters` reads. Those cells are written from
:data:`PARAMETERS` (name, type, default, comment, which notebooks take it, the check of a
value) by :func:`parameters_cell`; ``make notebooks`` (:func:`write_parameters_cells`) rewrites
them in both files of each notebook (the .ipynb and its py:percent twin, which jupytext pairs
through ``[tool.jupytext]`` of ``pyproject.toml``), and a test checks that every notebook's cell
is the one this table gives. A default that is a policy rule (the smallest published cell) is
read from ``policy.yaml``, so a changed rule reaches every notebook through one file.

:func:`check_value` checks a value given to a notebook (a report run checks every one before
any notebook starts): the language, a region of the data, waves of the data, an outcome of
the registry, a comparison design, a cell threshold.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..base.languages import check_lang
from ..base.options import did_you_mean
from ..inputs import codebook as _codebook
from ..inputs import regions
from . import suppression
from .analyses import COMPARISONS
from .plan import PLANS

__all__ = [
    "ANALYSIS_NOTEBOOKS",
    "NOTEBOOKS",
    "NOTEBOOK_DIR",
    "PARAMETERS",
    "DataFacts",
    "NotebookParameter",
    "check_value",
    "defaults",
    "parameters_cell",
    "twin_path",
    "write_parameters_cells",
]

#: the folder of the notebooks, inside the installed package
NOTEBOOK_DIR: Path = Path(str(resources.files("shuangjian_eval").joinpath("notebooks")))

#: notebooks of one analysis topic each (their parameters are the analysis run's)
ANALYSIS_NOTEBOOKS: tuple[str, ...] = (
    "10_homework_and_sleep",
    "20_tutoring",
    "30_parental_anxiety",
    "40_causal_effects",
    "50_heterogeneity",
)
#: every notebook with a parameters cell (the report notebooks and the chart gallery)
NOTEBOOKS: tuple[str, ...] = (
    "00_data_quality", *ANALYSIS_NOTEBOOKS, "60_supervision", "90_policy_report", "gallery",
)  # fmt: skip
_REPORTS = NOTEBOOKS[:-1]  # the notebooks that read survey data


@dataclass(frozen=True)
class DataFacts:
    """What a value check may know of the data a run reads; None: not known (the checks that
    need it then check the type only)."""

    counties: Sequence[str] | None = None
    waves: Sequence[int] | None = None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _list_of(kind: str, value: Any, check: Callable[[Any], bool], example: str) -> list[Any]:
    if not isinstance(value, list | tuple) or not all(check(v) for v in value):
        raise ValueError(f"must be a list of {kind}, such as {example}, got {value!r}")
    return list(value)


def _check_path(value: Any, facts: DataFacts) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a path, got {value!r}")


def _check_text(value: Any, facts: DataFacts) -> None:
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {value!r}")


def _check_region(value: Any, facts: DataFacts) -> None:
    if facts.counties is None:
        if not isinstance(value, str) or not value:
            raise ValueError(f"must be a county name or {regions.ALL!r}, got {value!r}")
    else:
        regions.check(value, facts.counties)


def _lang_value(value: Any, facts: DataFacts) -> None:
    check_lang(value)


def _check_waves(value: Any, facts: DataFacts, *, empty: bool = True) -> None:
    waves = _list_of("years", value, _is_int, "[2019, 2020]")
    if not waves and not empty:
        raise ValueError("must name at least one wave, such as [2019, 2020]")
    known = None if facts.waves is None else sorted(int(w) for w in facts.waves)
    for wave in waves:
        if known is not None and wave not in known:
            raise ValueError(
                f"wave {wave} is not in the data; valid waves: {', '.join(map(str, known))}"
            )


def _check_plan(value: Any, facts: DataFacts) -> None:
    if value not in PLANS:
        raise ValueError(f"must be one of {', '.join(PLANS)}, got {value!r}")


def _check_outcomes(value: Any, facts: DataFacts) -> None:
    names = _list_of("outcome names", value, lambda v: isinstance(v, str), '["sleep_hours"]')
    registry = list(_codebook.load().outcomes)
    for name in names:
        if name not in registry:
            raise ValueError(
                f"{name!r} is not an outcome of the codebook{did_you_mean([name], registry)}; "
                f"valid outcomes: {', '.join(registry)}"
            )


def _check_comparison(value: Any, facts: DataFacts) -> None:
    if value not in COMPARISONS:
        raise ValueError(f"must be one of {', '.join(COMPARISONS)}, got {value!r}")


def _check_min_cell(value: Any, facts: DataFacts) -> None:
    suppression.min_cell_for(value)


def _check_count(value: Any, facts: DataFacts) -> None:
    if not _is_int(value) or value < 1:
        raise ValueError(f"must be a whole number >= 1, got {value!r}")


def _check_seed(value: Any, facts: DataFacts) -> None:
    if not _is_int(value) or value < 0:
        raise ValueError(f"must be a whole number >= 0, got {value!r}")


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
    check : callable
        ``check(value, facts)`` raises ``ValueError`` (saying what a valid value is) for a
        value the notebooks cannot use; ``facts`` is what is known of the data
        (:class:`DataFacts`).
    """

    name: str
    type: str
    default: Any
    comment: str
    notebooks: tuple[str, ...]
    check: Callable[[Any, DataFacts], None]

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
    NotebookParameter("data_path", "str", "../../data/demo/survey.parquet",
                      "canonical survey data (sje synth / sje ingest)", _REPORTS, _check_path),
    NotebookParameter("region", "str", regions.ALL,
                      f'a county in the data, or "{regions.ALL}" for every county', _REPORTS,
                      _check_region),
    NotebookParameter("lang", "str", "zh", 'report language: "zh" or "en"', NOTEBOOKS,
                      _lang_value),
    NotebookParameter("waves", "list", [], "waves to use; [] means every wave in the data",
                      ANALYSIS_NOTEBOOKS, _check_waves),
    NotebookParameter("baseline_waves", "list", [],
                      "pre-policy waves pooled as the baseline; [] means every one in the data",
                      ANALYSIS_NOTEBOOKS, _check_waves),
    NotebookParameter("plan", "str", "auto",
                      '"auto" (from the data), "before_after", "change" or "levels"',
                      (*ANALYSIS_NOTEBOOKS, "90_policy_report"), _check_plan),
    NotebookParameter("comparison", "str", "grade",
                      '"grade" (grades 1-9 vs senior) or "pilot" (pilot vs other cities)',
                      ANALYSIS_NOTEBOOKS, _check_comparison),
    NotebookParameter("outcomes", "list", [],
                      "outcome variables; [] means the notebook's default set",
                      ANALYSIS_NOTEBOOKS, _check_outcomes),
    NotebookParameter("supervision_path", "str", "",
                      'supervision returns folder (sje supervision); "" is the folder supervision '
                      "beside data_path", ("60_supervision", "90_policy_report"), _check_text),
    NotebookParameter("cache_path", "str", "",
                      'precomputed briefing from the report runner; "" computes here',
                      ("90_policy_report",), _check_text),
    NotebookParameter("n_schools", "int", 60,
                      "schools (PSUs) in the synthetic demo survey", ("gallery",), _check_count),
    NotebookParameter("seed", "int", 0, "seed of the synthetic demo survey", ("gallery",),
                      _check_seed),
    NotebookParameter("min_cell", "int", _min_cell, "", NOTEBOOKS, _check_min_cell),
)  # fmt: skip
_BY_NAME = {p.name: p for p in PARAMETERS}


def check_value(name: str, value: Any, facts: DataFacts | None = None) -> None:
    """Check the value of the notebook parameter ``name`` (a name not in :data:`PARAMETERS`,
    a custom notebook's own, is not checked here).

    Raises
    ------
    ValueError
        Naming the parameter, the value and what a valid value is.

    >>> check_value("lang", "fr")
    Traceback (most recent call last):
    ...
    ValueError: parameter 'lang': lang 'fr' is not a report language; valid values: zh, en
    """
    parameter = _BY_NAME.get(name)
    if parameter is None:
        return
    try:
        parameter.check(value, facts or DataFacts())
    except ValueError as exc:
        raise ValueError(f"parameter {name!r}: {exc}") from None


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


def twin_path(ipynb: str | Path) -> Path | None:
    """The py:percent twin of a notebook, as jupytext pairs them (``[tool.jupytext]`` of the
    project's ``pyproject.toml``: the notebooks in ``shuangjian_eval/notebooks``, their twins in
    ``notebooks/``, outside the folder JupyterLab opens, which so lists each notebook once);
    None when no pairing is configured (an installed package)."""
    from jupytext.config import load_jupytext_config
    from jupytext.paired_paths import InconsistentPath, paired_paths

    path = Path(ipynb).resolve()
    config = load_jupytext_config(str(path.parent))
    formats = config.default_formats(str(path)) if config is not None else None
    if not formats:
        return None
    try:
        pairs = paired_paths(str(path), "ipynb", formats)
    except InconsistentPath:
        return None
    twins = [Path(p) for p, fmt in pairs if fmt.get("extension") == ".py"]
    return twins[0] if twins else None


def notebook_metadata() -> dict[str, Any]:
    """The metadata of every notebook: the project's kernel and the language information it
    reports. JupyterLab writes the kernel's ``language_info`` into a notebook when the kernel
    starts; a notebook that already holds it is not modified by being opened."""
    from ipykernel.ipkernel import IPythonKernel

    return {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": dict(IPythonKernel.language_info),
    }  # fmt: skip


def write_parameters_cells(notebook_dir: str | Path = NOTEBOOK_DIR) -> list[Path]:
    """Rewrite the ``parameters`` cell of every notebook in ``notebook_dir`` (both the .ipynb
    and its py:percent twin, :func:`twin_path`) from :data:`PARAMETERS`, and the notebook's
    metadata (:func:`notebook_metadata`); return the files that changed."""
    import nbformat

    from ..base.files import atomic_write

    changed = []
    for name in NOTEBOOKS:
        cell = parameters_cell(name)
        ipynb = Path(notebook_dir) / f"{name}.ipynb"
        twin = twin_path(ipynb)
        if twin is not None:
            old = twin.read_text(encoding="utf-8")
            new = _replace_in_twin(old, cell, twin)
            if new != old:
                atomic_write(twin, new)
                changed.append(twin)
        nb = nbformat.read(ipynb, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        if len(tagged) != 1:
            raise ValueError(f"{ipynb}: {len(tagged)} cells tagged parameters, expected 1")
        metadata = notebook_metadata()
        if tagged[0].source != cell or nb.metadata != metadata:
            tagged[0].source = cell
            nb.metadata = nbformat.from_dict(metadata)
            atomic_write(ipynb, nbformat.writes(nb) + "\n")
            changed.append(ipynb)
    return changed
