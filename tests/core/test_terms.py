"""The typed term layer: formulaic's expansion rules computed once by povdsl, and what rests on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from formulaic import Formula
from hypothesis import given, settings
from hypothesis import strategies as st
from linearmodels.iv import IV2SLS

import povdsl
from povdsl.check.terms import MAX_TERMS, Expander, leaf_terms
from povdsl.errors import SpecError
from povdsl.language.parser import parse
from povdsl.tools.explain import explain

_NAMES = ["a", "b", "c", "d", "e"]


def _rhs(draw, depth: int) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(_NAMES))
    op = draw(st.sampled_from(["+", "*", ":", "/", "-", "**", "()"]))
    if op == "()":
        return f"({_rhs(draw, depth - 1)})"
    if op == "**":
        return f"({_rhs(draw, depth - 1)})**{draw(st.integers(1, 3))}"
    return f"{_rhs(draw, depth - 1)} {op} {_rhs(draw, depth - 1)}"


@st.composite
def _formulas(draw) -> str:
    return _rhs(draw, 4)


def _ours(rhs: str) -> list[str]:
    model = parse(f"model m: y ~ {rhs} | ols\n").declarations[0]
    return [t.text for t in Expander({}, leaf_terms).terms(model.rhs)]  # type: ignore[union-attr]


def _theirs(rhs: str) -> list[str] | None:
    try:
        return [str(t) for t in Formula("0 + " + rhs)]
    except Exception:  # formulaic refuses some nestings (e.g. `(a - a) / b`); nothing to compare
        return None


@settings(max_examples=300, deadline=None)
@given(rhs=_formulas())
def test_expansion_equals_formulaic(rhs):
    """Same terms, same factor order inside each term, same term order (degree, then appearance) as formulaic."""
    theirs = _theirs(rhs)
    if theirs is not None:
        assert _ours(rhs) == theirs


@pytest.mark.parametrize(
    "rhs,terms",
    [
        ("a*b", ["a", "b", "a:b"]),
        ("(a + b + c)**2", ["a", "b", "c", "a:b", "a:c", "b:c"]),
        ("a*b - a:b", ["a", "b"]),
        ("b:a + a:b", ["b:a"]),
        ("a/b", ["a", "a:b"]),
    ],
)
def test_expansion_examples(rhs, terms):
    assert _ours(rhs) == terms == _theirs(rhs)


def test_lag_ranges_are_one_term_per_lag():
    model = parse("model m: y ~ L(x, 0:2)*z | ols\n").declarations[0]
    assert [t.text for t in Expander({}, leaf_terms).terms(model.rhs)] == ["x", "L1.x", "L2.x", "z", "x:z", "L1.x:z", "L2.x:z"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "rhs,column",
    [
        (" * ".join(f"v{i}" for i in range(25)), 1),
        ("(" + " + ".join(f"v{i}" for i in range(20)) + ")**10", 1),
    ],
)
def test_expansion_limits_are_located_errors(rhs, column):
    """Interactions that would explode are refused (E166) before they are formed."""
    frame = pd.DataFrame({f"v{i}": [1.0, 2.0] for i in range(25)} | {"y": [1.0, 2.0]})
    with pytest.raises(SpecError) as info:
        povdsl.fit(f"y ~ {rhs} | ols", frame)
    assert {d.code for d in info.value.diagnostics} == {"E166"}
    assert f"{MAX_TERMS:,}" in str(info.value)


# -------------------------------------------- endogeneity per expanded term (issue 13)


def _iv_frame() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    n = 400
    z, edu, u = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    age = 0.8 * z + 0.5 * u + rng.normal(size=n)
    y = 1.0 + 0.5 * age - 0.3 * edu + 0.2 * age * edu + u
    return pd.DataFrame({"y": y, "age": age, "edu": edu, "land": z, "hh": np.arange(n), "year": 1})


def test_interaction_model_instruments_the_first_expanded_regressor():
    """`y ~ age*edu | iv(iv=land)`: age is endogenous; edu and age:edu are exogenous; numbers equal IV2SLS."""
    frame = _iv_frame()
    result = povdsl.fit("y ~ age*edu | iv(iv=land)", frame)
    exog = pd.DataFrame({"Intercept": 1.0, "edu": frame["edu"], "age:edu": frame["age"] * frame["edu"]})
    reference = IV2SLS(frame["y"], exog, frame[["age"]], frame[["land"]]).fit(cov_type="unadjusted")
    for name in ("Intercept", "age", "edu", "age:edu"):
        assert abs(result.params[name] - reference.params[name]) < 1e-8, name


def test_interaction_model_checks_explains_and_runs(tmp_path):
    """The issue-13 case: check passes, explain names existing columns, run fits with gmm."""
    frame = _iv_frame()
    frame["year"] = np.tile([2004, 2005], len(frame) // 2)
    frame["hh"] = np.repeat(np.arange(len(frame) // 2), 2)
    frame.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / ".povdsl-root").write_text("")
    spec = tmp_path / "s.pov"
    spec.write_text('data d = "d.csv" panel(hh, year)\nmodel m: y ~ age*edu | gmm(iv=land)\n')
    from povdsl.pipeline import load_plan, run

    text = explain(load_plan(spec))
    assert "endogenous   age\n" in text and "df[['Intercept', 'edu', 'age:edu']], df[['age']], df[['land']]" in text
    out = run(spec, tmp_path / "tables")
    assert set(out.results["m"].params.index) == {"Intercept", "age", "edu", "age:edu"}


def test_coefficients_follow_the_written_terms_not_parsed_column_names():
    """The compiler hands the spec's term order on (Design.order); nothing parses column names for it.

    `C(g)*edu + age` writes C(g), edu, C(g):edu, age. The columns of C(g):edu start with "C(g)[",
    which the old name parsing read as the term C(g) (so they came before edu). Numbers: statsmodels
    OLS on formulaic's own matrix of the same formula.
    """
    import statsmodels.api as sm
    from formulaic import model_matrix

    frame = _iv_frame()
    frame["g"] = np.tile(["a", "b", "c"], len(frame) // 3 + 1)[: len(frame)]
    result = povdsl.fit("y ~ C(g)*edu + age | ols", frame)
    assert list(result.params.index) == ["Intercept", "C(g)[T.b]", "C(g)[T.c]", "edu", "C(g)[T.b]:edu", "C(g)[T.c]:edu", "age"]
    X = pd.DataFrame(model_matrix("C(g)*edu + age", frame, output="pandas"))
    reference = sm.OLS(frame["y"], X).fit()
    for name in result.params.index:
        assert abs(result.params[name] - reference.params[name]) < 1e-10, name
        assert abs(result.std_errors[name] - reference.bse[name]) < 1e-10, name


def test_endogenous_terms_keep_their_written_place():
    """linearmodels reports exogenous columns (by degree) before endogenous ones; the Result follows the spec."""
    frame = _iv_frame()
    result = povdsl.fit("y ~ age:edu + age + edu | iv(endog=age, iv=land)", frame)
    assert list(result.params.index) == ["Intercept", "age:edu", "age", "edu"]
    exog = pd.DataFrame({"Intercept": 1.0, "edu": frame["edu"], "age:edu": frame["age"] * frame["edu"]})
    reference = IV2SLS(frame["y"], exog, frame[["age"]], frame[["land"]]).fit(cov_type="unadjusted")
    assert list(reference.params.index) == ["Intercept", "edu", "age:edu", "age"]
    for name in result.params.index:
        assert abs(result.params[name] - reference.params[name]) < 1e-8, name
    assert list(result.cov.index) == list(result.params.index) == list(result.cov.columns)
