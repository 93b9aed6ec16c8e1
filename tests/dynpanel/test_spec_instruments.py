"""iv() and gmm() with several variables and L(var, a:b) lags, as xtabond2 writes them.

Source of the numbers: Arellano & Bond (1991), Table 4 column (b), as reproduced
by R plm `pgmm(..., effect = "twoways", model = "twosteps")` (shared/data/README.md,
section A; data tests/dynpanel/data/emplUK.csv). The spec file
tests/dynpanel/arellano_bond_1991.pov writes the model the way xtabond2 does
(`gmm(n, lag(2 .)) iv(L(0/1).(w ys) k)`), and the published numbers are checked
through `povdsl.run` and `povdsl.fit`.
"""

from __future__ import annotations

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

HERE = Path(__file__).parent
SPEC = HERE / "arellano_bond_1991.pov"
# term: (coef, two-step SE uncorrected, Windmeijer SE); printed to 6 decimals
TABLE_4B = {
    "L1.n": (0.474151, 0.085303, 0.185398),
    "L2.n": (-0.052967, 0.027284, 0.051749),
    "w": (-0.513205, 0.049345, 0.145565),
    "L1.w": (0.224640, 0.080063, 0.141950),
    "k": (0.292723, 0.039463, 0.062627),
    "ys": (0.609775, 0.108524, 0.156263),
    "L1.ys": (-0.446373, 0.124815, 0.217302),
}
HALF_UNIT = 0.5e-6 + 1e-12  # half a unit in the printed 6th decimal
LINE = "n ~ L(n, 1:2) + L(w, 0:1) + k + L(ys, 0:1) | diffgmm(gmm(n, 2:.), iv(L(w, 0:1) + k + L(ys, 0:1)), timeeffects)"


@pytest.fixture(scope="module")
def emp() -> pd.DataFrame:
    df = pd.read_csv(HERE / "data" / "emplUK.csv")
    for short, column in [("n", "emp"), ("w", "wage"), ("k", "capital"), ("ys", "output")]:
        df[short] = np.log(df[column])
    return df


@pytest.fixture(scope="module")
def from_spec_file(tmp_path_factory):
    return povdsl.run(SPEC, tmp_path_factory.mktemp("tables")).results["ab"]


def _assert_table_4b(result):
    assert list(result.params.index)[:7] == list(TABLE_4B)
    for term, (coef, se, windmeijer) in TABLE_4B.items():
        assert abs(result.params[term] - coef) <= HALF_UNIT, term
        assert abs(result.raw.twostep_uncorrected_std_errors[term] - se) <= HALF_UNIT, term
        assert abs(result.std_errors[term] - windmeijer) <= HALF_UNIT, term
    assert result.nobs == 611 and result.stats["ngroups"] == 140
    # plm's sargan() is the two-step (robust) criterion, xtabond2's Hansen; 25 degrees of freedom
    assert result.stats["hansen_df"] == 25 and abs(result.stats["hansen"] - 30.112) <= 0.0005
    assert abs(result.stats["ar1"] - -1.538) <= 0.0005 and abs(result.stats["ar2"] - -0.280) <= 0.0005


def test_spec_file_reproduces_table_4b(from_spec_file):
    """`povdsl run` on the spec file gives Arellano-Bond (1991) Table 4(b): coefficients, both SEs, Hansen, AR(1), AR(2)."""
    _assert_table_4b(from_spec_file)
    assert [t for t in from_spec_file.params.index if t.startswith("year[")] == [f"year[T.{y}]" for y in range(1979, 1985)]


def test_fit_line_reproduces_table_4b(emp):
    """The same model as one `povdsl.fit` line."""
    _assert_table_4b(povdsl.fit(LINE, emp, panel=("firm", "year")))


def test_spec_equals_the_python_engine(emp, from_spec_file):
    """The spelling iv(L(w, 0:1) + k + L(ys, 0:1)) is the engine's five IvInstrument columns, nothing more."""
    engine = fit_dynamic_panel(
        emp,
        DynamicPanelSpec(
            y="n",
            regressors=(("n", 1), ("n", 2), ("w", 0), ("w", 1), ("k", 0), ("ys", 0), ("ys", 1)),
            gmm=(GmmInstrument("n", 2, None),),
            iv=(IvInstrument("w", 0), IvInstrument("w", 1), IvInstrument("k", 0), IvInstrument("ys", 0), IvInstrument("ys", 1)),
            time_effects=True,
        ),
        unit="firm",
        time="year",
    )
    pd.testing.assert_series_equal(from_spec_file.params, engine.params, rtol=1e-12, atol=0)
    pd.testing.assert_series_equal(from_spec_file.std_errors, engine.std_errors, rtol=1e-12, atol=0)
    assert from_spec_file.stats["ninstruments"] == engine.stats["ninstruments"]


@pytest.mark.parametrize(
    "joined, separate",
    [
        ("iv(w + k)", "iv(w), iv(k)"),
        ("iv(L(ys, 0:1) + k)", "iv(ys), iv(k), iv(L(ys, 1))"),
        ("iv(L(w, 0:1))", "iv(w), iv(L(w, 1))"),
    ],
)
def test_iv_sums_equal_separate_instruments(emp, joined, separate):
    """xtabond2's iv(L(0/1).(w ys) k): a sum or lag range in iv() is those IV-style columns (order aside)."""
    base = "n ~ L(n, 1:2) + w + k + ys | diffgmm(gmm(n, 2:4), {})"
    a = povdsl.fit(base.format(joined), emp, panel=("firm", "year"))
    b = povdsl.fit(base.format(separate), emp, panel=("firm", "year"))
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.std_errors.to_numpy(), b.std_errors.to_numpy(), rtol=1e-9, atol=1e-12)
    assert a.stats["ninstruments"] == b.stats["ninstruments"]


def test_gmm_of_a_sum_is_one_block_per_variable(emp):
    """gmm(n + w, 2:4) is gmm(n, 2:4) gmm(w, 2:4), as xtabond2's gmm(n w, lag(2 4)); checked on the engine."""
    line = "n ~ L(n, 1:2) + w + k | sysgmm(gmm(n + w, 2:4), iv(k))"
    got = povdsl.fit(line, emp, panel=("firm", "year"))
    spec = DynamicPanelSpec(
        y="n",
        regressors=(("n", 1), ("n", 2), ("w", 0), ("k", 0)),
        gmm=(GmmInstrument("n", 2, 4), GmmInstrument("w", 2, 4)),
        iv=(IvInstrument("k"),),
        system=True,
    )
    engine = fit_dynamic_panel(emp, spec, unit="firm", time="year")
    np.testing.assert_allclose(got.params.to_numpy(), engine.params.to_numpy(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(got.std_errors.to_numpy(), engine.std_errors.to_numpy(), rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    "args, code",
    [
        ("gmm(n, 2:4), iv(L(w, 1:.))", "E212"),  # an open range is for GMM-style instruments only
        ("gmm(n, 2:4), iv(log(w))", "E212"),
        ("gmm(n, 2:4), iv(w - k)", "E212"),
        ("gmm(L(n, 1), 2:4)", "E210"),  # lags of a GMM variable are its lag range
        ("gmm(n + log(w), 2:4)", "E210"),
        ("gmm(n, 2:4), iv(L(w, 0:1) + kk)", "E110"),
    ],
)
def test_malformed_instrument_lists_are_located_errors(emp, args, code):
    with pytest.raises(povdsl.SpecError) as info:
        povdsl.fit(f"n ~ L(n, 1:2) + w + k | diffgmm({args})", emp, panel=("firm", "year"))
    assert code in [d.code for d in info.value.diagnostics], str(info.value)
    assert "<fit>:1:" in str(info.value)
