"""diff_specs: find renames, then compare matched declarations kind by kind, attributing term changes to macros."""

from __future__ import annotations

from collections import deque
from dataclasses import replace

from povdsl.language import syntax as s
from povdsl.language.kinds import BY_KEYWORD
from povdsl.language.printer import setting_text, string_literal
from povdsl.tools.diff.changes import (
    _KIND_OF,
    _WEIGHTS_ARGUMENTS,
    DECLARATION_KINDS,
    Change,
)
from povdsl.tools.diff.sides import (
    _estimator_text,
    _figure_models,
    _figure_view,
    _rename,
    _Side,
    _summary,
    _sweep_text,
    _table_view,
    _vcov_text,
)
from povdsl.tools.diff.terms import _text


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
        """Each added declaration takes the first removed one (in old order) with an equal body.

        Bodies are hashed once, so matching is linear in the declarations,
        not quadratic (thousands of renamed lets used to take minutes).
        """
        old, new = self.original_old, self.new
        found: dict[tuple[str, str], str] = {}
        for kind in DECLARATION_KINDS:
            gone: dict[object, deque[str]] = {}
            for n in old.of_kind(kind):
                if (kind, n) not in new.decls:
                    gone.setdefault(old.body(kind, n), deque()).append(n)
            for name in new.of_kind(kind):
                if (kind, name) not in old.decls and (same := gone.get(new.body(kind, name))):
                    found[(kind, same.popleft())] = name
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
            elif isinstance(d, s.FigureDecl):  # the plot names models, the options name terms
                plot = replace(d.plot, args=_rename(d.plot.args, models))
                d = replace(_rename(replace(d, plot=replace(d.plot, args=())), others), plot=plot)
            elif not isinstance(d, (s.DataDecl, s.WeightsDecl)):  # those name file columns only
                d = _rename(d, others)
            decls.append(replace(d, name=name))
        return replace(spec, declarations=tuple(decls))

    # driver

    def run(self) -> tuple[Change, ...]:
        self.model_term_changes = self._model_term_changes()
        self.macro_reports: dict[str, list] = {}
        out: list[Change] = []
        renamed_from = {(kind, new): old for (kind, old), new in self.renames.items()}
        for kind in DECLARATION_KINDS:
            for name in self.new.of_kind(kind):
                if (kind, name) in self.old.decls:
                    old_name = renamed_from.get((kind, name))
                    if old_name is not None:
                        out.append(Change(kind, name, "renamed", old=old_name, new=name))
                    out.extend(getattr(self, BY_KEYWORD[kind].diff)(self.old.decls[(kind, name)], self.new.decls[(kind, name)]))
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
        if _sweep_text(old.sweeps) != _sweep_text(new.sweeps):
            out.append(Change("model", name, "sweep changed", old=_sweep_text(old.sweeps), new=_sweep_text(new.sweeps)))
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
        if not isinstance(old.builder, s.Call) or not isinstance(new.builder, s.Call):  # a set of weights: its list
            if _text(old.builder) == _text(new.builder):
                return []
            return [Change("weights", new.name, "builder changed", old=_text(old.builder), new=_text(new.builder), models_reached=reached)]
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
        before = {o.func: _text(o) for o in old.options} | {o.name: setting_text(o) for o in old.settings}
        after = {o.func: _text(o) for o in new.options} | {o.name: setting_text(o) for o in new.settings}
        for kind, detail, b, a in _mapping_changes(before, after):
            out.append(Change("data", new.name, kind, detail=detail, old=b, new=a, models_reached=reached))
        return out

    # tables

    def _table(self, old: s.TableDecl, new: s.TableDecl) -> list[Change]:
        before, after = [m.id for m in old.models], [m.id for m in new.models]
        return _presentation_changes("table", old, new, before, after, _table_view(old), _table_view(new))

    # figures

    def _figure(self, old: s.FigureDecl, new: s.FigureDecl) -> list[Change]:
        out = []
        if old.plot.func != new.plot.func:
            out.append(Change("figure", new.name, "plot changed", old=old.plot.func, new=new.plot.func))
        before, after = list(_figure_models(old)), list(_figure_models(new))
        return out + _presentation_changes("figure", old, new, before, after, _figure_view(old), _figure_view(new))


def _presentation_changes(kind: str, old, new, before: list[str], after: list[str], old_view: tuple, new_view: tuple) -> list[Change]:
    """A table's or figure's changes: title, models, options (defaults filled in), labels, notes."""
    name = new.name
    out = []
    if (old.title or old.name) != (new.title or new.name):
        out.append(Change(kind, name, "title changed", old=string_literal(old.title or old.name), new=string_literal(new.title or new.name)))
    out += [Change(kind, name, "model added", new=m) for m in after if m not in before]
    out += [Change(kind, name, "model removed", old=m) for m in before if m not in after]
    if [m for m in before if m in after] != [m for m in after if m in before]:
        out.append(Change(kind, name, "models reordered", old=", ".join(before), new=", ".join(after)))
    (old_options, old_labels, old_notes), (new_options, new_labels, new_notes) = old_view, new_view
    for option_kind, option, b, a in _mapping_changes(dict(old_options), dict(new_options)):
        out.append(Change(kind, name, option_kind, detail=option, old=b, new=a))
    for label_kind, target, b, a in _mapping_changes(dict(old_labels), dict(new_labels)):
        out.append(Change(kind, name, label_kind.replace("option", "label"), detail=target, old=b, new=a))
    out += [Change(kind, name, "note added", new=n) for n in new_notes if n not in old_notes]
    out += [Change(kind, name, "note removed", old=n) for n in old_notes if n not in new_notes]
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
    out: list[tuple[str, str, str | None, str | None]] = []
    for key, value in after.items():
        if key not in before:
            out.append(("option added", key, None, value))
        elif before[key] != value:
            out.append(("option changed", key, before[key], value))
    out += [("option removed", key, value, None) for key, value in before.items() if key not in after]
    return out
