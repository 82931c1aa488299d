"""Supervision returns in the reports: indicators with the official definitions
(:mod:`.indicators`) and what schools report set beside what families report in the survey
(:mod:`.triangulation`)."""

from __future__ import annotations

from .indicators import (
    INDICATORS,
    case_indicators,
    complaint_indicators,
    indicators,
    institution_indicators,
    national_figures,
    school_indicators,
    sheet_indicators,
)

__all__ = ["INDICATORS", "case_indicators", "complaint_indicators", "indicators",
           "institution_indicators", "national_figures", "school_indicators",
           "sheet_indicators"]  # fmt: skip
