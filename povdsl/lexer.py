"""Text -> tokens in one regex pass, for the limits and for Lark's LALR parser.

The pass learns what must be known before the parser runs (the token count,
parentheses nested too deep, the comments Lark would drop) and makes the
tokens the parser then consumes, so the text is lexed once. The patterns are
the grammar's own terminals, ordered as Lark orders them; what a word is
(a keyword or a NAME) is decided as Lark's contextual lexer decides it, by
whether the parser accepts the keyword where the word stands. Input this
pass cannot lex becomes a token no parser state accepts: the parse fails
and `povdsl.syntax_errors` explains it with Lark's own lexer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lark import Token
from lark.lexer import Lexer

from povdsl.errors import Diagnostic, Span

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNLEXABLE = "$UNLEXABLE"  # no parser state accepts it


@dataclass(frozen=True)
class Vocabulary:
    """The grammar's terminals arranged for one master regex."""

    pattern: re.Pattern
    keywords: dict[str, str]  # word -> keyword terminal
    ignored: frozenset[str]
    open_paren: str  # terminal names of ( and )
    close_paren: str

    @classmethod
    def of(cls, terminals, ignore) -> Vocabulary:
        keywords = {t.pattern.value: t.name for t in terminals if t.pattern.type == "str" and _WORD.fullmatch(t.pattern.value)}
        keyword_names = set(keywords.values())
        others = [t for t in terminals if t.name not in keyword_names]
        # Lark's order for its own lexer: priority, then the longest possible match first
        others.sort(key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name))
        alternatives = [f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in others]
        # a broken string is one bad token (so a `(` inside it counts for nothing), any other stray character one more
        alternatives += [r'(?P<BAD_STRING>"(?:[^"\\\n]|\\.)*"?)', r"(?P<BAD>[\s\S])"]
        symbols = {t.pattern.value: t.name for t in terminals if t.pattern.type == "str"}
        return cls(re.compile("|".join(alternatives)), keywords, frozenset(ignore), symbols["("], symbols[")"])


@dataclass(frozen=True)
class Scan:
    tokens: list  # Lark tokens, ignored ones left out; empty once `count` passes the limit
    count: int
    comments: list[tuple[int, str]]  # (line, text)
    nesting_error: Diagnostic | None


def scan(text: str, path: str, vocabulary: Vocabulary, max_tokens: int, max_nesting: int) -> Scan:
    """One pass over the text; tokens never span lines, only whitespace crosses them."""
    tokens: list = []
    comments: list[tuple[int, str]] = []
    count = depth = 0
    line, line_start = 1, 0
    ignored, open_paren, close_paren = vocabulary.ignored, vocabulary.open_paren, vocabulary.close_paren
    for m in vocabulary.pattern.finditer(text):
        kind = m.lastgroup
        start, end = m.span()
        if kind in ignored:
            value = m.group()
            if value[0] == "#":
                comments.append((line, value.rstrip()))
            newlines = value.count("\n")
            if newlines:
                line += newlines
                line_start = start + value.rindex("\n") + 1
            continue
        count += 1
        if count > max_tokens:
            tokens = []
            continue
        column = start - line_start + 1
        if kind == open_paren:
            depth += 1
            if depth > max_nesting:
                error = Diagnostic(
                    "E003",
                    f"parentheses nested deeper than {max_nesting} levels",
                    Span(path, line, column, line, column + 1),
                    "split the expression with `let` declarations",
                )
                return Scan([], count, comments, error)
        elif kind == close_paren:
            depth = max(0, depth - 1)
        elif kind == "BAD_STRING" or kind == "BAD":
            kind = _UNLEXABLE
        tokens.append(Token(kind, m.group(), start, line, column, line, column + end - start, end))
    return Scan(tokens, count, comments, None)


class ScannedLexer(Lexer):
    """Hands Lark the tokens of a `scan`; a word becomes a keyword only where the parser accepts that keyword."""

    __future_interface__ = 2

    def __init__(self, lexer_conf):
        self.keywords = Vocabulary.of(lexer_conf.terminals, lexer_conf.ignore).keywords

    def lex(self, lexer_state, parser_state):
        keywords = self.keywords
        states, stack = parser_state.parse_conf.states, parser_state.state_stack
        for token in lexer_state.text:  # the token list given to Lark.parse
            if token.type == "NAME":
                keyword = keywords.get(token.value)
                if keyword is not None and keyword in states[stack[-1]]:
                    token.type = keyword
            yield token
