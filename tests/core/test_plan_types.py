"""The Plan is typed all the way down: later stages read fields, never re-read syntax behind an `object`."""

from __future__ import annotations

import dataclasses
import typing

from povdsl.check.plan import Plan


def _untyped(tp, where: str, seen: set, found: list[str]) -> None:
    if tp is object or tp is typing.Any:
        found.append(where)
        return
    for arg in typing.get_args(tp):
        _untyped(arg, where, seen, found)
    # povdsl's own records, apart from the syntax tree (which the plan keeps as expressions, by design)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp) and tp.__module__.startswith("povdsl.") and not tp.__module__.startswith("povdsl.language") and tp not in seen:
        seen.add(tp)
        for name, hint in typing.get_type_hints(tp).items():
            _untyped(hint, f"{tp.__name__}.{name}", seen, found)


def test_no_plan_field_is_typed_object_or_any():
    seen: set = set()
    found: list[str] = []
    _untyped(Plan, "Plan", seen, found)
    names = {t.__name__ for t in seen}
    assert {"Plan", "ModelPlan", "ModelTerms", "Term", "Factor", "DynamicPanelSpec", "GmmInstrument", "TableSpec", "FigureSpec"} <= names
    assert found == []


def test_the_walk_finds_an_object_field():
    """The check above can fail: a record with an `object` field is reported."""

    @dataclasses.dataclass(frozen=True)
    class Loose:
        value: object

    Loose.__module__ = "povdsl.check.example"
    found: list[str] = []
    _untyped(Loose, "Loose", set(), found)
    assert found == ["Loose.value"]
