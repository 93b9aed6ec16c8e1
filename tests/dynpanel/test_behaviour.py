"""Estimator behaviour beyond the published references: truth recovery, invariances, errors."""

from dataclasses import replace

import numpy as np
import pytest

from povdsl.errors import EstimationError
from povdsl.estimate.dynpanel import (
    DynamicPanelSpec,
    GmmInstrument,
    IvInstrument,
    fit_dynamic_panel,
)
from povdsl.estimate.dynpanel.simulate import simulate_ar1_panel

RHO, BETA = 0.5, 1.0
# x is correlated with the unit effect, so it is instrumented GMM-style (its
# differences are valid in the level equation under stationarity).
SYSTEM = DynamicPanelSpec(
    y="y",
    regressors=(("y", 1), ("x", 0)),
    gmm=(GmmInstrument("y", 2, None), GmmInstrument("x", 0, None)),
    system=True,
    collapse=True,
)


@pytest.fixture(scope="module")
def panel():
    return simulate_ar1_panel(2000, 8, rho=RHO, beta=BETA, seed=7)


@pytest.fixture(scope="module")
def system_fit(panel):
    return fit_dynamic_panel(panel, SYSTEM, unit="unit", time="period")


@pytest.mark.parametrize("term, truth", [("L1.y", RHO), ("x", BETA)])
def test_system_gmm_recovers_truth(system_fit, term, truth):
    assert abs(system_fit.params[term] - truth) <= 3 * system_fit.std_errors[term]


@pytest.mark.parametrize("term, truth", [("L1.y", RHO), ("x", BETA)])
def test_difference_gmm_recovers_truth(panel, term, truth):
    result = fit_dynamic_panel(panel, replace(SYSTEM, system=False), unit="unit", time="period")
    assert abs(result.params[term] - truth) <= 3 * result.std_errors[term]


def test_no_second_order_autocorrelation_under_iid_errors(system_fit):
    assert system_fit.stats["ar1"] < -3  # differenced iid errors are MA(1)
    assert abs(system_fit.stats["ar2"]) < 3


def test_collapsed_instrument_count(system_fit):
    # y lags 2..7 (6) + x lags 0..7 (8) in differences, one level column each, constant
    assert system_fit.stats["ninstruments"] == 6 + 8 + 2 + 1


def test_row_order_does_not_matter(panel, system_fit):
    shuffled = panel.sample(frac=1.0, random_state=3)
    again = fit_dynamic_panel(shuffled, SYSTEM, unit="unit", time="period")
    np.testing.assert_allclose(again.params, system_fit.params, rtol=1e-10)


def test_one_step_reports_robust_one_step(panel, system_fit):
    one = fit_dynamic_panel(panel, replace(SYSTEM, steps=1), unit="unit", time="period")
    assert one.vcov == "robust one-step"
    np.testing.assert_allclose(one.params, system_fit.raw.onestep_params, rtol=1e-12)
    np.testing.assert_allclose(one.std_errors, system_fit.raw.onestep_std_errors, rtol=1e-12)


def test_units_too_short_are_dropped_and_counted(panel):
    short = panel[~((panel["unit"] < 5) & (panel["period"] > 2000))]  # 5 units keep one period
    result = fit_dynamic_panel(short, SYSTEM, unit="unit", time="period")
    assert result.dropped == 5
    assert result.stats["ngroups"] == 1995
    assert any("dropped" in w for w in result.warnings)


def test_many_instruments_warns(panel):
    few_units = panel[panel["unit"] < 20]
    result = fit_dynamic_panel(few_units, replace(SYSTEM, collapse=False), unit="unit", time="period")
    assert any("outnumber groups" in w for w in result.warnings)


def test_too_few_periods(panel):
    spec = replace(SYSTEM, regressors=(("y", 1), ("y", 7), ("x", 0)))
    with pytest.raises(EstimationError, match="too few periods"):
        fit_dynamic_panel(panel, spec, unit="unit", time="period")


def test_empty_instrument_range(panel):
    spec = replace(SYSTEM, gmm=(GmmInstrument("y", 20, 30),), iv=(IvInstrument("x"),))
    with pytest.raises(EstimationError, match="no instruments"):
        fit_dynamic_panel(panel, spec, unit="unit", time="period")


def test_no_usable_groups(panel):
    holes = panel.copy()
    holes.loc[holes["period"] % 2 == 0, "y"] = np.nan  # never two consecutive periods
    with pytest.raises(EstimationError, match="no unit"):
        fit_dynamic_panel(holes, SYSTEM, unit="unit", time="period")


def test_underidentified(panel):
    spec = replace(SYSTEM, gmm=(GmmInstrument("y", 2, 2),), system=False, collapse=True)
    with pytest.raises(EstimationError, match="underidentified"):
        fit_dynamic_panel(panel, spec, unit="unit", time="period")


def test_unidentified_duplicate_regressor(panel):
    spec = replace(SYSTEM, regressors=(("y", 1), ("x", 0), ("x", 0)))
    with pytest.raises(EstimationError, match="not identified"):
        fit_dynamic_panel(panel, spec, unit="unit", time="period")


def test_gap_removes_only_rows_whose_lags_are_missing(panel):
    gappy = panel[~((panel["unit"] == 0) & (panel["period"] == 2003))]
    spec = replace(SYSTEM, system=False)
    full = fit_dynamic_panel(panel, spec, unit="unit", time="period")
    result = fit_dynamic_panel(gappy, spec, unit="unit", time="period")
    # D.y needs t and t-1; D.L1.y needs t-1 and t-2: losing 2003 removes 2003, 2004, 2005.
    assert full.nobs - result.nobs == 3
    assert result.stats["ngroups"] == 2000


def test_system_time_effects_with_constant(panel):
    result = fit_dynamic_panel(panel, replace(SYSTEM, time_effects=True), unit="unit", time="period")
    dummies = [t for t in result.params.index if t.startswith("period[")]
    assert dummies == [f"period[T.{p}]" for p in range(2002, 2008)]  # base 2001, first level row
    assert "Intercept" in result.params.index
    assert abs(result.params["L1.y"] - RHO) <= 3 * result.std_errors["L1.y"]


def test_constant_in_difference_gmm_is_ignored_with_warning(panel):
    result = fit_dynamic_panel(panel, replace(SYSTEM, system=False, constant=True), unit="unit", time="period")
    assert "Intercept" not in result.params.index
    assert any("differenced away" in w for w in result.warnings)
