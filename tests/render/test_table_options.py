"""Issue 18's rows and statistics, checked against independent references.

`stat ci95` against statsmodels' and pyfixest's own intervals, `stat se, p`,
fit rows with labels and digits, fixed-effect rows from a spec's estimators,
the header without a repeated estimator label, and the checker's errors for
`group` and `panel`.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import povdsl
from povdsl import SpecError
from povdsl.check.plan import TableSpec
from povdsl.render.tables import TableContext, build_model_table


def _data(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n // 4), 4)
    time = np.tile(np.arange(4), n // 4)
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    y = 0.3 * x - 0.2 * z + rng.normal(size=unit.max() + 1)[unit] + rng.normal(size=n)
    return pd.DataFrame({"unit": unit, "time": time, "x": x, "z": z, "y": y, "b": (y > 0).astype(float)})


def _interval_cells(table, term_label: str) -> list[tuple[float, float]]:
    rows = [r for s in table.sections for r in s.rows]
    index = next(i for i, r in enumerate(rows) if r.label == term_label)
    bounds = []
    for cell in rows[index + 1].cells:
        low, high = cell.text.strip("[]").replace("\N{MINUS SIGN}", "-").split(", ")
        bounds.append((float(low), float(high)))
    return bounds


def test_ci95_uses_each_models_own_reference_distribution():
    data = _data()
    ols = povdsl.fit("y ~ x + z | ols", data, vcov="unadjusted")
    logit = povdsl.fit("b ~ x + z | logit", data)
    fe = povdsl.fit("y ~ x + z | fe(unit)", data, panel=("unit", "time"))
    spec = TableSpec(name="t", title="t", models=("m1", "m2", "m3"), stat="ci95", digits=4)
    columns = [replace(r, model=f"m{i + 1}", label=f"({i + 1})") for i, r in enumerate((ols, logit, fe))]
    table = build_model_table(spec, columns, TableContext())
    (ols_ci, logit_ci, fe_ci) = _interval_cells(table, "x")
    sm_ols = smf.ols("y ~ x + z", data).fit().conf_int(0.05).loc["x"]  # t(n-k)
    sm_logit = smf.logit("b ~ x + z", data).fit(disp=0).conf_int(0.05).loc["x"]  # normal
    assert ols_ci == pytest.approx(tuple(sm_ols), abs=6e-5)
    assert logit_ci == pytest.approx(tuple(sm_logit), abs=6e-5)
    pf = pytest.importorskip("pyfixest")
    fixest = pf.feols("y ~ x + z | unit", data, vcov={"CRV1": "unit"})  # t(G-1), as fixest
    assert fe_ci == pytest.approx(tuple(fixest.confint().loc["x"]), abs=6e-5)
    assert table.notes[0] == "Coefficients, with 95% confidence intervals in brackets."


def test_two_statistics_and_fit_rows_with_labels_and_digits():
    data = _data()
    ols = replace(povdsl.fit("y ~ x + z | ols", data, vcov="unadjusted"), model="m1", label="(1)")
    spec = TableSpec(
        name="t", title="t", models=("m1",), stat="se", second_stat="p",
        fit_stats=("r2", "loglik"), fit_labels=(("r2", "R squared"),), fit_digits=(("r2", 5),),
    )
    table = build_model_table(spec, [ols], TableContext())
    rows = {r.label: r for r in table.footer}
    assert rows["R squared"].cells[0].text == f"{ols.stats['r2']:.5f}"
    assert rows["Log likelihood"].cells[0].text.replace("\N{MINUS SIGN}", "-") == f"{ols.stats['loglik']:.2f}"
    body = [r for s in table.sections for r in s.rows]
    x = next(i for i, r in enumerate(body) if r.label == "x")
    assert body[x + 1].cells[0].text.startswith("(") and body[x + 2].cells[0].text == f"[{ols.pvalues['x']:.3f}]"
    assert body[x + 2].cells[0].square and not body[x + 1].cells[0].square


def test_a_model_label_equal_to_its_estimator_is_not_a_second_header_row():
    data = _data()
    ols = replace(povdsl.fit("y ~ x | ols", data), model="m1", label="OLS", estimator="ols")
    other = replace(ols, model="m2", label="Model 2")
    spec = TableSpec(name="t", title="t", models=("m1",))
    context = TableContext(estimator_labels={"ols": "OLS"})
    alone = build_model_table(spec, [ols], context)
    assert [[g.text for g in row.groups] for row in alone.header] == [["y"], ["OLS"]]
    both = build_model_table(replace(spec, models=("m1", "m2")), [ols, other], context)
    assert [g.text for g in both.header[-1].groups] == ["", "Model 2"]


SPEC = """\
data households = bundled("zhejiang/households.csv") panel(household, year) region(county)

model m1 "Pooled": log(income) ~ age + edu | ols
model m2 "Within": log(income) ~ age + edu | fe(household)
model m3 "Two-way": log(income) ~ age + edu | fe(household, year)
model m4 "IV": log(income) ~ age + edu | iv(iv=gender, endog=age, fe=household)

table t1 "Fixed effects" = m1, m2, m3, m4
  label household = "Household fixed effects"
  row "Controls" = "No", "No", "No", "No"
  row fe
  group "Within" = m2, m3
"""


def test_fixed_effect_rows_come_from_each_models_estimator(tmp_path):
    (tmp_path / "t.pov").write_text(SPEC, encoding="utf-8")
    out = povdsl.run(tmp_path / "t.pov", tmp_path / "out", formats=("csv",))
    table = out.models["t1"]
    rows = {r.label: [c.text for c in r.cells] for r in table.footer}
    assert rows["Household fixed effects"] == ["No", "Yes", "Yes", "Yes"]
    assert rows["Year FE"] == ["No", "No", "Yes", "No"]
    labels = [r.label for r in table.footer]
    assert labels.index("Controls") < labels.index("Household fixed effects")  # placed where `row fe` stands
    assert [g.text for g in table.header[0].groups] == ["", "Within", ""]
    assert (table.header[0].groups[1].first, table.header[0].groups[1].span) == (2, 2)


@pytest.mark.parametrize(
    ("option", "message", "hint"),
    [
        ('group "G" = m1, m9', "group names model 'm9', which is not in table 't1'", "m1"),
        ('group "G" = m1, m3', "a group spans adjacent models of the table", "m1, m2, m3"),
        ('panel "A" = m1, m2\n  panel "B" = m2, m3', "model 'm2' is already in panel \"A\"", "panels do not overlap"),
        ('panel "A" = m1, m2', "model 'm3' is in no panel", "put each of its models in one"),
        ("stat se, sd", "unknown statistic 'sd'", "se"),
        ("fit width scal", "unknown `fit width scal`", "scale"),
    ],
)
def test_misused_layout_options_are_located_errors(tmp_path, option, message, hint):
    spec = SPEC.split("table t1")[0] + "table t1 = m1, m2, m3\n  " + option + "\n"
    path = tmp_path / "bad.pov"
    path.write_text(textwrap.dedent(spec), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        povdsl.run(path, tmp_path / "out")
    diagnostics = caught.value.diagnostics
    assert len(diagnostics) == 1 and message in diagnostics[0].message
    assert diagnostics[0].span is not None and diagnostics[0].span.line >= 8
    assert hint in (diagnostics[0].hint or "")


SWEEP = """\
data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
data counties = bundled("zhejiang/counties.csv") key(county, year)
data census = bundled("zhejiang/census.csv")
model s1 for industry in industries(census, digits=3): log(income) ~ clusters(census, digits=3, industry=industry) | fe(household)
table t1 = s1
  layout sweep
"""


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ('group "G" = s1', "a sweep table has no model groups"),
        ("row fe", "a sweep table has no fixed-effect rows"),
        ('panel "A" = s1', "a sweep table has none"),
        ("stat ci95", "a sweep table shows one statistic"),
        ("fit width scale", "cannot be scaled"),
    ],
)
def test_layouts_a_sweep_table_cannot_show_are_errors(tmp_path, option, message):
    path = tmp_path / "s.pov"
    path.write_text(SWEEP + "  " + option + "\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        povdsl.run(path, tmp_path / "out")
    diagnostics = caught.value.diagnostics
    assert len(diagnostics) == 1 and message in diagnostics[0].message and diagnostics[0].span.line == 7


@pytest.mark.parametrize("fmt", ["markdown", "html", "latex"])
def test_a_row_of_own_texts_in_a_panel_table_gives_each_panel_its_models_texts(fmt):
    """`row "Controls" = ...` holds one text per model of the table; a panel shows some of them (was a template traceback)."""
    data = _data()
    fits = [povdsl.fit(f"y ~ {rhs} | ols", data) for rhs in ("x", "x + z", "z", "x")]
    columns = [replace(r, model=f"m{i + 1}") for i, r in enumerate(fits)]
    spec = TableSpec(
        name="t", title="t", models=("m1", "m2", "m3", "m4"),
        panels=(("A", ("m1", "m2")), ("B", ("m3", "m4"))),
        rows=(("Controls", ("a1", "a2", "b1", "b2")),),
    )
    table = build_model_table(spec, columns, TableContext())
    controls = [tuple(c.text for c in r.cells) for s in table.sections for r in s.rows if r.label == "Controls"]
    assert controls == [("a1", "a2"), ("b1", "b2")]
    from povdsl.render.formats import RenderOptions, output_format

    text = output_format(fmt).render(table, RenderOptions())
    assert "a2" in text and "b1" in text
