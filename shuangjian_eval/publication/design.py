"""The standard survey design: the one design every report (notebooks, scorecard, equity
tables, briefing) estimates from, so that the same data gives the same numbers everywhere.

Weights :data:`WEIGHT`, strata :data:`STRATA` (when the data has them), schools as PSUs
(:data:`PSU`), sampling with replacement at the first stage (no fpc), and one rule for a
stratum with a single sampled school, :data:`LONELY_PSU`.

Data whose weights ``sje weights`` calibrated to enrolment margins carry the weights before in
:data:`BASE_WEIGHT` and a record of the calibration in ``attrs[CALIBRATION]`` (method, margins,
bounds, tolerance; each wave and county calibrated on its own). Their standard design is
calibrated again from that record (the totals are the calibrated weights' own sums, which the
calibration met), so that every variance is calibration-aware, as R's for a calibrated design,
rather than treating the calibrated weights as fixed. :func:`weight_kind` says which weights
the data carry: ``"design"``, ``"calibrated"`` or ``"equal"`` (a convenience sample).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..estimation.survey import SurveyDesign

__all__ = [
    "BASE_WEIGHT",
    "CALIBRATION",
    "LONELY_PSU",
    "PSU",
    "STRATA",
    "WEIGHT",
    "calibration_columns",
    "calibration_record",
    "school_design",
    "standard_design",
    "standard_spec",
    "weight_kind",
]

WEIGHT = "weight"
STRATA = "stratum"
PSU = "school_id"
#: The weights before calibration, kept beside the calibrated ``weight`` by ``sje weights``.
BASE_WEIGHT = "weight_base"
#: The ``attrs`` key of the calibration record (:func:`calibration_record`).
CALIBRATION = "calibration"
#: Each wave and county is calibrated on its own.
CALIBRATED_WITHIN = ("wave", "county")
_WEIGHTS_AGREE = 1e-6  # relative difference allowed between recorded and recalibrated weights
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


def calibration_record(
    method: str,
    margins: Sequence[str],
    *,
    bounds: tuple[float, float] | None = None,
    tol: float = 1e-10,
    max_iter: int | None = None,
) -> dict[str, Any]:
    """What :func:`standard_design` needs to calibrate data again (kept in
    ``attrs[CALIBRATION]``): the method (``"rake"`` or a :meth:`SurveyDesign.calibrate`
    method), the margin columns, the bounds and the iteration settings."""
    return {
        "method": str(method),
        "margins": [str(m) for m in margins],
        "within": list(CALIBRATED_WITHIN),
        "bounds": None if bounds is None else [float(b) for b in bounds],
        "tol": float(tol),
        "max_iter": None if max_iter is None else int(max_iter),
    }


def calibration_columns(df: pd.DataFrame) -> list[str]:
    """The columns the calibration of ``df`` needs (none for data that were not
    calibrated): keep them in a narrow copy of the data that will be given its design."""
    record = df.attrs.get(CALIBRATION)
    if not record or BASE_WEIGHT not in df.columns:
        return []
    return [BASE_WEIGHT, *record["within"], *record["margins"]]


def weight_kind(df: pd.DataFrame) -> str:
    """Which weights ``df`` carries: ``"calibrated"`` (by ``sje weights``), ``"equal"`` (none,
    or all the same: the numbers describe the respondents) or ``"design"``."""
    if BASE_WEIGHT in df.columns or df.attrs.get(CALIBRATION):
        return "calibrated"
    if WEIGHT not in df.columns:
        return "equal"
    w = pd.to_numeric(df[WEIGHT], errors="coerce").to_numpy(float)
    w = w[np.isfinite(w)]
    return "equal" if len(w) and np.allclose(w, w[0]) else "design"


def standard_design(df: pd.DataFrame) -> SurveyDesign:
    """The standard design of ``df`` (:func:`standard_spec`), calibrated again when the data
    carry a calibration record (see the module notes).

    Examples
    --------
    >>> import shuangjian_eval as sje
    >>> d = standard_design(sje.synth.generate(n_counties=2, n_schools=8, students_per_school=5))
    >>> d.weight, d.strata, d.psu, d.lonely_psu
    ('weight', 'stratum', 'school_id', 'adjust')
    """
    spec = standard_spec(df)
    record = df.attrs.get(CALIBRATION)
    if record and BASE_WEIGHT in df.columns:
        calibrated = _recalibrated(df, spec, record)
        if calibrated is not None:
            return calibrated
    return SurveyDesign(df, **spec)


def _recalibrated(
    df: pd.DataFrame, spec: dict[str, Any], record: Mapping[str, Any]
) -> SurveyDesign | None:
    """The design of ``df`` calibrated again from its record: each margin crossed with the
    wave and county (calibrating on the crossed margins at once is calibrating each wave and
    county on its own), the totals the calibrated weights' sums. None, with a warning, when
    the columns are gone or the weights do not come out the same (the weights were changed
    after calibration): then the weights are treated as fixed."""
    within, names = list(record["within"]), list(record["margins"])
    missing = [c for c in (*within, *names) if c not in df.columns]
    if missing:
        return _fixed(f"the data lack the calibration's column(s) {missing}")
    group = df[within].astype(str).agg("|".join, axis=1)
    crossed: dict[str, pd.Series] = {}
    totals: dict[str, dict[str, float]] = {}
    weight = pd.to_numeric(df[WEIGHT], errors="coerce")
    for m in names:
        key = group + "|" + df[m].astype(str)
        crossed[f"_cal_{m}"] = key
        totals[f"_cal_{m}"] = weight.groupby(key.to_numpy()).sum().to_dict()
    work = df.assign(**crossed)
    base = SurveyDesign(work, **{**spec, "weight": BASE_WEIGHT})
    opts: dict[str, Any] = {"tol": record.get("tol", 1e-10)}
    if record.get("max_iter") is not None:
        opts["max_iter"] = record["max_iter"]
    if record["method"] == "rake":
        design = base.rake(totals, **opts)
    else:
        bounds = record.get("bounds")
        design = base.calibrate(
            totals, method=record["method"], bounds=None if bounds is None else tuple(bounds),
            **opts,
        )  # fmt: skip
    again, recorded = design.weights.to_numpy(float), weight.to_numpy(float)
    if not np.allclose(again, recorded, rtol=_WEIGHTS_AGREE, atol=0.0):
        worst = float(np.max(np.abs(again / recorded - 1.0)))
        return _fixed(f"calibrating again gives weights up to {worst:.2g} off the data's")
    return design


def _fixed(why: str) -> None:
    warnings.warn(
        f"{why}: the calibrated weights are treated as fixed, so standard errors are not "
        "calibration-aware",
        stacklevel=3,
    )
    return None


def school_design(df: pd.DataFrame) -> SurveyDesign:
    """The design of estimates for single schools (one school's share beside what the school
    reports): each school a stratum of its own and its sampled students the units, with the
    standard weights; the second stage of the standard design, sampling with replacement.

    A school is one PSU of the standard design, so a school's own estimate has no
    between-PSU variance there (its influence values sum to zero); here it has the variance of
    sampling students within the school.
    """
    return SurveyDesign(df, WEIGHT, strata=PSU, psu=None, lonely_psu=LONELY_PSU)
