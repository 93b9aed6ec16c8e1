"""The registry as the checker and `povdsl explain` see it: names, flags, options, call text."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from povdsl.estimate.design import Design, Vcov
from povdsl.estimate.registry import REGISTRY, EstimatorSpec, OptionSpec, get, load
from povdsl.estimate.result import FIT_STATISTICS

SPATIAL = ("weights", "method", "robust", "fe", "draws", "seed", "ldet")
EXPECTED = {
    # name: (label, needs_panel, instruments, binary_outcome, default_vcov, option names, binding)
    "ols": ("OLS", False, False, False, "unadjusted", (), "plain"),
    "lpm": ("LPM", False, False, True, "robust", (), "plain"),
    "logit": ("Logit", False, False, True, "unadjusted", ("margins", "maxiter"), "plain"),
    "probit": ("Probit", False, False, True, "unadjusted", ("margins", "maxiter"), "plain"),
    "fe": ("FE", False, False, False, "cluster", ("time_effects",), "panel"),  # names what it absorbs: cross-sections too
    "re": ("RE", True, False, False, "unadjusted", (), "panel"),
    "iv": ("2SLS", False, True, False, "robust", ("absorb", "small"), "instrumental"),
    "gmm": ("IV-GMM", False, True, False, "robust", ("absorb", "small", "steps"), "instrumental"),
    "diffgmm": ("Difference GMM", True, True, False, "unadjusted", (), "dynamic"),
    "sysgmm": ("System GMM", True, True, False, "unadjusted", (), "dynamic"),
    "sar": ("SAR", False, False, False, "unadjusted", SPATIAL, "spatial"),
    "sem": ("SEM", False, False, False, "unadjusted", SPATIAL, "spatial"),
    "sdm": ("SDM", False, False, False, "unadjusted", SPATIAL, "spatial"),
    "sac": ("SAC", False, False, False, "unadjusted", SPATIAL, "spatial"),
    "slx": ("OLS", False, False, False, "unadjusted", ("weights",), "spatial"),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_registry_entry(name):
    estimator = get(name)
    label, panel, instruments, binary, default_vcov, options, binding = EXPECTED[name]
    assert (estimator.name, estimator.label, estimator.needs_panel, estimator.instruments) == (name, label, panel, instruments)
    assert (estimator.binary_outcome, estimator.default_vcov, estimator.binding) == (binary, default_vcov, binding)
    assert tuple(option.name for option in estimator.options) == options


def test_registry_has_exactly_the_spec_names():
    assert list(REGISTRY) == list(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_options_are_well_formed(name):
    expected_type = {"flag": bool, "int": int, "float": float, "name": str, "names": tuple}
    for option in get(name).options:
        assert isinstance(option, OptionSpec) and option.doc
        assert isinstance(option.default, expected_type[option.type])


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_record_names_functions_that_exist(name):
    record = get(name)
    for path in (record.adapter, record.describe, record.prepare):
        assert callable(load(path)), path
    assert set(record.statistics) <= set(FIT_STATISTICS)


def test_the_older_import_path_is_the_same_registry():
    from povdsl.estimate import adapters

    assert adapters.REGISTRY is REGISTRY and adapters.get is get and adapters.Estimator is EstimatorSpec


def test_estimator_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        get("ols").label = "changed"  # type: ignore[misc]
    assert isinstance(get("ols"), EstimatorSpec)


NAMES = {"y": "poor", "exog": ["Intercept", "log(x)"], "endog": ["gdp"], "instruments": ["gdp_lag10"]}


@pytest.mark.parametrize(
    "name, options, vcov, expected",
    [
        ("logit", {}, Vcov("unadjusted"), "statsmodels.api.Logit(df['poor'], df[['Intercept', 'log(x)']]).fit(disp=0, maxiter=35, cov_type='nonrobust')"),
        ("logit", {"margins": True}, Vcov("robust"), ".get_margeff(at='overall', method='dydx')"),
        ("lpm", {}, Vcov("robust"), "statsmodels.api.OLS(df['poor'], df[['Intercept', 'log(x)']]).fit(cov_type='HC1', use_t=True)"),
        ("ols", {}, Vcov("cluster", ("county", "village")), "cov_type='cluster', cov_kwds={'groups': df[['county', 'village']]}"),
        ("fe", {"time_effects": True}, Vcov("cluster"), "pyfixest.feols(y ~ X | entity + time, vcov={'CRV1': 'entity'})  # y = df['poor'], X = df[['Intercept', 'log(x)']]"),
        ("re", {}, Vcov("unadjusted"), "linearmodels.RandomEffects("),
        ("iv", {}, Vcov("robust"), "linearmodels.iv.IV2SLS(df['poor'], df[['Intercept', 'log(x)']], df[['gdp']], df[['gdp_lag10']]).fit(cov_type='robust')"),
        ("gmm", {"absorb": True}, Vcov("cluster", ("county",)), "weight_type='clustered').fit(iter_limit=2, cov_type='clustered', clusters=df[['county']])  # on data demeaned by entity"),
    ],
)
def test_call_text_names_the_backend_call(name, options, vcov, expected):
    estimator = get(name)
    assert expected in estimator.call_text(NAMES, options, estimator.resolved_vcov(vcov))


RNG = np.random.default_rng(5)
SMALL = pd.DataFrame({"x": RNG.normal(size=120), "household": np.repeat(np.arange(30), 4), "year": np.tile([2001, 2002, 2003, 2004], 30)})
SMALL["y"] = 1 + SMALL.x + RNG.normal(size=120)
SMALL["weak_z"] = RNG.normal(size=120)
SMALL["poor"] = (SMALL.y > 1).astype(float)
X = SMALL[["x"]].assign(Intercept=1.0)[["Intercept", "x"]]


@pytest.mark.parametrize(
    "name, design, vcov_text",
    [
        ("ols", Design(y=SMALL.y, exog=X, dropped=7), "unadjusted"),
        ("lpm", Design(y=SMALL.poor, exog=X, dropped=7), "robust (HC1)"),
        ("logit", Design(y=SMALL.poor, exog=X, dropped=7), "unadjusted"),
        ("fe", Design(y=SMALL.y, exog=X, entity=SMALL.household, time=SMALL.year, dropped=7), "clustered by household"),
        ("re", Design(y=SMALL.y, exog=X, entity=SMALL.household, time=SMALL.year, dropped=7), "unadjusted"),
    ],
)
def test_default_variance_is_described_and_dropped_rows_pass_through(name, design, vcov_text):
    result = get(name).fit(design, get(name).option_defaults(), Vcov())
    assert result.vcov == vcov_text
    assert result.dropped == 7
    assert result.estimator == name
    assert set(result.stats) <= set(FIT_STATISTICS)


def test_weak_instruments_warn_but_do_not_stop():
    design = Design(y=SMALL.y, exog=SMALL[["weak_z"]].iloc[:, :0].assign(Intercept=1.0), endog=SMALL[["x"]], instruments=SMALL[["weak_z"]])
    result = get("iv").fit(design, get("iv").option_defaults(), Vcov())
    assert result.stats["first_stage_f"] < 10
    assert any("weak instruments" in warning for warning in result.warnings)


def test_lpm_warns_about_fitted_values_outside_unit_interval():
    design = Design(y=SMALL.poor, exog=X)
    result = get("lpm").fit(design, {}, Vcov())
    assert any("outside [0, 1]" in warning for warning in result.warnings)


@pytest.mark.parametrize("name", ["fe", "re"])
def test_one_way_panel_needs_no_time_variable(name):
    """`fe(household)` binds no time: rows are numbered within entity, estimates are unchanged."""
    with_time = Design(y=SMALL.y, exog=X, entity=SMALL.household, time=SMALL.year)
    without_time = Design(y=SMALL.y, exog=X, entity=SMALL.household)
    a = get(name).fit(with_time, {}, Vcov())
    b = get(name).fit(without_time, {}, Vcov())
    np.testing.assert_allclose(b.params, a.params, rtol=1e-10)
    np.testing.assert_allclose(b.std_errors, a.std_errors, rtol=1e-10)


def test_within_transformation_equals_pandas_groupby_demeaning():
    import numpy as np
    import pandas as pd

    from povdsl.estimate.adapters.base import within

    rng = np.random.default_rng(7)
    entity = pd.Series(rng.integers(0, 40, 500), index=pd.RangeIndex(500) * 3)
    frame = pd.DataFrame({"x": rng.normal(size=500), "k": rng.integers(0, 9, 500)}, index=entity.index)
    codes = pd.factorize(entity, sort=True)[0]
    expected = frame - frame.groupby(codes).transform("mean").set_axis(frame.index)
    pd.testing.assert_frame_equal(within(frame, entity), expected.astype(float), rtol=1e-12)
    pd.testing.assert_series_equal(within(frame.x, entity), expected.x, rtol=1e-12)
    assert within(frame[[]], entity).shape == (500, 0)
    assert within(frame.iloc[:0], entity.iloc[:0]).shape == (0, 2)
