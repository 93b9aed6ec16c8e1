"""Adding an estimator is one registry record plus one adapter function (issue 14.1).

The test registers a median regression (`lad`) from here, with its adapter
defined in this module, and runs it through check -> fit -> table and explain.
The reference is a direct statsmodels QuantReg call on the same data.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose

import povdsl
from povdsl.errors import EstimationError, SpecError
from povdsl.estimate.design import Design, Vcov
from povdsl.estimate.registry import REGISTRY, EstimatorSpec, register, unregister
from povdsl.estimate.result import Result, Variance

HERE = __name__


def fit_lad(design: Design, options: Mapping[str, object], vcov: Vcov) -> Result:
    """The adapter: median regression on statsmodels, kernel-sandwich errors (QuantReg's default)."""
    from povdsl.estimate.adapters.base import build_result

    if vcov.kind not in ("default", "robust"):
        raise EstimationError("lad reports QuantReg's robust (kernel) variance only", hint="write `vcov robust` or no vcov clause")
    res = sm.QuantReg(design.y.astype(float), design.exog.astype(float)).fit(q=float(options["q"]))  # type: ignore[arg-type]
    variance = Variance(kind="robust", text="robust (kernel sandwich)", df=int(res.df_resid), reference="statsmodels QuantReg defaults")
    return build_result(
        estimator="lad",
        design=design,
        params=res.params,
        std_errors=res.bse,
        tstats=res.tvalues,
        pvalues=res.pvalues,
        nobs=int(res.nobs),
        variance=variance,
        cov=res.cov_params(),
        stats={},
        raw=res,
    )


def describe_lad(design_names, options, vcov) -> str:
    return f"statsmodels.api.QuantReg(y, X).fit(q={options['q']})"


LAD = EstimatorSpec(
    name="lad",
    label="LAD",
    doc="median (quantile) regression",
    binding="plain",
    adapter=f"{HERE}:fit_lad",
    describe=f"{HERE}:describe_lad",
    options=(povdsl.estimate.options.OptionSpec("q", "float", 0.5, "the quantile"),),
    default_vcov="robust",
)


@pytest.fixture
def lad():
    register(LAD)
    yield LAD
    unregister("lad")
    assert "lad" not in REGISTRY


@pytest.fixture
def project(tmp_path):
    rng = np.random.default_rng(14)
    n = 300
    frame = pd.DataFrame({"id": np.arange(n), "wave": 1, "x": rng.normal(size=n)})
    frame["y"] = 1.0 + 2.0 * frame.x + rng.standard_t(3, size=n)
    frame.to_csv(tmp_path / "d.csv", index=False)
    spec = tmp_path / "lad.pov"
    spec.write_text(
        'data d = "d.csv" panel(id, wave)\n'
        'model m1 "Median": y ~ x | lad\n'
        'model m2 "Quartile": y ~ x | lad(q=0.25)\n'
        'table t "Medians" = m1, m2\n',
        encoding="utf-8",
    )
    return spec, frame


def test_a_registered_estimator_runs_from_check_to_table(lad, project):
    spec, frame = project
    out = povdsl.run(spec, spec.parent / "out", formats=("markdown",))
    for name, q in (("m1", 0.5), ("m2", 0.25)):
        reference = sm.QuantReg(frame.y, sm.add_constant(frame[["x"]]).rename(columns={"const": "Intercept"})).fit(q=q)
        result = out.results[name]
        assert_allclose(result.params[["Intercept", "x"]], reference.params[["Intercept", "x"]], rtol=1e-8)
        assert_allclose(result.std_errors[["Intercept", "x"]], reference.bse[["Intercept", "x"]], rtol=1e-8)
        assert result.variance is not None and result.variance.text == "robust (kernel sandwich)"
    table = out.tables["t"]["markdown"]
    assert "LAD" in table  # the column label comes from the record
    result = out.results["m1"]
    assert f"| {result.params['x']:.2f}*** |" in table  # default 2 decimals; p < 0.01
    assert f"({result.tstats['x']:.2f})" in table


def test_a_registered_estimator_is_explained_and_its_options_checked(lad, project):
    from povdsl.tools.explain import explain

    spec, _ = project
    text = explain(povdsl.load(spec), "m2")
    assert "lad (LAD)" in text and "q=0.25" in text and "QuantReg(y, X).fit(q=0.25)" in text
    spec.write_text(spec.read_text(encoding="utf-8").replace("lad(q=0.25)", "lad(quantile=0.25)"), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        povdsl.load(spec)
    assert [d.code for d in caught.value.diagnostics] == ["E218"]


def test_without_the_record_the_name_is_unknown_to_the_checker(project):
    spec, _ = project
    with pytest.raises(SpecError) as caught:
        povdsl.load(spec)
    assert {d.code for d in caught.value.diagnostics} == {"E200"}


def test_built_in_estimators_cannot_be_replaced_or_removed():
    with pytest.raises(ValueError):
        register(EstimatorSpec("ols", "OLS", "", "plain", f"{HERE}:fit_lad", f"{HERE}:describe_lad"))
    with pytest.raises(ValueError):
        unregister("ols")
