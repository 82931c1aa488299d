"""Notebooks executed by papermill with non-default parameters; assertions on their outputs.

Expected values are the known content of a small synthetic survey (its counties and counts).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest

import shuangjian_eval as sje

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "shuangjian_eval" / "notebooks"


@pytest.fixture(scope="module")
def survey(tmp_path_factory) -> Path:
    df = sje.synth.generate(
        n_schools=24, students_per_school=12, n_counties=3, waves=(2019, 2020, 2022, 2024), seed=5
    )
    path = tmp_path_factory.mktemp("data") / "survey.parquet"
    df.to_parquet(path, index=False)
    return path


def _run(name: str, out: Path, **parameters) -> str:
    papermill.execute_notebook(
        str(NOTEBOOK_DIR / f"{name}.ipynb"),
        str(out),
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        cwd=str(NOTEBOOK_DIR),
    )
    return _outputs_text(out)


def _outputs_text(path: Path) -> str:
    """The HTML, markdown and text outputs of an executed notebook, one after another."""
    nb = nbformat.read(path, as_version=4)
    texts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            texts.append(str(data.get("text/html", "")) + str(data.get("text/markdown", "")))
            texts.append(str(o.get("text", "")))
    return "\n".join(texts)


def test_data_quality_in_english_with_a_high_suppression_threshold(survey, tmp_path):
    df = pd.read_parquet(survey)
    county = sorted(df["county"].astype(str).unique())[0]
    n = int((df["county"] == county).sum())
    text = _run(
        "00_data_quality",
        tmp_path / "dq.ipynb",
        data_path=str(survey),
        region=county,
        lang="en",
        min_cell=100_000,
    )
    assert f"{n:,} respondents" in text and county in text
    assert "Junior secondary" in text  # stage labels in English
    assert "<100000" in text.replace("&lt;", "<")  # every count below the threshold suppressed
    assert "小学" not in text


def test_policy_report_in_english_for_one_county(survey, tmp_path):
    county = sorted(pd.read_parquet(survey, columns=["county"])["county"].astype(str).unique())[1]
    text = _run(
        "90_policy_report", tmp_path / "pr.ipynb", data_path=str(survey), region=county, lang="en"
    )
    assert "1. Summary" in text and county in text
    assert "synthetic" in text.lower()
    assert "结论摘要" not in text
