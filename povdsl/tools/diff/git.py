"""`--git REV` (working tree against a revision) and `--git-external` (git's external diff driver)."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

from povdsl.diagnostics import escape_controls
from povdsl.errors import SpecError
from povdsl.tools.diff.changes import EXIT_SAME, EXIT_TROUBLE
from povdsl.tools.diff.declarations import diff_specs
from povdsl.tools.diff.inputs import DiffTrouble, _Pair, _parse, _read
from povdsl.tools.diff.output import _use_colour, format_text


def _git(*args: str, cwd: str | None = None) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8", errors="surrogateescape", check=False)
    except FileNotFoundError:
        raise DiffTrouble("git not found") from None
    if done.returncode != 0:
        raise DiffTrouble(done.stderr.strip() or f"git {' '.join(args)} failed")
    return done.stdout


def _git_pairs(rev: str, paths: list[str]) -> list[_Pair]:
    """One pair per path: `git show REV:path` against the working-tree file.

    Paths are taken relative to the repository root. Without paths: the
    tracked *.pov files that differ between REV and the working tree
    (`git diff --name-only REV -- '*.pov'`); untracked files are not included.
    """
    root = _git("rev-parse", "--show-toplevel").strip()
    _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", cwd=root)
    if paths:
        relative = [Path(os.path.relpath(Path(p).resolve(), root)).as_posix() for p in paths]
    else:
        # -z: names as they are, NUL-separated; without it git quotes non-ASCII and newlines ("caf\303\251.pov")
        relative = [name for name in _git("diff", "--name-only", "-z", rev, "--", "*.pov", cwd=root).split("\0") if name]
    pairs = []
    for rel in relative:
        try:
            old_text = _git("show", f"{rev}:{rel}", cwd=root)
        except DiffTrouble:
            old_text = None  # added since REV
        working = Path(root) / rel
        new_text = _read(str(working)) if working.exists() else None
        if old_text is None and new_text is None:
            raise DiffTrouble(f"{rel}: neither in {rev} nor in the working tree")
        pairs.append(_Pair(f"{rev}:{rel}", rel, old_text, new_text, str(working), str(working)))
    return pairs


def _git_external(argv: list[str]) -> int:
    """git's external diff calling convention (7 arguments, 9 for a rename).

    git stops at the first driver that exits non-zero, so this mode exits 0
    whatever it finds; a side that does not parse falls back to a line diff.
    """
    if len(argv) not in (7, 9):
        print("povdsl diff --git-external: expected path old-file old-hex old-mode new-file new-hex new-mode", file=sys.stderr)
        return EXIT_TROUBLE
    path, old_file, new_file = argv[0], argv[1], argv[4]
    shown = argv[7] if len(argv) == 9 else path
    old_text = None if old_file == os.devnull else _read(old_file)
    new_text = None if new_file == os.devnull else _read(new_file)
    print(escape_controls(f"povdsl diff a/{path} b/{shown}"))
    try:
        changes = diff_specs(_parse(old_text, f"a/{path}", path), _parse(new_text, f"b/{shown}", shown))
    except SpecError as exc:
        print(str(exc))
        lines = difflib.unified_diff((old_text or "").splitlines(True), (new_text or "").splitlines(True), f"a/{path}", f"b/{shown}")
        sys.stdout.writelines(escape_controls(line.rstrip("\n")) + "\n" for line in lines)
        return EXIT_SAME
    sys.stdout.write(format_text(changes, _use_colour(sys.stdout)))
    return EXIT_SAME
