"""Canonical variables (``codebook.yaml``) and the rules that compute derived variables.

The codebook is data: names, dtypes, units, valid ranges, categories, missing codes and zh/en
labels live in ``codebook.yaml``. Derived variables (``stage``, ``homework_within_limit``,
``sleep_meets_standard``, ``parent_anxiety``, ``tutoring_spend_share``) are computed here from
their sources and the standards in ``policy.yaml``; they are never read from input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from . import policy as _policy

__all__ = ["Codebook", "Variable", "load", "derive", "cast", "PANDAS_DTYPES"]

# codebook dtype -> pandas dtype of the canonical column (nullable where values may be missing)
PANDAS_DTYPES: dict[str, str] = {
    "string": "string",
    "category": "category",
    "bool": "boolean",
    "int8": "Int8",
    "int16": "Int16",
    "float32": "float32",
    "float64": "float64",
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
class Codebook:
    """All canonical variables, in codebook order."""

    variables: dict[str, Variable]
    anxiety_items: tuple[str, ...]
    scale_min_answered_share: float
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

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
        _check_lang(lang)
        return self.variables[name].label[lang] if name in self.variables else name

    def to_frame(self, lang: str = "en") -> pd.DataFrame:
        """The codebook as a table (for documentation and data-quality reports)."""
        _check_lang(lang)
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


def _check_lang(lang: str) -> None:
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")


@lru_cache(maxsize=1)
def load() -> Codebook:
    """Load the bundled codebook."""
    text = resources.files(__package__).joinpath("codebook.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    variables = {}
    for name, spec in raw["variables"].items():
        spec = dict(spec)
        spec["missing_codes"] = tuple(spec.get("missing_codes", ()))
        variables[name] = Variable(name=name, **spec)
    return Codebook(
        variables=variables,
        anxiety_items=tuple(raw["anxiety_items"]),
        scale_min_answered_share=float(raw["scale_min_answered_share"]),
        raw=raw,
    )


# ------------------------------------------------------------------------------------------
# casting


def cast(df: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """Return a copy with every codebook column in its canonical dtype.

    Values must already be valid (see :mod:`shuangjian_eval.validate`); categoricals get the
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


RULES: dict[str, DeriveRule] = {
    "stage_from_grade": stage_from_grade,
    "homework_within_limit": homework_within_limit,
    "sleep_meets_standard": sleep_meets_standard,
    "parent_anxiety": parent_anxiety,
    "tutoring_spend_share": tutoring_spend_share,
}

# the source columns each rule needs
RULE_SOURCES: dict[str, tuple[str, ...]] = {
    "stage_from_grade": ("grade",),
    "homework_within_limit": ("grade", "homework_min_weekday"),
    "sleep_meets_standard": ("grade", "sleep_hours"),
    "parent_anxiety": (),  # any anxiety item present
    "tutoring_spend_share": ("tutoring_spend_year", "household_income"),
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
