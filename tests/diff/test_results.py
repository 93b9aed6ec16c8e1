"""`povdsl diff --results`: fit both versions on the bundled Zhejiang data."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from povdsl.tools.diff import compare_results
from povdsl.tools.diff.cli import main as run_cli

HEAD = """\
data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
data counties = bundled("zhejiang/counties.csv") key(county, year)
data census = bundled("zhejiang/census.csv")
let cluster = clusters(census, digits=4, lq=1.25, min_firms=10)
let rich = income > 2 * mean(income)
terms controls = age + edu + gender
"""
OLD = HEAD + """\
model a "A": log(income) ~ cluster + controls | ols
model b: log(income) ~ cluster + controls | fe(household)
model c: rich ~ cluster + controls | lpm
"""



@pytest.fixture
def spec_path(tmp_path):
    return str(tmp_path / "spec.pov")


def test_unchanged_models_are_fitted_once(spec_path):
    new = OLD.replace("controls | fe(household)", "controls + land | fe(household)").replace('"A"', '"Model A"')
    report = compare_results(OLD, spec_path, new, spec_path)
    assert report.unchanged == ("a", "c")  # a label is not a number
    assert {m.model for m in report.moved} == {"b"}
    assert report.fits == 4  # a and c once each, b on each side
    land = next(m for m in report.moved if m.term == "land")
    assert land.old_coef is None and land.new_coef is not None


def test_a_layout_only_edit_fits_each_model_once(spec_path):
    """Moved declarations, blank lines, comments and spacing change no fit: each model is fitted once for both
    sides, a sweep too (its members carry their own source positions, which the key used to include)."""
    sweep = 'model s "S" for c in [age, edu]: log(income) ~ cluster + c | ols\n'
    models = OLD[len(HEAD):].splitlines()
    new = "# the same spec, laid out anew\n" + HEAD + "\n\n" + models[2] + "\n\n" + models[0].replace(" ~ ", "  ~  ") + "\n" + models[1] + "\n\n" + sweep
    report = compare_results(OLD + sweep, spec_path, new, spec_path)
    assert report.unchanged == ("a", "b", "c", "s") and not report.moved
    assert report.fits == 4


def test_a_changed_let_refits_the_models_it_reaches(spec_path):
    report = compare_results(OLD, spec_path, OLD.replace("2 * mean", "1.5 * mean"), spec_path)
    assert report.unchanged == ("a", "b")
    assert {m.model for m in report.moved} == {"c"}
    assert report.fits == 4


def test_renamed_model_is_compared_with_its_old_self(spec_path):
    new = OLD.replace("model b:", "model b2:")
    report = compare_results(OLD, spec_path, new, spec_path, renames={"b": "b2"})
    assert report.unchanged == ("a", "b2", "c") and report.fits == 3


def test_cli_results_text_and_json(tmp_path, capsys):
    (tmp_path / "old.pov").write_text(OLD)
    (tmp_path / "new.pov").write_text(OLD.replace("| lpm", "| lpm where year == 2004"))
    files = [str(tmp_path / "old.pov"), str(tmp_path / "new.pov")]
    assert run_cli(["--results", *files]) == 1
    out = capsys.readouterr().out
    assert out.startswith("model c\n  where changed: (none) -> year == 2004\nresults (rtol 1e-06)\n")
    assert re.search(r"^  c  cluster  -?\d+\.\d{4}\**( -> )-?\d+\.\d{4}\**$", out, re.MULTILINE)
    assert out.endswith("  unchanged: a, b\n")
    assert run_cli(["--results", "--format", "json", *files]) == 1
    results = json.loads(capsys.readouterr().out)["files"][0]["results"]
    assert results["unchanged_models"] == ["a", "b"] and results["failed"] == []
    assert set(results["moved"][0]) == {"model", "term", "old_coef", "new_coef", "old_p", "new_p", "old_stars", "new_stars", "old_se", "new_se"}


def test_a_variance_edit_moves_standard_errors_not_coefficients_and_is_reported(tmp_path, capsys):
    """Found by a new-user trial: `vcov robust` -> `vcov cluster(county)` kept every coefficient and star, and was 'unchanged'."""
    import statsmodels.formula.api as smf

    from povdsl.datasets import bundled_path

    old = HEAD + 'model a "A": log(income) ~ age + edu | ols\n  vcov robust\n'
    (tmp_path / "old.pov").write_text(old)
    (tmp_path / "new.pov").write_text(old.replace("vcov robust", "vcov cluster(county)"))
    report = compare_results(old, str(tmp_path / "old.pov"), (tmp_path / "new.pov").read_text(), str(tmp_path / "new.pov"))
    assert report.unchanged == () and {m.term for m in report.moved} == {"Intercept", "age", "edu"}
    households = pd.read_csv(bundled_path("zhejiang/households.csv"))
    households["log_income"] = np.log(households.income)
    households = households.dropna(subset=["log_income", "age", "edu"])  # the rows povdsl keeps (missing values dropped)
    model = smf.ols("log_income ~ age + edu", households)
    robust, clustered = model.fit(cov_type="HC1"), model.fit(cov_type="cluster", cov_kwds={"groups": households.county})
    for m in report.moved:
        assert m.se_only and m.old_coef == pytest.approx(robust.params[m.term], rel=1e-9)
        assert m.old_se == pytest.approx(robust.bse[m.term], rel=1e-6) and m.new_se == pytest.approx(clustered.bse[m.term], rel=1e-6)
    assert run_cli(["--results", str(tmp_path / "old.pov"), str(tmp_path / "new.pov")]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^  a  edu  (-?\d+\.\d{4}\**) \(se \d+\.\d{4}\) -> \1 \(se \d+\.\d{4}\)$", out, re.MULTILINE), out


def test_rtol_hides_small_moves_but_not_significance(spec_path):
    from povdsl.tools.diff.results import _stars

    new = OLD.replace("| lpm", "| lpm where year == 2004")
    strict = compare_results(OLD, spec_path, new, spec_path)
    loose = compare_results(OLD, spec_path, new, spec_path, rtol=1e9)
    assert set(loose.moved) < set(strict.moved)
    assert all(_stars(m.old_p) != _stars(m.new_p) for m in loose.moved)
    assert all(m in loose.moved for m in strict.moved if _stars(m.old_p) != _stars(m.new_p))


def test_results_on_identical_specs_exit_0(tmp_path, capsys):
    (tmp_path / "old.pov").write_text(OLD)
    assert run_cli(["--results", str(tmp_path / "old.pov"), str(tmp_path / "old.pov")]) == 0
    assert capsys.readouterr().out == "no semantic change\nresults (rtol 1e-06)\n  unchanged: a, b, c\n"


def test_spec_that_does_not_check_is_trouble(tmp_path, capsys):
    (tmp_path / "old.pov").write_text(OLD)
    (tmp_path / "new.pov").write_text(OLD.replace("~ cluster", "~ nosuchcolumn"))
    assert run_cli(["--results", str(tmp_path / "old.pov"), str(tmp_path / "new.pov")]) == 2
    assert "nosuchcolumn" in capsys.readouterr().err


def test_after_a_run_diff_results_refits_only_what_changed(tmp_path):
    """The fit cache `povdsl run` fills is the one `diff --results` reads: only the edited model is fitted."""
    from povdsl.estimate.fit_cache import FitCache
    from povdsl.pipeline import run
    from povdsl.render.output import write_output

    spec = tmp_path / "spec.pov"
    spec.write_text(OLD, encoding="utf-8")
    run(spec, cache=tmp_path / ".povdsl-cache")
    new = OLD.replace("controls | fe(household)", "controls + land | fe(household)")
    cache = FitCache(tmp_path / ".povdsl-cache", write_output)
    report = compare_results(OLD, str(spec), new, str(spec), fit_cache=cache)
    assert report.fits == 1 and cache.hits == 3  # a, b and c from the run; only the new b fitted
    assert {m.model for m in report.moved} == {"b"} and report.unchanged == ("a", "c")
    fresh = compare_results(OLD, str(spec), new, str(spec))
    assert fresh.moved == report.moved  # the same numbers as fitting both sides now
    again = FitCache(tmp_path / ".povdsl-cache", write_output)
    assert compare_results(OLD, str(spec), new, str(spec), fit_cache=again).fits == 0
