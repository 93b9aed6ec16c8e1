"""Fit cache files are sealed with a key only this user holds, so a cache committed by someone else is never read.

A fit's cache key is computable by anyone (povdsl's version, the spec's text
and the data's hashes are all in the repository), so without a seal a pull
request could add a `.povdsl-cache` entry under the right key and have a CI
bot report numbers that no fit produced. Each batch file therefore starts
with a line holding the HMAC-SHA256 of the rest under a random 32-byte key
kept in this user's private cache folder (`$XDG_CACHE_HOME/povdsl`, the
folder Lark's tables use: created 0700, used only while it is a real folder
owned by this user that nobody else may write). A file whose seal does not
verify is a miss, with the reader's usual warning, and is fitted again. No
private folder, no key: the fit cache is off for the run.

The cache is thereby local to one user on one machine (a CI job keeps its
cache between runs only if it keeps that folder too).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
import stat

from povdsl.estimate.fit_entries import Corrupt
from povdsl.language.parser_cache import cache_folder

KEY_FILE = "fit-cache.key"
KEY_BYTES = 32
PREFIX = "povdsl-seal "
_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


@functools.cache
def seal_key() -> bytes | None:
    """This user's key (made on first use), or None when there is no private folder to keep it in."""
    folder = cache_folder()
    if folder is None:
        return None
    path = folder / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _FLAGS, 0o600)
    except FileExistsError:
        pass
    except OSError:
        return None
    else:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
    try:
        fd = os.open(path, os.O_RDONLY | _FLAGS)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            return None
        key = handle.read(KEY_BYTES + 1)
    return key if len(key) == KEY_BYTES else None


def seal(text: str, key: bytes) -> str:
    """`text` behind its seal line."""
    return f"{PREFIX}{_mac(text, key)}\n{text}"


def unseal(text: str, key: bytes) -> str:
    """The text behind a seal this key made; Corrupt for anything else."""
    head, newline, body = text.partition("\n")
    if not newline or not head.startswith(PREFIX) or not hmac.compare_digest(head[len(PREFIX) :], _mac(body, key)):
        raise Corrupt("its seal does not verify (it was not written by povdsl for this user on this machine)")
    return body


def _mac(text: str, key: bytes) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
