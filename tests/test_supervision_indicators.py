"""Supervision indicators and the triangulation against the survey, on the synthetic returns:
every expected value is the synthetic generator's truth (shuangjian_eval.inputs.supervision.synth,
counted from its draws: SupervisionData.truth), or a hand count of a small frame written here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval.inputs import examples_supervision as exs
from shuangjian_eval.inputs import supervision as sv
from shuangjian_eval.inputs.supervision import synth as svsynth
from shuangjian_eval.publication import formatting as fmt
from shuangjian_eval.publication import supervision as ps
from shuangjian_eval.publication.supervision import triangulation as tr

EX = Path(__file__).resolve().parents[1] / "data" / "examples"


@pytest.fixture(scope="module")
def data() -> svsynth.SupervisionData:
    return svsynth.generate(seed=0)


@pytest.fixture(scope="module")
def table(data) -> pd.DataFrame:
    """The indicators of the tables after validation (what a real run computes)."""
    tables = {k: sv.validate_returns(v, k).data for k, v in data.tables().items()}
    return ps.indicators(tables)


def _values(table: pd.DataFrame, indicator: str, category: str = "") -> pd.Series:
    got = table[(table["indicator"] == indicator) & (table["category"] == category)]
    return got.set_index(["county", "period"])["value"].sort_index()


def test_school_indicators_equal_the_generators_truth(data, table):
    truth = data.truth["schools"].groupby(["county", "period"])
    for indicator, column in (("homework_time_ok_share", "reports_homework"),
                              ("afterschool_time_ok_share", "reports_5_plus_2")):  # fmt: skip
        want = truth[column].mean().sort_index()
        got = _values(table, indicator)
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=0, atol=1e-12)
    reported = data.truth["schools"].assign(students=lambda d: d["reported_rate"] * d["enrolment"])
    sums = reported.groupby(["county", "period"])[["students", "enrolment", "taking_part"]].sum()
    got = _values(table, "afterschool_participation_rate")
    np.testing.assert_allclose(got.to_numpy(), (sums["students"] / sums["enrolment"]).to_numpy(),
                               rtol=1e-12)  # fmt: skip
    # what the returns claim exceeds the true participation by the planted over-reporting
    true_rate = (sums["taking_part"] / sums["enrolment"]).to_numpy()
    assert (got.to_numpy() >= true_rate - 1e-12).all() and (got.to_numpy() > true_rate).any()


def test_institution_indicators_equal_the_generators_truth(data, table):
    truth = data.truth["institutions"]
    for delivery in ("offline", "online"):
        t = truth[truth["delivery"] == delivery].set_index(["county", "period"]).sort_index()
        for indicator, column in (("subject_institutions_baseline", "baseline"),
                                  ("subject_institutions_remaining", "remaining"),
                                  ("subject_institutions_cut", "cut"),
                                  ("subject_institutions_cut_share", "cut_share")):  # fmt: skip
            got = _values(table, indicator, delivery)
            np.testing.assert_allclose(got.to_numpy(), t[column].to_numpy(float), atol=1e-12)
    ops = truth[truth["delivery"] == "all_operating_subject"].set_index(["county", "period"])
    ops = ops.sort_index()
    for indicator, column in (("guided_price_share", "guided_price"),
                              ("model_contract_share", "model_contract"),
                              ("prepaid_custody_share", "prepaid_custody")):  # fmt: skip
        got = _values(table, indicator)
        np.testing.assert_allclose(got.to_numpy(), (ops[column] / ops["operating"]).to_numpy(),
                                   atol=1e-12)  # fmt: skip


def test_case_indicators_per_10k_students_equal_the_generators_truth(data, table):
    truth = data.truth["cases"].set_index(["county", "period", "violation"]).sort_index()
    got = table[table["indicator"] == "cases_per_10k_students"]
    got = got[got["category"] != ""].set_index(["county", "period", "category"])["value"]
    got = got.sort_index()
    want = truth["cases"] / truth["students"] * 1e4
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-12)
    total = _values(table, "cases")
    np.testing.assert_array_equal(total.to_numpy(),
                                  truth.groupby(["county", "period"])["cases"].sum().to_numpy())  # fmt: skip


def test_complaint_indicators_equal_the_generators_truth(data, table):
    truth = data.truth["complaints"].set_index(["county", "period"]).sort_index()
    deadline = sje.policy.load().supervision["tipoff_deadline"]["days"]
    in_time = truth["days_closed"].map(lambda d: sum(x <= deadline for x in d))
    checks = {
        "tipoffs_received": truth["received"],
        "tipoffs_verified_share": truth["verified"] / truth["received"],
        "tipoffs_closed_share": truth["closed"] / truth["received"],
        "tipoffs_closed_in_time_share": in_time / truth["received"],
        "tipoffs_median_days": truth["median_days"],
    }
    for indicator, want in checks.items():
        got = _values(table, indicator)
        np.testing.assert_allclose(
            got.to_numpy(), want.to_numpy(float), atol=1e-12, err_msg=indicator
        )


def test_the_half_monthly_sheet_gives_the_same_indicators_as_the_long_tables(data, table):
    res = sv.load_half_monthly(EX / "supervision-half-monthly.xlsx", exs.HALF_MONTHLY_PERIOD)
    sheet = ps.sheet_indicators(res.data)
    day = pd.Timestamp(exs.HALF_MONTHLY_PERIOD)
    for indicator in ("homework_time_ok_share", "afterschool_time_ok_share",
                      "tipoffs_received", "tipoffs_closed_share"):  # fmt: skip
        got = _values(sheet, indicator, "all" if indicator.startswith("subject") else "")
        want = _values(table, indicator).xs(day, level="period", drop_level=False)
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), atol=1e-12, err_msg=indicator)
    truth = data.truth["institutions"]
    t = truth[(truth["period"] == day) & truth["delivery"].isin(["offline", "online"])]
    t = t.groupby("county")[["cut", "baseline"]].sum()
    got = _values(sheet, "subject_institutions_cut_share", "all").droplevel("period")
    np.testing.assert_allclose(got.to_numpy(), (t["cut"] / t["baseline"]).to_numpy(), atol=1e-12)


def test_national_figures_are_policy_yaml_s_one_and_three_year_figures():
    nat = ps.national_figures().set_index(["indicator", "category", "date"])["value"]
    # policy.yaml official_figures (State Council Information Office, 9 Sept 2022 and 26 Sept 2024)
    assert nat[("subject_institutions_cut_share", "offline", "2022-09-09")] == pytest.approx(0.956)
    assert nat[("subject_institutions_cut_share", "online", "2022-09-09")] == pytest.approx(0.871)
    assert nat[("afterschool_participation_rate", "", "2024-09-26")] == pytest.approx(0.90)


def test_tipoffs_closed_in_time_by_hand_count():
    """Four tip-offs of one county and period (hand count): closed after 3 and 15 days, after
    16 days, and still open: 2 of 4 within a 15-day deadline; median of 3, 15, 16 = 15."""
    c = pd.DataFrame({
        "complaint_id": ["a", "b", "c", "d"], "county": "甲县",
        "received": pd.to_datetime(["2021-11-01"] * 4),
        "closed": pd.to_datetime(["2021-11-04", "2021-11-16", "2021-11-17", None]),
        "verified": [True, False, True, None],
    })  # fmt: skip
    got = ps.complaint_indicators(c, ["2021-11-15"], deadline_days=15).set_index("indicator")
    assert got.loc["tipoffs_closed_in_time_share", "value"] == 0.5
    assert got.loc["tipoffs_median_days", "value"] == 15
    assert got.loc["tipoffs_verified_share", "value"] == pytest.approx(2 / 3)


# ------------------------------------------------------------------------------ triangulation


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    """The demo survey (sje synth defaults, the make targets' options)."""
    return sje.synth.generate(n_schools=120, students_per_school=40, n_counties=8, seed=0)


@pytest.fixture(scope="module")
def triangulation(data, survey):
    return tr.triangulate(data.school_returns, survey, registry=data.institutions)


def test_triangulation_finds_the_planted_over_reporting_schools(data, triangulation):
    """The 10 planted schools (the generator's truth) are each flagged in at least one wave;
    false alarms stay near the 2.5 % a one-sided 97.5 % bound allows (measured: 8 of the 89
    honest schools flagged in any of three waves, 8 of 197 school-waves)."""
    flags = triangulation.schools[triangulation.schools["measure"] == "afterschool_participation"]
    score = tr.score_flags(flags, data.truth["over_reporters"])
    assert score["units_planted"] == 10 and score["units_hits"] == 10
    assert score["hits"] >= 0.8 * score["planted"]
    honest = score["compared"] - score["planted"]
    assert score["false_alarms"] <= 0.06 * honest
    # a planted school's flag rests on the gap: reported above the survey's upper bound
    hit = flags[flags["school_id"].isin(data.truth["over_reporters"]) & (flags["flag"] == "above")]
    assert (hit["reported"] > hit["ci_upper"]).all()


def test_county_comparison_uses_the_standard_design(triangulation, survey):
    """The county rows carry the standard design's estimate and interval (the same numbers as
    standard_design(...).proportion by county and wave)."""
    comp = survey[survey["grade"] <= 9]
    from shuangjian_eval.publication.design import standard_design

    est = standard_design(comp).proportion("afterschool_participation", by=["county", "wave"])
    est = est.to_frame().assign(county=lambda d: d["county"].astype(str))
    got = triangulation.counties[triangulation.counties["measure"] == "afterschool_participation"]
    m = got.merge(est, on=["county", "wave"], suffixes=("", "_want"))
    assert len(m) == len(got) == 24
    np.testing.assert_allclose(m["ci_upper"], m["ci_upper_want"])
    assert set(got["flag"]) <= set(tr.FLAGS)


def test_enforcement_dose_response_covers_the_generators_zero(data, survey):
    """The generator draws enforcement independently of the survey's tutoring, so the true
    dose-response is zero (SupervisionData.truth["dose_response"]); the DID's interval covers it,
    with CR2 for 8 county clusters of which 4 are 'high' (small_clusters.choose_inference)."""
    from shuangjian_eval.publication.supervision import enforcement

    e = enforcement.enforcement_did(survey, data.cases, data.school_returns)
    assert e.inference["cov_type"] == "CR2"
    assert e.dose["high_enforcement"].sum() == 4
    row = e.did.to_frame().set_index("term").loc["treated:post"]
    assert row["ci_lower"] <= data.truth["dose_response"] <= row["ci_upper"]
    # the dose: the generator's county intensities rank the counties as the cases do
    truth = pd.DataFrame(data.truth["enforcement_intensity"]).set_index("county")
    got = e.dose.set_index("county")["cases_per_10k"]
    assert np.corrcoef(got, truth.loc[got.index, "cases_per_10k_per_period"])[0, 1] > 0.8
    assert "不是随机分配" in e.caveats("zh") and "not assigned at random" in e.caveats("en")


# ------------------------------------------------------------------------------ the section


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """A small survey with its synthetic supervision folder beside it (the same options)."""
    base = tmp_path_factory.mktemp("run")
    survey = sje.synth.generate(n_schools=24, students_per_school=20, n_counties=3, seed=3)
    survey.to_parquet(base / "survey.parquet")
    exs.write_demo_folder(base / "supervision", seed=3, n_schools=24, n_counties=3)
    return base / "survey.parquet"


def test_the_section_reads_chinese_first_and_suppresses_small_counts(small_run):
    from shuangjian_eval.publication.supervision import report

    s = report.section(small_run)
    table = s.summary_table("zh")
    assert list(table.columns)[0] == "指标" and table.iloc[0, 0] == "报送学校数"
    shown = dict(zip(table.iloc[:, 0], table.iloc[:, 1], strict=True))
    remaining = s.by_period[(s.by_period["indicator"] == "subject_institutions_remaining")
                            & (s.by_period["period"] == s.latest_period())]  # fmt: skip
    for _, row in remaining.iterrows():  # a count of 1-9 shows as <10 (policy.yaml tables rule)
        label = f"现存学科类机构数（{'线下' if row['category'] == 'offline' else '线上'}）"
        if 0 < row["value"] < 10:
            assert shown[label] == "<10"
    assert "95%置信区间" in s.findings("zh") and "95% CI" in s.findings("en")
    assert "读入" in s.sheets("zh") and "totals row 1" in s.sheets("zh")
    assert s.synthetic_check("zh").startswith("合成数据核对")


def test_the_section_prints_its_tables_on_a_page_and_names_its_terms(small_run, data, survey):
    """Read in print (Chromium, A4): the county sheet with a dozen indicator columns broke
    every header into one character a line, so with few counties an indicator is a row; the
    enforcement terms are words, not "treated:post"; one county's report says why it cannot
    compare counties instead of a table of dashes."""
    from shuangjian_eval.publication.supervision import report

    s = report.section(small_run)
    sheet = s.sheet_table("zh")
    counties = sorted(s.folder.tables["half_monthly"]["county"].astype(str).unique())
    assert list(sheet.columns) == ["指标", *counties]  # the 3 counties of small_run
    assert sheet.iloc[0, 0] == "报送学校数" and len(sheet) > 8
    assert "（%）" in s.comparison_table("zh").columns[4]
    from shuangjian_eval.publication.supervision import enforcement

    terms = enforcement.enforcement_did(survey, data.cases, data.school_returns).table("zh")
    assert terms.iloc[0, 0].startswith("执法较多的区县与其余区县")
    assert terms.iloc[1, 0] == "2019年与2020年相比，两类区县的差异之变"  # 2020: the last baseline
    assert all("treated" not in t for t in terms.iloc[:, 0]) and "百分点" in terms.columns[1]
    # 3 counties: 2 at or above the median, 1 below, too few to compare
    assert "at least two counties with more enforcement and two" in str(s.enforcement())
    county = report.section(small_run, region=counties[0])
    why = str(county.enforcement_report("zh")[0])
    assert "一个区县的报告无法比较" in why and "one county's report" in why


def test_a_median_of_a_few_closed_tipoffs_is_not_shown(small_run):
    """As a share: a median of fewer than min_cell (10, policy.yaml tables rule) closed
    tip-offs would publish the cases a reader could count on one hand."""
    from shuangjian_eval.publication.supervision import report

    s = report.section(small_run)

    def row(closed):
        return pd.Series({"indicator": "tipoffs_median_days", "value": 6.5, "numerator": 6.5,
                          "denominator": closed})  # fmt: skip

    assert s._show(row(4.0), "zh") == "样本不足"
    assert s._show(row(4.0), "en") == fmt.SUPPRESSED["n"]["en"]
    assert s._show(row(12.0), "zh") == "6.5"


def test_without_supervision_data_every_part_says_what_it_needs(tmp_path):
    from shuangjian_eval.publication.supervision import report

    path = tmp_path / "survey.parquet"
    sje.synth.generate(n_schools=8, students_per_school=4, n_counties=2).to_parquet(path)
    s = report.section(path)
    for part in (s.summary_table("zh"), s.findings("zh"), s.sheets("zh"), s.table("summary")):
        assert "supervision_path" in str(part) and "督导报表" in str(part)
