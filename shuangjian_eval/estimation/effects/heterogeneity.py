"""Heterogeneous effects: estimates by subgroup, a test of equal effects, multiple testing.

- :func:`by_group` runs any estimator of the package per subgroup (income quintile, urban/rural,
  school stage, pilot city, ...) and tests whether the effects are equal across groups.
- :func:`adjust_pvalues` adjusts a family of p-values (several outcomes) for multiple testing
  (Holm or Benjamini-Hochberg, with statsmodels' ``multipletests``).
- :func:`weighted_quantile_groups` cuts a column into quantile groups with sampling weights
  (e.g. household-income quintiles within wave).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...base.options import check_choice, check_options
from ..results import EstimateResult
from ..weights import usable_weights
from ._fe import CELL_COLUMNS, add_cell_sizes

__all__ = ["GroupedResult", "adjust_pvalues", "by_group", "weighted_quantile_groups"]

ADJUST_METHODS: tuple[str, ...] = ("holm", "fdr_bh", "bonferroni")
ADJUST_OPTIONS: tuple[str, ...] = ("method", "alpha", "term")
QUANTILE_OPTIONS: tuple[str, ...] = ("q", "weights", "by")


@dataclass(eq=False, repr=False)  # the summary, as EstimateResult's
class GroupedResult(EstimateResult):
    """Result of :func:`by_group`: one row per group plus a test of equal effects.

    Extra attributes
    ----------------
    equality_test : pandas.DataFrame
        One row: ``statistic`` (chi-square), ``df`` (G - 1), ``p_value``, ``n_groups``,
        ``pooled_estimate`` (inverse-variance weighted), ``valid``, ``reason`` and ``note``.
    group_results : dict
        The estimator's full result for each group, keyed by the row's term.
    """

    equality_test: pd.DataFrame | None = None
    group_results: dict[str, Any] = field(default_factory=dict, repr=False)

    def _header_lines(self) -> list[str]:
        lines = super()._header_lines()
        if self.equality_test is not None and len(self.equality_test):
            t = self.equality_test.iloc[0]
            if bool(t["valid"]):
                lines.append(
                    f"equal effects: chi2({int(t['df'])}) = {t['statistic']:.4g}, "
                    f"p = {t['p_value']:.4g}" + (f"  [{t['note']}]" if t["note"] else "")
                )
            else:
                lines.append(f"equal effects: not tested ({t['reason']})")
        return lines


def _resolve(estimator: Callable[..., Any] | str) -> Callable[..., Any]:
    if callable(estimator):
        return estimator
    if isinstance(estimator, str):
        effects = importlib.import_module("shuangjian_eval.estimation.effects")
        names = list(getattr(effects, "__all__", []))
        if estimator not in names or estimator in ("by_group", "adjust_pvalues"):
            raise ValueError(f"unknown estimator {estimator!r}; valid: {', '.join(names)}")
        return getattr(effects, estimator)
    raise ValueError(f"estimator must be a function or an estimator name, got {estimator!r}")


def _label(group: list[str], key: tuple[Any, ...]) -> str:
    return ", ".join(f"{g}={k}" for g, k in zip(group, key, strict=True))


def _pick_row(result: EstimateResult, term: str | None) -> pd.Series:
    table = result.table
    if term is None:
        if len(table) != 1:
            raise ValueError(
                f"the estimator returns {len(table)} terms {list(table['term'])}: "
                "choose one with term="
            )
        return table.iloc[0]
    hit = table.loc[table["term"] == term]
    if hit.empty:
        raise ValueError(f"term {term!r} is not in the result; terms: {list(table['term'])}")
    return hit.iloc[0]


def _shared_clusters(df: pd.DataFrame, group: list[str], cluster: Any) -> bool:
    if not isinstance(cluster, str) or cluster not in df.columns:
        return False
    sub = df[[*group, cluster]].dropna()
    n_groups = sub.groupby(cluster, observed=True)[group].nunique().max(axis=1)
    return bool((n_groups > 1).any())


def by_group(
    estimator: Callable[..., EstimateResult] | str,
    df: pd.DataFrame,
    *,
    group: str | Sequence[str],
    term: str | None = None,
    **kwargs: Any,
) -> GroupedResult:
    """Run an estimator within each subgroup and test that the effects are equal.

    Parameters
    ----------
    estimator : callable or str
        Any estimator of the package (``sje.did``, ``sje.ordinal_logit``, a survey mean in a
        lambda, ...) or its name in :mod:`shuangjian_eval.estimation.effects`. Called as
        ``estimator(subset, **kwargs)``.
    df : pandas.DataFrame
        Data.
    group : str or sequence of str
        Column(s) defining the groups, e.g. ``"urban"``, ``"income_quintile"``,
        ``["stage", "urban"]``. Rows with a missing group are left out.
    term : str, optional
        The term of each group's result to compare (e.g. the treatment term of a DID); needed
        when the estimator returns more than one term.
    **kwargs
        Options passed on to the estimator (validated by it).

    Returns
    -------
    GroupedResult
        One row per group (term ``"col=value"``, label columns for the group values and
        ``effect_term``), with each group's estimate, standard error and ``df``/``n`` where the
        estimator gives them, and its ``n_min_cell``/``n_psu_min_cell`` (the smallest cell
        the group's effect rests on) where the estimator's table has them. A group where the estimator fails or returns an invalid row gets an
        invalid row with the reason (an error in every group is raised instead: a bad option).
        ``equality_test`` holds the Wald test of equal effects and ``group_results`` each
        group's full result.

    Notes
    -----
    The test is Cochran's Q: ``sum_g (b_g - b_pooled)^2 / se_g^2``, chi-square with ``G - 1``
    degrees of freedom, where ``b_pooled`` is the inverse-variance weighted mean. It assumes the
    group estimates are **independent**, which holds when groups are made of different sampled
    clusters (urban/rural strata, pilot and other cities, schools) but not when one cluster
    contributes to several groups (e.g. income quintiles or grades within the same schools).
    Then, if ``cluster=`` is passed on, the test is flagged approximate in ``note``: the
    covariance of the group estimates is ignored, which is conservative when that covariance is
    positive (the usual case) but not guaranteed; a joint model with interactions (one
    regression with ``treated x group`` terms and cluster-robust variance) gives the exact test.
    The t reference distribution of a group's own interval (``df``) is kept; the equality test is
    asymptotic.
    """
    fn = _resolve(estimator)
    group = [group] if isinstance(group, str) else list(group)
    if not group:
        raise ValueError("group must name at least one column")
    for col in group:
        if col not in df.columns:
            raise KeyError(f"group column {col!r} is not in the data")
    if term is not None and not isinstance(term, str):
        raise ValueError(f"term must be a term name, got {term!r}")
    keep = df[group].notna().all(axis=1)
    rows, results, errors = [], {}, []
    cell_sizes: dict[str, tuple[float, float]] = {}
    for key, sub in df.loc[keep].groupby(group, observed=True, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        label = _label(group, key)
        labels = dict(zip(group, key, strict=True))
        try:
            res = fn(sub, **kwargs)
        except Exception as exc:  # one group's failure is a row, not the end of the batch
            errors.append(exc)
            rows.append({"term": label, **labels, "effect_term": term or "", "estimate": np.nan,
                         "std_error": np.nan, "n": len(sub), "valid": False,
                         "reason": f"{type(exc).__name__}: {exc}"})  # fmt: skip
            continue
        results[label] = res
        try:
            row = _pick_row(res, term)
        except ValueError:
            if bool(res.table["valid"].any()):
                raise  # a usage error: the term does not exist
            why = "; ".join(sorted(set(res.table["reason"]))) or "invalid result"
            rows.append({"term": label, **labels, "effect_term": term or "", "estimate": np.nan,
                         "std_error": np.nan, "n": res.nobs, "valid": False, "reason": why})  # fmt: skip
            continue
        if all(c in row.index for c in CELL_COLUMNS):
            cell_sizes[label] = (float(row[CELL_COLUMNS[0]]), float(row[CELL_COLUMNS[1]]))
        se = float(row["std_error"])
        ok = bool(row.get("valid", True)) and np.isfinite(row["estimate"]) and se > 0
        reason = str(row.get("reason", "") or "") if not ok else ""
        rows.append(
            {
                "term": label,
                **labels,
                "effect_term": str(row["term"]),
                "estimate": float(row["estimate"]),
                "std_error": se,
                "df": float(row["df"]) if "df" in row.index else np.nan,
                "n": int(row["n"]) if "n" in row.index and pd.notna(row["n"]) else res.nobs,
                "valid": ok,
                "reason": reason or ("" if ok else "no finite positive standard error"),
            }
        )
    if not rows:
        raise ValueError(f"no rows with a non-missing {group}")
    if errors and len(errors) == len(rows):
        raise errors[0]
    table = pd.DataFrame(rows)
    options = {"estimator": getattr(fn, "__name__", str(fn)), "group": group, "term": term}
    options.update(kwargs)
    out = GroupedResult.from_estimates(
        table, method=f"by_group({options['estimator']})", options=options, nobs=int(keep.sum())
    )
    if cell_sizes:
        add_cell_sizes(out.table, cell_sizes, (np.nan, np.nan))
    out.group_results = results
    out.equality_test = _equality_test(
        out.table, _shared_clusters(df, group, kwargs.get("cluster"))
    )
    return out


def _equality_test(table: pd.DataFrame, shared: bool) -> pd.DataFrame:
    ok = table["valid"].to_numpy(bool)
    b = table.loc[ok, "estimate"].to_numpy(float)
    v = table.loc[ok, "std_error"].to_numpy(float) ** 2
    g = len(b)
    row: dict[str, Any] = {"test": "wald_equal_effects", "statistic": np.nan, "df": g - 1,
                           "p_value": np.nan, "n_groups": g, "pooled_estimate": np.nan,
                           "valid": g >= 2, "reason": "", "note": ""}  # fmt: skip
    if g < 2:
        row["reason"] = f"needs at least 2 groups with valid estimates, got {g}"
        row["df"] = np.nan
    else:
        pooled = float(np.sum(b / v) / np.sum(1 / v))
        q = float(np.sum((b - pooled) ** 2 / v))
        row.update(statistic=q, p_value=float(stats.chi2.sf(q, g - 1)), pooled_estimate=pooled)
        if shared:
            row["note"] = (
                "clusters span several groups: group estimates are correlated, so this "
                "independent-groups test is approximate (usually conservative)"
            )
    return pd.DataFrame([row])


# ------------------------------------------------------------------------------ multiplicity
def adjust_pvalues(
    results_or_pvalues: Any,
    *,
    method: str = "holm",
    alpha: float = 0.05,
    term: str | None = None,
    **unknown: Any,
) -> pd.DataFrame:
    """Adjust a family of p-values for multiple testing (Holm or Benjamini-Hochberg).

    Parameters
    ----------
    results_or_pvalues : EstimateResult, mapping, sequence or Series
        The family: a mapping ``{outcome: result or p-value}``, a sequence of results or
        p-values, a pandas Series of p-values, or one result (its rows are the family).
    method : {"holm", "fdr_bh", "bonferroni"}
        Holm's step-down family-wise error control, Benjamini-Hochberg false-discovery rate
        (R ``p.adjust(method = "BH")``), or Bonferroni. statsmodels ``multipletests`` computes
        them.
    alpha : float
        Level for the ``reject`` column.
    term : str, optional
        For results with several terms, the term that represents each outcome (e.g. the
        treatment term).

    Returns
    -------
    pandas.DataFrame
        One row per member: ``name``, ``term`` (for results), ``estimate`` and ``std_error``
        (for results), ``p_value``, ``p_adjusted``, ``reject``. Missing p-values (invalid rows)
        stay NaN and are not counted in the family.
    """
    from statsmodels.stats.multitest import multipletests

    check_options("adjust_pvalues", unknown, ADJUST_OPTIONS)
    check_choice("method", method, ADJUST_METHODS)
    if not isinstance(alpha, float | int) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    frame = _family(results_or_pvalues, term)
    p = frame["p_value"].to_numpy(float)
    finite = np.isfinite(p)
    if np.any((p[finite] < 0) | (p[finite] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    adjusted = np.full(p.shape, np.nan)
    reject = np.zeros(p.shape, dtype=bool)
    if finite.any():
        rej, adj, _, _ = multipletests(p[finite], alpha=alpha, method=method)
        adjusted[finite], reject[finite] = adj, rej
    frame["p_adjusted"] = adjusted
    frame["reject"] = reject
    frame["method"] = method
    return frame


def _family(obj: Any, term: str | None) -> pd.DataFrame:
    if isinstance(obj, EstimateResult):
        t = obj.table if term is None else obj.table.loc[obj.table["term"] == term]
        if t.empty:
            raise ValueError(f"term {term!r} is not in the result; terms: {obj.terms}")
        return pd.DataFrame(
            {"name": obj.method, "term": t["term"].to_numpy(),
             "estimate": t["estimate"].to_numpy(float), "std_error": t["std_error"].to_numpy(float),
             "p_value": np.where(t["valid"], t["p_value"].to_numpy(float), np.nan)}
        )  # fmt: skip
    if isinstance(obj, pd.Series | Mapping):
        items = list(obj.items())
    elif isinstance(obj, Sequence | np.ndarray) and not isinstance(obj, str):
        items = [(_name(v, i), v) for i, v in enumerate(obj)]
    else:
        raise ValueError(
            "results_or_pvalues must be a result, a mapping, a sequence or a Series of results or "
            f"p-values, got {type(obj).__name__}"
        )
    if not items:
        raise ValueError("the family is empty")
    rows = []
    for name, v in items:
        if isinstance(v, EstimateResult):
            r = _pick_row(v, term)
            valid = bool(r.get("valid", True))
            rows.append({"name": str(name), "term": str(r["term"]), "estimate": float(r["estimate"]),
                         "std_error": float(r["std_error"]),
                         "p_value": float(r["p_value"]) if valid else np.nan})  # fmt: skip
        elif isinstance(v, int | float | np.integer | np.floating) or v is None:
            rows.append({"name": str(name), "p_value": np.nan if v is None else float(v)})
        else:
            raise ValueError(f"member {name!r} is neither a result nor a p-value: {v!r}")
    return pd.DataFrame(rows)


def _name(v: Any, i: int) -> str:
    if isinstance(v, EstimateResult):
        outcome = v.options.get("outcome")
        return str(outcome) if isinstance(outcome, str) else f"{v.method}[{i}]"
    return str(i)


# ------------------------------------------------------------------------------ quantile groups
def weighted_quantile_groups(
    df: pd.DataFrame,
    column: str,
    q: int = 5,
    weights: str | None = None,
    by: str | Sequence[str] | None = None,
    **unknown: Any,
) -> pd.Series:
    """Quantile groups ``1..q`` of a column, with sampling weights, optionally within groups.

    A row's weighted mid-rank percentile is ``(W_below + W_tied / 2) / W``, where ``W_below``
    is the weight of rows with a smaller value, ``W_tied`` the weight of rows with the same
    value (itself included) and ``W`` the total, all within its ``by`` group; its quantile group
    is ``min(floor(q * percentile), q - 1) + 1``. Tied values share a group, and with weights the
    groups hold about ``1/q`` of the *weighted* total each: population quintiles, not sample
    quintiles. This is the definition ``sje.synth`` uses for its income quintiles.

    Parameters
    ----------
    df : pandas.DataFrame
        Data.
    column : str
        Numeric column to cut, e.g. ``"household_income"``.
    q : int
        Number of groups (5: quintiles).
    weights : str, optional
        Sampling-weight column; unweighted when None.
    by : str or sequence of str, optional
        Cut within these groups, e.g. ``"wave"``.

    Returns
    -------
    pandas.Series
        Integer group (nullable ``Int8``) aligned with ``df``; missing where the value, weight or
        ``by`` is missing or the weight is 0. ``attrs["lower_bounds"]`` maps each ``by`` group
        (``"all"`` without ``by``) to the smallest value of each quantile group.
    """
    check_options("weighted_quantile_groups", unknown, QUANTILE_OPTIONS)
    if not isinstance(q, int | np.integer) or not 2 <= q <= 1000:
        raise ValueError(f"q must be an integer from 2 to 1000, got {q!r}")
    by = [] if by is None else [by] if isinstance(by, str) else list(by)
    for col in [column, *([weights] if weights else []), *by]:
        if col not in df.columns:
            raise KeyError(f"column {col!r} is not in the data")
    if not pd.api.types.is_numeric_dtype(df[column]):
        raise ValueError(f"column {column!r} must be numeric, it has dtype {df[column].dtype}")
    x = df[column].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    w = np.ones(len(df))
    if weights:
        w = df[weights].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    usable, left_out = usable_weights(w, str(weights), among=np.isfinite(x))
    ok = np.isfinite(x) & usable
    if by:
        ok &= df[by].notna().all(axis=1).to_numpy()
        codes = df.loc[ok, by].groupby(by, observed=True, sort=True).ngroup().to_numpy()
    else:
        codes = np.zeros(int(ok.sum()), dtype=np.int64)
    xs, ws = x[ok], w[ok]
    order = np.lexsort((xs, codes))
    xo, wo, go = xs[order], ws[order], codes[order]
    total = np.bincount(go, weights=wo)
    start = np.concatenate([[0.0], np.cumsum(total)[:-1]])
    cum = np.cumsum(wo) - start[go]  # weight up to and including the row, within its group
    new_block = np.ones(len(xo), dtype=bool)
    new_block[1:] = (xo[1:] != xo[:-1]) | (go[1:] != go[:-1])
    block = np.cumsum(new_block) - 1
    block_w = np.bincount(block, weights=wo)
    block_end = np.zeros(block.max() + 1 if len(block) else 0)
    np.maximum.at(block_end, block, cum)
    pct = (block_end[block] - block_w[block] / 2) / total[go]
    grp = np.minimum(np.floor(pct * q).astype(np.int64), q - 1) + 1
    out = np.full(len(df), -1, dtype=np.int64)
    pos = np.flatnonzero(ok)[order]
    out[pos] = grp
    series = pd.Series(pd.array(np.where(out > 0, out, 0), dtype="Int8"), index=df.index)
    series[out < 0] = pd.NA
    series.name = f"{column}_q{q}"
    keys = df.loc[ok, by].iloc[order] if by else pd.DataFrame(index=range(len(xo)))
    names = [", ".join(str(getattr(v, "item", lambda v=v: v)()) for v in k)
             for k in keys.itertuples(index=False)] if by else "all"  # fmt: skip
    low = pd.DataFrame({"key": names, "group": grp, "value": xo})
    low = low.groupby(["key", "group"], sort=False)["value"].min()
    series.attrs["left_out"] = left_out  # rows without a usable weight (..weights)
    series.attrs["lower_bounds"] = {
        k: [float(v) for v in low.loc[k].sort_index().to_numpy()] for k in low.index.unique(0)
    }
    return series
