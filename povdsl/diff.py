"""`povdsl diff`: what changed in the MEANING of a spec, for code review.

Design
------
The diff works on syntax trees only: no data file is read, so it runs in a
pull-request check without the (often confidential) data.

1. Both sides are parsed. Declarations are matched by (kind, name), where
   kind is data, weights, let, terms, model or table. Layout, comments and
   declaration order never reach the comparison: spans are excluded from
   node equality, comments are ignored and matching is by name.
2. Renames. A declaration removed and one of the same kind added whose
   bodies mean the same are a rename. "Body" excludes the name and the
   label/title (a renamed model usually gets a new label too; that is then
   reported as a label change on the renamed model rather than hiding the
   rename). The old side is then rewritten with the new names everywhere
   (references in formulas, W(), clusters(), table model lists), so a pure
   rename reports one change and nothing else. Data and weights
   declarations are not rewritten: their names are file columns, and a
   column may share its name with a renamed macro. A name declared twice
   is the checker's to report; the diff uses the first declaration.
3. Expressions are compared in a normal form: parentheses dropped (the tree
   already holds the grouping), numbers by value (0.10 == 0.1), call
   keywords sorted by name; then printed with `printer.expr_text`.
4. Right-hand sides are compared as SETS of terms after expanding `terms`
   macros, the way formulaic reads them: `a*b` is a + b + a:b, `a/b` is
   a + a:b, `(a+b)**2` all pairwise interactions, `-` removes terms, `0` and
   `-1` remove the intercept (shown as the term `1`). A term is a set of
   factors, so `a:b` equals `b:a`; its text sorts the factors.
5. Macro attribution. Each expanded term remembers the chain of macros it
   came through. A term added to (removed from) a model is "explained" when
   some macro on its chain itself added (removed) that term; it is then
   reported once, at the macro, with `models_reached` listing every model
   it reached. Otherwise it is reported at the model, with `via_macro`
   naming the outermost macro it came through (None: written directly).
   So models_reached of a macro change lists models whose term set really
   changed, not models that merely mention the macro.
6. Lets, weights and data sets report the models they reach by name
   dependency (outcome, terms, where, estimator, vcov, through other lets
   and macros), in either version. A panel(...) or key(...) data set
   supplies columns that a syntax tree cannot trace, so its changes reach
   every model.
7. Defaults are meaning: an absent `stat` equals `stat t`; an absent model
   label equals the model's name; `keep`/`drop` are sets, `order` and `fit`
   sequences; two-way cluster groups are a set.
8. `--results` (needs data) fits both versions and lists coefficients that
   moved beyond a relative tolerance or changed stars. Fits are cached by
   what determines their numbers (see the results section below), so a
   model unchanged in meaning is fitted once, not twice.

Change records are frozen (like sqlglot's edit records) and flat (like
hcl2's DiffEntry): declaration, name, kind, detail, old, new, via_macro,
models_reached. `CHANGE_KINDS` lists every kind. Text output groups them by
declaration; JSON output is documented in docs/review.md (schema_version 1).

Exit codes follow diff(1): 0 no semantic change, 1 changes, 2 trouble.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path

from povdsl import syntax as s
from povdsl.errors import PovdslError, SpecError
from povdsl.parse import parse
from povdsl.printer import expr_text, string_literal

SCHEMA_VERSION = 1
EXIT_SAME, EXIT_CHANGED, EXIT_TROUBLE = 0, 1, 2

DECLARATION_KINDS = ("data", "weights", "let", "terms", "model", "table")
CHANGE_KINDS = (
    # any declaration
    "added",
    "removed",
    "renamed",
    # data
    "source changed",
    # data, weights, table
    "option added",
    "option removed",
    "option changed",
    # weights
    "builder changed",
    # let
    "definition changed",
    # terms and model
    "term added",
    "term removed",
    # model
    "label changed",
    "sweep changed",
    "outcome changed",
    "estimator changed",
    "estimator option added",
    "estimator option removed",
    "estimator option changed",
    "where changed",
    "vcov changed",
    # table
    "title changed",
    "model added",
    "model removed",
    "models reordered",
    "label added",
    "label removed",
    "note added",
    "note removed",
)

_KIND_OF = {
    s.DataDecl: "data",
    s.WeightsDecl: "weights",
    s.LetDecl: "let",
    s.TermsDecl: "terms",
    s.ModelDecl: "model",
    s.TableDecl: "table",
}
_WEIGHTS_ARGUMENTS = ("file", "origin", "destination", "value")
_TABLE_DEFAULTS = {
    "stat": "t",
    "stars": "0.1 0.05 0.01",
    "keep": "(all)",
    "drop": "(none)",
    "order": "(none)",
    "fit": "(none)",
    "significant": "off",
    "layout": "models",
}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference in meaning; flat so that text, JSON and tests read it alike."""

    declaration: str  # data | weights | let | terms | model | table
    name: str  # the declaration's name in the new spec (old spec when removed)
    kind: str  # one of CHANGE_KINDS
    detail: str | None = None  # which option, argument, label target, ...
    old: str | None = None  # canonical text before, None when absent
    new: str | None = None  # canonical text after, None when absent
    via_macro: str | None = None  # term changes: the macro the term came through
    models_reached: tuple[str, ...] = ()  # models this change affects

    def as_json(self) -> dict:
        return {
            "declaration": self.declaration,
            "name": self.name,
            "kind": self.kind,
            "detail": self.detail,
            "old": self.old,
            "new": self.new,
            "via_macro": self.via_macro,
            "models_reached": list(self.models_reached),
        }


# ------------------------------------------------------------ normal form


def _number_text(value: float) -> str:
    """One spelling per value: 0.10 and 0.1 both print as 0.1, 2.0 as 2."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _normal(e):
    """Expression in normal form: no parentheses, numbers by value, keywords sorted."""
    match e:
        case s.Paren(inner=inner):
            return _normal(inner)
        case s.Number():
            return s.Number(_number_text(e.value))
        case s.Keyword(name=name, value=value):
            return s.Keyword(name, _normal(value))
        case s.Call(func=func, args=args):
            positional = [_normal(a) for a in args if not isinstance(a, s.Keyword)]
            keywords = sorted((_normal(a) for a in args if isinstance(a, s.Keyword)), key=lambda k: k.name)
            return s.Call(func, tuple(positional + keywords))
        case s.BinOp(op=op, left=left, right=right):
            return s.BinOp(op, _normal(left), _normal(right))
        case s.Compare(op=op, left=left, right=right):
            return s.Compare(op, _normal(left), _normal(right))
        case s.BoolOp(op=op, left=left, right=right):
            return s.BoolOp(op, _normal(left), _normal(right))
        case s.Negate(operand=operand):
            return s.Negate(_normal(operand))
        case s.Not(operand=operand):
            return s.Not(_normal(operand))
    return e


def _text(e) -> str | None:
    return None if e is None else expr_text(_normal(e))


# ---------------------------------------------------------------- formulas

_INTERCEPT = frozenset()
_NO_INTERCEPT = frozenset({"0"})  # marker; no factor can be named "0"


def _term_text(term: frozenset) -> str:
    return "1" if term == _INTERCEPT else ":".join(sorted(term))


def _expand(e, macros: dict, chain: tuple[str, ...] = ()) -> dict:
    """Formula side -> {term (frozenset of factor texts): chain of macros it came through}."""
    match e:
        case s.Paren(inner=inner):
            return _expand(inner, macros, chain)
        case s.BinOp(op="+", left=a, right=b):
            return _union(_expand(a, macros, chain), _expand(b, macros, chain))
        case s.BinOp(op="-", left=a, right=b):
            right = _expand(b, macros, chain)
            out = {t: c for t, c in _expand(a, macros, chain).items() if t not in right}
            if _INTERCEPT in right:
                out[_NO_INTERCEPT] = chain
            return out
        case s.BinOp(op=":", left=a, right=b):
            return _product(_expand(a, macros, chain), _expand(b, macros, chain))
        case s.BinOp(op="*", left=a, right=b):
            left, right = _expand(a, macros, chain), _expand(b, macros, chain)
            return _union(left, right, _product(left, right))
        case s.BinOp(op="/", left=a, right=b):
            left, right = _expand(a, macros, chain), _expand(b, macros, chain)
            nest = {frozenset().union(*_factors(left)): chain}
            return _union(left, _product(nest, right))
        case s.BinOp(op="**", left=a, right=s.Number() as power) if power.value.is_integer() and power.value >= 1:
            base = _expand(a, macros, chain)
            out = dict(base)
            for _ in range(int(power.value) - 1):
                out = _union(out, _product(out, base))
            return out
        case s.Number(text=t) if float(t) in (0.0, 1.0):
            return {_INTERCEPT if float(t) == 1.0 else _NO_INTERCEPT: chain}
        case s.Name(id=name) if name in macros and name not in chain:
            return _expand(macros[name], macros, chain + (name,))
    return {frozenset({_text(e)}): chain}


def _factors(terms: dict) -> list[frozenset]:
    return [t for t in terms if t not in (_INTERCEPT, _NO_INTERCEPT)] or [_INTERCEPT]


def _union(*parts: dict) -> dict:
    out: dict = {}
    for part in parts:
        for term, chain in part.items():
            out.setdefault(term, chain)
    return out


def _product(left: dict, right: dict) -> dict:
    out: dict = {}
    for lt, lc in left.items():
        if lt == _NO_INTERCEPT:
            continue
        for rt, rc in right.items():
            if rt != _NO_INTERCEPT:
                out.setdefault(lt | rt, lc or rc)
    return out


def _term_set(e, macros: dict, with_intercept: bool) -> dict:
    """Expanded terms as {text: chain}; with_intercept adds the model's implicit `1`."""
    raw = _expand(e, macros)
    intercept = _NO_INTERCEPT not in raw and (with_intercept or _INTERCEPT in raw)
    out = {_term_text(t): c for t, c in raw.items() if t not in (_INTERCEPT, _NO_INTERCEPT)}
    if intercept:
        out = {"1": raw.get(_INTERCEPT, ())} | out
    return out


def _target_text(e) -> str:
    """A table's term reference (label, keep, ...) in term form, so a:b == b:a."""
    terms = [t for t in _expand(e, {}) if t not in (_INTERCEPT, _NO_INTERCEPT)]
    return _term_text(terms[0]) if len(terms) == 1 else _text(e)


# -------------------------------------------------------------- the sides


class _Side:
    """One version of the spec, indexed for comparison."""

    def __init__(self, spec: s.Spec):
        self.spec = spec
        self.decls: dict[tuple[str, str], s.Declaration] = {}
        for d in spec.declarations:
            self.decls.setdefault((_KIND_OF[type(d)], d.name), d)  # a duplicate is the checker's to report
        self.macros = {name: d.value for (kind, name), d in self.decls.items() if kind == "terms"}
        self._terms: dict[str, dict] = {}

    def of_kind(self, kind: str) -> list[str]:
        return [name for (k, name) in self.decls if k == kind]

    def model_terms(self, name: str) -> dict:
        if name not in self._terms:
            self._terms[name] = _term_set(self.decls[("model", name)].rhs, self.macros, with_intercept=True)
        return self._terms[name]

    def macro_terms(self, name: str) -> dict:
        body = self.macros[name]
        return _expand_named(body, self.macros, name)

    def body(self, kind: str, name: str):
        """What a declaration means apart from its name and label: the rename key."""
        d = self.decls[(kind, name)]
        match d:
            case s.DataDecl():
                return (_text(d.source), tuple(sorted(_text(o) for o in d.options)))
            case s.WeightsDecl():
                return _text(d.builder)
            case s.LetDecl():
                return _text(d.value)
            case s.TermsDecl():
                return frozenset(_term_set(d.value, self.macros, with_intercept=False))
            case s.ModelDecl():
                return (
                    _sweep_text(d.sweep),
                    _text(d.lhs),
                    frozenset(self.model_terms(name)),
                    _estimator_text(d.estimator),
                    _text(d.where.condition) if d.where else None,
                    _vcov_text(d.vcov),
                )
            case s.TableDecl():
                return (tuple(m.id for m in d.models), _table_view(d))

    def dependencies(self) -> dict[str, set[str]]:
        """Model name -> every name it reaches through lets, macros, weights and data."""
        direct = {
            name: {n.id for n in _names(d)} for (kind, name), d in self.decls.items() if kind in ("data", "weights", "let", "terms")
        }
        reach: dict[str, set[str]] = {}
        for name in self.of_kind("model"):
            seen: set[str] = set()
            todo = [n.id for n in _names(self.decls[("model", name)])]
            while todo:
                n = todo.pop()
                if n not in seen:
                    seen.add(n)
                    todo.extend(direct.get(n, ()))
            reach[name] = seen
        return reach


def _expand_named(body, macros, name) -> dict:
    """A macro's own terms, with chains relative to the macro (its own name left out)."""
    raw = _expand(body, macros, (name,))
    return {_term_text(t): c[1:] for t, c in raw.items() if t not in (_INTERCEPT, _NO_INTERCEPT)}


def _names(node):
    """Every Name below node, spans and comments aside."""
    if isinstance(node, s.Name):
        yield node
    elif isinstance(node, tuple):
        for item in node:
            yield from _names(item)
    elif is_dataclass(node) and not isinstance(node, type):
        for f in fields(node):
            if f.compare and f.name != "comments":
                yield from _names(getattr(node, f.name))


def _rename(node, mapping: dict[str, str]):
    """Rewrite every Name through mapping, so the old side speaks the new names."""
    if isinstance(node, s.Name):
        return s.Name(mapping.get(node.id, node.id), span=node.span)
    if isinstance(node, tuple):
        return tuple(_rename(item, mapping) for item in node)
    if is_dataclass(node) and not isinstance(node, type):
        changes = {f.name: _rename(getattr(node, f.name), mapping) for f in fields(node) if f.compare and f.init}
        return replace(node, **changes)
    return node


def _estimator_text(e: s.Estimator) -> str:
    if not e.args:
        return e.name
    return _text(s.Call(e.name, e.args))


def _vcov_text(v: s.VcovClause | None) -> str | None:
    if v is None:
        return None
    groups = sorted(g.id for g in v.groups)
    return f"{v.kind}({', '.join(groups)})" if groups else v.kind


def _sweep_text(sweep: s.Sweep | None) -> str | None:
    return None if sweep is None else f"for {sweep.var} in {_text(sweep.over)}"


def _table_view(t: s.TableDecl) -> tuple:
    """A table's options with defaults filled in: (options, labels, notes)."""
    options = dict(_TABLE_DEFAULTS)
    lists: dict[str, list[str]] = {"keep": [], "drop": [], "order": [], "fit": []}
    labels: dict[str, str] = {}
    notes: list[str] = []
    for o in t.options:
        if o.kind == "label":
            labels[_target_text(o.target)] = string_literal(o.values[0].value)
        elif o.kind in ("stat", "layout"):
            options[o.kind] = _text(o.values[0])
        elif o.kind == "stars":
            options["stars"] = " ".join(_text(v) for v in o.values)
        elif o.kind in lists:
            lists[o.kind].extend(_target_text(v) if o.kind != "fit" else _text(v) for v in o.values)
        elif o.kind == "note":
            notes.append(string_literal(o.values[0].value))
        elif o.kind == "significant":
            options["significant"] = "on"
    for kind, items in lists.items():
        if items:
            if kind in ("keep", "drop"):
                items = sorted(set(items))
            options[kind] = ", ".join(items)
    return tuple(options.items()), tuple(sorted(labels.items())), tuple(notes)


def _summary(d: s.Declaration) -> str:
    """One line saying what an added or removed declaration is."""
    match d:
        case s.DataDecl():
            return " ".join([_text(d.source)] + [_text(o) for o in d.options])
        case s.WeightsDecl():
            return _text(d.builder)
        case s.LetDecl() | s.TermsDecl():
            return _text(d.value)
        case s.ModelDecl():
            return f"{_text(d.lhs)} ~ {_text(d.rhs)} | {_estimator_text(d.estimator)}"
        case s.TableDecl():
            return ", ".join(m.id for m in d.models)
    raise TypeError(d)


# ------------------------------------------------------------------ diffing


def diff_specs(old: s.Spec, new: s.Spec) -> tuple[Change, ...]:
    """Every difference in meaning between two parsed specs, grouped by declaration."""
    return _Differ(old, new).run()


class _Differ:
    def __init__(self, old: s.Spec, new: s.Spec):
        self.original_old = _Side(old)
        self.new = _Side(new)
        self.renames: dict[tuple[str, str], str] = self._find_renames()
        self.old = _Side(self._renamed(old))

    # renames

    def _find_renames(self) -> dict[tuple[str, str], str]:
        old, new = self.original_old, self.new
        found: dict[tuple[str, str], str] = {}
        for kind in DECLARATION_KINDS:
            gone = [n for n in old.of_kind(kind) if (kind, n) not in new.decls]
            came = [n for n in new.of_kind(kind) if (kind, n) not in old.decls]
            for name in came:
                body = new.body(kind, name)
                match = next((g for g in gone if old.body(kind, g) == body), None)
                if match is not None:
                    gone.remove(match)
                    found[(kind, match)] = name
        return found

    def _renamed(self, spec: s.Spec) -> s.Spec:
        if not self.renames:
            return spec
        models = {old: new for (kind, old), new in self.renames.items() if kind == "model"}
        others = {old: new for (kind, old), new in self.renames.items() if kind != "model"}
        decls = []
        for d in spec.declarations:
            name = self.renames.get((_KIND_OF[type(d)], d.name), d.name)
            if isinstance(d, s.TableDecl):
                d = replace(_rename(replace(d, models=()), others), models=_rename(d.models, models))
            elif not isinstance(d, (s.DataDecl, s.WeightsDecl)):  # those name file columns only
                d = _rename(d, others)
            decls.append(replace(d, name=name))
        return replace(spec, declarations=tuple(decls))

    # driver

    def run(self) -> tuple[Change, ...]:
        self.model_term_changes = self._model_term_changes()
        self.macro_reports: dict[str, list] = {}
        out: list[Change] = []
        for kind in DECLARATION_KINDS:
            for name in self.new.of_kind(kind):
                if (kind, name) in self.old.decls:
                    old_name = next((o for (k, o), n in self.renames.items() if k == kind and n == name), None)
                    if old_name is not None:
                        out.append(Change(kind, name, "renamed", old=old_name, new=name))
                    out.extend(getattr(self, f"_{kind}")(self.old.decls[(kind, name)], self.new.decls[(kind, name)]))
                else:
                    out.append(Change(kind, name, "added", new=_summary(self.new.decls[(kind, name)])))
            for name in self.old.of_kind(kind):
                if (kind, name) not in self.new.decls:
                    out.append(Change(kind, name, "removed", old=_summary(self.old.decls[(kind, name)])))
        return tuple(out)

    def _common_models(self) -> list[str]:
        return [m for m in self.new.of_kind("model") if ("model", m) in self.old.decls]

    def _reached_by_name(self, name: str, everything: bool = False) -> tuple[str, ...]:
        if everything:
            return tuple(self._common_models())
        if not hasattr(self, "_dependencies"):
            self._dependencies = (self.old.dependencies(), self.new.dependencies())
        old, new = self._dependencies
        return tuple(m for m in self._common_models() if name in old.get(m, ()) or name in new.get(m, ()))

    # terms: attribution of term changes to macros

    def _term_diff(self, old_terms: dict, new_terms: dict) -> list[tuple[str, str, tuple]]:
        added = [("term added", t, c) for t, c in new_terms.items() if t not in old_terms]
        removed = [("term removed", t, c) for t, c in old_terms.items() if t not in new_terms]
        return added + removed

    def _macro_reported(self, name: str) -> list[tuple[str, str, tuple]]:
        """Term changes a macro reports itself: those no inner macro explains."""
        if name not in self.macro_reports:
            self.macro_reports[name] = []  # guards a cycle; the checker reports it
            if name in self.old.macros and name in self.new.macros:
                changes = self._term_diff(self.old.macro_terms(name), self.new.macro_terms(name))
                self.macro_reports[name] = [c for c in changes if self._explained_by(c) is None]
        return self.macro_reports[name]

    def _explained_by(self, change) -> str | None:
        kind, term, chain = change
        for macro in reversed(chain):
            if any(k == kind and t == term for k, t, _ in self._macro_reported(macro)):
                return macro
        return None

    def _model_term_changes(self) -> dict[str, list]:
        return {m: self._term_diff(self.old.model_terms(m), self.new.model_terms(m)) for m in self._common_models()}

    def _terms(self, old: s.TermsDecl, new: s.TermsDecl) -> list[Change]:
        out = []
        for kind, term, chain in self._macro_reported(new.name):
            reached = tuple(
                m for m, changes in self.model_term_changes.items() if any(k == kind and t == term and self._explained_by((k, t, c)) == new.name for k, t, c in changes)
            )
            value = {"old": term} if kind == "term removed" else {"new": term}
            out.append(Change("terms", new.name, kind, via_macro=chain[0] if chain else None, models_reached=reached, **value))
        return out

    # models

    def _model(self, old: s.ModelDecl, new: s.ModelDecl) -> list[Change]:
        out = []
        name = new.name
        if (old.label or old.name) != (new.label or new.name):
            out.append(Change("model", name, "label changed", old=string_literal(old.label or old.name), new=string_literal(new.label or new.name)))
        if _sweep_text(old.sweep) != _sweep_text(new.sweep):
            out.append(Change("model", name, "sweep changed", old=_sweep_text(old.sweep), new=_sweep_text(new.sweep)))
        if _text(old.lhs) != _text(new.lhs):
            out.append(Change("model", name, "outcome changed", old=_text(old.lhs), new=_text(new.lhs)))
        for kind, term, chain in self.model_term_changes[name]:
            if self._explained_by((kind, term, chain)) is None:
                value = {"old": term} if kind == "term removed" else {"new": term}
                out.append(Change("model", name, kind, via_macro=chain[0] if chain else None, **value))
        out.extend(self._estimator(name, old.estimator, new.estimator))
        old_where = _text(old.where.condition) if old.where else None
        new_where = _text(new.where.condition) if new.where else None
        if old_where != new_where:
            out.append(Change("model", name, "where changed", old=old_where, new=new_where))
        if _vcov_text(old.vcov) != _vcov_text(new.vcov):
            out.append(Change("model", name, "vcov changed", old=_vcov_text(old.vcov), new=_vcov_text(new.vcov)))
        return out

    def _estimator(self, model: str, old: s.Estimator, new: s.Estimator) -> list[Change]:
        if old.name != new.name:
            return [Change("model", model, "estimator changed", old=_estimator_text(old), new=_estimator_text(new))]
        return [
            Change("model", model, f"estimator {kind}", detail=detail, old=before, new=after)
            for kind, detail, before, after in _argument_changes(old.args, new.args)
        ]

    # lets, weights, data

    def _let(self, old: s.LetDecl, new: s.LetDecl) -> list[Change]:
        if _text(old.value) == _text(new.value):
            return []
        return [Change("let", new.name, "definition changed", old=_text(old.value), new=_text(new.value), models_reached=self._reached_by_name(new.name))]

    def _weights(self, old: s.WeightsDecl, new: s.WeightsDecl) -> list[Change]:
        reached = self._reached_by_name(new.name)
        if old.builder.func != new.builder.func:
            return [Change("weights", new.name, "builder changed", old=_text(old.builder), new=_text(new.builder), models_reached=reached)]
        return [
            Change("weights", new.name, kind, detail=detail, old=before, new=after, models_reached=reached)
            for kind, detail, before, after in _argument_changes(old.builder.args, new.builder.args, _WEIGHTS_ARGUMENTS)
        ]

    def _data(self, old: s.DataDecl, new: s.DataDecl) -> list[Change]:
        supplies_columns = any(o.func in ("panel", "key") for o in (*old.options, *new.options))
        reached = self._reached_by_name(new.name, everything=supplies_columns)
        out = []
        if _text(old.source) != _text(new.source):
            out.append(Change("data", new.name, "source changed", old=_text(old.source), new=_text(new.source), models_reached=reached))
        before = {o.func: _text(o) for o in old.options}
        after = {o.func: _text(o) for o in new.options}
        for kind, detail, b, a in _mapping_changes(before, after):
            out.append(Change("data", new.name, kind, detail=detail, old=b, new=a, models_reached=reached))
        return out

    # tables

    def _table(self, old: s.TableDecl, new: s.TableDecl) -> list[Change]:
        name = new.name
        out = []
        if (old.title or old.name) != (new.title or new.name):
            out.append(Change("table", name, "title changed", old=string_literal(old.title or old.name), new=string_literal(new.title or new.name)))
        before, after = [m.id for m in old.models], [m.id for m in new.models]
        out += [Change("table", name, "model added", new=m) for m in after if m not in before]
        out += [Change("table", name, "model removed", old=m) for m in before if m not in after]
        if [m for m in before if m in after] != [m for m in after if m in before]:
            out.append(Change("table", name, "models reordered", old=", ".join(before), new=", ".join(after)))
        (old_options, old_labels, old_notes), (new_options, new_labels, new_notes) = _table_view(old), _table_view(new)
        for (option, b), (_, a) in zip(old_options, new_options):
            if a != b:
                out.append(Change("table", name, "option changed", detail=option, old=b, new=a))
        for kind, target, b, a in _mapping_changes(dict(old_labels), dict(new_labels)):
            out.append(Change("table", name, kind.replace("option", "label"), detail=target, old=b, new=a))
        out += [Change("table", name, "note added", new=n) for n in new_notes if n not in old_notes]
        out += [Change("table", name, "note removed", old=n) for n in old_notes if n not in new_notes]
        return out


def _argument_changes(old_args, new_args, positional_names: tuple[str, ...] = ()) -> list:
    """Arguments compared one by one: positional by position, keywords by name."""
    return _mapping_changes(_argument_map(old_args, positional_names), _argument_map(new_args, positional_names))


def _argument_map(args, positional_names) -> dict[str, str]:
    out: dict[str, str] = {}
    for position, a in enumerate(a for a in args if not isinstance(a, s.Keyword)):
        label = positional_names[position] if position < len(positional_names) else f"argument {position + 1}"
        out[label] = _text(a)
    for a in sorted((a for a in args if isinstance(a, s.Keyword)), key=lambda k: k.name):
        out[a.name] = _text(a.value)
    return out


def _mapping_changes(before: dict, after: dict) -> list[tuple[str, str, str | None, str | None]]:
    """(kind, key, old, new) for keys added, removed or changed; new keys in their order."""
    out = []
    for key, value in after.items():
        if key not in before:
            out.append(("option added", key, None, value))
        elif before[key] != value:
            out.append(("option changed", key, before[key], value))
    out += [("option removed", key, value, None) for key, value in before.items() if key not in after]
    return out


# ------------------------------------------------------------------ output


_COLOURS = {"added": "32", "removed": "31", "header": "1"}


def format_text(changes: tuple[Change, ...], colour: bool = False) -> str:
    """Changes grouped under a `kind name` header per declaration."""
    if not changes:
        return "no semantic change\n"

    def paint(text: str, what: str) -> str:
        return f"\x1b[{_COLOURS[what]}m{text}\x1b[0m" if colour and what in _COLOURS else text

    lines: list[str] = []
    header = None
    for c in changes:
        if (c.declaration, c.name) != header:
            header = (c.declaration, c.name)
            lines.append(paint(f"{c.declaration} {c.name}", "header"))
        line = c.kind
        if c.detail is not None:
            line += f": {c.detail}"
        if c.kind.endswith("changed"):
            absent = "(default)" if c.kind == "vcov changed" else "(none)"
            line += f": {absent if c.old is None else c.old} -> {absent if c.new is None else c.new}"
        elif c.old is not None and c.new is not None:
            line += f": {c.old} -> {c.new}"
        elif c.old is not None or c.new is not None:
            line += f": {c.new if c.old is None else c.old}"
        if c.kind in ("term added", "term removed"):
            if c.via_macro is not None:
                line += f" (through terms {c.via_macro})"
            elif c.declaration == "model":
                line += " (directly)"
        if c.models_reached:
            line += f" [reaches {', '.join(c.models_reached)}]"
        tone = "added" if c.kind.endswith("added") else "removed" if c.kind.endswith("removed") else ""
        lines.append("  " + paint(line, tone))
    return "\n".join(lines) + "\n"


def format_json(files: list[tuple[str, str, tuple[Change, ...]]], reports: list | None = None) -> str:
    """The documented JSON shape (docs/review.md): schema_version and one entry per file pair.

    With reports (--results), each entry also has a "results" object.
    """
    entries = [{"old": old, "new": new, "changes": [c.as_json() for c in changes]} for old, new, changes in files]
    for entry, report in zip(entries, reports or ()):
        entry["results"] = report.as_json()
    payload = {"schema_version": SCHEMA_VERSION, "files": entries}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _use_colour(stream) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")  # no-color.org: set and non-empty


# ----------------------------------------------------------------- results
#
# `--results`: with the data at hand, fit both versions and report estimates
# that moved. A fit is keyed by what determines its numbers: the model plan
# without name, label and spans, the lets it reads (transitively), the plans
# of weights and data sets, and the sha256 of every data and weights file.
# A model whose key is the same on both sides is fitted once; the cache
# lives for one run.

STAR_LEVELS = (0.10, 0.05, 0.01)  # the tables' default stars


@dataclass(frozen=True, slots=True)
class MovedEstimate:
    """One coefficient whose value or significance differs between the versions."""

    model: str
    term: str
    old_coef: float | None
    new_coef: float | None
    old_p: float | None
    new_p: float | None

    def as_json(self) -> dict:
        return {
            "model": self.model,
            "term": self.term,
            "old_coef": _finite(self.old_coef),
            "new_coef": _finite(self.new_coef),
            "old_p": _finite(self.old_p),
            "new_p": _finite(self.new_p),
            "old_stars": _stars(self.old_p),
            "new_stars": _stars(self.new_p),
        }


@dataclass(frozen=True, slots=True)
class ResultsReport:
    moved: tuple[MovedEstimate, ...]
    unchanged: tuple[str, ...]  # models fitted on both sides whose numbers did not move
    failed: tuple[tuple[str, str], ...]  # (model, message): a side that could not be fitted
    fits: int  # fits actually run (cache misses), so reuse can be checked

    def as_json(self) -> dict:
        return {
            "moved": [m.as_json() for m in self.moved],
            "unchanged_models": list(self.unchanged),
            "failed": [{"model": m, "error": e} for m, e in self.failed],
        }


def _finite(x: float | None) -> float | None:
    """JSON has no NaN: a coefficient the backend could not estimate is null."""
    return None if x is None or x != x else x


def _stars(p: float | None) -> str:
    return "" if p is None else "*" * sum(p < level for level in STAR_LEVELS)


def _estimate_text(coef: float | None, p: float | None) -> str:
    return "(absent)" if coef is None else f"{coef:.4f}{_stars(p)}"


def compare_results(
    old_text: str | None, old_path: str, new_text: str | None, new_path: str, rtol: float = 1e-6, renames: dict[str, str] | None = None
) -> ResultsReport:
    """Fit the models present on both sides and list the estimates that moved.

    Each version resolves its data paths against its *_path; `--git` passes
    the working-tree file for both, so it compares specs on today's data.
    """
    from povdsl.check import Environment, check

    renames = renames or {}
    plans = []
    for text, path in ((old_text, old_path), (new_text, new_path)):
        spec = parse(text or "", path)
        plans.append(check(spec, Environment(spec_path=Path(path)), source_text=text))
    old_plan, new_plan = plans
    cache: dict[str, object] = {}
    frames: dict[int, object] = {}
    fits = 0

    def fitted(plan, side: int, model):
        nonlocal fits
        key = _fit_key(plan, model)
        if key not in cache:
            from povdsl.data import load
            from povdsl.errors import EstimationError
            from povdsl.fit import fit_model

            try:
                if side not in frames:
                    frames[side] = load(plan)
                fits += 1
                cache[key] = fit_model(model, frames[side])
            except (EstimationError, PovdslError) as exc:
                cache[key] = exc
        return cache[key]

    moved, unchanged, failed = [], [], []
    new_models = {m.name: m for m in new_plan.models}
    for old_model in old_plan.models:
        name = renames.get(old_model.name, old_model.name)
        if name not in new_models:
            continue
        before, after = fitted(old_plan, 0, old_model), fitted(new_plan, 1, new_models[name])
        problems = [str(r).splitlines()[0] for r in (before, after) if isinstance(r, Exception)]
        if problems:
            failed.append((name, problems[0]))
            continue
        rows = _moved(name, before, after, rtol)
        moved.extend(rows)
        if not rows:
            unchanged.append(name)
    return ResultsReport(tuple(moved), tuple(unchanged), tuple(failed), fits)


def _fit_key(plan, model) -> str:
    """What a fit's numbers depend on, as text; names, labels and spans left out."""
    import hashlib

    def bare(x):
        return replace(x, span=None) if is_dataclass(x) and hasattr(x, "span") else x

    digests = []
    for path in sorted({d.path for d in plan.data} | {w.path for w in plan.weights}):
        try:
            digests.append(hashlib.sha256(Path(path).read_bytes()).hexdigest())
        except OSError:
            digests.append(f"unreadable:{path}")
    parts = (
        repr(replace(model, name="", label="", span=None)),
        repr(tuple(bare(x) for x in plan.data)),
        repr(tuple(bare(x) for x in plan.weights)),
        repr(tuple(bare(x) for x in _lets_read_by(plan, model))),
        repr(digests),
    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _lets_read_by(plan, model) -> list:
    """The lets a model reads, directly or through other lets: a change elsewhere cannot move it."""
    lets = {let.name: let for let in plan.lets}
    wanted = {n.id for n in _names(model) if n.id in lets}
    todo = list(wanted)
    while todo:
        for n in _names(lets[todo.pop()].expr):
            if n.id in lets and n.id not in wanted:
                wanted.add(n.id)
                todo.append(n.id)
    return [let for let in plan.lets if let.name in wanted]


def _moved(model: str, before, after, rtol: float) -> list[MovedEstimate]:
    import math

    out = []
    terms = list(before.params.index) + [t for t in after.params.index if t not in before.params.index]
    for term in terms:
        old_coef = float(before.params[term]) if term in before.params.index else None
        new_coef = float(after.params[term]) if term in after.params.index else None
        old_p = float(before.pvalues[term]) if term in before.pvalues.index else None
        new_p = float(after.pvalues[term]) if term in after.pvalues.index else None
        same_value = (
            old_coef is not None
            and new_coef is not None
            and (math.isclose(old_coef, new_coef, rel_tol=rtol, abs_tol=0.0) or math.isnan(old_coef) and math.isnan(new_coef))
        )
        if not same_value or _stars(old_p) != _stars(new_p):
            out.append(MovedEstimate(model, term, old_coef, new_coef, old_p, new_p))
    return out


def format_results(report: ResultsReport, rtol: float) -> str:
    """`m3  cluster  0.0100** -> 0.0082*`, one line per moved estimate; unchanged models in one line."""
    lines = [f"results (rtol {rtol:g})"]
    for m in report.moved:
        lines.append(f"  {m.model}  {m.term}  {_estimate_text(m.old_coef, m.old_p)} -> {_estimate_text(m.new_coef, m.new_p)}")
    for model, error in report.failed:
        lines.append(f"  {model}  fit failed: {error}")
    if report.unchanged:
        lines.append(f"  unchanged: {', '.join(report.unchanged)}")
    return "\n".join(lines) + "\n"

# --------------------------------------------------------------------- CLI


class DiffTrouble(Exception):
    """A file that cannot be read or compared; exit 2 with this message."""


def register(subparsers) -> argparse.ArgumentParser:
    """Add `povdsl diff` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "diff",
        help="say what changed in the meaning of a spec",
        description="Compare two versions of a spec by meaning. Exit 0: no semantic change, 1: changes, 2: trouble.",
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="OLD NEW; with --git, the paths to compare (default: every *.pov changed since REV)")
    p.add_argument("--git", metavar="REV", help="compare working-tree files against `git show REV:path`")
    p.add_argument(
        "--git-external",
        action="store_true",
        help="act as git's external diff driver: FILE is path old-file old-hex old-mode new-file new-hex new-mode",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--results", action="store_true", help="also fit both versions (needs the data) and report estimates that moved")
    p.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance for --results (default: 1e-6)")
    p.set_defaults(func=run_diff)
    return p


@dataclass(frozen=True, slots=True)
class _Pair:
    """Two versions of one spec: labels to show, texts (None: absent), files to resolve data against."""

    old_label: str
    new_label: str
    old_text: str | None
    new_text: str | None
    old_base: str
    new_base: str


def run_diff(args) -> int:
    try:
        if args.git_external:
            return _git_external(args.files)
        if args.git is not None:
            pairs = _git_pairs(args.git, args.files)
        elif len(args.files) == 2:
            old, new = args.files
            pairs = [_Pair(old, new, _read(old), _read(new), old, new)]
        else:
            raise DiffTrouble("diff takes OLD NEW, or --git REV [PATH...]")
        results = [(p, diff_specs(_parse(p.old_text, p.old_label), _parse(p.new_text, p.new_label))) for p in pairs]
        reports = [_results_for(p, changes, args.rtol) if args.results else None for p, changes in results]
    except SpecError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_TROUBLE
    except (DiffTrouble, PovdslError) as exc:
        print(f"povdsl diff: {exc}", file=sys.stderr)
        return EXIT_TROUBLE
    if args.format == "json":
        sys.stdout.write(format_json([(p.old_label, p.new_label, changes) for p, changes in results], reports if args.results else None))
    else:
        sys.stdout.write(_text_report(results, reports, git_mode=args.git is not None, rtol=args.rtol))
    moved = any(r is not None and (r.moved or r.failed) for r in reports)
    return EXIT_CHANGED if moved or any(changes for _, changes in results) else EXIT_SAME


def _results_for(pair: _Pair, changes, rtol: float) -> ResultsReport:
    renames = {c.old: c.new for c in changes if c.declaration == "model" and c.kind == "renamed"}
    return compare_results(pair.old_text, pair.old_base, pair.new_text, pair.new_base, rtol, renames)


def _text_report(results, reports, *, git_mode: bool, rtol: float) -> str:
    colour = _use_colour(sys.stdout)
    parts = []
    for (pair, changes), report in zip(results, reports):
        body = format_text(changes, colour) if changes or not git_mode else ""
        if report is not None:
            body += format_results(report, rtol)
        if git_mode and body:
            body = f"=== {pair.new_label}\n" + body
        parts.append(body)
    return "".join(parts) or "no semantic change\n"


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DiffTrouble(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise DiffTrouble(f"{path}: {exc.strerror or exc}") from None


def _parse(text: str | None, path: str) -> s.Spec:
    """A missing side (file added or deleted) is an empty spec."""
    return parse(text or "", path)


def _git(*args: str, cwd: str | None = None) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8")
    except FileNotFoundError:
        raise DiffTrouble("git not found") from None
    if done.returncode != 0:
        raise DiffTrouble(done.stderr.strip() or f"git {' '.join(args)} failed")
    return done.stdout


def _git_pairs(rev: str, paths: list[str]) -> list[_Pair]:
    """One pair per path: `git show REV:path` against the working-tree file.

    Paths are taken relative to the repository root. Without paths: the
    tracked *.pov files that differ between REV and the working tree
    (`git diff --name-only REV -- '*.pov'`); untracked files are not included.
    """
    root = _git("rev-parse", "--show-toplevel").strip()
    _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", cwd=root)
    if paths:
        relative = [Path(os.path.relpath(Path(p).resolve(), root)).as_posix() for p in paths]
    else:
        relative = [line for line in _git("diff", "--name-only", rev, "--", "*.pov", cwd=root).splitlines() if line]
    pairs = []
    for rel in relative:
        try:
            old_text = _git("show", f"{rev}:{rel}", cwd=root)
        except DiffTrouble:
            old_text = None  # added since REV
        working = Path(root) / rel
        new_text = _read(str(working)) if working.exists() else None
        if old_text is None and new_text is None:
            raise DiffTrouble(f"{rel}: neither in {rev} nor in the working tree")
        pairs.append(_Pair(f"{rev}:{rel}", rel, old_text, new_text, str(working), str(working)))
    return pairs


def _git_external(argv: list[str]) -> int:
    """git's external diff calling convention (7 arguments, 9 for a rename).

    git stops at the first driver that exits non-zero, so this mode exits 0
    whatever it finds; a side that does not parse falls back to a line diff.
    """
    if len(argv) not in (7, 9):
        print("povdsl diff --git-external: expected path old-file old-hex old-mode new-file new-hex new-mode", file=sys.stderr)
        return EXIT_TROUBLE
    path, old_file, new_file = argv[0], argv[1], argv[4]
    shown = argv[7] if len(argv) == 9 else path
    old_text = None if old_file == os.devnull else _read(old_file)
    new_text = None if new_file == os.devnull else _read(new_file)
    print(f"povdsl diff a/{path} b/{shown}")
    try:
        changes = diff_specs(_parse(old_text, f"a/{path}"), _parse(new_text, f"b/{shown}"))
    except SpecError as exc:
        print(str(exc))
        sys.stdout.writelines(
            difflib.unified_diff((old_text or "").splitlines(True), (new_text or "").splitlines(True), f"a/{path}", f"b/{shown}")
        )
        return EXIT_SAME
    sys.stdout.write(format_text(changes, _use_colour(sys.stdout)))
    return EXIT_SAME


def main(argv: list[str] | None = None) -> int:
    """`python -m povdsl.diff ...`: the diff command without the rest of the CLI."""
    parser = argparse.ArgumentParser(prog="povdsl")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["diff", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
