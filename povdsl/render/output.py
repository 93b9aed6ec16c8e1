"""Write an output file without ever following a symbolic link.

A repository can commit `tables/table1.tex` as a symlink to any file its
reader can write (`~/.bashrc`); a plain `open(path, "w")` would then
overwrite that file.  Every file povdsl writes (each table format, the PDF,
`fmt`'s rewritten spec, the bundled data) goes through `write_output`, which

* accepts a plain file name only, so the output cannot leave its folder;
* opens the folder itself with `O_NOFOLLOW`, so a symlinked output folder
  is refused rather than written through;
* refuses a target that is a symlink or anything but a regular file, with
  an error that names it, so the user sees the trap instead of silently
  replacing it;
* writes a temporary file created with `O_CREAT | O_EXCL | O_NOFOLLOW`
  inside the folder and renames it over the target: `rename` replaces a
  directory entry and never follows a link, so even a link planted between
  the check and the rename is replaced, not written through.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from povdsl.errors import PovdslError

_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class OutputError(PovdslError):
    """An output path povdsl refuses to write: a symlink, a non-file, or a name that leaves its folder."""


def _plain_name(name: str) -> str:
    if not name or name in (".", "..") or "/" in name or "\x00" in name or (os.sep != "/" and os.sep in name):
        raise OutputError(f"output name {name!r} is not a plain file name inside the output folder")
    return name


def _open_folder(folder: Path) -> int:
    if not folder.is_symlink():
        folder.mkdir(parents=True, exist_ok=True)
    if folder.is_symlink():
        raise OutputError(
            f"output folder {folder} is a symbolic link (to {os.readlink(folder)}); povdsl does not write through links",
        )
    try:
        return os.open(folder, _DIRECTORY_FLAGS)
    except OSError as exc:
        raise OutputError(f"cannot open output folder {folder}: {exc.strerror or exc}") from exc


def _refuse_unsafe_target(dir_fd: int, name: str, shown: Path) -> None:
    try:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        target = os.readlink(name, dir_fd=dir_fd)
        raise OutputError(
            f"{shown} is a symbolic link (to {target}); povdsl does not write through links, "
            "so the linked file is left untouched: delete the link and run again"
        )
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(f"{shown} exists and is not a regular file; remove it or choose another --out folder")


def write_output(folder: str | Path, name: str, data: bytes | str) -> Path:
    """Write `data` to `folder/name` atomically and without following links; return the path."""
    folder = Path(folder)
    name = _plain_name(name)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    shown = folder / name
    dir_fd = _open_folder(folder)
    try:
        _refuse_unsafe_target(dir_fd, name, shown)
        temporary = f".{name}.{secrets.token_hex(8)}.tmp"
        fd = os.open(temporary, _FILE_FLAGS, 0o666, dir_fd=dir_fd)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            try:
                os.unlink(temporary, dir_fd=dir_fd)
            except FileNotFoundError:
                pass
            raise
    finally:
        os.close(dir_fd)
    return shown


def write_beside(path: str | Path, data: bytes | str) -> Path:
    """`write_output` for a path given whole (a spec rewritten by `fmt`, a PDF beside its .tex)."""
    path = Path(path)
    return write_output(path.parent, path.name, data)
