"""Equity and displacement: change from the pooled baseline by group (urban and rural schools,
weighted income quintiles) and the displacement of subject tutoring into non-subject and hidden
tutoring, each with design-based intervals (contrasts of domain means, linearised in one design).

Like the scorecard (:mod:`shuangjian_eval.publication.targets.scorecard`), these describe change over time
(before-after); they are not causal estimates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...estimation.results import EstimateResult, critical_value
from ...estimation.survey import SurveyDesign
from ...inputs import policy as _policy
from .. import suppression
from ._common import _WINDOWS
from .rules import PERIODS, VerdictRules
from .scorecard import _prepare, _Work

__all__ = [
    "change_by_group",
    "displacement",
    "income_quintile",
    "spend_by_income",
    "urban_rural_gaps",
]

_SUPPRESSED = "suppressed: fewer than {} respondents or {} schools in a cell"


def income_quintile(
    df: pd.DataFrame, *, weight: str = "weight", income: str = "household_income"
) -> pd.Series:
    """Weighted income quintile within each wave: "Q1" (lowest) to "Q5"; NA without income.

    A row's weighted mid-rank percentile ``(cumulative weight - weight / 2) / total`` among the
    wave's rows with income decides its quintile, so each quintile holds a fifth of the wave's
    weighted population (the definition of ``sje.synth``'s truth).
    """
    inc = pd.to_numeric(df[income], errors="coerce").to_numpy(float, na_value=np.nan)
    w = pd.to_numeric(df[weight], errors="coerce").to_numpy(float, na_value=np.nan)
    wave = pd.to_numeric(df["wave"], errors="coerce").to_numpy(float, na_value=np.nan)
    out = np.full(len(df), None, dtype=object)
    ok = np.flatnonzero(np.isfinite(inc) & np.isfinite(w) & np.isfinite(wave))
    # by wave, then income (ties in row order): one stable sort per wave, a third of the
    # time of one lexsort over every wave at national scale
    per_wave = [ok[wave[ok] == v] for v in np.unique(wave[ok])]
    order = np.concatenate(
        [rows[np.argsort(inc[rows], kind="stable")] for rows in per_wave] or [ok]
    )
    codes, _ = pd.factorize(wave[order])
    tot = np.bincount(codes, weights=w[order])
    cum = np.cumsum(w[order]) - (np.cumsum(tot) - tot)[codes]
    pct = (cum - w[order] / 2) / tot[codes]
    q = np.minimum((pct * 5).astype(np.int64), 4)
    out[order] = np.array([f"Q{i + 1}" for i in range(5)], dtype=object)[q]
    return pd.Series(out, index=df.index, name="income_quintile", dtype=object)


def _linear_z(
    y: np.ndarray, w: np.ndarray, cells: Sequence[tuple[np.ndarray, float]]
) -> tuple[float, np.ndarray]:
    """A contrast ``sum c_k * mean_k(y)`` of domain means and its influence values per row
    (NaN outside every cell), for the design-based variance of a total of those values."""
    z, est = np.full(len(y), np.nan), 0.0
    for mask, coef in cells:
        m = np.flatnonzero(mask & ~np.isnan(y))
        w_m, y_m = w[m], y[m]
        big_w = w_m.sum()
        if not big_w > 0:
            return np.nan, z
        mean = float((w_m * y_m).sum() / big_w)
        z[m] = np.nan_to_num(z[m]) + coef * (y_m - mean) / big_w
        est += coef * mean
    return est, z


def _contrasts(work: _Work, items: list[dict[str, Any]], level: float) -> pd.DataFrame:
    """Estimate linear contrasts (and ratios) of domain means in one design pass.

    Each item has ``z`` (influence values) and ``estimate``; a ratio item has ``denominator``
    (its se is that of the numerator's contrast over ``|denominator|``)."""
    values = {f"_z{i}": np.asarray(item["z"], dtype=float) for i, item in enumerate(items)}
    res = work.design()._totals(values, level=level, df="design").table
    std_error, df = res["std_error"].to_numpy(float), res["df"].to_numpy(float)
    valid_total, n = res["valid"].to_numpy(bool), res["n"].to_numpy(np.int64)
    reason_total = res["reason"].tolist()
    out = []
    for i, item in enumerate(items):
        scale = abs(item.get("denominator", 1.0))
        se = float(std_error[i]) / scale if scale > 0 else np.nan
        valid = bool(valid_total[i]) and np.isfinite(item["estimate"]) and np.isfinite(se)
        reason = item.get("reason") or ("" if valid else (reason_total[i] or "cannot be estimated"))
        out.append(
            {**item["labels"], "estimate": item["estimate"], "std_error": se, "df": df[i],
             "n": int(n[i]), "valid": valid and not item.get("reason"), "reason": reason}
        )  # fmt: skip
    return pd.DataFrame(out)


def change_by_group(
    df: pd.DataFrame | None,
    variables: str | Sequence[str],
    by: str,
    *,
    reference: Any = None,
    policy: _policy.Policy | None = None,
    region: str | None = None,
    design: SurveyDesign | None = None,
    level: float = 0.95,
    min_cell: int | None = None,
) -> EstimateResult:
    """Change from the pooled baseline at the 1-year and 3-year waves, by group.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical survey data (compulsory grades are the population, as in the scorecard).
    variables : str or list of str
        Numeric or boolean columns.
    by : str
        Group column (e.g. ``"urban"``, ``"income_quintile"``; the latter is computed with
        :func:`income_quintile` when absent).
    reference : optional
        A group of ``by``: adds, for every other group, the difference between its change and
        the reference group's change (``quantity="gap_change"``), with a design-based interval
        (both changes linearised in one design).
    policy, region, design
        As in :func:`scorecard`.
    level : float
        Confidence level.
    min_cell : int, optional
        A change whose baseline or follow-up cell has fewer respondents (default: the
        scorecard's rule, ``suppression.rule_for("scorecard")``) or fewer than ``min_psu``
        schools is suppressed: invalid, reason ``"suppressed: ..."``. So is a gap change that
        uses a suppressed group (the derived-statistic rule, ``suppression.derived``: its
        reason is ``suppression.DERIVED_REASON["en"]``).

    Returns
    -------
    EstimateResult
        Columns ``term``, ``variable``, ``window`` ("1y", "3y"), ``quantity`` ("change",
        "gap_change"), the ``by`` column, ``baseline``, ``follow_up`` (the two means of a
        change), then the inference columns, ``df``, ``n``, ``valid``, ``reason``.
        ``method="change_by_group"``; before-after, not causal.
    """
    pol = policy or _policy.load()
    variables = [variables] if isinstance(variables, str) else list(variables)
    src = df if df is not None else (design.data if design is not None else None)
    need_q = by == "income_quintile" and src is not None and by not in src.columns
    if need_q:
        src = src.assign(income_quintile=income_quintile(src))
    work = _prepare(src, pol, region, design, [*variables, by])
    vr = VerdictRules.from_policy(pol, {} if min_cell is None else {"min_cell": int(min_cell)})
    data = work.data
    group = data[by].astype(object).to_numpy()
    code, uniq = pd.factorize(group)  # missing groups: -1
    order = sorted(range(len(uniq)), key=lambda i: (str(type(uniq[i])), uniq[i]))
    groups = [uniq[i] for i in order]
    if reference is not None and reference not in groups:
        raise ValueError(f"reference {reference!r} is not a group of {by!r}: {groups}")
    in_group = {g: code == i for i, g in zip(order, groups, strict=True)}
    # respondents and schools are counted per "<group>|<period>" text, as cells are published
    text = pd.factorize(np.array([str(g) for g in uniq], dtype=object))[0]
    n_period = len(PERIODS)
    size = (int(text.max()) + 1 if len(text) else 0) * n_period
    cell = np.where(
        (code >= 0) & (work.period_code >= 0),
        np.append(text, 0)[code] * n_period + work.period_code,
        -1,
    )
    first_cell = {g: int(text[i]) * n_period for i, g in zip(order, groups, strict=True)}
    at = {p: work.period_code == i for i, p in enumerate(PERIODS)}
    w = data[work.spec["weight"]].to_numpy(float)
    small_cell = _SUPPRESSED.format(vr.min_cell, vr.min_psu)
    items: list[dict[str, Any]] = []
    for var in variables:
        y = pd.to_numeric(data[var], errors="coerce").to_numpy(float, na_value=np.nan)
        seen = ~np.isnan(y) & (cell >= 0)
        counts = np.bincount(cell[seen], minlength=size)
        psus = work.psu_counts(seen, cell, size)
        few = suppression.small_cells(
            pd.DataFrame({"n": counts, "n_psu": psus}), min_cell=vr.min_cell, min_psu=vr.min_psu
        ).to_numpy()
        base = {g: at["baseline"] & in_group[g] for g in groups}
        base_mean = {g: _linear_z(y, w, [(base[g], 1.0)])[0] for g in groups}
        for window, p in _WINDOWS.items():
            zs, small = {}, {}
            for g in groups:
                est, z = _linear_z(y, w, [(at[p] & in_group[g], 1.0), (base[g], -1.0)])
                zs[g] = (est, z)
                k = first_cell[g]
                ok = suppression.derived(few[[k + PERIODS.index("baseline"), k + PERIODS.index(p)]])
                small[g] = not ok.publishable
                labels = {"term": f"{var}: change {window} | {by}={g}", "variable": var,
                          "window": window, "quantity": "change", by: g,
                          "baseline": base_mean[g], "follow_up": est + base_mean[g]}  # fmt: skip
                items.append({"labels": labels, "z": z, "estimate": est,
                              "reason": small_cell if small[g] else ""})  # fmt: skip
            for g in groups if reference is not None else []:
                if g == reference:
                    continue
                (e1, z1), (e0, z0) = zs[g], zs[reference]
                z = np.where(
                    np.isnan(z1) & np.isnan(z0), np.nan, np.nan_to_num(z1) - np.nan_to_num(z0)
                )
                labels = {"term": f"{var}: gap change {window} | {by}={g} - {reference}",
                          "variable": var, "window": window, "quantity": "gap_change", by: g,
                          "baseline": np.nan, "follow_up": np.nan}  # fmt: skip
                gap = suppression.derived([small[g], small[reference]])
                reason = "" if gap.publishable else gap.reason["en"]
                items.append({"labels": labels, "z": z, "estimate": e1 - e0, "reason": reason})
    table = _contrasts(work, items, level)
    return EstimateResult.from_estimates(
        table,
        method="change_by_group",
        options={"variables": variables, "by": by, "reference": reference, "region": work.region,
                 "level": level, "design": "before_after", **work.spec},
        nobs=int((work.period_code >= 0).sum()),
        level=level,
    )  # fmt: skip


def spend_by_income(
    df: pd.DataFrame | None,
    *,
    variables: Sequence[str] = ("tutoring_spend_year", "tutoring_subject", "tutoring_spend_share"),
    reference: str | None = "Q1",
    **kwargs: Any,
) -> EstimateResult:
    """Change in tutoring spend and participation by weighted income quintile (within wave).

    Published evaluations find the falls concentrated in middle-income families (Wei & Kang
    2024: 40th-80th consumption percentiles); this shows whether the data agree. Gap changes are
    against the lowest quintile by default. Other options as :func:`change_by_group`.
    """
    return change_by_group(df, list(variables), "income_quintile", reference=reference, **kwargs)


def urban_rural_gaps(
    df: pd.DataFrame | None,
    *,
    variables: Sequence[str] = (
        "homework_min_weekday", "tutoring_subject", "tutoring_spend_year",
        "afterschool_participation", "sleep_meets_standard",
    ),
    **kwargs: Any,
) -> EstimateResult:  # fmt: skip
    """Change by urban (True) and rural (False) schools, and the urban-minus-rural gap change.
    Options as :func:`change_by_group`."""
    return change_by_group(df, list(variables), "urban", reference=False, **kwargs)


def displacement(
    df: pd.DataFrame | None,
    *,
    policy: _policy.Policy | None = None,
    region: str | None = None,
    design: SurveyDesign | None = None,
    level: float = 0.95,
    min_cell: int | None = None,
) -> EstimateResult:
    """Displacement of tutoring: changes in subject, non-subject, hidden and teacher-referred
    tutoring from the pooled baseline, and substitution ratios.

    A substitution ratio is the rise in non-subject (or hidden) tutoring per unit fall in
    subject tutoring, ``change(other) / -change(subject)``: 0.15 means 15 more students in
    hidden tutoring for every 100 fewer in subject tutoring. Its interval is by linearisation
    (``Var(A - r B) / B^2``, both changes in one design). It is invalid when subject tutoring
    did not fall significantly (the ratio then has no meaning). Before-after, not causal.

    A change whose baseline or follow-up cell has fewer than ``min_cell`` respondents (default:
    the scorecard's rule, ``suppression.rule_for("scorecard")``) or fewer than ``min_psu``
    schools is suppressed: invalid, reason ``"suppressed: ..."``, as in
    :func:`change_by_group`; a ratio that uses a suppressed cell (of its variable or of subject
    tutoring) is suppressed too (``suppression.derived``, ``suppression.DERIVED_REASON``).

    Returns
    -------
    EstimateResult
        Terms ``"<variable>: change 1y"`` ... and ``"substitution <variable> 1y"`` ...;
        columns ``variable``, ``window``, ``quantity`` ("change" or "substitution_ratio").
    """
    pol = policy or _policy.load()
    names = [
        "tutoring_subject",
        "tutoring_nonsubject",
        "tutoring_hidden",
        "teacher_referred_tutoring",
    ]
    src = df if df is not None else design.data if design is not None else None
    names = [v for v in names if src is None or v in src.columns]
    work = _prepare(df, pol, region, design, names)
    vr = VerdictRules.from_policy(pol, {} if min_cell is None else {"min_cell": int(min_cell)})
    data = work.data
    period = work.period_code
    w = data[work.spec["weight"]].to_numpy(float)
    ys = {
        v: pd.to_numeric(data[v], errors="coerce").to_numpy(float, na_value=np.nan) for v in names
    }
    small = {}  # (variable, period) -> too few respondents or schools to publish
    for v in names:
        seen = ~np.isnan(ys[v]) & (period >= 0)
        counts = np.bincount(period[seen], minlength=len(PERIODS))
        psus = work.psu_counts(seen, period, len(PERIODS))
        for i, p in enumerate(PERIODS):
            small[v, p] = suppression.is_small(
                counts[i], psus[i], min_cell=vr.min_cell, min_psu=vr.min_psu
            )
    suppressed = _SUPPRESSED.format(vr.min_cell, vr.min_psu)
    items = []
    for window, p in _WINDOWS.items():
        cells = [(period == PERIODS.index(p), 1.0), (period == PERIODS.index("baseline"), -1.0)]
        changes = {v: _linear_z(ys[v], w, cells) for v in names}
        for v in names:
            est, z = changes[v]
            ok = suppression.derived([small[v, "baseline"], small[v, p]]).publishable
            reason = "" if ok else suppressed
            items.append({"labels": {"term": f"{v}: change {window}", "variable": v,
                                     "window": window, "quantity": "change"},
                          "z": z, "estimate": est, "reason": reason})  # fmt: skip
        if "tutoring_subject" not in changes:
            continue
        drop, z_s = changes["tutoring_subject"]
        drop = -drop
        for v in ("tutoring_nonsubject", "tutoring_hidden"):
            if v not in changes:
                continue
            rise, z_v = changes[v]
            ratio = rise / drop if drop != 0 else np.nan
            z = np.where(
                np.isnan(z_v) & np.isnan(z_s),
                np.nan,
                np.nan_to_num(z_v) + ratio * np.nan_to_num(z_s),
            )
            uses = suppression.derived(
                [small[u, q] for u in (v, "tutoring_subject") for q in ("baseline", p)]
            )
            items.append({"labels": {"term": f"substitution {v} {window}", "variable": v,
                                     "window": window, "quantity": "substitution_ratio"},
                          "z": z, "estimate": ratio, "denominator": drop, "_subject": True,
                          "reason": uses.reason.get("en", "")})  # fmt: skip
    table = _contrasts(work, items, level)
    # a ratio needs a significant fall in subject tutoring
    for window in _WINDOWS:
        sub = table[(table["variable"] == "tutoring_subject") & (table["window"] == window)]
        if sub.empty:
            continue
        s = sub.iloc[0]
        q = critical_value(level, s["df"] if np.isfinite(s["df"]) and s["df"] > 0 else None)
        if not (s["valid"] and s["estimate"] + q * s["std_error"] < 0):
            bad = (table["quantity"] == "substitution_ratio") & (table["window"] == window)
            bad &= table["valid"].astype(bool)  # a suppressed ratio keeps its reason
            table.loc[bad, "valid"] = False
            table.loc[bad, "reason"] = "subject tutoring did not fall significantly"
    return EstimateResult.from_estimates(
        table,
        method="displacement",
        options={"region": work.region, "level": level, "design": "before_after", **work.spec},
        nobs=int((period >= 0).sum()),
        level=level,
    )
