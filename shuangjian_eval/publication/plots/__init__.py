"""Charts for reports: one house style, a CJK font that ships with the install, bilingual labels.

Importing this package registers Noto Sans SC from ``pylopdf_fonts_zh_cn`` (SIL OFL 1.1) with
matplotlib and puts it first in ``font.sans-serif`` (system CJK fonts follow as fallbacks), and
sets ``axes.unicode_minus = False``. Every chart function takes result objects (or their tidy
frames), labels variables and categories from the codebook in ``lang="zh"`` or ``"en"``, reads
standards from ``policy.yaml``, and returns a matplotlib Figure (or the Axes passed as ``ax=``);
none writes a file. Series differ in marker, line style and hatch as well as colour, so charts
read when printed in black and white.

>>> import shuangjian_eval as sje
>>> from shuangjian_eval import plots
>>> df = sje.synth.generate(n_schools=40, seed=0)                     # doctest: +SKIP
>>> d = sje.SurveyDesign(df, "weight", strata="stratum", psu="school_id")  # doctest: +SKIP
>>> plots.trend(d.mean("sleep_hours", by=["wave", "stage"]), group="stage")  # doctest: +SKIP
"""

from __future__ import annotations

from ._style import (
    FALLBACK_FONTS,
    FONT_FILE,
    FONT_PACKAGE,
    PALETTE,
    STYLE,
    font_path,
    house_style,
    register_font,
    series_style,
)
from .estimates import estimates_by_wave, event_study, trend
from .heatmap import region_heatmap
from .scorecard import SCORECARD_COLUMNS, VERDICT_STYLE, scorecard
from .standards import distribution_vs_standard, standard_for
from .supervision import supervision_trends

__all__ = [
    "FALLBACK_FONTS",
    "FONT_FILE",
    "FONT_PACKAGE",
    "PALETTE",
    "SCORECARD_COLUMNS",
    "STYLE",
    "VERDICT_STYLE",
    "distribution_vs_standard",
    "estimates_by_wave",
    "event_study",
    "font_path",
    "house_style",
    "region_heatmap",
    "register_font",
    "scorecard",
    "series_style",
    "standard_for",
    "supervision_trends",
    "trend",
]
