"""Analysis recipes of the report notebooks: parameters, comparison groups, effects, tables.

Publication layer; each function is one step of a notebook section. :func:`check_parameters`
validates a run, :func:`comparison_groups` marks the groups of a comparison design from
``policy.yaml`` and :func:`design_for` builds the standard survey design. Estimates:
:func:`estimates_by`, :func:`change_from_baseline`, :func:`did_table`, :func:`event_study`,
:func:`placebo`, :func:`staggered`, :func:`robustness`, :func:`ordinal_model`,
:func:`heterogeneity`. For readers: :func:`table`, :func:`changes`, :func:`effect_table`,
:func:`reliability_table`, :func:`item_table`, :func:`odds_ratio_table`,
:func:`equality_table`, :func:`adjusted_table`, :func:`findings` and :func:`describe_test`.

Conventions: waves are fielded in the autumn term (:data:`FIELDWORK_MONTH`), so a wave is
post-policy when fielded after the policy date. Effects use sampling weights, school and wave
fixed effects, and standard errors clustered by school.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..estimation import effects as _effects
from ..estimation.effects.heterogeneity import GroupedResult
from ..estimation.results import TERM_COLUMNS, EstimateResult, invalid_row
from ..estimation.survey import SurveyDesign
from ..inputs import codebook as _codebook
from ..inputs import policy as _policy
from . import formatting as fmt
from . import narrative as _narrative
from . import tables as _tables
from .quality import Text as Markdown
from .quality import describe_source
from .targets import income_quintile

__all__ = [
    "COMPARISONS", "DEFAULT_OUTCOMES", "FIELDWORK_MONTH", "Markdown", "Parameters",
    "adjusted_table", "change_from_baseline", "changes", "check_parameters", "comparison_groups",
    "describe_test", "design_for", "did_table", "effect_table", "equality_table", "estimates_by",
    "event_study", "findings", "heterogeneity", "item_table", "odds_ratio_table", "ordinal_model",
    "placebo", "reliability_table", "robustness", "staggered", "table",
]  # fmt: skip

#: Comparison designs: compulsory grades against senior grades, or pilot against other cities.
COMPARISONS: tuple[str, ...] = ("grade", "pilot")
#: Month in which waves are fielded (autumn term), as ``sje.synth`` and ``sje.plots`` assume.
FIELDWORK_MONTH = 11
#: Default outcomes of each notebook (``outcomes=[]``).
DEFAULT_OUTCOMES: dict[str, tuple[str, ...]] = {
    "homework_and_sleep": ("homework_min_weekday", "homework_within_limit", "sleep_hours",
                           "sleep_meets_standard"),
    "tutoring": ("tutoring_subject", "tutoring_nonsubject", "tutoring_hidden",
                 "tutoring_spend_year", "tutoring_spend_share"),
    "parental_anxiety": ("anxiety_1",),
    "causal_effects": ("homework_min_weekday", "sleep_hours", "tutoring_subject",
                       "tutoring_spend_year", "parent_anxiety"),
    "heterogeneity": ("homework_min_weekday", "sleep_hours", "tutoring_subject", "parent_anxiety"),
}  # fmt: skip
_OUTCOME_GROUPS = ("homework", "sleep", "tutoring", "school", "parents")
_DESIGN = {"weights": "weight", "absorb": ("school_id", "wave"), "cluster": "school_id"}
_STATS = (*TERM_COLUMNS[1:], "valid", "reason")  # a result's numbers, without its term
# fmt: off
# words for readers (fmt.Text entries): labels of non-codebook columns and terms, then sentences
_TEXT: dict[str, fmt.Text] = {
    "income_quintile": {"zh": "收入五分位组", "en": "Income quintile"},
    "specification": {"zh": "设定", "en": "Specification"},
    "event_time": {"zh": "相对政策实施的年数", "en": "Years since the policy took effect"},
    "treated": {"zh": "处理组", "en": "Treated group"},
    "post": {"zh": "政策后", "en": "After the policy"},
    "treated_post": {"zh": "处理组×政策后（政策效应）", "en": "Treated × after (policy effect)"},
    "urban": {"zh": "城镇（相对农村）", "en": "Urban (against rural)"},
    "grade": {"zh": "义务教育阶段（1–9年级）学生与高中（10–12年级）学生比较",
        "en": "students in compulsory education (grades 1–9) compared with senior-high students"},
    "pilot": {"zh": "试点城市与其他城市的义务教育阶段学生比较",
        "en": "students in compulsory education in pilot cities compared with other cities"},
    "one_group": {"zh": "本数据中只有一个比较组（例如一个区县只属于一个城市），"
                           "依赖对照组的估计将显示为“无法计算”；可改用另一种对照设计（comparison）。",
        "en": "The data hold only one of the two comparison groups (a county lies in one city, for "
          "example): estimates that need a comparison group are not computed; try the other "
          "comparison design."},
    "unverified": {"zh": "试点城市名单来自二手来源，未经原始文件核实。",
        "en": "The list of pilot cities comes from secondary sources and is unverified."},
    "pretrend": {"zh": "政策前趋势检验", "en": "Pre-trend test"},
    "placebo": {"zh": "安慰剂检验", "en": "Placebo test"},
    "not_possible": {"zh": "无法进行", "en": "not possible"},
    "gap": {"zh": "政策前两组差异的变化",
        "en": "The change in the gap between the groups before the policy "},
    "fake": {"zh": "假设政策提前在{}年实施，这一虚构政策的“效应”",
        "en": "Pretending the policy started in {}, its 'effect' "},
    "moved": {"zh": "与零差异显著：两组在政策前已有不同的变化，"
                     "平行趋势可能不成立，因果估计需谨慎解读。",
        "en": "is different from zero: the groups already moved apart before the policy, so "
          "parallel trends may not hold; read the causal estimates with care."},
    "parallel": {"zh": "与零无显著差异：未发现违背平行趋势的证据（检验不能证明平行趋势成立）。",
        "en": "is not distinguishable from zero: no evidence against parallel trends (the test "
          "cannot prove that they hold)."},
    "differ": {"zh": "各组效应差异显著", "en": "effects differ between groups"},
    "no_difference": {"zh": "未发现各组效应不同", "en": "no evidence that effects differ"},
    "not_tested": {"zh": "无法检验", "en": "not tested"},
    "shared": {"zh": "各组共用部分学校，检验为近似", "en": "groups share schools: approximate"},
}
_SPECS: list[tuple[fmt.Text, dict[str, Any]]] = [  # robustness: (name, options of sje.did)
    ({"zh": "主设定（加权、学校和轮次固定效应）", "en": "Main (weighted, school and wave fixed effects)"}, {}),
    ({"zh": "加入协变量（城镇、收入五分位组）", "en": "With covariates (urban, income quintile)"},
     {"covariates": ["urban_", "Q2", "Q3", "Q4", "Q5"]}),
    ({"zh": "不含固定效应", "en": "Without fixed effects"}, {"absorb": ()}),
    ({"zh": "不加权", "en": "Unweighted"}, {"weights": None}),
]
# fmt: on


def _t(key: str, lang: str) -> str:
    """Reader's words for ``key`` in ``lang`` (a codebook label when not in ``_TEXT``)."""
    return fmt.label(_TEXT, key, lang) if key in _TEXT else fmt.variable_label(key, lang)


def _join(values: Sequence[Any], lang: str) -> str:
    items = [str(v) for v in values]
    if (fmt.check_lang(lang) == "zh") or len(items) < 2:
        return "、".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _is_post(wave: Any, policy: _policy.Policy) -> bool:
    return dt.date(int(wave), FIELDWORK_MONTH, 1) > policy.date


def _waves(df: pd.DataFrame) -> list[int]:
    return sorted(int(w) for w in pd.unique(df["wave"].dropna()))


def _pvalue(p: float) -> str:
    return fmt.MISSING if not np.isfinite(p) else "<0.001" if p < 0.001 else f"{p:.3f}"


def _fail(what: str, value: Any, valid: Sequence[Any], why: str = "is not in the data") -> None:
    raise ValueError(f"{what} {value!r} {why}; valid values: {', '.join(map(str, valid))}")


# ------------------------------------------------------------------------------ parameters
@dataclasses.dataclass(frozen=True)
class Parameters:
    """A validated run (:func:`check_parameters`); a notebook shows it as a summary.

    ``policy`` is ``policy.yaml`` with the run's baseline waves (for ``sje.targets``),
    ``notes`` what the data cannot support, ``source`` what the data cover.
    """

    region: str
    waves: tuple[int, ...]
    baseline_waves: tuple[int, ...]
    post_waves: tuple[int, ...]
    comparison: str
    outcomes: tuple[str, ...]
    lang: str
    min_cell: int
    policy: _policy.Policy = dataclasses.field(repr=False)
    notes: tuple[str, ...] = ()
    source: str = ""

    @property
    def reference_wave(self) -> int:
        """The last baseline wave: the reference period of event studies."""
        return self.baseline_waves[-1]

    @property
    def last_wave(self) -> int:
        """The latest post-policy wave."""
        return self.post_waves[-1]

    def select(self, df: pd.DataFrame) -> pd.DataFrame:
        """The rows of the run's waves (a new frame)."""
        return df.loc[df["wave"].isin(self.waves).fillna(False).to_numpy(bool)]

    def _repr_markdown_(self) -> str:
        lang, zh = self.lang, (fmt.check_lang(self.lang) == "zh")
        where = _narrative.escape_markdown(fmt.region_label(self.region, lang, sentence=True))
        names = _join([fmt.variable_label(v, lang) for v in self.outcomes], lang)
        waves, base, design = (
            _join(self.waves, lang),
            _join(self.baseline_waves, lang),
            _t(self.comparison, lang),
        )
        text = (
            f"**分析设定**：地区：{where}；调查轮次：{waves}；政策前基线：{base}年合并；对照设计：{design}；"
            f"指标：{names}；受访者少于{self.min_cell}人的估计不予公布。" if zh else
            f"**Settings**: region: {where}; waves: {waves}; baseline: {base} pooled; comparison: "
            f"{design}; outcomes: {names}; estimates from fewer than {self.min_cell} respondents "
            "are not published."
        )  # fmt: skip
        return "\n\n".join([self.source, text, *(f"> {n}" for n in self.notes)]).strip()


def check_parameters(
    df: pd.DataFrame,
    *,
    region: str,
    waves: Sequence[int],
    baseline_waves: Sequence[int],
    comparison: str,
    outcomes: Sequence[str],
    lang: str,
    min_cell: int,
    notebook: str | None = None,
    policy: _policy.Policy | None = None,
) -> Parameters:
    """Check a notebook's parameters against the data; stop with a clear message if one is wrong.

    Parameters
    ----------
    df : pandas.DataFrame
        The loaded data (one region, or all).
    region, waves, baseline_waves, comparison, outcomes, lang, min_cell
        The notebook's parameters. ``waves=[]``: every wave in the data; ``outcomes=[]``: the
        notebook's default set (:data:`DEFAULT_OUTCOMES`).
    notebook : str, optional
        A key of :data:`DEFAULT_OUTCOMES`; ``"parental_anxiety"`` allows 1-5 rating items only.
    policy : Policy, optional
        Policy date and standards (``policy.yaml`` when omitted).

    Returns
    -------
    Parameters
        The resolved run.

    Raises
    ------
    ValueError
        A value of the wrong type, or a wave, region, outcome, comparison or language that is
        not in the data or not allowed (baseline waves must be fielded before the policy date,
        outcomes observed in them); the message lists the valid values.
    """
    pol = policy or _policy.load()
    fmt.check_lang(lang)
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 1:
        raise ValueError(f"min_cell must be a whole number of respondents >= 1, got {min_cell!r}")
    if comparison not in COMPARISONS:
        _fail("comparison", comparison, COMPARISONS, "is not a comparison design")
    if notebook is not None and notebook not in DEFAULT_OUTCOMES:
        _fail("notebook", notebook, list(DEFAULT_OUTCOMES), "is not a notebook")
    counties = sorted(map(str, pd.unique(df["county"].dropna())))
    if not isinstance(region, str) or (region != "all" and region not in counties):
        _fail("region", region, ["all", *counties])
    lists = {"waves": waves, "baseline_waves": baseline_waves, "outcomes": outcomes}
    for name, value in lists.items():
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise ValueError(f"{name} must be a list, such as [2019, 2020], got {value!r}")
    present = _waves(df)
    for w in [*waves, *baseline_waves]:
        if isinstance(w, bool) or not isinstance(w, int | np.integer) or int(w) not in present:
            _fail("wave", w, present)
    used = sorted({int(w) for w in waves}) or present
    pre, post = [w for w in used if not _is_post(w, pol)], [w for w in used if _is_post(w, pol)]
    if not baseline_waves:
        raise ValueError(f"baseline_waves is empty; valid baseline waves: {pre}")
    for w in baseline_waves:
        if w not in used:
            _fail("baseline wave", w, used, "is not among the waves used")
        if w not in pre:
            _fail("baseline wave", w, pre, f"was fielded after the policy date ({pol.date})")
    if not post:
        raise ValueError(f"waves {used} have no wave fielded after the policy date ({pol.date})")
    base = sorted({int(w) for w in baseline_waves})
    rows = df.loc[df["wave"].isin(base).fillna(False).to_numpy(bool)]
    likert = notebook == "parental_anxiety"
    allowed = [v.name for v in _codebook.load() if v.group in _OUTCOME_GROUPS and v.name in df
               and (not likert or v.dtype.startswith("int") and v.max == 5)
               and rows[v.name].notna().any()]  # fmt: skip
    chosen = list(outcomes) or [v for v in DEFAULT_OUTCOMES.get(notebook or "", ()) if v in allowed]
    for v in chosen:
        if v not in allowed:
            _fail("outcome", v, allowed, "is not allowed here" if v in df else "is not in the data")
    notes = (
        [_t("one_group", lang)]
        if comparison_groups(df, comparison, policy=pol)["treated"].nunique() < 2
        else []
    )
    if comparison == "pilot" and pol.pilot_cities_status == "unverified":
        notes.append(_t("unverified", lang))
    raw = {**pol.raw, "targets": {**pol.raw["targets"], "baseline_waves": base}}
    source = describe_source(df.loc[df["wave"].isin(used).to_numpy(bool)], region=region, lang=lang)
    return Parameters(region, tuple(used), tuple(base), tuple(post), comparison, tuple(chosen),
                      lang, min_cell, _policy.Policy(raw=raw), tuple(notes), str(source))  # fmt: skip


# ------------------------------------------------------------------------------ groups
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


def prepare(
    data_path: str,
    *,
    region: str,
    waves: Sequence[int],
    baseline_waves: Sequence[int],
    comparison: str,
    outcomes: Sequence[str],
    lang: str,
    min_cell: int,
    notebook: str | None = None,
) -> tuple[Parameters, pd.DataFrame]:
    """Read a region, check the notebook's parameters against it, and add comparison groups.

    The opening of every analysis notebook: :func:`shuangjian_eval.quality.load_region`,
    :func:`check_parameters`, the chosen waves, then :func:`comparison_groups`.
    """
    from .quality import load_region

    df = load_region(data_path, region)
    params = check_parameters(
        df, region=region, waves=waves, baseline_waves=baseline_waves, comparison=comparison,
        outcomes=outcomes, lang=lang, min_cell=min_cell, notebook=notebook,
    )  # fmt: skip
    df = comparison_groups(
        params.select(df), params.comparison, baseline_waves=params.baseline_waves
    )
    return params, df


def design_for(df: pd.DataFrame, *, lonely_psu: str = "adjust") -> SurveyDesign:
    """The standard design: weights ``weight``, strata ``stratum`` (if any), schools as PSUs;
    ``"adjust"``: a stratum with one sampled school does not invalidate every estimate."""
    strata = "stratum" if "stratum" in df else None
    return SurveyDesign(df, "weight", strata=strata, psu="school_id", lonely_psu=lonely_psu)


# ------------------------------------------------------------------------------ estimates
def _cell_sizes(
    df: pd.DataFrame, variable: str, keys: Sequence[str], psu: str | None = "school_id"
) -> dict[tuple[Any, ...], tuple[int, int]]:
    """(respondents, schools) with ``variable`` observed, per combination of ``keys``: the
    sizes that decide whether an estimate of a cell may be published."""
    rows = df.loc[df[variable].notna().to_numpy(bool)]
    ids = rows[psu] if psu is not None else pd.Series(np.arange(len(rows)), index=rows.index)
    g = ids.groupby([rows[k] for k in keys], observed=True).agg(["size", "nunique"])
    return {
        (k if isinstance(k, tuple) else (k,)): (int(n), int(m))
        for k, n, m in zip(g.index, g["size"], g["nunique"], strict=True)
    }


def _smallest(
    sizes: dict[tuple[Any, ...], tuple[int, int]], cells: Sequence[tuple[Any, ...]]
) -> tuple[int, int]:
    """(respondents, schools) of the smallest of ``cells``; an absent cell counts 0."""
    got = [sizes.get(c, (0, 0)) for c in cells]
    return min(n for n, _ in got), min(m for _, m in got)


def estimates_by(
    design: SurveyDesign, variables: Sequence[str], by: Sequence[str] = ("wave", "stage")
) -> EstimateResult:
    """Design-based means (numbers) and proportions (yes/no items) by domain, in one table;
    domains where a variable is undefined (the homework limit in senior grades) are left out.
    ``n_psu`` counts the schools (PSUs) of each estimate, for small-cell suppression."""
    shares = [v for v in variables if pd.api.types.is_bool_dtype(design.data[v])]
    calls = ((design.mean, [v for v in variables if v not in shares]), (design.proportion, shares))
    t = pd.concat([f(vs, by=list(by)).table for f, vs in calls if vs], ignore_index=True)
    t = t.loc[t["n"] > 0].sort_values(
        "variable", key=lambda s: s.map(list(variables).index), kind="stable"
    )
    sizes = {v: _cell_sizes(design.data, v, list(by), design.psu) for v in variables}
    t["n_psu"] = [
        sizes[v].get(tuple(k), (0, 0))[1]
        for v, *k in t[["variable", *by]].itertuples(index=False, name=None)
    ]
    return EstimateResult(
        t.reset_index(drop=True), method="mean", options={"by": list(by)}, nobs=design.nobs
    )


def change_from_baseline(
    df: pd.DataFrame,
    variables: Sequence[str],
    *,
    baseline_waves: Sequence[int],
    by: Sequence[str] = (),
) -> EstimateResult:
    """Change from the pooled baseline waves to each post-policy wave, by domain: differences
    of design-based means linearised in one design (the same schools in both periods enter with
    their covariance). Before-after: a change, not an effect of the policy.

    ``n`` and ``n_psu`` are the respondents and schools of the smaller of the two periods (the
    cell that decides whether the change may be published), not of both together."""
    wave = df["wave"].astype("Int64")
    work = df.assign(_period=wave.astype(str).where(~wave.isin(baseline_waves), "baseline"))
    design = design_for(work)
    sizes = {v: _cell_sizes(work, v, ["_period", *by]) for v in variables}
    blocks = []
    for w in [w for w in _waves(df) if _is_post(w, _policy.load())]:
        t = design.mean_diff(
            list(variables), between=("_period", "baseline", str(w)), by=list(by) or None
        )
        blocks.append(t.table.assign(wave=w, term=f"{w}: " + t.table["term"]))
    t = pd.concat(blocks, ignore_index=True)
    t = t.loc[t["n"] > 0, ["term", "wave", *t.columns.drop(["term", "wave"])]].reset_index(
        drop=True
    )
    small = [
        _smallest(sizes[v], [("baseline", *k), (str(w), *k)])
        for v, w, *k in t[["variable", "wave", *by]].itertuples(index=False, name=None)
    ]
    t["n"] = [n for n, _ in small]
    t["n_psu"] = [m for _, m in small]
    options = {"by": ["wave", *by], "baseline_waves": tuple(baseline_waves)}
    return EstimateResult(t, method="mean_diff", options=options, nobs=len(df))


def did_table(df: pd.DataFrame, outcomes: Sequence[str], **options: Any) -> EstimateResult:
    """Difference-in-differences (``sje.did``, term ``treated:post``) of several outcomes, one
    row each, on the columns of :func:`comparison_groups`. ``options`` go to ``sje.did``; by
    default sampling weights, school and wave fixed effects, standard errors by school.
    ``n_min_cell`` and ``n_psu_min_cell``: respondents and schools of the smallest of the four
    treated x period cells (a row resting on a small cell is suppressed in report tables)."""
    kw, rows = {**_DESIGN, **options}, []
    for v in outcomes:
        r = _effects.did(df, outcome=v, treated="treated", post="post", **kw)
        row = r.table.set_index("term").loc["treated:post"]
        cells = {c: row[c] for c in ("n_min_cell", "n_psu_min_cell") if c in row}
        rows.append({"term": v, "variable": v, "n": r.nobs, "df": row["df"], **cells,
                     **{c: row[c] for c in ("estimate", "std_error", "valid", "reason")}})  # fmt: skip
    return EstimateResult.from_estimates(pd.DataFrame(rows), method="did", options=kw, nobs=len(df))


def event_study(df: pd.DataFrame, outcome: str, *, ref: int, **options: Any) -> Any:
    """``sje.event_study`` of ``treated`` by wave with weights, school and wave fixed effects
    and school clusters; ``options`` pass on (e.g. ``placebo_date``). ``n`` and ``n_psu`` of
    a wave's coefficient are the respondents and schools of its smallest cell (either group,
    that wave or the reference wave), for small-cell suppression."""
    kw = {**_DESIGN, **options}
    res = _effects.event_study(df, outcome=outcome, treated="treated", time="wave", ref=ref, **kw)
    if "period" in res.table:
        sizes = _cell_sizes(df, outcome, ["treated", "wave"])
        small = [
            _smallest(sizes, [(g, w) for g in (0, 1) for w in (t, ref)])
            if pd.notna(t) else (np.nan, np.nan)
            for t in res.table["period"]
        ]  # fmt: skip
        res.table["n"] = [n for n, _ in small]
        res.table["n_psu"] = [m for _, m in small]
    return res


def placebo(df: pd.DataFrame, outcome: str) -> Any:
    """The event study with a fake policy date, the last pre-policy wave, against the one
    before it (pre-policy waves only); invalid without two pre-policy waves."""
    pre = [w for w in _waves(df) if not _is_post(w, _policy.load())]
    if len(pre) < 2:
        row = invalid_row("placebo", "needs at least two pre-policy waves")
        return EstimateResult.from_estimates(pd.DataFrame([row]), method="event_study")
    return event_study(df, outcome, ref=pre[-1], placebo_date=pre[-1])


def staggered(df: pd.DataFrame, outcome: str, *, comparison: str = "grade") -> EstimateResult:
    """Callaway-Sant'Anna ATT(g, t) by cohort (first treated wave) aggregated by years since
    treatment: repeated cross-sections, weights, school clusters, universal base period (the
    year before treatment is the reference, 0). Comparison: senior grades (never treated), and
    for ``"pilot"`` not-yet-treated cities as well. When a cell cannot be estimated the result
    is invalid with the cells' reasons (``aggregate`` fails on such cells)."""
    control = "never_treated" if comparison == "grade" else "not_yet_treated"
    res = _effects.staggered_did(df, outcome=outcome, time="wave", cohort="cohort", panel=False,
                                 control=control, weights="weight", cluster="school_id",
                                 base_period="universal")  # fmt: skip
    bad = res.table.loc[~res.table["valid"], "reason"]
    if bad.empty:
        return res.aggregate("dynamic")
    reason = "ATT(g,t) cells not estimable: " + "; ".join(sorted(set(bad)))
    row = invalid_row("ATT", reason, event_time=np.nan)  # a period: its chart draws nothing
    return EstimateResult.from_estimates(
        pd.DataFrame([row]), method="staggered_did", options=res.options
    )


def robustness(df: pd.DataFrame, outcome: str, *, lang: str = "zh") -> EstimateResult:
    """The DID of one outcome under other specifications: the main one (weights, school and
    wave fixed effects, school clusters), with covariates (urban, income quintile), without
    fixed effects, and unweighted."""
    name, q = _t("specification", lang), df["income_quintile"]
    work = df.assign(urban_=pd.to_numeric(df["urban"]).astype(float),
                     **{k: (q == k).astype(float).where(q.notna()) for k in ("Q2", "Q3", "Q4", "Q5")})  # fmt: skip
    parts = [did_table(work, [outcome], **kw).table.assign(term=spec["en"],
                                                           **{name: fmt.text(spec, lang)})
             for spec, kw in _SPECS]  # fmt: skip
    return EstimateResult(
        pd.concat(parts, ignore_index=True), method="did", options={"by": [name]}, nobs=len(df)
    )


def ordinal_model(
    df: pd.DataFrame,
    outcomes: Sequence[str],
    *,
    covariates: Sequence[str] = ("urban", "income_quintile"),
) -> dict[str, Any]:
    """Proportional-odds logit (``sje.ordinal_logit``) of each 1-5 item on ``treated``,
    ``post`` and ``treated_post`` (the policy effect) with covariates; sampling weights,
    clustered by school. The results by outcome."""
    cov = ["treated", "post", "treated_post", *covariates]
    return {v: _effects.ordinal_logit(df, outcome=v, covariates=cov, weights="weight", cluster="school_id")
            for v in outcomes}  # fmt: skip


def heterogeneity(
    df: pd.DataFrame, outcomes: Sequence[str], by: str, *, comparison: str = "grade"
) -> GroupedResult:
    """The DID of each outcome within each group of ``by`` (``sje.by_group``), with the tests
    of equal effects in ``equality_test``. By ``stage`` the groups are the compulsory stages;
    in the grade comparison each is compared with all senior grades (a shared comparison
    group: the equality test is then approximate)."""
    work = df
    if by == "stage":
        stages = [s for s in _policy.load().stages if s != "senior"]
        if comparison == "grade":
            senior = df.loc[df["stage"] == "senior"]
            work = pd.concat(
                [pd.concat([df.loc[df["stage"] == s], senior]).assign(_s=s) for s in stages]
            )
            work["stage"] = pd.Categorical(work.pop("_s"), categories=stages)
        else:
            work = df.loc[df["stage"].isin(stages)]
            work = work.assign(stage=work["stage"].cat.remove_unused_categories())
    tables, tests = [], []
    for v in outcomes:
        g = _effects.by_group("did", work, group=by, term="treated:post", outcome=v,
                              treated="treated", post="post", **_DESIGN)  # fmt: skip
        tables.append(g.table.assign(variable=v, term=f"{v} | " + g.table["term"]))
        tests.append(g.equality_test.assign(variable=v))
    out = GroupedResult(
        pd.concat(tables, ignore_index=True), method="did", options={"by": [by]}, nobs=len(df)
    )
    out.equality_test = pd.concat(tests, ignore_index=True)
    return out


# ------------------------------------------------------------------------------ tables
def changes(result: EstimateResult, *, wave: int | None = None) -> EstimateResult:
    """A change table of ``sje.targets`` (``displacement``, ``change_by_group``,
    ``spend_by_income``) as a change result by wave: the changes from the baseline only (no
    gaps or substitution ratios) of the windows with data, each as its wave; optionally one."""
    pol, t = _policy.load(), result.table
    if "window" in t:
        t = t.loc[t["quantity"] == "change"].drop(
            columns=["quantity", "baseline", "follow_up"], errors="ignore"
        )
        t.insert(
            1, "wave", t.pop("window").map({"1y": pol.one_year_wave, "3y": pol.three_year_wave})
        )
    t = t.loc[(t["n"] > 0) & (True if wave is None else t["wave"] == wave)]  # waves with data
    by = result.options.get("by")
    by = ["wave", *([by] if isinstance(by, str) else [b for b in by or [] if b != "wave"])]
    return EstimateResult(t.reset_index(drop=True), method="mean_diff", options={"by": by},
                          nobs=result.nobs, level=result.level)  # fmt: skip


def table(
    result: Any, *, spread: str | None = "stage", lang: str = "zh", min_n: int = 10
) -> pd.DataFrame:
    """A report table (``sje.tables.report_table``) for readers.

    With ``spread``, the groups of that column go across: one row per indicator (with its
    unit) and other domain such as the wave, one column per group, cells the estimate with its
    interval or the suppression mark. Without, the long report table with significance.
    """
    long = _tables.report_table(result, lang=lang, min_n=min_n, significance=spread is None)
    if long.empty:
        return pd.DataFrame(
            {
                fmt.stat_label("note", lang): [
                    "没有数据" if (fmt.check_lang(lang) == "zh") else "no data"
                ]
            }
        )
    cb = _codebook.load()
    names = {k: _t(k, lang) for k in ("income_quintile", "specification", "event_time")}
    if spread is None:
        return _drop_empty(long, lang).rename(columns=names)
    head, wave = fmt.variable_label(spread, lang), fmt.variable_label("wave", lang)
    est = next(c for c in long.columns if c.startswith(fmt.stat_label("estimate", lang)))
    ind, unit = fmt.stat_label("indicator", lang), fmt.stat_label("unit", lang)
    long[ind] = [i + fmt.paren(u, lang) if u else i
                 for i, u in zip(long[ind], long[unit], strict=True)]  # fmt: skip
    drop = {ind, head, est, unit, fmt.stat_label("n", lang), fmt.stat_label("note", lang)}
    rows = [ind, *(c for c in long.columns if c not in drop)]
    for c in [*rows, head]:  # order of appearance; waves in time order
        order = list(dict.fromkeys(long[c]))
        long[c] = pd.Categorical(long[c], sorted(order) if c == wave else order)
    wide = long.set_index([*rows, head])[est].unstack(head, fill_value=fmt.MISSING).reset_index()
    wide.columns = [str(c) for c in wide.columns]
    if (
        spread in cb and cb[spread].dtype == "bool" and not cb[spread].true_label
    ):  # 是 -> 试点城市:是
        for b in (True, False):
            v = fmt.category_label(spread, b, lang)
            names[v] = f"{head}{fmt.colon(lang)}{v}"
    wide = wide.rename(columns=names)
    wide.attrs = dict(long.attrs)
    return wide


def _drop_empty(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    note = fmt.stat_label("note", lang)
    empty = note in frame and not frame[note].astype(bool).any()
    return frame.drop(columns=[note]) if empty else frame


def effect_table(result: Any, *, lang: str = "zh", min_n: int = 10) -> pd.DataFrame:
    """A report table of event-study, placebo or aggregated staggered effects: one row per
    wave (or years since the policy took effect), without the reference period (0 by
    construction); the estimate with its interval and significance."""
    t = result.to_frame()
    t = t.loc[~(t["std_error"] == 0)].reset_index(drop=True)
    key = "event_time" if "event_time" in t else "wave"
    when = t["period"] if "period" in t else t.get(key, pd.Series(np.nan, t.index))
    name = _t(key, lang)
    t[name] = [
        ("总体" if (fmt.check_lang(lang) == "zh") else "Overall") if pd.isna(x) else str(int(x))
        for x in when
    ]
    t["variable"] = result.options.get("outcome", "")
    sizes = [c for c in ("n", "n_psu", "n_min_cell", "n_psu_min_cell") if c in t]  # suppression
    res = EstimateResult(t[["term", name, "variable", *(c for c in _STATS if c in t), *sizes]],
                         method="event_study", options={"by": [name]})  # fmt: skip
    out = table(res, spread=None, lang=lang, min_n=min_n)
    n = fmt.stat_label("n", lang)  # the smallest cell's count, not the coefficient's sample
    return out.drop(columns=[n]).__finalize__(out) if n in out else out


def reliability_table(results: Sequence[EstimateResult], *, lang: str = "zh") -> pd.DataFrame:
    """Cronbach's alpha (with its interval) and McDonald's omega, with the usual reading:
    good (>= 0.8), acceptable (0.7-0.8) or low (< 0.7)."""
    zh = fmt.check_lang(lang) == "zh"
    names = {"alpha": "Cronbach α", "std_alpha": "标准化 α" if zh else "Standardized α",
             "omega_total": "McDonald ω", "omega_model": "ω（模型）" if zh else "ω (model)"}  # fmt: skip
    words = ("良好", "可接受", "偏低", "") if zh else ("good", "acceptable", "low", "")
    rows = []
    for r in results:
        for _, t in r.table.iterrows():
            est = t["estimate"]
            rows.append({fmt.stat_label("indicator", lang): names.get(t["term"], t["term"]),
                         fmt.stat_label("estimate_ci", lang, level=f"{r.level * 100:g}"):
                             fmt.format_ci(est, t["ci_lower"], t["ci_upper"], digits=3),
                         fmt.stat_label("n", lang): fmt.format_count(t.get("n")),
                         "解读" if zh else "Reading":
                             words[3 if np.isnan(est) else 0 if est >= 0.8 else 1 if est >= 0.7 else 2]})  # fmt: skip
    return pd.DataFrame(rows)


def item_table(result: EstimateResult, *, lang: str = "zh") -> pd.DataFrame:
    """Items of ``sje.item_total``: label, mean, corrected item-total correlation with its
    interval, and alpha if the item were dropped."""
    zh = fmt.check_lang(lang) == "zh"
    rows = [{"题目" if zh else "Item": fmt.variable_label(t["term"], lang),
             "平均分（1–5）" if zh else "Mean (1–5)": fmt.format_number(t["mean"], 2),
             "校正的题总相关 [95%置信区间]" if zh else "Corrected item-total r [95% CI]":
                 fmt.format_ci(t["estimate"], t["ci_lower"], t["ci_upper"], digits=2),
             "删除该题后的 α" if zh else "Alpha if dropped": fmt.format_number(t["alpha_if_dropped"], 3)}
            for _, t in result.table.iterrows()]  # fmt: skip
    return pd.DataFrame(rows)


def odds_ratio_table(models: dict[str, Any], *, lang: str = "zh") -> pd.DataFrame:
    """Odds ratios of :func:`ordinal_model` with intervals: a row per term, a column per
    outcome. Below 1: answers move towards the low end; an interval without 1 is significant."""
    out = pd.DataFrame()
    for outcome, res in models.items():
        t = res.table.set_index("term")
        t = t.loc[t["coef_type"] == "coefficient", ["estimate", "ci_lower", "ci_upper"]]
        out[fmt.variable_label(outcome, lang)] = [
            fmt.format_ci(*np.exp(r), digits=2) for r in t.to_numpy(float)
        ]
        terms = list(t.index)
    labels = []
    for term in terms:  # "income_quintile[Q2]" -> "收入五分位组 Q2(相对Q1)"
        base, _, level = term.partition("[")
        against = "（相对Q1）" if (fmt.check_lang(lang) == "zh") else " (against Q1)"
        labels.append(_t(base, lang) + (f" {level.rstrip(']')}{against}" if level else ""))
    out.insert(0, "项" if (fmt.check_lang(lang) == "zh") else "Term", labels)
    return out


def equality_table(result: GroupedResult, *, lang: str = "zh") -> pd.DataFrame:
    """The test of equal effects across groups (:func:`heterogeneity`), one row per outcome."""
    zh, rows = (fmt.check_lang(lang) == "zh"), []
    for _, t in result.equality_test.iterrows():
        ok = bool(t["valid"])
        words = _t(
            "not_tested" if not ok else "differ" if t["p_value"] < 0.05 else "no_difference", lang
        )
        rows.append({fmt.stat_label("indicator", lang): fmt.variable_label(t["variable"], lang),
                     "卡方统计量（自由度）" if zh else "Chi-square (df)":
                         f"{t['statistic']:.2f} ({int(t['df'])})" if ok else fmt.MISSING,
                     fmt.stat_label("p_value", lang): _pvalue(t["p_value"]),
                     "结论" if zh else "Conclusion": words,
                     fmt.stat_label("note", lang):
                         str(t["reason"]) if not ok else _t("shared", lang) if t["note"] else ""})  # fmt: skip
    return _drop_empty(pd.DataFrame(rows), lang)


def adjusted_table(result: EstimateResult, *, lang: str = "zh") -> pd.DataFrame:
    """The effects of several outcomes (:func:`did_table`) with p-values adjusted for multiple
    testing: Holm (family-wise error rate) and Benjamini-Hochberg (false discovery rate), and
    the conclusion under Holm."""
    zh = fmt.check_lang(lang) == "zh"
    out = table(result, spread=None, lang=lang).drop(columns=[fmt.stat_label("significance", lang)])
    holm, bh = (_effects.adjust_pvalues(result, method=m)["p_adjusted"] for m in ("holm", "fdr_bh"))
    out[fmt.stat_label("p_value", lang)] = result.table["p_value"].map(_pvalue)
    out["Holm校正p值" if zh else "Holm p"] = holm.map(_pvalue)
    out["BH校正p值" if zh else "BH p"] = bh.map(_pvalue)
    out["校正后结论（Holm）" if zh else "After adjustment (Holm)"] = [
        fmt.SIGNIFICANCE[bool(p < 0.05)][lang] if np.isfinite(p) else fmt.MISSING for p in holm
    ]
    return out


# ------------------------------------------------------------------------------ words
def findings(result: EstimateResult, *, lang: str = "zh", causal: bool = False, min_n: int = 10,
             wave: int | None = None) -> Markdown:  # fmt: skip
    """The result's rows as sentences (``sje.narrative.describe_change``), one bullet each.
    Rows of :func:`change_from_baseline` name their wave and the pooled baseline; ``wave``
    keeps one follow-up wave. ``causal=True`` words a causal design's effects as the policy's."""
    t = result.table
    t = t.loc[t["wave"] == wave] if wave is not None and "wave" in t else t
    t = t.loc[t["n"] > 0] if "n" in t else t  # nothing to say about a cell without data
    base = result.options.get("baseline_waves")
    opts = {**result.options, "by": [c for c in result.options.get("by", []) if c != "wave"]}
    bullets = []
    for i in range(len(t)):
        row = t.iloc[[i]].reset_index(drop=True)
        if base is not None:
            opts["between"] = ("wave", _join(base, lang), str(row["wave"].iloc[0]))
        one = dataclasses.replace(result, table=row, options=dict(opts))
        bullets.append(_narrative.describe_change(one, lang=lang, causal=causal, min_n=min_n))
    return Markdown("\n".join(f"- {b}" for b in bullets))


def describe_test(result: Any, *, lang: str = "zh") -> Markdown:
    """The pre-trend test of an event study, or the placebo test of :func:`placebo`, in words."""
    fake = (getattr(result, "options", None) or {}).get("placebo_date")
    test = getattr(result, "pretrend_test" if fake is None else "placebo_test", None)
    what = _t("pretrend" if fake is None else "placebo", lang)
    sep = fmt.colon(lang)
    if test is None or test.reason:
        why = test.reason if test is not None else str(result.table["reason"].iloc[0])
        return Markdown(f"**{what}**{sep}{_t('not_possible', lang)}{fmt.paren(why, lang)}")
    df_text = ", ".join(f"{d:g}" for d in test.df)
    stat = f"{test.distribution}({df_text}) = {test.statistic:.2f}, p = {_pvalue(test.p_value)}"
    text = _t("gap", lang) if fake is None else _t("fake", lang).format(fake)
    text += _t("moved" if test.p_value < 0.05 else "parallel", lang)
    return Markdown(f"**{what}**{fmt.paren(stat, lang)}{sep}{text}")
