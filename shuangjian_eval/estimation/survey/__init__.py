"""Design-based estimation for complex surveys (Taylor linearisation), as R's ``survey`` does.

:class:`SurveyDesign` holds weights, strata, PSUs and an optional FPC; its methods estimate
means, totals, ratios, proportions, quantiles and contrasts, for many variables and domains in
one pass. ``design`` has the linear estimators and the variance pass; ``quantiles`` the
quantile rule and Woodruff intervals; ``chisq`` Rao-Scott tests of two-way tables (R's
``svychisq``); ``variances`` variances and covariances of variables (R's ``svyvar``);
``calibration`` weights calibrated to population totals (``calibrate``, ``rake``) and the
calibration-aware variance.
"""

from __future__ import annotations

from .calibration import CALIBRATION_METHODS, Calibration, CalibrationError, weight_diagnostics
from .chisq import CHISQ_STATISTICS
from .design import DEFF_TYPES, LONELY_PSU_RULES, NA_RULES, QUANTILE_RULES, SurveyDesign

__all__ = [
    "CALIBRATION_METHODS",
    "CHISQ_STATISTICS",
    "DEFF_TYPES",
    "LONELY_PSU_RULES",
    "NA_RULES",
    "QUANTILE_RULES",
    "Calibration",
    "CalibrationError",
    "SurveyDesign",
    "weight_diagnostics",
]
