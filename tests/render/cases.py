"""Golden cases for the render tests, built from real fits on public data.

Regenerate the golden files after an intended change to tables or templates
with `python -m pytest tests/render --regen`, then review
`git diff tests/render/golden` before committing.  The tests import `CASES`
from here, so the goldens and the tests never drift apart.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from povdsl.check.plan import TableSpec, TermSelector
from povdsl.estimate.result import Result
from povdsl.render.sweep_tables import MemberEntry, build_member_table
from povdsl.render.tables import SweepEntry, TableContext, build_model_table, build_sweep_table
from povdsl.render.templating import render

GOLDEN = Path(__file__).with_name("golden")
# variant -> (format, keyword arguments of render, file extension)
VARIANTS = {
    "latex": ("latex", {}, "tex"),
    "siunitx": ("latex", {"siunitx": True}, "siunitx.tex"),
    "markdown": ("markdown", {}, "md"),
    "html": ("html", {}, "html"),
    "csv": ("csv", {}, "csv"),
    "json": ("json", {}, "json"),
}

# A label that exercises every LaTeX special character, and the 50% of the paper.
SPECIAL_LABEL = r"PSI & 50% of #1 ($) ~ ^ \ {}"


def spector() -> pd.DataFrame:
    data = sm.datasets.spector.load_pandas().data
    return data.rename(columns={"TUCE": "gdp_lag10"})


def from_statsmodels(fit, *, estimator: str, model: str, label: str, dependent: str, vcov: str, stats: dict) -> Result:
    """A Result as an estimator adapter would return it, from a statsmodels fit."""
    return Result(
        params=fit.params,
        std_errors=fit.bse,
        tstats=fit.tvalues,
        pvalues=fit.pvalues,
        nobs=int(fit.nobs),
        estimator=estimator,
        vcov=vcov,
        stats=stats,
        model=model,
        label=label,
        dependent=dependent,
        raw=fit,
    )


def spector_results() -> list[Result]:
    """Logit and linear probability for GRADE (one header group), OLS for GPA."""
    data = spector()
    logit = smf.logit("GRADE ~ GPA + gdp_lag10 + PSI", data).fit(disp=0)
    lpm = smf.ols("GRADE ~ GPA + gdp_lag10 + PSI", data).fit(cov_type="HC1")
    gpa = smf.ols("np.log(GPA) ~ gdp_lag10 + PSI", data).fit()
    return [
        from_statsmodels(
            logit, estimator="logit", model="m1", label="Model 1", dependent="GRADE",
            vcov="unadjusted", stats={"pseudo_r2": logit.prsquared, "loglik": logit.llf},
        ),
        from_statsmodels(
            lpm, estimator="ols", model="m2", label="Model 2", dependent="GRADE",
            vcov="robust (HC1)", stats={"r2": lpm.rsquared, "loglik": lpm.llf},
        ),
        from_statsmodels(
            gpa, estimator="ols", model="m3", label="Model 3", dependent="log(GPA)",
            vcov="unadjusted", stats={"r2": gpa.rsquared, "loglik": gpa.llf},
        ),
    ]


MODEL_SPEC = TableSpec(
    name="spector_models",
    title="Grades and the personalised system of instruction",
    models=("m1", "m2", "m3"),
    labels=(("GPA", "Grade point average"), ("PSI", SPECIAL_LABEL)),
    stat="t",
    fit_stats=("pseudo_r2", "r2", "loglik"),
    notes=("Data: Spector and Mazzeo (1980), 32 students.",),
)

MODEL_CONTEXT = TableContext(
    dependent_labels={"GRADE": "The probability of a better grade", "log(GPA)": "ln(Grade point average)"},
    poverty_lines={"2004 (50% of mean income)": 10234.0},
    poverty_line_unit="yuan",
)


# Eight household characteristics play the industries of Tables 5-6: each is
# regressed alone on two outcomes, as the paper regresses on each industry.
SWEEP_REGRESSORS = (
    ("rate_marriage", "171", "Spinning, weaving and finishing of textiles", 3),
    ("age", "348", "Manufacture of parts for general-purpose machinery & repair", 3),
    ("yrs_married", "346", "Metal surface treatment and heat treatment", 3),
    ("religious", "261", "Basic chemical raw materials (50% state-owned)", 3),
    ("educ", "1741", "Spinning and weaving of silk textiles", 4),
    ("children", "2231", "Manufacture of paper and cardboard containers", 4),
    ("occupation", "3482", "Fasteners, springs manufacturing", 4),
    ("occupation_husb", "2612", "Inorganic salt manufacturing", 4),
)


def fair_sweep_entries() -> list[SweepEntry]:
    data = sm.datasets.fair.load_pandas().data.iloc[::16].copy()  # every 16th wife: a fixed, mixed sample
    data["any_affair"] = (data["affairs"] > 0).astype(float)
    data["log_affairs"] = np.log1p(data["affairs"])
    entries = []
    for outcome, fitter in (("log_affairs", smf.ols), ("any_affair", smf.logit)):
        for column, code, name, digits in SWEEP_REGRESSORS:
            model = fitter(f"{outcome} ~ {column}", data)
            fit = model.fit(disp=0) if fitter is smf.logit else model.fit()
            entries.append(
                SweepEntry(
                    outcome=outcome, code=code, industry=name, digits=digits,
                    coef=float(fit.params[column]), std_error=float(fit.bse[column]),
                    tstat=float(fit.tvalues[column]), pvalue=float(fit.pvalues[column]),
                    nobs=int(fit.nobs),
                )
            )
    return entries


SWEEP_SPEC = TableSpec(
    name="fair_sweep",
    title="Estimates by industry, 2004",
    models=(),
    stat="t",
    significant_only=True,
    layout="sweep",
    notes=("Each coefficient comes from a separate regression on one industry's cluster count.",),
)

SWEEP_CONTEXT = TableContext(
    dependent_labels={"log_affairs": "ln(1 + Time in affairs)", "any_affair": "The probability of an affair"},
    variance={"log_affairs": "unadjusted", "any_affair": "unadjusted"},
)


def model_table():
    return build_model_table(MODEL_SPEC, spector_results(), MODEL_CONTEXT)


def sweep_table():
    return build_sweep_table(SWEEP_SPEC, fair_sweep_entries(), SWEEP_CONTEXT)


def digits_spec(**options) -> TableSpec:
    return replace(MODEL_SPEC, name="spector_digits", **options)


# `digits 3`, and four decimals for GPA's row; `digits 2 sig` with a glob row.
# Also a user row and the variance of each column as a row.
DIGITS_SPEC = digits_spec(
    digits=3, stat="se", rows=(("Controls", ("Yes", "Yes", "No")),), vcov_row=True,
    selectors=(TermSelector("digits", "GPA", names=("GPA",), digits=4),),
)
SIGNIFICANT_SPEC = digits_spec(
    digits=2, significant_figures=True, stat="p",
    selectors=(TermSelector("digits", "gdp*", pattern="gdp*", digits=4),),
)


def digits_table():
    return build_model_table(DIGITS_SPEC, spector_results(), MODEL_CONTEXT)


def significant_table():
    return build_model_table(SIGNIFICANT_SPEC, spector_results(), MODEL_CONTEXT)


# Layouts of issue 18.3 and the rows of 18.2: a spanner over two models, fit
# rows with labels and digits, two statistics, fixed-effect rows, the text
# width; then the three models stacked in two panels, with 95% intervals,
# turned sideways.
GROUPS_SPEC = replace(
    MODEL_SPEC,
    name="spector_groups", stat="se", second_stat="p", groups=(("Linear models", ("m2", "m3")),),
    fit_stats=("r2", "loglik"), fit_labels=(("r2", "R squared"),), fit_digits=(("r2", 2),),
    rows=(("Sample", ("All", "All", "All")),), fe_rows=0, fit_width=True, fit_style="small",
)
GROUPS_CONTEXT = replace(MODEL_CONTEXT, fixed_effects={"m2": ("household",), "m3": ("household", "year")})
PANELS_SPEC = replace(
    MODEL_SPEC,
    name="spector_panels", stat="ci95", panels=(("A. Grade", ("m1", "m2")), ("B. Grade point average", ("m3",))),
    fit_stats=("r2",), landscape=True,
)


def groups_table():
    return build_model_table(GROUPS_SPEC, spector_results(), GROUPS_CONTEXT)


def panels_table():
    return build_model_table(PANELS_SPEC, spector_results(), MODEL_CONTEXT)


# `layout sweep c by w` (issue 17): a product sweep `for c in cumulative(age,
# educ, children) for y in [log_affairs, any_affair]` on Fair's data, the
# control sets on rows and the outcomes across, the focus yrs_married.
GRID_CONTROLS = ("age", "age + educ", "age + educ + children")
GRID_OUTCOMES = ("log_affairs", "any_affair")


def fair_grid_entries() -> list[MemberEntry]:
    data = sm.datasets.fair.load_pandas().data.iloc[::8].copy()
    data["any_affair"] = (data["affairs"] > 0).astype(float)
    data["log_affairs"] = np.log1p(data["affairs"])
    entries = []
    for controls in GRID_CONTROLS:
        for outcome in GRID_OUTCOMES:
            fit = smf.ols(f"{outcome} ~ yrs_married + {controls}", data).fit(cov_type="HC1")
            entries.append(
                MemberEntry(
                    column="Model 1", dependent=outcome, values=(controls, outcome), focus="yrs_married",
                    coef=float(fit.params["yrs_married"]), std_error=float(fit.bse["yrs_married"]),
                    tstat=float(fit.tvalues["yrs_married"]), pvalue=float(fit.pvalues["yrs_married"]),
                    nobs=int(fit.nobs), variables=("c", "y"),
                )
            )
    return entries


GRID_SPEC = TableSpec(
    name="fair_grid",
    title="Years married across control sets and outcomes",
    models=("m1",),
    labels=(("yrs_married", "Years married"), ("age + educ", "+ education"), ("age + educ + children", "+ children"),
            ("log_affairs", "Log"), ("any_affair", "Any")),
    stat="se",
    layout="sweep",
    grid=("c", "y"),
)
GRID_CONTEXT = TableContext(
    stub_header="Controls", variance={"m1": "robust (HC1)"},
    dependent_labels={"log_affairs": "ln(1 + time in affairs)", "any_affair": "Any affair"},
)


def grid_table():
    return build_member_table(GRID_SPEC, fair_grid_entries(), GRID_CONTEXT)


# `digits 3 sig` with coefficients far below 1e-15: the linear probability
# model with GPA measured in units 1e17 times larger and PSI in units -1e16
# times larger, so those coefficients and standard errors are the fitted ones
# divided by 1e17 and -1e16 exactly (t and p unchanged); each prints in
# scientific notation with three figures.
SCIENTIFIC_SPEC = replace(MODEL_SPEC, name="spector_scientific", models=("m2",), digits=3, significant_figures=True, stat="se", fit_stats=("r2",))


def scientific_table():
    lpm = spector_results()[1]
    scale = pd.Series({"GPA": 1e17, "PSI": -1e16}).reindex(lpm.params.index, fill_value=1.0)
    rescaled = replace(lpm, params=lpm.params / scale, std_errors=lpm.std_errors / scale.abs(), tstats=lpm.tstats * np.sign(scale), raw=None)
    return build_model_table(SCIENTIFIC_SPEC, [rescaled], MODEL_CONTEXT)


# case name -> table builder; golden file is golden/<case>.<extension>
CASES = {
    "model": model_table, "sweep": sweep_table, "digits": digits_table, "significant": significant_table,
    "groups": groups_table, "panels": panels_table, "grid": grid_table, "scientific": scientific_table,
}


def golden_path(case: str, variant: str) -> Path:
    return GOLDEN / f"{case}.{VARIANTS[variant][2]}"


def rendered(table, variant: str) -> str:
    fmt, options, _ = VARIANTS[variant]
    return render(table, fmt, **options)
