"""What each estimator accepts in a spec, and how its arguments bind to a plan.

`fe(household)`, `gmm(iv=gdp_lag10)`, `sysgmm(gmm(n, 2:4), iv(k))`: the
positional and keyword arguments are checked here and every default is made
explicit, so `povdsl explain` can show the whole call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from povdsl.check.dynamic_panel import DynamicPanelSpec, GmmInstrument, IvInstrument
from povdsl.diagnostics import did_you_mean
from povdsl.estimate.options import OptionValue
from povdsl.estimate.registry import REGISTRY, EstimatorSpec
from povdsl.language import syntax as s
from povdsl.language.printer import expr_text

ARGUMENT_CALLS = frozenset({"gmm", "iv"})  # calls that only appear inside dynamic-panel estimators
MAX_LAG = 100  # every lag is a column or an instrument block; larger bounds are refused (docs/security.md)




@dataclass(frozen=True)
class Binding:
    options: tuple[tuple[str, OptionValue], ...] = ()
    entity: str | None = None
    time: str | None = None
    endog: tuple[s.Expr, ...] = ()
    instruments: tuple[s.Expr, ...] = ()
    intercept: bool = True
    dynamic: DynamicPanelSpec | None = None
    notes: tuple[str, ...] = field(default=())


def bind_estimator(est: s.Estimator, checker, terms: list | None) -> Binding | None:
    """Bind the call's arguments as its registry record says (povdsl.estimate.registry).

    `terms` is None when the formula had errors (already reported): the arguments are
    still checked, but nothing is said about the regressors (no cascade)."""
    sig = REGISTRY.get(est.name)
    if sig is None:
        checker.error("E200", f"unknown estimator '{est.name}'", est.span, (f"did you mean '{est.name.lower()}'?" if est.name.lower() in REGISTRY else did_you_mean(est.name, REGISTRY)) or f"estimators: {', '.join(REGISTRY)}")
        return None
    from povdsl.check.spatial_binding import bind_spatial

    binder = {"plain": _plain, "panel": _panel, "instrumental": _instrumental, "dynamic": _dynamic, "spatial": bind_spatial}[sig.binding]
    return binder(est, sig, checker, terms)


def _registry_options(est, checker, args, structural: frozenset[str] = frozenset()) -> dict[str, OptionValue] | None:
    """Bind flags (`margins`, `small=true`) and numbers (`steps=2`) to the estimator's OptionSpecs."""
    specs = {o.name: o for o in REGISTRY[est.name].options if o.name not in structural}
    bound: dict[str, OptionValue] = {}
    ok = True
    for a in args:
        name = a.id if isinstance(a, s.Name) else a.name if isinstance(a, s.Keyword) else expr_text(a)
        spec = specs.get(name)
        value = a.value if isinstance(a, s.Keyword) else None
        if spec is None:
            known = ", ".join(specs) or "none"
            hint = did_you_mean(name, specs) or f"options: {known}"
            if name in ("unadjusted", "robust", "cluster"):
                hint = f"the variance is a clause of its own: `| {est.name} vcov {name}`"
            checker.error("E218", f"{est.name}() has no option '{name}'", a.span, hint)
            ok = False
        elif spec.type == "flag" and value is None:
            bound[name] = True
        elif spec.type == "flag" and isinstance(value, s.Name) and value.id in ("true", "false"):
            bound[name] = value.id == "true"
        elif spec.type == "float" and isinstance(value, s.Number):
            bound[name] = value.value
        elif spec.type == "int" and isinstance(value, s.Number) and value.text.isdigit() and spec.accepts(int(value.text)):
            bound[name] = int(value.text)
        else:
            checker.error("E217", f"option '{name}' of {est.name}() takes {spec.wanted()}", a.span)
            ok = False
        if name in bound and sum(1 for x in args if (x.id if isinstance(x, s.Name) else getattr(x, "name", None)) == name) > 1:
            checker.error("E204", f"option '{name}' given twice", a.span)
            ok = False
    return bound if ok else None


def _plain(est, sig: EstimatorSpec, checker, terms):
    options = _registry_options(est, checker, est.args)
    return None if options is None else Binding(options=tuple(sorted(options.items())))


def _panel_column(checker, node, what) -> str | None:
    if not isinstance(node, s.Name):
        checker.error("E220", f"the {what} must be a column name", node.span)
        return None
    if node.id not in checker.scope:
        checker._unknown_name(node)
        return None
    return node.id


def _panel(est, sig: EstimatorSpec, checker, terms):
    pos = [a for a in est.args if not isinstance(a, s.Keyword)]
    kws = [a for a in est.args if isinstance(a, s.Keyword)]
    for kw in kws:
        checker.error("E218", f"{est.name}() has no option '{kw.name}'", kw.span, f"write {est.name}(unit) or {est.name}(unit, time)")
    limit = sig.panel_columns  # 0: any number of effects, fe(unit, time, industry, ...)
    if not pos and limit != 1:
        checker.error("E203", f"{est.name}() takes one or more column names", est.span, f"write {est.name}(unit), {est.name}(unit, time) or {est.name}(unit, time, industry)")
        return None
    if limit and not 1 <= len(pos) <= limit:
        checker.error("E203", f"{est.name}() takes {'one column name' if limit == 1 else f'one to {limit} column names'}", est.span, f"write {est.name}(unit)")
        return None
    entity = _panel_column(checker, pos[0], "unit")
    time = _panel_column(checker, pos[1], "time") if len(pos) >= 2 else None
    effects = [_panel_column(checker, node, "fixed effect") for node in pos[2:]]
    if entity is None or (len(pos) >= 2 and time is None) or None in effects or kws:
        return None
    if time == entity:
        checker.error("E222", f"{est.name}() names '{entity}' as both unit and time", pos[1].span, f"write {est.name}({entity}) for one-way fixed effects")
        return None
    named = [entity, *([time] if time else []), *effects]
    repeated = next((i for i, name in enumerate(named) if name in named[:i]), None)
    if repeated is not None:
        checker.error("E222", f"{est.name}() names '{named[repeated]}' twice", pos[repeated].span, "absorb each fixed effect once")
        return None
    options: tuple[tuple[str, OptionValue], ...] = ()
    if effects:
        options += (("effects", tuple(str(e) for e in effects)),)
    if time:
        options += (("time_effects", True),)
    return Binding(options=options, entity=entity, time=time)


def _instrumental(est, sig: EstimatorSpec, checker, terms):
    kws = {}
    structural = [a for a in est.args if isinstance(a, s.Keyword) and a.name in ("iv", "endog", "fe")]
    extra = _registry_options(est, checker, [a for a in est.args if a not in structural], frozenset({"absorb"}))
    ok = extra is not None
    for a in structural:
        if a.name in kws:
            checker.error("E204", f"argument '{a.name}' given twice", a.span)
            ok = False
        else:
            kws[a.name] = a.value
    if "iv" not in kws:
        checker.error("E205", f"{est.name}() needs instruments: iv=...", est.span, f"e.g. {est.name}(iv=gdp_lag10)")
        return None
    if not ok or not terms:
        if terms == []:
            checker.error("E206", "an IV model needs at least one regressor", est.span)
        return None
    entity = None
    if "fe" in kws:
        entity = _panel_column(checker, kws["fe"], "unit")
        if entity is None:
            return None
    if not checker._formula(kws["iv"], set()):
        return None
    instruments = [t for t, sign, _ in checker.expand(kws["iv"]) if sign > 0 and not isinstance(t, s.Number)]
    term_texts = {expr_text(t): t for t in terms}
    if "endog" in kws:
        if not checker._formula(kws["endog"], set()):
            return None
        endog = [t for t, sign, _ in checker.expand(kws["endog"]) if sign > 0 and not isinstance(t, s.Number)]
        for t in endog:
            if expr_text(t) not in term_texts:
                checker.error("E207", f"endogenous '{expr_text(t)}' is not a regressor of this model", t.span or est.span)
                return None
    else:
        endog = default_endogenous(terms)
        instruments = spatial_instruments(instruments, endog)
    if len(instruments) < len(endog):
        checker.error(
            "E208",
            f"{len(endog)} endogenous regressor{'s' if len(endog) != 1 else ''} ({', '.join(expr_text(t) for t in endog)}) but only {len(instruments)} instrument{'s' if len(instruments) != 1 else ''}",
            kws["iv"].span,
            "add instruments, or name fewer regressors with endog=",
        )
        return None
    overlap = [expr_text(t) for t in instruments if expr_text(t) in term_texts]
    if overlap:
        checker.error("E209", f"instrument '{overlap[0]}' is also a regressor", kws["iv"].span, "an excluded instrument must not appear in the formula")
        return None
    options = tuple(sorted({**(extra or {}), "absorb": entity is not None}.items()))
    return Binding(options=options, entity=entity, endog=tuple(endog), instruments=tuple(instruments), intercept=entity is None)


def default_endogenous(terms: list) -> list:
    """The main regressor (first term) and its spatial lags W(main, w)."""
    main = terms[0]
    main_text = expr_text(main)
    endog = [main]
    for t in terms[1:]:
        if isinstance(t, s.Call) and t.func == "W" and expr_text(t.positional[0]) == main_text:
            endog.append(t)
    return endog


def spatial_instruments(instruments: list, endog: list) -> list:
    """For each weights w of the main regressor's W-lags, add W(z, w) for every instrument z."""
    out = list(instruments)
    texts = {expr_text(t) for t in out}
    weights = [t.positional[1] for t in endog if isinstance(t, s.Call) and t.func == "W"]
    for z in instruments:
        if isinstance(z, s.Call) and z.func == "W":
            continue
        for w in weights:
            lagged = s.Call("W", (z, w), span=z.span)
            if expr_text(lagged) not in texts:
                out.append(lagged)
                texts.add(expr_text(lagged))
    return out


def _lag(node) -> int | None:
    """A lag literal: a whole number from 0 to MAX_LAG, else None (never int() of inf, never 10**8 lags)."""
    if not isinstance(node, s.Number):
        return None
    v = node.value
    return int(v) if math.isfinite(v) and v.is_integer() and 0 <= v <= MAX_LAG else None


def _lag_range(node) -> tuple[int, int | None] | None:
    if isinstance(node, s.Number):
        k = _lag(node)
        return None if k is None else (k, k)
    if isinstance(node, s.BinOp) and node.op == ":":
        first = _lag(node.left)
        if first is None:
            return None
        if isinstance(node.right, s.OpenBound):
            return first, None
        last = _lag(node.right)
        return None if last is None else (first, last)
    return None


def _instrument_sum(node) -> list[tuple[s.Name, int, int | None]] | None:
    """`a + L(b, 0:1) + ...` as (variable, first lag, last lag) parts, as xtabond2's `iv(a L(0/1).b)`; None if not that shape."""
    if isinstance(node, s.Paren):
        return _instrument_sum(node.inner)
    if isinstance(node, s.BinOp) and node.op == "+":
        left, right = _instrument_sum(node.left), _instrument_sum(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, s.Name):
        return [(node, 0, 0)]
    if isinstance(node, s.Call) and node.func == "L" and len(node.args) == 2 and isinstance(node.args[0], s.Name):
        rng = _lag_range(node.args[1])
        return None if rng is None else [(node.args[0], rng[0], rng[1])]
    return None


def _dynamic(est, sig: EstimatorSpec, checker, terms):
    ok = True
    saw_gmm = False
    gmm: list[GmmInstrument] = []
    iv: list[IvInstrument] = []
    flags, steps, constant = dict.fromkeys(sig.flags, False), 2, None
    for a in est.args:
        if isinstance(a, s.Call) and a.func == "gmm":
            saw_gmm = True
            pos = [x for x in a.args if not isinstance(x, s.Keyword) and not (isinstance(x, s.Name) and x.id == "collapse")]
            collapse = any(isinstance(x, s.Name) and x.id == "collapse" for x in a.args)
            rng = _lag_range(pos[1]) if len(pos) == 2 else None
            parts = _instrument_sum(pos[0]) if len(pos) == 2 else None
            if rng is None or parts is None or any(first != 0 or last != 0 for _, first, last in parts):
                checker.error("E210", "gmm() takes variables joined by + and a lag range, e.g. gmm(n, 2:4), gmm(n + w, 2:.)", a.span)
                ok = False
                continue
            if rng[1] is not None and rng[1] < rng[0]:
                checker.error("E211", f"empty lag range {rng[0]}:{rng[1]}", pos[1].span, f"write {rng[1]}:{rng[0]}")
                ok = False
                continue
            for var, _, _ in parts:
                if _panel_column(checker, var, "instrument") is None:
                    ok = False
                elif (entry := GmmInstrument(var.id, rng[0], rng[1], collapse)) not in gmm:
                    gmm.append(entry)
        elif isinstance(a, s.Call) and a.func == "iv":
            parts = _instrument_sum(a.args[0]) if len(a.args) == 1 else None
            if parts is None or any(last is None or last < first for _, first, last in parts):
                checker.error("E212", "iv() takes variables and closed lag ranges joined by +, e.g. iv(k), iv(L(w, 0:1) + k)", a.span)
                ok = False
                continue
            for var, first, last in parts:
                if _panel_column(checker, var, "instrument") is None:
                    ok = False
                    continue
                assert last is not None  # refused above
                iv.extend(one for k in range(first, last + 1) if (one := IvInstrument(var.id, k)) not in iv)
        elif isinstance(a, s.Keyword) and a.name == "steps":
            if not (isinstance(a.value, s.Number) and a.value.text in ("1", "2")):
                checker.error("E213", "steps takes 1 or 2", a.value.span)
                ok = False
            else:
                steps = int(a.value.text)
        elif isinstance(a, s.Keyword) and a.name == "constant" and isinstance(a.value, s.Name) and a.value.id in ("true", "false"):
            constant = a.value.id == "true"
        elif isinstance(a, s.Name) and a.id in sig.flags:
            flags[a.id] = True
        else:
            name = a.name if isinstance(a, s.Keyword) else expr_text(a)
            checker.error("E218", f"{est.name}() has no argument '{name}'", a.span, "arguments: gmm(vars, a:b), iv(vars), steps=1|2, constant=true|false, collapse, timeeffects")
            ok = False
    if not saw_gmm:
        checker.error("E214", f"{est.name}() needs at least one GMM-style instrument, e.g. gmm(n, 2:.)", est.span)
        ok = False
    regressors = []
    for t in terms or ():
        if isinstance(t, s.Name):
            regressors.append((t.id, 0))
        elif isinstance(t, s.Call) and t.func == "L" and isinstance(t.positional[0], s.Name) and (rng := _lag_range(t.positional[1])) and rng[1] is not None:
            regressors.extend((t.positional[0].id, k) for k in range(rng[0], rng[1] + 1))
        else:
            checker.error("E215", f"'{expr_text(t)}' is not a variable or L(var, lags) term; dynamic panels take those only", t.span)
            ok = False
    if not ok or terms is None:
        return None
    binding = DynamicPanelSpec(
        y="",  # the model's outcome, filled in by the checker
        regressors=tuple(regressors),
        gmm=tuple(gmm),
        iv=tuple(iv),
        system=est.name == "sysgmm",
        steps=steps,
        time_effects=flags.get("timeeffects", False),
        constant=constant,
        collapse=flags.get("collapse", False),
    )
    return Binding(options=(("steps", steps),), dynamic=binding, intercept=False)
