"""A sweep table's (and figure's) note on standard errors says every sweep's variance, and every member's.

Found by a new-user trial: the note was keyed by the outcome's label and
read off each sweep's first member, so an fe sweep beside an ols sweep of the
same outcome were both "unadjusted", and a sweep over the cluster variable
was "clustered by county" in every row. The reference is each member's own
Result.vcov.
"""

from __future__ import annotations

import pytest

from povdsl.pipeline import run

SPEC = """\
data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
model s_fe "FE" for c in [age, edu]: log(income) ~ land + c | fe(household)
model s_ols "OLS" for c in [age, edu]: log(income) ~ land + c | ols
table t = s_fe, s_ols
  layout sweep
model g "G" for v in [county, household]: log(income) ~ land + age | ols
  vcov cluster(v)
table tg = g
  layout sweep
figure fg = sweep(g)
"""


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    spec = tmp_path_factory.mktemp("notes") / "notes.pov"
    spec.write_text(SPEC, encoding="utf-8")
    return run(spec, formats=("markdown",))


def _vcov(output, name: str) -> list[str]:
    return [item.result.vcov for item in output.sweeps[name].items]


def test_two_sweeps_with_different_variances_are_each_named(output):
    fe, ols = _vcov(output, "s_fe"), _vcov(output, "s_ols")
    assert len(set(fe)) == len(set(ols)) == 1 and fe[0] != ols[0]  # the premise: one variance per sweep, not the same
    assert f"Standard errors: {fe[0]} in FE; {ols[0]} in OLS." in output.tables["t"]["markdown"]


def test_a_sweep_over_the_cluster_variable_names_each_members_variance(output):
    county, household = _vcov(output, "g")
    assert "county" in county and "household" in household
    expected = f"Standard errors: {county} (v = county); {household} (v = household)."
    assert expected in output.tables["tg"]["markdown"]
    assert expected in output.figures["fg"]["fg.tex"]
