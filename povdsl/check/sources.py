"""Where data files may come from (docs/security.md states the rule).

A path in a spec resolves relative to the spec file and must stay inside the
spec's project folder -- the nearest ancestor of the spec holding
pyproject.toml, .git or .povdsl-root, else the spec's own folder -- unless
the caller allows more folders (`--allow-outside`).
`bundled("zhejiang/households.csv")` names a file shipped inside povdsl.
URLs are refused: a spec never makes povdsl reach the network.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class SourceError(ValueError):
    """A path the rules refuse; the message says why and what to do."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def bundled_root() -> Path:
    return Path(str(resources.files("povdsl") / "datasets"))


def project_root(spec_path: Path) -> Path:
    """The spec's project folder: the nearest ancestor with pyproject.toml or .git, else the spec's folder."""
    folder = spec_path.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / "pyproject.toml").exists() or (candidate / ".git").exists() or (candidate / ".povdsl-root").exists():
            return candidate
    return folder


def resolve_path(raw: str, spec_path: Path | None, allow_outside: tuple[Path, ...] = ()) -> Path:
    if _URL.match(raw):
        raise SourceError(f"URLs are not allowed as data sources: '{raw}'", "download the file and name its local path")
    if "\x00" in raw or not raw.strip():
        raise SourceError("empty or invalid path")
    base = spec_path.resolve().parent if spec_path is not None else Path.cwd()
    target = (base / raw).resolve()
    root = project_root(spec_path) if spec_path is not None else Path.cwd().resolve()
    allowed = (root, *(p.resolve() for p in allow_outside))
    if not any(target == a or a in target.parents for a in allowed):
        raise SourceError(
            f"'{raw}' resolves to {target}, outside the spec's project folder {root}",
            "move the file into the project, or pass --allow-outside with its folder",
        )
    return target


def resolve_bundled(raw: str) -> Path:
    root = bundled_root().resolve()
    target = (root / raw).resolve()
    if root not in target.parents:
        raise SourceError(f"'{raw}' is not a bundled data file", "bundled files look like \"zhejiang/households.csv\"")
    return target
