"""The one rule for sampling weights across the estimators.

- A weight must be finite and non-negative: a negative or infinite weight is an error
  (``ValueError`` naming the column and how many rows).
- A row whose weight is missing (NaN) or zero is left out of the estimate, and counted: the
  result's ``left_out`` says how many rows, by reason (``"missing weight"``, ``"zero
  weight"``), and regression results say it in ``notes`` too. A zero-weight row adds nothing
  to any estimating equation, so leaving it out changes no estimate; it changes the counts
  (``nobs``, ``n``), which then describe the rows that carry the estimate.
- ``SurveyDesign`` follows the same first point and refuses the second kind of row (missing
  or zero weight) with an error that counts them: leaving rows out of a design silently could
  remove whole PSUs from their strata and change the variance. Drop such rows (or give them
  their weights) before building the design.

This module is general: it imports nothing from the input or publication layers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["left_out_note", "usable_weights"]


def usable_weights(
    w: np.ndarray, name: str, among: np.ndarray | None = None
) -> tuple[np.ndarray, dict[str, int]]:
    """Rows whose weight can be used, and the rows left out by reason.

    Parameters
    ----------
    w : numpy.ndarray
        Weights as float (NaN where missing).
    name : str
        The weights column, for the error message.
    among : numpy.ndarray of bool, optional
        The rows the estimator would use otherwise; only those are checked and counted.

    Returns
    -------
    (numpy.ndarray, dict)
        A boolean mask (finite and positive weight), and ``{"missing weight": n, "zero
        weight": m}`` with the non-zero counts among ``among``.

    Raises
    ------
    ValueError
        A negative or infinite weight among ``among``.
    """
    among = np.ones(w.size, bool) if among is None else among
    present = ~np.isnan(w)
    bad = among & present & ((w < 0) | np.isinf(w))
    if bad.any():
        raise ValueError(
            f"weights column {name!r} must be finite and non-negative: {int(bad.sum())} row(s) "
            f"are not (e.g. {w[bad][0]!r})"
        )
    zero = present & (w == 0)
    counts = {
        "missing weight": int(np.count_nonzero(among & ~present)),
        "zero weight": int(np.count_nonzero(among & zero)),
    }
    return present & ~zero, {k: v for k, v in counts.items() if v}


def left_out_note(counts: dict[str, int]) -> str:
    """``"3 row(s) with a missing weight and 2 with a zero weight left out"`` (or "")."""
    parts = [f"{n} row(s) with a {why}" for why, n in counts.items() if n]
    return " and ".join(parts) + " left out" if parts else ""
