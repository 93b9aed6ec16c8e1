"""The syntax tree: frozen, slotted dataclasses, one per construct.

Spans never take part in equality, so two trees that differ only in layout
compare equal; that is what `fmt` round-trips and `diff` rely on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from povdsl.errors import Span


def _span():
    return field(default=None, compare=False, repr=False, kw_only=True)


def _comments():
    return field(default=(), kw_only=True)


# --------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Name:
    id: str
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Number:
    text: str  # as written, so fmt keeps "0.10" and a diff sees 0.1 == 0.10 via value

    @property
    def value(self) -> float:
        return float(self.text)

    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class String:
    value: str  # unescaped
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class OpenBound:
    """The `.` in `gmm(n, 2:.)`: all available lags."""

    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Keyword:
    """`name = value` inside a call's argument list."""

    name: str
    value: Expr
    span: Span | None = _span()


class _Arguments:
    """`positional` and `keywords` of a node holding call arguments (a call, a figure's plot)."""

    __slots__ = ()
    args: tuple[Expr | Keyword, ...]

    @property
    def positional(self) -> tuple[Expr, ...]:
        return tuple(a for a in self.args if not isinstance(a, Keyword))

    @property
    def keywords(self) -> tuple[Keyword, ...]:
        return tuple(a for a in self.args if isinstance(a, Keyword))


@dataclass(frozen=True, slots=True)
class Call(_Arguments):
    func: str
    args: tuple[Expr | Keyword, ...]
    span: Span | None = _span()
    func_span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class BinOp:
    """Binary operator: + - * / : ** (formula or arithmetic, by context)."""

    op: str
    left: Expr
    right: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # == != < <= > >=
    left: Expr
    right: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # "and" | "or"
    left: Expr
    right: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Paren:
    """Kept so that fmt prints the parentheses the author wrote."""

    inner: Expr
    span: Span | None = _span()


Expr = Name | Number | String | OpenBound | Call | BinOp | Negate | Compare | BoolOp | Not | Paren


# -------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class Setting:
    """`name=value[, value...]` after a data source: how to read the file (na=".", "NA"; compression="gzip")."""

    name: str
    values: tuple[Expr, ...]
    span: Span | None = _span()
    name_span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class DataDecl:
    name: str
    source: Expr  # a String path or a call such as bundled("zhejiang/households.csv")
    options: tuple[Call, ...]  # panel(unit, time), key(region, time), region(county)
    span: Span | None = _span()
    name_span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    settings: tuple[Setting, ...] = ()  # na=".", compression="gzip"


@dataclass(frozen=True, slots=True)
class WeightsDecl:
    name: str
    builder: Call | ValueList  # inverse(source, origin, destination, value, ...), or [w1, w2] (a set)
    span: Span | None = _span()
    name_span: Span | None = _span()
    comments: tuple[str, ...] = _comments()


@dataclass(frozen=True, slots=True)
class LetDecl:
    name: str
    value: Expr
    span: Span | None = _span()
    name_span: Span | None = _span()
    comments: tuple[str, ...] = _comments()


@dataclass(frozen=True, slots=True)
class TermsDecl:
    name: str
    value: Expr
    span: Span | None = _span()
    name_span: Span | None = _span()
    comments: tuple[str, ...] = _comments()


@dataclass(frozen=True, slots=True)
class ValueList:
    """`[2004, 2008]`, `[log(income), poor04]`: the values of a sweep (or a named set of weights)."""

    items: tuple[Expr, ...]
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Sweep:
    """`for industry in industries(census, digits=3)`, `for y in [2004, 2008]`: one model per value.

    `over` is a call (`industries`, `stepwise`, `cumulative`, `split`), a
    literal list, or the name of a set of weights (check/sweeps.py).
    """

    var: str
    over: Expr | ValueList
    span: Span | None = _span()
    var_span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Estimator:
    name: str
    args: tuple[Expr | Keyword, ...] = ()
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class Where:
    condition: Expr
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class VcovClause:
    kind: str  # unadjusted | robust | cluster
    groups: tuple[Name, ...] = ()
    span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class ModelDecl:
    name: str
    label: str | None
    sweeps: tuple[Sweep, ...]  # `for` clauses, in order; several give their product
    lhs: Expr
    rhs: Expr
    estimator: Estimator
    where: Where | None = None
    vcov: VcovClause | None = None
    span: Span | None = _span()
    name_span: Span | None = _span()
    comments: tuple[str, ...] = _comments()

    @property
    def sweep(self) -> Sweep | None:
        """The first `for` clause, or None for a plain model."""
        return self.sweeps[0] if self.sweeps else None


@dataclass(frozen=True, slots=True)
class TableOption:
    """One option line of a table.

    kind is the keyword (label, stat, stars, keep, drop, order, note, fit,
    significant, layout, ..., "row fe", group, panel, "fit width",
    landscape); ``target`` is the labelled term for `label` and the text of
    `row`, `group` and `panel`; ``values`` holds the rest (expressions, names,
    numbers, strings; a `fit` item is its Name, then its label String and
    digits Number when given, see `fit_items`).
    """

    kind: str
    values: tuple[Expr, ...] = ()
    target: Expr | None = None
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()


def fit_items(values: tuple[Expr, ...]) -> list[tuple[Name, String | None, Number | None]]:
    """A `fit` option's items from its flat values: each Name opens an item, a String is its label, a Number its digits."""
    items: list[tuple[Name, String | None, Number | None]] = []
    for value in values:
        if isinstance(value, Name):
            items.append((value, None, None))
        elif isinstance(value, String) and items:
            items[-1] = (items[-1][0], value, None)
        elif isinstance(value, Number) and items:
            items[-1] = (items[-1][0], items[-1][1], value)
    return items


@dataclass(frozen=True, slots=True)
class TableDecl:
    name: str
    title: str | None
    models: tuple[Name, ...]
    options: tuple[TableOption, ...] = ()
    span: Span | None = _span()
    name_span: Span | None = _span()
    comments: tuple[str, ...] = _comments()


@dataclass(frozen=True, slots=True)
class FigurePlot(_Arguments):
    """What a figure draws: `coef(m1, m2)`, `sweep(inc04_3)`; the checker gives the function its meaning."""

    func: str
    args: tuple[Expr | Keyword, ...]
    span: Span | None = _span()
    func_span: Span | None = _span()


@dataclass(frozen=True, slots=True)
class FigureDecl:
    """`figure f1 "Title" = coef(m1, m2)` and its option lines.

    Options are TableOptions: label, keep, drop, order and note as in tables,
    plus level, size, format and style; a line opened by any other word is
    kind "unknown" with the word as `target`, for the checker to report.
    """

    name: str
    title: str | None
    plot: FigurePlot
    options: tuple[TableOption, ...] = ()
    span: Span | None = _span()
    name_span: Span | None = _span()
    comments: tuple[str, ...] = _comments()


Declaration = DataDecl | WeightsDecl | LetDecl | TermsDecl | ModelDecl | TableDecl | FigureDecl


@dataclass(frozen=True, slots=True)
class Spec:
    declarations: tuple[Declaration, ...]
    path: str = field(default="<spec>", compare=False)
    trailing_comments: tuple[str, ...] = ()  # comments after the last declaration
