"""Small cells of published tables, charts, sentences and briefings: the one rule.

The rule comes from the ``suppression:`` block of ``policy.yaml`` (:func:`rule_for`): a default
(``min_cell`` 10 respondents, ``min_psu`` 2 PSUs) and a named override for the scorecard and the
policy briefing (``min_cell`` 30, see the YAML for why). Every function here takes the rule's
numbers as ``min_cell`` and ``min_psu``; None (the default) means the rule of ``"tables"``.

- *primary suppression* (:func:`small_cells`, :func:`is_small`): an estimate or count that rests
  on fewer than ``min_cell`` respondents or fewer than ``min_psu`` PSUs (sampled schools, or
  clusters of a model) is not published; a count from 1 to ``min_cell - 1`` shows as
  ``"<min_cell"`` and an estimate as the suppression mark. A missing count does not make a cell
  small (a reference period, a column the table lacks);
- *derived statistics* (:func:`derived`): a statistic computed from a suppressed cell (a test
  of equal effects across groups, a gap or a difference between groups, a change whose baseline
  or follow-up is suppressed) is suppressed too, with :data:`DERIVED_REASON` as its reason;
- *complementary suppression* (:func:`complementary_suppression`): when cells that add up to a
  published total are suppressed, enough further cells are hidden that no suppressed count can
  be worked out by subtraction (marked :data:`COMPLEMENTARY_MARK`, not as a small cell).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..inputs import policy as _policy

__all__ = [
    "COMPLEMENTARY_MARK",
    "COMPLEMENTARY_REASON",
    "DERIVED_REASON",
    "CellRule",
    "Derived",
    "Suppression",
    "complementary_suppression",
    "derived",
    "effect_cells",
    "is_small",
    "min_cell_for",
    "rule_for",
    "small_cells",
]

# ------------------------------------------------------------------------------ the rule
#: reason of a cell hidden only so that a small cell cannot be worked out from a total
COMPLEMENTARY_REASON = "suppressed (complementary)"
#: how a complementary cell shows in a published table
COMPLEMENTARY_MARK = {"zh": "互补隐藏", "en": "suppressed (complementary)"}
#: reason of a statistic not published because it uses a suppressed cell or group
DERIVED_REASON = {
    "zh": "不予公布：所用的组中有因样本不足而隐藏的组",
    "en": "suppressed: uses a suppressed group (too few respondents or PSUs)",
}


@dataclass(frozen=True)
class CellRule:
    """The small-cell rule of one use: fewest respondents and fewest PSUs of a published cell.

    Attributes
    ----------
    min_cell : int
        A cell with fewer respondents is suppressed.
    min_psu : int
        A cell with fewer PSUs (sampled schools, or clusters of a model) is suppressed.
    """

    min_cell: int
    min_psu: int

    def __post_init__(self) -> None:
        for name in ("min_cell", "min_psu"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {v!r}")


def rule_for(use: str = "tables", policy: _policy.Policy | None = None) -> CellRule:
    """The small-cell rule of a use, from ``policy.yaml`` ``suppression:``.

    Parameters
    ----------
    use : str
        ``"tables"`` (every table, chart and sentence: the default rule) or a key of
        ``suppression.overrides`` (``"scorecard"``: the scorecard and the policy briefing).
    policy : Policy, optional
        The bundled ``policy.yaml`` when omitted.

    Raises
    ------
    ValueError
        For a use that is neither ``"tables"`` nor an override.

    >>> rule_for(), rule_for("scorecard")
    (CellRule(min_cell=10, min_psu=2), CellRule(min_cell=30, min_psu=2))
    """
    pol = policy or _policy.load()
    uses = ["tables", *pol.suppression_uses]
    if use not in uses:
        raise ValueError(f"unknown suppression use {use!r}; valid: {', '.join(uses)}")
    r = pol.suppression(None if use == "tables" else use)
    return CellRule(int(r["min_cell"]), int(r["min_psu"]))


def min_cell_for(
    min_cell: int | None, use: str = "tables", policy: _policy.Policy | None = None
) -> int:
    """A ``min_cell`` argument resolved: None gives the rule of ``use`` (:func:`rule_for`), a
    whole number of at least 1 is returned as it is.

    Raises
    ------
    ValueError
        For anything else (a bool, a float, 0), naming the value.

    >>> min_cell_for(None), min_cell_for(None, "scorecard"), min_cell_for(5)
    (10, 30, 5)
    """
    if min_cell is None:
        return rule_for(use, policy).min_cell
    if isinstance(min_cell, bool) or not isinstance(min_cell, int | np.integer) or min_cell < 1:
        raise ValueError(
            f"min_cell must be a whole number of respondents >= 1 (or None: the policy's rule), "
            f"got {min_cell!r}"
        )
    return int(min_cell)


def _rule(min_cell: int | None, min_psu: int | None) -> tuple[int, int]:
    """The given thresholds, each None replaced by the default rule's."""
    if min_cell is None or min_psu is None:
        r = rule_for()
        min_cell = r.min_cell if min_cell is None else min_cell
        min_psu = r.min_psu if min_psu is None else min_psu
    return int(min_cell), int(min_psu)


def is_small(
    n: Any, n_psu: Any = None, *, min_cell: int | None = None, min_psu: int | None = None
) -> bool:
    """Whether one estimate or count is a small cell: fewer than ``min_cell`` respondents or
    fewer than ``min_psu`` PSUs (None: the default rule, :func:`rule_for`). A missing count
    (None, NaN) does not make a cell small.

    >>> is_small(9), is_small(10), is_small(80, 1), is_small(None), is_small(29, min_cell=30)
    (True, False, True, False, True)
    """
    min_cell, min_psu = _rule(min_cell, min_psu)
    small_n = n is not None and not pd.isna(n) and float(n) < min_cell
    small_psu = n_psu is not None and not pd.isna(n_psu) and float(n_psu) < min_psu
    return bool(small_n or small_psu)


def small_cells(
    frame: pd.DataFrame,
    *,
    min_cell: int | None = None,
    min_psu: int | None = None,
    n: str | None = "n",
    n_psu: str | None = "n_psu",
) -> pd.Series:
    """Boolean mask of the rows of ``frame`` that must not be published (primary suppression).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per estimate or count.
    min_cell, min_psu : int, optional
        A row is small when its ``n`` column is below ``min_cell`` or its ``n_psu`` column below
        ``min_psu``; None: the default rule (:func:`rule_for`).
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
    min_cell, min_psu = _rule(min_cell, min_psu)
    mask = pd.Series(False, index=frame.index)
    for col, threshold in ((n, min_cell), (n_psu, min_psu)):
        if col is not None and col in frame.columns:
            values = pd.to_numeric(frame[col], errors="coerce").astype(float)
            mask |= (values < threshold).fillna(False).to_numpy(bool)
    return mask


def effect_cells(
    frame: pd.DataFrame, *, min_cell: int | None = None, min_psu: int | None = None
) -> pd.Series:
    """Rows of an estimate table to suppress: small in their own counts (``n``, ``n_psu``) or
    in the smallest cell they rest on (``n_min_cell``, ``n_psu_min_cell``), or flagged in a
    ``suppressed`` column. The mask :func:`derived` needs for the cells of a statistic."""
    mask = small_cells(frame, min_cell=min_cell, min_psu=min_psu)
    mask |= small_cells(
        frame, min_cell=min_cell, min_psu=min_psu, n="n_min_cell", n_psu="n_psu_min_cell"
    )
    if "suppressed" in frame.columns:
        mask |= frame["suppressed"].fillna(False).astype(bool).to_numpy()
    return mask


class Derived(NamedTuple):
    """Whether a statistic computed from several cells may be published (:func:`derived`).

    Attributes
    ----------
    publishable : bool
        False when any cell it uses is suppressed.
    reason : dict
        Empty when publishable, else :data:`DERIVED_REASON` (``{"zh": ..., "en": ...}``).
    """

    publishable: bool
    reason: dict[str, str]


def derived(suppressed: Iterable[Any]) -> Derived:
    """The derived-statistic rule: a statistic that uses a suppressed cell is suppressed too.

    A test of equal effects across groups, a gap or difference between groups, a change whose
    baseline or follow-up is suppressed, a total from which a small cell could be recovered:
    each would let a reader see (or work back to) the suppressed cell, so none is published.

    Parameters
    ----------
    suppressed : iterable of bool
        For each cell the statistic rests on, whether that cell is suppressed (for instance
        :func:`small_cells` or :func:`effect_cells` of its rows). A missing flag is not
        suppressed.

    Returns
    -------
    Derived
        ``publishable`` and, when not, the reason in zh and en.

    >>> derived([False, False]).publishable, derived([False, True]).reason["en"][:10]
    (True, 'suppressed')
    """
    hit = any(bool(s) for s in suppressed if s is not None and not pd.isna(s))
    return Derived(False, dict(DERIVED_REASON)) if hit else Derived(True, {})


class Suppression(NamedTuple):
    """Outcome of :func:`complementary_suppression`.

    Attributes
    ----------
    primary : numpy.ndarray of bool
        Cells suppressed as small (a count from 1 to ``min_cell - 1``) or flagged by the caller.
    complementary : numpy.ndarray of bool
        Further cells to hide, marked :data:`COMPLEMENTARY_MARK`.
    totals_hidden : list
        Groups whose total must not be published either: hiding every other cell of the group
        would still not protect its small cells.
    """

    primary: np.ndarray
    complementary: np.ndarray
    totals_hidden: list[Any]


def _bounds(small: np.ndarray, comp: np.ndarray, min_cell: int) -> tuple[np.ndarray, np.ndarray]:
    """What a reader knows of each hidden cell from its mark: a small count is 1 to
    ``min_cell - 1``, a complementary one at least ``min_cell``, any other suppressed one unbounded."""
    lo = np.where(small, 1.0, np.where(comp, float(min_cell), 0.0))
    hi = np.where(small, float(min_cell - 1), np.inf)
    return lo, hi


def _protected(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, small: np.ndarray) -> bool:
    """Whether the hidden cells of one group (sum known from the published total) keep their
    secret: a small cell's feasible range is still its whole mark range (1 to min_cell - 1), and
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
    min_cell: int | None = None,
    suppressed: Any = None,
) -> Suppression:
    """Hide further cells so that no suppressed count can be worked out from a published total.

    Cells of a group add up to a total that is published (a column's 合计 row, the number of
    respondents in a wave). If only one of them is hidden, the total minus the others gives it
    back; if two small cells are hidden, their sum may pin them down (two hidden cells of 1 each
    sum to 2). So, within each group, while a reader who knows the total, the published cells
    and what each mark says (a small count is 1 to ``min_cell - 1``; a complementary cell, never a
    zero, is at least ``min_cell``) could narrow any small cell below its whole range 1 to
    ``min_cell - 1`` (or pin down another hidden cell), one more published non-zero cell is hidden:
    the smallest one that on its own restores that range, or else the smallest one, and again.
    This is the practice of statistical agencies (complementary or secondary suppression,
    with the smallest sufficient cells, so that the total stays published); only when hiding
    every other non-zero cell is not enough (a group of one small cell and zeros, or a small
    cell beside a single cell of ``min_cell``) is the group's total dropped instead
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
    min_cell : int, optional
        Counts from 1 to ``min_cell - 1`` are small (primary suppression); None: the default
        rule (:func:`rule_for`).
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
    min_cell = _rule(min_cell, None)[0]
    values = np.asarray(counts, dtype=float)
    labels = pd.Series(list(groups) if not isinstance(groups, pd.Series) else groups.to_numpy())
    if len(labels) != values.size:
        raise ValueError(f"counts ({values.size}) and groups ({len(labels)}) differ in length")
    small = (values > 0) & (values < min_cell)
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
            lo, hi = _bounds(small[hid], comp[hid], min_cell)
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
                lo, hi = _bounds(small[trial], is_comp, min_cell)
                if _protected(values[trial], lo, hi, small[trial]):
                    pick = c
                    break
            comp[pick] = True
    return Suppression(primary, comp, hidden_totals)
