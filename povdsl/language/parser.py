"""Text -> syntax tree: limits first, then Lark's LALR parse building the tree.

What a spec may cost is bounded before Lark runs (size, tokens, nesting) and
while the tree is built (depth); see docs/security.md. The text is lexed once
by `povdsl.language.lexer`; the tree is built by `povdsl.language.tree_builder` as the parser reduces;
syntax errors are reported by `povdsl.language.syntax_errors`.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path

from lark import Lark
from lark.exceptions import UnexpectedInput
from lark.lark import PostLex

from povdsl.errors import Diagnostic, Span, SpecError
from povdsl.language import syntax as s
from povdsl.language.lexer import ScannedLexer, Vocabulary, scan
from povdsl.language.parser_cache import cache_file
from povdsl.language.syntax_errors import all_syntax_errors
from povdsl.language.tree_builder import Builder, TooDeep, attach_comments

MAX_SPEC_BYTES = 1_000_000  # larger files are refused before parsing (see docs/security.md)
MAX_TOKENS = 160_000  # parse time is linear in tokens: a 5,000-model spec fits, a hostile one stays under seconds
MAX_NESTING = 100  # parentheses/call depth; deeper input is refused, not recursed into
MAX_DEPTH = 200  # syntax-tree depth (operator chains nest too); the checker and printer recurse

_GRAMMAR = Path(__file__).with_name("grammar.lark")
_BUILDING = threading.Lock()  # one Builder lives in the parser: parses take turns


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The LALR parser that builds povdsl's syntax tree as it reduces (no Lark tree in between)."""
    parser = Lark.open(
        "grammar.lark",
        rel_to=__file__,
        parser="lalr",
        lexer=ScannedLexer,  # parses the tokens of `scan`: the text is lexed once
        keep_all_tokens=True,  # keywords and brackets delimit spans; the Builder drops them
        maybe_placeholders=True,
        transformer=Builder(MAX_DEPTH),
        cache=cache_file("parser", _GRAMMAR),  # tables built once per user, in a private folder
    )
    # Lark names rules with Token objects; each reduction looks its rule's name up among plain
    # strings, where a Token compares by a Python-level __eq__. Plain names keep the lookup in C
    # (~8% of parse time on a large spec); the hash, and so every table, is unchanged.
    with suppress(AttributeError):
        for rule in parser.rules:
            rule.origin.name = str(rule.origin.name)
    return parser


@lru_cache(maxsize=1)
def _vocabulary() -> Vocabulary:
    parser = _parser()
    return Vocabulary.of(parser.terminals, parser.lexer_conf.ignore)  # ignore_tokens is not restored from a cache


class _WholeWords(PostLex):
    """Lark's contextual lexer tries only the terminals a parser state accepts, so where no
    name may stand it would read the keyword `data` off the front of `datahouseholds`.
    Keeping NAME in every state's lexer makes a word one token, as `povdsl.language.lexer` reads it."""

    always_accept = ("NAME",)

    def process(self, stream):
        return stream


@lru_cache(maxsize=1)
def _recognizer() -> Lark:
    """The same grammar with Lark's own lexer, building nothing: what syntax errors are found and explained with."""
    return Lark.open(
        "grammar.lark", rel_to=__file__, parser="lalr", maybe_placeholders=True, postlex=_WholeWords(), cache=cache_file("recognizer", _GRAMMAR)
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
    parser = _parser()
    with _BUILDING, _no_gc():
        scanned = scan(text, path, _vocabulary(), MAX_TOKENS, MAX_NESTING)
        if scanned.nesting_error:
            raise SpecError([scanned.nesting_error], {path: text})
        if scanned.count > MAX_TOKENS:
            message = f"spec has about {scanned.count:,} tokens; the limit is {MAX_TOKENS:,}"
            raise SpecError([Diagnostic("E004", message, Span(path, 1, 1, 1, 2), "split it into several spec files")], {path: text[:10_000]})
        builder = parser.options.transformer
        assert isinstance(builder, Builder)  # _parser() always installs one
        builder.begin(path)
        declarations: object
        try:
            declarations = parser.parse(scanned.tokens)
        except UnexpectedInput:
            declarations = None
        except TooDeep as too_deep:
            declarations = too_deep
        finally:
            builder.begin("<spec>")  # drop the depth table
        if isinstance(declarations, list):
            return attach_comments(declarations, scanned.comments, path)
    if isinstance(declarations, TooDeep) and _is_valid_syntax(text):
        raise SpecError([_depth_diagnostic(declarations.span)], {path: text})
    raise SpecError(all_syntax_errors(_recognizer(), text, path), {path: text})  # syntax errors come first


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


def _is_valid_syntax(text: str) -> bool:
    try:
        _recognizer().parse(text)
    except UnexpectedInput:
        return False
    return True


def _depth_diagnostic(span: Span) -> Diagnostic:
    """Trees deeper than MAX_DEPTH (`- - - x`, `not not x`, 2,000-term sums) are refused: later passes recurse."""
    return Diagnostic(
        "E003",
        f"expression nested deeper than {MAX_DEPTH} levels",
        Span(span.path, span.line, span.col, span.line, span.col + 1),
        "split the expression with `let` or `terms` declarations",
    )
