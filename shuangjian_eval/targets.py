"""Standards compliance and the 1-year / 3-year scorecard of the Double Reduction targets.

The opinions of 24 July 2021 set the target "1年内有效减轻、3年内成效显著" (burdens effectively
reduced within 1 year, remarkable results within 3 years). :func:`scorecard` turns survey data
into one row per indicator: design-based estimates at the pooled baseline waves, the 1-year wave
and the 3-year wave (``policy.yaml``: ``targets``), the changes with confidence intervals, a
verdict per window, and the official national figure beside it.

Verdict rules
-------------
Defaults in ``policy.yaml`` (``targets.verdict``), overridable by argument; :func:`rules_text`
prints them in zh or en and every :class:`Scorecard` carries that text.

- Change: estimate at the window's wave minus the pooled-baseline estimate, with a
  design-based interval (:meth:`SurveyDesign.mean_diff`: one design, so schools surveyed in
  both periods enter with their covariance). Improvement ``g = s * change``, with ``s = -1``
  for an indicator whose good direction is "decrease" and ``+1`` for "increase"; ``[gL, gU]``
  its interval.
- Threshold ``T``: ``rate * |baseline - ideal|``, with ``rate`` 0.10 (1 year) or 0.25 (3 years)
  and ``ideal`` the indicator's burden-free value (0 minutes, 0 yuan, 0 % taking tutoring, 100 %
  within the homework limit, 1 on the 1-5 anxiety scale). For burdens measured from zero this
  is the "10 % of baseline" rule; for a share that should rise it is 10 % of the shortfall, so
  a target is always reachable. With ``share_scale="points"``, shares use fixed percentage
  points instead (0.05 and 0.10).
- ``classify(T)``: "met" when ``gL > 0`` and ``g >= T`` (``met_rule="estimate"``; with
  ``"lower_bound"``: when ``gL >= T``); "not_met" when ``gU < T`` (the data rule out reaching
  the threshold: no change, too small a change, or a change for the worse); otherwise
  "inconclusive" (the interval holds values on both sides of the threshold).
- 1-year verdict: ``classify(T_1y)`` "met" -> ``"effective"``, "not_met" -> ``"not_met"``,
  else ``"inconclusive"``.
- 3-year verdict: ``classify(T_3y)`` "met" -> ``"remarkable"``; else ``classify(T_1y)`` "met"
  -> ``"effective"`` (the 1-year standard holds at 3 years, remarkable results are not shown);
  else ``classify(T_3y)`` "not_met" -> ``"not_met"``; else ``"inconclusive"``.
- ``"insufficient"`` before any of this when the data cannot be used: a wave missing, the
  indicator not observed (``policy_satisfaction`` is asked only after the policy, so it has no
  baseline), a cell with fewer than ``min_n`` (30) respondents or ``min_psu`` (2) schools
  (suppressed: its numbers are blanked, never published), an invalid estimate, or a baseline
  at the burden-free value (no relative threshold).

``"inconclusive"`` is a fifth code beside the four of the contract (``"remarkable"``,
``"effective"``, ``"not_met"``, ``"insufficient"``): the data are usable but cannot tell.

Region
------
``region`` (a county name) is a domain of the full design, not a subset: every school and
stratum stays in the variance computation (rows outside the region count as zeros), as R's
``svyby`` does. Where strata nest in counties, as in the demo design, this gives the same numbers
as subsetting; where they do not, it is the correct one.

The scorecard describes change over time (before-after). It is not a causal estimate: COVID
school closures, questionnaire changes and earlier rules move the same indicators; see
:mod:`shuangjian_eval.effects` for difference-in-differences and event studies.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import codebook as _codebook
from . import policy as _policy
from .results import EstimateResult, critical_value
from .survey import SurveyDesign

__all__ = [
    "CONTRACT_COLUMNS",
    "VERDICTS",
    "Indicator",
    "Scorecard",
    "VerdictRules",
    "change_by_group",
    "classify",
    "default_indicators",
    "displacement",
    "income_quintile",
    "rules_text",
    "scorecard",
    "spend_by_income",
    "urban_rural_gaps",
    "window_verdict",
]

#: Verdict codes; the first four are the contract, "inconclusive" is documented above.
VERDICTS: tuple[str, ...] = ("remarkable", "effective", "not_met", "inconclusive", "insufficient")

#: Columns of :meth:`Scorecard.to_frame`, in this order (further columns follow them).
CONTRACT_COLUMNS: tuple[str, ...] = tuple(
    "indicator label_zh label_en unit direction baseline baseline_ci_lower baseline_ci_upper "
    "one_year one_year_ci_lower one_year_ci_upper three_year three_year_ci_lower "
    "three_year_ci_upper change_1y change_1y_ci_lower change_1y_ci_upper change_3y "
    "change_3y_ci_lower change_3y_ci_upper verdict_1y verdict_3y n suppressed official_figure "
    "official_source".split()
)

VERDICT_LABELS = {
    "zh": {
        "remarkable": "成效显著",
        "effective": "有效减轻",
        "not_met": "未达到",
        "inconclusive": "尚无定论",
        "insufficient": "数据不足",
    },
    "en": {
        "remarkable": "remarkable",
        "effective": "effective",
        "not_met": "not met",
        "inconclusive": "inconclusive",
        "insufficient": "insufficient data",
    },
}

PERIODS: tuple[str, ...] = ("baseline", "one_year", "three_year")
_WINDOWS = {"1y": "one_year", "3y": "three_year"}
_SUPPRESSED = "suppressed: fewer than {} respondents or {} schools in a cell"
_DESIGN_DEFAULT = {"weight": "weight", "strata": "stratum", "psu": "school_id", "fpc": None}


def _check_lang(lang: str) -> None:
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")


# ------------------------------------------------------------------------------ verdict rules
@dataclass(frozen=True)
class VerdictRules:
    """Thresholds and data rules of the verdicts (defaults: ``policy.yaml`` ``targets.verdict``).

    Attributes
    ----------
    level : float
        Confidence level of every interval (0.95).
    effective, remarkable : float
        Share of the baseline gap to the burden-free value that the improvement must reach at
        1 year (0.10) and at 3 years (0.25).
    share_scale : {"relative", "points"}
        Shares use the relative rule, or fixed percentage points (``effective_points``,
        ``remarkable_points``, as proportions: 0.05 is 5 points).
    met_rule : {"estimate", "lower_bound"}
        "estimate": the interval excludes no improvement and the estimate reaches the threshold;
        "lower_bound": the interval's lower end reaches the threshold (stricter).
    min_n, min_psu : int
        A cell (indicator x period) with fewer respondents or schools is suppressed.
    """

    level: float = 0.95
    effective: float = 0.10
    remarkable: float = 0.25
    share_scale: str = "relative"
    effective_points: float = 0.05
    remarkable_points: float = 0.10
    met_rule: str = "estimate"
    min_n: int = 30
    min_psu: int = 2

    def __post_init__(self) -> None:
        if not 0 < self.level < 1:
            raise ValueError(f"level must be in (0, 1), got {self.level!r}")
        for name in ("effective", "remarkable", "effective_points", "remarkable_points"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        if self.remarkable < self.effective or self.remarkable_points < self.effective_points:
            raise ValueError("the 3-year (remarkable) threshold must not be below the 1-year one")
        if self.share_scale not in ("relative", "points"):
            raise ValueError(
                f"share_scale must be 'relative' or 'points', got {self.share_scale!r}"
            )
        if self.met_rule not in ("estimate", "lower_bound"):
            raise ValueError(f"met_rule must be 'estimate' or 'lower_bound', got {self.met_rule!r}")
        if int(self.min_n) < 1 or int(self.min_psu) < 1:
            raise ValueError("min_n and min_psu must be at least 1")

    @classmethod
    def from_policy(
        cls,
        policy: _policy.Policy | None = None,
        overrides: VerdictRules | Mapping[str, Any] | None = None,
    ) -> VerdictRules:
        """Rules from ``policy.yaml``, with ``overrides`` (a mapping of fields, or a full set)."""
        if isinstance(overrides, VerdictRules):
            return overrides
        names = [f.name for f in dataclasses.fields(cls)]
        base = {k: v for k, v in (policy or _policy.load()).verdict_rules.items() if k in names}
        extra = dict(overrides or {})
        bad = sorted(set(extra) - set(names))
        if bad:
            raise ValueError(f"unknown verdict rule(s) {bad}; valid: {', '.join(names)}")
        return cls(**{**base, **extra})

    def threshold(self, indicator: Indicator, baseline: float, window: str) -> float:
        """Improvement the indicator must reach at ``window`` ("1y" or "3y"), in its units.

        NaN when it cannot be set: a relative rule with the baseline at the burden-free value.
        """
        rate = self.effective if window == "1y" else self.remarkable
        if indicator.kind == "share" and self.share_scale == "points":
            return self.effective_points if window == "1y" else self.remarkable_points
        gap = abs(float(baseline) - indicator.ideal)
        return rate * gap if gap > 1e-12 else np.nan


def classify(
    improvement: float, lower: float, upper: float, threshold: float, met_rule: str = "estimate"
) -> str:
    """Whether an improvement reached a threshold: "met", "not_met" or "inconclusive".

    Parameters
    ----------
    improvement, lower, upper : float
        Improvement (change times the good direction's sign) and its interval.
    threshold : float
        Positive threshold in the same units.
    met_rule : {"estimate", "lower_bound"}
        See :class:`VerdictRules`.
    """
    g, lo, hi = float(improvement), float(min(lower, upper)), float(max(lower, upper))
    met = lo >= threshold if met_rule == "lower_bound" else (lo > 0 and g >= threshold)
    if met:
        return "met"
    return "not_met" if hi < threshold else "inconclusive"


def window_verdict(
    window: str,
    improvement: float,
    lower: float,
    upper: float,
    t_effective: float,
    t_remarkable: float,
    met_rule: str = "estimate",
) -> str:
    """Verdict code of one window ("1y" or "3y") from the improvement and its interval."""
    c1 = classify(improvement, lower, upper, t_effective, met_rule)
    if window == "1y":
        return {"met": "effective", "not_met": "not_met"}.get(c1, "inconclusive")
    c3 = classify(improvement, lower, upper, t_remarkable, met_rule)
    if c3 == "met":
        return "remarkable"
    if c1 == "met":
        return "effective"
    return "not_met" if c3 == "not_met" else "inconclusive"


# ------------------------------------------------------------------------------ indicators
@dataclass(frozen=True)
class Indicator:
    """One scorecard indicator.

    Attributes
    ----------
    id : str
        Indicator name (the ``indicator`` column).
    variable : str
        Codebook variable it is computed from.
    kind : {"mean", "share"}
        A weighted mean, or a proportion (of True, or of ``satisfied_from`` and above).
    direction : {"decrease", "increase"}
        Good direction.
    ideal : float
        Burden-free value, from which the relative thresholds are measured.
    unit : str
        Unit of the estimates ("share": proportions 0-1, changes in proportion points).
    label : dict
        zh and en labels.
    stage : str, optional
        Restrict to one stage (a domain of the design); all compulsory grades otherwise.
    satisfied_from : int, optional
        For a 1-5 item: the share answering this value or higher.
    """

    id: str
    variable: str
    kind: str
    direction: str
    ideal: float
    unit: str
    label: dict[str, str]
    stage: str | None = None
    satisfied_from: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("mean", "share") or self.direction not in ("decrease", "increase"):
            raise ValueError(f"indicator {self.id!r}: bad kind or direction")

    @property
    def sign(self) -> int:
        return 1 if self.direction == "increase" else -1

    def values(self, df: pd.DataFrame) -> np.ndarray:
        """The indicator's value per row (float, NaN where not observed)."""
        y = pd.to_numeric(df[self.variable], errors="coerce").to_numpy(float, na_value=np.nan)
        if self.satisfied_from is not None:
            y = np.where(np.isnan(y), np.nan, (y >= self.satisfied_from).astype(float))
        return y


def default_indicators(policy: _policy.Policy | None = None) -> tuple[Indicator, ...]:
    """The scorecard's indicators, labelled from the codebook and the policy's standards."""
    pol, cb = policy or _policy.load(), _codebook.load()

    def ind(id_: str, var: str, kind: str, direction: str, ideal: float, **kw: Any) -> Indicator:
        v = cb[var]
        unit = kw.pop("unit", v.unit or "share")
        return Indicator(id_, var, kind, direction, ideal, unit, kw.pop("label", v.label), **kw)

    stage_rows = []
    for stage in pol.stages:
        limit = pol.homework_limit_for_stage(stage)
        if np.isnan(limit):
            continue
        name = cb["stage"].categories[stage]
        rule = (
            {"zh": "不布置书面作业", "en": "no written homework"}
            if limit == 0
            else {"zh": f"不超过{limit:g}分钟", "en": f"at most {limit:g} minutes"}
        )
        label = {
            "zh": f"作业时长达标({name['zh']},{rule['zh']})",
            "en": f"Homework within the limit ({name['en']}: {rule['en']})",
        }
        stage_rows.append(
            ind(f"homework_within_limit_{stage}", "homework_within_limit", "share", "increase",
                1.0, label=label, stage=stage)
        )  # fmt: skip
    satisfied = {"zh": "(4-5分)比例", "en": " (share scoring 4-5)"}
    return (
        ind("homework_min_weekday", "homework_min_weekday", "mean", "decrease", 0.0),
        ind("homework_within_limit", "homework_within_limit", "share", "increase", 1.0),
        *stage_rows,
        ind("tutoring_subject", "tutoring_subject", "share", "decrease", 0.0),
        ind("tutoring_spend_year", "tutoring_spend_year", "mean", "decrease", 0.0),
        ind("tutoring_spend_share", "tutoring_spend_share", "mean", "decrease", 0.0),
        ind("tutoring_hidden", "tutoring_hidden", "share", "decrease", 0.0),
        ind("sleep_meets_standard", "sleep_meets_standard", "share", "increase", 1.0),
        ind("afterschool_participation", "afterschool_participation", "share", "increase", 1.0),
        ind("parent_anxiety", "parent_anxiety", "mean", "decrease", 1.0),
        ind("afterschool_satisfied", "afterschool_satisfaction", "share", "increase", 1.0,
            unit="share", satisfied_from=4,
            label={"zh": "课后服务满意" + satisfied["zh"],
                   "en": "Satisfied with after-school service" + satisfied["en"]}),
        ind("policy_satisfied", "policy_satisfaction", "share", "increase", 1.0,
            unit="share", satisfied_from=4,
            label={"zh": "对双减政策满意" + satisfied["zh"],
                   "en": "Satisfied with the policy" + satisfied["en"]}),
    )  # fmt: skip


# ------------------------------------------------------------------------------ data preparation
@dataclass
class _Work:
    """A narrow working copy of the data with period and domain columns, and a design spec."""

    data: pd.DataFrame
    spec: dict[str, Any]
    policy: _policy.Policy
    waves_present: set[int]
    baseline_used: list[int]
    region: str | None

    def design(self, data: pd.DataFrame | None = None) -> SurveyDesign:
        s = self.spec
        return SurveyDesign(
            self.data if data is None else data, s["weight"], strata=s["strata"], psu=s["psu"], fpc=s["fpc"],
            lonely_psu=s["lonely_psu"],
        )  # fmt: skip

    def psu_counts(self, member: np.ndarray, groups: np.ndarray) -> pd.Series:
        """Number of distinct PSUs among ``member`` rows, per value of ``groups``."""
        psu = self.spec["psu"]
        ids = np.arange(len(self.data)) if psu is None else self.data[psu].to_numpy(object)
        frame = pd.DataFrame({"g": groups[member], "psu": ids[member]})
        return frame.groupby("g", sort=False)["psu"].nunique()


def _prepare(
    df: pd.DataFrame | None,
    policy: _policy.Policy | None,
    region: str | None,
    design: SurveyDesign | None,
    columns: Sequence[str],
) -> _Work:
    if df is None:
        if design is None:
            raise ValueError("give the data (df) or a SurveyDesign (design)")
        df = design.data
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    pol = policy or _policy.load()
    if design is not None:
        spec = {k: getattr(design, k) for k in ("weight", "strata", "psu", "fpc", "lonely_psu")}
    else:
        spec = {**_DESIGN_DEFAULT, "lonely_psu": "fail"}
    design_cols = [c for c in (spec["weight"], spec["strata"], spec["psu"], spec["fpc"]) if c]
    missing = [c for c in [*design_cols, "wave", "grade"] if c not in df.columns]
    if missing:
        raise KeyError(f"data lack column(s) {missing}; columns: {list(df.columns)}")
    if region in (None, "all"):
        region = None
    elif "county" not in df.columns:
        raise KeyError("region needs a 'county' column in the data")
    elif not (df["county"] == region).any():
        counties = sorted(map(str, pd.unique(df["county"].dropna())))
        raise ValueError(f"region {region!r} is not in the data; counties: {', '.join(counties)}")
    keep = list(dict.fromkeys([*design_cols, "wave", "grade", "stage", "county", *columns]))
    work = df[[c for c in keep if c in df.columns]].copy()
    derived = {"stage", *[c for c in columns if c in _codebook.load().derived]}
    if any(c not in work.columns for c in derived):
        out = _codebook.derive(df, pol)
        for c in derived:
            if c in out.columns and c not in work.columns:
                work[c] = out[c]
    wave = pd.to_numeric(work["wave"], errors="coerce").to_numpy(float, na_value=np.nan)
    grade = pd.to_numeric(work["grade"], errors="coerce").to_numpy(float, na_value=np.nan)
    lo, hi = pol.compulsory_grades
    inside = (grade >= lo) & (grade <= hi)
    if region is not None:
        inside &= (work["county"] == region).to_numpy(bool, na_value=False)
    period = np.full(len(work), None, dtype=object)
    period[np.isin(wave, pol.baseline_waves)] = "baseline"
    period[wave == pol.one_year_wave] = "one_year"
    period[wave == pol.three_year_wave] = "three_year"
    period[~inside] = None
    work["_period"] = period
    present = {int(w) for w in np.unique(wave[np.isfinite(wave)])}
    return _Work(work, spec, pol, present, [w for w in pol.baseline_waves if w in present], region)


# ------------------------------------------------------------------------------ the scorecard
def scorecard(
    df: pd.DataFrame | None,
    *,
    policy: _policy.Policy | None = None,
    region: str | None = None,
    design: SurveyDesign | None = None,
    min_n: int | None = None,
    lang: str = "zh",
    rules: VerdictRules | Mapping[str, Any] | None = None,
    indicators: Sequence[Indicator | str] | None = None,
) -> Scorecard:
    """The 1-year / 3-year scorecard: estimates, changes, verdicts and official figures.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical survey data, one row per respondent per wave (derived variables are computed
        when absent). None to use ``design.data``.
    policy : Policy, optional
        Standards, target waves, verdict defaults and official figures (bundled when omitted).
    region : str, optional
        A county: estimated as a domain of the full design (see the module notes). None or
        ``"all"``: every county. An unknown county raises ``ValueError``.
    design : SurveyDesign, optional
        Whose weight, strata, PSU, fpc and lonely-PSU settings to use; default
        ``SurveyDesign(df, "weight", strata="stratum", psu="school_id")``.
    min_n : int, optional
        Overrides ``rules.min_n`` (30 respondents a cell).
    lang : {"zh", "en"}
        Language of the official figures and of the rule text.
    rules : VerdictRules or dict, optional
        Overrides of the verdict rules in ``policy.yaml`` (e.g. ``{"effective": 0.15}``).
    indicators : sequence, optional
        Indicator objects or ids of :func:`default_indicators`; all of them when omitted.

    Returns
    -------
    Scorecard
        ``to_frame()`` has :data:`CONTRACT_COLUMNS` then further columns: ``kind``,
        ``stage``, ``threshold_1y``, ``threshold_3y`` (improvement needed, in the indicator's
        units), ``reason_1y``, ``reason_3y`` (why a verdict is "insufficient": ``wave_missing``,
        ``no_data``, ``suppressed``, ``invalid_estimate``, ``zero_baseline_gap``,
        ``not_measured``, with details after a colon), ``n_<period>``, ``psu_<period>``,
        ``suppressed_<period>``, ``official_value`` (on the indicator's scale when the official
        figure is comparable, else NaN), ``official_date``, ``official_comparable``. Shares are
        proportions (0-1); their changes are in proportion points (0.05 = 5 points). ``n`` is
        the respondents with observed values in the three periods together.
    """
    _check_lang(lang)
    pol = policy or _policy.load()
    overrides = rules if isinstance(rules, VerdictRules) else dict(rules or {})
    if min_n is not None:
        if isinstance(overrides, VerdictRules):
            overrides = dataclasses.replace(overrides, min_n=int(min_n))
        else:
            overrides["min_n"] = int(min_n)
    vr = VerdictRules.from_policy(pol, overrides)
    catalogue = {i.id: i for i in default_indicators(pol)}
    chosen: list[Indicator] = []
    for item in indicators if indicators is not None else list(catalogue.values()):
        if isinstance(item, Indicator):
            chosen.append(item)
        elif item in catalogue:
            chosen.append(catalogue[item])
        else:
            raise ValueError(f"unknown indicator {item!r}; known: {', '.join(catalogue)}")
    work = _prepare(df, pol, region, design, [i.variable for i in chosen])
    data = work.data
    stage = data["stage"].astype(object).to_numpy() if "stage" in data else None
    for ind in chosen:
        if ind.variable in data.columns:
            data[f"_y_{ind.id}"] = ind.values(data)
        if ind.stage is not None and f"_p_{ind.stage}" not in data:
            keep = stage == ind.stage if stage is not None else np.zeros(len(data), bool)
            data[f"_p_{ind.stage}"] = np.where(keep, data["_period"].to_numpy(object), None)
    sd = work.design()
    rows = [_score_row(ind, work, sd, vr, lang) for ind in chosen]
    table = pd.DataFrame(rows)
    table = table[[*CONTRACT_COLUMNS, *[c for c in table.columns if c not in CONTRACT_COLUMNS]]]
    return Scorecard(table=table, verdict_rules=vr, lang=lang, region=work.region, policy=pol)


def _score_row(
    ind: Indicator, work: _Work, sd: SurveyDesign, vr: VerdictRules, lang: str
) -> dict[str, Any]:
    pol, data = work.policy, work.data
    row: dict[str, Any] = {
        "indicator": ind.id,
        "label_zh": ind.label["zh"],
        "label_en": ind.label["en"],
        "unit": ind.unit,
        "direction": ind.direction,
    }
    waves = {
        "baseline": work.baseline_used,
        "one_year": [pol.one_year_wave] if pol.one_year_wave in work.waves_present else [],
        "three_year": [pol.three_year_wave] if pol.three_year_wave in work.waves_present else [],
    }
    ycol, pcol = f"_y_{ind.id}", "_period" if ind.stage is None else f"_p_{ind.stage}"
    cells: dict[str, dict[str, Any]] = {}
    est = None
    measured = ycol in data.columns
    if measured and pd.notna(data[pcol]).any() and data[ycol].notna().any():
        est = (sd.proportion if ind.kind == "share" else sd.mean)(
            ycol, by=pcol, level=vr.level, df="design"
        ).table.set_index(pcol)
        y, period = data[ycol].to_numpy(float), data[pcol].to_numpy(object)
        member = ~np.isnan(y) & pd.notna(period)
        psus = work.psu_counts(member, period)
    for p in PERIODS:
        cell = {"estimate": np.nan, "lo": np.nan, "hi": np.nan, "n": 0, "psu": 0}
        if not measured:
            cell["status"] = "not_measured"
        elif not waves[p]:
            cell["status"] = "wave_missing"
        elif est is None or p not in est.index or est.loc[p, "n"] == 0:
            cell["status"] = "no_data"
        else:
            r = est.loc[p]
            cell.update(n=int(r["n"]), psu=int(psus.get(p, 0)))
            if cell["n"] < vr.min_n or cell["psu"] < vr.min_psu:
                cell["status"] = "suppressed"
            elif not bool(r["valid"]):
                cell["status"] = f"invalid_estimate: {r['reason']}"
            else:
                cell.update(status="ok", estimate=r["estimate"], lo=r["ci_lower"], hi=r["ci_upper"])
        cells[p] = cell
    base = cells["baseline"]
    row.update(
        baseline=base["estimate"], baseline_ci_lower=base["lo"], baseline_ci_upper=base["hi"]
    )
    for p in ("one_year", "three_year"):
        row.update({p: cells[p]["estimate"], f"{p}_ci_lower": cells[p]["lo"]})
        row[f"{p}_ci_upper"] = cells[p]["hi"]
    extra: dict[str, Any] = {"kind": ind.kind, "stage": ind.stage}
    for window, p in _WINDOWS.items():
        change = lo = hi = threshold = np.nan
        verdict, reason = "insufficient", ""
        bad = next((c for c in (base, cells[p]) if c["status"] != "ok"), None)
        if bad is not None:
            status = bad["status"]
            if status == "wave_missing":
                missing = pol.baseline_waves if bad is base else waves.get(p) or [_wave_of(pol, p)]
                status = f"wave_missing: {', '.join(map(str, missing))}"
            elif status == "no_data" and bad is base:
                status = "no_data: baseline"
            reason = status
        else:
            d = sd.mean_diff(ycol, between=(pcol, "baseline", p), level=vr.level, df="design")
            r = d.table.iloc[0]
            if not bool(r["valid"]) or not np.isfinite(r["ci_lower"]):
                reason = f"invalid_estimate: {r['reason'] or 'no interval'}"
            else:
                change, lo, hi = float(r["estimate"]), float(r["ci_lower"]), float(r["ci_upper"])
                if ind.kind == "share":  # a change in a share lies in [-1, 1]
                    lo, hi = max(lo, -1.0), min(hi, 1.0)
                t1 = vr.threshold(ind, base["estimate"], "1y")
                t3 = vr.threshold(ind, base["estimate"], "3y")
                threshold = t1 if window == "1y" else t3
                if np.isnan(t1) or np.isnan(t3):
                    reason = "zero_baseline_gap"
                else:
                    s = ind.sign
                    verdict = window_verdict(
                        window, s * change, s * lo, s * hi, t1, t3, vr.met_rule
                    )
        row.update({f"change_{window}": change, f"change_{window}_ci_lower": lo})
        row[f"change_{window}_ci_upper"] = hi
        row[f"verdict_{window}"] = verdict
        extra[f"threshold_{window}"] = threshold
        extra[f"reason_{window}"] = reason
    row["n"] = int(sum(c["n"] for c in cells.values()))
    row["suppressed"] = any(c["status"] == "suppressed" for c in cells.values())
    for p in PERIODS:
        extra[f"n_{p}"] = cells[p]["n"]
        extra[f"psu_{p}"] = cells[p]["psu"]
        extra[f"suppressed_{p}"] = cells[p]["status"] == "suppressed"
    extra["baseline_waves"] = ", ".join(map(str, work.baseline_used))
    figures = pol.official_figures(ind.id)
    if figures:
        f = figures[0]
        row["official_figure"], row["official_source"] = f[lang], pol.cite(f["source"], lang)
        comparable = bool(f.get("comparable", False))
        extra["official_value"] = float(f["scorecard_value"]) if comparable else np.nan
        extra["official_date"], extra["official_comparable"] = str(f.get("date", "")), comparable
    else:
        row["official_figure"], row["official_source"] = "", ""
        extra.update(official_value=np.nan, official_date="", official_comparable=False)
    return {**row, **extra}


def _wave_of(pol: _policy.Policy, period: str) -> int:
    return pol.one_year_wave if period == "one_year" else pol.three_year_wave


@dataclass(eq=False)
class Scorecard:
    """The scorecard: one row per indicator (see :func:`scorecard`).

    Attributes
    ----------
    table : pandas.DataFrame
        :data:`CONTRACT_COLUMNS` and further columns.
    verdict_rules : VerdictRules
        The rules the verdicts follow.
    lang : str
        Language of ``official_figure``, ``official_source`` and :attr:`rules`.
    region : str or None
        The county, or None for all.
    """

    table: pd.DataFrame
    verdict_rules: VerdictRules
    lang: str = "zh"
    region: str | None = None
    policy: _policy.Policy = field(default_factory=_policy.load, repr=False)

    @property
    def rules(self) -> str:
        """The verdict rules as text in the scorecard's language (print it with every report)."""
        return rules_text(self.lang, self.verdict_rules, self.policy)

    def to_frame(self) -> pd.DataFrame:
        """The table (a copy): :data:`CONTRACT_COLUMNS` first."""
        return self.table.copy()

    def verdicts(self) -> pd.DataFrame:
        """Verdicts by indicator (columns ``verdict_1y``, ``verdict_3y``)."""
        return self.table.set_index("indicator")[["verdict_1y", "verdict_3y"]].copy()

    def _display(self) -> pd.DataFrame:
        lang, t = self.lang, self.table
        zh = lang == "zh"
        cols = (
            ["指标", "基线", "1年", "3年", "1年变化(置信区间)", "1年判定", "3年变化(置信区间)",
             "3年判定", "官方数据"]
            if zh
            else ["Indicator", "Baseline", "1 year", "3 years", "Change at 1 year (CI)",
                  "1-year verdict", "Change at 3 years (CI)", "3-year verdict", "Official figure"]
        )  # fmt: skip
        out = []
        for _, r in t.iterrows():
            unit = r["unit"]
            out.append(
                [
                    r[f"label_{lang}"],
                    _compact(r["baseline"], unit),
                    _compact(r["one_year"], unit),
                    _compact(r["three_year"], unit),
                    _compact_change(r, "1y", lang),
                    VERDICT_LABELS[lang][r["verdict_1y"]],
                    _compact_change(r, "3y", lang),
                    VERDICT_LABELS[lang][r["verdict_3y"]],
                    _official_display(r, lang),
                ]
            )
        return pd.DataFrame(out, columns=cols)

    def _title(self) -> str:
        zh = self.lang == "zh"
        where = self.region or ("全部地区" if zh else "all regions")
        pol = self.policy
        base = (
            "、".join(map(str, pol.baseline_waves))
            if zh
            else ", ".join(map(str, pol.baseline_waves))
        )
        if zh:
            return (
                f"“双减”目标评分卡:{where};基线 {base} 年,1年 {pol.one_year_wave} 年,"
                f"3年 {pol.three_year_wave} 年(义务教育阶段学生)"
            )
        return (
            f"Double Reduction scorecard: {where}; baseline {base}, 1 year {pol.one_year_wave}, "
            f"3 years {pol.three_year_wave} (students in compulsory education)"
        )

    def summary(self) -> str:
        """Plain text: title, the table, and the verdict rules."""
        body = self._display().to_string(index=False)
        return "\n".join([self._title(), "", body, "", self.rules])

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        """HTML table; every piece of text is escaped."""
        t = self._display()
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in t.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in rec) + "</tr>"
            for rec in t.itertuples(index=False, name=None)
        )
        rules = "".join(f"<p>{html.escape(line)}</p>" for line in self.rules.splitlines() if line)
        return (
            '<div class="sje-scorecard"><table>'
            f"<caption>{html.escape(self._title())}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f'<div class="sje-rules">{rules}</div></div>'
        )


def _official_display(row: pd.Series, lang: str) -> str:
    text = row["official_figure"]
    if text and not row.get("official_comparable", False):
        text += "(口径不同,仅作参考)" if lang == "zh" else " (measured differently; context)"
    return text


def _compact(value: float, unit: str, signed: bool = False) -> str:
    """A level (shares with %), or with ``signed=True`` a change (shares in points, no %)."""
    if value is None or not np.isfinite(value):
        return "–"
    sign = "+" if signed and value > 0 else ""
    if unit == "share":
        return f"{sign}{100 * value:.1f}{'' if signed else '%'}"
    if unit == "share of income":
        return f"{sign}{100 * value:.2f}{'' if signed else '%'}"
    if unit == "CNY per year":
        return f"{sign}{value:,.0f}"
    if unit == "scale score 1-5":
        return f"{sign}{value:.2f}"
    return f"{sign}{value:.1f}"


def _compact_change(row: pd.Series, window: str, lang: str = "en") -> str:
    unit, c = row["unit"], row[f"change_{window}"]
    if not np.isfinite(c):
        return "–"
    lo, hi = row[f"change_{window}_ci_lower"], row[f"change_{window}_ci_upper"]
    points = unit in ("share", "share of income")
    tail = ("个百分点" if lang == "zh" else " pp") if points else ""
    return (
        f"{_compact(c, unit, True)}{tail} "
        f"({_compact(lo, unit, True).lstrip('+')}, {_compact(hi, unit, True).lstrip('+')})"
    )


def rules_text(
    lang: str = "zh",
    rules: VerdictRules | Mapping[str, Any] | None = None,
    policy: _policy.Policy | None = None,
) -> str:
    """The verdict rules in plain language, one rule a line.

    Parameters
    ----------
    lang : {"zh", "en"}
    rules : VerdictRules or dict, optional
        The rules (or overrides of ``policy.yaml``'s); the policy's defaults when omitted.
    policy : Policy, optional
        For the waves and defaults.
    """
    _check_lang(lang)
    pol = policy or _policy.load()
    vr = VerdictRules.from_policy(pol, rules)
    lv, e, r = f"{100 * vr.level:g}", f"{100 * vr.effective:g}", f"{100 * vr.remarkable:g}"
    ep, rp = f"{100 * vr.effective_points:g}", f"{100 * vr.remarkable_points:g}"
    y1, y3 = pol.one_year_wave, pol.three_year_wave
    if lang == "zh":
        base = "、".join(map(str, pol.baseline_waves))
        met = (
            "置信区间下限达到{t}门槛"
            if vr.met_rule == "lower_bound"
            else "改善的置信区间完全位于改善一侧(不含“无变化”),且改善估计值达到{t}门槛"
        )
        points = (
            f"比例类指标改用固定百分点:1年{ep}个百分点,3年{rp}个百分点。"
            if vr.share_scale == "points"
            else ""
        )
        lines = [
            f"判定规则({lv}%置信区间):",
            f"1. 比较:{base}年调查合并为政策前基线,{y1}年调查为“1年”时点,{y3}年调查为“3年”时点;"
            "变化 = 时点估计值 − 基线估计值。估计按抽样设计(权重、分层、以学校为初级抽样单元)计算,"
            "两个时点共用学校的相关性已计入。",
            "2. 改善方向:作业时长、学科类培训参与与支出、隐形变异培训、家长焦虑以下降为改善;"
            "作业达标、睡眠达标、课后服务参与和满意度以上升为改善。",
            f"3. 门槛:改善幅度须达到基线与“无负担值”之差的{e}%(1年)或{r}%(3年);无负担值为 0"
            "(时长、支出、参与率)、100%(达标率、课后服务参与率、满意率)或 1 分(焦虑量表最低分)。"
            + points,
            f"4. 有效减轻:1年时{met.format(t='1年')}。",
            f"5. 成效显著:3年时{met.format(t='3年')}。3年时未显示成效显著、但达到1年门槛的,记为“有效减轻”。",
            "6. 未达到:改善的置信区间上限低于该时点的门槛,即可以确定未达到目标(包括无变化或变差)。",
            "7. 尚无定论:置信区间同时包含达到与未达到门槛的数值,数据无法判断。",
            f"8. 数据不足:缺少所需调查轮次或该项未调查、任一时点受访者少于{vr.min_n}人或学校少于"
            f"{vr.min_psu}所(此类数据不予报告),或估计无效。",
            "前后比较只描述变化,不能单独证明变化由政策引起。",
        ]
    else:
        base = ", ".join(map(str, pol.baseline_waves))
        met = (
            "the lower end of the interval reaches the {t} threshold"
            if vr.met_rule == "lower_bound"
            else "the interval of the improvement lies wholly on the side of improvement "
            "(it excludes no change) and the estimated improvement reaches the {t} threshold"
        )
        points = (
            f" Shares use fixed percentage points instead: {ep} points at 1 year, {rp} at 3 years."
            if vr.share_scale == "points"
            else ""
        )
        lines = [
            f"Verdict rules ({lv}% confidence intervals):",
            f"1. Comparison: the {base} surveys pooled are the pre-policy baseline; the {y1} survey "
            f"is the 1-year mark and the {y3} survey the 3-year mark; change = estimate at the mark "
            "minus the baseline estimate. Estimates follow the survey design (weights, strata, "
            "schools as primary sampling units), counting schools surveyed at both times once.",
            "2. Good direction: homework time, subject tutoring and its spend, hidden tutoring and "
            "parental anxiety should fall; homework within the limit, sleep meeting the standard, "
            "after-school participation and satisfaction should rise.",
            f"3. Thresholds: the improvement must reach {e}% (1 year) or {r}% (3 years) of the "
            "baseline's distance from the burden-free value: 0 (time, spend, participation), 100% "
            "(compliance, after-school participation, satisfaction) or 1 (the lowest anxiety score)."
            + points,
            f"4. Effective (有效减轻): at 1 year, {met.format(t='1-year')}.",
            f"5. Remarkable (成效显著): at 3 years, {met.format(t='3-year')}. A 3-year change that "
            "does not show remarkable results but meets the 1-year threshold is rated effective.",
            "6. Not met: the upper end of the interval is below the threshold, so the target was "
            "not reached (including no change or a change for the worse).",
            "7. Inconclusive: the interval holds values both above and below the threshold; the "
            "data cannot tell.",
            f"8. Insufficient data: a survey wave is missing or the item was not asked, a period "
            f"has fewer than {vr.min_n} respondents or {vr.min_psu} schools (such figures are not "
            "published), or the estimate is invalid.",
            "A before-after comparison describes change; on its own it does not show that the "
            "policy caused it.",
        ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ displacement, equity
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
    order = ok[np.lexsort((inc[ok], wave[ok]))]
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
        m = mask & ~np.isnan(y)
        big_w = w[m].sum()
        if not big_w > 0:
            return np.nan, z
        mean = float((w[m] * y[m]).sum() / big_w)
        z[m] = np.nan_to_num(z[m]) + coef * (y[m] - mean) / big_w
        est += coef * mean
    return est, z


def _contrasts(work: _Work, items: list[dict[str, Any]], level: float) -> pd.DataFrame:
    """Estimate linear contrasts (and ratios) of domain means in one design pass.

    Each item has ``z`` (influence values) and ``estimate``; a ratio item has ``denominator``
    (its se is that of the numerator's contrast over ``|denominator|``)."""
    names = [f"_z{i}" for i in range(len(items))]
    zdata = work.data.assign(**{n: item["z"] for n, item in zip(names, items, strict=True)})
    res = work.design(zdata).total(names, level=level, df="design").table
    out = []
    for i, item in enumerate(items):
        r = res.iloc[i]
        scale = abs(item.get("denominator", 1.0))
        se = float(r["std_error"]) / scale if scale > 0 else np.nan
        valid = bool(r["valid"]) and np.isfinite(item["estimate"]) and np.isfinite(se)
        reason = item.get("reason") or ("" if valid else (r["reason"] or "cannot be estimated"))
        out.append(
            {**item["labels"], "estimate": item["estimate"], "std_error": se, "df": r["df"],
             "n": int(r["n"]), "valid": valid and not item.get("reason"), "reason": reason}
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
    min_n: int | None = None,
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
    min_n : int, optional
        Rows whose smaller cell has fewer respondents (``rules.min_n``, 30) or fewer than
        ``min_psu`` schools are suppressed: invalid, reason ``"suppressed"``.

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
    vr = VerdictRules.from_policy(pol, {} if min_n is None else {"min_n": int(min_n)})
    data = work.data
    group = data[by].astype(object).to_numpy()
    groups = sorted({g for g in group if pd.notna(g)}, key=lambda g: (str(type(g)), g))
    if reference is not None and reference not in groups:
        raise ValueError(f"reference {reference!r} is not a group of {by!r}: {groups}")
    period = data["_period"].to_numpy(object)
    w = data[work.spec["weight"]].to_numpy(float)
    items: list[dict[str, Any]] = []
    for var in variables:
        y = pd.to_numeric(data[var], errors="coerce").to_numpy(float, na_value=np.nan)
        seen = ~np.isnan(y) & pd.notna(period) & pd.notna(group).astype(bool)
        keys = pd.Series(group).astype(str).to_numpy(object) + "|" + period.astype(str)
        counts = pd.Series(keys[seen]).value_counts()
        psus = work.psu_counts(seen, keys)
        for window, p in _WINDOWS.items():
            zs, small = {}, {}
            for g in groups:
                in_g = group == g
                est, z = _linear_z(
                    y, w, [((period == p) & in_g, 1.0), ((period == "baseline") & in_g, -1.0)]
                )
                base_mean = _linear_z(y, w, [((period == "baseline") & in_g, 1.0)])[0]
                zs[g] = (est, z)
                small[g] = any(
                    counts.get(k, 0) < vr.min_n or psus.get(k, 0) < vr.min_psu
                    for k in (f"{g}|baseline", f"{g}|{p}")
                )
                labels = {"term": f"{var}: change {window} | {by}={g}", "variable": var,
                          "window": window, "quantity": "change", by: g,
                          "baseline": base_mean, "follow_up": est + base_mean}  # fmt: skip
                items.append({"labels": labels, "z": z, "estimate": est,
                              "reason": _SUPPRESSED.format(vr.min_n, vr.min_psu) if small[g] else ""})  # fmt: skip
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
                reason = (
                    _SUPPRESSED.format(vr.min_n, vr.min_psu) if small[g] or small[reference] else ""
                )
                items.append({"labels": labels, "z": z, "estimate": e1 - e0, "reason": reason})
    table = _contrasts(work, items, level)
    return EstimateResult.from_estimates(
        table,
        method="change_by_group",
        options={"variables": variables, "by": by, "reference": reference, "region": work.region,
                 "level": level, "design": "before_after", **work.spec},
        nobs=int(pd.notna(period).sum()),
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
) -> EstimateResult:
    """Displacement of tutoring: changes in subject, non-subject, hidden and teacher-referred
    tutoring from the pooled baseline, and substitution ratios.

    A substitution ratio is the rise in non-subject (or hidden) tutoring per unit fall in
    subject tutoring, ``change(other) / -change(subject)``: 0.15 means 15 more students in
    hidden tutoring for every 100 fewer in subject tutoring. Its interval is by linearisation
    (``Var(A - r B) / B^2``, both changes in one design). It is invalid when subject tutoring
    did not fall significantly (the ratio then has no meaning). Before-after, not causal.

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
    data = work.data
    period = data["_period"].to_numpy(object)
    w = data[work.spec["weight"]].to_numpy(float)
    ys = {
        v: pd.to_numeric(data[v], errors="coerce").to_numpy(float, na_value=np.nan) for v in names
    }
    items = []
    for window, p in _WINDOWS.items():
        cells = [(period == p, 1.0), (period == "baseline", -1.0)]
        changes = {v: _linear_z(ys[v], w, cells) for v in names}
        for v in names:
            est, z = changes[v]
            items.append({"labels": {"term": f"{v}: change {window}", "variable": v,
                                     "window": window, "quantity": "change"},
                          "z": z, "estimate": est})  # fmt: skip
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
            items.append({"labels": {"term": f"substitution {v} {window}", "variable": v,
                                     "window": window, "quantity": "substitution_ratio"},
                          "z": z, "estimate": ratio, "denominator": drop, "_subject": True})  # fmt: skip
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
            table.loc[bad, "valid"] = False
            table.loc[bad, "reason"] = "subject tutoring did not fall significantly"
    return EstimateResult.from_estimates(
        table,
        method="displacement",
        options={"region": work.region, "level": level, "design": "before_after", **work.spec},
        nobs=int(pd.notna(period).sum()),
        level=level,
    )
