"""Weights for convenience samples: the enrolment table (inputs/margins.py), the example
table of the demo population, calibration by county and wave, ``sje weights``, and a
simulation of a convenience sample.

Expected values: the synthetic population's known enrolment (``synth.enrolment``, whose
counts by county and urban/rural are the sums of the survey's weights, ``synth`` module
notes) and, in the simulation, a population made in the test with its true mean.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shuangjian_eval.estimation.survey import SurveyDesign
from shuangjian_eval.inputs import examples, synth
from shuangjian_eval.inputs.margins import MarginsError, margins, read_enrolment
from shuangjian_eval.publication.weighting import calibrate_weights
from shuangjian_eval.run.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "examples" / examples.ENROLMENT_FILE


def _write(tmp_path: Path, text: str, name: str = "e.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_example_table_is_the_demo_population(tmp_path):
    table = read_enrolment(EXAMPLE)
    assert list(table.columns) == ["county", "urban", "grade", "gender", "students", "source_row"]
    fresh = examples.write_enrolment(tmp_path / "e.csv")
    assert fresh.read_bytes() == EXAMPLE.read_bytes()
    # the demo survey's weights sum to the frame's enrolment in every stratum and wave
    df = synth.generate(n_schools=120, students_per_school=8, n_counties=8, seed=0,
                        waves=(2019, 2022))  # fmt: skip
    for _, wave in df.groupby("wave", observed=True):
        got = wave.groupby(["county", "urban"], observed=True)["weight"].sum()
        want = table.groupby(["county", "urban"])["students"].sum()
        np.testing.assert_allclose(got.sort_index().to_numpy(), want.sort_index().to_numpy())
    share = table.loc[table["gender"] == "male", "students"].sum() / table["students"].sum()
    assert share == pytest.approx(synth.MALE_SHARE, abs=1e-4)


def test_reader_aliases_and_repeated_cells(tmp_path):
    p = _write(tmp_path, '县,年级,性别,学生数\n甲县,1,男,10\n甲县,1,女,"1,200"\n\n甲县,1,男,5\n')
    table = read_enrolment(p)
    assert table["gender"].tolist() == ["male", "female", "male"]
    assert table["source_row"].tolist() == [2, 3, 5]
    spec = margins(table)
    assert spec == {("甲县",): {"grade": {1: 1215.0}, "gender": {"female": 1200.0, "male": 15.0}}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "county,grade,gender,students\nA,1,male,-3\n",
            r"row 2, column 'students'.*negative.*'-3'",
        ),
        ("county,grade,gender,students\nA,1,male,3\nA,13,male,3\n", r"row 3, column 'grade'.*1-12"),
        ("county,grade,gender,students\nA,1,boy,3\n", r"row 2, column 'gender'.*'boy'"),
        ("county,grade,gender,students\nA,1,male,lots\n", r"column 'students': not a number"),
        ("county,grade,sex,students\nA,1,male,3\n", r"row 1: missing column\(s\) \['gender'\]"),
        ("county,grade,gender,students\n,1,male,3\n", r"row 2, column 'county': empty cell"),
    ],
)
def test_reader_errors_name_file_row_column_value(tmp_path, text, message):
    p = _write(tmp_path, text)
    with pytest.raises(MarginsError, match=message) as err:
        read_enrolment(p)
    assert str(p) in str(err.value)


def test_calibrate_by_county_and_wave_meets_the_margins():
    table = read_enrolment(EXAMPLE)
    df = pd.read_parquet(ROOT / "data" / "demo" / "survey.parquet")
    out, diag = calibrate_weights(df, table)
    assert len(diag) == df.groupby(["wave", "county"], observed=True).ngroups
    assert (diag["deff_weighting"] >= 1).all() and (diag["kish_n_eff"] <= diag["respondents"]).all()
    for col in ("grade", "gender", "urban"):
        got = out[out["wave"] == 2022].groupby(["county", col], observed=True)["weight"].sum()
        want = table.groupby(["county", col])["students"].sum()
        want = want[want > 0]
        np.testing.assert_allclose(got.to_numpy(), want.loc[got.index].to_numpy(), rtol=1e-8)
    np.testing.assert_array_equal(out["weight_base"], df["weight"])


def test_a_county_without_margins_is_named():
    table = read_enrolment(EXAMPLE)
    df = pd.read_parquet(ROOT / "data" / "demo" / "survey.parquet")
    with pytest.raises(ValueError, match=r"county '样本县008': the enrolment table has no rows"):
        calibrate_weights(df, table[table["county"] != "样本县008"])


def test_cli_weights(tmp_path, capsys):
    out = tmp_path / "weighted.parquet"
    code = main(["weights", "--margins", str(EXAMPLE), "--data",
                 str(ROOT / "data" / "demo" / "survey.parquet"), "--out", str(out)])  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "kish_n_eff" in text and "wrote" in text
    data = pd.read_parquet(out)
    assert {"weight", "weight_base", "county", "grade"} <= set(data.columns)
    bad = _write(tmp_path, "county,grade,gender,students\nA,1,male,x\n")
    code = main(["weights", "--margins", str(bad), "--data", str(out), "--out", str(out)])
    assert code != 0
    assert "column 'students'" in capsys.readouterr().err


# ------------------------------------------------------------------ a convenience sample
def _population(rng: np.random.Generator, n: int = 20_000) -> pd.DataFrame:
    urban = rng.random(n) < 0.55
    grade = rng.integers(1, 10, n)
    y = 100 + 25 * urban - 6 * grade + rng.normal(0, 15, n)  # minutes of tutoring, say
    return pd.DataFrame({"urban": urban, "grade": grade, "y": y})


@pytest.mark.slow
def test_simulation_calibration_removes_response_bias():
    """Response depends on urban/rural and grade (urban and young pupils answer more): the
    unweighted mean is biased, the raked mean is not, and 95 % intervals from the
    calibration-aware SEs cover the true mean 93-97 % of the time."""
    rng = np.random.default_rng(20211)
    pop = _population(rng)
    truth = pop["y"].mean()
    margin = {
        "urban": pop.groupby("urban")["y"].size().astype(float).to_dict(),
        "grade": pop.groupby("grade")["y"].size().astype(float).to_dict(),
    }
    propensity = 0.01 * np.exp(0.9 * pop["urban"] - 0.12 * (pop["grade"] - 5))
    reps, raw, cal, covered = 600, [], [], 0
    for _ in range(reps):
        sample = pop[rng.random(len(pop)) < propensity].reset_index(drop=True)
        d = SurveyDesign(sample, None)
        raw.append(d.mean("y").estimate)
        r = d.rake(margin).mean("y")
        cal.append(r.estimate)
        lo, hi = r.table["ci_lower"].iloc[0], r.table["ci_upper"].iloc[0]
        covered += lo <= truth <= hi
    raw_bias, cal_bias = np.mean(raw) - truth, np.mean(cal) - truth
    se_mc = np.std(cal) / np.sqrt(reps)
    assert raw_bias > 10 * np.std(raw) / np.sqrt(reps) and raw_bias > 2  # minutes
    assert abs(cal_bias) < 3 * se_mc
    print(f"bias raw {raw_bias:.3f}, raked {cal_bias:.3f} (MC se {se_mc:.3f}); "
          f"coverage {covered / reps:.3f} of {reps}")  # fmt: skip
    assert 0.93 <= covered / reps <= 0.97, covered / reps


def test_quality_report_shows_the_calibrated_weights():
    from shuangjian_eval.publication import quality

    table = read_enrolment(EXAMPLE)
    df = pd.read_parquet(ROOT / "data" / "demo" / "survey.parquet")
    out, diag = calibrate_weights(df[df["wave"] == 2022], table)
    summary = quality.weight_summary(out, by="county")
    g = out["weight"] / out["weight_base"]
    assert summary["g_min"].min() == pytest.approx(g.min())
    assert summary["g_max"].max() == pytest.approx(g.max())
    # Kish's deff per county as calibrate_weights' diagnostics give it
    np.testing.assert_allclose(summary["kish_deff"], diag["deff_weighting"])
    assert "g_min" not in quality.weight_summary(df, by="wave").columns
    assert "校准" in quality.weights_note(out, lang="zh")
    assert "design weights" in quality.weights_note(df, lang="en")


# ------------------------------------------------------ the reports' design after calibration
def test_reports_design_is_calibration_aware_on_calibrated_data():
    """The standard design of data written by calibrate_weights is calibrated again from the
    record the data carry: the same weights, and the standard errors of raking each county
    and wave on its own (the raked design of ``SurveyDesign.rake``, equal to R's ``rake``
    in tests/test_calibration.py), not those of weights treated as fixed."""
    from shuangjian_eval.publication.design import standard_design, standard_spec, weight_kind

    table = read_enrolment(EXAMPLE)
    df = pd.read_parquet(ROOT / "data" / "demo" / "survey.parquet")
    df = df[df["wave"].isin([2020, 2022]) & df["county"].isin(["样本县001", "样本县002"])]
    out, _ = calibrate_weights(df.reset_index(drop=True), table)
    assert out.attrs["calibration"]["method"] == "rake"
    assert weight_kind(out) == "calibrated" and weight_kind(df) == "design"
    assert weight_kind(df.assign(weight=1.0)) == "equal"
    design = standard_design(out)
    assert design.calibration is not None
    np.testing.assert_allclose(design.weights.to_numpy(), out["weight"].to_numpy(), rtol=1e-9)
    got = design.mean("sleep_hours", by=["wave", "county"]).table
    for (wave, county), part in out.groupby(["wave", "county"], observed=True):
        key = (wave, county)
        spec = {c: m for c, m in margins(table)[(county,)].items()}
        spec = {c: {k: v for k, v in m.items() if v > 0} for c, m in spec.items()}
        alone = SurveyDesign(part.reset_index(drop=True), "weight_base", strata="stratum",
                             psu="school_id", lonely_psu="adjust").rake(spec)  # fmt: skip
        want = alone.mean("sleep_hours").table.iloc[0]
        row = got[(got["wave"] == key[0]) & (got["county"] == key[1])].iloc[0]
        assert row["estimate"] == pytest.approx(want["estimate"], rel=1e-9)
        assert row["std_error"] == pytest.approx(want["std_error"], rel=1e-6)
    fixed = SurveyDesign(out, **standard_spec(out)).mean("sleep_hours", by=["wave", "county"])
    assert not np.allclose(fixed.table["std_error"], got["std_error"], rtol=1e-3)


def test_weights_changed_after_calibration_are_treated_as_fixed_with_a_warning():
    from shuangjian_eval.publication.design import standard_design

    table = read_enrolment(EXAMPLE)
    df = pd.read_parquet(ROOT / "data" / "demo" / "survey.parquet")
    out, _ = calibrate_weights(df[df["wave"] == 2022].reset_index(drop=True), table)
    out["weight"] = out["weight"] * np.where(np.arange(len(out)) % 2, 1.1, 1.0)
    with pytest.warns(UserWarning, match=r"calibrating again gives weights up to \S+ off"):
        design = standard_design(out)
    assert design.calibration is None


def test_the_county_example_is_raked_to_its_enrolment():
    """The 问卷星 county example's parents raked to the county's enrolment table: the weights
    sum to its students by grade and by gender (the table, ``county_enrolment``)."""
    import shuangjian_eval as sje
    from shuangjian_eval.inputs import examples_wenjuanxing as wjx

    res = sje.load_survey(ROOT / "data" / "examples" / "wjx-county-numbers.xlsx",
                          mapping="wenjuanxing-county", wave=2022, county=wjx.COUNTY, salt="s",
                          exclude=["test", "duplicate"])  # fmt: skip
    table = read_enrolment(ROOT / "data" / "examples" / wjx.COUNTY_ENROLMENT_FILE)
    out, diag = calibrate_weights(res.data, table)
    for col in ("grade", "gender"):
        got = out.groupby(col, observed=True)["weight"].sum()
        want = table.groupby(col)["students"].sum()
        np.testing.assert_allclose(got.to_numpy(), want.loc[got.index].to_numpy(), rtol=1e-8)
    assert diag["respondents"].tolist() == [270] and (out["weight_base"] == 1.0).all()
