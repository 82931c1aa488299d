"""Difference-in-differences for the 2 x 2 design: ``did``.

The regression is ``outcome ~ 1 + treated + post + treated:post (+ covariates)`` by OLS, or
WLS with sampling weights, optionally with fixed effects absorbed by a within transformation
(``absorb=("school_id", "wave")``), in which case the intercept and the main effects that the
fixed effects make collinear (``treated`` constant within school, ``post`` within wave) are
dropped. The term of interest is always named ``"treated:post"``, whatever the columns are
called. Covariance conventions are those of R ``fixest`` (see :mod:`._fe`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...base.options import as_names, check_choice, check_columns, check_options
from ..results import invalid_row
from ..weights import left_out_note, usable_weights
from ._fe import (
    COV_TYPES,
    Factor,
    RegressionResult,
    add_cell_sizes,
    check_binary,
    covariate_cells,
    factorize,
    fit_wls,
    smallest_cell,
    table_from_fit,
    to_float,
)
from .design_based import check_design, design_vcov
from .small_clusters import adjust_fit, apply_wild, check_inference, few_clusters_note

__all__ = ["FOCUS", "did"]

#: Name of the difference-in-differences term in every :func:`did` result.
FOCUS = "treated:post"
_OPTIONS = (
    "covariates", "weights", "absorb", "cluster", "cov_type", "inference", "bootstrap_reps",
    "bootstrap_weights", "seed", "design", "level",
)  # fmt: skip


def _prepare(
    df: pd.DataFrame,
    numeric: list[str],
    *,
    weights: str | None,
    absorb: list[str],
    cluster: str | None,
    weight_values: np.ndarray | None = None,
) -> dict[str, Any]:
    """Numeric arrays, factors and the mask of complete rows (missing anywhere: left out);
    ``weight_values`` (a design's weights) stand for the column ``weights``."""
    arrays = {c: to_float(df, c) for c in dict.fromkeys(numeric)}
    w = weight_values if weight_values is not None else to_float(df, weights) if weights else None
    factors = {
        c: factorize(df, c) for c in dict.fromkeys([*absorb, *([cluster] if cluster else [])])
    }
    bad = np.zeros(len(df), dtype=bool)
    for a in arrays.values():
        bad |= np.isnan(a)
    for f in factors.values():
        bad |= f.codes < 0
    n_missing = int(bad.sum())
    left_out: dict[str, int] = {}
    if w is not None:
        usable, left_out = usable_weights(w, weights or "design weights", among=~bad)
        bad |= ~usable
    keep = None if not bad.any() else ~bad
    if keep is not None:
        arrays = {c: a[keep] for c, a in arrays.items()}
        w = None if w is None else w[keep]
    factors = {c: f.subset(keep) for c, f in factors.items()}
    return {"arrays": arrays, "w": w, "factors": factors, "n_missing": n_missing,
            "left_out": left_out, "keep": keep}  # fmt: skip


def resolve_cov_type(cov_type: str, cluster: str | None) -> str:
    """Effective covariance type: "HC1" with ``cluster=`` is its clustered form, CR1."""
    check_choice("cov_type", cov_type, COV_TYPES)
    if cov_type == "nonrobust" and cluster is not None:
        raise ValueError("cov_type='nonrobust' cannot be combined with cluster=")
    if cov_type == "CR2":
        if cluster is None:
            raise ValueError("cov_type='CR2' needs cluster=")
        return cov_type
    return "cluster" if cluster is not None else cov_type


def cluster_checks(factors: dict[str, Factor], cluster: str | None, notes: list[str]) -> str:
    """The reason a clustered fit cannot be made (one cluster), or ""; adds the few-clusters
    warning to ``notes``."""
    if cluster is None:
        return ""
    f = factors[cluster]
    if f.n_levels == 1:
        return (
            f"one cluster ({cluster} = {f.labels[0]}): a cluster-robust variance needs at least two"
        )
    note = few_clusters_note(f.n_levels, cluster)
    if note:
        notes.append(note)
    return ""


def did(
    df: pd.DataFrame,
    *,
    outcome: str,
    treated: str,
    post: str,
    covariates: Sequence[str] = (),
    weights: str | None = None,
    absorb: Sequence[str] = (),
    cluster: str | None = None,
    cov_type: str = "HC1",
    inference: str = "analytic",
    bootstrap_reps: int = 9999,
    bootstrap_weights: str | None = None,
    seed: int | None = None,
    design: Any = None,
    level: float = 0.95,
    **unknown: Any,
) -> RegressionResult:
    """Difference-in-differences estimate of the 2 x 2 design by (weighted) least squares.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per observation (respondent x wave); not modified.
    outcome : str
        Numeric outcome column.
    treated, post : str
        0/1 (or boolean) columns: the treated group, and the post-policy period.
    covariates : sequence of str
        Further numeric regressors.
    weights : str, optional
        Sampling weights: WLS; they scale the estimating equations, they are not frequency
        weights (``nobs`` counts rows).
    absorb : sequence of str
        Fixed effects absorbed by a within transformation (weighted when ``weights`` given),
        e.g. ``("school_id", "wave")``; never dummy columns. Terms collinear with them are
        dropped and listed in ``notes``.
    cluster : str, optional
        Cluster column (e.g. ``"school_id"``). Given, the covariance is cluster-robust (CR1,
        or CR2) whatever ``cov_type`` says, unless it says ``"nonrobust"`` (an error). One
        cluster: the result is invalid with the reason; fewer than 50: a warning in
        ``notes``.
    cov_type : {"nonrobust", "HC1", "cluster", "CR2"}
        ``"cluster"`` without ``cluster=`` treats every row as its own cluster, which equals
        ``"HC1"``. Small-sample factors as R ``fixest``: CR1 is
        ``G/(G-1) * (N-1)/(N-K)`` where ``K`` excludes the fixed effects nested in the cluster
        (school fixed effects within school clusters), t with ``G - 1`` df; HC1 is
        ``N/(N-K)`` and nonrobust ``SSR/(N-K)``, t with ``N - K`` df. ``"CR2"`` (needs
        ``cluster=``): Bell-McCaffrey bias-reduced variance with Satterthwaite df per term
        (the ``df`` column), as R ``clubSandwich`` (:mod:`.small_clusters`); use it with
        fewer than about 50 clusters.
    inference : {"analytic", "wild"}
        ``"wild"`` (needs ``cluster=``): restricted wild cluster bootstrap of
        ``treated:post`` (:mod:`.small_clusters`): its ``p_value`` and interval (test
        inversion) come from the bootstrap, ``std_error`` and ``statistic`` stay CR1.
    bootstrap_reps : int
        Bootstrap draws (all ``2^G`` sign vectors when that is no more: exact p-value).
    bootstrap_weights : {"rademacher", "webb"}, optional
        Default: Webb's six-point weights below 12 clusters, else Rademacher.
    seed : int, optional
        Seed of the bootstrap draws.
    design : SurveyDesign, optional
        A design built on ``df``: the weights are the design's (the calibrated ones of a
        calibrated design), and the covariance is design-based (strata, PSUs, fpc,
        lonely-PSU rule, calibration), as R ``svyglm``, t on its residual df
        (:mod:`.design_based`). ``weights``, ``cluster`` and ``inference="wild"``
        must not be given with it.
    level : float
        Confidence level of the intervals in the table.

    Returns
    -------
    RegressionResult
        ``estimate``, ``std_error``, ``p_value``, ``conf_int`` and ``valid`` refer to the
        term ``"treated:post"``; ``to_frame()`` has every coefficient (``"(intercept)"``,
        ``"treated"``, ``"post"``, ``"treated:post"``, covariates by name) and ``vcov`` their
        covariance. Each row also has ``n_min_cell`` and ``n_psu_min_cell``: the respondents
        and clusters (``cluster=``; NaN without it) of the smallest of the four treated x post
        cells for the design terms, of the two values of a 0/1 covariate, or of all rows for
        any other covariate (rows used in the fit). Without treated or untreated rows, pre or
        post rows, or when ``treated:post`` is collinear with the fixed effects or covariates,
        the term comes back invalid with the reason.

    Raises
    ------
    ValueError
        Unknown option (the message lists the valid ones), bad option value, non-binary
        ``treated``/``post``, non-positive weights.
    KeyError
        A named column is missing (the message lists the columns).

    Examples
    --------
    >>> import shuangjian_eval as sje
    >>> df = sje.synth.generate(n_schools=40, students_per_school=20, waves=(2020, 2022))
    >>> df["compulsory"] = (df["grade"] <= 9).astype(int)
    >>> df["post"] = (df["wave"] == 2022).astype(int)
    >>> r = did(df, outcome="homework_min_weekday", treated="compulsory", post="post",
    ...         weights="weight", cluster="school_id")
    >>> r.terms[-1], r.estimate < 0
    ('treated:post', True)
    """
    check_options("did", unknown, _OPTIONS)
    covariates = as_names(covariates, "covariates")
    absorb = as_names(absorb, "absorb")
    w_design = None
    if design is not None:
        w_design = check_design(design, df, weights=weights, cluster=cluster,
                                inference=None if inference == "analytic" else inference)  # fmt: skip
        weights = design.weight
    cov = resolve_cov_type(cov_type, cluster)
    check_inference(cov, inference, cluster, bootstrap_reps, bootstrap_weights)
    check_columns(df, [outcome, treated, post, *covariates, weights, *absorb, cluster])
    options = {
        "outcome": outcome,
        "treated": treated,
        "post": post,
        "covariates": tuple(covariates),
        "weights": weights,
        "absorb": tuple(absorb),
        "cluster": cluster,
        "cov_type": "design" if design is not None else cov,
        "inference": inference,
    }
    if inference == "wild":
        options.update(bootstrap_reps=bootstrap_reps, bootstrap_weights=bootstrap_weights,
                       seed=seed)  # fmt: skip
    prep = _prepare(
        df, [outcome, treated, post, *covariates], weights=weights, absorb=absorb,
        cluster=cluster, weight_values=w_design,
    )  # fmt: skip
    a, w = prep["arrays"], prep["w"]
    d, p = a[treated], a[post]
    check_binary(d, treated)
    check_binary(p, post)
    notes = missing_notes(prep)
    n = d.size
    clusters = prep["factors"][cluster].codes if cluster else None
    design_cells = smallest_cell(
        [(d == 1) & (p == 1), (d == 1) & (p == 0), (d == 0) & (p == 1), (d == 0) & (p == 0)],
        clusters,
    )
    sizes = {t: design_cells for t in ("(intercept)", "treated", "post", FOCUS)}
    sizes.update({c: smallest_cell(covariate_cells(a[c]), clusters) for c in covariates})
    reason = ""
    if n == 0:
        reason = "no complete rows"
    elif not (d == 1).any():
        reason = f"no treated rows ({treated} == 1)"
    elif not (d == 0).any():
        reason = f"no untreated rows ({treated} == 0)"
    elif not (p == 1).any():
        reason = f"no post-period rows ({post} == 1)"
    elif not (p == 0).any():
        reason = f"no pre-period rows ({post} == 0)"
    elif not ((d == 1) & (p == 1)).any():
        reason = "no treated rows in the post period"
    else:
        reason = cluster_checks(prep["factors"], cluster, notes)
    if reason:
        res = _invalid(reason, options, n, level, notes, design_cells)
        res.left_out = dict(prep["left_out"])
        return res
    cols = [d, p, d * p, *(a[c] for c in covariates)]
    names = ["treated", "post", FOCUS, *covariates]
    factors: dict[str, Factor] = prep["factors"]
    fit = fit_wls(
        a[outcome],
        cols,
        names,
        weights=w,
        absorb=[factors[c] for c in absorb],
        cluster=factors[cluster] if cluster else None,
        cov_type=cov,
        keep_parts=design is not None,
    )
    if design is not None and fit.names:
        fit.vcov, fit.df_t, why = design_vcov(design, fit, prep["keep"])
        fit.cov_type = "design"
        notes.append("design-based variance (strata, PSUs, fpc of the design), as R svyglm")
        if why:
            res = _invalid(why, options, n, level, notes, design_cells)
            res.left_out = dict(prep["left_out"])
            return res
    if fit.dropped:
        notes.append(f"dropped as collinear with the fixed effects or other terms: {fit.dropped}")
    if fit.n_clusters is not None and design is None:
        notes.append(f"{fit.n_clusters} clusters; K = {fit.df_k} for the small-sample factor")
    if FOCUS not in fit.names:
        return _invalid(
            "treated:post is collinear with the fixed effects or covariates", options, n, level,
            notes, design_cells,
        )  # fmt: skip
    adjust_fit(fit, cov)
    table = table_from_fit(fit)
    res = RegressionResult.from_estimates(table, method="did", options=options, nobs=n, level=level)
    if inference == "wild":
        test = apply_wild(res, fit, [FOCUS], reps=bootstrap_reps, weights=bootstrap_weights,
                          seed=seed)[FOCUS]  # fmt: skip
        notes.append(f"wild cluster bootstrap (restricted): {test!r}")
    add_cell_sizes(res.table, sizes, design_cells)
    res.focus = FOCUS
    res.vcov = pd.DataFrame(fit.vcov, index=fit.names, columns=fit.names)
    res.notes = tuple(notes)
    res.left_out = dict(prep["left_out"])
    return res


def missing_notes(prep: dict[str, Any]) -> list[str]:
    """Notes on the rows left out: missing values, missing or zero weights."""
    notes = (
        [f"{prep['n_missing']} row(s) with missing values left out"] if prep["n_missing"] else []
    )
    weights = left_out_note(prep["left_out"])
    return notes + ([weights] if weights else [])


def _invalid(
    reason: str,
    options: dict[str, Any],
    n: int,
    level: float,
    notes: list[str],
    cells: tuple[float, float],
) -> RegressionResult:
    table = pd.DataFrame([invalid_row(FOCUS, reason, df=np.nan)])
    res = RegressionResult.from_estimates(table, method="did", options=options, nobs=n, level=level)
    add_cell_sizes(res.table, {}, cells)
    res.focus = FOCUS
    res.notes = tuple(notes)
    return res
