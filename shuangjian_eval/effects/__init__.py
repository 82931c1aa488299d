"""Effect estimators: before/after, difference-in-differences, event study, staggered adoption,
ordinal models, scale reliability, heterogeneity and power.

General estimation code: every estimator takes a DataFrame first and column names by string,
and returns a :class:`shuangjian_eval.results.EstimateResult`. Nothing here reads the codebook.
Modules load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module in this package that defines it
_NAMES = {
    "before_after": "before_after",
    "did": "did",
    "event_study": "event_study",
    "staggered_did": "staggered",
    "ordinal_logit": "ordinal",
    "cronbach_alpha": "scales",
    "mcdonald_omega": "scales",
    "item_total": "scales",
    "by_group": "heterogeneity",
    "adjust_pvalues": "heterogeneity",
    "weighted_quantile_groups": "heterogeneity",
    "minimum_detectable_effect": "power",
    "schools_needed": "power",
}

__all__ = list(_NAMES)


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        return getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
    raise AttributeError(f"module 'shuangjian_eval.effects' has no attribute {name!r}")
