"""Small cells: the one rule, complementary suppression, and the smallest cell of an effect.

Expected values are the known truth of tiny tables and data sets built here: the counts typed
into them, the schools each cell was given, and, for complementary suppression, what a reader
can work out by brute force from the published table (every assignment of the hidden cells that
agrees with the total, the published cells and the marks); the thresholds are the rules of
``policy.yaml`` ``suppression:`` (10 respondents and 2 PSUs, 30 respondents for the scorecard).
"""

from __future__ import annotations

import ast
import copy
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import shuangjian_eval as sje
from shuangjian_eval import analyses, quality, suppression, tables
from shuangjian_eval.estimation.results import EstimateResult
from shuangjian_eval.publication.analyses import _common as analyses_common

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


# ------------------------------------------------------------------------------ one rule, one place
def test_thresholds_come_from_policy_yaml(tmp_path):
    # a temporary copy of the bundled policy.yaml with other numbers in its suppression: block
    pol = sje.policy.load()
    raw = copy.deepcopy(pol.raw)
    raw["suppression"].update(min_cell=7, min_psu=3)
    raw["suppression"]["overrides"]["scorecard"]["min_cell"] = 40
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    other = sje.policy.load(path)
    assert suppression.rule_for("tables", other) == suppression.CellRule(7, 3)
    assert suppression.rule_for("scorecard", other) == suppression.CellRule(40, 3)  # PSUs inherited
    assert sje.targets.VerdictRules.from_policy(other).min_cell == 40
    assert (sje.targets.VerdictRules.from_policy(other).min_psu) == 3
    assert suppression.min_cell_for(None, "scorecard", other) == 40
    # the bundled file: 10 and 2 by default, 30 for the scorecard and the briefing
    assert suppression.rule_for("scorecard") == suppression.CellRule(30, 2)
    with pytest.raises(ValueError, match="unknown suppression use 'scorcard'.*scorecard"):
        suppression.rule_for("scorcard")
    with pytest.raises(ValueError, match="min_cell must be a whole number"):
        suppression.min_cell_for(0)


_THRESHOLDS = {"min_cell", "min_psu", "min_n", "MIN_N", "MIN_PSU"}


def _named(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _literal(node: ast.AST | None) -> bool:
    """A number typed into the code (None and 0, "no threshold", do not count)."""
    return isinstance(node, ast.Constant) and node.value not in (None, 0)


def _threshold_copies(tree: ast.AST) -> list[tuple[int, str]]:
    """Lines of a module that compare with a threshold name (<, <=, >, >=) or give a threshold
    name a literal: as a default, a keyword argument or an assignment."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            ordered = any(isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE) for op in node.ops)
            names = {_named(n) for n in [node.left, *node.comparators]} & _THRESHOLDS
            if ordered and names:
                found.append((node.lineno, f"compares with {sorted(names)}"))
        elif isinstance(node, ast.keyword) and node.arg in _THRESHOLDS and _literal(node.value):
            found.append((node.lineno, f"{node.arg}={node.value.value}"))
        elif isinstance(node, ast.arguments):
            args = [*node.posonlyargs, *node.args]
            pairs = [*zip(args[len(args) - len(node.defaults) :], node.defaults, strict=True),
                     *zip(node.kwonlyargs, node.kw_defaults, strict=True)]  # fmt: skip
            found += [(d.lineno, f"default {a.arg}={d.value}") for a, d in pairs
                      if a.arg in _THRESHOLDS and _literal(d)]  # fmt: skip
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if {_named(t) for t in targets} & _THRESHOLDS and _literal(node.value):
                found.append((node.lineno, "assigns a literal threshold"))
    return found


def test_no_module_but_suppression_compares_counts_with_a_threshold():
    # the package source, read with the standard library's ast: only publication/suppression.py
    # compares counts with min_cell / min_psu or types a threshold in
    root = Path(sje.__file__).parent
    owner = root / "publication" / "suppression.py"
    found = [
        f"{path.relative_to(root)}:{line} {what}"
        for path in sorted(root.rglob("*.py"))
        if path != owner
        for line, what in _threshold_copies(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == []
    # the check can fail: a typed-in comparison and default are found
    bad = ast.parse("def f(n, min_cell=10):\n    return n < min_cell\n")
    found_bad = sorted(w for _, w in _threshold_copies(bad))
    assert found_bad == ["compares with ['min_cell']", "default min_cell=10"]


# ------------------------------------------------------------------------------ derived statistics
def test_derived_statistic_of_a_suppressed_cell_is_suppressed():
    # typed-in flags of the cells a statistic rests on
    assert suppression.derived([False, False]) == (True, {})
    used = suppression.derived([False, True, None])
    assert not used.publishable and used.reason == suppression.DERIVED_REASON
    assert "suppressed group" in used.reason["en"] and "隐藏的组" in used.reason["zh"]


@pytest.fixture(scope="module")
def one_rural_senior_school():
    """A county of a synthetic survey whose rural stratum keeps a single senior-grade school.

    In the grade comparison the senior grades are the comparison group, so the rural effect then
    rests on one school (known from the construction: every other rural senior school is
    dropped), fewer than the 2 PSUs of the rule, while the urban effect keeps its schools."""
    df = sje.synth.generate(n_schools=48, students_per_school=30, n_counties=2, seed=0)
    senior = df["stage"] == "senior"
    rural = ~df["urban"].astype(bool)
    for county in sorted(df["county"].unique()):
        here = df["county"] == county
        r_schools = sorted(df.loc[here & rural & senior, "school_id"].unique())
        u_schools = df.loc[here & ~rural & senior, "school_id"].nunique()
        if len(r_schools) >= 2 and u_schools >= 2:
            return county, df.loc[here & ~df["school_id"].isin(r_schools[1:])], df.loc[here]
    pytest.fail("the synthetic survey has no county with 2 rural and 2 urban senior schools")


def test_county_equality_test_using_a_suppressed_group_is_not_published(one_rural_senior_school):
    county, d, full = one_rural_senior_school
    p = analyses.check_parameters(
        d, region=county, waves=[], baseline_waves=[2019, 2020], comparison="grade",
        outcomes=[], lang="zh", notebook="heterogeneity",
    )  # fmt: skip
    assert p.min_cell == suppression.rule_for().min_cell  # None: the policy's rule
    work = analyses.comparison_groups(p.select(d), p.comparison, baseline_waves=p.baseline_waves)
    # the estimation layer stays general: it computes the test, a valid finite statistic
    for v in p.outcomes:
        raw = sje.by_group("did", work, group="urban", term="treated:post", outcome=v,
                           treated="treated", post="post", **analyses_common._DESIGN)  # fmt: skip
        assert raw.equality_test["valid"].all() and np.isfinite(raw.equality_test["p_value"]).all()
    result = analyses.heterogeneity(work, p.outcomes, "urban", comparison=p.comparison)
    t = result.table
    rural_rows = t["urban"] == False  # noqa: E712
    assert (t.loc[rural_rows, "n_psu_min_cell"] == 1).all()  # the one school kept
    assert (t.loc[~rural_rows, "n_psu_min_cell"] >= 2).all()
    # the rural estimates are suppressed in the report table ...
    wide = analyses.table(result, spread="urban", lang="zh")
    assert set(wide["农村"]) == {"样本不足（抽样单位少于2个）"}
    # ... and so is every test that uses them: no statistic, no p-value, no "differ"
    tests = result.equality_test
    assert tests["suppressed"].all() and not tests["valid"].any()
    assert tests[["statistic", "df", "p_value"]].isna().all().all()
    for lang, differ in (("zh", "差异显著"), ("en", "differ")):
        shown = analyses.equality_table(result, lang=lang)
        text = " ".join(shown.astype(str).to_numpy().ravel())
        assert differ not in text.replace(suppression.DERIVED_REASON[lang], "")
        assert not any(ch.isdigit() for ch in text.replace(suppression.DERIVED_REASON[lang], ""))
        assert (shown.iloc[:, -1] == suppression.DERIVED_REASON[lang]).all()  # says why
    # with every rural school of the county (2 or more senior schools), the tests are published
    whole = analyses.comparison_groups(
        p.select(full), p.comparison, baseline_waves=p.baseline_waves
    )
    kept = analyses.heterogeneity(whole, p.outcomes, "urban", comparison=p.comparison)
    assert not kept.equality_test["suppressed"].any() and kept.equality_test["valid"].all()
    assert analyses.equality_table(kept, lang="en")["p-value"].str.contains(r"\d").all()


def test_urban_rural_gap_using_a_suppressed_group_is_suppressed(one_rural_senior_school):
    # sje.targets counts compulsory grades only: keep a single rural school with compulsory
    # grades, so that every rural cell rests on one PSU (known from the construction), below the
    # scorecard's rule of policy.yaml (30 respondents, 2 schools); the urban cells keep theirs
    county, d, _ = one_rural_senior_school
    rural = ~d["urban"].astype(bool)
    keep = sorted(d.loc[rural & (d["stage"] != "senior"), "school_id"].unique())[0]
    d = d.loc[~rural | (d["school_id"] == keep)]
    gaps = sje.targets.urban_rural_gaps(d, region=county).table
    rural_change = (gaps["quantity"] == "change") & (gaps["urban"] == False)  # noqa: E712
    assert not gaps.loc[rural_change, "valid"].any()
    assert gaps.loc[rural_change, "reason"].str.startswith("suppressed: fewer than 30").all()
    urban_change = (gaps["quantity"] == "change") & (gaps["urban"] == True)  # noqa: E712
    assert gaps.loc[urban_change, "valid"].any()  # the urban cells are published
    gap = gaps["quantity"] == "gap_change"
    assert gap.any() and not gaps.loc[gap, "valid"].any()
    assert (gaps.loc[gap, "reason"] == suppression.DERIVED_REASON["en"]).all()
