"""The policy briefing of one region: computed once, cached, rendered fast for readers.

:func:`compute` gathers everything the policy report (``notebooks/90_policy_report``) shows for
one region: the 1-year / 3-year scorecard (the region a domain of the full design, as
:func:`shuangjian_eval.publication.targets.scorecard` does), small summary frames for the key charts
(design-based estimates by wave, a weighted histogram of homework minutes against the national
limits), the displacement and equity results, the data's coverage, the verdict counts of the
headline, and every sentence of the report in Chinese and English. No respondent-level row and
no respondent id is kept; cells with fewer than ``min_cell`` respondents or ``min_psu`` schools (the
scorecard's rule of ``policy.yaml`` ``suppression:``), and any gap or ratio that uses one, are
blanked before anything is stored, so nothing from a suppressed cell can be shown or described.

A :class:`Briefing` saves to one JSON file (:meth:`Briefing.save`, written atomically) and loads
back without the estimation stack (:func:`load`), so a report notebook with a cache only draws:
the report runner calls :func:`precompute` once per run (reading the data once for all regions)
and hands each notebook its ``cache_path``; :func:`load_or_compute` uses it, or computes.

Display helpers return objects that a notebook shows as Markdown or HTML (every piece of text
from data escaped) or matplotlib Figures from :mod:`shuangjian_eval.publication.plots`.

The modules, each importing only those listed before it:

- ``_common``: names shared by the others: regions and languages, the key charts
  (:data:`CHARTS`), verdict order and badges (:data:`BADGE_CLASS`), escaping, the cache file's
  format marks (:data:`FORMAT_VERSION`) and the JSON form of a DataFrame.
- :mod:`.model`: :class:`Briefing` and what it shows (:class:`Markdown`, :class:`HTML`,
  :class:`Chart`), the report sections (:data:`SECTIONS`), :meth:`Briefing.save`.
- :mod:`.text`: every sentence of the report (findings, chart readings, equity, rules,
  methods, the scorecard table), written when the briefing is computed.
- :mod:`.compute`: :func:`compute`, the prepared data shared by the regions of a run, chart
  frames and the homework histogram, equity results, small-cell suppression.
- :mod:`.cache`: :func:`load`, :func:`load_or_compute`, :func:`precompute` and
  :func:`cache_file`; the data file's facts that tie a cache to its data.

The functions are imported here by name, after their modules: ``briefing.compute`` is the
function :func:`compute`, not the module ``briefing/compute.py`` that defines it.

>>> import shuangjian_eval as sje                                          # doctest: +SKIP
>>> b = sje.briefing.load_or_compute("data/demo/survey.parquet", region="样本县001")  # doctest: +SKIP
>>> b.headline("zh")                                                      # doctest: +SKIP
"""

from __future__ import annotations

from ._common import BADGE_CLASS as BADGE_CLASS
from ._common import CHARTS, FORMAT_VERSION
from ._common import _frame_from_json as _frame_from_json
from .cache import cache_file as cache_file
from .cache import load, load_or_compute, precompute
from .compute import compute
from .model import DOCUMENT_SECTIONS, HTML, SECTIONS, Briefing, Markdown
from .model import Chart as Chart

__all__ = [
    "CHARTS",
    "FORMAT_VERSION",
    "DOCUMENT_SECTIONS",
    "SECTIONS",
    "Briefing",
    "HTML",
    "Markdown",
    "compute",
    "load",
    "load_or_compute",
    "precompute",
]
