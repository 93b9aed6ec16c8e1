"""`layout sweep c by w`: a product sweep as a grid, rows by one variable, columns by the other (issue 17).

Every cell is checked against the member it stands for (povdsl.run's own
fits), and those members against statsmodels fitted directly on the subset;
the option's misuses are located errors; fmt, diff and explain know it.
"""

from __future__ import annotations

import json

import pytest
import statsmodels.formula.api as smf

from povdsl.check.specfile import load_plan
from povdsl.errors import SpecError
from povdsl.pipeline import run
from povdsl.render.table_model import MINUS
from povdsl.tools.cli import main
from povdsl.tools.fmt import format_text

HEAD = """data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
"""
MODEL = """model g "Grid" for c in cumulative(age, edu, pop) for t in [2004, 2008]: log(income) ~ land + c | ols
  where year == t
"""
TABLE = """table grid "Land across controls and years" = g
  layout sweep c by t
  digits 6
  stat se
  label age + edu = "+ education"
"""


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    spec = tmp_path_factory.mktemp("grid") / "grid.pov"
    spec.write_text(HEAD + MODEL + TABLE)
    return run(spec, formats=("markdown", "json"))


def _number(text: str) -> float:
    return float(text.replace(MINUS, "-"))


def test_each_cell_is_its_members_coefficient_and_standard_error(output):
    table = output.models["grid"]
    assert [g.text for g in table.header[-1].groups] == ["2004", "2008"]
    rows = table.sections[0].rows
    assert [r.label for r in rows] == ["age", "", "+ education", "", "age + edu + pop", ""]
    sweep = output.sweeps["g"]
    members = {dict(item.values)["c"] + "|" + dict(item.values)["t"]: item.result for item in sweep.items}
    assert len(members) == 6
    for i, controls in enumerate(("age", "age + edu", "age + edu + pop")):
        coefs, ses = rows[2 * i], rows[2 * i + 1]
        for j, year in enumerate(("2004", "2008")):
            member = members[f"{controls}|{year}"]
            assert _number(coefs.cells[j].number) == pytest.approx(member.params[sweep.focus], abs=5e-7)
            assert _number(ses.cells[j].number) == pytest.approx(member.std_errors[sweep.focus], abs=5e-7)
    observations = table.footer[0].cells
    assert [c.text for c in observations] == [f"{members['age|2004'].nobs:,}", f"{members['age|2008'].nobs:,}"]


def test_a_cell_equals_statsmodels_fitted_on_its_subset(output, households):
    sample = households[households.year == 2008].dropna(subset=["log_income", "land", "age", "edu"])
    direct = smf.ols("log_income ~ land + age + edu", sample).fit()
    rows = output.models["grid"].sections[0].rows
    assert _number(rows[2].cells[1].number) == pytest.approx(direct.params["land"], abs=5e-7)  # + education, 2008
    assert _number(rows[3].cells[1].number) == pytest.approx(direct.bse["land"], abs=5e-7)
    data = json.loads(output.tables["grid"]["json"])  # the JSON carries the same cells
    assert data["table"]["sections"][0]["rows"][2]["cells"][1]["number"] == rows[2].cells[1].number


def test_significant_only_keeps_rows_with_a_significant_cell(tmp_path):
    spec = tmp_path / "s.pov"
    spec.write_text(HEAD + """model g for c in stepwise(age, land, gender, edu) for t in [2004, 2008]: log(income) ~ c | ols
  where year == t
table t = g
  layout sweep c by t
  significant only
""")
    out = run(spec, formats=("markdown",))
    sweep = out.sweeps["g"]
    significant = list(dict.fromkeys(dict(i.values)["c"] for i in sweep.items if i.result.pvalues[sweep.focus] < 0.10))
    labels = [r.label for r in out.models["t"].sections[0].rows if r.label]
    assert labels == significant and 0 < len(labels) < 4


@pytest.mark.parametrize(
    ("layout", "code", "column", "hint"),
    [
        ("layout sweep c by tt", "E512", 21, "did you mean 't'"),
        ("layout sweep cc by t", "E512", 16, "did you mean 'c'"),
        ("layout sweep c by c", "E512", 21, "other variable"),
        ("layout models c by t", "E194", 10, "layout sweep c by w"),
    ],
)
def test_a_variable_that_is_not_the_sweeps_is_a_located_error_with_a_hint(tmp_path, layout, code, column, hint):
    spec = tmp_path / "s.pov"
    spec.write_text(HEAD + MODEL + f"table t = g\n  {layout}\n")
    with pytest.raises(SpecError) as caught:
        load_plan(spec)
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.col) == (code, 5, column)
    assert hint in diagnostic.hint


def test_a_sweep_with_a_third_variable_is_refused_at_the_model(tmp_path):
    spec = tmp_path / "s.pov"
    spec.write_text(HEAD + """model g for c in [age, edu] for t in [2004, 2008] for y in [log(income), capital]: y ~ land + c | ols
  where year == t
table t = g
  layout sweep c by t
""")
    with pytest.raises(SpecError) as caught:
        load_plan(spec)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E513" and (diagnostic.span.line, diagnostic.span.col) == (4, 11)
    assert "also varies y" in diagnostic.message


def test_fmt_keeps_it_and_diff_and_explain_show_it(tmp_path, capsys):
    text = HEAD + "\n" + MODEL + "\n" + TABLE
    assert format_text(text) == text
    assert format_text(text.replace("layout sweep c by t", "layout   sweep c  by  t")) == text
    old, new = tmp_path / "old.pov", tmp_path / "new.pov"
    old.write_text(text.replace("layout sweep c by t", "layout sweep"))
    new.write_text(text)
    main(["diff", str(old), str(new)])
    out = capsys.readouterr().out
    assert "layout" in out and "sweep c by t" in out
    assert main(["explain", str(new), "g"]) == 0
    assert "table        grid: rows c, columns t, one fit per cell" in capsys.readouterr().out


def test_two_sweeps_sit_side_by_side_under_their_labels(tmp_path):
    spec = tmp_path / "s.pov"
    spec.write_text(HEAD + """model a "Land" for c in [age, edu] for t in [2004, 2008]: log(income) ~ land + c | ols
  where year == t
model b "Capital" for c in [age, edu] for t in [2004, 2008]: log(income) ~ capital + c | ols
  where year == t
table t = a, b
  layout sweep c by t
  digits 6
""")
    out = run(spec, formats=("markdown",))
    table = out.models["t"]
    assert [(g.text, g.first, g.span) for g in table.header[1].groups] == [("Land", 1, 2), ("Capital", 3, 2)]
    assert [g.text for g in table.header[2].groups] == ["2004", "2008", "2004", "2008"]
    capital = {(dict(i.values)["c"], dict(i.values)["t"]): i.result.params["capital"] for i in out.sweeps["b"].items}
    edu = table.sections[0].rows[2]
    assert edu.label == "edu"
    assert [_number(c.number) for c in edu.cells[2:]] == pytest.approx([capital[("edu", "2004")], capital[("edu", "2008")]], abs=5e-7)
