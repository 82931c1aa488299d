"""Run parameters checked against each notebook's ``parameters`` cell, and their values
against the table of notebook parameters, before anything runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...publication import notebook_parameters as _nbp
from ._common import NOTEBOOKS

#: notebook parameters a run sets itself, and the option that sets each
RUN_PARAMETERS = {
    "data_path": "--data",
    "region": "--regions",
    "lang": "--lang",
    "cache_path": "nothing: the run computes the policy report's briefings once",
}


class ParameterError(ValueError):
    """A run parameter is unknown, mistyped or names something not in the data."""


def _notebook_path(notebook_dir: Path, name: str) -> Path:
    if name not in NOTEBOOKS:
        raise ParameterError(f"unknown notebook {name!r}; valid notebooks: {', '.join(NOTEBOOKS)}")
    path = notebook_dir / f"{name}.ipynb"
    if not path.exists():
        raise ParameterError(f"notebook file {path} does not exist")
    return path


_TYPE_CHECKS = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, (list, tuple)),
}


def check_extra_parameters(parameters: dict[str, Any]) -> None:
    """Refuse a ``-p`` parameter that the run sets itself (:data:`RUN_PARAMETERS`)."""
    for name in parameters:
        if name in RUN_PARAMETERS:
            raise ParameterError(
                f"parameter {name!r} is set by the report run: give {RUN_PARAMETERS[name]} "
                "instead of -p"
            )


def check_parameters(
    notebook: str | Path, parameters: dict[str, Any], facts: _nbp.DataFacts | None = None
) -> None:
    """Check parameters against a notebook's ``parameters`` cell, before anything runs.

    Papermill only warns on an unknown parameter; here an unknown name, or a value whose type
    differs from the declared default's, stops the run with the list of valid parameters, and
    a value the notebooks cannot use (:func:`shuangjian_eval.publication.notebook_parameters.
    check_value`: a language, a region or wave not in the data, an unknown outcome) stops it
    with the valid values. ``facts``: what is known of the data.

    Raises
    ------
    ParameterError
    """
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    valid = ", ".join(
        f"{k} ({v['inferred_type_name']}, default {v['default']})" for k, v in declared.items()
    )
    for name, value in parameters.items():
        if name not in declared:
            raise ParameterError(
                f"unknown parameter {name!r} for {Path(notebook).stem}; valid parameters: {valid}"
            )
        type_name = str(declared[name]["inferred_type_name"]).split("[")[0]
        check = _TYPE_CHECKS.get(type_name)
        if check is not None and not check(value):
            raise ParameterError(
                f"parameter {name!r} of {Path(notebook).stem} must be {type_name}, "
                f"got {value!r} ({type(value).__name__}); valid parameters: {valid}"
            )
        try:
            _nbp.check_value(name, value, facts)
        except ValueError as exc:
            raise ParameterError(f"{Path(notebook).stem}: {exc}") from None
