"""One version of a spec indexed for comparison, and the canonical texts of its parts."""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace

from povdsl.language import syntax as s
from povdsl.language.printer import fit_item_text, setting_text, string_literal
from povdsl.tools.diff.changes import _FIGURE_DEFAULTS, _KIND_OF, _TABLE_DEFAULTS
from povdsl.tools.diff.terms import _INTERCEPT, _NO_INTERCEPT, _expand, _target_text, _term_set, _term_text, _text, expander


class _Side:
    """One version of the spec, indexed for comparison."""

    def __init__(self, spec: s.Spec):
        self.spec = spec
        self.decls: dict[tuple[str, str], s.Declaration] = {}
        for d in spec.declarations:
            self.decls.setdefault((_KIND_OF[type(d)], d.name), d)  # a duplicate is the checker's to report
        self.macros = {name: d.value for (kind, name), d in self.decls.items() if isinstance(d, s.TermsDecl)}
        self._terms: dict[str, dict] = {}
        self.expander = expander(self.macros)  # each macro expanded once per side

    def of_kind(self, kind: str) -> list[str]:
        return [name for (k, name) in self.decls if k == kind]

    def model_terms(self, name: str) -> dict:
        if name not in self._terms:
            model = self.decls[("model", name)]
            assert isinstance(model, s.ModelDecl)  # the "model" kind holds only model declarations
            self._terms[name] = _term_set(model.rhs, self.expander, with_intercept=True)
        return self._terms[name]

    def macro_terms(self, name: str) -> dict:
        body = self.macros[name]
        return _expand_named(body, self.expander)

    def body(self, kind: str, name: str):
        """What a declaration means apart from its name and label: the rename key."""
        d = self.decls[(kind, name)]
        match d:
            case s.DataDecl():
                return (_text(d.source), tuple(sorted(_text(o) for o in d.options)), tuple(sorted(setting_text(o) for o in d.settings)))
            case s.WeightsDecl():
                return _text(d.builder)
            case s.LetDecl():
                return _text(d.value)
            case s.TermsDecl():
                return frozenset(_term_set(d.value, self.expander, with_intercept=False))
            case s.ModelDecl():
                return (
                    _sweep_text(d.sweeps),
                    _text(d.lhs),
                    frozenset(self.model_terms(name)),
                    _estimator_text(d.estimator),
                    _text(d.where.condition) if d.where else None,
                    _vcov_text(d.vcov),
                )
            case s.TableDecl():
                return (tuple(m.id for m in d.models), _table_view(d))
            case s.FigureDecl():
                return (d.plot.func, _figure_models(d), _figure_view(d))

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


def _expand_named(body, side) -> dict:
    """A macro's own terms, with chains relative to the macro."""
    raw = _expand(body, side)
    return {_term_text(t): c for t, c in raw.items() if t not in (_INTERCEPT, _NO_INTERCEPT)}


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


def _sweep_text(sweeps: tuple[s.Sweep, ...]) -> str | None:
    """A model's `for` clauses as one text (their order decides the members' order), None for a plain model."""
    return " ".join(f"for {w.var} in {_text(w.over)}" for w in sweeps) or None


def _table_view(t: s.TableDecl) -> tuple:
    """A table's options with defaults filled in: (options, labels, notes)."""
    return _options_view(t.options, _TABLE_DEFAULTS)


def _figure_view(f: s.FigureDecl) -> tuple:
    """A figure's options with defaults filled in: (options, labels, notes)."""
    return _options_view(f.options, _FIGURE_DEFAULTS)


def _figure_models(f: s.FigureDecl) -> tuple[str, ...]:
    """The models a figure plots, as written (a checked figure names models only)."""
    return tuple(_text(a) for a in f.plot.args)


def _string_text(e: s.Expr) -> str:
    """A string option value as written (quoted, escaped)."""
    assert isinstance(e, s.String)  # the grammar allows only a STRING here
    return string_literal(e.value)


def _options_view(declared: tuple[s.TableOption, ...], defaults: dict[str, str]) -> tuple:
    options = dict(defaults)
    lists: dict[str, list[str]] = {"keep": [], "drop": [], "order": [], "fit": []}
    labels: dict[str, str] = {}
    notes: list[str] = []
    digits: list[str] = []
    rows: list[str] = []
    spans: dict[str, list[str]] = {}  # group and panel items, in spec order
    for o in declared:
        if o.kind == "row":
            rows.append(f"{_target_text(o.target)} = " + ", ".join(_string_text(v) for v in o.values))
        elif o.kind in ("vcov row", "row fe", "fit width", "landscape"):
            options[o.kind] = " ".join(_text(v) for v in o.values) or "on"
        elif o.kind in ("group", "panel"):
            spans.setdefault(o.kind, []).append(f"{_target_text(o.target)} = " + ", ".join(_text(v) for v in o.values))
        elif o.kind == "fit":
            lists["fit"].extend(fit_item_text(*item) for item in s.fit_items(o.values))
        elif o.kind == "stat":
            options["stat"] = ", ".join(_text(v) for v in o.values)
        elif o.kind == "digits":  # the whole-table digits and each row's, in spec order
            digits.append(" ".join(_text(v) for v in o.values) if o.target is None else f"{_target_text(o.target)} = {_text(o.values[0])}")
        elif o.kind == "label":
            labels[_target_text(o.target)] = _string_text(o.values[0])
        elif o.kind == "layout" and len(o.values) == 3:  # layout sweep c by w
            options["layout"] = f"{_text(o.values[0])} {_text(o.values[1])} by {_text(o.values[2])}"
        elif o.kind in ("layout", "level", "style"):
            options[o.kind] = _text(o.values[0])
        elif o.kind in ("stars", "size"):
            options[o.kind] = " ".join(_text(v) for v in o.values)
        elif o.kind == "format":
            options["format"] = ", ".join(sorted({_text(v) for v in o.values}))
        elif o.kind == "unknown":
            options[_text(o.target)] = ", ".join(_text(v) for v in o.values)
        elif o.kind in lists:
            lists[o.kind].extend(_target_text(v) for v in o.values)
        elif o.kind == "note":
            notes.append(_string_text(o.values[0]))
        elif o.kind == "significant":
            options["significant"] = "on"
    if digits:
        options["digits"] = "; ".join(digits)
    if rows:
        options["rows"] = "; ".join(rows)
    for kind, items in spans.items():
        options[kind] = "; ".join(items)
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
        case s.FigureDecl():
            return f"{d.plot.func}({', '.join(_figure_models(d))})"
    raise TypeError(d)
