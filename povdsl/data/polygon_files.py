"""Polygon files for contiguity weights, read as far as the checker needs with the standard library.

A shapefile is a .shp with its index (.shx) and attributes (.dbf) beside it;
GeoJSON is one file. The checker needs the attribute names (to check the id
column) and that every file read is a regular file of bounded size; this
module gives both without importing numpy, pandas or libpysal, so `povdsl
check` stays light. Building the weights is povdsl.data.contiguity.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

from povdsl.data.files import FileProblem, check_regular

CONTIGUITY = ("queen", "rook")
POLYGON_FORMATS = {".shp": "shapefile", ".geojson": "geojson", ".json": "geojson"}
MAX_POLYGON_BYTES = 32 * 2**20  # each polygon file: the pure-Python reader takes about 0.5 s of CPU per MiB of .shp (5 MiB, 330,000 vertices: 2.5 s)
MAX_REGIONS = 200_000


def polygon_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in POLYGON_FORMATS:
        raise FileProblem(f"{Path(path).name} is not a polygon file povdsl reads", "contiguity weights read a shapefile (.shp with its .shx and .dbf) or GeoJSON (.geojson)")
    return POLYGON_FORMATS[suffix]


def sidecars(path: str | Path) -> tuple[Path, ...]:
    """The files a shapefile is read from besides the .shp: its index (.shx) and attributes (.dbf), same stem and case."""
    p = Path(path)
    if polygon_format(p) != "shapefile":
        return ()
    upper = p.suffix.isupper()
    return tuple(p.with_suffix(s.upper() if upper else s) for s in (".shx", ".dbf"))


def checked(path: Path) -> int:
    """A regular file no larger than the bound; returns its size."""
    check_regular(path)
    size = os.stat(path).st_size
    if size > MAX_POLYGON_BYTES:
        raise FileProblem(f"{path.name} has {size:,} bytes, over the limit of {MAX_POLYGON_BYTES:,} for a polygon file")
    return size


def polygon_columns(path: str | Path) -> tuple[str, ...]:
    """The attribute names of a polygon file (DBF field names or GeoJSON properties), by the standard library."""
    p = Path(path)
    for file in (p, *sidecars(p)):
        checked(file)
    if polygon_format(p) == "geojson":
        features = geojson_features(p)
        names: dict[str, None] = {}
        for feature in features:
            names.update(dict.fromkeys(str(k) for k in (feature.get("properties") or {})))
        return tuple(names)
    dbf_records(sidecars(p)[1])
    return _dbf_fields(sidecars(p)[1])


def dbf_records(path: Path) -> int:
    """The record count a dBASE header claims, refused unless the file is long enough to hold them.

    libpysal's reader trusts the count: a 7 kB file whose header claimed
    2,147,483,647 records made it take 17 GB before the kernel killed the run.
    """
    size = os.stat(path).st_size
    with open(path, "rb") as fh:
        head = fh.read(32)
    if len(head) < 32:
        raise FileProblem(f"{path.name} is not a dBASE file (too short)")
    records = struct.unpack("<I", head[4:8])[0]
    header_length, record_length = struct.unpack("<HH", head[8:12])
    if header_length + records * record_length > size:
        raise FileProblem(f"{path.name} claims {records:,} records of {record_length} bytes, but has {size:,} bytes", "is it the .dbf written with this shapefile?")
    return records


def _dbf_fields(path: Path) -> tuple[str, ...]:
    """Field names from a dBASE header: 32 bytes, then one 32-byte descriptor per field up to the 0x0D terminator."""
    with open(path, "rb") as fh:
        head = fh.read(32)
        if len(head) < 32:
            raise FileProblem(f"{path.name} is not a dBASE file (too short)")
        header_length = struct.unpack("<H", head[8:10])[0]
        if header_length < 33 or (header_length - 33) % 32 not in (0, 1):
            raise FileProblem(f"{path.name} is not a dBASE file (header length {header_length})")
        block = fh.read(header_length - 32)
    names = []
    for start in range(0, len(block) - 31, 32):
        descriptor = block[start : start + 32]
        if descriptor[:1] == b"\r":
            break
        names.append(descriptor[:11].split(b"\x00")[0].decode("latin-1").strip())
    else:
        if not block.startswith(b"\r") and b"\r" not in block[-2:]:
            raise FileProblem(f"{path.name} is not a dBASE file (no end of its field list)")
    return tuple(names)


def geojson_features(path: Path) -> list[dict]:
    try:
        with open(path, "rb") as fh:
            document = json.load(fh)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FileProblem(f"{path.name} is not valid JSON: {str(exc)[:200]}") from None
    except RecursionError:  # json nests by recursion: 200,000 brackets were a traceback
        raise FileProblem(f"{path.name} nests its JSON too deeply to be GeoJSON", "contiguity weights need one polygon feature per region") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" or not isinstance(document.get("features"), list):
        raise FileProblem(f"{path.name} is not a GeoJSON FeatureCollection", "contiguity weights need one polygon feature per region")
    features = document["features"]
    if not all(isinstance(f, dict) for f in features):
        raise FileProblem(f"{path.name}: every feature of a GeoJSON FeatureCollection must be an object")
    return features
