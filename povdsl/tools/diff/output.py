"""Text and JSON output of a list of changes."""

from __future__ import annotations

import json
import os
import re

from povdsl.diagnostics import escape_controls
from povdsl.tools.diff.changes import SCHEMA_VERSION, Change

# JSON escapes C0 itself; these it leaves raw, and a terminal or editor showing the JSON would obey them
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

_COLOURS = {"added": "32", "removed": "31", "header": "1"}


def format_text(changes: tuple[Change, ...], colour: bool = False) -> str:
    """Changes grouped under a `kind name` header per declaration."""
    if not changes:
        return "no semantic change\n"

    def paint(text: str, what: str) -> str:
        return f"\x1b[{_COLOURS[what]}m{text}\x1b[0m" if colour and what in _COLOURS else text

    lines: list[str] = []
    header = None
    for c in changes:
        if (c.declaration, c.name) != header:
            header = (c.declaration, c.name)
            lines.append(paint(escape_controls(f"{c.declaration} {c.name}"), "header"))
        line = c.kind
        if c.detail is not None:
            line += f": {c.detail}"
        if c.kind.endswith("changed"):
            absent = "(default)" if c.kind == "vcov changed" else "(none)"
            line += f": {absent if c.old is None else c.old} -> {absent if c.new is None else c.new}"
        elif c.old is not None and c.new is not None:
            line += f": {c.old} -> {c.new}"
        elif c.old is not None or c.new is not None:
            line += f": {c.new if c.old is None else c.old}"
        if c.kind in ("term added", "term removed"):
            if c.via_macro is not None:
                line += f" (through terms {c.via_macro})"
            elif c.declaration == "model":
                line += " (directly)"
        if c.models_reached:
            line += f" [reaches {', '.join(c.models_reached)}]"
        tone = "added" if c.kind.endswith("added") else "removed" if c.kind.endswith("removed") else ""
        lines.append("  " + paint(escape_controls(line), tone))
    return "\n".join(lines) + "\n"


def format_json(files: list[tuple[str, str, tuple[Change, ...]]], reports: list | None = None) -> str:
    """The documented JSON shape (docs/review.md): schema_version and one entry per file pair.

    With reports (--results), each entry also has a "results" object.
    """
    entries = [{"old": old, "new": new, "changes": [c.as_json() for c in changes]} for old, new, changes in files]
    for entry, report in zip(entries, reports or ()):
        entry["results"] = report.as_json()
    payload = {"schema_version": SCHEMA_VERSION, "files": entries}
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def _use_colour(stream) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")  # no-color.org: set and non-empty
