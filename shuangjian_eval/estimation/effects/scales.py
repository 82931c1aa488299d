"""Scale reliability: Cronbach's alpha, corrected item-total correlations, McDonald's omega.

For multi-item scales such as the parental-anxiety items ``anxiety_1 .. anxiety_k``. All three
functions use listwise deletion (rows with any missing item, or a missing weight, are dropped;
``nobs`` counts the rows used and ``options["n_dropped"]`` the rows dropped), as
``psych::alpha(na.omit(x))`` and pingouin's ``cronbach_alpha(nan_policy="listwise")``.

With sampling ``weights`` the covariance matrix is the weighted one (point estimates consistent
for the population quantity); interval widths then use Kish's effective sample size
``(sum w)^2 / sum w^2`` in place of ``n``, an approximation that ignores clustering.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...base.options import as_names, check_columns, check_options
from ..results import EstimateResult, critical_value, invalid_row
from ..weights import usable_weights

__all__ = ["ReliabilityResult", "cronbach_alpha", "item_total", "mcdonald_omega"]

ALPHA_OPTIONS = ("items", "ci", "weights")
ITEM_TOTAL_OPTIONS = ("items", "ci", "weights")
OMEGA_OPTIONS = ("items", "ci", "weights", "n_boot", "seed")


@dataclass(eq=False, repr=False)  # the summary, as EstimateResult's
class ReliabilityResult(EstimateResult):
    """An :class:`EstimateResult` with item-level statistics.

    Extra attributes
    ----------------
    items : pandas.DataFrame or None
        One row per item (indexed by item): for alpha, ``mean, sd, r_drop, alpha_if_dropped,
        std_alpha_if_dropped``; for omega, ``loading, uniqueness``.
    """

    items: pd.DataFrame | None = field(default=None, repr=False)


# ------------------------------------------------------------------------------ helpers
def _prepare(
    func: str,
    df: pd.DataFrame,
    items: Sequence[str] | None,
    weights: str | None,
    unknown: dict[str, Any],
    valid: Sequence[str],
    ci: float,
) -> tuple[list[str], np.ndarray, np.ndarray, int, dict[str, int]]:
    """Validate; return item names, the complete-case matrix, normalised weights, rows dropped
    and the rows left out for their weights (:mod:`..weights`)."""
    check_options(func, unknown, valid)
    if not isinstance(ci, float | int) or not 0 < ci < 1:
        raise ValueError(f"ci must be a confidence level strictly between 0 and 1, got {ci!r}")
    check_columns(df, [weights])
    if items is None:
        items = [c for c in df.columns if c != weights]
    items = as_names(items, "items")
    check_columns(df, items)
    for col in items:
        s = df[col]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            raise ValueError(f"item {col!r} must be numeric, it has dtype {s.dtype}")
    if len(set(items)) != len(items):
        raise ValueError(f"items must be distinct, got {items}")
    cols = [*items, *([weights] if weights else [])]
    data = df[cols].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    keep = ~np.isnan(data[:, : len(items)]).any(axis=1)
    left_out: dict[str, int] = {}
    if weights is not None:
        usable, left_out = usable_weights(data[:, -1], weights, among=keep)
        keep &= usable
    x = data[keep, : len(items)]
    w = data[keep, -1] if weights else np.ones(int(keep.sum()))
    w = w / w.mean() if w.size else w
    return items, x, w, int(len(df) - keep.sum()), left_out


def _cov(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted covariance with the unbiased-style divisor (plain ``n - 1`` when unweighted)."""
    mean = w @ x / w.sum()
    d = x - mean
    return (d * w[:, None]).T @ d / (w.sum() - (w @ w) / w.sum())


def _n_eff(w: np.ndarray) -> float:
    return float(w.sum() ** 2 / (w @ w)) if w.size else 0.0


def _alpha(c: np.ndarray) -> float:
    k = c.shape[0]
    return float(k / (k - 1) * (1 - np.trace(c) / c.sum()))


def _corr(c: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(c))
    return c / np.outer(sd, sd)


def _duhachek_se(c: np.ndarray, n: float) -> float:
    """Asymptotic SE of alpha (Duhachek & Iacobucci 2004; ``ase`` of psych::alpha)."""
    k, total, tr = c.shape[0], c.sum(), np.trace(c)
    cc = c @ c
    q = (2 * k**2 / ((k - 1) ** 2 * total**3)) * (
        total * (np.trace(cc) + tr**2) - 2 * tr * cc.sum()
    )
    return float(np.sqrt(q / n))


def _feldt(alpha: np.ndarray, n: float, k: int, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Feldt (1965) interval: ``1 - (1 - alpha) F`` with F(n - 1, (n - 1)(k - 1)) quantiles."""
    df1, df2 = n - 1, (n - 1) * (k - 1)
    p = 1 - level
    lower = 1 - (1 - alpha) * stats.f.ppf(1 - p / 2, df1, df2)
    upper = 1 - (1 - alpha) * stats.f.ppf(p / 2, df1, df2)
    return lower, upper


def _item_stats(x: np.ndarray, w: np.ndarray, names: list[str]) -> pd.DataFrame:
    c = _cov(x, w)
    k = len(names)
    rows = []
    for j in range(k):
        rest = [i for i in range(k) if i != j]
        c_rest = c[np.ix_(rest, rest)]
        var_rest = c_rest.sum()
        cov_jr = c[j, rest].sum()
        r_drop = cov_jr / np.sqrt(c[j, j] * var_rest) if c[j, j] > 0 and var_rest > 0 else np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            std_drop = _alpha(_corr(c_rest)) if k > 2 else np.nan
        rows.append(
            {
                "item": names[j],
                "mean": float(w @ x[:, j] / w.sum()),
                "sd": float(np.sqrt(c[j, j])),
                "r_drop": float(r_drop),
                "alpha_if_dropped": _alpha(c_rest) if k > 2 else np.nan,
                "std_alpha_if_dropped": std_drop,
            }
        )
    return pd.DataFrame(rows).set_index("item")


# ------------------------------------------------------------------------------ alpha
def cronbach_alpha(
    items_df: pd.DataFrame,
    *,
    items: Sequence[str] | None = None,
    ci: float = 0.95,
    weights: str | None = None,
    **unknown: Any,
) -> ReliabilityResult:
    """Cronbach's alpha with Feldt's confidence interval, standardized alpha and item statistics.

    ``alpha = k / (k - 1) * (1 - sum(var_i) / var(sum))`` from the item covariance matrix;
    standardized alpha is the same from the correlation matrix,
    ``k rbar / (1 + (k - 1) rbar)``.

    Parameters
    ----------
    items_df : pandas.DataFrame
        Item responses, e.g. ``df[["anxiety_1", ..., "anxiety_5"]]``; reverse-keyed items must
        already be reversed.
    items : sequence of str, optional
        Item columns; default all columns except ``weights``.
    ci : float
        Confidence level of the interval.
    weights : str, optional
        Sampling-weight column of ``items_df``.

    Returns
    -------
    ReliabilityResult
        Rows ``alpha`` and ``std_alpha``: the estimate, the Duhachek-Iacobucci asymptotic
        standard error (psych's ``ase``), and Feldt's F-based interval (psych ``alpha.ci``,
        pingouin), rebuilt by :meth:`~EstimateResult.conf_int` at any level; columns ``n``,
        ``n_items``, ``average_r``. ``.items`` holds per-item ``mean, sd, r_drop`` (corrected
        item-total correlation), ``alpha_if_dropped`` and ``std_alpha_if_dropped``. Fewer than two
        items or three complete rows, or a constant item, give invalid rows with the reason.

    Notes
    -----
    Listwise deletion. The Feldt interval assumes independent respondents and
    essentially tau-equivalent items; with weights it uses Kish's effective ``n``.
    """
    names, x, w, dropped, left_out = _prepare(
        "cronbach_alpha", items_df, items, weights, unknown, ALPHA_OPTIONS, ci
    )
    options = {"items": names, "ci": ci, "weights": weights, "missing": "listwise"}
    options["n_dropped"] = dropped
    n, k = x.shape
    n_eff = _n_eff(w)
    common = {"n": n, "n_items": k}
    res_kw = {"method": "cronbach_alpha", "options": options, "nobs": n, "level": ci}
    reason = ""
    if k < 2:
        reason = f"alpha needs at least 2 items, got {k}"
    elif n < 3:
        reason = f"too few complete rows ({n}) after listwise deletion"
    else:
        c = _cov(x, w)
        if np.any(np.diag(c) <= 0):
            const = [nm for nm, v in zip(names, np.diag(c), strict=True) if v <= 0]
            reason = f"item(s) {const} have no variance"
    if reason:
        rows = [invalid_row(t, reason, **common, average_r=np.nan) for t in ("alpha", "std_alpha")]
        return ReliabilityResult.from_estimates(pd.DataFrame(rows), **res_kw)
    r = _corr(c)
    average_r = float((r.sum() - k) / (k * (k - 1)))
    est = np.array([_alpha(c), _alpha(r)])
    se = np.array([_duhachek_se(c, n_eff), _duhachek_se(r, n_eff)])
    table = pd.DataFrame(
        {"term": ["alpha", "std_alpha"], "estimate": est, "std_error": se, **common}
    )
    table["average_r"] = average_r
    res = ReliabilityResult.from_estimates(table, **res_kw)
    res.table["ci_lower"], res.table["ci_upper"] = _feldt(est, n_eff, k, ci)
    res.ci_function = lambda lvl: _feldt(est, n_eff, k, lvl)
    res.items = _item_stats(x, w, names)
    res.left_out = left_out
    return res


def item_total(
    items_df: pd.DataFrame,
    *,
    items: Sequence[str] | None = None,
    ci: float = 0.95,
    weights: str | None = None,
    **unknown: Any,
) -> ReliabilityResult:
    """Corrected item-total correlations (each item against the sum of the other items).

    Parameters
    ----------
    items_df : pandas.DataFrame
        Item responses.
    items : sequence of str, optional
        Item columns; default all columns except ``weights``.
    ci : float
        Confidence level.
    weights : str, optional
        Sampling-weight column.

    Returns
    -------
    ReliabilityResult
        One row per item: ``estimate`` is psych's ``r.drop``; standard error
        ``(1 - r^2) / sqrt(n - 3)`` and a Fisher-z interval ``tanh(atanh(r) +- q / sqrt(n - 3))``;
        extra columns ``mean, sd, alpha_if_dropped, std_alpha_if_dropped, n``.

    Notes
    -----
    Listwise deletion; Kish's effective ``n`` with weights.
    """
    names, x, w, dropped, left_out = _prepare(
        "item_total", items_df, items, weights, unknown, ITEM_TOTAL_OPTIONS, ci
    )
    options = {"items": names, "ci": ci, "weights": weights, "missing": "listwise"}
    options["n_dropped"] = dropped
    n, k = x.shape
    res_kw = {"method": "item_total", "options": options, "nobs": n, "level": ci}
    if k < 2 or n < 4:
        reason = f"needs at least 2 items and 4 complete rows, got {k} items and {n} rows"
        rows = [invalid_row(t, reason, n=n) for t in names or ["item_total"]]
        return ReliabilityResult.from_estimates(pd.DataFrame(rows), **res_kw)
    st = _item_stats(x, w, names)
    n_eff = _n_eff(w)
    r = st["r_drop"].to_numpy(float)
    valid = np.isfinite(r)
    table = pd.DataFrame(
        {
            "term": names,
            "estimate": r,
            "std_error": (1 - r**2) / np.sqrt(n_eff - 3),
            **{c: st[c].to_numpy() for c in ("mean", "sd", "alpha_if_dropped")},
            "std_alpha_if_dropped": st["std_alpha_if_dropped"].to_numpy(),
            "n": n,
            "valid": valid,
            "reason": np.where(valid, "", "item has no variance"),
        }
    )
    res = ReliabilityResult.from_estimates(table, **res_kw)

    def fisher(level: float) -> tuple[np.ndarray, np.ndarray]:
        z, half = np.arctanh(r), critical_value(level) / np.sqrt(n_eff - 3)
        return np.tanh(z - half), np.tanh(z + half)

    res.table["ci_lower"], res.table["ci_upper"] = fisher(ci)
    res.ci_function = fisher
    res.items = st
    res.left_out = left_out
    return res


# ------------------------------------------------------------------------------ omega
def _one_factor(r: np.ndarray, n: float) -> tuple[np.ndarray, np.ndarray]:
    """Loadings and uniquenesses of a one-factor ML model of a correlation matrix."""
    import warnings

    from statsmodels.multivariate.factor import Factor

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = Factor(corr=r, n_factor=1, method="ml", nobs=int(round(n))).fit()
    lam = np.asarray(fit.loadings, float).ravel()
    lam = lam * (1.0 if lam.sum() >= 0 else -1.0)
    return lam, np.asarray(fit.uniqueness, float).ravel()


def _omegas(r: np.ndarray, n: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lam, psi = _one_factor(r, n)
    common = lam.sum() ** 2
    return np.array([common / r.sum(), common / (common + psi.sum())]), lam, psi


def mcdonald_omega(
    items_df: pd.DataFrame,
    *,
    items: Sequence[str] | None = None,
    ci: float = 0.95,
    weights: str | None = None,
    n_boot: int = 0,
    seed: int = 0,
    **unknown: Any,
) -> ReliabilityResult:
    """McDonald's omega total from a one-factor maximum-likelihood factor model.

    The factor model is fitted to the item correlation matrix by maximum likelihood
    (statsmodels ``Factor(method="ml")``, the model of R's ``factanal(x, factors = 1)``), giving
    standardized loadings ``lambda_i`` and uniquenesses ``psi_i = 1 - lambda_i^2``.

    - ``omega_total = (sum lambda)^2 / sum(R)``: common variance over the observed variance of the
      sum of standardized items (psych's convention for omega total);
    - ``omega_model = (sum lambda)^2 / ((sum lambda)^2 + sum psi)``: the same over the
      model-implied variance.

    Parameters
    ----------
    items_df : pandas.DataFrame
        Item responses (reverse-keyed items already reversed).
    items : sequence of str, optional
        Item columns; default all columns except ``weights``.
    ci : float
        Confidence level of the bootstrap interval.
    weights : str, optional
        Sampling-weight column (weighted correlation matrix; rows resampled with their weights).
    n_boot : int
        Bootstrap resamples of rows for a standard error and a percentile interval; 0 (default)
        reports the estimates without them (``std_error`` NaN).
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    ReliabilityResult
        Rows ``omega_total`` and ``omega_model``; ``.items`` holds ``loading`` and
        ``uniqueness`` per item. Fewer than three items (a one-factor model is not identified),
        too few rows or a constant item give invalid rows with the reason.

    Notes
    -----
    Listwise deletion. The bootstrap treats rows as independent (it ignores clustering).
    """
    names, x, w, dropped, left_out = _prepare(
        "mcdonald_omega", items_df, items, weights, unknown, OMEGA_OPTIONS, ci
    )
    if not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative integer, got {n_boot!r}")
    options = {"items": names, "ci": ci, "weights": weights, "n_boot": int(n_boot), "seed": seed}
    options.update(missing="listwise", n_dropped=dropped)
    n, k = x.shape
    terms = ["omega_total", "omega_model"]
    res_kw = {"method": "mcdonald_omega", "options": options, "nobs": n, "level": ci}
    reason = ""
    if k < 3:
        reason = f"a one-factor model needs at least 3 items, got {k}"
    elif n <= k + 1:
        reason = f"too few complete rows ({n}) for {k} items"
    elif np.any(np.diag(_cov(x, w)) <= 0):
        reason = "an item has no variance"
    if reason:
        rows = [invalid_row(t, reason, n=n, n_items=k) for t in terms]
        return ReliabilityResult.from_estimates(pd.DataFrame(rows), **res_kw)
    n_eff = _n_eff(w)
    est, lam, psi = _omegas(_corr(_cov(x, w)), n_eff)
    boot = np.empty((0, 2))
    if n_boot:
        rng = np.random.default_rng(seed)
        draws = []
        for _ in range(int(n_boot)):
            idx = rng.integers(0, n, n)
            c = _cov(x[idx], w[idx])
            if np.all(np.diag(c) > 0):
                draws.append(_omegas(_corr(c), n_eff)[0])
        boot = np.asarray(draws).reshape(-1, 2)
    se = boot.std(axis=0, ddof=1) if len(boot) > 1 else np.full(2, np.nan)
    table = pd.DataFrame({"term": terms, "estimate": est, "std_error": se, "n": n, "n_items": k})
    res = ReliabilityResult.from_estimates(table, **res_kw)
    if len(boot) > 1:

        def percentile(level: float) -> tuple[np.ndarray, np.ndarray]:
            p = (1 - level) / 2
            return np.quantile(boot, p, axis=0), np.quantile(boot, 1 - p, axis=0)

        res.table["ci_lower"], res.table["ci_upper"] = percentile(ci)
        res.ci_function = percentile
    res.items = pd.DataFrame(
        {"loading": lam, "uniqueness": psi}, index=pd.Index(names, name="item")
    )
    res.left_out = left_out
    return res
