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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from ...base.options import check_choice, check_options
from ._calibration_fit import (
    CalibrationError,
    _backfit_operator,
    _ipf,
    _Model,
    _newton,
    _pinv,
)
from ._common import _Domains

__all__ = ["CALIBRATION_METHODS", "Calibration", "CalibrationError", "weight_diagnostics"]

CALIBRATION_METHODS: tuple[str, ...] = ("linear", "raking", "logit")


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
    """What a calibrated design adds to the linearisation variance of each domain. Built at
    the first variance computed (weights alone need none of it); ``k`` makes the p x p
    matrix that turns the category sums of ``z`` into ``b``."""

    def __init__(
        self, design: Any, model: _Model, k: Callable[[], np.ndarray], row_scale: np.ndarray
    ):
        self.model, self.k, self.row_scale = model, k(), row_scale
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
        self._weight_sums: dict[tuple[str, ...], np.ndarray] = {}

    def pd_psu(self, design: Any, dom: _Domains) -> np.ndarray:
        key = tuple(dom.columns)
        if key not in self._pd_psu:
            out = np.zeros(dom.n_pd, np.int64)
            out[dom.pd_id[dom.inside]] = design._g[dom.inside]
            self._pd_psu[key] = out
        return self._pd_psu[key]

    def group_sums(self, dom: _Domains, v: np.ndarray, rows: Any) -> np.ndarray:
        """``sum_{i in d} v_i s_i x_i`` for each domain d (size x p), ``s`` the row scale;
        ``v`` is of the rows ``rows`` (None: all)."""
        code = dom.code if rows is None else dom.code[rows]
        scaled = v * (self.row_scale if rows is None else self.row_scale[rows])
        return self.model.by_group(scaled, code, dom.size, rows)

    def weight_sums(self, dom: _Domains) -> np.ndarray:
        """:meth:`group_sums` of the weights of every row in a domain, once per domain set."""
        key = tuple(dom.columns)
        if key not in self._weight_sums:
            self._weight_sums[key] = self.group_sums(dom, dom.row_w, dom.rows)
        return self._weight_sums[key]

    def extra(self, design: Any, dom: _Domains, total: np.ndarray, sums: np.ndarray) -> np.ndarray:
        """Variance to add to each domain's: ``-2 b' (cross) + b' M b``; ``sums`` the
        :meth:`group_sums` of the influence values."""
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
        return self._calibrated(
            model, w, lambda: _pinv(model.gram(d)), 1.0 / g, method, bounds, iterations, rel
        )

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
        return self._calibrated(
            model, w, lambda: _backfit_operator(model), 1.0 / w, "rake", None, iterations, rel
        )

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
        k: Callable[[], np.ndarray],
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
        object.__setattr__(new._calibration, "_state", (model, k, row_scale))
        return new

    def _adjustment(self) -> _VarianceAdjustment | None:
        """The variance adjustment of a calibrated design (built at its first use), or None."""
        if self._calibration is None:
            return None
        state = self._calibration._state
        if isinstance(state, tuple):  # built once, at the first variance
            state = _VarianceAdjustment(self, *state)
            object.__setattr__(self._calibration, "_state", state)
        return state

    def _calibration_row_sums(self, dom: _Domains, rows: Any, u: np.ndarray) -> np.ndarray | None:
        """The sums a calibrated design's variance needs, from the influence values ``u`` of
        the rows ``rows`` (None: all rows); None for an uncalibrated design."""
        state = self._adjustment()
        return None if state is None else state.group_sums(dom, u, rows)

    def _calibration_sums(
        self,
        dom: _Domains,
        kind: str,
        wt: np.ndarray,
        wx: np.ndarray | None,
        missing: np.ndarray,
        miss: np.ndarray | None,
        centre: np.ndarray,
        denom: np.ndarray,
        shift: float,
    ) -> np.ndarray | None:
        """:meth:`_calibration_row_sums` of the influence values of a mean, total or ratio
        (``SurveyDesign._ratio_pass``) without forming them: from the sums of ``wt`` (weighted
        values less ``shift``, 0 where missing) and of the weights (or ``wx``, weighted
        denominators) of the rows observed (all rows of the domains but ``miss``, when given,
        else those not ``missing``)."""
        state = self._adjustment()
        if state is None:
            return None
        rows = dom.rows
        a = state.group_sums(dom, wt, rows)
        if wx is not None:
            b = state.group_sums(dom, wx, rows)
        elif miss is not None:
            at = miss if rows is None else rows[miss]
            b = state.weight_sums(dom) - state.group_sums(dom, dom.row_w[miss], at)
        else:
            b = state.group_sums(dom, np.where(missing, 0.0, dom.row_w), rows)
        if kind == "total":
            return a + shift * b
        out = (a - centre[:, None] * b) / denom[:, None]
        return np.where((denom != 0)[:, None], out, 0.0)

    def _calibration_variance(
        self, dom: _Domains, total: np.ndarray, sums: np.ndarray | None
    ) -> np.ndarray | None:
        """Variance the calibration adds to each domain's (None for an uncalibrated design);
        ``sums`` from :meth:`_calibration_row_sums` or :meth:`_calibration_sums`."""
        state = self._adjustment()
        if state is None or sums is None:
            return None
        return state.extra(self, dom, total, sums)


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
