"""The policy report as a Word document and an Excel workbook, for officials who file and
forward it.

Both are built from the region's :class:`~shuangjian_eval.publication.briefing.Briefing`, the
data the HTML report shows: the same sentences, the same scorecard tables (one per target
window, :func:`shuangjian_eval.publication.tables.scorecard_parts`) and the same charts.

- :func:`write_docx`: the layout of a Chinese official report: a centred title, sections
  一、二、三、..., numbered tables (表1 ...) and figures (图1 ...) with their captions, the data
  note, a glossary, and the data's fingerprint, version and time in the page footer.
- :func:`write_xlsx`: the scorecard on one sheet (estimates, interval bounds and units each in
  a column of its own, verdicts as words) and each key chart's estimates on a sheet of its own.

Small cells: the briefing holds no suppressed number (its cells are blank), and every row
that rests on fewer than ``min_cell`` respondents is written as the suppression mark here as
well (:mod:`shuangjian_eval.publication.suppression`), so no format publishes more than the
HTML.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..base.files import atomic_path
from . import formatting as fmt
from . import suppression, tables

__all__ = ["DOCUMENT_FORMATS", "write_docx", "write_xlsx"]

#: Formats written by this module (the HTML and PDF are the run layer's).
DOCUMENT_FORMATS = ("docx", "xlsx")

_FONT_TITLE, _FONT_HEAD, _FONT_BODY = "SimHei", "SimHei", "SimSun"
_PAGE_WIDTH_CM = 15.5  # A4 less 2.7 cm margins on each side
_MAX_FIGURE_CM = 19.0  # the height of a figure at most: with its heading and caption on a page
_FIRST_COLUMN_CM = 4.0  # a table's indicator column


def _plain(markdown: str) -> str:
    """Briefing Markdown as plain text: no emphasis marks, no escapes, no tags."""
    text = re.sub(r"<[^>]+>", "", str(markdown))
    text = re.sub(r"\*\*(.*?)\*\*", r"\1", text)
    text = re.sub(r"\\(.)", r"\1", text)
    return html.unescape(text).strip()


def _scorecard_tables(b: Any, lang: str) -> dict[str, tuple[str, pd.DataFrame]]:
    """The report's scorecard tables by target window, each with its title, with the whole
    area's column for a county (as the HTML's); suppressed rows carry the mark."""
    from .briefing.text import _area_cells, scorecard_parts

    min_cell = int(b.meta["min_cell"])
    display = tables.scorecard_table(b.scorecard, lang=lang, min_cell=min_cell)
    area = b.frames.get("area_scorecard")
    area_display = (
        None if area is None else tables.scorecard_table(area, lang=lang, min_cell=min_cell)
    )
    out = {}
    for window, (title, part) in scorecard_parts(display, b.meta, lang).items():
        part = part.copy()
        if area_display is not None:
            cells = _area_cells(area_display, window, len(part), lang)
            part[fmt.label(fmt.REPORT_TEXT, "area_column", lang)] = [
                f"{change} {fmt.verdict_label(v, lang) if v else ''}".strip() for change, v in cells
            ]
        out[window] = (title, part)
    return out


def _summary_lines(b: Any, lang: str) -> list[str]:
    """The plan's warning and what it can show, the overall sentences (the verdicts of each
    target window, or the levels and the trend) and the indicators not met."""
    plan = b._text(lang).get("plan") or {}
    lines = [text for text in (plan.get("warning"), plan.get("what")) if text]
    lines += b.summary_lines(lang)
    missed = b.not_met_names(lang)
    if missed:
        lines.append(fmt.label(fmt.REPORT_TEXT, "not_met_lead", lang) + missed)
    return lines


# ------------------------------------------------------------------------------ Word
def _east_asian(run: Any, font: str) -> None:
    """Set a run's font for Chinese characters as well as Latin ones."""
    from docx.oxml.ns import qn

    run.font.name = font
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), font)


def _para(doc: Any, text: str, *, size: float = 12, font: str = _FONT_BODY, bold: bool = False,
          align: str | None = None, indent: bool = False, keep: bool = False) -> Any:  # fmt: skip
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    run = p.add_run(text)
    run.font.size, run.bold = Pt(size), bold
    _east_asian(run, font)
    if align == "center":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if indent:  # the first line indented by two characters, as official documents are
        p.paragraph_format.first_line_indent = Pt(2 * size)
    p.paragraph_format.keep_with_next = keep
    p.paragraph_format.space_after = Pt(4)
    return p


def _heading(doc: Any, text: str, level: int) -> Any:
    """A section (level 1: 一、...) or subsection heading, kept with what follows; a Word
    heading style, so that the navigation pane and a table of contents find it."""
    from docx.shared import Pt, RGBColor

    h = doc.add_heading("", level=level)
    run = h.add_run(text)
    run.font.size = Pt(16 if level == 1 else 14)
    run.font.color.rgb = RGBColor(0, 0, 0)
    _east_asian(run, _FONT_HEAD)
    h.paragraph_format.keep_with_next = True
    return h


def _table(doc: Any, frame: pd.DataFrame, caption: str) -> Any:
    """A numbered table: its caption centred above it, a header row repeated on each page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    _para(doc, caption, size=11, font=_FONT_HEAD, align="center", keep=True)
    t = doc.add_table(rows=1, cols=len(frame.columns))
    t.style = "Table Grid"
    for cell, name in zip(t.rows[0].cells, frame.columns, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(name))
        run.bold, run.font.size = True, Pt(9)
        _east_asian(run, _FONT_HEAD)
    header = t.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header.append(repeat)
    for rec in frame.itertuples(index=False, name=None):
        row = t.add_row()
        whole = OxmlElement("w:cantSplit")  # a row is not broken across pages
        whole.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(whole)
        cells = row.cells
        for cell, value in zip(cells, rec, strict=True):
            run = cell.paragraphs[0].add_run(str(value))
            run.font.size = Pt(9)
            _east_asian(run, _FONT_BODY)
    rest = (_PAGE_WIDTH_CM - _FIRST_COLUMN_CM) / max(len(frame.columns) - 1, 1)
    t.autofit = False
    widths = [Cm(_FIRST_COLUMN_CM if k == 0 else rest) for k in range(len(frame.columns))]
    for column, width in zip(t.columns, widths, strict=True):
        column.width = width  # the table grid, which LibreOffice and WPS lay out by
    for row in t.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width  # each cell's own width, which Word lays out by
    return t


def _figure(doc: Any, png: bytes, caption: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    from .briefing.model import _png_size

    w, h = _png_size(png)
    width = min(_PAGE_WIDTH_CM, _MAX_FIGURE_CM * w / h)  # a tall chart fits a page with its heading
    doc.add_picture(io.BytesIO(png), width=Cm(width))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.paragraphs[-1].paragraph_format.keep_with_next = True
    _para(doc, caption, size=11, font=_FONT_HEAD, align="center")


def write_docx(
    b: Any,
    path: str | Path,
    *,
    lang: str = "zh",
    title: str = "",
    footer: Mapping[str, str] | None = None,
) -> Path:
    """Write the policy report of briefing ``b`` as a Word document (see the module notes).

    ``title``: the report's title (the HTML page's); ``footer``: the page footer's items
    (data fingerprint, version, time), as the HTML's.
    """
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    from .briefing import SECTIONS

    fmt.check_lang(lang)
    doc = docx.Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.7))
    section.top_margin, section.bottom_margin = Cm(3.0), Cm(2.5)
    style = doc.styles["Normal"]
    style.font.size = Pt(12)
    _east_asian(style, _FONT_BODY)

    _para(doc, title, size=20, font=_FONT_TITLE, bold=True, align="center")
    if b.synthetic:
        _para(doc, fmt.label(fmt.REPORT_TEXT, "synthetic_notice", lang), size=11, bold=True,
              align="center")  # fmt: skip
    number = {"table": 0, "figure": 0}

    def caption(kind: str, words: str) -> str:
        number[kind] += 1
        return fmt.label(fmt.REPORT_TEXT, kind, lang, number=number[kind], title=words)

    _heading(doc, SECTIONS["summary"][lang], 1)
    for line in _summary_lines(b, lang):
        _para(doc, line, bold=True, indent=True)
    for sentence in b._text(lang)["findings"]:
        _para(doc, _plain(sentence), indent=True)

    _heading(doc, SECTIONS["scorecard"][lang], 1)
    chart = b.scorecard_chart(lang)
    if hasattr(chart, "png"):
        _figure(doc, chart.png, caption("figure", chart.title))
    for title, part in _scorecard_tables(b, lang).values():
        _table(doc, part, caption("table", title))
    for note in tables.scorecard_table(b.scorecard, lang=lang).attrs.get("notes", []):
        _para(doc, note, size=10)
    for line in b._text(lang)["rules"].splitlines():
        if line.strip():
            _para(doc, line.strip(), size=10)

    _heading(doc, SECTIONS["charts"][lang], 1)
    for k, key in enumerate(b.chart_keys(), start=1):
        reading = b.reading(key, lang).split("\n\n", 1)
        numeral = _chinese_number(k) if lang == "zh" else k
        _heading(doc, fmt.label(fmt.REPORT_TEXT, "subsection", lang, number=numeral,
                                title=_plain(reading[0].lstrip("# "))), 2)  # fmt: skip
        if len(reading) > 1:
            _para(doc, _plain(reading[1]), indent=True)
        chart = b.chart(key, lang)
        if hasattr(chart, "png"):
            _figure(doc, chart.png, caption("figure", chart.title))
        else:
            _para(doc, _plain(chart), size=10)

    _heading(doc, SECTIONS["equity"][lang], 1)
    for line in b.equity(lang).splitlines():
        _para(doc, _plain(line.lstrip("- ")), indent=True)

    _heading(doc, SECTIONS["methods"][lang], 1)
    for block in b.methods(lang).split("\n\n"):
        if block.strip():
            _para(doc, _plain(block), size=11, indent=True)

    _heading(doc, SECTIONS["glossary"][lang], 1)
    from . import narrative

    for term, words in narrative.glossary(lang):
        p = _para(doc, term + fmt.colon(lang), size=11, font=_FONT_HEAD, bold=True)
        run = p.add_run(words)
        run.font.size = Pt(11)
        _east_asian(run, _FONT_BODY)

    items = "    ".join(f"{k} {v}" for k, v in (footer or {}).items())
    if items:
        foot = section.footer.paragraphs[0]
        run = foot.add_run(items)
        run.font.size = Pt(8)
        _east_asian(run, _FONT_BODY)
    path = Path(path)
    with atomic_path(path) as tmp:
        doc.save(str(tmp))
    return path


_DIGITS_ZH = "一二三四五六七八九十"


def _chinese_number(k: int) -> str:
    """1 -> 一 ... 10 -> 十 (the numbers of subsections, （一）（二）...); beyond: digits."""
    return _DIGITS_ZH[k - 1] if 1 <= k <= len(_DIGITS_ZH) else str(k)


# ------------------------------------------------------------------------------ Excel
def _sheet_name(words: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "", words)[:28] or "sheet"
    base, k = name, 2
    while name in used:
        name, k = f"{base[:25]}-{k}", k + 1
    used.add(name)
    return name


_LEVELS = ("one_year", "three_year")  # the levels after the policy, beside the changes


def _scorecard_rows(b: Any, lang: str) -> tuple[list[str], list[list[Any]]]:
    """The scorecard as numbers in display units: a column for each estimate, bound, unit
    and verdict; a suppressed row (or one from fewer than ``min_cell``) shows only the mark."""
    min_cell = int(b.meta["min_cell"])
    lab = fmt.stat_label

    def with_bounds(key: str) -> list[str]:
        what = lab(key, lang)
        return [what, lab("ci_lower", lang, what=what), lab("ci_upper", lang, what=what)]

    head = [lab("indicator", lang), lab("unit", lang), *with_bounds("baseline")]
    for w in ("1y", "3y"):
        head += [*with_bounds(f"change_{w}"), lab(f"verdict_{w}", lang)]
    head += [fmt.label(fmt.REPORT_TEXT, "level", lang, when=lab(p, lang)) for p in _LEVELS]
    head += [lab("n", lang), fmt.label(fmt.REPORT_TEXT, "national_figure", lang)]
    area = b.frames.get("area_scorecard")
    if area is not None:
        area_name = fmt.label(fmt.REPORT_TEXT, "area_column", lang)
        head += [f"{area_name} {lab(f'change_{w}', lang)}" for w in ("1y", "3y")]
        head += [f"{area_name} {lab(f'verdict_{w}', lang)}" for w in ("1y", "3y")]
    rows = []
    for pos, r in b.scorecard.reset_index(drop=True).iterrows():
        unit = None if pd.isna(r["unit"]) else str(r["unit"])
        info = fmt.unit_info(unit)
        hidden = bool(r.get("suppressed", False)) or suppression.is_small(r.get("n"),
                                                                          min_cell=min_cell)  # fmt: skip
        units = dict.fromkeys((info.axis[lang], info.change_axis[lang]))
        row: list[Any] = [r[f"label_{lang}"], " / ".join(units)]
        if hidden:
            mark = fmt.SUPPRESSED["n"][lang]
            row += [mark] + [None] * 2 + ([None] * 3 + [mark]) * 2 + [None] * 4
        else:
            row += [_scaled(r, "baseline", info.scale, s) for s in ("", "_ci_lower", "_ci_upper")]
            for w in ("1y", "3y"):
                row += [_scaled(r, f"change_{w}", info.scale, s)
                        for s in ("", "_ci_lower", "_ci_upper")]  # fmt: skip
                row.append(fmt.verdict_label(str(r[f"verdict_{w}"]), lang))
            row += [_scaled(r, p, info.scale, "") for p in _LEVELS]
            row += [int(r["n"]) if pd.notna(r.get("n")) else None,
                    _scaled(r, "official_value", info.scale, "")]  # fmt: skip
        if area is not None:
            a = area.iloc[pos]
            a_hidden = bool(a.get("suppressed", False)) or suppression.is_small(
                a.get("n"), min_cell=min_cell
            )
            row += [None if a_hidden else _scaled(a, f"change_{w}", info.scale, "")
                    for w in ("1y", "3y")]  # fmt: skip
            row += [fmt.SUPPRESSED["n"][lang] if a_hidden
                    else fmt.verdict_label(str(a[f"verdict_{w}"]), lang) for w in ("1y", "3y")]  # fmt: skip
        rows.append(row)
    return head, rows


def _scaled(row: Any, column: str, scale: float, suffix: str) -> float | None:
    value = row.get(column + suffix)
    if value is None or pd.isna(value) or not np.isfinite(float(value)):
        return None
    return round(float(value) * scale, 4)


def _chart_rows(b: Any, key: str, lang: str) -> tuple[list[str], list[list[Any]]] | None:
    """A key chart's estimates by wave (and stage): estimate, bounds, unit, respondents;
    suppressed or invalid points as the mark."""
    frame = b.frames.get(f"chart:{key}")
    if frame is None or "estimate" not in frame.columns or frame.empty:
        return None
    min_cell = int(b.meta["min_cell"])
    variable = str(frame["variable"].iloc[0])
    unit = fmt.variable_unit(variable)
    info = fmt.unit_info(unit)
    lab = fmt.stat_label
    what = lab("estimate", lang)
    head = [fmt.label(fmt.REPORT_TEXT, "wave", lang), fmt.variable_label("stage", lang), what,
            lab("ci_lower", lang, what=what), lab("ci_upper", lang, what=what),
            lab("unit", lang), lab("n", lang)]  # fmt: skip
    rows = []
    for _, r in frame.iterrows():
        stage = "" if pd.isna(r.get("stage")) else fmt.category_label("stage", r["stage"], lang)
        shown = bool(r.get("valid")) and pd.notna(r["estimate"])
        shown &= not suppression.is_small(r.get("n"), min_cell=min_cell)
        if not shown:
            rows.append([int(r["wave"]), stage, fmt.SUPPRESSED["n"][lang], None, None,
                         info.axis[lang], None])  # fmt: skip
            continue
        rows.append([int(r["wave"]), stage, *(_scaled(r, c, info.scale, "")
                     for c in ("estimate", "ci_lower", "ci_upper")),
                     info.axis[lang], int(r["n"])])  # fmt: skip
    return head, rows


def write_xlsx(b: Any, path: str | Path, *, lang: str = "zh", title: str = "",
               footer: Mapping[str, str] | None = None) -> Path:  # fmt: skip
    """Write the scorecard and the key charts' estimates of briefing ``b`` as an Excel
    workbook, one sheet each (see the module notes); ``title`` and ``footer`` head and close
    the scorecard sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from .briefing import CHARTS

    fmt.check_lang(lang)
    wb = Workbook()
    used: set[str] = set()
    sheets: list[tuple[str, str, tuple[list[str], list[list[Any]]]]] = [
        (fmt.label(fmt.REPORT_TEXT, "sheet_scorecard", lang), title, _scorecard_rows(b, lang))
    ]
    for key, spec in CHARTS.items():
        rows = _chart_rows(b, key, lang)
        if rows is not None:
            sheets.append((spec["title"][lang], spec["title"][lang], rows))
    for i, (name, heading, (head, rows)) in enumerate(sheets):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = _sheet_name(name, used)
        ws.append([heading])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append(head)
        for cell in ws[2]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in rows:
            ws.append(row)
        ws.freeze_panes = "B3"
        for col in range(1, len(head) + 1):
            ws.column_dimensions[get_column_letter(col)].width = 26 if col == 1 else 13
        if i == 0:
            ws.append([])
            for note in tables.scorecard_table(b.scorecard, lang=lang).attrs.get("notes", []):
                ws.append([note])
            for k, v in (footer or {}).items():
                ws.append([k, v])
    path = Path(path)
    with atomic_path(path) as tmp:
        wb.save(str(tmp))
    return path


def write_documents(b: Any, folder: str | Path, formats: Sequence[str], *, stem: str,
                    lang: str = "zh", title: str = "",
                    footer: Mapping[str, str] | None = None) -> list[Path]:  # fmt: skip
    """The documents of ``formats`` (those of :data:`DOCUMENT_FORMATS`) in ``folder``, named
    ``stem.<format>``."""
    writers = {"docx": write_docx, "xlsx": write_xlsx}
    return [
        writers[f](b, Path(folder) / f"{stem}.{f}", lang=lang, title=title, footer=footer)
        for f in formats
        if f in writers
    ]
