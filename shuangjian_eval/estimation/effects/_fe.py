"""Shared machinery of the regression estimators: input checks, fixed effects absorbed by a
within transformation, (weighted) least squares and its covariance matrices.

Fixed effects are never turned into dummy columns. One fixed effect is removed exactly by
subtracting (weighted) group means. Two, of which the smaller has at most
:data:`EXACT_MAX_LEVELS` levels (the usual school + wave case), are removed exactly in one pass
by the Frisch-Waugh-Lovell theorem: demean by the large factor, then project out the few
dummies of the small one, whose cross-products are built from a (large x small) table of
weight sums. Any other combination uses weighted alternating projections (iterated demeaning)
to a relative tolerance of ``1e-12``. Every pass over the data is an ``np.bincount`` on
integer codes and a gather.

Small-sample conventions (those of R ``fixest`` / ``pyfixest``, defaults):

- ``K`` = estimated coefficients + fixed-effect levels, minus one per fixed effect after the
  first (redundant references);
- ``"nonrobust"``: ``sigma^2 = sum(w e^2) / (N - K)``;
- ``"HC1"``: ``N / (N - K)`` times the sandwich;
- ``"cluster"`` (CR1): ``G / (G - 1) * (N - 1) / (N - K)`` times the cluster sandwich, where
  ``K`` leaves out the levels of every fixed effect nested in the cluster variable (each such
  fixed effect counts as one parameter); t reference distribution with ``G - 1`` df, otherwise
  ``N - K``. ``lm`` + ``sandwich::vcovCL(type = "HC1")`` with dummies counts every dummy, so its
  variance is larger by ``(N - K_fixest) / (N - K_dummies)``.

Sampling weights scale the estimating equations (WLS); ``N`` is always a count of rows.

Smallest supporting cell: an effect rests on a few cells of the data (the treated group after
the policy, ...), and however large ``N`` is, one of them may hold three respondents. Every
effect table gives, per term, the respondents (``n_min_cell``) and the clusters
(``n_psu_min_cell``: distinct values of ``cluster=``, the PSUs; NaN without it) of the smallest
of its cells, counted on the rows used in the fit, so that a publication can suppress it
(``sje.tables.report_table``). Each is a minimum over the cells on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..results import EstimateResult

__all__ = [
    "CELL_COLUMNS",
    "COV_TYPES",
    "Absorber",
    "Factor",
    "Fit",
    "RegressionResult",
    "WaldTest",
    "add_cell_sizes",
    "covariate_cells",
    "factorize",
    "fit_wls",
    "smallest_cell",
    "to_float",
    "wald_test",
]

COV_TYPES: tuple[str, ...] = ("nonrobust", "HC1", "cluster", "CR2")
#: columns of the smallest supporting cell of each term: respondents, clusters (PSUs)
CELL_COLUMNS: tuple[str, str] = ("n_min_cell", "n_psu_min_cell")
EXACT_MAX_LEVELS = 5000
_AP_TOL, _AP_MAXITER = 1e-12, 10_000


# ---------------------------------------------------------------------------- input checks
def to_float(df: pd.DataFrame, col: str) -> np.ndarray:
    """A column as float64 (a view when it already is float64; missing values as NaN)."""
    s = df[col]
    if isinstance(s.dtype, pd.CategoricalDtype):
        raise ValueError(f"column {col!r} is categorical; a numeric column is needed")
    try:
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as err:
        raise ValueError(f"column {col!r} is not numeric ({s.dtype})") from err


def check_binary(x: np.ndarray, col: str) -> None:
    """Raise ValueError unless every non-missing value is 0 or 1."""
    ok = (x == 0.0) | (x == 1.0) | np.isnan(x)
    if not ok.all():
        raise ValueError(f"column {col!r} must be 0/1 or boolean; found {x[~ok][0]!r}")


@dataclass(frozen=True)
class Factor:
    """Integer codes ``0 .. n_levels - 1`` of a column (``-1`` where missing) and its labels."""

    name: str
    codes: np.ndarray
    n_levels: int
    labels: pd.Index

    def subset(self, keep: np.ndarray | None) -> Factor:
        """Codes of the kept rows, renumbered so that every level occurs."""
        codes = self.codes if keep is None else self.codes[keep]
        counts = np.bincount(codes, minlength=self.n_levels)
        used = counts > 0
        if used.all():
            return Factor(self.name, codes, self.n_levels, self.labels)
        remap = np.cumsum(used) - 1
        return Factor(self.name, remap[codes], int(used.sum()), self.labels[used])


def factorize(df: pd.DataFrame, col: str) -> Factor:
    """Factorise a column into sorted integer codes (fast paths for categoricals and ints)."""
    s = df[col]
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy().astype(np.intp)
        return Factor(col, codes, len(s.cat.categories), pd.Index(s.cat.categories))
    if pd.api.types.is_integer_dtype(s.dtype) and not s.hasnans and len(s):
        v = s.to_numpy(dtype=np.int64)
        lo, hi = int(v.min()), int(v.max())
        if hi - lo < max(1_000_000, 4 * len(v)):
            codes = (v - lo).astype(np.intp)
            present = np.flatnonzero(np.bincount(codes, minlength=hi - lo + 1))
            remap = np.full(hi - lo + 1, -1, np.intp)
            remap[present] = np.arange(present.size)
            return Factor(col, remap[codes], present.size, pd.Index(present + lo))
    codes, uniques = pd.factorize(s, sort=True, use_na_sentinel=True)
    return Factor(col, codes.astype(np.intp), len(uniques), pd.Index(uniques))


# ---------------------------------------------------------------------------- cell sizes
def smallest_cell(
    cells: Sequence[np.ndarray], clusters: np.ndarray | None = None
) -> tuple[float, float]:
    """Respondents and clusters of the smallest of ``cells`` (boolean masks over the rows).

    Parameters
    ----------
    cells : sequence of numpy.ndarray of bool
        The cells an estimate rests on, e.g. the four treated x period cells of a DID.
    clusters : numpy.ndarray of int, optional
        Cluster code of every row (non-negative); without it the clusters are NaN (unknown).

    Returns
    -------
    (float, float)
        The fewest rows of any cell, and the fewest distinct clusters of any cell (each a
        minimum on its own); ``(nan, nan)`` without cells.
    """
    if not len(cells):
        return np.nan, np.nan
    n = float(min(int(np.count_nonzero(m)) for m in cells))
    if clusters is None:
        return n, np.nan
    return n, float(min(np.unique(clusters[m]).size for m in cells))


def covariate_cells(x: np.ndarray) -> list[np.ndarray]:
    """Cells a covariate's coefficient rests on: its two values for a 0/1 (dummy) column, else
    every row."""
    finite = ~np.isnan(x)
    if np.all((x[finite] == 0.0) | (x[finite] == 1.0)):
        return [x == 1.0, x == 0.0]
    return [finite]


def add_cell_sizes(
    table: pd.DataFrame, sizes: dict[str, tuple[float, float]], default: tuple[float, float]
) -> None:
    """Add :data:`CELL_COLUMNS` to a result table in place, by term (``default`` for others)."""
    got = [sizes.get(str(t), default) for t in table["term"]]
    table[CELL_COLUMNS[0]] = np.array([g[0] for g in got], dtype=float)
    table[CELL_COLUMNS[1]] = np.array([g[1] for g in got], dtype=float)


# ---------------------------------------------------------------------------- absorbing FE
def _group_mean(codes: np.ndarray, x: np.ndarray, w: np.ndarray | None, wsum: np.ndarray):
    sums = np.bincount(codes, weights=x if w is None else x * w, minlength=wsum.size)
    return sums / wsum


class Absorber:
    """Within transformation for one or more fixed effects (weighted when ``weights`` given).

    Parameters
    ----------
    factors : sequence of Factor
        Fixed effects; every level must occur (see :meth:`Factor.subset`).
    weights : numpy.ndarray, optional
        Positive weights; the transformation is the ``W``-orthogonal projection.
    """

    def __init__(self, factors: Sequence[Factor], weights: np.ndarray | None = None) -> None:
        self.factors = list(factors)
        self.w = weights
        self.wsum = [
            np.bincount(f.codes, weights=weights, minlength=f.n_levels).astype(float)
            for f in self.factors
        ]
        self.method = "none" if not factors else "exact" if len(factors) == 1 else "ap"
        if len(self.factors) == 2:
            big, small = sorted(range(2), key=lambda i: -self.factors[i].n_levels)
            fb, fs = self.factors[big], self.factors[small]
            if fs.n_levels <= EXACT_MAX_LEVELS and fb.n_levels * fs.n_levels <= 50_000_000:
                self._setup_two_way(big, small)

    def _setup_two_way(self, big: int, small: int) -> None:
        fb, fs = self.factors[big], self.factors[small]
        n_small = fs.n_levels
        self._cell = fb.codes * n_small + fs.codes  # (big, small) cell of every row
        table = np.bincount(self._cell, weights=self.w, minlength=fb.n_levels * n_small)
        self._table = table.reshape(fb.n_levels, n_small).astype(float)
        w_big = self.wsum[big]
        rest = self._table[:, 1:]  # the small factor's first level is the reference
        gram = np.diag(self.wsum[small][1:]) - rest.T @ (rest / w_big[:, None])
        self._gram_pinv = np.linalg.pinv(gram, rcond=1e-12, hermitian=True)
        self._big, self._small = big, small
        self.method = "exact"

    def demean(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Residual of ``x`` after projecting out the fixed effects (new array or ``out``).

        Two-way exact path, with ``a`` the large and ``b`` the small factor: the weighted sums
        of ``x`` by (a, b) cell give the a-means ``m`` and ``r = B'W(x - m[a])``; then
        ``gamma = (B'W M_a B)^+ r`` and the residual is
        ``x - m[a] - gamma[b] + (C gamma / W_a)[a]``: one bincount and one gather per column.
        """
        if not self.factors:
            if out is None:
                return x.copy()
            out[:] = x
            return out
        w = self.w
        if len(self.factors) == 1:
            f = self.factors[0]
            return np.subtract(x, _group_mean(f.codes, x, w, self.wsum[0])[f.codes], out=out)
        if self.method == "exact":
            table, wb = self._table, self.wsum[self._big]
            sums = np.bincount(self._cell, weights=x if w is None else x * w, minlength=table.size)
            sums = sums.reshape(table.shape)
            mean_big = sums.sum(axis=1) / wb
            r = sums.sum(axis=0) - table.T @ mean_big
            gamma = np.concatenate([[0.0], self._gram_pinv @ r[1:]])
            shift = (table @ gamma) / wb - mean_big
            return np.add(x, (shift[:, None] - gamma[None, :]).ravel()[self._cell], out=out)
        return self._alternating(x, out)

    def _alternating(self, x: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        if out is None:
            res = x.copy()
        else:
            res = out
            res[:] = x
        scale = max(float(np.sqrt(np.mean(x * x))), 1e-300)
        for _ in range(_AP_MAXITER):
            change = 0.0
            for f, wsum in zip(self.factors, self.wsum, strict=True):
                m = _group_mean(f.codes, res, self.w, wsum)
                res -= m[f.codes]
                change = max(change, float(np.abs(m).max()))
            if change <= _AP_TOL * scale:
                return res
        raise RuntimeError("alternating projections did not converge")  # pragma: no cover


def constant_within(x: np.ndarray, factor: Factor) -> bool:
    """Whether ``x`` is (numerically) constant within every level of ``factor``.

    A strided sample of about 65,000 rows is checked first: variation there settles it
    cheaply; otherwise the whole column is compared with one value of its level.
    """
    scale = max(float(np.abs(x[:: max(1, x.size // 4096)]).max(initial=0.0)), 1e-300)
    step = max(1, x.size // 65_536)
    for xs, cs in ((x[::step], factor.codes[::step]), (x, factor.codes)):
        ref = np.zeros(factor.n_levels)
        ref[cs] = xs
        if float(np.abs(ref[cs] - xs).max(initial=0.0)) > 1e-10 * scale:
            return False
        if step == 1:
            break
    return True


def nested_in(inner: Factor, outer: Factor) -> bool:
    """Whether every level of ``inner`` lies within a single level of ``outer``."""
    first = np.full(inner.n_levels, -1, dtype=np.intp)
    first[inner.codes] = outer.codes
    return bool(np.array_equal(first[inner.codes], outer.codes))


# ---------------------------------------------------------------------------- least squares
@dataclass
class Fit:
    """Coefficients and covariance of a (weighted) least-squares fit."""

    names: list[str]
    coef: np.ndarray
    vcov: np.ndarray
    dropped: list[str]
    nobs: int
    df_k: int
    df_t: float
    n_clusters: int | None
    cov_type: str
    r2_within: float = np.nan
    notes: list[str] = field(default_factory=list)
    #: what the small-cluster inference needs (:mod:`.small_clusters`): the within-transformed
    #: design ``x`` and outcome ``y``, residuals, bread ``(x'Wx)^-1``, weights, the absorbed
    #: factors and the cluster factor; None without ``cluster=``
    parts: FitParts | None = field(default=None, repr=False)
    #: per-coefficient df (CR2's Satterthwaite df); None: ``df_t`` for every coefficient
    df_terms: np.ndarray | None = None
    #: what CR2's df and joint tests of contrasts need (``small_clusters``); None unless CR2
    cr2: Any = field(default=None, repr=False)


@dataclass(frozen=True)
class FitParts:
    """Arrays of a fit kept for cluster-robust inference beyond CR1 (no copies made)."""

    x: np.ndarray
    y: np.ndarray
    resid: np.ndarray
    bread: np.ndarray
    weights: np.ndarray | None
    absorber: Absorber
    cluster: Factor | None


def fit_wls(
    y: np.ndarray,
    columns: list[np.ndarray],
    names: list[str],
    *,
    weights: np.ndarray | None = None,
    absorb: Sequence[Factor] = (),
    cluster: Factor | None = None,
    cov_type: str = "HC1",
    intercept: bool = True,
    keep_parts: bool = False,
) -> Fit:
    """Weighted least squares of ``y`` on ``columns`` with absorbed fixed effects.

    Columns collinear with the fixed effects (constant within a level of one of them) or with
    earlier columns are dropped and named in ``Fit.dropped``. ``intercept`` is ignored when
    fixed effects are absorbed. ``Fit.parts`` is kept with ``cluster`` or ``keep_parts``.
    Inputs are not modified.
    """
    n = y.size
    absorber = Absorber(absorb, weights)
    keep: list[int] = []
    dropped: list[str] = []
    for j, col in enumerate(columns):
        if absorb and any(constant_within(col, f) for f in absorber.factors):
            dropped.append(names[j])
        else:
            keep.append(j)
    use_const = intercept and not absorb
    k = len(keep) + use_const
    mat = np.empty((n, k + 1), order="F")
    absorber.demean(y, out=mat[:, 0])
    pos = 1
    if use_const:
        mat[:, 1] = 1.0
        pos = 2
    raw_ss = [1.0] * use_const
    for j in keep:
        col = columns[j]
        raw_ss.append(float(col @ col if weights is None else (col * weights) @ col))
        absorber.demean(col, out=mat[:, pos])
        pos += 1
    kept_names = (["(intercept)"] if use_const else []) + [names[j] for j in keep]
    x = mat[:, 1:]
    xw = x if weights is None else x * weights[:, None]
    gram = xw.T @ x
    # drop columns that are linear combinations of earlier ones (scaled Gram, sequential)
    ok: list[int] = []
    for j in range(k):
        idx = [*ok, j]
        sub = gram[np.ix_(idx, idx)]
        d = np.sqrt(np.clip(np.diag(sub), 1e-300, None))
        eig = np.linalg.eigvalsh(sub / np.outer(d, d))
        if gram[j, j] > 1e-10 * raw_ss[j] and eig.min() > 1e-10:
            ok.append(j)
        else:
            dropped.append(kept_names[j])
    if len(ok) < k:
        x = np.asfortranarray(x[:, ok])
        xw = x if weights is None else x * weights[:, None]
        gram = gram[np.ix_(ok, ok)]
        kept_names = [kept_names[j] for j in ok]
    yt = mat[:, 0]
    bread = np.linalg.inv(gram) if len(ok) else np.zeros((0, 0))
    coef = bread @ (xw.T @ yt) if len(ok) else np.zeros(0)
    resid = yt - x @ coef if len(ok) else yt.copy()
    ssr = float(resid @ resid if weights is None else (weights * resid) @ resid)
    tss = float(yt @ yt if weights is None else (weights * yt) @ yt)
    k_fe = sum(f.n_levels for f in absorb)
    k_fe_adj = k_fe - (len(absorb) - 1) if len(absorb) > 1 else k_fe
    df_k = len(ok) + k_fe_adj
    n_clusters = None
    if cov_type == "nonrobust":
        vcov = bread * (ssr / (n - df_k))
        df_t = float(n - df_k)
    elif cov_type not in ("cluster", "CR2") or cluster is None:
        meat_x = xw * resid[:, None]
        vcov = bread @ (meat_x.T @ meat_x) @ bread * (n / (n - df_k))
        df_t = float(n - df_k)
    else:
        nested = [f for f in absorb if nested_in(f, cluster)]
        if nested:
            df_k = df_k - sum(f.n_levels for f in nested) + len(nested)
        g = cluster.n_levels
        scores = np.empty((g, len(ok)))
        for j in range(len(ok)):
            scores[:, j] = np.bincount(cluster.codes, weights=xw[:, j] * resid, minlength=g)
        small = g / (g - 1) * (n - 1) / (n - df_k) if g > 1 else np.nan  # one cluster: no variance
        vcov = bread @ (scores.T @ scores) @ bread * small
        df_t = float(g - 1)
        n_clusters = g
    return Fit(
        names=kept_names,
        coef=coef,
        vcov=vcov,
        dropped=dropped,
        nobs=n,
        df_k=df_k,
        df_t=df_t,
        n_clusters=n_clusters,
        cov_type=cov_type,
        r2_within=1.0 - ssr / tss if tss > 0 else np.nan,
        parts=FitParts(x, yt, resid, bread, weights, absorber, cluster)
        if cluster is not None or keep_parts
        else None,
    )


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True)
class WaldTest:
    """A joint Wald test that some coefficients are all zero.

    Attributes
    ----------
    statistic : float
        ``F = b' V^-1 b / q`` (``distribution="F"``) or ``b' V^-1 b`` (``"chi2"``).
    df : tuple
        ``(q, d)`` for F (``d`` = cluster count minus one for clustered SEs, else ``N - K``),
        ``(q,)`` for chi2.
    p_value : float
        Upper-tail probability.
    terms : tuple of str
        The coefficients tested.
    distribution : {"F", "chi2"}
    reason : str
        Why the test could not be computed (empty when it could).
    method : str
        ``"Wald"`` (the statistic on the covariance of the fit), or ``"HTZ"``: the CR2 test
        with Hotelling's T-squared approximation (``small_clusters.cr2_wald``).
    """

    statistic: float
    df: tuple[float, ...]
    p_value: float
    terms: tuple[str, ...]
    distribution: str = "F"
    reason: str = ""
    method: str = "Wald"

    def __repr__(self) -> str:
        if self.reason:
            return f"WaldTest(not computed: {self.reason})"
        d = ", ".join(f"{v:g}" for v in self.df)
        how = "" if self.method == "Wald" else f"{self.method}: "
        return (
            f"WaldTest({how}{self.distribution}({d}) = {self.statistic:.4g}, "
            f"p = {self.p_value:.4g}; terms {list(self.terms)})"
        )


def wald_test(
    coef: np.ndarray, vcov: np.ndarray, terms: Sequence[str], *, df_denom: float | None = None
) -> WaldTest:
    """Joint Wald test of ``coef == 0``: F(q, df_denom) when ``df_denom`` is finite, else chi2."""
    q = len(terms)
    dist = "chi2" if df_denom is None or not np.isfinite(df_denom) else "F"
    if q == 0:
        return WaldTest(np.nan, (0,), np.nan, (), dist, "no coefficients to test")
    if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(vcov))):
        return WaldTest(np.nan, (q,), np.nan, tuple(terms), dist, "missing estimates")
    try:
        w = float(coef @ np.linalg.solve(vcov, coef))
    except np.linalg.LinAlgError:
        return WaldTest(np.nan, (q,), np.nan, tuple(terms), dist, "singular covariance matrix")
    if np.linalg.cond(vcov) > 1e12:
        return WaldTest(np.nan, (q,), np.nan, tuple(terms), dist, "singular covariance matrix")
    if dist == "chi2":
        return WaldTest(w, (q,), float(stats.chi2.sf(w, q)), tuple(terms), "chi2")
    f = w / q
    return WaldTest(f, (q, float(df_denom)), float(stats.f.sf(f, q, df_denom)), tuple(terms))


@dataclass(eq=False, repr=False)  # the summary, as EstimateResult's
class RegressionResult(EstimateResult):
    """An :class:`~shuangjian_eval.estimation.results.EstimateResult` of a regression.

    ``focus`` names the term of interest (``"treated:post"`` for :func:`did`): ``estimate``,
    ``std_error``, ``p_value`` and ``valid`` return its value; every coefficient is in
    :meth:`to_frame`, their covariance matrix in ``vcov``.
    """

    focus: str | None = None
    vcov: pd.DataFrame | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()
    #: wild cluster bootstrap tests by term (``inference="wild"``; see ``small_clusters``)
    bootstrap: dict[str, Any] = field(default_factory=dict, repr=False)

    def _focus_value(self, name: str) -> Any:
        row = self.table.loc[self.table["term"] == self.focus, name]
        return row.iloc[0] if len(row) else np.nan

    @property
    def estimate(self) -> float | pd.Series:  # type: ignore[override]
        """Estimate of the focus term (all terms as a Series when there is no focus)."""
        return float(self._focus_value("estimate")) if self.focus else super().estimate

    @property
    def std_error(self) -> float | pd.Series:  # type: ignore[override]
        """Standard error of the focus term (all terms when there is no focus)."""
        return float(self._focus_value("std_error")) if self.focus else super().std_error

    @property
    def p_value(self) -> float | pd.Series:  # type: ignore[override]
        """p-value of the focus term (all terms when there is no focus)."""
        return float(self._focus_value("p_value")) if self.focus else super().p_value

    @property
    def valid(self) -> bool | pd.Series:  # type: ignore[override]
        """Whether the focus term could be estimated (all terms when there is no focus)."""
        return bool(self._focus_value("valid")) if self.focus else super().valid

    def summary(self) -> str:
        """Plain-text summary, with the focus term and notes (dropped terms, rows left out)."""
        lines = [super().summary()]
        if self.focus:
            lines.append(f"term of interest: {self.focus}")
        lines.extend(f"note: {n.strip()}" for n in self.notes if n and n.strip())
        return "\n".join(lines)


def table_from_fit(fit: Fit, extra: dict[str, list[Any]] | None = None) -> pd.DataFrame:
    """Tidy ``term, estimate, std_error, df`` table of a fit (plus extra label columns)."""
    se = np.sqrt(np.clip(np.diag(fit.vcov), 0.0, None)) if fit.names else np.zeros(0)
    df = fit.df_t if fit.df_terms is None else fit.df_terms
    table = pd.DataFrame({"term": fit.names, "estimate": fit.coef, "std_error": se, "df": df})
    for key, values in (extra or {}).items():
        table.insert(1, key, values)
    return table
