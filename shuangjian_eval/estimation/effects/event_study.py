"""Event study: ``event_study``, with a joint pre-trend test and placebo dates.

The regression is ``outcome ~ treated x 1[period = p]`` for every period ``p`` but the
reference ``ref``, plus the main effects of ``treated`` and of the periods (unless fixed effects
absorb them), by OLS or WLS, with fixed effects absorbed by the within transformation of
:mod:`._fe` and its covariance conventions (clustered CR1 by default).

Pre-trend test: periods before the policy start (``start``; by default the first period after
``ref``) other than ``ref`` are the leads. Their joint Wald statistic is reported as
``F = b' V^-1 b / q`` referred to ``F(q, G - 1)`` with clustered standard errors (``G``
clusters), or ``F(q, N - K)`` otherwise: ``result.pretrend_test``. With ``cov_type="CR2"`` it
is the CR2 test with Hotelling's T-squared approximation (HTZ, as R ``clubSandwich``'s
``Wald_test(..., vcov = "CR2", test = "HTZ")``; ``small_clusters.cr2_wald``), whose
denominator df shrink with few clusters.

Placebo: ``placebo_date=p`` keeps only the waves before the policy start, pretends the policy
started at ``p`` (reference: the last wave before ``p``), and reports the fake post-``p``
effects, jointly tested in ``result.placebo_test``; they should be zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...base.options import as_names, check_columns, check_options
from ..results import invalid_row
from ._fe import (
    Factor,
    RegressionResult,
    WaldTest,
    add_cell_sizes,
    check_binary,
    fit_wls,
    smallest_cell,
    table_from_fit,
    wald_test,
)
from .design_based import check_design, design_vcov
from .did import _prepare, cluster_checks, missing_notes, resolve_cov_type
from .small_clusters import adjust_fit, apply_wild, check_inference, cr2_wald

__all__ = ["EventStudyResult", "event_study"]

_OPTIONS = (
    "time", "event_time", "cluster", "weights", "absorb", "cov_type", "inference",
    "bootstrap_reps", "bootstrap_weights", "seed", "design", "start", "placebo_date", "level",
)  # fmt: skip


@dataclass(eq=False, repr=False)  # the summary, as EstimateResult's
class EventStudyResult(RegressionResult):
    """Event-study coefficients, one row per period other than the reference.

    Table columns: ``term`` (``"treated:<time>=<p>"`` or ``"treated:event_time=<e>"``),
    ``period``, ``pre`` (a lead, before the policy start), the usual estimate columns, ``df``,
    and ``n_min_cell`` / ``n_psu_min_cell``: respondents and clusters of the smallest cell the
    coefficient rests on (treated and untreated rows in that period and in the reference
    period; with ``event_time``, treated rows at that event time and at the reference, and the
    untreated rows), counted on the rows used. ``pretrend_test`` is the joint test of the
    leads; ``placebo_test`` (with ``placebo_date=``) that of the placebo effects. ``estimate``
    etc. are Series by term.
    """

    pretrend_test: WaldTest | None = None
    placebo_test: WaldTest | None = None
    ref: Any = None
    start: Any = None
    periods: list[Any] = field(default_factory=list)
    #: denominator df of the joint tests (``G - 1`` with clusters, ``N - K`` otherwise)
    df_denom: float | None = None
    #: the CR2 fit whose joint tests are HTZ tests (``cov_type="CR2"``)
    _cr2_fit: Any = field(default=None, repr=False)

    def wald_test(self, terms: Sequence[str]) -> WaldTest:
        """Joint Wald test that the named coefficients are all zero (same reference as
        ``pretrend_test``: the HTZ test under ``cov_type="CR2"``)."""
        terms = list(terms)
        missing = [t for t in terms if self.vcov is None or t not in self.vcov.index]
        if missing:
            raise KeyError(f"no estimated coefficient(s) {missing}; terms are {self.terms}")
        assert self.vcov is not None
        if self._cr2_fit is not None:
            return cr2_wald(self._cr2_fit, terms)
        coef = self.table.set_index("term").loc[terms, "estimate"].to_numpy(float)
        v = self.vcov.loc[terms, terms].to_numpy()
        d = self.df_denom
        if d is None:
            d = float(self.table["df"].iloc[0]) if "df" in self.table and len(self.table) else None
        return wald_test(coef, v, terms, df_denom=d)


def event_study(
    df: pd.DataFrame,
    *,
    outcome: str,
    treated: str,
    ref: Any,
    time: str | None = None,
    event_time: str | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    absorb: Sequence[str] = (),
    cov_type: str = "cluster",
    inference: str = "analytic",
    bootstrap_reps: int = 9999,
    bootstrap_weights: str | None = None,
    seed: int | None = None,
    design: Any = None,
    start: Any = None,
    placebo_date: Any = None,
    level: float = 0.95,
    **unknown: Any,
) -> EventStudyResult:
    """Event-study regression of ``outcome`` on treated x period indicators.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per observation; not modified.
    outcome : str
        Numeric outcome.
    treated : str
        0/1 (or boolean) group column.
    ref : scalar
        Reference period (its coefficient is normalised to zero), usually the last wave before
        the policy, or event time -1.
    time : str, optional
        Calendar period column (the wave). Without ``event_time`` the coefficients are of
        treated x each ``time`` value; with it, ``time`` only adds period effects (unless
        absorbed).
    event_time : str, optional
        Event-time column (period minus the unit's first treated period; NaN for never-treated
        rows): coefficients of ``treated x 1[event_time = e]``. One of ``time`` and
        ``event_time`` is needed.
    cluster : str, optional
        Cluster column for CR1 standard errors (``G/(G-1) (N-1)/(N-K)``, fixed effects nested
        in the clusters not counted in ``K``; t with ``G - 1`` df).
    weights : str, optional
        Sampling weights (WLS; not frequency weights).
    absorb : sequence of str
        Fixed effects, e.g. ``("school_id", "wave")``; terms collinear with them are dropped.
    cov_type : {"cluster", "HC1", "nonrobust", "CR2"}
        ``"cluster"`` without ``cluster=`` treats each row as a cluster (equal to HC1).
        ``"CR2"`` (needs ``cluster=``): Bell-McCaffrey variance with Satterthwaite df per
        coefficient (``df`` column), as R ``clubSandwich``; the joint tests are then CR2 tests
        with Hotelling's T-squared approximation (HTZ; ``clubSandwich::Wald_test``).
    inference : {"analytic", "wild"}
        ``"wild"``: restricted wild cluster bootstrap p-value and interval of every period
        coefficient (``result.bootstrap``), see :func:`~.did.did`.
    bootstrap_reps, bootstrap_weights, seed
        Of the wild bootstrap, as in :func:`~.did.did`.
    design : SurveyDesign, optional
        Design-based covariance (as R ``svyglm``), as in :func:`~.did.did`; the joint tests
        then refer to ``F(q, df)`` with the design's residual df.
    start : scalar, optional
        First period of the policy (event time 0); periods before it other than ``ref`` are
        leads. Default: the first period after ``ref``.
    placebo_date : scalar, optional
        Pretend the policy started at this earlier wave, using only waves before ``start``
        (``time`` mode only); ``ref`` is then the last wave before ``placebo_date``.
    level : float
        Confidence level.

    Returns
    -------
    EventStudyResult
        Coefficients by period, ``pretrend_test`` (F test of the leads) and, with a placebo
        date, ``placebo_test``. Periods without treated rows come back invalid.

    Raises
    ------
    ValueError
        Unknown option, bad value, ``ref`` or ``placebo_date`` not among the periods.
    KeyError
        A named column is missing.
    """
    check_options("event_study", unknown, _OPTIONS)
    absorb = as_names(absorb, "absorb")
    w_design = None
    if design is not None:
        w_design = check_design(design, df, weights=weights, cluster=cluster,
                                inference=None if inference == "analytic" else inference)  # fmt: skip
        weights, cov_type = design.weight, "HC1"
    cov = resolve_cov_type(cov_type, cluster)
    check_inference(cov, inference, cluster, bootstrap_reps, bootstrap_weights)
    if (time is None) == (event_time is None) and event_time is None:
        raise ValueError("event_study() needs time= (the wave) or event_time=")
    check_columns(df, [outcome, treated, time, event_time, weights, *absorb, cluster])
    period_col = event_time if event_time is not None else time
    assert period_col is not None
    options = {
        "outcome": outcome, "treated": treated, "ref": ref, "time": time,
        "event_time": event_time, "cluster": cluster, "weights": weights,
        "absorb": tuple(absorb), "cov_type": "design" if design is not None else cov,
        "inference": inference, "start": start,
        "placebo_date": placebo_date,
    }  # fmt: skip
    numeric = [outcome, treated] + ([time] if time and time != period_col else [])
    per_raw = pd.to_numeric(df[period_col], errors="coerce").to_numpy(np.float64, na_value=np.nan)
    frame_cols = {outcome: df[outcome], treated: df[treated], "__period": per_raw}
    if time is not None and time != period_col:
        frame_cols[time] = df[time]
    prep_df = pd.DataFrame(frame_cols, copy=False)
    for c in [weights, *absorb, cluster]:
        if c is not None and c not in prep_df:
            prep_df[c] = df[c]
    weight_col = weights
    if w_design is not None:  # the design's weights (calibrated, or all 1 without a column)
        weight_col = "__design_weight"
        prep_df[weight_col] = w_design
    finite = np.isfinite(per_raw)
    rows_in = np.arange(len(df))  # rows of df in prep_df
    if event_time is not None:  # untreated rows need no event time: period -inf, kept
        is_t = pd.to_numeric(df[treated], errors="coerce").to_numpy(float, na_value=np.nan) == 1
        prep_df["__period"] = np.where(is_t, per_raw, -np.inf)
        finite &= is_t
    levels = np.unique(per_raw[finite])
    if not np.isin(float(ref), levels):
        raise ValueError(f"ref={ref!r} is not a value of {period_col!r}: {levels.tolist()}")
    start_v = float(start) if start is not None else _first_after(levels, float(ref))
    if placebo_date is not None:
        if event_time is not None:
            raise ValueError("placebo_date= needs time= mode (no event_time=)")
        pre_levels = levels[levels < start_v]
        if not np.isin(float(placebo_date), pre_levels) or float(placebo_date) == pre_levels[0]:
            raise ValueError(
                f"placebo_date must be a pre-policy wave after the first: one of "
                f"{pre_levels[1:].tolist()}"
            )
        keep = per_raw < start_v
        rows_in = rows_in[keep]
        prep_df = prep_df.loc[keep]
        start_v = float(placebo_date)
        ref = pre_levels[pre_levels < start_v][-1]
        levels = pre_levels
    prep = _prepare(
        prep_df, [outcome, treated, "__period", *numeric[2:]], weights=weight_col, absorb=absorb,
        cluster=cluster,
    )  # fmt: skip
    a = prep["arrays"]
    d, per = a[treated], a["__period"]
    check_binary(d, treated)
    n = d.size
    label = "event_time" if event_time is not None else time
    notes = missing_notes(prep)
    factors: dict[str, Factor] = prep["factors"]
    why_not = cluster_checks(factors, cluster, notes)
    if why_not:
        table = pd.DataFrame([invalid_row("treated", why_not)])
        res = EventStudyResult.from_estimates(
            table, method="event_study", options=options, nobs=n, level=level
        )
        add_cell_sizes(res.table, {}, (np.nan, np.nan))
        res.ref, res.notes, res.left_out = ref, tuple(notes), dict(prep["left_out"])
        res.pretrend_test = _no_test(why_not, np.nan)
        return res
    cols, names, periods = [], [], []
    for p in levels:
        if p == float(ref):
            continue
        cols.append(d * (per == p))
        names.append(f"treated:{label}={_fmt(p)}")
        periods.append(p)
    controls, cnames = [d], ["treated"]
    if time is not None and time not in absorb:
        t_vals = a[time] if time != period_col else per
        t_levels = np.unique(t_vals[np.isfinite(t_vals)])
        for p in t_levels[1:]:
            controls.append((t_vals == p).astype(float))
            cnames.append(f"{time}={_fmt(p)}")
    fit = fit_wls(
        a[outcome], [*controls, *cols], [*cnames, *names], weights=prep["w"],
        absorb=[factors[c] for c in absorb], cluster=factors[cluster] if cluster else None,
        cov_type=cov, keep_parts=design is not None,
    )  # fmt: skip
    adjust_fit(fit, cov)
    design_why = ""  # why the design-based variance cannot be computed
    if design is not None and fit.names:
        used = np.zeros(len(df), bool)
        used[rows_in if prep["keep"] is None else rows_in[prep["keep"]]] = True
        fit.vcov, fit.df_t, design_why = design_vcov(design, fit, used)
        fit.cov_type = "design"
        notes.append("design-based variance (strata, PSUs, fpc of the design), as R svyglm")
    dropped = [x for x in fit.dropped if x not in names]
    if dropped:
        notes.append(f"dropped as collinear with the fixed effects or other terms: {dropped}")
    est = table_from_fit(fit).set_index("term")
    rows = []
    for name, p, col in zip(names, periods, cols, strict=True):
        info = {"period": p, "pre": bool(p < start_v)}
        if name in est.index and design_why:
            rows.append(invalid_row(name, design_why, **info, df=fit.df_t))
        elif name in est.index:
            r = est.loc[name]
            rows.append({"term": name, **info, "estimate": r["estimate"],
                         "std_error": r["std_error"], "df": r["df"]})  # fmt: skip
        else:
            why = "no treated rows in this period" if not col.any() else "collinear term"
            rows.append(invalid_row(name, why, **info, df=fit.df_t))
    table = pd.DataFrame(rows) if rows else pd.DataFrame([invalid_row("treated", "no periods")])
    res = EventStudyResult.from_estimates(
        table, method="event_study", options=options, nobs=n, level=level
    )
    if inference == "wild":
        apply_wild(res, fit, names, reps=bootstrap_reps, weights=bootstrap_weights, seed=seed)
        notes.append(f"wild cluster bootstrap (restricted) of {len(res.bootstrap)} coefficients")
    clusters = factors[cluster].codes if cluster else None
    at_ref, treated_rows = per == float(ref), d == 1
    sizes = {}
    for name, p in zip(names, periods, strict=True):
        at_p = per == p
        cells = [treated_rows & at_p, treated_rows & at_ref]
        if event_time is not None:  # untreated rows carry no event time
            cells.append(~treated_rows)
        else:
            cells += [~treated_rows & at_p, ~treated_rows & at_ref]
        sizes[name] = smallest_cell(cells, clusters)
    add_cell_sizes(res.table, sizes, (np.nan, np.nan))
    kept = [t for t in names if t in fit.names]
    idx = [fit.names.index(t) for t in kept]
    res.vcov = pd.DataFrame(fit.vcov[np.ix_(idx, idx)], index=kept, columns=kept)
    res.ref, res.start, res.periods = ref, start_v, periods
    res.df_denom = fit.df_t
    res._cr2_fit = fit if fit.cr2 is not None else None
    df_denom = fit.df_t  # G - 1 with clusters (the HTZ tests under CR2 have their own)
    leads = [t for t, p in zip(names, periods, strict=True) if p < start_v and t in kept]
    res.pretrend_test = res.wald_test(leads) if leads else _no_test("no pre-period leads", df_denom)
    if placebo_date is not None:
        fake = [t for t, p in zip(names, periods, strict=True) if p >= start_v and t in kept]
        res.placebo_test = res.wald_test(fake) if fake else _no_test("no placebo terms", df_denom)
    res.notes = tuple(notes)
    res.left_out = dict(prep["left_out"])
    return res


def _no_test(reason: str, df_denom: float) -> WaldTest:
    return WaldTest(np.nan, (0, df_denom), np.nan, (), "F", reason)


def _first_after(levels: np.ndarray, ref: float) -> float:
    later = levels[levels > ref]
    return float(later[0]) if later.size else np.inf


def _fmt(p: float) -> str:
    return str(int(p)) if float(p).is_integer() else f"{p:g}"
