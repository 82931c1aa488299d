"""Quantiles of a survey design: the estimating-equation rule and Woodruff confidence intervals.

A mixin of :class:`shuangjian_eval.estimation.survey.SurveyDesign`; it uses the design's factorised codes,
domains and variance pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ...base.options import as_names
from ..results import EstimateResult, critical_value
from ._common import Names, _Domains


class QuantileMixin:
    """Quantile estimation for :class:`SurveyDesign`."""

    def quantile(
        self,
        variables: Names,
        q: float | Sequence[float] = 0.5,
        *,
        by: Names | None = None,
        level: float = 0.95,
        df: Any = "design",
        rule: str = "math",
        na: str = "drop",
        empty_domains: str = "drop",
        **unknown: Any,
    ) -> EstimateResult:
        """Weighted quantiles with Woodruff confidence intervals (R ``svyquantile``, R >= 4.1
        defaults ``qrule="math"``, ``interval.type="mean"``).

        Rule ``"math"`` (R's default): the smallest value ``x`` whose weighted distribution
        function ``F(x) = sum(w[y <= x]) / sum(w)`` reaches ``q``. Rule ``"school"``: the
        same, but the midpoint of that value and the next when ``F`` hits ``q`` exactly.
        Woodruff interval: with ``p = F(qhat)`` estimated as a domain mean of the indicator
        ``y <= qhat`` (full-design linearised variance), the interval is the rule applied at
        ``p -+ c se(p)``; a bound whose probability falls outside [0, 1] is NaN, as in R.
        ``std_error = (upper - lower) / (2 c)``. With the default ``df="design"``, ``c`` is a
        t quantile on the domain's design df, as in R. (Unlike R, a ``q`` below the first
        weight share gives the smallest value, not the second.) Terms read ``var@q0.5``;
        ``statistic`` and ``p_value`` are NaN; :meth:`EstimateResult.conf_int` recomputes
        Woodruff intervals. ``empty_domains`` as in :meth:`SurveyDesign.mean`.
        """
        opts = self._options("quantile", unknown, q=q, by=by, level=level, df=df, rule=rule, na=na,
                             empty_domains=empty_domains)  # fmt: skip
        qs = np.atleast_1d(np.asarray(q, dtype=float))
        if not np.all((qs > 0) & (qs < 1)):
            raise ValueError(f"q must be in (0, 1), got {q!r}")
        opts["q"] = qs.tolist()
        variables = as_names(variables, "variables")
        self._check_columns(variables)
        dom = self._domains(opts["by"])
        blocks, used, cis = [], np.zeros(self.nobs, bool), []
        for var in variables:
            y = self._float(var)
            member = ~np.isnan(y) & dom.inside
            used |= member
            est, ci_fn, parts = self._quantile_var(dom, y, member, qs, rule, df)
            lower, upper, crit = ci_fn(level)
            cis.append(ci_fn)
            for j, p in enumerate(qs):
                se2 = ((upper[:, j] - lower[:, j]) / (2 * crit[:, j])) ** 2
                res = {**parts[j], "estimate": est[:, j], "var": se2}
                res["reasons"] = [
                    r
                    or ("one row in the domain: a quantile has no standard error" if n == 1 else "")
                    for r, n in zip(res["reasons"], res["n"], strict=True)
                ]
                blocks.append(
                    self._rows(dom, opts, var, res, np.isnan(y), f"{var}@q{p:g}", {"q": p})
                )
        result = self._finish("quantile", opts, blocks, used)

        def conf_int(lvl: float) -> tuple[np.ndarray, np.ndarray]:
            pairs = [f(lvl)[:2] for f in cis]  # (domains, q) arrays -> rows: q-major
            return tuple(np.concatenate([p[i].T.ravel() for p in pairs]) for i in (0, 1))  # type: ignore[return-value]

        valid, (lower, upper) = result.table["valid"].to_numpy(), conf_int(level)
        result.table["ci_lower"] = np.where(valid, lower, np.nan)
        result.table["ci_upper"] = np.where(valid, upper, np.nan)
        result.table[["statistic", "p_value"]] = np.nan  # "quantile = 0" is no hypothesis
        result.ci_function = conf_int
        return self._with_empty(result, opts, blocks)

    def _quantile_var(
        self, dom: _Domains, y: np.ndarray, member: np.ndarray, qs: np.ndarray, rule: str, df: Any
    ) -> tuple[np.ndarray, Callable[..., Any], list[Any]]:
        """Quantiles of one variable in every domain, and a function of the level giving
        Woodruff bounds. Sorting is done once; per-domain work is slicing and searchsorted."""
        rows = np.flatnonzero(member)
        order = rows[np.lexsort((y[rows], dom.code[rows]))]
        ys, ws = y[order], self._w[order]
        bounds = np.searchsorted(dom.code[order], np.arange(dom.size + 1))
        cum = [
            np.cumsum(ws[a:b], dtype=np.longdouble).astype(float)  # as R's cumsum
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]

        def qrule(d: int, probs: np.ndarray) -> np.ndarray:
            cw, xs = cum[d], ys[bounds[d] : bounds[d + 1]]
            out = np.full(probs.shape, np.nan)
            if len(xs) == 0:
                return out
            total = cw[-1]
            ok = np.isfinite(probs) & (probs >= 0) & (probs <= 1)
            p = probs[ok]
            pos = np.searchsorted(cw, p * total, side="right") - 1
            low = np.clip(pos, 0, len(xs) - 1)
            nxt = np.where(pos < 0, 0, np.minimum(pos + 1, len(xs) - 1))
            exact = (pos >= 0) & (p - cw[low] / total == 0)
            hit = (xs[low] + xs[nxt]) / 2 if rule == "school" else xs[low]
            out[ok] = np.where(exact, hit, xs[nxt])
            return out

        est = np.array([qrule(d, qs) for d in range(dom.size)]).reshape(dom.size, len(qs))
        parts = []  # proportion below each estimate, per domain, with its variance and df
        for j in range(len(qs)):
            below = np.where(member, y <= np.append(est[:, j], np.nan)[dom.code], np.nan)
            res = self._ratio_pass(dom, below, None, "mean", "replace", binary=True)
            parts.append({**res, "deff": np.full(dom.size, np.nan)})

        def ci(lvl: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            lower, upper, crit = (np.full(est.shape, np.nan) for _ in range(3))
            for j, res in enumerate(parts):
                dfs = res["df"] if df == "design" else (None if df is None else float(df))
                crit[:, j] = np.broadcast_to(critical_value(lvl, dfs), (dom.size,))
                half = crit[:, j] * np.sqrt(res["var"])
                probs = np.stack([res["estimate"] - half, res["estimate"] + half], axis=1)
                probs[(probs < 0) | (probs > 1)] = np.nan
                bnd = np.array([qrule(d, probs[d]) for d in range(dom.size)]).reshape(-1, 2)
                lower[:, j], upper[:, j] = bnd[:, 0], bnd[:, 1]
            return lower, upper, crit

        return est, ci, parts
