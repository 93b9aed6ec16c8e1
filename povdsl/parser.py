"""Text -> syntax tree. Lark does the parsing; the Transformer only builds nodes.

Syntax errors become diagnostics with the exact position. When a file has
errors, each declaration is parsed on its own as well, so one run reports
every broken declaration rather than only the first.
"""

from __future__ import annotations

import bisect
import gc
import re
from contextlib import contextmanager
from pathlib import Path
from dataclasses import replace
from functools import lru_cache

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from povdsl import syntax as s
from povdsl.errors import Diagnostic, Span, SpecError

MAX_SPEC_BYTES = 1_000_000  # larger files are refused before parsing (see docs/security.md)
MAX_TOKENS = 160_000  # parse time is linear in tokens (~25 us each): a 5,000-model spec fits, a hostile one stays under seconds
MAX_NESTING = 100  # parentheses/call depth; deeper input is refused, not recursed into
MAX_SYNTAX_ERRORS = 200  # broken declarations reported before the parser gives up on a file
MAX_DEPTH = 200  # syntax-tree depth (operator chains nest too); the builder and checker recurse

# the lexical skeleton: strings, comments, names, numbers, two-character operators, any other non-space
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|[0-9.]+(?:[eE][+-]?[0-9]+)?|\*\*|[=!<>]=|\S')

_DECLARATION_START = re.compile(r"^(data|weights|let|terms|model|table)\b", re.MULTILINE)

_TOKEN_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a string",
    "COMPARE": "a comparison",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "MUL_OP": "'*' or '/'",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "COLON": "':'",
    "EQUAL": "'='",
    "TILDE": "'~'",
    "VBAR": "'|'",
    "DOT": "'.'",
    "__ANON_0": "'**'",
    "$END": "end of file",
}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark.open(
        "grammar.lark",
        rel_to=__file__,
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=True,
    )


def parse(text: str, path: str = "<spec>") -> s.Spec:
    """Parse spec text into a syntax tree; raise SpecError with every syntax error."""
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError(
            [Diagnostic("E001", f"spec is {len(text):,} characters; the limit is {MAX_SPEC_BYTES:,}", Span(path, 1, 1, 1, 2))],
            {path: text[:10_000]},
        )
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise SpecError([Diagnostic("E002", "spec contains a NUL byte; is this a binary file?", Span(path, line, 1, line, 2))], {path: text})
    tokens, comments, depth_error = _scan(text, path)
    if depth_error:
        raise SpecError([depth_error], {path: text})
    if tokens > MAX_TOKENS:
        raise SpecError(
            [Diagnostic("E004", f"spec has about {tokens:,} tokens; the limit is {MAX_TOKENS:,}", Span(path, 1, 1, 1, 2), "split it into several spec files")],
            {path: text[:10_000]},
        )
    with _no_gc():
        try:
            tree = _parser().parse(text)
        except UnexpectedInput:
            tree = None
        if tree is None:
            raise SpecError(_all_syntax_errors(text, path), {path: text})
        depth_error = _depth_error(tree, path)
        if depth_error:
            raise SpecError([depth_error], {path: text})
        declarations = _Build(path).transform(tree)
        del tree  # freed by reference counting now, before the collector could ever scan it
        return _attach_comments(declarations, comments, path)


def read_spec(path: Path) -> str:
    """A spec file's text, never reading more than the size limit (a spec may be a 100 GB sparse file)."""
    with open(path, "rb") as fh:
        raw = fh.read(4 * MAX_SPEC_BYTES + 1)  # UTF-8: at most 4 bytes a character
    if len(raw) > 4 * MAX_SPEC_BYTES:
        message = f"spec is larger than {4 * MAX_SPEC_BYTES:,} bytes; the limit is {MAX_SPEC_BYTES:,} characters"
        raise SpecError([Diagnostic("E001", message, Span(str(path), 1, 1, 1, 2))])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError([Diagnostic("E002", "spec is not UTF-8 text; is this a binary file?", Span(str(path), 1, 1, 1, 2))]) from None


@contextmanager
def _no_gc():
    """Parsing allocates millions of short-lived objects and no cycles; pausing the
    cyclic collector keeps it from rescanning the growing tree (a third of parse time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _scan(text: str, path: str) -> tuple[int, list[tuple[int, str]], Diagnostic | None]:
    """One regex pass over what must be known before Lark runs: the token count
    (parse time is linear in it), the comments with their lines (Lark drops
    them; fmt keeps them), and parentheses nested too deep to recurse into.
    Strings are whole tokens, so a `#` or `(` inside one counts for nothing."""
    comments: list[tuple[int, str]] = []
    tokens = depth = 0
    line, line_start, seen = 1, 0, 0
    for m in _TOKEN.finditer(text):
        start = m.start()
        newlines = text.count("\n", seen, start)  # tokens never span lines
        if newlines:
            line += newlines
            line_start = text.rfind("\n", seen, start) + 1
        seen = start
        token = m.group()
        if token[0] == "#":
            comments.append((line, token.rstrip()))
            continue
        tokens += 1
        if token == "(":
            depth += 1
            if depth > MAX_NESTING:
                col = start - line_start + 1
                error = Diagnostic(
                    "E003",
                    f"parentheses nested deeper than {MAX_NESTING} levels",
                    Span(path, line, col, line, col + 1),
                    "split the expression with `let` declarations",
                )
                return tokens, comments, error
        elif token == ")":
            depth = max(0, depth - 1)
    return tokens, comments, None


def _depth_error(tree, path: str) -> Diagnostic | None:
    """Refuse trees deeper than MAX_DEPTH (`- - - x`, `not not x`, 2,000-term sums) before recursing into them."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            line, col = getattr(node.meta, "line", 1), getattr(node.meta, "column", 1)
            return Diagnostic(
                "E003",
                f"expression nested deeper than {MAX_DEPTH} levels",
                Span(path, line, col, line, col + 1),
                "split the expression with `let` or `terms` declarations",
            )
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return None


# ----------------------------------------------------------------- errors


def _all_syntax_errors(text: str, path: str) -> list[Diagnostic]:
    """Parse each declaration alone so every broken one gets its diagnostic."""
    starts = [m.start() for m in _DECLARATION_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    starts.append(len(text))
    found: list[Diagnostic] = []
    offset, counted_to = 0, 0
    for begin, end in zip(starts, starts[1:]):
        offset += text.count("\n", counted_to, begin)  # chunks start a line: shift lines, not columns
        counted_to = begin
        chunk = text[begin:end]
        try:
            _parser().parse(chunk)
        except UnexpectedInput as exc:
            d = _syntax_diagnostic(exc, chunk, path)
            sp = d.span
            found.append(replace(d, span=Span(sp.path, sp.line + offset, sp.col, sp.end_line + offset, sp.end_col)))
            if len(found) == MAX_SYNTAX_ERRORS:
                line = offset + chunk.count("\n") + 1
                found.append(Diagnostic("E005", f"stopped after {MAX_SYNTAX_ERRORS} broken declarations; the rest of the file was not read", Span(path, line, 1, line, 2)))
                break
    if not found:  # the chunks parse alone but not together; report the whole
        try:
            _parser().parse(text)
        except UnexpectedInput as exc:
            found.append(_syntax_diagnostic(exc, text, path))
    return found


def _syntax_diagnostic(exc: UnexpectedInput, text: str, path: str) -> Diagnostic:
    line, col = exc.line, exc.column
    if line is None or line < 1:  # end of input
        line = text.count("\n") + 1
        col = len(text) - (text.rfind("\n") + 1) + 1
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        if char == '"':
            return Diagnostic("E010", "unterminated string", Span(path, line, col, line, col + 1), 'close the string with " on the same line')
        shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
        hint = None
        if char in "[]{}":
            hint = "subscripts and braces are not part of the spec language"
        elif char == "'":
            hint = 'strings use double quotes: "..."'
        return Diagnostic("E011", f"unexpected character {shown}", Span(path, line, col, line, col + 1), hint)
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        expected = _expected_words(exc.expected)
        if token.type == "$END":
            return Diagnostic("E012", f"unexpected end of file; expected {expected}", Span(path, line, col, line, col + 1))
        width = max(1, len(str(token)))
        message = f"unexpected {_describe(token)}; expected {expected}"
        return Diagnostic("E013", message, Span(path, line, col, line, col + width), _token_hint(token, exc.expected))
    if isinstance(exc, UnexpectedEOF):
        return Diagnostic("E012", f"unexpected end of file; expected {_expected_words(exc.expected)}", Span(path, line, col, line, col + 1))
    return Diagnostic("E014", str(exc).splitlines()[0], Span(path, line, col, line, col + 1))


def _describe(token: Token) -> str:
    if token.type == "NAME":
        return f"name '{token}'"
    if token.type == "STRING":
        return f"string {token}"
    if token.type == "NUMBER":
        return f"number {token}"
    return f"'{token}'"


def _expected_words(expected) -> str:
    """Operators and punctuation first, then declaration keywords, capped."""
    symbols, keywords = set(), set()
    for name in expected:
        if name in _TOKEN_WORDS:
            symbols.add(_TOKEN_WORDS[name])
        else:
            keywords.add(f"'{name.lower()}'")
    words = sorted(symbols) + sorted(keywords)
    if len(words) > 6:
        return ", ".join(words[:6]) + ", …"
    return " or ".join(words) if len(words) <= 2 else ", ".join(words[:-1]) + " or " + words[-1]


def _token_hint(token: Token, expected) -> str | None:
    if token == "=" and ("COMPARE" in expected or "VCOV" in expected):
        return "use '==' to compare"
    if token.type == "NAME" and "VBAR" in expected:
        return "separate the estimator from the formula with '|', e.g. `y ~ x | ols`"
    if token == "~" and "COLON" in expected:
        return 'a model needs a colon after its name or label: `model m1 "Model 1": y ~ x | ols`'
    return None


# ---------------------------------------------------------------- builder


def _span(path: str, meta_or_token) -> Span | None:
    m = meta_or_token
    if getattr(m, "empty", False):  # a rule that matched no tokens has no position
        return None
    return Span(path, m.line, m.column, m.end_line, m.end_column)


def _unquote(token: str) -> str:
    body = token[1:-1]
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


class _Build:
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


# --------------------------------------------------------------- comments


def _attach_comments(declarations, comments, path) -> s.Spec:
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
