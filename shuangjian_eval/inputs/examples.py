"""Example input files in the formats survey data arrive in, made from synthetic canonical data.

:func:`make_examples` writes ``data/examples/``: a 问卷星 parent questionnaire (.xlsx, question
texts as headers, answer texts as cells, platform columns and fake contact details), a county's
问卷星 download in both download modes and as a legacy .xls
(:mod:`~shuangjian_eval.inputs.examples_wenjuanxing`), a CFPS-style
Stata extract (.dta, numeric codes with value labels and negative missing codes), an SPSS file
with canonical names and labelled codes (.sav), canonical CSV in UTF-8 and in GBK, and canonical
Parquet. Each is about 170-200 rows from :func:`shuangjian_eval.inputs.synth.generate`; the same seed
writes byte-identical files.

:func:`example_truth` returns the canonical rows each file encodes (after the rounding and
banding the file format imposes), which is what ``load_survey`` must give back. The answer
tables below are written independently of the mapping profiles, so that a wrong profile entry
shows up as a test failure. All names, phone numbers and ID numbers are fake.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..base.files import atomic_path, fixed_zip
from . import codebook as _codebook
from . import identifiers, synth
from .examples_wenjuanxing import (
    COUNTY,
    COUNTY_ENROLMENT_FILE,
    COUNTY_FILES,
    county_enrolment,
    county_truth,
    write_county_examples,
)

__all__ = [
    "COUNTY",
    "ENROLMENT_FILE",
    "EXAMPLE_FILES",
    "example_identifiers",
    "example_truth",
    "make_examples",
    "write_enrolment",
]

EXAMPLE_FILES = {
    "wenjuanxing-parent.xlsx": "wenjuanxing-parent",
    "wjx-county-text.xlsx": "wenjuanxing-county",
    "wjx-county-numbers.xlsx": "wenjuanxing-county",
    "wjx-county-text.xls": "wenjuanxing-county",
    "cfps-extract.dta": "cfps-extract",
    "canonical-labelled.sav": None,
    "canonical-utf8.csv": None,
    "canonical-gbk.csv": None,
    "canonical.parquet": None,
}
#: The enrolment table of the demo population (margins for ``sje weights``), not a survey file.
ENROLMENT_FILE = "enrolment-demo.csv"
_FIXED_TIME = dt.datetime(2022, 12, 1, 9, 0, 0)

# ---- 问卷星 answer texts (independent of mappings/wenjuanxing-parent.yaml)
_GRADES = ["一年级", "二年级", "三年级", "四年级", "五年级", "六年级"]
_GRADES += ["初一", "初二", "初三", "高一", "高二", "高三"]
_INCOME_BANDS = [  # (upper bound, answer text, midpoint coded on ingest)
    (50_000, "5万元以下", 25_000.0),
    (100_000, "5-10万元", 75_000.0),
    (200_000, "10-20万元", 150_000.0),
    (500_000, "20-50万元", 350_000.0),
    (np.inf, "50万元以上", 750_000.0),
]
_EDUCATION = {
    "primary_or_less": "小学及以下",
    "junior": "初中",
    "senior": "高中/中专/职高",
    "college": "大专/本科",
    "postgraduate": "研究生及以上",
}
_SATISFACTION = ["非常不满意", "不太满意", "一般", "比较满意", "非常满意"]
_ANXIETY = ["完全不焦虑", "不太焦虑", "一般", "比较焦虑", "非常焦虑"]
_WJX_QUESTIONS = {
    "county": "1、孩子就读学校所在的区(县):",
    "school_id": "2、孩子就读学校的学校代码:",
    "grade": "3、您的孩子现在读几年级？",  # full-width "？": the profile has "?"
    "gender": "4、孩子的性别:",
    "household_income": "5、您家庭去年的总收入大约是:",
    "parent_education": "6、孩子父母中的最高学历:",
    "homework_min_weekday": "7、上学日孩子平均每天完成书面作业大约需要多少分钟?",
    "homework_min_weekend": "8、周末孩子平均每天完成书面作业大约需要多少分钟?",
    "sleep_hours": "9、上学期间孩子平均每晚睡几个小时?",
    "tutoring_subject": "10、本学期孩子是否参加了学科类校外培训(语数外等)?",
    "tutoring_nonsubject": "11、本学期孩子是否参加了体育、艺术、科技等非学科类培训?",
    "tutoring_hours_week": "12、孩子平均每周参加校外培训大约多少小时?",
    "tutoring_spend_year": "13、过去一年孩子校外培训的总费用大约是多少元?",
    "tutoring_hidden": "14、孩子是否参加过一对一、住家教师或其他“隐形变异”的学科培训?",
    "teacher_referred_tutoring": "15、是否有老师课堂上不讲、让孩子到课外去学(课堂不讲课外讲)?",
    "afterschool_participation": "16、本学期孩子是否参加了学校的课后服务?",
    "afterschool_satisfaction": "17、您对学校课后服务的满意程度：",  # full-width colon
    "anxiety_1": "18(担心孩子成绩落后)",
    "anxiety_2": "18(担心升学竞争)",
    "anxiety_3": "18(看到别人家孩子补课就着急)",
    "anxiety_4": "18(为孩子的教育问题失眠)",
    "anxiety_5": "18(孩子的教育支出让家里压力很大)",
    "policy_satisfaction": "19、您对“双减”政策的总体满意程度:",
}
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN = "子涵欣怡梓轩浩然雨桐一诺思远嘉怡宇轩佳琪俊杰晓燕志强秀英建华丽娟"

# ---- CFPS-style codes
_CFPS_GRADE_LABELS = {
    g: f"{s}{n}年级"
    for g, s, n in zip(
        range(1, 13),
        ["小学"] * 6 + ["初中"] * 3 + ["高中"] * 3,
        "一二三四五六一二三一二三",
        strict=True,
    )
}
_CFPS_MISSING = {-1: "不知道", -2: "拒绝回答", -8: "不适用", -9: "缺失"}
_CFPS_EDU = {
    "primary_or_less": (1, 2),
    "junior": (3, 3),
    "senior": (4, 4),
    "college": (5, 6),
    "postgraduate": (7, 8),
}
_CFPS_EDU_LABELS = {
    1: "文盲/半文盲",
    2: "小学",
    3: "初中",
    4: "高中/中专/技校/职高",
    5: "大专",
    6: "大学本科",
    7: "硕士",
    8: "博士",
}
_YES_NO_15 = {1: "是", 5: "否"}
_CFPS_VARIABLES = [  # the canonical variables the CFPS-style extract carries
    "respondent_id",
    "wave",
    "province",
    "county",
    "school_id",
    "stratum",
    "weight",
    "urban",
    "grade",
    "gender",
    "household_income",
    "parent_education",
    "homework_min_weekday",
    "homework_min_weekend",
    "sleep_hours",
    "tutoring_subject",
    "tutoring_nonsubject",
    "tutoring_hours_week",
    "tutoring_spend_year",
    "tutoring_hidden",
    "teacher_referred_tutoring",
    "afterschool_participation",
    "afterschool_satisfaction",
    "anxiety_1",
    "anxiety_2",
    "anxiety_3",
    "anxiety_4",
    "anxiety_5",
    "policy_satisfaction",
]
_BOOLS = [
    "pilot_city",
    "urban",
    "tutoring_subject",
    "tutoring_nonsubject",
    "tutoring_hidden",
    "teacher_referred_tutoring",
    "afterschool_participation",
]


def _source(seed: int) -> pd.DataFrame:
    df = synth.generate(
        n_schools=10,
        students_per_school=20,
        n_counties=2,
        waves=(2020, 2022, 2024),
        seed=seed,
        panel_share=0.5,
    )
    df.attrs = {}
    return df.reset_index(drop=True)


def _observed(df: pd.DataFrame) -> pd.DataFrame:
    cb = _codebook.load()
    return df[[c for c in cb.observed if c in df.columns]]


def _finish(truth: pd.DataFrame) -> pd.DataFrame:
    cb = _codebook.load()
    out = _codebook.derive(_codebook.cast(truth.reset_index(drop=True)))
    return out[[c for c in cb.names if c in out.columns]]


def example_identifiers(seed: int = 0) -> pd.DataFrame:
    """The fake names, phones, ID numbers and IP addresses in the 问卷星 example, by row."""
    rows = _source(seed).query("wave == 2022")
    rng = np.random.default_rng([seed, 17])
    n = len(rows)
    names = [
        _SURNAMES[a] + _GIVEN[2 * b : 2 * b + 2][: 1 + (c % 2)]
        for a, b, c in zip(
            rng.integers(0, len(_SURNAMES), n),
            rng.integers(0, len(_GIVEN) // 2, n),
            rng.integers(0, 2, n),
            strict=True,
        )
    ]
    phones = [
        f"1{p}{x:08d}"
        for p, x in zip(
            rng.choice([35, 38, 39, 58, 86, 88, 99], n), rng.integers(0, 10**8, n), strict=True
        )
    ]
    ids = [_resident_id(rng) for _ in range(n)]
    ips = [
        f"223.{rng.integers(64, 128)}.{rng.integers(0, 256)}.{rng.integers(1, 255)}(广东-深圳)"
        for _ in range(n)
    ]
    return pd.DataFrame({"name": names, "phone": phones, "id_number": ids, "ip": ips})


def _resident_id(rng: np.random.Generator) -> str:
    birth = dt.date(2008, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365 * 8)))
    body = f"110101{birth:%Y%m%d}{int(rng.integers(0, 1000)):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def example_truth(name: str, seed: int = 0, salt: str | bytes | None = None) -> pd.DataFrame:
    """Canonical rows that example file ``name`` encodes: what ``load_survey`` must return.

    Parameters
    ----------
    name : str
        A key of :data:`EXAMPLE_FILES`.
    seed : int
        The seed the examples were made with.
    salt : str or bytes, optional
        For the 问卷星 file, whose ``respondent_id`` is the pseudonym of the phone number.
        The county downloads (``wjx-county-*``) have no respondent key: their truth is the
        genuine parents without ``respondent_id``, as read with ``county=COUNTY`` and
        ``exclude=["test", "duplicate"]`` (:mod:`~shuangjian_eval.inputs.examples_wenjuanxing`).

    Returns
    -------
    DataFrame
        Canonical dtypes, derived variables computed, ``RangeIndex``.
    """
    if name in COUNTY_FILES:
        return county_truth(seed)
    df = _source(seed)
    if name == "wenjuanxing-parent.xlsx":
        rows = df[df["wave"] == 2022].reset_index(drop=True)
        out = rows[["respondent_id", "wave", *_WJX_QUESTIONS]].copy()
        out["weight"] = 1.0
        out["household_income"] = [_band(x)[1] for x in rows["household_income"]]
        for col in ("homework_min_weekday", "homework_min_weekend", "tutoring_spend_year"):
            out[col] = rows[col].round(0)
        out["sleep_hours"] = (rows["sleep_hours"] * 2).round() / 2
        out["tutoring_hours_week"] = rows["tutoring_hours_week"].round(1)
        phones = example_identifiers(seed)["phone"]
        out["respondent_id"] = (
            identifiers.pseudonymise(phones, salt).to_numpy() if salt is not None else pd.NA
        )
        return _finish(out)
    if name == "cfps-extract.dta":
        rows = _cfps_rows(df).reset_index(drop=True)
        out = rows[_CFPS_VARIABLES].copy()
        out["respondent_id"] = _pids(rows["respondent_id"]).astype(str)
        for col in ("homework_min_weekday", "homework_min_weekend", "tutoring_spend_year"):
            out[col] = rows[col].round(0)
        out["sleep_hours"] = (rows["sleep_hours"] * 2).round() / 2
        return _finish(out)
    waves = {
        "canonical-labelled.sav": 2024,
        "canonical-utf8.csv": 2020,
        "canonical-gbk.csv": 2022,
        "canonical.parquet": 2024,
    }
    if name not in waves:
        raise KeyError(f"{name!r} is not an example file; known: {', '.join(EXAMPLE_FILES)}")
    return _finish(_observed(df[df["wave"] == waves[name]]))


def _band(income: float) -> tuple[str, float]:
    for upper, text, mid in _INCOME_BANDS:
        if income < upper:
            return text, mid
    raise ValueError(income)  # pragma: no cover


def _cfps_rows(df: pd.DataFrame) -> pd.DataFrame:
    keep = df["school_id"].isin(df["school_id"].cat.categories[:4]) & df["wave"].isin([2020, 2022])
    return df[keep]


def _pids(ids: pd.Series) -> np.ndarray:
    uniq = sorted(ids.astype(str).unique())
    lookup = {u: 110_000_000 + 37 * k for k, u in enumerate(uniq)}
    return np.array([lookup[i] for i in ids.astype(str)], dtype=np.int64)


# ------------------------------------------------------------------------------------------
# writers


def _missing_text(i: int, choices: tuple[str, ...]) -> str:
    return choices[i % len(choices)]


def _wenjuanxing(df: pd.DataFrame, seed: int, path: Path) -> None:
    import openpyxl

    rows = df[df["wave"] == 2022].reset_index(drop=True)
    ident = example_identifiers(seed)
    rng = np.random.default_rng([seed, 23])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    header = [
        "序号",
        "提交答卷时间",
        "所用时间",
        "来源",
        "来源详情",
        "来自IP",
        "填写人姓名",
        "联系电话",
        *_WJX_QUESTIONS.values(),
        "20、学生身份证号(选填):",
    ]
    ws.append(header)
    start = dt.datetime(2022, 11, 14, 19, 0, 0)
    for i, r in rows.iterrows():
        submitted = start + dt.timedelta(minutes=int(37 * i + rng.integers(0, 30)))
        cells = [
            i + 1,
            submitted,
            f"{int(rng.integers(120, 900))}秒",
            "微信" if i % 3 else "手机提交",
            "直接访问" if i % 4 else "N/A",
            ident["ip"][i],
            ident["name"][i],
            ident["phone"][i],
        ]
        cells += [_wjx_answer(var, r[var], i) for var in _WJX_QUESTIONS]
        cells.append(ident["id_number"][i] if i % 2 == 0 else None)
        ws.append(cells)
    for cell in ws["B"][1:]:
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    wb.properties.created = wb.properties.modified = _FIXED_TIME
    wb.properties.creator = "shuangjian_eval.inputs.examples"
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(fixed_zip(buf.getvalue()))


def _wjx_answer(var: str, value: Any, i: int) -> str | int | float:
    if pd.isna(value):
        if var == "afterschool_satisfaction":
            return "(跳过)"
        return _missing_text(
            i,
            ("不知道", "说不清", "(空)")
            if var.startswith(("hom", "sle"))
            else ("说不清", "不知道"),
        )
    if var == "grade":
        return _GRADES[int(value) - 1]
    if var == "gender":
        return {"female": "女", "male": "男"}[value]
    if var == "household_income":
        return _band(float(value))[0]
    if var == "parent_education":
        return _EDUCATION[value]
    if var in ("homework_min_weekday", "homework_min_weekend", "tutoring_spend_year"):
        return int(round(float(value)))
    if var == "sleep_hours":
        return float(round(float(value) * 2) / 2)
    if var == "tutoring_hours_week":
        return float(round(float(value), 1))
    if var in ("afterschool_satisfaction", "policy_satisfaction"):
        return _SATISFACTION[int(value) - 1]
    if var.startswith("anxiety_"):
        return _ANXIETY[int(value) - 1]
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    return str(value)


def _cfps(df: pd.DataFrame, path: Path) -> None:
    import pyreadstat

    rows = _cfps_rows(df).reset_index(drop=True)
    provinces = {p: 11 + k for k, p in enumerate(rows["province"].cat.categories)}
    counties = {c: 1 + k for k, c in enumerate(rows["county"].cat.categories)}
    pid = _pids(rows["respondent_id"])

    def coded(col: str, codes, na: int) -> np.ndarray:
        return np.array([na if pd.isna(v) else codes(v) for v in rows[col]], dtype=float)

    edu = [_CFPS_EDU[v][i % 2] for i, v in enumerate(rows["parent_education"])]
    out = pd.DataFrame(
        {
            "pid": pid,
            "fid": pid // 100,
            "cyear": rows["wave"].astype(int),
            "provcd": rows["province"].map(provinces).astype(int),
            "countyid": rows["county"].map(counties).astype(int),
            "schcode": rows["school_id"].astype(str),
            "strata": rows["stratum"].astype(str),
            "rswt_natcs": rows["weight"].astype(float),
            "urban": coded("urban", int, -9),
            "gender": coded("gender", lambda g: int(g == "male"), -9),
            "wf601": coded("grade", int, -8),
            "fincome1": coded("household_income", float, -9),
            "edu_parent": np.array(edu, dtype=float),
        }
    )
    for col, var in (
        ("wf701", "homework_min_weekday"),
        ("wf702", "homework_min_weekend"),
        ("wf804", "tutoring_spend_year"),
    ):
        out[col] = [
            (-1 if i % 2 else -9) if pd.isna(v) else round(float(v))
            for i, v in enumerate(rows[var])
        ]
    out["wq601"] = coded("sleep_hours", lambda h: round(h * 2) / 2, -9)
    out["wf803"] = coded("tutoring_hours_week", float, -1)
    for col, var in (
        ("wf801", "tutoring_subject"),
        ("wf802", "tutoring_nonsubject"),
        ("wf805", "tutoring_hidden"),
        ("wf806", "teacher_referred_tutoring"),
        ("wf901", "afterschool_participation"),
    ):
        out[col] = coded(var, lambda b: 1 if b else 5, -8)
    out["wf902"] = coded("afterschool_satisfaction", int, -8)
    for k in range(1, 6):
        out[f"wn40{k}"] = coded(f"anxiety_{k}", int, -1)
    out["wn406"] = coded("policy_satisfaction", int, -2)
    labels_1_5 = {**dict(enumerate(_SATISFACTION, start=1)), **_CFPS_MISSING}
    value_labels = {
        "provcd": {v: k for k, v in provinces.items()},
        "countyid": {v: k for k, v in counties.items()},
        "urban": {1: "城镇", 0: "农村", **_CFPS_MISSING},
        "gender": {1: "男", 0: "女", **_CFPS_MISSING},
        "wf601": {**_CFPS_GRADE_LABELS, **_CFPS_MISSING},
        "edu_parent": {**_CFPS_EDU_LABELS, **_CFPS_MISSING},
        "wf902": labels_1_5,
        "wn406": labels_1_5,
        **{
            c: {**_YES_NO_15, **_CFPS_MISSING}
            for c in ("wf801", "wf802", "wf805", "wf806", "wf901")
        },
        **{
            f"wn40{k}": {**dict(enumerate(_ANXIETY, start=1)), **_CFPS_MISSING} for k in range(1, 6)
        },
    }
    column_labels = {
        "pid": "个人样本编码",
        "fid": "家庭样本编码",
        "cyear": "调查年份",
        "provcd": "省国标码",
        "countyid": "区县顺序码",
        "schcode": "学校代码",
        "strata": "抽样层",
        "rswt_natcs": "全国再抽样横截面权数",
        "urban": "基于国家统计局资料的城乡分类",
        "gender": "性别",
        "wf601": "目前就读年级",
        "fincome1": "全部家庭纯收入(元)",
        "edu_parent": "父母最高学历",
        "wf701": "上学日每天写作业时间(分钟)",
        "wf702": "周末每天写作业时间(分钟)",
        "wq601": "上学期间平均每晚睡眠时间(小时)",
        "wf801": "是否参加学科类课外辅导",
        "wf802": "是否参加非学科类培训",
        "wf803": "每周课外辅导时间(小时)",
        "wf804": "过去12个月课外辅导总费用(元)",
        "wf805": "是否参加一对一或家教辅导",
        "wf806": "老师是否课堂不讲课外讲",
        "wf901": "是否参加学校课后服务",
        "wf902": "课后服务满意度",
        **{f"wn40{k}": f"家长焦虑{k}" for k in range(1, 6)},
        "wn406": "对双减政策的满意度",
    }
    pyreadstat.write_dta(
        out,
        str(path),
        file_label="CFPS-style synthetic extract",
        column_labels=column_labels,
        variable_value_labels=value_labels,
        version=15,
    )
    data = path.read_bytes()
    path.write_bytes(
        re.sub(
            rb"<timestamp>\x11.{17}",
            b"<timestamp>\x1101 Dec 2022 09:00",
            data,
            count=1,
            flags=re.DOTALL,
        )
    )


def _spss(df: pd.DataFrame, path: Path) -> None:
    import pyreadstat

    cb = _codebook.load()
    rows = _observed(df[df["wave"] == 2024]).reset_index(drop=True)
    out, labels = pd.DataFrame(index=rows.index), {}
    for col in rows.columns:
        var, s = cb[col], rows[col]
        if var.dtype == "bool":
            out[col] = s.astype("Float64").astype(float)
            t, f = (var.true_label or {"zh": "是"})["zh"], (var.false_label or {"zh": "否"})["zh"]
            labels[col] = {1: t, 0: f}
        elif var.categories:
            codes = {c: k for k, c in enumerate(var.categories, start=1)}
            out[col] = s.map(codes).astype(float)
            labels[col] = {k: var.categories[c]["zh"] for c, k in codes.items()}
        elif var.dtype in ("category", "string"):
            out[col] = s.astype(str)
        else:
            out[col] = s.astype("Float64").astype(float)
    # SPSS user-missing code -9 in two items (read back as missing)
    for col in ("anxiety_1", "policy_satisfaction"):
        out.loc[out[col].isna(), col] = -9.0
        labels.setdefault(col, {})[-9] = "缺失"
    pyreadstat.write_sav(
        out,
        str(path),
        file_label="canonical names, labelled codes (synthetic)",
        column_labels={c: cb[c].label["zh"] for c in out.columns},
        variable_value_labels=labels,
        missing_ranges={"anxiety_1": [-9], "policy_satisfaction": [-9]},
    )
    data = bytearray(path.read_bytes())
    data[92:109] = b"01 Dec 2209:00:00"  # the header's creation date and time
    path.write_bytes(bytes(data))


def _gbk_labels(df: pd.DataFrame) -> pd.DataFrame:
    """Canonical names with Chinese answer labels (女/男, 是/否, 大专/本科): how a GBK export
    from a Chinese system usually looks."""
    cb = _codebook.load()
    out = _observed(df).copy()
    for col in out.columns:
        var = cb[col]
        if var.dtype == "bool":
            t, f = (var.true_label or {"zh": "是"})["zh"], (var.false_label or {"zh": "否"})["zh"]
            out[col] = out[col].map({True: t, False: f}).astype(object)
        elif var.categories:
            out[col] = out[col].map({c: lab["zh"] for c, lab in var.categories.items()})
    return out


def make_examples(outdir: str | Path = "data/examples", seed: int = 0) -> list[Path]:
    """Write the example input files; the same seed writes byte-identical files.

    Parameters
    ----------
    outdir : path
        Folder to write into (created when missing).
    seed : int
        Seed of the synthetic source data.

    Returns
    -------
    list of Path
        The files written, in the order of :data:`EXAMPLE_FILES`, then :data:`ENROLMENT_FILE` and the 问卷星 county's
        enrolment, :data:`COUNTY_ENROLMENT_FILE`.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    df = _source(seed)
    _wenjuanxing(df, seed, out / "wenjuanxing-parent.xlsx")
    write_county_examples(out, seed)
    _cfps(df, out / "cfps-extract.dta")
    _spss(df, out / "canonical-labelled.sav")
    df[df["wave"] == 2020].to_csv(out / "canonical-utf8.csv", index=False, encoding="utf-8")
    _gbk_labels(df[df["wave"] == 2022]).to_csv(
        out / "canonical-gbk.csv", index=False, encoding="gbk"
    )
    df[df["wave"] == 2024].reset_index(drop=True).to_parquet(out / "canonical.parquet", index=False)
    write_enrolment(out / ENROLMENT_FILE)
    write_enrolment(out / COUNTY_ENROLMENT_FILE, county_enrolment(seed))
    return [*(out / name for name in EXAMPLE_FILES), out / ENROLMENT_FILE,
            out / COUNTY_ENROLMENT_FILE]  # fmt: skip


def write_enrolment(path: str | Path, table: pd.DataFrame | None = None) -> Path:
    """Write an enrolment table in the layout :func:`shuangjian_eval.inputs.margins.read_enrolment`
    reads: by default the demo survey's population (``sje synth`` defaults: 120 schools,
    8 counties, seed 0), students by county, urban/rural, grade and gender."""
    if table is None:
        table = synth.enrolment(n_schools=120, n_counties=8, seed=0)
        table["urban"] = np.where(table["urban"], "城镇", "农村")
    p = Path(path)
    with atomic_path(p) as tmp:
        table.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    return p
