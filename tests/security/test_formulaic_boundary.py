"""formulaic never receives text that came from a spec or its data (issue 12.1).

The attack that motivated this: formulaic replaces its aliases for backticked
names back with a plain text replace that also hits string literals, then
evaluates the result with Python's builtins. A string literal equal to the
alias of a materialised W() column whose name carries a quote broke out of
the literal and ran code. povdsl now computes every factor itself and hands
formulaic only generated names (`_v0`, `_v1`, ...).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import povdsl
import povdsl.estimate.compile as compile_stage
from povdsl.errors import PovdslError
from povdsl.pipeline import run

FORMULA = re.compile(r"[01]( \+ _v[0-9]+(:_v[0-9]+)*)*")  # everything formulaic may ever be handed


def _alias(name: str) -> str:
    """formulaic's alias for a backticked name (formulaic/utils/code.py sanitize_variable_name)."""
    return "_formulaic_" + "".join(c if re.match(r"\w", c) else "_" for c in name)


def _project(root: Path) -> Path:
    rng = np.random.default_rng(0)
    rows = [(u, t, u % 5, float(rng.normal()), float(rng.normal())) for u in range(30) for t in (2004, 2005, 2006)]
    pd.DataFrame(rows, columns=["hh", "year", "county", "y", "x"]).to_csv(root / "d.csv", index=False)
    regions = [(c, t, float(rng.normal())) for c in range(5) for t in (2004, 2005, 2006)]
    pd.DataFrame(regions, columns=["county", "year", "g"]).to_csv(root / "r.csv", index=False)
    pd.DataFrame([(a, b, 1.0 + abs(a - b)) for a in range(5) for b in range(5) if a != b], columns=["o", "dd", "v"]).to_csv(root / "w.csv", index=False)
    (root / ".povdsl-root").write_text("")
    return root


def _exploit(marker: Path, call: str) -> str:
    """A model whose string literal equals formulaic's alias of a materialised W() column."""
    payload = f"'+__import__('os').system('touch {marker}')+'"
    name = f'W(g == "{payload}", w)'
    return call.format(w=f'W(g == "{payload}", w)', alias=_alias(name))


@pytest.fixture
def recorded(monkeypatch):
    """Every formula handed to formulaic's model_matrix."""
    seen: list[str] = []
    real = compile_stage.model_matrix

    def spy(formula, data, *args, **kwargs):
        seen.append(formula)
        assert all(re.fullmatch(r"_v[0-9]+", str(c)) for c in data.columns), list(data.columns)
        return real(formula, data, *args, **kwargs)

    monkeypatch.setattr(compile_stage, "model_matrix", spy)
    return seen


@pytest.mark.parametrize(
    "call",
    [
        'I({w} + (x == "{alias}"))',
        'I({w} + (x != "{alias}")) + x',
        'log(abs({w}) + 1) + I(x == "{alias}")',
        'W(g == "{alias}", w) + I({w} * (x < 0))',
        'C(hh):I({w} + (x == "{alias}"))',
    ],
)
def test_alias_in_string_literal_runs_nothing(tmp_path, recorded, call):
    """The red-team exploit, through `povdsl run`: the marker is never created, formulaic sees generated names."""
    proj = _project(tmp_path)
    marker = tmp_path / "MARKER"
    spec = proj / "s.pov"
    spec.write_text(
        'data d = "d.csv" panel(hh, year) region(county)\n'
        'data r = "r.csv" key(county, year)\n'
        'weights w = inverse("w.csv", o, dd, v)\n'
        f"model m: y ~ {_exploit(marker, call)} | ols\n"
    )
    try:
        run(spec, proj / "tables")
    except PovdslError:
        pass
    assert not marker.exists(), "the spec ran Python"
    assert all(FORMULA.fullmatch(f) for f in recorded), recorded


def test_fit_with_alias_literal_runs_nothing(tmp_path, recorded):
    """The same through povdsl.fit (W of a unit-level column constant within regions)."""
    marker = tmp_path / "MARKER"
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"hh": np.repeat(np.arange(20), 3), "year": np.tile([1, 2, 3], 20), "y": rng.normal(size=60), "x": rng.normal(size=60)})
    frame["county"] = frame["hh"] % 4
    frame["g"] = frame["county"] * 1.5 + frame["year"]
    matrix = pd.DataFrame([[0.0 if a == b else 1.0 for b in range(4)] for a in range(4)], index=range(4), columns=range(4))
    call = 'I({w} + (x == "{alias}"))'
    line = f"y ~ {_exploit(marker, call)} | ols"
    from povdsl.data.weights import Weights

    try:
        povdsl.fit(line, frame, panel=("hh", "year"), region="county", weights={"w": Weights.from_matrix(matrix)})
    except PovdslError:
        pass
    assert not marker.exists()
    assert all(FORMULA.fullmatch(f) for f in recorded), recorded


def test_interactions_and_factors_reach_formulaic_as_generated_names(tmp_path, recorded):
    """A design that needs formulaic (C(), interactions) arrives as `_v` names and leaves with canonical ones."""
    proj = _project(tmp_path)
    spec = proj / "s.pov"
    spec.write_text('data d = "d.csv" panel(hh, year)\nmodel m: y ~ x*C(county) + I(x**2) + log(abs(x)) | ols\n')
    out = run(spec, proj / "tables")
    names = list(out.results["m"].params.index)
    assert recorded and all(FORMULA.fullmatch(f) for f in recorded), recorded
    assert {"Intercept", "x", "C(county)[T.1]", "x:C(county)[T.1]"} <= set(names) and {"I(x**2)", "log(abs(x))"} <= set(names)


# --------------------------------------------------------------- property

_HOSTILE_TEXT = st.one_of(
    st.lists(st.sampled_from(list("`'\"\\()[]{}:+*_ ;#\n\téü中") + ["_formulaic_", "__import__", "`x`", "\\\""]), max_size=12).map("".join),
    st.builds(_alias, st.text(max_size=12)),
)
_ATOMS = ["x", "y2", "C(county)", "log(abs(x) + 1)", "L(x, 1)", "D(x)"]


@st.composite
def _formulas(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        literal = draw(_HOSTILE_TEXT).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
        kind = draw(st.sampled_from(["atom", "I", "log", "interaction"]))
        if kind == "atom":
            parts.append(draw(st.sampled_from(_ATOMS)))
        elif kind == "I":
            parts.append(f'I(x + (x == "{literal}"))')
        elif kind == "log":
            parts.append(f'log(abs(x) + (x != "{literal}"))')
        else:
            parts.append(f'{draw(st.sampled_from(_ATOMS))}:I(x > 0 or x == "{literal}")')
    return " + ".join(parts)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rhs=_formulas())
def test_formulaic_only_ever_sees_generated_names(rhs, recorded, tmp_path_factory):
    """Random formulas with hostile string literals: formulaic receives `_v` names only, and nothing runs."""
    recorded.clear()
    marker = tmp_path_factory.getbasetemp() / "MARKER"
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"hh": np.repeat(np.arange(15), 4), "year": np.tile([1, 2, 3, 4], 15), "y": rng.normal(size=60), "x": rng.normal(size=60)})
    frame["y2"] = frame["x"] ** 2
    frame["county"] = frame["hh"] % 3
    try:
        povdsl.fit(f"y ~ {rhs} | ols", frame, panel=("hh", "year"))
    except PovdslError:
        pass
    assert all(FORMULA.fullmatch(f) for f in recorded), recorded
    assert not marker.exists()
