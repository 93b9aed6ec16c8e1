"""Checks of lets, models (with sweeps and variances) and tables."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from povdsl.check.expressions import ExpressionChecks
from povdsl.check.nodes import _walk, call_of, literal, name_of, number_of, string_of
from povdsl.check.plan import LetPlan, ModelPlan, TableSpec, TermSelector, is_glob
from povdsl.check.signatures import _lag_range, bind_estimator
from povdsl.check.table_layout import SWEEP_STATS, TableLayoutChecks
from povdsl.check.terms import INTERCEPT, NO_INTERCEPT, Factor, ModelTerms, Term, lag_name, ordered
from povdsl.diagnostics import did_you_mean
from povdsl.estimate.registry import REGISTRY
from povdsl.language import syntax as s
from povdsl.language.printer import expr_text

MAX_STAR_LEVELS = 5  # "*****" is already more than any journal prints
MAX_DIGITS = 8  # more is noise in a table (and float64 holds ~15-17)
DIGIT_STYLES = ("sig",)
VCOV_KINDS = ("unadjusted", "robust", "cluster")


class ModelChecks(ExpressionChecks, TableLayoutChecks):
    """Checks let declarations, models, their sweeps and variances, and tables."""

    # --------------------------------------------------------------- lets

    def _lets(self, decls: list[s.LetDecl]) -> list[LetPlan]:
        by_name = {d.name: d for d in decls}
        order: list[LetPlan] = []
        state: dict[str, str] = {}
        cyclic: set[str] = set()

        def visit(d: s.LetDecl, chain: tuple[str, ...]) -> None:
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

    # ------------------------------------------------------------- models

    def _model(self, d: s.ModelDecl) -> ModelPlan | None:
        before = len(self.diagnostics)
        self.sweep_var = None
        if d.sweep is not None:
            self._sweep(d.sweep)
            self.sweep_var = d.sweep.var
        units = next((p for p in self.data.values() if p.role == "panel"), None)
        if self.data and units is None:
            self.error("E171", "every data set is key(region, time); models need a data set of units", d.span, "declare the units' data set, with panel(unit, time) for panel estimators")
        elif units is not None and units.unit is None and units.readable and self._needs_panel(d.estimator):
            self.error(
                "E171",
                f"{d.estimator.name}() needs a panel, and data set '{units.name}' is a cross-section",
                d.estimator.span,
                f"declare its unit and time columns: data {units.name} = ... panel(unit, time)",
            )
            return None
        lhs_ok = self._formula(d.lhs, set())
        rhs_ok = self._formula(d.rhs, set())
        if d.where is not None:
            level = self._value(d.where.condition)
            if level == "scalar":
                self.error("E172", "the where condition does not depend on the data", d.where.condition.span)
        kept: dict[str, s.Expr] = {}  # printed term -> term, in order of first appearance
        intercept = True
        origins: list[tuple[str, str]] = []  # (term text, macro name)
        expanded = self._expanded(d.rhs) if rhs_ok else None
        outcome = self._expanded(d.lhs) if lhs_ok else None
        if outcome is not None and (len(outcome) != 1 or outcome[0].degree != 1):
            self.error("E167", "the outcome must be one variable or transform", d.lhs.span, "define a combination with `let`")
        written: list[Term] = []  # the expanded terms in order of first appearance: the coefficients' order
        if expanded is not None:
            for key, term, macro in self.side_terms(d.rhs):
                if key in (INTERCEPT, NO_INTERCEPT):
                    intercept = key == INTERCEPT
                    continue
                expr = term.expr
                text = expr_text(expr)
                if text not in kept:
                    kept[text] = expr
                    written.append(term)
                    if macro:
                        origins.append((text, macro))
        terms = list(kept.values())
        binding = bind_estimator(d.estimator, self, None if expanded is None else [term.expr for term in expanded])
        vcov_kind = "default"
        vcov_groups: tuple[str, ...] = ()
        if d.vcov is not None:
            vcov_kind = d.vcov.kind
            if vcov_kind not in VCOV_KINDS:
                self.error("E180", f"unknown variance '{vcov_kind}'", d.vcov.span, _variance_hint(vcov_kind))
            elif vcov_kind == "cluster":
                if not 1 <= len(d.vcov.groups) <= 2:
                    self.error("E181", "cluster() takes one or two variables", d.vcov.span)
                seen: set[str] = set()
                for g in d.vcov.groups:
                    if not isinstance(g, s.Name):  # a sweep value substituted for a cluster variable (`for g in [county, 2004]`)
                        self.error("E181", f"cluster() takes column names, not '{expr_text(g)}'", g.span, "sweep over column names: for g in [county, household]")
                        break
                    if g.id not in self.scope:
                        self._unknown_name(g)
                    elif g.id in seen:
                        self.error("E183", f"cluster variable '{g.id}' given twice", g.span, f"write cluster({g.id}) for one-way clustering")
                    seen.add(g.id)
                vcov_groups = tuple(g.id for g in d.vcov.groups if isinstance(g, s.Name))
            elif d.vcov.groups:
                self.error("E182", f"{vcov_kind} takes no variables", d.vcov.span)
        if len(self.diagnostics) > before or binding is None or expanded is None or outcome is None:
            return None
        layer = self._layer(outcome[0].factors[0], expanded, tuple(written), binding.endog, binding.instruments)
        if layer is None:
            return None
        record = REGISTRY[d.estimator.name]
        if d.vcov is not None and record.vcov_clause and len(vcov_groups) > record.max_cluster_ways:
            self.error(
                "E184",
                f"{d.estimator.name} supports {'one-way' if record.max_cluster_ways == 1 else f'up to {record.max_cluster_ways}-way'} clustering, but {len(vcov_groups)} cluster variables were given",
                d.vcov.span,
                "cluster by one variable, or by the coarser of the two",
            )
            return None
        if binding.dynamic is not None:
            if d.vcov is not None and not record.vcov_clause:
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
            layer=layer,
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
            sweep_over=call_of(d.sweep.over) if d.sweep and isinstance(d.sweep.over, s.Call) else None,
            origins=tuple(origins),
            span=d.span,
        )

    def _layer(self, outcome: Factor, rhs: list[Term], written: tuple[Term, ...], endog: tuple[s.Expr, ...], instruments: tuple[s.Expr, ...]) -> ModelTerms | None:
        """The typed terms of a model: endogeneity is per expanded term (`age*edu` instruments `age`, docs/decisions.md)."""
        blocks: list[list[Term]] = [[], []]
        for block, exprs in zip(blocks, (endog, instruments)):
            for e in exprs:
                found = self._expanded(e)
                if found is None:
                    return None
                block.extend(found)
        endog_keys = {t.key for t in blocks[0]}
        exog = ordered(t for t in rhs if t.key not in endog_keys)
        return ModelTerms(outcome, exog, ordered(blocks[0]), ordered(blocks[1]), written)

    @staticmethod
    def _needs_panel(est: s.Estimator) -> bool:
        """fe, re and dynamic GMM need unit and time columns; iv/gmm only with fe=."""
        sig = REGISTRY.get(est.name)
        if sig is None:
            return False
        return sig.needs_panel or (sig.binding == "instrumental" and any(isinstance(a, s.Keyword) and a.name == "fe" for a in est.args))

    def _sweep(self, sweep: s.Sweep) -> None:
        """`for industry in industries(census, digits=3, year=2004, names=industry_names)`."""
        over = sweep.over
        assert isinstance(over, s.Call) and over.func == "industries"  # SweepChecks leaves only an industries(...) clause here (any other source: E501)
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
                names = kw.value.id if isinstance(kw.value, s.Name) else None
                plan = self.data.get(names) if names is not None else None
                if plan is None:
                    self.error("E176", "names takes a data set with columns code and name", kw.value.span)
                elif plan.columns and not {"code", "name"} <= set(plan.columns):
                    self.error("E176", f"data set '{names}' needs columns code and name", kw.value.span)
            elif kw.name not in ("digits", "year", "names"):
                self.error("E177", f"industries() has no option '{kw.name}'", kw.span, did_you_mean(kw.name, ("digits", "year", "names")))

    # ------------------------------------------------------------- tables

    def _table(self, d: s.TableDecl, declared: dict[str, s.ModelDecl]) -> TableSpec | None:
        before = len(self.diagnostics)
        for m in d.models:
            if m.id not in declared:
                self.error("E190", f"unknown model '{m.id}'", m.span, did_you_mean(m.id, declared) or _listed("the spec's models are", declared))
        labels: list[tuple[str, str]] = []
        keep: list[str] = []
        drop: list[str] = []
        order: list[str] = []
        notes: list[str] = []
        fit: list[str] = []
        stars: tuple[float, ...] = (0.10, 0.05, 0.01)
        selectors: list[TermSelector] = []
        digits, significant_figures = None, False
        rows: list[tuple[str, tuple[str, ...]]] = []
        vcov_row = False
        stat, significant, layout, show = "t", False, "models", "coefficients"
        second_stat, stat_option = "", None
        fit_labels: list[tuple[str, str]] = []
        fit_digits: list[tuple[str, int]] = []
        fe_rows: int | None = None
        fe_option: s.TableOption | None = None
        groups: list[tuple[s.TableOption, tuple[str, ...]]] = []
        panels: list[tuple[s.TableOption, tuple[str, ...]]] = []
        fit_width = landscape = False
        fit_style, fit_option = "", None
        grid_option: s.TableOption | None = None
        for opt in d.options:
            if opt.kind == "label":
                target = _grammar_target(opt.target)
                labels.append((_target_text(target), string_of(opt.values[0])))
                selectors.append(_selector("label", target, string_of(opt.values[0])))
            elif opt.kind == "stat":
                stat, second_stat = self._stat_option(opt)
                stat_option = opt
            elif opt.kind == "stars":
                levels = tuple(number_of(v) for v in opt.values)
                if len(levels) > MAX_STAR_LEVELS:
                    self.error("E195", f"stars takes at most {MAX_STAR_LEVELS} levels, not {len(levels)}", opt.span, "e.g. stars 0.10 0.05 0.01")
                    continue
                if not all(0 < x < 1 for x in levels) or list(levels) != sorted(levels, reverse=True):
                    self.error("E192", "star levels are probabilities in decreasing order, e.g. stars 0.10 0.05 0.01", opt.span)
                stars = levels
            elif opt.kind in ("keep", "drop", "order"):
                {"keep": keep, "drop": drop, "order": order}[opt.kind].extend(_target_text(v) for v in opt.values)
                selectors.extend(_selector(opt.kind, v) for v in opt.values)
            elif opt.kind == "note":
                notes.append(string_of(opt.values[0]))
            elif opt.kind == "fit":
                self._fit_option(opt, fit, fit_labels, fit_digits)
            elif opt.kind == "row fe":
                fe_rows = len(rows)
                fe_option = opt
            elif opt.kind in ("group", "panel"):
                item = self._span_option(d, opt)
                if item is not None:
                    (groups if opt.kind == "group" else panels).append((opt, item[1]))
            elif opt.kind == "fit width":
                fit_width = True
                fit_style = self._fit_style(opt)
                fit_option = opt
            elif opt.kind == "landscape":
                landscape = True
            elif opt.kind == "significant":
                significant = True
            elif opt.kind == "row":
                texts = tuple(string_of(v) for v in opt.values)
                if len(texts) != len(d.models) and layout != "sweep":
                    self.error("E199", f"row has {len(texts)} value{'s' if len(texts) != 1 else ''} for {len(d.models)} model{'s' if len(d.models) != 1 else ''}", opt.span, "give one text per model of the table, in the table's order")
                rows.append((string_of(opt.target), texts))
            elif opt.kind == "vcov row":
                vcov_row = True
            elif opt.kind == "digits":
                number = number_of(opt.values[0])
                if not (float(number).is_integer() and 0 <= number <= MAX_DIGITS):
                    self.error("E188", f"digits takes a whole number from 0 to {MAX_DIGITS}", opt.values[0].span)
                    continue
                if opt.target is not None:
                    selectors.append(replace(_selector("digits", opt.target), digits=int(number)))
                    continue
                style = name_of(opt.values[1]) if len(opt.values) > 1 else ""
                if style and style not in DIGIT_STYLES:
                    self.error("E188", f"unknown digits style '{style}'", opt.values[1].span, "write `digits 3` for three decimals or `digits 3 sig` for three significant figures")
                elif style == "sig" and number == 0:
                    self.error("E188", "a number needs at least one significant figure", opt.values[0].span)
                digits, significant_figures = int(number), style == "sig"
            elif opt.kind == "layout":
                layout = name_of(opt.values[0])
                if layout not in ("models", "sweep"):
                    self.error("E194", f"unknown layout '{layout}'", opt.values[0].span, "use models or sweep")
                elif len(opt.values) == 3 and layout != "sweep":  # a grid is a sweep table's; one error, not E196 too
                    self.error("E194", f"only a sweep table lays variables on rows and columns, not `layout {layout}`", opt.values[0].span, "write `layout sweep c by w`")
                    layout = "sweep"
                elif len(opt.values) == 3:  # layout sweep c by w
                    grid_option = opt
            elif opt.kind == "show":
                show = name_of(opt.values[0])
                if show not in ("coefficients", "impacts"):
                    self.error("E198", f"unknown `show {show}`", opt.values[0].span, did_you_mean(show, ("coefficients", "impacts")) or "use coefficients or impacts")
        self._layout_fits_models(d, layout, declared)
        grid = self._grid_option(d, grid_option, declared) if grid_option is not None else ()
        if layout == "sweep" and stat_option is not None and (second_stat or stat not in SWEEP_STATS):
            self.error("E191", "a sweep table shows one statistic: t, se, p or none", stat_option.span, "write e.g. `stat t`")
        self._check_groups(d, groups, bool(panels), layout)
        self._check_panels(d, panels, layout)
        if layout == "sweep" and fit_style == "scale" and fit_option is not None:
            self.error("E189", "a sweep table breaks across pages and cannot be scaled", fit_option.span, "write `fit width` or `fit width small`")
        if layout == "sweep" and fe_option is not None:
            self.error("E187", "a sweep table has no fixed-effect rows", fe_option.span, "remove `row fe` or `layout sweep`")
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
            show=show,
            selectors=tuple(selectors),
            digits=digits,
            significant_figures=significant_figures,
            rows=tuple(rows),
            vcov_row=vcov_row,
            second_stat=second_stat,
            fit_labels=tuple(fit_labels),
            fit_digits=tuple(fit_digits),
            fe_rows=fe_rows,
            groups=tuple((string_of(o.target), m) for o, m in groups if o.target is not None),
            panels=tuple((string_of(o.target), m) for o, m in panels if o.target is not None),
            fit_width=fit_width,
            fit_style=fit_style,
            landscape=landscape,
            grid=grid,
        )

    def _layout_fits_models(self, d: s.TableDecl, layout: str, declared: dict[str, s.ModelDecl]) -> None:
        """`layout sweep` shows sweeps (one regression per value of a `for` clause), `layout models` shows plain models."""
        if layout not in ("models", "sweep"):
            return
        for m in d.models:
            model = declared.get(m.id)
            if model is None:
                continue
            if layout == "sweep" and model.sweep is None:
                self.error("E196", f"layout sweep shows sweeps, and model '{m.id}' is not one", m.span, "remove `layout sweep`, or name models declared with `for ... in ...`")
            elif layout == "models" and model.sweep is not None:
                self.error("E196", f"model '{m.id}' is a sweep (one regression per value of its `for` clause); a table of sweeps needs `layout sweep`", m.span, "add the option `layout sweep` to this table")


def _grammar_target(target: s.Expr | None) -> s.Expr:
    """The term a `label` option names: the grammar's `label_option: "label" expr "=" STRING` always has one."""
    assert target is not None, "the grammar gives every label option a target"
    return target


def _target_text(target: s.Expr) -> str:
    """A keep/drop/order/label item as text: a string's value, an expression as printed."""
    return target.value if isinstance(target, s.String) else expr_text(target)


def _selector(kind: str, target: s.Expr, label: str = "") -> TermSelector:
    """The coefficient names a keep/drop/order/label item stands for (see TermSelector)."""
    text = _target_text(target)
    if isinstance(target, s.String):
        if is_glob(text):
            return TermSelector(kind, text, pattern=text, label=label, span=target.span)
        return TermSelector(kind, text, names=(text,), label=label, span=target.span)
    return TermSelector(kind, text, names=_coefficient_names(target), label=label, span=target.span)


def _coefficient_names(e: s.Expr) -> tuple[str, ...]:
    """`L(n, 1)` -> L1.n and `L(n, 0:2)` -> n, L1.n, L2.n, as the compiler names lag columns; anything else as printed."""
    if isinstance(e, s.Call) and e.func == "L":
        args = [a for a in e.args if not isinstance(a, s.Keyword)]
        lags = _lag_range(args[1]) if len(args) == 2 else None
        if lags is not None and lags[1] is not None:
            var = expr_text(args[0])
            return tuple(lag_name(var, k) for k in range(lags[0], lags[1] + 1))
    return (expr_text(e),)


def _listed(what: str, names: Iterable[str], most: int = 12) -> str | None:
    """A hint naming every choice when there are few (a misspelt name with nothing close still gets a way forward)."""
    choices = sorted(names)
    return f"{what} {', '.join(choices)}" if 0 < len(choices) <= most else None


def _variance_hint(kind: str) -> str:
    """Stata's and sandwich's spellings get povdsl's; anything else the nearest kind or the list."""
    lowered = kind.lower()
    if lowered in ("hc1", "hc0", "hc2", "hc3", "het", "hetero", "heteroskedastic", "white"):
        return "write `robust`: povdsl's heteroskedasticity-robust variance is HC1 (Stata's `, robust`); HC0, HC2 and HC3 are not offered"
    if lowered in ("iid", "ols", "classical", "homoskedastic", "standard"):
        return "write `unadjusted` for the classical variance"
    if lowered in ("cl", "crv1", "clustered", "cluster_robust"):
        return "write `cluster(var)`, or `cluster(a, b)` for two-way clustering"
    if lowered != kind and lowered in VCOV_KINDS:
        return f"did you mean '{lowered}'?"
    return did_you_mean(kind, VCOV_KINDS) or "use unadjusted, robust or cluster(var)"

