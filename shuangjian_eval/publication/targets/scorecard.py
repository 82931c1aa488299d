"""The 1-year / 3-year scorecard of the Double Reduction targets.

The opinions of 24 July 2021 set the target "1年内有效减轻、3年内成效显著" (burdens effectively
reduced within 1 year, remarkable results within 3 years). :func:`scorecard` turns survey data
into one row per indicator: design-based estimates at the pooled baseline waves, the 1-year wave
and the 3-year wave (``policy.yaml``: ``targets``), the changes with confidence intervals, a
verdict per window, and the official national figure beside it.

The verdicts follow :mod:`shuangjian_eval.publication.targets.rules` (:func:`rules_text` prints them in zh
or en and every :class:`Scorecard` carries that text).

Region
------
``region`` (a county name) is a domain of the full design, not a subset: every school and
stratum stays in the variance computation (rows outside the region count as zeros), as R's
``svyby`` does. Where strata nest in counties, as in the demo design, this gives the same numbers
as subsetting; where they do not, it is the correct one.

The scorecard describes change over time (before-after). It is not a causal estimate: COVID
school closures, questionnaire changes and earlier rules move the same indicators; see
:mod:`shuangjian_eval.estimation.effects` for difference-in-differences and event studies.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...base.options import check_columns
from ...estimation.survey import SurveyDesign
from ...inputs import codebook as _codebook
from ...inputs import policy as _policy
from ...inputs import regions as _regions
from .. import formatting as fmt
from .. import suppression
from ..design import CALIBRATION, calibration_columns, standard_design, standard_spec
from ._common import _WINDOWS
from .indicators import Indicator, default_indicators
from .rules import (
    PERIODS,
    VERDICT_LABELS,
    VerdictRules,
    level_verdict,
    rules_text,
    window_verdict,
)

__all__ = ["CONTRACT_COLUMNS", "Scorecard", "scorecard"]

#: Columns of :meth:`Scorecard.to_frame`, in this order (further columns follow them).
CONTRACT_COLUMNS: tuple[str, ...] = tuple(
    "indicator label_zh label_en unit direction baseline baseline_ci_lower baseline_ci_upper "
    "one_year one_year_ci_lower one_year_ci_upper three_year three_year_ci_lower "
    "three_year_ci_upper change_1y change_1y_ci_lower change_1y_ci_upper change_3y "
    "change_3y_ci_lower change_3y_ci_upper verdict_1y verdict_3y n suppressed official_figure "
    "official_source".split()
)


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
    period_code: np.ndarray  # index of ``data["_period"]`` in ``PERIODS``, -1 for None
    _psu_code: np.ndarray | None = None

    def design(self) -> SurveyDesign:
        """The design of the working data: the standard design (calibrated again when the
        data were calibrated, see :func:`standard_design`) unless one was given."""
        if self.spec == standard_spec(self.data):
            return standard_design(self.data)
        return SurveyDesign(self.data, **self.spec)

    def psu_counts(self, member: np.ndarray, codes: np.ndarray, size: int) -> np.ndarray:
        """Number of distinct PSU labels among ``member`` rows, per group code ``0 .. size-1``
        (rows with a negative code or a missing PSU label are not counted)."""
        if self._psu_code is None:
            psu = self.spec["psu"]
            if psu is None:
                self._psu_code = np.arange(len(self.data), dtype=np.int64)
            else:
                # as stored: a categorical's codes are used, no label becomes text
                codes_, _ = pd.factorize(self.data[psu])
                self._psu_code = codes_.astype(np.int64)
        ids = self._psu_code
        keep = member & (codes >= 0) & (ids >= 0)
        width = max(int(ids.max()) + 1, 1) if len(ids) else 1
        pairs = np.unique(codes[keep].astype(np.int64) * width + ids[keep])
        return np.bincount(pairs // width, minlength=size)[:size]


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
        spec = standard_spec(df)
    design_cols = [c for c in (spec["weight"], spec["strata"], spec["psu"], spec["fpc"]) if c]
    check_columns(df, [*design_cols, "wave", "grade"])
    if region in (None, _regions.ALL):
        region = None
    else:
        _regions.check(region, _regions.counties(df))
    keep = [*design_cols, *calibration_columns(df), "wave", "grade", "stage", "county", *columns]
    work = df[[c for c in dict.fromkeys(keep) if c in df.columns]].copy()
    work.attrs = {k: df.attrs[k] for k in (CALIBRATION,) if k in df.attrs}
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
    code = np.full(len(work), -1, dtype=np.int64)
    for i, at in enumerate(
        (np.isin(wave, pol.baseline_waves), wave == pol.one_year_wave, wave == pol.three_year_wave)
    ):
        code[at] = i
    code[~inside] = -1
    work["_period"] = _period_text(code)
    present = {int(w) for w in np.unique(wave[np.isfinite(wave)])}
    baseline_used = [w for w in pol.baseline_waves if w in present]
    return _Work(work, spec, pol, present, baseline_used, region, code)


def _period_text(code: np.ndarray) -> Any:
    """``PERIODS[code]`` per row, None where ``code`` is -1, as the column pandas makes of
    such strings (built from the three labels rather than from a string per row)."""
    labels = pd.Series(list(PERIODS)).array
    if isinstance(labels.dtype, pd.StringDtype):
        return labels.take(code, allow_fill=True)
    return np.array([*PERIODS, None], dtype=object)[code]


# ------------------------------------------------------------------------------ the scorecard
def scorecard(
    df: pd.DataFrame | None,
    *,
    policy: _policy.Policy | None = None,
    region: str | None = None,
    design: SurveyDesign | None = None,
    min_cell: int | None = None,
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
        Whose weight, strata, PSU, fpc and lonely-PSU settings to use; default the standard
        design (:func:`shuangjian_eval.publication.design.standard_design`).
    min_cell : int, optional
        Overrides ``rules.min_cell`` (default: the scorecard's rule,
        ``suppression.rule_for("scorecard")``).
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
        ``suppressed_<period>``, ``change_1y_to_3y`` with ``_ci_lower``/``_ci_upper`` (without a
        baseline: the change from the 1-year to the 3-year wave, the trend after the policy;
        NaN otherwise), ``official_value`` (on the indicator's scale when the official
        figure is comparable, else NaN), ``official_date``, ``official_comparable``. Shares are
        proportions (0-1); their changes are in proportion points (0.05 = 5 points). ``n`` is
        the respondents with observed values in the three periods together, leaving out any
        suppressed period: the count of a suppressed cell is not given anywhere (its
        ``n_<period>`` and ``psu_<period>`` are NA), so it cannot be worked out by difference.
    """
    fmt.check_lang(lang)
    pol = policy or _policy.load()
    overrides = rules if isinstance(rules, VerdictRules) else dict(rules or {})
    if min_cell is not None:
        if isinstance(overrides, VerdictRules):
            overrides = dataclasses.replace(overrides, min_cell=int(min_cell))
        else:
            overrides["min_cell"] = int(min_cell)
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
    codes = {"_period": work.period_code}  # period column -> its codes
    for ind in chosen:
        if ind.variable in data.columns:
            data[f"_y_{ind.id}"] = ind.values(data)
        if ind.stage is not None and f"_p_{ind.stage}" not in data:
            keep = stage == ind.stage if stage is not None else np.zeros(len(data), bool)
            codes[f"_p_{ind.stage}"] = np.where(keep, work.period_code, -1)
            data[f"_p_{ind.stage}"] = _period_text(codes[f"_p_{ind.stage}"])
    sd = work.design()
    # one design call per (kind, period column) and per (period column, window), for all
    # indicators together; each variable is estimated on its own, as in a call of its own
    pcols = [_period_column(ind) for ind in chosen]
    wanted: dict[tuple[str, str], list[str]] = {}
    for ind, pcol in zip(chosen, pcols, strict=True):
        ycol = f"_y_{ind.id}"
        if ycol in data.columns and (codes[pcol] >= 0).any() and data[ycol].notna().any():
            wanted.setdefault((ind.kind, pcol), []).append(ycol)
    levels: dict[tuple[str, str, str], Any] = {}
    for (kind, pcol), ycols in wanted.items():
        ycols = list(dict.fromkeys(ycols))
        est = (sd.proportion if kind == "share" else sd.mean)(
            ycols, by=pcol, level=vr.level, df="design"
        ).table
        for ycol, rows in _by_period(est, pcol, ycols).items():
            levels[kind, pcol, ycol] = rows
    cells = [
        _cells(ind, work, vr, levels.get((ind.kind, pcol, f"_y_{ind.id}")), codes[pcol])
        for ind, pcol in zip(chosen, pcols, strict=True)
    ]
    wanted = {}
    for ind, pcol, cell in zip(chosen, pcols, cells, strict=True):
        for p in _WINDOWS.values():
            if cell["baseline"]["status"] == "ok" and cell[p]["status"] == "ok":
                wanted.setdefault((pcol, p), []).append(f"_y_{ind.id}")
    # without a baseline, the change between the two target waves (the trend after the policy)
    for ind, pcol, cell in zip(chosen, pcols, cells, strict=True):
        if cell["baseline"]["status"] != "ok" and all(
            cell[p]["status"] == "ok" for p in _WINDOWS.values()
        ):
            wanted.setdefault((pcol, _SINCE), []).append(f"_y_{ind.id}")
    changes: dict[tuple[str, str, str], pd.Series] = {}
    for (pcol, p), ycols in wanted.items():
        ycols = list(dict.fromkeys(ycols))
        pair = ("one_year", "three_year") if p == _SINCE else ("baseline", p)
        diff = sd.mean_diff(ycols, between=(pcol, *pair), level=vr.level, df="design")
        for j, ycol in enumerate(ycols):
            changes[pcol, p, ycol] = diff.table.iloc[j]
    rows = [
        _score_row(ind, work, vr, cell, changes, lang)
        for ind, cell in zip(chosen, cells, strict=True)
    ]
    table = pd.DataFrame(rows)
    table = table[[*CONTRACT_COLUMNS, *[c for c in table.columns if c not in CONTRACT_COLUMNS]]]
    counts = [f"{k}_{p}" for k in ("n", "psu") for p in PERIODS]
    table[counts] = table[counts].astype("Int64")
    return Scorecard(table=table, verdict_rules=vr, lang=lang, region=work.region, policy=pol)


#: Key of the change between the 1-year and the 3-year wave (data without a baseline).
_SINCE = "1y_to_3y"


def _period_column(ind: Indicator) -> str:
    return "_period" if ind.stage is None else f"_p_{ind.stage}"


def _waves(work: _Work) -> dict[str, list[int]]:
    pol = work.policy
    return {
        "baseline": work.baseline_used,
        "one_year": [pol.one_year_wave] if pol.one_year_wave in work.waves_present else [],
        "three_year": [pol.three_year_wave] if pol.three_year_wave in work.waves_present else [],
    }


def _by_period(est: pd.DataFrame, pcol: str, ycols: list[str]) -> dict[str, Any]:
    """Each variable's rows of ``est``: a dict period -> row (a dict of the columns used),
    or, if a period has several rows, the rows indexed by period."""
    variable, period = est["variable"].to_numpy(object), est[pcol].to_numpy(object)
    names = ("n", "valid", "reason", "estimate", "ci_lower", "ci_upper")
    columns = {c: est[c].to_numpy() for c in names}
    out: dict[str, Any] = {}
    for ycol in ycols:
        at = np.flatnonzero(variable == ycol)
        if len(set(period[at])) == len(at):
            out[ycol] = {period[i]: {c: columns[c][i] for c in names} for i in at}
        else:
            out[ycol] = est.iloc[at].set_index(pcol)
    return out


def _cells(
    ind: Indicator,
    work: _Work,
    vr: VerdictRules,
    est: dict[str, Any] | pd.DataFrame | None,
    pcode: np.ndarray,
) -> dict[str, dict[str, Any]]:
    """The indicator's estimate, interval, counts and status in each period, from ``est``
    (its level estimates by period, see :func:`_by_period`; None when there is nothing to
    estimate)."""
    data, waves = work.data, _waves(work)
    ycol = f"_y_{ind.id}"
    measured = ycol in data.columns
    if est is not None:
        y = data[ycol].to_numpy(float)
        psus = work.psu_counts(~np.isnan(y) & (pcode >= 0), pcode, len(PERIODS))
    cells: dict[str, dict[str, Any]] = {}
    for p in PERIODS:
        cell = {"estimate": np.nan, "lo": np.nan, "hi": np.nan, "n": 0, "psu": 0}
        if not measured:
            cell["status"] = "not_measured"
        elif not waves[p]:
            cell["status"] = "wave_missing"
        elif est is None or not _has(est, p) or _at(est, p)["n"] == 0:
            cell["status"] = "no_data"
        else:
            r = _at(est, p)
            cell.update(n=int(r["n"]), psu=int(psus[PERIODS.index(p)]))
            if suppression.is_small(
                cell["n"], cell["psu"], min_cell=vr.min_cell, min_psu=vr.min_psu
            ):
                cell["status"] = "suppressed"
            elif not bool(r["valid"]):
                cell["status"] = f"invalid_estimate: {r['reason']}"
            else:
                cell.update(status="ok", estimate=r["estimate"], lo=r["ci_lower"], hi=r["ci_upper"])
        cells[p] = cell
    return cells


def _has(est: dict[str, Any] | pd.DataFrame, period: str) -> bool:
    return period in (est if isinstance(est, dict) else est.index)


def _at(est: dict[str, Any] | pd.DataFrame, period: str) -> Any:
    return est[period] if isinstance(est, dict) else est.loc[period]


def _score_row(
    ind: Indicator,
    work: _Work,
    vr: VerdictRules,
    cells: dict[str, dict[str, Any]],
    changes: dict[tuple[str, str, str], pd.Series],
    lang: str,
) -> dict[str, Any]:
    pol, waves = work.policy, _waves(work)
    row: dict[str, Any] = {
        "indicator": ind.id,
        "label_zh": ind.label["zh"],
        "label_en": ind.label["en"],
        "unit": ind.unit,
        "direction": ind.direction,
    }
    base = cells["baseline"]
    row.update(
        baseline=base["estimate"], baseline_ci_lower=base["lo"], baseline_ci_upper=base["hi"]
    )
    for p in ("one_year", "three_year"):
        row.update({p: cells[p]["estimate"], f"{p}_ci_lower": cells[p]["lo"]})
        row[f"{p}_ci_upper"] = cells[p]["hi"]
    extra: dict[str, Any] = {"kind": ind.kind, "stage": ind.stage}
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
            if bad is base and cells[p]["status"] == "ok":
                # no baseline, a level: against the national figure when there is one
                level, national = cells[p], extra["official_value"]
                verdict = (
                    level_verdict(ind.sign, level["lo"], level["hi"], national)
                    if np.isfinite(national) and np.isfinite(level["lo"])
                    else "no_baseline"
                )
            reason = status
        else:
            r = changes[_period_column(ind), p, f"_y_{ind.id}"]
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
    since = changes.get((_period_column(ind), _SINCE, f"_y_{ind.id}"))
    usable = since is not None and bool(since["valid"]) and np.isfinite(since["ci_lower"])
    for suffix, col in (("", "estimate"), ("_ci_lower", "ci_lower"), ("_ci_upper", "ci_upper")):
        extra[f"change_{_SINCE}{suffix}"] = float(since[col]) if usable else np.nan
    # the count of a suppressed cell is published nowhere, not even inside a total
    shown = [c for c in cells.values() if c["status"] != "suppressed"]
    row["n"] = int(sum(c["n"] for c in shown))
    row["suppressed"] = len(shown) < len(cells)
    for p in PERIODS:
        hidden = cells[p]["status"] == "suppressed"
        extra[f"n_{p}"] = pd.NA if hidden else cells[p]["n"]
        extra[f"psu_{p}"] = pd.NA if hidden else cells[p]["psu"]
        extra[f"suppressed_{p}"] = hidden
    extra["baseline_waves"] = ", ".join(map(str, work.baseline_used))
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
            ["指标", "基线", "1年", "3年", "1年变化（置信区间）", "1年判定", "3年变化（置信区间）",
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
        where = fmt.region_label(self.region, self.lang, sentence=True)
        pol = self.policy
        base = fmt.join_list(pol.baseline_waves, self.lang)
        if zh:
            return (
                f"“双减”目标评分卡：{where}；基线 {base} 年，1年 {pol.one_year_wave} 年，"
                f"3年 {pol.three_year_wave} 年（义务教育阶段学生）"
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
        text += "（口径不同，仅作参考）" if lang == "zh" else " (measured differently; context)"
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
