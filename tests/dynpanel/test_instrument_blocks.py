"""The block-stored instruments give the products of the dense (units, rows, instruments) Z they replace.

Reference: the dense Z assembled from the blocks in the test, and the numpy
expressions the estimator used on it before (tensordot/einsum).
"""

from __future__ import annotations

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
from povdsl.estimate.dynpanel import instruments as instruments_module
from povdsl.estimate.dynpanel.design import build_equations
from povdsl.estimate.dynpanel.estimator import one_step_weight
from povdsl.estimate.dynpanel.instruments import InstrumentMatrix, build_instruments
from povdsl.estimate.dynpanel.lags import build_grid
from povdsl.estimate.dynpanel.simulate import simulate_ar1_panel

SPECS = {
    "system, every lag, iv and dummies": DynamicPanelSpec(
        y="y", regressors=(("y", 1), ("x", 0)), gmm=(GmmInstrument("y", 2, None),), iv=(IvInstrument("x"), IvInstrument("x", 1)), system=True, time_effects=True
    ),
    "difference, lag window": DynamicPanelSpec(y="y", regressors=(("y", 1), ("x", 0)), gmm=(GmmInstrument("y", 2, 3), GmmInstrument("x", 0, 2))),
    "system, one set collapsed": DynamicPanelSpec(
        y="y", regressors=(("y", 1), ("x", 0)), gmm=(GmmInstrument("y", 2, None, collapse=True), GmmInstrument("x", 1, 3)), system=True
    ),
    "system, all collapsed, iv and dummies": DynamicPanelSpec(
        y="y", regressors=(("y", 1), ("x", 0)), gmm=(GmmInstrument("y", 2, None), GmmInstrument("x", 0, None)), iv=(IvInstrument("x", 1),),
        system=True, time_effects=True, collapse=True,
    ),
}


def _dense(Z: InstrumentMatrix) -> np.ndarray:
    out = np.zeros((Z.n_units, Z.n_rows, Z.n_instruments))
    for b in Z.blocks:
        assert not out[:, b.row, b.columns].any()  # a column appears at most once per row
        out[:, b.row, b.columns] = b.values
    return out


@pytest.fixture(scope="module")
def panel():
    data = simulate_ar1_panel(60, 7, seed=3)
    return data.drop(index=data.index[5::17])  # gaps: rows outside the sample must stay zero


@pytest.mark.parametrize("name", SPECS)
def test_products_equal_the_dense_expressions(panel, name):
    spec = SPECS[name]
    grid = build_grid(panel, ["x", "y"], unit="unit", time="period")
    eq = build_equations(grid, spec, "period")
    Z = build_instruments(grid, spec, eq)
    dense = _dense(Z)
    assert not dense[~eq.valid].any()  # zero outside the sample
    assert all(dense[:, :, i].any() for i in range(Z.n_instruments))  # empty columns dropped
    rng = np.random.default_rng(0)
    v = rng.normal(size=eq.y.shape)
    b = rng.normal(size=Z.n_instruments)
    H = one_step_weight(grid.shape[1], spec.system)
    np.testing.assert_allclose(Z.cross(eq.X), np.tensordot(dense, eq.X, axes=([0, 1], [0, 1])), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Z.moments(v), np.einsum("nrl,nr->l", dense, v), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Z.per_unit(v), np.einsum("nrl,nr->nl", dense, v), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Z.apply(b), dense @ b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Z.quadratic(H), np.tensordot(dense, np.matmul(H, dense), axes=([0, 1], [0, 1])), rtol=1e-12, atol=1e-12)


def test_uncollapsed_gmm_columns_are_stored_once_per_unit(panel):
    """Each uncollapsed GMM column costs one number per unit, not one per row."""
    spec = SPECS["system, every lag, iv and dummies"]
    grid = build_grid(panel, ["x", "y"], unit="unit", time="period")
    Z = build_instruments(grid, spec, build_equations(grid, spec, "period"))
    assert all(b.values.shape == (Z.n_units, b.columns.size) for b in Z.blocks)
    rows_of = {name: sum(i in b.columns for b in Z.blocks) for i, name in enumerate(Z.names)}
    assert all(rows == 1 for name, rows in rows_of.items() if "@" in name)  # per-period GMM columns: one row each
    assert all(rows > 1 for name, rows in rows_of.items() if name.startswith(("iv(", "Intercept")))


def test_collapsed_columns_are_stored_where_they_are_non_zero(panel):
    """Collapsed GMM columns are kept by row like the others: one number per unit and non-zero row, no dense (units, rows, L) array."""
    spec = SPECS["system, all collapsed, iv and dummies"]
    grid = build_grid(panel, ["x", "y"], unit="unit", time="period")
    Z = build_instruments(grid, spec, build_equations(grid, spec, "period"))
    dense = _dense(Z)
    stored = sum(b.values.size for b in Z.blocks)
    assert stored == Z.n_units * int(dense.any(axis=0).sum())  # exactly the (row, column) pairs that hold a number
    assert stored < dense.size


def test_over_budget_is_refused_before_allocation(monkeypatch, panel):
    """Instruments over the memory budget: an EstimationError suggesting collapse or fewer lags, nothing allocated."""
    spec = SPECS["system, every lag, iv and dummies"]
    monkeypatch.setattr(instruments_module, "MEMORY_BUDGET", 10_000)
    built = []
    monkeypatch.setattr(instruments_module, "RowBlock", lambda *a: built.append(a))
    with pytest.raises(EstimationError) as info:
        fit_dynamic_panel(panel, spec, unit="unit", time="period")
    assert "budget" in str(info.value) and "collapse" in info.value.hint
    assert not built
    monkeypatch.undo()
    assert np.isfinite(fit_dynamic_panel(panel, replace(spec, collapse=True), unit="unit", time="period").params).all()


@pytest.mark.parametrize("name", ["system, all collapsed, iv and dummies", "system, one set collapsed"])
def test_collapsed_two_step_equals_the_dense_computation(panel, name):
    """Two-step coefficients by row blocks equal the textbook dense-Z computation (Z as (units, rows, L))."""
    spec = SPECS[name]
    grid = build_grid(panel, ["x", "y"], unit="unit", time="period")
    eq = build_equations(grid, spec, "period")
    Z = _dense(build_instruments(grid, spec, eq))
    X, y = np.nan_to_num(eq.X), np.nan_to_num(eq.y)
    XZ = np.tensordot(X, Z, axes=([0, 1], [0, 1]))
    Zy = np.tensordot(Z, y, axes=([0, 1], [0, 1]))
    W1 = np.linalg.pinv(np.tensordot(Z, np.matmul(one_step_weight(grid.shape[1], spec.system), Z), axes=([0, 1], [0, 1])), hermitian=True)
    beta1 = np.linalg.solve(XZ @ W1 @ XZ.T, XZ @ W1 @ Zy)
    g = np.einsum("nrl,nr->nl", Z, y - X @ beta1)
    W2 = np.linalg.pinv(g.T @ g, hermitian=True)
    beta2 = np.linalg.solve(XZ @ W2 @ XZ.T, XZ @ W2 @ Zy)
    fitted = fit_dynamic_panel(panel, spec, unit="unit", time="period")
    np.testing.assert_allclose(fitted.params.to_numpy(), beta2, rtol=1e-9, atol=1e-12)


def test_instrument_columns_are_named_with_the_one_lag_spelling(panel):
    """GMM, level and IV-style columns spell their lags as check.terms.lag_name does (`L2.y`; lag 0 is `x`), not by hand."""
    from povdsl.check.terms import lag_name

    spec = replace(SPECS["difference, lag window"], iv=(IvInstrument("x"), IvInstrument("x", 1)), system=True)
    grid = build_grid(panel, ["x", "y"], unit="unit", time="period")
    Z = build_instruments(grid, spec, build_equations(grid, spec, "period"))
    stems = {name.split("@")[0] for name in Z.names if "@" in name}
    lags = {lag_name("y", 2), lag_name("y", 3), lag_name("x", 0), lag_name("x", 1), lag_name("x", 2)}
    assert stems == lags | {f"D.{lag_name('y', 1)}", f"D.{lag_name('x', 0)}"}, stems
    assert {"iv(x)", f"iv({lag_name('x', 1)})"} <= set(Z.names)
    assert not any("L0." in name or name.startswith("DL") for name in Z.names)
