"""povdsl's dynamic-panel GMM against published results on the Arellano-Bond data.

Sources: A, R plm / Arellano & Bond (1991) Table 4(b); B, Stata xtabond2; C and D,
the outputs printed in pydynpd's README (github.com/dazhwu/pydynpd), which its
authors verified against xtabond2 (shared/data/README.md lists A-C).
A is also checked written as a spec file (arellano_bond_1991.pov), through
`povdsl.run` and `povdsl.fit`, as xtabond2 writes it: iv(L(0/1).(w ys) k).

Tolerances are the printed precision of each reference: half a unit in the
last printed digit for the 6-decimal plm numbers and for the test statistics;
for the 7-decimal Stata/pydynpd numbers 0.5e-6, because those programs read
the data in single precision (abdata stores floats) and agree with us to
~2e-7, not to the 8th significant digit.
"""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import povdsl
from povdsl.estimate.dynpanel import (
    DynamicPanelSpec,
    GmmInstrument,
    IvInstrument,
    fit_dynamic_panel,
)


@pytest.fixture(scope="module")
def empl_uk() -> pd.DataFrame:
    data = pd.read_csv(Path(__file__).parent / "data" / "emplUK.csv")
    for short, column in [("n", "emp"), ("w", "wage"), ("k", "capital"), ("ys", "output")]:
        data[short] = np.log(data[column])
    return data


# A: Arellano-Bond (1991) Table 4(b); R plm pgmm(effect="twoways", model="twosteps").
SPEC_A = DynamicPanelSpec(
    y="n",
    regressors=(("n", 1), ("n", 2), ("w", 0), ("w", 1), ("k", 0), ("ys", 0), ("ys", 1)),
    gmm=(GmmInstrument("n", 2, None),),
    iv=tuple(IvInstrument(var, lag) for var, lag in [("w", 0), ("w", 1), ("k", 0), ("ys", 0), ("ys", 1)]),
    time_effects=True,
)
# term: (coef, uncorrected two-step SE, Windmeijer SE)
REF_A = {
    "L1.n": (0.474151, 0.085303, 0.185398),
    "L2.n": (-0.052967, 0.027284, 0.051749),
    "w": (-0.513205, 0.049345, 0.145565),
    "L1.w": (0.224640, 0.080063, 0.141950),
    "k": (0.292723, 0.039463, 0.062627),
    "ys": (0.609775, 0.108524, 0.156263),
    "L1.ys": (-0.446373, 0.124815, 0.217302),
}

# B: xtabond2 n L(1/2).n w k, gmm(n, lag(2 4)) gmm(w, lag(1 3)) iv(k) nolevel twostep robust
SPEC_B = DynamicPanelSpec(
    y="n",
    regressors=(("n", 1), ("n", 2), ("w", 0), ("k", 0)),
    gmm=(GmmInstrument("n", 2, 4), GmmInstrument("w", 1, 3)),
    iv=(IvInstrument("k"),),
)
REF_B = {
    "L1.n": (0.1700616, 0.1046652),
    "L2.n": (-0.0113381, 0.0377205),
    "w": (-0.9510582, 0.1277298),
    "k": (0.4637223, 0.0718328),
}

# C: the same model as system GMM (pydynpd documentation; R panelvar agrees to 4 decimals).
SPEC_C = replace(SPEC_B, system=True)
REF_C = {
    "L1.n": (0.9453810, 0.1429764),
    "L2.n": (-0.0860069, 0.1082318),
    "w": (-0.4477795, 0.1521917),
    "k": (0.1235808, 0.0508836),
    "Intercept": (1.5630849, 0.4993484),
}

SIX_DECIMALS = 0.5e-6 + 1e-12
SEVEN_DECIMALS = 0.5e-6


@pytest.fixture(scope="module")
def fit_a(empl_uk):
    return fit_dynamic_panel(empl_uk, SPEC_A, unit="firm", time="year")


@pytest.fixture(scope="module")
def fit_b(empl_uk):
    return fit_dynamic_panel(empl_uk, SPEC_B, unit="firm", time="year")


@pytest.fixture(scope="module")
def fit_c(empl_uk):
    return fit_dynamic_panel(empl_uk, SPEC_C, unit="firm", time="year")


# --- Case A -----------------------------------------------------------------


@pytest.mark.parametrize("term", REF_A)
def test_a_coefficient(fit_a, term):
    assert abs(fit_a.params[term] - REF_A[term][0]) <= SIX_DECIMALS


@pytest.mark.parametrize("term", REF_A)
def test_a_uncorrected_two_step_se(fit_a, term):
    assert abs(fit_a.raw.twostep_uncorrected_std_errors[term] - REF_A[term][1]) <= SIX_DECIMALS


@pytest.mark.parametrize("term", REF_A)
def test_a_windmeijer_se(fit_a, term):
    assert abs(fit_a.std_errors[term] - REF_A[term][2]) <= SIX_DECIMALS


def test_a_sample(fit_a):
    assert fit_a.nobs == 611
    assert fit_a.stats["ngroups"] == 140
    assert fit_a.estimator == "diffgmm"
    assert fit_a.vcov == "Windmeijer-corrected two-step"
    assert [t for t in fit_a.params.index if t.startswith("year[")] == [f"year[T.{y}]" for y in range(1979, 1985)]


def test_a_overidentification(fit_a):
    # plm's sargan() is the two-step criterion (robust), i.e. what xtabond2 calls Hansen.
    assert fit_a.stats["hansen_df"] == 25
    assert abs(fit_a.stats["hansen"] - 30.112) <= 0.0005


@pytest.mark.parametrize("order, expected", [(1, -1.538), (2, -0.280)])
def test_a_arellano_bond(fit_a, order, expected):
    assert abs(fit_a.stats[f"ar{order}"] - expected) <= 0.0005


# A as a spec file, written the way xtabond2 does: gmm(n, lag(2 .)) iv(L(0/1).(w ys) k).
SPEC_FILE_A = Path(__file__).parent / "arellano_bond_1991.pov"
LINE_A = "n ~ L(n, 1:2) + L(w, 0:1) + k + L(ys, 0:1) | diffgmm(gmm(n, 2:.), iv(L(w, 0:1) + k + L(ys, 0:1)), timeeffects)"


@pytest.fixture(scope="module")
def from_spec_file(tmp_path_factory):
    return povdsl.run(SPEC_FILE_A, tmp_path_factory.mktemp("tables")).results["ab"]


def _assert_table_4b(result):
    assert list(result.params.index)[:7] == list(REF_A)
    for term, (coef, se, windmeijer) in REF_A.items():
        assert abs(result.params[term] - coef) <= SIX_DECIMALS, term
        assert abs(result.raw.twostep_uncorrected_std_errors[term] - se) <= SIX_DECIMALS, term
        assert abs(result.std_errors[term] - windmeijer) <= SIX_DECIMALS, term
    assert result.nobs == 611 and result.stats["ngroups"] == 140
    # plm's sargan() is the two-step (robust) criterion, xtabond2's Hansen; 25 degrees of freedom
    assert result.stats["hansen_df"] == 25 and abs(result.stats["hansen"] - 30.112) <= 0.0005
    assert abs(result.stats["ar1"] - -1.538) <= 0.0005 and abs(result.stats["ar2"] - -0.280) <= 0.0005


def test_spec_file_reproduces_table_4b(from_spec_file):
    """`povdsl run` on the spec file gives Arellano-Bond (1991) Table 4(b): coefficients, both SEs, Hansen, AR(1), AR(2)."""
    _assert_table_4b(from_spec_file)
    assert [t for t in from_spec_file.params.index if t.startswith("year[")] == [f"year[T.{y}]" for y in range(1979, 1985)]


def test_fit_line_reproduces_table_4b(empl_uk):
    """The same model as one `povdsl.fit` line."""
    _assert_table_4b(povdsl.fit(LINE_A, empl_uk, panel=("firm", "year")))


def test_spec_equals_the_python_engine(fit_a, from_spec_file):
    """The spelling iv(L(w, 0:1) + k + L(ys, 0:1)) is the engine's five IvInstrument columns, nothing more."""
    pd.testing.assert_series_equal(from_spec_file.params, fit_a.params, rtol=1e-12, atol=0)
    pd.testing.assert_series_equal(from_spec_file.std_errors, fit_a.std_errors, rtol=1e-12, atol=0)
    assert from_spec_file.stats["ninstruments"] == fit_a.stats["ninstruments"]


# --- Case B -----------------------------------------------------------------


@pytest.mark.parametrize("term", REF_B)
def test_b_coefficient(fit_b, term):
    assert abs(fit_b.params[term] - REF_B[term][0]) <= SEVEN_DECIMALS


@pytest.mark.parametrize("term", REF_B)
def test_b_windmeijer_se(fit_b, term):
    assert abs(fit_b.std_errors[term] - REF_B[term][1]) <= SEVEN_DECIMALS


def test_b_counts(fit_b):
    assert fit_b.nobs == 611
    assert fit_b.stats["ninstruments"] == 36
    assert fit_b.stats["ngroups"] == 140
    assert list(fit_b.params.index) == ["L1.n", "L2.n", "w", "k"]


@pytest.mark.parametrize("name, expected", [("hansen", 47.86), ("sargan", 91.61), ("ar1", -1.19), ("ar2", -0.81)])
def test_b_specification_tests(fit_b, name, expected):
    assert abs(fit_b.stats[name] - expected) <= 0.005


def test_b_overid_df(fit_b):
    assert fit_b.stats["hansen_df"] == 32
    assert fit_b.stats["sargan_df"] == 32


# --- Case C -----------------------------------------------------------------


@pytest.mark.parametrize("term", REF_C)
def test_c_coefficient(fit_c, term):
    assert abs(fit_c.params[term] - REF_C[term][0]) <= SEVEN_DECIMALS


@pytest.mark.parametrize("term", REF_C)
def test_c_windmeijer_se(fit_c, term):
    assert abs(fit_c.std_errors[term] - REF_C[term][1]) <= SEVEN_DECIMALS


def test_c_counts(fit_c):
    assert fit_c.stats["ninstruments"] == 51
    assert fit_c.estimator == "sysgmm"
    assert fit_c.nobs == 751  # level-equation observations, as xtabond2 reports for system GMM
    assert fit_c.raw.nobs_difference == 611


# pydynpd's README prints the specification tests of C: Hansen chi2(46) = 96.442 (p 0.000),
# AR(1) z = -2.35 (p 0.019), AR(2) z = -1.15 (p 0.251); statistics to 3 decimals, z and p to 2-3.
@pytest.mark.parametrize(
    "name, expected, half_unit",
    [("hansen", 96.442, 5e-4), ("ar1", -2.35, 5e-3), ("ar1_pvalue", 0.019, 5e-4), ("ar2", -1.15, 5e-3), ("ar2_pvalue", 0.251, 5e-4)],
)
def test_c_specification_tests(fit_c, name, expected, half_unit):
    assert abs(fit_c.stats[name] - expected) <= half_unit
    assert fit_c.stats["hansen_df"] == 46


# --- Case D -----------------------------------------------------------------
# B with year dummies, the example of pydynpd's README:
# `n L(1:2).n w k | gmm(n, 2:4) gmm(w, 1:3) iv(k) | timedumm nolevel`; 611 observations, 42 instruments.

SPEC_D = replace(SPEC_B, time_effects=True)
REF_D = {
    "L1.n": (0.2710675, 0.1382542),
    "L2.n": (-0.0233928, 0.0419665),
    "w": (-0.5668527, 0.2092231),
    "k": (0.3613939, 0.0662624),
    "year[T.1979]": (0.0011898, 0.0092322),
    "year[T.1980]": (-0.0316432, 0.0116155),
    "year[T.1981]": (-0.0900163, 0.0206593),
    "year[T.1982]": (-0.0996210, 0.0296036),
    "year[T.1983]": (-0.0693308, 0.0404276),
    "year[T.1984]": (-0.0614505, 0.0475525),
}


@pytest.fixture(scope="module")
def fit_d(empl_uk):
    return fit_dynamic_panel(empl_uk, SPEC_D, unit="firm", time="year")


@pytest.mark.parametrize("term", REF_D)
def test_d_coefficient_and_windmeijer_se(fit_d, term):
    assert abs(fit_d.params[term] - REF_D[term][0]) <= SEVEN_DECIMALS
    assert abs(fit_d.std_errors[term] - REF_D[term][1]) <= SEVEN_DECIMALS


@pytest.mark.parametrize(
    "name, expected, half_unit",
    [
        ("hansen", 32.666, 5e-4),
        ("hansen_pvalue", 0.434, 5e-4),
        ("ar1", -1.29, 5e-3),
        ("ar1_pvalue", 0.198, 5e-4),
        ("ar2", -0.31, 5e-3),
        ("ar2_pvalue", 0.760, 5e-4),
    ],
)
def test_d_specification_tests(fit_d, name, expected, half_unit):
    assert abs(fit_d.stats[name] - expected) <= half_unit


def test_d_counts(fit_d):
    assert (fit_d.nobs, fit_d.stats["ninstruments"], fit_d.stats["hansen_df"]) == (611, 42, 32)
