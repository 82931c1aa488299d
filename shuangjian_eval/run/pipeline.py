"""Report runs: parameterized notebooks executed with papermill, rendered to offline HTML.

A run executes the chosen notebooks for each region, in parallel worker processes, and writes

    <out>/<run-id>/<region>/<notebook>.ipynb and .html
    <out>/<run-id>/index.html       every region with links and status
    <out>/<run-id>/manifest.json    parameters, data hash, versions, each job's times and status

Every file is written atomically (to a temporary name, then renamed), a failing notebook does
not stop the others, and parameters are checked against each notebook's ``parameters`` cell
before anything runs.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.metadata as md
import json
import os
import re
import tempfile
import time
import traceback
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..publication import formatting as fmt
from .execution import atomic_write as _atomic_write
from .execution import render_html

__all__ = [
    "NOTEBOOKS",
    "ReportRun",
    "check_parameters",
    "data_hash",
    "render_html",
    "run_report",
]

# Notebooks a run can execute, in report order, with their display titles.
NOTEBOOKS: dict[str, dict[str, str]] = {
    "90_policy_report": {"zh": "政策评估报告", "en": "Policy evaluation report"},
    "00_data_quality": {"zh": "数据质量", "en": "Data quality"},
    "10_homework_and_sleep": {"zh": "作业与睡眠", "en": "Homework and sleep"},
    "20_tutoring": {"zh": "校外培训", "en": "Off-campus tutoring"},
    "30_parental_anxiety": {"zh": "家长焦虑", "en": "Parental anxiety"},
    "40_causal_effects": {"zh": "因果效应", "en": "Causal effects"},
    "50_heterogeneity": {"zh": "群体差异", "en": "Heterogeneity"},
}
EXECUTORS = ("local", "dask")
# The notebook whose estimates are computed once per run, for every region, before it runs.
BRIEFING_NOTEBOOK = "90_policy_report"
ALL_REGIONS = "all"
# region arguments with a meaning of their own: no county may be called so
_REGION_KEYWORDS = {ALL_REGIONS: "one report on all the data", "each": "a report per county"}
_DEPENDENCIES = (
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "statsmodels",
    "matplotlib",
    "papermill",
    "nbconvert",
)


class ParameterError(ValueError):
    """A run parameter is unknown, mistyped or names something not in the data."""


# ------------------------------------------------------------------------------------------
# parameters


def _notebook_path(notebook_dir: Path, name: str) -> Path:
    if name not in NOTEBOOKS:
        raise ParameterError(f"unknown notebook {name!r}; valid notebooks: {', '.join(NOTEBOOKS)}")
    path = notebook_dir / f"{name}.ipynb"
    if not path.exists():
        raise ParameterError(f"notebook file {path} does not exist")
    return path


_TYPE_CHECKS = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, (list, tuple)),
}


def check_parameters(notebook: str | Path, parameters: dict[str, Any]) -> None:
    """Check parameters against a notebook's ``parameters`` cell, before anything runs.

    Papermill only warns on an unknown parameter; here an unknown name, or a value whose type
    differs from the declared default's, stops the run with the list of valid parameters.

    Raises
    ------
    ParameterError
    """
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    valid = ", ".join(
        f"{k} ({v['inferred_type_name']}, default {v['default']})" for k, v in declared.items()
    )
    for name, value in parameters.items():
        if name not in declared:
            raise ParameterError(
                f"unknown parameter {name!r} for {Path(notebook).stem}; valid parameters: {valid}"
            )
        type_name = str(declared[name]["inferred_type_name"]).split("[")[0]
        check = _TYPE_CHECKS.get(type_name)
        if check is not None and not check(value):
            raise ParameterError(
                f"parameter {name!r} of {Path(notebook).stem} must be {type_name}, "
                f"got {value!r} ({type(value).__name__}); valid parameters: {valid}"
            )


# ------------------------------------------------------------------------------------------
# files


def data_hash(path: str | Path) -> str:
    """SHA-256 of the data, a file or a folder partitioned by wave (the input data's
    fingerprint in the manifest and footer; :func:`shuangjian_eval.io.store.fingerprint`)."""
    from ..inputs.io.store import fingerprint

    return fingerprint(path)


def region_slug(region: str) -> str:
    """A folder name for a region: letters (any script), digits, '-' and '_' kept (so no path
    separator or '..'); a name that had to be changed gets a short hash of itself, so that two
    regions ("a/b", "a_b") never share a folder."""
    slug = re.sub(r"[^\w\-]+", "_", region, flags=re.UNICODE).strip("_")
    if slug == region:
        return slug
    digest = hashlib.sha1(region.encode()).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else digest


# ------------------------------------------------------------------------------------------
# jobs


@dataclass
class Job:
    """One notebook for one region."""

    region: str
    label: str
    notebook: str
    parameters: dict[str, Any]
    ipynb: str
    html: str
    status: str = "pending"
    start: str | None = None
    end: str | None = None
    seconds: float | None = None
    error: str | None = None


def _running_path(ipynb: Path) -> Path:
    """Where a notebook is written while it runs; renamed to ``ipynb`` when it has finished."""
    return ipynb.with_name(f".{ipynb.stem}.running.ipynb")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _run_job(
    job: Job,
    notebook_dir: str,
    footer: dict[str, str],
    lang: str,
    timeout: float | None = None,
    fresh_kernels: bool = False,
) -> Job:
    from .execution import execute_notebook

    job.start = _now()
    t0 = time.perf_counter()
    out = Path(job.ipynb)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = _running_path(out)
    try:
        nb = execute_notebook(
            Path(notebook_dir) / f"{job.notebook}.ipynb",
            tmp,
            job.parameters,
            cwd=notebook_dir,
            timeout=timeout,
            fresh=fresh_kernels,
        )
        os.replace(tmp, out)
        title = f"{job.label} · {NOTEBOOKS[job.notebook][lang]}"
        render_html(nb, job.html, lang=lang, title=title, footer=footer)
        job.status = "ok"
    except Exception as exc:  # a failing notebook must not stop the others
        job.status = "failed"
        job.error = _short_error(exc)
        if tmp.exists():  # keep the partly executed notebook for diagnosis, under its own name
            os.replace(tmp, out.with_suffix(".failed.ipynb"))
    job.end = _now()
    job.seconds = round(time.perf_counter() - t0, 3)
    return job


def _short_error(exc: BaseException) -> str:
    name = getattr(exc, "ename", type(exc).__name__)
    value = getattr(exc, "evalue", str(exc))
    text = f"{name}: {value}".strip()
    return text if len(text) < 2000 else text[:2000] + " ..."


# ------------------------------------------------------------------------------------------
# the run


@dataclass
class ReportRun:
    """What a report run did: where it wrote and how each job ended."""

    run_id: str
    out_dir: Path
    jobs: list[Job] = field(default_factory=list)
    caches: dict[str, Path] = field(default_factory=dict)
    precompute: dict[str, Any] = field(default_factory=dict)

    @property
    def index(self) -> Path:
        return self.out_dir / "index.html"

    @property
    def manifest(self) -> Path:
        return self.out_dir / "manifest.json"

    @property
    def failed(self) -> list[Job]:
        return [j for j in self.jobs if j.status != "ok"]

    @property
    def ok(self) -> bool:
        return not self.failed


def list_regions(data_path: str | Path, column: str = "county") -> list[str]:
    """Regions present in a canonical Parquet file (reads one column only)."""
    from ..inputs.io.store import read_canonical

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
    available = list_regions(data_path)
    clash = [r for r in available if r in _REGION_KEYWORDS]
    if clash:
        raise ParameterError(
            f"{data_path} has a county named {clash[0]!r}, which is the keyword for "
            f"{_REGION_KEYWORDS[clash[0]]}: rename that county in the data (or in the ingest "
            "mapping) before running reports"
        )
    if isinstance(regions, str):
        regions = [r.strip() for r in regions.split(",") if r.strip()]
    chosen: list[str] = []
    for r in regions:
        chosen.extend(available if r == "each" else [r])
    unknown = [r for r in chosen if r != ALL_REGIONS and r not in available]
    if unknown or not chosen:
        raise ParameterError(
            f"region(s) not in the data: {', '.join(unknown) or '(none given)'}; valid regions: "
            f"{ALL_REGIONS}, each, {', '.join(available)}"
        )
    return list(dict.fromkeys(chosen))


def _versions() -> dict[str, str]:
    out = {}
    for name in ("shuangjian-eval", *_DEPENDENCIES):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def run_report(
    data: str | Path,
    *,
    out: str | Path = "reports",
    run_id: str | None = None,
    regions: str | Sequence[str] = ALL_REGIONS,
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
        its next notebook, cleared (:mod:`shuangjian_eval.execution`), after one that succeeded.

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
        "数据指纹" if lang == "zh" else "Data SHA-256": digest[:16],
        "版本" if lang == "zh" else "Version": versions["shuangjian-eval"],
        "生成时间" if lang == "zh" else "Generated": _now(),
    }
    run = ReportRun(run_id=run_id, out_dir=out_dir)
    run.caches = _precompute_briefings(run, data, chosen, notebooks, extra, lang, workers)
    for region in chosen:
        label = fmt.region_label(region, lang)
        folder = out_dir / region_slug(region)
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


def _writable_run_dir(out: Path, run_id: str) -> Path:
    """Create the run folder, or stop before anything runs if it cannot be written."""
    if not re.fullmatch(r"[\w.\-]+", run_id) or run_id in (".", ".."):
        raise ParameterError(f"run id {run_id!r} may use letters, digits, '.', '-' and '_' only")
    out_dir = out / run_id
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=".probe."):
            pass
    except OSError as exc:
        raise ParameterError(f"cannot write reports to {out_dir}: {exc.strerror or exc}") from None
    return out_dir


def _lock_run(out_dir: Path):
    """Hold an exclusive lock on the run folder for the whole run (released on close)."""
    import fcntl

    handle = open(out_dir / ".lock", "w")  # noqa: SIM115 - held until the run ends
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise ParameterError(
            f"another report run is writing to {out_dir}; wait for it or choose another --run-id"
        ) from None
    return handle


def _resumable_jobs(out_dir: Path, digest: str) -> dict[tuple[str, str], Job]:
    """Jobs of an earlier run that ended well and whose report is still there."""
    path = out_dir / "manifest.json"
    if not path.exists():
        raise ParameterError(f"nothing to resume: {path} does not exist")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("data", {}).get("sha256") != digest:
        raise ParameterError(
            f"cannot resume run {out_dir.name}: the data file differs from the one it used"
        )
    kept = {}
    for record in manifest.get("jobs", []):
        job = Job(**{k: record[k] for k in Job.__dataclass_fields__ if k in record})
        job.ipynb, job.html = str(out_dir / job.ipynb), str(out_dir / job.html)
        if job.status == "ok" and Path(job.html).exists():
            kept[(job.region, job.notebook)] = job
    return kept


class _sigterm_as_interrupt:
    """Within the block, SIGTERM (a scheduler stopping the job) acts like Ctrl-C."""

    def __enter__(self):
        import signal
        import threading

        self._old = None
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGTERM, self._raise)
        return self

    @staticmethod
    def _raise(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    def __exit__(self, *exc):
        import signal

        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)
        return False


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
    from ..publication import briefing

    t0 = time.perf_counter()
    try:
        caches = briefing.precompute(
            data,
            regions,
            run.out_dir / ".briefings",
            min_n=int(extra.get("min_cell", 30)),
            langs=(lang,),
            workers=workers or os.cpu_count() or 1,
        )
        run.precompute = {"status": "ok", "regions": len(caches)}
    except Exception as exc:  # the notebooks can still compute for themselves
        caches = {}
        run.precompute = {"status": "failed", "error": _short_error(exc)}
    run.precompute["seconds"] = round(time.perf_counter() - t0, 3)
    return {str(k): Path(v) for k, v in caches.items()}


def _failed(job: Job) -> Job:
    """The job whose worker died before it could report (the process, not the notebook)."""
    job.status, job.error = "failed", "worker died: " + traceback.format_exc(limit=1).strip()
    return job


def _execute_local(jobs: list[Job], run_one, *, workers: int, scheduler: str | None = None):
    """Run jobs in a local process pool; yield each job as it finishes."""
    if not jobs:
        return
    pool = ProcessPoolExecutor(max_workers=min(workers, len(jobs)))
    try:
        futures = {pool.submit(run_one, job): job for job in jobs}
        for fut in as_completed(futures):
            try:
                yield fut.result()
            except Exception:
                yield _failed(futures[fut])
    except BaseException:  # interrupted: stop the workers (their kernels follow their parent)
        workers_left = list(getattr(pool, "_processes", {}).values())
        for proc in workers_left:
            proc.terminate()
        for proc in workers_left:  # let them go before their files are cleaned up
            proc.join(timeout=10)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _execute_dask(jobs: list[Job], run_one, *, workers: int, scheduler: str | None = None):
    """Run jobs on a Dask cluster (an existing scheduler, or a local cluster of processes)."""
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - dask is a declared dependency
        raise ParameterError("executor='dask' needs dask.distributed installed") from exc
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            futures = {client.submit(run_one, job, pure=False): job for job in jobs}
            for fut in dask_completed(list(futures)):
                try:
                    yield fut.result()
                except Exception:
                    yield _failed(futures[fut])
    finally:
        if cluster is not None:
            cluster.close()


class _NoBar:
    """A progress bar that shows nothing."""

    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, show: bool):
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="report", desc="sje report")


def _write_manifest(run, data, digest, versions, started, extra, lang, finished=None) -> None:
    manifest = {
        "run_id": run.run_id,
        "data": {"path": str(data), "sha256": digest},
        "parameters": {"lang": lang, **extra},
        "versions": versions,
        "started": started,
        "finished": finished,
        "status": None if finished is None else ("ok" if run.ok else "failed"),
        "precompute": run.precompute,
        "jobs": [
            {
                **asdict(j),
                "ipynb": os.path.relpath(j.ipynb, run.out_dir),
                "html": os.path.relpath(j.html, run.out_dir),
            }
            for j in run.jobs
        ],
    }
    _atomic_write(run.manifest, json.dumps(manifest, ensure_ascii=False, indent=2, default=str))


_INDEX = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{{ title }}</title><style>{{ css | safe }}</style></head>
<body>
<header class="sje-masthead"><div class="sje-title">{{ title }}</div>
<div class="sje-subtitle">{{ subtitle }}</div></header>
<main class="sje-report">
<table>
<thead><tr><th>{{ h_region }}</th>{% for h in h_verdicts %}<th>{{ h }}</th>{% endfor %}
{% for nb in notebooks %}<th>{{ nb }}</th>{% endfor %}</tr></thead>
<tbody>
{% for region, verdicts, cells in rows %}<tr><td>{{ region }}</td>
{% for window in verdicts %}<td class="sje-verdicts">{% for css, label, count in window %}
<span class="sje-badge {{ css }}">{{ label }} {{ count }}</span>{% endfor %}</td>{% endfor %}
{% for job in cells %}<td>{% if job.status == 'ok' %}<a href="{{ job.href }}">{{ open_label }}</a>
{% else %}<span class="sje-badge not-met">{{ failed_label }}</span>
<div class="sje-note">{{ job.error }}</div>{% endif %}</td>{% endfor %}</tr>
{% endfor %}
</tbody></table>
</main>
<footer class="sje-footer">{% for k, v in footer.items() %}<span><b>{{ k }}</b> {{ v }}</span>{% endfor %}</footer>
</body></html>
"""


def _headline_verdicts(cache: Path | None, lang: str) -> list[list[tuple[str, str, int]]]:
    """Verdict counts of a region's scorecard for the 1- and 3-year targets, as badges."""
    if cache is None:
        return []
    from ..publication import briefing
    from ..publication.targets import VERDICT_LABELS

    try:
        b = briefing.load(cache)
    except Exception:  # a missing or unreadable cache: no headline, the report still links
        return [[], []]
    out = []
    for window in ("1y", "3y"):
        counts = b.verdict_counts(window)
        out.append(
            [
                (briefing.BADGE_CLASS.get(code, "insufficient"), VERDICT_LABELS[lang][code], n)
                for code, n in counts.items()
                if n and code in VERDICT_LABELS[lang]
            ]
        )
    return out


def _write_index(run: ReportRun, lang: str, footer: dict[str, str]) -> None:
    import jinja2

    css = (
        resources.files(__package__)
        .joinpath("templates/sje_report/report.css")
        .read_text(encoding="utf-8")
    )
    env = jinja2.Environment(autoescape=True)
    names = list(dict.fromkeys(j.notebook for j in run.jobs))
    rows = []
    for region in dict.fromkeys(j.region for j in run.jobs):
        cells = []
        for name in names:
            job = next(j for j in run.jobs if j.region == region and j.notebook == name)
            cells.append(
                {
                    "status": job.status,
                    "error": job.error or "",
                    "href": os.path.relpath(job.html, run.out_dir),
                }
            )
        label = next(j.label for j in run.jobs if j.region == region)
        rows.append((label, _headline_verdicts(run.caches.get(region), lang), cells))
    zh = lang == "zh"
    n_failed = len(run.failed)
    html = env.from_string(_INDEX).render(
        lang=lang,
        title="双减政策评估报告" if zh else "Double Reduction evaluation reports",
        subtitle=(
            f"运行 {run.run_id}：{len(run.jobs)} 份报告，失败 {n_failed} 份"
            if zh
            else f"Run {run.run_id}: {len(run.jobs)} reports, {n_failed} failed"
        ),
        css=css,
        h_region="地区" if zh else "Region",
        h_verdicts=(["1年目标", "3年目标"] if zh else ["1-year target", "3-year target"])
        if run.caches
        else [],
        notebooks=[NOTEBOOKS[n][lang] for n in names],
        rows=rows,
        open_label="查看" if zh else "Open",
        failed_label="失败" if zh else "Failed",
        footer=footer,
    )
    _atomic_write(run.index, html)
