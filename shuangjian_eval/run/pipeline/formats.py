"""The formats of a run's policy reports beyond the HTML page: Word, Excel and PDF.

``sje report --formats html,docx,xlsx,pdf``: the HTML page is always written (the index links
to it); the Word document and the Excel workbook are built from the region's briefing
(:mod:`shuangjian_eval.publication.documents`), the PDF is the HTML page printed by a headless
Chromium (A4, the page's print style), when one is installed. Each is written beside the
page, under the same name.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ...base.files import atomic_path
from ...base.options import check_choice
from .parameters import ParameterError

#: Every format a report run can write, in the index's order.
FORMATS = ("html", "docx", "xlsx", "pdf")
_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


def browser() -> str | None:
    """The path of a headless-capable Chromium, or None."""
    return next((p for p in map(shutil.which, _BROWSERS) if p), None)


def check_formats(formats: str | Sequence[str]) -> tuple[str, ...]:
    """The formats asked for (a comma-separated string or a sequence), checked, with "html"
    always among them; raises :class:`ParameterError` for an unknown one, or for "pdf" where
    no Chromium is installed."""
    asked = formats.split(",") if isinstance(formats, str) else list(formats)
    out = ["html"]
    for name in (str(f).strip().lower() for f in asked):
        if not name:
            continue
        try:
            check_choice("format", name, FORMATS)
        except ValueError as exc:
            raise ParameterError(str(exc)) from None
        if name == "pdf" and browser() is None:
            raise ParameterError("format 'pdf' needs Chromium (chromium --headless); none found")
        if name not in out:
            out.append(name)
    return tuple(f for f in FORMATS if f in out)


def print_pdf(html: str | Path, pdf: str | Path, timeout: float = 120.0) -> Path:
    """Print an HTML page to PDF with headless Chromium (its print style: A4)."""
    exe = browser()
    if exe is None:
        raise RuntimeError("no Chromium to print PDF with")
    pdf = Path(pdf)
    with atomic_path(pdf) as tmp:
        subprocess.run(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
             f"--print-to-pdf={tmp}", Path(html).resolve().as_uri()],
            check=True, capture_output=True, timeout=timeout,
        )  # fmt: skip
        if not Path(tmp).exists() or Path(tmp).stat().st_size == 0:
            raise RuntimeError(f"Chromium printed no PDF of {html}")
    return pdf


def write_formats(job: Any, formats: Sequence[str], *, lang: str, title: str,
                  footer: Mapping[str, str]) -> list[Path]:  # fmt: skip
    """The policy report of ``job`` in ``formats`` other than HTML, beside its page."""
    from ...publication import briefing, documents

    html = Path(job.html)
    out: list[Path] = []
    docs = [f for f in formats if f in documents.DOCUMENT_FORMATS]
    if docs:
        params = job.parameters
        b = briefing.load_or_compute(
            params["data_path"], region=job.region, cache_path=params.get("cache_path", ""),
            min_cell=params.get("min_cell"), plan=params.get("plan", "auto"),
        )  # fmt: skip
        out += documents.write_documents(
            b, html.parent, docs, stem=html.stem, lang=lang, title=title, footer=footer
        )
    if "pdf" in formats:
        out.append(print_pdf(html, html.with_suffix(".pdf")))
    return out
