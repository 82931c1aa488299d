"""Tests for shuangjian_eval.estimation.effects.scales: Cronbach's alpha, item-total correlations, omega.

Sources of expected values:

- [R] ``tests/data/stats/stats_make_reference.R`` run with R 4.2.2 and psych 2.2.9 on the
  agreeableness items A1-A5 of ``psych::bfi`` (2800 respondents, saved as
  ``bfi_agreeableness.csv``), A1 reversed (7 - A1), complete cases only (2709 rows):
  ``psych::alpha`` (raw_alpha, std.alpha, average_r, ase, alpha.drop, item.stats$r.drop),
  ``psych::alpha.ci`` (the Feldt bounds printed by ``alpha``), and ``factanal(x, factors = 1)``
  loadings and uniquenesses with omega = (sum loadings)^2 / sum(cor(x)); values in
  ``stats_r_reference.csv`` (section names quoted below). psych's printed summary (raw_alpha
  0.7, std.alpha 0.71, Feldt 0.69-0.72) is the same to its two printed digits;
- [TRUTH] the loadings of ``sje.synth`` (``synth._LOADINGS``, ``synth._CUTS_ANXIETY``) and data
  simulated here from a one-factor model with known loadings, whose population alpha and omega
  follow from the loadings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from shuangjian_eval import synth
from shuangjian_eval.estimation.effects import cronbach_alpha, item_total, mcdonald_omega

STATS = Path(__file__).parent / "data" / "stats"
ITEMS = ["A1", "A2", "A3", "A4", "A5"]


def _ref(section: str) -> pd.Series:
    ref = pd.read_csv(STATS / "stats_r_reference.csv")
    return ref.loc[ref["section"] == section].set_index("term")["value"]


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    df = pd.read_csv(STATS / "bfi_agreeableness.csv")
    return df.assign(A1=7 - df["A1"])  # reverse-keyed on the 1-6 scale, as in the R script


# ------------------------------------------------------------------ psych::alpha
def test_alpha_matches_psych(bfi):
    res = cronbach_alpha(bfi)
    ref = _ref("alpha")
    frame = res.to_frame().set_index("term")
    # [R] section alpha: raw_alpha 0.7037559, std.alpha 0.7135016, ase 0.009074844
    assert res.estimate["alpha"] == pytest.approx(ref["raw_alpha"], rel=1e-9)
    assert res.estimate["std_alpha"] == pytest.approx(ref["std_alpha"], rel=1e-9)
    assert res.std_error["alpha"] == pytest.approx(ref["ase"], rel=1e-7)
    assert frame.loc["alpha", "average_r"] == pytest.approx(ref["average_r"], rel=1e-9)
    # [R] psych::alpha.ci (Feldt): 0.6857446, 0.7210360
    assert frame.loc["alpha", "ci_lower"] == pytest.approx(ref["feldt_lower"], rel=1e-9)
    assert frame.loc["alpha", "ci_upper"] == pytest.approx(ref["feldt_upper"], rel=1e-9)
    # listwise deletion, stated
    assert res.nobs == ref["n_obs"] == 2709
    assert res.options["missing"] == "listwise" and res.options["n_dropped"] == 91


def test_alpha_if_dropped_and_corrected_item_total_match_psych(bfi):
    items = cronbach_alpha(bfi).items
    # [R] sections alpha_drop, alpha_drop_std, r_drop
    for item, value in _ref("alpha_drop").items():
        assert items.loc[item, "alpha_if_dropped"] == pytest.approx(value, rel=1e-9)
    for item, value in _ref("alpha_drop_std").items():
        assert items.loc[item, "std_alpha_if_dropped"] == pytest.approx(value, rel=1e-9)
    it = item_total(bfi)
    for item, value in _ref("r_drop").items():
        assert items.loc[item, "r_drop"] == pytest.approx(value, rel=1e-9)
        assert it.estimate[item] == pytest.approx(value, rel=1e-9)
    assert it.terms == ITEMS


def test_feldt_interval_rebuilds_at_other_levels(bfi):
    res = cronbach_alpha(bfi)
    a, n = res.estimate["alpha"], 2709
    ci = res.conf_int(0.90).loc["alpha"]
    # Feldt (1965): 1 - (1 - alpha) F_{1-p/2}(n - 1, (n - 1)(k - 1)) and F_{p/2}, k = 5 items
    assert ci["ci_lower"] == pytest.approx(1 - (1 - a) * stats.f.ppf(0.95, n - 1, (n - 1) * 4))
    assert ci["ci_upper"] == pytest.approx(1 - (1 - a) * stats.f.ppf(0.05, n - 1, (n - 1) * 4))
    assert cronbach_alpha(bfi, ci=0.90).to_frame().loc[0, "ci_lower"] == pytest.approx(
        ci["ci_lower"]
    )


def test_item_total_fisher_interval(bfi):
    res = item_total(bfi)
    r = res.estimate["A3"]
    half = stats.norm.ppf(0.975) / np.sqrt(2709 - 3)
    ci = res.conf_int().loc["A3"]
    assert ci["ci_lower"] == pytest.approx(np.tanh(np.arctanh(r) - half))
    assert ci["ci_upper"] == pytest.approx(np.tanh(np.arctanh(r) + half))


def test_items_and_weights_by_column_name(bfi):
    df = bfi.assign(weight=1.0, other="x")
    a = cronbach_alpha(df, items=ITEMS, weights="weight")
    assert a.estimate["alpha"] == pytest.approx(cronbach_alpha(bfi).estimate["alpha"], rel=1e-12)


def test_integer_weights_equal_duplicated_rows(bfi):
    data = bfi.dropna().iloc[:400].reset_index(drop=True)
    w = np.arange(len(data)) % 3 + 1
    weighted = cronbach_alpha(data.assign(w=w), weights="w")
    duplicated = cronbach_alpha(data.loc[data.index.repeat(w)])
    # [TRUTH] point estimates depend on the weights only through the weighted covariances
    for term in ("alpha", "std_alpha"):
        assert weighted.estimate[term] == pytest.approx(duplicated.estimate[term], rel=1e-3)
    # ... but the sample size (and so the interval) stays that of the 400 rows (Kish n_eff)
    assert weighted.nobs == 400
    width = weighted.to_frame()["ci_upper"] - weighted.to_frame()["ci_lower"]
    width_dup = duplicated.to_frame()["ci_upper"] - duplicated.to_frame()["ci_lower"]
    assert (width > width_dup).all()


# ------------------------------------------------------------------ omega
def test_one_factor_ml_loadings_and_omega_match_factanal(bfi):
    res = mcdonald_omega(bfi)
    # [R] factanal_loading / factanal_uniqueness (6 printed digits agree) and omega
    for item, value in _ref("factanal_loading").items():
        assert res.items.loc[item, "loading"] == pytest.approx(value, abs=2e-6)
    for item, value in _ref("factanal_uniqueness").items():
        assert res.items.loc[item, "uniqueness"] == pytest.approx(value, abs=2e-6)
    assert res.estimate["omega_total"] == pytest.approx(
        _ref("omega")["omega_total_factanal"], abs=2e-6
    )
    lam, psi = res.items["loading"], res.items["uniqueness"]
    model = lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())
    assert res.estimate["omega_model"] == pytest.approx(model)


def test_omega_bootstrap_gives_an_interval(bfi):
    small = bfi.dropna().iloc[:300]
    res = mcdonald_omega(small, n_boot=40, seed=1)
    frame = res.to_frame().set_index("term")
    assert 0 < frame.loc["omega_total", "std_error"] < 0.1
    assert frame.loc["omega_total", "ci_lower"] < res.estimate["omega_total"]
    assert res.estimate["omega_total"] < frame.loc["omega_total", "ci_upper"]
    assert np.isnan(mcdonald_omega(small).std_error["omega_total"])


# ------------------------------------------------------------------ known truth
def _one_factor_data(rng, n, loadings):
    f = rng.normal(size=n)
    e = rng.normal(size=(n, len(loadings)))
    x = f[:, None] * loadings + e * np.sqrt(1 - loadings**2)
    return pd.DataFrame(x, columns=[f"item_{j + 1}" for j in range(len(loadings))])


def test_alpha_and_omega_recover_the_population_values():
    loadings = np.array([0.8, 0.7, 0.6, 0.5])
    df = _one_factor_data(np.random.default_rng(11), 4000, loadings)
    total_var = loadings.sum() ** 2 + (1 - loadings**2).sum()
    # [TRUTH] alpha = k/(k-1) (1 - k / var(sum)) with unit-variance items; omega = (sum l)^2 / var
    alpha_true = 4 / 3 * (1 - 4 / total_var)
    omega_true = loadings.sum() ** 2 / total_var
    a = cronbach_alpha(df)
    lo, hi = a.conf_int(0.99).loc["alpha"]
    assert lo < alpha_true < hi
    om = mcdonald_omega(df)
    assert om.estimate["omega_model"] == pytest.approx(omega_true, abs=0.01)
    assert np.allclose(om.items["loading"], loadings, atol=0.03)


def _implied_ordinal_alpha(loadings, cuts, factor_var):
    """Alpha of items cut from z_j = l_j f + sqrt(1 - l_j^2) e_j, f ~ N(0, v), at ``cuts``."""
    k, cat = len(loadings), np.arange(1, len(cuts) + 2)
    sd = np.sqrt(loadings**2 * factor_var + 1 - loadings**2)
    bounds = [np.concatenate([[-9.0], cuts / s, [9.0]]) for s in sd]
    cov = np.zeros((k, k))
    for j in range(k):
        p = np.diff(stats.norm.cdf(bounds[j]))
        cov[j, j] = p @ cat**2 - (p @ cat) ** 2
        for m in range(j + 1, k):
            rho = loadings[j] * loadings[m] * factor_var / (sd[j] * sd[m])
            mvn = stats.multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]])
            cdf = np.array([[mvn.cdf([a, b]) for b in bounds[m]] for a in bounds[j]])
            joint = np.diff(np.diff(cdf, axis=0), axis=1)
            cov[j, m] = cov[m, j] = cat @ joint @ cat - (joint.sum(1) @ cat) * (joint.sum(0) @ cat)
    return k / (k - 1) * (1 - np.trace(cov) / cov.sum())


def test_synthetic_anxiety_items_have_the_alpha_their_loadings_imply():
    df = synth.generate(n_schools=40, students_per_school=30, seed=3)
    items = [f"anxiety_{j}" for j in range(1, 6)]
    res = cronbach_alpha(df[items])
    # [TRUTH] the generator's loadings 0.80..0.60 and cut points; its latent factor has
    # variance about 0.95 (0.95^2 from the parent's own anxiety plus small stage, urban and
    # income terms): implied alpha 0.797 (0.804 at variance 1)
    implied = _implied_ordinal_alpha(
        synth._LOADINGS, np.asarray(synth._CUTS_ANXIETY), factor_var=0.95
    )
    assert implied == pytest.approx(0.797, abs=0.002)
    assert res.estimate["alpha"] == pytest.approx(implied, abs=0.02)
    # the one-factor loadings keep the generator's order (0.80 > 0.75 > ... > 0.60)
    loadings = mcdonald_omega(df[items]).items["loading"].to_numpy()
    assert np.all(np.diff(loadings) < 0)


# ------------------------------------------------------------------ invalid and options
def test_too_few_items_or_a_constant_item_come_back_invalid(bfi):
    one = cronbach_alpha(bfi[["A1"]])
    assert not one.table["valid"].any() and "at least 2 items" in one.table["reason"].iloc[0]
    const = cronbach_alpha(bfi.assign(A5=3))
    assert not const.table["valid"].any() and "A5" in const.table["reason"].iloc[0]
    two = mcdonald_omega(bfi[["A1", "A2"]])
    assert not two.table["valid"].any() and "at least 3 items" in two.table["reason"].iloc[0]


def test_options_are_validated(bfi):
    with pytest.raises(
        ValueError,
        match="cronbach_alpha.. got unknown option.*valid options: .'items', 'ci', 'weights'",
    ):
        cronbach_alpha(bfi, level=0.9)
    with pytest.raises(KeyError, match="A9"):
        cronbach_alpha(bfi, items=["A1", "A9"])
    with pytest.raises(ValueError, match="ci must be"):
        cronbach_alpha(bfi, ci=95)
    with pytest.raises(ValueError, match="must be numeric"):
        item_total(bfi.assign(A2="x"))
    with pytest.raises(ValueError, match="n_boot"):
        mcdonald_omega(bfi, n_boot=-1)
