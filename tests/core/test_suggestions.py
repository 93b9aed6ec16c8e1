"""did-you-mean hints are bounded per check, and unchanged while the bound is not reached."""

from __future__ import annotations

import difflib

import pytest

from povdsl.check import check
from povdsl.diagnostics import did_you_mean, suggestion_budget
from povdsl.errors import SpecError
from povdsl.language.parser import parse

POOL = [f"income_{i}" for i in range(400)] + ["household", "education", "county"]


def _reference(word: str, pool: list[str]) -> str | None:
    match = difflib.get_close_matches(word, sorted(set(pool)), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None


def test_hints_within_the_budget_are_difflibs():
    """Under a budget, every hint is exactly difflib's closest match over the whole pool."""
    words = ["houshold", "educaton", "cunty", "income_3x", "zzz", "income_399"]
    with suggestion_budget(len(POOL) * len(words)):
        got = [did_you_mean(w, POOL) for w in words]
    assert got == [_reference(w, POOL) for w in words]
    assert got[0] == "did you mean 'household'?"


def test_a_spent_budget_stops_hints():
    """Once a pass has compared its budget of names, later hints are None (the caller's generic hint)."""
    with suggestion_budget(2 * len(POOL)):
        first = [did_you_mean("houshold", POOL) for _ in range(2)]
        third = did_you_mean("houshold", POOL)
        small = did_you_mean("houshold", ["household"])
    assert first == ["did you mean 'household'?"] * 2
    assert third is None and small is None
    assert did_you_mean("houshold", POOL) == "did you mean 'household'?"  # outside a pass: unbounded


def test_check_keeps_hints_on_a_normal_spec():
    """A spec with a few unknown names gets a hint for each, as before the bound."""
    spec = parse("let income = 1\nlet education = 2\nlet a = incme + educaton\n", "s.pov")
    with pytest.raises(SpecError) as info:
        check(spec)
    hints = [d.hint for d in info.value.diagnostics if d.code == "E110"]
    assert hints == ["did you mean 'income'?", "did you mean 'education'?"]
