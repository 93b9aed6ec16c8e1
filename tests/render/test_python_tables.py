"""`povdsl.table` on Results from `povdsl.fit`, Jupyter displays and `Result.summary()` (issue 18.6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import povdsl
from povdsl.errors import PovdslError


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"h": np.repeat(range(40), 4), "t": np.tile(range(2001, 2005), 40)})
    frame["x"] = rng.normal(size=len(frame))
    frame["z"] = rng.normal(size=len(frame))
    frame["y"] = 0.7 * frame["x"] - 0.2 * frame["z"] + rng.normal(size=len(frame))
    return frame


@pytest.fixture(scope="module")
def fits(data):
    return [povdsl.fit("y ~ x | ols", data, panel=("h", "t")), povdsl.fit("y ~ x + z | ols", data, panel=("h", "t"))]


def test_numbers_are_statsmodels_numbers(data, fits):
    reference = smf.ols("y ~ x + z", data).fit()
    text = str(povdsl.table(fits, stat="se", format="csv", digits=4))
    row = next(line for line in text.splitlines() if line.startswith("z,"))
    assert row == f"z,,{reference.params['z']:.4f}"
    se_row = text.splitlines()[text.splitlines().index(row) + 1]
    assert se_row == f",,{reference.bse['z']:.4f}"


def test_same_table_as_a_spec_run(tmp_path, data, fits):
    """The Python table and the spec table of the same models and options are the same bytes."""
    data.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / ".povdsl-root").write_text("")
    spec = tmp_path / "s.pov"
    spec.write_text(
        'data d = "d.csv" panel(h, t)\nmodel m1 "(1)": y ~ x | ols\nmodel m2 "(2)": y ~ x + z | ols\n'
        'table t1 "Two models" = m1, m2\n  label x = "the x"\n  stat se\n  keep "?"\n  fit r2\n  digits 3\n  row "Controls" = "No", "Yes"\n',
        encoding="utf-8",
    )
    expected = povdsl.run(spec, formats=("markdown",)).tables["t1"]["markdown"]
    view = povdsl.table(fits, labels={"x": "the x"}, stat="se", keep=["?"], fit=["r2"], digits=3, rows={"Controls": ["No", "Yes"]}, title="Two models", format="markdown")
    assert str(view) == expected


def test_layout_options_give_the_same_table_as_a_spec_run(tmp_path, data, fits):
    """`stat se, p`, labelled fit rows, a group, `fit width` and `landscape` from Python, byte for byte as from a spec."""
    data.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / ".povdsl-root").write_text("")
    spec = tmp_path / "s.pov"
    spec.write_text(
        'data d = "d.csv" panel(h, t)\nmodel m1 "(1)": y ~ x | ols\nmodel m2 "(2)": y ~ x + z | ols\n'
        'table t1 "Two models" = m1, m2\n  stat se, p\n  fit r2 "R squared" digits 4\n  group "Both" = m1, m2\n  fit width\n  landscape\n',
        encoding="utf-8",
    )
    for fmt in ("latex", "markdown"):
        expected = povdsl.run(spec, formats=(fmt,)).tables["t1"][fmt]
        view = povdsl.table(fits, stat=("se", "p"), fit=[("r2", "R squared", 4)], groups={"Both": [1, 2]}, fit_width=True, landscape=True, title="Two models", format=fmt)
        assert str(view).replace("{tab:table}", "{tab:t1}") == expected  # a Python table is named "table"


def test_jupyter_displays(fits):
    view = povdsl.table(fits)
    assert view._repr_html_().startswith("<table") and "<td" in view._repr_html_()
    assert view._repr_markdown_().startswith("**Estimates**") and "| x " in view._repr_markdown_()
    assert "\\begin{table}" in view._repr_latex_() and str(view) == view._repr_latex_()
    result = fits[1]
    assert "<table" in result._repr_html_() and "(" in result._repr_markdown_() and "\\toprule" in result._repr_latex_()


def test_summary_reads_like_a_regression_summary(data, fits):
    reference = smf.ols("y ~ x + z", data).fit()
    text = fits[1].summary()
    assert "Observations: 160" in text and "Standard errors: unadjusted" in text
    z = next(line for line in text.splitlines() if line.startswith("z "))
    assert f"{abs(reference.params['z']):.4f}" in z and f"{reference.bse['z']:.4f}" in z and f"{abs(reference.tvalues['z']):.2f}" in z
    assert f"R²: {reference.rsquared:.4f}" in text


@pytest.mark.parametrize(
    "kwargs,message",
    [({"stat": "ci"}, "unknown statistic"), ({"stars": (0.01, 0.05)}, "decreasing"), ({"format": "rtf"}, "unknown table format"), ({"names": ["a"]}, "names has 1"),
     ({"stat": ("se", "se")}, "unknown statistic"), ({"groups": {"G": [1, 3]}}, "adjacent columns"), ({"fit": [("r2", "R2", 3, 4)]}, "a fit item"),
     # found trying the API as a new user: the first two were Python tracebacks, the others silently accepted
     ({"digits": -1}, "digits takes a whole number from 0 to 8"), ({"stars": "0.1"}, "stars are at most 5 probabilities"),
     ({"digits": 20}, "digits takes a whole number from 0 to 8"), ({"digits": 2.5}, "digits takes a whole number"),
     ({"fit": ["r2", "hanson"]}, "unknown fit statistic 'hanson'; did you mean 'hansen'"), ({"fit": [("r2", "R2", -1)]}, "the digits of fit statistic 'r2'"),
     ({"rows": {"Controls": "ab"}}, "each row takes a list of texts")],
)
def test_bad_arguments_are_povdsl_errors(fits, kwargs, message):
    with pytest.raises(PovdslError, match=message):
        povdsl.table(fits, **kwargs)


def test_a_glob_that_matches_nothing_is_an_error(fits):
    with pytest.raises(PovdslError, match="matches no coefficient"):
        povdsl.table(fits, keep=["W(*)"])


def test_panels_and_fixed_effect_rows_give_the_same_table_as_a_spec_run(tmp_path, data):
    """`panels=` and `fe_rows=True` from Python, byte for byte as `panel` and `row fe` in a spec (the Result records its effects)."""
    data.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / ".povdsl-root").write_text("")
    lines = {"m1": "y ~ x | ols", "m2": "y ~ x | fe(h)", "m3": "y ~ x + z | ols", "m4": "y ~ x + z | fe(h, t)"}
    spec = tmp_path / "s.pov"
    spec.write_text(
        'data d = "d.csv" panel(h, t)\n'
        + "".join(f'model {name} "({name[1]})": {line}\n' for name, line in lines.items())
        + 'table t1 "Stacked" = m1, m2, m3, m4\n  stat se\n  panel "A. x" = m1, m2\n  panel "B. x and z" = m3, m4\n  row fe\n  row "Sample" = "All", "All", "All", "All"\n',
        encoding="utf-8",
    )
    run = povdsl.run(spec, formats=("markdown",))
    fits = [povdsl.fit(line, data, panel=("h", "t")) for line in lines.values()]
    assert [r.absorbed for r in fits] == [(), ("h",), (), ("h", "t")] == [run.results[m].absorbed for m in lines]
    view = povdsl.table(
        fits, stat="se", panels={"A. x": [1, 2], "B. x and z": [3, 4]}, fe_rows=True, rows={"Sample": ["All"] * 4},
        names=["(1)", "(2)", "(3)", "(4)"], title="Stacked", format="markdown",
    )
    assert str(view) == run.tables["t1"]["markdown"]
    assert "H FE" in str(view)


@pytest.mark.parametrize(
    ("panels", "message"),
    [({"A": [1], "B": [1, 2]}, "in one panel"), ({"A": [1]}, "result 2 is in no panel"), ({"A": [1, 2, 3]}, "numbered 1 to 2")],
)
def test_panels_put_each_result_in_exactly_one_panel(fits, panels, message):
    with pytest.raises(PovdslError, match=message):
        povdsl.table(fits, panels=panels)


def test_one_result_needs_no_list(data, fits):
    """`povdsl.table(result)` was a TypeError traceback ('Result' object is not iterable)."""
    assert str(povdsl.table(fits[0], format="csv")) == str(povdsl.table([fits[0]], format="csv"))
    with pytest.raises(PovdslError, match="takes a list of Result objects"):
        povdsl.table(data)
