"""How `sar(w)`, `sem(w, fe=county)`, `sac(w1, w2, method=gmm)` and `slx(w)` bind (the registry's "spatial" binding).

Positional arguments are declared weight matrices (one; two for sac);
keywords are the estimator's options: `method=ml|gmm`, `fe=unit`, `robust`,
`draws=`, `seed=`, `ldet=auto|full|lu|ord`. A spatial estimator without a
weight matrix, or with an undeclared one, is a located error here, before
any data is read.
"""

from __future__ import annotations

from povdsl.diagnostics import did_you_mean
from povdsl.estimate.options import OptionValue
from povdsl.language import syntax as s
from povdsl.language.printer import expr_text

CHOICES = {"method": ("ml", "gmm"), "ldet": ("auto", "full", "lu", "ord")}


def bind_spatial(est: s.Estimator, sig, checker, terms):
    """The Binding of a spatial estimator call, or None after reporting what is wrong."""
    from povdsl.check.signatures import Binding

    positional = [a for a in est.args if not isinstance(a, s.Keyword)]
    flags = [a for a in positional if isinstance(a, s.Name) and a.id not in checker.weights and a.id == "robust"]
    weights = [a for a in positional if a not in flags]
    most = 2 if est.name == "sac" else 1
    form = f"{est.name}(w1, w2)" if most == 2 else f"{est.name}(w)"
    if not weights:
        checker.error("E230", f"{est.name}() needs a weight matrix", est.span, f"write {form} with a declared `weights w = ...`")
        return None
    ok = True
    if len(weights) > most:
        checker.error("E231", f"{est.name}() takes {'one or two weight matrices' if most == 2 else 'one weight matrix'}", weights[most].span, f"write {form}")
        ok = False
    names = []
    for w in weights[:most]:
        if not isinstance(w, s.Name) or w.id not in checker.weights:
            name = w.id if isinstance(w, s.Name) else expr_text(w)
            checker.error("E150", f"unknown weights '{name}'", w.span, did_you_mean(name, checker.weights) or "declare it with `weights NAME = inverse(...)` or knn(...)")
            ok = False
        else:
            names.append(w.id)
    options: dict[str, OptionValue] = {"weights": tuple(names)}
    if flags:
        options["robust"] = True
    specs = {o.name: o for o in sig.options}
    for kw in (a for a in est.args if isinstance(a, s.Keyword)):
        spec = specs.get(kw.name)
        if spec is None or kw.name == "weights":
            checker.error("E218", f"{est.name}() has no option '{kw.name}'", kw.span, did_you_mean(kw.name, specs) or f"options: {', '.join(o for o in specs if o != 'weights')}")
            ok = False
            continue
        if kw.name in options and kw.name != "weights":
            checker.error("E204", f"option '{kw.name}' given twice", kw.span)
            ok = False
            continue
        value = kw.value
        if spec.type == "flag" and isinstance(value, s.Name) and value.id in ("true", "false"):
            options[kw.name] = value.id == "true"
        elif spec.type == "int" and isinstance(value, s.Number) and value.text.isdigit() and spec.accepts(int(value.text)):
            options[kw.name] = int(value.text)
        elif kw.name == "fe" and isinstance(value, s.Name):
            if value.id not in checker.scope:
                checker._unknown_name(value)
                ok = False
            options["fe"] = value.id
        elif kw.name in CHOICES and isinstance(value, s.Name) and value.id in CHOICES[kw.name]:
            options[kw.name] = value.id
        else:
            want = spec.wanted() if spec.type in ("flag", "int") else "one of " + ", ".join(CHOICES.get(kw.name, ("a column name",)))
            checker.error("E217", f"option '{kw.name}' of {est.name}() takes {want}", value.span)
            ok = False
    if ok and options.get("fe") and (options.get("method") == "gmm" or est.name not in ("sar", "sem")):
        checker.error("E232", f"spatial panels with fe= are sar or sem by ML, not {est.name}({'method=gmm' if options.get('method') == 'gmm' else ''})", est.span, "write sar(w, fe=unit) or sem(w, fe=unit)")
        ok = False
    if ok and est.name == "sac" and len(names) == 2 and options.get("method") == "gmm":
        checker.error("E231", "sac(w1, w2) with two weight matrices is fitted by ML only (spreg's GM_Combo takes one)", weights[1].span, "write sac(w, method=gmm), or sac(w1, w2) without method=gmm")
        ok = False
    if ok and est.name == "slx" and len(options) > 1:
        checker.error("E218", "slx() takes only its weight matrix", est.span, "write slx(w)")
        ok = False
    if terms == [] and ok:
        checker.error("E206", f"a {est.name} model needs at least one regressor", est.span)
        ok = False
    return Binding(options=tuple(sorted(options.items()))) if ok else None
