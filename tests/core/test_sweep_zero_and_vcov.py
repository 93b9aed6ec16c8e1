"""`stepwise0`/`cumulative0` (fixest's sw0/csw0) and a sweep variable in `vcov cluster(...)` (issue 17).

Both against pyfixest: csw0()/sw0() for the first, CRV1 clustered by each
listed column for the second (povdsl's CRV1 is pyfixest's, decision 48).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povdsl.check.specfile import load_plan
from povdsl.datasets import bundled_path
from povdsl.errors import SpecError
from povdsl.pipeline import run

HEAD = """data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
"""
SPEC = HEAD + """model cum0 for c in cumulative0(age, edu, pop): log(income) ~ land + c | ols
  where year == 2004
model step0 for c in stepwise0(age, edu): log(income) ~ land + c | ols
  where year == 2004
model clustered for g in [county, household]: log(income) ~ land + age | ols
  where year == 2008
  vcov cluster(g)
model by_county: log(income) ~ land + age | ols
  where year == 2008
  vcov cluster(county)
table t = cum0, step0
  layout sweep
  label none = "no controls"
"""


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    spec = tmp_path_factory.mktemp("zero") / "zero.pov"
    spec.write_text(SPEC)
    return run(spec, formats=("markdown",))


def _members(output, name, term):
    return [(item.values, item.result.params[term], item.result.std_errors[term], item.result.nobs) for item in output.sweeps[name].items]


@pytest.mark.parametrize(
    ("name", "fixest", "labels"),
    [
        ("cum0", "csw0(age, edu, pop)", ["none", "age", "age + edu", "age + edu + pop"]),
        ("step0", "sw0(age, edu)", ["none", "age", "edu"]),
    ],
)
def test_the_empty_set_comes_first_as_in_pyfixest(output, households, name, fixest, labels):
    pf = pytest.importorskip("pyfixest")
    multi = pf.feols(f"log_income ~ land + {fixest}", data=households[households.year == 2004])
    reference = [(m.coef()["land"], m.se()["land"], m._N) for m in multi.all_fitted_models.values()]
    got = _members(output, name, "land")
    assert [values[0][1] for values, *_ in got] == labels
    assert len(reference) == len(got)
    for (_, coef, se, nobs), (ref_coef, ref_se, ref_n) in zip(got, reference, strict=True):
        assert coef == pytest.approx(ref_coef, rel=1e-8)
        assert se == pytest.approx(ref_se, rel=1e-8)
        assert nobs == ref_n


def test_the_table_labels_the_empty_set(output):
    rows = [line.split("|")[1].strip() for line in output.tables["t"]["markdown"].splitlines() if line.startswith("|")]
    assert rows[3] == "no controls"


@pytest.mark.parametrize(
    ("body", "column"),
    [
        ("model m for c in cumulative0(age, edu): log(income) ~ land * c | ols", 13),
        ("model m for c in stepwise0(age, edu): c ~ land | ols", 13),
        ("model m for c in cumulative0(age, edu): log(income) ~ c | ols", 13),  # the first member would have no term to show
    ],
)
def test_the_empty_set_where_no_term_can_be_left_out_is_a_located_error(tmp_path, body, column):
    spec = tmp_path / "s.pov"
    spec.write_text(HEAD + body + "\n")
    with pytest.raises(SpecError) as caught:
        load_plan(spec)
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.col) == ("E514", 2, column)  # at the variable
    assert "starts with no term" in diagnostic.message and diagnostic.hint


def test_a_sweep_variable_in_vcov_cluster_is_each_members_cluster(output, households):
    pf = pytest.importorskip("pyfixest")
    sweep = output.sweeps["clustered"]
    assert [item.values for item in sweep.items] == [(("g", "county"),), (("g", "household"),)]
    data = households[households.year == 2008]
    for item in sweep.items:
        column = item.values[0][1]
        reference = pf.feols("log_income ~ land + age", data=data, vcov={"CRV1": column})
        assert item.result.params["land"] == pytest.approx(reference.coef()["land"], rel=1e-10)
        assert item.result.std_errors["land"] == pytest.approx(reference.se()["land"], rel=1e-8)
    by_hand = output.results["by_county"]
    assert sweep.items[0].result.std_errors["land"] == by_hand.std_errors["land"]
    assert sweep.items[0].result.std_errors["land"] != sweep.items[1].result.std_errors["land"]


def test_a_value_that_is_no_column_in_vcov_cluster_is_located_at_the_value(tmp_path):
    spec = tmp_path / "s.pov"
    spec.write_text(HEAD + "model m for g in [county, 2004]: log(income) ~ land | ols\n  vcov cluster(g)\n")
    with pytest.raises(SpecError) as caught:
        load_plan(spec)
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.col) == ("E181", 2, 27)


def test_split_of_a_let_that_is_one_number_is_refused_at_check_time(tmp_path):
    """The units' frame has a column for every unit or region let, none for a let of one number: that is the check's
    error now, at the column, not the run's after the data is read."""
    spec = tmp_path / "s.pov"
    spec.write_text(HEAD + "let average = mean(income)\nmodel m for p in split(average): log(income) ~ land | ols\n")
    with pytest.raises(SpecError) as caught:
        load_plan(spec)  # no data read
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.col) == ("E506", 3, 24)
    assert "one number" in diagnostic.message


def test_split_of_unit_and_region_lets_runs(tmp_path, households):
    spec = tmp_path / "s.pov"
    spec.write_text(HEAD + """data counties = bundled("zhejiang/counties.csv") key(county, year)
let poor = income < 0.5 * mean(income)
let big = gdp > 100
model m for p in split(poor) for b in split(big): log(income) ~ land | ols
  where year == 2004
""")
    out = run(spec)
    items = out.sweeps["m"].items
    assert [tuple(v for _, v in item.values) for item in items] == [("0", "0"), ("0", "1"), ("1", "0"), ("1", "1")]
    poor = (households.income < 0.5 * households.income.mean()).astype(float)
    sample = households[(households.year == 2004) & (poor == 1)]
    counties = pd.read_csv(bundled_path("zhejiang/counties.csv"))
    big = counties[counties.year == 2004].set_index("county").gdp.gt(100).astype(float)
    sample = sample[sample.county.map(big) == 0].dropna(subset=["log_income", "land"])
    direct = np.polyfit(sample.land, sample.log_income, 1)[0]
    assert items[2].result.params["land"] == pytest.approx(direct, rel=1e-8)
