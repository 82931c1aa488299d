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

# public module name -> where it lives; the folders show the layers (inputs, estimation,
# publication, run) and ``sje.<name>`` keeps the short names users write
_SUBMODULES = {
    "codebook": "inputs.codebook",
    "policy": "inputs.policy",
    "regions": "inputs.regions",
    "io": "inputs.io",
    "validate": "inputs.validate",
    "identifiers": "inputs.identifiers",
    "synth": "inputs.synth",
    "examples": "inputs.examples",
    "results": "estimation.results",
    "survey": "estimation.survey",
    "effects": "estimation.effects",
    "suppression": "publication.suppression",
    "formatting": "publication.formatting",
    "quality": "publication.quality",
    "targets": "publication.targets",
    "narrative": "publication.narrative",
    "tables": "publication.tables",
    "plots": "publication.plots",
    "analyses": "publication.analyses",
    "briefing": "publication.briefing",
    "pipeline": "run.pipeline",
}
# public name -> module that defines it
_NAMES = {
    "load_survey": "inputs.io",
    "IngestResult": "inputs.validate",
    "IngestError": "inputs.validate",
    "SurveyDesign": "estimation.survey",
    "EstimateResult": "estimation.results",
    "HypothesisTestResult": "estimation.results",
    "before_after": "estimation.effects",
    "did": "estimation.effects",
    "event_study": "estimation.effects",
    "staggered_did": "estimation.effects",
    "ordinal_logit": "estimation.effects",
    "cronbach_alpha": "estimation.effects",
    "mcdonald_omega": "estimation.effects",
    "item_total": "estimation.effects",
    "by_group": "estimation.effects",
    "adjust_pvalues": "estimation.effects",
    "minimum_detectable_effect": "estimation.effects",
    "schools_needed": "estimation.effects",
    "scorecard": "publication.targets",
}

__all__ = ["__version__", *_SUBMODULES, *_NAMES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{_SUBMODULES[name]}", __name__)
    if name in _NAMES:
        return getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
    raise AttributeError(f"module 'shuangjian_eval' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
