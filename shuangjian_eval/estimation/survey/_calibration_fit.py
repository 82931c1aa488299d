"""The calibration equations and their solvers, for :mod:`.calibration`: the calibration
variables in factorised form, R's ``grake`` (Newton's method on ``g = 1 + F(x' eta)``), iterative
proportional fitting (R's ``rake``) and the operator of R's variance adjustment for a raked
design."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit

from ...base.options import check_columns

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
