"""Calibration of survey weights to known population totals, as R's ``survey`` package does.

:meth:`SurveyDesign.calibrate` matches R's ``calibrate(design, formula, population, calfun=,
bounds=)`` and :meth:`SurveyDesign.rake` R's ``rake(design, sample.margins,
population.margins)``, in the weights and in the standard errors of every statistic computed
on the calibrated design.

Weights. The calibrated weight of row i is ``w_i = d_i g_i`` with ``d_i`` the weight of the
design calibrated and ``g_i = 1 + F(x_i' eta)`` for a calibration function ``F`` (R's
``calfun``): ``"linear"`` (GREG; truncated at ``bounds``), ``"raking"`` (``exp(u) - 1``) or
``"logit"`` (bounded between ``bounds``). ``x_i`` holds an indicator of each category of every
categorical margin and the value of every numeric one; ``eta`` solves ``sum_i w_i x_i = T``
by Newton's method (R's ``grake``; the unbounded linear case has a closed form, R's
``regcalibrate``). :meth:`rake` is iterative proportional fitting on categorical margins; run
to convergence it gives the weights of ``calibrate(..., method="raking")``.

Variances. A calibrated estimator is linearised on the residuals of the calibration
regression (Deville and Särndal 1992): the influence value ``u_i = w_i z_i`` of a statistic is
replaced by ``w_i (z_i - x_i' b)``, ``b`` the regression of ``z`` on ``x`` weighted by the
weights ``d`` of the design calibrated, over every row (rows at a bound, outside the domain or
with the variable missing, whose ``z`` is 0, included), as R's ``svyrecvar`` does with the QR
decomposition ``calibrate`` stores. For :meth:`rake`, R instead removes category means of
``z`` from the margins in turn, ten sweeps, unweighted; that is kept, so that the numbers are
R's ``rake()``'s (with unequal starting weights they differ a little from those of
``calibrate(method="raking")``, which uses the weighted regression).

The residual influence values are dense (every row gets ``-w_i x_i' b``) even when a domain
holds few rows, so they are never formed: with ``C_g`` the PSU totals of ``w_i x_i``, the
PSU total of the residual of domain ``d`` is ``U_gd - C_g' b_d`` and its centred sum of squares
within a stratum expands into the sum of squares of ``U`` (the uncalibrated pass), a cross term
over the (PSU, domain) pairs that hold rows, and ``b_d' M b_d`` with ``M`` a p x p matrix
computed once per design.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit

from ...base.options import check_choice, check_columns, check_options
from ._common import _Domains

__all__ = ["CALIBRATION_METHODS", "Calibration", "CalibrationError", "weight_diagnostics"]

CALIBRATION_METHODS: tuple[str, ...] = ("linear", "raking", "logit")
_RESCALE_THRESHOLD = 20.0  # R's grake: weights rescaled when every total is 20x the sample's
_BACKFIT_SWEEPS = 10  # R's svyrecvar for a raked design


class CalibrationError(ValueError):
    """Population totals that cannot be met: a category without respondents, margins that
    disagree on the population size, an iteration that does not converge."""


# ---------------------------------------------------------------------------- the model matrix
class _Model:
    """The calibration variables in factorised form: a categorical margin is a code per row
    (one column of ``x`` per category), a numeric one a value per row (one column). Products
    with ``x`` are ``np.bincount`` calls; no rows x columns matrix is built."""

    def __init__(self, data: pd.DataFrame, totals: Mapping[str, Any], *, categorical_only: bool):
        if not isinstance(totals, Mapping) or not totals:
            raise TypeError(
                "totals must be a non-empty mapping: a column to {category: population count} "
                f"or to a population total, got {type(totals).__name__}"
            )
        check_columns(data, list(totals), what="data")
        self.names: list[str] = []
        self.kinds: list[str] = []
        self.codes: list[np.ndarray] = []
        self.values: list[np.ndarray | None] = []
        self.categories: list[list[Any]] = []
        targets: list[np.ndarray] = []
        n = len(data)
        for col, spec in totals.items():
            s = data[col]
            if isinstance(spec, Mapping):
                kind = "categorical"
                codes, cats, target = self._categorical(col, s, spec)
                values = None
            elif isinstance(spec, Real) and not isinstance(spec, bool) and not categorical_only:
                kind, cats = "numeric", [""]
                if not np.isfinite(float(spec)):
                    raise ValueError(f"total of numeric margin {col!r} is not finite: {spec!r}")
                if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
                    raise ValueError(
                        f"numeric margin {col!r} needs a numeric column, it has dtype {s.dtype}"
                    )
                values = s.to_numpy(dtype=float, na_value=np.nan)
                bad = ~np.isfinite(values)
                if bad.any():
                    raise ValueError(
                        f"margin column {col!r} has {int(bad.sum())} missing or infinite "
                        f"value(s); first at row index {data.index[int(np.flatnonzero(bad)[0])]!r}"
                    )
                codes, target = np.zeros(n, np.int64), np.array([float(spec)])
            else:
                want = "{category: population count}" + ("" if categorical_only else " or a number")
                raise TypeError(f"margin {col!r}: population totals must be {want}, got {spec!r}")
            self.names.append(col)
            self.kinds.append(kind)
            self.codes.append(codes)
            self.values.append(values)
            self.categories.append(cats)
            targets.append(target)
        self.sizes = [len(c) for c in self.categories]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)
        self.p = int(self.offsets[-1])
        self.target = np.concatenate(targets)
        self._check_population_size()

    @staticmethod
    def _categorical(
        col: str, s: pd.Series, spec: Mapping[Any, Any]
    ) -> tuple[np.ndarray, list[Any], np.ndarray]:
        missing = s.isna().to_numpy()
        if missing.any():
            raise ValueError(
                f"margin column {col!r} has {int(missing.sum())} missing value(s); first at row "
                f"index {s.index[int(np.flatnonzero(missing)[0])]!r}"
            )
        for cat, count in spec.items():
            ok = isinstance(count, Real) and not isinstance(count, bool)
            if not ok or not np.isfinite(float(count)) or float(count) < 0:
                raise ValueError(
                    f"margin {col!r}, category {cat!r}: population count must be a "
                    f"non-negative number, got {count!r}"
                )
        codes, uniq = pd.factorize(s, sort=True)
        uniq = list(uniq)
        seen = np.bincount(codes, minlength=len(uniq))
        keys = list(spec)
        lookup = {_key(k): k for k in keys}
        absent = [u for u in uniq if _key(u) not in lookup]
        if absent:
            counts = {u: int(seen[i]) for i, u in enumerate(uniq) if u in absent}
            first = absent[0]
            raise CalibrationError(
                f"margin {col!r}: category {first!r} ({counts[first]} respondent(s)) has no "
                f"population count"
                + (f" (and {len(absent) - 1} more)" if len(absent) > 1 else "")
                + f"; population categories: {keys[:20]!r}"
            )
        present = {_key(u) for u in uniq}
        empty = [k for k in keys if _key(k) not in present and float(spec[k]) > 0]
        if empty:
            raise CalibrationError(
                f"margin {col!r}: population category {empty[0]!r} ({spec[empty[0]]:g} in the "
                f"population) has no respondents"
                + (f" (and {len(empty) - 1} more: {empty[1:6]!r})" if len(empty) > 1 else "")
                + "; merge it with a neighbouring category or drop the margin"
            )
        target = np.array([float(spec[lookup[_key(u)]]) for u in uniq])
        return codes.astype(np.int64), uniq, target

    def _check_population_size(self) -> None:
        sums = [
            (name, float(self.target[self.offsets[m] : self.offsets[m + 1]].sum()))
            for m, (name, kind) in enumerate(zip(self.names, self.kinds, strict=True))
            if kind == "categorical"
        ]
        for name, total in sums[1:]:
            if abs(total - sums[0][1]) > 1e-9 * max(abs(sums[0][1]), 1.0):
                raise CalibrationError(
                    f"population totals disagree on the population size: margin "
                    f"{sums[0][0]!r} sums to {sums[0][1]:,.6g}, margin {name!r} to {total:,.6g}"
                )

    @property
    def population_size(self) -> float | None:
        for m, kind in enumerate(self.kinds):
            if kind == "categorical":
                return float(self.target[self.offsets[m] : self.offsets[m + 1]].sum())
        return None

    def column_names(self) -> list[tuple[str, Any]]:
        return [(n, c) for n, cats in zip(self.names, self.categories, strict=True) for c in cats]

    def _val(self, m: int, v: np.ndarray) -> np.ndarray:
        x = self.values[m]
        return v if x is None else v * x

    def dot(self, coef: np.ndarray) -> np.ndarray:
        """``x_i' coef`` for every row."""
        out = np.zeros(len(self.codes[0]))
        for m in range(len(self.names)):
            part = coef[self.offsets[m] : self.offsets[m + 1]][self.codes[m]]
            out += part if self.values[m] is None else part * self.values[m]
        return out

    def tsum(self, v: np.ndarray) -> np.ndarray:
        """``sum_i v_i x_i``."""
        return np.concatenate(
            [
                np.bincount(self.codes[m], weights=self._val(m, v), minlength=self.sizes[m])
                for m in range(len(self.names))
            ]
        )

    def by_group(self, v: np.ndarray, group: np.ndarray, size: int, rows: Any = None) -> np.ndarray:
        """``sum_{i in group k} v_i x_i`` for k < ``size`` (a size x p array); ``group`` may
        hold ``size`` for rows in no group. ``rows`` selects the rows ``v`` and ``group`` are of."""
        blocks = []
        for m in range(len(self.names)):
            codes = self.codes[m] if rows is None else self.codes[m][rows]
            x = self.values[m]
            vv = v if x is None else v * (x if rows is None else x[rows])
            k = self.sizes[m]
            counts = np.bincount(group * k + codes, weights=vv, minlength=(size + 1) * k)
            blocks.append(counts[: size * k].reshape(size, k))
        return np.concatenate(blocks, axis=1)

    def gram(self, v: np.ndarray) -> np.ndarray:
        """``sum_i v_i x_i x_i'`` (p x p)."""
        out = np.empty((self.p, self.p))
        for m in range(len(self.names)):
            for k in range(m, len(self.names)):
                vv = self._val(k, self._val(m, v))
                km, kk = self.sizes[m], self.sizes[k]
                block = np.bincount(
                    self.codes[m] * kk + self.codes[k], weights=vv, minlength=km * kk
                ).reshape(km, kk)
                a, b = (
                    slice(self.offsets[m], self.offsets[m + 1]),
                    slice(self.offsets[k], self.offsets[k + 1]),
                )
                out[a, b] = block
                out[b, a] = block.T
        return out

    def psu_sums(self, w: np.ndarray, psu: np.ndarray, n_psu: int) -> sparse.csr_matrix:
        """PSU totals of ``w_i x_i``, sparse (n_psu x p)."""
        cols = [self.offsets[m] + self.codes[m] for m in range(len(self.names))]
        data = [self._val(m, w) for m in range(len(self.names))]
        rows = np.tile(psu, len(self.names))
        mat = sparse.coo_matrix(
            (np.concatenate(data), (rows, np.concatenate(cols))), shape=(n_psu, self.p)
        ).tocsr()
        mat.sum_duplicates()
        return mat


def _key(value: Any) -> Any:
    """A category as a dictionary key: numpy scalars as Python ones, so that 3, 3.0 and
    np.int8(3) are the same category."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _pinv(a: np.ndarray) -> np.ndarray:
    """Pseudo-inverse of a symmetric positive semi-definite matrix, its columns scaled to a
    unit diagonal first so that a numeric margin in the thousands and an indicator are judged
    on the same scale; redundant columns (one per extra categorical margin) get zero."""
    d = np.sqrt(np.clip(np.diag(a), 0.0, None))
    scale = np.where(d > 0, 1.0 / np.where(d > 0, d, 1.0), 0.0)
    inv = np.linalg.pinv(a * scale[:, None] * scale[None, :], rcond=1e-11, hermitian=True)
    return inv * scale[:, None] * scale[None, :]


# ---------------------------------------------------------------------------- calibration functions
def _g_function(method: str, bounds: tuple[float, float] | None):
    """``(F, F')`` of R's ``cal.linear`` / ``cal.raking`` / ``cal.logit``: ``g = 1 + F(u)``."""
    lo, hi = (-np.inf, np.inf) if bounds is None else bounds
    if method == "linear":

        def f(u: np.ndarray) -> np.ndarray:
            return np.clip(u + 1.0, lo, hi) - 1.0

        def df(u: np.ndarray) -> np.ndarray:
            return ((u < hi - 1.0) & (u > lo - 1.0)).astype(float)

    elif method == "raking":

        def f(u: np.ndarray) -> np.ndarray:
            with np.errstate(over="ignore"):
                return np.exp(u) - 1.0

        def df(u: np.ndarray) -> np.ndarray:
            with np.errstate(over="ignore"):
                return np.exp(u)

    else:  # logit: g = lo + (hi - lo) expit(A u + c), the same function as R's, written stably
        a = (hi - lo) / ((hi - 1.0) * (1.0 - lo))
        c = np.log((1.0 - lo) / (hi - 1.0))

        def f(u: np.ndarray) -> np.ndarray:
            return lo + (hi - lo) * expit(a * u + c) - 1.0

        def df(u: np.ndarray) -> np.ndarray:
            s = expit(a * u + c)
            return (hi - lo) * a * s * (1.0 - s)

    return f, df


def _newton(
    model: _Model,
    d: np.ndarray,
    method: str,
    bounds: tuple[float, float] | None,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, int, float, bool]:
    """R's ``grake``: g-weights, iterations, largest relative misfit at the end, and whether
    it converged (below ``tol``, or stalled at the rounding floor within 1000 ``tol``)."""
    f, df = _g_function(method, bounds)
    target = model.target
    sample = model.tsum(d)
    scale = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = target / sample
    if np.all(np.isfinite(ratios)) and ratios.min() > _RESCALE_THRESHOLD:
        scale = float(ratios.mean())  # as R: bounds are then read on the rescaled weights
    dd = d * scale
    eta = np.zeros(model.p)
    xeta = np.zeros(len(d))
    misfit = target - model.tsum(dd * (1.0 + f(xeta)))
    rel = np.abs(misfit) / (1.0 + np.abs(target))
    iteration = 0
    while rel.max() >= tol and iteration < max_iter:
        iteration += 1
        step = _pinv(model.gram(dd * df(xeta))) @ misfit
        eta_new = eta + step
        xeta_new = model.dot(eta_new)
        g = 1.0 + f(xeta_new)
        halvings = 0
        while not (np.all(np.isfinite(g)) and np.all(np.isfinite(df(xeta_new)))) and halvings < 50:
            step /= 2
            eta_new = eta + step
            xeta_new = model.dot(eta_new)
            g = 1.0 + f(xeta_new)
            halvings += 1
        eta, xeta = eta_new, xeta_new
        misfit = target - model.tsum(dd * g)
        new_rel = np.abs(misfit) / (1.0 + np.abs(target))
        if iteration > 5 and new_rel.max() >= rel.max() and new_rel.max() < 1e3 * tol:
            return (1.0 + f(xeta)) * scale, iteration, float(new_rel.max()), True  # rounding
        rel = new_rel
    return (1.0 + f(xeta)) * scale, iteration, float(rel.max()), bool(rel.max() < tol)


def _ipf(
    model: _Model, d: np.ndarray, tol: float, max_iter: int
) -> tuple[np.ndarray, int, float, bool]:
    """Iterative proportional fitting, margin by margin, as R's ``rake`` (each margin a
    ``postStratify``). Stops when every category total is within ``tol`` (relative) of its
    population count after a full sweep."""
    w = d.copy()
    targets = [
        model.target[model.offsets[m] : model.offsets[m + 1]] for m in range(len(model.names))
    ]
    rel = np.inf
    for sweep in range(1, max_iter + 1):
        for m, target in enumerate(targets):
            have = np.bincount(model.codes[m], weights=w, minlength=model.sizes[m])
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(have > 0, target / have, 0.0)
            w *= factor[model.codes[m]]
        rel = 0.0
        for m, target in enumerate(targets[:-1]):  # the last margin fits exactly
            have = np.bincount(model.codes[m], weights=w, minlength=model.sizes[m])
            rel = max(rel, float(np.max(np.abs(have - target) / (1.0 + target))))
        if rel < tol:
            return w, sweep, rel, True
    return w, max_iter, rel, False


def _backfit_operator(model: _Model) -> np.ndarray:
    """The p x p matrix ``K`` with which ten sweeps of R's raking variance adjustment
    (``x <- x - w * ave(x / w, margin)`` for each margin in turn) remove ``x_i' K s`` from
    ``z``, ``s`` the category sums of ``z`` (unweighted)."""
    counts = model.gram(np.ones(len(model.codes[0])))  # unweighted cross-tabulations
    a = np.zeros((model.p, model.p))
    eye = np.eye(model.p)
    for _ in range(_BACKFIT_SWEEPS):
        for m in range(len(model.names)):
            block = slice(model.offsets[m], model.offsets[m + 1])
            n_m = np.diag(counts)[block]
            a[block] += (eye[block] - counts[block] @ a) / n_m[:, None]
    return a


# ---------------------------------------------------------------------------- diagnostics
def weight_diagnostics(weights: Any, base: Any = None) -> dict[str, float]:
    """The spread of a set of weights: n, sum, min, quartiles, max, Kish's effective sample
    size ``(sum w)^2 / sum w^2``, the design effect due to weighting ``1 + CV^2 = n sum w^2 /
    (sum w)^2`` and, with ``base`` (the weights before calibration), the range of the
    g-weights ``w / base``.

    >>> weight_diagnostics([1.0, 1.0, 2.0, 2.0])["deff_weighting"]
    1.1111111111111112
    """
    w = np.asarray(weights, dtype=float)
    n, total, sq = len(w), float(w.sum()), float((w * w).sum())
    q = np.quantile(w, [0.0, 0.25, 0.5, 0.75, 1.0]) if n else np.full(5, np.nan)
    out = {
        "n": float(n),
        "sum": total,
        "min": float(q[0]),
        "q25": float(q[1]),
        "median": float(q[2]),
        "q75": float(q[3]),
        "max": float(q[4]),
        "kish_n_eff": total * total / sq if sq > 0 else np.nan,
        "deff_weighting": n * sq / (total * total) if total else np.nan,
    }
    if base is not None:
        g = w / np.asarray(base, dtype=float)
        out["g_min"], out["g_max"] = float(g.min()), float(g.max())
    return out


@dataclass(frozen=True)
class Calibration:
    """How a design's weights were calibrated, with diagnostics.

    Attributes
    ----------
    method : str
        "linear", "raking", "logit" (:meth:`SurveyDesign.calibrate`) or "rake" (IPF,
        :meth:`SurveyDesign.rake`).
    bounds : tuple or None
        Bounds of the g-weights.
    iterations : int
        Newton steps or IPF sweeps.
    misfit : float
        Largest ``|sum w x - T| / (1 + |T|)`` at the end.
    margins : pandas.DataFrame
        One row per margin category: ``margin``, ``category``, ``population``, ``before``
        (weighted total before calibration), ``after``.
    weights_before, weights_after : dict
        :func:`weight_diagnostics` of the weights before and after (``after`` with the
        g-weight range).
    """

    method: str
    bounds: tuple[float, float] | None
    iterations: int
    misfit: float
    margins: pd.DataFrame
    weights_before: dict[str, float]
    weights_after: dict[str, float]
    _state: Any = field(default=None, repr=False, compare=False)

    def summary(self) -> pd.DataFrame:
        """The weights before and after, one row per diagnostic."""
        keys = list(self.weights_after)
        return pd.DataFrame(
            {
                "before": [self.weights_before.get(k, np.nan) for k in keys],
                "after": [self.weights_after[k] for k in keys],
            },
            index=pd.Index(keys, name="statistic"),
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_() + self.margins._repr_html_()


class _VarianceAdjustment:
    """What a calibrated design adds to the linearisation variance of each domain."""

    def __init__(self, design: Any, model: _Model, k: np.ndarray, row_scale: np.ndarray):
        self.model, self.k, self.row_scale = model, k, row_scale
        n_psu, n_strata = len(design._psu_stratum), len(design.strata_labels)
        self.c = model.psu_sums(design._w, design._g, n_psu)
        lonely, census = design._lonely_h, design._census_h
        adjust = design.lonely_psu == "adjust"
        # multiplier of the stratum's sum of squares, and whether it is centred
        self.a_h = np.where(census | (lonely & ~adjust), 0.0, design._scale_h)
        self.centred_h = ~lonely
        h_of = sparse.csr_matrix(
            (np.ones(n_psu), (design._psu_stratum, np.arange(n_psu))), shape=(n_strata, n_psu)
        )
        self.c_h = np.asarray((h_of @ self.c).todense())  # stratum totals (n_strata x p)
        weighted = self.c.multiply(self.a_h[design._psu_stratum][:, None]).tocsr()
        quad = np.asarray((self.c.T @ weighted).todense())
        coef = np.where(self.centred_h, self.a_h / design._n_h, 0.0)
        self.m = quad - (self.c_h * coef[:, None]).T @ self.c_h
        self._pd_psu: dict[tuple[str, ...], np.ndarray] = {}

    def pd_psu(self, design: Any, dom: _Domains) -> np.ndarray:
        key = tuple(dom.columns)
        if key not in self._pd_psu:
            out = np.zeros(dom.n_pd, np.int64)
            out[dom.pd_id[dom.inside]] = design._g[dom.inside]
            self._pd_psu[key] = out
        return self._pd_psu[key]

    def extra(
        self, design: Any, dom: _Domains, total: np.ndarray, rows: Any, u: np.ndarray
    ) -> np.ndarray:
        """Variance to add to each domain's: ``-2 b' (cross) + b' M b``."""
        code = dom.code if rows is None else dom.code[rows]
        scaled = u * (self.row_scale if rows is None else self.row_scale[rows])
        sums = self.model.by_group(scaled, code, dom.size, rows)
        b = sums @ self.k.T  # (size, p): b_d
        # cross term over (PSU, domain) pairs: sum_g C_g' b_d U_gd
        psu = self.pd_psu(design, dom)
        indptr, indices, data = self.c.indptr, self.c.indices, self.c.data
        lengths = indptr[psu + 1] - indptr[psu]
        pair = np.repeat(np.arange(dom.n_pd), lengths)
        start = np.repeat(indptr[psu] - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
        pos = start + np.arange(len(pair))
        cb = np.bincount(
            pair, weights=data[pos] * b[dom.pd_dom[pair], indices[pos]], minlength=dom.n_pd
        )
        n_hd = len(dom.hd_dom)
        cross = np.bincount(dom.pd_hd, weights=cb * total, minlength=n_hd)
        s1 = np.bincount(dom.pd_hd, weights=total, minlength=n_hd)
        h = dom.hd_stratum
        csum_b = np.einsum("ij,ij->i", self.c_h[h], b[dom.hd_dom])
        cross = cross - np.where(self.centred_h[h], csum_b * s1 / design._n_h[h], 0.0)
        out = np.bincount(dom.hd_dom, weights=-2.0 * self.a_h[h] * cross, minlength=dom.size)
        return out + np.einsum("dp,pq,dq->d", b, self.m, b)


# ---------------------------------------------------------------------------- the methods
class CalibrationMixin:
    """Weights calibration for :class:`SurveyDesign`."""

    _calibration: Calibration | None = None

    @property
    def calibration(self) -> Calibration | None:
        """How the weights were calibrated (None for a design that was not)."""
        return self._calibration

    @property
    def weights(self) -> pd.Series:
        """The weights in use, one per row, on the index of the data (all 1 for a design
        built with ``weight=None``; the calibrated weights of a calibrated design)."""
        return pd.Series(self._w, index=self.data.index, name=self.weight or "weight")

    def calibrate(
        self,
        totals: Mapping[str, Any],
        *,
        method: str = "linear",
        bounds: tuple[float, float] | None = None,
        tol: float = 1e-10,
        max_iter: int = 100,
        **unknown: Any,
    ) -> Any:
        """A new design whose weights are calibrated to population totals (R's
        ``calibrate(design, formula, population, calfun=, bounds=)``).

        Parameters
        ----------
        totals : mapping
            Column to population totals: ``{category: count}`` for a categorical column
            (every category of the data must have a count, and every category with a count
            must have respondents), a number for a numeric column (its population total).
            The population size is implied by a categorical margin (all of them must agree);
            with numeric totals only, there is no intercept, as in R's ``~x - 1``.
        method : {"linear", "raking", "logit"}
            The calibration function (R's ``calfun``): GREG, multiplicative raking, or logit.
        bounds : (lo, hi), optional
            Bounds of the g-weights (new weight / old weight): for "linear", truncated linear
            calibration; required for "logit" (``lo < 1 < hi``); not allowed for "raking".
        tol : float
            Convergence: every ``|sum w x - T| / (1 + |T|)`` below ``tol`` (R's ``epsilon``,
            there 1e-7 by default).
        max_iter : int
            Newton steps allowed (R's ``maxit``).

        Returns
        -------
        SurveyDesign
            The same data, strata, PSUs and fpc with calibrated weights; its standard errors
            are calibration-aware (see the module notes) and :attr:`calibration` holds the
            diagnostics.

        Raises
        ------
        CalibrationError
            A population category without respondents, margins that disagree on the
            population size, or no convergence within ``max_iter`` (the worst margin named).
        """
        check_options("calibrate", unknown, ("method", "bounds", "tol", "max_iter"))
        check_choice("method", method, CALIBRATION_METHODS)
        bounds = _check_bounds(method, bounds)
        _check_iteration(tol, max_iter)
        self._not_calibrated()
        model = _Model(self.data, totals, categorical_only=False)
        d = self._w
        if method == "linear" and bounds is None:  # R's regcalibrate: closed form
            lam = _pinv(model.gram(d)) @ (model.target - model.tsum(d))
            g, iterations, converged = 1.0 + model.dot(lam), 1, True
            misfit = np.abs(model.target - model.tsum(d * g)) / (1 + np.abs(model.target))
            rel = float(misfit.max())
        else:
            g, iterations, rel, converged = _newton(model, d, method, bounds, tol, max_iter)
        if not converged:
            _raise_not_converged(model, d * g, iterations, rel, tol, method, bounds)
        w = d * g
        if not np.all(np.isfinite(w) & (w > 0)):
            bad = int(np.flatnonzero(~(np.isfinite(w) & (w > 0)))[0])
            raise CalibrationError(
                f"{method} calibration gives {int((~(w > 0)).sum())} weight(s) that are not "
                f"positive (first at row index {self.data.index[bad]!r}, g = {g[bad]:.4g}); "
                "use bounds=(lo, hi) with method='linear' or 'logit', or method='raking'"
            )
        k = _pinv(model.gram(d))
        return self._calibrated(model, w, k, 1.0 / g, method, bounds, iterations, rel)

    def rake(
        self,
        margins: Mapping[str, Mapping[Any, float]],
        *,
        max_iter: int = 1000,
        tol: float = 1e-10,
        **unknown: Any,
    ) -> Any:
        """A new design raked to population margins by iterative proportional fitting (R's
        ``rake(design, sample.margins, population.margins)``).

        Parameters
        ----------
        margins : mapping
            Categorical column to ``{category: population count}``; all must sum to the same
            population size.
        max_iter : int
            Sweeps over the margins allowed (R's ``control$maxit``, there 10).
        tol : float
            Stop when every category's weighted total is within ``tol * (1 + count)`` of its
            count after a sweep. (R's default ``epsilon = 1`` stops with weights about 3e-5
            off the converged ones.)

        Returns
        -------
        SurveyDesign
            With raked weights; standard errors as R's for a raked design (category means of
            the influence values removed from the margins in turn, ten sweeps).
        """
        check_options("rake", unknown, ("max_iter", "tol"))
        _check_iteration(tol, max_iter)
        self._not_calibrated()
        model = _Model(self.data, margins, categorical_only=True)
        w, iterations, rel, converged = _ipf(model, self._w, tol, max_iter)
        if not converged:
            _raise_not_converged(model, w, iterations, rel, tol, "rake", None)
        k = _backfit_operator(model)
        return self._calibrated(model, w, k, 1.0 / w, "rake", None, iterations, rel)

    # ------------------------------------------------------------------ helpers
    def _not_calibrated(self) -> None:
        if self._calibration is not None:
            raise ValueError(
                "this design is already calibrated; calibrate the original design with all "
                "the margins at once"
            )

    def _calibrated(
        self,
        model: _Model,
        w: np.ndarray,
        k: np.ndarray,
        row_scale: np.ndarray,
        method: str,
        bounds: tuple[float, float] | None,
        iterations: int,
        misfit: float,
    ) -> Any:
        new = copy.copy(self)
        new._w = w
        new._domain_cache, new._value_cache = {}, {}
        names = model.column_names()
        margins = pd.DataFrame(
            {
                "margin": [n for n, _ in names],
                "category": [c for _, c in names],
                "population": model.target,
                "before": model.tsum(self._w),
                "after": model.tsum(w),
            }
        )
        new._calibration = Calibration(
            method=method,
            bounds=bounds,
            iterations=iterations,
            misfit=misfit,
            margins=margins,
            weights_before=weight_diagnostics(self._w),
            weights_after=weight_diagnostics(w, self._w),
        )
        object.__setattr__(
            new._calibration, "_state", _VarianceAdjustment(new, model, k, row_scale)
        )
        return new

    def _calibration_variance(
        self, dom: _Domains, total: np.ndarray, influence: tuple[Any, np.ndarray] | None
    ) -> np.ndarray | None:
        """Variance the calibration adds to each domain's (None for an uncalibrated design);
        ``influence`` is (rows or None for all rows, the row influence values)."""
        if self._calibration is None or influence is None:
            return None
        return self._calibration._state.extra(self, dom, total, *influence)


def _check_bounds(method: str, bounds: Any) -> tuple[float, float] | None:
    if bounds is None:
        if method == "logit":
            raise ValueError("method='logit' needs bounds=(lo, hi) with lo < 1 < hi")
        return None
    if method == "raking":
        raise ValueError("bounds are for method='linear' or 'logit', not 'raking'")
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be (lo, hi), got {bounds!r}") from None
    if not lo < 1 < hi or (method == "logit" and not (np.isfinite(lo) and np.isfinite(hi))):
        raise ValueError(f"bounds must satisfy lo < 1 < hi (finite for 'logit'), got {bounds!r}")
    return lo, hi


def _check_iteration(tol: Any, max_iter: Any) -> None:
    if not isinstance(tol, Real) or not 0 < float(tol) < 1:
        raise ValueError(f"tol must be a number in (0, 1), got {tol!r}")
    if not isinstance(max_iter, int) or isinstance(max_iter, bool) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")


def _raise_not_converged(
    model: _Model,
    w: np.ndarray,
    iterations: int,
    rel: float,
    tol: float,
    method: str,
    bounds: tuple[float, float] | None,
) -> None:
    misfit = np.abs(model.tsum(w) - model.target) / (1.0 + np.abs(model.target))
    worst = int(np.argmax(misfit))
    name, cat = model.column_names()[worst]
    where = f"margin {name!r}" + (f", category {cat!r}" if cat != "" else "")
    hint = f"; bounds {bounds!r} may be too tight" if bounds is not None else ""
    raise CalibrationError(
        f"{method} calibration did not converge in {iterations} iteration(s): largest "
        f"relative misfit {rel:.3g} (tol {tol:g}) at {where} (population "
        f"{model.target[worst]:,.6g}, weighted {model.tsum(w)[worst]:,.6g}){hint}; raise "
        "max_iter, or merge small categories"
    )
