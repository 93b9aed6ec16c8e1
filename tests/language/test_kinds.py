"""The declaration-kind registry (povdsl/language/kinds.py) is complete and every name in it resolves."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from povdsl.check.checker import _Checker
from povdsl.check.plan import Plan
from povdsl.language import syntax as s
from povdsl.language.kinds import BY_NODE, KINDS
from povdsl.tools import fmt
from povdsl.tools.diff.declarations import _Differ

GRAMMAR = Path(__file__).resolve().parents[2] / "povdsl" / "language" / "grammar.lark"


def test_every_declaration_node_and_grammar_rule_has_one_entry():
    assert set(typing.get_args(s.Declaration)) == set(BY_NODE)
    rules = re.search(r"\?declaration:(.*?)\n\n", GRAMMAR.read_text(), re.S).group(1)
    declared = {name.removesuffix("_decl") for name in re.findall(r"(\w+)_decl", rules)}
    assert declared == {k.keyword for k in KINDS}
    assert len({k.keyword for k in KINDS}) == len(KINDS)


def test_every_entry_names_a_checker_method_a_fmt_function_a_diff_method_and_a_plan_field():
    plan_fields = set(Plan.__dataclass_fields__)
    for kind in KINDS:
        assert kind.declare or kind.check, kind.keyword
        for method in (kind.declare, kind.check):
            assert method is None or callable(getattr(_Checker, method)), (kind.keyword, method)
        assert callable(getattr(fmt, kind.fmt)), kind.keyword
        assert callable(getattr(_Differ, kind.diff)), kind.keyword
        assert kind.plan_field in plan_fields, kind.keyword
    # every Plan field but the path is some kind's
    assert plan_fields - {"path"} == {k.plan_field for k in KINDS}


def test_fmt_prints_each_kind_through_its_entry():
    text = (
        'data d = "d.csv" panel(h, t)\n\nweights w = inverse("w.csv", o, d, m)\n\nlet z = x + 1\n\n'
        "terms c = x + z\n\nmodel m: y ~ c | ols\n\ntable t = m\n  stat se\n"
    )
    assert fmt.format_text(text) == text
