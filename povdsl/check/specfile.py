"""A spec file to a checked plan: read, parse, check, nothing fitted.

Kept apart from `povdsl.pipeline` so that `check`, `explain` and the library's
`load` never import the estimation half (pandas, statsmodels, linearmodels).
"""

from __future__ import annotations

from pathlib import Path

from povdsl.check import Environment, check
from povdsl.language.parser import parse, read_spec
from povdsl.check.plan import Plan


def load_plan(path: str | Path, *, allow_outside: tuple[Path, ...] = ()) -> Plan:
    """Read, parse and check a spec file against its data files' headers."""
    path = Path(path)
    text = read_spec(path)
    spec = parse(text, str(path))
    return check(spec, Environment(spec_path=path, allow_outside=allow_outside), source_text=text)
