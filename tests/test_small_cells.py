"""Small cells: the one rule, complementary suppression, and the smallest cell of an effect.

Expected values are the known truth of tiny tables and data sets built here: the counts typed
into them, the schools each cell was given, and, for complementary suppression, what a reader
can work out by brute force from the published table (every assignment of the hidden cells that
agrees with the total, the published cells and the marks).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import shuangjian_eval as sje
from shuangjian_eval import quality, suppression, tables
from shuangjian_eval.estimation.results import EstimateResult

EST = "估计值 [95%置信区间]"
COMP = suppression.COMPLEMENTARY_MARK["zh"]


# ------------------------------------------------------------------------------ the rule
def test_small_cells_mask_follows_n_and_n_psu():
    # typed-in counts: 9 respondents, 10, 80 in one school, a missing count, a missing column
    frame = pd.DataFrame({"n": [9, 10, 80, np.nan], "n_psu": [5, 5, 1, 5]})
    assert suppression.small_cells(frame).tolist() == [True, False, True, False]
    assert suppression.small_cells(frame, min_cell=11).tolist() == [True, True, True, False]
    assert suppression.small_cells(frame, n_psu=None).tolist() == [True, False, False, False]
    assert not suppression.small_cells(frame.drop(columns=["n", "n_psu"])).any()
    # the default rule of policy.yaml suppression: (10 respondents, 2 PSUs)
    assert suppression.rule_for() == suppression.CellRule(min_cell=10, min_psu=2)
    assert suppression.is_small(9) and not suppression.is_small(10) and suppression.is_small(80, 1)


# ------------------------------------------------------------------------------ complementary
def _survey(counts: dict[int, list[int]]) -> pd.DataFrame:
    """Respondents by stage (primary_lower, primary_upper, junior, senior) for each wave."""
    stages = ["primary_lower", "primary_upper", "junior", "senior"]
    rows = [
        {"wave": wave, "stage": stage}
        for wave, ns in counts.items()
        for stage, k in zip(stages, ns, strict=True)
        for _ in range(k)
    ]
    df = pd.DataFrame(rows)
    df["stage"] = pd.Categorical(df["stage"], categories=stages)  # rows in this order
    return df


def _feasible(column: list[str], total: int, min_cell: int = 10) -> list[set[int]]:
    """What a reader can work out of each cell of a published column with a published total:
    the values every hidden cell can take in some assignment that agrees with the total, the
    published cells and the marks ("<10": 1 to 9; complementary: at least 10)."""
    ranges = []
    for text in column:
        if text == f"<{min_cell}":
            ranges.append(range(1, min_cell))
        elif text == COMP:
            ranges.append(range(min_cell, total + 1))
        else:
            ranges.append(range(int(text.replace(",", "")), int(text.replace(",", "")) + 1))
    seen: list[set[int]] = [set() for _ in column]
    hidden = [i for i, r in enumerate(ranges) if len(r) > 1]
    fixed = sum(r.start for i, r in enumerate(ranges) if i not in hidden)
    for values in itertools.product(*(ranges[i] for i in hidden)):
        if fixed + sum(values) == total:
            for i, v in zip(hidden, values, strict=True):
                seen[i].add(v)
    return seen


@pytest.mark.parametrize(
    "cells",
    [
        [5, 40, 12, 60],  # one small cell: total minus the others gives it
        [1, 1, 50, 60],  # two small cells summing to 2: both are 1
        [9, 9, 200, 300],  # two small cells summing to 18: both are 9
    ],
)
def test_a_suppressed_count_cannot_be_recovered_from_the_total(cells):
    table = quality.sample_size_table(_survey({2022: cells, 2024: [30, 30, 30, 30]}))
    column = table["2022"].tolist()
    published, total = column[:-1], int(column[-1])
    assert total == sum(cells)  # the total stays published
    feasible = _feasible(published, total)
    for truth, text, values in zip(cells, published, feasible, strict=True):
        if truth < 10:
            assert text == "<10"
            # the reader learns nothing beyond "<10": every value from 1 to 9 fits
            assert values == set(range(1, 10)), (cells, published)
    assert published.count(COMP) >= 1
    # a column without small cells is published in full
    assert table["2024"].tolist() == ["30", "30", "30", "30", "120"]


def test_complementary_cell_is_the_smallest_that_protects():
    # 5 with 12 hidden would give 5 + 12 = 17, and 12 >= 10 leaves the small cell at most 7:
    # 40 is the smallest cell that leaves it anywhere from 1 to 9
    s = suppression.complementary_suppression([5, 40, 12, 60], ["w"] * 4)
    assert s.primary.tolist() == [True, False, False, False]
    assert s.complementary.tolist() == [False, True, False, False]
    assert s.totals_hidden == []
    # zeros are never hidden; cells outside any published total need no protection
    s = suppression.complementary_suppression([5, 0, 30, 3, 50], ["a", "a", "a", None, None])
    assert s.complementary.tolist() == [False, False, True, False, False]


def test_total_is_dropped_when_no_cell_can_protect():
    # 5 and 10 (and zeros): with 10 hidden the total 15 still bounds the small cell by 5
    table = quality.sample_size_table(_survey({2022: [5, 10, 0, 0], 2024: [30, 30, 30, 30]}))
    assert table["2022"].tolist() == ["<10", COMP, "0", "0", COMP]
    en = quality.sample_size_table(_survey({2022: [5, 10, 0, 0], 2024: [30] * 4}), lang="en")
    assert en["2022"].iloc[-1] == "suppressed (complementary)"
    # a total that is itself small is marked "<10" and its column needs nothing more
    tiny = quality.sample_size_table(_survey({2022: [3, 4, 0, 0], 2024: [30] * 4}))
    assert tiny["2022"].tolist() == ["<10", "<10", "0", "0", "<10"]


def test_overall_count_is_left_out_when_a_wave_is_small():
    # wave totals 7 and 120 are published (7 as "<10"); 127 would give the 7 back
    small = _survey({2022: [3, 4, 0, 0], 2024: [30] * 4}).assign(school_id=1, county="c")
    text = quality.describe_source(small, lang="en")
    assert "respondents" not in text and "127" not in text
    big = _survey({2022: [30] * 4, 2024: [30] * 4}).assign(school_id=1, county="c")
    assert "240 respondents" in quality.describe_source(big, lang="en")


# ------------------------------------------------------------------------------ effect cells
def _did_data() -> pd.DataFrame:
    """2 x 2 data with known cells: treated x post has 4 rows (one outcome missing), one per
    treated school A, B, C (and A again); treated x pre 20 rows in A, B, C; control x pre 20
    rows all in school D; control x post 20 rows in D and E."""
    rng = np.random.default_rng(0)
    parts = [
        (1, 1, ["A", "B", "C", "A"]),
        (1, 0, ["A", "B", "C", "A"] * 5),
        (0, 0, ["D"] * 20),
        (0, 1, ["D", "E"] * 10),
    ]
    rows = [{"treated": t, "post": p, "school": s} for t, p, schools in parts for s in schools]
    df = pd.DataFrame(rows)
    df["y"] = rng.normal(size=len(df)) + 2.0 * df["treated"] * df["post"]
    df.loc[3, "y"] = np.nan  # the fourth treated x post row is not used
    return df


def test_did_reports_its_smallest_cell():
    r = sje.did(_did_data(), outcome="y", treated="treated", post="post", cluster="school")
    row = r.table.set_index("term").loc["treated:post"]
    # truth of the data: treated x post has 3 usable rows; control x pre lies in 1 school
    assert (row["n_min_cell"], row["n_psu_min_cell"]) == (3, 1)
    assert r.nobs == 63
    without = sje.did(_did_data(), outcome="y", treated="treated", post="post")
    assert np.isnan(without.table.set_index("term").loc["treated:post", "n_psu_min_cell"])


def test_report_table_suppresses_effects_resting_on_a_small_cell():
    r = sje.did(_did_data(), outcome="y", treated="treated", post="post", cluster="school")
    t = tables.report_table(r, lang="zh")
    focus = t.index[t["项"] == "treated:post"][0]
    assert t.loc[focus, EST] == "样本不足"
    assert t.loc[focus, "说明"] == "最小单元受访者少于10人"
    assert focus in t.attrs["suppressed"]
    assert any("最小单元" in n for n in t.attrs["notes"])
    # typed-in rows: enough respondents but one school in the smallest cell; and a control
    rows = [
        {"term": "a", "estimate": 1.0, "ci_lower": 0.5, "ci_upper": 1.5, "n": 500,
         "n_min_cell": 40, "n_psu_min_cell": 1},
        {"term": "b", "estimate": 1.0, "ci_lower": 0.5, "ci_upper": 1.5, "n": 500,
         "n_min_cell": 40, "n_psu_min_cell": 6},
    ]  # fmt: skip
    frame = pd.DataFrame(rows).assign(std_error=0.2, statistic=5.0, p_value=0.0)
    en = tables.report_table(EstimateResult(frame, method="did"), lang="en")
    assert en["Estimate [95% CI]"].tolist() == [
        "suppressed: fewer than 2 PSUs",
        "+1.00 [0.50, 1.50]",  # the house format of a change: sign on the estimate only
    ]
    assert en["Note"].iloc[0] == "smallest cell has fewer than 2 PSUs"
    n_col = sje.formatting.stat_label("n", "en")
    assert en[n_col].tolist() == ["500", "500"]  # the whole estimate's count, not the cell's
    assert "n_min_cell" not in " ".join(en.columns)  # not taken for a domain
    assert en.attrs["suppressed"] == [0]


def _event_data() -> pd.DataFrame:
    """Waves 1-3; treated rows in schools T1-T3, control rows in C1-C3, 12 rows a cell cycling
    through the group's schools, except treated in wave 3: 4 rows, all in T1."""
    rows = []
    for wave in (1, 2, 3):
        for treated, prefix in ((1, "T"), (0, "C")):
            k = 4 if (treated, wave) == (1, 3) else 12
            for i in range(k):
                school = "T1" if k == 4 else f"{prefix}{i % 3 + 1}"
                rows.append({"wave": wave, "treated": treated, "school": school})
    df = pd.DataFrame(rows)
    df["y"] = np.random.default_rng(1).normal(size=len(df))
    df["cohort"] = np.where(df["treated"] == 1, 3, 0)
    return df


def test_event_study_and_staggered_report_their_smallest_cells():
    df = _event_data()
    e = sje.event_study(df, outcome="y", treated="treated", time="wave", ref=2, cluster="school")
    sizes = e.table.set_index("period")[["n_min_cell", "n_psu_min_cell"]]
    # wave 1 against 2: every cell 12 rows in 3 schools; wave 3: treated cell 4 rows, 1 school
    assert sizes.loc[1.0].tolist() == [12, 3] and sizes.loc[3.0].tolist() == [4, 1]
    st = sje.staggered_did(df, outcome="y", time="wave", cohort="cohort", panel=False,
                           cluster="school", base_period="universal")  # fmt: skip
    cells = st.table.set_index("term")[["n_min_cell", "n_psu_min_cell"]]
    assert cells.loc["ATT(3,1)"].tolist() == [12, 3]
    assert cells.loc["ATT(3,3)"].tolist() == [4, 1]
    assert cells.loc["ATT(3,2)"].isna().all()  # the reference cell, 0 by construction
    dyn = st.aggregate("dynamic").table.set_index("term")[["n_min_cell", "n_psu_min_cell"]]
    assert dyn.loc["ATT"].tolist() == [4, 1]  # the overall effect averages e >= 0: ATT(3,3)
    assert dyn.loc["event_time=-2"].tolist() == [12, 3]
    simple = st.aggregate("simple").table
    assert simple[["n_min_cell", "n_psu_min_cell"]].iloc[0].tolist() == [4, 1]


def test_by_group_and_ordinal_report_their_smallest_cells():
    small = _did_data().dropna().assign(region="small")
    big = _did_data().dropna()
    big = pd.concat([big] * 4, ignore_index=True).assign(region="big")  # every cell x 4
    g = sje.by_group("did", pd.concat([small, big]), group="region", term="treated:post",
                     outcome="y", treated="treated", post="post", cluster="school")  # fmt: skip
    sizes = g.table.set_index("region")[["n_min_cell", "n_psu_min_cell"]]
    assert sizes.loc["small"].tolist() == [3, 1] and sizes.loc["big"].tolist() == [12, 1]

    # treated x post cells of 5, 12, 12, 12 rows; answers cycle 1, 2, 3 within each cell
    rows = []
    for (t, p), k in {(1, 1): 5, (1, 0): 12, (0, 1): 12, (0, 0): 12}.items():
        rows += [{"treated": t, "post": p, "y": i % 3 + 1} for i in range(k)]
    df = pd.DataFrame(rows).assign(treated_post=lambda d: d["treated"] * d["post"])
    o = sje.ordinal_logit(df, outcome="y", covariates=["treated", "post", "treated_post"])
    n_min = o.table.set_index("term")["n_min_cell"]
    assert n_min[["treated", "post", "treated_post"]].tolist() == [5, 5, 5]
    # answers 1: 2 + 3 x 4 = 14 of 41; answers 3: 1 + 3 x 4 = 13
    assert n_min[["1|2", "2|3"]].tolist() == [14, 13]
    assert o.table["n_psu_min_cell"].isna().all()  # no clusters given


def test_charts_leave_out_effects_resting_on_a_small_cell():
    """Hand-built rows: the estimates' own counts are large; the first rests on a cell of 4
    respondents, the second on a cell of one school, the third (a reference period) has no
    smallest cell. Only the third may be drawn."""
    from shuangjian_eval.publication.plots import _data

    frame = pd.DataFrame({
        "estimate": [1.0, 2.0, 0.0], "valid": [True, True, True], "n": [100, 100, 100],
        "n_psu": [5, 5, 5], "n_min_cell": [4, 50, np.nan], "n_psu_min_cell": [3, 1, np.nan],
    })  # fmt: skip
    assert _data.usable_rows(frame, min_cell=10).tolist() == [False, False, True]
