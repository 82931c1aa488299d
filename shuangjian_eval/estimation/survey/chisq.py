"""Tests of independence in a two-way table of a survey design: Rao-Scott corrections of
Pearson's chi-squared, as R's ``svychisq`` (survey 4.1) computes them.

A mixin of :class:`~shuangjian_eval.estimation.survey.SurveyDesign`. With ``p`` the estimated
cell proportions of the ``r x c`` table (``K = rc`` cells, a design-based mean of each cell's
indicator over the rows where both variables are observed) and ``V`` their design-based
covariance matrix, ``C`` the interaction columns of the saturated model residualised on the
main effects (``K x (r-1)(c-1)``, unweighted least squares over the cells) and ``D = diag(p)``
(``1/p`` read as 0 for an empty cell), the generalised design effects are the eigenvalues of

    Delta = (C' D^-1 C / N)^-1 (C' D^-1 V D^-1 C).

Pearson's ``X^2`` is computed on the weighted table rescaled to ``N`` rows. Then

- ``statistic="F"`` (R's default; second-order, Rao and Scott 1984; Thomas and Rao 1987):
  ``F = X^2 / tr(Delta)`` on ``F(d, d nu)`` with ``d = tr(Delta)^2 / tr(Delta^2)`` and ``nu``
  the design df;
- ``statistic="Chisq"`` (first-order): ``X^2 / mean(diag(Delta))`` on ``chi2((r-1)(c-1))``.
  R prints the uncorrected ``X^2`` as its statistic (the p-value is of the corrected one);
  the table has both: ``statistic`` (corrected) and ``pearson`` (R's printed value).

The counts ``N`` and ``nu`` follow R, where a domain is ``subset(design, ...)``: on a design
that is not calibrated, R's subset keeps only the domain's rows, so ``N`` is the domain's rows
(those with a variable missing included) and ``nu`` its PSUs minus strata; a calibrated
design's subset keeps every row, so ``N`` is every row of the design and ``nu`` its design df.
(``F`` and the p-values do not depend on ``N``; ``pearson`` does.)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...base.options import as_names, check_choice, check_options
from ..results import HypothesisTestResult
from ._common import Names

__all__ = ["CHISQ_STATISTICS"]

#: the corrections of :meth:`ChisqMixin.chisq` (R ``svychisq``'s ``statistic=``)
CHISQ_STATISTICS: tuple[str, ...] = ("F", "Chisq")


class ChisqMixin:
    """Rao-Scott tests of independence for :class:`SurveyDesign`."""

    def chisq(
        self,
        row: str,
        col: str,
        *,
        statistic: str = "F",
        by: Names | None = None,
        **unknown: Any,
    ) -> HypothesisTestResult:
        """Rao-Scott test that ``row`` and ``col`` are independent (R ``svychisq(~row + col,
        design, statistic=)``), for the whole sample or in each domain of ``by`` (R's
        ``svychisq`` on ``subset(design, <domain>)``).

        Parameters
        ----------
        row, col : str
            The two categorical columns (any values; their observed values are the
            categories). A row where either is missing is left out of the table and of the
            proportions, whose variance is then that of a domain (R's ``na.rm=TRUE``).
        statistic : {"F", "Chisq"}
            ``"F"``: the second-order correction on an F reference distribution (R's
            default); ``"Chisq"``: the first-order correction on chi-squared. See the module
            notes.
        by : str or list of str, optional
            Domain columns: one test per domain.

        Returns
        -------
        HypothesisTestResult
            One row per test: ``term`` (``"row x col"``, ``" | domain"`` after it), domain
            columns, ``statistic``, ``ndf``, ``ddf`` (NaN for ``"Chisq"``), ``p_value``,
            ``distribution`` (``"F"`` or ``"chi2"``), ``pearson`` (Pearson's ``X^2`` on the
            table rescaled to ``N`` rows, R's printed statistic with ``"Chisq"``),
            ``mean_deff`` (the mean generalised design effect), ``n`` (rows in the table),
            ``valid`` and ``reason``. A variable with fewer than two categories in the
            domain, a category without weight, no design df or a variance that cannot be
            computed give an invalid row with the reason.
        """
        check_options("chisq", unknown, ("statistic", "by"))
        check_choice("statistic", statistic, CHISQ_STATISTICS)
        by = as_names(by, "by")
        self._check_columns([row, col])  # type: ignore[attr-defined]
        if row == col or row in by or col in by:
            raise ValueError("chisq needs two different columns, neither of them a by column")
        design: Any = self
        dom = design._domains(by)
        rows = [design.data[c] for c in (row, col)]
        observed = (rows[0].notna() & rows[1].notna()).to_numpy()
        calibrated = design._calibration is not None
        scope = np.ones(design.nobs, bool) if calibrated else None
        cells, names = _cells(rows, observed)
        fitted = design._covariance("mean", cells, by) if cells else None
        out = []
        for d in range(dom.size):
            in_dom = dom.code == d
            reach = scope if scope is not None else in_dom
            levels = [pd.factorize(r[reach], sort=True)[1] for r in rows]
            label = f"{row} x {col}" + (f" | {dom.texts[d]}" if by else "")
            base = {"term": label, **{c: dom.labels[c].iloc[d] for c in by}}
            n = int((in_dom & observed).sum())
            nu = design.design_df if calibrated else design._degf(in_dom)
            big_n = design.nobs if calibrated else int(in_dom.sum())
            test, reason = _rao_scott(
                design, names, levels, fitted, d, in_dom & observed, nu, big_n, statistic,
                (row, col),
            )  # fmt: skip
            out.append({**base, **test, "n": n, "valid": not reason, "reason": reason})
        table = pd.DataFrame(out)
        opts = design._options("chisq", {}, by=by, level=0.95, df=None)
        opts = {"row": row, "col": col, "statistic": statistic,
                **{k: v for k, v in opts.items() if k not in ("level", "df")}}  # fmt: skip
        return HypothesisTestResult(table, method="chisq", options=opts, nobs=int(observed.sum()))


def _cells(
    rows: list[pd.Series], observed: np.ndarray
) -> tuple[dict[str, np.ndarray], list[tuple[Any, Any]]]:
    """An indicator (NaN where either variable is missing) for every cell of the table over
    the categories seen anywhere (each domain's table picks its own)."""
    a_codes, a_levels = pd.factorize(rows[0], sort=True)
    b_codes, b_levels = pd.factorize(rows[1], sort=True)
    cells, names = {}, []
    for j, b in enumerate(b_levels):  # the row category varies fastest, as R's interaction
        for i, a in enumerate(a_levels):
            hit = ((a_codes == i) & (b_codes == j)).astype(float)
            cells[f"{i},{j}"] = np.where(observed, hit, np.nan)
            names.append((a, b))
    return cells, names


def _rao_scott(
    design: Any,
    names: list[tuple[Any, Any]],
    levels: list[np.ndarray],
    fitted: dict[str, Any] | None,
    d: int,
    member: np.ndarray,
    nu: int,
    big_n: int,
    statistic: str,
    columns: tuple[str, str],
) -> tuple[dict[str, Any], str]:
    """The test of one domain, or the reason it cannot be computed."""
    dist = "F" if statistic == "F" else "chi2"
    empty = {"statistic": np.nan, "ndf": np.nan, "ddf": np.nan, "p_value": np.nan,
             "distribution": dist, "pearson": np.nan, "mean_deff": np.nan}  # fmt: skip
    for col, lv in zip(columns, levels, strict=True):
        if len(lv) < 2:
            return empty, f"{col!r} has fewer than two categories here"
    if not member.any() or fitted is None:
        return empty, "empty domain: no rows with both variables observed"
    if fitted["reason"][d]:
        return empty, fitted["reason"][d]
    if statistic == "F" and nu < 1:
        return empty, f"no design degrees of freedom ({nu}) for the F reference distribution"
    r, c = len(levels[0]), len(levels[1])
    index = {k: i for i, k in enumerate(names)}
    pick = [index[(a, b)] for b in levels[1] for a in levels[0]]
    p = fitted["estimate"][d][pick]
    v = fitted["vcov"][d][np.ix_(pick, pick)]
    w = design._w[member]
    table = np.zeros((r, c))
    a_pos = {a: i for i, a in enumerate(levels[0])}
    b_pos = {b: j for j, b in enumerate(levels[1])}
    data = design.data.loc[member, list(columns)]
    ia = data[columns[0]].map(a_pos).to_numpy()
    ib = data[columns[1]].map(b_pos).to_numpy()
    np.add.at(table, (ia, ib), w)
    for axis, col, lv in ((1, columns[0], levels[0]), (0, columns[1], levels[1])):
        margin = table.sum(axis=axis)
        if (margin <= 0).any():
            cat = lv[int(np.flatnonzero(margin <= 0)[0])]
            return empty, f"category {cat!r} of {col!r} has no rows with both variables observed"
    table *= big_n / table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / big_n
    pearson = float(((table - expected) ** 2 / expected).sum())
    # R: Cmat = qr.resid(qr(X1), X12[, interactions]) on the cells, row category fastest
    ra, cb = np.tile(np.arange(r), c), np.repeat(np.arange(c), r)
    x1 = np.column_stack(
        [np.ones(r * c)]
        + [(ra == i).astype(float) for i in range(1, r)]
        + [(cb == j).astype(float) for j in range(1, c)]
    )
    inter = np.column_stack(
        [((ra == i) & (cb == j)).astype(float) for j in range(1, c) for i in range(1, r)]
    )
    cmat = inter - x1 @ np.linalg.lstsq(x1, inter, rcond=None)[0]
    inv_p = np.where(p == 0, 0.0, 1.0 / np.where(p == 0, 1.0, p))
    denom = (cmat.T * inv_p) @ cmat / big_n
    numer = (cmat.T * inv_p) @ v @ (inv_p[:, None] * cmat)
    try:
        delta = np.linalg.solve(denom, numer)
    except np.linalg.LinAlgError:
        return empty, "singular table: the design effects cannot be computed"
    trace, trace2 = float(np.trace(delta)), float(np.trace(delta @ delta))
    if not (np.isfinite(trace) and trace > 0 and trace2 > 0):
        return empty, "the design effects of the table are not positive"
    k = (r - 1) * (c - 1)
    out = dict(empty, pearson=pearson, mean_deff=trace / k)
    if statistic == "F":
        d0 = trace**2 / trace2
        f = pearson / trace
        out.update(statistic=f, ndf=d0, ddf=d0 * nu, p_value=float(stats.f.sf(f, d0, d0 * nu)))
    else:
        x2 = pearson / (trace / k)
        out.update(statistic=x2, ndf=float(k), p_value=float(stats.chi2.sf(x2, k)))
    return out, ""
