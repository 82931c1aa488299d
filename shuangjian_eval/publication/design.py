"""The standard survey design: the one design every report (notebooks, scorecard, equity
tables, briefing) estimates from, so that the same data gives the same numbers everywhere.

Weights :data:`WEIGHT`, strata :data:`STRATA` (when the data has them), schools as PSUs
(:data:`PSU`), sampling with replacement at the first stage (no fpc), and one rule for a
stratum with a single sampled school, :data:`LONELY_PSU`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..estimation.survey import SurveyDesign

__all__ = [
    "LONELY_PSU", "PSU", "STRATA", "WEIGHT", "school_design", "standard_design", "standard_spec",
]  # fmt: skip

WEIGHT = "weight"
STRATA = "stratum"
PSU = "school_id"
#: What a stratum with one sampled school contributes to a variance. ``"adjust"`` (R
#: survey's ``options(survey.lonely.psu = "adjust")``, R survey >= 4.4): the school's total is
#: centred at the mean of all schools' totals instead of its stratum's, which R's
#: documentation calls conservative.
#: The reports estimate counties as domains of the full design, and a small county often
#: reaches a stratum through one school: ``"fail"`` (R's default, an error) would make every
#: estimate that reaches it invalid and blank whole report sections; ``"remove"`` and
#: ``"certainty"`` would let that stratum add nothing and understate the uncertainty;
#: ``"average"`` assumes the stratum varies as the others do. A conservative interval is
#: the one a published figure can stand behind.
LONELY_PSU = "adjust"


def standard_spec(df: pd.DataFrame) -> dict[str, Any]:
    """The keyword arguments of :class:`SurveyDesign` for the standard design of ``df``:
    ``weight``, ``strata`` (None when ``df`` has no :data:`STRATA` column), ``psu``, ``fpc``
    and ``lonely_psu``. The place where data without strata or weights (convenience samples)
    will be given their design."""
    strata = STRATA if STRATA in df.columns else None
    return {"weight": WEIGHT, "strata": strata, "psu": PSU, "fpc": None, "lonely_psu": LONELY_PSU}


def standard_design(df: pd.DataFrame) -> SurveyDesign:
    """The standard design of ``df`` (:func:`standard_spec`).

    Examples
    --------
    >>> import shuangjian_eval as sje
    >>> d = standard_design(sje.synth.generate(n_counties=2, n_schools=8, students_per_school=5))
    >>> d.weight, d.strata, d.psu, d.lonely_psu
    ('weight', 'stratum', 'school_id', 'adjust')
    """
    return SurveyDesign(df, **standard_spec(df))


def school_design(df: pd.DataFrame) -> SurveyDesign:
    """The design of estimates for single schools (one school's share beside what the school
    reports): each school a stratum of its own and its sampled students the units, with the
    standard weights; the second stage of the standard design, sampling with replacement.

    A school is one PSU of the standard design, so a school's own estimate has no
    between-PSU variance there (its influence values sum to zero); here it has the variance of
    sampling students within the school.
    """
    return SurveyDesign(df, WEIGHT, strata=PSU, psu=None, lonely_psu=LONELY_PSU)
