"""Small cells of published tables, for every table of the package.

- *primary suppression* (:func:`small_cells`, :func:`is_small`): an estimate or count that rests
  on fewer than :data:`MIN_N` (10) respondents or :data:`MIN_PSU` (2) PSUs (sampled schools) is
  not published; a count shows as ``"<10"`` and an estimate as the suppression mark;
- *complementary suppression* (:func:`complementary_suppression`): when cells that add up to a
  published total are suppressed, enough further cells are hidden that no suppressed count can
  be worked out by subtraction (marked :data:`COMPLEMENTARY_MARK`, not as a small cell).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "COMPLEMENTARY_MARK",
    "COMPLEMENTARY_REASON",
    "MIN_N",
    "MIN_PSU",
    "Suppression",
    "complementary_suppression",
    "is_small",
    "small_cells",
]

# ------------------------------------------------------------------------------ small cells
#: fewest respondents an estimate or a count may rest on to be published
MIN_N = 10
#: fewest PSUs (sampled schools, or clusters of a model) an estimate may rest on
MIN_PSU = 2
#: reason of a cell hidden only so that a small cell cannot be worked out from a total
COMPLEMENTARY_REASON = "suppressed (complementary)"
#: how a complementary cell shows in a published table
COMPLEMENTARY_MARK = {"zh": "互补隐藏", "en": "suppressed (complementary)"}


def is_small(n: Any, n_psu: Any = None, *, min_n: int = MIN_N, min_psu: int = MIN_PSU) -> bool:
    """Whether one estimate or count is a small cell: fewer than ``min_n`` respondents or fewer
    than ``min_psu`` PSUs. A missing count (None, NaN) does not make a cell small.

    >>> is_small(9), is_small(10), is_small(80, 1), is_small(None)
    (True, False, True, False)
    """
    small_n = n is not None and not pd.isna(n) and float(n) < min_n
    small_psu = n_psu is not None and not pd.isna(n_psu) and float(n_psu) < min_psu
    return bool(small_n or small_psu)


def small_cells(
    frame: pd.DataFrame,
    *,
    min_n: int = MIN_N,
    min_psu: int = MIN_PSU,
    n: str | None = "n",
    n_psu: str | None = "n_psu",
) -> pd.Series:
    """Boolean mask of the rows of ``frame`` that must not be published (primary suppression).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per estimate or count.
    min_n, min_psu : int
        A row is small when its ``n`` column is below ``min_n`` or its ``n_psu`` column below
        ``min_psu``.
    n, n_psu : str or None
        Names of the respondent and PSU count columns (None: not checked); a column the frame
        lacks, or a missing value, does not make a row small. For effect tables pass
        ``n="n_min_cell", n_psu="n_psu_min_cell"`` (the smallest cell an estimate rests on).

    Returns
    -------
    pandas.Series of bool, indexed like ``frame``.

    Examples
    --------
    >>> f = pd.DataFrame({"n": [9, 10, 80, None], "n_psu": [3, 3, 1, 5]})
    >>> small_cells(f).tolist()
    [True, False, True, False]
    """
    mask = pd.Series(False, index=frame.index)
    for col, threshold in ((n, min_n), (n_psu, min_psu)):
        if col is not None and col in frame.columns:
            values = pd.to_numeric(frame[col], errors="coerce").astype(float)
            mask |= (values < threshold).fillna(False).to_numpy(bool)
    return mask


class Suppression(NamedTuple):
    """Outcome of :func:`complementary_suppression`.

    Attributes
    ----------
    primary : numpy.ndarray of bool
        Cells suppressed as small (a count from 1 to ``min_n - 1``) or flagged by the caller.
    complementary : numpy.ndarray of bool
        Further cells to hide, marked :data:`COMPLEMENTARY_MARK`.
    totals_hidden : list
        Groups whose total must not be published either: hiding every other cell of the group
        would still not protect its small cells.
    """

    primary: np.ndarray
    complementary: np.ndarray
    totals_hidden: list[Any]


def _bounds(small: np.ndarray, comp: np.ndarray, min_n: int) -> tuple[np.ndarray, np.ndarray]:
    """What a reader knows of each hidden cell from its mark: a small count is 1 to
    ``min_n - 1``, a complementary one at least ``min_n``, any other suppressed one unbounded."""
    lo = np.where(small, 1.0, np.where(comp, float(min_n), 0.0))
    hi = np.where(small, float(min_n - 1), np.inf)
    return lo, hi


def _protected(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, small: np.ndarray) -> bool:
    """Whether the hidden cells of one group (sum known from the published total) keep their
    secret: a small cell's feasible range is still its whole mark range (1 to min_n - 1), and
    no other hidden cell is pinned to one value."""
    if values.size == 0:
        return True
    total = values.sum()
    others_lo = lo.sum() - lo
    unbounded = np.isinf(hi)
    finite_hi = np.where(unbounded, 0.0, hi)
    others_hi = np.where(unbounded.sum() - unbounded > 0, np.inf, finite_hi.sum() - finite_hi)
    low = np.maximum(lo, total - others_hi)
    high = np.minimum(hi, total - others_lo)
    ok_small = (low <= lo) & (high >= hi)
    ok_other = low < high
    return bool(np.all(np.where(small, ok_small, ok_other)))


def complementary_suppression(
    counts: Any,
    groups: Any,
    *,
    min_n: int = MIN_N,
    suppressed: Any = None,
) -> Suppression:
    """Hide further cells so that no suppressed count can be worked out from a published total.

    Cells of a group add up to a total that is published (a column's 合计 row, the number of
    respondents in a wave). If only one of them is hidden, the total minus the others gives it
    back; if two small cells are hidden, their sum may pin them down (two hidden cells of 1 each
    sum to 2). So, within each group, while a reader who knows the total, the published cells
    and what each mark says (a small count is 1 to ``min_n - 1``; a complementary cell, never a
    zero, is at least ``min_n``) could narrow any small cell below its whole range 1 to
    ``min_n - 1`` (or pin down another hidden cell), one more published non-zero cell is hidden:
    the smallest one that on its own restores that range, or else the smallest one, and again.
    This is the practice of statistical agencies (complementary or secondary suppression,
    with the smallest sufficient cells, so that the total stays published); only when hiding
    every other non-zero cell is not enough (a group of one small cell and zeros, or a small
    cell beside a single cell of ``min_n``) is the group's total dropped instead
    (``totals_hidden``). Zeros are never hidden: hiding a zero protects nothing when the reader
    may know it is structurally empty.

    The protection is exact for groups that do not overlap (one published margin, as in the
    data-quality tables); tables with both row and column totals need an audit across groups,
    which nothing in this package publishes.

    Parameters
    ----------
    counts : array-like of int
        Counts of the cells (not their totals).
    groups : array-like
        Label of the group of each cell whose total is published; ``None``/NaN for a cell in no
        such group (for instance because the total itself is suppressed).
    min_n : int
        Counts from 1 to ``min_n - 1`` are small (primary suppression).
    suppressed : array-like of bool, optional
        Cells hidden for another reason (too few PSUs, a flag): protected too.

    Returns
    -------
    Suppression
        ``primary``, ``complementary`` (boolean arrays aligned with ``counts``) and
        ``totals_hidden``.

    Examples
    --------
    A column 5, 40, 12, 60 with its total 117 published: hiding 12 as well would leave
    5 + 12 = 17, and as 12 is marked complementary (at least 10) the small cell would be at
    most 7; hiding 40 leaves the small cell anywhere from 1 to 9.

    >>> s = complementary_suppression([5, 40, 12, 60], ["2024"] * 4)
    >>> s.primary.tolist(), s.complementary.tolist()
    ([True, False, False, False], [False, True, False, False])
    """
    values = np.asarray(counts, dtype=float)
    labels = pd.Series(list(groups) if not isinstance(groups, pd.Series) else groups.to_numpy())
    if len(labels) != values.size:
        raise ValueError(f"counts ({values.size}) and groups ({len(labels)}) differ in length")
    small = (values > 0) & (values < min_n)
    flagged = np.zeros(values.size, bool) if suppressed is None else np.asarray(suppressed, bool)
    primary = small | flagged
    comp = np.zeros(values.size, bool)
    hidden_totals: list[Any] = []
    codes, uniques = pd.factorize(labels, use_na_sentinel=True)
    for g, label in enumerate(uniques):
        idx = np.flatnonzero(codes == g)
        if not primary[idx].any():
            continue
        while True:
            hid = idx[primary[idx] | comp[idx]]
            lo, hi = _bounds(small[hid], comp[hid], min_n)
            if _protected(values[hid], lo, hi, small[hid]):
                break
            free = idx[~(primary[idx] | comp[idx]) & (values[idx] > 0)]
            if free.size == 0:
                hidden_totals.append(label)
                break
            free = free[np.argsort(values[free], kind="stable")]
            pick = free[0]
            for c in free:
                trial = np.append(hid, c)
                is_comp = np.append(comp[hid], True)
                lo, hi = _bounds(small[trial], is_comp, min_n)
                if _protected(values[trial], lo, hi, small[trial]):
                    pick = c
                    break
            comp[pick] = True
    return Suppression(primary, comp, hidden_totals)
