"""Effect estimators: before/after, difference-in-differences, event study, staggered adoption,
ordinal models, scale reliability, heterogeneity and power.

General estimation code: every estimator takes a DataFrame first and column names by string,
and returns a :class:`shuangjian_eval.estimation.results.EstimateResult` (or a subclass). Nothing here
reads the codebook.

The functions are imported here by name, after their modules: ``effects.did`` is the function
``did``, not the module ``effects/did.py`` that defines it.
"""

from __future__ import annotations

from .before_after import before_after
from .did import did
from .event_study import event_study
from .heterogeneity import adjust_pvalues, by_group, weighted_quantile_groups
from .ordinal import ordinal_logit
from .power import minimum_detectable_effect, schools_needed
from .scales import cronbach_alpha, item_total, mcdonald_omega
from .staggered import staggered_did

__all__ = [
    "adjust_pvalues",
    "before_after",
    "by_group",
    "cronbach_alpha",
    "did",
    "event_study",
    "item_total",
    "mcdonald_omega",
    "minimum_detectable_effect",
    "ordinal_logit",
    "schools_needed",
    "staggered_did",
    "weighted_quantile_groups",
]
