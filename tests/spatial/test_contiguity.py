"""`weights q = queen("regions.shp", id)` and `rook(...)`: contiguity from polygon files, equal to libpysal's own.

Anselin's Columbus polygons ship with libpysal (columbus.shp/.shx/.dbf and the
same polygons as columbus.json), so the tests copy them into a project and
compare povdsl's matrices and fits with libpysal and spreg called directly on
the same files. Malformed, missing, escaping and oversized files are located
errors, never tracebacks.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import povdsl
from povdsl.errors import SpecError
from povdsl.tools.cli import main

libpysal = pytest.importorskip("libpysal")
spreg = pytest.importorskip("spreg")

COLUMBUS = Path(libpysal.examples.get_path("columbus.shp")).parent


def project(folder: Path, weights: str, models: str = "") -> Path:
    """Columbus as a one-year panel keyed by POLYID, its polygons beside the spec, and a spec text."""
    (folder / "pyproject.toml").write_text("")  # the project root: paths may not leave this folder
    for suffix in (".shp", ".shx", ".dbf"):
        shutil.copy(COLUMBUS / f"columbus{suffix}", folder / f"columbus{suffix}")
    shutil.copy(COLUMBUS / "columbus.json", folder / "columbus.geojson")
    db = libpysal.io.open(str(COLUMBUS / "columbus.dbf"))
    data = pd.DataFrame({c: db.by_col(c) for c in ("POLYID", "CRIME", "INC", "HOVAL")}).assign(year=1980)
    data.to_csv(folder / "columbus.csv", index=False)
    data[["POLYID", "year", "INC"]].rename(columns={"INC": "inc"}).to_csv(folder / "regions.csv", index=False)
    spec = folder / "columbus.pov"
    spec.write_text(
        'data hoods = "columbus.csv" panel(POLYID, year) region(POLYID)\n'
        'data covariates = "regions.csv" key(POLYID, year)\n' + weights + models
    )
    return spec


def libpysal_w(kind: str, transform: str = "O"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = getattr(libpysal.weights, kind).from_shapefile(str(COLUMBUS / "columbus.shp"), "POLYID")
    w.transform = transform
    return w


def as_frame(w) -> pd.DataFrame:
    return pd.DataFrame(w.full()[0], index=w.id_order, columns=w.id_order)


@pytest.mark.parametrize("kind, builder, file", [("Queen", "queen", "columbus.shp"), ("Rook", "rook", "columbus.shp"), ("Queen", "queen", "columbus.geojson"), ("Rook", "rook", "columbus.geojson")])
def test_contiguity_matrix_is_libpysals(tmp_path, kind, builder, file):
    spec = project(tmp_path, f'weights c = {builder}("{file}", POLYID)\n', "model m: CRIME ~ INC + W(inc, c) | ols\n")
    out = povdsl.run(spec)
    from povdsl.data.contiguity import from_polygons

    ours = from_polygons(tmp_path / file, "POLYID", builder).to_frame()
    want = as_frame(libpysal_w(kind))
    pd.testing.assert_frame_equal(ours.loc[want.index, want.columns], want, check_names=False, check_dtype=False)
    assert want.to_numpy().sum() == (236 if kind == "Queen" else 200)  # the Columbus link counts libpysal documents (pct_nonzero 9.829 / 8.330)
    # and W(inc, c) in the spec is libpysal's lag of INC
    data = pd.read_csv(tmp_path / "columbus.csv").set_index("POLYID").loc[want.index]
    lag = libpysal.weights.lag_spatial(libpysal_w(kind), data.INC.to_numpy())
    import statsmodels.api as sm

    ols = sm.OLS(data.CRIME.to_numpy(), sm.add_constant(np.column_stack([data.INC, lag]))).fit()
    np.testing.assert_allclose(out.results["m"].params.to_numpy(), ols.params, rtol=1e-10)


def test_sar_on_queen_weights_equals_spreg_on_libpysals_queen(tmp_path):
    spec = project(tmp_path, 'weights q = queen("columbus.shp", POLYID, row_standardize=true)\n', "model m: CRIME ~ INC + HOVAL | sar(q)\n")
    result = povdsl.run(spec).results["m"]
    w = libpysal_w("Queen", "r")
    data = pd.read_csv(tmp_path / "columbus.csv").set_index("POLYID").loc[w.id_order]
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        reg = spreg.ML_Lag(data[["CRIME"]].to_numpy(), data[["INC", "HOVAL"]].to_numpy(), w, method="full")
    np.testing.assert_allclose(result.params.to_numpy(), np.ravel(reg.betas), rtol=1e-7)
    np.testing.assert_allclose(result.std_errors.to_numpy(), np.ravel(reg.std_err), rtol=1e-6)
    # and the published numbers (R spatialreg on the same queen W; tests/spatial/test_published.py)
    assert result.params["rho"] == pytest.approx(0.42333, abs=6e-6)


def diagnostic(spec: Path):
    with pytest.raises(SpecError) as info:
        povdsl.load(spec)
    (d,) = info.value.diagnostics
    return d


def test_missing_dbf_is_a_located_error(tmp_path):
    spec = project(tmp_path, 'weights q = queen("columbus.shp", POLYID)\n')
    (tmp_path / "columbus.dbf").unlink()
    d = diagnostic(spec)
    assert d.code == "E303" and "columbus.dbf" in d.message and d.span.line == 3


def test_unknown_id_column_suggests_one(tmp_path):
    spec = project(tmp_path, 'weights q = rook("columbus.shp", POLYIDD)\n')
    d = diagnostic(spec)
    assert d.code == "E307" and "POLYIDD" in d.message and "POLYID" in (d.hint or "")


def test_a_sidecar_linking_outside_the_project_is_refused(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    spec = project(root, 'weights q = queen("columbus.shp", POLYID)\n')
    secret = tmp_path / "secret.dbf"
    shutil.move(str(root / "columbus.dbf"), secret)
    (root / "columbus.dbf").symlink_to(secret)
    d = diagnostic(spec)
    assert d.code == "E301" and "outside the spec's project folder" in d.message


def test_other_files_and_arguments_are_refused_at_the_declaration(tmp_path):
    spec = project(tmp_path, 'weights q = queen("columbus.csv", POLYID)\n')
    assert diagnostic(spec).code == "E304"
    spec.write_text(spec.read_text().replace('queen("columbus.csv", POLYID)', 'queen("columbus.shp", POLYID, k=3)'))
    assert diagnostic(spec).code == "E312"
    spec.write_text(spec.read_text().replace('queen("columbus.shp", POLYID, k=3)', 'queen("columbus.shp")'))
    assert diagnostic(spec).code == "E311"


def test_oversized_polygon_files_are_refused(tmp_path, monkeypatch):
    import povdsl.data.polygon_files as files

    spec = project(tmp_path, 'weights q = queen("columbus.shp", POLYID)\n')
    monkeypatch.setattr(files, "MAX_POLYGON_BYTES", 1000)
    d = diagnostic(spec)
    assert d.code == "E304" and "over the limit" in d.message


@pytest.mark.parametrize(
    "file, damage",
    [
        ("columbus.shp", lambda b: b[:100] + b"\x7f" * 300),  # header kept, records garbage
        ("columbus.shp", lambda b: b[:2000]),  # truncated
        ("columbus.shx", lambda b: b[:100] + b"\xff" * 200),  # index pointing anywhere
        ("columbus.dbf", lambda b: b[:40]),  # field list cut
        ("columbus.geojson", lambda b: b[:5000]),  # invalid JSON
        ("columbus.geojson", lambda b: b'{"type": "FeatureCollection", "features": [{"geometry": {"type": "Point", "coordinates": [0, 0]}, "properties": {"POLYID": 1}}]}'),
    ],
)
def test_malformed_files_are_located_errors_never_tracebacks(tmp_path, capsys, file, damage):
    source = file if file.endswith(".geojson") else "columbus.shp"
    spec = project(tmp_path, f'weights q = queen("{source}", POLYID)\n', "model m: CRIME ~ INC + W(inc, q) | ols\n")
    path = tmp_path / file
    path.write_bytes(damage(path.read_bytes()))
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}:3:"), err  # at the weights declaration (the checker's, or the reader's at run time)
    assert "Traceback" not in err and ("columbus" in err)


def test_point_shapefile_is_refused(tmp_path, capsys):
    spec = project(tmp_path, 'weights q = queen("points.shp", ID)\n', "model m: CRIME ~ INC + W(inc, q) | ols\n")
    points = Path(libpysal.examples.get_path("Point.shp")).parent
    for suffix in (".shp", ".shx", ".dbf"):
        shutil.copy(points / f"Point{suffix}", tmp_path / f"points{suffix}")
    db = libpysal.io.open(str(points / "Point.dbf"))
    spec.write_text(spec.read_text().replace('"points.shp", ID)', f'"points.shp", {db.header[0]})'))
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}:3:") and "contiguity needs polygons" in err
