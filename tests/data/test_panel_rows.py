"""`panel(unit, time)` means one row per unit and period: one located data error, whatever the models.

Before, `ols` fitted repeated (unit, time) rows silently while `fe` and `L()`
refused them, each with its own message from its own estimator; and `fe`'s
refusal also hit legitimate models whose groups are coarser than the unit
(`fe(county, year)` on households), which pyfixest fits.
"""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
from linearmodels.panel import RandomEffects
from numpy.testing import assert_allclose

import povdsl
from povdsl.data import panel_rows
from povdsl.data.panel_rows import repeated_pairs
from povdsl.tools.cli import main

MODELS = {
    "ols": "y ~ x | ols",
    "fe": "y ~ x | fe(id)",
    "lag": "y ~ L(x, 1) | ols",
    "re": "y ~ x | re(id)",
}


@pytest.mark.parametrize("model", sorted(MODELS))
def test_a_repeated_unit_and_period_is_one_located_error_at_the_data_line_for_every_estimator(tmp_path, capsys, model):
    frame = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3, 2], "t": [1, 2, 1, 1, 1, 2, 1], "x": np.arange(7.0), "y": np.arange(7.0) ** 1.5})
    frame.to_csv(tmp_path / "d.csv", index=False)
    spec = tmp_path / "s.pov"
    spec.write_text(f'data d = "d.csv" panel(id, t)\n\nmodel m: {MODELS[model]}\ntable t "T" = m\n', encoding="utf-8")
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}:1:1: error: data set 'd' declares panel(id, t) but has more than one row for id=2, t=1 (rows 3, 4, 7)\n"), err
    assert err.count("error:") == 1 and "Traceback" not in err
    assert "hint: a panel holds one row per id and t" in err


def test_the_error_counts_other_repeated_pairs_and_povdsl_fit_gets_it_too():
    frame = pd.DataFrame({"id": [1, 1, 2, 2, 3, 3], "t": [1, 1, 1, 2, 2, 2], "x": np.arange(6.0), "y": np.ones(6)})
    with pytest.raises(povdsl.DataError, match=r"id=1, t=1 \(rows 1, 2; 2 other rows repeat a \(id, t\) pair too\)"):
        povdsl.fit("y ~ x | ols", frame, panel=("id", "t"))


@pytest.mark.parametrize("dense", [True, False])
def test_repeated_pairs_are_those_pandas_finds_with_missing_keys_left_out(monkeypatch, dense):
    if not dense:
        monkeypatch.setattr(panel_rows, "DENSE_GRID", 0)  # the sort branch for very large grids
    rng = np.random.default_rng(5)
    units = rng.integers(0, 40, 500).astype(float)
    periods = rng.integers(0, 12, 500).astype(float)
    units[::17], periods[::23] = np.nan, np.nan
    frame = pd.DataFrame({"u": units, "p": periods})
    known = frame.notna().all(axis=1)
    expected = np.flatnonzero(known & frame.duplicated(keep=False) & known)
    expected = np.array([i for i in expected if known.iloc[i]])
    assert_allclose(repeated_pairs(units, periods), expected)
    assert not len(repeated_pairs(np.arange(10), np.zeros(10)))


def _households() -> pd.DataFrame:
    frame = pd.read_csv(str(files("povdsl.datasets").joinpath("zhejiang").joinpath("households.csv")))
    return frame.assign(log_income=np.log(frame["income"])).dropna(subset=["log_income", "age", "edu"])


def test_fixed_effects_coarser_than_the_unit_fit_as_pyfixest_does():
    """fe(county, year) on households (many per county and year) was refused as 'entity appears more than once'."""
    households = _households()
    ours = povdsl.fit("log_income ~ age + edu | fe(county, year)", households, panel=("household", "year"))
    theirs = pf.feols("log_income ~ age + edu | county + year", data=households, vcov={"CRV1": "county"}, fixef_tol=1e-12)
    assert_allclose(ours.params[["age", "edu"]].to_numpy(), theirs.coef().to_numpy(), rtol=1e-8)
    assert_allclose(ours.std_errors[["age", "edu"]].to_numpy(), theirs.se().to_numpy(), rtol=1e-6)
    assert ours.nobs == theirs._N


def test_random_effects_on_a_coarser_entity_are_linearmodels_on_rows_numbered_within_it():
    """re(county) on households: linearmodels' index needs unique (entity, time), and RE never reads time."""
    households = _households()
    ours = povdsl.fit("log_income ~ age + edu | re(county)", households, panel=("household", "year"))
    within = households.groupby("county").cumcount()
    indexed = households.set_index([households["county"], within])
    exog = indexed[["age", "edu"]].assign(const=1.0)[["const", "age", "edu"]]
    theirs = RandomEffects(indexed["log_income"], exog).fit()
    assert_allclose(ours.params[["Intercept", "age", "edu"]].to_numpy(), theirs.params.to_numpy(), rtol=1e-8)
    assert_allclose(ours.std_errors[["Intercept", "age", "edu"]].to_numpy(), theirs.std_errors.to_numpy(), rtol=1e-8)
