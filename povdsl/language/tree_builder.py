"""Lark's reductions -> povdsl's syntax tree, with every comment on its node.

The builder has one method per grammar rule, called as the LALR parser
reduces, and only builds frozen nodes; it never validates (that is the
checker's work).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import replace

from lark import Token

from povdsl.errors import Span
from povdsl.language import syntax as s

# Terminals that carry meaning; every other token (keywords, punctuation) only marks where a node starts or ends.
_MEANINGFUL = frozenset({"NAME", "STRING", "NUMBER", "COMPARE", "PLUS", "MINUS", "MUL_OP"})
# Rules whose nodes nest without bound (operators, parentheses, calls): their depth is tracked.
_NESTING = frozenset(
    {"or_op", "and_op", "not_op", "compare", "binary", "interaction", "negate", "power_op", "paren", "call", "keyword_argument"}
)


# grammar rule (or alias) -> Builder method
_RULES = {
    rule: "_" + rule
    for rule in (
        "data_decl data_setting weights_decl let_decl terms_decl model_decl model_clauses sweeps sweep value_list estimator where_clause vcov_clause "
        "table_decl label_option stat_option stars_option keep_option drop_option order_option fit_option note_option "
        "significant_option layout_option show_option digits_option row_digits_option row_option vcov_row_option fe_rows_option group_option panel_option fit_width_option landscape_option fit_item panel_call figure_decl figure_plot level_option size_option format_option style_option "
        "unknown_option name_list expr_list arguments keyword_argument call paren open_bound number"
    ).split()
    + sorted(_NESTING)
} | {"start": "_spec", "string": "_string_atom", "name": "_name_atom"}


class TooDeep(Exception):
    """Raised from inside the parse when an expression nests deeper than the builder allows."""

    def __init__(self, span: Span):
        self.span = span


def _token_span(path: str, token) -> Span:
    return Span(path, token.line, token.column, token.end_line, token.end_column)


def _unquote(token: str) -> str:
    body = token[1:-1]
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def _edge(child, last: bool):
    """(line, col) where a child begins (or ends, when `last`), or None for an empty one."""
    if child is None:
        return None
    if isinstance(child, Token):
        return (child.end_line, child.end_column) if last else (child.line, child.column)
    if isinstance(child, (list, tuple)):
        for part in reversed(child) if last else child:
            position = _edge(part, last)
            if position is not None:
                return position
        return None
    span = child.span
    if span is None:
        return None
    return (span.end_line, span.end_col) if last else (span.line, span.col)


def _list_option(kind: str) -> Callable[[Builder, Span, list], s.TableOption]:
    """A Builder method for a table option whose one child is a list of names."""

    def build(self: Builder, span: Span, c: list) -> s.TableOption:
        return s.TableOption(kind, tuple(c[0]), span=span)

    return build


class Builder:
    """One method per rule, called by Lark's LALR parser at each reduction.

    Nodes are built as the parser reduces, so no intermediate parse tree is
    made and nothing here recurses. Lark keeps every token (keep_all_tokens):
    a node's span runs from its first token to its last, keywords included,
    and the rule methods see only the meaningful children. Building never
    validates (that is the checker's work); it only refuses expressions
    nested deeper than `max_depth`, which later passes would recurse into.
    """

    def __init__(self, max_depth: int):
        self.max_depth = max_depth
        self.begin("<spec>")
        for rule, method in _RULES.items():
            setattr(self, rule, self._reducer(rule, getattr(type(self), method)))

    def begin(self, path: str) -> None:
        """Start a new parse of the file at `path` (Lark holds one Builder; parses take turns)."""
        self.path = path
        self._depth: dict[int, int] = {}  # id(node) -> nesting depth, for nodes of _NESTING rules

    def _reducer(self, rule, method):
        nesting = rule in _NESTING

        def reduce(children):
            # usually the first and last children bound the span; a placeholder or empty list sends the search on
            first = _edge(children[0], last=False) if children else None
            if first is None:
                first = _edge(children, last=False)
            last = _edge(children[-1], last=True) if children else None
            if last is None:
                last = _edge(children, last=True)
            span = Span(self.path, *first, *last) if first is not None else None
            kept = [c for c in children if type(c) is not Token or c.type in _MEANINGFUL]
            node = method(self, span, kept)
            if nesting:
                depth = 1 + max(map(self._depth_of, kept), default=0)
                if depth > self.max_depth:
                    raise TooDeep(span)
                self._depth[id(node)] = depth
            return node

        return reduce

    def _depth_of(self, child) -> int:
        if isinstance(child, list):  # a call's arguments
            return max(map(self._depth_of, child), default=0)
        return self._depth.get(id(child), 0)

    # declarations
    def _spec(self, span, children):
        return list(children)

    def _data_decl(self, span, c):
        name, source, *options = c
        calls = tuple(o for o in options if isinstance(o, s.Call))
        settings = tuple(o for o in options if isinstance(o, s.Setting))
        return s.DataDecl(str(name), source, calls, span=span, name_span=_token_span(self.path, name), settings=settings)

    def _data_setting(self, span, c):
        name, *values = c
        return s.Setting(str(name), tuple(values), span=span, name_span=_token_span(self.path, name))

    def _weights_decl(self, span, c):
        name, builder = c
        return s.WeightsDecl(str(name), builder, span=span, name_span=_token_span(self.path, name))

    def _let_decl(self, span, c):
        name, value = c
        return s.LetDecl(str(name), value, span=span, name_span=_token_span(self.path, name))

    def _terms_decl(self, span, c):
        name, value = c
        return s.TermsDecl(str(name), value, span=span, name_span=_token_span(self.path, name))

    def _model_decl(self, span, c):
        name, label, sweeps, lhs, rhs, estimator, (where, vcov) = c
        return s.ModelDecl(
            str(name),
            _unquote(label) if label is not None else None,
            sweeps,
            lhs,
            rhs,
            estimator,
            where,
            vcov,
            span=span,
            name_span=_token_span(self.path, name),
        )

    def _model_clauses(self, span, c):
        where = next((x for x in c if isinstance(x, s.Where)), None)
        vcov = next((x for x in c if isinstance(x, s.VcovClause)), None)
        return where, vcov

    def _sweeps(self, span, c):
        return tuple(c)

    def _sweep(self, span, c):
        var, over = c
        return s.Sweep(str(var), over, span=span, var_span=_token_span(self.path, var))

    def _value_list(self, span, c):
        return s.ValueList(tuple(c[0]), span=span)

    def _estimator(self, span, c):
        name, *rest = c  # the optional "(" [arguments] ")" leaves Nones when absent
        args = next((r for r in rest if r is not None), ())
        return s.Estimator(str(name), tuple(args), span=span)

    def _where_clause(self, span, c):
        return s.Where(c[0], span=span)

    def _vcov_clause(self, span, c):
        kind, *rest = c  # the optional "(" [name_list] ")" leaves Nones when absent
        groups = next((r for r in rest if r is not None), ())
        return s.VcovClause(str(kind), tuple(groups), span=span)

    def _table_decl(self, span, c):
        name, title, models, *options = c
        return s.TableDecl(
            str(name),
            _unquote(title) if title is not None else None,
            tuple(models),
            tuple(options),
            span=span,
            name_span=_token_span(self.path, name),
        )

    def _figure_decl(self, span, c):
        name, title, plot, *options = c
        return s.FigureDecl(
            str(name),
            _unquote(title) if title is not None else None,
            plot,
            tuple(options),
            span=span,
            name_span=_token_span(self.path, name),
        )

    def _figure_plot(self, span, c):
        func, args = c
        return s.FigurePlot(str(func), tuple(args or ()), span=span, func_span=_token_span(self.path, func))

    def _level_option(self, span, c):
        return s.TableOption("level", (s.Number(str(c[0]), span=_token_span(self.path, c[0])),), span=span)

    def _size_option(self, span, c):
        return s.TableOption("size", tuple(s.Number(str(t), span=_token_span(self.path, t)) for t in c), span=span)

    def _format_option(self, span, c):
        return s.TableOption("format", tuple(c[0]), span=span)

    def _style_option(self, span, c):
        return s.TableOption("style", (self._name(c[0]),), span=span)

    def _unknown_option(self, span, c):
        word, values = c
        return s.TableOption("unknown", tuple(values), self._name(word), span=span)

    def _label_option(self, span, c):
        target, text = c
        return s.TableOption("label", (self._string(text),), target, span=span)

    def _stat_option(self, span, c):
        return s.TableOption("stat", tuple(self._name(t) for t in c), span=span)

    def _stars_option(self, span, c):
        return s.TableOption("stars", tuple(s.Number(str(t), span=_token_span(self.path, t)) for t in c), span=span)

    _keep_option = _list_option("keep")
    _drop_option = _list_option("drop")
    _order_option = _list_option("order")

    def _fit_option(self, span, c):
        return s.TableOption("fit", tuple(v for item in c for v in item), span=span)

    def _fit_item(self, span, c):
        """`r2 "R²" digits 3` as (Name, String, Number), flat in the option's values (see syntax.fit_items)."""
        name, *rest = (x for x in c if x is not None)
        item: list[s.Expr] = [self._name(name)]
        for token in rest:
            if token.type == "STRING":
                item.append(self._string(token))
            elif token.type == "NUMBER":
                item.append(s.Number(str(token), span=_token_span(self.path, token)))
        return item

    def _note_option(self, span, c):
        return s.TableOption("note", (self._string(c[0]),), span=span)

    def _significant_option(self, span, c):
        return s.TableOption("significant", span=span)

    def _layout_option(self, span, c):
        # `layout sweep c by w`: the layout, then the row and the column variable
        return s.TableOption("layout", tuple(self._name(t) for t in c if t is not None), span=span)

    def _show_option(self, span, c):
        return s.TableOption("show", (self._name(c[0]),), span=span)

    def _digits_option(self, span, c):
        number, style = c
        values = (s.Number(str(number), span=_token_span(self.path, number)),)
        return s.TableOption("digits", values + ((self._name(style),) if style is not None else ()), span=span)

    def _row_option(self, span, c):
        label, *cells = c
        return s.TableOption("row", tuple(self._string(t) for t in cells), self._string(label), span=span)

    def _vcov_row_option(self, span, c):
        return s.TableOption("vcov row", span=span)

    def _fe_rows_option(self, span, c):
        return s.TableOption("row fe", span=span)

    def _group_option(self, span, c):
        label, models = c
        return s.TableOption("group", tuple(models), self._string(label), span=span)

    def _panel_option(self, span, c):
        label, models = c
        return s.TableOption("panel", tuple(models), self._string(label), span=span)

    def _fit_width_option(self, span, c):
        (style,) = c
        return s.TableOption("fit width", (self._name(style),) if style is not None else (), span=span)

    def _landscape_option(self, span, c):
        return s.TableOption("landscape", span=span)

    def _row_digits_option(self, span, c):
        target, number = c
        return s.TableOption("digits", (s.Number(str(number), span=_token_span(self.path, number)),), target, span=span)

    def _name_list(self, span, c):
        return [self._name(t) for t in c]

    def _expr_list(self, span, c):
        return list(c)

    # expressions
    def _or_op(self, span, c):
        return s.BoolOp("or", c[0], c[1], span=span)

    def _and_op(self, span, c):
        return s.BoolOp("and", c[0], c[1], span=span)

    def _not_op(self, span, c):
        return s.Not(c[0], span=span)

    def _compare(self, span, c):
        left, op, right = c
        return s.Compare(str(op), left, right, span=span)

    def _binary(self, span, c):
        left, op, right = c
        return s.BinOp(str(op), left, right, span=span)

    def _interaction(self, span, c):
        return s.BinOp(":", c[0], c[1], span=span)

    def _negate(self, span, c):
        return s.Negate(c[1], span=span)

    def _power_op(self, span, c):
        base, exponent = c
        return s.BinOp("**", base, exponent, span=span)

    def _number(self, span, c):
        return s.Number(str(c[0]), span=span)

    def _string_atom(self, span, c):
        return self._string(c[0])

    def _name_atom(self, span, c):
        return self._name(c[0])

    def _open_bound(self, span, c):
        return s.OpenBound(span=span)

    def _paren(self, span, c):
        return s.Paren(c[0], span=span)

    def _call(self, span, c):
        func, args = c
        return s.Call(str(func), tuple(args or ()), span=span, func_span=_token_span(self.path, func))

    def _panel_call(self, span, c):
        """`panel(household, year)` of a data declaration: the call `panel` (its name is a keyword of tables too)."""
        (args,) = c
        func_span = Span(self.path, span.line, span.col, span.line, span.col + len("panel"))
        return s.Call("panel", tuple(args or ()), span=span, func_span=func_span)

    def _arguments(self, span, c):
        return [a for a in c if a is not None]

    def _keyword_argument(self, span, c):
        name, value = c
        return s.Keyword(str(name), value, span=span)

    def _name(self, token) -> s.Name:
        return s.Name(str(token), span=_token_span(self.path, token))

    def _string(self, token) -> s.String:
        return s.String(_unquote(token), span=_token_span(self.path, token))


def attach_comments(declarations, comments, path) -> s.Spec:
    """Give each comment to the declaration or table option it belongs to."""
    items: list[tuple[int, int, int, int | None]] = []  # (start line, end line, decl index, option index or None)
    for i, decl in enumerate(declarations):
        items.append((_placed(decl).line, _head_end(decl), i, None))
        if isinstance(decl, (s.TableDecl, s.FigureDecl)):
            for j, opt in enumerate(decl.options):
                items.append((_placed(opt).line, _placed(opt).end_line, i, j))
    commented = {line for line, _ in comments}
    inside: dict[int, tuple] = {}
    for start, end, i, option in items:
        for line in commented.intersection(range(start, end + 1)):
            inside.setdefault(line, (i, option))
    following = sorted(items, key=lambda it: (it[0], it[1], it[2], -1 if it[3] is None else it[3]))
    starts = [it[0] for it in following]
    leading: dict[tuple, list[str]] = {}
    trailing: list[str] = []
    for line, text in comments:
        owner = inside.get(line)
        if owner is None:
            k = bisect.bisect_right(starts, line)
            owner = following[k][2:] if k < len(following) else None
        if owner is None:
            trailing.append(text)
        else:
            leading.setdefault(owner, []).append(text)
    out = []
    for i, decl in enumerate(declarations):
        if isinstance(decl, (s.TableDecl, s.FigureDecl)):
            options = tuple(
                replace(opt, comments=tuple(leading.get((i, j), ()))) for j, opt in enumerate(decl.options)
            )
            decl = replace(decl, options=options)
        out.append(replace(decl, comments=tuple(leading.get((i, None), ()))))
    return s.Spec(tuple(out), path=path, trailing_comments=tuple(trailing))


def _placed(node) -> Span:
    """The span of a node the builder made (it always gives one)."""
    span = node.span
    assert span is not None
    return span


def _head_end(decl) -> int:
    if isinstance(decl, s.TableDecl) and decl.options:
        return _placed(decl.models[-1]).end_line
    if isinstance(decl, s.FigureDecl) and decl.options:
        return _placed(decl.plot).end_line
    return _placed(decl).end_line
