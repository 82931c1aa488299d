"""Design-based estimation for complex surveys (Taylor linearisation), as R's ``survey`` does.

:class:`SurveyDesign` holds weights, strata, PSUs and an optional FPC; its methods estimate
means, totals, ratios, proportions, quantiles and contrasts, for many variables and domains in
one pass. ``design`` has the linear estimators and the variance pass; ``quantiles`` the
quantile rule and Woodruff intervals.
"""

from __future__ import annotations

from .design import DEFF_TYPES, LONELY_PSU_RULES, NA_RULES, QUANTILE_RULES, SurveyDesign

__all__ = ["DEFF_TYPES", "LONELY_PSU_RULES", "NA_RULES", "QUANTILE_RULES", "SurveyDesign"]
