"""Data a new user brings (found by trying povdsl on public panels and hand-edited CSVs): each is one located error, never a traceback or a silent number."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import povdsl
from povdsl.errors import DataError
from povdsl.tools.cli import main


def _frame(n=60, seed=3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"unit": np.repeat(np.arange(n // 3), 3), "t": np.tile([2001, 2002, 2003], n // 3), "x": x, "y": 1.0 + 2.0 * x + rng.normal(size=n)})


def _spec(tmp_path, data_text: str, spec_text: str):
    (tmp_path / "d.csv").write_text(data_text, encoding="utf-8")
    spec = tmp_path / "s.pov"
    spec.write_text(spec_text, encoding="utf-8")
    return spec


def test_an_inf_cell_in_a_csv_is_an_error_naming_column_and_rows(tmp_path, capsys):
    """'inf' and '-inf' cells read as float infinities; the run failed deep in statsmodels ("SVD did not converge")."""
    df = _frame().astype({"x": object})
    df.loc[2, "x"] = "inf"
    df.loc[7, "x"] = "-inf"
    spec = _spec(tmp_path, df.to_csv(index=False), 'data d = "d.csv"\n\nmodel m: y ~ x | ols\n\ntable t = m\n')
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}:1:1: error: data set 'd': column 'x' holds 2 infinite values in rows 3, 8\n"), err
    assert "leave the cells empty" in err and "Traceback" not in err and "SVD" not in err
    df.loc[[2, 7], "x"] = ""  # left empty, as the hint says: the rows are dropped as missing, and the fit is statsmodels'
    (tmp_path / "d.csv").write_text(df.to_csv(index=False), encoding="utf-8")
    result = povdsl.run(spec).results["m"]
    clean = df.drop(index=[2, 7]).astype({"x": float})
    reference = sm.OLS(clean.y, sm.add_constant(clean.x)).fit()
    np.testing.assert_allclose(result.params.to_numpy(), reference.params.to_numpy(), rtol=1e-10)
    assert result.dropped == 2


def test_povdsl_fit_refuses_an_infinity_in_a_frame_instead_of_a_statsmodels_traceback():
    """Was statsmodels' MissingDataError ("exog contains inf or nans"), a traceback through povdsl.fit."""
    df = _frame()
    df.loc[4, "y"] = np.inf
    with pytest.raises(DataError, match=r"column 'y' holds 1 infinite value in row 5") as info:
        povdsl.fit("y ~ x | ols", df)
    assert "NaN" in str(info.value)


def test_a_date_column_as_a_regressor_is_refused_not_fitted_as_nanoseconds():
    """A datetime regressor was fitted as nanoseconds since 1970: a coefficient 0.0 and a wrong intercept and slope, silently."""
    df = _frame()
    df["when"] = pd.to_datetime(df["t"].astype(str))
    with pytest.raises(DataError, match=r"column 'when' holds dates \(datetime64") as info:
        povdsl.fit("y ~ x + when | ols", df)
    assert ".dt.year" in str(info.value)
    with pytest.raises(DataError, match="column 'when' holds dates"):
        povdsl.fit("y ~ x + when | ols", df.assign(when=df["when"] - df["when"].min()))  # a duration too


def test_a_date_column_as_panel_time_or_cluster_is_fine_and_equals_the_year():
    df = _frame()
    df["when"] = pd.to_datetime(df["t"].astype(str))
    by_date = povdsl.fit("y ~ x | fe(unit, when)", df, panel=("unit", "when"))
    by_year = povdsl.fit("y ~ x | fe(unit, t)", df, panel=("unit", "t"))
    np.testing.assert_allclose(by_date.params.to_numpy(), by_year.params.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(by_date.std_errors.to_numpy(), by_year.std_errors.to_numpy(), rtol=1e-12)
    clustered = povdsl.fit("y ~ x | ols", df, vcov="cluster(when)")
    reference = sm.OLS(df.y, sm.add_constant(df.x)).fit(cov_type="cluster", cov_kwds={"groups": df.t})
    np.testing.assert_allclose(clustered.std_errors.to_numpy(), reference.bse.to_numpy(), rtol=1e-10)


def test_a_header_only_file_is_one_error_at_its_declaration(tmp_path, capsys):
    """Was "text column 'x' becomes -1 dummies (0 levels, base level '')" per column and "no rows satisfy the where condition" with no where."""
    spec = _spec(tmp_path, "unit,t,x,y\n", 'data d = "d.csv" panel(unit, t)\n\nmodel m: y ~ x | ols\n\ntable t = m\n')
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"{spec}:1:1: error: data set 'd' has no rows\n"
        '1 | data d = "d.csv" panel(unit, t)\n'
        "    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
        "  hint: the models are fitted on its rows: is it the right file, or was the export cut off after the header?\n"
    ), err
    with pytest.raises(DataError, match="data set 'data' has no rows"):
        povdsl.fit("y ~ x | ols", _frame().iloc[:0])


@pytest.mark.parametrize(("sep", "name"), [(";", "semicolon"), ("\t", "tab")])
def test_a_semicolon_or_tab_separated_file_is_one_error_not_one_per_column(tmp_path, capsys, sep, name):
    """A European-Excel CSV gave five errors: E307 for each panel column and E110 for each variable."""
    spec = _spec(tmp_path, _frame().to_csv(index=False, sep=sep), 'data d = "d.csv" panel(unit, t)\n\nmodel m: y ~ x | ols\n')
    assert main(["check", str(spec)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}:1:10: error[E304]: d.csv is not comma-separated: its header is one column, "), err
    assert f"looks {name}-separated" in err and f"sep={sep!r}" in err
    assert err.count("error[") == 1 and err.endswith("1 error found\n")


def test_a_one_column_csv_is_still_read():
    from povdsl.data.files import _refuse_other_separator

    _refuse_other_separator("d.csv", ["income"])  # a one-column file without separators is a file, not a dialect


# ------------------------------------------------------------------ the bundled Zhejiang files, edited by hand

ZHEJIANG_MODEL = "model m3: log(income) ~ cluster + W(cluster, traveltime) + age + edu | fe(household)\n\ntable t = m3\n"


def _zhejiang(tmp_path, edit) -> Path:
    from povdsl.check.sources import bundled_root

    (tmp_path / ".povdsl-root").write_text("")
    source = bundled_root() / "zhejiang"
    frames = {name: pd.read_csv(source / f"{name}.csv") for name in ("households", "counties", "census", "traveltime")}
    edit(frames)
    for name, frame in frames.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    spec = tmp_path / "z.pov"
    spec.write_text(
        'data households = "households.csv" panel(household, year) region(county)\ndata counties = "counties.csv" key(county, year)\n'
        'data census = "census.csv"\nweights traveltime = inverse("traveltime.csv", origin, destination, minutes)\n'
        "let cluster = clusters(census, digits=4, lq=1.25, min_firms=10)\n" + ZHEJIANG_MODEL
    )
    return spec


def test_a_county_missing_from_the_region_data_is_named_not_an_empty_design(tmp_path, capsys):
    """One county dropped from counties.csv made W(cluster, traveltime) missing in 900 of 1,000 rows (a dense W reaches it from
    everywhere), and the run said only "the design is empty: ... check for variables that are missing in every row"."""

    def drop_county(frames):
        frames["counties"] = frames["counties"][frames["counties"].county != 331022]

    spec = _zhejiang(tmp_path, drop_county)
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert (
        f"{spec}:4:1: warning: weights 'traveltime': 1 region of the weight matrix has no row in the region data (331022); "
        "W() of a region variable is missing for every region linked to it\n"
    ) in err, err
    assert f"{spec}:6:1: error: model 'm3': no row has every variable of the model: each row lacks one of them ('W(cluster, traveltime)' in 900, 'cluster' in 100, 'log(income)' in 19 of 1,000 rows missing)" in err
    assert "hint: W(x) is missing wherever a region's row of the weight matrix reaches a region without a value of x" in err
    assert "design is empty" not in err and "Traceback" not in err


def test_households_in_a_county_the_region_data_lacks_are_said_and_the_rest_fit_as_without_them(tmp_path, capsys):
    def unknown_county(frames):
        frames["households"].loc[frames["households"].index[:3], "county"] = 999999

    spec = _zhejiang(tmp_path, unknown_county)
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert f"{spec}:1:1: warning: data set 'households': 3 rows have a county the region data lacks (999999); their region variables are missing and models drop them\n" in err, err
    edited = povdsl.run(spec).results["m3"]
    kept = pd.read_csv(tmp_path / "households.csv").iloc[3:]
    kept.to_csv(tmp_path / "households.csv", index=False)
    without = povdsl.run(spec).results["m3"]
    np.testing.assert_allclose(edited.params.to_numpy(), without.params.to_numpy(), rtol=1e-10)
    assert edited.nobs == without.nobs and edited.dropped == without.dropped + 3


def test_a_model_whose_rows_each_lack_a_variable_names_the_variables():
    df = _frame()
    df["z"] = np.where(np.arange(len(df)) % 2 == 0, np.nan, 1.0)
    df["w"] = np.where(np.arange(len(df)) % 2 == 1, np.nan, 1.0)
    with pytest.raises(povdsl.EstimationError, match=r"each row lacks one of them \('z' in 30, 'w' in 30 of 60 rows missing\)"):
        povdsl.fit("y ~ x + z + w | ols", df)
    with pytest.raises(povdsl.EstimationError, match=r"'z' is missing in every row"):
        povdsl.fit("y ~ x + z | ols", df.assign(z=np.nan))


def test_a_failed_fit_shows_its_declaration_and_a_caret_as_a_spec_error_does(tmp_path, capsys):
    """Data and fit errors were one line and a hint, with no source line or caret under the declaration."""
    df = _frame().assign(c=1.0)
    spec = _spec(tmp_path, df.to_csv(index=False), 'data d = "d.csv"\n\n# collinear\nmodel m: y ~ x + c | ols\n\ntable t = m\n')
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[:4] == [
        f"{spec}:4:1: error: model 'm': regressors: 'c' is collinear with 'Intercept'",
        "4 | model m: y ~ x + c | ols",
        "    ^^^^^^^^^^^^^^^^^^^^^^^^",
        "  hint: drop one of the collinear terms from the formula",
    ], lines


def test_a_bad_travel_time_names_integer_regions_and_its_row(tmp_path, capsys):
    """A 0 minutes between two counties was reported as "(330102.0, 330103.0) has 0.0": ids as floats, no row, no hint."""

    def zero(frames):
        frames["traveltime"].loc[1, "minutes"] = 0.0

    spec = _zhejiang(tmp_path, zero)
    table = pd.read_csv(tmp_path / "traveltime.csv")
    origin, destination = table.origin.iloc[1], table.destination.iloc[1]
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:4:1: error: weights 'traveltime': minutes must be positive between different regions; ({origin}, {destination}) has 0.0 in row 2\n" in err, err
    assert ".0," not in err.splitlines()[0] and "hint: inverse() weighs a pair by 1 / value" in err


def test_a_missing_stata_string_is_missing_not_a_level_named_empty(tmp_path):
    """Stata writes a missing string as "": read as text, it became its own dummy (C(sector)[T.]), silently."""
    rng = np.random.default_rng(8)
    n = 90
    df = pd.DataFrame({"x": rng.normal(size=n), "sector": rng.choice(["agri", "manu", "serv"], n)})
    df["y"] = 1.0 + df.x + (df.sector == "manu") + rng.normal(size=n)
    df.loc[[4, 17, 60], "sector"] = ""
    (tmp_path / ".povdsl-root").write_text("")
    df.to_stata(tmp_path / "d.dta", write_index=False)
    spec = tmp_path / "s.pov"
    spec.write_text('data d = "d.dta"\nmodel m: y ~ x + C(sector) | ols\n')
    result = povdsl.run(spec).results["m"]
    kept = df.drop(index=[4, 17, 60])
    reference = sm.OLS(kept.y, sm.add_constant(pd.get_dummies(kept[["x", "sector"]], drop_first=True, dtype=float))).fit()
    assert list(result.params.index) == ["Intercept", "x", "C(sector)[T.manu]", "C(sector)[T.serv]"]
    np.testing.assert_allclose(result.params.to_numpy(), reference.params.to_numpy(), rtol=1e-10)
    assert result.dropped == 3


def test_an_outcome_of_numbers_stored_as_text_says_so():
    df = _frame().astype({"y": str})
    with pytest.raises(povdsl.EstimationError, match="holds numbers stored as text") as info:
        povdsl.fit("y ~ x | ols", df)
    assert "destring" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("cells", "shown"),
    [
        (lambda x: f"{x * 1000:,.0f}", "thousands separators: the column became one dummy per value, with only a note"),
        (lambda x: f"{x:.3f}".replace(".", ","), "a decimal comma: 'holds text or categories'"),
    ],
)
def test_numbers_written_with_a_comma_are_one_error_not_dummies(tmp_path, capsys, cells, shown):
    df = _frame().assign(x=lambda d: d.x.abs() + 1)
    written = df.assign(x=df.x.map(cells))
    spec = _spec(tmp_path, written.to_csv(index=False), 'data d = "d.csv"\n\nmodel m: y ~ x | ols\n\ntable t = m\n')
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1, shown
    err = capsys.readouterr().err
    first = ", ".join(repr(v) for v in written.x.iloc[:5])
    assert err.startswith(f"{spec}:1:1: error: data set 'd': column 'x' holds numbers written with a comma ({first}), which are read as text\n"), err
    assert "decimal point and no thousands separator" in err and "dummies" not in err and not (tmp_path / "out" / "t.tex").exists()


def test_a_few_decimal_commas_are_not_told_to_be_na_markers(tmp_path, capsys):
    """Two cells '1,25' and '0,5' in a numeric column got the hint na="1,25", "0,5": they would have become missing."""
    df = _frame().astype({"y": object})
    df.loc[[3, 8], "y"] = ["1,25", "0,5"]
    spec = _spec(tmp_path, df.to_csv(index=False), 'data d = "d.csv"\n\nmodel m: y ~ x | ols\n')
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "column 'y' holds numbers written with a comma ('1,25', '0,5')" in err and "na=" not in err


def test_text_that_only_looks_like_numbers_in_part_is_still_stray_text_or_a_factor():
    from povdsl.data.columns import comma_numbers

    assert comma_numbers(pd.Series(["1,5", "n/a", "2"])) is None  # not all numbers: the stray-text rule decides
    assert comma_numbers(pd.Series(["Smith, John", "Doe, Jane"])) is None
    assert comma_numbers(pd.Series([1.5, 2.0])) is None
    assert comma_numbers(pd.Series(["1,234.5", "12", None])) == ("1,234.5",)
