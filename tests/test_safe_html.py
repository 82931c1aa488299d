"""Text from the data is published as text: region names and free-text answers are escaped in
every rendered page, and a region's name cannot move its reports out of the run folder.

One report run (every notebook) on a small synthetic survey whose counties are named
``<script>alert(1)</script>``, ``<img src=x onerror=alert(1)>`` and ``../../evil``, and whose
schools carry markup in ``school_id`` too; the run covers the first county, all regions and the
last. Expected: the names appear escaped (``&lt;script&gt;`` ...), the pages hold no element or
attribute that runs script, and every file of the run lies inside its run folder.
"""

from __future__ import annotations

import json
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_browser import Browser, _find_chromium

import shuangjian_eval as sje
from shuangjian_eval import pipeline, regions

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "shuangjian_eval" / "notebooks"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
EVIL = "../../evil"
COUNTIES = {"样本县001": SCRIPT, "样本县002": IMG, "样本县003": EVIL}


@pytest.fixture(scope="module")
def evil_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("safe")
    df = sje.synth.generate(
        n_schools=18, students_per_school=12, n_counties=3, waves=(2019, 2020, 2022, 2024), seed=4
    )
    county = df["county"].astype(str)
    first = df.groupby(county, observed=True)["school_id"].transform(lambda s: s.astype(str).min())
    school = df["school_id"].astype(str)
    marked = school.where(school != first, school + '"><img src=x onerror=alert(2)>')
    df["school_id"] = marked.astype("category")
    df["county"] = county.map(COUNTIES).astype("category")
    data = root / "survey.parquet"
    df.to_parquet(data, index=False)
    out = root / "a" / "b" / "reports"
    run = pipeline.run_report(
        data,
        out=out,
        run_id="x",
        regions=[SCRIPT, "all", EVIL],
        notebooks=list(pipeline.NOTEBOOKS),
        notebook_dir=NOTEBOOK_DIR,
        workers=2,
        progress=False,
    )
    return run, root


class _Live(HTMLParser):
    """Everything in a page that could run script: script-like elements, ``on*`` attributes,
    ``javascript:`` URLs, and images from anywhere but ``data:``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.images = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed", "base", "form"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            v = (value or "").strip().lower()
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("src", "href", "action", "formaction", "srcdoc") and v.startswith(
                ("javascript:", "vbscript:", "data:text")
            ):
                self.found.append(f"<{tag} {name}={v[:30]}>")
        if tag == "img":
            self.images += 1
            if not dict(attrs).get("src", "").startswith("data:image/png;base64,"):
                self.found.append(f"<img src={dict(attrs).get('src')!r}>")


def _live(page: Path) -> tuple[list[str], int]:
    parser = _Live()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.found, parser.images


def _pages(run) -> list[Path]:
    return [run.index, *(Path(j.html) for j in run.jobs)]


def test_every_report_ran(evil_run):
    run, _ = evil_run
    assert run.ok, [(j.region, j.notebook, j.error) for j in run.failed]
    assert len(run.jobs) == 3 * len(pipeline.NOTEBOOKS)


def test_no_page_holds_anything_that_runs(evil_run):
    run, _ = evil_run
    charts = 0
    for page in _pages(run):
        found, images = _live(page)
        assert not found, f"{page.relative_to(run.out_dir)}: {found}"
        charts += images
    assert charts > 20  # the check saw the charts' <img> elements


def test_the_checker_sees_live_markup():
    # the parser itself, on the unescaped forms (else the test above proves nothing)
    parser = _Live()
    parser.feed(f"<p>{SCRIPT}{IMG}<a href='javascript:alert(1)'>x</a></p>")
    assert parser.found == ["<script>", "<img onerror=...>", "<img src='x'>",
                            "<a href=javascript:alert(1)>"]  # fmt: skip


def test_region_names_are_shown_as_text(evil_run):
    run, _ = evil_run
    escaped = SCRIPT.replace("<", "&lt;").replace(">", "&gt;")
    for job in run.jobs:
        if job.region == SCRIPT:  # the title and masthead of every page, at least
            text = Path(job.html).read_text(encoding="utf-8")
            assert text.count(escaped) >= 2, job.notebook
    quality = next(j for j in run.jobs if j.region == "all" and j.notebook == "00_data_quality")
    text = Path(quality.html).read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in text  # the county table of all regions
    index = run.index.read_text(encoding="utf-8")
    assert escaped in index and "../../evil" in index
    # narrative and tables of the county's reports name it as text too
    report = next(
        j for j in run.jobs if j.region == SCRIPT and j.notebook == "10_homework_and_sleep"
    )
    assert Path(report.html).read_text(encoding="utf-8").count(escaped) >= 4


def test_a_region_name_cannot_leave_the_run_folder(evil_run):
    run, root = evil_run
    out_dir = run.out_dir.resolve()
    for job in run.jobs:
        for path in (job.html, job.ipynb):
            p = Path(path).resolve()
            assert p.is_relative_to(out_dir) and p.parent.parent == out_dir, path
    folder = Path(next(j.html for j in run.jobs if j.region == EVIL)).parent.name
    assert folder == regions.slug(EVIL) and "." not in folder and os.sep not in folder
    outside = [
        p for p in root.rglob("*") if p.is_file() and not p.resolve().is_relative_to(out_dir)
    ]
    assert [p.name for p in outside] == ["survey.parquet"]
    manifest = json.loads(run.manifest.read_text(encoding="utf-8"))
    assert not any(".." in Path(j["html"]).parts for j in manifest["jobs"])


def test_regions_never_share_a_folder():
    # "a/b" and "a_b" sanitise alike; the hash of the changed name keeps them apart
    names = ["a/b", "a_b", "a b", "..", ".", "样本县001", SCRIPT]
    slugs = [regions.slug(n) for n in names]
    assert len(set(slugs)) == len(names) and regions.slug("样本县001") == "样本县001"
    assert all(s and "." not in s and "/" not in s for s in slugs)


def test_pages_open_without_dialog_or_error(evil_run, tmp_path):
    exe = _find_chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed, and in CI the browser test must run")
        pytest.skip("Chromium not found (install it or set SJE_CHROMIUM); CI is not set")
    run, _ = evil_run
    wanted = {(SCRIPT, "90_policy_report"), (SCRIPT, "10_homework_and_sleep"),
              ("all", "00_data_quality")}  # fmt: skip
    pages = [run.index] + [Path(j.html) for j in run.jobs if (j.region, j.notebook) in wanted]
    browser = Browser(exe, tmp_path / "profile")
    try:
        for i, page in enumerate(pages):
            visit = browser.visit(page.as_uri(), tmp_path / f"page{i}.png")
            assert not visit["errors"], (page.name, visit["errors"])
            assert "alert(1)" in visit["text"], page.name  # shown as text
        dialogs = [e for e in browser.events if e.get("method") == "Page.javascriptDialogOpening"]
        assert not dialogs, dialogs
    finally:
        browser.close()
