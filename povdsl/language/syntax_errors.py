"""Syntax errors as diagnostics: the exact position, what was expected, a hint.

When a file does not parse, each declaration is parsed on its own as well, so
one run reports every broken declaration rather than only the first.
"""

from __future__ import annotations

import re
from dataclasses import replace
from itertools import pairwise

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from povdsl.diagnostics import did_you_mean
from povdsl.errors import Diagnostic, Span

MAX_SYNTAX_ERRORS = 200  # broken declarations reported before the parser gives up on a file

_DECLARATION_START = re.compile(r"^(data|weights|let|terms|model|table|figure)\b", re.MULTILINE)

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
    "LSQB": "'['",
    "RSQB": "']'",
    "EQUAL": "'='",
    "TILDE": "'~'",
    "VBAR": "'|'",
    "DOT": "'.'",
    "__ANON_0": "'**'",
    "$END": "end of file",
}


def all_syntax_errors(parser: Lark, text: str, path: str) -> list[Diagnostic]:
    """Parse each declaration alone so every broken one gets its diagnostic."""
    starts = [m.start() for m in _DECLARATION_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    starts.append(len(text))
    found: list[Diagnostic] = []
    offset, counted_to = 0, 0
    for begin, end in pairwise(starts):
        offset += text.count("\n", counted_to, begin)  # chunks start a line: shift lines, not columns
        counted_to = begin
        chunk = text[begin:end]
        try:
            parser.parse(chunk)
        except UnexpectedInput as exc:
            d = _syntax_diagnostic(exc, chunk, path)
            sp = d.span
            assert sp is not None  # _syntax_diagnostic always places its finding
            found.append(replace(d, span=Span(sp.path, sp.line + offset, sp.col, sp.end_line + offset, sp.end_col)))
            if len(found) == MAX_SYNTAX_ERRORS:
                line = offset + chunk.count("\n") + 1
                found.append(Diagnostic("E005", f"stopped after {MAX_SYNTAX_ERRORS} broken declarations; the rest of the file was not read", Span(path, line, 1, line, 2)))
                break
    if not found:  # the chunks parse alone but not together; report the whole
        try:
            parser.parse(text)
        except UnexpectedInput as exc:
            found.append(_syntax_diagnostic(exc, text, path))
    return found


def _syntax_diagnostic(exc: UnexpectedInput, text: str, path: str) -> Diagnostic:
    line, col = exc.line, exc.column
    if line is None or line < 1:  # end of input
        line = text.count("\n") + 1
        col = len(text) - (text.rfind("\n") + 1) + 1
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        char = text[pos] if pos is not None and pos < len(text) else ""
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
    if token in ("[", "]"):
        return "subscripts are not part of the spec language; brackets only list a sweep's values, e.g. `for y in [2004, 2008]`"
    if token == "=" and ("COMPARE" in expected or "VCOV" in expected):
        return "use '==' to compare"
    if token.type == "NAME" and "VBAR" in expected:
        return "separate the estimator from the formula with '|', e.g. `y ~ x | ols`"
    if token == "~" and "RPAR" in expected:  # `iv(x ~ z)`: an IV formula written as in linearmodels or pyfixest
        return "a call's arguments are not a formula; an IV model lists its instruments and endogenous regressors by name: `y ~ x + w | iv(iv=z, endog=x)`"
    if token == "~" and "COLON" in expected:
        return 'a model needs a colon after its name or label: `model m1 "Model 1": y ~ x | ols`'
    if token.type in ("NAME", "NUMBER") and {"COLON", "FOR", "STRING"} <= set(expected):  # `model m y ~ x | ols` (no label)
        return 'a model needs a colon after its name or label: `model m1 "Model 1": y ~ x | ols`'
    if token.type == "NAME":  # a misspelt keyword (`stta t`, `landscpe`, `wher`)
        keywords = [name.lower() for name in expected if name not in _TOKEN_WORDS and name.isalpha()]
        return did_you_mean(str(token), keywords)
    return None
