"""Issue 13.7 and 13.8: `povdsl.fit(vcov=)`, its column checks, and a run that survives a failed model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import povdsl
from povdsl.errors import DataError, EstimationError, SpecError
from povdsl.pipeline import ModelsFailed
from povdsl.tools.cli import main


def _panel() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"hh": np.repeat(np.arange(30), 4), "year": np.tile([2001, 2002, 2003, 2004], 30)})
    frame["state"] = frame.hh % 5
    frame["x"] = rng.normal(size=len(frame))
    frame["y"] = 1 + frame.x + rng.normal(size=len(frame))
    frame["constant"] = 1.0
    return frame


PANEL = _panel()


@pytest.mark.parametrize("vcov", ["unadjusted", "robust", "cluster(state)", "cluster(state, year)", "cluster(hh)"])
def test_fit_vcov_argument_equals_the_spec_clause(vcov):
    by_argument = povdsl.fit("y ~ x | ols", PANEL, panel=("hh", "year"), vcov=vcov)
    by_clause = povdsl.fit(f"y ~ x | ols vcov {vcov}", PANEL, panel=("hh", "year"))
    assert by_argument.vcov == by_clause.vcov
    assert_allclose(by_argument.std_errors, by_clause.std_errors, rtol=0)
    assert_allclose(by_argument.pvalues, by_clause.pvalues, rtol=0)


def test_fit_vcov_argument_and_clause_together_are_refused_where_the_clause_is():
    model = "y ~ x | ols vcov robust"
    with pytest.raises(SpecError) as caught:
        povdsl.fit(model, PANEL, panel=("hh", "year"), vcov="cluster(state)")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E185" and diagnostic.span.col == model.index("vcov") + 1


def test_fit_vcov_argument_with_a_typo_is_a_located_error():
    with pytest.raises(SpecError) as caught:
        povdsl.fit("y ~ x | ols", PANEL, panel=("hh", "year"), vcov="cluster(stat)")
    (diagnostic,) = caught.value.diagnostics
    assert "stat" in diagnostic.message and diagnostic.hint and "state" in diagnostic.hint


@pytest.mark.parametrize(
    "kwargs, missing",
    [({"panel": ("household", "year")}, "household"), ({"panel": ("hh", "wave")}, "wave"), ({"panel": ("hh", "year"), "region": "county"}, "county")],
)
def test_fit_refuses_panel_and_region_columns_the_data_lack(kwargs, missing):
    with pytest.raises(DataError, match=f"'{missing}', which is not a column of the data"):
        povdsl.fit("y ~ x | fe(hh)", PANEL, **kwargs)


def test_fit_panel_must_be_two_names():
    with pytest.raises(DataError, match="two column names"):
        povdsl.fit("y ~ x | ols", PANEL, panel="hh")  # type: ignore[arg-type]


@pytest.fixture
def spec_with_a_failing_model(tmp_path):
    PANEL.to_csv(tmp_path / "d.csv", index=False)
    spec = tmp_path / "s.pov"
    spec.write_text(
        'data d = "d.csv" panel(hh, year)\n'
        'model good "Good": y ~ x | ols\n'
        'model also "Also good": y ~ x | fe(hh)\n'
        'model bad "Collinear": y ~ x + constant | ols\n'
        'table t1 "Fits" = good, also\n'
        'table t2 "Fails" = good, bad\n',
        encoding="utf-8",
    )
    return spec


def test_cli_run_writes_the_tables_that_fitted_reports_the_failure_located_and_exits_1(spec_with_a_failing_model, tmp_path, capsys):
    out = tmp_path / "out"
    status = main(["run", str(spec_with_a_failing_model), "--out", str(out), "--format", "markdown"])
    err = capsys.readouterr().err
    assert status == 1
    assert (out / "t1.md").exists() and not (out / "t2.md").exists()
    assert f"{spec_with_a_failing_model}:4:1: error: " in err and "'constant'" in err  # the model's declaration, line 4
    assert "'t2' not written" in err


def test_api_run_writes_what_fitted_then_raises_every_failure(spec_with_a_failing_model, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ModelsFailed) as caught:
        povdsl.run(spec_with_a_failing_model, out, formats=("markdown",))
    (failure,) = caught.value.failures
    assert isinstance(failure, EstimationError) and failure.model == "bad" and failure.span.line == 4
    assert set(caught.value.output.tables) == {"t1"} and caught.value.output.skipped_tables == ("t2",)
    assert (out / "t1.md").exists() and not (out / "t2.md").exists()
