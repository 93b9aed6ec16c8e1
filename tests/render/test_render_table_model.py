"""The table model: number formatting, stars, term order and notes."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from povdsl.check.plan import TableSpec
from povdsl.estimate.result import Result
from povdsl.render.numbers import format_figures
from povdsl.render.table_model import ascii_number
from povdsl.render.tables import (
    MINUS,
    Decimals,
    InstrumentNote,
    SweepEntry,
    TableContext,
    WeightNote,
    build_model_table,
    build_sweep_table,
    coef_decimals,
    format_coef,
    format_count,
    format_level,
    format_number,
    stars_for,
    statistic_cell,
)


def result(terms: dict[str, tuple[float, float, float, float]], **kwargs) -> Result:
    """A Result from (coef, se, t, p) per term; for rules that need exact boundary values."""
    index = list(terms)
    column = lambda i: pd.Series([terms[t][i] for t in index], index=index, dtype=float)  # noqa: E731
    fields = dict(nobs=975, estimator="logit", model="m1", label="Model 1", dependent="poor04")
    fields.update(kwargs)
    return Result(params=column(0), std_errors=column(1), tstats=column(2), pvalues=column(3), **fields)


def spec(**kwargs) -> TableSpec:
    fields = dict(name="t1", title="Table 1", models=("m1",))
    fields.update(kwargs)
    return TableSpec(**fields)


TERMS = {
    "Intercept": (-0.72, 0.78, -0.92, 0.36),
    "cluster": (-0.0102, 0.0051, -2.00, 0.045),
    "W(cluster, traveltime)": (-0.25, 0.063, -3.96, 0.0001),
    "gdp_lag10": (0.02, 0.0083, 2.41, 0.016),
}


# ---------------------------------------------------------------- numbers


def test_minus_is_the_unicode_minus_sign_and_never_negative_zero():
    assert format_number(-2.5, 2) == f"{MINUS}2.50"
    assert format_number(-0.001, 2) == "0.00"
    assert "-" not in format_coef(-0.72, Decimals())


def test_a_tiny_p_value_under_significant_figures_is_a_bound_not_fifteen_zeros():
    """`digits 3 sig`: p = 1e-20 (or an underflowed 0) prints "(<0.0001)"; fixed decimals keep "0.000"."""
    figures = Decimals.uniform(3, significant=True)
    for tiny in (1e-20, 1e-16, 0.0, 0.00009):
        cell = statistic_cell("p", 1.0, 0.1, 10.0, tiny, figures)
        assert cell.text == "(<0.0001)" and cell.number == "<0.0001" and cell.bound
    assert statistic_cell("p", 1.0, 0.1, 10.0, 0.000123, figures).text == "(0.000123)"
    assert statistic_cell("p", 1.0, 0.1, 10.0, 0.0001, figures).text == "(0.000100)"
    fixed = statistic_cell("p", 1.0, 0.1, 10.0, 1e-20, Decimals.uniform(3))
    assert fixed.text == "(0.000)" and not fixed.bound


def test_significant_figures_beyond_fifteen_decimals_print_in_scientific_notation():
    """`digits 3 sig`: 3.2e-17 prints 3.20×10⁻¹⁷ (was 0.000000000000000); fixed decimals keep their cap."""
    figures = Decimals.uniform(3, significant=True)
    assert format_coef(1.23e-13, figures) == "0.000000000000123"  # 15 decimals: still fixed
    assert format_coef(1.23e-14, figures) == "1.23×10⁻¹⁴"  # 16 would be needed
    assert format_coef(-3.2e-17, figures) == f"{MINUS}3.20×10⁻¹⁷"
    assert format_coef(9.996e-17, figures) == "1.00×10⁻¹⁶"  # rounding carries into the exponent
    assert format_coef(0.0, figures) == "0.00"
    assert format_figures(4.2e-300, 1) == "4×10⁻³⁰⁰" and format_figures(math.nan, 3) == ""
    assert statistic_cell("t", 1.0, 0.1, 2.5e-18, 0.5, figures).text == "(2.50×10⁻¹⁸)"
    assert statistic_cell("se", 1.0, 5e-20, 2.0, 0.5, figures).number == "5.00×10⁻²⁰"
    assert format_coef(1e-17, Decimals()) == "0.0000" and format_coef(1e-17, Decimals.uniform(3)) == "0.000"  # fixed: as documented


@pytest.mark.parametrize("value", [3.2e-17, -7.77e-30, 1.0e-16, -9.9949e-20, 6.02e-23])
def test_a_number_in_scientific_notation_reads_back_as_its_value(value):
    """The printed figures are the value's: the ASCII form every data format writes parses to the value rounded to 3 figures."""
    printed = format_figures(value, 3)
    assert "×10" in printed
    assert float(ascii_number(printed)) == float(f"{value:.2e}")
    assert math.isclose(float(ascii_number(printed)), value, rel_tol=5e-3)


def test_coefficients_get_two_decimals_and_more_only_to_show_a_significant_digit():
    decimals = Decimals()
    assert format_coef(0.6612, decimals) == "0.66"
    assert format_coef(-0.005, decimals) == f"{MINUS}0.005"  # Table 1 prints −0.005
    assert format_coef(0.0004, decimals) == "0.0004"
    assert format_coef(0.00001, decimals) == "0.0000"  # capped at max_coef
    assert coef_decimals(12.3456, decimals) == 2


def test_decimals_are_configurable():
    decimals = Decimals(coef=3, tstat=1)
    table = build_model_table(spec(), [result(TERMS)], TableContext(decimals=decimals))
    cluster = table.sections[0].rows[0]
    assert cluster.cells[0].text == f"{MINUS}0.010"
    assert table.sections[0].rows[1].cells[0].text == f"({MINUS}2.0)"


def test_counts_and_levels():
    assert format_count(10234) == "10,234"
    assert format_level(0.1) == "0.10"
    assert format_level(0.05) == "0.05"
    assert format_level(0.001) == "0.001"


@pytest.mark.parametrize(
    "pvalue, stars",
    [(0.0999, "*"), (0.10, ""), (0.05, "*"), (0.0499, "**"), (0.01, "**"), (0.0099, "***"), (math.nan, "")],
)
def test_stars_need_p_strictly_below_the_level(pvalue, stars):
    # p < level, as Stata and the paper: p = 0.05 exactly is not significant at 5%.
    assert stars_for(pvalue, (0.10, 0.05, 0.01)) == stars


def test_star_levels_come_from_the_spec():
    table = build_model_table(spec(stars=(0.05,)), [result(TERMS)], TableContext())
    assert [r.cells[0].stars for r in table.sections[0].rows[::2]] == ["*", "*", "*", ""]
    assert "* p < 0.05." in table.notes


@pytest.mark.parametrize("stat, expected", [("t", f"({MINUS}2.00)"), ("se", "(0.005)"), ("p", "(0.045)")])
def test_statistic_in_parentheses(stat, expected):
    table = build_model_table(spec(stat=stat, order=("cluster",)), [result(TERMS)], TableContext())
    assert table.sections[0].rows[1].cells[0].text == expected


# ---------------------------------------------------------------- rows


def labels(table):
    return [row.label for row in table.sections[0].rows if row.label]


def test_intercept_is_labelled_constant_and_placed_last():
    table = build_model_table(spec(), [result(TERMS)], TableContext())
    assert labels(table) == ["cluster", "W(cluster, traveltime)", "gdp_lag10", "Constant"]


def test_keep_drop_order_and_labels():
    table = build_model_table(
        spec(
            keep=("cluster", "gdp_lag10", "Intercept"),
            drop=("gdp_lag10",),
            order=("Intercept", "cluster"),
            labels=(("Intercept", "intercept item"), ("cluster", "local industrial clusters")),
        ),
        [result(TERMS)],
        TableContext(),
    )
    assert labels(table) == ["intercept item", "local industrial clusters"]


def test_terms_missing_from_a_model_leave_empty_cells():
    other = result({"Intercept": TERMS["Intercept"], "age": (0.02, 0.01, 2.0, 0.04)}, model="m2", label="Model 2")
    table = build_model_table(spec(models=("m1", "m2")), [result(TERMS), other], TableContext())
    rows = {row.label: row for row in table.sections[0].rows if row.label}
    assert rows["age"].cells[0].text == "" and rows["age"].cells[1].text == "0.02"
    assert labels(table)[-1] == "Constant"


def test_header_groups_span_models_with_the_same_dependent_variable():
    results = [
        result(TERMS),
        result(TERMS, model="m2", label="Model 2"),
        result(TERMS, model="m3", label="Model 3", dependent="log(income)", estimator="fe"),
    ]
    context = TableContext(dependent_labels={"poor04": "The probability of poverty (2004)"})
    table = build_model_table(spec(models=("m1", "m2", "m3")), results, context)
    dependent, estimators, models = table.header
    assert [(g.text, g.first, g.span) for g in dependent.groups] == [
        ("The probability of poverty (2004)", 1, 2),
        ("log(income)", 3, 1),
    ]
    assert [g.text for g in estimators.groups] == ["Logit", "Logit", "FE"]
    assert [g.text for g in models.groups] == ["Model 1", "Model 2", "Model 3"]


def test_fit_rows_only_when_some_model_has_them_and_observations_last():
    fitted = result(TERMS, stats={"pseudo_r2": 0.1234, "ngroups": 85.0})
    table = build_model_table(spec(fit_stats=("pseudo_r2", "r2", "ngroups")), [fitted], TableContext())
    assert [(r.label, r.cells[0].text) for r in table.footer] == [
        ("Pseudo R²", "0.123"),
        ("Groups", "85"),
        ("Observations", "975"),
    ]


# ---------------------------------------------------------------- notes


def test_notes_name_statistic_stars_variance_poverty_line_and_free_text():
    context = TableContext(
        poverty_lines={"2004": 10234.0, "2008": 12042.48},
        poverty_line_unit="yuan",
        weight_matrices=(WeightNote("w", "inverse travel time between county seats, row-standardised"), WeightNote("w2", "contiguity.")),
        instruments=(InstrumentNote("Model 3", ("gdp",), ("gdp_lag10",)), InstrumentNote("Model 4", ("gdp", "fdi"), ("gdp_lag10", "port"))),
        variance={"m1": "clustered by county"},
    )
    table = build_model_table(spec(notes=("Source: rural fixed observation points.",)), [result(TERMS)], context)
    assert table.notes == (
        "Coefficients, with t statistics in parentheses.",
        "* p < 0.10; ** p < 0.05; *** p < 0.01.",
        "Standard errors: clustered by county.",
        "Poverty lines: 2004 = 10,234 yuan; 2008 = 12,042.48 yuan.",
        "Spatial weight matrix: w: inverse travel time between county seats, row-standardised; w2: contiguity.",
        "Instruments: Model 3: gdp instrumented by gdp_lag10; Model 4: gdp, fdi instrumented by gdp_lag10, port.",
        "Source: rural fixed observation points.",
    )


def test_dropped_rows_are_noted_only_when_non_zero():
    none_dropped = build_model_table(spec(), [result(TERMS)], TableContext())
    assert not any("dropped" in note for note in none_dropped.notes)
    some_dropped = build_model_table(
        spec(models=("m1", "m2")),
        [result(TERMS), dataclasses.replace(result(TERMS), model="m2", label="Model 2", dropped=1)],
        TableContext(),
    )
    assert "Observations dropped for missing values: 1 (Model 2)." in some_dropped.notes


def test_different_variance_estimators_are_listed_per_model():
    results = [
        result(TERMS, vcov="robust (HC1)"),
        result(TERMS, model="m2", label="Model 2", vcov="clustered by county"),
    ]
    table = build_model_table(spec(models=("m1", "m2")), results, TableContext())
    assert "Standard errors: robust (HC1) in Model 1; clustered by county in Model 2." in table.notes


# ---------------------------------------------------------------- sweep


def entry(outcome, name, digits, coef, p):
    return SweepEntry(
        outcome, code="171", industry=name, digits=digits,
        coef=coef, std_error=0.1, tstat=coef / 0.1, pvalue=p, nobs=975,
    )


def test_sweep_lists_significant_industries_by_depth_side_by_side():
    entries = [
        entry("income", "Spinning", 3, 0.66, 0.001),
        entry("income", "Paper", 3, 0.01, 0.5),
        entry("poverty", "Dyeing", 3, -3.96, 0.002),
        entry("poverty", "Metal", 3, -3.30, 0.004),
        entry("poverty", "Wool", 4, -4.51, 0.001),
    ]
    table = build_sweep_table(spec(layout="sweep", significant_only=True), entries, TableContext())
    three, four = table.sections
    assert [c.display for c in three.rows[0].cells] == ["Spinning", "0.66***", "Dyeing", f"{MINUS}3.96***"]
    assert [c.display for c in three.rows[2].cells] == ["", "", "Metal", f"{MINUS}3.30***"]
    assert three.rows[0].label == "Three Digits" and three.rows[2].label == ""
    assert four.rows[0].label == "Four Digits"
    assert table.column_kinds == ("text", "number", "text", "number")
    assert "Only industries whose cluster coefficient has p < 0.10 are listed." in table.notes
