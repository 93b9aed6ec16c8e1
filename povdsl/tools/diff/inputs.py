"""Reading the two versions of a spec: file pairs, reading and parsing, and the trouble that exits 2."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from povdsl.check import Environment, check
from povdsl.check.specfile import read_spec_file
from povdsl.diagnostics import escape_controls
from povdsl.errors import SpecError
from povdsl.language import syntax as s
from povdsl.language.parser import parse


class DiffTrouble(Exception):
    """A file that cannot be read or compared; exit 2 with this message."""


@dataclass(frozen=True, slots=True)
class _Pair:
    """Two versions of one spec: labels to show, texts (None: absent), files to resolve data against."""

    old_label: str
    new_label: str
    old_text: str | None
    new_text: str | None
    old_base: str
    new_base: str


def _read(path: str) -> str:
    try:
        return read_spec_file(Path(path))
    except SpecError as exc:  # a link out of the project, not UTF-8, or over the size limit
        raise DiffTrouble(escape_controls(f"{path}: {exc.diagnostics[0].message}")) from None
    except OSError as exc:
        raise DiffTrouble(escape_controls(f"{path}: {exc.strerror or exc}")) from None


def _parse(text: str | None, path: str, base: str | None = None) -> s.Spec:
    """Parse and check one side; a missing side (file added or deleted) is an empty spec.

    The checker runs first, so a spec it refuses as unsafe (`UNSAFE`: a
    dunder or unknown call, a power, lag or expansion beyond the limits) is
    never expanded here: SpecError with the checker's diagnostics, exit 2.
    Other errors (absent data, a table option out of place) do not stop the
    comparison, which needs neither data nor a spec that runs. `base` is the
    file that data paths resolve against (the working-tree file for a git
    revision).
    """
    spec = parse(text or "", path)
    try:
        check(spec, Environment(spec_path=Path(base or path)), source_text=text or "")
    except SpecError as exc:
        if any(d.code in UNSAFE for d in exc.diagnostics):
            raise
    return spec


# The safety pass (E201 dunders, E202 calls, E221 non-finite numbers) and the
# limits on what a formula expands to (E160 powers, E165 lags, E166 terms).
# A new limit on expansion belongs here too.
UNSAFE = frozenset({"E160", "E165", "E166", "E201", "E202", "E221"})
