"""`show impacts`: a table prints spatial lag models' direct/indirect/total effects in place of coefficients."""

from __future__ import annotations

import pandas as pd
import pytest

import povdsl
from povdsl.check.plan import TableSpec
from povdsl.errors import SpecError
from povdsl.estimate.adapters.spatial import SpatialDesign, fit_sar, fit_sem
from povdsl.estimate.design import Design, Vcov
from povdsl.render.numbers import format_coef
from povdsl.render.table_model import Decimals, TableContext
from povdsl.render.tables import build_model_table
from povdsl.tools.fmt import format_text


def _results(columbus):
    frame, sw, _, _ = columbus
    exog = pd.concat([pd.Series(1.0, index=frame.index, name="Intercept"), frame[["INC", "HOVAL"]]], axis=1)
    design = SpatialDesign(Design(y=frame.CRIME.rename("CRIME"), exog=exog), (sw,))
    return fit_sar(design, {"weights": ("w",), "draws": 200}, Vcov()), fit_sem(design, {"weights": ("w",)}, Vcov())


def test_impact_rows_replace_coefficients_of_lag_models(columbus):
    sar, sem = _results(columbus)
    spec = TableSpec(name="t", title="T", models=("a", "b"), stat="se", show="impacts", labels=(("INC", "income"),))
    table = build_model_table(spec, [sar, sem], TableContext())
    rows = {row.label: row.cells for section in table.sections for row in section.rows if row.label}
    assert "income: direct" in rows and "HOVAL: total" in rows and "income" not in rows
    assert rows["income: indirect"][0].number == format_coef(sar.impacts.loc["INC", "indirect"], Decimals())
    # the error model's impacts are exact: direct = total = its coefficient, indirect a structural 0 without a statistic
    assert rows["income: direct"][1].number == rows["income: total"][1].number == format_coef(sem.params["INC"], Decimals())
    assert rows["income: indirect"][1].number == format_coef(0.0, Decimals())
    stat_rows = [section.rows[i + 1].cells for section in table.sections for i, row in enumerate(section.rows) if row.label == "income: indirect"]
    assert stat_rows[0][1].text == "" and stat_rows[0][0].text.startswith("(")
    assert "rho" in rows and "lambda" in rows and "Constant" in rows
    assert any("simulated" in note and "200" in note for note in table.notes)
    assert any("SEM models (no spatial lag of y) the impacts are exact" in note for note in table.notes)


def test_show_is_checked_and_formatted(tmp_path):
    from spatial_project import write_project  # type: ignore[import-not-found]

    spec = write_project(tmp_path, 'model m1: y ~ x | ols\ntable t "T" = m1\n  show impact\n')
    with pytest.raises(SpecError) as info:
        povdsl.load(spec)
    assert "E198" in str(info.value) and "impacts" in str(info.value)
    text = spec.read_text().replace("show impact", "show  impacts")
    assert "  show impacts\n" in format_text(text, str(spec))
