"""Where data files may come from (docs/security.md states the rule).

A path in a spec resolves relative to the spec file and must stay inside the
spec's project folder -- the nearest ancestor of the spec holding
pyproject.toml, .git or .povdsl-root, below the home folder, else the
spec's own folder -- unless
the caller allows more folders (`--allow-outside`).
`bundled("zhejiang/households.csv")` names a file shipped inside povdsl.
URLs are refused: a spec never makes povdsl reach the network.
"""

from __future__ import annotations

import os
import re
import stat
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
    return _root_above(_resolved(spec_path).parent)


def _root_above(folder: Path) -> Path:
    """The nearest marked folder from `folder` up, but never the home folder or one above it (unless `folder` is it).

    A checkout without a marker (a downloaded archive) under a home folder
    that is itself a git repository (dotfiles) would otherwise make the whole
    home folder the project, and a spec could read ~/.ssh as data.
    """
    home = _home()
    for candidate in (folder, *folder.parents):
        if candidate != folder and home is not None and (candidate == home or candidate in home.parents):
            break
        if (candidate / "pyproject.toml").exists() or (candidate / ".git").exists() or (candidate / ".povdsl-root").exists():
            return candidate
    return folder


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, OSError):  # no home (a service account): nothing to stop at
        return None


def resolve_path(raw: str, spec_path: Path | None, allow_outside: tuple[Path, ...] = ()) -> Path:
    if _URL.match(raw):
        raise SourceError(f"URLs are not allowed as data sources: '{raw}'", "download the file and name its local path")
    if "\x00" in raw or not raw.strip():
        raise SourceError("empty or invalid path")
    base = _resolved(spec_path).parent if spec_path is not None else Path.cwd()
    target = _resolved(base / raw)
    root = project_root(spec_path) if spec_path is not None else Path.cwd().resolve()
    allowed = (root, *(p.resolve() for p in allow_outside))
    if not any(target == a or a in target.parents for a in allowed):
        raise SourceError(
            f"'{raw}' resolves to {target}, outside the spec's project folder {root}",
            "move the file into the project, or pass --allow-outside with its folder",
        )
    return target


def _resolved(path: Path) -> Path:
    """path.resolve(), with a symlink loop as a SourceError (Python raises RuntimeError or OSError)."""
    try:
        return path.resolve()
    except (RuntimeError, OSError) as exc:
        raise SourceError(f"'{path}' cannot be resolved: {getattr(exc, 'strerror', None) or 'a loop of symbolic links'}", "replace the link by the file it should name") from None


def check_spec_path(path: Path, allow_outside: tuple[Path, ...] = ()) -> None:
    """A spec follows the data files' rules: a symlink must stay inside the project folder of where it stands.

    The project folder is found from the link's own folder, not its target's, so
    `spec.pov -> /proc/self/environ` in a repository is refused before a byte is read.
    The message names the link, never the target's content.
    """
    folder = _resolved(Path(os.path.abspath(path)).parent)
    root = _root_above(folder)
    target = _resolved(Path(os.path.abspath(path)))
    allowed = (root, *(_resolved(p) for p in allow_outside))
    if not any(target == a or a in target.parents for a in allowed):
        raise SourceError(f"spec '{path}' is a symbolic link leading outside its project folder {root}", "copy the spec into the project instead of linking it")
    try:
        mode = os.stat(target).st_mode
    except OSError as exc:
        raise SourceError(f"cannot read spec '{path}': {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise SourceError(f"spec '{path}' is not a regular file", "name a .pov file")


def resolve_bundled(raw: str) -> Path:
    root = bundled_root().resolve()
    target = _resolved(root / raw)
    if root not in target.parents:
        raise SourceError(f"'{raw}' is not a bundled data file", "bundled files look like \"zhejiang/households.csv\"")
    return target
