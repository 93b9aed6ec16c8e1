"""Mistakes a newcomer from Stata, R or pyfixest makes, found by writing specs against linearmodels' wage_panel:
each is one located error whose hint says what to write, and where-conditions that could select nothing silently are refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import povdsl
from povdsl.errors import EstimationError, SpecError
from povdsl.tools.cli import main


def _check(tmp_path, text: str):
    (tmp_path / ".povdsl-root").write_text("")
    pd.DataFrame({"nr": [1, 1, 2, 2], "year": [1980, 1981] * 2, "lwage": [1.0, 2.0, 1.5, 2.5], "exper": [1, 2, 3, 4], "union": [0, 1, 1, 0]}).to_csv(tmp_path / "wp.csv", index=False)
    spec = tmp_path / "s.pov"
    spec.write_text('data wp = "wp.csv" panel(nr, year)\n' + text)
    with pytest.raises(SpecError) as info:
        povdsl.load(spec)
    (d,) = info.value.diagnostics
    return d


@pytest.mark.parametrize(
    ("line", "code", "hint"),
    [
        ("model m: lwage ~ exper | ols\n  vcov hc1\n", "E180", "write `robust`: povdsl's heteroskedasticity-robust variance is HC1"),
        ("model m: lwage ~ exper | ols\n  vcov HC3\n", "E180", "HC0, HC2 and HC3 are not offered"),
        ("model m: lwage ~ exper | ols\n  vcov iid\n", "E180", "write `unadjusted`"),
        ("model m: lwage ~ exper | ols\n  vcov Robust\n", "E180", "did you mean 'robust'?"),
        ("model m: lwage ~ exper | OLS\n", "E200", "did you mean 'ols'?"),
        ("model m: lwage ~ exper | iv(exper ~ union)\n", "E013", "an IV model lists its instruments and endogenous regressors by name: `y ~ x + w | iv(iv=z, endog=x)`"),
        ("model m lwage ~ exper | ols\n", "E013", 'a model needs a colon after its name or label'),
    ],
)
def test_a_newcomers_spelling_gets_a_hint_saying_what_to_write(tmp_path, line, code, hint):
    d = _check(tmp_path, line)
    assert d.code == code and d.span is not None and d.span.line == (3 if code == "E180" else 2)
    assert d.hint is not None and hint in d.hint, d.hint


def test_iv_formula_hint_no_longer_asks_for_a_colon(tmp_path):
    """`iv(exper ~ union)` was told "a model needs a colon after its name or label", which it has."""
    d = _check(tmp_path, "model m: lwage ~ exper | iv(exper ~ union)\n")
    assert d.hint is not None and "colon" not in d.hint


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 40
    return pd.DataFrame({"year": np.repeat([1980, 1981], n // 2), "county": np.tile(["a", "b"], n // 2), "x": rng.normal(size=n), "y": rng.normal(size=n)})


@pytest.mark.parametrize(
    ("where", "message", "hint"),
    [
        ('year == "1980"', "'year == \"1980\"' compares the numbers of 'year' with the text \"1980\", which no number equals", "drop the quotes: year == 1980"),
        ('"1980" < year', "compares the numbers of 'year' with the text \"1980\"", "drop the quotes: 1980 < year"),
        ("county == 3", "'county == 3' compares the text column 'county' with the number 3, which no text equals", 'quote it: county == "3"'),
        ('year == "early"', "compares the numbers of 'year' with the text \"early\"", "compare it with a number"),
    ],
)
def test_a_where_comparing_numbers_with_text_is_an_error_not_an_empty_sample(where, message, hint):
    """`where year == "1980"` on a numeric year selected no row: "no rows satisfy the where condition", with no reason."""
    with pytest.raises(EstimationError) as info:
        povdsl.fit(f"y ~ x | ols where {where}", _frame())
    assert message in info.value.message and hint in (info.value.hint or "")


def test_text_compared_with_text_and_numbers_with_numbers_still_select():
    df = _frame()
    for where, rows in (('county == "a"', df.county == "a"), ("year == 1980", df.year == 1980)):
        result = povdsl.fit(f"y ~ x | ols where {where}", df)
        reference = smf.ols("y ~ x", df[rows]).fit()
        np.testing.assert_allclose(result.params.to_numpy(), reference.params.to_numpy(), rtol=1e-12)


def test_fit_on_a_cross_section_says_to_pass_panel():
    with pytest.raises(SpecError) as info:
        povdsl.fit("y ~ x | re(county)", _frame())
    (d,) = info.value.diagnostics
    assert d.code == "E171" and d.message == "re() needs a panel, and the data is a cross-section"
    assert d.hint == "pass the panel's unit and time columns: povdsl.fit(..., panel=(unit, time))"


def test_run_of_a_missing_spec_is_a_usage_error_as_check_is(tmp_path, capsys):
    """`povdsl run nope.pov` said error[E006] and exited 1; check, explain and fmt say 'no such file' and exit 2."""
    missing = tmp_path / "nope.pov"
    assert main(["run", str(missing), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"povdsl: no such file: {missing}\n"
    assert main(["check", str(missing)]) == 2


@pytest.mark.parametrize(("column", "written", "name"), [("expérience", "experience", "experience"), ("ln exper", "ln_exper", "ln_exper"), ("Union-member", "Union_member", "Union_member")])
def test_a_column_no_spec_can_name_is_said_with_a_name_to_rename_it_to(tmp_path, column, written, name):
    """The hint was "did you mean 'ln exper'?", a name the spec language cannot write."""
    (tmp_path / ".povdsl-root").write_text("")
    pd.DataFrame({"nr": [1, 2], "year": [1980, 1980], "lwage": [1.0, 2.0], column: [1.0, 3.0]}).to_csv(tmp_path / "d.csv", index=False)
    spec = tmp_path / "s.pov"
    spec.write_text(f'data d = "d.csv" panel(nr, year)\nmodel m: lwage ~ {written} | ols\n', encoding="utf-8")
    with pytest.raises(SpecError) as info:
        povdsl.load(spec)
    (d,) = info.value.diagnostics
    assert d.code == "E110" and d.hint == (
        f"the data has a column '{column}', which a spec cannot name (names are ASCII letters, digits and _): rename it in the data file, e.g. to '{name}'"
    )
