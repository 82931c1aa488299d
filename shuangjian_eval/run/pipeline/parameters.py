"""Run parameters checked against each notebook's ``parameters`` cell before anything runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._common import NOTEBOOKS


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


def check_parameters(notebook: str | Path, parameters: dict[str, Any]) -> None:
    """Check parameters against a notebook's ``parameters`` cell, before anything runs.

    Papermill only warns on an unknown parameter; here an unknown name, or a value whose type
    differs from the declared default's, stops the run with the list of valid parameters.

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
