"""The on-disk fit cache: a rerun refits only the fits whose inputs changed.

A fit's key is the sha256 of what determines its numbers: povdsl's version
(and a digest of its source files, so a development checkout never reads
results of older code), the model's canonical text (the checked plan printed
node by node with the printer's canonical expressions; name, label and
source positions left out), its sweep values, the path it takes (compiled
alone or on its sweep's shared design), the data and weights declarations,
the `let`s it reads (transitively), and the sha256 of every data and weights
file. So an edit to one model, or to a `let` only it reads, refits that
model alone; a layout edit or a renamed model refits nothing.

A sweep member is keyed without being built: its model is a function of its
group's model (`sweep_sources.Fit.template`, the member before its industry
code is filled in) and its values, so the key is the template's canonical
text (computed once per group) and the values; the concrete model is built
only when the member is fitted or reported.

Entries are stored in batches (decision 68): one file per plain model, named
by its key, and one per sweep, named by the spec's file name and the sweep's
name (a locator, not a key: every fit in it is still found by its own key).
A batch is written once, when its last fit is in, and again at the end of an
interrupted run, so Ctrl-C keeps what finished. A batch larger than
MAX_FILE_BYTES continues in numbered parts.

Cache folders travel in pull requests like everything else, so an entry is
data, never code, and never trusted: each file is sealed with a key only
this user holds (estimate/fit_seal.py), so one committed by someone else is
never read; and it is JSON holding every float as its exact
hex form (no pickle; estimate/fit_entries.py), read only when it is a
regular file (opened with O_NOFOLLOW from a folder opened with O_NOFOLLOW),
at most MAX_FILE_BYTES, whose stored batch name equals the one asked for,
each fit under its own key, every field of the expected type. Anything else
is a miss with a warning. Files are written by the writer the run passes
(render/output.write_output: plain names, temporary file, rename, never
through a link).

A run marks the files it reads (their modification time) and removes, at its
end, entry files no run has used for PRUNE_AFTER_DAYS days. Specs in one
folder share its cache, so each run also records the entry files it used in
its spec's index (estimate/cache_owners.py), and `prune_unused` (`povdsl run
--cache-prune`) removes the entry files the run did not use unless another
spec's index names them. A batch rewritten in fewer parts removes its own
parts beyond the new count.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import os
import re
import stat
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path

from povdsl.check import walk
from povdsl.check.plan import ModelPlan, Plan
from povdsl.errors import PovdslError
from povdsl.estimate import cache_owners
from povdsl.estimate.fit_entries import Corrupt, Uncacheable, decode, encode, storable
from povdsl.estimate.fit_seal import seal, seal_key, unseal
from povdsl.estimate.jobs import Outcome
from povdsl.language import syntax as s
from povdsl.language.printer import expr_text

FORMAT = "povdsl-fits/3"  # 3: files sealed (estimate/fit_seal.py)
MAX_ENTRY_BYTES = 8 * 2**20  # one fit: a Result of a 2,000-column design is ~1/4 of this; anything larger is not stored
MAX_FILE_BYTES = 16 * 2**20  # one file of a batch; a larger batch continues in parts
MAX_PARTS = 4096
PRUNE_AFTER_DAYS = 30
_EXPRESSIONS = (s.Name, s.Number, s.String, s.OpenBound, s.Call, s.BinOp, s.Negate, s.Compare, s.BoolOp, s.Not, s.Paren, s.Keyword)
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
_BATCH = re.compile(r"[0-9a-f]{64}")
_OURS = re.compile(r"\.?[0-9a-f]{64}(\.[0-9]+)?\.json(\.[0-9a-f]{16}\.tmp)?")  # entry files, and a killed writer's temporaries

Writer = Callable[[Path, str, str], object]


def canonical(x: object) -> str:
    """A plan as text: expressions by the printer, dataclasses field by field (compared fields only, so no spans)."""
    if isinstance(x, _EXPRESSIONS):
        return expr_text(x)
    if is_dataclass(x) and not isinstance(x, type):
        inner = ", ".join(f"{f.name}={canonical(getattr(x, f.name))}" for f in fields(x) if f.compare)
        return f"{type(x).__name__}({inner})"
    if isinstance(x, (tuple, list)):
        return "(" + ", ".join(canonical(v) for v in x) + ",)"
    if isinstance(x, (str, int, float, bool)) or x is None:
        return repr(x)
    raise Uncacheable(f"no canonical text for {type(x).__name__}")


@dataclass
class Fingerprint:
    """What the data side of every key holds, computed once per run from the plan."""

    plan: Plan
    files: str = ""  # sha256 of each data and weights file, and the declarations that read them
    _lets: dict[str, str] = field(default_factory=dict)
    _models: dict[int, tuple[ModelPlan, str | None]] = field(default_factory=dict)  # by id: a sweep's members share it

    def __post_init__(self) -> None:
        digests = []
        for path in sorted({d.path for d in self.plan.data} | {w.path for w in self.plan.weights}):
            digests.append(f"{path}:{_file_digest(Path(path))}")
        declarations = canonical(self.plan.data) + canonical(self.plan.weights)
        self.files = hashlib.sha256("\n".join([*digests, declarations]).encode()).hexdigest()
        self._lets = {let.name: canonical(let) for let in self.plan.lets}

    def model_digest(self, model: ModelPlan) -> str | None:
        """The sha256 of the model's canonical text without name and label, with the lets it reads; None if it has no canonical text.

        Memoised by object: a sweep group's members share their template, so it is computed once per group.
        """
        known = self._models.get(id(model))
        if known is None or known[0] is not model:
            try:
                text = canonical([f"{f.name}={canonical(getattr(model, f.name))}" for f in fields(model) if f.compare and f.name not in ("name", "label")])
                digest: str | None = hashlib.sha256(f"{text}\n{self.lets_read_by(model)}".encode()).hexdigest()
            except Uncacheable:
                digest = None
            known = self._models[id(model)] = (model, digest)
        return known[1]

    def lets_read_by(self, model: ModelPlan) -> str:
        """The canonical text of the lets the model reads, directly or through other lets."""
        expressions = {let.name: let.expr for let in self.plan.lets}
        wanted: set[str] = set()
        todo = [n for n in _names(model) if n in expressions]
        while todo:
            name = todo.pop()
            if name not in wanted:
                wanted.add(name)
                todo.extend(n for n in _names(expressions[name]) if n in expressions)
        return "\n".join(self._lets[let.name] for let in self.plan.lets if let.name in wanted)


def _names(node: object) -> set[str]:
    found: set[str] = set()

    def visit(x: object) -> None:
        if isinstance(x, _EXPRESSIONS):
            found.update(n.id for n in walk(x) if isinstance(n, s.Name))
        elif is_dataclass(x) and not isinstance(x, type):
            for f in fields(x):
                visit(getattr(x, f.name))
        elif isinstance(x, (tuple, list)):
            for v in x:
                visit(v)

    visit(node)
    return found


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(2**20), b""):
                digest.update(block)
    except OSError:
        return "unreadable"
    return digest.hexdigest()


@functools.cache
def code_version() -> str:
    """povdsl's version and a digest of its own source files, so that a changed povdsl never reads an old result.

    The version alone would not do in a development checkout, where the code
    changes under one version number.
    """
    import povdsl

    digest = hashlib.sha256(povdsl.__version__.encode())
    root = Path(povdsl.__file__).parent
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".lark") and path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return f"{povdsl.__version__}+{digest.hexdigest()[:16]}"


def fit_key(model: ModelPlan, bindings: tuple[tuple[str, str], ...], shared: bool, fingerprint: Fingerprint) -> str | None:
    """A fit's key from its model or its sweep group's template and its values; None when it has no canonical text (not cached)."""
    digest = fingerprint.model_digest(model)
    if digest is None:
        return None
    parts = (FORMAT, code_version(), digest, canonical(bindings), f"shared:{shared}", fingerprint.files)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def sweep_batch(sweep: str, fingerprint: Fingerprint) -> str:
    """The file name stem of a sweep's batch: stable under edits of its members, so unchanged members are still found."""
    parts = (FORMAT, code_version(), fingerprint.files, Path(fingerprint.plan.path).name, sweep)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _part_name(batch: str, part: int) -> str:
    return f"{batch}.json" if part == 0 else f"{batch}.{part}.json"


class FitCache:
    """A folder of batch files; `lookup` finds fits by key (a miss, foreign or corrupt entry: absent, with a warning)."""

    def __init__(self, folder: Path, writer: Writer, *, prune_unused: bool = False, spec: str | None = None):
        self.folder = Path(folder)
        self.writer = writer
        self.prune_unused = prune_unused  # at the end of a run, remove the entry files it did not use that no other spec owns
        self.spec = spec  # the spec this run reads: its index records the entry files the run used (None: no index)
        self.started = time.time()  # a file changed after this was written by a concurrent run: never pruned as unused
        self.hits = 0
        self.stored = 0  # fits written
        self.used: set[str] = set()  # file names read or written by this run
        self._batches: dict[str, dict[str, object]] = {}  # batch -> key -> its stored entry, as read
        self._parts: dict[str, int] = {}  # batch -> the part count its first file claimed, as read
        self._write_failed = False
        self.key = seal_key()
        self.usable = not self.folder.is_symlink() and self.key is not None
        if self.folder.is_symlink():
            warnings.warn(f"fit cache folder {self.folder} is a symbolic link; povdsl neither reads nor writes through links, so nothing is cached", RuntimeWarning, stacklevel=2)
        elif self.key is None:
            warnings.warn(
                "fit cache off: its files are sealed with a key kept in a private per-user folder ($XDG_CACHE_HOME/povdsl or ~/.cache/povdsl), and there is none",
                RuntimeWarning,
                stacklevel=2,
            )

    # --- reading -------------------------------------------------------------------------------------

    def lookup(self, batch: str, keys: Iterable[str]) -> dict[str, Outcome]:
        """The stored outcomes of these keys in this batch (the batch's files are read once per run)."""
        entries = self.entries(batch)
        found: dict[str, Outcome] = {}
        for key in keys:
            if key in found or key not in entries:
                continue
            try:
                found[key] = decode(entries[key])
            except (Corrupt, ValueError, TypeError, KeyError, RecursionError, OverflowError) as exc:
                del entries[key]
                warnings.warn(f"fit cache entry {key} in {self.folder / _part_name(batch, 0)} ignored: {exc}", RuntimeWarning, stacklevel=2)
        self.hits += len(found)
        return found

    def load(self, key: str) -> Outcome | None:
        """A fit stored alone (a plain model: its batch is its key)."""
        return self.lookup(key, [key]).get(key)

    def entries(self, batch: str) -> dict[str, object]:
        """The batch's stored entries by key, undecoded; a part that is not what povdsl writes is left out with a warning."""
        if batch in self._batches:
            return self._batches[batch]
        entries: dict[str, object] = {}
        self._batches[batch] = entries
        if not self.usable:
            return entries
        parts = 1
        part = 0
        while part < parts:
            name = _part_name(batch, part)
            try:
                stored = self._part(name, batch, part)
            except FileNotFoundError:
                if not part:
                    break
                warnings.warn(f"fit cache entry {self.folder / name} ignored: it is missing", RuntimeWarning, stacklevel=3)  # its fits alone are refitted
            except (OSError, Corrupt, ValueError, RecursionError) as exc:
                warnings.warn(f"fit cache entry {self.folder / name} ignored: {exc}", RuntimeWarning, stacklevel=3)
                if part == 0:
                    break
            else:
                parts = stored["parts"] if part == 0 else parts
                self._parts[batch] = parts
                entries.update(stored["fits"])
            part += 1
        return entries

    def _part(self, name: str, batch: str, part: int) -> dict:
        assert self.key is not None  # usable
        data = json.loads(unseal(self._read(name), self.key))
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("batch") != batch or data.get("part") != part:
            raise Corrupt("it was not written for this fit (format or key differ)")
        if not isinstance(data.get("parts"), int) or isinstance(data["parts"], bool) or not part < data["parts"] <= MAX_PARTS or not isinstance(data.get("fits"), dict):
            raise Corrupt("a malformed batch")
        return data

    def _read(self, name: str, *, mark: bool = True) -> str:
        """The text of a regular file of the folder, opened without following links, at most MAX_FILE_BYTES.

        With `mark` the file is marked as used (its modification time, kept by
        pruning and listed in the spec's index); another spec's index is read
        without, so that only its own runs keep it.
        """
        try:
            dir_fd = os.open(self.folder, _DIRECTORY_FLAGS)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise Corrupt(f"the cache folder cannot be opened without following links ({exc.strerror})") from None
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
        except OSError as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            raise Corrupt(f"it cannot be opened as a plain file ({exc.strerror})") from None
        finally:
            os.close(dir_fd)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise Corrupt("it is not a regular file")
            if info.st_size > MAX_FILE_BYTES:
                raise Corrupt(f"it is larger than {MAX_FILE_BYTES} bytes")
            data = handle.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                raise Corrupt(f"it is larger than {MAX_FILE_BYTES} bytes")
            if mark:
                try:
                    os.utime(handle.fileno())  # used now: kept by pruning (a read-only cache is simply not marked)
                except OSError:
                    pass
        if mark:
            self.used.add(name)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise Corrupt("it is not UTF-8 text") from None

    # --- writing -------------------------------------------------------------------------------------

    def store(self, key: str, outcome: Outcome) -> None:
        """Store a fit alone (a plain model, as `load` reads it)."""
        self.write(key, {key: outcome})

    def write(self, batch: str, fits: dict[str, Outcome | dict]) -> None:
        """Write a batch: outcomes, or entries as `entries` read them (kept without decoding); unstorable fits are left out."""
        if not self.usable or self._write_failed:
            return
        texts: list[str] = []
        fresh = 0
        for key, outcome in fits.items():
            if not isinstance(outcome, dict):
                if not storable(outcome):
                    continue
                try:
                    entry = encode(outcome)
                except Uncacheable:
                    continue
                fresh += 1
            else:
                entry = outcome
            text = json.dumps(key) + ":" + json.dumps(entry, separators=(",", ":"))
            if len(text) <= MAX_ENTRY_BYTES:
                texts.append(text)
        if not texts:
            return
        parts: list[list[str]] = [[]]
        size = 0
        for text in texts:
            if parts[-1] and size + len(text) + 200 > MAX_FILE_BYTES:
                parts.append([])
                size = 0
            parts[-1].append(text)
            size += len(text) + 1
        try:
            for number, part in enumerate(parts):
                head = json.dumps({"format": FORMAT, "batch": batch, "part": number, "parts": len(parts)}, separators=(",", ":"))
                name = _part_name(batch, number)
                assert self.key is not None  # usable
                self.writer(self.folder, name, seal(head[:-1] + ',"fits":{' + ",".join(part) + "}}", self.key))
                self.used.add(name)
            self.stored += fresh
            self._remove_parts_beyond(batch, len(parts))
        except PovdslError as exc:  # the writer refused this file (a link in its place): that batch is not stored
            warnings.warn(f"fit cache entry not written ({exc})", RuntimeWarning, stacklevel=2)
        except OSError as exc:  # a read-only project: run on, once warned
            self._write_failed = True
            warnings.warn(f"fit cache not written ({exc})", RuntimeWarning, stacklevel=2)

    def _remove_parts_beyond(self, batch: str, count: int) -> None:
        """Remove the batch's parts numbered `count` and up, so a batch rewritten in fewer parts (fewer members
        after an edit, an interrupted run) leaves none behind.

        The names are the batch's own (`_part_name`), never read from a file:
        every part up to the count its first file claimed when this run read
        it (a lost part in between does not stop the removal), then each
        further one until one is missing. Only regular files are removed,
        never through a link.
        """
        if not _BATCH.fullmatch(batch):
            return
        claimed = self._parts.get(batch, 0)
        self._parts[batch] = count
        try:
            dir_fd = os.open(self.folder, _DIRECTORY_FLAGS)
        except OSError:
            return
        try:
            for part in range(max(count, 1), MAX_PARTS):
                name = _part_name(batch, part)
                try:
                    info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                except FileNotFoundError:
                    if part >= claimed:
                        break
                    continue
                except OSError:
                    continue
                self.used.discard(name)
                if stat.S_ISREG(info.st_mode):
                    try:
                        os.unlink(name, dir_fd=dir_fd)
                    except OSError:
                        continue
        finally:
            os.close(dir_fd)

    # --- pruning -------------------------------------------------------------------------------------

    def prune(self, *, unused: bool | None = None, days: float = PRUNE_AFTER_DAYS) -> int:
        """At the end of a run: record the entry files it used in its spec's index, then remove the entry files
        no run has used for `days`, and with `unused` every one this run did not use that no other spec's
        index names; the count removed.

        Only names povdsl writes are considered, links are never followed
        (a link is left alone), a file that cannot be removed is skipped, and
        a file changed since this run started (a concurrent run's) is never
        removed as unused. An index is read only to spare what it names: an
        index that cannot be read spares everything (with a warning), and an
        index is itself removed only when no run of its spec has written it
        for `days`.
        """
        if not self.usable:
            return 0
        unused = self.prune_unused if unused is None else unused
        self._write_index()
        cutoff = time.time() - days * 86400
        try:
            dir_fd = os.open(self.folder, _DIRECTORY_FLAGS)
        except OSError:
            return 0
        removed = 0
        try:
            files = _listing(dir_fd)
            spared = self._owned_elsewhere(files, cutoff) if unused else frozenset()
            for name, modified in files.items():
                if name in self.used:
                    continue
                unowned = spared is not None and _OURS.fullmatch(name) is not None and name not in spared and modified < self.started
                if modified < cutoff or (unused and unowned):
                    try:
                        os.unlink(name, dir_fd=dir_fd)
                        removed += 1
                    except OSError:
                        continue
        finally:
            os.close(dir_fd)
        return removed

    def _write_index(self) -> None:
        """Record this run's entry files in its spec's index (not in a read-only cache, nor one this run did not create)."""
        if self.spec is None or self._write_failed or not self.folder.is_dir():
            return
        name = cache_owners.index_name(self.spec)
        try:
            self.writer(self.folder, name, cache_owners.index_text(self.spec, self.used))
        except PovdslError as exc:  # a link in its place
            warnings.warn(f"fit cache index not written ({exc})", RuntimeWarning, stacklevel=3)
        except OSError:  # a read-only cache cannot be pruned either
            return
        else:
            self.used.add(name)

    def _owned_elsewhere(self, files: dict[str, float], cutoff: float) -> frozenset[str] | None:
        """The entry names the other specs' current indexes name; None (with a warning) when one cannot be read."""
        own = cache_owners.index_name(self.spec) if self.spec is not None else None
        spared: set[str] = set()
        for name, modified in files.items():
            if name == own or modified < cutoff or not cache_owners.INDEX.fullmatch(name):
                continue
            try:
                spared |= cache_owners.owned(name, self._read(name, mark=False))
            except FileNotFoundError:
                continue  # removed meanwhile: its spec owns nothing
            except (OSError, Corrupt) as exc:
                warnings.warn(f"fit cache index {self.folder / name} ignored: {exc}; no entry another spec might own is removed", RuntimeWarning, stacklevel=3)
                return None
        return frozenset(spared)


def _listing(dir_fd: int) -> dict[str, float]:
    """The regular files of the cache folder with names povdsl writes (entries, indexes, their temporaries), by modification time."""
    files: dict[str, float] = {}
    with os.scandir(dir_fd) as listing:
        for item in listing:
            if _OURS.fullmatch(item.name) or cache_owners.INDEX_OR_TEMPORARY.fullmatch(item.name):
                try:
                    info = item.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISREG(info.st_mode):
                    files[item.name] = info.st_mtime
    return files


@dataclass
class CacheRun:
    """One run's use of the cache: each job's key and batch, what was found, and each batch written once its fits are in."""

    cache: FitCache
    keys: list[str | None]
    batches: list[str | None]
    _pending: dict[str, int] = field(default_factory=dict)  # batch -> fits still to arrive
    _fresh: dict[str, dict[str, Outcome]] = field(default_factory=dict)  # batch -> fits arrived, not yet written
    _members: dict[str, list[str]] = field(default_factory=dict)  # batch -> its keys in job order

    def found(self) -> list[Outcome | None]:
        """Every job's stored outcome, or None.

        The garbage collector is paused meanwhile: reading batches makes
        many small objects and no cycles, and its collections over them
        were a third of a warm run's reading time (it runs again after).
        """
        for key, batch in zip(self.keys, self.batches):
            if key is not None and batch is not None:
                self._members.setdefault(batch, []).append(key)
        paused = gc.isenabled()
        gc.disable()
        try:
            stored = {batch: self.cache.lookup(batch, keys) for batch, keys in self._members.items()}
        finally:
            if paused:
                gc.enable()
        return [stored[b].get(k) if k is not None and b is not None else None for k, b in zip(self.keys, self.batches)]

    def expect(self, todo: Iterable[int]) -> None:
        """The jobs about to run: a batch is written when the last of its jobs has arrived."""
        for i in todo:
            batch = self.batches[i]
            if batch is not None and self.keys[i] is not None:
                self._pending[batch] = self._pending.get(batch, 0) + 1

    def arrived(self, index: int, outcome: Outcome) -> None:
        key, batch = self.keys[index], self.batches[index]
        if key is None or batch is None:
            return
        self._fresh.setdefault(batch, {})[key] = outcome
        self._pending[batch] -= 1
        if self._pending[batch] == 0:
            self._write(batch)

    def finish(self) -> None:
        """Write the batches not yet written (after an interruption: the fits that finished), then prune."""
        for batch in list(self._fresh):
            self._write(batch)

    def _write(self, batch: str) -> None:
        fresh = self._fresh.pop(batch, {})
        if not fresh:
            return
        stored = self.cache.entries(batch)
        fits: dict[str, Outcome | dict] = {}
        for key in self._members.get(batch, ()):
            if key in fresh:
                fits[key] = fresh[key]
            elif key in stored:
                fits[key] = stored[key]  # type: ignore[assignment]
        self.cache.write(batch, fits)
