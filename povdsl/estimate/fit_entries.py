"""One fit's outcome as plain JSON data and back: every value tagged with its type, floats as exact hex.

An entry is data, never code (no pickle), and never trusted: `decode`
checks every tag, type and length and raises `Corrupt` for anything povdsl
would not have written. A fit's coefficient labels are written once per
entry (a table of label lists that its series and covariance refer to by
number), and read into one shared `pd.Index` per distinct list, so a
sweep's members, whose results share their labels, share one Index. An
array is one string of exact hex floats (`float.hex`, space-separated; a
matrix column by column), read into numpy first and into pandas in one step
(parsing a JSON string per number, and building pandas objects, were most of
a warm rerun's time).
"""

from __future__ import annotations

import functools
from dataclasses import fields
from typing import Any

import numpy as np
import pandas as pd

from povdsl.estimate.jobs import Failure, Outcome
from povdsl.estimate.result import Result, Variance

MAX_DEPTH = 8  # nesting of a Result's encoded fields
_FIELDS = tuple(f.name for f in fields(Result) if f.name != "raw")


class Uncacheable(Exception):
    """A value the entry format cannot hold exactly: the fit is simply not cached."""


class Corrupt(Exception):
    """An entry that is not what povdsl writes: ignored with a warning."""


def storable(outcome: Outcome) -> bool:
    """A Result, or a failure that is a property of the member's data (a died worker, an unforeseen
    error, or a shared design that could not be compiled, which fails the whole sweep, is not)."""
    if not isinstance(outcome, Failure):
        return True
    from povdsl.errors import DataError, EstimationError

    return not outcome.died and not outcome.whole and (outcome.error is None or isinstance(outcome.error, (EstimationError, DataError)))


def encode(outcome: Outcome) -> dict:
    """The entry of one outcome: `{"labels": [[dtype, [label, ...]], ...], "outcome": {...}}`."""
    if isinstance(outcome, Failure):
        return {"labels": [], "outcome": {"failure": {"message": outcome.message, "hint": outcome.hint}}}
    labels: dict[tuple[str, tuple[str, ...]], int] = {}
    encoded = {name: _encode(getattr(outcome, name), labels) for name in _FIELDS}
    return {"labels": [[dtype, list(names)] for dtype, names in labels], "outcome": {"result": encoded}}


def decode(entry: object) -> Outcome:
    """The outcome of an entry written by `encode`; `Corrupt` for anything else."""
    if not isinstance(entry, dict) or sorted(entry) != ["labels", "outcome"] or not isinstance(entry["labels"], list):
        raise Corrupt("a malformed entry")
    indexes = [_index(item) for item in entry["labels"]]
    data = entry["outcome"]
    if not isinstance(data, dict) or len(data) != 1:
        raise Corrupt("no outcome")
    if "failure" in data:
        failure = data["failure"]
        if not isinstance(failure, dict) or sorted(failure) != ["hint", "message"] or not isinstance(failure["message"], str) or not isinstance(failure["hint"], (str, type(None))):
            raise Corrupt("a malformed failure")
        return Failure(failure["message"], failure["hint"])
    stored = data.get("result")
    if not isinstance(stored, dict) or sorted(stored) != sorted(_FIELDS):
        raise Corrupt("a malformed result")
    values: dict[str, Any] = {name: _decode(stored[name], indexes, 0) for name in _FIELDS}
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
    "absorbed": (tuple,),
}


def _check_types(values: dict) -> None:
    for name, value in values.items():
        if (name in _EXPECTED and not isinstance(value, _EXPECTED[name])) or (isinstance(value, bool) and name in ("nobs", "dropped")):
            raise Corrupt(f"field {name} has the wrong type")
    if not all(isinstance(w, str) for w in values["warnings"]):
        raise Corrupt("warnings are not texts")
    if not all(isinstance(e, str) for e in values["absorbed"]):
        raise Corrupt("absorbed effects are not column names")
    if not all(isinstance(k, str) and isinstance(v, (int, float, np.integer, np.floating)) for k, v in values["stats"].items()):
        raise Corrupt("statistics are not numbers")


# --- writing -----------------------------------------------------------------------------------------


def _encode(value: object, labels: dict) -> object:
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
        return {"t": [_encode(v, labels) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            _refuse(value)
        return {"d": [[k, _encode(v, labels)] for k, v in value.items()]}
    if isinstance(value, Variance):
        return {"variance": {f.name: _encode(getattr(value, f.name), labels) for f in fields(Variance)}}
    if isinstance(value, pd.Series):
        if value.dtype != np.float64 or not isinstance(value.name, (str, type(None))):
            _refuse(value)
        return {"series": {"labels": _label_number(value.index, labels), "name": value.name, "values": _floats(value.to_numpy())}}
    if isinstance(value, pd.DataFrame):
        if not all(dtype == np.float64 for dtype in value.dtypes):
            _refuse(value)
        matrix = value.to_numpy(dtype=np.float64)
        return {"frame": {"index": _label_number(value.index, labels), "columns": _label_number(value.columns, labels), "values": _floats(matrix.T.ravel())}}
    return _refuse(value)


def _refuse(value: object):
    raise Uncacheable(f"{type(value).__name__} values are not cached")


def _label_number(index: pd.Index, labels: dict) -> int:
    """The index's number in the entry's label table (added when new)."""
    names = index.tolist()
    if isinstance(index, pd.MultiIndex) or index.name is not None or not all(isinstance(v, str) for v in names):
        _refuse(index)
    return labels.setdefault((str(index.dtype), tuple(names)), len(labels))


def _floats(values: np.ndarray) -> str:
    """The numbers as one string of exact hex floats (`0x1.8p+1 0x1.0p-3 ...`): one JSON string per array
    parses far faster than one per number."""
    return " ".join(map(float.hex, values.tolist()))


# --- reading -----------------------------------------------------------------------------------------


def _decode(data: object, indexes: list[pd.Index], depth: int) -> object:
    if depth > MAX_DEPTH:
        raise Corrupt("nested too deeply")
    if data is None:
        return None
    if not isinstance(data, dict) or len(data) != 1:
        raise Corrupt("a value without its type")
    ((tag, value),) = data.items()
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
        return tuple(_decode(v, indexes, depth + 1) for v in value)
    if tag == "d" and isinstance(value, list) and all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in value):
        return {k: _decode(v, indexes, depth + 1) for k, v in value}
    if tag == "variance" and isinstance(value, dict) and sorted(value) == sorted(f.name for f in fields(Variance)):
        return _variance({k: _decode(v, indexes, depth + 1) for k, v in value.items()})
    if tag == "series" and isinstance(value, dict) and sorted(value) == ["labels", "name", "values"]:
        index = _numbered(indexes, value["labels"])
        if not isinstance(value["name"], (str, type(None))):
            raise Corrupt("a series name that is not text")
        return pd.Series(_array(value["values"], len(index)), index=index, name=value["name"], copy=False)
    if tag == "frame" and isinstance(value, dict) and sorted(value) == ["columns", "index", "values"]:
        index, columns = _numbered(indexes, value["index"]), _numbered(indexes, value["columns"])
        matrix = _array(value["values"], len(index) * len(columns)).reshape((len(columns), len(index))).T  # stored column by column
        return pd.DataFrame(matrix, index=index, columns=columns, copy=False)
    raise Corrupt(f"an unexpected value ({tag!r})")


def _variance(values: dict) -> Variance:
    kinds = {"kind": str, "text": str, "clusters": tuple, "groups": tuple, "factor": float, "reference": str}
    for name, kind in kinds.items():
        if not isinstance(values[name], kind):
            raise Corrupt(f"variance {name} has the wrong type")
    if not isinstance(values["df"], (int, np.integer, type(None))):
        raise Corrupt("variance df has the wrong type")
    return Variance(**values)


def _numbered(indexes: list[pd.Index], number: object) -> pd.Index:
    if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number < len(indexes):
        raise Corrupt("labels that are not in the entry's table")
    return indexes[number]


def _index(item: object) -> pd.Index:
    if not isinstance(item, list) or len(item) != 2 or item[0] not in ("object", "str") or not isinstance(item[1], list):
        raise Corrupt("a malformed label list")
    labels = item[1]
    if not all(isinstance(v, str) for v in labels):
        raise Corrupt("labels that are not texts")
    return _shared_index(item[0], tuple(labels))


@functools.lru_cache(maxsize=4096)
def _shared_index(dtype: str, labels: tuple[str, ...]) -> pd.Index:
    """One Index object per distinct label list: a sweep's members share labels. An Index is immutable, so sharing it is safe."""
    return pd.Index(list(labels), dtype=dtype)


def _array(values: object, length: int) -> np.ndarray:
    """`length` exact hex floats from one string; anything else (a wrong count, a token that is no number) is Corrupt."""
    if not isinstance(values, str) or len(values) > 40 * length:
        raise Corrupt("numbers that do not match their labels")
    tokens = values.split(" ") if values else []
    if len(tokens) != length:
        raise Corrupt("numbers that do not match their labels")
    try:
        return np.fromiter(map(float.fromhex, tokens), dtype=np.float64, count=length)
    except ValueError:
        raise Corrupt("a number that is not an exact hex float") from None
