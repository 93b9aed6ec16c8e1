"""Spatial estimators from a spec line: the registry entries, the checker's diagnostics, explain and tables."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest
from spatial_project import frame, write_project  # type: ignore[import-not-found]

import povdsl
from povdsl.errors import DataError, SpecError
from povdsl.pipeline import ModelsFailed

spreg = pytest.importorskip("spreg")


def _w(folder, year_frame):
    """The spec's knn weights, cut to the sample, in libpysal form: the same matrix the spec's fit uses."""
    from povdsl.data.coordinate_weights import from_coordinates
    from povdsl.estimate.spatial import sample_weights

    coords = pd.read_csv(folder / "coords.csv")
    weights = from_coordinates(coords, "county", "lon", "lat", "knn", k=4, row_standardize=True)
    return sample_weights(weights, year_frame.county.tolist(), name="nn")


def _direct(function, *args, **kwargs):
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def test_sar_and_sdm_from_a_spec_match_spreg(tmp_path):
    spec = write_project(
        tmp_path,
        'model a "SAR": y ~ x + z | sar(nn)\n  where year == 2004\n'
        'model b "SDM": y ~ x + z | sdm(nn)\n  where year == 2004\n'
        'model c "SAR by hand": y ~ x + z + W(x, nn) + W(z, nn) | sar(nn)\n  where year == 2004\n'
        'model d "S2SLS": y ~ x + z | sar(nn, method=gmm, robust)\n  where year == 2004\n'
        'table t "T" = a, b, c, d\n  show impacts\n  fit loglik, aic, pseudo_r2\n',
    )
    out = povdsl.run(spec, formats=("markdown",))
    data = frame(tmp_path, 2004)
    sw = _w(tmp_path, data)
    y = np.ascontiguousarray(data[["y"]].to_numpy())
    x = np.ascontiguousarray(data[["x", "z"]].to_numpy())
    lag = _direct(spreg.ML_Lag, y, x, sw.to_libpysal(), method="full")
    np.testing.assert_allclose(out.results["a"].params.to_numpy(), np.ravel(lag.betas), rtol=1e-8)
    np.testing.assert_allclose(out.results["a"].std_errors.to_numpy(), np.ravel(lag.std_err), rtol=1e-8)
    durbin = _direct(spreg.ML_Lag, y, x, sw.to_libpysal(), slx_lags=1, method="full")
    np.testing.assert_allclose(out.results["b"].params.to_numpy(), np.ravel(durbin.betas), rtol=1e-8)
    assert list(out.results["b"].params.index) == ["Intercept", "x", "z", "W(x, nn)", "W(z, nn)", "rho"]
    pd.testing.assert_series_equal(out.results["c"].params, out.results["b"].params, rtol=1e-6)
    s2sls = _direct(spreg.GM_Lag, y, x, w=sw.to_libpysal(), w_lags=2, robust="white")
    np.testing.assert_allclose(out.results["d"].params.to_numpy(), np.ravel(s2sls.betas), rtol=1e-8)
    assert list(out.results["a"].impacts.index) == ["x", "z"]
    text = out.tables["t"]["markdown"]
    assert "x: direct" in text and "x: indirect" in text and "simulated" in text
    assert "SAR" in text and "SDM" in text


def test_spatial_panel_with_unit_effects(tmp_path):
    spec = write_project(tmp_path, 'model p "FE SEM": y ~ x + z | sem(nn, fe=county)\n')
    out = povdsl.run(spec)
    data = frame(tmp_path).sort_values(["year", "county"])
    sw = _w(tmp_path, data[data.year == 2004])
    reg = _direct(spreg.Panel_FE_Error, data[["y"]].to_numpy(), np.ascontiguousarray(data[["x", "z"]].to_numpy()), sw.to_libpysal())
    np.testing.assert_allclose(out.results["p"].params.to_numpy(), np.ravel(reg.betas), rtol=1e-8)
    assert out.results["p"].stats["ngroups"] == 60


def test_slx_diagnostics_as_fit_rows(tmp_path):
    spec = write_project(tmp_path, 'model s "SLX": y ~ x + W(x, nn) | slx(nn)\n  where year == 2004\ntable t "T" = s\n  fit moran, moran_pvalue, lm_lag, lm_error\n')
    out = povdsl.run(spec, formats=("markdown",))
    stats = out.results["s"].stats
    assert {"moran", "lm_lag", "lm_error", "rlm_lag", "rlm_error"} <= set(stats)
    assert "Moran" in out.tables["t"]["markdown"] or "moran" in out.tables["t"]["markdown"]


def test_checker_refuses_spatial_estimators_without_weights(tmp_path):
    spec = write_project(tmp_path, 'model a: y ~ x | sar\nmodel b: y ~ x | sem(nm)\nmodel c: y ~ x | sar(nn, band)\nmodel d: y ~ x | sdm(nn, fe=county)\n')
    with pytest.raises(SpecError) as info:
        povdsl.load(spec)
    text = str(info.value)
    assert "spatial.pov:5:" in text and "E230" in text and "needs a weight matrix" in text
    assert "E150" in text and "unknown weights 'nm'" in text
    assert "E231" in text and "E232" in text


def test_regions_missing_from_the_weights_are_named(tmp_path):
    spec = write_project(tmp_path, 'model a: y ~ x | sar(nn)\n  where year == 2004\n')
    coords = pd.read_csv(tmp_path / "coords.csv")
    coords[~coords.county.isin([103, 117])].to_csv(tmp_path / "coords.csv", index=False)
    with pytest.raises(DataError) as info:  # found when the weights are built, before any model is fitted
        povdsl.run(spec)
    assert "103" in str(info.value) and "117" in str(info.value) and "weights 'nn'" in str(info.value)


def test_household_rows_are_refused_with_a_hint(tmp_path):
    spec = write_project(tmp_path, 'model a: y ~ x | sar(nn)\n')
    with pytest.raises(ModelsFailed, match=r"model 'a'.*one row per region"):
        povdsl.run(spec)


def test_explain_shows_the_spreg_call(tmp_path):
    from povdsl.tools.explain import explain

    spec = write_project(tmp_path, 'model a: y ~ x | sar(nn, method=gmm)\n  where year == 2004\nmodel b: y ~ x | sem(nn)\n  where year == 2004\n')
    text = explain(povdsl.load(spec))
    assert "spreg.GM_Lag(y, X, w=nn, w_lags=2" in text and "spreg.ML_Error(y, X, nn" in text


def test_impacts_figure_of_a_spec_model(tmp_path):
    """`figure f = impacts(a)` of a sar(w) model draws; the impacts it plots agree with spreg's fit by hand."""
    spec = write_project(tmp_path, 'model a "SAR": y ~ x + z | sar(nn)\n  where year == 2004\nfigure fi "Spillovers" = impacts(a)\n')
    out = povdsl.run(spec, out=tmp_path / "out")
    files = out.figures["fi"]
    graphics = [name for name in files if not name.endswith(".tex")]
    assert graphics and all(len(files[name]) > 1000 and (tmp_path / "out" / name).exists() for name in graphics)
    assert "Spillovers" in str(files["fi.tex"])
    data = frame(tmp_path, 2004)
    sw = _w(tmp_path, data)
    lag = _direct(spreg.ML_Lag, np.ascontiguousarray(data[["y"]].to_numpy()), np.ascontiguousarray(data[["x", "z"]].to_numpy()), sw.to_libpysal(), method="full")
    betas = np.ravel(lag.betas)
    inverse = np.linalg.inv(np.eye(len(data)) - betas[-1] * sw.matrix.toarray())
    n = len(data)
    for k, term in enumerate(("x", "z"), start=1):
        direct, total = betas[k] * np.trace(inverse) / n, betas[k] * inverse.sum() / n
        got = out.results["a"].impacts.loc[term, ["direct", "indirect", "total"]].to_numpy(dtype=float)
        np.testing.assert_allclose(got, [direct, total - direct, total], rtol=1e-6)


def test_rho_outside_the_stable_interval_is_a_located_warning(tmp_path, capsys):
    """S2SLS does not keep rho inside (1/lambda_min, 1/lambda_max): on these data (SAR with rho 0.97, 30 regions,
    seed 2) it estimates rho = 1.035 > 1 for a row-standardised W. The fit is reported with a warning at the
    model naming the interval and W; the impacts, which need (I - rho W)^-1, are not computed."""
    from povdsl.tools.cli import main

    spec = write_project(tmp_path, 'model a: y ~ x + z | sar(nn, method=gmm)\n  where year == 2004\ntable t "T" = a\n', rho=0.97, seed=2, n=30)
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert f"{spec}:5:1: warning: model 'a': rho = 1.035 lies outside the stable interval (" in err and ", 1) of W 'nn'" in err
    assert "no impacts" in err
    result = povdsl.run(spec).results["a"]
    assert result.params["rho"] > 1 and result.impacts is None


def test_isolated_regions_of_a_spatial_model_are_a_located_error_naming_them(tmp_path, capsys):
    """distance_band(threshold=1) on 60 random points leaves regions without a neighbour: a notice at the
    weights declaration (all-zero rows), and the sar(band) model refuses them by name at its line."""
    from povdsl.tools.cli import main

    spec = write_project(tmp_path, 'model a: y ~ x | sar(band)\n  where year == 2004\ntable t "T" = a\n')
    spec.write_text(spec.read_text().replace("threshold=3", "threshold=1"))
    coords = pd.read_csv(tmp_path / "coords.csv")
    xy = coords[["lon", "lat"]].to_numpy()
    distance = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    np.fill_diagonal(distance, np.inf)
    isolated = coords.county[(distance > 1).all(axis=1)].tolist()
    assert isolated  # the data have some (seeded)
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:4:1: warning: weights 'band': {len(isolated)} regions with an all-zero weight row" in err  # the declaration's notice
    line = next(text for text in err.splitlines() if text.startswith(f"{spec}:5:1: error: model 'a'"))
    assert "have no neighbour among the model's regions" in line and str(isolated[0]) in line


def test_regions_missing_from_the_weights_are_a_located_error(tmp_path, capsys):
    from povdsl.tools.cli import main

    spec = write_project(tmp_path, 'model a: y ~ x | sar(nn)\n  where year == 2004\n')
    coords = pd.read_csv(tmp_path / "coords.csv")
    coords[~coords.county.isin([103, 117])].to_csv(tmp_path / "coords.csv", index=False)
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}:3:1: error: weights 'nn': 2 regions") and "103, 117" in err


def test_sac_with_two_matrices_by_gmm_is_refused_at_the_second_matrix(tmp_path):
    """spreg's GM_Combo takes one W: sac(w1, w2, method=gmm) used to fit with w1 alone, silently."""
    spec = write_project(tmp_path, "model a: y ~ x | sac(nn, band, method=gmm)\n  where year == 2004\n")
    with pytest.raises(SpecError) as info:
        povdsl.load(spec)
    (d,) = info.value.diagnostics
    assert d.code == "E231" and "ML only" in d.message and (d.span.line, d.span.col) == (5, 26)  # at `band`


def test_cross_section_without_region_column_says_to_declare_one(tmp_path):
    """A new user's Columbus spec: a cross-section without region(...) was 'KeyError: None ... report a bug'."""
    write_project(tmp_path, "")
    frame(tmp_path, 2004).to_csv(tmp_path / "cross.csv", index=False)
    head = 'data cross = "cross.csv"\nweights nn = knn("coords.csv", county, lon, lat, k=4, row_standardize=true)\n'
    spec = tmp_path / "cross.pov"
    spec.write_text(head + "model a: y ~ x | sar(nn)\n")
    with pytest.raises(ModelsFailed, match=r"model 'a': sar needs the region of each row") as info:
        povdsl.run(spec)
    assert "region(ID)" in str(info.value) and "KeyError" not in str(info.value)
    spec.write_text(head.replace('"cross.csv"', '"cross.csv" region(county)') + "model a: y ~ x | sar(nn)\n")
    fitted = povdsl.run(spec).results["a"]
    year = frame(tmp_path, 2004)
    from libpysal.weights import KNN

    coords = pd.read_csv(tmp_path / "coords.csv").set_index("county").loc[year.county]
    w = KNN.from_array(coords[["lon", "lat"]].to_numpy(), k=4)  # libpysal's own, independent of povdsl's builder
    w.transform = "r"
    reference = _direct(spreg.ML_Lag, year[["y"]].to_numpy(), year[["x"]].to_numpy(), w, method="full")
    np.testing.assert_allclose(fitted.params.to_numpy(), reference.betas.ravel(), rtol=1e-6)
