"""Any data shape, one root error (issue 13.4): cross-sections, file formats, a BOM, one diagnostic per missing file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from povdsl.errors import PovdslError
from povdsl.pipeline import run
from povdsl.tools.cli import main


def _frame(n=120, seed=4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    return pd.DataFrame({"x": x, "z": z, "y": 0.5 + 1.5 * x - z + rng.normal(size=n), "b": (x + rng.normal(size=n) > 0).astype(float)})


def _spec(tmp_path, source: str, models: str) -> object:
    spec = tmp_path / "s.pov"
    spec.write_text(f'data d = "{source}"\n\n{models}\n', encoding="utf-8")
    return spec


@pytest.mark.parametrize("estimator", ["ols", "lpm", "logit", "probit"])
def test_a_cross_section_serves_the_cross_section_estimators(tmp_path, estimator):
    df = _frame()
    df.to_csv(tmp_path / "d.csv", index=False)
    outcome = "y" if estimator == "ols" else "b"
    result = run(_spec(tmp_path, "d.csv", f"model m: {outcome} ~ x + z | {estimator}")).results["m"]
    exog = sm.add_constant(df[["x", "z"]])
    backend = {"ols": sm.OLS, "lpm": sm.OLS, "logit": sm.Logit, "probit": sm.Probit}[estimator]
    reference = backend(df[outcome], exog).fit(disp=0) if estimator in ("logit", "probit") else backend(df[outcome], exog).fit()
    np.testing.assert_allclose(result.params[["Intercept", "x", "z"]].to_numpy(), reference.params.to_numpy(), rtol=1e-6)


def test_a_cross_section_serves_iv(tmp_path):
    from linearmodels.iv import IV2SLS

    df = _frame()
    df["w"] = df["x"] + 0.5 * df["z"]
    df.to_csv(tmp_path / "d.csv", index=False)
    result = run(_spec(tmp_path, "d.csv", "model m: y ~ w | iv(iv=z, endog=w)")).results["m"]
    reference = IV2SLS(df["y"], np.ones((len(df), 1)), df[["w"]], df[["z"]]).fit(cov_type="unadjusted")
    np.testing.assert_allclose(result.params["w"], reference.params["w"], rtol=1e-8)


@pytest.mark.parametrize("estimator, where", [("re(u)", 32), ("iv(iv=z, endog=x, fe=u)", 32)])
def test_panel_estimators_on_a_cross_section_get_one_located_error(tmp_path, capsys, estimator, where):
    df = _frame()
    df["u"] = np.arange(len(df))
    df.to_csv(tmp_path / "d.csv", index=False)
    spec = _spec(tmp_path, "d.csv", f"model m1: y ~ x + z | {estimator}")
    assert main(["check", str(spec)]) == 1
    err = capsys.readouterr().err
    assert err.count("error[") == 1, err
    assert f"{spec}:3:{where - 9}: error[E171]: {estimator.split('(')[0]}() needs a panel, and data set 'd' is a cross-section" in err


def test_fe_on_a_cross_section_absorbs_the_named_group_as_pyfixest_does(tmp_path, capsys):
    """fe names every column it absorbs, so a cross-section needs no panel(...): fixest's `y ~ x | g`, clustered by g."""
    import pyfixest as pf

    df = _frame()
    df["g"] = np.arange(len(df)) % 7
    df.to_csv(tmp_path / "d.csv", index=False)
    result = run(_spec(tmp_path, "d.csv", "model m: y ~ x + z | fe(g)")).results["m"]
    reference = pf.feols("y ~ x + z | g", data=df, vcov={"CRV1": "g"})
    np.testing.assert_allclose(result.params[["x", "z"]], reference.coef()[["x", "z"]], rtol=1e-10)
    np.testing.assert_allclose(result.std_errors[["x", "z"]], reference.se()[["x", "z"]], rtol=1e-8)
    assert result.vcov == "clustered by g" and result.absorbed == ("g",)
    assert main(["explain", str(tmp_path / "s.pov")]) == 0
    said = capsys.readouterr().out
    assert "absorbed     g\n" in said and "clustered by g, the first absorbed column (default of fe)" in said and "panel " not in said
    df["u"] = np.arange(len(df))  # a column with one row per value absorbs everything: said, with the way out
    df.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(PovdslError, match="appears in one row only") as info:
        run(_spec(tmp_path, "d.csv", "model m: y ~ x + z | fe(u)"))
    assert "a group such as a county" in str(info.value)


def test_a_missing_data_file_is_one_diagnostic_not_one_per_variable(tmp_path, capsys):
    spec = _spec(tmp_path, "nowhere.csv", "model m: y ~ x + z + age + edu | ols\n  vcov cluster(village)")
    assert main(["check", str(spec)]) == 1
    err = capsys.readouterr().err
    assert err.count("error[") == 1 and f"{spec}:1:10: error[E303]: data file not found" in err
    assert "unknown variable" not in err


def test_a_byte_order_mark_is_stripped(tmp_path):
    df = _frame()
    (tmp_path / "d.csv").write_bytes(b"\xef\xbb\xbf" + df.to_csv(index=False).encode("utf-8"))
    result = run(_spec(tmp_path, "d.csv", "model m: y ~ x + z | ols")).results["m"]
    assert result.nobs == len(df)


def _write_format(df: pd.DataFrame, path) -> None:
    suffix = path.suffix
    if suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif suffix == ".dta":
        df.to_stata(path, write_index=False)
    elif suffix == ".xlsx":
        df.to_excel(path, index=False)
    else:
        df.to_csv(path, index=False)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".dta", ".xlsx"])
def test_every_format_gives_the_statsmodels_estimates(tmp_path, suffix):
    df = _frame()
    _write_format(df, tmp_path / f"d{suffix}")
    result = run(_spec(tmp_path, f"d{suffix}", "model m: y ~ x + z | ols")).results["m"]
    reference = sm.OLS(df["y"], sm.add_constant(df[["x", "z"]])).fit()
    np.testing.assert_allclose(result.params[["Intercept", "x", "z"]].to_numpy(), reference.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(result.std_errors[["Intercept", "x", "z"]].to_numpy(), reference.bse.to_numpy(), rtol=1e-8)


@pytest.mark.parametrize("suffix", [".parquet", ".dta", ".xlsx"])
def test_a_corrupt_binary_file_is_a_located_error(tmp_path, capsys, suffix):
    (tmp_path / f"d{suffix}").write_bytes(b"not really " + suffix.encode() * 50)
    spec = _spec(tmp_path, f"d{suffix}", "model m: y ~ x | ols")
    assert main(["check", str(spec)]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:1:10: error[E304]: " in err and "Traceback" not in err and err.count("error[") == 1


def test_an_empty_csv_is_a_located_error(tmp_path, capsys):
    (tmp_path / "d.csv").write_bytes(b"")
    spec = _spec(tmp_path, "d.csv", "model m: y ~ x | ols")
    assert main(["check", str(spec)]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:1:10: error[E304]: d.csv is empty or its first line is blank" in err and err.count("error[") == 1


def test_a_header_field_over_the_csv_limit_is_a_located_error(tmp_path, capsys):
    (tmp_path / "d.csv").write_text("y," + "x" * 140_000 + "\n1,2\n", encoding="utf-8")
    spec = _spec(tmp_path, "d.csv", "model m: y ~ x | ols")
    assert main(["check", str(spec)]) == 1
    err = capsys.readouterr().err
    assert f"{spec}:1:10: error[E304]: cannot read the header line of d.csv: field larger than field limit (131072)" in err
    assert "Traceback" not in err


def _census(tmp_path, codes) -> None:
    rows = [{"county": c, "year": 2004, "industry": code, "firms": 20, "employment": 100 + 10 * i} for i, code in enumerate(codes) for c in (1, 2)]
    pd.DataFrame(rows).to_csv(tmp_path / "census.csv", index=False)
    pd.DataFrame({"h": range(6), "year": 2004, "county": [1, 2] * 3, "y": np.arange(6.0)}).to_csv(tmp_path / "h.csv", index=False)
    pd.DataFrame({"county": [1, 2], "year": 2004, "pop": [3.0, 4.0]}).to_csv(tmp_path / "c.csv", index=False)


def test_census_codes_shorter_than_digits_are_a_located_error(tmp_path, capsys):
    _census(tmp_path, ["1711", "17"])
    spec = tmp_path / "s.pov"
    spec.write_text(
        'data h = "h.csv" panel(h, year) region(county)\ndata c = "c.csv" key(county, year)\ndata census = "census.csv"\n'
        "let cl = clusters(census, digits=4)\nmodel m: y ~ cl | ols\n",
        encoding="utf-8",
    )
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}:4:1: error: let 'cl': industry code '17' has fewer than 4 characters") and "Traceback" not in err


def test_clusters_lq_zero_is_refused_by_the_checker(tmp_path, capsys):
    _census(tmp_path, ["1711"])
    spec = tmp_path / "s.pov"
    spec.write_text(
        'data h = "h.csv" panel(h, year) region(county)\ndata c = "c.csv" key(county, year)\ndata census = "census.csv"\n'
        "let cl = clusters(census, lq=0)\nmodel m: y ~ cl | ols\n",
        encoding="utf-8",
    )
    assert main(["check", str(spec)]) == 1
    assert f"{spec}:4:30: error[E134]: lq takes a positive number" in capsys.readouterr().err


def test_a_cross_section_serves_gmm(tmp_path):
    from linearmodels.iv import IV2SLS

    df = _frame()
    df["w"] = df["x"] + 0.5 * df["z"]
    df.to_csv(tmp_path / "d.csv", index=False)
    result = run(_spec(tmp_path, "d.csv", "model m: y ~ w | gmm(iv=z, endog=w)")).results["m"]
    reference = IV2SLS(df["y"], np.ones((len(df), 1)), df[["w"]], df[["z"]]).fit(cov_type="unadjusted")  # just identified: GMM = IV
    np.testing.assert_allclose(result.params["w"], reference.params["w"], rtol=1e-8)


def test_dynamic_gmm_on_a_cross_section_gets_one_located_error(tmp_path, capsys):
    df = _frame()
    df.to_csv(tmp_path / "d.csv", index=False)
    spec = _spec(tmp_path, "d.csv", "model m: y ~ L(y, 1) + x | diffgmm(gmm(y, 2:4))")
    assert main(["check", str(spec)]) == 1
    err = capsys.readouterr().err
    assert err.count("error[") == 1 and f"{spec}:3:28: error[E171]: diffgmm() needs a panel, and data set 'd' is a cross-section" in err
