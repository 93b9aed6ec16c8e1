"""Checks of expressions: values and their levels, calls, W(), clusters(), formulas, macro expansion."""

from __future__ import annotations

import re
import unicodedata

from povdsl.check.nodes import _literal, _walk
from povdsl.check.signatures import MAX_LAG
from povdsl.check.state import CheckerState
from povdsl.check.terms import INTERCEPT, MAX_TERMS, NO_INTERCEPT, Expander, Term, TermLimit, leaf_terms, strongly_connected
from povdsl.diagnostics import did_you_mean
from povdsl.language import syntax as s
from povdsl.language.functions import FORMULA, FUNCTIONS, LET, VALUE
from povdsl.language.printer import expr_text

LEVELS = {"scalar": 0, "region": 1, "unit": 2}
MAX_FORMULA_POWER = 10  # (a + b + c)**k expands to interactions; formulaic builds them one by one


def _widest(levels: list[str | None]) -> str | None:
    """The widest level among the parts (unit > region > scalar), or None when a part failed."""
    known = [level for level in levels if level is not None]
    return None if len(known) < len(levels) else max(known, key=LEVELS.__getitem__)


class ExpressionChecks(CheckerState):
    """Checks value expressions, function calls, W(), clusters() and formula sides."""

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
            if not any(p.role == "region" for p in self.data.values()):
                self.error(
                    "E135",
                    "clusters() counts per region and year, but no data set is declared with key(region, time)",
                    call.span,
                    'declare the regions, e.g. data counties = "counties.csv" key(county, year)',
                )
                ok = False
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
                sweeping = isinstance(kw.value, s.Name) and kw.value.id == self.sweep_var
                if not isinstance(kw.value, s.String) and not sweeping:
                    self.error("E134", 'industry takes a code as a string, e.g. industry="171"', kw.value.span)
                    ok = False
            elif kw.name == "digits" and value not in (1.0, 2.0, 3.0, 4.0):
                self.error("E134", "digits takes 1, 2, 3 or 4", kw.value.span)
                ok = False
            elif kw.name == "lq" and (not isinstance(value, float) or not value > 0):
                self.error("E134", "lq takes a positive number (a location quotient of 0 makes every industry a cluster)", kw.value.span, "the usual threshold is lq=1.25")
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
                return _widest(levels)
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
                return _widest(levels)
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
        return _widest(levels)

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
        if level == "unit" and not (self.env.unit_level_w or self._rows_are_regions()):
            self.error(
                "E151",
                f"W() needs a region-level variable, but '{expr_text(x)}' varies within regions",
                x.span,
                "use a column of a key(region, time) data set or a let built from one",
            )
            return None
        return "region" if ok and level is not None else None

    def _rows_are_regions(self) -> bool:
        """A cross-section declared region(ID) with no key(...) table (Columbus): each row is a region, so W() takes its columns.

        Whether a region really has one row is known only from the data: the
        data stage refuses a column that varies within a region (as for povdsl.fit).
        """
        units = next((p for p in self.data.values() if p.role == "panel"), None)
        return units is not None and units.unit is None and units.region is not None and not any(p.role == "region" for p in self.data.values())

    def _unknown_name(self, e: s.Name):
        if any(not p.readable for p in self.data.values()):
            return  # a data file that could not be read was reported once; its names are not reported again
        pool = list(self.scope) + list(self.macros)
        hint = did_you_mean(e.id, pool)
        near = next((name for name in pool if hint == f"did you mean '{name}'?"), None)
        if near is not None and not _SPEC_NAME.fullmatch(near):  # 'ln exper', 'expérience': no spec can write it
            hint = (
                f"the data has a column '{near}', which a spec cannot name (names are ASCII letters, digits and _): "
                f"rename it in the data file, e.g. to '{_spec_name(near)}'"
            )
        self.error("E110", f"unknown variable '{e.id}'", e.span, hint)

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
                    if name not in self._macro_ok:
                        self.check_macros()
                    return self._macro_ok.get(name, False)
                if name in self.scope:
                    return True
                self._unknown_name(e)
                return False
            case s.Call(func=func):
                fn = FUNCTIONS.get(func)
                if func == "clusters" and self.sweep_var:
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
                    from povdsl.check.signatures import _lag_range

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

    def check_macros(self) -> None:
        """Check every `terms` body once, dependencies first, without recursion.

        A reference to a macro of the same cycle is E121; every other use of
        a macro reads its memoised result, so doubling macros cost linear time
        and a chain of a thousand macros costs no stack.
        """
        graph = {name: [n.id for n in _walk(body) if isinstance(n, s.Name) and n.id in self.macros] for name, body in self.macros.items()}
        order = {name: i for i, name in enumerate(self.macros)}
        for component in strongly_connected(graph):
            members = set(component)
            cyclic = len(component) > 1 or component[0] in graph[component[0]]
            for name in component:
                self._macro_ok.setdefault(name, not cyclic)
            for name in sorted(component, key=order.__getitem__):
                if cyclic:
                    for ref in (n for n in _walk(self.macros[name]) if isinstance(n, s.Name) and n.id in members):
                        self.error("E121", f"terms '{ref.id}' refers to itself", ref.span)
                ok = self._formula(self.macros[name], set()) and self._expanded(self.macros[name]) is not None
                self._macro_ok[name] = ok and not cyclic

    def _expanded(self, e: s.Expr) -> list[Term] | None:
        """e's terms with formulaic's rules, each macro expanded once; None (and E166) past the limits."""
        if self._expander is None:
            self._expander = Expander(self.macros, leaf_terms)
        try:
            return self._expander.terms(e)
        except TermLimit as exc:
            self.error("E166", str(exc), exc.span or e.span, f"a formula side may have at most {MAX_TERMS:,} terms after expansion")
            return None

    def side_terms(self, e: s.Expr, origin: str | None = None) -> list[tuple[frozenset[str], Term, str | None]]:
        """A checked side as (key, term, macro) triples, from the one expansion (check/terms.py).

        Terms come expanded with formulaic's rules, in order of first
        appearance (the order of the coefficients in every output); the keys
        INTERCEPT and NO_INTERCEPT mark `1` and `0`. Each macro is expanded
        once, so neither doubling macros nor long chains cost more than their size.
        """
        if self._expander is None:
            self._expander = Expander(self.macros, leaf_terms)
        try:
            side = self._expander.side(e)
        except TermLimit:
            return []  # _expanded reports the limit, located
        return [(key, term, chain[0] if chain else origin) for key, (term, chain) in side.items()]

    def expand(self, e: s.Expr, origin: str | None = None) -> list[tuple[s.Expr, int, str | None]]:
        """side_terms as syntax: (term, sign, macro) triples, with `1` and `0` for the intercept markers."""
        return [
            (s.Number("1" if key == INTERCEPT else "0", span=term.span), 1, None) if key in (INTERCEPT, NO_INTERCEPT) else (term.expr, 1, macro)
            for key, term, macro in self.side_terms(e, origin)
        ]


_SPEC_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _spec_name(column: str) -> str:
    """A name a spec can write for a column: accents dropped, every other character an underscore."""
    ascii_text = unicodedata.normalize("NFKD", column).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9_]", "_", ascii_text).strip("_") or "column"
    return name if not name[0].isdigit() else f"_{name}"

