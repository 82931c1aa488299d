"""The run's index page: every region with its links, status and headline verdicts."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from ...base.files import atomic_write
from ._common import NOTEBOOKS, ReportRun

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
    atomic_write(run.index, html)
