"""Design-based variances and covariances of variables (the population spread, not the
variance of an estimate), as R's ``svyvar`` (survey 4.1) computes them.

A mixin of :class:`~shuangjian_eval.estimation.survey.SurveyDesign`. For variables ``x`` and
``y`` in a domain ``d`` (the whole sample without ``by``), with ``xbar``, ``ybar`` their
weighted means over the rows where all the variables are observed,

    cov(x, y) = n / (n - 1) * mean_w((x - xbar)(y - ybar)),

``mean_w`` a design-based (weighted) mean over those rows and ``n`` the rows of the domain, as
R counts them: the rows of the design (or of ``subset(design, <domain>)``) with a non-zero
weight, those where a variable is missing included. Its standard error is that of the mean of
the products with the means held fixed, the design's linearisation variance (strata, PSUs,
fpc, calibration, lonely-PSU rule): R's ``svymean(a * b * n / (n - 1), design)``.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ...base.options import as_names
from ..results import EstimateResult
from ._common import Names


class VarianceMixin:
    """Variances and covariances of variables for :class:`SurveyDesign`."""

    def var(
        self,
        variables: Names,
        *,
        by: Names | None = None,
        level: float = 0.95,
        df: Any = None,
        **unknown: Any,
    ) -> EstimateResult:
        """Weighted variances (one variable) or variances and covariances (several) of the
        population, with design-based standard errors (R ``svyvar(~x + y, design, na.rm =
        TRUE)``; by domain, R ``svyby(~x, ~by, design, svyvar)``).

        Parameters
        ----------
        variables : str or list of str
            Numeric or boolean columns. Rows where any of them is missing are left out (R's
            ``na.rm=TRUE``, complete cases); see the module notes for the divisor.
        by : str or list of str, optional
            Domain columns.
        level, df
            Confidence level and reference distribution of the intervals, as
            :meth:`SurveyDesign.mean`.

        Returns
        -------
        EstimateResult
            One row per variance and, with several variables, per covariance (``x`` before
            ``y`` in the order given), for each domain: ``term`` (``"var(x)"``,
            ``"cov(x, y)"``, ``" | domain"`` after it), domain columns, ``variable`` and
            ``with`` (the two variables; the same for a variance), the estimate columns, ``df``,
            ``n`` (rows with every variable observed), ``N`` (their weight sum), ``valid`` and
            ``reason``. A domain without observed rows, or with a single row, is invalid.
        """
        design: Any = self
        opts = design._options("var", unknown, by=by, level=level, df=df, deff="srswor",
                               na="drop")  # fmt: skip
        opts.pop("deff")
        variables = as_names(variables, "variables")
        design._check_columns(variables)
        dom = design._domains(opts["by"])
        x = np.column_stack([design._float(v) for v in variables])
        complete = ~np.isnan(x).any(axis=1) & dom.inside
        code = np.where(complete, dom.code, dom.size)
        w = np.where(complete, design._w, 0.0)
        big_w = np.bincount(code, weights=w, minlength=dom.size + 1)
        n_rows = np.bincount(dom.code, minlength=dom.size + 1).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(n_rows > 1, n_rows / (n_rows - 1), np.nan)
            means = [
                np.bincount(code, weights=w * np.nan_to_num(x[:, j]), minlength=dom.size + 1)
                / big_w
                for j in range(len(variables))
            ]
        dev = [np.where(complete, x[:, j] - means[j][code], np.nan) for j in range(x.shape[1])]
        pairs = [(i, i) for i in range(len(variables))] + [
            (i, j) for i, j in itertools.combinations(range(len(variables)), 2)
        ]
        names = {}
        for i, j in pairs:
            a, b = variables[i], variables[j]
            label = f"var({a})" if i == j else f"cov({a}, {b})"
            names[label] = (a, b, dev[i] * dev[j] * scale[dom.code])
        res = design._linear("mean", list(names), [None], {**opts, "deff": "srswor"},
                             {k: v[2] for k, v in names.items()})  # fmt: skip
        table = res.table
        first = {k: v[0] for k, v in names.items()}
        second = {k: v[1] for k, v in names.items()}
        labels = table["variable"].to_numpy()
        at = table.columns.get_loc("variable")
        table["variable"] = [first[k] for k in labels]
        table.insert(at + 1, "with", [second[k] for k in labels])
        table["deff"] = np.nan
        few = np.tile(n_rows[: dom.size] == 1, len(names))
        table.loc[few, "reason"] = "a single row: no variance"
        table.loc[few, "valid"] = False
        table.loc[
            few, ["estimate", "std_error", "statistic", "p_value", "ci_lower", "ci_upper"]
        ] = np.nan
        res.method, res.options = "var", {**opts, "variables": list(variables)}
        return res
