"""`povdsl explain`: every default explicit, macros expanded, the backend call shown."""

from __future__ import annotations

from pathlib import Path

from povdsl.check.specfile import load_plan
from povdsl.tools.cli import main
from povdsl.tools.explain import explain

SPEC = Path(__file__).resolve().parents[2] / "spec" / "zhejiang.pov"


def test_gmm_model_shows_endogeneity_defaults_and_call():
    text = explain(load_plan(SPEC), "m6")
    assert "formula      log(income) ~ 1 + cluster + W(cluster, traveltime) + age + edu + gender + pop + land + capital" in text
    assert "endogenous   cluster, W(cluster, traveltime)" in text
    assert "instruments  gdp_lag10, W(gdp_lag10, traveltime)" in text
    assert "variance     robust (default of gmm)" in text
    assert "options      absorb=false, small=false, steps=2" in text
    assert "linearmodels.iv.IVGMM(" in text


def test_macro_origin_and_sample_are_shown():
    text = explain(load_plan(SPEC), "m8")
    assert "controls = age, edu, gender, pop, land, capital" in text
    assert "poor04 == 1" in text


def test_every_model_is_explained_and_unknown_model_is_an_error(capsys):
    assert main(["explain", str(SPEC)]) == 0
    out = capsys.readouterr().out
    assert all(f'model m{i} "Model {i}"' in out for i in range(1, 10))
    assert main(["explain", str(SPEC), "m66"]) == 1
    assert "m6" in capsys.readouterr().err


def test_cross_section_data_is_not_called_a_panel_of_none(tmp_path):
    (tmp_path / ".povdsl-root").write_text("")
    (tmp_path / "d.csv").write_text("y,x\n1,2\n2,3\n3,5\n")
    spec = tmp_path / "s.pov"
    spec.write_text('data d = "d.csv"\nmodel m: y ~ x | ols\n')
    text = explain(load_plan(spec), "m")
    assert "d: d.csv, cross-section; the models are fitted on its rows" in text
    assert "None" not in text


def test_fixed_effects_call_names_the_panel_columns_not_placeholders(tmp_path):
    """`fe(nr, year)` is explained as `pyfixest.feols(y ~ X | nr + year, vcov={'CRV1': 'nr'})`, not `| entity + time`."""
    (tmp_path / "d.csv").write_text("nr,year,y,x\n1,1,1.0,2.0\n1,2,2.0,1.0\n2,1,0.5,3.0\n2,2,1.5,0.5\n", encoding="utf-8")
    spec = tmp_path / "s.pov"
    spec.write_text('data d = "d.csv" panel(nr, year)\nmodel m: y ~ x | fe(nr, year)\n', encoding="utf-8")
    text = explain(load_plan(spec), "m")
    assert "pyfixest.feols(y ~ X | nr + year, vcov={'CRV1': 'nr'})" in text, text
