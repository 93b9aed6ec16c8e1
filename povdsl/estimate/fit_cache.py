"""The on-disk fit cache: a rerun refits only the fits whose inputs changed.

A fit's key is the sha256 of what determines its numbers: povdsl's version
(and a digest of its source files, so a development checkout never reads
results of older code),
the model's canonical text (the checked plan printed node by node with the
printer's canonical expressions; name, label and source positions left out),
its sweep values, the path it takes (compiled alone or on its sweep's shared
design), the data and weights declarations, the `let`s it reads
(transitively), and the sha256 of every data and weights file. So an edit to
one model, or to a `let` only it reads, refits that model alone; a layout
edit or a renamed model refits nothing.

Cache folders travel in pull requests like everything else, so an entry is
data, never code, and never trusted: JSON holding every float as its exact
hex form (no pickle), read only when it is a regular file (opened with
O_NOFOLLOW from a folder opened with O_NOFOLLOW), at most MAX_ENTRY_BYTES,
whose stored key equals the key asked for and whose every field has the
expected type. Anything else is a miss with a warning. Entries are written
by the writer the run passes (render/output.write_output: plain names,
temporary file, rename, never through a link).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from povdsl.check import walk
from povdsl.check.plan import ModelPlan, Plan
from povdsl.errors import PovdslError
from povdsl.estimate.jobs import Failure, Job, Outcome
from povdsl.estimate.result import Result, Variance
from povdsl.language import syntax as s
from povdsl.language.printer import expr_text

FORMAT = "povdsl-fit/1"
MAX_ENTRY_BYTES = 8 * 2**20  # a Result of a 2,000-column design is ~1/4 of this; anything larger is not ours
MAX_DEPTH = 8  # nesting of a Result's encoded fields
_EXPRESSIONS = (s.Name, s.Number, s.String, s.OpenBound, s.Call, s.BinOp, s.Negate, s.Compare, s.BoolOp, s.Not, s.Paren, s.Keyword)
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)

Writer = Callable[[Path, str, str], object]


class Uncacheable(Exception):
    """A value the entry format cannot hold exactly: the fit is simply not cached."""


class Corrupt(Exception):
    """An entry that is not what povdsl writes: ignored with a warning."""


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

    def model_text(self, model: ModelPlan) -> str | None:
        """The model's canonical text without name and label, with the lets it reads; None if it has no canonical text."""
        known = self._models.get(id(model))
        if known is None or known[0] is not model:
            try:
                text: str | None = canonical(
                    [f"{f.name}={canonical(getattr(model, f.name))}" for f in fields(model) if f.compare and f.name not in ("name", "label")]
                )
                text = f"{text}\n{self.lets_read_by(model)}"
            except Uncacheable:
                text = None
            known = self._models[id(model)] = (model, text)
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


def fit_key(job: Job, fingerprint: Fingerprint, shared_column: str | None) -> str | None:
    """The job's key, or None when its plan holds something without a canonical text (then it is not cached)."""
    model = fingerprint.model_text(job.model)
    if model is None:
        return None
    parts = (FORMAT, code_version(), model, canonical(job.bindings), f"shared:{shared_column}", fingerprint.files)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class FitCache:
    """Entries `<folder>/<key>.json`; `load` returns None for a miss, a foreign or corrupt entry (with a warning)."""

    def __init__(self, folder: Path, writer: Writer):
        self.folder = Path(folder)
        self.writer = writer
        self.hits = 0
        self.stored = 0
        self._write_failed = False
        self.usable = not self.folder.is_symlink()
        if not self.usable:
            warnings.warn(f"fit cache folder {self.folder} is a symbolic link; povdsl neither reads nor writes through links, so nothing is cached", RuntimeWarning, stacklevel=2)

    def load(self, key: str) -> Outcome | None:
        if not self.usable:
            return None
        try:
            text = self._read(f"{key}.json")
        except FileNotFoundError:
            return None
        except (OSError, Corrupt) as exc:
            warnings.warn(f"fit cache entry {self.folder / (key + '.json')} ignored: {exc}", RuntimeWarning, stacklevel=2)
            return None
        try:
            entry = json.loads(text)
            if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != key:
                raise Corrupt("it was not written for this fit (format or key differ)")
            outcome = _decode_outcome(entry.get("outcome"))
        except (Corrupt, ValueError, TypeError, KeyError, RecursionError, OverflowError) as exc:
            warnings.warn(f"fit cache entry {self.folder / (key + '.json')} ignored: {exc}", RuntimeWarning, stacklevel=2)
            return None
        self.hits += 1
        return outcome

    def store(self, key: str, outcome: Outcome) -> None:
        if not self.usable or self._write_failed or (isinstance(outcome, Failure) and (outcome.died or (outcome.error is not None and not _plain_error(outcome.error)))):
            return
        try:
            text = json.dumps({"format": FORMAT, "key": key, "outcome": _encode_outcome(outcome)}, separators=(",", ":"))
        except Uncacheable:
            return
        if len(text) > MAX_ENTRY_BYTES:
            return
        try:
            self.writer(self.folder, f"{key}.json", text)
            self.stored += 1
        except PovdslError as exc:  # the writer refused this entry (a link in its place): that one is not stored
            warnings.warn(f"fit cache entry not written ({exc})", RuntimeWarning, stacklevel=2)
        except OSError as exc:  # a read-only project: run on, once warned
            self._write_failed = True
            warnings.warn(f"fit cache not written ({exc})", RuntimeWarning, stacklevel=2)

    def _read(self, name: str) -> str:
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
            if info.st_size > MAX_ENTRY_BYTES:
                raise Corrupt(f"it is larger than {MAX_ENTRY_BYTES} bytes")
            data = handle.read(MAX_ENTRY_BYTES + 1)
        if len(data) > MAX_ENTRY_BYTES:
            raise Corrupt(f"it is larger than {MAX_ENTRY_BYTES} bytes")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise Corrupt("it is not UTF-8 text") from None


def _plain_error(error: BaseException) -> bool:
    from povdsl.errors import DataError, EstimationError

    return isinstance(error, (EstimationError, DataError))


# --- the entry format: every value tagged with its type, floats as exact hex ---------------------------


def _encode_outcome(outcome: Outcome) -> dict:
    if isinstance(outcome, Failure):
        return {"failure": {"message": outcome.message, "hint": outcome.hint}}
    return {"result": {f.name: _encode(getattr(outcome, f.name)) for f in fields(Result) if f.name != "raw"}}


def _decode_outcome(data: object) -> Outcome:
    if not isinstance(data, dict) or len(data) != 1:
        raise Corrupt("no outcome")
    if "failure" in data:
        failure = data["failure"]
        if not isinstance(failure, dict) or not isinstance(failure.get("message"), str) or not isinstance(failure.get("hint"), (str, type(None))):
            raise Corrupt("a malformed failure")
        return Failure(failure["message"], failure["hint"])
    stored = data.get("result")
    names = [f.name for f in fields(Result) if f.name != "raw"]
    if not isinstance(stored, dict) or sorted(stored) != sorted(names):
        raise Corrupt("a malformed result")
    values: dict[str, Any] = {name: _decode(stored[name], 0) for name in names}
    _check_types(values)
    return Result(**values)


_EXPECTED: dict[str, tuple[type, ...]] = {
    "params": (pd.Series,),
    "std_errors": (pd.Series,),
    "tstats": (pd.Series,),
    "pvalues": (pd.Series,),
    "nobs": (int, np.integer),
    "estimator": (str,),
    "vcov": (str,),
    "stats": (dict,),
    "dropped": (int, np.integer),
    "model": (str,),
    "label": (str,),
    "dependent": (str,),
    "warnings": (tuple,),
    "variance": (Variance, type(None)),
    "cov": (pd.DataFrame, type(None)),
    "impacts": (pd.DataFrame, type(None)),
}


def _check_types(values: dict) -> None:
    for name, value in values.items():
        if (name in _EXPECTED and not isinstance(value, _EXPECTED[name])) or (isinstance(value, bool) and name in ("nobs", "dropped")):
            raise Corrupt(f"field {name} has the wrong type")
    if not all(isinstance(w, str) for w in values["warnings"]):
        raise Corrupt("warnings are not texts")
    if not all(isinstance(k, str) and isinstance(v, (int, float, np.integer, np.floating)) for k, v in values["stats"].items()):
        raise Corrupt("statistics are not numbers")


def _encode(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, bool):
        return {"b": value}
    if isinstance(value, np.bool_):
        return {"b_": bool(value)}
    if isinstance(value, int):
        return {"i": value}
    if isinstance(value, np.integer):
        return {"i64": int(value)} if value.dtype == np.int64 else _refuse(value)
    if isinstance(value, float):
        return {"f": value.hex()}
    if isinstance(value, np.floating):
        return {"f64": float(value).hex()} if value.dtype == np.float64 else _refuse(value)
    if isinstance(value, str):
        return {"s": value}
    if isinstance(value, tuple):
        return {"t": [_encode(v) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            _refuse(value)
        return {"d": [[k, _encode(v)] for k, v in value.items()]}
    if isinstance(value, Variance):
        return {"variance": {f.name: _encode(getattr(value, f.name)) for f in fields(Variance)}}
    if isinstance(value, pd.Series):
        if value.dtype != np.float64:
            _refuse(value)
        return {"series": {"index": _labels(value.index), "name": _encode(value.name), "values": _floats(value.to_numpy())}}
    if isinstance(value, pd.DataFrame):
        if not all(dtype == np.float64 for dtype in value.dtypes):
            _refuse(value)
        return {"frame": {"index": _labels(value.index), "columns": _labels(value.columns), "values": [_floats(value[c].to_numpy()) for c in value.columns]}}
    return _refuse(value)


def _refuse(value: object):
    raise Uncacheable(f"{type(value).__name__} values are not cached")


def _labels(index: pd.Index) -> dict:
    if isinstance(index, pd.MultiIndex) or not all(isinstance(v, str) for v in index) or index.name is not None:
        _refuse(index)
    return {"dtype": str(index.dtype), "labels": list(index)}


def _floats(values: np.ndarray) -> list[str]:
    return [float(v).hex() for v in values]


def _decode(data: object, depth: int) -> object:
    if depth > MAX_DEPTH:
        raise Corrupt("nested too deeply")
    if data is None:
        return None
    if not isinstance(data, dict) or len(data) != 1:
        raise Corrupt("a value without its type")
    (tag, value), = data.items()
    if tag == "b" and isinstance(value, bool):
        return value
    if tag == "b_" and isinstance(value, bool):
        return np.bool_(value)
    if tag == "i" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if tag == "i64" and isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
        return np.int64(value)
    if tag == "f" and isinstance(value, str):
        return float.fromhex(value)
    if tag == "f64" and isinstance(value, str):
        return np.float64(float.fromhex(value))
    if tag == "s" and isinstance(value, str):
        return value
    if tag == "t" and isinstance(value, list):
        return tuple(_decode(v, depth + 1) for v in value)
    if tag == "d" and isinstance(value, list) and all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in value):
        return {k: _decode(v, depth + 1) for k, v in value}
    if tag == "variance" and isinstance(value, dict) and sorted(value) == sorted(f.name for f in fields(Variance)):
        return _variance({k: _decode(v, depth + 1) for k, v in value.items()})
    if tag == "series" and isinstance(value, dict) and sorted(value) == ["index", "name", "values"]:
        index = _index(value["index"])
        name = _decode(value["name"], depth + 1)
        if not isinstance(name, (str, type(None))):
            raise Corrupt("a series name that is not text")
        return pd.Series(_array(value["values"], len(index)), index=index, name=name)
    if tag == "frame" and isinstance(value, dict) and sorted(value) == ["columns", "index", "values"]:
        index, columns = _index(value["index"]), _index(value["columns"])
        if not isinstance(value["values"], list) or len(value["values"]) != len(columns):
            raise Corrupt("a frame whose columns do not match")
        return pd.DataFrame({c: _array(v, len(index)) for c, v in zip(columns, value["values"])}, index=index, columns=columns)
    raise Corrupt(f"an unexpected value ({tag!r})")


def _variance(values: dict) -> Variance:
    kinds = {"kind": str, "text": str, "clusters": tuple, "groups": tuple, "factor": float, "reference": str}
    for name, kind in kinds.items():
        if not isinstance(values[name], kind):
            raise Corrupt(f"variance {name} has the wrong type")
    if not isinstance(values["df"], (int, np.integer, type(None))):
        raise Corrupt("variance df has the wrong type")
    return Variance(**values)


def _index(data: object) -> pd.Index:
    if not isinstance(data, dict) or sorted(data) != ["dtype", "labels"] or data["dtype"] not in ("object", "str"):
        raise Corrupt("a malformed index")
    labels = data["labels"]
    if not isinstance(labels, list) or not all(isinstance(v, str) for v in labels):
        raise Corrupt("index labels that are not texts")
    return _shared_index(data["dtype"], tuple(labels))


@functools.lru_cache(maxsize=4096)
def _shared_index(dtype: str, labels: tuple[str, ...]) -> pd.Index:
    """One Index object per distinct label list: a Result's four series and its covariance share
    labels, and so do a sweep's members; building a string Index was most of a warm rerun's time.
    An Index is immutable, so sharing it is safe."""
    return pd.Index(list(labels), dtype=dtype)


def _array(values: object, length: int) -> np.ndarray:
    if not isinstance(values, list) or len(values) != length or not all(isinstance(v, str) and len(v) < 40 for v in values):
        raise Corrupt("numbers that do not match their labels")
    return np.array([float.fromhex(v) for v in values], dtype=np.float64)

