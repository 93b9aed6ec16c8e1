"""Issue 13: variance spellings that used to crash, and the CRV1 convention against pyfixest.

Every reference is computed here: pyfixest's `feols` with its defaults
(`ssc(k_adj=True, k_fixef="nonnested", G_adj=True, G_df="min")`), which are
fixest's and, for one cluster variable, Stata's `xtreg, fe vce(cluster)` / `reghdfe`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import povdsl
from povdsl.errors import SpecError

pf = pytest.importorskip("pyfixest")


def _panel() -> pd.DataFrame:
    rng = np.random.default_rng(13)
    units, periods = 40, 6
    frame = pd.DataFrame({"household": np.repeat(np.arange(units), periods), "year": np.tile(np.arange(2000, 2000 + periods), units)})
    frame["state"] = frame.household % 7  # households nested in states
    frame["x1"] = rng.normal(size=len(frame))
    frame["x2"] = rng.normal(size=len(frame)) + 0.1 * frame.household
    frame["y"] = frame.x1 - 0.5 * frame.x2 + 0.3 * (frame.household % 5) + rng.normal(size=len(frame))
    return frame.sample(frac=0.85, random_state=3).sort_index().reset_index(drop=True)  # unbalanced


PANEL = _panel()


def _pyfixest(formula: str, vcov):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(formula, PANEL, vcov=vcov)


@pytest.mark.parametrize(
    "model",
    [
        "y ~ x1 + x2 | fe(household) vcov cluster(household)",
        "y ~ x1 + x2 | re(household) vcov cluster(household)",
        "y ~ x1 + x2 | ols vcov cluster(year)",
        "y ~ x1 + x2 | fe(household, year) vcov cluster(year)",
        "y ~ x1 + x2 | ols vcov cluster(state, year)",
        "y ~ x1 + x2 | fe(household) vcov cluster(household, year)",
    ],
)
def test_cluster_variable_that_is_the_unit_or_time_column_fits(model):
    result = povdsl.fit(model, PANEL, panel=("household", "year"))
    assert np.isfinite(result.std_errors.to_numpy()).all()
    assert result.variance is not None and result.variance.kind == "cluster"
    assert result.cov is not None and list(result.cov.index) == list(result.params.index)
    assert_allclose(np.sqrt(np.diag(result.cov.to_numpy())), result.std_errors.to_numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "model, fixef",
    [
        ("fe(household)", "household"),
        ("fe(household, year)", "household + year"),
    ],
)
@pytest.mark.parametrize("clusters", ["household", "year", "state", "state, year", "household, year"])
def test_fixed_effects_clustered_errors_are_pyfixest_crv1(model, fixef, clusters):
    result = povdsl.fit(f"y ~ x1 + x2 | {model} vcov cluster({clusters})", PANEL, panel=("household", "year"))
    reference = _pyfixest(f"y ~ x1 + x2 | {fixef}", {"CRV1": clusters.replace(", ", "+")})
    slopes = ["x1", "x2"]
    assert_allclose(result.params[slopes], reference.coef()[slopes], rtol=1e-8)
    assert_allclose(result.std_errors[slopes], reference.se()[slopes], rtol=1e-6)
    assert_allclose(result.pvalues[slopes], reference.pvalue()[slopes], rtol=1e-6, atol=1e-12)
    assert result.variance.df == reference._df_t


def test_two_way_fe_clustered_by_unit_does_not_count_the_nested_unit_effects():
    """The 3-7% of issue 13: K = slopes + constant + (T - 1) time effects, not + (G - 1) unit effects."""
    result = povdsl.fit("y ~ x1 + x2 | fe(household, year)", PANEL, panel=("household", "year"))
    n, g, t = len(PANEL), PANEL.household.nunique(), PANEL.year.nunique()
    k = 3 + (t - 1)
    assert result.variance.factor == pytest.approx((n - 1) / (n - k) * g / (g - 1), rel=1e-12)
    assert result.variance.df == g - 1


def test_ols_two_way_clustering_uses_the_smaller_cluster_count():
    result = povdsl.fit("y ~ x1 + x2 | ols vcov cluster(state, year)", PANEL, panel=("household", "year"))
    reference = _pyfixest("y ~ x1 + x2", {"CRV1": "state+year"})
    assert_allclose(result.std_errors, reference.se(), rtol=1e-8)
    assert_allclose(result.pvalues, reference.pvalue(), rtol=1e-6, atol=1e-12)
    assert result.variance.groups == (7, PANEL.year.nunique()) and result.variance.df == 5


@pytest.mark.parametrize(
    "model, code, where",
    [
        ("y ~ x1 | fe(household, household)", "E222", "household)"),
        ("y ~ x1 | ols vcov cluster(state, state)", "E183", "state)"),
    ],
)
def test_a_column_named_twice_is_a_located_checker_error(model, code, where):
    with pytest.raises(SpecError) as caught:
        povdsl.fit(model, PANEL, panel=("household", "year"))
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == code
    assert diagnostic.span.col == model.rindex(where) + 1
