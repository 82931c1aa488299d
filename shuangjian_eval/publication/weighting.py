"""Weights for convenience samples: each county's respondents of a wave calibrated to its
enrolment (the margins of :mod:`shuangjian_eval.inputs.margins`).

A 问卷星 county survey has no design weights: an unweighted estimate is one for whoever
answered. :func:`calibrate_weights` gives each (wave, county) its own weights, raked (or
calibrated) to the county's students by grade, gender and whatever else the enrolment table
has (school, urban/rural), starting from the data's ``weight`` where every row has one and
from equal weights otherwise. The weights before are kept as ``weight_base``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..estimation.survey import SurveyDesign
from ..estimation.survey.calibration import CALIBRATION_METHODS, CalibrationError
from ..inputs.margins import drop_empty, margins
from .design import BASE_WEIGHT, CALIBRATION, WEIGHT, calibration_record

__all__ = ["BASE_WEIGHT", "METHODS", "calibrate_weights"]

METHODS: tuple[str, ...] = ("rake", *CALIBRATION_METHODS)


def calibrate_weights(
    data: pd.DataFrame,
    enrolment: pd.DataFrame,
    *,
    method: str = "rake",
    bounds: tuple[float, float] | None = None,
    tol: float = 1e-10,
    max_iter: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Calibrate ``data``'s weights to an enrolment table, within each wave and county.

    Parameters
    ----------
    data : pandas.DataFrame
        Canonical survey data (``wave``, ``county`` and the table's other columns).
    enrolment : pandas.DataFrame
        :func:`shuangjian_eval.inputs.margins.read_enrolment`'s table; without a ``wave``
        column its counts serve every wave.
    method : {"rake", "linear", "raking", "logit"}
        "rake": iterative proportional fitting (R's ``rake``); otherwise
        :meth:`SurveyDesign.calibrate`'s method.
    bounds, tol, max_iter
        As :meth:`SurveyDesign.calibrate` / :meth:`SurveyDesign.rake`.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The data with calibrated ``weight``, the weights before in ``weight_base`` and the
        calibration's record in ``attrs["calibration"]`` (from which the reports' standard
        design calibrates again, for calibration-aware variances); and one
        row of diagnostics per (wave, county): respondents, iterations, Kish's effective
        sample size, the design effect due to weighting, the spread of weights and g-weights.
    """
    from ..base.options import check_choice, check_columns

    check_choice("method", method, METHODS)
    by = [c for c in ("wave", "county") if c in enrolment.columns]
    check_columns(
        data, ["county", *[c for c in enrolment.columns if c not in ("students", "source_row")]]
    )
    if "wave" not in data.columns:
        raise KeyError("data lack column(s) ['wave']")
    table = margins(enrolment, tuple(by))
    weights = np.full(len(data), np.nan)
    base_all = np.full(len(data), np.nan)
    rows_out = []
    groups = data.groupby(["wave", "county"], sort=True, observed=True).indices
    for (wave, county), idx in groups.items():
        key = tuple(_plain(v) for v, c in ((wave, "wave"), (county, "county")) if c in by)
        if key not in table:
            have = sorted({k[-1] for k in table})
            raise CalibrationError(
                f"wave {wave}, county {county!r}: the enrolment table has no rows for it "
                f"(counties there: {have[:10]!r})"
            )
        part = data.iloc[idx]
        base = _base_weights(part)
        design = SurveyDesign(part.assign(**{BASE_WEIGHT: base}), BASE_WEIGHT)
        spec = drop_empty(table[key])
        try:
            if method == "rake":
                opts: dict[str, Any] = {"tol": tol}
                if max_iter is not None:
                    opts["max_iter"] = max_iter
                cal = design.rake(spec, **opts)
            else:
                opts = {"method": method, "bounds": bounds, "tol": tol}
                if max_iter is not None:
                    opts["max_iter"] = max_iter
                cal = design.calibrate(spec, **opts)
        except CalibrationError as exc:
            raise CalibrationError(f"wave {wave}, county {county!r}: {exc}") from None
        weights[idx] = cal.weights.to_numpy()
        base_all[idx] = base
        diag = cal.calibration.weights_after
        rows_out.append(
            {
                "wave": wave,
                "county": county,
                "respondents": len(idx),
                "method": method,
                "iterations": cal.calibration.iterations,
                **{k: v for k, v in diag.items() if k != "n"},
            }
        )
    out = data.copy()
    out[BASE_WEIGHT] = base_all
    out[WEIGHT] = weights
    columns = [c for c in enrolment.columns if c not in (*by, "county", "students", "source_row")]
    out.attrs[CALIBRATION] = calibration_record(
        method, columns, bounds=bounds, tol=tol, max_iter=max_iter
    )
    return out, pd.DataFrame(rows_out)


def _base_weights(part: pd.DataFrame) -> np.ndarray:
    if WEIGHT in part.columns:
        w = part[WEIGHT].to_numpy(dtype=float, na_value=np.nan)
        if np.all(np.isfinite(w) & (w > 0)):
            return w
    return np.ones(len(part))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
