"""Supervision indicators with the official definitions, by county (or any grouping) and
reporting period, from the canonical tables of :mod:`shuangjian_eval.inputs.supervision`.

Every function returns a tidy frame: the grouping columns, ``indicator`` (a key of
:data:`INDICATORS`), ``value``, ``numerator`` and ``denominator`` (what the value is the ratio
of; the denominator counts the units a share rests on, for the small-cell rule), and for the
registry and the cases the ``category`` (delivery or violation; empty otherwise).

- schools (作业、课后服务): the shares of schools with a homework publicity system, meeting the
  homework-time standard, setting no homework for parents, offering after-school service,
  meeting "5+2" (the codebook's derived ``afterschool_time_ok``: policy.yaml
  ``afterschool_service``), with a funding mechanism; the after-school participation rate
  (students taking part over enrolment) and the teachers' rate;
- institutions (学科类机构压减): subject institutions at the baseline period (policy.yaml
  ``supervision.baseline.period``), remaining (operating or suspended), cut (closed or
  converted to non-subject) and the share cut, offline and online; among operating subject
  institutions the shares following the government-guided price, using the model contract and
  with prepaid fees under custody;
- cases (执法): cases by violation, and per 10,000 students of the county's school returns;
- complaints (群众举报): tip-offs received, the shares verified, closed and closed within the
  deadline (policy.yaml ``supervision.tipoff_deadline.days``), and the median days to close,
  by the period they were received in;
- the half-monthly county sheet: the same indicators where its columns allow
  (:func:`sheet_indicators`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...inputs import codebook as _codebook
from ...inputs import policy as _policy
from ...inputs.supervision import period_of

__all__ = [
    "INDICATORS",
    "INDICATOR_COLUMNS",
    "case_indicators",
    "complaint_indicators",
    "indicators",
    "institution_indicators",
    "national_figures",
    "school_indicators",
    "sheet_indicators",
]

#: indicator -> unit ("share", "count", "per 10,000 students", "days")
INDICATORS: dict[str, str] = {
    "schools": "count",
    "homework_publicity_share": "share",
    "homework_time_ok_share": "share",
    "no_parent_homework_share": "share",
    "afterschool_offered_share": "share",
    "afterschool_time_ok_share": "share",
    "funding_mechanism_share": "share",
    "afterschool_participation_rate": "share",
    "teacher_participation_rate": "share",
    "subject_institutions_baseline": "count",
    "subject_institutions_remaining": "count",
    "subject_institutions_cut": "count",
    "subject_institutions_cut_share": "share",
    "guided_price_share": "share",
    "model_contract_share": "share",
    "prepaid_custody_share": "share",
    "cases": "count",
    "cases_per_10k_students": "per 10,000 students",
    "tipoffs_received": "count",
    "tipoffs_verified_share": "share",
    "tipoffs_closed_share": "share",
    "tipoffs_closed_in_time_share": "share",
    "tipoffs_median_days": "days",
}
INDICATOR_COLUMNS = ["indicator", "category", "value", "numerator", "denominator"]
_SCHOOL_SHARES = {
    "homework_publicity_share": "homework_publicity",
    "homework_time_ok_share": "homework_time_ok",
    "no_parent_homework_share": "no_parent_homework",
    "afterschool_offered_share": "afterschool_offered",
    "afterschool_time_ok_share": "afterschool_time_ok",
    "funding_mechanism_share": "funding_mechanism",
}
_RATES = {
    "afterschool_participation_rate": ("students_afterschool", "enrolment"),
    "teacher_participation_rate": ("teachers_afterschool", "teachers"),
}


def _tidy(groups: pd.DataFrame, by: list[str], name: str, num: Any, den: Any,
          category: str = "", ratio: bool = True) -> pd.DataFrame:  # fmt: skip
    """One indicator's rows: value = num / den (or num itself when not a ratio)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(den > 0, num / den, np.nan) if ratio else num
    out = groups[by].copy() if by else pd.DataFrame(index=range(len(num)))
    out = out.reset_index(drop=True)
    out["indicator"], out["category"], out["value"] = name, category, value
    out["numerator"], out["denominator"] = num, den
    return out


def _grouped(df: pd.DataFrame, by: list[str]) -> pd.core.groupby.DataFrameGroupBy:
    keys = by if by else np.zeros(len(df), dtype=int)
    return df.groupby(keys, observed=True, sort=True)


def _keys(agg: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return agg.reset_index()[by] if by else pd.DataFrame(index=range(len(agg)))


def _yes_known(
    df: pd.DataFrame, col: str, by: list[str], index: pd.Index
) -> tuple[np.ndarray, np.ndarray]:
    """Per group (in the order of ``index``): rows answering True, and rows answered."""
    flags = pd.DataFrame({"yes": (df[col] == True).fillna(False).astype(float),  # noqa: E712
                          "known": df[col].notna().astype(float)})  # fmt: skip
    sums = _grouped(flags.assign(**{c: df[c] for c in by}), by)[["yes", "known"]].sum()
    sums = sums.reindex(index).fillna(0.0)
    return sums["yes"].to_numpy(), sums["known"].to_numpy()


def school_indicators(
    returns: pd.DataFrame, by: Sequence[str] = ("county", "period")
) -> pd.DataFrame:
    """Shares of schools meeting each standard and the participation rates (see the module)."""
    by = list(by)
    g = _grouped(returns, by)
    n = g.size()
    keys = _keys(n.to_frame(), by)
    parts = [_tidy(keys, by, "schools", n.to_numpy(), n.to_numpy(), ratio=False)]
    for name, col in _SCHOOL_SHARES.items():
        if col not in returns.columns:
            continue
        yes, known = _yes_known(returns, col, by, n.index)
        parts.append(_tidy(keys, by, name, yes, known))
    for name, (num, den) in _RATES.items():
        if num in returns.columns and den in returns.columns:
            both = returns[returns[num].notna() & returns[den].notna()]
            gb = _grouped(both, by)
            sums = gb[[num, den]].sum().reindex(n.index).fillna(0.0)
            parts.append(_tidy(keys, by, name, sums[num].to_numpy(), sums[den].to_numpy()))
    return pd.concat(parts, ignore_index=True)


def _baseline(policy: _policy.Policy | None) -> pd.Timestamp:
    return pd.Timestamp((policy or _policy.load()).supervision["baseline"]["period"])


def institution_indicators(
    registry: pd.DataFrame,
    by: Sequence[str] = ("county", "period"),
    *,
    baseline: Any = None,
    policy: _policy.Policy | None = None,
) -> pd.DataFrame:
    """Subject institutions cut since the baseline, offline and online; price, contract and
    prepaid-fee compliance of the operating ones (see the module)."""
    by = list(by)
    base_day = pd.Timestamp(baseline) if baseline is not None else _baseline(policy)
    subj = registry[registry["subject"] == "subject"]
    subj = subj.assign(**{c: subj[c].astype(str) for c in ("delivery", "status")})
    if not (subj["period"] == base_day).any():
        raise ValueError(
            f"the registry has no subject institutions in the baseline period "
            f"{base_day:%Y-%m-%d} (policy.yaml supervision.baseline); pass baseline= "
            f"one of its periods: {', '.join(sorted({f'{p:%Y-%m-%d}' for p in registry['period']}))}"
        )
    if "period" not in by:
        raise ValueError("institution counts are of one period each: by= must include 'period'")
    parts = []
    place = [c for c in by if c != "period"]
    for delivery in ("offline", "online"):
        mine = subj[subj["delivery"] == delivery]
        groups = _grouped(mine, by).size()
        keys = _keys(groups.to_frame(), by)
        live = mine[mine["status"].isin(["operating", "suspended"])]
        rem = _grouped(live, by).size().reindex(groups.index).fillna(0).to_numpy(float)
        at_base = mine[mine["period"] == base_day]
        if place:
            counts = at_base.groupby(place, observed=True).size().rename("_n").reset_index()
            b = keys.merge(counts, on=place, how="left")["_n"].fillna(0).to_numpy(float)
        else:
            b = np.full(len(keys), float(len(at_base)))
        parts += [
            _tidy(keys, by, "subject_institutions_baseline", b, b, delivery, ratio=False),
            _tidy(keys, by, "subject_institutions_remaining", rem, b, delivery, ratio=False),
            _tidy(keys, by, "subject_institutions_cut", b - rem, b, delivery, ratio=False),
            _tidy(keys, by, "subject_institutions_cut_share", b - rem, b, delivery),
        ]
    ops = subj[subj["status"] == "operating"]
    g = _grouped(ops, by)
    n = g.size()
    keys = _keys(n.to_frame(), by)
    for name, col in (("guided_price_share", "guided_price"), ("model_contract_share", "model_contract"),
                      ("prepaid_custody_share", "prepaid_custody")):  # fmt: skip
        if col in ops.columns:
            yes, known = _yes_known(ops, col, by, n.index)
            parts.append(_tidy(keys, by, name, yes, known))
    return pd.concat(parts, ignore_index=True)


def case_indicators(
    cases: pd.DataFrame,
    returns: pd.DataFrame,
    by: Sequence[str] = ("county", "period"),
) -> pd.DataFrame:
    """Cases by violation and per 10,000 students (the enrolment of the county's school returns
    in the period; over several periods, the mean enrolment of those periods). Each case is
    counted in the first period of ``returns`` on or after the day it was opened."""
    by = list(by)
    periods = sorted(returns["period"].unique())
    c = cases.assign(period=period_of(cases["date"], periods))
    per = returns.groupby([x for x in ("county", "period") if x in returns.columns or x == "period"],
                          observed=True)["enrolment"].sum().rename("students").reset_index()  # fmt: skip
    place = [x for x in by if x != "period"]
    if "period" in by:
        students = per.groupby(by, observed=True)["students"].sum()
    else:  # several periods pooled: cases over the periods, students a period on average
        students = per.groupby(place, observed=True)["students"].mean() if place \
            else pd.Series([per.groupby("period")["students"].sum().mean()])  # fmt: skip
    keys = _keys(students.to_frame(), by)
    parts = []
    cb = _codebook.load().table("cases")
    for violation in [*cb["violation"].categories, ""]:
        mine = c if violation == "" else c[c["violation"] == violation]
        counts = _grouped(mine, by).size()
        counts = counts.reindex(students.index).fillna(0).to_numpy(float)
        den = students.to_numpy(float)
        parts.append(_tidy(keys, by, "cases", counts, den, violation, ratio=False))
        parts.append(_tidy(keys, by, "cases_per_10k_students", counts * 1e4, den, violation))
    return pd.concat(parts, ignore_index=True)


def complaint_indicators(
    complaints: pd.DataFrame,
    periods: Sequence[Any],
    by: Sequence[str] = ("county", "period"),
    *,
    deadline_days: int | None = None,
    policy: _policy.Policy | None = None,
) -> pd.DataFrame:
    """Tip-offs by the period they were received in: received, the shares verified, closed and
    closed within ``deadline_days`` of receipt (default policy.yaml
    ``supervision.tipoff_deadline.days``), and the median days to close of those closed."""
    by = list(by)
    days_allowed = deadline_days
    if days_allowed is None:
        days_allowed = int((policy or _policy.load()).supervision["tipoff_deadline"]["days"])
    c = complaints.assign(period=period_of(complaints["received"], periods))
    c = c[c["period"].notna()]
    days = (c["closed"] - c["received"]).dt.days
    c = c.assign(_days=days, _closed=c["closed"].notna(), _in_time=days <= days_allowed,
                 _verified=c["verified"] == True)  # noqa: E712  # fmt: skip
    g = _grouped(c, by)
    n = g.size()
    keys = _keys(n.to_frame(), by)
    nn = n.to_numpy(float)
    median = g["_days"].median().to_numpy(float)
    closed = g["_closed"].sum().to_numpy(float)
    return pd.concat([
        _tidy(keys, by, "tipoffs_received", nn, nn, ratio=False),
        _tidy(keys, by, "tipoffs_verified_share", g["_verified"].sum().to_numpy(float),
              g["verified"].count().to_numpy(float)),
        _tidy(keys, by, "tipoffs_closed_share", closed, nn),
        _tidy(keys, by, "tipoffs_closed_in_time_share", g["_in_time"].sum().to_numpy(float), nn),
        _tidy(keys, by, "tipoffs_median_days", median, closed, ratio=False),
    ], ignore_index=True)  # fmt: skip


def sheet_indicators(sheet: pd.DataFrame, by: Sequence[str] = ("county", "period")) -> pd.DataFrame:
    """The indicators a half-monthly county sheet allows (its counts added up over ``by``):
    the shares of schools meeting each standard, subject institutions remaining and cut
    (the cut over remaining + cut), tip-offs received and the share closed."""
    by = list(by)
    g = _grouped(sheet, by)
    s = g.sum(numeric_only=True)
    keys = _keys(s, by)
    schools = s["schools"].to_numpy(float)
    parts = [_tidy(keys, by, "schools", schools, schools, ratio=False)]
    for name, col in (("homework_publicity_share", "schools_homework_publicity"),
                      ("homework_time_ok_share", "schools_homework_time_ok"),
                      ("no_parent_homework_share", "schools_no_parent_homework"),
                      ("afterschool_offered_share", "schools_afterschool"),
                      ("afterschool_time_ok_share", "schools_afterschool_time_ok")):  # fmt: skip
        if col in s.columns:
            parts.append(_tidy(keys, by, name, s[col].to_numpy(float), schools))
    remaining = s[["institutions_online", "institutions_offline"]].sum(axis=1).to_numpy(float)
    cut = s["institutions_cut"].to_numpy(float)
    parts += [
        _tidy(keys, by, "subject_institutions_remaining", remaining, cut + remaining, "all", ratio=False),
        _tidy(keys, by, "subject_institutions_cut", cut, cut + remaining, "all", ratio=False),
        _tidy(keys, by, "subject_institutions_cut_share", cut, cut + remaining, "all"),
        _tidy(keys, by, "tipoffs_received", s["tipoffs_received"].to_numpy(float),
              s["tipoffs_received"].to_numpy(float), ratio=False),
        _tidy(keys, by, "tipoffs_closed_share", s["tipoffs_closed"].to_numpy(float),
              s["tipoffs_received"].to_numpy(float)),
    ]  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def indicators(tables: dict[str, pd.DataFrame], by: Sequence[str] = ("county", "period"),
               **options: Any) -> pd.DataFrame:  # fmt: skip
    """All indicators the given tables allow (keys: the table names), one tidy frame, with a
    ``table`` column naming the source."""
    parts = []
    if "school_returns" in tables:
        parts.append(school_indicators(tables["school_returns"], by).assign(table="school_returns"))
    if "institutions" in tables:
        inst = institution_indicators(tables["institutions"], by, baseline=options.get("baseline"))
        parts.append(inst.assign(table="institutions"))
    if "cases" in tables and "school_returns" in tables:
        cases = case_indicators(tables["cases"], tables["school_returns"], by)
        parts.append(cases.assign(table="cases"))
    if "complaints" in tables:
        periods = sorted(tables["school_returns"]["period"].unique()) if "school_returns" in tables \
            else sorted(tables["half_monthly"]["period"].unique())  # fmt: skip
        comp = complaint_indicators(tables["complaints"], periods, by,
                                    deadline_days=options.get("deadline_days"))  # fmt: skip
        parts.append(comp.assign(table="complaints"))
    if "half_monthly" in tables and "school_returns" not in tables:
        parts.append(sheet_indicators(tables["half_monthly"], by).assign(table="half_monthly"))
    if not parts:
        raise ValueError(f"no supervision table among {sorted(tables)}")
    return pd.concat(parts, ignore_index=True)


def national_figures(policy: _policy.Policy | None = None) -> pd.DataFrame:
    """The national figures the supervision indicators stand beside (policy.yaml
    ``official_figures``): subject institutions cut offline and online at one year, and the
    after-school participation at three years, each with its date, source and status."""
    pol = policy or _policy.load()
    keep = {"subject_institutions_offline": ("subject_institutions_cut_share", "offline"),
            "subject_institutions_online": ("subject_institutions_cut_share", "online"),
            "afterschool_participation": ("afterschool_participation_rate", "")}  # fmt: skip
    rows = []
    for f in pol.official_figures():
        if f["indicator"] in keep:
            ind, cat = keep[f["indicator"]]
            value = -float(f["value"]) if "value" in f else float(f["after"])
            rows.append({"indicator": ind, "category": cat, "value": value,
                         "date": str(f["date"]), "zh": f["zh"], "en": f["en"],
                         "source": f["source"], "status": f["status"]})  # fmt: skip
    return pd.DataFrame(rows)
