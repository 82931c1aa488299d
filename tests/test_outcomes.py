"""The outcome registry: one new outcome, added in a copy of ``codebook.yaml``, reaches the
scorecard, the policy report's briefing and a notebook's default outcomes.

Adding ``screen_time_min`` touched two files here: the codebook copy (its variable and its
registry entry) and the synthetic generator's truth (one ``simple_outcomes`` row, the row of
``synth.SIMPLE_OUTCOMES`` a real addition would get). Real data would add a third, a mapping
profile line. No code of indicators, charts, notebooks or formatting changed.

Expected values: the truth given to the generator (a nominal effect of -20 minutes, realised
effects in ``sje.synth.truth``), and the registry entry written below.
"""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

import shuangjian_eval as sje
from shuangjian_eval import analyses

NEW = "screen_time_min"
VARIABLE = {
    "group": "parents",
    "dtype": "float64",
    "unit": "minutes per day",
    "min": 0.0,
    "max": 900.0,
    "missing_codes": [-8, -9, 999],
    "label": {"zh": "工作日屏幕时间", "en": "Weekday screen time"},
    "description": "Minutes of screen time on a school day.",
}
ENTRY = {
    "direction": "decrease",
    "scorecard": {"kind": "mean", "ideal": 0.0},
    "charts": [{"key": "screen_time", "title": {"zh": "屏幕时间", "en": "Screen time"}}],
    "notebooks": ["heterogeneity"],
}
TRUTH = {NEW: {"mean": 150.0, "sd": 30.0, "effect": -20.0}}


def _write(tmp_path, raw) -> str:
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(path)


@pytest.fixture
def bundled():
    text = resources.files("shuangjian_eval.inputs").joinpath("codebook.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@pytest.fixture
def with_new_outcome(tmp_path, monkeypatch, bundled):
    bundled["variables"][NEW] = VARIABLE
    bundled["outcomes"][NEW] = ENTRY
    monkeypatch.setenv(sje.codebook.ENV_VAR, _write(tmp_path, bundled))
    return sje.codebook.load()


def test_a_new_outcome_reaches_scorecard_briefing_and_notebook(with_new_outcome):
    assert NEW in with_new_outcome.outcomes
    df = sje.synth.generate(n_schools=60, students_per_school=20, n_counties=3, seed=2,
                            simple_outcomes=TRUTH)  # fmt: skip
    assert df[NEW].notna().mean() > 0.9
    truth = sje.synth.truth(df)
    true_1y = truth.query("outcome == @NEW and by == 'overall' and wave == 2022")["att"].item()
    assert -25 < true_1y < -15  # the nominal -20 scaled by pilot and non-pilot cities

    card = sje.targets.scorecard(df, indicators=[NEW]).to_frame().set_index("indicator")
    row = card.loc[NEW]
    assert row["verdict_1y"] in {"remarkable", "effective", "not_met", "inconclusive"}
    # a before-after change, so the true effect plus nothing else (no trend in the truth row)
    assert row["change_1y"] == pytest.approx(true_1y, abs=8.0)

    brief = sje.briefing.compute(df, region="all")
    assert "screen_time" in brief.chart_keys()
    assert NEW in set(brief.scorecard["indicator"])
    drawn = brief.frames["chart:screen_time"]
    assert set(drawn["variable"]) == {NEW} and drawn["estimate"].notna().any()

    p = analyses.check_parameters(
        df, region="all", waves=[], baseline_waves=[2019, 2020], comparison="grade",
        outcomes=[], lang="zh", min_cell=10, notebook="heterogeneity",
    )  # fmt: skip
    assert analyses.default_outcomes("heterogeneity")[-1] == NEW  # last in registry order
    assert p.outcomes[-1] == NEW  # every section of the notebook takes p.outcomes
    assert NEW in p.pick(kind="mean", group="parents")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"group": "design"}, "outcome 'screen_time_min': group 'design' (the variable's) is not an outcome group"),
        ({"standard": "screen_limits"}, "outcome 'screen_time_min': standard 'screen_limits' is not a standard of policy.yaml"),
        ({"notebooks": ["screens"]}, "outcome 'screen_time_min': notebooks 'screens' is not a notebook"),
        ({"direction": "down"}, "outcome 'screen_time_min': direction 'down' is not a direction"),
        ({"scorecard": {"kind": "median", "ideal": 0}}, "scorecard.kind 'median' is not an indicator kind"),
    ],
)  # fmt: skip
def test_registry_errors_name_the_outcome_and_the_field(tmp_path, bundled, change, message):
    group = change.pop("group", None)
    bundled["variables"][NEW] = {**VARIABLE, **({"group": group} if group else {})}
    bundled["outcomes"][NEW] = {**ENTRY, **change}
    with pytest.raises(ValueError) as err:
        sje.codebook.load(_write(tmp_path, bundled))
    assert message in str(err.value)


def test_an_outcome_must_be_a_codebook_variable(tmp_path, bundled):
    bundled["outcomes"][NEW] = ENTRY
    with pytest.raises(ValueError, match="outcome 'screen_time_min': name is not a variable"):
        sje.codebook.load(_write(tmp_path, bundled))
