"""Supervision returns (督导): the half-monthly returns of schools, the registry of training
institutions, enforcement cases, complaints and tip-offs, and the half-monthly report's wide
county sheet, as canonical tables (``tables:`` of ``codebook.yaml``).

Readers and checks: :mod:`~shuangjian_eval.inputs.supervision.readers`; synthetic returns of
the demo survey's schools with known truths: :mod:`~shuangjian_eval.inputs.supervision.synth`.
The indicators and the comparison with the survey are the publication layer's
(:mod:`shuangjian_eval.publication.supervision`).
"""

from __future__ import annotations

from .periods import fieldwork_period, period_of, wave_of
from .readers import (
    PROFILE_FOLDER,
    SHEET_PREFIX,
    TABLES,
    TRUTH_FILE,
    SupervisionFolder,
    load_folder,
    load_half_monthly,
    load_returns,
    profiles,
    table_codebook,
    validate_returns,
)

__all__ = ["PROFILE_FOLDER", "SHEET_PREFIX", "TABLES", "TRUTH_FILE", "SupervisionFolder", "load_folder", "fieldwork_period", "load_half_monthly", "load_returns",
           "period_of", "profiles", "table_codebook", "validate_returns", "wave_of"]  # fmt: skip
