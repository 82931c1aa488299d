"""Analysis recipes of the report notebooks: parameters, comparison groups, effects, tables, words.

Publication layer; each function is one step of a notebook section. The modules:

- :mod:`.parameters`: :class:`Parameters`, :func:`check_parameters` and :func:`prepare`, a
  validated run and its data; :func:`default_outcomes` of a notebook, from the outcome registry;
- :mod:`.groups`: :func:`comparison_groups` (the groups of a comparison design from
  ``policy.yaml``), :func:`design_for`, the standard survey design of the notebooks;
- :mod:`.estimates`: :func:`estimates_by`, :func:`change_from_baseline`, :func:`did_table`, :func:`inference_for` and
  :func:`inference_note` (CR1, CR2 or the wild bootstrap, by the number of schools),
  :func:`event_study`, :func:`placebo`, :func:`staggered`, :func:`robustness`,
  :func:`ordinal_model`, :func:`heterogeneity` (with :func:`suppressed_tests`: no test that
  uses a suppressed group is published);
- :mod:`.tables`: tables for readers: :func:`table`, :func:`changes`, :func:`effect_table`,
  :func:`reliability_table`, :func:`item_table`, :func:`odds_ratio_table`,
  :func:`equality_table`, :func:`adjusted_table`;
- :mod:`.words`: :func:`findings`, :func:`describe_test` and :func:`describe_robustness`;
- ``_common``: the conventions shared by the others.

Conventions: waves are fielded in the autumn term (:data:`FIELDWORK_MONTH`), so a wave is
post-policy when fielded after the policy date. Effects use sampling weights, school and wave
fixed effects, and standard errors clustered by school.
"""

from __future__ import annotations

from ..quality import Text as Markdown
from ._common import COMPARISONS as COMPARISONS
from ._common import FIELDWORK_MONTH as FIELDWORK_MONTH
from .estimates import change_from_baseline as change_from_baseline
from .estimates import did_table as did_table
from .estimates import estimates_by as estimates_by
from .estimates import event_study as event_study
from .estimates import heterogeneity as heterogeneity
from .estimates import inference_for as inference_for
from .estimates import inference_note as inference_note
from .estimates import ordinal_model as ordinal_model
from .estimates import placebo as placebo
from .estimates import robustness as robustness
from .estimates import staggered as staggered
from .groups import comparison_groups as comparison_groups
from .groups import design_for as design_for
from .parameters import Parameters as Parameters
from .parameters import check_parameters as check_parameters
from .parameters import default_outcomes as default_outcomes
from .parameters import prepare as prepare
from .tables import adjusted_table as adjusted_table
from .tables import changes as changes
from .tables import effect_table as effect_table
from .tables import equality_table as equality_table
from .tables import item_table as item_table
from .tables import odds_ratio_table as odds_ratio_table
from .tables import reliability_table as reliability_table
from .tables import table as table
from .words import describe_robustness as describe_robustness
from .words import describe_test as describe_test
from .words import findings as findings

__all__ = [
    "COMPARISONS",
    "FIELDWORK_MONTH",
    "Markdown",
    "Parameters",
    "adjusted_table",
    "change_from_baseline",
    "changes",
    "check_parameters",
    "comparison_groups",
    "default_outcomes",
    "describe_robustness",
    "describe_test",
    "design_for",
    "did_table",
    "effect_table",
    "equality_table",
    "estimates_by",
    "event_study",
    "findings",
    "heterogeneity",
    "item_table",
    "odds_ratio_table",
    "ordinal_model",
    "placebo",
    "reliability_table",
    "robustness",
    "staggered",
    "table",
]
