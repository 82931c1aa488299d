"""Design-based estimation for complex surveys by Taylor linearisation.

:class:`SurveyDesign` describes a stratified, clustered, unequally weighted sample the way
R's ``survey`` package does with ``svydesign(ids=~psu, strata=~stratum, weights=~w, fpc=~fpc)``:
the variance of an estimator is the with-replacement variance of its weighted influence values
summed to PSU totals and centred within strata, times a finite population correction when
``fpc`` is given. Domain (``by=``) estimates are computed on the full design, as R's
``svyby`` does: a stratum or PSU without members of the domain still counts, with a zero total.

All outcomes and all domains are computed in one vectorised pass: strata, PSU and domain codes
are factorised once; influence values are summed to (PSU, domain) totals with ``np.bincount``
and centred within (stratum, domain) groups, so no rows x domains matrix is ever built.

Sampling weights are not frequency weights: ``n`` is always a count of rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...base.options import as_names, check_choice, check_columns, check_options
from ..results import EstimateResult, invalid_row
from ._common import _DENSE_SPAN, Names, _Domains, compact_codes, factorize_sorted
from .calibration import CalibrationMixin
from .chisq import ChisqMixin
from .quantiles import QuantileMixin
from .variances import VarianceMixin

__all__ = ["DEFF_TYPES", "LONELY_PSU_RULES", "NA_RULES", "QUANTILE_RULES", "SurveyDesign"]

LONELY_PSU_RULES: tuple[str, ...] = ("fail", "remove", "certainty", "adjust", "average")
QUANTILE_RULES: tuple[str, ...] = ("math", "school")
DEFF_TYPES: tuple[str, ...] = ("srswor", "replace")
NA_RULES: tuple[str, ...] = ("drop", "propagate")
_RESERVED = frozenset(
    "term variable category estimate std_error statistic p_value ci_lower ci_upper df n N deff "
    "valid reason mean_first mean_second q denominator".split()
)

_BLOCK_TAIL = ("estimate", "std_error", "df", "n", "N", "deff", "valid", "reason")


def _stacked_extra(values: list[Any]) -> np.ndarray | list[Any] | None:
    """One extra column over the blocks of a table: float arrays joined, or scalars of one
    plain type (a list of them gets the column type the blocks' frames get); None otherwise."""
    if all(isinstance(v, np.ndarray) and v.dtype == np.float64 for v in values):
        return np.concatenate(values)
    kinds = {type(v) for v in values}
    if len(kinds) == 1 and kinds <= {bool, float, str}:
        return values
    if kinds == {int} and all(-(2**63) <= v < 2**63 for v in values):
        return values
    return None


class SurveyDesign(QuantileMixin, CalibrationMixin, ChisqMixin, VarianceMixin):
    """A stratified cluster sample with sampling weights; Taylor-linearisation estimators.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent. Never modified, and not copied: build a new design after
        changing it.
    weight : str or None
        Column of sampling weights (inverse inclusion probabilities); all must be positive
        and finite. They are not frequency weights. None: equal weights, all 1 (R's
        ``svydesign`` without weights), e.g. a convenience sample to be calibrated with
        :meth:`calibrate` or :meth:`rake`.
    strata : str, optional
        Stratum column; None means a single stratum.
    psu : str, optional
        Primary sampling unit column; None means each row is its own PSU. PSUs are nested in
        strata (the same PSU label in two strata is two PSUs, as R's ``nest=TRUE``).
    fpc : str, optional
        Finite population correction, constant within a stratum: the population number of
        PSUs in the stratum (all values >= 1), or the first-stage sampling fraction (all values
        <= 1), as R's ``svydesign(fpc=)`` accepts. None: sampling with replacement.
    lonely_psu : {"fail", "remove", "certainty", "adjust", "average"}
        What a stratum with a single PSU contributes to a variance, as R's
        ``options(survey.lonely.psu=)``:

        - ``"fail"``: every estimate whose rows reach such a stratum is invalid, with the
          stratum named in ``reason`` (R raises an error);
        - ``"remove"``: the stratum contributes nothing to the variance (its rows still count
          in the estimate);
        - ``"certainty"``: the PSU is treated as sampled with certainty, contributing nothing;
          for these single-stage designs it gives the same numbers as ``"remove"``, as in R;
        - ``"adjust"``: the PSU total is centred at the mean of all PSU totals of the design
          (for a domain, every PSU counts, those without its rows with total 0) instead of
          at the stratum mean (conservative). This is R ``survey`` from version 4.4 on and
          Stata's ``singleunit(centered)``; earlier R versions (through 4.3, e.g. Debian's
          4.1-1) centred it at zero, which gives the same numbers for means and ratios (their
          influence values sum to zero) and larger ones for totals;
        - ``"average"``: the stratum gets the average contribution of the other strata reached
          by the estimate: the sum over strata with several PSUs is multiplied by
          (strata reached) / (strata reached with several PSUs).

        A stratum whose ``fpc`` says all its PSUs were sampled contributes zero under every
        rule. Domains follow R's ``svyby``: only strata containing rows of the domain (with
        the variable observed) are "reached".

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 2, 2],
    ...                    "s": ["a", "a", "b", "b"], "g": [1, 2, 3, 4]})
    >>> d = SurveyDesign(df, "w", strata="s", psu="g")
    >>> round(d.mean("y").estimate, 4)
    2.8333
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weight: str | None,
        *,
        strata: str | None = None,
        psu: str | None = None,
        fpc: str | None = None,
        lonely_psu: str = "fail",
        **unknown: Any,
    ) -> None:
        check_options("SurveyDesign", unknown, ("strata", "psu", "fpc", "lonely_psu"))
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        check_choice("lonely_psu", lonely_psu, LONELY_PSU_RULES)
        self.data = data
        self.weight, self.strata, self.psu, self.fpc = weight, strata, psu, fpc
        self.lonely_psu = lonely_psu
        self._check_columns([c for c in (weight, strata, psu, fpc) if c is not None])
        n = len(data)
        if n == 0:
            raise ValueError("data has no rows")
        w = np.ones(n) if weight is None else self._float(weight)
        bad = ~(np.isfinite(w) & (w > 0))
        if bad.any():
            first = data.index[int(np.flatnonzero(bad)[0])]
            raise ValueError(
                f"weight column {weight!r} has {int(bad.sum())} row(s) that are not positive "
                f"finite numbers (zero, negative, NaN or inf); first at row index {first!r}"
            )
        self._w = w
        if strata is None:
            h, self.strata_labels = np.zeros(n, np.int64), pd.Index(["(all)"])
        else:
            h, self.strata_labels = self._factor(strata)
        n_strata = len(self.strata_labels)
        if psu is None:
            g = np.arange(n, dtype=np.int64)
        else:
            pc, plabels = self._factor(psu)
            g, _ = compact_codes(h * len(plabels) + pc, n_strata * len(plabels))
        n_psu = self._n_psu = int(g.max()) + 1
        psu_stratum = np.empty(n_psu, np.int64)
        psu_stratum[g] = h
        n_h = np.bincount(psu_stratum, minlength=n_strata).astype(float)
        f_h = self._fpc_factor(h, n_h) if fpc is not None else np.ones(n_strata)
        self._g, self._psu_stratum, self._n_h = g, psu_stratum, n_h
        self._n_h_psu = psu_stratum  # one entry per PSU of the design
        with np.errstate(divide="ignore", invalid="ignore"):
            self._scale_h = np.where(n_h > 1, f_h * n_h / (n_h - 1), f_h)
        self._census_h = f_h < 1e-7
        self._lonely_h = (n_h == 1) & ~self._census_h
        self._domain_cache: dict[tuple[str, ...], _Domains] = {}
        self._value_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    # ------------------------------------------------------------------ design facts
    @property
    def nobs(self) -> int:
        """Number of rows."""
        return len(self._w)

    @property
    def design_df(self) -> int:
        """Design degrees of freedom: PSUs minus strata, as R's ``degf``."""
        return len(self._psu_stratum) - len(self.strata_labels)

    @property
    def lonely_strata(self) -> list[Any]:
        """Labels of strata with a single PSU (not counting fully sampled strata)."""
        return list(self.strata_labels[self._lonely_h])

    def __repr__(self) -> str:
        return (
            f"SurveyDesign({self.nobs} rows, {len(self._psu_stratum)} PSUs in "
            f"{len(self.strata_labels)} strata; "
            f"weight={self.weight!r}, strata={self.strata!r}, psu={self.psu!r}, "
            f"fpc={self.fpc!r}, lonely_psu={self.lonely_psu!r})"
        )

    # ------------------------------------------------------------------ input helpers
    def _check_columns(self, columns: Sequence[str]) -> None:
        check_columns(self.data, columns)

    def _float(self, col: str) -> np.ndarray:
        s = self.data[col]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            raise ValueError(f"column {col!r} must be numeric or boolean, it has dtype {s.dtype}")
        if s.dtype == np.float64:  # NaN is its missing value: no copy
            return s.to_numpy()
        return s.to_numpy(dtype=float, na_value=np.nan)

    def _factor(self, col: str) -> tuple[np.ndarray, pd.Index]:
        codes, labels = factorize_sorted(self.data[col])
        if (codes < 0).any():
            first = self.data.index[int(np.flatnonzero(codes < 0)[0])]
            raise ValueError(
                f"design column {col!r} has {int((codes < 0).sum())} missing value(s); "
                f"first at row index {first!r}"
            )
        return codes, labels

    def _fpc_factor(self, h: np.ndarray, n_h: np.ndarray) -> np.ndarray:
        """Per-stratum ``1 - sampling fraction`` from the fpc column (R's ``as.fpc``)."""
        v = self._float(self.fpc)  # type: ignore[arg-type]
        if not np.all(np.isfinite(v) & (v > 0)):
            raise ValueError(f"fpc column {self.fpc!r} must be positive and finite in every row")
        first = np.empty(len(n_h))
        first[h[::-1]] = v[::-1]
        if not np.array_equal(first[h], v):
            bad = self.strata_labels[h[np.flatnonzero(first[h] != v)[0]]]
            raise ValueError(f"fpc column {self.fpc!r} varies within stratum {bad!r}")
        if np.all(first <= 1):
            pop = n_h / first  # sampling fractions
        elif np.all(first >= 1):
            pop = first  # population numbers of PSUs
        else:
            raise ValueError(
                f"fpc column {self.fpc!r} must be all >= 1 (population PSU counts) or all "
                "<= 1 (sampling fractions)"
            )
        if np.any(pop < n_h - 1e-9):
            bad = self.strata_labels[int(np.flatnonzero(pop < n_h - 1e-9)[0])]
            raise ValueError(f"fpc implies more than 100% sampling in stratum {bad!r}")
        return np.clip((pop - n_h) / pop, 0.0, 1.0)

    def _domains(self, by: list[str]) -> _Domains:
        key = tuple(by)
        if key in self._domain_cache:
            return self._domain_cache[key]
        self._check_columns(by)
        clash = _RESERVED.intersection(by)
        if clash:
            raise ValueError(f"by columns may not be named {sorted(clash)} (reserved)")
        n = self.nobs
        columns = [factorize_sorted(self.data[col]) for col in by]
        code, size, steps = _combine_codes(n, columns)
        at, parts = np.arange(size), {}  # each domain's value of each column, from its code
        for col, (uniq, found) in zip(by[::-1], steps[::-1], strict=True):
            if found is not None:
                at = found[at]
            if found is not None or len(steps) > 1:
                parts[col], at = uniq.array.take(at % len(uniq)), at // len(uniq)
            else:
                parts[col] = uniq.array.take(at)
        labels = pd.DataFrame({col: parts[col] for col in by}, index=pd.RangeIndex(size))
        n_inside = np.count_nonzero(code >= 0) if by else n
        inside = code >= 0 if n_inside < n else np.ones(n, bool)
        if n_inside < n:
            code[~inside] = size
        span = max(size, 1)
        pair = self._g * span + code
        if n_inside < n:
            pair[~inside] = -1
        pair, pd_uniq = compact_codes(pair, self._n_psu * span)
        n_pd = len(pd_uniq)
        pd_id = pair
        if n_inside < n:
            pd_id[~inside] = n_pd
        pd_dom = pd_uniq % span
        hd_codes, hd_uniq = pd.factorize(self._psu_stratum[pd_uniq // span] * size + pd_dom)
        hd_uniq = np.asarray(hd_uniq, np.int64)
        hd_m = np.bincount(hd_codes, minlength=len(hd_uniq)).astype(float)
        texts = [
            ", ".join(f"{c}={v}" for c, v in zip(by, row, strict=True))
            for row in labels.itertuples(index=False, name=None)
        ]
        # when most rows are outside every domain, the passes read only the rows inside
        rows = np.flatnonzero(inside) if 2 * n_inside < n else None
        row_pd, row_code, row_w = (
            (pd_id, code, self._w) if rows is None else (pd_id[rows], code[rows], self._w[rows])
        )
        self._domain_cache[key] = _Domains(
            by,
            labels,
            code,
            inside,
            size,
            pd_id,
            n_pd,
            pd_dom,
            hd_codes.astype(np.int64),
            hd_uniq // span,
            hd_uniq % span,
            hd_m,
            texts,
            rows,
            row_pd,
            row_code,
            row_w,
            np.bincount(row_pd, minlength=n_pd + 1)[:n_pd].astype(float),
            np.bincount(row_pd, weights=row_w, minlength=n_pd + 1)[:n_pd],
        )
        return self._domain_cache[key]

    def _sides(self, col: str, first: Any, second: Any) -> np.ndarray:
        """0 where ``col`` equals ``first``, 1 where it equals ``second``, else -1. Text and
        number values of an object column are compared once per distinct value."""
        values = self.data[col]
        if values.dtype != object or not all(
            isinstance(v, str | int | float) for v in (first, second)
        ):
            hits = [(values == v).to_numpy(bool) for v in (first, second)]
        else:
            if col not in self._value_cache:
                self._value_cache[col] = pd.factorize(values.to_numpy(object))
            codes, uniq = self._value_cache[col]
            hits = []
            for v in (first, second):
                equal = np.array([u is v or bool(u == v) for u in uniq] + [False], dtype=bool)
                hits.append(equal[codes])  # a missing value (code -1) takes the last entry
        return np.select(hits, [0, 1], -1)

    def _degf(self, rows: np.ndarray) -> int:
        """PSUs minus strata among ``rows`` (a mask): R's ``degf`` of the design subset to them
        (its PSUs with a non-zero weight)."""
        psu = np.unique(self._g[rows])
        return len(psu) - len(np.unique(self._psu_stratum[psu]))

    def _covariance(
        self, kind: str, values: Mapping[str, np.ndarray], by: list[str] | None = None
    ) -> dict[str, Any]:
        """Estimates and covariance matrices, per domain, of the means (``kind="mean"``) or
        totals (``"total"``) of float arrays, one value per row in the order of the data, NaN
        where a row is outside the estimate (the same rows for all of them).

        The covariance of two comes from the variance of their sum, ``(V(x + y) - V(x) -
        V(y)) / 2``, so that every rule of the variance pass (fpc, lonely PSUs, domains,
        calibration) holds for covariances as it does for variances.

        Returns
        -------
        dict
            ``dom`` (the domains), ``estimate`` (domains x k), ``vcov`` (domains x k x k),
            ``df`` (design df of each domain), ``n`` (rows in each domain's estimate) and
            ``reason`` (one per domain, "" when valid).
        """
        names = list(values)
        k = len(names)
        cols = {f"\0{i}": np.asarray(values[n], float) for i, n in enumerate(names)}
        for i, j in itertools.combinations(range(k), 2):
            cols[f"\0{i},{j}"] = cols[f"\0{i}"] + cols[f"\0{j}"]
        opts = self._options(kind, {}, by=by, level=0.95, df="design", deff="srswor", na="drop")
        table = self._linear(kind, list(cols), [None], opts, cols).table
        dom = self._domains(opts["by"])
        size = dom.size

        def block(column: str) -> np.ndarray:
            return table[column].to_numpy().reshape(len(cols), size)

        var, est = block("std_error").astype(float) ** 2, block("estimate").astype(float)
        vcov = np.empty((size, k, k))
        vcov[:, range(k), range(k)] = var[:k].T
        for (i, j), v in zip(itertools.combinations(range(k), 2), var[k:], strict=True):
            vcov[:, i, j] = vcov[:, j, i] = (v - var[i] - var[j]) / 2.0
        reasons = block("reason")[:k]
        return {
            "dom": dom,
            "estimate": est[:k].T,
            "vcov": vcov,
            "df": block("df")[0].astype(float),
            "n": block("n")[0].astype(np.int64),
            "reason": [next((r for r in reasons[:, d] if r), "") for d in range(size)],
        }

    # ------------------------------------------------------------------ variance core
    def _variance(
        self,
        dom: _Domains,
        total: np.ndarray,
        n_pd: np.ndarray,
        calibration_sums: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Linearisation variance per domain from (PSU, domain) totals of weighted influence
        values, ``n_pd`` rows of the estimate in each. Returns variance, design df (PSUs minus
        strata reached, R's ``degf`` of the domain) and a reason per domain ("" if valid).
        ``calibration_sums`` (domains x calibration columns: the sums of the influence values
        times the calibration variables in each domain) is what a calibrated design needs to
        project the influence values on its calibration residuals."""
        size, n_hd = dom.size, len(dom.hd_dom)
        n_h = self._n_h[dom.hd_stratum]
        s1 = np.bincount(dom.pd_hd, weights=total, minlength=n_hd)
        centre = s1 / n_h  # PSUs of the stratum without domain rows have total 0
        dev = total - centre[dom.pd_hd]
        ss = (
            np.bincount(dom.pd_hd, weights=dev * dev, minlength=n_hd) + (n_h - dom.hd_m) * centre**2
        )
        lonely = self._lonely_h[dom.hd_stratum]
        if self.lonely_psu == "adjust":  # single PSU centred at the mean of all PSU totals
            grand = np.bincount(dom.pd_dom, weights=total, minlength=size) / len(self._n_h_psu)
            ss = np.where(lonely, (s1 - grand[dom.hd_dom]) ** 2, ss)
        else:
            ss = np.where(lonely, 0.0, ss)
        contrib = np.where(self._census_h[dom.hd_stratum], 0.0, self._scale_h[dom.hd_stratum] * ss)
        var = np.bincount(dom.hd_dom, weights=contrib, minlength=size)
        calibrated = self._calibration_variance(dom, total, calibration_sums)
        if calibrated is not None:
            var = np.maximum(var + calibrated, 0.0)
        reached_pd = n_pd > 0
        reached_hd = np.bincount(dom.pd_hd, weights=reached_pd, minlength=n_hd) > 0
        n_strata = np.bincount(dom.hd_dom, weights=reached_hd, minlength=size)
        n_psu = np.bincount(dom.pd_dom, weights=reached_pd, minlength=size)
        lonely_hit = reached_hd & lonely
        n_lonely = np.bincount(dom.hd_dom, weights=lonely_hit, minlength=size)
        reasons = [""] * size
        if self.lonely_psu == "average":
            with np.errstate(divide="ignore", invalid="ignore"):
                var = np.where(n_lonely > 0, var * n_strata / (n_strata - n_lonely), var)
            for d in np.flatnonzero((n_lonely > 0) & (n_lonely == n_strata)):
                reasons[d] = "every stratum reached has a single PSU (lonely_psu='average')"
        if self.lonely_psu == "fail" and lonely_hit.any():
            named: dict[int, list[Any]] = {}
            for i in np.flatnonzero(lonely_hit):  # loops over lonely strata hit, not rows
                named.setdefault(int(dom.hd_dom[i]), []).append(
                    self.strata_labels[dom.hd_stratum[i]]
                )
            for d, strata in named.items():
                more = f" (and {len(strata) - 1} more)" if len(strata) > 1 else ""
                reasons[d] = (
                    f"stratum {_show(strata[0])}{more} has a single PSU and lonely_psu='fail'"
                )
        return var, n_psu - n_strata, reasons

    def _ratio_pass(
        self,
        dom: _Domains,
        y: np.ndarray,
        x: np.ndarray | None,
        kind: str,
        deff: str,
        binary: bool = False,
    ) -> dict[str, Any]:
        """Domain means (``kind="mean"``, ``x`` None), totals (``"total"``) or ratios of the
        totals of ``y`` and ``x`` (``"ratio"``): estimate, variance, df, counts, Kish deff.

        One pass over the rows sums each (PSU, domain) to its count, weight, and weighted
        ``y - c`` (``c`` a shift near the mean of ``y``, so that centring at a domain's mean
        later cancels no digits): a missing value is subtracted from the counts and weights of
        the domains computed once, so that only ``np.bincount`` of the weighted values visits
        every row; a second sums the squares to domains, for the design effect (not needed
        for a 0/1 ``y``, ``binary``). The influence value of row i, ``w_i (y_i - m_d x_i) /
        D_d`` with ``m_d`` the domain mean or ratio and ``D_d`` its denominator total (for a
        total, ``w_i y_i``), is never formed: its (PSU, domain) totals follow from the sums.
        """
        size, n_bins, pid, code = dom.size, dom.n_pd + 1, dom.row_pd, dom.row_code
        w = dom.row_w
        if dom.rows is not None:
            y = y[dom.rows]
            x = None if x is None else x[dom.rows]
        missing = np.isnan(y) if x is None else np.isnan(y) | np.isnan(x)
        miss = np.flatnonzero(missing)
        few = 4 * len(miss) < len(y)  # then counts and weights: those of the domain less these

        def by_pd(values: np.ndarray, at: np.ndarray = pid) -> np.ndarray:
            return np.bincount(at, weights=values, minlength=n_bins)[: dom.n_pd]

        def to_dom(values: np.ndarray) -> np.ndarray:
            return np.bincount(dom.pd_dom, weights=values, minlength=size)

        def zero_missing(values: np.ndarray) -> np.ndarray:
            if few:
                values[miss] = 0.0
                return values
            return np.where(missing, 0.0, values)

        if few:
            n_pd = dom.n_all - np.bincount(pid[miss], minlength=n_bins)[: dom.n_pd]
        else:
            n_pd = by_pd(~missing)
        if few:
            w_pd = np.where(n_pd > 0, dom.w_all - by_pd(w[miss], pid[miss]), 0.0)
        else:
            w_pd = by_pd(np.where(missing, 0.0, w))
        shift = 0.0 if binary or x is not None else _shift(y)
        t = np.subtract(y, shift) if shift else y
        wt = zero_missing(np.multiply(w, t))
        wt_pd = by_pd(wt)
        n, big_w = to_dom(n_pd), to_dom(w_pd)
        if x is None:
            denom, x_pd = big_w, w_pd
        else:
            wx = zero_missing(w * x)
            x_pd = by_pd(wx)
            denom = to_dom(x_pd)
        ty = to_dom(wt_pd)
        # squares to domains, for the design effect: sum w (y - m x)^2 = qyy - 2 m qxy + m^2 qxx
        if x is not None:
            cols = (
                wt * zero_missing(y.copy()),
                wt * zero_missing(x.copy()),
                wx * zero_missing(x.copy()),
            )
            qyy, qxy, qxx = (np.bincount(code, weights=c, minlength=size + 1)[:size] for c in cols)
        elif binary:
            qyy = ty
        else:
            squares = np.multiply(wt, t, out=t if shift else None)  # t is not needed after
            qyy = np.bincount(code, weights=zero_missing(squares), minlength=size + 1)[:size]
            del squares, t
        with np.errstate(divide="ignore", invalid="ignore"):
            centre = ty / denom  # mean (less the shift) or ratio
            if kind == "total":
                total, est = wt_pd + shift * w_pd, ty + shift * big_w
            else:
                total = (wt_pd - centre[dom.pd_dom] * x_pd) / denom[dom.pd_dom]
                est = centre + shift
            cal = None
            if self._calibration is not None:  # sums of the influence values by calibration cell
                at = miss if few else None
                cal = self._calibration_sums(dom, kind, wt, wx if x is not None else None,
                                             missing, at, centre, denom, shift)  # fmt: skip
            var, df, reasons = self._variance(dom, total, n_pd, cal)
            # Kish deff: variance over that of an SRS of the same n (R's svymean deff=)
            ss = qyy - ty * centre if x is None else qyy - centre * (2 * qxy - centre * qxx)
            s2 = ss / big_w * n / (n - 1)
            scale = np.ones(size) if kind == "total" else denom
            vsrs = s2 * (big_w / scale) ** 2 / n
            if deff == "srswor":
                vsrs = np.where(big_w > n, vsrs * (big_w - n) / big_w, np.nan)
            deff_values = var / vsrs
        for d in np.flatnonzero(n == 0):
            reasons[d] = "empty domain: no rows with observed values"
        if kind == "ratio":
            for d in np.flatnonzero((n > 0) & ~(np.abs(denom) > 0)):
                reasons[d] = "denominator total is zero in this domain"
        if dom.rows is None:
            member = ~missing
            if dom.n_all.sum() < self.nobs:  # some rows are in no domain
                member &= dom.inside
        else:
            member = np.zeros(self.nobs, bool)
            member[dom.rows[~missing]] = True
        return {
            "estimate": est,
            "var": var,
            "df": df,
            "reasons": reasons,
            "n": n,
            "N": big_w,
            "deff": deff_values,
            "member": member,
        }

    # ------------------------------------------------------------------ assembling
    def _options(self, method: str, unknown: dict[str, Any], **given: Any) -> dict[str, Any]:
        """Validate an estimator's options; return them with the design's, for provenance."""
        check_options(method, unknown, list(given))
        level, df = given["level"], given["df"]
        if not isinstance(level, int | float) or not 0 < level < 1:
            raise ValueError(f"level must be a number strictly between 0 and 1, got {level!r}")
        numeric = isinstance(df, int | float) and not isinstance(df, bool) and df > 0
        if not (df is None or df == "design" or numeric):
            raise ValueError(f"df must be one of [None, 'design', a positive number], got {df!r}")
        for name, allowed in (
            ("na", NA_RULES),
            ("deff", DEFF_TYPES),
            ("rule", QUANTILE_RULES),
            ("empty_domains", ("drop", "keep")),
        ):
            if name in given:
                check_choice(name, given[name], allowed)
        given["by"] = as_names(given["by"], "by")
        design = dict(weight=self.weight, strata=self.strata, psu=self.psu, fpc=self.fpc)
        if self._calibration is not None:
            design["calibration"] = self._calibration.method
        return {**given, **design, "lonely_psu": self.lonely_psu}

    def _rows(
        self,
        dom: _Domains,
        opts: dict[str, Any],
        var: str,
        res: dict[str, Any],
        missing: np.ndarray,
        label: str,
        extra: dict[str, Any],
    ) -> dict[str, Any]:
        """One block of the result table: ``res`` for every domain (columns, put together by
        :meth:`_finish`)."""
        size, reasons = dom.size, list(res["reasons"])
        if opts["na"] == "propagate":
            miss = np.bincount(dom.code, weights=missing, minlength=size + 1)[:size]
            for d in np.flatnonzero(miss > 0):
                reasons[d] = f"{int(miss[d])} missing value(s) of {var!r} and na='propagate'"
        terms = [f"{label} | {text}" for text in dom.texts] if dom.columns else [label]
        df = opts["df"]
        dfs = res["df"].astype(float) if df == "design" else np.full(size, float(df or np.nan))
        return {
            "dom": dom,
            "term": terms,
            "variable": var,
            "extra": extra,
            "estimate": res["estimate"],
            "std_error": np.sqrt(res["var"]),
            "df": dfs,
            "n": res["n"].astype(np.int64),
            "N": res["N"],
            "deff": res["deff"],
            "valid": [not r for r in reasons],
            "reason": reasons,
        }

    @staticmethod
    def _block_frame(block: dict[str, Any]) -> pd.DataFrame:
        dom = block["dom"]
        return pd.DataFrame(
            {
                "term": block["term"],
                **{c: dom.labels[c].array for c in dom.columns},
                "variable": block["variable"],
                **block["extra"],
                **{c: block[c] for c in _BLOCK_TAIL},
            }
        )

    @classmethod
    def _table(cls, blocks: list[dict[str, Any]]) -> dict[str, Any]:
        """The columns of the blocks one under the other, as ``pd.concat`` of their frames
        gives them: joined directly when every column's type is plain (the usual case)."""
        dom, keys, size = blocks[0]["dom"], blocks[0]["extra"].keys(), blocks[0]["dom"].size
        same = all(b["dom"] is dom and b["extra"].keys() == keys for b in blocks)
        extras = [_stacked_extra([b["extra"][k] for b in blocks]) for k in keys] if same else [None]
        if size == 0 or any(e is None for e in extras):
            frame = pd.concat([cls._block_frame(b) for b in blocks], ignore_index=True)
            return {c: frame[c].array for c in frame.columns}
        cols: dict[str, Any] = {"term": [t for b in blocks for t in b["term"]]}
        if dom.columns:
            at = np.tile(np.arange(size), len(blocks))
            cols.update({c: dom.labels[c].array.take(at) for c in dom.columns})
        cols["variable"] = [b["variable"] for b in blocks for _ in range(size)]
        for key, values in zip(keys, extras, strict=True):
            cols[key] = (
                values
                if isinstance(values, np.ndarray)
                else [v for v in values for _ in range(size)]
            )
        for c in _BLOCK_TAIL:
            if c in ("valid", "reason"):
                cols[c] = [v for b in blocks for v in b[c]]
            else:
                cols[c] = np.concatenate([b[c] for b in blocks])
        return cols

    def _linear(
        self,
        kind: str,
        variables: list[str],
        denominators: list[str | None],
        opts: dict[str, Any],
        values: Mapping[str, np.ndarray] | None = None,
    ) -> EstimateResult:
        if values is None:
            self._check_columns([*variables, *[d for d in denominators if d]])
        column = self._float if values is None else values.__getitem__
        dom = self._domains(opts["by"])
        blocks, used = [], np.zeros(self.nobs, bool)
        for var in variables:
            y = column(var)
            for den in denominators:
                x = None if den is None else column(den)
                res = self._ratio_pass(dom, y, x, kind, opts["deff"])
                used |= res["member"]
                missing = np.isnan(y) if x is None else np.isnan(y) | np.isnan(x)
                label, extra = (var, {}) if den is None else (f"{var}/{den}", {"denominator": den})
                blocks.append(self._rows(dom, opts, var, res, missing, label, extra))
        return self._with_empty(self._finish(kind, opts, blocks, used), opts, blocks)

    def _with_empty(
        self, result: EstimateResult, opts: dict[str, Any], blocks: list[dict[str, Any]]
    ) -> EstimateResult:
        """``result`` with an invalid row for each domain no row falls in, for every block
        (``empty_domains="keep"``); unchanged otherwise."""
        by = opts["by"]
        if opts.get("empty_domains", "drop") != "keep" or not by or not blocks:
            return result
        levels = []
        for col in by:
            s = self.data[col]
            cats = s.cat.categories if isinstance(s.dtype, pd.CategoricalDtype) else None
            levels.append(list(cats) if cats is not None else sorted(s.dropna().unique().tolist()))
        seen = set(blocks[0]["dom"].labels.itertuples(index=False, name=None))
        empty = [c for c in itertools.product(*levels) if c not in seen]
        if not empty:
            return result
        rows = []
        for b in blocks:
            label = b["term"][0].split(" | ")[0] if b["term"] else b["variable"]
            for combo in empty:
                text = ", ".join(f"{c}={v}" for c, v in zip(by, combo, strict=True))
                rows.append(invalid_row(
                    f"{label} | {text}", f"empty domain: no rows where {text}",
                    **dict(zip(by, combo, strict=True)), variable=b["variable"], **b["extra"],
                    n=0, N=0.0,
                ))  # fmt: skip
        table = pd.concat([result.table, pd.DataFrame(rows)], ignore_index=True)
        for col in by:  # keep the by columns' categories
            if isinstance(self.data[col].dtype, pd.CategoricalDtype):
                table[col] = pd.Categorical(table[col], dtype=self.data[col].dtype)
        base, added = result.ci_function, len(rows)

        def ci_at(level: float) -> tuple[np.ndarray, np.ndarray]:
            assert base is not None
            pad = np.full(added, np.nan)
            lower, upper = base(level)
            return np.concatenate([lower, pad]), np.concatenate([upper, pad])

        return EstimateResult(
            table, method=result.method, options=result.options, nobs=result.nobs,
            level=result.level, ci_transform=result.ci_transform,
            ci_function=ci_at if base is not None else None,
        )  # fmt: skip

    @classmethod
    def _finish(
        cls,
        method: str,
        opts: dict[str, Any],
        blocks: list[dict[str, Any]],
        used: np.ndarray,
        transform: str = "identity",
    ) -> EstimateResult:
        if not blocks:
            raise ValueError("No objects to concatenate")  # as pd.concat of no blocks
        return EstimateResult._from_columns(
            cls._table(blocks),
            method=method,
            options=opts,
            nobs=int(used.sum()),
            level=opts["level"],
            ci_transform=transform,
        )

    # ------------------------------------------------------------------ estimators
    def mean(
        self,
        variables: Names,
        *,
        by: Names | None = None,
        level: float = 0.95,
        df: Any = None,
        deff: str = "srswor",
        na: str = "drop",
        empty_domains: str = "drop",
        **unknown: Any,
    ) -> EstimateResult:
        """Weighted means (R ``svymean`` / ``svyby(..., svymean)``), all variables and domains
        in one pass.

        Parameters
        ----------
        variables : str or list of str
            Numeric or boolean columns.
        by : str or list of str, optional
            Domain columns; rows with a missing domain value belong to no domain. Domains are
            the observed combinations, sorted.
        level : float
            Confidence level.
        df : None, "design" or float
            Reference distribution of intervals and tests: None, the normal (as R's
            ``confint(svymean)``); "design", t with the domain's design df (PSUs minus strata
            containing its rows, R's ``degf`` of the domain subset); a number, t with that df.
        deff : {"srswor", "replace"}
            Kish design effect: the variance over that of a simple random sample of the same
            ``n`` without replacement from a population of size ``N`` (R ``deff=TRUE``) or
            with replacement (R ``deff="replace"``).
        na : {"drop", "propagate"}
            "drop": a missing value puts the row outside the domain for that variable (R's
            ``na.rm=TRUE``, each variable separately); "propagate": any missing value in a
            domain makes its estimate invalid (R's NA).
        empty_domains : {"drop", "keep"}
            "keep": the domains no row falls in (the unused categories of a categorical
            ``by`` column, and with several ``by`` columns every combination of their
            categories or observed values) are rows too, after the observed ones, invalid
            with the reason; "drop" (default): only observed domains.

        Returns
        -------
        EstimateResult
            Table columns: ``term``, domain columns, ``variable``, ``estimate``,
            ``std_error``, ``statistic``, ``p_value``, ``ci_lower``, ``ci_upper``, ``df``,
            ``n`` (rows with observed values), ``N`` (their weight sum), ``deff``, ``valid``,
            ``reason``. Rows ordered by variable, then domain. Empty domains are invalid rows.
        """
        opts = self._options("mean", unknown, by=by, level=level, df=df, deff=deff, na=na,
                             empty_domains=empty_domains)  # fmt: skip
        return self._linear("mean", as_names(variables, "variables"), [None], opts)

    def total(
        self,
        variables: Names,
        *,
        by: Names | None = None,
        level: float = 0.95,
        df: Any = None,
        deff: str = "srswor",
        na: str = "drop",
        empty_domains: str = "drop",
        **unknown: Any,
    ) -> EstimateResult:
        """Weighted totals (R ``svytotal``); options and table as :meth:`mean`."""
        opts = self._options("total", unknown, by=by, level=level, df=df, deff=deff, na=na,
                             empty_domains=empty_domains)  # fmt: skip
        return self._linear("total", as_names(variables, "variables"), [None], opts)

    def _totals(
        self, values: Mapping[str, np.ndarray], *, level: float = 0.95, df: Any = None
    ) -> EstimateResult:
        """:meth:`total` (no domains) of float arrays, one value per row in the order of the
        data, named by the keys of ``values``: the same table as if they were columns."""
        opts = self._options("total", {}, by=None, level=level, df=df, deff="srswor", na="drop")
        return self._linear("total", list(values), [None], opts, values)

    def ratio(
        self,
        numerator: Names,
        denominator: Names,
        *,
        by: Names | None = None,
        level: float = 0.95,
        df: Any = None,
        deff: str = "srswor",
        na: str = "drop",
        empty_domains: str = "drop",
        **unknown: Any,
    ) -> EstimateResult:
        """Ratio of two weighted totals (R ``svyratio``), every numerator with every
        denominator; a row enters when both values are observed. Options as :meth:`mean`;
        the table has a ``denominator`` column."""
        opts = self._options("ratio", unknown, by=by, level=level, df=df, deff=deff, na=na,
                             empty_domains=empty_domains)  # fmt: skip
        dens: list[str | None] = list(as_names(denominator, "denominator"))
        return self._linear("ratio", as_names(numerator, "numerator"), dens, opts)

    def proportion(
        self,
        variables: Names,
        *,
        by: Names | None = None,
        level: float = 0.95,
        df: Any = "design",
        deff: str = "srswor",
        na: str = "drop",
        empty_domains: str = "drop",
        **unknown: Any,
    ) -> EstimateResult:
        """Proportions with confidence intervals on the logit scale (R
        ``svyciprop(method="logit")``).

        A boolean column, or a numeric one whose values are all 0 or 1, gives one row: the
        proportion of True / 1. Any other column is categorical and gives one row per
        category (all categories of a pandas Categorical, else the sorted observed values).
        The default ``df="design"`` matches ``svyciprop``, which uses t on ``degf``. Other
        options as :meth:`mean`; the table has a ``category`` column.
        """
        opts = self._options("proportion", unknown, by=by, level=level, df=df, deff=deff, na=na,
                             empty_domains=empty_domains)  # fmt: skip
        variables = as_names(variables, "variables")
        self._check_columns(variables)
        dom = self._domains(opts["by"])
        blocks, used = [], np.zeros(self.nobs, bool)
        for var in variables:
            s = self.data[var]
            missing = s.isna().to_numpy()
            is_bool = pd.api.types.is_bool_dtype(s)
            if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iuf":  # the same test, in numpy
                v = s.to_numpy()
                binary = bool(np.all((v == 0) | (v == 1) | np.isnan(v)))
            else:
                binary = is_bool or (
                    pd.api.types.is_numeric_dtype(s) and s.dropna().isin([0, 1]).all()
                )
            if binary:
                levels = [True if is_bool else 1]
            elif isinstance(s.dtype, pd.CategoricalDtype):
                levels = list(s.cat.categories)
            else:
                levels = sorted(s.dropna().unique().tolist())
            for value in levels:
                if binary:  # the values themselves: 1 (True) or 0, missing NaN
                    y = self._float(var)
                else:
                    hit = (s == value).to_numpy(dtype=float, na_value=0.0)
                    y = np.where(missing, np.nan, hit)
                res = self._ratio_pass(dom, y, None, "mean", deff, binary=True)
                used |= res["member"]
                if not binary:  # a category nobody in the domain chose: 0, with no variance
                    seen = np.bincount(dom.code, weights=hit, minlength=dom.size + 1)[: dom.size]
                    for d in np.flatnonzero((seen == 0) & (res["n"] > 0)):
                        if not res["reasons"][d]:
                            res["reasons"][d] = (
                                f"category {_show(value)} of {var!r} not observed in the domain: "
                                "its proportion (0) has no estimable standard error"
                            )
                label = var if binary else f"{var}={value}"
                blocks.append(self._rows(dom, opts, var, res, missing, label, {"category": value}))
        return self._with_empty(
            self._finish("proportion", opts, blocks, used, "logit"), opts, blocks
        )

    def mean_diff(
        self,
        variables: Names,
        between: tuple[str, Any, Any],
        *,
        by: Names | None = None,
        level: float = 0.95,
        df: Any = None,
        na: str = "drop",
        **unknown: Any,
    ) -> EstimateResult:
        """Difference of two domain means, ``mean(second) - mean(first)``, in one design.

        ``between=("wave", 2019, 2022)`` estimates the 2022 mean minus the 2019 mean (within
        each ``by`` domain). Both means are linearised in the same design and the variance is
        that of the difference of their influence values summed to PSU totals, so PSUs and
        strata shared by the two groups (the same schools in both waves) enter with their
        covariance, as R's ``svycontrast(svyby(..., covmat=TRUE), c(-1, 1))``. The table has
        ``mean_first`` and ``mean_second``; ``n`` and ``N`` count both groups. Options as
        :meth:`mean` (no ``deff``: the ``deff`` column is NaN).
        """
        opts = self._options("mean_diff", unknown, by=by, level=level, df=df, na=na)
        if not (isinstance(between, tuple | list) and len(between) == 3):
            raise ValueError(f"between must be (column, first, second), got {between!r}")
        col, first, second = between
        opts["between"] = (col, first, second)
        variables = as_names(variables, "variables")
        self._check_columns([*variables, col])
        if col in opts["by"]:
            raise ValueError(f"between column {col!r} may not also be a by column")
        dom = self._domains(opts["by"])
        side = self._sides(col, first, second)
        size, blocks, used = dom.size, [], np.zeros(self.nobs, bool)
        a, b = slice(0, 2 * size, 2), slice(1, 2 * size, 2)  # (domain, side) bins
        for var in variables:
            y = self._float(var)
            member = ~np.isnan(y) & dom.inside & (side >= 0)
            used |= member
            # rows outside add exact zeros to every sum: left out when they are the majority
            if 2 * np.count_nonzero(member) < len(member):
                rows = np.flatnonzero(member)
                on, pid, count = side[rows], dom.pd_id[rows], np.ones(len(rows))
                k, wm, y0 = dom.code[rows] * 2 + on, self._w[rows], y[rows]
            else:
                rows = None
                on, pid, count = side, dom.pd_id, member
                k = np.where(member, dom.code * 2 + side, 2 * size)
                wm, y0 = np.where(member, self._w, 0.0), np.where(member, y, 0.0)
            big_w = np.bincount(k, weights=wm, minlength=2 * size + 1)
            n_k = np.bincount(k, weights=count, minlength=2 * size + 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                means = np.bincount(k, weights=wm * y0, minlength=2 * size + 1) / big_w
                x = np.where(on == 1, 1.0, -1.0) * wm * (y0 - means[k]) / big_w[k]
            if count is member:
                x = np.where(member, x, 0.0)
            sums = [
                np.bincount(pid, weights=v, minlength=dom.n_pd + 1)[: dom.n_pd] for v in (x, count)
            ]
            influence = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
            cal = self._calibration_row_sums(dom, rows, influence)
            var_d, df_d, reasons = self._variance(dom, *sums, cal)
            for d, s in zip(*np.nonzero(np.stack([n_k[a], n_k[b]], axis=1) == 0), strict=True):
                reasons[d] = (
                    f"empty domain: no observed {var!r} where {col}={_show(between[1 + s])}"
                )
            res = {
                "estimate": means[b] - means[a],
                "var": var_d,
                "df": df_d,
                "reasons": reasons,
                "n": n_k[a] + n_k[b],
                "N": big_w[a] + big_w[b],
                "deff": np.full(size, np.nan),
            }
            extra = {"mean_first": means[a], "mean_second": means[b]}
            label = f"{var}: {col}={second} - {col}={first}"
            blocks.append(self._rows(dom, opts, var, res, np.isnan(y) & (side >= 0), label, extra))
        return self._finish("mean_diff", opts, blocks, used)


def _combine_codes(
    n: int, columns: list[tuple[np.ndarray, pd.Index]]
) -> tuple[np.ndarray, int, list[tuple[pd.Index, np.ndarray | None]]]:
    """One code per row for the combinations of the columns' codes (-1 where any is missing),
    numbered in sorted order; returns it, the number of combinations, and per column its
    values and the mixed-radix codes found after it (None where not compacted there). All
    columns at once when their radix product is small, else compacted column by column."""
    if not columns:
        return np.zeros(n, np.int64), 1, []
    radix = [len(uniq) for _, uniq in columns]
    if int(np.prod(radix, dtype=float)) <= max(_DENSE_SPAN, n):
        combined, missing = None, None
        for c, uniq in columns:
            combined = c if combined is None else combined * len(uniq) + c
            if len(c) and c.min() < 0:
                missing = c < 0 if missing is None else missing | (c < 0)
        if missing is not None:
            combined = np.where(missing, -1, combined)
        code, found = compact_codes(combined, int(np.prod(radix)))
        steps = [(uniq, None) for _, uniq in columns[:-1]] + [(columns[-1][1], found)]
        return code, len(found), steps
    code, size = columns[0][0], radix[0]  # the codes of the first column are compact
    steps = [(columns[0][1], None)]
    for c, uniq in columns[1:]:
        combined = code * len(uniq) + c
        combined[(code < 0) | (c < 0)] = -1
        code, found = compact_codes(combined, size * len(uniq))
        size = len(found)
        steps.append((uniq, found))
    return code, size, steps


def _shift(y: np.ndarray) -> float:
    """A value near the mean of ``y`` (that of about 1,000 evenly spaced rows), 0 when they
    are all missing: what a pass subtracts before summing, so that centring at the domain means
    later cancels few digits."""
    sample = y[:: max(len(y) // 1000, 1)]
    sample = sample[np.isfinite(sample)]
    return float(sample.mean()) if len(sample) else 0.0


def _show(value: Any) -> str:
    """A value as a reason prints it: ``413``, ``'A'``, not ``np.int64(413)``."""
    return repr(value.item() if isinstance(value, np.generic) else value)
