"""Checks of keyword options and column names, with one message format and a "did you mean".

Every estimator and reader declares its allowed values once (a tuple of option names, a
tuple of choices) and checks the arguments it was given with the functions here, so that a
misspelled option, value or column gets the same message everywhere:

- an unknown keyword option: ``did() got unknown option(s) ['clustr']; valid options:
  ['covariates', 'cluster', ...]; did you mean 'cluster'?``
- a value outside its choices: ``cov_type must be one of ['nonrobust', 'HC1', 'cluster'],
  got 'hc1'; did you mean 'HC1'?``
- missing columns: ``data lack column(s) ['scool_id']; did you mean 'school_id'?`` (the
  columns there are listed when none is close).

The exception types are the callers' (``ValueError`` for options and values, ``KeyError``
for columns, ``TypeError`` for data that is not a DataFrame), so that ``except`` clauses and
tests written for them keep working.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Sequence
from typing import Any

__all__ = ["as_names", "check_choice", "check_columns", "check_options", "did_you_mean"]


def did_you_mean(given: Iterable[Any], choices: Iterable[Any]) -> str:
    """``"; did you mean 'x'?"`` for the close matches of the ``given`` strings among
    ``choices`` (:func:`difflib.get_close_matches`, ignoring case so that ``"hc1"`` finds
    ``"HC1"``), or ``""`` when there is none."""
    names = {str(c).casefold(): str(c) for c in reversed(list(choices))}
    close: list[str] = []
    for item in given:
        for match in difflib.get_close_matches(str(item).casefold(), list(names), n=1):
            if names[match] not in close:
                close.append(names[match])
    return f"; did you mean {' or '.join(map(repr, close))}?" if close else ""


def check_options(func: str, unknown: Collection[str], valid: Sequence[str]) -> None:
    """Raise ``ValueError`` when ``unknown`` (the ``**unknown`` keywords a function was given)
    is not empty, naming them, the valid options (in declaration order) and close matches.

    Examples
    --------
    >>> check_options("did", {"clustr": "school_id"}, ("covariates", "cluster"))
    Traceback (most recent call last):
    ...
    ValueError: did() got unknown option(s) ['clustr']; valid options: ['covariates', \
'cluster']; did you mean 'cluster'?
    """
    if unknown:
        bad = sorted(unknown)
        raise ValueError(
            f"{func}() got unknown option(s) {bad}; valid options: {list(valid)}"
            + did_you_mean(bad, valid)
        )


def check_choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    """Raise ``ValueError`` when ``value`` is not one of ``allowed``, naming the option, the
    value, the choices and a close match (for a string value).

    Examples
    --------
    >>> check_choice("cov_type", "hc1", ("nonrobust", "HC1", "cluster"))
    Traceback (most recent call last):
    ...
    ValueError: cov_type must be one of ['nonrobust', 'HC1', 'cluster'], got 'hc1'; did you \
mean 'HC1'?
    """
    try:
        ok = value in allowed
    except TypeError:  # an unhashable value against a set of choices
        ok = False
    if not ok:
        hint = did_you_mean([value], allowed) if isinstance(value, str) else ""
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}{hint}")


def check_columns(df: Any, columns: Iterable[str | None], *, what: str = "data") -> None:
    """Check that ``df`` is a DataFrame holding every named column (None entries are skipped).

    Raises
    ------
    TypeError
        When ``df`` is not a pandas DataFrame.
    KeyError
        ``"data lack column(s) [...]"`` naming every missing column, with close matches among
        the columns of ``df`` or, when none is close, the list of its columns.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    missing = list(dict.fromkeys(c for c in columns if c is not None and c not in df.columns))
    if missing:
        there = [str(c) for c in df.columns]
        hint = did_you_mean(missing, there) or f"; columns are {there}"
        raise KeyError(f"{what} lack column(s) {missing}{hint}")


def as_names(value: str | Sequence[str] | None, what: str) -> list[str]:
    """A column name or a sequence of them as a list (None: empty).

    Raises
    ------
    ValueError
        When an entry is not a string.
    """
    names = [] if value is None else [value] if isinstance(value, str) else list(value)
    if not all(isinstance(v, str) for v in names):
        raise ValueError(f"{what} must be a column name or a sequence of names, got {value!r}")
    return names
