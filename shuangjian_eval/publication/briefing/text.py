"""Every sentence of the report, written when the briefing is computed.

:func:`_texts` gathers, in one language, the key findings (one sentence per verdict, naming the
indicators), the reading of each key chart (levels before and after, and the change, from
:func:`shuangjian_eval.publication.narrative.describe_change`), the equity sentences (hidden tutoring,
income groups, urban and rural schools), the verdict rules, the methods note and the scorecard
as an HTML table with verdict badges. Computed with the data, so that a cached briefing is shown
without the estimation stack; cells suppressed for size are never described.
"""

from __future__ import annotations

import dataclasses
import html
from typing import Any

import pandas as pd

from .. import formatting as fmt
from ..targets.rules import WITHOUT_BASELINE
from ._common import _VERDICT_ORDER, CHARTS, _badge, _md


def _texts(card: Any, table: pd.DataFrame, equity: dict[str, Any], meta: dict[str, Any],
           vr: Any, lang: str, area: pd.DataFrame | None = None) -> dict[str, Any]:  # fmt: skip
    """Every sentence of the report in one language (computed with the data, so a cached
    briefing is shown without the estimation stack)."""
    from ...inputs import policy as _policy
    from .. import narrative, tables
    from ..targets import rules_text

    pol = card.policy or _policy.load()
    window = meta["window"]
    rows = {r["indicator"]: r for _, r in table.iterrows()}
    readings = {}
    for key, spec in CHARTS.items():
        row = rows.get(spec["indicator"])
        if row is None or window is None:
            readings[key] = (
                "数据中没有可比较的调查轮次。"
                if lang == "zh"
                else "The data have no survey to compare."
            )
            continue
        sentence = narrative.describe_change(row, lang, window=window, level=vr.level, policy=pol)
        readings[key] = _levels(row, window, meta, lang) + sentence
    return {
        "findings": _findings(table, meta, lang),
        "readings": readings,
        "equity": _equity_sentences(equity, window, lang, min_cell=meta["min_cell"], meta=meta),
        "rules": rules_text(lang, vr, pol),
        "methods": narrative.methods_note(lang, policy=pol, rules=vr, plan=_plan_of(meta)),
        "plan": _plan_texts(meta, lang),
        "scorecard_html": _scorecard_html(
            tables.scorecard_table(table, lang=lang, min_cell=meta["min_cell"]),
            table,
            lang,
            meta,
            None
            if area is None
            else tables.scorecard_table(area, lang=lang, min_cell=meta["min_cell"]),
        ),  # fmt: skip
    }


#: The verdicts that meet each target window's target: at 3 years only remarkable results.
MEETS_TARGET = {"1y": ("remarkable", "effective"), "3y": ("remarkable",)}


def verdict_summary(counts: dict[str, int], window: str, wave: Any, lang: str) -> str:
    """One sentence on a target window: of the indicators, how many met the target (by
    verdict) and how many got each other verdict.

    >>> verdict_summary({"remarkable": 1, "effective": 8, "not_met": 1}, "1y", 2022, "zh")
    '1年目标“有效减轻”（2022年调查与政策前相比）：10 项指标中 9 项达到目标（成效显著 1 项、有效减轻 8 项），1 项未达到。'
    """
    n = sum(counts.values())
    met = [v for v in MEETS_TARGET[window] if counts.get(v)]
    parts = []
    if met:
        words = fmt.label(fmt.REPORT_TEXT, "verdict_met", lang,
                          count=sum(counts[v] for v in met))  # fmt: skip
        if len(met) > 1:
            detail = fmt.join_list(
                (fmt.label(fmt.REPORT_TEXT, "verdict_detail", lang, count=counts[v],
                           verdict=fmt.verdict_label(v, lang, sentence=True)) for v in met),
                lang,
            )  # fmt: skip
            words += fmt.label(fmt.REPORT_TEXT, "verdict_met_detail", lang, detail=detail)
        parts.append(words)
    for v in _VERDICT_ORDER:
        if v in MEETS_TARGET[window] or not counts.get(v):
            continue
        verdict = fmt.verdict_label(v, lang, sentence=True)
        parts.append(fmt.label(fmt.REPORT_TEXT, "verdict_part", lang, count=counts[v],
                               verdict=verdict))  # fmt: skip
    return fmt.label(
        fmt.REPORT_TEXT, "verdict_summary", lang, n=n, wave=wave,
        window=fmt.label(fmt.REPORT_TEXT, f"window_name_{window}", lang),
        parts=fmt.label(fmt.REPORT_TEXT, "verdict_part_list", lang).join(parts),
    )  # fmt: skip


#: The verdicts of a level without a baseline, in the order a summary names them.
_LEVEL_ORDER = (*WITHOUT_BASELINE, "insufficient")


def levels_summary(counts: dict[str, int], wave: Any, lang: str) -> str:
    """One sentence on the state at one wave without a baseline: of the indicators, how many
    stand better than, close to or below the national figure, and how many have none.

    >>> levels_summary({"level_better": 1, "level_similar": 2, "no_baseline": 9}, 2022, "zh")
    '2022年调查的现状（没有政策前基线，1年、3年目标无法判断）：12 项指标中 1 项好于全国水平，2 项与全国水平相当，9 项没有可比的全国数据。'
    """
    parts = []
    for v in _LEVEL_ORDER:
        if not counts.get(v):
            continue
        if v == "no_baseline":
            parts.append(fmt.label(fmt.REPORT_TEXT, "levels_no_figure", lang, count=counts[v]))
        else:
            verdict = fmt.verdict_label(v, lang, sentence=True)
            parts.append(fmt.label(fmt.REPORT_TEXT, "verdict_part", lang, count=counts[v],
                                   verdict=verdict))  # fmt: skip
    return fmt.label(
        fmt.REPORT_TEXT, "levels_summary", lang, n=sum(counts.values()), wave=wave,
        parts=fmt.label(fmt.REPORT_TEXT, "verdict_part_list", lang).join(parts),
    )  # fmt: skip


def trend_summary(counts: dict[str, int], meta: dict[str, Any], lang: str) -> str:
    """One sentence on the change between the 1-year and the 3-year wave, without a baseline.

    >>> trend_summary({"improved": 3, "unclear": 9, "worsened": 1},
    ...               {"one_year_wave": 2022, "three_year_wave": 2024}, "zh")
    '2022年到2024年的变化（政策实施后的走势）：13 项指标中 3 项改善，9 项没有可以确定的变化，1 项变差。'
    """
    parts = [fmt.label(fmt.REPORT_TEXT, f"trend_{k}", lang, count=counts[k])
             for k in ("improved", "unclear", "worsened") if counts.get(k)]  # fmt: skip
    return fmt.label(
        fmt.REPORT_TEXT, "trend_summary", lang, n=sum(counts.values()),
        first=meta["one_year_wave"], last=meta["three_year_wave"],
        parts=fmt.label(fmt.REPORT_TEXT, "verdict_part_list", lang).join(parts),
    )  # fmt: skip


def _levels(row: pd.Series, window: str, meta: dict[str, Any], lang: str) -> str:
    """ "Before the policy X; in <wave> Y. " from a scorecard row, when both are published."""
    period = "one_year" if window == "1y" else "three_year"
    base, now = row["baseline"], row[period]
    if bool(row.get("suppressed", False)) or pd.isna(base) or pd.isna(now):
        return ""
    unit = row["unit"]
    wave = meta["one_year_wave" if window == "1y" else "three_year_wave"]
    a, b = fmt.format_value(base, unit, lang), fmt.format_value(now, unit, lang)
    if lang == "zh":
        return f"政策前为 {a}，{wave}年为 {b}。"
    return f"Before the policy: {a}; in {wave}: {b}. "


def _findings(table: pd.DataFrame, meta: dict[str, Any], lang: str) -> list[str]:
    """One sentence per verdict at the latest target window, naming the indicators."""
    zh = lang == "zh"
    window = meta["window"]
    if window is None:
        return [
            "数据中没有政策后的调查轮次，无法评估目标。"
            if zh
            else "The data have no survey after the policy; the targets cannot be assessed."
        ]
    wave = meta["one_year_wave" if window == "1y" else "three_year_wave"]
    lead = {
        "zh": {
            "remarkable": "达到“3年内成效显著”目标",
            "effective": "达到“有效减轻”标准" if window == "3y" else "达到“1年内有效减轻”目标",
            "not_met": "未达到目标（可以确定）",
            "inconclusive": "尚无定论（数据不能判断是否达到）",
            "insufficient": "数据不足，无法判断",
            "level_better": "没有政策前基线，其水平好于全国数据",
            "level_similar": "没有政策前基线，其水平与全国数据相当",
            "level_worse": "没有政策前基线，其水平不及全国数据",
            "no_baseline": "没有政策前基线，也没有可比的全国数据，只报告现状",
        },
        "en": {
            "remarkable": "met the 3-year target of remarkable results",
            "effective": "met the standard of an effective reduction"
            if window == "3y"
            else "met the 1-year target of an effective reduction",
            "not_met": "fell short of the target (the data rule it out)",
            "inconclusive": "were inconclusive (the data cannot tell)",
            "insufficient": "had insufficient data to judge",
            "level_better": "have no pre-policy baseline and stand better than the national figure",
            "level_similar": "have no pre-policy baseline and stand close to the national figure",
            "level_worse": "have no pre-policy baseline and stand below the national figure",
            "no_baseline": "have no pre-policy baseline and no comparable national figure: "
            "their level is reported",
        },
    }[lang]
    out = []
    for v in _VERDICT_ORDER:
        names = [
            _md(r[f"label_{lang}"]) for _, r in table.iterrows() if r[f"verdict_{window}"] == v
        ]
        if not names:
            continue
        if zh:
            out.append(f"{wave}年，{len(names)} 项指标{lead[v]}：{'、'.join(names)}。")
        else:
            noun = "indicator" if len(names) == 1 else "indicators"
            verb = lead[v].replace("were ", "was ") if len(names) == 1 else lead[v]
            out.append(f"In {wave}, {len(names)} {noun} {verb}: {'; '.join(names)}.")
    if not has_baseline(meta):
        out.append(fmt.label(fmt.REPORT_TEXT, "levels_findings_note", lang))
        return out
    out.append(
        "以上均为政策前后的比较，描述的是变化，不能单独证明变化由政策引起（见第五部分）。"
        if zh
        else "All of these compare before and after the policy: they describe change and do not "
        "on their own show that the policy caused it (see section 5)."
    )
    return out


def has_baseline(meta: dict[str, Any]) -> bool:
    """Whether the region's data have a pre-policy baseline (its plan compares with one)."""
    plan = meta.get("plan")
    return bool(meta.get("baseline_waves")) and (plan is None or plan["kind"] == "before_after")


#: What the equity section describes: result, then (variable, quantity, group) of each row.
_EQUITY_ROWS: dict[str, tuple[str, str | None, list[tuple[str, str, Any]]]] = {
    "hidden": ("displacement", None, [("tutoring_hidden", "change", None),
                                      ("tutoring_hidden", "substitution_ratio", None)]),
    "income": ("spend_by_income", "income_quintile",
               [("tutoring_spend_year", "change", "Q1"), ("tutoring_spend_year", "change", "Q5"),
                ("tutoring_spend_year", "gap_change", "Q5")]),
    "urban": ("urban_rural", "urban", [("homework_min_weekday", "gap_change", True),
                                       ("tutoring_subject", "gap_change", True)]),
}  # fmt: skip
_EQUITY_SMALL = {
    "hidden": ("该地区受访者过少，不予报告。", "Too few respondents in this region to report."),
    "income": ("各收入组受访者过少，不予分组报告。", "Too few respondents in the income groups to report."),
    "urban": ("城镇或农村学校的受访者过少，不予分组报告。",
              "Too few respondents in urban or rural schools to report."),
}  # fmt: skip


def _plan_of(meta: dict[str, Any]) -> Any:
    from ..plan import Plan

    return None if meta.get("plan") is None else Plan.from_dict(meta["plan"])


def _plan_texts(meta: dict[str, Any], lang: str) -> dict[str, str]:
    """What the plan can show and its warning (empty without a plan), for the headline and
    the Word summary."""
    plan = _plan_of(meta)
    if plan is None:
        return {"what": "", "warning": ""}
    return {"what": plan.what(lang), "warning": plan.warning(lang)}


#: What the equity comparisons group by, as a sentence names it.
_GROUP_NAMES: dict[str, fmt.Text] = {
    "household_income": {"zh": "家庭收入", "en": "household income"},
    "urban": {"zh": "学校的城乡类别", "en": "whether a school is urban or rural"},
}


def _equity_missing_sentence(why: str, meta: dict[str, Any], lang: str) -> str:
    """Why an equity comparison is not made (see ``compute._equity_missing``)."""
    if why.startswith("column:"):
        what = fmt.label(_GROUP_NAMES, why.partition(":")[2], lang)
        return fmt.label(fmt.REPORT_TEXT, "equity_no_column", lang, what=what)
    plan = _plan_of(meta)
    reason = plan.unavailable("baseline", lang) if plan is not None else None
    return str(reason) if reason is not None else ""


def _equity_sentences(
    equity: dict[str, Any], window: str | None, lang: str, min_cell: int,
    meta: dict[str, Any] | None = None,
) -> dict[str, list[str]]:  # fmt: skip
    """Sentences on the rows of :data:`_EQUITY_ROWS` at ``window``: valid rows only; a group
    whose rows are all suppressed gets one sentence saying so, and one the data cannot give
    (no baseline, no such groups in the data) one saying why."""
    from .. import narrative

    missing = (meta or {}).get("equity_missing", {})
    out: dict[str, list[str]] = {
        name: [_equity_missing_sentence(why, meta or {}, lang)] for name, why in missing.items()
    }
    if window is None:
        return out
    for name, (key, by, wanted) in _EQUITY_ROWS.items():
        if name in out:
            continue
        result = equity[key]
        t = result.table
        sentences, small = [], False
        for variable, quantity, group in wanted:
            mask = (t["window"] == window) & (t["variable"] == variable)
            mask &= t["quantity"] == quantity
            if by is not None:
                mask &= t[by] == group
            rows = t[mask.to_numpy(bool)]
            small |= rows["reason"].astype(str).str.startswith("suppressed").any()
            rows = rows[rows["valid"].astype(bool)]
            if not rows.empty:
                part = dataclasses.replace(result, table=rows.reset_index(drop=True))
                sentences.append(narrative.describe_change(part, lang, min_cell=min_cell))
        if not sentences and small:
            sentences = [_EQUITY_SMALL[name][0 if lang == "zh" else 1]]
        out[name] = sentences
    return out


def _wrappable(value: str) -> str:
    """A table cell escaped, an estimate and its interval each kept on one line, the line
    allowed to break between them (so that a table fits the page)."""
    est, sep, ci = value.partition(" [")
    if not sep:
        return f'<span class="sje-nowrap">{html.escape(value)}</span>'
    return (f'<span class="sje-nowrap">{html.escape(est)}</span> '
            f'<span class="sje-nowrap sje-ci">[{html.escape(ci)}</span>')  # fmt: skip


def _area_cells(area: pd.DataFrame, window: str, rows: int, lang: str) -> list[tuple[str, str]]:
    """The whole area's change and verdict code at ``window`` for each scorecard row, from its
    report table (so that its suppressed cells stay blank)."""
    keys = area.attrs["keys"]
    change = next(c for c in area.columns if keys.get(c) == f"change_{window}")
    verdict = next(c for c in area.columns if keys.get(c) == f"verdict_{window}")
    hidden = set(area.attrs.get("suppressed", []))
    codes = {fmt.verdict_label(v, lang): v for v in fmt.VERDICTS}
    out = []
    for pos in range(rows):
        if pos in hidden or pos >= len(area):
            out.append((fmt.SUPPRESSED["n"][lang] if pos in hidden else "", ""))
        else:
            out.append((str(area[change].iloc[pos]), codes.get(str(area[verdict].iloc[pos]), "")))
    return out


def scorecard_parts(
    display: pd.DataFrame, meta: dict[str, Any], lang: str
) -> dict[str, tuple[str, pd.DataFrame]]:
    """The report's scorecard tables (:func:`shuangjian_eval.publication.tables.scorecard_parts`
    of ``display``, a :func:`~shuangjian_eval.publication.tables.scorecard_table`), each with
    its title, by target window; without a baseline, the levels tables of :func:`_level_parts`.
    The HTML, Word and Excel reports all show these."""
    from .. import tables

    parts = tables.scorecard_parts(display)
    waves = {w: meta["one_year_wave" if w == "1y" else "three_year_wave"] for w in parts}
    if not has_baseline(meta):
        parts = _level_parts(display, parts, waves, reported_windows(meta), lang)
    which = {w: f"scorecard_{w}" if has_baseline(meta) else "scorecard_levels" for w in parts}
    return {w: (fmt.label(fmt.REPORT_TEXT, which[w], lang, wave=waves[w]), part)
            for w, part in parts.items()}  # fmt: skip


def reported_windows(meta: dict[str, Any]) -> tuple[str, ...]:
    """The target windows a report speaks of: both with a baseline; without one, each whose
    wave is in the data (both when neither is)."""
    if has_baseline(meta):
        return ("1y", "3y")
    waves = {"1y": meta["one_year_wave"], "3y": meta["three_year_wave"]}
    return tuple(w for w in waves if waves[w] in meta["waves"]) or ("1y", "3y")


def summary_lines(counts: dict[str, dict[str, int]], meta: dict[str, Any], lang: str) -> list[str]:
    """The overall sentences of a report: the verdicts at each target window (with a
    baseline), or the levels at each target wave in the data and the trend between them."""
    waves = {"1y": meta["one_year_wave"], "3y": meta["three_year_wave"]}
    if has_baseline(meta):
        return [verdict_summary(counts[w], w, waves[w], lang) for w in ("1y", "3y")]
    lines = [levels_summary(counts[w], waves[w], lang) for w in reported_windows(meta)]
    if meta.get("trend_counts"):
        lines.append(trend_summary(meta["trend_counts"], meta, lang))
    return lines


def _level_parts(display: pd.DataFrame, parts: dict[str, pd.DataFrame], waves: dict[str, int],
                 windows: tuple[str, ...], lang: str) -> dict[str, pd.DataFrame]:  # fmt: skip
    """The scorecard's tables without a baseline: one for each target wave in the data, no
    baseline column, the level and its comparison with the national figure under headers
    that say so, the count in the last table."""
    from .. import tables

    keys = display.attrs["keys"]
    shown = {w: parts[w] for w in windows}
    count = [c for c in display.columns if keys.get(c) == "n"]
    ci = tables.ci_header(lang)
    out = {}
    for pos, (w, part) in enumerate(shown.items()):
        cols = [c for c in part.columns if keys.get(c) not in ("baseline", "n")]
        if pos == len(shown) - 1:
            cols += count
        names = {
            f"change_{w}": fmt.label(fmt.REPORT_TEXT, "level_at", lang, wave=waves[w]) + f" {ci}",
            f"verdict_{w}": fmt.label(fmt.REPORT_TEXT, "against_national", lang),
        }  # fmt: skip
        frame = display[cols].rename(columns={c: names.get(keys[c], c) for c in cols})
        unit = next((c for c in frame.columns if keys.get(c) == "unit"), None)
        if unit is not None:  # a level's unit, not that of a change ("%", not "% / 百分点")
            frame[unit] = frame[unit].astype(str).str.split(" / ").str[0]
        frame.attrs = {**display.attrs,
                       "keys": {names.get(keys[c], c): keys[c] for c in cols}}  # fmt: skip
        out[w] = frame
    return out


def _scorecard_html(display: pd.DataFrame, table: pd.DataFrame, lang: str,
                    meta: dict[str, Any], area: pd.DataFrame | None = None) -> str:  # fmt: skip
    """The scorecard as HTML, one numbered table per target window
    (:func:`shuangjian_eval.publication.tables.scorecard_parts`) so that each fits the page:
    every cell escaped, verdict cells as badges, numbers kept on one line."""
    hidden = set(display.attrs.get("suppressed", []))
    out = []
    for number, (window, (title, part)) in enumerate(
        scorecard_parts(display, meta, lang).items(), start=1
    ):
        keys = part.attrs["keys"]
        caption = fmt.label(fmt.REPORT_TEXT, "table", lang, number=number, title=title)
        area_cells = _area_cells(area, window, len(part), lang) if area is not None else None
        heads = list(part.columns)
        if area_cells is not None:
            heads.append(fmt.label(fmt.REPORT_TEXT, "area_column", lang))
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in heads)
        body = []
        for pos, rec in enumerate(part.itertuples(index=False, name=None)):
            cells = [f"<td>{html.escape(str(rec[0]))}</td>"]
            for col, value in zip(part.columns[1:], rec[1:], strict=True):
                text = _wrappable(str(value))
                key = keys[col]
                if key.startswith("verdict") and pos not in hidden and value:
                    text = _badge(str(table.iloc[pos][key]), lang)
                css = ' class="sje-suppressed"' if pos in hidden else ""
                cells.append(f"<td{css}>{text}</td>")
            if area_cells is not None:
                change, verdict = area_cells[pos]
                badge = _badge(verdict, lang) if verdict else ""
                cells.append(f'<td class="sje-area">{_wrappable(change)} {badge}</td>')
            body.append("<tr>" + "".join(cells) + "</tr>")
        out.append(  # kept on one printed page with its caption (sje-keep, report.css)
            f'<div class="sje-keep"><table class="sje-report-table"><caption>'
            f"{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>"
        )
    notes = "".join(
        f'<p class="sje-note">{html.escape(n)}</p>' for n in display.attrs.get("notes", [])
    )
    return f'<div class="sje-table" style="font-size: .88rem;">{"".join(out)}{notes}</div>'
