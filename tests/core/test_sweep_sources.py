"""Every kind of sweep source against an independent reference (docs/sweeps.md).

stepwise/cumulative against pyfixest's sw()/csw(); lists of outcomes and of
`where` values, and split(), against statsmodels on subsets made by hand; a
set of weights against the same models written out by hand; products in
their documented order; the fit limit before and after the data is read.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import statsmodels.api as sm

from povdsl.check.specfile import load_plan
from povdsl.datasets import bundled_path
from povdsl.errors import DataError, SpecError
from povdsl.estimate.sweep_sources import fits_of
from povdsl.pipeline import run
from povdsl.tools.cli import main

HEAD = """data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
data counties = bundled("zhejiang/counties.csv") key(county, year)
weights traveltime = inverse(bundled("zhejiang/traveltime.csv"), origin, destination, minutes)
weights nearest5 = inverse(bundled("zhejiang/traveltime.csv"), origin, destination, minutes, k=5)
weights spatial = [traveltime, nearest5]
"""

SPEC = (
    HEAD
    + """
model cum for c in cumulative(age, edu, pop): log(income) ~ land + c | ols
  where year == 2004
model step for c in stepwise(age, edu): log(income) ~ land + c | ols
  where year == 2004
model outcomes for y in [log(income), capital] for t in [2004, 2008]: y ~ land + age | ols
  where year == t
model by_gender for g in split(gender): log(income) ~ land + age | ols
  where year == 2008
model spatial_sweep for w in spatial: log(income) ~ land + W(gdp, w) | ols
  where year == 2004
model by_hand_tt: log(income) ~ land + W(gdp, traveltime) | ols
  where year == 2004
model by_hand_near: log(income) ~ land + W(gdp, nearest5) | ols
  where year == 2004
table robust "Robustness" = cum, step
  layout sweep
  stat se
  label age + edu = "age and education"
table plain "By hand" = by_hand_tt, by_hand_near
"""
)


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweeps")
    spec = folder / "sweeps.pov"
    spec.write_text(SPEC)
    return run(spec, formats=("markdown",))


def _focus(output, name):
    sweep = output.sweeps[name]
    return {item.values: (item.result.params[sweep.focus], item.result.std_errors[sweep.focus], item.result.nobs) for item in sweep.items}


def test_cumulative_equals_pyfixest_csw(output, households):
    pf = pytest.importorskip("pyfixest")
    data = households[households.year == 2004]
    multi = pf.feols("log_income ~ land + csw(age, edu, pop)", data=data)
    reference = [(m.coef()["land"], m.se()["land"]) for m in multi.all_fitted_models.values()]
    got = _focus(output, "cum")
    assert list(got) == [(("c", "age"),), (("c", "age + edu"),), (("c", "age + edu + pop"),)]
    for (coef, se, _), (ref_coef, ref_se) in zip(got.values(), reference, strict=True):
        assert coef == pytest.approx(ref_coef, rel=1e-8)
        assert se == pytest.approx(ref_se, rel=1e-8)


def test_stepwise_equals_pyfixest_sw(output, households):
    pf = pytest.importorskip("pyfixest")
    multi = pf.feols("log_income ~ land + sw(age, edu)", data=households[households.year == 2004])
    reference = [(m.coef()["land"], m.se()["land"]) for m in multi.all_fitted_models.values()]
    got = _focus(output, "step")
    assert list(got) == [(("c", "age"),), (("c", "edu"),)]
    for (coef, se, _), (ref_coef, ref_se) in zip(got.values(), reference, strict=True):
        assert coef == pytest.approx(ref_coef, rel=1e-8) and se == pytest.approx(ref_se, rel=1e-8)


def test_product_of_outcomes_and_years_equals_statsmodels_on_subsets(output, households):
    got = _focus(output, "outcomes")
    order = [(("y", y), ("t", t)) for y in ("log(income)", "capital") for t in ("2004", "2008")]
    assert list(got) == order  # the first clause varies slowest
    for (y, t) in order:
        column = "log_income" if y[1] == "log(income)" else "capital"
        sample = households[households.year == int(t[1])].dropna(subset=[column, "land", "age"])
        direct = sm.OLS(sample[column], sm.add_constant(sample[["land", "age"]])).fit()
        coef, se, nobs = got[(y, t)]
        assert coef == pytest.approx(direct.params["land"], rel=1e-8)
        assert se == pytest.approx(direct.bse["land"], rel=1e-8)
        assert nobs == int(direct.nobs)


def test_split_equals_statsmodels_on_each_subset(output, households):
    got = _focus(output, "by_gender")
    assert list(got) == [(("g", "0"),), (("g", "1"),)]
    for value in (0, 1):
        sample = households[(households.year == 2008) & (households.gender == value)].dropna(subset=["log_income", "land", "age"])
        direct = sm.OLS(sample.log_income, sm.add_constant(sample[["land", "age"]])).fit()
        coef, se, nobs = got[(("g", str(value)),)]
        assert coef == pytest.approx(direct.params["land"], rel=1e-8)
        assert se == pytest.approx(direct.bse["land"], rel=1e-8)
        assert nobs == int(direct.nobs)


def test_weights_set_equals_the_models_written_by_hand(output):
    sweep = output.sweeps["spatial_sweep"]
    by_values = {item.values: item.result for item in sweep.items}
    for name, hand in (("traveltime", "by_hand_tt"), ("nearest5", "by_hand_near")):
        got, ref = by_values[(("w", name),)], output.results[hand]
        lag = f"W(gdp, {name})"
        assert got.params[sweep.focus] == ref.params["land"]
        assert got.params[lag] == ref.params[lag]
        assert got.std_errors[lag] == ref.std_errors[lag]
    assert by_values[(("w", "traveltime"),)].params["land"] != by_values[(("w", "nearest5"),)].params["land"]


def test_sweep_table_has_a_row_per_value_and_a_column_per_model(output):
    text = output.tables["robust"]["markdown"]
    rows = [line.split("|")[1].strip() for line in text.splitlines() if line.startswith("|")]
    assert rows[3:] == ["age", "", "age and education", "", "age + edu + pop", "", "edu", "", "Observations"]
    assert rows[2] == "" and text.splitlines()[4].split("|")[2:4] == [" cum         ", " step        "]


def test_significant_only_keeps_rows_significant_in_some_column(tmp_path):
    spec = tmp_path / "s.pov"
    spec.write_text(
        HEAD
        + """model m for c in stepwise(age, land, gender, edu): log(income) ~ c | ols
  where year == 2004
table t = m
  layout sweep
  significant only
"""
    )
    out = run(spec, formats=("markdown",))
    sweep = out.sweeps["m"]
    significant = [item.values[0][1] for item in sweep.items if item.result.pvalues[sweep.focus] < 0.10]
    rows = [line.split("|")[1].strip() for line in out.tables["t"]["markdown"].splitlines() if line.startswith("|")]
    shown = [r for r in rows[3:] if r and r != "Observations"]
    assert shown == significant and 0 < len(shown) < 4


def test_check_counts_fits_and_explain_lists_members(tmp_path, capsys):
    spec = tmp_path / "s.pov"
    spec.write_text(SPEC)
    assert main(["check", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "sweep cum: 3 fits" in out and "sweep outcomes: 4 fits" in out
    assert "sweep by_gender: one fit per value of split(gender)" in out
    assert main(["explain", str(spec), "outcomes"]) == 0
    out = capsys.readouterr().out
    assert "outcomes[y=capital, t=2008]: capital ~ 1 + land + age where year == 2008" in out


def test_the_fit_limit_refuses_before_expanding(tmp_path, capsys):
    spec = tmp_path / "s.pov"
    spec.write_text(SPEC)
    with pytest.raises(SpecError) as caught:
        load_plan(spec, max_fits=10)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E507" and diagnostic.span.line == 15  # the declaration whose fits pass 10 (3 + 2 + 4 + 1 + 2)
    assert main(["check", "--max-fits", "10", str(spec)]) == 1
    assert main(["check", "--max-fits", "20", str(spec)]) == 0
    capsys.readouterr()


def test_split_and_industries_are_bounded_once_the_data_is_read(tmp_path):
    spec = tmp_path / "s.pov"
    spec.write_text(HEAD + "model m for g in split(household): log(income) ~ land | ols\n  where year == 2004\n")
    counties = pd.read_csv(bundled_path("zhejiang/households.csv")).household.nunique()
    with pytest.raises(DataError, match="more than 10 fits"):
        run(spec, max_fits=10)
    plan = load_plan(spec)
    from povdsl.data.frames import load

    assert len(fits_of(plan.model("m"), load(plan))) == counties > 10


@pytest.mark.parametrize(
    ("body", "code", "column"),
    [
        ("model m for w in [traveltime, age]: log(income) ~ land + W(gdp, w) | ols", "E150", 31),
        ("model m for w in [traveltime]: log(income) ~ land | ols", "E502", 13),
        ("model m for w in spatail: log(income) ~ W(gdp, w) | ols", "E505", 18),
        ("model m for y in [log(income), land + age]: y ~ capital | ols", "E167", 32),
        ("model m for c in [age, age]: log(income) ~ c | ols", "E504", 24),
        ("model m for g in split(gender): log(income) ~ g | ols", "E510", 13),
        ("model m for c in [age] for c in [edu]: log(income) ~ c | ols", "E503", 28),
        ("model m for c in sw(age): log(income) ~ c | ols", "E202", 18),
        ("model m for c in log(age): log(income) ~ c | ols", "E501", 18),  # a known function that is no source (E173 is no longer raised)
        ("model m for c in stepwise(age) for i in log(edu): log(income) ~ c + i | ols", "E501", 41),
    ],
)
def test_bad_substitutions_are_one_located_error(tmp_path, body, code, column):
    spec = tmp_path / "s.pov"
    spec.write_text(HEAD + body + "\n")
    with pytest.raises(SpecError) as caught:
        load_plan(spec)
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.col) == (code, 6, column)
    assert diagnostic.hint or code in ("E167",)


def test_same_results_whatever_the_clause_spelling(tmp_path):
    """A literal list of control sets is the stepwise() of the same sets (one registry, one expansion)."""
    spec = tmp_path / "s.pov"
    spec.write_text(
        HEAD
        + """model a for c in [age, age + edu]: log(income) ~ land + c | ols
  where year == 2004
model b for c in cumulative(age, edu): log(income) ~ land + c | ols
  where year == 2004
"""
    )
    out = run(spec)
    left = [(i.values, i.result.params.to_dict()) for i in out.sweeps["a"].items]
    right = [(i.values, i.result.params.to_dict()) for i in out.sweeps["b"].items]
    assert left == right


def test_paper_sweeps_are_unchanged_members(tmp_path):
    """Industries-only sweeps keep their names and one member, so Tables 5-6 keep their layout."""
    plan = load_plan(Path(__file__).resolve().parents[2] / "spec" / "zhejiang.pov")
    model = plan.model("inc04_3")
    assert [a.kind for a in model.axes] == ["industries"] and len(model.members) == 1 and model.sweep_var == "industry"


def test_the_paper_multiverse_contains_model_3(zhejiang_output):
    """Table 7's member with Model 3's controls and matrix is Model 3 (Table 1), number for number."""
    sweep = zhejiang_output.sweeps["robust3"]
    assert len(sweep.items) == 6 and not sweep.skipped
    member = next(i for i in sweep.items if i.values == (("c", "age + edu + gender + pop + land + capital"), ("w", "traveltime")))
    m3 = zhejiang_output.results["m3"]
    for field in ("params", "std_errors"):
        pd.testing.assert_series_equal(getattr(member.result, field), getattr(m3, field), check_exact=False, rtol=1e-12)
    other = next(i for i in sweep.items if i.values[1] == ("w", "nearest5") and i.values[0] == member.values[0])
    assert "W(cluster, nearest5)" in other.result.params.index


def test_a_product_with_industries_equals_the_industries_sweep_alone(tmp_path, zhejiang_output):
    """`for y in [...] for industry in industries(...)`: each outcome's industries are the paper's sweep, number for number."""
    paper = (Path(__file__).resolve().parents[2] / "spec" / "zhejiang.pov").read_text()
    spec = tmp_path / "s.pov"
    spec.write_text(
        paper
        + """
model both for y in [log(income), poor04] for industry in industries(census, digits=3, year=2004, names=industry_names): y ~ clusters(census, digits=3, industry=industry) + controls | ols
  where year == 2004
"""
    )
    plan = load_plan(spec)
    from povdsl.data.frames import load

    fits = fits_of(plan.model("both"), load(plan))
    assert [f.values[0] for f in fits[:1]] == [("y", "log(income)")] and fits[-1].values[0] == ("y", "poor04")
    out = run(spec)
    reference = zhejiang_output.sweeps["inc04_3"]
    mine = [i for i in out.sweeps["both"].items if i.values[0] == ("y", "log(income)")]
    assert [i.code for i in mine] == [i.code for i in reference.items]
    for a, b in zip(mine, reference.items):
        assert a.name == b.name
        pd.testing.assert_series_equal(a.result.params, b.result.params, check_exact=False, rtol=1e-12)


def test_a_swept_first_term_is_named_per_row_not_as_the_first_members(tmp_path, households):
    """`for v in [age, edu]: y ~ v + land`: each row is v's own coefficient, and the note names both terms."""
    spec = tmp_path / "s.pov"
    spec.write_text(
        HEAD
        + """model m for v in [age, edu]: log(income) ~ v + land | ols
  where year == 2004
table t = m
  layout sweep
"""
    )
    out = run(spec, formats=("markdown",))
    data = households[households.year == 2004]
    for item, term in zip(out.sweeps["m"].items, ["age", "edu"], strict=True):
        used = data[["log_income", term, "land"]].dropna()
        reference = sm.OLS(used.log_income, sm.add_constant(used[[term, "land"]])).fit()
        assert item.result.params[out.sweeps["m"].focus] == pytest.approx(reference.params[term], rel=1e-10)
        assert item.term == ("" if term == "age" else "edu")
    text = out.tables["t"]["markdown"]
    assert "the coefficient of that specification's first term (age and edu)" in text
    assert "the coefficient of age in that specification" not in text


def test_industries_are_listed_again_for_other_data_never_taken_from_another_runs_list(tmp_path):
    """industries() remembers its list per census table; a different census (another run's data) is listed afresh."""
    from dataclasses import replace

    from povdsl.data.clusters import industry_codes
    from povdsl.data.frames import load
    from povdsl.estimate.sweep_sources import industries

    spec = tmp_path / "s.pov"
    spec.write_text(
        HEAD
        + 'data census = bundled("zhejiang/census.csv")\n'
        + "model m for industry in industries(census, digits=3, year=2004): log(income) ~ clusters(census, digits=3, industry=industry) | ols\n  where year == 2004\n"
    )
    plan = load_plan(spec)
    frames = load(plan)
    census = frames.sources["census"]
    expected = industry_codes(census[census["year"] == 2004], 3)
    first = industries(plan.model("m"), frames)
    assert [code for code, _, _ in first] == expected == [code for code, _, _ in industries(plan.model("m"), frames)]
    dropped = expected[0]
    fewer = census[~census["industry"].astype(str).str.startswith(dropped)]
    other = replace(frames, sources={**frames.sources, "census": fewer})
    assert [code for code, _, _ in industries(plan.model("m"), other)] == expected[1:]
    assert [code for code, _, _ in industries(plan.model("m"), frames)] == expected
