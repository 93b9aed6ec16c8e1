"""Adapters against numbers from other software or independent computations.

* logit/probit on Spector: Stata 11 results shipped in statsmodels' test suite;
* fe on the wage panel: a within estimator written out with numpy;
* 2SLS and IV-GMM on Stata's hsng data: Stata 13 `ivregress` output
  (tests/estimators/results/, see PROVENANCE.md there);
* `absorb`: the within transformation against the dummy-variable (LSDV) fit.

Tolerances are set by the reference's precision, not by what happens to pass:
Stata's ML estimates are printed to ~12 digits but converge only to ~1e-7
relative, Stata's margins SEs are printed to 7 digits.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels.datasets import wage_panel
from linearmodels.iv import IV2SLS, IVGMM
from numpy.testing import assert_allclose
from statsmodels.discrete.tests.results.results_discrete import Spector

from povdsl.estimate.adapters import get
from povdsl.estimate.design import Design, Vcov

RESULTS = Path(__file__).parent / "results"

# --- Spector: Stata logit/probit ---------------------------------------------------------

SPECTOR = sm.datasets.spector.load_pandas().data
SPECTOR_DESIGN = Design(y=SPECTOR.GRADE, exog=SPECTOR[["GPA", "TUCE", "PSI"]].assign(Intercept=1.0))
ML_RTOL = 5e-7  # Stata's and statsmodels' Newton iterations stop ~1e-7 apart


@pytest.fixture(scope="module", params=["logit", "probit"])
def spector(request):
    name = request.param
    reference = getattr(Spector, name)
    return get(name).fit(SPECTOR_DESIGN, {"margins": False, "maxiter": 35}, Vcov()), reference


def test_spector_params_match_stata(spector):
    result, stata = spector
    assert_allclose(result.params, stata.params, rtol=ML_RTOL)


def test_spector_std_errors_match_stata(spector):
    result, stata = spector
    assert_allclose(result.std_errors, stata.bse, rtol=ML_RTOL)


def test_spector_z_match_stata(spector):
    result, stata = spector
    assert_allclose(result.tstats, stata.z, rtol=ML_RTOL)


def test_spector_pvalues_match_stata(spector):
    result, stata = spector
    assert_allclose(result.pvalues, stata.pvalues, rtol=1e-6)


def test_spector_loglik_matches_stata(spector):
    result, stata = spector
    assert_allclose(result.stats["loglik"], stata.llf, rtol=1e-7)


def test_spector_pseudo_r2_matches_stata(spector):
    result, stata = spector
    assert_allclose(result.stats["pseudo_r2"], stata.prsquared, rtol=1e-7)


def test_spector_nobs_matches_stata(spector):
    result, stata = spector
    assert result.nobs == stata.nobs


def test_logit_margins_match_stata_margins_dydx():
    """Stata: `margins, dydx(*)` after logit, i.e. average marginal effects."""
    result = get("logit").fit(SPECTOR_DESIGN, {"margins": True, "maxiter": 35}, Vcov())
    stata = Spector.logit
    assert list(result.params.index) == ["GPA", "TUCE", "PSI"]
    assert_allclose(result.params, stata.margeff_nodummy_dydx, rtol=1e-6)
    assert_allclose(result.std_errors, stata.margeff_nodummy_dydx_se, rtol=1e-5)  # Stata printed 7 digits


# --- wage panel: fixed effects against a hand-written within estimator ---------------------

WAGES = wage_panel.load()
WAGE_SLOPES = ["expersq", "union", "married"]
WAGE_DESIGN = Design(
    y=WAGES.lwage,
    exog=WAGES[WAGE_SLOPES].assign(Intercept=1.0)[["Intercept", *WAGE_SLOPES]],
    entity=WAGES.nr,
    time=WAGES.year,
)


def _within_reference() -> dict:
    """Within estimator with classical and entity-clustered covariance, Stata `xtreg, fe` conventions."""
    entity = WAGES.nr.to_numpy()
    frame = WAGES[["lwage", *WAGE_SLOPES]].astype(float)
    demeaned = frame - frame.groupby(entity).transform("mean")
    x, y = demeaned[WAGE_SLOPES].to_numpy(), demeaned["lwage"].to_numpy()
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    n, k = x.shape
    g = len(np.unique(entity))
    bread = np.linalg.inv(x.T @ x)
    classical = resid @ resid / (n - k - g) * bread
    scores = pd.DataFrame(x * resid[:, None]).groupby(entity).sum().to_numpy()
    k_with_constant = k + 1  # xtreg counts the constant, not the absorbed effects, when clustering by entity
    clustered = (n - 1) / (n - k_with_constant) * g / (g - 1) * bread @ scores.T @ scores @ bread
    intercept = frame["lwage"].mean() - frame[WAGE_SLOPES].mean().to_numpy() @ beta
    r2_within = 1 - resid @ resid / (y @ y)
    return {"beta": beta, "intercept": intercept, "classical": classical, "clustered": clustered, "r2_within": r2_within}


WITHIN = _within_reference()


@pytest.fixture(scope="module")
def fe_clustered():
    return get("fe").fit(WAGE_DESIGN, {"time_effects": False}, Vcov())


def test_fe_slopes_match_within_estimator(fe_clustered):
    assert_allclose(fe_clustered.params[WAGE_SLOPES], WITHIN["beta"], rtol=1e-8)


def test_fe_intercept_is_grand_mean_intercept(fe_clustered):
    assert_allclose(fe_clustered.params["Intercept"], WITHIN["intercept"], rtol=1e-8)


def test_fe_entity_clustered_errors_match_within_estimator(fe_clustered):
    assert_allclose(fe_clustered.std_errors[WAGE_SLOPES], np.sqrt(np.diag(WITHIN["clustered"])), rtol=1e-8)
    assert fe_clustered.vcov == "clustered by nr"


def test_fe_unadjusted_errors_match_within_estimator():
    result = get("fe").fit(WAGE_DESIGN, {"time_effects": False}, Vcov("unadjusted"))
    assert_allclose(result.std_errors[WAGE_SLOPES], np.sqrt(np.diag(WITHIN["classical"])), rtol=1e-8)


def test_fe_within_r2_matches_within_estimator(fe_clustered):
    assert_allclose(fe_clustered.stats["r2_within"], WITHIN["r2_within"], rtol=1e-8)


def test_fe_counts_entities(fe_clustered):
    assert fe_clustered.stats["ngroups"] == WAGES.nr.nunique() == 545
    assert fe_clustered.nobs == len(WAGES)


# --- housing: Stata ivregress 2sls and gmm ------------------------------------------------------


def read_stata_ivregress(path: Path) -> dict[str, dict]:
    """Parse linearmodels' estout dump: per block, b/t per variable, scalars, then e(V)."""
    blocks: dict[str, list[list[str]]] = defaultdict(list)
    key = ""
    for line in path.read_text().splitlines():
        if line.startswith("###"):
            key = line.split("!")[1]
        elif line.strip():
            blocks[key].append(line.strip("\n").split("\t"))
    return {key: _parse_block(rows) for key, rows in blocks.items()}


def _parse_block(rows: list[list[str]]) -> dict:
    name = lambda label: "Intercept" if label == "_cons" else label  # noqa: E731
    params, tstats, scalars = {}, {}, {}
    position = 2  # skip the "." and "b/t" header rows
    while not rows[position][0].startswith("***"):
        label, value = rows[position][0], rows[position][1]
        if len(rows[position + 1]) == 2 and rows[position + 1][0] == "":
            params[name(label)], tstats[name(label)] = float(value), float(rows[position + 1][1])
            position += 2
        else:
            scalars.setdefault(label, float(value))
            position += 1
    header = [name(v) for v in rows[position + 2][1:]]
    cov_rows = rows[position + 3 : position + 3 + len(header)]
    cov = pd.DataFrame([[float(v) for v in row[1:]] for row in cov_rows], index=[name(r[0]) for r in cov_rows], columns=header)
    return {"params": pd.Series(params), "tstats": pd.Series(tstats), "scalars": scalars, "cov": cov}


STATA_IV = read_stata_ivregress(RESULTS / "stata-iv-housing-results.txt")
HOUSING = pd.read_csv(RESULTS / "housing.csv", index_col=0)
REGIONS = pd.get_dummies(HOUSING.region, prefix="region", dtype=float, drop_first=True)  # Stata's i.region
HOUSING_DESIGN = Design(
    y=HOUSING.rent,
    exog=HOUSING[["pcturban"]].assign(Intercept=1.0)[["Intercept", "pcturban"]],
    endog=HOUSING[["hsngval"]],
    instruments=pd.concat([HOUSING[["faminc"]], REGIONS], axis=1),
    groups=HOUSING[["division"]],
)
VCOVS = {"unadjusted": Vcov("unadjusted"), "robust": Vcov("robust"), "cluster": Vcov("cluster", ("division",))}
STATA_KEYS = [key for key in STATA_IV if key.split("-")[0] in ("2sls", "gmm")]


@pytest.fixture(scope="module", params=STATA_KEYS)
def housing(request):
    method, variance, small = request.param.split("-")
    estimator = "iv" if method == "2sls" else "gmm"
    options = {"absorb": False, "small": small == "small"}
    return get(estimator).fit(HOUSING_DESIGN, options, VCOVS[variance]), STATA_IV[request.param]


def test_housing_params_match_stata(housing):
    result, stata = housing
    assert_allclose(result.params, stata["params"][result.params.index], rtol=1e-7)


def test_housing_tstats_match_stata(housing):
    result, stata = housing
    assert_allclose(result.tstats, stata["tstats"][result.params.index], rtol=1e-7)


def test_housing_std_errors_match_stata_covariance(housing):
    result, stata = housing
    names = result.params.index
    expected = np.sqrt(np.diag(stata["cov"].loc[names, names]))
    assert_allclose(result.std_errors, expected, rtol=1e-6)  # e(V) printed to 7 significant digits


def test_housing_r2_matches_stata(housing):
    result, stata = housing
    assert_allclose(result.stats["r2"], stata["scalars"]["r2"], rtol=1e-7)


def test_housing_j_statistic_matches_stata(housing):
    result, stata = housing
    if result.estimator == "iv":
        assert "j_stat" not in result.stats  # Hansen's J is reported for GMM only
    else:
        assert_allclose(result.stats["j_stat"], stata["scalars"]["J"], rtol=1e-7)


def test_housing_nobs(housing):
    result, _ = housing
    assert result.nobs == 50


# --- absorb: within transformation against dummy variables -------------------------------------


def _iv_panel() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n_entities, n_periods = 40, 5
    household = np.repeat(np.arange(n_entities), n_periods)
    effect = rng.normal(size=n_entities)[household]
    z1, z2, w = rng.normal(size=(3, household.size))
    u = rng.normal(size=household.size)
    income = 0.7 * z1 + 0.3 * z2 + effect + 0.5 * u + rng.normal(size=household.size)
    y = 0.4 * income + 0.2 * w + 2 * effect + u
    return pd.DataFrame({"y": y, "income": income, "w": w, "z1": z1, "z2": z2, "household": household})


PANEL = _iv_panel()
ABSORB_DESIGN = Design(
    y=PANEL.y,
    exog=PANEL[["w"]].assign(Intercept=1.0)[["Intercept", "w"]],
    endog=PANEL[["income"]],
    instruments=PANEL[["z1", "z2"]],
    entity=PANEL.household,
)
DUMMIES = pd.get_dummies(PANEL.household, prefix="hh", dtype=float)
N_OBS, N_ENTITIES = len(PANEL), PANEL.household.nunique()


def _lsdv(small: bool, cov_type: str):
    return IV2SLS(PANEL.y, pd.concat([PANEL[["w"]], DUMMIES], axis=1), PANEL[["income"]], PANEL[["z1", "z2"]]).fit(
        cov_type=cov_type, debiased=small
    )


@pytest.mark.parametrize("cov_type", ["unadjusted", "robust"])
def test_absorbed_2sls_small_matches_dummy_variable_2sls(cov_type):
    """With `small`, the corrected covariance is exactly the LSDV one with n - k - G residual df."""
    result = get("iv").fit(ABSORB_DESIGN, {"absorb": True, "small": True}, Vcov(cov_type))
    lsdv = _lsdv(small=True, cov_type=cov_type)
    assert list(result.params.index) == ["w", "income"]
    assert_allclose(result.params, lsdv.params[["w", "income"]], rtol=1e-8)
    assert_allclose(result.std_errors, lsdv.std_errors[["w", "income"]], rtol=1e-8)
    assert_allclose(result.pvalues, lsdv.pvalues[["w", "income"]], rtol=1e-8)


def test_absorbed_2sls_asymptotic_uses_n_minus_absorbed_means():
    """Without `small`: LSDV's n-based covariance rescaled by n / (n - G), as ivreg2's dofminus(G)."""
    result = get("iv").fit(ABSORB_DESIGN, {"absorb": True, "small": False}, Vcov("unadjusted"))
    lsdv = _lsdv(small=False, cov_type="unadjusted")
    factor = N_OBS / (N_OBS - N_ENTITIES)
    assert_allclose(result.std_errors, lsdv.std_errors[["w", "income"]] * np.sqrt(factor), rtol=1e-8)
    assert result.stats["ngroups"] == N_ENTITIES


def test_absorbed_gmm_is_ivgmm_on_demeaned_data_with_df_correction():
    result = get("gmm").fit(ABSORB_DESIGN, {"absorb": True, "small": False, "steps": 2}, Vcov())
    demeaned = PANEL[["y", "w", "income", "z1", "z2"]] - PANEL.groupby("household")[["y", "w", "income", "z1", "z2"]].transform("mean")
    direct = IVGMM(demeaned.y, demeaned[["w"]], demeaned[["income"]], demeaned[["z1", "z2"]], weight_type="robust").fit(cov_type="robust")
    assert_allclose(result.params, direct.params, rtol=1e-8)
    assert_allclose(result.std_errors, direct.std_errors * np.sqrt(N_OBS / (N_OBS - N_ENTITIES)), rtol=1e-8)
    assert_allclose(result.stats["j_stat"], direct.j_stat.stat, rtol=1e-8)
    assert "df corrected for 40 absorbed means" in result.vcov


def test_absorbed_clustered_covariance_is_not_rescaled():
    vcov = Vcov("cluster", ("household",))
    design = Design(**{**ABSORB_DESIGN.__dict__, "groups": PANEL[["household"]]})
    result = get("iv").fit(design, {"absorb": True, "small": False}, vcov)
    assert_allclose(result.std_errors, result.raw.std_errors, rtol=1e-12)
