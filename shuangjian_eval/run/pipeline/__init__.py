"""Report runs: parameterized notebooks executed with papermill, rendered to offline HTML.

A run executes the chosen notebooks for each region, in parallel worker processes, and writes

    <out>/<run-id>/<region>/<notebook>.ipynb and .html
    <out>/<run-id>/index.html       every region with links and status
    <out>/<run-id>/manifest.json    settings, data hash, versions, each job's times and status

Every file is written atomically (to a temporary name, then renamed), a failing notebook does
not stop the others, and parameters are checked against each notebook's ``parameters`` cell
(names and types) and the table of notebook parameters (values) before anything runs. The
notebooks are the package's own (``shuangjian_eval/notebooks``) unless other ones are named. A
run's settings (:data:`.rundir.SETTINGS`) are recorded in its manifest; a resumed run reuses
them and refuses another value; an existing run is replaced only when asked.

The modules: :mod:`.runner` (:func:`run_report`, one job, the regions of a run, the briefings
computed once per run), :mod:`.parameters` (:func:`check_parameters`), :mod:`.rundir` (the
run's folder: its lock, resuming, the manifest, SIGTERM), :mod:`.executors` (local worker
processes or a Dask cluster, progress), :mod:`.index` (the index page), ``_common`` (the
notebooks, jobs and runs they share).
"""

from __future__ import annotations

from ..execution import render_html
from ._common import BRIEFING_NOTEBOOK as BRIEFING_NOTEBOOK
from ._common import EXECUTORS as EXECUTORS
from ._common import NOTEBOOKS as NOTEBOOKS
from ._common import Job as Job
from ._common import ReportRun as ReportRun
from .parameters import ParameterError as ParameterError
from .parameters import check_parameters as check_parameters
from .rundir import _lock_run as _lock_run
from .rundir import data_hash as data_hash
from .runner import list_regions as list_regions
from .runner import run_report as run_report

__all__ = ["NOTEBOOKS", "ReportRun", "check_parameters", "data_hash", "render_html", "run_report"]
