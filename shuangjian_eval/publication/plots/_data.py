"""Turning result objects and frames into what a chart needs (no drawing here)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd

from ...inputs import codebook as _codebook
from ...inputs import policy as _policy

__all__ = [
    "as_frame",
    "fractional_year",
    "levels",
    "parse_date",
    "require",
    "select_variable",
    "usable_rows",
    "wave_date",
]


def as_frame(obj: Any, what: str = "chart") -> pd.DataFrame:
    """A copy of the tidy table of ``obj``: a DataFrame, or anything with ``to_frame()``
    (:class:`~shuangjian_eval.estimation.results.EstimateResult`, the scorecard object)."""
    if isinstance(obj, pd.DataFrame):
        return obj.copy()
    to_frame = getattr(obj, "to_frame", None)
    if callable(to_frame):
        frame = to_frame()
        if isinstance(frame, pd.DataFrame):
            return frame.copy()
    raise TypeError(
        f"{what} takes a result object (with .to_frame()) or a pandas DataFrame, "
        f"got {type(obj).__name__}"
    )


def require(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    """Raise a ValueError naming the columns ``what`` needs that ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} needs columns {missing}; the frame has {list(map(str, frame.columns))}"
        )


def select_variable(frame: pd.DataFrame, variable: str | None) -> tuple[pd.DataFrame, str | None]:
    """Rows of one variable of a result that holds several (``variable`` column)."""
    if "variable" not in frame.columns:
        return frame, variable
    present = list(dict.fromkeys(frame["variable"].astype(str)))
    if variable is None:
        if len(present) != 1:
            raise ValueError(f"the result holds several variables {present}; pass variable=")
        variable = present[0]
    elif variable not in present:
        raise ValueError(f"variable {variable!r} is not in the result; it has {present}")
    return frame.loc[frame["variable"].astype(str) == variable], variable


def usable_rows(frame: pd.DataFrame, min_cell: int | None) -> pd.Series:
    """Rows fit to publish: valid, a finite estimate, at least ``min_cell`` respondents, at least
    the rule's ``min_psu`` PSUs (where ``n_psu`` is known), for an effect also in its smallest
    supporting cell (``n_min_cell``, ``n_psu_min_cell``), not flagged ``suppressed``.
    ``min_cell`` None: the rule of ``suppression.rule_for()``; 0: no threshold on respondents."""
    from .. import suppression

    ok = pd.Series(True, index=frame.index)
    if "valid" in frame.columns:
        ok &= frame["valid"].fillna(False).astype(bool)
    ok &= np.isfinite(pd.to_numeric(frame["estimate"], errors="coerce").astype(float))
    counts = frame.reindex(columns=["n", "n_psu"]).apply(pd.to_numeric, errors="coerce")
    counts = counts.fillna(0)  # an unknown count of the estimate itself: not publishable
    if "n" not in frame.columns:
        counts["n"] = np.inf
    if "n_psu" not in frame.columns:
        counts["n_psu"] = np.inf
    ok &= ~suppression.small_cells(counts, min_cell=min_cell)
    # an unknown smallest cell (a reference period) is not small
    ok &= ~suppression.small_cells(frame, min_cell=min_cell, n="n_min_cell", n_psu="n_psu_min_cell")
    if "suppressed" in frame.columns:
        ok &= ~frame["suppressed"].fillna(False).astype(bool)
    return ok


def levels(frame: pd.DataFrame, column: str) -> list[Any]:
    """Values of ``column`` in display order: categorical order, codebook category order, else
    sorted; only values that occur."""
    s = frame[column]
    present = list(pd.unique(s.dropna()))
    if isinstance(s.dtype, pd.CategoricalDtype):
        return [c for c in s.cat.categories if c in set(present)]
    cb = _codebook.load()
    if column in cb and cb[column].categories:
        order = list(cb[column].categories)
        return [c for c in order if c in present] + [c for c in present if c not in order]
    try:
        return sorted(present)
    except TypeError:
        return present


def parse_date(value: dt.date | str | None) -> dt.date:
    """A policy date: None gives the date in ``policy.yaml``."""
    if value is None:
        return _policy.load().date
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def is_year(value: Any) -> bool:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    return v.is_integer() and 1900 <= v <= 2200


def wave_date(wave: Any, fieldwork_month: int) -> dt.date:
    """Middle of the fieldwork month of a wave given as a year."""
    return dt.date(int(float(wave)), int(fieldwork_month), 15)


def fractional_year(day: dt.date) -> float:
    """A date as a year with a fraction: 2021-07-24 -> about 2021.56."""
    start = dt.date(day.year, 1, 1)
    length = (dt.date(day.year + 1, 1, 1) - start).days
    return day.year + ((day - start).days + 0.5) / length


_LAST_INT = re.compile(r"(-?\d+)(?!.*\d)")


def period_from_term(term: str) -> float:
    """The last integer in a term label: ``"wave_2019"`` -> 2019, ``"rel_-2"`` -> -2."""
    m = _LAST_INT.search(str(term))
    if not m:
        raise ValueError(
            f"cannot read a period from term {term!r}; give the frame a 'period' column"
        )
    text = m.group(1)
    if text.startswith("-") and m.start() > 0 and str(term)[m.start() - 1].isdigit():
        text = text[1:]  # "2019-2020": a range, not a negative number
    return float(text)
