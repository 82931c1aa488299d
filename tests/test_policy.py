"""policy.yaml: every value has a source, sources are described, and the facts match their
documents.

Expected values come from the policy facts gathered for this project (the official figures and standards with
their sources) and from the rules of policy.yaml itself (stated in its header comment).
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

import shuangjian_eval as sje
from shuangjian_eval import policy as pol_mod
from shuangjian_eval import targets


@pytest.fixture(scope="module")
def pol():
    return sje.policy.load()


# ------------------------------------------------------------------------------ sources


def test_every_number_in_policy_yaml_has_a_source(pol):
    # rule of policy.yaml: every number, date or digit-bearing text sits in a mapping with a
    # `source`, or below one
    assert pol.unsourced_values() == []


def test_the_source_check_fails_when_a_source_is_missing(pol):
    raw = copy.deepcopy(pol.raw)
    raw["afterschool_service"].pop("source")
    raw["targets"]["verdict"].pop("source")  # still sourced by `targets` above it
    raw["new_fact"] = {"value": 42}
    raw["official_figures"].append({"indicator": "x", "value": 0.5, "date": dt.date(2022, 1, 1)})
    missing = pol_mod.unsourced_values(raw)
    assert "afterschool_service.days_per_week" in missing
    assert "afterschool_service.min_hours_per_day" in missing
    assert "afterschool_service.rule.zh" in missing  # text with digits: "5+2", 5 days, 2 hours
    assert "new_fact.value" in missing
    n = len(raw["official_figures"]) - 1
    assert f"official_figures[{n}].value" in missing and f"official_figures[{n}].date" in missing
    assert not any(p.startswith("targets") for p in missing)  # inherited from the ancestor


def test_every_source_names_a_described_document(pol):
    assert pol.unknown_sources() == []
    raw = copy.deepcopy(pol.raw)
    raw["fees"]["source"] = "no_such_document"
    assert pol_mod.unknown_sources(raw) == ["fees.source"]
    for key, doc in pol.sources.items():
        assert doc["zh"] and doc["en"] and doc["where"], key
        assert str(doc["date"]), key
        assert doc["status"] in pol_mod.STATUSES, key


def test_every_status_is_a_known_one(pol):
    statuses = {str(node["status"]).split(" ")[0] for _, node in _facts(pol.raw)}
    assert statuses <= set(pol_mod.STATUSES)


def _facts(node, path=""):
    if isinstance(node, dict):
        if "source" in node and "status" in node:
            yield path, node
        for k, v in node.items():
            yield from _facts(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _facts(v, f"{path}[{i}]")


def test_unverified_facts_are_marked(pol):
    # policy-facts.md: the pilot list comes from secondary sources; the online-tutoring limits
    # come from secondary sources only ("partly unverified")
    paths = [p for p, _ in pol.with_status("unverified")]
    assert "pilot_cities" in paths
    online = [r for r in pol.tutoring_rules if "21:00" in r["rule"]["en"]]
    assert online and online[0]["status"] == "unverified"
    assert pol.pilot_cities_status == "unverified"
    assert pol.raw["pilot_cities"]["verified_cities"] == []


def test_analysis_conventions_are_not_passed_off_as_policy(pol):
    # the thresholds and waves are this package's choices: their source says so
    assert pol.raw["targets"]["verdict"]["source"] == "sje_conventions"
    assert pol.raw["targets"]["source"] == "sje_conventions"
    assert pol.source("sje_conventions")["status"] == "convention"


# ------------------------------------------------------------------------------ facts


def test_standards_match_policy_facts(pol):
    # policy-facts.md, "The policy and its standards"
    assert pol.date == dt.date(2021, 7, 24)
    assert pol.goal["zh"] == "1年内有效减轻、3年内成效显著"
    assert pol.compulsory_grades == (1, 9)
    assert pol.homework_limit_for_stage("primary_lower") == 0
    assert pol.homework_limit_for_stage("primary_upper") == 60
    assert pol.homework_limit_for_stage("junior") == 90
    assert pol.afterschool_service["days_per_week"] == 5
    assert pol.afterschool_service["min_hours_per_day"] == 2
    assert pol.raw["sleep_standard"]["source"] == "moe_sleep_notice_2021"  # a separate document
    assert pol.source("moe_sleep_notice_2021")["date"] != pol.source("opinions_2021")["date"]
    assert pol.fees["examples"][0]["cap_cny_per_lesson"] == 80
    assert len(pol.pilot_cities) == 9


def test_target_waves_match_the_design(pol):
    # DESIGN.md: waves before mid-2021 are baseline; 2022 the 1-year mark; 2024 the 3-year mark
    assert pol.baseline_waves == [2019, 2020]
    assert (pol.one_year_wave, pol.three_year_wave) == (2022, 2024)


def test_official_figures_match_policy_facts(pol):
    figures = {(f["indicator"], str(f["date"])): f for f in pol.official_figures()}
    hw = figures[("homework_within_limit", "2021-12-21")]  # MoE press release 2021-12-21
    assert (hw["before"], hw["after"]) == (0.46, 0.90) and hw["source"] == "moe_press_2021_12_21"
    assert figures[("afterschool_service_schools", "2021-09-23")]["value"] == 0.963
    assert figures[("no_subject_tutoring", "2022-03-02")]["value"] == 0.835
    assert figures[("parents_satisfied", "2021-12-23")]["value"] == 0.85
    assert figures[("subject_institutions_offline", "2022-09-09")]["value"] == -0.956
    after = figures[("afterschool_participation", "2024-09-26")]
    assert (after["before"], after["after"]) == (0.50, 0.90)


def test_comparable_figures_stand_beside_scorecard_indicators(pol):
    ids = {i.id for i in targets.default_indicators(pol)}
    for f in pol.official_figures():
        if "scorecard" in f:
            assert f["scorecard"] in ids, f
        if f.get("comparable"):
            assert 0 <= f["scorecard_value"] <= 1, f
    # the complement is arithmetic on the published 83.5 %, not a new fact
    tut = pol.official_figures("tutoring_subject")[0]
    assert tut["scorecard_value"] == pytest.approx(1 - tut["value"])


def test_cite_gives_title_and_date(pol):
    assert pol.cite("opinions_2021", "en").endswith("(2021-07-24)")
    assert pol.cite("moe_press_2021_12_21", "zh") == "教育部新闻通稿（2021年12月21日）"  # dated
    assert pol.cite("a document described in words", "en") == "a document described in words"
    with pytest.raises(KeyError, match="opinions_2021"):
        pol.source("nope")


# ------------------------------------------------------------------------------ verdict defaults


def test_verdict_defaults(pol):
    # policy.yaml targets.verdict (issue: 10 % at 1 year, 25 % at 3 years); the cell sizes are
    # the scorecard's rule of policy.yaml suppression: (30 respondents, 2 schools)
    v = pol.verdict_rules
    assert (v["effective"], v["remarkable"], v["level"]) == (0.10, 0.25, 0.95)
    assert v["met_rule"] == "estimate" and "min_cell" not in v
    assert pol.suppression("scorecard") == {"min_cell": 30, "min_psu": 2}
    assert pol.suppression() == {"min_cell": 10, "min_psu": 2}


def test_an_older_policy_file_keeps_working(tmp_path, pol):
    # schema version 1 had the thresholds directly under `targets`
    raw = copy.deepcopy(pol.raw)
    del raw["targets"]["verdict"]
    raw["targets"]["effectively_reduced_min_relative_change"] = 0.2
    raw["targets"]["confidence_level"] = 0.9
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    old = sje.policy.load(path)
    assert old.verdict_rules["effective"] == 0.2 and old.verdict_rules["level"] == 0.9
    assert old.verdict_rules["remarkable"] == 0.25  # package default
    assert old.one_year_wave == 2022
