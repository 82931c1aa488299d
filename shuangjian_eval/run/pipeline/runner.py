"""One report run: the jobs of the regions and notebooks, each executed and rendered."""

from __future__ import annotations

import datetime as dt
import functools
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ...base.files import atomic_path
from ...inputs import regions as _regions
from ...publication import formatting as fmt
from ..execution import render_html
from ._common import BRIEFING_NOTEBOOK, EXECUTORS, NOTEBOOKS, Job, ReportRun, _now, _running_path
from .executors import _execute_dask, _execute_local, _progress
from .formats import check_formats, write_formats
from .index import _write_index
from .parameters import ParameterError, _notebook_path, check_parameters
from .rundir import (
    _lock_run,
    _resumable_jobs,
    _sigterm_as_interrupt,
    _versions,
    _writable_run_dir,
    _write_manifest,
    data_hash,
)


def _run_job(
    job: Job,
    notebook_dir: str,
    footer: dict[str, str],
    lang: str,
    timeout: float | None = None,
    fresh_kernels: bool = False,
    formats: Sequence[str] = ("html",),
) -> Job:
    from ..execution import execute_notebook

    job.start = _now()
    t0 = time.perf_counter()
    out = Path(job.ipynb)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        # a partly executed notebook is kept for diagnosis, under its own name
        failed = out.with_suffix(".failed.ipynb")
        with atomic_path(out, tmp=_running_path(out), failed=failed) as tmp:
            nb = execute_notebook(
                Path(notebook_dir) / f"{job.notebook}.ipynb",
                tmp,
                job.parameters,
                cwd=notebook_dir,
                timeout=timeout,
                fresh=fresh_kernels,
            )
        title = f"{job.label} · {NOTEBOOKS[job.notebook][lang]}"
        render_html(nb, job.html, lang=lang, title=title, footer=footer)
        if job.notebook == BRIEFING_NOTEBOOK and len(formats) > 1:  # Word, Excel, PDF
            write_formats(job, formats, lang=lang, title=title, footer=footer)
        job.status = "ok"
    except Exception as exc:  # a failing notebook must not stop the others
        job.status = "failed"
        job.error = _short_error(exc)
    job.end = _now()
    job.seconds = round(time.perf_counter() - t0, 3)
    return job


def _short_error(exc: BaseException) -> str:
    name = getattr(exc, "ename", type(exc).__name__)
    value = getattr(exc, "evalue", str(exc))
    text = f"{name}: {value}".strip()
    return text if len(text) < 2000 else text[:2000] + " ..."


def list_regions(data_path: str | Path, column: str = "county") -> list[str]:
    """Regions present in a canonical Parquet file (reads one column only)."""
    from ...inputs.io.store import read_canonical

    try:
        values = read_canonical(data_path, columns=[column])[column]
    except Exception as exc:  # not Parquet, or no such column
        raise ParameterError(
            f"{data_path} is not a canonical Parquet file with a {column!r} column ({exc}); "
            "make one with 'sje ingest' or 'sje synth'"
        ) from None
    return sorted(str(v) for v in values.dropna().unique())


def _resolve_regions(data_path: Path, regions: str | Sequence[str]) -> list[str]:
    """Expand ``"all"`` (one report on all data), ``"each"`` (every county) and names."""
    try:
        return _regions.expand(regions, list_regions(data_path))
    except ValueError as exc:
        raise ParameterError(f"{data_path}: {exc}") from None


def run_report(
    data: str | Path,
    *,
    out: str | Path = "reports",
    run_id: str | None = None,
    regions: str | Sequence[str] = _regions.ALL,
    notebooks: Iterable[str] = tuple(NOTEBOOKS),
    notebook_dir: str | Path = "notebooks",
    workers: int | None = None,
    lang: str = "zh",
    parameters: dict[str, Any] | None = None,
    progress: bool = True,
    executor: str = "local",
    scheduler: str | None = None,
    timeout: float | None = 600.0,
    resume: bool = False,
    fresh_kernels: bool = False,
    formats: str | Sequence[str] = ("html",),
) -> ReportRun:
    """Run notebooks for regions and write HTML reports, an index and a manifest.

    Parameters
    ----------
    data : path
        Canonical survey Parquet (from ``sje ingest`` or ``sje synth``).
    regions : "all", "each", a comma-separated string or a list
        ``"all"`` is one report on all the data; ``"each"`` one report per county.
    notebooks : names from :data:`NOTEBOOKS`
    workers : int, optional
        Worker processes; default the number of cores.
    parameters : dict, optional
        Extra notebook parameters, checked against each notebook's ``parameters`` cell.
    executor : "local" or "dask"
        ``"local"``: a process pool on this machine. ``"dask"``: jobs go to a Dask cluster,
        the one at ``scheduler`` (e.g. ``"tcp://10.0.0.5:8786"``) or, without it, a local
        cluster of ``workers`` processes. Workers must see the same paths (shared storage).
    timeout : float, optional
        Seconds any one notebook cell may run before the notebook is failed (None: no limit).
    resume : bool
        Redo only what is missing or failed in the run ``run_id``: jobs recorded as ok whose
        HTML exists are kept. The data must be the same file (same SHA-256).
    fresh_kernels : bool
        Start a new kernel for every notebook. By default each worker keeps its kernel for
        its next notebook, cleared (:mod:`shuangjian_eval.run.execution`), after one that succeeded.
    formats : str or sequence of str
        Formats of the policy report: "html" (always) and any of "docx", "xlsx", "pdf"
        (:mod:`.formats`), written beside its page.

    A run holds a lock on its folder, so two runs into the same run folder at once are
    refused rather than interleaved; every file is written under a temporary name and renamed.
    On SIGTERM or Ctrl-C, running jobs are stopped, unfinished ones are recorded as
    "interrupted" in the manifest and the index, and ``KeyboardInterrupt`` is raised.

    Raises
    ------
    ParameterError
        Before any notebook runs, for an unknown notebook, parameter or region, or a language
        other than zh/en.
    """
    try:
        fmt.check_lang(lang)
    except ValueError as e:
        raise ParameterError(str(e)) from None
    if executor not in EXECUTORS:
        raise ParameterError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if scheduler is not None and executor != "dask":
        raise ParameterError("a scheduler address needs executor='dask'")
    data = Path(data).resolve()
    if not data.exists():
        raise ParameterError(f"data file {data} does not exist; run 'sje synth' or 'sje ingest'")
    formats = check_formats(formats)
    notebook_dir = Path(notebook_dir).resolve()
    notebooks = list(notebooks)
    paths = {name: _notebook_path(notebook_dir, name) for name in notebooks}
    chosen = _resolve_regions(data, regions)
    extra = dict(parameters or {})
    for path in paths.values():
        check_parameters(path, {"data_path": str(data), "region": "x", "lang": lang, **extra})

    if resume and not run_id:
        raise ParameterError("resume needs the run id of the run to resume")
    run_id = run_id or dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = _writable_run_dir(Path(out).resolve(), run_id)
    lock = _lock_run(out_dir)
    digest = data_hash(data)
    kept = _resumable_jobs(out_dir, digest) if resume else {}
    versions = _versions()
    footer = {
        fmt.label(fmt.REPORT_TEXT, "footer_hash", lang): digest[:16],
        fmt.label(fmt.REPORT_TEXT, "footer_version", lang): versions["shuangjian-eval"],
        fmt.label(fmt.REPORT_TEXT, "footer_time", lang): fmt.format_timestamp(_now(), lang),
    }
    run = ReportRun(run_id=run_id, out_dir=out_dir)
    run.caches = _precompute_briefings(run, data, chosen, notebooks, extra, lang, workers)
    for region in chosen:
        label = fmt.region_label(region, lang)
        folder = out_dir / _regions.slug(region)
        for name in notebooks:
            params = {"data_path": str(data), "region": region, "lang": lang, **extra}
            if name == BRIEFING_NOTEBOOK and region in run.caches:
                params["cache_path"] = str(run.caches[region])
            run.jobs.append(
                Job(
                    region=region,
                    label=label,
                    notebook=name,
                    parameters=params,
                    ipynb=str(folder / f"{name}.ipynb"),
                    html=str(folder / f"{name}.html"),
                )
            )
    started = _now()
    done: list[Job] = []
    todo: list[Job] = []
    for job in run.jobs:
        previous = kept.get((job.region, job.notebook))
        (done if previous is not None else todo).append(previous or job)
    _write_manifest(run, data, digest, versions, started, extra, lang)

    workers = workers or os.cpu_count() or 1
    run_one = functools.partial(
        _run_job,
        notebook_dir=str(notebook_dir),
        footer=footer,
        lang=lang,
        timeout=timeout,
        fresh_kernels=fresh_kernels,
        formats=formats,
    )
    execute = _execute_dask if executor == "dask" else _execute_local
    bar = _progress(len(todo), progress)
    interrupted = False
    try:
        with _sigterm_as_interrupt():
            for job in execute(todo, run_one, workers=workers, scheduler=scheduler):
                done.append(job)
                bar.update(1)
    except KeyboardInterrupt:
        interrupted = True
        finished = {(j.region, j.notebook) for j in done}
        for job in todo:
            if (job.region, job.notebook) not in finished:
                job.status, job.error = "interrupted", "the run was stopped before this job ended"
                _running_path(Path(job.ipynb)).unlink(missing_ok=True)
                done.append(job)
    finally:
        bar.close()
        position = {(j.region, j.notebook): i for i, j in enumerate(run.jobs)}
        run.jobs = sorted(done, key=lambda j: position[(j.region, j.notebook)])
        _write_manifest(run, data, digest, versions, started, extra, lang, finished=_now())
        _write_index(run, lang, footer)
        lock.close()
    if interrupted:
        raise KeyboardInterrupt(f"report run {run_id} interrupted; resume it with --resume")
    return run


def _precompute_briefings(
    run: ReportRun,
    data: Path,
    regions: list[str],
    notebooks: list[str],
    extra: dict[str, Any],
    lang: str,
    workers: int | None,
) -> dict[str, Path]:
    """Compute every region's briefing once, reading the data once, before notebooks run.

    Each region's policy-report notebook then only renders its cached briefing. If this step
    fails, the notebooks compute for themselves and the manifest records why.
    """
    if BRIEFING_NOTEBOOK not in notebooks:
        return {}
    from ...publication import briefing

    t0 = time.perf_counter()
    try:
        caches = briefing.precompute(
            data,
            regions,
            run.out_dir / ".briefings",
            # None: the scorecard's rule of policy.yaml, as the notebook's own default
            min_cell=None if extra.get("min_cell") is None else int(extra["min_cell"]),
            langs=(lang,),
            workers=workers or os.cpu_count() or 1,
        )
        run.precompute = {"status": "ok", "regions": len(caches)}
    except Exception as exc:  # the notebooks can still compute for themselves
        caches = {}
        run.precompute = {"status": "failed", "error": _short_error(exc)}
    run.precompute["seconds"] = round(time.perf_counter() - t0, 3)
    return {str(k): Path(v) for k, v in caches.items()}
