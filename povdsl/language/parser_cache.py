"""Where Lark's parse tables are kept between processes: a folder only this user can write, or nowhere.

Building the LALR tables costs more than parsing a typical spec, and Lark can
save them (`Lark(cache=file)`). The file is a pickle, so it must never sit
where anyone else could write: not the spec's folder, not a shared temporary
folder. The location is `$XDG_CACHE_HOME/povdsl` (else `~/.cache/povdsl`),
created with mode 0700 and used only while it is a real folder owned by this
user that nobody else may write. Otherwise, or with POVDSL_NO_CACHE set, the
tables are built in memory as before; nothing is reported either way.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

import lark


def cache_file(kind: str, grammar: Path) -> str | bool:
    """The cache file for one parser (grammar text, Lark and Python versions in its name), or False."""
    folder = cache_folder()
    if folder is None:
        return False
    try:
        key = grammar.read_bytes() + f"{kind} {lark.__version__} {sys.version_info[:2]}".encode()
    except OSError:
        return False
    path = folder / f"{kind}-{hashlib.sha256(key).hexdigest()[:20]}.lark"
    if path.is_symlink():
        return False
    return str(path)


def cache_folder() -> Path | None:
    """$XDG_CACHE_HOME/povdsl or ~/.cache/povdsl when it is this user's own and private; else None."""
    getuid = getattr(os, "getuid", None)
    if os.environ.get("POVDSL_NO_CACHE") or getuid is None:
        return None
    try:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
        folder = base / "povdsl"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
    except (OSError, RuntimeError):  # no home, read-only file system, ...
        return None
    private = stat.S_ISDIR(info.st_mode) and info.st_uid == getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if not private or not os.access(folder, os.W_OK | os.X_OK):
        return None
    return folder
