"""The ``sje`` command: synth, examples, ingest, validate, report, codebook, supervision.

User mistakes (a bad file, an unknown parameter, a region not in the data) end with a one-line
message on stderr and exit code 2, never a traceback; a report run with a failed notebook ends
with exit code 1 after every other notebook has run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from ..base.files import atomic_write

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _waves(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(w) for w in text.split(",") if w.strip())
    except ValueError:
        msg = f"waves must be years separated by commas: {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def _param(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"parameter must look like NAME=VALUE: {text!r}")
    name, value = text.split("=", 1)
    return name.strip(), yaml.safe_load(value)


def _notebook_names() -> list[str]:
    from .pipeline import NOTEBOOKS

    return list(NOTEBOOKS)


def _langs() -> tuple[str, ...]:
    from ..base.languages import LANGS

    return LANGS


def _positive(kind: type, what: str):
    """An argparse type: a number of ``kind`` greater than 0."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0 or value != value or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be {what} greater than 0, got {text!r}")
        return value

    return parse


class _ReportHelp(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Help with each option's default, and the examples as written."""


_REPORT_EXAMPLES = """examples:
  # one report per county, two workers
  sje report --data data/survey.parquet --regions each --workers 2
  # two counties, two notebooks, in English
  sje report --data data/survey.parquet --regions 样本县001,样本县002 \\
      --notebooks 00_data_quality,90_policy_report --lang en
  # cron: a dated run id, one log line per report
  sje report --data /secure/survey.parquet --regions each --run-id nightly-2026-12-01 --no-progress
  # after a failure or SIGTERM: redo what is missing or failed, with the run's own settings
  sje report --resume nightly-2026-12-01
  # run again into an existing run folder, replacing it
  sje report --data data/survey.parquet --run-id demo --overwrite
  # notebook parameters (YAML values)
  sje report --data data/survey.parquet -p min_cell=20 -p "outcomes=[sleep_hours]"
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sje", description="Evaluate the Double Reduction (双减) policy from survey data."
    )
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command")

    s = sub.add_parser("synth", help="generate a synthetic survey (canonical Parquet)")
    s.add_argument("--out", required=True, type=Path, help="output .parquet file or folder")
    s.add_argument(
        "--partition-by-wave",
        action="store_true",
        help="write a folder with one sub-folder per wave (wave=2019/...)",
    )
    s.add_argument("--schools", type=int, default=120, help="number of schools (PSUs)")
    s.add_argument("--students", type=int, default=40, help="students sampled per school")
    s.add_argument("--counties", type=int, default=8, help="number of counties")
    s.add_argument("--waves", type=_waves, default=(2019, 2020, 2021, 2022, 2024))
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--pretrend", type=float, default=0.0, help="inject a pre-policy trend")

    e = sub.add_parser("examples", help="write example input files made from synthetic data")
    e.add_argument("--out", type=Path, default=Path("data/examples"))
    e.add_argument("--seed", type=int, default=0)

    sv = sub.add_parser("supervision", help="supervision returns (督导): synthetic, ingest")
    svs = sv.add_subparsers(dest="supervision_command", required=True)
    s2 = svs.add_parser(
        "synth", help="write synthetic returns of the demo survey's schools as a folder"
    )
    s2.add_argument("--out", type=Path, default=Path("data/demo/supervision"))
    s2.add_argument("--schools", type=int, default=120, help="schools of the survey (sje synth)")
    s2.add_argument("--counties", type=int, default=8, help="counties of the survey (sje synth)")
    s2.add_argument("--seed", type=int, default=0, help="seed of the survey (sje synth)")
    si = svs.add_parser("ingest", help="read and validate one file of a supervision table")
    si.add_argument("input", type=Path, help="csv, xlsx, xls, dta, sav or parquet file")
    si.add_argument("--table", required=True,
                    help="school_returns, institutions, cases, complaints or half_monthly")  # fmt: skip
    si.add_argument("--mapping", help="profile of mappings/supervision (half-monthly, ...) or YAML")
    si.add_argument("--period", help="the period of a half-monthly sheet (2021-11-15)")
    si.add_argument("--sheet", help="xlsx sheet name")
    si.add_argument("--out", type=Path, help="output .parquet (rejects beside it as .rejects.csv)")

    for name, text in (
        ("ingest", "read, validate and write canonical Parquet and rejects"),
        ("validate", "read and validate without writing"),
    ):
        i = sub.add_parser(name, help=text)
        i.add_argument("input", type=Path, help="survey file: csv, xlsx, xls, dta, sav or parquet")
        i.add_argument("--mapping", help="mapping profile name or YAML path")
        i.add_argument("--sheet", help="xlsx sheet name")
        i.add_argument("--salt", help="salt for pseudonymous ids (or env SJE_ID_SALT)")
        i.add_argument(
            "--wave", type=int, help="survey year of every row, when the file has no wave column"
        )
        i.add_argument("--county", help="county of every row, when the file has no county column")
        i.add_argument(
            "--exclude",
            help="quality flags whose submissions are rejected, comma-separated: "
            "test, speeder, duplicate, straightline (online-platform downloads)",
        )
        i.add_argument(
            "--fieldwork-start",
            help="first day of fieldwork (2022-11-14): earlier submissions are flagged test",
        )
        if name == "ingest":
            i.add_argument("--out", required=True, type=Path, help="output .parquet file or folder")
            i.add_argument(
                "--partition-by-wave",
                action="store_true",
                help="write into a folder partitioned by wave; the waves of this file replace "
                "theirs, other waves stay",
            )
            i.add_argument("--rejects", type=Path, help="rejects CSV (default: beside --out)")
            i.add_argument(
                "--issues",
                type=Path,
                help="CSV of the answers set missing, cell by cell (default: beside --out)",
            )
        else:
            i.add_argument("--strict", action="store_true", help="exit 1 when any row is rejected")

    m = sub.add_parser("mapping", help="draft a mapping profile from an export, or check one")
    msub = m.add_subparsers(dest="mapping_command", required=True)
    d = msub.add_parser(
        "draft",
        help="propose a profile: a variable for each question, a code for each answer",
        description="Read an export's headers and every distinct answer and write a draft "
        "mapping profile; what a person must decide is marked TODO.",
    )
    d.add_argument("export", type=Path, help="the export (e.g. a 问卷星 download)")
    d.add_argument("--out", type=Path, required=True, help="profile YAML to write")
    d.add_argument("--name", help="profile name (default: the export's file name)")
    d.add_argument(
        "--pair",
        type=Path,
        help="the other 问卷星 download of the same submissions (按选项文本 beside 按选项序号): "
        "the profile then reads both",
    )
    ck = msub.add_parser("check", help="list unmapped questions and answer texts, with counts")
    ck.add_argument("profile", help="profile YAML (or a bundled profile name)")
    ck.add_argument("export", type=Path, help="the export to read with it")
    ck.add_argument("--wave", type=int, help="survey year of every row (if not in the file)")
    ck.add_argument("--county", help="county of every row (if not in the file)")

    r = sub.add_parser(
        "report",
        help="run report notebooks and render HTML",
        description="Run the report notebooks for regions, in parallel, and write\n"
        "OUT/RUN_ID/<region>/<notebook>.html, an index.html and a manifest.json (the run's\n"
        "settings, data hash, versions, each job's status). Everything is checked before any\n"
        "notebook starts. Exit code 1 when a notebook failed, 2 for a usage error.",
        formatter_class=_ReportHelp,
        epilog=_REPORT_EXAMPLES,
    )
    r.add_argument(
        "--data",
        type=Path,
        default=argparse.SUPPRESS,
        help="canonical survey Parquet file or wave-partitioned folder (sje ingest, sje synth); "
        "required, but for --resume, which reuses the run's",
    )
    r.add_argument("--out", type=Path, default=Path("reports"), help="folder of the run folders")
    r.add_argument(
        "--run-id",
        default=argparse.SUPPRESS,
        help="name of the run folder under --out (default: a timestamp); an existing run is "
        "refused unless --resume or --overwrite is given",
    )
    r.add_argument(
        "--regions",
        default=argparse.SUPPRESS,
        help="'all' (one report on all data), 'each' (every county), or names a,b,c, mixed "
        "freely (default: all; with --resume: the run's)",
    )
    r.add_argument(
        "--notebooks",
        default=argparse.SUPPRESS,
        help="'all' or comma-separated names: "
        + ", ".join(_notebook_names())
        + " (default: all; with --resume: the run's)",
    )
    r.add_argument(
        "--notebook-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help="a folder of other notebooks, under the same names, to run instead of those "
        "installed with the package (default: the package's)",
    )
    r.add_argument(
        "--workers",
        type=_positive(int, "a whole number"),
        default=argparse.SUPPRESS,
        help="worker processes, at least 1 (default: the number of cores)",
    )
    r.add_argument(
        "--executor",
        default="local",
        choices=("local", "dask"),
        help="local process pool, or a Dask cluster",
    )
    r.add_argument(
        "--scheduler",
        default=argparse.SUPPRESS,
        help="Dask scheduler address, e.g. tcp://HOST:8786 (default: with --executor dask, a "
        "local cluster of --workers processes)",
    )
    r.add_argument(
        "--resume",
        metavar="RUN_ID",
        default=argparse.SUPPRESS,
        help="redo only what is missing or failed in an earlier run, with that run's settings "
        "(data, regions, notebooks, language, parameters: a setting given must be the one it "
        "used; workers, timeout and executor are this command's)",
    )
    r.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run --run-id if it exists (its reports are removed first)",
    )
    r.add_argument(
        "--timeout",
        type=_positive(float, "a number of seconds"),
        default=600.0,
        help="seconds a notebook cell may run before the notebook fails",
    )
    r.add_argument(
        "--fresh-kernels",
        action="store_true",
        help="a new kernel for every notebook (otherwise each worker reuses its kernel, cleared)",
    )
    r.add_argument(
        "--lang",
        choices=_langs(),
        default=argparse.SUPPRESS,
        help="language of the reports and the index (default: zh; with --resume: the run's)",
    )
    r.add_argument(
        "--formats",
        default=argparse.SUPPRESS,
        help="policy report formats, comma-separated: html (always), docx, xlsx, pdf (needs "
        "Chromium) (default: html; with --resume: the run's)",
    )
    r.add_argument(
        "-p",
        "--param",
        type=_param,
        action="append",
        default=argparse.SUPPRESS,
        metavar="NAME=VALUE",
        help="notebook parameter, VALUE read as YAML (repeatable; default: none; with --resume: "
        "the run's); names and values are checked before any notebook starts",
    )
    r.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar: one line per finished job on stderr (for logs and schedulers)",
    )

    wt = sub.add_parser(
        "weights",
        help="calibrate the weights of each county and wave to an enrolment table",
        description="Rake (or calibrate) each (wave, county)'s respondents to the county's "
        "enrolment by grade, gender and the table's other columns; writes the data with the "
        "calibrated weight in 'weight' and the weight before in 'weight_base', and prints "
        "the diagnostics (data/examples/README.md describes the table's layout).",
    )
    wt.add_argument("--margins", required=True, type=Path, help="enrolment table (.csv, .xlsx)")
    wt.add_argument("--data", required=True, type=Path, help="canonical data (Parquet)")
    wt.add_argument("--out", required=True, type=Path, help="output .parquet file")
    wt.add_argument("--method", default="rake", help="rake (default), linear, raking or logit")
    wt.add_argument("--bounds", type=_bounds, default=None, help="g-weight bounds LO,HI")
    wt.add_argument("--max-iter", type=int, default=None, help="iterations allowed")
    wt.add_argument("--tol", type=float, default=1e-10, help="convergence tolerance")

    c = sub.add_parser("codebook", help="print the codebook")
    c.add_argument("--lang", default="en", choices=("zh", "en"))
    return p


def _cmd_synth(a: argparse.Namespace) -> int:
    from ..inputs import synth

    df = synth.generate(
        n_schools=a.schools,
        students_per_school=a.students,
        n_counties=a.counties,
        waves=a.waves,
        seed=a.seed,
        pretrend=a.pretrend,
    )
    from ..inputs.io.store import write_canonical

    write_canonical(df, a.out, partition_by_wave=a.partition_by_wave)
    print(
        f"wrote {a.out}: {len(df):,} respondents, {df['school_id'].nunique():,} schools, "
        f"{df['county'].nunique()} counties, waves {', '.join(map(str, a.waves))} "
        "(synthetic data, no real people)"
    )
    return EXIT_OK


def _cmd_examples(a: argparse.Namespace) -> int:
    from ..inputs import examples, examples_supervision

    for path in examples.make_examples(a.out, seed=a.seed):
        print(f"wrote {path}")
    for path in examples_supervision.write_supervision_examples(a.out, seed=a.seed):
        print(f"wrote {path} (synthetic supervision returns)")
    return EXIT_OK


def _cmd_supervision(a: argparse.Namespace) -> int:
    from ..base.files import atomic_path
    from ..inputs import examples_supervision
    from ..inputs import supervision as sv

    if a.supervision_command == "synth":
        paths = examples_supervision.write_demo_folder(
            a.out, seed=a.seed, n_schools=a.schools, n_counties=a.counties
        )
        print(f"wrote {len(paths)} files to {a.out} (synthetic supervision returns, no real "
              "schools or people)")  # fmt: skip
        return EXIT_OK
    constants = {"period": a.period} if a.period else None
    result = sv.load_returns(a.input, a.table, a.mapping, sheet=a.sheet, constants=constants)
    print(result.log.summary())
    if a.out is not None:
        with atomic_path(a.out) as tmp:
            result.data.to_parquet(tmp)
        rejects = a.out.with_suffix(".rejects.csv")
        with atomic_path(rejects) as tmp:
            result.rejects.to_csv(tmp, index=False, encoding="utf-8-sig")
        print(f"wrote {a.out} ({len(result.data):,} rows) and {rejects} "
              f"({len(result.rejects):,} reasons)")  # fmt: skip
    return EXIT_OK


def _cmd_ingest(a: argparse.Namespace, write: bool) -> int:
    from ..inputs import io

    result = io.load_survey(
        a.input,
        mapping=a.mapping,
        sheet=a.sheet,
        salt=a.salt,
        wave=a.wave,
        county=a.county,
        exclude=a.exclude,
        fieldwork_start=a.fieldwork_start,
    )
    print(result.log.summary())
    if write:
        from ..inputs.io.store import write_canonical

        write_canonical(result.data, a.out, partition_by_wave=a.partition_by_wave)
        rejects = a.rejects or a.out.with_suffix(".rejects.csv")
        issues = a.issues or a.out.with_suffix(".issues.csv")
        result.rejects.to_csv(rejects, index=False, encoding="utf-8-sig")
        result.issues.to_csv(issues, index=False, encoding="utf-8-sig")
        if len(result.flags):
            flags = out_flags = a.out.with_suffix(".flags.csv")
            result.flags.to_csv(out_flags, index=False, encoding="utf-8-sig")
            print(f"wrote {flags} ({len(result.flags):,} quality flags)")
        print(
            f"wrote {a.out} ({len(result.data):,} rows), {rejects} "
            f"({len(result.rejects):,} reasons) and {issues} ({len(result.issues):,} answers "
            "set missing)"
        )
        return EXIT_OK
    return EXIT_FAILED if a.strict and len(result.rejects) else EXIT_OK


def _cmd_mapping(a: argparse.Namespace) -> int:
    from ..inputs.io import draft

    if a.mapping_command == "draft":
        text, report = draft.draft_profile(a.export, name=a.name, pair=a.pair)
        atomic_write(a.out, text)
        print(report.summary())
        print(f"wrote {a.out}")
        return EXIT_OK
    report = draft.check_profile(a.export, a.profile, wave=a.wave, county=a.county)
    print(report.summary())
    return EXIT_OK if report.ok else EXIT_FAILED


def _cmd_report(a: argparse.Namespace) -> int:
    from . import pipeline

    resume, run_id = getattr(a, "resume", None), getattr(a, "run_id", None)
    if resume and run_id and resume != run_id:
        raise ValueError("give either --resume RUN_ID or --run-id, not two different ids")
    if resume and a.overwrite:
        raise ValueError("give either --resume or --overwrite, not both")
    if not resume and not hasattr(a, "data"):
        raise ValueError("--data is required (but for --resume, which reuses the run's)")
    notebooks = getattr(a, "notebooks", None)
    if notebooks is not None:
        notebooks = (
            _notebook_names()
            if notebooks == "all"
            else [n.strip() for n in notebooks.split(",") if n.strip()]
        )
    params = getattr(a, "param", None)
    run = pipeline.run_report(
        getattr(a, "data", None),
        out=a.out,
        run_id=resume or run_id,
        resume=bool(resume),
        overwrite=a.overwrite,
        timeout=a.timeout,
        fresh_kernels=a.fresh_kernels,
        executor=a.executor,
        scheduler=getattr(a, "scheduler", None),
        regions=getattr(a, "regions", None),
        notebooks=notebooks,
        notebook_dir=getattr(a, "notebook_dir", None),
        workers=getattr(a, "workers", None),
        lang=getattr(a, "lang", None),
        formats=getattr(a, "formats", None),
        parameters=None if params is None else dict(params),
        progress=not a.no_progress,
    )
    from .pipeline.executors import first_line

    for job in run.failed:
        print(f"FAILED {job.region} / {job.notebook}: {first_line(job.error)}", file=sys.stderr)
    kept = f", {len(run.kept)} kept from before" if resume else ""
    print(
        f"{len(run.written)} report{'' if len(run.written) == 1 else 's'} written{kept}, "
        f"{len(run.failed)} failed "
        f"({len(run.jobs)} in run {run.run_id})"
    )
    print(f"index: {run.index}")
    return EXIT_OK if run.ok else EXIT_FAILED


def _bounds(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"bounds are LO,HI (e.g. 0.5,3), got {text!r}") from None
    return lo, hi


def _cmd_weights(a: argparse.Namespace) -> int:
    from ..inputs.io.store import read_canonical, write_canonical
    from ..inputs.margins import read_enrolment
    from ..publication.weighting import calibrate_weights

    table = read_enrolment(a.margins)
    data = read_canonical(a.data)
    out, diagnostics = calibrate_weights(
        data, table, method=a.method, bounds=a.bounds, tol=a.tol, max_iter=a.max_iter
    )
    write_canonical(out, a.out)
    with pd_options():
        print(diagnostics.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
    print(
        f"wrote {a.out}: {len(out):,} respondents in {len(diagnostics)} county-waves, "
        f"weights calibrated by {a.method} to {a.margins.name}"
    )
    return EXIT_OK


def pd_options():
    import pandas as pd

    return pd.option_context("display.width", 200, "display.max_columns", 30)


def _cmd_codebook(a: argparse.Namespace) -> int:
    from ..inputs import codebook

    table = codebook.load().to_frame(lang=a.lang)
    print(table.drop(columns=["description"]).to_string(index=False))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sje`` command; returns the exit code."""
    parser = _parser()
    a = parser.parse_args(argv)
    if a.version:
        from .. import __version__

        print(__version__)
        return EXIT_OK
    if a.command is None:
        parser.print_help()
        return EXIT_USAGE
    handlers = {
        "synth": _cmd_synth,
        "examples": _cmd_examples,
        "ingest": lambda ns: _cmd_ingest(ns, write=True),
        "validate": lambda ns: _cmd_ingest(ns, write=False),
        "report": _cmd_report,
        "mapping": _cmd_mapping,
        "codebook": _cmd_codebook,
        "weights": _cmd_weights,
        "supervision": _cmd_supervision,
    }
    try:
        return handlers[a.command](a)
    except KeyboardInterrupt as exc:
        print(f"sje {a.command}: {exc or 'interrupted'}", file=sys.stderr)
        return 130
    except (ValueError, KeyError, FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"sje {a.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
