"""The checker's driver: runs every check in order, refuses unsafe specs, collects diagnostics."""

from __future__ import annotations

import math

from povdsl.check.declarations import DeclarationChecks
from povdsl.check.figures import FigureChecks
from povdsl.check.nodes import _dunder, _known_call, _known_calls, _sorted_unique, _walk
from povdsl.check.plan import ModelPlan, Plan
from povdsl.check.state import Environment
from povdsl.check.sweep_checks import SweepChecks
from povdsl.check.sweeps import MAX_EXPANDED_NODES, sweep_cost
from povdsl.check.terms import MAX_TERMS, Expander, Factor, Term, TermLimit, leaf_terms
from povdsl.diagnostics import did_you_mean, suggestion_budget
from povdsl.errors import SpecError
from povdsl.language import syntax as s
from povdsl.language.kinds import KINDS, kind_of
from povdsl.language.printer import expr_text


class _Checker(DeclarationChecks, SweepChecks, FigureChecks):
    """One spec's check: the mixins hold the checks, this class runs them and collects diagnostics."""

    _checked_models: tuple[ModelPlan, ...] = ()  # set by the models' pass, read by the figures' (term checks)

    # ------------------------------------------------------------- driver

    def run(self) -> Plan:
        decls = self.spec.declarations
        for d in decls:
            self._safety(d)
        if not self.diagnostics:
            self._expansion_safety(decls)
        if not self.diagnostics:
            self._sweep_safety(decls)
        if self.diagnostics:  # nothing is read from disk for a spec that is refused
            raise SpecError(_sorted_unique(self.diagnostics))
        self._duplicates(decls)
        records: dict[str, object] = {}
        for step in ("declare", "check"):  # two passes over the kinds, in registry order
            for kind in KINDS:
                method = getattr(kind, step)
                if method is not None:
                    found = getattr(self, method)([d for d in decls if isinstance(d, kind.node)])
                    if found is not None:
                        records[kind.plan_field] = found
        if any(d.severity == "error" for d in self.diagnostics):
            raise SpecError(_sorted_unique(self.diagnostics))
        return Plan(path=self.spec.path, **records)  # type: ignore[arg-type]  # each kind fills its own field

    # ----------------------------------------------- one method per pass and kind (language/kinds.py)

    def _declare_data(self, decls: list[s.DataDecl]) -> tuple:
        for d in decls:
            self._data(d)
        self._units()
        return tuple(self.data.values())

    def _declare_weights(self, decls: list[s.WeightsDecl]) -> tuple:
        for d in decls:
            if isinstance(d.builder, s.Call):
                self._weights(d)
        self._weight_sets(decls)
        self._columns_scope()
        return tuple(self.weights.values())

    def _declare_terms(self, decls: list[s.TermsDecl]) -> None:
        for d in decls:
            self.macros[d.name] = d.value

    def _check_lets(self, decls: list[s.LetDecl]) -> tuple:
        return tuple(self._lets(decls))

    def _check_terms(self, decls: list[s.TermsDecl]) -> tuple:
        self.check_macros()
        return tuple(self.macros.items())

    def _check_models(self, decls: list[s.ModelDecl]) -> tuple:
        self._checked_models = tuple(m for d in decls if (m := self._model(d)))
        return self._checked_models

    def _check_tables(self, decls: list[s.TableDecl]) -> tuple:
        declared = {d.name: d for d in self.spec.declarations if isinstance(d, s.ModelDecl)}
        return tuple(t for d in decls if (t := self._table(d, declared)))

    def _check_figures(self, decls: list[s.FigureDecl]) -> tuple:
        declared = {d.name: d for d in self.spec.declarations if isinstance(d, s.ModelDecl)}
        checked = {m.name: m for m in self._checked_models}
        return tuple(f for d in decls if (f := self._figure(d, declared, checked)))

    def _duplicates(self, decls):
        seen: dict[tuple[str, str], s.Declaration] = {}
        for d in decls:
            kind = kind_of(d).namespace
            key = (kind, d.name)
            if key in seen:
                first = seen[key]
                line = first.name_span.line if first.name_span else 0
                if type(first) is type(d):
                    message = f"{kind} '{d.name}' is declared twice (first at line {line})"
                else:  # a table and a figure: both write <name>.tex
                    message = f"{kind_of(d).keyword} '{d.name}' has the name of the {kind_of(first).keyword} at line {line}; both would write {d.name}.tex"
                self.error("E101", message, d.name_span, "rename one of them")
            else:
                seen[key] = d

    # ------------------------------------------------------------- safety

    def _expansion_safety(self, decls) -> None:
        """Refuse formulas that expand past the limits, from the text alone, before any file is read.

        The model checks expand formulas again with the data's names known;
        this pass needs none of them, so a spec whose data is missing (or that
        `povdsl diff` compares without data) is refused all the same (E166).
        """
        macros: dict[str, s.Expr] = {}
        for d in decls:
            if isinstance(d, s.TermsDecl):
                macros.setdefault(d.name, d.value)
        expander = Expander(macros, _sizing_leaf)
        sides = [d.value for d in decls if isinstance(d, s.TermsDecl)] + [d.rhs for d in decls if isinstance(d, s.ModelDecl)]
        for side in sides:
            try:
                expander.side(side)
            except TermLimit as exc:
                self.error("E166", str(exc), exc.span or side.span, f"a formula side may have at most {MAX_TERMS:,} terms after expansion")
                return

    def _sweep_safety(self, decls) -> None:
        """Refuse sweeps that expand past the fit limit, counted from the text before anything is expanded (E507, E508).

        The limit is the spec's total (each declaration's product of its
        clauses' sizes, summed): a spec from a pull request must not make
        `check` build millions of members. Data-dependent clauses count one
        here and are counted again once the data is read, before any fit.
        """
        sets = {d.name: tuple(i.id for i in d.builder.items if isinstance(i, s.Name)) for d in decls if isinstance(d, s.WeightsDecl) and isinstance(d.builder, s.ValueList)}
        total_fits, total_nodes = 0, 0
        for d in decls:
            if not isinstance(d, s.ModelDecl):
                continue
            if not d.sweeps:
                total_fits += 1
                continue
            fits, nodes = sweep_cost(d, sets)
            total_fits += fits
            total_nodes += nodes
            where = d.sweeps[0].span
            if total_fits > self.env.max_fits:
                alone = f"'{d.name}' expands to {fits:,} fits" if fits > self.env.max_fits else f"the spec's models expand to more than {self.env.max_fits:,} fits at '{d.name}'"
                self.error("E507", f"{alone}, more than the limit of {self.env.max_fits:,}", where, "sweep over fewer values, or raise the limit with --max-fits N (povdsl.run(..., max_fits=N))")
                return
            if total_nodes > MAX_EXPANDED_NODES:
                self.error("E508", f"'{d.name}' expands to more than {MAX_EXPANDED_NODES:,} syntax nodes", where, "sweep over shorter values (a cumulative() over many terms grows quadratically)")
                return

    def _safety(self, node):
        """Refuse dunder names and unknown calls anywhere, before reading any file."""
        for sub in _walk(node):
            if isinstance(sub, s.Name) and _dunder(sub.id):
                self.error("E201", f"name '{sub.id}' is not allowed in a spec", sub.span, "names starting and ending with '__' are reserved")
            elif isinstance(sub, s.Call):
                if _dunder(sub.func):
                    self.error("E201", f"call of '{sub.func}' is not allowed in a spec", sub.func_span)
                elif not _known_call(sub.func):
                    self.error(
                        "E202",
                        f"function '{sub.func}' is not allowed in a spec",
                        sub.func_span,
                        did_you_mean(sub.func, _known_calls()) or "see docs/language.md for the functions a spec may call",
                    )
            elif isinstance(sub, s.Keyword) and _dunder(sub.name):
                self.error("E201", f"argument '{sub.name}' is not allowed in a spec", sub.span)
            elif isinstance(sub, s.Number) and not math.isfinite(sub.value):
                self.error("E221", f"number {sub.text[:20]}{'…' if len(sub.text) > 20 else ''} is out of range", sub.span, "numbers must be finite")


def _sizing_leaf(e: s.Expr) -> list[Term]:
    """A formula leaf's terms for sizing only: an L() the model checks will refuse counts as one term."""
    if isinstance(e, s.Call) and e.func == "L" and len(e.positional) != 2:
        return [Term((Factor("lag", expr_text(e), e),), e.span)]
    return leaf_terms(e)


def check(spec: s.Spec, env: Environment | None = None, source_text: str | None = None) -> Plan:
    """Check a parsed spec against its data headers; raise SpecError with every diagnostic."""
    try:
        with suggestion_budget():
            return _Checker(spec, env or Environment()).run()
    except SpecError as exc:
        if source_text is not None:
            exc.sources.setdefault(spec.path, source_text)
        raise
