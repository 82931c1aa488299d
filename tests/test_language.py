"""Languages: one check, one convention, full-width punctuation in Chinese.

The rule comes from issue 13 and ``publication/formatting.py``: Chinese text uses full-width
，：；（） next to Chinese characters; numbers, code-like tokens and English inside it keep their
own. The scan covers every zh string the package defines (the label tables of ``formatting``
and ``narrative``, the codebook and ``policy.yaml`` labels, and every string literal with a
Chinese character in the publication and run layers) and real outputs rendered in zh from the
demo data (``data/demo/survey.parquet``, one county) and from synthetic data.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval import analyses
from shuangjian_eval.publication import formatting as fmt
from shuangjian_eval.publication import narrative, quality

PACKAGE = Path(sje.__file__).parent
DEMO = PACKAGE.parent / "data" / "demo" / "survey.parquet"
CJK = "\u3400-\u9fff\uf900-\ufaff"
#: A half-width , : ; ( ) with a Chinese character right before or after it.
HALF_WIDTH = re.compile(f"[{CJK}][,:;()]|[,:;()][{CJK}]")
FIELD = re.compile(r"\{[^{}]*\}")


def _half_width(text: str) -> list[str]:
    return [m.group(0) for m in HALF_WIDTH.finditer(text)]


def _is_zh(text: str) -> bool:
    """Chinese text: more Chinese characters than half the Latin letters (format fields and
    English terms inside it aside); an English sentence naming 双减 is not Chinese."""
    plain = FIELD.sub("", text)
    cjk = len(re.findall(f"[{CJK}]", plain))
    return cjk > 0 and 2 * cjk >= len(re.findall("[A-Za-z]", plain))


def _zh_of(node: object) -> Iterator[str]:
    """Every ``"zh"`` value of nested dicts and lists (a label table or a YAML file)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "zh" and isinstance(value, str):
                yield value
            yield from _zh_of(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _zh_of(value)
    elif hasattr(node, "__dataclass_fields__"):
        yield from _zh_of(vars(node))


def test_the_scan_catches_half_width_punctuation():
    assert _half_width("注意:本报告使用数据,不描述") == ["意:", "据,"]
    assert _half_width("注意：本报告（p < 0.001）覆盖 95% 的学生，不描述") == []
    assert not _is_zh("Evaluate the Double Reduction (双减) policy")


def test_label_tables_use_full_width_punctuation():
    cb = sje.codebook.load()
    tables = [
        fmt.STAT_LABELS, fmt.VERDICTS, fmt.SIGNIFICANCE, fmt.SUPPRESSED, fmt.REGIONS,
        fmt.UNITS, narrative._TEXT, narrative._VERDICT_CLAUSE, narrative._TARGET_NAME,
        narrative._METHODS, cb.raw, sje.policy.load().raw,
    ]  # fmt: skip
    texts = [t for table in tables for t in _zh_of(table)]
    assert len(texts) > 150  # the scan reaches the tables
    bad = {t: _half_width(t) for t in texts if _half_width(t)}
    assert bad == {}


def _literals() -> Iterator[tuple[str, int, str]]:
    """Chinese string literals (not docstrings) of the publication and run layers; an
    f-string is one text with its fields left out."""
    for path in sorted([*PACKAGE.glob("publication/**/*.py"), *PACKAGE.glob("run/**/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {
            id(n.body[0].value)
            for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and n.body
            and isinstance(n.body[0], ast.Expr)
            and isinstance(n.body[0].value, ast.Constant)
        }
        parts = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                consts = [v for v in node.values if isinstance(v, ast.Constant)]
                parts.update(id(v) for v in consts)
                text = "{}".join(str(v.value) for v in consts)
                if _is_zh(text):
                    yield str(path.relative_to(PACKAGE)), node.lineno, text
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs | parts
                and _is_zh(node.value)
            ):
                yield str(path.relative_to(PACKAGE)), node.lineno, node.value


def test_chinese_string_literals_use_full_width_punctuation():
    found = list(_literals())
    assert len(found) > 100
    bad = [(f, line, text) for f, line, text in found if _half_width(text)]
    assert bad == []


# ------------------------------------------------------------------------------ outputs
@pytest.fixture(scope="module")
def county_briefing():
    df = pd.read_parquet(DEMO)
    county = sorted(df["county"].dropna().unique())[0]
    return sje.briefing.compute(df[df["county"] == county], region=county)


@pytest.fixture(scope="module")
def grouped():
    df = sje.synth.generate(n_schools=80, students_per_school=30, n_counties=4, seed=3)
    return analyses.comparison_groups(df, "grade")


def _frame_text(frame: pd.DataFrame) -> str:
    return " ".join(map(str, [*frame.columns, *frame.astype(str).to_numpy().ravel()]))


def _html_text(obj: object) -> str:
    for attr in ("_repr_html_", "_repr_markdown_"):
        if hasattr(obj, attr):
            return re.sub(r"<[^>]+>", " ", getattr(obj, attr)())
    return str(obj)


def test_briefing_of_a_county_in_zh(county_briefing):
    b = county_briefing
    pages = [b.headline("zh"), b.scorecard_table("zh"), b.key_findings("zh"), b.rules("zh")]
    text = " ".join(_html_text(p) for p in pages)
    assert "成效" in text or "有效" in text or "数据不足" in text
    assert _half_width(text) == []


def test_analyses_tables_and_findings_in_zh(grouped):
    d = analyses.design_for(grouped)
    wide = analyses.table(analyses.estimates_by(d, ["homework_within_limit"]), lang="zh")
    effects = analyses.did_table(grouped, ["sleep_hours", "tutoring_subject"])
    texts = [
        _frame_text(wide),
        _frame_text(analyses.effect_table(effects, lang="zh")),
        _frame_text(analyses.adjusted_table(effects, lang="zh")),
        analyses.findings(effects, lang="zh", causal=True),
        analyses.findings(effects, lang="zh"),
        str(analyses.describe_test(analyses.placebo(grouped, "sleep_hours"), lang="zh")),
    ]
    params = analyses.check_parameters(
        grouped, region="all", waves=[], baseline_waves=[2019, 2020], comparison="grade",
        outcomes=[], lang="zh", min_cell=10, notebook="causal_effects",
    )  # fmt: skip
    texts.append(params._repr_markdown_())
    bad = {t[:60]: _half_width(t) for t in texts if _half_width(t)}
    assert bad == {}


def test_quality_tables_in_zh(grouped):
    texts = [
        str(quality.describe_source(grouped, lang="zh")),
        _frame_text(quality.sample_size_table(grouped, lang="zh")),
        _frame_text(quality.missingness(grouped, lang="zh")),
        _frame_text(quality.weight_summary(grouped, lang="zh")),
    ]
    bad = {t[:60]: _half_width(t) for t in texts if _half_width(t)}
    assert bad == {}


# ------------------------------------------------------------------------------ one check
def test_check_lang_is_defined_once():
    defs = [
        (str(path.relative_to(PACKAGE)), node.name)
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef) and node.name in ("check_lang", "_check_lang", "_zh")
    ]
    # in base, so that the input layer checks languages with it too; formatting re-exports it
    assert defs == [("base/languages.py", "check_lang")]
    assert fmt.check_lang is sje.codebook.check_lang


@pytest.mark.parametrize(
    "call",
    [
        lambda: fmt.check_lang("fr"),
        lambda: fmt.variable_label("sleep_hours", "fr"),
        lambda: narrative.describe_change({"estimate": 1.0}, "fr"),
        lambda: sje.targets.rules_text("fr"),
        lambda: fmt.region_label("all", "fr"),
    ],
)
def test_an_unknown_language_names_the_valid_ones(call):
    with pytest.raises(ValueError) as err:
        call()
    assert str(err.value) == "lang 'fr' is not a report language; valid values: zh, en"


def test_notebook_text_uses_full_width_punctuation():
    """The notebooks' Markdown cells are part of every report page: their Chinese lines follow
    the same rule."""
    import nbformat

    found = {}
    for path in sorted((PACKAGE / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for line in cell.source.splitlines():
                if _is_zh(line) and _half_width(line):
                    found.setdefault(path.name, []).append(line)
    assert found == {}
