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

Degrees of freedom: R's ``df.residual`` of an ``svyglm``, the design df (PSUs minus strata)
plus one minus the parameters (fixed-effect levels included); NaN (normal) when that is not
positive.

The weights are read from the design's public attributes (``design.data[design.weight]``),
and the variance is computed by :meth:`SurveyDesign.total` on a design rebuilt with the same
``weight``, ``strata``, ``psu``, ``fpc`` and ``lonely_psu``: a design whose weights come from
elsewhere (calibration) plugs in where those attributes are read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._fe import Fit

__all__ = ["check_design", "design_vcov"]


def check_design(design: Any, df: pd.DataFrame, **others: Any) -> str:
    """The design's weight column after checking ``design=`` against the other options."""
    needed = ("data", "weight", "strata", "psu", "fpc", "lonely_psu", "total")
    if not all(hasattr(design, a) for a in needed):
        raise ValueError("design must be a SurveyDesign")
    if design.data is not df:
        raise ValueError("design= was built on another DataFrame than df")
    clash = [name for name, value in others.items() if value not in (None, ())]
    if clash:
        raise ValueError(f"design= carries the weights and PSUs: {clash} must not be given")
    return str(design.weight)


def design_vcov(design: Any, fit: Fit, keep: np.ndarray | None) -> tuple[np.ndarray, float]:
    """Design-based covariance matrix of a fit's coefficients and its df (module docstring).

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
    cols: dict[str, np.ndarray] = {f"__z{i}": z[:, i] for i in range(k)}
    for i in range(k):
        for j in range(i + 1, k):
            cols[f"__z{i}_{j}"] = z[:, i] + z[:, j]
    frame = pd.DataFrame(cols, index=design.data.index)
    for c in (design.weight, design.strata, design.psu, design.fpc):
        if c is not None:
            frame[c] = design.data[c].to_numpy()
    rebuilt = type(design)(
        frame, design.weight, strata=design.strata, psu=design.psu, fpc=design.fpc,
        lonely_psu=design.lonely_psu,
    )  # fmt: skip
    var = rebuilt.total(list(cols)).table.set_index("term")["std_error"] ** 2
    vcov = np.empty((k, k))
    for i in range(k):
        vcov[i, i] = var[f"__z{i}"]
    for i in range(k):
        for j in range(i + 1, k):
            vcov[i, j] = vcov[j, i] = (var[f"__z{i}_{j}"] - vcov[i, i] - vcov[j, j]) / 2.0
    dof = float(design.design_df + 1 - fit.df_k)
    return vcov, dof if dof > 0 else np.nan
