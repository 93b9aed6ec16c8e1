"""Lark's parse tree -> povdsl's syntax tree, with every comment on its node.

The builder has one method per grammar rule and only builds frozen nodes; it
never validates (that is the checker's work).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import replace

from lark import Tree

from povdsl import syntax as s
from povdsl.errors import Span

def _span(path: str, meta_or_token) -> Span | None:
    m = meta_or_token
    if getattr(m, "empty", False):  # a rule that matched no tokens has no position
        return None
    return Span(path, m.line, m.column, m.end_line, m.end_column)


def _unquote(token: str) -> str:
    body = token[1:-1]
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


class Builder:
    """One method per rule; builds nodes, never validates.

    A plain recursive walk rather than lark.Transformer: the Transformer's
    per-call wrapping dominated parse time on large specs.
    """

    def __init__(self, path: str):
        self.path = path

    def transform(self, tree):
        children = [self.transform(c) if isinstance(c, Tree) else c for c in tree.children]
        return getattr(self, tree.data)(tree.meta, children)

    def _sp(self, meta):
        return _span(self.path, meta)

    # declarations
    def start(self, meta, children):
        return list(children)

    def data_decl(self, meta, c):
        name, source, *options = c
        return s.DataDecl(str(name), source, tuple(options), span=self._sp(meta), name_span=_span(self.path, name))

    def weights_decl(self, meta, c):
        name, builder = c
        return s.WeightsDecl(str(name), builder, span=self._sp(meta), name_span=_span(self.path, name))

    def let_decl(self, meta, c):
        name, value = c
        return s.LetDecl(str(name), value, span=self._sp(meta), name_span=_span(self.path, name))

    def terms_decl(self, meta, c):
        name, value = c
        return s.TermsDecl(str(name), value, span=self._sp(meta), name_span=_span(self.path, name))

    def model_decl(self, meta, c):
        name, label, sweep, lhs, rhs, estimator, (where, vcov) = c
        return s.ModelDecl(
            str(name),
            _unquote(label) if label is not None else None,
            sweep,
            lhs,
            rhs,
            estimator,
            where,
            vcov,
            span=self._sp(meta),
            name_span=_span(self.path, name),
        )

    def model_clauses(self, meta, c):
        where = next((x for x in c if isinstance(x, s.Where)), None)
        vcov = next((x for x in c if isinstance(x, s.VcovClause)), None)
        return where, vcov

    def sweep(self, meta, c):
        var, over = c
        return s.Sweep(str(var), over, span=self._sp(meta))

    def estimator(self, meta, c):
        name, args = c
        return s.Estimator(str(name), tuple(args or ()), span=self._sp(meta))

    def where_clause(self, meta, c):
        return s.Where(c[0], span=self._sp(meta))

    def vcov_clause(self, meta, c):
        kind, groups = c
        names = tuple(groups or ())
        return s.VcovClause(str(kind), names, span=self._sp(meta))

    def table_decl(self, meta, c):
        name, title, models, *options = c
        return s.TableDecl(
            str(name),
            _unquote(title) if title is not None else None,
            tuple(models),
            tuple(options),
            span=self._sp(meta),
            name_span=_span(self.path, name),
        )

    def label_option(self, meta, c):
        target, text = c
        return s.TableOption("label", (s.String(_unquote(text), span=_span(self.path, text)),), target, span=self._sp(meta))

    def stat_option(self, meta, c):
        return s.TableOption("stat", (self.name(c[0], [c[0]]),), span=self._sp(meta))

    def stars_option(self, meta, c):
        return s.TableOption("stars", tuple(s.Number(str(t), span=_span(self.path, t)) for t in c), span=self._sp(meta))

    def _list_option(kind):
        def build(self, meta, c):
            return s.TableOption(kind, tuple(c[0]), span=self._sp(meta))

        return build

    keep_option = _list_option("keep")
    drop_option = _list_option("drop")
    order_option = _list_option("order")
    fit_option = _list_option("fit")

    def note_option(self, meta, c):
        return s.TableOption("note", (s.String(_unquote(c[0]), span=_span(self.path, c[0])),), span=self._sp(meta))

    def significant_option(self, meta, c):
        return s.TableOption("significant", span=self._sp(meta))

    def layout_option(self, meta, c):
        return s.TableOption("layout", (self.name(c[0], [c[0]]),), span=self._sp(meta))

    def name_list(self, meta, c):
        return [s.Name(str(t), span=_span(self.path, t)) for t in c]

    def expr_list(self, meta, c):
        return list(c)

    # expressions
    def or_op(self, meta, c):
        return s.BoolOp("or", c[0], c[1], span=self._sp(meta))

    def and_op(self, meta, c):
        return s.BoolOp("and", c[0], c[1], span=self._sp(meta))

    def not_op(self, meta, c):
        return s.Not(c[0], span=self._sp(meta))

    def compare(self, meta, c):
        left, op, right = c
        return s.Compare(str(op), left, right, span=self._sp(meta))

    def binary(self, meta, c):
        left, op, right = c
        return s.BinOp(str(op), left, right, span=self._sp(meta))

    def interaction(self, meta, c):
        return s.BinOp(":", c[0], c[1], span=self._sp(meta))

    def negate(self, meta, c):
        return s.Negate(c[1], span=self._sp(meta))

    def power_op(self, meta, c):
        base, exponent = c
        return s.BinOp("**", base, exponent, span=self._sp(meta))

    def number(self, meta, c):
        return s.Number(str(c[0]), span=self._sp(meta))

    def string(self, meta, c):
        return s.String(_unquote(c[0]), span=self._sp(meta))

    def name(self, meta, c):
        return s.Name(str(c[0]), span=_span(self.path, c[0]))

    def open_bound(self, meta, c):
        return s.OpenBound(span=self._sp(meta))

    def paren(self, meta, c):
        return s.Paren(c[0], span=self._sp(meta))

    def call(self, meta, c):
        func, args = c
        return s.Call(str(func), tuple(args or ()), span=self._sp(meta), func_span=_span(self.path, func))

    def arguments(self, meta, c):
        return [a for a in c if a is not None]

    def keyword_argument(self, meta, c):
        name, value = c
        return s.Keyword(str(name), value, span=self._sp(meta))


def attach_comments(declarations, comments, path) -> s.Spec:
    """Give each comment to the declaration or table option it belongs to."""
    items = []  # (start line, end line, decl index, option index or None)
    for i, decl in enumerate(declarations):
        items.append((decl.span.line, _head_end(decl), i, None))
        if isinstance(decl, s.TableDecl):
            for j, opt in enumerate(decl.options):
                items.append((opt.span.line, opt.span.end_line, i, j))
    commented = {line for line, _ in comments}
    inside: dict[int, tuple] = {}
    for start, end, i, j in items:
        for line in commented.intersection(range(start, end + 1)):
            inside.setdefault(line, (i, j))
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
        if isinstance(decl, s.TableDecl):
            options = tuple(
                replace(opt, comments=tuple(leading.get((i, j), ()))) for j, opt in enumerate(decl.options)
            )
            decl = replace(decl, options=options)
        out.append(replace(decl, comments=tuple(leading.get((i, None), ()))))
    return s.Spec(tuple(out), path=path, trailing_comments=tuple(trailing))


def _head_end(decl) -> int:
    if isinstance(decl, s.TableDecl) and decl.options:
        return decl.models[-1].span.end_line
    return decl.span.end_line
