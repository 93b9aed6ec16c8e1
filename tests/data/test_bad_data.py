"""Bad data is never silent (issue 13.3): stray text in numbers, text regressors, weights that miss regions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from povdsl.pipeline import run
from povdsl.tools.cli import main


def _cross_section(tmp_path, n=80, seed=1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": x, "y": 1.0 + 2.0 * x + rng.normal(size=n), "sector": rng.choice(["agri", "manu", "serv"], n)})
    return df


def _write(tmp_path, df: pd.DataFrame, spec_text: str):
    df.to_csv(tmp_path / "d.csv", index=False)
    spec = tmp_path / "s.pov"
    spec.write_text(spec_text, encoding="utf-8")
    return spec


def test_stray_text_in_a_numeric_column_is_a_located_error_naming_values_and_rows(tmp_path, capsys):
    df = _cross_section(tmp_path).astype({"x": object})
    df.loc[2, "x"] = "."
    df.loc[6, "x"] = "NA"
    df.loc[9, "x"] = "."
    spec = _write(tmp_path, df, 'data d = "d.csv"\n\nmodel m: y ~ x | ols\n')
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}:1:1: error: data set 'd': column 'x' is numeric except for 3 text cells ('.', 'NA') in rows 3, 7, 10")
    assert 'na=".", "NA"' in err and "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_one_stray_text_cell_is_named_as_one_row(tmp_path, capsys):
    df = _cross_section(tmp_path).astype({"x": object})
    df.loc[5, "x"] = "."
    spec = _write(tmp_path, df, 'data d = "d.csv"\n\nmodel m: y ~ x | ols\n')
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}:1:1: error: data set 'd': column 'x' is numeric except for 1 text cell ('.') in row 6\n")


def test_a_transform_outside_its_domain_names_data_rows_counted_from_1_as_stray_text_does(tmp_path, capsys):
    """log(x) at x = 0 in the file's 3rd data row and x < 0 in its 9th: "rows 3, 9", also in an unsorted panel under `where`."""
    df = _cross_section(tmp_path, n=12).assign(unit=[3, 1, 2] * 4, t=np.repeat([4, 2, 3, 1], 3), x=np.linspace(1, 2, 12))
    df.loc[2, "x"] = 0.0
    df.loc[8, "x"] = -1.0
    df.loc[0, "y"] = -9.0  # dropped by `where`, so positions and labels would differ if rows were renumbered
    spec = _write(tmp_path, df, 'data d = "d.csv" panel(unit, t)\n\nmodel m: y ~ log(x) | ols where y > -5\n')
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:3:1: error: model 'm': 'log(x)' is not a finite number in rows 3, 9 (the first is -inf)" in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("rows", "count", "expected"),
    [((6,), 1, "row 6"), ((3, 7), 2, "rows 3, 7"), ((1, 2, 3, 4, 5), 9, "rows 1, 2, 3, 4, 5, ...")],
)
def test_row_list_is_singular_for_one_row_only(rows, count, expected):
    from povdsl.data.columns import row_list

    assert row_list(rows, count) == expected


@pytest.mark.parametrize("marker", [".", "NA", "n/a", "-"])
def test_na_option_makes_the_markers_missing_and_the_fit_matches_statsmodels(tmp_path, marker):
    df = _cross_section(tmp_path).astype({"x": object})
    bad = [3, 11, 40]
    df.loc[bad, "x"] = marker
    spec = _write(tmp_path, df, f'data d = "d.csv" na="{marker}"\n\nmodel m: y ~ x | ols\n')
    result = run(spec).results["m"]
    clean = df.drop(index=bad).astype({"x": float})
    reference = sm.OLS(clean["y"], sm.add_constant(clean[["x"]])).fit()
    assert result.nobs == len(df) - len(bad)
    np.testing.assert_allclose(result.params[["Intercept", "x"]].to_numpy(), reference.params[["const", "x"]].to_numpy(), rtol=1e-10)


def test_na_takes_a_list(tmp_path):
    df = _cross_section(tmp_path).astype({"x": object})
    df.loc[1, "x"] = "."
    df.loc[5, "x"] = "-"
    spec = _write(tmp_path, df, 'data d = "d.csv" na=".", "-"\n\nmodel m: y ~ x | ols\n')
    assert run(spec).results["m"].nobs == len(df) - 2


def test_na_must_be_text(tmp_path, capsys):
    spec = _write(tmp_path, _cross_section(tmp_path), 'data d = "d.csv" na=3\n\nmodel m: y ~ x | ols\n')
    assert main(["check", str(spec)]) == 1
    assert f"{spec}:1:18: error[E314]: na= takes text in quotes" in capsys.readouterr().err


def test_text_regressor_becomes_dummies_and_the_run_says_so(tmp_path, capsys):
    df = _cross_section(tmp_path)
    spec = _write(tmp_path, df, 'data d = "d.csv"\n\nmodel m: y ~ x + sector | ols\n\ntable t = m\n')
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert f"{spec}:3:1: note: model 'm': text column 'sector' becomes 2 dummies (3 levels, base level 'agri'); write C(sector) to say so" in err
    reference = sm.OLS(df["y"], sm.add_constant(pd.get_dummies(df[["x", "sector"]], drop_first=True, dtype=float))).fit()
    params = run(spec).results["m"].params
    assert len(params) == 4
    np.testing.assert_allclose(params["x"], reference.params["x"], rtol=1e-10)


def test_text_regressor_written_as_C_is_not_reported(tmp_path, capsys):
    spec = _write(tmp_path, _cross_section(tmp_path), 'data d = "d.csv"\n\nmodel m: y ~ x + C(sector) | ols\n\ntable t = m\n')
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 0
    assert "text column" not in capsys.readouterr().err


# ------------------------------------------------------------------ weights


def _spatial(tmp_path, pairs: list[tuple[str, str, object]], regions=("a", "b", "c", "d"), cutoff: str = ""):
    rng = np.random.default_rng(7)
    rows = []
    for t in (1, 2):
        for i in range(60):
            rows.append({"u": i, "t": t, "r": regions[i % len(regions)], "x": rng.normal(), "y": rng.normal()})
    pd.DataFrame(rows).to_csv(tmp_path / "h.csv", index=False)
    pd.DataFrame([{"r": r, "t": t, "cl": float(k + t)} for t in (1, 2) for k, r in enumerate(regions)]).to_csv(tmp_path / "reg.csv", index=False)
    pd.DataFrame(pairs, columns=["o", "d", "minutes"]).to_csv(tmp_path / "tt.csv", index=False)
    spec = tmp_path / "s.pov"
    spec.write_text(
        'data h = "h.csv" panel(u, t) region(r)\ndata reg = "reg.csv" key(r, t)\n'
        f'weights tt = inverse("tt.csv", o, d, minutes{cutoff})\n\nmodel m: y ~ x + W(cl, tt) | ols\n\ntable t1 = m\n',
        encoding="utf-8",
    )
    return spec


def _all_pairs(regions, minutes=10.0):
    return [(a, b, minutes + i + j) for i, a in enumerate(regions) for j, b in enumerate(regions) if a != b]


def test_regions_missing_from_the_weights_are_an_error_naming_them(tmp_path, capsys):
    spec = _spatial(tmp_path, _all_pairs(["a", "b", "c"]))
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}:3:1: error: weights 'tt': 1 region of the region data is missing from the weight matrix: d")


def test_all_zero_weight_rows_are_a_warning_and_a_table_note(tmp_path, capsys):
    pairs = _all_pairs(["a", "b", "c"], minutes=10.0) + [("d", "a", 500.0), ("a", "d", 500.0)]
    spec = _spatial(tmp_path, pairs, cutoff=", cutoff=100")
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert f"{spec}:3:1: warning: weights 'tt': 1 region with an all-zero weight row (W(x) is 0 there): d" in err
    assert "1 region with no neighbours (all-zero row)" in (tmp_path / "out" / "t1.tex").read_text(encoding="utf-8")


def test_text_in_a_weights_file_is_a_located_error(tmp_path, capsys):
    pairs = _all_pairs(["a", "b", "c", "d"])
    pairs[4] = (pairs[4][0], pairs[4][1], "far")
    spec = _spatial(tmp_path, pairs)
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}:3:1: error: weights 'tt': column 'minutes' of the weights table holds text ('far') in row 5")
    assert "Traceback" not in err


def test_fit_with_weights_missing_a_units_region_names_it():
    import povdsl
    from povdsl.data.weights import Weights
    from povdsl.errors import DataError

    rng = np.random.default_rng(3)
    df = pd.DataFrame({"u": np.arange(40), "t": 1, "r": np.repeat(["a", "b", "c", "d"], 10), "x": rng.normal(size=40), "y": rng.normal(size=40)})
    matrix = pd.DataFrame([[0, 1, 2], [1, 0, 1], [2, 1, 0]], index=["a", "b", "c"], columns=["a", "b", "c"], dtype=float)
    with pytest.raises(DataError, match=r"1 region of the region data is missing from the weight matrix: d"):
        povdsl.fit("y ~ x + W(x, tt) | ols", df, weights={"tt": Weights.from_matrix(matrix)}, panel=("u", "t"), region="r")


def test_povdsl_fit_refuses_stray_text_in_a_given_frame_as_a_spec_run_does(tmp_path):
    """povdsl.fit on a DataFrame whose numeric column holds 'n/a' cells fitted one dummy per value, silently."""
    import povdsl
    from povdsl.errors import DataError

    df = _cross_section(tmp_path).astype({"x": object})
    df.loc[[4, 8], "x"] = "n/a"
    with pytest.raises(DataError, match=r"column 'x' is numeric except for 2 text cells \('n/a'\) in rows 5, 9") as info:
        povdsl.fit("y ~ x | ols", df)
    assert "pd.to_numeric" in str(info.value)
    clean = df.assign(x=pd.to_numeric(df.x, errors="coerce")).dropna()
    fitted = povdsl.fit("y ~ x | ols", df.assign(x=pd.to_numeric(df.x, errors="coerce")))
    reference = sm.OLS(clean.y, sm.add_constant(clean.x.astype(float))).fit()
    np.testing.assert_allclose(fitted.params.to_numpy(), reference.params.to_numpy(), rtol=1e-10)
    with pytest.raises(DataError, match="must be a pandas DataFrame, got ndarray"):
        povdsl.fit("y ~ x | ols", clean.to_numpy())


def test_a_key_table_with_a_repeated_region_and_period_is_a_located_error(tmp_path, capsys):
    """Was the only data error printed without file:line:col (and without a hint)."""
    units = pd.DataFrame({"unit": [1, 2, 3, 4], "year": 2000, "region": [1, 1, 2, 2], "y": [1.0, 2.0, 3.5, 3.0]})
    units.to_csv(tmp_path / "u.csv", index=False)
    pd.DataFrame({"region": [1, 2, 2], "year": 2000, "g": [0.5, 1.5, 1.5]}).to_csv(tmp_path / "r.csv", index=False)
    spec = tmp_path / "s.pov"
    spec.write_text('data u = "u.csv" panel(unit, year) region(region)\n\ndata r = "r.csv" key(region, year)\nmodel m: y ~ g | ols\n')
    (tmp_path / ".povdsl-root").write_text("")
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}:3:1: error: data set 'r' has more than one row for region=2, year=2000")
    assert "hint: a key(region, year) table holds one row per region and period" in err
