"""Inference that holds with few clusters: CR2 with Satterthwaite df, and the restricted wild
cluster bootstrap.

With a few dozen clusters or fewer, CR1 standard errors on ``t(G - 1)`` are too small: a DID
on 30 schools covers its true effect about 86 % of the time for nominal 95 %. Two remedies:

**CR2** (Bell and McCaffrey 2002; Pustejovsky and Tipton 2018), equal to R ``clubSandwich``
``vcovCR(fit, cluster, type = "CR2")`` on the ``lm`` with the fixed effects as dummies, and
``coef_test(..., test = "Satterthwaite")``:

- residuals of cluster ``g`` are multiplied by ``A_g = G_g^(-1/2)``, with
  ``G_g = [(I - H)(I - H)']_gg`` and ``H = U (U'WU)^+ U'W`` the hat matrix of the *full*
  model ``U = [X, D]``, fixed-effect dummies ``D`` included (``G_g = I - H_gg`` without
  weights); the within-transformed design alone gives a different (wrong) adjustment. The
  dummies never become an ``N x levels`` matrix: ``X`` is W-orthogonal to ``D`` after the
  within transformation, so ``(U'WU)^+`` is block diagonal and only the rows of one cluster
  are ever dense. The power ``-1/2`` leaves out eigenvalues below ``1e-12``
  (clubSandwich's ``matrix_power``);
- the working variance is the identity (clubSandwich's default for weighted ``lm``, whose
  ``inverse_var`` is FALSE with weights): Satterthwaite df ``= (sum_g |p_g|^2)^2 /
  sum_gh (p_g'p_h)^2`` with ``p_g = (I - H)'_{.,g} A_g W_g X_g R c``;
- no further small-sample factor.

No ``n_g x n_g`` matrix is formed either: ``G_g`` is the identity plus a matrix of rank at most
twice the columns of ``U``, whose power is taken on that span; the cost is linear in the rows.

**Wild cluster bootstrap** (restricted, WCR-C; Cameron, Gelbach and Miller 2008; the fast
algorithm of Roodman, MacKinnon, Nielsen and Webb 2019, as Stata ``boottest`` and Julia
``WildBootTests.jl``): the null ``beta_k = beta_0`` is imposed, the restricted residuals are
flipped cluster by cluster with weights ``v_g`` (Rademacher ``+-1``; Webb's six points
``+-sqrt(1/2), +-1, +-sqrt(3/2)`` below :data:`WEBB_BELOW` clusters), and the bootstrap t
uses the CR1 variance of each draw. No draw refits: with ``a = (R X'W)_k`` and ``u`` the
restricted residuals, the draw's estimate is ``sum_g v_g s_g`` (``s_g`` the cluster sums of
``a u``) and its cluster scores are ``C v`` for a ``G x G`` matrix ``C`` built once from
cluster sums; everything is linear in ``beta_0``, so the test can be inverted for a
confidence interval by evaluating ``O(reps)`` numbers per trial value.

The p-value is the share of bootstrap ``|t*|`` strictly above ``|t|``; the two sign vectors
``+-1`` reproduce ``+-t`` exactly and are ties, not counted (boottest / WildBootTests.jl).
When ``2^G <= reps`` with Rademacher weights every sign vector is enumerated: the p-value is
exact and the same for every seed.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from ...base.options import check_choice
from ..results import EstimateResult, wald_inference
from ._fe import Fit, FitParts, WaldTest

__all__ = [
    "FEW_CLUSTERS",
    "FEW_TREATED_CLUSTERS",
    "INFERENCE",
    "WEBB_BELOW",
    "WildTest",
    "adjust_fit",
    "apply_wild",
    "check_inference",
    "choose_inference",
    "cr2",
    "cr2_wald",
    "few_clusters_note",
    "wild_bootstrap",
]

#: inference options of the regression estimators: the analytic covariance, or the bootstrap
INFERENCE: tuple[str, ...] = ("analytic", "wild")
#: fewer clusters than this: the reports leave CR1 for the wild bootstrap (or CR2)
FEW_CLUSTERS = 50
#: fewer treated (or untreated) clusters than this: the reports use CR2 (Satterthwaite df),
#: whatever the number of clusters; the wild bootstrap is unreliable with so few on one side
FEW_TREATED_CLUSTERS = 6
#: Webb's six-point weights below this many clusters (Rademacher from it on)
WEBB_BELOW = 12
_EIG_TOL = 1e-12
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


# ---------------------------------------------------------------------------- shared pieces
def _cluster_rows(codes: np.ndarray, g: int) -> list[np.ndarray]:
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(g + 1))
    return [order[bounds[i] : bounds[i + 1]] for i in range(g)]


def _cluster_sums(codes: np.ndarray, g: int, values: np.ndarray) -> np.ndarray:
    """Sums of ``values`` (n or n x k) by cluster: (g,) or (g, k)."""
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=g)
    return np.column_stack(
        [np.bincount(codes, weights=values[:, j], minlength=g) for j in range(values.shape[1])]
    )


def _adjusted(
    u: np.ndarray, wg: np.ndarray, m: np.ndarray, mtm: np.ndarray, z: np.ndarray
) -> np.ndarray:
    """``G_g^(-1/2) z`` for ``G_g = I - H_gg - H_gg' + U_g M T M U_g'``, without forming the
    ``n_g x n_g`` matrix.

    ``G_g = I + B K B'`` with ``B = [U_g, W_g U_g]`` and ``K = [[MTM, -M], [-M, 0]]``: it is
    the identity outside the span of ``B``, so its power ``-1/2`` is ``I + Q (S^(-1/2) - I)
    Q'`` with ``Q`` an orthonormal basis of that span and ``S = Q' G_g Q`` (eigenvalues at or
    below ``1e-12`` left out, as clubSandwich's ``matrix_power``).
    """
    b = np.hstack([u, wg[:, None] * u])
    b = b[:, np.abs(b).max(axis=0) > 0]  # dummies of levels absent from the cluster
    if b.shape[1] == 0:
        return z
    qv, sv, _ = np.linalg.svd(b, full_matrices=False)
    q = qv[:, sv > sv[0] * 1e-12]
    qu, qwu = q.T @ u, q.T @ (wg[:, None] * u)
    s = np.eye(q.shape[1]) + qu @ mtm @ qu.T - qu @ m @ qwu.T - qwu @ m @ qu.T
    inner = _matrix_power(s, -0.5) - np.eye(q.shape[1])
    return z + q @ (inner @ (q.T @ z))


class _Dummies:
    """The absorbed fixed effects as a dummy block ``D`` that is never built for all rows."""

    def __init__(self, parts: FitParts) -> None:
        self.factors = parts.absorber.factors
        self.offsets = np.cumsum([0, *(f.n_levels for f in self.factors)])
        self.size = int(self.offsets[-1])

    def cross(self, w: np.ndarray) -> np.ndarray:
        """``D' diag(w) D`` (levels x levels)."""
        out = np.zeros((self.size, self.size))
        for i, fa in enumerate(self.factors):
            oa = self.offsets[i]
            diag = np.bincount(fa.codes, weights=w, minlength=fa.n_levels)
            out[oa : oa + fa.n_levels, oa : oa + fa.n_levels] = np.diag(diag)
            for j in range(i + 1, len(self.factors)):
                fb, ob = self.factors[j], self.offsets[j]
                tab = np.bincount(
                    fa.codes * fb.n_levels + fb.codes,
                    weights=w,
                    minlength=fa.n_levels * fb.n_levels,
                ).reshape(fa.n_levels, fb.n_levels)
                out[oa : oa + fa.n_levels, ob : ob + fb.n_levels] = tab
                out[ob : ob + fb.n_levels, oa : oa + fa.n_levels] = tab.T
        return out

    def cross_x(self, x: np.ndarray) -> np.ndarray:
        """``D' x`` (levels x k) for an n x k ``x``."""
        out = np.zeros((self.size, x.shape[1]))
        for i, f in enumerate(self.factors):
            out[self.offsets[i] : self.offsets[i + 1]] = _cluster_sums(f.codes, f.n_levels, x)
        return out

    def rows(self, idx: np.ndarray) -> np.ndarray:
        """Dense ``D`` of the rows ``idx``."""
        out = np.zeros((idx.size, self.size))
        for i, f in enumerate(self.factors):
            out[np.arange(idx.size), self.offsets[i] + f.codes[idx]] = 1.0
        return out


# ---------------------------------------------------------------------------- CR2
@dataclass(frozen=True)
class _CR2Pieces:
    """What the Satterthwaite df and the HTZ test of any contrasts need from a CR2 fit: per
    cluster ``g``, ``q_g' q_g`` (k x k), ``a_g = U_g' q_g`` and ``b_g = U_g' W_g q_g`` (p x k),
    with ``q_g = A_g W_g X_g R``; and ``M``, ``MTM`` (p x p)."""

    qq: np.ndarray  # (G, k, k)
    a: np.ndarray  # (G, p, k)
    b: np.ndarray  # (G, p, k)
    m: np.ndarray
    mtm: np.ndarray

    def p_array(self, c: np.ndarray) -> np.ndarray:
        """clubSandwich's ``P_array`` of the contrasts ``c`` (q x k): ``P[s, t, g, h] = p_gs'
        p_ht`` with ``p_gs = (I - H)'_{.,g} A_g W_g X_g R c_s`` (q x q x G x G)."""
        qq = np.einsum("si,gij,tj->stg", c, self.qq, c)
        ac, bc = self.a @ c.T, self.b @ c.T  # (G, p, q)
        bma = np.einsum("gps,pr,hrt->stgh", bc, self.m, ac)
        out = np.einsum("gps,pr,hrt->stgh", ac, self.mtm, ac) - bma - bma.transpose(1, 0, 3, 2)
        g = np.arange(qq.shape[2])
        out[:, :, g, g] += qq
        return out


def cr2(parts: FitParts) -> tuple[np.ndarray, np.ndarray]:
    """Bell-McCaffrey (CR2) covariance matrix and Satterthwaite df of every coefficient.

    Parameters
    ----------
    parts : FitParts
        The arrays of a clustered fit (``Fit.parts``).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The k x k covariance matrix and the k Satterthwaite degrees of freedom, as R
        ``clubSandwich`` (see the module docstring).

    Raises
    ------
    ValueError
        The fixed effects have more than 5000 levels in all.
    """
    vcov, pieces = _cr2(parts)
    return vcov, _satterthwaite(pieces, np.eye(vcov.shape[0]))


def _satterthwaite(pieces: _CR2Pieces, c: np.ndarray) -> np.ndarray:
    """Satterthwaite df of each contrast (row of ``c``): ``tr(P)^2 / sum(P^2)``."""
    df = np.empty(c.shape[0])
    for j in range(c.shape[0]):
        pm = pieces.p_array(c[j : j + 1])[0, 0]
        total = np.trace(pm)
        df[j] = total**2 / float((pm * pm).sum()) if total > 0 else np.nan
    return df


def _cr2(parts: FitParts) -> tuple[np.ndarray, _CR2Pieces]:
    x, e, r = parts.x, parts.resid, parts.bread
    n, k = x.shape
    w = np.ones(n) if parts.weights is None else parts.weights
    cl = parts.cluster
    rows = _cluster_rows(cl.codes, cl.n_levels)
    dummies = _Dummies(parts)
    if dummies.size > 5000:
        raise ValueError(f"CR2 with {dummies.size} fixed-effect levels (at most 5000)")
    w2 = w * w
    # M = (U'WU)^+ is block diagonal: X is W-orthogonal to D after the within transformation
    z = np.linalg.pinv(dummies.cross(w), rcond=1e-12, hermitian=True)
    p = k + dummies.size
    m = np.zeros((p, p))
    m[:k, :k], m[k:, k:] = r, z
    t = np.empty((p, p))
    t[:k, :k] = (x * w2[:, None]).T @ x
    dx = dummies.cross_x(x * w2[:, None])
    t[k:, :k], t[:k, k:], t[k:, k:] = dx, dx.T, dummies.cross(w2)
    mtm = m @ t @ m
    meat = np.zeros((k, k))
    qq = np.zeros((cl.n_levels, k, k))
    a_all = np.zeros((cl.n_levels, p, k))
    b_all = np.zeros((cl.n_levels, p, k))
    for gi, idx in enumerate(rows):
        u = np.hstack([x[idx], dummies.rows(idx)])
        wg = w[idx]
        q = _adjusted(u, wg, m, mtm, wg[:, None] * x[idx] @ r)  # n_g x k: A_g W_g X_g R
        score = q.T @ e[idx]
        meat += np.outer(score, score)
        qq[gi] = q.T @ q
        a_all[gi] = u.T @ q
        b_all[gi] = u.T @ (wg[:, None] * q)
    return meat, _CR2Pieces(qq, a_all, b_all, m, mtm)


def _matrix_power(x: np.ndarray, power: float) -> np.ndarray:
    """A symmetric matrix to a power, eigenvalues at or below ``1e-12`` left out
    (clubSandwich's ``matrix_power``)."""
    vals, vecs = np.linalg.eigh((x + x.T) / 2.0)
    scaled = np.where(vals > _EIG_TOL, np.abs(vals) ** power, 0.0)
    return (vecs * scaled) @ vecs.T


def cr2_wald(fit: Fit, terms: Sequence[str]) -> WaldTest:
    """CR2 joint Wald test that the coefficients ``terms`` are all zero, with Hotelling's
    T-squared approximation of its distribution ("HTZ", Pustejovsky and Tipton 2018), as R
    ``clubSandwich::Wald_test(fit, constrain_zero(terms), vcov = "CR2", test = "HTZ")``.

    With ``C`` the rows of the identity that pick ``terms`` (``q`` of them), ``Q = (Cb)' (C V
    C')^-1 (Cb)`` for the CR2 covariance ``V``; ``Omega = sum_g P[., ., g, g]`` and ``B =
    Omega^(-1/2) P Omega^(-1/2)`` for clubSandwich's ``P_array`` of ``C``; ``nu = q (q + 1) /
    sum_st sum_gh (B_stgh B_tsgh + B_ssgh B_ttgh)``. Then ``F = (nu - q + 1) / nu * Q / q`` on
    ``F(q, nu - q + 1)``; no test when ``nu - q + 1`` is not positive (too few clusters for
    ``q`` constraints; R's p-value is NA).

    Parameters
    ----------
    fit : Fit
        A clustered fit whose covariance :func:`adjust_fit` made CR2.
    terms : sequence of str
        Coefficients tested.
    """
    terms = list(terms)
    q = len(terms)
    if q == 0:
        return WaldTest(np.nan, (0,), np.nan, (), "F", "no coefficients to test", "HTZ")
    pieces = fit.cr2
    assert pieces is not None, "cr2_wald needs a fit adjusted to CR2"
    idx = [fit.names.index(t) for t in terms]
    c = np.eye(len(fit.names))[idx]
    beta = fit.coef[idx]
    v = fit.vcov[np.ix_(idx, idx)]
    if not (np.all(np.isfinite(beta)) and np.all(np.isfinite(v))):
        return WaldTest(np.nan, (q,), np.nan, tuple(terms), "F", "missing estimates", "HTZ")
    try:
        chol = np.linalg.cholesky(v)
    except np.linalg.LinAlgError:
        return WaldTest(np.nan, (q,), np.nan, tuple(terms), "F", "singular covariance matrix",
                        "HTZ")  # fmt: skip
    half = np.linalg.solve(chol, beta)
    big_q = float(half @ half)
    p = pieces.p_array(c)
    g = np.arange(p.shape[2])
    omega = p[:, :, g, g].sum(axis=2)
    root = _matrix_power(omega, -0.5)
    b = np.einsum("sa,abgh,bt->stgh", root, p, root)
    diag = b[np.arange(q), np.arange(q)]  # (q, G, G): B[s, s]
    var = np.einsum("stgh,tsgh->st", b, b) + np.einsum("sgh,tgh->st", diag, diag)
    nu = q * (q + 1) / float(var.sum())
    df2 = nu - q + 1
    if not df2 > 0:
        reason = (
            f"too few clusters for a joint test of {q} coefficients: the HTZ denominator df "
            f"(nu - q + 1 = {df2:.3g}) is not positive"
        )
        return WaldTest(np.nan, (q, df2), np.nan, tuple(terms), "F", reason, "HTZ")
    f = df2 / nu * big_q / q
    return WaldTest(f, (q, df2), float(stats.f.sf(f, q, df2)), tuple(terms), "F", "", "HTZ")


# ---------------------------------------------------------------------------- wild bootstrap
@dataclass(frozen=True)
class WildTest:
    """A restricted wild cluster bootstrap test of one coefficient.

    Attributes
    ----------
    statistic : float
        The t statistic (CR1) of ``beta_k = 0``.
    p_value : float
        Share of bootstrap ``|t*|`` strictly above ``|t|`` (ties with ``+-t`` not counted).
    ci : tuple of float
        Confidence interval by test inversion (the values ``beta_0`` with p above
        ``1 - level``).
    reps : int
        Bootstrap draws used (``2^G`` when enumerated).
    enumerated : bool
        Every Rademacher sign vector used: the p-value is exact and seed-free.
    weights : str
        ``"rademacher"`` or ``"webb"``.
    t_boot : numpy.ndarray
        The bootstrap t statistics under ``beta_k = 0``.
    """

    statistic: float
    p_value: float
    ci: tuple[float, float]
    reps: int
    enumerated: bool
    weights: str
    t_boot: np.ndarray

    def __repr__(self) -> str:
        how = "enumerated" if self.enumerated else "drawn"
        return (
            f"WildTest(t = {self.statistic:.4g}, p = {self.p_value:.4g}, "
            f"{self.reps} {self.weights} {how})"
        )


def _draws(g: int, reps: int, weights: str, seed: int | None) -> tuple[np.ndarray, bool]:
    if weights == "rademacher" and 2**g <= reps:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=g))).T
        return signs, True
    rng = np.random.default_rng(seed)
    if weights == "webb":
        return _WEBB[rng.integers(0, 6, size=(g, reps))], False
    return rng.choice(np.array([-1.0, 1.0]), size=(g, reps)), False


class _Linear:
    """The pieces of the bootstrap t that are linear in the null value ``beta_0``."""

    def __init__(self, parts: FitParts, j: int) -> None:
        x, r = parts.x, parts.bread
        n = x.shape[0]
        w = np.ones(n) if parts.weights is None else parts.weights
        cl = parts.cluster
        self.codes, self.g = cl.codes, cl.n_levels
        # M_r x_j, the W-residual of column j on the others, is x R e_j / R_jj; the restricted
        # residuals are u(beta_0) = e + (beta_j - beta_0) M_r x_j (e: the fit's residuals)
        xr_j = x @ r[:, j]
        m = xr_j / r[j, j]
        self.a = w * xr_j
        self.x, self.w, self.r = x, w, r
        self.a_sums = _cluster_sums(self.codes, self.g, self.a[:, None] * x)  # A_h
        self.nested = all(_nested(f.codes, self.codes, f.n_levels) for f in parts.absorber.factors)
        self.absorber = parts.absorber
        self.s1, self.c1 = self._pieces(m)
        self.e_s, self.e_c = self._pieces(parts.resid)

    def at_zero(self, beta: float) -> tuple[np.ndarray, np.ndarray]:
        """``s`` and ``C`` of the restricted residuals under ``beta_j = 0``."""
        return self.e_s + beta * self.s1, self.e_c + beta * self.c1

    def _pieces(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = _cluster_sums(self.codes, self.g, self.a * u)
        b = _cluster_sums(self.codes, self.g, (self.w * u)[:, None] * self.x)
        c = np.diag(s) - self.a_sums @ self.r @ b.T
        if not self.nested:  # fixed effects across clusters: their projection of each u_g
            for gi in range(self.g):
                ug = np.where(self.codes == gi, u, 0.0)
                proj = ug - self.absorber.demean(ug)
                c[:, gi] -= _cluster_sums(self.codes, self.g, self.a * proj)
        return s, c


def _nested(inner: np.ndarray, outer: np.ndarray, n_inner: int) -> bool:
    first = np.full(n_inner, -1, dtype=np.intp)
    first[inner] = outer
    return bool(np.array_equal(first[inner], outer))


def wild_bootstrap(
    parts: FitParts,
    coef: np.ndarray,
    j: int,
    *,
    reps: int = 9999,
    weights: str | None = None,
    seed: int | None = None,
    level: float = 0.95,
) -> WildTest:
    """Restricted wild cluster bootstrap test (and interval) of coefficient ``j``.

    Parameters
    ----------
    parts : FitParts
        The arrays of a clustered fit (``Fit.parts``).
    coef : numpy.ndarray
        The fit's coefficients.
    j : int
        Position of the coefficient tested.
    reps : int
        Bootstrap draws; all ``2^G`` Rademacher sign vectors when that is no more.
    weights : {"rademacher", "webb"}, optional
        Default: Webb below :data:`WEBB_BELOW` clusters, else Rademacher.
    seed : int, optional
        Seed of the draws (irrelevant when enumerated).
    level : float
        Confidence level of the interval.

    Returns
    -------
    WildTest
    """
    lin = _Linear(parts, j)
    beta = float(coef[j])
    s0, c0 = lin.at_zero(beta)
    g = lin.g
    kind = weights or ("webb" if g < WEBB_BELOW else "rademacher")
    v, enumerated = _draws(g, reps, kind, seed)
    n0, n1 = s0 @ v, lin.s1 @ v
    j0, j1 = c0 @ v, lin.c1 @ v
    q00, q01, q11 = (j0 * j0).sum(0), (j0 * j1).sum(0), (j1 * j1).sum(0)
    score = c0.sum(axis=1)  # v = 1: the cluster scores of the fit itself
    se = float(np.sqrt(score @ score))
    del j0, j1

    def t_boot(b0: float) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (n0 - b0 * n1) / np.sqrt(np.clip(q00 - 2 * b0 * q01 + b0 * b0 * q11, 0, None))

    def p_at(b0: float) -> float:
        t = abs((beta - b0) / se)
        return float(np.mean(np.abs(t_boot(b0)) > t * (1 + 1e-9) + 1e-12))

    stat = beta / se if se > 0 else np.nan
    p = p_at(0.0) if se > 0 else np.nan
    ci = _invert(p_at, beta, se, 1.0 - level) if se > 0 else (np.nan, np.nan)
    return WildTest(stat, p, ci, v.shape[1], enumerated, kind, t_boot(0.0))


def _invert(p_at, beta: float, se: float, alpha: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Ends of ``{b0: p(b0) > alpha}`` around ``beta`` by bracketing and bisection."""
    ends = []
    for sign in (-1.0, 1.0):
        inner, step = beta, 2.0 * se
        outer = beta + sign * step
        tries = 0
        while p_at(outer) > alpha:
            inner, step = outer, step * 2.0
            outer = beta + sign * step
            tries += 1
            if tries > 60:
                return np.nan, np.nan
        for _ in range(60):
            mid = 0.5 * (inner + outer)
            if p_at(mid) > alpha:
                inner = mid
            else:
                outer = mid
            if abs(outer - inner) <= 1e-7 * se:
                break
        ends.append(0.5 * (inner + outer))
    return ends[0], ends[1]


# ---------------------------------------------------------------------------- estimators' use
def check_inference(
    cov_type: str, inference: str, cluster: str | None, reps: int, weights: str | None
) -> None:
    """Raise ValueError for an inference option the estimators cannot honour."""
    check_choice("inference", inference, INFERENCE)
    if weights is not None:
        check_choice("bootstrap_weights", weights, ("rademacher", "webb"))
    if (cov_type == "CR2" or inference == "wild") and cluster is None:
        what = "cov_type='CR2'" if cov_type == "CR2" else "inference='wild'"
        raise ValueError(f"{what} needs cluster=")
    if not isinstance(reps, int | np.integer) or isinstance(reps, bool) or reps < 99:
        raise ValueError(f"bootstrap_reps must be an integer of at least 99, got {reps!r}")


def few_clusters_note(n_clusters: int, cluster: str) -> str:
    """The warning a result carries when its clusters are few (empty when they are not)."""
    if n_clusters >= FEW_CLUSTERS:
        return ""
    return (
        f"warning: only {n_clusters} clusters ({cluster}); CR1 intervals on t(G - 1) are too "
        f"narrow with fewer than {FEW_CLUSTERS}: use cov_type='CR2' or inference='wild'"
    )


def adjust_fit(fit: Fit, cov_type: str) -> None:
    """Replace a clustered fit's CR1 covariance by CR2 and its df by Satterthwaite's, in
    place (``fit.df_terms``); nothing for other covariance types."""
    if cov_type != "CR2" or fit.parts is None or not fit.names:
        return
    fit.vcov, fit.cr2 = _cr2(fit.parts)
    fit.df_terms = _satterthwaite(fit.cr2, np.eye(len(fit.names)))
    fit.cov_type = "CR2"


def apply_wild(
    res: EstimateResult,
    fit: Fit,
    terms: Sequence[str],
    *,
    reps: int,
    weights: str | None,
    seed: int | None,
) -> dict[str, WildTest]:
    """Bootstrap p-values and inverted intervals of ``terms`` into ``res.table`` (in place);
    :meth:`~EstimateResult.conf_int` at another level inverts the test again."""
    assert fit.parts is not None
    tests = {}
    for term in terms:
        if term not in fit.names:
            continue
        j = fit.names.index(term)
        tests[term] = wild_bootstrap(
            fit.parts, fit.coef, j, reps=reps, weights=weights, seed=seed, level=res.level
        )
    table = res.table
    for term, test in tests.items():
        row = table["term"] == term
        table.loc[row, "p_value"] = test.p_value
        table.loc[row, ["ci_lower", "ci_upper"]] = test.ci
    base = res.ci_function

    def ci_at(level: float) -> tuple[np.ndarray, np.ndarray]:
        if base is not None:
            lower, upper = (np.asarray(a, float).copy() for a in base(level))
        else:
            inf = wald_inference(
                table["estimate"].to_numpy(float), table["std_error"].to_numpy(float),
                level=level, df=table["df"].to_numpy(float),
            )  # fmt: skip
            lower, upper = inf["ci_lower"], inf["ci_upper"]
        for term, test in tests.items():
            j = fit.names.index(term)
            lo, hi = (
                test.ci
                if level == res.level
                else wild_bootstrap(
                    fit.parts, fit.coef, j, reps=reps, weights=weights, seed=seed, level=level
                ).ci
            )
            row = (table["term"] == term).to_numpy()
            lower[row], upper[row] = lo, hi
        return lower, upper

    res.ci_function = ci_at
    if hasattr(res, "bootstrap"):
        res.bootstrap = dict(tests)
    return tests


def choose_inference(n_clusters: int, n_treated_clusters: int | None = None) -> dict[str, Any]:
    """The inference the reports use for ``n_clusters`` clusters, ``n_treated_clusters`` of
    them treated.

    - fewer than :data:`FEW_TREATED_CLUSTERS` treated or untreated clusters: CR2 with
      Satterthwaite df (its df shrink with the few clusters on one side; the restricted wild
      bootstrap is unreliable there, MacKinnon and Webb 2017);
    - otherwise, fewer than :data:`FEW_CLUSTERS` clusters: the restricted wild cluster
      bootstrap;
    - otherwise CR1 on ``t(G - 1)``.

    ``benchmarks/simulate_small_clusters.py`` measures the coverage of each choice (figures in
    ``benchmarks/README.md``).

    Returns
    -------
    dict
        Options for ``did`` / ``event_study`` (``cov_type``, ``inference``).
    """
    treated = n_clusters if n_treated_clusters is None else n_treated_clusters
    if min(treated, n_clusters - treated) < FEW_TREATED_CLUSTERS or (
        n_treated_clusters is None and n_clusters < 2 * FEW_TREATED_CLUSTERS
    ):
        return {"cov_type": "CR2", "inference": "analytic"}
    if n_clusters < FEW_CLUSTERS:
        return {"cov_type": "cluster", "inference": "wild"}
    return {"cov_type": "cluster", "inference": "analytic"}
