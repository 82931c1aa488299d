"""Canonical variables (``codebook.yaml``), the outcome registry, and the rules that compute
derived variables.

The codebook is data: names, dtypes, units, valid ranges, categories, missing codes and zh/en
labels live in ``codebook.yaml``. Derived variables (``stage``, ``homework_within_limit``,
``sleep_meets_standard``, ``parent_anxiety``, ``tutoring_spend_share``) are computed here from
their sources and the standards in ``policy.yaml``; they are never read from input.

The ``outcomes:`` block of the same file is the one registry of outcomes (:class:`Outcome`): for
each, its direction of improvement, the standard it is judged against, its scorecard indicators
(:class:`ScorecardSpec`), the briefing's key charts that draw it (:class:`ChartSpec`) and the
notebooks that show it by default. It is checked when loaded; labels, units and groups come from
the variable's entry. :func:`load` reads the bundled file, a ``path``, or the file named by the
``SJE_CODEBOOK`` environment variable (:data:`ENV_VAR`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..base.languages import check_lang
from . import policy as _policy

__all__ = [
    "ENV_VAR", "PANDAS_DTYPES", "ChartSpec", "Codebook", "Outcome", "ScorecardSpec", "Variable",
    "cast", "derive", "load",
]  # fmt: skip

#: Environment variable naming a codebook file to use instead of the bundled ``codebook.yaml``.
ENV_VAR = "SJE_CODEBOOK"
DIRECTIONS: tuple[str, ...] = ("decrease", "increase")
INDICATOR_KINDS: tuple[str, ...] = ("mean", "share")
CHART_KINDS: tuple[str, ...] = ("mean", "share", "distribution")

# codebook dtype -> pandas dtype of the canonical column (nullable where values may be missing)
PANDAS_DTYPES: dict[str, str] = {
    "string": "string",
    "category": "category",
    "bool": "boolean",
    "int8": "Int8",
    "int16": "Int16",
    "int32": "Int32",
    "float32": "float32",
    "float64": "float64",
    "date": "datetime64[ns]",
}


@dataclass(frozen=True)
class Variable:
    """One canonical variable."""

    name: str
    group: str
    dtype: str
    label: dict[str, str]
    description: str
    unit: str | None = None
    required: bool = False
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    categories: dict[str, dict[str, str]] | None = None
    ordered: bool = False
    missing_codes: tuple[Any, ...] = ()
    derived: str | None = None
    true_label: dict[str, str] | None = None
    false_label: dict[str, str] | None = None
    wording: tuple[str, ...] = ()
    at_most: str | None = None

    @property
    def pandas_dtype(self) -> str:
        return PANDAS_DTYPES[self.dtype]

    @property
    def is_numeric(self) -> bool:
        return self.dtype.startswith(("int", "float"))

    def category_label(self, code: Any, lang: str = "zh") -> str:
        """Display label of a category code (or of True/False for a bool)."""
        if self.categories and code in self.categories:
            return self.categories[code][lang]
        if self.dtype == "bool" and isinstance(code, (bool, np.bool_)):
            default = {"zh": ("是", "否"), "en": ("Yes", "No")}[lang]
            lab = self.true_label if code else self.false_label
            return lab[lang] if lab else default[0 if code else 1]
        return str(code)


@dataclass(frozen=True)
class ScorecardSpec:
    """How an outcome is on the scorecard (one indicator, or one per stage with ``each_stage``).

    Attributes
    ----------
    id : str
        Indicator name (``{id}_{stage}`` for the indicators of ``each_stage``).
    kind : {"mean", "share"}
        A weighted mean, or a proportion (of True, or of ``satisfied_from`` and above).
    ideal : float
        Burden-free value, from which the relative thresholds are measured.
    stage : str, optional
        Restrict to one stage; all compulsory grades otherwise.
    satisfied_from : int, optional
        For a 1-5 item: the share answering this value or higher.
    label : dict, optional
        zh and en labels when not the variable's own.
    each_stage : bool
        One indicator per stage that the outcome's standard covers.
    """

    id: str
    kind: str
    ideal: float
    stage: str | None = None
    satisfied_from: int | None = None
    label: dict[str, str] | None = None
    each_stage: bool = False


@dataclass(frozen=True)
class ChartSpec:
    """A key chart of the briefing: its title, what it draws, and the indicator it reads."""

    key: str
    title: dict[str, str]
    variable: str
    kind: str
    indicator: str
    by_stage: bool = False


@dataclass(frozen=True)
class Outcome:
    """One outcome of the registry (``outcomes:`` in ``codebook.yaml``).

    ``group`` and ``unit`` are the variable's (never typed twice); ``direction`` is None for an
    outcome without an aim; ``standard`` a key of :data:`shuangjian_eval.inputs.policy.STANDARDS`.
    """

    name: str
    group: str
    direction: str | None
    unit: str | None
    standard: str | None = None
    scorecard: tuple[ScorecardSpec, ...] = ()
    charts: tuple[ChartSpec, ...] = ()
    notebooks: tuple[str, ...] = ()

    @property
    def on_scorecard(self) -> bool:
        return bool(self.scorecard)


@dataclass(frozen=True)
class Codebook:
    """All canonical variables, in codebook order, and the outcome registry, in its order."""

    variables: dict[str, Variable]
    anxiety_items: tuple[str, ...]
    scale_min_answered_share: float
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    outcome_notebooks: tuple[str, ...] = ()
    source: str = "codebook.yaml"
    #: the columns that identify a row (a supervision table's; empty for the survey)
    key: tuple[str, ...] = ()
    #: zh/en name of a supervision table (None for the survey)
    title: dict[str, str] | None = None
    #: the supervision tables (``tables:`` of the file), each a codebook of its own
    tables: dict[str, Codebook] = field(default_factory=dict, repr=False)

    def table(self, name: str) -> Codebook:
        """The codebook of one supervision table (``school_returns``, ``institutions``,
        ``cases``, ``complaints``, ``half_monthly``)."""
        if name not in self.tables:
            raise ValueError(
                f"{name!r} is not a supervision table of {self.source}; valid values: "
                f"{', '.join(self.tables)}"
            )
        return self.tables[name]

    def outcome(self, name: str) -> Outcome:
        """The registry entry of an outcome."""
        try:
            return self.outcomes[name]
        except KeyError:
            raise KeyError(
                f"{name!r} is not an outcome of the registry ({self.source}); outcomes: "
                f"{', '.join(self.outcomes)}"
            ) from None

    def default_outcomes(self, notebook: str) -> tuple[str, ...]:
        """The outcomes a notebook shows when its ``outcomes`` parameter is empty."""
        if notebook not in self.outcome_notebooks:
            raise ValueError(
                f"notebook {notebook!r} is not a notebook of the registry; valid values: "
                f"{', '.join(self.outcome_notebooks)}"
            )
        return tuple(o.name for o in self.outcomes.values() if notebook in o.notebooks)

    def charts(self) -> dict[str, ChartSpec]:
        """The briefing's key charts, in registry order."""
        return {c.key: c for o in self.outcomes.values() for c in o.charts}

    def __getitem__(self, name: str) -> Variable:
        try:
            return self.variables[name]
        except KeyError:
            raise KeyError(
                f"{name!r} is not a codebook variable; known: {', '.join(self.variables)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self.variables

    def __iter__(self):
        return iter(self.variables.values())

    @property
    def names(self) -> list[str]:
        return list(self.variables)

    @property
    def required(self) -> list[str]:
        return [v.name for v in self if v.required]

    @property
    def derived(self) -> list[str]:
        return [v.name for v in self if v.derived]

    @property
    def observed(self) -> list[str]:
        """Variables that come from input (not derived)."""
        return [v.name for v in self if not v.derived]

    def label(self, name: str, lang: str = "zh") -> str:
        """Display label of a variable, or the name itself for a non-codebook column."""
        check_lang(lang)
        return self.variables[name].label[lang] if name in self.variables else name

    def to_frame(self, lang: str = "en") -> pd.DataFrame:
        """The codebook as a table (for documentation and data-quality reports)."""
        check_lang(lang)
        rows = []
        for v in self:
            valid = (
                ", ".join(v.categories)
                if v.categories
                else (f"{v.min:g} to {v.max:g}" if v.min is not None and v.max is not None else "")
            )
            rows.append(
                {
                    "name": v.name,
                    "group": v.group,
                    "dtype": v.dtype,
                    "unit": v.unit or "",
                    "valid": valid,
                    "missing_codes": ", ".join(map(str, v.missing_codes)),
                    "label": v.label[lang],
                    "derived": v.derived or "",
                    "description": v.description,
                }
            )
        return pd.DataFrame(rows)


def load(path: str | Path | None = None) -> Codebook:
    """Load the codebook and its outcome registry.

    Parameters
    ----------
    path : str or Path, optional
        A codebook file of the same shape as the bundled ``codebook.yaml`` (for example with
        one more outcome). When omitted, the file named by the ``SJE_CODEBOOK`` environment
        variable (:data:`ENV_VAR`) if set, else the bundled one; every part of the package
        loads the codebook this way, so the variable changes it for all of them.

    Raises
    ------
    ValueError
        When the outcome registry is inconsistent; the message names the outcome and the field.
    """
    if path is None:
        path = os.environ.get(ENV_VAR) or None
    return _load_cached(None if path is None else str(path))


@lru_cache(maxsize=4)
def _load_cached(path: str | None) -> Codebook:
    if path is None:
        source = "codebook.yaml"
        text = resources.files(__package__).joinpath(source).read_text(encoding="utf-8")
    else:
        source = path
        text = Path(path).read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    variables = _variables(raw["variables"])
    notebooks = tuple(raw.get("outcome_notebooks", ()))
    outcomes = _outcomes(raw, variables, notebooks, source)
    return Codebook(
        variables=variables,
        anxiety_items=tuple(raw["anxiety_items"]),
        scale_min_answered_share=float(raw["scale_min_answered_share"]),
        raw=raw,
        outcomes=outcomes,
        outcome_notebooks=notebooks,
        source=source,
        tables=_tables(raw.get("tables") or {}, source, float(raw["scale_min_answered_share"])),
    )


def _variables(specs: dict[str, Any], group: str | None = None) -> dict[str, Variable]:
    variables = {}
    for name, spec in specs.items():
        spec = dict(spec)
        if group is not None:
            spec.setdefault("group", group)
        spec["missing_codes"] = tuple(spec.get("missing_codes", ()))
        spec["wording"] = tuple(spec.get("wording", ()))
        variables[name] = Variable(name=name, **spec)
    return variables


def _tables(raw: dict[str, Any], source: str, share: float) -> dict[str, Codebook]:
    """The supervision tables, each checked: its key and ``at_most`` name its own variables."""
    out = {}
    for name, spec in raw.items():
        variables = _variables(spec["variables"], group=name)
        key = tuple(spec["key"])
        for k in key:
            if k not in variables or not variables[k].required:
                raise ValueError(f"{source}: table {name!r}: key {k!r} is not a required variable")
        for v in variables.values():
            if v.at_most is not None and v.at_most not in variables:
                raise ValueError(
                    f"{source}: table {name!r}: {v.name}.at_most {v.at_most!r} is not a variable"
                )
            if v.derived is not None and v.derived not in RULES:
                raise ValueError(f"{source}: table {name!r}: {v.name}: no rule {v.derived!r}")
        out[name] = Codebook(variables=variables, anxiety_items=(), scale_min_answered_share=share,
                             raw=spec, source=f"{source}: table {name}", key=key,
                             title=dict(spec["label"]))  # fmt: skip
    return out


# ------------------------------------------------------------------------------------------
# the outcome registry

_OUTCOME_FIELDS = ("direction", "standard", "scorecard", "charts", "notebooks")
_SCORECARD_FIELDS = ("id", "kind", "ideal", "stage", "satisfied_from", "label", "each_stage")
_CHART_FIELDS = ("key", "title", "kind", "by_stage", "indicator")


class _RegistryError:
    """Raises a ValueError naming the file, the outcome and the field."""

    def __init__(self, source: str, name: str) -> None:
        self.where = f"{source}: outcome {name!r}"

    def __call__(self, fld: str, problem: str, valid: Any = None) -> None:
        tail = f"; valid values: {', '.join(map(str, valid))}" if valid is not None else ""
        raise ValueError(f"{self.where}: {fld} {problem}{tail}")

    def keys(self, fld: str, spec: dict[str, Any], allowed: tuple[str, ...]) -> None:
        unknown = sorted(set(spec) - set(allowed))
        if unknown:
            self(fld, f"has unknown key(s) {unknown}", allowed)


def _as_list(value: Any) -> list[Any]:
    return [] if value is None else list(value) if isinstance(value, list) else [value]


def _outcomes(
    raw: dict[str, Any], variables: dict[str, Variable], notebooks: tuple[str, ...], source: str
) -> dict[str, Outcome]:
    """Parse and check the ``outcomes:`` block (the policy's stages and standards included)."""
    pol = _policy.load()
    groups = tuple(raw.get("outcome_groups", ()))
    out: dict[str, Outcome] = {}
    ids: dict[str, str] = {}
    for name, spec in (raw.get("outcomes") or {}).items():
        fail = _RegistryError(source, name)
        spec = dict(spec or {})
        fail.keys("entry", spec, _OUTCOME_FIELDS)
        if name not in variables:
            fail("name", "is not a variable of the codebook", ["(a name under variables:)"])
        var = variables[name]
        if var.group not in groups:
            fail("group", f"{var.group!r} (the variable's) is not an outcome group", groups)
        direction = spec.get("direction")
        if direction is not None and direction not in DIRECTIONS:
            fail("direction", f"{direction!r} is not a direction", [*DIRECTIONS, "null"])
        standard = spec.get("standard")
        if standard is not None:
            if standard not in _policy.STANDARDS or standard not in pol.raw:
                fail(
                    "standard", f"{standard!r} is not a standard of policy.yaml", _policy.STANDARDS
                )
            if direction is None:
                fail("direction", "is needed to judge against the standard", DIRECTIONS)
        for nb in _as_list(spec.get("notebooks")):
            if nb not in notebooks:
                fail("notebooks", f"{nb!r} is not a notebook", notebooks)
        cards = tuple(
            _scorecard_spec(fail, name, var, direction, standard, dict(c), pol)
            for c in _as_list(spec.get("scorecard"))
        )
        for card in cards:
            for id_ in _indicator_ids(card, standard, pol):
                if id_ in ids:
                    fail("scorecard", f"id {id_!r} is used by outcome {ids[id_]!r} too")
                ids[id_] = name
        out[name] = Outcome(name, var.group, direction, var.unit, standard, cards, (),
                            tuple(_as_list(spec.get("notebooks"))))  # fmt: skip
    charts: dict[str, str] = {}
    for name, spec in (raw.get("outcomes") or {}).items():
        fail, o = _RegistryError(source, name), out[name]
        parsed = []
        for c in _as_list((spec or {}).get("charts")):
            chart = _chart_spec(fail, o, variables[name], dict(c), ids)
            if chart.key in charts:
                fail("charts", f"key {chart.key!r} is used by outcome {charts[chart.key]!r} too")
            charts[chart.key] = name
            parsed.append(chart)
        out[name] = Outcome(**{**o.__dict__, "charts": tuple(parsed)})
    return out


def stage_indicators(
    spec: ScorecardSpec, standard: str | None, policy: _policy.Policy
) -> list[tuple[str, float]]:
    """(stage, the standard's value there) of the stages an ``each_stage`` indicator covers."""
    if not spec.each_stage or standard is None:
        return []
    values = [(s, policy.standard_for_stage(standard, s)) for s in policy.stages]
    return [(s, v) for s, v in values if np.isfinite(v)]


def _indicator_ids(spec: ScorecardSpec, standard: str | None, pol: _policy.Policy) -> list[str]:
    if spec.each_stage:
        return [f"{spec.id}_{s}" for s, _ in stage_indicators(spec, standard, pol)]
    return [spec.id]


def _scorecard_spec(
    fail: _RegistryError, name: str, var: Variable, direction: str | None,
    standard: str | None, c: dict[str, Any], pol: _policy.Policy,
) -> ScorecardSpec:  # fmt: skip
    fail.keys("scorecard", c, _SCORECARD_FIELDS)
    if direction is None:
        fail("direction", "is needed for a scorecard indicator", DIRECTIONS)
    if c.get("kind") not in INDICATOR_KINDS:
        fail("scorecard.kind", f"{c.get('kind')!r} is not an indicator kind", INDICATOR_KINDS)
    if not isinstance(c.get("ideal"), int | float) or isinstance(c.get("ideal"), bool):
        fail("scorecard.ideal", f"must be a number (the burden-free value), got {c.get('ideal')!r}")
    if c.get("stage") is not None and c["stage"] not in pol.stages:
        fail("scorecard.stage", f"{c['stage']!r} is not a stage", pol.stages)
    if c.get("each_stage") and standard is None:
        fail("scorecard.each_stage", "needs the outcome's standard (its limit in each stage)")
    if c.get("satisfied_from") is not None and not (var.is_numeric and var.max is not None):
        fail("scorecard.satisfied_from", "needs a rated variable with a maximum")
    if c["kind"] == "mean" and c.get("satisfied_from") is None and not var.unit:
        fail("scorecard.kind", "'mean' needs a unit in the variable's entry")
    label = c.get("label")
    if label is not None and not (isinstance(label, dict) and label.get("zh") and label.get("en")):
        fail("scorecard.label", "needs zh and en texts")
    return ScorecardSpec(
        id=str(c.get("id", name)), kind=c["kind"], ideal=float(c["ideal"]), stage=c.get("stage"),
        satisfied_from=c.get("satisfied_from"), label=label, each_stage=bool(c.get("each_stage")),
    )  # fmt: skip


def _chart_spec(
    fail: _RegistryError, o: Outcome, var: Variable, c: dict[str, Any], ids: dict[str, str]
) -> ChartSpec:
    fail.keys("charts", c, _CHART_FIELDS)
    title = c.get("title")
    if not c.get("key"):
        fail("charts.key", "is missing (the chart's name in the briefing)")
    if not (isinstance(title, dict) and title.get("zh") and title.get("en")):
        fail("charts.title", "needs zh and en texts")
    kind = c.get("kind", "share" if var.dtype == "bool" else "mean")
    if kind not in CHART_KINDS:
        fail("charts.kind", f"{kind!r} is not a chart kind", CHART_KINDS)
    if kind == "distribution" and o.standard is None:
        fail("charts.kind", "'distribution' needs the outcome's standard")
    own = [s.id for s in o.scorecard]
    indicator = c.get("indicator", own[0] if own else None)
    if indicator is None:
        fail("charts.indicator", "is needed: the outcome is not on the scorecard")
    if indicator not in ids:
        fail("charts.indicator", f"{indicator!r} is not a scorecard indicator", list(ids))
    return ChartSpec(str(c["key"]), dict(title), o.name, kind, indicator,
                     bool(c.get("by_stage", False)))  # fmt: skip


# ------------------------------------------------------------------------------------------
# casting


def cast(df: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """Return a copy with every codebook column in its canonical dtype.

    Values must already be valid (see :mod:`shuangjian_eval.inputs.validate`); categoricals get the
    codebook's categories in codebook order. Non-codebook columns are left as they are.
    """
    cb = codebook or load()
    out = {}
    for col in df.columns:
        s = df[col]
        if col in cb:
            v = cb[col]
            if v.dtype == "category":
                cats = list(v.categories) if v.categories else None
                already = isinstance(s.dtype, pd.CategoricalDtype) and (
                    cats is None or (list(s.cat.categories) == cats and s.cat.ordered == v.ordered)
                )
                if already:
                    pass
                elif cats is not None:
                    s = pd.Categorical(s.astype("string"), categories=cats, ordered=v.ordered)
                    s = pd.Series(s, index=df.index, name=col)
                elif not isinstance(s.dtype, pd.CategoricalDtype):
                    s = s.astype("category")
            elif str(s.dtype) != v.pandas_dtype:
                s = s.astype(v.pandas_dtype)
        out[col] = s
    return pd.DataFrame(out, index=df.index)


# ------------------------------------------------------------------------------------------
# derived variables

DeriveRule = Callable[[pd.DataFrame, _policy.Policy, Codebook], pd.Series]


def _grade_index(df: pd.DataFrame) -> np.ndarray:
    grade = pd.to_numeric(df["grade"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(grade) & (grade >= 1) & (grade <= 12)
    return np.where(ok, grade, 0).astype(np.int64)


def stage_from_grade(df: pd.DataFrame, pol: _policy.Policy, cb: Codebook) -> pd.Series:
    """Stage from grade by the grade bands in ``policy.yaml`` (NA when grade is missing)."""
    stages = pol.stages
    codes_by_grade = np.full(13, -1, dtype=np.int8)
    for g, name in enumerate(pol.stage_by_grade()):
        if name is not None:
            codes_by_grade[g] = stages.index(name)
    codes = codes_by_grade[_grade_index(df)]
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=list(cb["stage"].categories)),
        index=df.index,
        name="stage",
    )


def _float(df: pd.DataFrame, col: str) -> np.ndarray:
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _nullable_bool(values: np.ndarray, known: np.ndarray, index: pd.Index, name: str) -> pd.Series:
    arr = pd.arrays.BooleanArray(values.astype(bool), ~known)
    return pd.Series(arr, index=index, name=name)


def homework_within_limit(df: pd.DataFrame, pol: _policy.Policy, cb: Codebook) -> pd.Series:
    """Weekday written homework within the grade's limit; NA for senior grades and missing data.

    Grades 1-2 have a limit of 0 minutes (no written homework), so any minutes exceed it.
    """
    limit = pol.homework_limit_by_grade()[_grade_index(df)]
    minutes = _float(df, "homework_min_weekday")
    known = np.isfinite(limit) & np.isfinite(minutes)
    return _nullable_bool(minutes <= limit, known, df.index, "homework_within_limit")


def sleep_meets_standard(df: pd.DataFrame, pol: _policy.Policy, cb: Codebook) -> pd.Series:
    """Sleep hours at least the standard for the grade's level (10/9/8 hours)."""
    standard = pol.sleep_hours_by_grade()[_grade_index(df)]
    hours = _float(df, "sleep_hours")
    known = np.isfinite(standard) & np.isfinite(hours)
    return _nullable_bool(hours >= standard, known, df.index, "sleep_meets_standard")


def parent_anxiety(df: pd.DataFrame, pol: _policy.Policy, cb: Codebook) -> pd.Series:
    """Scale score: mean of the anxiety items answered, when enough of them are answered."""
    items = [c for c in cb.anxiety_items if c in df.columns]
    if not items:
        return pd.Series(np.nan, index=df.index, name="parent_anxiety")
    values = np.column_stack([_float(df, c) for c in items])
    answered = np.isfinite(values).sum(axis=1)
    total = np.nansum(values, axis=1)
    need = np.ceil(cb.scale_min_answered_share * len(cb.anxiety_items) - 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(answered >= need, total / answered, np.nan)
    return pd.Series(score, index=df.index, name="parent_anxiety")


def tutoring_spend_share(df: pd.DataFrame, pol: _policy.Policy, cb: Codebook) -> pd.Series:
    """Tutoring spend a year over household income; NA when income is missing or zero."""
    spend = _float(df, "tutoring_spend_year")
    income = _float(df, "household_income")
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(income > 0, spend / income, np.nan)
    return pd.Series(share, index=df.index, name="tutoring_spend_share")


def afterschool_5_plus_2(df: pd.DataFrame, pol: _policy.Policy, cb: Codebook) -> pd.Series:
    """A school's after-school service meets "5+2" (policy.yaml ``afterschool_service``): it is
    offered, on at least the standard's days a week and hours a day, and ends no earlier than
    local working hours. NA when a part is unknown, False when the service is not offered."""
    std = pol.afterschool_service
    offered = df["afterschool_offered"].astype("boolean")
    days = _float(df, "afterschool_days_week")
    hours = _float(df, "afterschool_hours_day")
    end = df["afterschool_end_ok"].astype("boolean")
    meets = (
        offered.fillna(False).to_numpy(bool)
        & (days >= std["days_per_week"])
        & (hours >= std["min_hours_per_day"] - 1e-9)
        & end.fillna(False).to_numpy(bool)
    )
    not_offered = (offered == False).fillna(False).to_numpy(bool)  # noqa: E712
    known = not_offered | (
        offered.notna().to_numpy() & np.isfinite(days) & np.isfinite(hours) & end.notna().to_numpy()
    )
    return _nullable_bool(meets & ~not_offered, known, df.index, "afterschool_time_ok")


RULES: dict[str, DeriveRule] = {
    "stage_from_grade": stage_from_grade,
    "homework_within_limit": homework_within_limit,
    "sleep_meets_standard": sleep_meets_standard,
    "parent_anxiety": parent_anxiety,
    "tutoring_spend_share": tutoring_spend_share,
    "afterschool_5_plus_2": afterschool_5_plus_2,
}

# the source columns each rule needs
RULE_SOURCES: dict[str, tuple[str, ...]] = {
    "stage_from_grade": ("grade",),
    "homework_within_limit": ("grade", "homework_min_weekday"),
    "sleep_meets_standard": ("grade", "sleep_hours"),
    "parent_anxiety": (),  # any anxiety item present
    "tutoring_spend_share": ("tutoring_spend_year", "household_income"),
    "afterschool_5_plus_2": (
        "afterschool_offered",
        "afterschool_days_week",
        "afterschool_hours_day",
        "afterschool_end_ok",
    ),
}


def derive(
    df: pd.DataFrame,
    policy: _policy.Policy | None = None,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Return a copy of ``df`` with every derived variable (re)computed from its sources.

    A derived variable whose sources are absent is left out; a column already present under a
    derived name is replaced, so derived values always follow the rules.
    """
    pol = policy or _policy.load()
    cb = codebook or load()
    out = df.copy()
    for v in cb:
        if not v.derived:
            continue
        needs = RULE_SOURCES[v.derived]
        if v.derived == "parent_anxiety" and not any(c in df.columns for c in cb.anxiety_items):
            continue
        if not all(c in df.columns for c in needs):
            continue
        out[v.name] = RULES[v.derived](df, pol, cb)
    return out
