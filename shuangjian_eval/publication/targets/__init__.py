"""Standards compliance and the 1-year / 3-year scorecard of the Double Reduction targets.

The opinions of 24 July 2021 set the target "1年内有效减轻、3年内成效显著" (burdens effectively
reduced within 1 year, remarkable results within 3 years). This package measures survey data
against it:

- :mod:`.scorecard`: :func:`scorecard`, one row per indicator with design-based estimates at the
  pooled baseline, 1-year and 3-year waves, the changes with intervals, a verdict per window and
  the official national figure beside it (:class:`Scorecard`, :data:`CONTRACT_COLUMNS`); how a
  ``region`` is estimated (a domain of the full design).
- :mod:`.rules`: the verdict codes (:data:`VERDICTS`), their thresholds and data rules
  (:class:`VerdictRules`, defaults in ``policy.yaml`` ``targets.verdict``), :func:`classify`,
  :func:`window_verdict` and :func:`rules_text`, the rules in plain zh or en.
- :mod:`.indicators`: :class:`Indicator` and :func:`default_indicators`, what the scorecard
  measures, its good direction and burden-free value.
- :mod:`.equity`: change by group (:func:`change_by_group`, :func:`urban_rural_gaps`,
  :func:`spend_by_income` with :func:`income_quintile`) and the :func:`displacement` of subject
  tutoring into other and hidden tutoring.

Everything here describes change over time (before-after). It is not a causal estimate: COVID
school closures, questionnaire changes and earlier rules move the same indicators; see
:mod:`shuangjian_eval.estimation.effects` for difference-in-differences and event studies.
"""

from __future__ import annotations

from .equity import (
    change_by_group,
    displacement,
    income_quintile,
    spend_by_income,
    urban_rural_gaps,
)
from .indicators import Indicator, default_indicators
from .rules import (
    LEVEL_VERDICTS,
    VERDICTS,
    VerdictRules,
    classify,
    level_verdict,
    rules_text,
    window_verdict,
)
from .rules import PERIODS as PERIODS
from .rules import VERDICT_LABELS as VERDICT_LABELS
from .scorecard import CONTRACT_COLUMNS, Scorecard, scorecard

__all__ = [
    "CONTRACT_COLUMNS",
    "LEVEL_VERDICTS",
    "VERDICTS",
    "Indicator",
    "Scorecard",
    "VerdictRules",
    "change_by_group",
    "classify",
    "default_indicators",
    "displacement",
    "income_quintile",
    "level_verdict",
    "rules_text",
    "scorecard",
    "spend_by_income",
    "urban_rural_gaps",
    "window_verdict",
]
