"""Design-based variance of a regression: the ``design=`` option of ``did`` and
``event_study``, as R ``survey::svyglm`` for a linear model.

The coefficients are those of weighted least squares with the design's weights. Their
variance is the linearisation variance of the estimating equations: with ``R = (X'WX)^-1``
(fixed effects absorbed: the within-transformed ``X``, by Frisch-Waugh-Lovell the same rows
of the full model's) and residuals ``e``, coefficient ``j`` is a weighted total of
``z_ij = e_i (X R)_ij`` plus a constant, so ``Var(b)`` is the design-based covariance matrix
of the totals of ``z`` (strata, PSUs, fpc and the lonely-PSU rule of the design): R's
``svy.varcoef``, ``svyrecvar(estfun %*% Ainv, ...)``. Rows the fit leaves out (a missing
value) stay in the design with ``z = 0``, as R's ``svyglm`` keeps its design for the complete
cases (a domain, not a smaller design).

Degrees of freedom: R's ``df.residual`` of an ``svyglm``, the design df of the rows in the fit
(PSUs minus strata with a row in it, R's ``degf`` of the design without the rows the fit
leaves out) plus one minus the parameters (fixed-effect levels included); NaN (normal) when
that is not positive.

The weights are the design's (``design.weights``: on a calibrated design the calibrated
ones), and the variance is that of :meth:`SurveyDesign.total` of the ``z`` columns on the
design itself: on a calibrated design it is calibration-aware, ``z`` replaced by its
residuals from the calibration regression, as R's ``svyglm`` on a calibrated design gives.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._fe import Fit

__all__ = ["check_design", "design_vcov"]


def check_design(design: Any, df: pd.DataFrame, **others: Any) -> np.ndarray:
    """The design's weights (one per row of ``df``) after checking ``design=`` against the
    other options, which must not be given (None or empty)."""
    needed = ("data", "weights", "strata", "psu", "fpc", "lonely_psu", "_covariance", "_degf")
    if not all(hasattr(design, a) for a in needed):
        raise ValueError("design must be a SurveyDesign")
    if design.data is not df:
        raise ValueError("design= was built on another DataFrame than df")
    clash = [name for name, value in others.items() if value not in (None, ())]
    if clash:
        raise ValueError(f"design= carries the weights and PSUs: {clash} must not be given")
    return design.weights.to_numpy(dtype=float)


def design_vcov(design: Any, fit: Fit, keep: np.ndarray | None) -> tuple[np.ndarray, float, str]:
    """Design-based covariance matrix of a fit's coefficients, its df (module docstring) and
    why it cannot be computed ("" when it can: a lonely PSU under ``lonely_psu="fail"`` is
    such a reason, and its variance is NaN).

    Parameters
    ----------
    design : SurveyDesign
        The design of ``df`` (its rows in the same order).
    fit : Fit
        A fit with ``parts`` (``fit_wls(..., keep_parts=True)``), weighted by the design's
        weights, on the rows ``keep`` of the design's data.
    keep : numpy.ndarray of bool, optional
        Rows of the design's data in the fit (None: all).
    """
    parts = fit.parts
    assert parts is not None
    k = len(fit.names)
    n = len(design.data)
    z = np.zeros((n, k))
    z_fit = parts.resid[:, None] * (parts.x @ parts.bread)
    if keep is None:
        z[:] = z_fit
    else:
        z[keep] = z_fit
    cov = design._covariance("total", {f"z{i}": z[:, i] for i in range(k)})
    rows = np.ones(n, bool) if keep is None else keep
    dof = float(design._degf(rows) + 1 - fit.df_k)
    return cov["vcov"][0], dof if dof > 0 else np.nan, str(cov["reason"][0])
