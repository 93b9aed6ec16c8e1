"""`keep`, `drop`, `order`, `label`: exact names and globs, lag and factor-level terms, unmatched items located (issue 13.5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import povdsl
from povdsl.check.plan import TermSelector, glob_match
from povdsl.check.terms import lag_name
from povdsl.errors import SpecError


def _data(folder) -> None:
    rng = np.random.default_rng(7)
    rows = [(h, t) for h in range(40) for t in range(2001, 2006)]
    frame = pd.DataFrame(rows, columns=["h", "t"])
    frame["x"] = rng.normal(size=len(frame))
    frame["g"] = rng.integers(0, 3, len(frame))
    frame["y"] = 0.5 * frame["x"] + 0.2 * frame["g"] + rng.normal(size=len(frame))
    frame.to_csv(folder / "d.csv", index=False)
    (folder / ".povdsl-root").write_text("")


def _run(tmp_path, options: str):
    _data(tmp_path)
    spec = tmp_path / "s.pov"
    spec.write_text(
        'data d = "d.csv" panel(h, t)\n'
        "model m1: y ~ x + L(x, 1:2) + C(g) | ols\n"
        "model m2: y ~ x + C(t) | ols\n"
        f'table t1 "T" = m1, m2\n{options}',
        encoding="utf-8",
    )
    return spec, povdsl.run(spec, formats=("markdown",)).tables["t1"]["markdown"]


def _stub(markdown: str) -> list[str]:
    """The stub column's non-empty labels, header rows and notes left out."""
    lines = [line for line in markdown.splitlines() if line.startswith("|")][4:]
    return [cells.split("|")[1].strip() for cells in lines if cells.split("|")[1].strip()]


def test_names_are_what_the_models_report(tmp_path):
    _, table = _run(tmp_path, "")
    assert _stub(table)[:9] == ["x", "L1.x", "L2.x", "C(g)\\[T.1\\]", "C(g)\\[T.2\\]", "C(t)\\[T.2002\\]", "C(t)\\[T.2003\\]", "C(t)\\[T.2004\\]", "C(t)\\[T.2005\\]"]


def test_globs_keep_and_drop_factor_levels_and_lags(tmp_path):
    _, table = _run(tmp_path, '  drop "C(t)[*]", Intercept\n  keep x, "L*", "C(*"\n')
    assert _stub(table)[:5] == ["x", "L1.x", "L2.x", "C(g)\\[T.1\\]", "C(g)\\[T.2\\]"]
    assert "T.2002" not in table and "Constant" not in table


def test_lag_and_level_terms_can_be_labelled_dropped_and_ordered(tmp_path):
    options = (
        '  label L(x, 1) = "x, one year before"\n'
        '  label "C(g)[T.2]" = "group 2"\n'
        '  label "C(t)[*]" = "a year"\n'
        "  drop L(x, 2)\n"
        '  order "C(g)*", L(x, 1)\n'
    )
    _, table = _run(tmp_path, options)
    stub = _stub(table)
    assert stub[:4] == ["C(g)\\[T.1\\]", "group 2", "x, one year before", "x"]
    assert "L2.x" not in stub and stub.count("a year") == 4


@pytest.mark.parametrize(
    "option,text,hint",
    [
        ("keep xx", "keep term 'xx' matches no coefficient of m1, m2", "did you mean 'x'?"),
        ('drop "W(*)"', "drop pattern 'W(*)' matches no coefficient", "the coefficients are Intercept, x, L1.x"),
        ('label L(x, 3) = "x lag 3"', "label term 'L(x, 3)' matches no coefficient", "did you mean 'L"),
        ('order "year[*]"', "order pattern 'year[*]' matches no coefficient", "the coefficients are"),
    ],
)
def test_an_item_that_matches_nothing_is_a_located_error(tmp_path, option, text, hint):
    with pytest.raises(SpecError) as info:
        _run(tmp_path, f"  stat se\n  {option}\n")
    (d,) = info.value.diagnostics
    assert d.code == "E197" and text in d.message and d.hint.startswith(hint)
    assert (d.span.line, d.span.col) == (6, len(option.split()[0]) + 4)
    assert "6 |   " + option in str(info.value)  # the line and a caret, as every diagnostic


def test_globs_treat_brackets_and_regex_characters_literally():
    assert glob_match("year[*]", "year[T.2005]")
    assert not glob_match("year[*]", "year*")
    assert glob_match("a.b?", "a.bc") and not glob_match("a.b?", "axbc")
    assert glob_match("*", "") and glob_match("a*b*c", "abc") and glob_match("a*b*c", "aXbYbc") and not glob_match("a*b*c", "acb")
    assert glob_match("*ab", "abab") and not glob_match("ab*ab", "aba")
    assert TermSelector("keep", "W(*)", pattern="W(*)").matches("W(cluster, traveltime)")


def test_lag_names_agree_with_the_compiler(tmp_path):
    from povdsl.check.models import _coefficient_names
    from povdsl.language.parser import parse

    decl = parse("table t = m\n  keep L(n, 0:2)\n").declarations[0]
    assert _coefficient_names(decl.options[0].values[0]) == tuple(lag_name("n", k) for k in range(3))


def test_digits_fixed_significant_and_per_row(tmp_path):
    """`digits 3`, `digits 3 sig` and `digits x = 5` against the fitted numbers formatted here."""
    _, default = _run(tmp_path, "  stat se\n")
    result = povdsl.run(tmp_path / "s.pov").results["m1"]
    x, se = float(result.params["x"]), float(result.std_errors["x"])
    assert f"{x:.2f}" in default and f"({se:.2f})" in default  # the paper's rule: 2 decimals (more below 0.01)
    _, fixed = _run(tmp_path, "  stat se\n  digits 3\n")
    assert f"{x:.3f}" in fixed and f"({se:.3f})" in fixed
    _, sig = _run(tmp_path, "  stat se\n  digits 3 sig\n  digits x = 5\n")
    assert f"{x:.5f}" in sig  # the row's digits win
    lag = float(result.params["L1.x"])
    decimals = max(3 - 1 - int(np.floor(np.log10(abs(lag)))), 0)
    assert f"{abs(lag):.{decimals}f}" in sig


@pytest.mark.parametrize("option,message", [("digits 3.5", "whole number"), ("digits 99", "whole number"), ("digits 3 sf", "unknown digits style"), ("digits 0 sig", "significant figure")])
def test_bad_digits_are_located_errors(tmp_path, option, message):
    with pytest.raises(SpecError) as info:
        _run(tmp_path, f"  {option}\n")
    (d,) = info.value.diagnostics
    assert d.code == "E188" and message in d.message and d.span.line == 5


def test_glob_match_agrees_with_the_regex_it_replaced():
    """`*` any run, `?` one character, the rest literal: the same answers as the backtracking regex, on random short cases."""
    import random
    import re

    def regex(pattern: str, text: str) -> bool:
        return re.fullmatch("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), text, re.S) is not None

    rng = random.Random(0)
    for _ in range(20_000):
        pattern = "".join(rng.choice("ab*?[].\\") for _ in range(rng.randint(0, 8)))
        text = "".join(rng.choice("ab[].\\\n") for _ in range(rng.randint(0, 9)))
        assert glob_match(pattern, text) == regex(pattern, text), (pattern, text)
