"""Text -> tokens in one regex pass, for the limits and for Lark's LALR parser.

The pass learns what must be known before the parser runs (the token count,
parentheses nested too deep, the comments Lark would drop) and makes the
tokens the parser then consumes, so the text is lexed once. The patterns are
the grammar's own terminals, ordered as Lark orders them; what a word is
(a keyword or a NAME) is decided as Lark's contextual lexer decides it, by
whether the parser accepts the keyword where the word stands. Input this
pass cannot lex becomes a token no parser state accepts: the parse fails
and `povdsl.language.syntax_errors` explains it with Lark's own lexer.
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

    pattern: re.Pattern  # optional layout, then exactly one token (or comment, or stray character)
    keywords: dict[str, str]  # word -> keyword terminal
    comment: str  # the ignored terminal that is a comment (kept for fmt), by name
    open_paren: str  # terminal names of ( and )
    close_paren: str

    @classmethod
    def of(cls, terminals, ignore) -> Vocabulary:
        keywords = {t.pattern.value: t.name for t in terminals if t.pattern.type == "str" and _WORD.fullmatch(t.pattern.value)}
        # layout: the ignored terminals that match only whitespace; they are skipped inside the regex
        layout = [t for t in terminals if t.name in ignore and re.fullmatch(t.pattern.to_regexp(), " \t\n")]
        (comment,) = [t.name for t in terminals if t.name in ignore and t not in layout]
        skipped = set(keywords.values()) | {t.name for t in layout}
        others = [t for t in terminals if t.name not in skipped]
        # Lark's order for its own lexer: priority, then the longest possible match first
        others.sort(key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name))
        alternatives = [f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in others]
        # a broken string is one bad token (so a `(` inside it counts for nothing), any other stray character one more
        alternatives += [r'(?P<BAD_STRING>"(?:[^"\\\n]|\\.)*"?)', r"(?P<BAD>[^ \t\f\r\n])"]
        (space,) = [t.pattern.to_regexp() for t in layout]  # one run of layout (a `+` pattern) before each token
        pattern = re.compile(f"(?:{space})?(?:{'|'.join(alternatives)})")
        symbols = {t.pattern.value: t.name for t in terminals if t.pattern.type == "str"}
        return cls(pattern, keywords, comment, symbols["("], symbols[")"])


@dataclass(frozen=True)
class Scan:
    tokens: list  # Lark tokens, comments left out; empty once `count` passes the limit
    count: int
    comments: list[tuple[int, str]]  # (line, text)
    nesting_error: Diagnostic | None


def scan(text: str, path: str, vocabulary: Vocabulary, max_tokens: int, max_nesting: int) -> Scan:
    """One pass over the text. Tokens never span lines (only layout crosses them), so
    a token's line is the count of newlines before it."""
    tokens: list = []
    comments: list[tuple[int, str]] = []
    count = depth = 0
    line, line_start, seen = 1, 0, 0
    comment, open_paren, close_paren = vocabulary.comment, vocabulary.open_paren, vocabulary.close_paren
    for m in vocabulary.pattern.finditer(text):
        kind = m.lastgroup
        assert kind is not None  # every alternative of the pattern is a named group
        start, end = m.span(kind)
        newlines = text.count("\n", seen, start)
        if newlines:
            line += newlines
            line_start = text.rindex("\n", seen, start) + 1
        seen = start
        if kind == comment:
            comments.append((line, m.group(kind).rstrip()))
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
        tokens.append(Token(kind, text[start:end], start, line, column, line, column + end - start, end))
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
