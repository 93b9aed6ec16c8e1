"""Which spec owns which fit-cache entries: one small index file per spec, so pruning spares the others'.

Specs in one folder share its `.povdsl-cache/`. At the end of every run the
spec's index (`<sha256 of the spec's file name>.spec.json`) is rewritten
with the entry files that run used, and `--cache-prune` removes an unused
entry only when no other spec's index names it (docs/sweeps.md, "Pruning").

An index arrives in a pull request like an entry, so it is data and never
trusted: it is read as an entry is (a regular file, no links, at most the
batch size cap), and it can only protect. Pruning lists the cache folder
itself and removes only names povdsl writes; an index's names are compared
with that listing, never opened, joined to a path or removed. A malformed
index is an error here (`Corrupt`); the caller then removes nothing an
index might protect.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from povdsl.estimate.fit_entries import Corrupt

FORMAT = "povdsl-spec/1"
ENTRY = re.compile(r"[0-9a-f]{64}(\.[0-9]+)?\.json")  # a batch file or one of its parts
INDEX = re.compile(r"[0-9a-f]{64}\.spec\.json")
INDEX_OR_TEMPORARY = re.compile(r"\.?[0-9a-f]{64}\.spec\.json(\.[0-9a-f]{16}\.tmp)?")  # and a killed writer's temporaries


def index_name(spec: str) -> str:
    """The index file of a spec: named by its file name, as its sweeps' batches are (fit_cache.sweep_batch)."""
    return hashlib.sha256(f"{FORMAT}\n{Path(spec).name}".encode()).hexdigest() + ".spec.json"


def index_text(spec: str, used: Iterable[str]) -> str:
    """The index of a run of `spec`: the entry files it used, sorted (the same run writes the same bytes)."""
    entries = sorted(name for name in set(used) if ENTRY.fullmatch(name))
    return json.dumps({"format": FORMAT, "spec": Path(spec).name, "entries": entries}, indent=0) + "\n"


def owned(name: str, text: str) -> frozenset[str]:
    """The entry names the index file `name` holding `text` protects; `Corrupt` for anything povdsl would not write."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise Corrupt("it is not JSON") from None
    if not isinstance(data, dict) or sorted(data) != ["entries", "format", "spec"] or data["format"] != FORMAT:
        raise Corrupt("it is not a spec index (format or fields differ)")
    if not isinstance(data["spec"], str) or index_name(data["spec"]) != name:
        raise Corrupt("it names another spec than its file name says")
    entries = data["entries"]
    if not isinstance(entries, list) or not all(isinstance(e, str) and ENTRY.fullmatch(e) for e in entries):
        raise Corrupt("its entries are not entry file names")
    return frozenset(entries)
