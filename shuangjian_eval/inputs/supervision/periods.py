"""Reporting periods of the half-monthly returns, and how they meet survey waves and dated
records (the one place for both rules).

A period is the day a return is due (policy.yaml ``supervision.reporting_days``: the 15th and
the 30th). A dated record (a case opened, a tip-off received) belongs to the first period on or
after its day; a period is set beside the survey wave of its school year's autumn term (waves
are fielded in November, :data:`shuangjian_eval.inputs.synth.FIELDWORK_MONTH`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import synth as _synth

__all__ = ["fieldwork_period", "period_of", "wave_of"]


def wave_of(period: Any) -> int:
    """The survey wave a period is set beside: the autumn term of its school year (a period of
    January-July belongs to the previous year's wave).

    >>> wave_of("2021-11-15"), wave_of("2022-03-15")
    (2021, 2021)
    """
    p = pd.Timestamp(period)
    return int(p.year if p.month >= 8 else p.year - 1)


def period_of(dates: pd.Series, periods: Sequence[Any]) -> pd.Series:
    """The period each dated record is reported in: the first of ``periods`` on or after its
    day (NaT after the last period, or for a missing date)."""
    grid = np.sort(pd.to_datetime(pd.Series(list(periods))).to_numpy(dtype="datetime64[ns]"))
    days = pd.to_datetime(dates).to_numpy(dtype="datetime64[ns]")
    k = np.searchsorted(grid, days, side="left")
    ok = (k < grid.size) & ~np.isnat(days)
    out = np.full(days.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    out[ok] = grid[k[ok]]
    return pd.Series(out, index=dates.index, name="period")


def fieldwork_period(wave: int, periods: Sequence[Any]) -> pd.Timestamp | None:
    """The period set beside a survey wave: of the wave's periods, the one nearest its
    fieldwork day (November 15 of the wave's year); None when the wave has no period."""
    day = pd.Timestamp(dt.date(int(wave), _synth.FIELDWORK_MONTH, _synth.FIELDWORK_DAY))
    own = [pd.Timestamp(p) for p in periods if wave_of(p) == int(wave)]
    return min(own, key=lambda p: (abs(p - day), p)) if own else None
