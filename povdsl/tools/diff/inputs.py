"""Reading the two versions of a spec: file pairs, reading and parsing, and the trouble that exits 2."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from povdsl.language import syntax as s
from povdsl.errors import SpecError
from povdsl.language.parser import parse, read_spec


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
        return read_spec(Path(path))
    except SpecError as exc:  # not UTF-8, or over the size limit
        raise DiffTrouble(f"{path}: {exc.diagnostics[0].message}") from None
    except OSError as exc:
        raise DiffTrouble(f"{path}: {exc.strerror or exc}") from None


def _parse(text: str | None, path: str) -> s.Spec:
    """A missing side (file added or deleted) is an empty spec."""
    return parse(text or "", path)
