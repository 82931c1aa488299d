"""Comparison groups of a design and the data a notebook analyses."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...estimation.survey import SurveyDesign
from ...inputs import policy as _policy
from ..design import standard_design
from ..plan import is_post as _is_post
from ..targets import income_quintile
from ._common import COMPARISONS, _fail, _waves


def comparison_groups(
    df: pd.DataFrame,
    design: str = "grade",
    *,
    baseline_waves: Sequence[int] | None = None,
    policy: _policy.Policy | None = None,
) -> pd.DataFrame:
    """The data with the comparison groups of a design, from ``policy.yaml`` (a new frame).

    Adds ``treated``, ``post`` and ``treated_post`` (nullable 0/1), ``cohort`` (first treated
    wave, 0 for never treated) and ``income_quintile`` (weighted within wave, "Q1"-"Q5").

    - ``design="grade"``: ``treated`` is 1 in the grades of the homework rules (compulsory
      education, 1-9) and 0 in senior grades;
    - ``design="pilot"``: in compulsory grades, 1 in pilot cities (the ``pilot_city`` column,
      else the cities of ``policy.yaml``) and 0 elsewhere; NA in senior grades (not compared).

    ``post`` is 1 in waves fielded after the policy date, 0 in the baseline waves (every earlier
    wave when ``baseline_waves`` is None) and NA in other pre-policy waves. ``cohort`` is the
    ``first_treated_wave`` column (else the first post-policy wave) in compulsory grades and 0
    in senior grades, the never-treated group of the staggered analysis.
    """
    if design not in COMPARISONS:
        _fail("comparison", design, COMPARISONS, "is not a comparison design")
    pol = policy or _policy.load()
    lo, hi = pol.compulsory_grades
    grade = pd.to_numeric(df["grade"], errors="coerce").to_numpy(float, na_value=np.nan)
    compulsory = (grade >= lo) & (grade <= hi)
    wave = pd.to_numeric(df["wave"], errors="coerce").to_numpy(float, na_value=np.nan)
    post_w = [w for w in _waves(df) if _is_post(w, pol)]
    base = [w for w in _waves(df) if w not in post_w] if baseline_waves is None else baseline_waves
    if design == "grade":
        treated = np.where(np.isnan(grade), np.nan, compulsory.astype(float))
    else:
        pilot = (
            df["pilot_city"]
            if "pilot_city" in df
            else df["city"].astype(str).isin(pol.pilot_cities)
        )
        treated = np.where(compulsory, pilot.to_numpy(float, na_value=np.nan), np.nan)
    post = np.select([np.isin(wave, post_w), np.isin(wave, list(base))], [1.0, 0.0], np.nan)
    first = (pd.to_numeric(df["first_treated_wave"]).to_numpy(float, na_value=np.nan)
             if "first_treated_wave" in df else np.full(len(df), min(post_w, default=0)))  # fmt: skip
    as_int = lambda x: pd.array(x, dtype="Float64").astype("Int8")  # noqa: E731
    out = df.assign(
        treated=as_int(treated), post=as_int(post), cohort=np.where(compulsory, first, 0.0)
    )
    out["treated_post"] = out["treated"] * out["post"]
    if "household_income" in df:
        out["income_quintile"] = income_quintile(out)
    return out


def design_for(df: pd.DataFrame) -> SurveyDesign:
    """The standard design of the reports (:func:`.design.standard_design`: weights, strata,
    schools as PSUs and its one lonely-PSU rule), for the notebooks."""
    return standard_design(df)
