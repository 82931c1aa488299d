"""The run's index page: every region with its links, status and headline verdicts."""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path

from ...base.files import atomic_write
from ...publication import formatting as fmt
from ._common import NOTEBOOKS, ReportRun

_INDEX = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{{ title }}</title><style>{{ css | safe }}</style></head>
<body>
<header class="sje-masthead"><div class="sje-title">{{ title }}</div>
<div class="sje-subtitle">{{ subtitle }}</div></header>
<main class="sje-report">
<table class="sje-index">
<thead><tr><th>{{ h_region }}</th>{% for h in h_verdicts %}<th>{{ h }}</th>{% endfor %}
<th>{{ h_reports }}</th></tr></thead>
<tbody>
{% for region, verdicts, cells in rows %}<tr><td>{{ region }}</td>
{% for window in verdicts %}<td class="sje-verdicts">{% for css, label, count in window %}
<span class="sje-badge {{ css }}">{{ label }} {{ count }}</span>{% endfor %}</td>{% endfor %}
<td class="sje-links">{% for job in cells %}{% if job.status == 'ok' %}<a href="{{ job.href }}">{{ job.title }}</a>
{% for label, href in job.others %}<a class="sje-format" href="{{ href }}">{{ label }}</a>{% endfor %}
{% else %}<span class="sje-failed"><span class="sje-badge not-met">{{ job.title }}{{ colon }}{{ failed_label }}</span>
{{ job.reason }}<details class="sje-error"><summary>{{ details_label }}</summary><pre>{{ job.error }}</pre></details></span>
{% endif %}{% endfor %}</td></tr>
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
    from ...publication import briefing
    from ...publication.targets import VERDICT_LABELS

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
        resources.files("shuangjian_eval.run")
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
                    "title": NOTEBOOKS[name][lang],
                    "others": [
                        (
                            fmt.label(fmt.REPORT_TEXT, f"format_{suffix}", lang),
                            os.path.relpath(Path(job.html).with_suffix(f".{suffix}"), run.out_dir),
                        )
                        for suffix in ("docx", "xlsx", "pdf")
                        if Path(job.html).with_suffix(f".{suffix}").exists()
                    ],  # fmt: skip
                    "reason": fmt.label(
                        fmt.FAILURE_REASONS, fmt.failure_reason(job.error, job.status), lang
                    ),
                }
            )
        label = next(j.label for j in run.jobs if j.region == region)
        rows.append((label, _headline_verdicts(run.caches.get(region), lang), cells))
    text = functools.partial(fmt.label, fmt.REPORT_TEXT, lang=lang)
    html = env.from_string(_INDEX).render(
        lang=lang,
        title=text("index_title"),
        subtitle=fmt.label(
            fmt.REPORT_TEXT,
            "index_subtitle",
            lang,
            run_id=run.run_id,
            n=len(run.jobs),
            failed=len(run.failed),
        ),  # fmt: skip
        css=css,
        h_region=fmt.stat_label("region", lang),
        h_verdicts=[text("window_1y"), text("window_3y")] if run.caches else [],
        h_reports=text("reports"),
        rows=rows,
        failed_label=text("failed"),
        colon=fmt.colon(lang).strip(),
        details_label=text("error_details"),
        footer=footer,
    )
    atomic_write(run.index, html)
