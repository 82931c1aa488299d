"""Result objects shared by all estimators.

Every estimator in the estimation layer returns an :class:`EstimateResult`: a tidy table with
one row per term (columns ``term, estimate, std_error, statistic, p_value, ci_lower,
ci_upper`` and optional extras such as ``n``, ``N``, ``deff``, ``df``, ``valid``, ``reason``),
the options it was run with, the number of observations, a short method name and the
confidence level.

Sampling weights follow one rule in every estimator (:mod:`.weights`): negative or infinite
weights are an error; rows with a missing or zero weight are left out and counted in the
result's ``left_out``.

A statistic that cannot be computed (a stratum with a single PSU under ``lonely_psu="fail"``,
an empty domain) is a row with ``valid=False``, a human-readable ``reason`` and NaN numbers;
it is never an exception in the middle of a batch. :func:`invalid_row` builds such a row.

This module is general: it imports nothing from the input or publication layers.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "TERM_COLUMNS",
    "TEST_COLUMNS",
    "CI_TRANSFORMS",
    "EstimateResult",
    "HypothesisTestResult",
    "critical_value",
    "invalid_row",
    "wald_inference",
]

#: Columns every result table has, in this order.
TERM_COLUMNS: tuple[str, ...] = (
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "ci_lower",
    "ci_upper",
)

#: Columns every table of tests has, in this order (:class:`HypothesisTestResult`).
TEST_COLUMNS: tuple[str, ...] = ("term", "statistic", "ndf", "ddf", "p_value", "distribution")

#: Scales on which a Wald interval can be built and transformed back.
CI_TRANSFORMS: tuple[str, ...] = ("identity", "logit")


def _as_df_array(df: float | Sequence[float] | np.ndarray | None, size: int) -> np.ndarray:
    """Degrees of freedom as a float array; NaN or inf means the normal distribution."""
    if df is None:
        return np.full(size, np.inf)
    out = np.broadcast_to(np.asarray(df, dtype=float), (size,)).copy()
    out[np.isnan(out)] = np.inf
    return out


def critical_value(level: float, df: float | Sequence[float] | np.ndarray | None = None) -> Any:
    """Two-sided critical value: normal quantile, or Student t where ``df`` is finite.

    Parameters
    ----------
    level : float
        Confidence level in (0, 1).
    df : float, array-like or None
        Degrees of freedom; None, NaN or inf give the normal distribution.

    Returns
    -------
    float or numpy.ndarray
        ``q`` such that ``P(-q < T < q) = level``.
    """
    _check_level(level)
    p = 0.5 + level / 2.0
    if df is None or np.isscalar(df):
        d = np.inf if df is None or not np.isfinite(float(df)) else float(df)  # type: ignore[arg-type]
        return float(stats.norm.ppf(p)) if np.isinf(d) else float(stats.t.ppf(p, d))
    d = _as_df_array(df, len(df))  # type: ignore[arg-type]
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(d), stats.norm.ppf(p), stats.t.ppf(p, np.where(np.isinf(d), 1, d)))


def _check_level(level: float) -> None:
    if not isinstance(level, int | float) or not 0.0 < float(level) < 1.0:
        raise ValueError(f"level must be a number strictly between 0 and 1, got {level!r}")


def wald_inference(
    estimate: np.ndarray | Sequence[float],
    std_error: np.ndarray | Sequence[float],
    *,
    level: float = 0.95,
    df: float | Sequence[float] | np.ndarray | None = None,
    transform: str = "identity",
) -> dict[str, np.ndarray]:
    """Wald statistic, two-sided p-value and confidence interval.

    Parameters
    ----------
    estimate, std_error : array-like
        Point estimates and their standard errors.
    level : float
        Confidence level.
    df : float, array-like or None
        Degrees of freedom of the reference t distribution (per term); None or NaN: normal.
    transform : {"identity", "logit"}
        Scale of the interval. ``"logit"`` builds ``logit(p) +- q * se / (p (1 - p))`` and
        transforms back (R ``svyciprop(method="logit")``); estimates of exactly 0 or 1 give a
        degenerate interval at that value.

    Returns
    -------
    dict of numpy.ndarray
        Keys ``statistic``, ``p_value``, ``ci_lower``, ``ci_upper``. The statistic tests
        ``estimate = 0`` on the original scale.
    """
    if transform not in CI_TRANSFORMS:
        raise ValueError(f"transform must be one of {list(CI_TRANSFORMS)}, got {transform!r}")
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(std_error, dtype=float)
    d = _as_df_array(df, est.size)
    q = critical_value(level, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
        finite_df = np.where(np.isinf(d), 1.0, d)
        p_t = 2.0 * stats.t.sf(np.abs(stat), finite_df)
        p_value = np.where(np.isinf(d), 2.0 * stats.norm.sf(np.abs(stat)), p_t)
        if transform == "identity":
            lower, upper = est - q * se, est + q * se
        else:
            eta = np.log(est / (1.0 - est))
            half = q * se / (est * (1.0 - est))
            lower = 1.0 / (1.0 + np.exp(-(eta - half)))
            upper = 1.0 / (1.0 + np.exp(-(eta + half)))
            edge = (est == 0.0) | (est == 1.0)
            lower = np.where(edge, est, lower)
            upper = np.where(edge, est, upper)
    return {"statistic": stat, "p_value": p_value, "ci_lower": lower, "ci_upper": upper}


def invalid_row(term: str, reason: str, **extra: Any) -> dict[str, Any]:
    """Build one table row for a statistic that could not be computed.

    Parameters
    ----------
    term : str
        Term label.
    reason : str
        Human-readable reason, e.g. ``"empty domain"``.
    **extra
        Further columns (domain labels, ``n``, ``N``, ...). Numeric result columns are NaN.

    Returns
    -------
    dict
        A row with ``valid=False`` and the reason, ready for ``pandas.DataFrame``.
    """
    row: dict[str, Any] = {"term": term}
    row.update(dict.fromkeys(TERM_COLUMNS[1:], np.nan))
    row.update(extra)
    row["valid"] = False
    row["reason"] = reason
    return row


class _Tabular:
    """Display shared by the result types: a header (method, nobs, options) and the table."""

    table: pd.DataFrame
    method: str
    options: dict[str, Any]
    nobs: int
    #: columns shown even when missing in every row
    _always_shown: tuple[str, ...] = TERM_COLUMNS

    def _column(self, name: str) -> float | pd.Series:
        values = self.table.set_index("term")[name]
        values.name = name
        if len(values) == 1:
            return float(values.iloc[0])
        return values

    @property
    def terms(self) -> list[str]:
        """Term labels, in table order."""
        return self.table["term"].tolist()

    @property
    def valid(self) -> bool | pd.Series:
        """Whether each term could be computed."""
        values = self.table.set_index("term")["valid"]
        return bool(values.iloc[0]) if len(values) == 1 else values

    def _header_lines(self) -> list[str]:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        n_invalid = int((~self.table["valid"]).sum())
        level = getattr(self, "level", None)
        lines = [
            f"{type(self).__name__}: {self.method}",
            f"nobs: {self.nobs}    terms: {len(self.table)}"
            + (f"    level: {level:g}" if level is not None else "")
            + (f"    invalid: {n_invalid}" if n_invalid else ""),
            f"options: {opts}" if opts else "options: (none)",
        ]
        return lines

    def _display_table(self) -> pd.DataFrame:
        """The table as shown: without ``valid`` and ``reason`` when every term is valid, and
        without a column that is missing in every row besides the inference columns (``df``
        of normal-reference results, for one)."""
        table = self.table
        if table["valid"].all():
            table = table.drop(columns=["valid", "reason"])
        keep = self._always_shown
        empty = [c for c in table.columns if c not in keep and table[c].isna().all()]
        return table.drop(columns=empty)

    def to_frame(self) -> pd.DataFrame:
        """The tidy table (a copy): one row per term."""
        return self.table.copy()

    def summary(self) -> str:
        """Plain-text summary: method, nobs, options and the table of terms."""
        body = self._display_table().to_string(
            index=False, float_format=lambda x: f"{x:.6g}", na_rep="NaN"
        )
        return "\n".join([*self._header_lines(), "", body])

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        """HTML table for notebooks; every piece of text is escaped with ``html.escape``."""
        table = self._display_table()
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
        rows = []
        for record in table.itertuples(index=False, name=None):
            cells = "".join(f"<td>{html.escape(_fmt_cell(v))}</td>" for v in record)
            rows.append(f"<tr>{cells}</tr>")
        caption = "<br>".join(html.escape(line) for line in self._header_lines())
        return (
            '<div class="sje-result"><table>'
            f"<caption>{caption}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        )


@dataclass(eq=False, repr=False)  # the summary (_Tabular)
class EstimateResult(_Tabular):
    """Estimates for one or many terms, with their inference and provenance.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per term with at least :data:`TERM_COLUMNS`. Optional columns: ``df``
        (degrees of freedom of the reference t distribution; NaN means normal), ``n``,
        ``N``, ``deff``, ``valid``, ``reason``, domain and variable labels. Missing ``valid``
        and ``reason`` columns are added (all valid).
    method : str
        Short name of the estimator, e.g. ``"mean"``.
    options : dict
        Options the estimator was run with.
    nobs : int
        Number of observations (rows) used.
    level : float
        Confidence level of ``ci_lower`` / ``ci_upper`` in ``table``.
    ci_transform : {"identity", "logit"}
        Scale on which :meth:`conf_int` rebuilds intervals from estimate and standard error.
    ci_function : callable, optional
        ``f(level) -> (lower, upper)`` for intervals that are not Wald intervals (for example
        Woodruff intervals for quantiles); used by :meth:`conf_int` when given.

    Examples
    --------
    >>> t = pd.DataFrame({"term": ["a"], "estimate": [1.0], "std_error": [0.5]})
    >>> r = EstimateResult.from_estimates(t, method="demo")
    >>> round(float(r.conf_int(0.95).loc["a", "ci_upper"]), 4)
    1.98
    """

    table: pd.DataFrame
    method: str
    options: dict[str, Any] = field(default_factory=dict)
    nobs: int = 0
    level: float = 0.95
    ci_transform: str = "identity"
    ci_function: Callable[[float], tuple[np.ndarray, np.ndarray]] | None = field(
        default=None, repr=False, compare=False
    )
    #: rows left out of the estimate, by reason (``"missing weight"``, ``"zero weight"``; see
    #: :mod:`shuangjian_eval.estimation.weights`)
    left_out: dict[str, int] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        missing = [c for c in TERM_COLUMNS if c not in self.table.columns]
        if missing:
            raise ValueError(
                f"result table lacks columns {missing}; it has {list(self.table.columns)}"
            )
        if self.ci_transform not in CI_TRANSFORMS:
            raise ValueError(
                f"ci_transform must be one of {list(CI_TRANSFORMS)}, got {self.ci_transform!r}"
            )
        _check_level(self.level)
        table = self.table.reset_index(drop=True)
        if _is_tidy(table):  # already what the rebuild below would make: keep it
            table.attrs = {}  # as the rebuild, which starts a new frame
        else:
            reason = table["reason"] if "reason" in table else [""] * len(table)
            fixed = {
                "term": [str(t) for t in table["term"]],
                "valid": table["valid"].to_numpy(bool) if "valid" in table else [True] * len(table),
                "reason": ["" if pd.isna(r) else str(r) for r in reason],
            }
            columns = [*table.columns, *(c for c in ("valid", "reason") if c not in table)]
            table = pd.DataFrame({c: fixed[c] if c in fixed else table[c].array for c in columns})
        if table["term"].duplicated().any():
            dup = table.loc[table["term"].duplicated(), "term"].iloc[0]
            raise ValueError(f"result terms must be unique; {dup!r} appears more than once")
        self.table = table

    @classmethod
    def from_estimates(
        cls,
        table: pd.DataFrame,
        *,
        method: str,
        options: Mapping[str, Any] | None = None,
        nobs: int = 0,
        level: float = 0.95,
        ci_transform: str = "identity",
    ) -> EstimateResult:
        """Build a result from ``term, estimate, std_error`` (and optionally ``df``).

        The statistic, p-value and confidence interval are computed by
        :func:`wald_inference`; rows with ``valid=False`` get NaN numbers.
        """
        cols: dict[str, Any] = {c: table[c].array for c in table.columns}
        valid = (
            table["valid"].to_numpy(dtype=bool) if "valid" in table else np.ones(len(table), bool)
        )
        est = table["estimate"].to_numpy(dtype=float)
        se = table["std_error"].to_numpy(dtype=float)
        df = table["df"].to_numpy(dtype=float) if "df" in table.columns else None
        return cls._assemble(cols, valid, est, se, df, method, options, nobs, level, ci_transform)

    @classmethod
    def _from_columns(
        cls,
        cols: dict[str, Any],
        *,
        method: str,
        options: Mapping[str, Any] | None = None,
        nobs: int = 0,
        level: float = 0.95,
        ci_transform: str = "identity",
    ) -> EstimateResult:
        """As :meth:`from_estimates` of ``pd.DataFrame(cols)``, without building that frame
        first: ``cols`` holds ``valid`` (bools), and ``estimate``, ``std_error`` and ``df`` as
        float arrays."""
        valid = np.asarray(cols["valid"], dtype=bool)
        est = np.asarray(cols["estimate"], dtype=float)
        se = np.asarray(cols["std_error"], dtype=float)
        df = np.asarray(cols["df"], dtype=float)
        return cls._assemble(
            dict(cols), valid, est, se, df, method, options, nobs, level, ci_transform
        )

    @classmethod
    def _assemble(
        cls,
        cols: dict[str, Any],
        valid: np.ndarray,
        estimate: np.ndarray,
        std_error: np.ndarray,
        df: np.ndarray | None,
        method: str,
        options: Mapping[str, Any] | None,
        nobs: int,
        level: float,
        ci_transform: str,
    ) -> EstimateResult:
        est = np.where(valid, estimate, np.nan)
        se = np.where(valid, std_error, np.nan)
        inf = wald_inference(est, se, level=level, df=df, transform=ci_transform)
        cols.update(estimate=est, std_error=se, **inf)
        tail = [c for c in ("df", "n", "N", "deff", "valid", "reason") if c in cols]
        labels = [c for c in cols if c not in TERM_COLUMNS and c not in tail]
        order = ["term", *labels, *TERM_COLUMNS[1:], *tail]
        return cls(
            table=pd.DataFrame({c: cols[c] for c in order}),
            method=method,
            options=dict(options or {}),
            nobs=int(nobs),
            level=level,
            ci_transform=ci_transform,
        )

    # ------------------------------------------------------------------ accessors
    @property
    def estimate(self) -> float | pd.Series:
        """Point estimate: a float for one term, else a Series indexed by term."""
        return self._column("estimate")

    @property
    def std_error(self) -> float | pd.Series:
        """Standard error: a float for one term, else a Series indexed by term."""
        return self._column("std_error")

    @property
    def p_value(self) -> float | pd.Series:
        """Two-sided p-value of the Wald test of ``estimate = 0``."""
        return self._column("p_value")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals at ``level``.

        Wald intervals are rebuilt from estimate and standard error with the stored reference
        distribution (normal, or t with the per-term ``df`` column) on the stored scale
        (``ci_transform``); results with a ``ci_function`` (e.g. Woodruff intervals for
        quantiles) recompute through it.

        Parameters
        ----------
        level : float
            Confidence level in (0, 1).

        Returns
        -------
        pandas.DataFrame
            Columns ``ci_lower`` and ``ci_upper``, indexed by term.
        """
        _check_level(level)
        if self.ci_function is not None:
            lower, upper = self.ci_function(level)
        else:
            df = self.table["df"].to_numpy(dtype=float) if "df" in self.table else None
            inf = wald_inference(
                self.table["estimate"].to_numpy(dtype=float),
                self.table["std_error"].to_numpy(dtype=float),
                level=level,
                df=df,
                transform=self.ci_transform,
            )
            lower, upper = inf["ci_lower"], inf["ci_upper"]
        out = pd.DataFrame(
            {"ci_lower": np.asarray(lower, float), "ci_upper": np.asarray(upper, float)},
            index=pd.Index(self.table["term"], name="term"),
        )
        out.loc[~self.table["valid"].to_numpy(), :] = np.nan
        return out


@dataclass(eq=False, repr=False)  # the summary, as EstimateResult's
class HypothesisTestResult(_Tabular):
    """Tests of hypotheses, one row per test (for example one per domain).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per test with at least :data:`TEST_COLUMNS`: ``term``, ``statistic``,
        ``ndf`` and ``ddf`` (degrees of freedom of the reference distribution: numerator and
        denominator of an F; ``ndf`` alone, ``ddf`` NaN, for a chi-squared), ``p_value``
        (upper tail) and ``distribution`` (``"F"`` or ``"chi2"``); further columns as the
        test gives them (domain labels, ``n``). ``valid`` and ``reason`` are added when
        missing (all valid); an invalid test has NaN numbers and its reason.
    method : str
        Short name of the test, e.g. ``"chisq"``.
    options : dict
        Options the test was run with.
    nobs : int
        Rows used.
    """

    table: pd.DataFrame
    method: str
    options: dict[str, Any] = field(default_factory=dict)
    nobs: int = 0
    _always_shown = TEST_COLUMNS[:5]

    def __post_init__(self) -> None:
        missing = [c for c in TEST_COLUMNS if c not in self.table.columns]
        if missing:
            raise ValueError(
                f"test table lacks columns {missing}; it has {list(self.table.columns)}"
            )
        table = self.table.reset_index(drop=True).copy()
        if "valid" not in table:
            table["valid"] = True
        if "reason" not in table:
            table["reason"] = ""
        table["valid"] = table["valid"].astype(bool)
        table["reason"] = ["" if pd.isna(r) else str(r) for r in table["reason"]]
        numbers = ["statistic", "ndf", "ddf", "p_value"]
        table[numbers] = table[numbers].astype(float)
        table.loc[~table["valid"], numbers] = np.nan
        self.table = table

    @property
    def statistic(self) -> float | pd.Series:
        """The test statistic: a float for one test, else a Series indexed by term."""
        return self._column("statistic")

    @property
    def p_value(self) -> float | pd.Series:
        """Upper-tail p-value."""
        return self._column("p_value")


def _is_tidy(table: pd.DataFrame) -> bool:
    """Whether ``table`` already has unique column labels, string terms and reasons without
    missing values and a boolean ``valid`` column, as :class:`EstimateResult` stores them."""
    columns = table.columns
    if not ("valid" in columns and "reason" in columns and columns.is_unique):
        return False
    text = pd.Index(["x"]).dtype  # the dtype pandas gives a list of str
    if not isinstance(text, pd.StringDtype) or columns.dtype != text:
        return False
    term, reason = table["term"].array, table["reason"].array
    return (
        table["valid"].dtype == np.bool_
        and term.dtype == text
        and reason.dtype == text
        and not term.isna().any()
        and not reason.isna().any()
    )


def _fmt_cell(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return "NaN" if np.isnan(value) else f"{value:.6g}"
    return str(value)
