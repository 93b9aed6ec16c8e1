"""Text -> syntax tree: limits first, then Lark's LALR parse, then the builder.

What a spec may cost is bounded before Lark runs (size, tokens, nesting) and
before the tree is walked (depth); see docs/security.md. Syntax errors are
reported by `povdsl.syntax_errors`, the tree is built by `povdsl.build`.
"""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from lark import Lark, Tree
from lark.exceptions import UnexpectedInput

from povdsl import syntax as s
from povdsl.build import Builder, attach_comments
from povdsl.errors import Diagnostic, Span, SpecError
from povdsl.syntax_errors import all_syntax_errors

MAX_SPEC_BYTES = 1_000_000  # larger files are refused before parsing (see docs/security.md)
MAX_TOKENS = 160_000  # parse time is linear in tokens (~25 us each): a 5,000-model spec fits, a hostile one stays under seconds
MAX_NESTING = 100  # parentheses/call depth; deeper input is refused, not recursed into
MAX_DEPTH = 200  # syntax-tree depth (operator chains nest too); the builder and checker recurse

# the lexical skeleton: strings, comments, names, numbers, two-character operators, any other non-space
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|[0-9.]+(?:[eE][+-]?[0-9]+)?|\*\*|[=!<>]=|\S')

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
            raise SpecError(all_syntax_errors(_parser(), text, path), {path: text})
        depth_error = _depth_error(tree, path)
        if depth_error:
            raise SpecError([depth_error], {path: text})
        declarations = Builder(path).transform(tree)
        del tree  # freed by reference counting now, before the collector could ever scan it
        return attach_comments(declarations, comments, path)


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
