"""Syntax tree -> plan. Every mistake becomes a diagnostic; all are collected.

The checker resolves names (data columns, lets, term macros, weights, models),
gives formula operators their meaning, binds estimator arguments and fills in
every default, so the plan says exactly what will be fitted. It never reads
more of a data file than its header line.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from povdsl import syntax as s
from povdsl.diagnostics import did_you_mean
from povdsl.errors import Diagnostic, Span, SpecError
from povdsl.functions import CLUSTER_DEFAULTS, DATA_OPTIONS, FORMULA, FUNCTIONS, LET, SOURCE_FUNCTIONS, VALUE, WEIGHT_BUILDERS
from povdsl.plan import DataPlan, LetPlan, ModelPlan, Plan, TableSpec, WeightsPlan
from povdsl.printer import expr_text
from povdsl.signatures import MAX_LAG, bind_estimator
from povdsl.sources import SourceError, resolve_bundled, resolve_path

LEVELS = {"scalar": 0, "region": 1, "unit": 2}
STATS = ("t", "se", "p")
VCOV_KINDS = ("unadjusted", "robust", "cluster")
MAX_FORMULA_POWER = 10  # (a + b + c)**k expands to interactions; formulaic builds them one by one


@dataclass
class Environment:
    """What the checker may know besides the spec: where files are, or frames given in memory."""

    spec_path: Path | None = None
    allow_outside: tuple[Path, ...] = ()
    frames: dict = field(default_factory=dict)  # name -> DataPlan given directly (povdsl.fit)
    weights: dict = field(default_factory=dict)  # name -> WeightsPlan given directly
    unit_level_w: bool = False  # povdsl.fit: W() may take unit-level columns constant within region-time


class _Checker:
    def __init__(self, spec: s.Spec, env: Environment):
        self.spec = spec
        self.env = env
        self.diagnostics: list[Diagnostic] = []
        self.scope: dict[str, str] = {}  # variable -> level
        self.macros: dict[str, s.Expr] = {}
        self.weights: dict[str, WeightsPlan] = dict(env.weights)
        self.data: dict[str, DataPlan] = dict(env.frames)

    def error(self, code, message, span, hint=None):
        self.diagnostics.append(Diagnostic(code, message, span, hint))

    # ------------------------------------------------------------- driver

    def run(self) -> Plan:
        decls = self.spec.declarations
        for d in decls:
            self._safety(d)
        if self.diagnostics:  # nothing is read from disk for a spec that is refused
            raise SpecError(_sorted_unique(self.diagnostics))
        self._duplicates(decls)
        for d in decls:
            if isinstance(d, s.DataDecl):
                self._data(d)
        for d in decls:
            if isinstance(d, s.WeightsDecl):
                self._weights(d)
        self._columns_scope()
        for d in decls:
            if isinstance(d, s.TermsDecl):
                self.macros[d.name] = d.value
        lets = self._lets([d for d in decls if isinstance(d, s.LetDecl)])
        for d in decls:
            if isinstance(d, s.TermsDecl):
                self._formula(d.value, set())
        models = [m for d in decls if isinstance(d, s.ModelDecl) if (m := self._model(d))]
        declared = {d.name for d in decls if isinstance(d, s.ModelDecl)}
        tables = [t for d in decls if isinstance(d, s.TableDecl) if (t := self._table(d, declared))]
        if any(d.severity == "error" for d in self.diagnostics):
            raise SpecError(_sorted_unique(self.diagnostics))
        return Plan(
            path=self.spec.path,
            data=tuple(self.data.values()),
            weights=tuple(self.weights.values()),
            lets=tuple(lets),
            macros=tuple(self.macros.items()),
            models=tuple(models),
            tables=tuple(tables),
        )

    def _duplicates(self, decls):
        seen: dict[tuple[str, str], s.Declaration] = {}
        namespace_of = {
            s.DataDecl: "data set",
            s.WeightsDecl: "weights",
            s.LetDecl: "variable",
            s.TermsDecl: "variable",
            s.ModelDecl: "model",
            s.TableDecl: "table",
        }
        for d in decls:
            kind = namespace_of[type(d)]
            key = (kind, d.name)
            if key in seen:
                first = seen[key].name_span
                self.error("E101", f"{kind} '{d.name}' is declared twice (first at line {first.line})", d.name_span, "rename one of them")
            else:
                seen[key] = d

    # ------------------------------------------------------------- safety

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

    # --------------------------------------------------------------- data

    def _source(self, expr: s.Expr) -> tuple[str | None, str]:
        """Resolve a file reference; returns (path or None, text for messages)."""
        if isinstance(expr, s.String):
            raw = expr.value
            try:
                return str(resolve_path(raw, self.env.spec_path, self.env.allow_outside)), raw
            except SourceError as exc:
                self.error("E301", str(exc), expr.span, exc.hint)
                return None, raw
        if isinstance(expr, s.Call) and expr.func == "bundled" and len(expr.args) == 1 and isinstance(expr.args[0], s.String):
            raw = expr.args[0].value
            try:
                return str(resolve_bundled(raw)), raw
            except SourceError as exc:
                self.error("E301", str(exc), expr.span, exc.hint)
                return None, raw
        self.error("E302", "a data source is a path string or bundled(\"...\")", expr.span, 'e.g. "data/households.csv"')
        return None, ""

    def _header(self, path: str, span) -> tuple[str, ...] | None:
        try:
            with open(path, newline="", encoding="utf-8") as fh:
                row = next(csv.reader([fh.readline()]), [])
            if any(c != c.strip() for c in row):  # pandas keeps the spaces: ' x' would pass here and fail in formulaic
                padded = ", ".join(repr(c) for c in row if c != c.strip())
                self.error("E304", f"column names in {Path(path).name} have leading or trailing spaces: {padded}", span, "remove the spaces from the header line")
                return None
        except FileNotFoundError:
            self.error("E303", f"data file not found: {path}", span)
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self.error("E304", f"cannot read {path}: {exc}", span)
            return None
        return tuple(c.strip() for c in row)

    def _data(self, d: s.DataDecl):
        path, _ = self._source(d.source)
        columns = self._header(path, d.source.span) if path else None
        options: dict[str, tuple[str, ...]] = {}
        for opt in d.options:
            arity = DATA_OPTIONS.get(opt.func)
            if arity is None:
                self.error("E305", f"unknown data option '{opt.func}'", opt.func_span, did_you_mean(opt.func, DATA_OPTIONS) or "options are panel(unit, time), key(region, time), region(column)")
                continue
            names = [a for a in opt.args if isinstance(a, s.Name)]
            if len(names) != len(opt.args) or not arity[0] <= len(names) <= arity[1]:
                self.error("E306", f"{opt.func}() takes {arity[0]} column name{'s' if arity[0] > 1 else ''}", opt.span)
                continue
            if columns is not None:
                for n in names:
                    if n.id not in columns:
                        self.error("E307", f"column '{n.id}' not found in {Path(path).name}", n.span, did_you_mean(n.id, columns))
            options[opt.func] = tuple(n.id for n in names)
        if "panel" in options and "key" in options:
            self.error("E308", "a data set is either panel(...) or key(...), not both", d.span)
        if "panel" in options:
            role, unit, time = "panel", *options["panel"]
            region = options.get("region", (None,))[0]
        elif "key" in options:
            role, (region, time), unit = "region", options["key"], None
        else:
            role, unit, time, region = "source", None, None, None
        self.data[d.name] = DataPlan(d.name, path or "", columns or (), role, unit, time, region, span=d.span)
        panels = [p for p in self.data.values() if p.role == "panel"]
        if role == "panel" and len(panels) > 1:
            self.error("E309", "only one data set may be declared panel(...)", d.span)

    def _weights(self, d: s.WeightsDecl):
        b = d.builder
        if b.func not in WEIGHT_BUILDERS:
            self.error("E310", f"unknown weights builder '{b.func}'", b.func_span, did_you_mean(b.func, WEIGHT_BUILDERS) or "use inverse(file, origin, destination, value)")
            return
        pos = b.positional
        if len(pos) != 4 or not all(isinstance(a, s.Name) for a in pos[1:]):
            self.error("E311", f"{b.func}() takes a file and three column names: origin, destination, value", b.span)
            return
        path, _ = self._source(pos[0])
        columns = self._header(path, pos[0].span) if path else None
        if columns is not None:
            for n in pos[1:]:
                if n.id not in columns:
                    self.error("E307", f"column '{n.id}' not found in {Path(path).name}", n.span, did_you_mean(n.id, columns))
        opts = {}
        for kw in b.keywords:
            if kw.name not in WEIGHT_BUILDERS[b.func]:
                self.error("E312", f"unknown option '{kw.name}' of {b.func}()", kw.span, did_you_mean(kw.name, WEIGHT_BUILDERS[b.func]))
                continue
            value = _literal(kw.value)
            if kw.name == "row_standardize" and not isinstance(value, bool):
                self.error("E313", "row_standardize takes true or false", kw.value.span)
            elif kw.name == "k" and (not isinstance(value, float) or value < 1 or value != int(value)):
                self.error("E313", "k takes a positive whole number", kw.value.span)
            elif kw.name in ("alpha", "cutoff") and (not isinstance(value, float) or value <= 0):
                self.error("E313", f"{kw.name} takes a positive number", kw.value.span)
            else:
                opts[kw.name] = int(value) if kw.name == "k" else value
        self.weights[d.name] = WeightsPlan(d.name, path or "", pos[1].id, pos[2].id, pos[3].id, span=d.span, **opts)

    def _columns_scope(self):
        for plan in self.data.values():
            if plan.role == "region":
                for c in plan.columns:
                    self.scope.setdefault(c, "region")
        for plan in self.data.values():
            if plan.role == "panel":
                for c in plan.columns:
                    self.scope[c] = "unit"

    # --------------------------------------------------------------- lets

    def _lets(self, decls: list[s.LetDecl]) -> list[LetPlan]:
        by_name = {d.name: d for d in decls}
        order: list[LetPlan] = []
        state: dict[str, str] = {}
        cyclic: set[str] = set()

        def visit(d: s.LetDecl, chain: tuple[str, ...]):
            if state.get(d.name) == "done":
                return
            if state.get(d.name) == "active":
                self.error("E120", f"'{d.name}' is defined in terms of itself ({' -> '.join(chain + (d.name,))})", d.name_span)
                cyclic.update(chain)
                return
            state[d.name] = "active"
            for sub in _walk(d.value):
                if isinstance(sub, s.Name) and sub.id in by_name:
                    visit(by_name[sub.id], chain + (d.name,))
            level = None if d.name in cyclic else self._let_value(d)
            state[d.name] = "done"
            if level is not None:
                self.scope[d.name] = level
                order.append(LetPlan(d.name, d.value, level, span=d.span))

        columns = set(self.scope)
        for d in decls:
            if d.name in columns:
                self.error("E102", f"'{d.name}' is already a data column", d.name_span, "choose another name for the derived variable")
            visit(d, ())
        return order

    def _let_value(self, d: s.LetDecl) -> str | None:
        v = d.value
        if isinstance(v, s.Call) and v.func == "clusters":
            return self._clusters_call(v)
        return self._value(v, top_level=True)

    def _clusters_call(self, call: s.Call) -> str | None:
        source = call.positional[0] if call.positional else None
        ok = True
        if len(call.positional) != 1 or not isinstance(source, s.Name):
            self.error("E130", "clusters() takes the census data set as its one positional argument", call.span, "e.g. clusters(census, digits=4)")
            return None
        if source.id not in self.data:
            self.error("E131", f"unknown data set '{source.id}'", source.span, did_you_mean(source.id, self.data))
            ok = False
        else:
            needed = {"industry", "firms", "employment"}
            plan = self.data[source.id]
            missing = sorted(needed - set(plan.columns))
            if plan.columns and missing:
                self.error("E132", f"data set '{source.id}' lacks the census columns {', '.join(missing)}", source.span)
                ok = False
        for kw in call.keywords:
            value = _literal(kw.value)
            if kw.name not in FUNCTIONS["clusters"].keywords:
                self.error("E133", f"unknown option '{kw.name}' of clusters()", kw.span, did_you_mean(kw.name, FUNCTIONS["clusters"].keywords))
                ok = False
            elif kw.name == "industry":
                sweeping = isinstance(kw.value, s.Name) and kw.value.id == getattr(self, "sweep_var", None)
                if not isinstance(kw.value, s.String) and not sweeping:
                    self.error("E134", 'industry takes a code as a string, e.g. industry="171"', kw.value.span)
                    ok = False
            elif kw.name == "digits" and value not in (1.0, 2.0, 3.0, 4.0):
                self.error("E134", "digits takes 1, 2, 3 or 4", kw.value.span)
                ok = False
            elif kw.name != "digits" and (not isinstance(value, float) or value < 0):
                self.error("E134", f"{kw.name} takes a non-negative number", kw.value.span)
                ok = False
        return "region" if ok else None

    # ------------------------------------------------------- expressions

    def _value(self, e: s.Expr, top_level: bool = False) -> str | None:
        """Check an arithmetic expression; return its level or None on error."""
        match e:
            case s.Number():
                return "scalar"
            case s.String():
                self.error("E146", "a string is only allowed as one side of a comparison", e.span, 'e.g. where province == "Zhejiang"')
                return None
            case s.Compare(left=a, right=b) if isinstance(a, s.String) or isinstance(b, s.String):
                levels = ["scalar" if isinstance(x, s.String) else self._value(x) for x in (a, b)]
                return None if None in levels else max(levels, key=LEVELS.get)
            case s.Name(id=name):
                if name in ("true", "false"):
                    return "scalar"
                if name in self.scope:
                    return self.scope[name]
                self._unknown_name(e)
                return None
            case s.Paren(inner=inner):
                return self._value(inner)
            case s.Negate(operand=x) | s.Not(operand=x):
                return self._value(x)
            case s.BinOp(op=":"):
                self.error("E140", "':' (interaction) belongs in a formula, not in arithmetic", e.span, "use '*' to multiply")
                return None
            case s.BinOp(left=a, right=b) | s.Compare(left=a, right=b) | s.BoolOp(left=a, right=b):
                levels = [self._value(a), self._value(b)]
                return None if None in levels else max(levels, key=LEVELS.get)
            case s.OpenBound():
                self.error("E141", "'.' is only allowed as an open lag bound, e.g. gmm(n, 2:.)", e.span)
                return None
            case s.Call():
                return self._value_call(e)
        self.error("E142", "this is not allowed here", getattr(e, "span", None))
        return None

    def _value_call(self, call: s.Call) -> str | None:
        fn = FUNCTIONS[call.func] if call.func in FUNCTIONS else None
        if fn is None or VALUE not in fn.contexts:
            where = "at the top of a let" if fn and LET in fn.contexts else "in a formula"
            self.error("E143", f"{call.func}() is only allowed {where}", call.func_span)
            return None
        if not self._arity(call, fn):
            return None
        if call.func == "W":
            return self._w_call(call)
        levels = [self._value(a) for a in call.positional]
        if None in levels:
            return None
        if call.func in ("mean", "median"):
            return "scalar"
        return max(levels, key=LEVELS.get)

    def _arity(self, call: s.Call, fn) -> bool:
        n = len(call.positional)
        ok = True
        if not fn.min_args <= n <= fn.max_args:
            want = str(fn.min_args) if fn.min_args == fn.max_args else f"{fn.min_args} or {fn.max_args}"
            self.error("E144", f"{call.func}() takes {want} argument{'s' if fn.max_args != 1 else ''}, got {n}", call.span)
            ok = False
        for kw in call.keywords:
            if kw.name not in fn.keywords:
                self.error("E145", f"{call.func}() has no option '{kw.name}'", kw.span, did_you_mean(kw.name, fn.keywords))
                ok = False
        return ok

    def _w_call(self, call: s.Call) -> str | None:
        x, w = call.positional
        ok = True
        if not isinstance(w, s.Name) or w.id not in self.weights:
            name = w.id if isinstance(w, s.Name) else expr_text(w)
            self.error("E150", f"unknown weights '{name}'", w.span, did_you_mean(name, self.weights) or "declare it with `weights NAME = inverse(...)`")
            ok = False
        level = self._value(x)
        if level == "unit" and not self.env.unit_level_w:
            self.error(
                "E151",
                f"W() needs a region-level variable, but '{expr_text(x)}' varies within regions",
                x.span,
                "use a column of a key(region, time) data set or a let built from one",
            )
            return None
        return "region" if ok and level is not None else None

    def _unknown_name(self, e: s.Name):
        pool = list(self.scope) + list(self.macros)
        self.error("E110", f"unknown variable '{e.id}'", e.span, did_you_mean(e.id, pool))

    # ---------------------------------------------------------- formulas

    def _formula(self, e: s.Expr, seen_macros: set[str]) -> bool:
        """Check a formula side (Wilkinson operators at the top)."""
        match e:
            case s.BinOp(op=op, left=a, right=b) if op in "+-*/:":
                return self._formula(a, seen_macros) & self._formula(b, seen_macros)
            case s.BinOp(op="**", left=a, right=b):
                ok = self._formula(a, seen_macros)
                if not isinstance(b, s.Number):
                    self.error("E160", "the power of a formula term must be a number", b.span)
                    return False
                if not (b.value.is_integer() and 1 <= b.value <= MAX_FORMULA_POWER):
                    self.error("E160", f"the power of a formula term must be a whole number from 1 to {MAX_FORMULA_POWER}", b.span)
                    return False
                return ok
            case s.Paren(inner=inner):
                return self._formula(inner, seen_macros)
            case s.Number(text=t):
                if t not in ("0", "1"):
                    self.error("E161", f"a number in a formula may only be 0 or 1 (intercept), got {t}", e.span, "wrap arithmetic in I(), e.g. I(2 * x)")
                    return False
                return True
            case s.Name(id=name):
                if name in self.macros:
                    if name in seen_macros:
                        self.error("E121", f"terms '{name}' refers to itself", e.span)
                        return False
                    return self._formula(self.macros[name], seen_macros | {name})
                if name in self.scope:
                    return True
                self._unknown_name(e)
                return False
            case s.Call(func=func):
                fn = FUNCTIONS.get(func)
                if func == "clusters" and getattr(self, "sweep_var", None):
                    return self._clusters_call(e) is not None
                if fn is None or FORMULA not in fn.contexts:
                    where = "at the top of a let" if fn and LET in fn.contexts else "outside formulas"
                    self.error("E143", f"{func}() is only allowed {where}", e.func_span, "define it with `let` and use the name")
                    return False
                if not self._arity(e, fn):
                    return False
                if func == "W":
                    return self._w_call(e) is not None
                if func == "L":
                    from povdsl.signatures import _lag_range

                    lags = _lag_range(e.positional[1])
                    if lags is None and any(isinstance(n, s.Number) and n.value > MAX_LAG for n in _walk(e.positional[1])):
                        self.error("E165", f"lags are limited to {MAX_LAG}", e.positional[1].span)
                        return False
                    if lags is None or lags[1] is None or lags[0] < 0 or lags[1] < lags[0]:
                        self.error("E165", "L() takes a lag or a closed lag range, e.g. L(x, 1) or L(x, 1:3)", e.positional[1].span)
                        return False
                    return self._value(e.positional[0]) is not None
                if func == "C":
                    arg = e.positional[0]
                    if not isinstance(arg, s.Name) or arg.id not in self.scope:
                        if isinstance(arg, s.Name):
                            self._unknown_name(arg)
                        else:
                            self.error("E162", "C() takes a variable name", arg.span)
                        return False
                    return True
                return self._value(e.positional[0]) is not None
            case s.String():
                self.error("E163", "a string is not a formula term", e.span)
                return False
        self.error("E164", f"'{expr_text(e)}' is not allowed in a formula", e.span)
        return False

    def expand(self, e: s.Expr, origin: str | None = None):
        """Flatten a checked right-hand side into (term, sign, macro) triples."""
        match e:
            case s.BinOp(op="+", left=a, right=b):
                return self.expand(a, origin) + self.expand(b, origin)
            case s.BinOp(op="-", left=a, right=b):
                return self.expand(a, origin) + [(t, -sign, m) for t, sign, m in self.expand(b, origin)]
            case s.Paren(inner=inner) if isinstance(inner, s.BinOp) and inner.op in "+-":
                return self.expand(inner, origin)
            case s.Name(id=name) if name in self.macros:
                return self.expand(self.macros[name], origin or name)
        return [(self._substitute(e), 1, origin)]

    def _substitute(self, e):
        """Replace macro names inside an interaction by their parenthesised bodies."""
        if isinstance(e, s.Name) and e.id in self.macros:
            return s.Paren(self._substitute(self.macros[e.id]), span=e.span)
        if isinstance(e, s.BinOp) and e.op in "*/:":
            return s.BinOp(e.op, self._substitute(e.left), self._substitute(e.right), span=e.span)
        if isinstance(e, s.Paren):
            return s.Paren(self._substitute(e.inner), span=e.span)
        return e

    # ------------------------------------------------------------- models

    def _model(self, d: s.ModelDecl) -> ModelPlan | None:
        before = len(self.diagnostics)
        self.sweep_var = None
        if d.sweep is not None:
            self._sweep(d.sweep)
            self.sweep_var = d.sweep.var
        if self.data and not any(p.role == "panel" for p in self.data.values()):
            self.error("E171", "no data set is declared panel(unit, time); models need one", d.span)
        self._formula(d.lhs, set())
        rhs_ok = self._formula(d.rhs, set())
        if d.where is not None:
            level = self._value(d.where.condition)
            if level == "scalar":
                self.error("E172", "the where condition does not depend on the data", d.where.condition.span)
        terms, intercept, origins = [], True, []
        if rhs_ok:
            for term, sign, macro in self.expand(d.rhs):
                if isinstance(term, s.Number):
                    intercept = (term.text == "1") == (sign > 0)
                    continue
                text = expr_text(term)
                if sign < 0:
                    terms = [t for t in terms if expr_text(t) != text]
                    origins = [o for o in origins if o[0] != text]
                elif text not in {expr_text(t) for t in terms}:
                    terms.append(term)
                    if macro:
                        origins.append((text, macro))
        binding = bind_estimator(d.estimator, self, terms)
        vcov_kind, vcov_groups = "default", ()
        if d.vcov is not None:
            vcov_kind = d.vcov.kind
            if vcov_kind not in VCOV_KINDS:
                self.error("E180", f"unknown variance '{vcov_kind}'", d.vcov.span, did_you_mean(vcov_kind, VCOV_KINDS) or "use unadjusted, robust or cluster(var)")
            elif vcov_kind == "cluster":
                if not 1 <= len(d.vcov.groups) <= 2:
                    self.error("E181", "cluster() takes one or two variables", d.vcov.span)
                for g in d.vcov.groups:
                    if g.id not in self.scope:
                        self._unknown_name(g)
                vcov_groups = tuple(g.id for g in d.vcov.groups)
            elif d.vcov.groups:
                self.error("E182", f"{vcov_kind} takes no variables", d.vcov.span)
        if len(self.diagnostics) > before or binding is None:
            return None
        if binding.dynamic is not None:
            if d.vcov is not None:
                self.error("E219", f"{d.estimator.name}() reports Windmeijer-corrected two-step (or robust one-step) errors; a vcov clause does not apply", d.vcov.span, "remove the vcov clause")
                return None
            if not isinstance(d.lhs, s.Name):
                self.error("E216", "a dynamic panel's outcome must be a variable name", d.lhs.span, "define it with `let`")
                return None
            binding = replace(binding, dynamic=replace(binding.dynamic, y=d.lhs.id))
        panel = next((p for p in self.data.values() if p.role == "panel"), None)
        return ModelPlan(
            name=d.name,
            label=d.label or d.name,
            outcome=d.lhs,
            terms=tuple(terms),
            intercept=intercept and binding.intercept,
            estimator=d.estimator.name,
            options=binding.options,
            entity=binding.entity,
            time=binding.time or (panel.time if panel else None),
            endog=binding.endog,
            instruments=binding.instruments,
            where=d.where.condition if d.where else None,
            vcov_kind=vcov_kind,
            vcov_groups=vcov_groups,
            dynamic=binding.dynamic,
            sweep_var=d.sweep.var if d.sweep else None,
            sweep_over=d.sweep.over if d.sweep else None,
            origins=tuple(origins),
            span=d.span,
        )

    def _sweep(self, sweep: s.Sweep):
        """`for industry in industries(census, digits=3, year=2004, names=industry_names)`."""
        over = sweep.over
        if over.func != "industries":
            self.error("E173", f"a sweep runs over industries(...), not {over.func}()", over.func_span)
            return
        source = over.positional[0] if len(over.positional) == 1 else None
        if not isinstance(source, s.Name) or source.id not in self.data:
            name = source.id if isinstance(source, s.Name) else ""
            self.error("E174", "industries() takes the census data set as its one positional argument", over.span, did_you_mean(name, self.data))
        for kw in over.keywords:
            value = literal(kw.value)
            if kw.name == "digits" and value not in (1.0, 2.0, 3.0, 4.0):
                self.error("E134", "digits takes 1, 2, 3 or 4", kw.value.span)
            elif kw.name == "year" and not isinstance(value, float):
                self.error("E175", "year takes a number", kw.value.span)
            elif kw.name == "names":
                plan = self.data.get(kw.value.id) if isinstance(kw.value, s.Name) else None
                if plan is None:
                    self.error("E176", "names takes a data set with columns code and name", kw.value.span)
                elif plan.columns and not {"code", "name"} <= set(plan.columns):
                    self.error("E176", f"data set '{kw.value.id}' needs columns code and name", kw.value.span)
            elif kw.name not in ("digits", "year", "names"):
                self.error("E177", f"industries() has no option '{kw.name}'", kw.span, did_you_mean(kw.name, ("digits", "year", "names")))

    # ------------------------------------------------------------- tables

    def _table(self, d: s.TableDecl, declared: set[str]) -> TableSpec | None:
        before = len(self.diagnostics)
        for m in d.models:
            if m.id not in declared:
                self.error("E190", f"unknown model '{m.id}'", m.span, did_you_mean(m.id, declared))
        labels, keep, drop, order, notes, fit, stars = [], [], [], [], [], [], (0.10, 0.05, 0.01)
        stat, significant, layout = "t", False, "models"
        for opt in d.options:
            if opt.kind == "label":
                labels.append((expr_text(opt.target), opt.values[0].value))
            elif opt.kind == "stat":
                stat = opt.values[0].id
                if stat not in STATS:
                    self.error("E191", f"unknown statistic '{stat}'", opt.values[0].span, "use t, se or p")
            elif opt.kind == "stars":
                levels = tuple(v.value for v in opt.values)
                if not all(0 < x < 1 for x in levels) or list(levels) != sorted(levels, reverse=True):
                    self.error("E192", "star levels are probabilities in decreasing order, e.g. stars 0.10 0.05 0.01", opt.span)
                stars = levels
            elif opt.kind in ("keep", "drop", "order"):
                {"keep": keep, "drop": drop, "order": order}[opt.kind].extend(expr_text(v) for v in opt.values)
            elif opt.kind == "note":
                notes.append(opt.values[0].value)
            elif opt.kind == "fit":
                from povdsl.result import FIT_STATISTICS

                for v in opt.values:
                    if v.id not in FIT_STATISTICS:
                        self.error("E193", f"unknown fit statistic '{v.id}'", v.span, did_you_mean(v.id, FIT_STATISTICS))
                    fit.append(v.id)
            elif opt.kind == "significant":
                significant = True
            elif opt.kind == "layout":
                layout = opt.values[0].id
                if layout not in ("models", "sweep"):
                    self.error("E194", f"unknown layout '{layout}'", opt.values[0].span, "use models or sweep")
        if len(self.diagnostics) > before:
            return None
        return TableSpec(
            name=d.name,
            title=d.title or d.name,
            models=tuple(m.id for m in d.models),
            labels=tuple(labels),
            stat=stat,
            stars=stars,
            keep=tuple(keep),
            drop=tuple(drop),
            order=tuple(order),
            notes=tuple(notes),
            fit_stats=tuple(fit),
            significant_only=significant,
            layout=layout,
        )


# ------------------------------------------------------------------ helpers


def _sorted_unique(diagnostics):
    seen, out = set(), []
    for d in diagnostics:
        key = (d.code, d.message, d.span)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return sorted(out, key=lambda d: (d.span.path, d.span.line, d.span.col) if d.span else ("", 0, 0))


def _dunder(name: str) -> bool:
    return name.startswith("__") or name.endswith("__")


def _known_calls() -> list[str]:
    from povdsl.signatures import ARGUMENT_CALLS

    return [*FUNCTIONS, *SOURCE_FUNCTIONS, *DATA_OPTIONS, *WEIGHT_BUILDERS, *ARGUMENT_CALLS]


def _known_call(name: str) -> bool:
    return name in _known_calls()


def _literal(e):
    """Python value of a literal argument: float, bool, str, or None when not a literal."""
    if isinstance(e, s.Number):
        return e.value
    if isinstance(e, s.Negate) and isinstance(e.operand, s.Number):
        return -e.operand.value
    if isinstance(e, s.Name) and e.id in ("true", "false"):
        return e.id == "true"
    if isinstance(e, s.String):
        return e.value
    return None


def _walk(node):
    """Every node below (and including) node, depth first."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n is None or isinstance(n, (str, int, float, bool)):
            continue
        if isinstance(n, (tuple, list)):
            stack.extend(n)
            continue
        yield n
        for name in getattr(n, "__slots__", ()):
            if name in ("span", "name_span", "func_span", "comments"):
                continue
            stack.append(getattr(n, name, None))


def check(spec: s.Spec, env: Environment | None = None, source_text: str | None = None) -> Plan:
    """Check a parsed spec against its data headers; raise SpecError with every diagnostic."""
    try:
        return _Checker(spec, env or Environment()).run()
    except SpecError as exc:
        if source_text is not None:
            exc.sources.setdefault(spec.path, source_text)
        raise


literal = _literal
walk = _walk
