"""Before/after comparison of means: ``before_after``.

Three designs, one result (term ``"after - before"``):

- independent samples (repeated cross-sections): difference of (weighted) means. Without
  ``cluster`` each period's variance is its own with ``n/(n-1)`` (unweighted: Welch's t test,
  Welch-Satterthwaite df); with ``cluster`` the influence values of the difference are summed
  within clusters, which may span both periods (the same schools), times ``G/(G-1)``, t with
  ``G - 1`` df;
- paired (``unit=``, a panel): the (weighted) mean of within-unit differences; units seen in
  only one of the two periods are left out (unweighted: the paired t test);
- design-based (``design=``): delegated to ``SurveyDesign.mean_diff`` (Taylor linearisation
  with the design's strata, PSUs, fpc and, on a calibrated design, calibration residuals),
  t on the residual df, as R ``svyglm(outcome ~ after)`` on the two periods of the design.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...base.options import check_choice, check_columns, check_options
from ..results import EstimateResult, invalid_row
from ..weights import usable_weights
from ._fe import Factor, factorize, fit_wls, to_float
from .design_based import check_design
from .did import cluster_checks
from .small_clusters import adjust_fit, apply_wild, check_inference

__all__ = ["TERM", "before_after"]

TERM = "after - before"
_OPTIONS = (
    "unit", "weights", "cluster", "design", "cov_type", "inference", "bootstrap_reps",
    "bootstrap_weights", "seed", "level",
)  # fmt: skip


def before_after(
    df: pd.DataFrame,
    *,
    outcome: str,
    period: str,
    before: Any,
    after: Any,
    unit: str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    design: Any = None,
    cov_type: str = "cluster",
    inference: str = "analytic",
    bootstrap_reps: int = 9999,
    bootstrap_weights: str | None = None,
    seed: int | None = None,
    level: float = 0.95,
    **unknown: Any,
) -> EstimateResult:
    """Change in the mean of ``outcome`` from period ``before`` to period ``after``.

    Parameters
    ----------
    df : pandas.DataFrame
        Long data, one row per observation and period; not modified.
    outcome : str
        Numeric (or boolean) outcome.
    period : str
        Period column; rows where it equals ``before`` or ``after`` are used.
    before, after : scalar
        The two period values.
    unit : str, optional
        Unit identifier for a paired (panel) comparison: one row per unit and period.
    weights : str, optional
        Sampling weights (not frequency weights). Paired: the unit's weight in ``before``.
    cluster : str, optional
        Cluster column for the standard error (e.g. ``"school_id"``).
    design : SurveyDesign, optional
        A design built on ``df``: the estimate and its variance are design-based (the
        design's weights, calibrated or not, strata, PSUs, fpc), as R ``svyglm(outcome ~
        after, design = subset(design, <the two periods>))``, t on its residual df (PSUs minus
        strata with a row in the comparison, minus one). ``unit``, ``weights``, ``cluster``,
        ``cov_type="CR2"`` and ``inference="wild"`` must not be given with it.
    cov_type : {"cluster", "CR2"}
        With ``cluster=``: ``"cluster"`` as above (``G/(G-1)``, t on ``G - 1`` df), or
        ``"CR2"``: the Bell-McCaffrey variance with Satterthwaite df of the same difference
        written as a regression (``outcome ~ 1 + after``, or the paired differences on a
        constant), as R ``clubSandwich`` (:mod:`.small_clusters`).
    inference : {"analytic", "wild"}
        ``"wild"`` (needs ``cluster=``): restricted wild cluster bootstrap p-value and
        interval of that regression's coefficient.
    bootstrap_reps, bootstrap_weights, seed
        Of the wild bootstrap, as in :func:`~.did.did`.
    level : float
        Confidence level.

    Returns
    -------
    EstimateResult
        One row ``"after - before"`` with ``mean_before``, ``mean_after``, ``n_before``,
        ``n_after`` (paired: ``n`` pairs), ``df``. An empty period comes back invalid.

    Raises
    ------
    ValueError
        Unknown option; ``design`` combined with ``unit``/``weights``/``cluster``; a unit seen
        twice in a period.
    KeyError
        A named column is missing.
    """
    check_options("before_after", unknown, _OPTIONS)
    check_columns(df, [outcome, period, unit, weights, cluster])
    check_choice("cov_type", cov_type, ("cluster", "CR2"))
    if design is not None:
        check_design(design, df, unit=unit, weights=weights, cluster=cluster,
                     cov_type=None if cov_type == "cluster" else cov_type,
                     inference=None if inference == "analytic" else inference)  # fmt: skip
    check_inference(cov_type, inference, cluster, bootstrap_reps, bootstrap_weights)
    small = {"cov_type": cov_type, "inference": inference, "reps": bootstrap_reps,
             "weights": bootstrap_weights, "seed": seed}  # fmt: skip
    options = {"outcome": outcome, "period": period, "before": before, "after": after,
               "unit": unit, "weights": weights, "cluster": cluster,
               "design": None if design is None else type(design).__name__,
               "cov_type": cov_type, "inference": inference}  # fmt: skip
    if design is not None:
        options.update(weights=design.weight, cov_type="design")
        return _design_based(design, options, level)
    y = to_float(df, outcome)
    is_b = (df[period] == before).fillna(False).to_numpy(dtype=bool)
    is_a = (df[period] == after).fillna(False).to_numpy(dtype=bool)
    w = to_float(df, weights) if weights else np.ones(len(df))
    ok = (is_b | is_a) & ~np.isnan(y)
    cl = factorize(df, cluster) if cluster else None
    if cl is not None:
        ok &= cl.codes >= 0
    usable, left_out = usable_weights(w, str(weights), among=ok)
    ok &= usable
    sample = {"df": df, "y": y, "w": w, "is_b": is_b, "is_a": is_a, "ok": ok, "cl": cl}
    res = _compare(sample, unit, options, level, small)
    res.left_out = left_out
    return res


def _design_based(design: Any, options: dict[str, Any], level: float) -> EstimateResult:
    """The difference of the two periods' means on the design (``SurveyDesign.mean_diff``),
    t on the residual df of ``svyglm(outcome ~ after)`` on the two periods: PSUs minus strata
    with a row in the comparison, minus one."""
    outcome, period = options["outcome"], options["period"]
    before, after = options["before"], options["after"]
    res = design.mean_diff(outcome, between=(period, before, after), level=level)
    table = res.to_frame()
    table["term"] = TERM
    keep = ["term", "mean_first", "mean_second", "estimate", "std_error", "df", "n", "N",
            "valid", "reason"]  # fmt: skip
    table = table[[c for c in keep if c in table]].rename(
        columns={"mean_first": "mean_before", "mean_second": "mean_after"}
    )
    data = design.data
    used = (data[period].isin([before, after]) & data[outcome].notna()).to_numpy(bool)
    dof = float(design._degf(used) - 1) if used.any() else np.nan
    table["df"] = dof if dof > 0 else np.nan
    return EstimateResult.from_estimates(
        table, method="before_after[design]", options=options, nobs=res.nobs, level=level
    )


def _compare(
    sample: dict[str, Any],
    unit: str | None,
    options: dict[str, Any],
    level: float,
    small: dict[str, Any],
) -> EstimateResult:
    """The independent-samples or paired comparison of the rows ``sample["ok"]``."""
    df, y, w, is_b, is_a, ok, cl = (sample[k] for k in ("df", "y", "w", "is_b", "is_a", "ok", "cl"))
    outcome, period = options["outcome"], options["period"]
    before, after, weights = options["before"], options["after"], options["weights"]
    if unit is not None:
        return _paired(df, y, w, is_b, is_a, ok, unit, cl, options, level, small)
    nb, na = int((ok & is_b).sum()), int((ok & is_a).sum())
    if nb == 0 or na == 0:
        why = f"no observed {outcome!r} where {period}={before if nb == 0 else after!r}"
        return _invalid(why, options, nb + na, level, n_before=nb, n_after=na)
    sums = {}
    infl = np.zeros(len(df))
    var_parts = []
    for key, mask, sign in (("before", ok & is_b, -1.0), ("after", ok & is_a, 1.0)):
        wm = w[mask]
        mean = float(wm @ y[mask]) / wm.sum()
        sums[key] = mean
        z = wm * (y[mask] - mean) / wm.sum()
        infl[mask] = sign * z
        m = mask.sum()
        var_parts.append((m / (m - 1) if m > 1 else np.nan) * float(z @ z))
    if cl is None:
        var = sum(var_parts)
        parts = [(v, int((ok & s).sum()) - 1) for v, s in zip(var_parts, (is_b, is_a), strict=True)]
        ddf = var**2 / sum(v**2 / d for v, d in parts if d > 0) if var > 0 else np.nan
    else:
        codes, g = np.unique(cl.codes[ok], return_inverse=True)
        tot = np.bincount(g, weights=infl[ok], minlength=codes.size)
        var = codes.size / (codes.size - 1) * float(tot @ tot) if codes.size > 1 else np.nan
        ddf = float(codes.size - 1)
    table = pd.DataFrame([{"term": TERM, "mean_before": sums["before"], "mean_after": sums["after"],
                           "estimate": sums["after"] - sums["before"], "std_error": np.sqrt(var),
                           "df": ddf, "n_before": nb, "n_after": na}])  # fmt: skip
    if cl is not None and (small["cov_type"] == "CR2" or small["inference"] == "wild"):
        rows = np.flatnonzero(ok)
        return _small_clusters(
            table, y[rows], [is_a[rows].astype(float)], w[rows] if weights else None,
            cl.subset(ok), options, level, small, "before_after",
        )  # fmt: skip
    return EstimateResult.from_estimates(
        table, method="before_after", options=options, nobs=nb + na, level=level
    )


def _small_clusters(
    table: pd.DataFrame,
    y: np.ndarray,
    columns: list[np.ndarray],
    w: np.ndarray | None,
    cl: Factor,
    options: dict[str, Any],
    level: float,
    small: dict[str, Any],
    method: str,
) -> EstimateResult:
    """The difference as a regression (its last column's coefficient), with CR2 or the wild
    bootstrap; the table's estimate stays, its standard error and df are replaced."""
    notes: list[str] = []
    why = cluster_checks({"cluster": cl}, "cluster", notes)
    if why:
        return _invalid(why, options, y.size, level)
    names = [f"x{j}" for j in range(len(columns))]
    fit = fit_wls(y, columns, names, weights=w, cluster=cl, cov_type="cluster")
    adjust_fit(fit, small["cov_type"])
    j = len(fit.names) - 1
    table = table.copy()
    table["std_error"] = float(np.sqrt(fit.vcov[j, j]))
    table["df"] = fit.df_t if fit.df_terms is None else float(fit.df_terms[j])
    res = EstimateResult.from_estimates(
        table, method=method, options=options, nobs=y.size, level=level
    )
    if small["inference"] == "wild":
        fit.names[j] = TERM
        apply_wild(res, fit, [TERM], reps=small["reps"], weights=small["weights"],
                   seed=small["seed"])  # fmt: skip
    return res


def _paired(df, y, w, is_b, is_a, ok, unit, cl, options, level, small) -> EstimateResult:  # type: ignore[no-untyped-def]
    u = factorize(df, unit)
    ok = ok & (u.codes >= 0)
    rows_b, rows_a = np.flatnonzero(ok & is_b), np.flatnonzero(ok & is_a)
    for rows, name in ((rows_b, "before"), (rows_a, "after")):
        if np.bincount(u.codes[rows], minlength=u.n_levels).max(initial=0) > 1:
            raise ValueError(f"unit {unit!r} appears more than once in the {name} period")
    yb, ya = np.full(u.n_levels, np.nan), np.full(u.n_levels, np.nan)
    yb[u.codes[rows_b]], ya[u.codes[rows_a]] = y[rows_b], y[rows_a]
    wu = np.full(u.n_levels, np.nan)
    wu[u.codes[rows_b]] = w[rows_b]
    pair = ~np.isnan(yb) & ~np.isnan(ya)
    n = int(pair.sum())
    if n < 2:
        return _invalid("fewer than 2 units observed in both periods", options, 2 * n, level, n=n)
    d, wp = ya[pair] - yb[pair], wu[pair]
    mean = float(wp @ d) / wp.sum()
    z = wp * (d - mean) / wp.sum()
    if cl is None:
        var, ddf = n / (n - 1) * float(z @ z), float(n - 1)
    else:
        cu = np.full(u.n_levels, -1)
        cu[u.codes[rows_b]] = cl.codes[rows_b]
        codes, g = np.unique(cu[pair], return_inverse=True)
        tot = np.bincount(g, weights=z, minlength=codes.size)
        var = codes.size / (codes.size - 1) * float(tot @ tot) if codes.size > 1 else np.nan
        ddf = float(codes.size - 1)
    mb, ma = float(wp @ yb[pair]) / wp.sum(), float(wp @ ya[pair]) / wp.sum()
    table = pd.DataFrame([{"term": TERM, "mean_before": mb, "mean_after": ma, "estimate": mean,
                           "std_error": np.sqrt(var), "df": ddf, "n": n}])  # fmt: skip
    if cl is not None and (small["cov_type"] == "CR2" or small["inference"] == "wild"):
        codes = np.full(u.n_levels, -1)
        codes[u.codes[rows_b]] = cl.codes[rows_b]
        pcl = Factor(cl.name, codes[pair], cl.n_levels, cl.labels).subset(None)
        return _small_clusters(
            table, d, [], wp if options["weights"] else None, pcl, options, level, small,
            "before_after[paired]",
        )  # fmt: skip
    return EstimateResult.from_estimates(
        table, method="before_after[paired]", options=options, nobs=2 * n, level=level
    )


def _invalid(reason: str, options: dict[str, Any], nobs: int, level: float, **extra: Any):  # type: ignore[no-untyped-def]
    table = pd.DataFrame([invalid_row(TERM, reason, **extra)])
    return EstimateResult.from_estimates(
        table, method="before_after", options=options, nobs=nobs, level=level
    )
