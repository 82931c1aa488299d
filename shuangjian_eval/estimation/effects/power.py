"""Minimum detectable effects and sample sizes for school-clustered designs.

The standard two-level formula (Bloom 1995, 2005; Bloom, Richburg-Hayes & Black 2007; the
PowerUp! "CRA2" design of Dong & Maynard 2013): ``J`` schools, ``n`` students surveyed in
each, a share ``P`` of the schools treated (whole schools, not students, differ in exposure),
intraclass correlation ``rho``, outcome standard deviation ``sigma``::

    SE / sigma = sqrt( rho (1 - R2_school) / (P (1 - P) J)
                       + (1 - rho) (1 - R2_student) / (P (1 - P) J n) )
               = sqrt( deff (1 - R2) / (P (1 - P) J n) ),   deff = 1 + (n - 1) rho

    MDE = M * SE,   M = t(1 - alpha / 2; df) + t(power; df),   df = J - 2 by default

(``t(1 - alpha; df)`` for a one-sided test). With large ``df`` and ``alpha = .05`` two-sided,
``power = .80``, ``M = 1.960 + 0.842 = 2.80`` (Bloom 1995, Table 1). ``method="noncentral_t"``
replaces the multiplier by the exact noncentral-t solution (as R ``pwr.t.test``).

Assumptions: equal cluster sizes; schools (not students) assigned, or exposed, independently of
the outcome; simple random sampling of schools and of students within them (no strata, no
finite-population correction); a common ICC in both arms; covariates explain ``R2`` of the
variance at both levels unless ``r2_school`` says otherwise. For a proportion (``p=``), ``sigma``
is ``sqrt(p (1 - p))`` at the baseline proportion (a normal approximation), and ``icc`` is on the
same 0/1 scale. ``two_sample=False`` is a one-group design (for example a change in a single
group against a known value): ``P (1 - P)`` becomes 1 and ``df = J - 1``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ...base.options import check_choice, check_options
from ..results import EstimateResult

__all__ = ["minimum_detectable_effect", "schools_needed"]

_COMMON = (
    "students_per_school",
    "icc",
    "deff",
    "sd",
    "alpha",
    "power",
    "r2",
    "r2_school",
    "two_sample",
    "treated_share",
    "p",
    "df",
    "alternative",
    "method",
)
MDE_OPTIONS: tuple[str, ...] = ("n_schools", *_COMMON)
SCHOOLS_OPTIONS: tuple[str, ...] = ("mde", *_COMMON)
ALTERNATIVES = ("two-sided", "one-sided")
METHODS = ("bloom", "noncentral_t")


def _fraction(name: str, value: Any, *, low: float = 0.0, high: float = 1.0, closed: bool = False):
    ok = isinstance(value, int | float) and (low <= value <= high if closed else low < value < high)
    if not ok:
        bounds = f"[{low}, {high}]" if closed else f"({low}, {high})"
        raise ValueError(f"{name} must be a number in {bounds}, got {value!r}")
    return float(value)


def _settings(o: dict[str, Any]) -> dict[str, Any]:
    """Validate the shared options; return the variance pieces."""
    n = o["students_per_school"]
    if not isinstance(n, int | np.integer | float) or n < 1:
        raise ValueError(f"students_per_school must be >= 1, got {n!r}")
    if (o["icc"] is None) == (o["deff"] is None):
        raise ValueError("give exactly one of icc= and deff=")
    if o["icc"] is not None:
        icc = _fraction("icc", o["icc"], closed=True)
        deff = 1 + (n - 1) * icc
    else:
        deff = o["deff"]
        if not isinstance(deff, int | float) or deff <= 0:
            raise ValueError(f"deff must be a positive number, got {deff!r}")
        icc = (deff - 1) / (n - 1) if n > 1 else None
        if icc is not None and not 0 <= icc <= 1:
            raise ValueError(f"deff={deff} implies an ICC of {icc:.3g} outside [0, 1] for n={n}")
    if o["p"] is not None:
        p = _fraction("p", o["p"])
        if o["sd"] is not None:
            raise ValueError("give sd= or p= (a proportion sets sd = sqrt(p (1 - p))), not both")
        sd = math.sqrt(p * (1 - p))
    else:
        sd = 1.0 if o["sd"] is None else o["sd"]
        if not isinstance(sd, int | float) or sd <= 0:
            raise ValueError(f"sd must be a positive number, got {sd!r}")
    alpha = _fraction("alpha", o["alpha"])
    power = _fraction("power", o["power"])
    r2 = _fraction("r2", o["r2"], high=1.0, closed=True)
    r2_school = (
        r2 if o["r2_school"] is None else _fraction("r2_school", o["r2_school"], closed=True)
    )
    if r2 >= 1 or r2_school >= 1:
        raise ValueError("r2 and r2_school must be below 1")
    if not isinstance(o["two_sample"], bool):
        raise ValueError(f"two_sample must be True or False, got {o['two_sample']!r}")
    share = _fraction("treated_share", o["treated_share"])
    check_choice("alternative", o["alternative"], ALTERNATIVES)
    check_choice("method", o["method"], METHODS)
    df = o["df"]
    if df is not None and (not isinstance(df, int | float) or df <= 0):
        raise ValueError(
            f"df must be None (J - 2, or J - 1 one-sample), a positive number or inf, got {df!r}"
        )
    pq = share * (1 - share) if o["two_sample"] else 1.0
    if icc is not None:  # per school: rho (1 - R2_2) + (1 - rho)(1 - R2_1) / n
        unit = icc * (1 - r2_school) + (1 - icc) * (1 - r2) / n
    else:
        unit = deff * (1 - r2) / n
    return {"sd": float(sd), "deff": float(deff), "icc": icc, "unit": unit / pq, "alpha": alpha,
            "power": power, "n": n}  # fmt: skip


def _df(o: dict[str, Any], n_schools: float) -> float:
    if o["df"] is not None:
        return float(o["df"])
    return n_schools - (2 if o["two_sample"] else 1)


def _multiplier(alpha: float, power: float, df: float, alternative: str, method: str) -> float:
    """``M`` such that MDE = M * SE (Bloom), or the exact noncentrality (noncentral t)."""
    a = alpha / 2 if alternative == "two-sided" else alpha
    t = stats.norm if math.isinf(df) else stats.t(df)
    crit = float(t.ppf(1 - a))
    if method == "bloom":
        return crit + float(t.ppf(power))

    def power_at(d: float) -> float:
        if math.isinf(df):
            upper, lower = stats.norm.sf(crit - d), stats.norm.cdf(-crit - d)
        else:  # scipy's nct can return NaN deep in a tail, where the value is 0 or 1
            upper = np.nan_to_num(stats.nct.sf(crit, df, d), nan=1.0)
            lower = np.nan_to_num(stats.nct.cdf(-crit, df, d), nan=0.0)
        return float(upper + (lower if alternative == "two-sided" else 0.0))

    upper = crit + abs(float(t.ppf(power))) + 3.0
    return float(optimize.brentq(lambda d: power_at(d) - power, 0.0, upper, xtol=1e-14))


def minimum_detectable_effect(
    *,
    n_schools: int,
    students_per_school: float,
    icc: float | None = None,
    deff: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    r2: float = 0.0,
    r2_school: float | None = None,
    two_sample: bool = True,
    treated_share: float = 0.5,
    p: float | None = None,
    df: float | None = None,
    alternative: str = "two-sided",
    method: str = "bloom",
    **unknown: Any,
) -> EstimateResult:
    """Minimum detectable effect of a school-clustered comparison (Bloom's formula).

    ``MDE = M * sigma * sqrt(rho (1 - R2_2) / (P (1 - P) J) + (1 - rho)(1 - R2_1) / (P (1 - P) J n))``
    with ``M = t(1 - alpha/2; J - 2) + t(power; J - 2)``; equivalently
    ``M * sigma * sqrt(deff (1 - R2) / (P (1 - P) J n))`` with ``deff = 1 + (n - 1) rho``.
    See the module docstring for the assumptions.

    Parameters
    ----------
    n_schools : int
        Schools ``J`` in the comparison (both arms together when ``two_sample``).
    students_per_school : float
        Students surveyed per school ``n`` (an average; sizes assumed equal).
    icc, deff : float
        Intraclass correlation ``rho``, or the design effect ``1 + (n - 1) rho``; give one.
    sd : float, optional
        Outcome standard deviation ``sigma`` (default 1: the MDE is in SD units).
    alpha, power : float
        Significance level and power.
    r2 : float
        Share of outcome variance explained by covariates (both levels).
    r2_school : float, optional
        Share of the school-level variance explained, when it differs from ``r2``.
    two_sample : bool
        Treated versus comparison schools (True), or one group against a known value.
    treated_share : float
        Share ``P`` of schools treated.
    p : float, optional
        Baseline proportion for a binary outcome: ``sigma = sqrt(p (1 - p))``, MDE in
        proportion points.
    df : float, optional
        Degrees of freedom of the multiplier; default ``J - 2`` (``J - 1`` one-sample); ``inf``
        gives the normal multiplier (2.80 for the defaults).
    alternative : {"two-sided", "one-sided"}
        Test direction.
    method : {"bloom", "noncentral_t"}
        Multiplier ``t_{1-alpha/2} + t_{power}`` (Bloom), or the exact noncentral-t solution.

    Returns
    -------
    EstimateResult
        Rows ``mde`` (outcome units; proportion points with ``p``) and ``mde_sd`` (standard
        deviations), with columns ``multiplier``, ``design_effect``, ``design_df`` and
        ``standard_error`` (of the effect estimate, outcome units); ``std_error`` and tests are
        NaN (a planning quantity has no sampling error). Fewer schools than the degrees of
        freedom allow give invalid rows.

    Examples
    --------
    >>> r = minimum_detectable_effect(n_schools=30, students_per_school=21, icc=0.05)
    >>> round(float(r.estimate["mde_sd"]), 3)
    0.327
    """
    check_options("minimum_detectable_effect", unknown, MDE_OPTIONS)
    o = {k: v for k, v in locals().items() if k in MDE_OPTIONS}
    s = _settings(o)
    if not isinstance(n_schools, int | np.integer) or n_schools < 1:
        raise ValueError(f"n_schools must be a positive integer, got {n_schools!r}")
    dof = _df(o, n_schools)
    options = {k: v for k, v in o.items()}
    res_kw = {"method": "minimum_detectable_effect", "options": options, "nobs": 0}
    if dof < 1:
        reason = f"{n_schools} school(s) leave {dof:g} degrees of freedom"
        table = pd.DataFrame(
            {"term": ["mde", "mde_sd"], "estimate": np.nan, "std_error": np.nan,
             "valid": False, "reason": reason}
        )  # fmt: skip
        return EstimateResult.from_estimates(table, **res_kw)
    se_sd = math.sqrt(s["unit"] / n_schools)
    m = _multiplier(s["alpha"], s["power"], dof, alternative, method)
    mde_sd = m * se_sd
    table = pd.DataFrame(
        {
            "term": ["mde", "mde_sd"],
            "estimate": [mde_sd * s["sd"], mde_sd],
            "std_error": np.nan,
            "multiplier": m,
            "design_effect": s["deff"],
            "design_df": dof,
            "standard_error": [se_sd * s["sd"], se_sd],
        }
    )
    return EstimateResult.from_estimates(table, **res_kw)


def schools_needed(
    *,
    mde: float,
    students_per_school: float,
    icc: float | None = None,
    deff: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    r2: float = 0.0,
    r2_school: float | None = None,
    two_sample: bool = True,
    treated_share: float = 0.5,
    p: float | None = None,
    df: float | None = None,
    alternative: str = "two-sided",
    method: str = "bloom",
    **unknown: Any,
) -> EstimateResult:
    """Smallest number of schools whose minimum detectable effect is at most ``mde``.

    The inverse of :func:`minimum_detectable_effect` (same options and assumptions): since the
    multiplier depends on ``J`` through the degrees of freedom, ``J`` is the smallest integer
    with ``MDE(J) <= mde``, found from the normal-multiplier solution upwards.

    Parameters
    ----------
    mde : float
        Target effect in outcome units (proportion points with ``p``; SD units with the default
        ``sd``).
    students_per_school, icc, deff, sd, alpha, power, r2, r2_school, two_sample, treated_share,
    p, df, alternative, method
        As in :func:`minimum_detectable_effect`.

    Returns
    -------
    EstimateResult
        Rows ``n_schools`` (J), ``n_students`` (J n) and ``mde_achieved`` (outcome units, at
        that J), with ``design_effect`` and ``design_df`` columns. More students per school
        cannot push the MDE below the school-level floor ``M sigma sqrt(rho / (P (1 - P) J))``;
        more schools always can.
    """
    check_options("schools_needed", unknown, SCHOOLS_OPTIONS)
    o = {k: v for k, v in locals().items() if k in SCHOOLS_OPTIONS}
    s = _settings(o)
    if not isinstance(mde, int | float) or not mde > 0:
        raise ValueError(f"mde must be a positive number, got {mde!r}")
    target = mde / s["sd"]
    z = _multiplier(s["alpha"], s["power"], math.inf, alternative, method)
    j = max(int(math.ceil(z**2 * s["unit"] / target**2)), 1)
    while True:
        dof = _df(o, j)
        if dof >= 1:
            achieved = _multiplier(s["alpha"], s["power"], dof, alternative, method) * math.sqrt(
                s["unit"] / j
            )
            if achieved <= target * (1 + 1e-12):
                break
        j += 1
    table = pd.DataFrame(
        {
            "term": ["n_schools", "n_students", "mde_achieved"],
            "estimate": [float(j), float(j * s["n"]), achieved * s["sd"]],
            "std_error": np.nan,
            "design_effect": s["deff"],
            "design_df": dof,
        }
    )
    options = {k: v for k, v in o.items()}
    return EstimateResult.from_estimates(table, method="schools_needed", options=options, nobs=0)
