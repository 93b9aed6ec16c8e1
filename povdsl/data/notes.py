"""Typed records the data stage hands on: thresholds it computed and notices about what the data did.

Kept apart from frames.py (no pandas) so that render and the CLI can read
them cheaply, and so that nothing downstream parses "name: text" strings.
"""

from __future__ import annotations

from dataclasses import dataclass

from povdsl.errors import Span


@dataclass(frozen=True, slots=True)
class Threshold:
    """A value computed from the data inside a `let`, e.g. a poverty line `0.5 * mean(income, year == 2004)`."""

    let: str  # the let whose expression holds it
    text: str  # the expression, as printed
    value: float

    @property
    def label(self) -> str:
        """How a table note names it: `poor04: 0.5 * mean(income, year == 2004)`."""
        return f"{self.let}: {self.text}"


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the data did that the user must hear: said on stderr at the declaration or model it concerns."""

    severity: str  # "note" or "warning"
    message: str
    span: Span | None = None
