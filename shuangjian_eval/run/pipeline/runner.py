"""One report run: the jobs of the regions and notebooks, each executed and rendered."""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import shutil
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ...base.files import atomic_path
from ...inputs import regions as _regions
from ...publication import formatting as fmt
from ...publication import notebook_parameters as _nbp
from ..execution import TRANSPORT_NOTE, render_html
from ._common import BRIEFING_NOTEBOOK, EXECUTORS, NOTEBOOKS, Job, ReportRun, _now, _running_path
from .executors import _execute_dask, _execute_local, _Reporter
from .formats import check_formats, write_formats
from .index import _write_index
from .parameters import ParameterError, _notebook_path, check_extra_parameters, check_parameters
from .rundir import (
    _lock_run,
    _make_run_dir,
    _read_manifest,
    _refuse_existing,
    _remove_run,
    _resumable_jobs,
    _run_folder,
    _sigterm_as_interrupt,
    _versions,
    _write_manifest,
    check_same_settings,
    data_hash,
    recorded_settings,
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


def _data_facts(data_path: str | Path) -> _nbp.DataFacts:
    """The counties and waves of canonical data (two columns read), for the checks."""
    from ...inputs.io.store import read_canonical

    try:
        df = read_canonical(data_path, columns=[_regions.COLUMN, "wave"])
    except Exception as exc:  # not Parquet, or no such column
        raise ParameterError(
            f"{data_path} is not a canonical Parquet file with {_regions.COLUMN!r} and 'wave' "
            f"columns ({exc}); make one with 'sje ingest' or 'sje synth'"
        ) from None
    waves = sorted(int(w) for w in df["wave"].dropna().unique())
    return _nbp.DataFacts(counties=_regions.counties(df), waves=waves)


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


def _resolve_regions(
    data_path: Path, regions: str | Sequence[str], known: Sequence[str]
) -> list[str]:
    """Expand ``"all"`` (one report on all data), ``"each"`` (every county) and names."""
    try:
        return _regions.expand(regions, list(known))
    except ValueError as exc:
        raise ParameterError(f"{data_path}: {exc}") from None


def _check_execution(executor, scheduler, workers, timeout) -> None:
    if executor not in EXECUTORS:
        raise ParameterError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if scheduler is not None and executor != "dask":
        raise ParameterError("a scheduler address needs executor='dask'")
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ParameterError(f"workers must be a whole number >= 1, got {workers!r}")
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise ParameterError(
            f"timeout must be a number of seconds > 0 (or None: no limit), got {timeout!r}"
        )


def run_report(
    data: str | Path | None = None,
    *,
    out: str | Path = "reports",
    run_id: str | None = None,
    regions: str | Sequence[str] | None = None,
    notebooks: Iterable[str] | None = None,
    notebook_dir: str | Path | None = None,
    workers: int | None = None,
    lang: str | None = None,
    parameters: dict[str, Any] | None = None,
    progress: bool = True,
    executor: str = "local",
    scheduler: str | None = None,
    timeout: float | None = 600.0,
    resume: bool = False,
    overwrite: bool = False,
    fresh_kernels: bool = False,
    formats: str | Sequence[str] | None = None,
) -> ReportRun:
    """Run notebooks for regions and write HTML reports, an index and a manifest.

    Parameters
    ----------
    data : path
        Canonical survey Parquet (from ``sje ingest`` or ``sje synth``); when resuming, the
        run's own by default.
    regions : "all", "each", a comma-separated string or a list
        ``"all"`` (the default) is one report on all the data; ``"each"`` one report per county.
    notebooks : names from :data:`NOTEBOOKS`
        Default: all of them.
    notebook_dir : path, optional
        Other notebooks than the package's own (:data:`~shuangjian_eval.publication.
        notebook_parameters.NOTEBOOK_DIR`), under the same names.
    workers : int, optional
        Worker processes, at least 1; default the number of cores.
    lang : "zh" or "en"
        Report language; default ``"zh"``.
    parameters : dict, optional
        Extra notebook parameters, checked against each notebook's ``parameters`` cell and
        their values against the table of notebook parameters, before any notebook starts.
    progress : bool
        A progress bar on stderr; ``False``: one line per finished job (for logs).
    executor : "local" or "dask"
        ``"local"``: a process pool on this machine. ``"dask"``: jobs go to a Dask cluster,
        the one at ``scheduler`` (e.g. ``"tcp://10.0.0.5:8786"``) or, without it, a local
        cluster of ``workers`` processes. Workers must see the same paths (shared storage).
    timeout : float, optional
        Seconds (> 0) any one notebook cell may run before the notebook is failed (None: no
        limit).
    resume : bool
        Redo only what is missing or failed in the run ``run_id``: jobs recorded as ok whose
        HTML exists are kept. The run's settings (data, regions, notebooks, notebook folder,
        language, parameters) are those its manifest records: one left out is reused, one
        given must be the same (the data: the same SHA-256), else the run is refused.
    overwrite : bool
        Replace the run ``run_id`` when it exists (its reports are removed first). Without
        ``overwrite`` or ``resume``, an existing run id is refused.
    fresh_kernels : bool
        Start a new kernel for every notebook. By default each worker keeps its kernel for
        its next notebook, cleared (:mod:`shuangjian_eval.run.execution`), after one that succeeded.
    formats : str or sequence of str, optional
        Formats of the policy report: "html" (always) and any of "docx", "xlsx", "pdf"
        (:mod:`.formats`), written beside its page; default "html" (a resumed run: its own).

    A run holds a lock on its folder, so two runs into the same run folder at once are
    refused rather than interleaved; every file is written under a temporary name and renamed.
    On SIGTERM or Ctrl-C, running jobs are stopped, unfinished ones are recorded as
    "interrupted" in the manifest and the index, and ``KeyboardInterrupt`` is raised.

    Raises
    ------
    ParameterError
        Before any notebook runs (and before anything is written), for an unknown notebook,
        parameter, region or language, a parameter value the notebooks cannot use, invalid
        workers or timeout, an existing run id, or a resumed run given other settings.
    """
    _check_execution(executor, scheduler, workers, timeout)
    if resume and overwrite:
        raise ParameterError("give either resume or overwrite, not both")
    if resume and not run_id:
        raise ParameterError("resume needs the run id of the run to resume")
    run_id = run_id or dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = _run_folder(Path(out).resolve(), run_id)

    given: dict[str, Any] = {}  # the settings this call gives, to compare with a resumed run's
    if data is not None:
        data = Path(data).resolve()
        if not data.exists():
            raise ParameterError(
                f"data file {data} does not exist; run 'sje synth' or 'sje ingest'"
            )
    recorded: dict[str, Any] = {}
    manifest: dict[str, Any] = {}
    if resume:
        manifest = _read_manifest(out_dir)
        recorded = recorded_settings(manifest)
        if data is None:
            data = Path(recorded["data_path"] or "")
            if not data.is_file() and not data.is_dir():
                raise ParameterError(
                    f"cannot resume run {run_id!r}: its data {data} is not there; give --data"
                )
    else:
        _refuse_existing(out_dir, overwrite)
    if data is None:
        raise ParameterError("a report run needs data: a canonical survey Parquet file")
    digest = data_hash(data)
    if resume:
        given["data"] = digest
    facts = _data_facts(data)

    if lang is not None:
        given["lang"] = lang
    lang = lang if lang is not None else recorded.get("lang", "zh")
    try:
        _nbp.check_value("lang", lang)
    except ValueError as e:
        raise ParameterError(str(e)) from None
    if notebooks is not None:
        given["notebooks"] = list(notebooks)
    notebooks = (
        list(notebooks) if notebooks is not None else recorded.get("notebooks", list(NOTEBOOKS))
    )
    if notebook_dir is not None:
        notebook_dir = Path(notebook_dir).resolve()
        given["notebook_dir"] = None if notebook_dir == _nbp.NOTEBOOK_DIR else str(notebook_dir)
    elif recorded.get("notebook_dir"):
        notebook_dir = Path(recorded["notebook_dir"])
    notebook_dir = Path(notebook_dir or _nbp.NOTEBOOK_DIR)
    if regions is not None:
        given["regions"] = _resolve_regions(data, regions, facts.counties)
    chosen = given.get("regions") or _resolve_regions(
        data, recorded.get("regions", _regions.ALL), facts.counties
    )
    if formats is not None:
        given["formats"] = list(check_formats(formats))
    formats = check_formats(formats if formats is not None else recorded.get("formats", ["html"]))
    if parameters is not None:
        given["parameters"] = dict(parameters)
    extra = dict(parameters if parameters is not None else recorded.get("parameters", {}))
    if resume:
        check_same_settings(run_id, recorded, given)

    paths = {name: _notebook_path(notebook_dir, name) for name in notebooks}
    check_extra_parameters(extra)
    for path in paths.values():  # the regions are checked already, as they were expanded
        params = {"data_path": str(data), "region": chosen[0], "lang": lang, **extra}
        check_parameters(path, params, facts)

    settings = {
        "regions": chosen,
        "notebooks": notebooks,
        "notebook_dir": None if notebook_dir == _nbp.NOTEBOOK_DIR else str(notebook_dir),
        "lang": lang,
        "parameters": extra,
        "formats": list(formats),
    }
    execution = {
        "executor": executor,
        "scheduler": scheduler,
        "workers": workers or os.cpu_count() or 1,
        "timeout": timeout,
        "fresh_kernels": fresh_kernels,
    }
    created = _make_run_dir(out_dir)
    report = _Reporter(bar=progress)
    try:
        with _sigterm_as_interrupt():
            lock = _lock_run(out_dir)
            try:
                if overwrite and (out_dir / "manifest.json").exists():
                    _remove_run(out_dir, _read_manifest(out_dir))
                run = ReportRun(run_id=run_id, out_dir=out_dir, settings=settings)
                _run_jobs(run, data, digest, manifest, execution, report, resume=resume)
            finally:
                lock.close()
    finally:
        report.close()
        if created and not (out_dir / "manifest.json").exists():  # stopped before it began
            shutil.rmtree(out_dir, ignore_errors=True)
    return run


def _run_jobs(run, data, digest, manifest, execution, report, *, resume) -> None:
    """Make the jobs of a run (those of a resumed run kept when they ended well), compute the
    briefings, execute the jobs, write the manifest and the index."""
    settings, out_dir = run.settings, run.out_dir
    lang, extra = settings["lang"], settings["parameters"]
    kept = _resumable_jobs(out_dir, manifest) if resume else {}
    versions = _versions()
    footer = {
        fmt.label(fmt.REPORT_TEXT, "footer_hash", lang): digest[:16],
        fmt.label(fmt.REPORT_TEXT, "footer_version", lang): versions["shuangjian-eval"],
        fmt.label(fmt.REPORT_TEXT, "footer_time", lang): fmt.format_timestamp(_now(), lang),
    }
    for region in settings["regions"]:
        label = fmt.region_label(region, lang)
        folder = out_dir / _regions.slug(region)
        for name in settings["notebooks"]:
            params = {"data_path": str(data), "region": region, "lang": lang, **extra}
            job = Job(
                region=region,
                label=label,
                notebook=name,
                parameters=params,
                ipynb=str(folder / f"{name}.ipynb"),
                html=str(folder / f"{name}.html"),
            )
            run.jobs.append(kept.get((region, name), job))
    run.kept = [j for j in run.jobs if (j.region, j.notebook) in kept]
    todo = [j for j in run.jobs if (j.region, j.notebook) not in kept]
    if resume:
        report.say(
            f"resuming run {run.run_id}: {len(run.kept)} of {len(run.jobs)} reports kept, "
            f"{len(todo)} to redo" if todo else
            f"nothing to redo: all {len(run.jobs)} reports of run {run.run_id} are written"
        )  # fmt: skip
    for job in run.kept:  # the briefings of kept reports, for the index's headline verdicts
        cache = job.parameters.get("cache_path")
        if cache and Path(cache).exists():
            run.caches[job.region] = Path(cache)
    redo = [j.region for j in todo if j.notebook == BRIEFING_NOTEBOOK]
    caches = _precompute_briefings(run, data, redo, extra, lang, execution["workers"], report)
    run.caches.update(caches)
    for job in todo:
        if job.notebook == BRIEFING_NOTEBOOK and job.region in caches:
            job.parameters["cache_path"] = str(caches[job.region])

    started = _now()
    _write_manifest(run, data, digest, versions, started, execution)
    run_one = functools.partial(
        _run_job,
        notebook_dir=str(settings["notebook_dir"] or _nbp.NOTEBOOK_DIR),
        footer=footer,
        lang=lang,
        timeout=execution["timeout"],
        fresh_kernels=execution["fresh_kernels"],
        formats=tuple(settings.get("formats", ("html",))),
    )
    execute = _execute_dask if execution["executor"] == "dask" else _execute_local
    done = list(run.kept)
    interrupted = False
    if todo:
        report.say(TRANSPORT_NOTE)
    report.start(len(todo))
    try:
        for job in execute(
            todo, run_one, workers=execution["workers"], scheduler=execution["scheduler"]
        ):
            done.append(job)
            run.ran.append(job)
            report.done(job)
    except KeyboardInterrupt:
        interrupted = True
        finished = {(j.region, j.notebook) for j in done}
        for job in todo:
            if (job.region, job.notebook) not in finished:
                job.status, job.error = "interrupted", "the run was stopped before this job ended"
                _running_path(Path(job.ipynb)).unlink(missing_ok=True)
                done.append(job)
    finally:
        report.close()
        position = {(j.region, j.notebook): i for i, j in enumerate(run.jobs)}
        run.jobs = sorted(done, key=lambda j: position[(j.region, j.notebook)])
        _write_manifest(run, data, digest, versions, started, execution, finished=_now())
        _write_index(run, lang, footer)
    if interrupted:
        raise KeyboardInterrupt(
            f"report run {run.run_id} interrupted; redo what is missing with: "
            f"sje report --resume {run.run_id} --out {out_dir.parent}"
        )


def _precompute_briefings(
    run: ReportRun,
    data: Path,
    regions: list[str],
    extra: dict[str, Any],
    lang: str,
    workers: int,
    report: _Reporter,
) -> dict[str, Path]:
    """Compute the briefing of every region in ``regions`` once, reading the data once, before
    notebooks run (the regions whose policy report is to be made).

    Each region's policy-report notebook then only renders its cached briefing. If this step
    fails, the notebooks compute for themselves and the manifest records why.
    """
    if not regions:
        return {}
    from ...publication import briefing

    report.say(
        f"computing the policy report's estimates for {len(regions)} "
        f"region{'s' if len(regions) > 1 else ''}, once for the run ..."
    )
    t0 = time.perf_counter()
    try:
        caches = briefing.precompute(
            data,
            regions,
            run.out_dir / ".briefings",
            # None: the scorecard's rule of policy.yaml, as the notebook's own default
            min_cell=None if extra.get("min_cell") is None else int(extra["min_cell"]),
            langs=(lang,),
            workers=workers,
            plan=str(extra.get("plan", "auto")),
        )
        run.precompute = {"status": "ok", "regions": len(caches)}
    except Exception as exc:  # the notebooks can still compute for themselves
        caches = {}
        run.precompute = {"status": "failed", "error": _short_error(exc)}
    run.precompute["seconds"] = round(time.perf_counter() - t0, 3)
    if run.precompute["status"] == "ok":
        report.say(f"estimates computed in {run.precompute['seconds']:.1f} s")
    else:
        report.say(
            f"the estimates could not be computed once ({run.precompute['error']}); each "
            "policy report computes its own"
        )
    return {str(k): Path(v) for k, v in caches.items()}
