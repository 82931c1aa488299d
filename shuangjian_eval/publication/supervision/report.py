"""The supervision section of the reports (notebook ``60_supervision`` and the policy report):
the indicators of a region, their trends, the half-monthly sheets read, and the comparison with
the survey in plain language, Chinese first.

:func:`section` reads the supervision folder beside the survey data (or the one named) and
returns a :class:`SupervisionSection`, or an :class:`~..plan.Unavailable` that says which data
the section needs. Published counts and shares follow the small-cell rule of ``policy.yaml``
(:mod:`..suppression`): a count of 1 to ``min_cell - 1`` shows as ``<min_cell``, and a share of
fewer than ``min_cell`` units is not shown; labels and numbers come from :mod:`..formatting`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ...inputs import policy as _policy
from ...inputs import regions
from ...inputs.io.store import read_canonical
from ...inputs.supervision import SupervisionFolder, load_folder
from .. import formatting as fmt
from .. import suppression
from ..plan import Unavailable
from ..quality import Text as Markdown
from .indicators import INDICATORS, indicators, national_figures, sheet_indicators
from .triangulation import Triangulation, score_flags, triangulate

__all__ = ["FOLDER_NAME", "SupervisionSection", "folder_for", "section"]

#: the supervision folder looked for beside the survey data
FOLDER_NAME = "supervision"
#: the indicators of the summary table, in its order: (indicator, category)
SUMMARY = (
    ("schools", ""), ("homework_publicity_share", ""), ("homework_time_ok_share", ""),
    ("no_parent_homework_share", ""), ("afterschool_time_ok_share", ""),
    ("afterschool_participation_rate", ""), ("teacher_participation_rate", ""),
    ("subject_institutions_baseline", "offline"), ("subject_institutions_remaining", "offline"),
    ("subject_institutions_cut_share", "offline"), ("subject_institutions_baseline", "online"),
    ("subject_institutions_remaining", "online"), ("subject_institutions_cut_share", "online"),
    ("guided_price_share", ""), ("model_contract_share", ""), ("prepaid_custody_share", ""),
    ("cases", ""), ("cases_per_10k_students", ""), ("tipoffs_received", ""),
    ("tipoffs_verified_share", ""), ("tipoffs_closed_in_time_share", ""),
    ("tipoffs_median_days", ""),
)  # fmt: skip
_SURVEY_COLUMNS = ("wave", "county", "school_id", "stratum", "weight", "grade",
                   "afterschool_participation", "homework_within_limit", "tutoring_subject",
                   "tutoring_spend_year", "tutoring_hidden")  # fmt: skip


def folder_for(data_path: str | os.PathLike[str], supervision_path: str = "") -> Path | None:
    """The supervision folder of a report: ``supervision_path`` when given, else the folder
    :data:`FOLDER_NAME` beside the survey data (None when there is none)."""
    if supervision_path:
        return Path(supervision_path)
    data = Path(data_path)
    candidate = data.parent / FOLDER_NAME
    return candidate if candidate.is_dir() else None


def _label(indicator: str, category: str, lang: str, days: int) -> str:
    words = fmt.SUPERVISION_LABELS[category][lang] if category else ""
    return fmt.label(fmt.SUPERVISION_LABELS, indicator, lang, category=words, days=days)


def _text(key: str, lang: str, **fields: Any) -> str:
    return fmt.label(fmt.SUPERVISION_TEXT, key, lang, **fields)


@dataclass
class SupervisionSection:
    """The supervision returns of one region and their comparison with the survey."""

    region: str
    folder: SupervisionFolder | None = None
    by_period: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_county: pd.DataFrame = field(default_factory=pd.DataFrame)
    comparison: Triangulation | None = None
    min_cell: int = field(default_factory=lambda: suppression.rule_for("tables").min_cell)
    deadline_days: int = field(
        default_factory=lambda: _policy.load().supervision["tipoff_deadline"]["days"]
    )
    notes: list[str] = field(default_factory=list)
    #: set when the data cannot give the section: every part then shows this reason
    unavailable: Unavailable | None = None
    #: the survey rows the comparison used
    survey: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def _missing(self, need_comparison: bool = False) -> Unavailable | None:
        if self.unavailable is not None:
            return self.unavailable
        if need_comparison and self.comparison is None:
            return Unavailable(" ".join(self.notes))
        return None

    def table(self, part: str, lang: str = "zh") -> Any:
        """A table of the section as a report shows it (a Styler), or why it is unavailable:
        ``part`` one of ``"summary"``, ``"comparison"``, ``"sheet"``."""
        frames = {"summary": self.summary_table, "comparison": self.comparison_table,
                  "sheet": self.sheet_table}  # fmt: skip
        frame = frames[part](lang)
        if isinstance(frame, Unavailable):
            return frame
        from ..tables import to_styler

        styler = to_styler(frame)
        notes = frame.attrs.get("notes")
        return styler.set_caption(" ".join(notes)) if notes else styler

    # ------------------------------------------------------------------ numbers for readers
    def _show(self, row: pd.Series, lang: str) -> str:
        unit = INDICATORS[row["indicator"]]
        value, den = row["value"], row["denominator"]
        if unit == "count":
            return fmt.format_count(value, min_cell=self.min_cell)
        if unit in ("share", "days") and suppression.is_small(den, min_cell=self.min_cell):
            return fmt.SUPPRESSED["n"][lang]  # a share, or a median, of a few units
        if unit == "share":
            return fmt.format_value(value, "share", lang)
        if unit == "per 10,000 students" and suppression.is_small(row["numerator"] / 1e4,
                                                                  min_cell=self.min_cell):  # fmt: skip
            return fmt.SUPPRESSED["n"][lang]  # a rate of a small count of cases
        return fmt.format_number(value, 1)

    def latest_period(self) -> pd.Timestamp:
        """The last reporting period of the returns."""
        return pd.Timestamp(self.by_period["period"].max())

    def summary_table(self, lang: str = "zh") -> pd.DataFrame:
        """The indicators of the region in its latest period, beside the national figures."""
        fmt.check_lang(lang)
        if self._missing():
            return self._missing()
        day = self.latest_period()
        rows = self.by_period[self.by_period["period"] == day]
        nat = national_figures()
        out = []
        for indicator, category in SUMMARY:
            hit = rows[(rows["indicator"] == indicator) & (rows["category"] == category)]
            if hit.empty:
                continue
            row = hit.iloc[0]
            figure = nat[(nat["indicator"] == indicator) & (nat["category"] == category)]
            national = fmt.join_list([fmt.format_value(v, "share", lang) + fmt.paren(d, lang)
                                      for v, d in zip(figure["value"], figure["date"], strict=True)],
                                     lang)  # fmt: skip
            out.append({
                _text("indicator", lang): _label(indicator, category, lang, self.deadline_days),
                f"{day:%Y-%m-%d}": self._show(row, lang),
                _text("national", lang): national or fmt.MISSING,
            })  # fmt: skip
        table = pd.DataFrame(out)
        table.attrs["notes"] = [self._national_note(lang)]
        return table

    def _national_note(self, lang: str) -> str:
        pol = _policy.load()
        nat = national_figures()
        parts = [row[lang] + fmt.paren(pol.cite(row["source"], lang), lang)
                 for _, row in nat.drop_duplicates("zh").iterrows()]  # fmt: skip
        head = "全国数据：" if lang == "zh" else "National figures: "
        return head + fmt.join_list(parts, lang)

    def trend_chart(self, lang: str = "zh") -> Any:
        """The shares over the reporting periods (a figure)."""
        from ..plots import supervision_trends

        if self._missing():
            return self._missing()
        table = self.by_period.copy()
        small = suppression.small_cells(
            table.assign(n=table["denominator"]), min_cell=self.min_cell
        )
        shares = table["indicator"].map(INDICATORS) == "share"
        table.loc[small & shares, "value"] = float("nan")
        return supervision_trends(table, lang=lang)

    # ------------------------------------------------------------------ the comparison
    def comparison_table(self, lang: str = "zh") -> pd.DataFrame | Unavailable:
        """County by wave: what the returns report beside the survey's estimate and interval."""
        if self._missing(need_comparison=True):
            return self._missing(need_comparison=True)
        c = self.comparison.counties
        rows = []
        for _, r in c.iterrows():
            small = r["flag"] == "insufficient"
            rows.append({
                _text("county", lang): r["county"],
                _text("wave", lang): int(r["wave"]),
                _text("measure", lang): _text(f"m_{r['measure']}", lang),
                _text("reported", lang): fmt.format_value(r["reported"], "share", lang),
                _text("survey", lang): fmt.SUPPRESSED["n"][lang] if small else
                fmt.format_ci(r["estimate"], r["ci_lower"], r["ci_upper"], unit="share"),
                _text("flag", lang): _text(f"f_{r['flag']}", lang),
            })  # fmt: skip
        return pd.DataFrame(rows)

    def findings(self, lang: str = "zh") -> Markdown:
        """The comparison in plain language: the latest wave of each county of the region."""
        if self._missing(need_comparison=True):
            return self._missing(need_comparison=True)
        c = self.comparison.counties
        last = c[c["wave"] == c["wave"].max()]
        head = ""
        if self.region == regions.ALL:  # the whole area: only what disagrees
            off = last["flag"].isin(["above", "below"])
            head = _text("only_flagged", lang, wave=int(last["wave"].max()),
                         consistent=int((~off).sum())) + "\n\n"  # fmt: skip
            last = last[off]
        lines = []
        show = lambda v: fmt.format_value(v, "share", lang)  # noqa: E731
        for county, rows in last.groupby("county", sort=True):
            where = fmt.region_label(county, lang)
            for measure, key in (("homework", "homework_sentence"),
                                 ("afterschool_participation", "afterschool_sentence")):  # fmt: skip
                r = rows[rows["measure"] == measure]
                if r.empty or r.iloc[0]["flag"] == "insufficient":
                    continue
                r = r.iloc[0]
                lines.append(_text(key, lang, where=where, wave=int(r["wave"]),
                                   reported=show(r["reported"]), estimate=show(r["estimate"]),
                                   lower=show(r["ci_lower"]), upper=show(r["ci_upper"]),
                                   flag=_text(f"f_{r['flag']}", lang)))  # fmt: skip
        tut = self.comparison.tutoring
        if len(tut):
            tl = tut[tut["wave"] == tut["wave"].max()]
            for _, r in tl.iterrows():
                lines.append(_text("tutoring_sentence", lang, where=fmt.region_label(r["county"], lang),
                                   wave=int(r["wave"]), cut=show(r["cut_offline"]),
                                   subject=show(r["tutoring_subject_estimate"]),
                                   lower=show(r["tutoring_subject_ci_lower"]),
                                   upper=show(r["tutoring_subject_ci_upper"]),
                                   hidden=show(r["tutoring_hidden_estimate"])))  # fmt: skip
        return Markdown(head + "\n".join(f"- {line}" for line in lines))

    def schools_flagged(self, lang: str = "zh") -> Markdown:
        """By wave, the schools whose returned participation is above their own students'
        interval (a school code is not a person; a school with too few students surveyed is
        not compared)."""
        if self._missing(need_comparison=True):
            return self._missing(need_comparison=True)
        s = self.comparison.schools
        s = s[(s["measure"] == "afterschool_participation") & (s["flag"] != "insufficient")]
        lines = []
        for wave, rows in s.groupby("wave"):
            hit = sorted(rows.loc[rows["flag"] == "above", "school_id"].astype(str))
            lines.append(_text("schools_flagged", lang, wave=int(wave), compared=len(rows),
                               flagged=len(hit), schools=fmt.join_list(hit, lang) or fmt.MISSING))  # fmt: skip
        return Markdown("\n".join(f"- {line}" for line in lines))

    def synthetic_check(self, lang: str = "zh") -> Markdown:
        """On synthetic returns: how many planted over-reporters the comparison finds."""
        if self._missing(need_comparison=True) or not self.folder.synthetic:
            return Markdown("")
        s = self.comparison.schools
        flags = s[s["measure"] == "afterschool_participation"]
        sc = score_flags(flags, self.folder.truth["over_reporters"])
        return Markdown(_text("synthetic_check", lang, planted=sc["units_planted"],
                              hits=sc["units_hits"], false_alarms=sc["units_false_alarms"],
                              units=sc["units_compared"]))  # fmt: skip

    def enforcement(self) -> Any:
        """The dose-response DID of enforcement on subject tutoring
        (:func:`.enforcement.enforcement_did`), or why it is unavailable."""
        from .enforcement import enforcement_did

        if self._missing(need_comparison=True):
            return self._missing(need_comparison=True)
        if "cases" not in self.folder.tables:
            return Unavailable("no enforcement cases in the supervision folder")
        if self.region != regions.ALL:  # a comparison of counties: not within one
            why = fmt.SUPERVISION_TEXT["enforcement_one_county"]
            return Unavailable(f"{why['zh']} {why['en']}")
        try:
            return enforcement_did(self.survey, _in_region(self.folder.tables["cases"], self.region),
                                   _in_region(self.folder.tables["school_returns"], self.region))  # fmt: skip
        except ValueError as exc:
            return Unavailable(str(exc))

    def enforcement_report(self, lang: str = "zh") -> list[Any]:
        """The DID's table and its caveats as a report shows them (or why unavailable)."""
        from ..tables import to_styler

        e = self.enforcement()
        if isinstance(e, Unavailable):
            return [e]
        return [to_styler(e.table(lang)), Markdown(e.caveats(lang))]

    # ------------------------------------------------------------------ the wide sheets
    def sheets(self, lang: str = "zh") -> Markdown:
        """The half-monthly sheets read: rows in, accepted, rejected and why."""
        if self._missing():
            return self._missing()
        lines = []
        for name, res in self.folder.results.items():
            if not name.endswith(".xlsx"):
                continue
            reasons = fmt.join_list(
                [f"{k} {v}" for k, v in (res.log.get("reject_counts") or {}).items()], lang
            )
            lines.append(_text("sheet", lang, file=name, period=name[-15:-5],
                               rows_in=res.log["rows_in"], accepted=res.log["accepted"],
                               rejected=res.log["rejected"], reasons=reasons or fmt.MISSING))  # fmt: skip
        return Markdown("\n".join(f"- {line}" for line in lines))

    def sheet_table(self, lang: str = "zh") -> pd.DataFrame | Unavailable:
        """The latest half-monthly sheet's indicators by county: an indicator a row and a
        county a column (a dozen indicators as columns do not fit a printed page), or, for
        more than :data:`SHEET_COLUMNS` counties, a county a row."""
        if self._missing():
            return self._missing()
        sheet = self.folder.tables.get("half_monthly")
        if sheet is None:
            return Unavailable("no half-monthly sheet in the supervision folder")
        sheet = _in_region(sheet, self.region)
        day = sheet["period"].max()
        ind = sheet_indicators(sheet[sheet["period"] == day])
        wide = {}
        for _, row in ind.iterrows():
            label = _label(row["indicator"], row["category"], lang, self.deadline_days)
            wide.setdefault(row["county"], {_text("county", lang): row["county"]})[label] = (
                self._show(row, lang)
            )
        table = pd.DataFrame(list(wide.values()))
        if len(table) > SHEET_COLUMNS:
            return table
        return table.set_index(_text("county", lang)).T.rename_axis(
            _text("indicator", lang)
        ).reset_index().rename_axis(columns=None)  # fmt: skip


#: The most counties :meth:`SupervisionSection.sheet_table` sets side by side as columns.
SHEET_COLUMNS = 8


def _in_region(frame: pd.DataFrame, region: str) -> pd.DataFrame:
    if region == regions.ALL:
        return frame
    return frame[frame["county"].astype(str) == region]


def section(
    data_path: str | os.PathLike[str],
    *,
    region: str = regions.ALL,
    supervision_path: str = "",
    min_cell: int | None = None,
) -> SupervisionSection:
    """The supervision section of a region (see the module docstring); without supervision
    data, a section whose every part says which data it needs."""
    folder_path = folder_for(data_path, supervision_path)
    if folder_path is None or not folder_path.is_dir():
        why = fmt.SUPERVISION_TEXT["no_data"]
        return SupervisionSection(region, unavailable=Unavailable(f"{why['zh']} {why['en']}"))
    folder = load_folder(folder_path)
    pol = _policy.load()
    days = int(pol.supervision["tipoff_deadline"]["days"])
    cell = suppression.min_cell_for(min_cell)
    tables = {k: _in_region(v, region) for k, v in folder.tables.items()}
    if region != regions.ALL and not any(len(t) for t in tables.values()):
        why = Unavailable(f"{region}: no supervision returns of this county in {folder_path}")
        return SupervisionSection(region, folder, unavailable=why)
    by_period = indicators(tables, by=("period",))
    by_county = indicators(tables, by=("county", "period"))
    comparison, notes, survey = None, [], pd.DataFrame()
    if "school_returns" in tables:
        filters = None if region == regions.ALL else [("county", "==", region)]
        import pyarrow.dataset as ds

        have = set(ds.dataset(data_path, format="parquet", partitioning="hive").schema.names)
        columns = [c for c in _SURVEY_COLUMNS if c in have]  # a sample may lack strata
        survey = read_canonical(data_path, columns=columns, filters=filters)
        try:
            comparison = triangulate(tables["school_returns"], survey,
                                     registry=tables.get("institutions"), min_cell=cell)  # fmt: skip
        except ValueError as exc:
            notes.append(str(exc))
    else:
        notes.append("no school returns: the comparison with the survey needs them")
    return SupervisionSection(region, folder, by_period, by_county, comparison, cell, days, notes,
                              survey=survey)  # fmt: skip
