"""A spec file to a checked plan: read, parse, check, nothing fitted.

Kept apart from `povdsl.pipeline` so that `check`, `explain` and the library's
`load` never import the estimation half (pandas, statsmodels, linearmodels).
"""

from __future__ import annotations

from pathlib import Path

from povdsl.check import Environment, check
from povdsl.check.plan import Plan
from povdsl.check.sources import SourceError, check_spec_path
from povdsl.check.sweeps import MAX_FITS
from povdsl.errors import Diagnostic, Span, SpecError
from povdsl.language.parser import parse, read_spec


def read_spec_file(path: Path, allow_outside: tuple[Path, ...] = ()) -> str:
    """A spec's text under the data files' path rules (docs/security.md): no link out of the project."""
    try:
        check_spec_path(path, allow_outside)
    except SourceError as exc:
        raise SpecError([Diagnostic("E006", str(exc), Span(str(path), 1, 1, 1, 1), exc.hint)]) from None
    return read_spec(path)


def load_plan(path: str | Path, *, allow_outside: tuple[Path, ...] = (), max_fits: int = MAX_FITS) -> Plan:
    """Read, parse and check a spec file against its data files' headers (sweeps limited to `max_fits` fits)."""
    path = Path(path)
    text = read_spec_file(path, allow_outside)
    spec = parse(text, str(path))
    return check(spec, Environment(spec_path=path, allow_outside=allow_outside, max_fits=max_fits), source_text=text)
