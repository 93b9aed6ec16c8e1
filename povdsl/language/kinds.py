"""The kinds of declaration: one registry entry per keyword that opens a declaration.

Each entry says, by name, what every stage does with that kind: which
checker methods read it (`declare` in the first pass, which puts names in
scope, `check` in the second, which checks uses of those names), which Plan
field receives the records, which `povdsl fmt` function prints it, and which
`povdsl diff` method compares two versions of it.  The checker, fmt and diff
loop over `KINDS` instead of listing the kinds themselves, so a new kind
(e.g. `figure`) is one entry here, its syntax node and grammar rule, and one
method or function in each of those three places; `tests/language/test_kinds.py`
checks that every entry's names resolve.

Names rather than functions keep this module free of imports from the later
stages (the checker imports the language package, not the other way round).
Order matters: the checker runs the first pass over every kind, then the
second, each in this order, so a kind is checked after the kinds whose names
it uses (lets after data, tables after models; macros are declared in the
first pass because lets and models use them).  `povdsl diff` reports in
this order too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from povdsl.language import syntax as s


@dataclass(frozen=True)
class DeclarationKind:
    keyword: str  # the word that opens the declaration: "table"
    node: type  # its syntax node: s.TableDecl
    namespace: str  # what a second declaration of the same name clashes with (E101): "variable" for let and terms
    declare: str | None  # checker method, first pass: list of declarations -> Plan records (or None)
    check: str | None  # checker method, second pass: list of declarations -> Plan records (or None)
    plan_field: str  # the Plan field that holds the records ("" when the kind leaves none)
    fmt: str  # povdsl.tools.fmt function: declaration -> (head line, body lines)
    diff: str  # povdsl.tools.diff Differ method: (old, new) -> changes


KINDS: tuple[DeclarationKind, ...] = (
    DeclarationKind("data", s.DataDecl, "data set", "_declare_data", None, "data", "_data", "_data"),
    DeclarationKind("weights", s.WeightsDecl, "weights", "_declare_weights", None, "weights", "_weights", "_weights"),
    DeclarationKind("let", s.LetDecl, "variable", None, "_check_lets", "lets", "_let", "_let"),
    DeclarationKind("terms", s.TermsDecl, "variable", "_declare_terms", "_check_terms", "macros", "_terms", "_terms"),
    DeclarationKind("model", s.ModelDecl, "model", None, "_check_models", "models", "_model", "_model"),
    DeclarationKind("table", s.TableDecl, "table", None, "_check_tables", "tables", "_table", "_table"),
    # "table" namespace: a figure writes <name>.tex beside the tables, so the two share names
    DeclarationKind("figure", s.FigureDecl, "table", None, "_check_figures", "figures", "_figure", "_figure"),
)

BY_KEYWORD: Mapping[str, DeclarationKind] = MappingProxyType({k.keyword: k for k in KINDS})
BY_NODE: Mapping[type, DeclarationKind] = MappingProxyType({k.node: k for k in KINDS})


def kind_of(declaration: object) -> DeclarationKind:
    """The registry entry of a declaration node."""
    return BY_NODE[type(declaration)]
