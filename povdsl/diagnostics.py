"""Printing diagnostics the way compilers do: path:line:col, the line, a caret."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from povdsl.errors import Diagnostic, Span

MAX_SHOWN = 50  # more than this and the rest is counted, not printed
SUGGESTION_BUDGET = 100_000  # name comparisons one check may spend on did-you-mean hints (~0.3 s)

_budget: ContextVar[list[int] | None] = ContextVar("suggestion_budget", default=None)


@contextmanager
def suggestion_budget(comparisons: int = SUGGESTION_BUDGET) -> Iterator[None]:
    """Bound the did-you-mean work of one pass (a check): each hint costs one comparison per candidate.

    Without a bound, a spec with thousands of unknown names against a scope of
    thousands costs minutes (every name against every candidate). With it,
    hints stop once the budget is spent; a normal spec (tens of unknown names
    against hundreds of candidates) never reaches it, so its hints are unchanged.
    """
    token = _budget.set([comparisons])
    try:
        yield
    finally:
        _budget.reset(token)

# C0 (but tab), DEL, C1, bidirectional marks, embeddings, overrides and isolates, line/paragraph separators,
# and lone surrogates (bytes of a file name that are not UTF-8):
# printed raw they move the cursor, recolour, or reorder text so a reviewer does not see what is there.
_CONTROLS = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_CONTROLS_BUT_NEWLINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str, *, keep_newlines: bool = False) -> str:
    """Terminal control characters shown as visible escapes (ESC -> \\x1b, RLO -> \\u202e); plain text unchanged."""
    return (_CONTROLS_BUT_NEWLINE if keep_newlines else _CONTROLS).sub(_escape, text)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate, as a hint, or None when nothing is close (or the pass's budget is spent)."""
    pool = candidates if isinstance(candidates, Collection) else list(candidates)
    left = _budget.get()
    if left is not None:
        if left[0] < len(pool):
            left[0] = 0
            return None
        left[0] -= len(pool)
    match = difflib.get_close_matches(word, sorted(set(pool)), n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None


def format_diagnostic(d: Diagnostic, sources: Mapping[str, str]) -> str:
    if d.span is None:
        head = escape_controls(f"{d.severity}[{d.code}]: {d.message}")
        return head + (f"\n  = hint: {escape_controls(d.hint)}" if d.hint else "")
    sp = d.span
    lines = [escape_controls(f"{sp.path}:{sp.line}:{sp.col}: {d.severity}[{d.code}]: {d.message}")]
    lines += source_excerpt(sp, sources.get(sp.path))
    if d.hint:
        lines.append(f"  = hint: {escape_controls(d.hint)}")
    return "\n".join(lines)


def source_excerpt(sp: Span, text: str | None) -> list[str]:
    """The span's source line and a caret under it: what every located message shows below its first line."""
    if text is None:
        return []
    source_lines = text.split("\n")  # the parser counts "\n" only
    if not 1 <= sp.line <= len(source_lines):
        return []
    shown = _printable(source_lines[sp.line - 1].rstrip("\r").expandtabs(1))
    if len(shown) > 200:  # keep huge lines readable
        start = max(0, sp.col - 100)
        shown = shown[start : start + 200]
        col = sp.col - start
    else:
        col = sp.col
    width = (sp.end_col - sp.col) if sp.end_line == sp.line else len(shown) - col + 1
    width = max(1, min(width, len(shown) - col + 1 if len(shown) >= col else 1))
    gutter = f"{sp.line} | "
    return [gutter + shown, " " * (len(gutter) + col - 1) + "^" * width]


def format_diagnostics(diagnostics: Iterable[Diagnostic], sources: Mapping[str, str]) -> str:
    diagnostics = list(diagnostics)
    parts = [format_diagnostic(d, sources) for d in diagnostics[:MAX_SHOWN]]
    errors = sum(1 for d in diagnostics if d.severity == "error")
    if len(diagnostics) > MAX_SHOWN:
        parts.append(f"... and {len(diagnostics) - MAX_SHOWN} more")
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''} found")
    return "\n".join(parts)


def _printable(line: str) -> str:
    """Control characters become U+FFFD one for one, so the caret stays aligned."""
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in line)
