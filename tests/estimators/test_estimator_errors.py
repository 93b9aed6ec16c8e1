"""Each data problem stops the fit with an EstimationError that names the cause."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povdsl.errors import EstimationError
from povdsl.estimate.adapters import get
from povdsl.estimate.design import Design, Vcov

RNG = np.random.default_rng(3)
N = 200
DATA = pd.DataFrame(
    {
        "x1": RNG.normal(size=N),
        "x2": RNG.normal(size=N),
        "z": RNG.normal(size=N),
        "household": np.repeat(np.arange(40), 5),
        "year": np.tile(np.arange(2000, 2005), 40),
    }
)
DATA["poor"] = (DATA.x1 + RNG.logistic(size=N) > 0).astype(float)
DATA["income"] = 1 + DATA.x1 + RNG.normal(size=N)


def exog(*columns: str, data: pd.DataFrame = DATA) -> pd.DataFrame:
    return data[list(columns)].assign(Intercept=1.0)[["Intercept", *columns]]


BINARY = {"margins": False, "maxiter": 35}


@pytest.mark.parametrize("name", ["logit", "probit", "lpm"])
def test_non_binary_outcome_names_the_values_found(name):
    design = Design(y=DATA.income.round().rename("income"), exog=exog("x1"))
    with pytest.raises(EstimationError, match="0/1 outcome") as caught:
        get(name).fit(design, BINARY, Vcov())
    found = sorted(DATA.income.round().unique())
    assert f"{found[0]:g}" in caught.value.message and "'income'" in caught.value.message


@pytest.mark.parametrize("name", ["logit", "probit"])
def test_complete_separation_names_the_regressor(name):
    design = Design(y=(DATA.x2 > 0.1).astype(float).rename("poor"), exog=exog("x1", "x2"))
    with pytest.raises(EstimationError, match="separation") as caught:
        get(name).fit(design, BINARY, Vcov())
    assert "'x2'" in caught.value.message and "'x1'" not in caught.value.message


@pytest.mark.parametrize("name", ["logit", "probit"])
def test_quasi_separation_by_a_dummy_names_the_dummy(name):
    data = DATA.assign(in_cluster=(DATA.index % 10 == 0).astype(float))
    data.loc[data.in_cluster == 1, "poor"] = 0.0  # no cluster household is poor
    design = Design(y=data.poor, exog=exog("x1", "in_cluster", data=data))
    with pytest.raises(EstimationError, match="separation") as caught:
        get(name).fit(design, BINARY, Vcov())
    assert "'in_cluster'" in caught.value.message


def test_non_convergence_reports_iterations():
    design = Design(y=DATA.poor, exog=exog("x1", "x2"))
    with pytest.raises(EstimationError, match="did not converge after 1 iterations") as caught:
        get("logit").fit(design, {"margins": False, "maxiter": 1}, Vcov())
    assert "maxiter" in caught.value.hint


@pytest.mark.parametrize("name", ["ols", "lpm", "logit", "probit", "re"])
def test_collinear_regressor_is_named_with_its_partners(name):
    data = DATA.assign(x3=DATA.x1 + 2 * DATA.x2)
    design = Design(y=data.poor, exog=exog("x1", "x2", "z", "x3", data=data), entity=data.household, time=data.year)
    with pytest.raises(EstimationError) as caught:
        get(name).fit(design, BINARY, Vcov())
    assert "'x3' is collinear with 'x1', 'x2'" in caught.value.message


def test_zero_column_is_named():
    design = Design(y=DATA.income, exog=exog("x1").assign(empty=0.0))
    with pytest.raises(EstimationError, match="'empty' is zero in every row"):
        get("ols").fit(design, {}, Vcov())


def test_fixed_effects_name_time_invariant_regressor():
    data = DATA.assign(county_gdp=np.repeat(RNG.normal(size=40), 5))
    design = Design(y=data.income, exog=exog("x1", "county_gdp", data=data), entity=data.household, time=data.year)
    with pytest.raises(EstimationError, match="'county_gdp' is absorbed by the entity fixed effects"):
        get("fe").fit(design, {"time_effects": False}, Vcov())


def test_two_way_fixed_effects_name_regressor_linear_in_time():
    data = DATA.assign(age=DATA.year - 1950 + DATA.household % 7)
    design = Design(y=data.income, exog=exog("x1", "age", data=data), entity=data.household, time=data.year)
    with pytest.raises(EstimationError, match="'age' is absorbed by the entity and time fixed effects"):
        get("fe").fit(design, {"time_effects": True}, Vcov())


IV_DATA = DATA.assign(gdp=DATA.z + DATA.x2 + RNG.normal(size=N), gdp_lag10=DATA.z, z2=RNG.normal(size=N))


def iv_design(instruments: list[str], endog: tuple[str, ...] = ("gdp",), data: pd.DataFrame = IV_DATA) -> Design:
    return Design(y=data.income, exog=exog("x1", data=data), endog=data[list(endog)], instruments=data[instruments], entity=data.household)


@pytest.mark.parametrize("name", ["iv", "gmm"])
def test_fewer_instruments_than_endogenous_regressors(name):
    design = iv_design(["gdp_lag10"], endog=["gdp", "x2"])
    with pytest.raises(EstimationError, match=r"1 excluded instrument\(s\) for 2 endogenous regressor\(s\) \(gdp, x2\)"):
        get(name).fit(design, {}, Vcov())


def test_collinear_instrument_is_named():
    data = IV_DATA.assign(z3=2 * IV_DATA.gdp_lag10 - IV_DATA.x1)
    with pytest.raises(EstimationError, match="instruments: 'z3' is collinear with 'x1', 'gdp_lag10'"):
        get("gmm").fit(iv_design(["gdp_lag10", "z3"], data=data), {}, Vcov())


def test_absorbed_instrument_is_named():
    data = IV_DATA.assign(county_gdp=np.repeat(RNG.normal(size=40), 5))
    with pytest.raises(EstimationError, match="'county_gdp' is absorbed by the entity fixed effects"):
        get("gmm").fit(iv_design(["gdp_lag10", "county_gdp"], data=data), {"absorb": True}, Vcov())


def test_absorb_without_entity():
    design = Design(y=IV_DATA.income, exog=exog("x1", data=IV_DATA), endog=IV_DATA[["gdp"]], instruments=IV_DATA[["gdp_lag10"]])
    with pytest.raises(EstimationError, match="entity"):
        get("iv").fit(design, {"absorb": True}, Vcov())


@pytest.mark.parametrize("name", ["ols", "logit", "fe", "iv"])
def test_empty_design(name):
    empty = DATA.iloc[:0]
    design = Design(
        y=empty.poor, exog=exog("x1", data=empty), endog=empty[["x2"]], instruments=empty[["z"]], entity=empty.household, time=empty.year, dropped=N
    )
    with pytest.raises(EstimationError, match="the design is empty"):
        get(name).fit(design, BINARY, Vcov())


@pytest.mark.parametrize("name", ["ols", "probit", "iv"])
def test_fewer_observations_than_parameters(name):
    few = DATA.iloc[:3].assign(poor=[0.0, 1.0, 0.0])
    design = Design(y=few.poor, exog=exog("x1", "x2", data=few), endog=few[["z"]], instruments=few[["year"]])
    with pytest.raises(EstimationError, match="3 observations for"):
        get(name).fit(design, BINARY, Vcov())


def test_fixed_effects_count_absorbed_effects_as_parameters():
    """30 households x 2 years with 30 regressors: 60 observations cannot identify 30 slopes and 30 means."""
    data = pd.DataFrame(RNG.normal(size=(60, 30)), columns=[f"x{i}" for i in range(30)])
    data["household"], data["year"] = np.arange(60) // 2, np.arange(60) % 2
    design = Design(y=data.x0.rename("y"), exog=exog(*[f"x{i}" for i in range(1, 30)], data=data), entity=data.household, time=data.year)
    with pytest.raises(EstimationError, match="60 observations for 60 parameters"):
        get("fe").fit(design, {}, Vcov())


def test_unknown_cluster_variable():
    with pytest.raises(EstimationError, match="county"):
        get("ols").fit(Design(y=DATA.income, exog=exog("x1")), {}, Vcov("cluster", ("county",)))


def test_unknown_estimator_lists_known_ones():
    with pytest.raises(EstimationError, match="unknown estimator 'tobit'") as caught:
        get("tobit")
    assert "logit" in caught.value.hint


def test_time_effects_without_time_variable():
    design = Design(y=DATA.income, exog=exog("x1"), entity=DATA.household)
    with pytest.raises(EstimationError, match="time effects need a time variable"):
        get("fe").fit(design, {"time_effects": True}, Vcov())


def test_gmm_clustered_on_fewer_clusters_than_moments_says_so():
    """Clustered GMM weighting needs G >= moments; 2 clusters (a 0/1 variable, as mroz's city) was a cut-off backend text."""
    import povdsl

    data = DATA.assign(city=(DATA.household % 2), x3=RNG.normal(size=N))
    with pytest.raises(EstimationError, match="2 clusters, 4 moment conditions") as caught:
        povdsl.fit("income ~ x1 + x2 + x3 | gmm(iv=z, endog=x1)", data, vcov="cluster(city)")
    assert "vcov robust" in (caught.value.hint or "")
    enough = povdsl.fit("income ~ x1 + x2 + x3 | gmm(iv=z, endog=x1)", data, vcov="cluster(household)")
    assert enough.variance.kind == "cluster"


# found fitting wage_panel subsets as a new user: a constant outcome "fitted" every slope as 0 with a 0 standard error
# (and statsmodels' divide-by-zero warnings on stderr); one cluster was a ZeroDivisionError for ols


@pytest.mark.parametrize("name", ["ols", "fe", "re", "iv", "gmm"])
def test_a_constant_outcome_is_refused_with_its_value(name):
    import povdsl

    data = DATA.assign(flat=2.5)
    line = {"iv": "flat ~ x1 + x2 | iv(iv=z, endog=x1)", "gmm": "flat ~ x1 + x2 | gmm(iv=z, endog=x1)"}.get(name, f"flat ~ x1 + x2 | {name}(household)" if name in ("fe", "re") else "flat ~ x1 + x2 | ols")
    with pytest.raises(EstimationError, match=rf"the outcome 'flat' is 2.5 in every row of the sample: there is nothing for {'iv' if name == 'gmm' else name} to explain"):
        povdsl.fit(line, data, panel=("household", "year"))


def test_a_constant_outcome_in_a_sweep_member_is_the_same_error(tmp_path):
    import povdsl

    DATA.assign(flat=1.0).to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / ".povdsl-root").write_text("")
    spec = tmp_path / "s.pov"
    spec.write_text('data d = "d.csv"\nmodel s for c in [x2, z]: flat ~ x1 + c | ols\ntable t = s\n  layout sweep\n')
    skipped = povdsl.run(spec, keep_going=True).sweeps["s"].skipped  # failed members are listed, with their reason
    assert len(skipped) == 2 and all("the outcome 'flat' is 1 in every row of the sample" in why for _, why in skipped), skipped


@pytest.mark.parametrize("line", ["income ~ x1 | ols", "poor ~ x1 | logit", "poor ~ x1 | lpm", "income ~ x1 | iv(iv=z, endog=x1)"])
def test_one_cluster_is_refused_by_every_estimator(line):
    import povdsl

    with pytest.raises(EstimationError, match="the cluster variable 'g' has 1 distinct value in the estimation sample"):
        povdsl.fit(line, DATA.assign(g=7), vcov="cluster(g)")
