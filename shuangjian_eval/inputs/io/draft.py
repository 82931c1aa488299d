"""Mapping profiles by command: a draft from an export, and a check of a profile against one.

:func:`draft_profile` reads an export's headers and every distinct answer, proposes a codebook
variable for each question by its wording (each variable's ``wording:`` in ``codebook.yaml``)
and a code for each answer text (是/否, five-point scales, grades, income bands to their
midpoints, the codebook's category labels), reads multi-choice questions as sets of options
(``choices:``), and marks with ``TODO`` what a person must decide. :func:`check_profile` reads
the export with a profile and lists what is still unmapped: questions, answer texts (with
counts) and options. Both are the ``sje mapping draft`` and ``sje mapping check`` commands.

Examples
--------
>>> text, report = draft_profile("data/examples/wjx-county-text.xlsx")  # doctest: +SKIP
>>> print(report.summary())  # doctest: +SKIP
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from .. import codebook as _codebook
from .. import identifiers
from . import wenjuanxing as wjx
from .columns import normalise_answer as _norm
from .readers import detect_format, read

__all__ = ["CheckReport", "DraftReport", "check_profile", "draft_profile"]

_GRADES = {
    **{f"{c}年级": k for k, c in enumerate("一二三四五六", start=1)},
    **{f"{k}年级": k for k in range(1, 13)},
    "初一": 7, "初二": 8, "初三": 9, "七年级": 7, "八年级": 8, "九年级": 9,
    "高一": 10, "高二": 11, "高三": 12,
}  # fmt: skip
_SUBJECT_WORDS = ("语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "政治", "学科")
_NONSUBJECT_WORDS = ("体育", "艺术", "音乐", "美术", "舞蹈", "科技", "编程", "书法", "棋", "其他")
_NONE_WORDS = ("没有", "未参加", "都没有", "无")
_YES = {"是", "有", "参加了", "参加", "是的", "有过"}
_NO = {"否", "没有", "无", "没参加", "未参加", "不是", "没有过"}
_FREE_TEXT_SHARE = 0.5  # distinct answers per answered row above which a question is free text


# ------------------------------------------------------------------------------------------
# answer texts to codes


def _likert(texts: list[str]) -> dict[str, int] | None:
    """A five-point scale (非常不满意 ... 非常满意, 非常不同意 ... 非常同意, 完全不焦虑 ... 非常焦虑)
    as 1-5, when every text is one of its points."""
    out = {}
    for t in texts:
        n = _norm(t)
        if n in ("一般", "说不清", "中立", "不确定"):
            out[t] = 3
        elif re.match(r"^(非常不|很不|完全不|极不)", n):
            out[t] = 1
        elif re.match(r"^(不太|比较不|不怎么|有点不|不)", n):
            out[t] = 2
        elif re.match(r"^(非常|很|极其|特别)", n):
            out[t] = 5
        elif re.match(r"^(比较|有点|还算|较)", n) or n in ("满意", "同意", "焦虑"):
            out[t] = 4
        else:
            return None
    return out if len(set(out.values())) >= 3 else None


def _income(text: str) -> float | None:
    """Midpoint in CNY of an income band ("5-10万元"; "5万元以下": half the bound; "50万元以上":
    1.5 times the bound, a convention)."""
    n = _norm(text).replace("元", "")
    unit = 1e4 if "万" in n else 1.0
    n = n.replace("万", "")
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)[-~至到](\d+(?:\.\d+)?)", n):
        return (float(m.group(1)) + float(m.group(2))) / 2 * unit
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)(?:以下|及以下)", n):
        return float(m.group(1)) / 2 * unit
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)(?:以上|及以上)", n):
        return float(m.group(1)) * 1.5 * unit
    return None


def _propose_values(var: _codebook.Variable, texts: list[str]) -> tuple[dict, list[str]]:
    """Codes for the answer texts of one question, and the texts left for a person."""
    out: dict[Any, Any] = {}
    todo: list[str] = []
    for t in texts:
        n = _norm(t)
        code: Any = None
        if var.dtype == "bool":
            code = True if n in _YES else False if n in _NO else None
        elif var.name == "grade":
            code = _GRADES.get(n)
        elif var.name == "household_income":
            code = _income(t)
        elif var.categories:
            for c, labs in var.categories.items():
                if n in {_norm(c), _norm(labs["zh"]), _norm(labs["en"])}:
                    code = c
            if code is None:  # a label that contains or is contained in the answer
                hits = [c for c, labs in var.categories.items() if _norm(labs["zh"]) in n]
                code = hits[0] if len(hits) == 1 else None
        if code is None:
            todo.append(t)
        else:
            out[t] = code
    if todo and var.is_numeric and var.name not in ("grade", "household_income"):
        scale = _likert(texts)
        if scale:
            return scale, []
    return out, todo


# ------------------------------------------------------------------------------------------
# questions to variables


def _wording_score(header: str, var: _codebook.Variable) -> int:
    """Groups of the variable's wording found in the header (0 unless all are)."""
    if not var.wording:
        return 0
    h = _norm(header)
    hits = sum(any(alt and alt in h for alt in group.split("|")) for group in var.wording)
    return hits if hits == len(var.wording) else 0


def _candidates(header: str, cb: _codebook.Codebook) -> list[tuple[int, str]]:
    scored = [(_wording_score(header, v), v.name) for v in cb if not v.derived]
    best = sorted((s, n) for s, n in scored if s)[::-1]
    return best


@dataclass
class DraftReport:
    """What :func:`draft_profile` decided and what it left to a person."""

    file: str
    download: str = ""
    questions: int = 0
    mapped: dict[str, str] = field(default_factory=dict)  # variable -> header
    choices: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"File: {self.file}",
            f"Questions: {self.questions}; mapped {len(self.mapped)}, multi-choice variables "
            f"{len(self.choices)}, ignored {len(self.ignored)} (free text, identifiers)",
        ]
        if self.download:
            lines.append(f"问卷星 download: {self.download}")
        if self.todo:
            lines.append(f"To decide ({len(self.todo)}, marked TODO in the profile):")
            lines += [f"  - {t}" for t in self.todo]
        else:
            lines.append("Nothing left to decide; run `sje mapping check` on the export.")
        return "\n".join(lines)


def draft_profile(
    path: str | Path,
    *,
    name: str | None = None,
    sheet: str | int | None = None,
    pair: str | Path | None = None,
) -> tuple[str, DraftReport]:
    """A draft mapping profile (YAML text) for an export, and what is left to decide.

    Parameters
    ----------
    path : path
        The export (a 问卷星 download in either mode, or any survey file).
    name : str, optional
        The profile's name (default: the file's stem).
    sheet : optional
        Worksheet of a workbook.
    pair : path, optional
        The other 问卷星 download of the same submissions (按选项文本 beside 按选项序号): the
        answer texts of one tell the codes of the other's option numbers, and the profile gets
        both, so that it reads either download.
    """
    path = Path(path)
    cb = _codebook.load()
    kind = detect_format(path)
    raw = read(path, kind, sheet=sheet)
    if pair is not None:
        other = read(Path(pair), detect_format(Path(pair)), sheet=sheet)
        if _download(other) == "text" and _download(raw) == "numbers":
            text, report = draft_profile(pair, name=name or path.stem, sheet=sheet)
            return _add_numbers(text, other, raw, report), report
        text, report = draft_profile(path, name=name, sheet=sheet)
        return _add_numbers(text, raw, other, report), report
    report = DraftReport(file=str(path))
    platform = wjx.is_export(raw.headers)
    fixed = wjx.fixed_columns(raw.headers) if platform else {}
    aliases = wjx.header_aliases(raw.headers) if platform else {}
    texts = {i: _distinct(raw.columns[i]) for i in range(len(raw.headers)) if i not in fixed}
    numbers = platform and _download(raw) == "numbers"
    columns: dict[str, str] = {}
    values: dict[str, dict] = {}
    choices: dict[str, dict] = {}
    ignore, drop, comments = [], [], {}
    groups = wjx.matrix_groups(raw.headers, aliases) if platform else {}
    option_cols = {i for n, cols in groups.items() for i in cols if _is_multi(raw, cols)}
    done_multi: set[int] = set()
    rid_from = None
    multi = set()
    for i, header in enumerate(raw.headers):  # multi-choice questions first: they claim variables
        if i in fixed or not header:
            continue
        number = wjx.question_number(aliases.get(i, [header])[0])
        if i in option_cols:  # 按选项序号: a multi-choice question's 0/1 option columns
            multi.add(i)
            if number not in done_multi:
                done_multi.add(number)
                options = [o for _, o in wjx.option_columns(raw.headers, number)]
                _propose_choices(f"{number}(…)", header, options, choices, report, cb)
        elif any(wjx.JOIN in a for a in texts.get(i, [])):  # 按选项文本: options joined by ┋
            multi.add(i)
            options = sorted(
                {wjx.split_free_text(p)[0] for a in texts[i] for p in a.split(wjx.JOIN)}
                - {"", *wjx.TEXT_MISSING}
            )
            _propose_choices(header, header, options, choices, report, cb)
    for i, header in enumerate(raw.headers):
        if i in fixed or not header:
            continue
        report.questions += 1
        reason = identifiers.identifier_reason(header, raw.sample(i))
        if reason:
            if "phone" in reason or "学号" in header or "student" in reason:
                rid_from = rid_from or header
            drop.append(header)
            report.ignored.append(f"{header} ({reason})")
            continue
        shown = aliases.get(i, [header])[0]
        if i in multi:
            continue
        answers = texts.get(i, [])
        if _is_free_text(answers, header):
            ignore.append(header)
            report.ignored.append(f"{header} (free text)")
            continue
        found = [c for c in _candidates(shown, cb) if c[1] not in columns and c[1] not in choices]
        if not found:
            comments[shown] = "TODO: no codebook variable matches this question"
            report.todo.append(f"question {shown!r}: which variable? (left under ignore)")
            ignore.append(header)
            continue
        top = found[0][1]
        tied = [n for s, n in found if s == found[0][0]]
        if len(tied) > 1:
            comments[shown] = f"TODO: also matches {', '.join(tied[1:])}"
            report.todo.append(f"question {shown!r}: {' or '.join(tied)}?")
        columns[top] = shown
        report.mapped[top] = shown
        var = cb[top]
        answer_texts = [a for a in answers if a not in wjx.TEXT_MISSING]
        if numbers and not _is_fill_in(answers):
            if var.dtype == "bool":
                values[top] = {1: True, 2: False}
                report.todo.append(f"{top}: 按选项序号 codes 是=1, 否=2: check the option order")
            elif not var.is_numeric or var.name in _CODED:  # an option number is no value
                codes = sorted({a for a in answer_texts if re.fullmatch(r"-?\d+", a)}, key=int)
                values[top] = {int(c): "TODO" for c in codes if int(c) > 0}
                report.todo.append(
                    f"{top}: option numbers {', '.join(codes)}: write each number's answer "
                    "(or draft from the 按选项文本 download)"
                )
            continue
        if _is_fill_in(answers) or (var.is_numeric and var.name not in _CODED):
            continue  # numbers and typed answers: read by the codebook's unit
        if var.dtype in ("string", "category") and not var.categories:
            continue  # the answer is the value (a school's name is its id)
        proposed, todo = _propose_values(var, answer_texts)
        if proposed:
            values[top] = dict(sorted(proposed.items(), key=lambda kv: _order(kv[1])))
        for t in todo:
            values.setdefault(top, {})[t] = "TODO"
            report.todo.append(f"{top}: answer {t!r}: which code?")
    report.choices = {k: v["question"] for k, v in choices.items()}
    report.download = ("按选项序号" if numbers else "按选项文本") if platform else ""
    profile: dict[str, Any] = {
        "name": name or path.stem,
        "description": f"drafted from {path.name}; check every TODO",
    }
    if platform:
        profile["platform"] = "wenjuanxing"
    profile["format"] = "xlsx" if kind in ("xlsx", "xls") else kind
    profile["unweighted"] = "weight" not in columns
    if rid_from:
        profile["respondent_id_from"] = rid_from
    if drop:
        profile["drop"] = drop
    if ignore:
        profile["ignore"] = ignore
    profile["columns"] = columns
    if choices:
        profile["choices"] = choices
    if values:
        profile["values"] = values
    return _yaml(profile, comments, report), report


def _download(raw: Any) -> str:
    fixed = wjx.fixed_columns(raw.headers)
    cells = [c for i, c in enumerate(raw.columns) if i not in fixed]
    coded = [c for c in cells if not _is_fill_in(_distinct(c))]
    return wjx.detect_download(coded)


def _add_numbers(text: str, texts: Any, numbers: Any, report: DraftReport) -> str:
    """Add the option numbers of the 按选项序号 download to each answer map of the profile
    drafted from the 按选项文本 download (rows paired by 序号)."""
    profile = yaml.safe_load(text)
    key = {v: k for k, v in wjx.fixed_columns(texts.headers).items()}.get("submission")
    key2 = {v: k for k, v in wjx.fixed_columns(numbers.headers).items()}.get("submission")
    if key is None or key2 is None:
        report.todo.append("pair: no 序号 column in both downloads; option numbers not added")
        return text
    a, b = texts.columns[key].to_pylist(), numbers.columns[key2].to_pylist()
    if a != b:
        report.todo.append("pair: the two downloads hold different submissions (序号 differ)")
        return text
    where = {h: i for i, h in enumerate(numbers.headers)}
    alias = wjx.header_aliases(texts.headers)
    cb = _codebook.load()
    for var, header in profile.get("columns", {}).items():
        v = cb[var]
        named = v.dtype in ("string", "category") and not v.categories
        if var not in profile.get("values", {}) and named and header in where:
            profile.setdefault("values", {})[var] = {}  # a school's option number -> its name
        answers = profile.get("values", {}).get(var)
        if answers is None:
            continue
        i = next((k for k, h in enumerate(texts.headers) if h == header), None)
        if i is None:
            i = next((k for k, names in alias.items() if header in names), None)
        if i is None or header not in where:
            continue
        pairs = Counter(zip(texts.columns[i].to_pylist(), numbers.columns[where[header]].to_pylist(),
                            strict=True))  # fmt: skip
        named = not answers  # the answer text is the value (a school's name)
        for (t, n), _ in pairs.most_common():
            if n is None or not re.fullmatch(r"-?\d+", str(n)) or int(n) <= 0 or t is None:
                continue
            if named and not re.fullmatch(r"-?\d+", str(t)):
                answers.setdefault(int(n), str(t).strip())
            elif t in answers:
                answers.setdefault(int(n), answers[t])
        profile["values"][var] = dict(
            sorted(answers.items(), key=lambda kv: (isinstance(kv[0], int), _order(kv[0])))
        )
        if not answers:
            del profile["values"][var]
    lines = [ln for ln in text.splitlines() if ln.startswith("#")]
    return "\n".join(lines) + "\n\n" + _yaml(profile, {}, report).split("\n", 3)[3]


_CODED = ("grade", "household_income", "afterschool_satisfaction", "policy_satisfaction")
_CODED += tuple(f"anxiety_{k}" for k in range(1, 6))


def _propose_choices(
    question: str,
    header: str,
    options: list[str],
    choices: dict[str, dict],
    report: DraftReport,
    cb: _codebook.Codebook,
) -> None:
    """Variables from a multi-choice question: tutoring by subject and by non-subject options."""
    subjects = [o for o in options if any(w in o for w in _SUBJECT_WORDS)]
    tutoring = any(w in _norm(header) for w in ("培训", "辅导", "补习", "兴趣班"))
    tutoring = tutoring or len(subjects) >= 2  # 按选项序号 headers carry only the options
    if not tutoring:
        report.todo.append(f"multi-choice question {question!r}: which variables? (not mapped)")
        return
    subject = [o for o in options if any(w in o for w in _SUBJECT_WORDS)]
    other = [
        o for o in options
        if o not in subject and not any(o.startswith(w) for w in _NONE_WORDS)
    ]  # fmt: skip
    if "tutoring_subject" not in choices and subject:
        choices["tutoring_subject"] = {"question": question, "any_of": subject, "options": options}
    if "tutoring_nonsubject" not in choices and other:
        choices["tutoring_nonsubject"] = {"question": question, "any_of": other, "options": options}


def _order(code: Any) -> tuple:
    return (0, float(code), "") if isinstance(code, (int, float)) else (1, 0.0, str(code))


def _distinct(col: Any) -> list[str]:
    if isinstance(col, (pa.Array, pa.ChunkedArray)):
        values = pa.chunked_array([col]).unique().to_pylist()
    else:
        values = list(dict.fromkeys(col))
    return [str(v).strip() for v in values if v is not None and str(v).strip()]


def _is_fill_in(answers: list[str]) -> bool:
    """Mostly numbers or typed amounts: a fill-in question."""
    real = [a for a in answers if a not in wjx.TEXT_MISSING]
    digits = [a for a in real if re.search(r"\d", unicodedata.normalize("NFKC", a))]
    return bool(real) and len(digits) >= 0.6 * len(real) and len(real) > 12


def _is_free_text(answers: list[str], header: str) -> bool:
    """An open question: asks for suggestions or opinions, or is answered in sentences."""
    real = [a for a in answers if a not in wjx.TEXT_MISSING]
    long = [a for a in real if len(a) > 8 and not re.search(r"\d", a)]
    asks = re.search(r"建议|意见|想法|看法|请写|请描述|请说明|其他补充", _norm(header))
    return bool(long) and (bool(asks) or len(long) >= 0.5 * len(real))


def _is_multi(raw: Any, cols: list[int]) -> bool:
    """Option columns of a multi-choice question hold only 0, 1, -3 and typed texts 〖…〗."""
    for i in cols:
        for v in _distinct(raw.columns[i]):
            body, _ = wjx.split_free_text(v)
            if body not in ("0", "1", "-3", "-2", ""):
                return False
    return True


def _yaml(profile: dict[str, Any], comments: dict[str, str], report: DraftReport) -> str:
    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: Any) -> bool:
            return True

    text = yaml.dump(profile, Dumper=_NoAliases, allow_unicode=True, sort_keys=False, width=100)
    lines = [
        f"# Drafted by `sje mapping draft` from {Path(report.file).name}.",
        "# Check every line marked TODO, then run `sje mapping check` on the export.",
        "",
    ]
    for line in text.splitlines():
        for shown, note in comments.items():
            if line.startswith("  ") and line.rstrip().endswith(shown.rstrip("'\"")):
                line += f"  # {note}"
        if line.rstrip().endswith(": TODO"):
            line += "  # TODO: the code of this answer"
        lines.append(line)
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------
# check


@dataclass
class CheckReport:
    """Unmapped questions and answers of an export read with a profile."""

    file: str
    rows_in: int = 0
    accepted: int = 0
    rejected: int = 0
    unmapped_questions: list[str] = field(default_factory=list)
    unknown_answers: dict[str, Counter] = field(default_factory=dict)  # column -> text counts
    warnings: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not (self.error or self.unmapped_questions or self.unknown_answers)

    def summary(self) -> str:
        if self.error:
            return f"File: {self.file}\nThe profile cannot read the file: {self.error}"
        lines = [
            f"File: {self.file}",
            f"Rows: {self.rows_in:,} in, {self.accepted:,} accepted, {self.rejected:,} rejected",
        ]
        if self.unmapped_questions:
            lines.append(f"Unmapped questions ({len(self.unmapped_questions)}):")
            lines += [f"  - {q}" for q in self.unmapped_questions]
        for column, counts in self.unknown_answers.items():
            listed = ", ".join(f"{t!r} ({n})" for t, n in counts.most_common())
            lines.append(f"Unmapped answers in {column!r}: {listed}")
        lines += [f"Warning: {w}" for w in self.warnings]
        if self.ok:
            lines.append("Every question and answer is mapped.")
        return "\n".join(lines)


def check_profile(path: str | Path, profile: Any, **kwargs: Any) -> CheckReport:
    """Read ``path`` with ``profile`` and list what is still unmapped (see the module
    docstring); ``kwargs`` go to :func:`~shuangjian_eval.inputs.io.load_survey`."""
    from ..validate import IngestError
    from . import load_survey

    report = CheckReport(file=str(path))
    try:
        res = load_survey(path, mapping=profile, **kwargs)
    except IngestError as exc:
        report.error = str(exc)
        return report
    log = res.log
    report.rows_in, report.accepted, report.rejected = (
        log["rows_in"], log["accepted"], log["rejected"]
    )  # fmt: skip
    report.unmapped_questions = list(log.get("unmapped_columns", []))
    for frame in (res.rejects, res.issues):
        unknown = frame[frame["rule"] == "unknown answer"]
        for (column, value), n in unknown.groupby(["column", "value"]).size().items():
            report.unknown_answers.setdefault(str(column), Counter())[str(value)] += int(n)
    report.warnings = [w for w in log.get("warnings", []) if "options not listed" in w]
    return report
