"""iv() and gmm() with several variables and L(var, a:b) lags, as xtabond2 writes them.

Each spelling is checked against the Python-level engine given the same
instruments one by one. The published Arellano-Bond (1991) Table 4(b) numbers
through the spec file tests/dynpanel/arellano_bond_1991.pov are checked in
test_emplUK_reference.py (case A).
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


@pytest.fixture(scope="module")
def emp() -> pd.DataFrame:
    df = pd.read_csv(HERE / "data" / "emplUK.csv")
    for short, column in [("n", "emp"), ("w", "wage"), ("k", "capital"), ("ys", "output")]:
        df[short] = np.log(df[column])
    return df


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
