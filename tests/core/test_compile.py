"""The compile stage hands formulaic generated names only, and its designs equal formulaic's on the original names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from formulaic import model_matrix

from povdsl.check.terms import Factor, Term
from povdsl.estimate.compile import _block, _Column
from povdsl.language import syntax as s


def _columns(frame: pd.DataFrame, kinds: dict[str, str] | None = None) -> dict[str, _Column]:
    kinds = kinds or {}
    out = {}
    for i, name in enumerate(frame.columns):
        kind = kinds.get(name, "column")
        text = f"C({name})" if kind == "factor" else name
        out[text] = _Column(f"_v{i}", Factor(kind, text, s.Name(name)), frame[name])  # type: ignore[arg-type]
    return out


def _terms(columns: dict[str, _Column], *spec: str) -> tuple[Term, ...]:
    return tuple(Term(tuple(columns[p].factor for p in term.split(":"))) for term in spec)


def test_plain_columns_equal_formulaic_with_missing_values():
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({"a": rng.normal(size=50), "b": rng.integers(0, 9, 50), "W(a, tt)": rng.normal(size=50)})
    frame.loc[[3, 17], "a"] = np.nan
    frame.loc[[5], "W(a, tt)"] = np.nan
    columns = _columns(frame)
    ours, formula, owners = _block(_terms(columns, "a", "b", "W(a, tt)"), columns, True, "design")
    assert formula == "1 + _v0 + _v1 + _v2"
    assert owners == [None, frozenset({"a"}), frozenset({"b"}), frozenset({"W(a, tt)"})]
    theirs = pd.DataFrame(model_matrix("1 + a + b + `W(a, tt)`", frame, na_action="drop", output="pandas"))
    # formulaic's values and names; as one float matrix (integer columns become floats, as every estimator reads them)
    pd.testing.assert_frame_equal(ours, theirs.astype(float), check_dtype=True)
    assert ours._mgr.nblocks == 1


@pytest.mark.parametrize(
    "terms,formulaic_text",
    [
        (("name",), "name"),
        (("flag",), "flag"),
        (("a", "name", "a:name"), "a*name"),
        (("name", "C(k)", "name:C(k)"), "name*C(k)"),
        (("a", "C(k)", "a:C(k)", "name:a"), "a*C(k) + name:a"),
    ],
)
def test_categorical_and_interaction_blocks_equal_formulaic(terms, formulaic_text):
    """Levels renamed l0, l1, ... on the way in and back on the way out: formulaic's own names and values."""
    frame = pd.DataFrame(
        {
            "a": [1.0, 2.0, 3.0, np.nan, 5.0, 6.0, 7.0, 8.0],
            "flag": [True, False, True, True, False, True, False, False],
            "name": ["x", "y:]z", "x", "w", "y:]z", "x", None, "w"],
            "k": [3, 1, 2, 3, 1, 2, 3, 1],
        }
    )
    columns = _columns(frame, {"k": "factor"})
    ours, formula, owners = _block(_terms(columns, *terms), columns, True, "design")
    assert all(part.startswith("_v") or part in ("1", "+") for part in formula.replace(":", " ").split())
    built = model_matrix("1 + " + formulaic_text, frame, na_action="drop", output="pandas")
    theirs = pd.DataFrame(built)
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=True)
    # each column's term, as formulaic's own term slices say on the user's names
    expected: list = [None] * theirs.shape[1]
    for term, where in built.model_spec.term_slices.items():
        factors = frozenset(str(f) for f in term.factors if str(f) != "1")
        expected[where] = [factors or None] * len(expected[where])
    assert owners == expected
