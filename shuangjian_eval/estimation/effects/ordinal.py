"""Proportional-odds (ordered) logit for Likert outcomes, with sampling weights and clusters.

The model is the cumulative logit of MASS::polr, ordinal::clm and Stata's ``ologit``:

.. math:: \\operatorname{logit} P(Y \\le j \\mid x) = \\theta_j - x^\\top \\beta,
          \\qquad j = 1, \\dots, J - 1,

so a positive coefficient shifts responses towards the higher categories, and
``exp(beta)`` is the odds ratio of being above any given category. Cut points ``theta_j`` are
reported on their natural scale with R's names ``"1|2"``, ``"2|3"``, ... (statsmodels'
``OrderedModel`` estimates the first cut and the log increments instead; the fit here is the same
likelihood, maximised by Newton's method on the natural scale, where it is concave).

Sampling weights enter as a pseudo-likelihood ``sum_i w_i log p_i(y_i)``: the point estimate is the
one a frequency-weighted fit gives, but the variance is the sandwich ``H^-1 (sum s s') H^-1`` of
the weighted scores (``n/(n-1)`` small-sample factor, as Stata's ``vce(robust)``), or with
``cluster`` the same with scores summed within clusters (``G/(G-1)``, as ``vce(cluster)``).
Strata are not used, so with a stratified design the cluster variance is slightly conservative.

With ``design=`` (a :class:`~shuangjian_eval.estimation.survey.SurveyDesign`) the weights are
the design's and the variance is design-based, as R ``survey::svyolr``: ``V = H^-1 Var(sum_i u_i)
H^-1`` with ``u_i`` the weighted scores and ``H`` the weighted observed information, i.e. the
design covariance of the totals of the influence values ``u_i H^-1`` (strata, PSUs, fpc, the
lonely-PSU rule and, on a calibrated design, the residuals of the calibration regression), computed
by the design itself. Rows the fit leaves out stay in the design with influence 0 (a domain, as
R's PSU totals padded with zeros).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, log_expit

from ...base.options import as_names, check_choice, check_columns, check_options
from ..results import EstimateResult, invalid_row
from ..weights import usable_weights
from ._fe import add_cell_sizes, covariate_cells, smallest_cell
from .design_based import check_design

__all__ = ["OrdinalLogitResult", "ordinal_logit"]

OPTIONS: tuple[str, ...] = (
    "outcome",
    "covariates",
    "levels",
    "weights",
    "cluster",
    "cov_type",
    "design",
    "level",
)
COV_TYPES: tuple[str | None, ...] = (None, "nonrobust", "robust", "cluster")
_MAX_ITER, _TOL = 200, 1e-11


# ------------------------------------------------------------------------------ design matrix
@dataclass(frozen=True)
class _Covariate:
    """How one covariate becomes columns: as a number, or dummies against its first level."""

    column: str
    levels: tuple[Any, ...] | None = None  # None: numeric

    @property
    def names(self) -> list[str]:
        if self.levels is None:
            return [self.column]
        return [f"{self.column}[{lev}]" for lev in self.levels[1:]]

    def encode(self, s: pd.Series) -> np.ndarray:
        """Columns for ``s``: float (NaN where missing); dummies NaN where missing."""
        if self.levels is None:
            return _as_float(s, self.column)[:, None]
        values = s.astype(object).to_numpy()
        missing = pd.isna(s).to_numpy()
        unknown = sorted({str(v) for v in values[~missing] if v not in self.levels})
        if unknown:
            raise ValueError(
                f"covariate {self.column!r} has levels {unknown} not seen in the fitted data; "
                f"known levels: {[str(v) for v in self.levels]}"
            )
        out = np.zeros((len(s), len(self.levels) - 1))
        for j, lev in enumerate(self.levels[1:]):
            out[:, j] = values == lev
        out[missing] = np.nan
        return out


def _as_float(s: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    raise ValueError(f"column {name!r} must be numeric or boolean, it has dtype {s.dtype}")


def _covariate_spec(df: pd.DataFrame, covariates: Sequence[str]) -> list[_Covariate]:
    spec = []
    for col in covariates:
        s = df[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            spec.append(_Covariate(col))
        elif isinstance(s.dtype, pd.CategoricalDtype):
            used = set(s.dropna().unique())
            spec.append(_Covariate(col, tuple(c for c in s.cat.categories if c in used)))
        else:
            spec.append(_Covariate(col, tuple(sorted(s.dropna().unique(), key=str))))
    return spec


def _design(df: pd.DataFrame, spec: Sequence[_Covariate]) -> np.ndarray:
    if not spec:
        return np.zeros((len(df), 0))
    return np.column_stack([c.encode(df[c.column]) for c in spec]).reshape(len(df), -1)


def _cell_sizes(
    spec: Sequence[_Covariate],
    X: np.ndarray,
    y: np.ndarray,
    cut_names: Sequence[str],
    clusters: np.ndarray | None,
) -> dict[str, tuple[float, float]]:
    """Smallest supporting cell of every term (rows and clusters used in the fit).

    A 0/1 covariate rests on its two values; a dummy ``col[level]`` on that level and the
    reference level; a numeric covariate on every row. Where a 0/1 covariate is the product of
    two others (``treated_post = treated * post``: a difference in differences), all three rest
    on the four cells of the two factors. A cut point ``j|k`` rests on the answers up to ``j``
    and those above it.
    """
    sizes: dict[str, tuple[float, float]] = {}
    names = [n for c in spec for n in c.names]
    binary = [j for j in range(X.shape[1]) if np.all((X[:, j] == 0.0) | (X[:, j] == 1.0))]
    pos = 0
    for c in spec:
        width = len(c.names)
        block = X[:, pos : pos + width]
        for j, name in enumerate(c.names):
            if c.levels is None:
                cells = covariate_cells(block[:, j])
            else:
                cells = [block[:, j] == 1.0, ~block.astype(bool).any(axis=1)]
            sizes[name] = smallest_cell(cells, clusters)
        pos += width
    for c in binary:
        for a in binary:
            for b in binary:
                if len({a, b, c}) == 3 and a < b and np.array_equal(X[:, c], X[:, a] * X[:, b]):
                    xa, xb = X[:, a] == 1.0, X[:, b] == 1.0
                    four = [xa & xb, xa & ~xb, ~xa & xb, ~xa & ~xb]
                    for j in (a, b, c):
                        sizes[names[j]] = smallest_cell(four, clusters)
    for j, name in enumerate(cut_names):
        sizes[name] = smallest_cell([y <= j, y > j], clusters)
    return sizes


# ------------------------------------------------------------------------------ likelihood
def _loglik_parts(
    params: np.ndarray, y: np.ndarray, X: np.ndarray, w: np.ndarray, n_cut: int
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted log-likelihood, gradient, Hessian and the per-row scores (unweighted)."""
    k = X.shape[1]
    beta, theta = params[:k], params[k:]
    eta = X @ beta
    cuts = np.concatenate([[-np.inf], theta, [np.inf]])
    a, b = cuts[y + 1] - eta, cuts[y] - eta  # upper and lower bounds of the row's category
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        logp = log_expit(a) + log_expit(-b) + np.log(-np.expm1(b - a))
        p = np.exp(logp)
        fa, fb = expit(a) * expit(-a), expit(b) * expit(-b)  # logistic density, 0 at +-inf
        ha, hb = fa * (expit(-a) - expit(a)), fb * (expit(-b) - expit(b))  # its derivative
        ga, gb, ha, hb = fa / p, fb / p, ha / p, hb / p
    n, P = len(y), k + n_cut
    A = np.zeros((n, P))  # d a / d params
    B = np.zeros((n, P))  # d b / d params
    A[:, :k] = -X
    B[:, :k] = -X
    rows = np.arange(n)
    up, lo = y < n_cut, y > 0
    A[rows[up], k + y[up]] = 1.0
    B[rows[lo], k + y[lo] - 1] = 1.0
    scores = ga[:, None] * A - gb[:, None] * B
    grad = scores.T @ w
    hess = (A * (w * ha)[:, None]).T @ A - (B * (w * hb)[:, None]).T @ B
    hess -= (scores * w[:, None]).T @ scores
    return float(w @ logp), grad, hess, scores


def _start(y: np.ndarray, w: np.ndarray, k: int, n_cut: int) -> np.ndarray:
    share = np.bincount(y, weights=w, minlength=n_cut + 1) / w.sum()
    cum = np.clip(np.cumsum(share)[:-1], 1e-6, 1 - 1e-6)
    return np.concatenate([np.zeros(k), np.log(cum / (1 - cum))])


def _newton(
    y: np.ndarray, X: np.ndarray, w: np.ndarray, n_cut: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Maximise the weighted log-likelihood; returns params, Hessian, scores and a failure reason."""
    k = X.shape[1]
    params = _start(y, w, k, n_cut)
    ll, grad, hess, scores = _loglik_parts(params, y, X, w, n_cut)
    for _ in range(_MAX_ITER):
        try:
            step = np.linalg.solve(-hess, grad)
        except np.linalg.LinAlgError:
            return params, hess, scores, "singular information matrix (collinear covariates?)"
        decrement = float(grad @ step)
        if not np.isfinite(decrement):
            return params, hess, scores, "non-finite log-likelihood during the fit"
        t = 1.0
        while True:  # step halving: stay ordered and never lose likelihood
            new = params + t * step
            if np.all(np.diff(new[k:]) > 0):
                ll_new, g_new, h_new, s_new = _loglik_parts(new, y, X, w, n_cut)
                if np.isfinite(ll_new) and ll_new >= ll - 1e-10 * max(1.0, abs(ll)):
                    break
            t /= 2.0
            if t < 1e-12:
                return params, hess, scores, "line search failed"
        params, ll, grad, hess, scores = new, ll_new, g_new, h_new, s_new
        if decrement < _TOL * len(y):
            spread = X.std(axis=0) if k else np.zeros(0)
            if np.any(np.abs(params[:k]) * spread > 25):
                return (
                    params,
                    hess,
                    scores,
                    ("estimates diverge (separation: a covariate predicts the outcome perfectly)"),
                )
            return params, hess, scores, ""
    return params, hess, scores, f"no convergence in {_MAX_ITER} Newton iterations (separation?)"


def _separation(
    params: np.ndarray, hess: np.ndarray, y: np.ndarray, X: np.ndarray, n_cut: int
) -> str:
    """Why a converged fit sits at the boundary (quasi-complete separation), or "".

    Newton's method stops on a flat likelihood while a coefficient runs off to infinity; its
    marks are fitted probabilities of the observed category numerically 1 (above
    ``1 - 1e-8``: a linear predictor some 18 logits past a cut point) and an information
    matrix that is singular once the covariates are standardised (condition above ``1e12``).
    """
    k = X.shape[1]
    eta = X @ params[:k]
    cuts = np.concatenate([[-np.inf], params[k:], [np.inf]])
    p = expit(cuts[y + 1] - eta) - expit(cuts[y] - eta)
    certain = int(np.count_nonzero(p > 1.0 - 1e-8))
    scale = np.concatenate([X.std(axis=0) if k else np.zeros(0), np.ones(n_cut)])
    scale[scale == 0] = 1.0
    info = -hess * np.outer(scale, scale)
    cond = float(np.linalg.cond(info)) if info.size else 1.0
    if certain or not np.isfinite(cond) or cond > 1e12:
        return (
            f"quasi-complete separation: {certain} row(s) with fitted probability numerically "
            f"1 (information matrix condition {cond:.1e}); a covariate predicts the outcome "
            "perfectly in part of the data, so its coefficient is not finite"
        )
    return ""


# ------------------------------------------------------------------------------ result
@dataclass(eq=False, repr=False)  # the summary, as EstimateResult's
class OrdinalLogitResult(EstimateResult):
    """Result of :func:`ordinal_logit`: an :class:`EstimateResult` that can also predict.

    Extra attributes
    ----------------
    levels : tuple
        Outcome levels, lowest first (the columns of :meth:`predict_proba`).
    vcov : pandas.DataFrame or None
        Variance matrix of coefficients and cut points (natural scale).
    loglik : float
        (Pseudo-)log-likelihood at the estimate, with the weights as given.
    """

    levels: tuple[Any, ...] = ()
    vcov: pd.DataFrame | None = field(default=None, repr=False)
    loglik: float = float("nan")
    covariate_spec: tuple[_Covariate, ...] = field(default=(), repr=False)

    def _params(self) -> tuple[np.ndarray, np.ndarray]:
        if not bool(np.all(self.table["valid"])):
            reasons = sorted(set(self.table.loc[~self.table["valid"], "reason"]))
            raise ValueError(f"the model was not estimated: {'; '.join(reasons)}")
        t = self.table.set_index("term")
        is_cut = (t["coef_type"] == "threshold").to_numpy()
        return t["estimate"].to_numpy()[~is_cut], t["estimate"].to_numpy()[is_cut]

    def predict_proba(self, new_data: pd.DataFrame) -> pd.DataFrame:
        """Predicted probability of each outcome level for the rows of ``new_data``.

        Parameters
        ----------
        new_data : pandas.DataFrame
            Has every covariate column; categorical covariates use the fitted levels.

        Returns
        -------
        pandas.DataFrame
            One column per outcome level (lowest first), indexed like ``new_data``; rows with a
            missing covariate are NaN.
        """
        beta, theta = self._params()
        missing = [c.column for c in self.covariate_spec if c.column not in new_data.columns]
        if missing:
            raise KeyError(f"new_data lacks covariate column(s) {missing}")
        X = _design(new_data, self.covariate_spec)
        eta = X @ beta
        cum = expit(theta[None, :] - eta[:, None])
        cum = np.column_stack([np.zeros(len(eta)), cum, np.ones(len(eta))])
        probs = np.diff(cum, axis=1)
        return pd.DataFrame(probs, index=new_data.index, columns=[str(v) for v in self.levels])

    def odds_ratios(self, level: float | None = None) -> pd.DataFrame:
        """Odds ratios ``exp(beta)`` with intervals ``exp(ci)`` for the coefficients.

        Parameters
        ----------
        level : float, optional
            Confidence level; the result's level by default.

        Returns
        -------
        pandas.DataFrame
            Columns ``odds_ratio, ci_lower, ci_upper``, indexed by term (no cut points).
        """
        ci = self.conf_int(self.level if level is None else level)
        t = self.table.set_index("term")
        coef = t.index[t["coef_type"] == "coefficient"]
        return pd.DataFrame(
            {
                "odds_ratio": np.exp(t.loc[coef, "estimate"].to_numpy(float)),
                "ci_lower": np.exp(ci.loc[coef, "ci_lower"].to_numpy(float)),
                "ci_upper": np.exp(ci.loc[coef, "ci_upper"].to_numpy(float)),
            },
            index=pd.Index(coef, name="term"),
        )


# ------------------------------------------------------------------------------ estimator
def _fmt_level(v: Any) -> str:
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _outcome_codes(
    s: pd.Series, levels: Sequence[Any] | None, name: str
) -> tuple[np.ndarray, list]:
    """Integer codes 0..L-1 (-1 where missing) and the declared levels."""
    missing = pd.isna(s).to_numpy()
    if levels is None:
        if isinstance(s.dtype, pd.CategoricalDtype) and s.cat.ordered:
            levels = list(s.cat.categories)
        elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            levels = sorted(s.dropna().unique().tolist())
        else:
            raise ValueError(
                f"outcome {name!r} is neither numeric nor an ordered categorical: give levels= "
                "(the categories, lowest first)"
            )
    levels = list(levels)
    if len(set(levels)) != len(levels):
        raise ValueError(f"levels must be distinct, got {levels!r}")
    lookup = {v: i for i, v in enumerate(levels)}
    values = s.astype(object)
    mapped = values.map(lookup).astype(float)
    retry = mapped.isna().to_numpy() & ~missing
    if retry.any():  # "3" for 3, or 3.0 for "3"
        alt = values[retry].map(lambda v: lookup.get(_maybe_number(v), np.nan))
        mapped[retry] = alt.astype(float).to_numpy()
    bad = mapped.isna().to_numpy() & ~missing
    if bad.any():
        wrong = sorted({str(v) for v in values[bad]})
        raise ValueError(f"outcome {name!r} has values {wrong} not in levels {levels!r}")
    codes = mapped.fillna(-1).to_numpy(dtype=np.int64)
    return codes, levels


def _maybe_number(v: Any) -> Any:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return int(f) if f.is_integer() else f


def ordinal_logit(
    df: pd.DataFrame,
    *,
    outcome: str,
    covariates: Sequence[str] | str = (),
    levels: Sequence[Any] | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    cov_type: str | None = None,
    design: Any = None,
    level: float = 0.95,
    **unknown: Any,
) -> OrdinalLogitResult:
    """Proportional-odds logit of an ordered outcome (e.g. a 1-5 Likert item).

    ``logit P(Y <= j | x) = theta_j - x'beta``, as MASS::polr and Stata ``ologit``: positive
    coefficients move responses up the scale; cut points are reported as terms ``"1|2"``,
    ``"2|3"``, ... on their natural scale.

    Parameters
    ----------
    df : pandas.DataFrame
        Data, one row per respondent.
    outcome : str
        Ordered outcome column: numeric codes, an ordered categorical, or anything with
        ``levels``.
    covariates : str or sequence of str
        Covariate columns. Numeric and boolean columns enter as they are; categorical and text
        columns as dummies against their first level (terms ``"col[level]"``). No intercept:
        the cut points take its place.
    levels : sequence, optional
        Outcome levels, lowest first. Default: the categories of an ordered categorical, else the
        sorted observed values. A declared level nobody chose gets an invalid row (its two cut
        points are not identified) and the adjacent observed levels share one cut point.
    weights : str, optional
        Sampling-weight column (pseudo-likelihood with sandwich variance). Not frequency weights:
        the sample size stays the number of rows.
    cluster : str, optional
        Cluster (PSU, e.g. ``school_id``) column for cluster-robust variance.
    cov_type : {None, "nonrobust", "robust", "cluster"}
        Variance: None picks ``"cluster"`` with a cluster, ``"robust"`` with weights, else
        ``"nonrobust"`` (inverse observed information, as polr/clm/ologit).
    design : SurveyDesign, optional
        A design built on ``df`` (the same DataFrame: its rows, in its order). The weights are
        the design's (the calibrated ones of a calibrated design) and the variance is
        design-based, as R ``survey::svyolr``: the sandwich ``H^-1 Var(sum_i u_i) H^-1`` of the
        weighted scores ``u_i``, with the design variance of their totals (strata, PSUs, fpc,
        lonely-PSU rule, calibration residuals); inference is t on R's ``df.residual``, the
        design df of the rows in the fit (PSUs minus strata) minus the number of coefficients
        (cut points not counted), the ``df`` column. ``weights``, ``cluster`` and
        ``cov_type`` must not be given with it; ``options["cov_type"]`` is ``"design"``.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    OrdinalLogitResult
        Rows for the coefficients (``coef_type="coefficient"``) then the cut points
        (``"threshold"``); normal-theory Wald inference (t on the ``df`` column with
        ``design=``). ``n_min_cell`` and ``n_psu_min_cell``
        give the respondents and clusters (NaN without ``cluster=``) of the smallest cell a
        term rests on: the two values of a 0/1 covariate (the four cells of its factors for a
        product of two 0/1 covariates, such as ``treated_post``), a level and the reference
        level of a categorical one, all rows for a numeric one, the answers on either side of
        a cut point. ``predict_proba(new_data)`` gives
        category probabilities and ``odds_ratios()`` the exponentiated coefficients. A model
        that cannot be estimated (one level only, collinear covariates, separation) comes back
        with every row invalid and the reason.

    Notes
    -----
    Rows with a missing outcome, covariate, weight or cluster are dropped (listwise); ``nobs``
    counts the rows used. Robust variance uses the factor ``n/(n-1)``, cluster variance
    ``G/(G-1)`` (Stata's conventions for maximum-likelihood estimators); inference is
    normal-theory. Strata are ignored in the variance (usually slightly conservative), unless
    they come with ``design=``.
    """
    check_options("ordinal_logit", unknown, OPTIONS)
    covariates = as_names(covariates, "covariates")
    if not isinstance(outcome, str):
        raise ValueError(f"outcome must be a column name, got {outcome!r}")
    check_choice("cov_type", cov_type, COV_TYPES)
    if not isinstance(level, float | int) or not 0 < level < 1:
        raise ValueError(f"level must be a number strictly between 0 and 1, got {level!r}")
    w_design = None
    if design is not None:
        w_design = check_design(design, df, weights=weights, cluster=cluster, cov_type=cov_type)
    extra = [c for c in (weights, cluster) if c is not None]
    check_columns(df, [outcome, *covariates, *extra])
    if outcome in covariates:
        raise ValueError(f"outcome {outcome!r} may not also be a covariate")
    if design is not None:
        cov_type, weights = "design", design.weight
    elif cov_type is None:
        cov_type = "cluster" if cluster else "robust" if weights else "nonrobust"
    if cov_type == "cluster" and cluster is None:
        raise ValueError("cov_type='cluster' needs cluster=")
    if cluster is not None and cov_type != "cluster":
        raise ValueError(f"cluster= was given, so cov_type must be 'cluster', got {cov_type!r}")
    if weights is not None and cov_type == "nonrobust":
        raise ValueError(
            "weights are sampling weights: model-based ('nonrobust') variance would treat them "
            "as frequency counts; use cov_type='robust' or 'cluster'"
        )
    options = {
        "outcome": outcome,
        "covariates": covariates,
        "levels": levels,
        "weights": weights,
        "cluster": cluster,
        "cov_type": cov_type,
        "missing": "listwise",
    }

    codes, all_levels = _outcome_codes(df[outcome], levels, outcome)
    keep = (codes >= 0) & df[covariates].notna().all(axis=1).to_numpy()
    w = np.ones(len(df))
    left_out: dict[str, int] = {}
    if weights is not None or w_design is not None:
        w = w_design if w_design is not None else _as_float(df[weights], weights)
        usable, left_out = usable_weights(w, weights or "design weights", among=keep)
        keep &= usable
    if cluster is not None:
        keep &= df[cluster].notna().to_numpy()
    spec = _covariate_spec(df.loc[keep], covariates)
    X = _design(df.loc[keep], spec)
    y_all, w = codes[keep], w[keep]
    observed = np.unique(y_all)
    obs_levels = [all_levels[i] for i in observed]
    y = np.searchsorted(observed, y_all)
    names = [n for c in spec for n in c.names]
    cut_names = [
        f"{_fmt_level(a)}|{_fmt_level(b)}"
        for a, b in zip(obs_levels[:-1], obs_levels[1:], strict=True)
    ]
    kinds = ["coefficient"] * len(names) + ["threshold"] * len(cut_names)
    n = int(keep.sum())
    result_kw = {"method": "ordinal_logit", "options": options, "nobs": n, "level": level}
    empty = [f"level[{_fmt_level(v)}]" for v in all_levels if v not in obs_levels]
    clusters = pd.factorize(df.loc[keep, cluster])[0] if cluster is not None else None
    sizes = _cell_sizes(spec, X, y, cut_names, clusters)
    no_rows = (0.0, 0.0 if cluster is not None else np.nan)
    sizes.update(dict.fromkeys(empty, no_rows))

    def failed(reason: str) -> OrdinalLogitResult:
        terms, types = names + cut_names, kinds
        if not cut_names:
            terms, types = [*names, "thresholds"], [*kinds, "threshold"]
        rows = [invalid_row(t, reason, coef_type=k, n=n) for t, k in zip(terms, types, strict=True)]
        res = OrdinalLogitResult.from_estimates(pd.DataFrame(rows), **result_kw)
        add_cell_sizes(res.table, sizes, (np.nan, np.nan))
        res.levels = tuple(obs_levels)
        res.covariate_spec = tuple(spec)
        res.left_out = left_out
        return res

    single = [c.column for c in spec if c.levels is not None and len(c.levels) < 2]
    if single:
        return failed(f"categorical covariate(s) {single} have a single level after deletion")
    if len(obs_levels) < 2:
        return failed(f"outcome has {len(obs_levels)} observed level(s) after listwise deletion")
    if n <= len(names) + len(cut_names):
        return failed(f"too few rows ({n}) for {len(names) + len(cut_names)} parameters")
    if X.shape[1] and np.linalg.matrix_rank(np.column_stack([np.ones(n), X])) < X.shape[1] + 1:
        return failed("covariates are collinear (or constant) after listwise deletion")

    w_fit = w / w.mean()  # the estimate does not depend on the scale of the weights
    params, hess, scores, reason = _newton(y, X, w_fit, len(cut_names))
    reason = reason or _separation(params, hess, y, X, len(cut_names))
    if reason:
        return failed(reason)
    info_inv = np.linalg.inv(-hess)
    dof = None
    if cov_type == "nonrobust":
        vcov = info_inv
    elif cov_type == "design":  # R svyolr: svyrecvar(w * scores %*% solve(H), design)
        z = np.zeros((len(df), len(params)))  # the design weights the totals of z
        z[keep] = scores @ info_inv / w.mean()  # H of the weights w, not w_fit
        cov = design._covariance("total", {f"z{i}": z[:, i] for i in range(len(params))})
        if cov["reason"][0]:
            return failed(cov["reason"][0])
        vcov, dof = cov["vcov"][0], float(design._degf(keep) - len(names))
    else:
        ws = scores * w_fit[:, None]
        if cov_type == "cluster":
            groups = pd.factorize(df.loc[keep, cluster])[0] if n else np.array([], int)
            n_g = int(groups.max()) + 1
            if n_g < 2:
                return failed("cluster-robust variance needs at least 2 clusters")
            summed = np.zeros((n_g, ws.shape[1]))
            np.add.at(summed, groups, ws)
            factor = n_g / (n_g - 1)
        else:
            summed, factor = ws, n / (n - 1)
        vcov = info_inv @ (summed.T @ summed) @ info_inv * factor
    se = np.sqrt(np.diag(vcov))
    terms = names + cut_names
    table = pd.DataFrame(
        {"term": terms, "coef_type": kinds, "estimate": params, "std_error": se, "n": n}
    )
    if dof is not None:  # t on R svyolr's df.residual; normal when it is not positive
        table["df"] = dof if dof > 0 else np.nan
    if empty:
        reason = "no observations in this outcome level: its cut points are not identified"
        table = pd.concat(
            [table, pd.DataFrame([invalid_row(t, reason, coef_type="level", n=n) for t in empty])],
            ignore_index=True,
        )
    res = OrdinalLogitResult.from_estimates(table, **result_kw)
    add_cell_sizes(res.table, sizes, (np.nan, np.nan))
    res.levels = tuple(obs_levels)
    res.vcov = pd.DataFrame(vcov, index=terms, columns=terms)
    ll = _loglik_parts(params, y, X, w, len(cut_names))[0]
    res.loglik = ll
    res.covariate_spec = tuple(spec)
    res.left_out = left_out
    return res
