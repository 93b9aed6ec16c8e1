"""Checks of sweep declarations: their `for` clauses, and each member of their expansion.

A declaration with `for` clauses is checked clause by clause (a known source,
an unshadowed variable that is used), then each combination of the
data-independent clauses' values is substituted and checked as a plain model,
so a value that does not fit where its variable stands (a column where a
weights name is needed, a sum as an outcome) is the ordinary located error
of that model, pointing at the value. The first member with an error stops
the declaration: one root error, never one per member.
"""

from __future__ import annotations

from dataclasses import replace

from povdsl.check.models import ModelChecks
from povdsl.check.plan import ModelPlan, SweepAxis, SweepMember
from povdsl.check.sweeps import (
    CALL_SOURCES,
    MAX_STEPS,
    SOURCES,
    TERM_SOURCES,
    SweepValue,
    body,
    combinations,
    member_name,
    source_kind,
    substitute_declaration,
    uses,
    values_of,
    without,
)
from povdsl.diagnostics import did_you_mean
from povdsl.language import syntax as s
from povdsl.language.printer import expr_text


class SweepChecks(ModelChecks):
    """`model NAME for VAR in SOURCE ...: ...`: checks the clauses, then every member as a plain model."""

    def _weight_sets(self, decls: list[s.WeightsDecl]) -> None:
        """`weights spatial = [traveltime, nearest5]`: a named set of declared weight matrices."""
        for d in decls:
            if not isinstance(d.builder, s.ValueList):
                continue
            names: list[str] = []
            for item in d.builder.items:
                if not isinstance(item, s.Name) or item.id not in self.weights:
                    text = item.id if isinstance(item, s.Name) else expr_text(item)
                    self.error("E511", f"'{text}' is not a declared weight matrix", item.span, did_you_mean(text, self.weights) or "list names declared with `weights NAME = inverse(...)`")
                elif item.id in names:
                    self.error("E504", f"weight matrix '{item.id}' is listed twice", item.span, "remove one")
                else:
                    names.append(item.id)
            self.weight_sets[d.name] = tuple(names)

    def _model(self, d: s.ModelDecl) -> ModelPlan | None:
        if not d.sweeps:
            return super()._model(d)
        checked = self._axes(d)
        if checked is None:
            return None
        axes, independent = checked
        industries = tuple(w for w in d.sweeps if source_kind(w) == "industries")
        splits = tuple((w.var, _split_column(w)) for w in d.sweeps if source_kind(w) == "split")
        members: list[SweepMember] = []
        for combo in combinations(independent):
            decl = d
            for var, value in combo:
                decl = substitute_declaration(decl, var, value)
            plan = self._member(replace(decl, sweeps=industries), splits)
            if plan is None:
                return None  # one root error: the first member that does not check
            values = tuple((var, value.label) for var, value in combo)
            name = member_name(d.name, values) if values else d.name
            members.append(SweepMember(name, values, replace(plan, name=name, splits=splits)))
        first = members[0].model
        return replace(first, name=d.name, axes=axes, members=tuple(members), splits=splits)

    def _member(self, decl: s.ModelDecl, splits: tuple[tuple[str, str], ...]) -> ModelPlan | None:
        """One member checked as a plain model; a split variable reads as its column meanwhile (a value of it)."""
        saved = dict(self.scope)
        for var, column in splits:
            self.scope[var] = self.scope[column]
        try:
            return super()._model(decl)
        finally:
            self.scope = saved

    def _axes(self, d: s.ModelDecl) -> tuple[tuple[SweepAxis, ...], list[tuple[str, tuple[SweepValue, ...]]]] | None:
        before = len(self.diagnostics)
        axes: list[SweepAxis] = []
        independent: list[tuple[str, tuple[SweepValue, ...]]] = []
        seen: set[str] = set()
        for sweep in d.sweeps:
            kind = self._clause(d, sweep, seen)
            seen.add(sweep.var)
            if kind is None:
                continue
            values = values_of(sweep, self.weight_sets)
            if values is not None:
                labels = [v.label for v in values]
                for i, (value, label) in enumerate(zip(values, labels)):
                    if label in labels[:i]:
                        self.error("E504", f"value '{label}' is given twice", value.expr.span if value.expr is not None else sweep.over.span, "remove one")
                        break
                independent.append((sweep.var, values))
            axes.append(SweepAxis(sweep.var, kind, expr_text(sweep.over), tuple(v.label for v in values or ())))
        if sum(a.kind == "industries" for a in axes) > 1:
            second = [w for w in d.sweeps if source_kind(w) == "industries"][1]
            self.error("E509", "a declaration sweeps over industries(...) at most once", second.span, "declare a second model for the other industry list")
        if len(self.diagnostics) > before:
            return None
        return tuple(axes), independent

    def _clause(self, d: s.ModelDecl, sweep: s.Sweep, seen: set[str]) -> str | None:
        """One `for` clause: its variable and its source; the source's kind, or None after an error."""
        span = sweep.var_span or sweep.span
        if sweep.var in seen:
            self.error("E503", f"sweep variable '{sweep.var}' is used by two `for` clauses", span, "give each clause its own variable")
            return None
        if sweep.var in self.scope or sweep.var in self.macros or sweep.var in self.weights or sweep.var in self.weight_sets:
            self.error("E503", f"sweep variable '{sweep.var}' hides a name of the spec or its data", span, f"rename it, e.g. '{sweep.var}_value'")
            return None
        kind = source_kind(sweep)
        over = sweep.over
        if kind is None:
            func = over.func if isinstance(over, s.Call) else expr_text(over)
            where = over.func_span if isinstance(over, s.Call) else over.span
            self.error("E501", f"a sweep cannot run over {func}()", where, did_you_mean(func, CALL_SOURCES) or "sweep over [values], stepwise(...), cumulative(...), split(column), industries(...) or a set of weights")
            return None
        if kind == "weights set":
            assert isinstance(over, s.Name)
            if over.id not in self.weight_sets:
                self.error("E505", f"'{over.id}' is not a set of weight matrices", over.span, did_you_mean(over.id, self.weight_sets) or "declare one: weights NAME = [w1, w2]")
                return None
        elif kind in (*TERM_SOURCES, "split"):
            assert isinstance(over, s.Call)
            if over.keywords:
                self.error("E504", f"{kind}() takes no options", over.keywords[0].span)
                return None
            if not over.positional or (kind == "split" and len(over.positional) != 1):
                self.error("E504", "split() takes one column" if kind == "split" else f"{kind}() takes one or more terms", over.span)
                return None
            if len(over.positional) > MAX_STEPS:
                self.error("E504", f"{kind}() takes at most {MAX_STEPS} terms, not {len(over.positional):,}", over.span, "group terms with `terms` declarations")
                return None
        if kind == "split":
            column = _split_column(sweep)
            if not column:
                self.error("E506", "split() takes the name of a column", sweep.over.span)
                return None
            assert isinstance(over, s.Call)
            arg = over.positional[0]
            if column not in self.scope:
                assert isinstance(arg, s.Name)
                self._unknown_name(arg)
                return None
            if self.scope[column] == "scalar":  # a let of one number: the units' frame has no such column
                self.error("E506", f"split() needs a value per unit, and '{column}' is one number", arg.span, "split by a column, or a let computed per unit or region")
                return None
            if uses((d.lhs, d.rhs, d.estimator, d.vcov), sweep.var):
                self.error("E510", f"'{sweep.var}' is a value of {column}, usable only in `where`", span, "split() already fits one model per value; use the variable in `where` only")
                return None
        elif not uses(body(d), sweep.var):
            self.error("E502", f"sweep variable '{sweep.var}' is not used", span, "use it in the formula, the estimator, `where` or `vcov cluster(...)`, or remove the `for` clause")
            return None
        elif kind in ("stepwise0", "cumulative0"):
            rest = without(d.rhs, sweep.var)
            if uses((d.lhs, d.estimator, d.where, d.vcov), sweep.var) or uses(rest, sweep.var):
                self.error("E514", f"{kind}() starts with no term, so '{sweep.var}' may stand only as a term of the right-hand sum", span, f"write it as `+ {sweep.var}` in the formula, or sweep with {kind[:-1]}()")
                return None
            if rest is None:  # `y ~ c`: the first member would have no term for the sweep's tables and figures to show
                self.error("E514", f"{kind}() starts with no term, and '{sweep.var}' is the formula's only term", span, f"keep a term beside it, e.g. `y ~ x + {sweep.var}`, or sweep with {kind[:-1]}()")
                return None
        assert kind in SOURCES
        return kind


def _split_column(sweep: s.Sweep) -> str:
    over = sweep.over
    if isinstance(over, s.Call) and len(over.positional) == 1 and isinstance(over.positional[0], s.Name):
        return over.positional[0].id
    return ""
