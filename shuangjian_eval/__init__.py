"""shuangjian-eval: design-based evaluation of China's 2021 Double Reduction (双减) policy.

Submodules and the public names below load on first use, so that ``import shuangjian_eval``
stays cheap in every report notebook's kernel.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("shuangjian-eval")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

_SUBMODULES = (
    "codebook", "policy", "io", "validate", "privacy", "synth", "examples", "quality",
    "results", "survey", "effects", "targets", "narrative", "formatting", "tables", "plots",
    "analyses", "briefing", "pipeline",
)  # fmt: skip
# public name -> module that defines it
_NAMES = {
    "load_survey": "io",
    "IngestResult": "validate",
    "IngestError": "validate",
    "SurveyDesign": "survey",
    "EstimateResult": "results",
    "before_after": "effects",
    "did": "effects",
    "event_study": "effects",
    "staggered_did": "effects",
    "ordinal_logit": "effects",
    "cronbach_alpha": "effects",
    "mcdonald_omega": "effects",
    "item_total": "effects",
    "by_group": "effects",
    "adjust_pvalues": "effects",
    "minimum_detectable_effect": "effects",
    "schools_needed": "effects",
    "scorecard": "targets",
}

__all__ = ["__version__", *_SUBMODULES, *_NAMES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _NAMES:
        return getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
    raise AttributeError(f"module 'shuangjian_eval' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
