"""W() on a cross-section of regions: `data columbus = "columbus.csv" region(POLYID)`, as docs/spatial.md declares it.

W(INC, q) was E151 ("varies within regions") on such a file, so an SLX or an
OLS with a spatial lag needed a fake year column and a second, key(...) copy
of the same file. Each row is a region there; a region listed twice is a
located data error.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import povdsl
from povdsl.errors import EstimationError

libpysal = pytest.importorskip("libpysal")

COLUMBUS = Path(libpysal.examples.get_path("columbus.shp")).parent


def _project(folder: Path, data: pd.DataFrame, models: str) -> Path:
    (folder / ".povdsl-root").write_text("")
    for suffix in (".shp", ".shx", ".dbf"):
        shutil.copy(COLUMBUS / f"columbus{suffix}", folder / f"columbus{suffix}")
    data.to_csv(folder / "columbus.csv", index=False)
    spec = folder / "c.pov"
    spec.write_text('data columbus = "columbus.csv" region(POLYID)\nweights q = queen("columbus.shp", POLYID, row_standardize=true)\n' + models)
    return spec


def _columbus() -> pd.DataFrame:
    db = libpysal.io.open(str(COLUMBUS / "columbus.dbf"))
    return pd.DataFrame({c: db.by_col(c) for c in ("POLYID", "CRIME", "INC", "HOVAL")})


def _lag(data: pd.DataFrame) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.Queen.from_shapefile(str(COLUMBUS / "columbus.shp"), "POLYID")
    w.transform = "r"
    full, ids = w.full()
    order = [list(ids).index(i) for i in data.POLYID]
    return full[np.ix_(order, order)] @ data.INC.to_numpy()


def test_w_of_a_column_of_a_cross_section_of_regions_is_libpysals_lag(tmp_path):
    data = _columbus()
    spec = _project(tmp_path, data, "model o: HOVAL ~ INC + CRIME + W(INC, q) | ols\nmodel s: HOVAL ~ INC + CRIME + W(INC, q) | slx(q)\n")
    out = povdsl.run(spec)
    reference = sm.OLS(data.HOVAL, sm.add_constant(np.column_stack([data.INC, data.CRIME, _lag(data)]))).fit()
    for name in ("o", "s"):
        np.testing.assert_allclose(out.results[name].params.to_numpy(), reference.params.to_numpy(), rtol=1e-10)
        np.testing.assert_allclose(out.results[name].std_errors.to_numpy(), reference.bse.to_numpy(), rtol=1e-8)
    assert list(out.results["o"].params.index) == ["Intercept", "INC", "CRIME", "W(INC, q)"]


def test_a_region_listed_twice_with_different_values_is_a_located_error(tmp_path):
    data = _columbus()
    twice = pd.concat([data, data.iloc[:2].assign(INC=1.0)], ignore_index=True)
    spec = _project(tmp_path, twice, "model o: HOVAL ~ INC + W(INC, q) | ols\n")
    (error,) = povdsl.run(spec, keep_going=True).failures
    assert isinstance(error, EstimationError)
    assert error.model == "o" and error.span is not None and error.span.line == 3
    assert "W() needs a region-level variable, but 'INC' varies within POLYID" in error.message
    assert error.hint is not None and "one row per POLYID" in error.hint


def test_a_key_table_keeps_w_of_unit_columns_an_error(tmp_path):
    """With a key(region, time) table the rows are units inside regions: W() of their columns stays E151."""
    data = _columbus().assign(year=1980)
    spec = _project(tmp_path, data, "model o: HOVAL ~ INC + W(INC, q) | ols\n")
    spec.write_text(spec.read_text().replace('region(POLYID)\n', 'panel(POLYID, year) region(POLYID)\ndata r = "columbus.csv" key(POLYID, year)\n'))
    with pytest.raises(povdsl.SpecError) as info:
        povdsl.load(spec)
    assert [d.code for d in info.value.diagnostics] == ["E151"]
