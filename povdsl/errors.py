"""One root error class; every user-facing problem is a PovdslError.

A SpecError carries diagnostics that point into spec text; an
EstimationError is a data problem met while fitting (separation, collinear
terms, non-convergence) and names the model when the fit stage knows it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """Where a node stands in its source: 1-based line and column, end exclusive."""

    path: str
    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding of the parser or checker."""

    code: str  # e.g. "E101"
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: str = "error"  # "error" or "warning"


class PovdslError(Exception):
    """Root of every error povdsl raises for a user's mistake or data problem."""


class SpecError(PovdslError):
    """A spec that does not parse or check; holds every diagnostic found."""

    def __init__(self, diagnostics, sources=None):
        self.diagnostics = list(diagnostics)
        self.sources = dict(sources or {})  # path -> text, for carets
        super().__init__("\n".join(d.message for d in self.diagnostics))

    def __str__(self) -> str:
        from povdsl.diagnostics import format_diagnostics

        return format_diagnostics(self.diagnostics, self.sources)


class EstimationError(PovdslError):
    """A data problem that stops a fit: separation, collinearity, non-convergence."""

    def __init__(self, message: str, *, hint: str | None = None, model: str = "", span: Span | None = None):
        self.message = message
        self.hint = hint
        self.model = model
        self.span = span
        super().__init__(message)

    def __str__(self) -> str:
        where = f"model '{self.model}': " if self.model else ""
        text = f"{where}{self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class DataError(PovdslError):
    """A data file or column that cannot be used as the spec asks; `span` points at the declaration when known."""

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None):
        self.span = span
        self.message = message
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message
