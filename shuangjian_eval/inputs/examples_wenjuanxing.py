"""A county's 问卷星 parent survey, downloaded the way bureaus download it: the example files.

One post-policy wave (2022) of one county, about 270 parents who answered a link sent through
13 schools: no strata, no weights, no respondent key (the questionnaire asks for no phone or
student number). Written in the platform's real layout (see
:mod:`~shuangjian_eval.inputs.io.wenjuanxing`) in both download modes and as a legacy workbook:

- ``wjx-county-text.xlsx``: 按选项文本 (answer texts; the multi-choice question joined by ``┋``);
- ``wjx-county-numbers.xlsx``: 按选项序号 (option numbers; one 0/1 column per option of the
  multi-choice question; ``-3`` where skip logic hid a question; 提交答卷时间 as Excel dates);
- ``wjx-county-text.xls``: the text download saved as Excel 97-2003 (BIFF).

What a real download holds is in it: the bureau's three test submissions the day before
fieldwork started (9 seconds each, one school answer 测试), one double submission (the same
device 75 s after the first, the same answers), a question hidden by skip logic (satisfaction
with after-school service, asked only of participants), ``其他【请注明】〖…〗`` typed-in texts,
typed answers to the fill-in questions ("1小时", "1.5小时", "约40", "30-40", "2千", "1.5万",
"４５") and a few that cannot be read ("不一定"), and a matrix question in the header form
``17、题干 (矩阵单选题)—子题`` followed by bare sub-question texts.

:func:`county_truth` gives the canonical rows of the genuine parents that
``load_survey(path, "wenjuanxing-county", county=COUNTY, exclude=["test", "duplicate"])`` must
return. Everything is synthetic; IP addresses are fake.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..base.files import fixed_zip
from . import codebook as _codebook
from . import synth

__all__ = [
    "COUNTY",
    "COUNTY_ENROLMENT_FILE",
    "COUNTY_FILES",
    "county_enrolment",
    "county_flags",
    "county_truth",
    "write_county_examples",
    "write_large_download",
]

COUNTY = "样本县001"
COUNTY_FILES = ("wjx-county-text.xlsx", "wjx-county-numbers.xlsx", "wjx-county-text.xls")
#: The county's enrolment by grade and gender (margins for ``sje weights``).
COUNTY_ENROLMENT_FILE = "wjx-county-enrolment.csv"
_SOURCE = {"n_schools": 24, "n_counties": 2}  # the synthetic population the county is part of
FIELDWORK_START = dt.datetime(2022, 11, 14, 8, 0, 0)
_N_TESTS = 3
_DOUBLE_OF = 40  # the parent who submitted twice (position among the genuine parents)

_GRADES = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "初一", "初二", "初三"]
_GRADES += ["高一", "高二", "高三"]
_GENDER = ["男", "女"]
_INCOME = [(50_000, "5万元以下", 25_000.0), (100_000, "5-10万元", 75_000.0)]
_INCOME += [(200_000, "10-20万元", 150_000.0), (500_000, "20-50万元", 350_000.0)]
_INCOME += [(np.inf, "50万元以上", 750_000.0)]
_EDUCATION = ["小学及以下", "初中", "高中/中专/职高", "大专/本科", "研究生及以上"]
_EDU_CODES = ["primary_or_less", "junior", "senior", "college", "postgraduate"]
_SATISFACTION = ["非常不满意", "不太满意", "一般", "比较满意", "非常满意"]
_AGREE = ["非常不同意", "不太同意", "一般", "比较同意", "非常同意"]
_YES_NO = ["是", "否"]
_SUBJECTS = ["语文", "数学", "英语", "物理、化学等其他学科"]
_NONSUBJECT = ["体育运动", "艺术(音乐、美术、舞蹈等)", "科技、编程", "其他【请注明】"]
_TUTORING_OPTIONS = [*_SUBJECTS, *_NONSUBJECT, "没有参加"]
_OTHER_TEXTS = ["围棋", "研学营", "书法", "游泳夏令营"]
_ANXIETY_ITEMS = [
    "担心孩子成绩落后",
    "担心升学竞争",
    "看到别人家孩子补课就着急",
    "为孩子的教育问题失眠",
    "孩子的教育支出让家里压力很大",
]
_QUESTIONS = {
    "school_id": "1、孩子就读的学校:",
    "grade": "2、孩子现在读几年级?",
    "gender": "3、孩子的性别:",
    "household_income": "4、您家庭去年的总收入大约是:",
    "parent_education": "5、孩子父母中的最高学历:",
    "homework_min_weekday": "6、上学日孩子平均每天完成书面作业大约需要多少分钟?",
    "homework_min_weekend": "7、周末孩子平均每天完成书面作业大约需要多少分钟?",
    "sleep_hours": "8、上学期间孩子平均每晚睡几个小时?",
    "tutoring": "9、本学期孩子参加了哪些校外培训?(可多选)",
    "tutoring_hours_week": "10、孩子平均每周参加校外培训大约多少小时?(没有参加填0)",
    "tutoring_spend_year": "11、过去一年孩子校外培训的总费用大约是多少元?(没有填0)",
    "tutoring_hidden": "12、孩子是否参加过一对一、住家教师或其他“隐形变异”的学科培训?",
    "teacher_referred_tutoring": "13、是否有老师课堂上不讲、让孩子到课外去学(课堂不讲课外讲)?",
    "afterschool_participation": "14、本学期孩子是否参加了学校的课后服务?",
    "afterschool_satisfaction": "15、您对学校课后服务的满意程度:",
    "policy_satisfaction": "16、您对“双减”政策的总体满意程度:",
    "anxiety": "17、您是否同意以下说法 (矩阵单选题)",
    "suggestion": "18、您对学校落实“双减”还有什么建议?",
}
_FIXED = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]


def _source(seed: int) -> pd.DataFrame:
    df = synth.generate(students_per_school=25, waves=(2022,), seed=seed, **_SOURCE)
    df = df[df["county"] == COUNTY].reset_index(drop=True)
    df.attrs = {}
    return df


def county_enrolment(seed: int = 0) -> pd.DataFrame:
    """The county's students by grade and gender, as its 教育事业统计 returns give them: the
    population the example's parents come from (``synth.enrolment`` of the same synthetic
    frame). Columns ``county``, ``grade``, ``gender``, ``students``."""
    table = synth.enrolment(seed=seed, **_SOURCE)
    table = table[table["county"] == COUNTY]
    out = table.groupby(["county", "grade", "gender"], as_index=False, observed=True)["students"]
    return out.sum().reset_index(drop=True)


def _schools(df: pd.DataFrame) -> dict[str, str]:
    """School id -> the school's name as the questionnaire lists it."""
    ids = sorted(df["school_id"].astype(str).unique())
    names = {}
    for k, sid in enumerate(ids):
        kind = "小学" if k % 3 else "中学"
        names[sid] = f"城关第{'一二三四五六七八九十'[k % 10]}{kind}" if k < 10 else f"乡镇{k}校"
    return names


# ---- typed answers: each returns (text written, value it means, or NaN when unreadable)


def _minutes(v: float, i: int) -> tuple[str, float]:
    m = float(5 * round(v / 5))
    if i % 41 == 7:
        return "不一定", np.nan
    kind = i % 9
    if kind == 1 and m >= 30 and m % 30 == 0:
        hours = m / 60
        return (f"{hours:g}小时" if hours != 0.5 else "半小时"), m
    if kind == 2 and m > 60 and m % 30 == 0:
        return f"{int(m // 60)}小时{int(m % 60)}分钟" if m % 60 else f"{int(m // 60)}小时", m
    if kind == 3:
        return f"{m:g}分钟", m
    if kind == 4 and m >= 10:
        return f"约{m:g}", m
    if kind == 5 and m >= 10:
        return f"{m - 5:g}-{m + 5:g}", m
    if kind == 6:
        return f"{m:g}".translate(str.maketrans("0123456789", "０１２３４５６７８９")), m
    return f"{m:g}", m


def _hours(v: float, i: int) -> tuple[str, float]:
    h = float(round(v * 2) / 2)
    if i % 9 == 2:
        return f"{h:g}小时", h
    if i % 9 == 5 and h >= 1:
        return f"{h - 0.5:g}-{h + 0.5:g}", h
    return f"{h:g}", h


def _money(v: float, i: int) -> tuple[str, float]:
    y = float(100 * round(v / 100))
    if y >= 10_000 and y % 5000 == 0 and i % 2:
        return f"{y / 10_000:g}万", y
    if y >= 1000 and y % 1000 == 0 and i % 3 == 1:
        return f"{y / 1000:g}千", y
    if i % 5 == 2 and y > 0:
        return f"{y:g}元", y
    return f"{y:g}", y


# ---- the genuine answers, as texts and option numbers


def _answers(df: pd.DataFrame, seed: int) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """One dict per parent (question -> answer text, or a list of options for question 9),
    and the canonical values they mean."""
    rng = np.random.default_rng([seed, 31])
    names = _schools(df)
    rows, truth = [], []
    for i, r in df.iterrows():
        a: dict[str, Any] = {"school_id": names[str(r["school_id"])]}
        t: dict[str, Any] = {"school_id": names[str(r["school_id"])], "grade": int(r["grade"])}
        a["grade"] = _GRADES[int(r["grade"]) - 1]
        a["gender"] = _GENDER[0 if r["gender"] == "male" else 1]
        t["gender"] = r["gender"]
        band = next(b for b in _INCOME if r["household_income"] < b[0])
        a["household_income"], t["household_income"] = band[1], band[2]
        a["parent_education"] = _EDUCATION[_EDU_CODES.index(r["parent_education"])]
        t["parent_education"] = r["parent_education"]
        for var, typed in (
            ("homework_min_weekday", _minutes),
            ("homework_min_weekend", _minutes),
            ("sleep_hours", _hours),
            ("tutoring_hours_week", _hours),
            ("tutoring_spend_year", _money),
        ):
            if pd.isna(r[var]):
                a[var], t[var] = "", np.nan
            else:
                a[var], t[var] = typed(float(r[var]), i + len(var))
        picked = []
        unanswered = pd.isna(r["tutoring_subject"]) or pd.isna(r["tutoring_nonsubject"])
        if unanswered:
            pass
        elif r["tutoring_subject"]:
            k = int(rng.integers(1, 4))
            picked += list(rng.choice(_SUBJECTS, size=k, replace=False))
        if not unanswered and r["tutoring_nonsubject"]:
            k = int(rng.integers(1, 3))
            picked += list(rng.choice(_NONSUBJECT, size=k, replace=False))
        picked = [o for o in _TUTORING_OPTIONS if o in picked] or (
            [] if unanswered else ["没有参加"]
        )
        a["tutoring"] = picked  # empty: the question was not answered
        a["other_text"] = _OTHER_TEXTS[i % len(_OTHER_TEXTS)]
        for var in ("tutoring_subject", "tutoring_nonsubject"):
            t[var] = np.nan if unanswered else bool(r[var])
        for var in ("tutoring_hidden", "teacher_referred_tutoring", "afterschool_participation"):
            a[var] = "" if pd.isna(r[var]) else _YES_NO[0 if r[var] else 1]
            t[var] = np.nan if pd.isna(r[var]) else bool(r[var])
        for var in ("afterschool_satisfaction", "policy_satisfaction"):
            if var == "afterschool_satisfaction" and r["afterschool_participation"] is not True:
                a[var], t[var] = "(跳过)", np.nan  # skip logic: asked of participants only
            elif pd.isna(r[var]):
                a[var], t[var] = "", np.nan
            else:
                a[var], t[var] = _SATISFACTION[int(r[var]) - 1], int(r[var])
        for k in range(5):
            v = r[f"anxiety_{k + 1}"]
            a[f"anxiety_{k + 1}"] = "" if pd.isna(v) else _AGREE[int(v) - 1]
            t[f"anxiety_{k + 1}"] = np.nan if pd.isna(v) else int(v)
        a["suggestion"] = "" if i % 5 else "希望课后服务增加体育和艺术活动"
        rows.append(a)
        truth.append(t)
    return rows, pd.DataFrame(truth)


def _submissions(n: int, seed: int) -> pd.DataFrame:
    """Platform columns of the genuine parents: time, duration, channel, device."""
    rng = np.random.default_rng([seed, 37])
    start = FIELDWORK_START + dt.timedelta(hours=11)
    times = [start + dt.timedelta(minutes=int(17 * i + rng.integers(0, 15))) for i in range(n)]
    seconds = rng.lognormal(np.log(420), 0.35, n).round()
    ips = [
        f"{rng.integers(36, 223)}.{rng.integers(0, 256)}.{rng.integers(0, 256)}."
        f"{rng.integers(1, 255)}(示例省-示例市)"
        for _ in range(n)
    ]
    return pd.DataFrame(
        {
            "submitted": times,
            "seconds": seconds,
            "channel": ["微信" if i % 4 else "手机提交" for i in range(n)],
            "detail": ["N/A" if i % 4 else "直接访问" for i in range(n)],
            "ip": ips,
        }
    )


def _duration_text(seconds: float, i: int) -> str:
    s = int(seconds)
    return f"{s // 60}分{s % 60}秒" if i % 25 == 3 and s >= 60 else f"{s}秒"


def _records(seed: int) -> tuple[list[dict[str, Any]], list[str]]:
    """Every submission in file order: the tests, the parents, the double submission; and the
    kind of each ("test", "parent", "duplicate")."""
    df = _source(seed)
    answers, _ = _answers(df, seed)
    subs = _submissions(len(answers), seed)
    records, kinds = [], []
    for k in range(_N_TESTS):
        test = dict(answers[k])
        test["suggestion"] = "测试" if k == 0 else ""
        when = FIELDWORK_START - dt.timedelta(hours=15) + dt.timedelta(minutes=3 * k)
        records.append(
            {
                "answers": test,
                "submitted": when,
                "seconds": 9.0,
                "channel": "链接",
                "detail": "N/A",
                "ip": f"10.12.0.{k + 5}(示例省-示例市)",
            }  # fmt: skip
        )
        kinds.append("test")
    for i, a in enumerate(answers):
        s = subs.iloc[i]
        rec = {"answers": a, **{c: s[c] for c in ("submitted", "seconds", "channel", "detail")}}
        rec["ip"] = s["ip"]
        records.append(rec)
        kinds.append("parent")
        if i == _DOUBLE_OF:
            again = dict(rec)
            again["submitted"] = rec["submitted"] + dt.timedelta(seconds=75)
            again["seconds"] = 61.0
            records.append(again)
            kinds.append("duplicate")
    return records, kinds


def county_truth(seed: int = 0) -> pd.DataFrame:
    """Canonical rows of the genuine parents (test and double submissions excluded), in file
    order; ``respondent_id`` is left out (each submission's key is a salted pseudonym)."""
    df = _source(seed)
    _, truth = _answers(df, seed)
    truth.insert(0, "wave", 2022)
    truth.insert(1, "county", COUNTY)
    truth["weight"] = 1.0
    cb = _codebook.load()
    out = _codebook.derive(_codebook.cast(truth))
    return out[[c for c in cb.names if c in out.columns]]


def county_flags(seed: int = 0) -> dict[str, list[int]]:
    """The Excel rows (header = row 1) of the submissions the example plants: test
    submissions and the double submission."""
    _, kinds = _records(seed)
    return {
        kind: [k + 2 for k, x in enumerate(kinds) if x == kind] for kind in ("test", "duplicate")
    }


def _header(numbers: bool) -> list[str]:
    h = list(_FIXED)
    for var, text in _QUESTIONS.items():
        if var == "tutoring" and numbers:
            h += [f"9({o})" for o in _TUTORING_OPTIONS]
        elif var == "anxiety":
            if numbers:
                h += [f"17({item})" for item in _ANXIETY_ITEMS]
            else:
                h += [f"{text}—{_ANXIETY_ITEMS[0]}", *_ANXIETY_ITEMS[1:]]
        else:
            h.append(text)
    return h


def _option_number(var: str, text: str) -> int | str:
    lists = {
        "grade": _GRADES,
        "gender": _GENDER,
        "household_income": [b[1] for b in _INCOME],
        "parent_education": _EDUCATION,
        "afterschool_satisfaction": _SATISFACTION,
        "policy_satisfaction": _SATISFACTION,
        "tutoring_hidden": _YES_NO,
        "teacher_referred_tutoring": _YES_NO,
        "afterschool_participation": _YES_NO,
    }
    if var.startswith("anxiety_"):
        return _AGREE.index(text) + 1
    return lists[var].index(text) + 1


def _row(rec: dict[str, Any], k: int, numbers: bool, schools: list[str]) -> list[Any]:
    a = rec["answers"]
    when = rec["submitted"]
    cells: list[Any] = [
        k + 1,
        when if numbers else when.strftime("%Y/%m/%d %H:%M:%S"),
        _duration_text(rec["seconds"], k),
        rec["channel"],
        rec["detail"],
        rec["ip"],
    ]
    for var in _QUESTIONS:
        if var == "tutoring":
            if numbers and not a["tutoring"]:
                cells += [""] * len(_TUTORING_OPTIONS)
            elif numbers:
                for o in _TUTORING_OPTIONS:
                    chosen = o in a["tutoring"]
                    other = o == "其他【请注明】" and chosen
                    cells.append(f"〖{a['other_text']}〗" if other else int(chosen))
            elif not a["tutoring"]:
                cells.append("(空)")
            else:
                parts = [
                    f"{o}〖{a['other_text']}〗" if o == "其他【请注明】" else o
                    for o in a["tutoring"]
                ]
                cells.append("┋".join(parts))
        elif var == "anxiety":
            for j in range(5):
                text = a[f"anxiety_{j + 1}"]
                cells.append(
                    (_option_number("anxiety_1", text) if text else "") if numbers else text
                )
        elif var == "school_id" and numbers:
            cells.append(schools.index(a[var]) + 1)
        elif numbers and var in (
            "grade", "gender", "household_income", "parent_education", "tutoring_hidden",
            "teacher_referred_tutoring", "afterschool_participation", "afterschool_satisfaction",
            "policy_satisfaction",
        ):  # fmt: skip
            text = a[var]
            cells.append(-3 if text == "(跳过)" else (_option_number(var, text) if text else ""))
        else:
            cells.append(a[var] if a[var] != "" else ("(空)" if not numbers else ""))
    return [None if c == "" else c for c in cells]


def school_names(seed: int = 0) -> list[str]:
    """The schools in the order the questionnaire lists them (option numbers 1, 2, ...)."""
    return sorted(set(_schools(_source(seed)).values()))


def write_county_examples(outdir: Path, seed: int = 0) -> list[Path]:
    """Write the three example downloads (see the module docstring) into ``outdir``."""
    import openpyxl

    records, _ = _records(seed)
    schools = school_names(seed)
    paths = []
    for name, numbers in (("wjx-county-text.xlsx", False), ("wjx-county-numbers.xlsx", True)):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Sheet1"
        ws.append(_header(numbers))
        for k, rec in enumerate(records):
            ws.append(_row(rec, k, numbers, schools))
        if numbers:
            for cell in ws["B"][1:]:
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
        wb.properties.created = wb.properties.modified = dt.datetime(2022, 12, 1, 9, 0, 0)
        wb.properties.creator = "shuangjian_eval.inputs.examples"
        buf = io.BytesIO()
        wb.save(buf)
        (outdir / name).write_bytes(fixed_zip(buf.getvalue()))
        paths.append(outdir / name)
    paths.append(_write_xls(outdir / "wjx-county-text.xls", records, schools))
    return paths


def write_large_download(path: Path, rows: int, *, numbers: bool = False, seed: int = 0) -> Path:
    """A download of ``rows`` submissions in the layout of the county examples (按选项文本,
    or 按选项序号 with ``numbers``), for measuring readers at scale: the example's submissions
    again and again, each copy a week after the one before (so that no copy is a double
    submission of another), numbered 1, 2, ... Written with openpyxl in write-only mode."""
    import openpyxl

    records, _ = _records(seed)
    schools = school_names(seed)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append(_header(numbers))
    for k in range(rows):
        rec = dict(records[k % len(records)])
        rec["submitted"] = rec["submitted"] + dt.timedelta(weeks=k // len(records))
        ws.append(_row(rec, k, numbers, schools))
    wb.save(str(path))
    return path


def _write_xls(path: Path, records: list[dict[str, Any]], schools: list[str]) -> Path:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Sheet1")
    for j, h in enumerate(_header(False)):
        ws.write(0, j, h)
    for k, rec in enumerate(records):
        for j, v in enumerate(_row(rec, k, False, schools)):
            if v is not None:
                ws.write(k + 1, j, v)
    wb.save(str(path))
    return path
