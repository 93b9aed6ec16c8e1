"""Contiguity weights from region polygons: `queen(file, id)` and `rook(file, id)`, built by libpysal.

`weights contig = queen("regions.shp", county)` reads a polygon shapefile
(the .shp with its .shx and .dbf beside it, through libpysal's own pure-Python
readers) or a GeoJSON file (the standard library's json, shapes by shapely,
which libpysal requires) and asks libpysal's Queen or Rook for the neighbours:
queen counts a shared vertex, rook only a shared edge. Neither needs GDAL or
geopandas' readers. The region id of each polygon is the named attribute
column; the result is povdsl's sparse Weights like any other, so W() and the
spatial estimators take it alike.

The files are untrusted (docs/security.md): each (.shp, .shx, .dbf, .geojson)
must be a regular file inside the project (checked by the checker, sidecars
included, and again here), at most MAX_POLYGON_BYTES, and any failure of the
readers is a DataError naming the file, never a traceback. The checker reads
only the attribute names (the DBF header, or the GeoJSON properties) with the
standard library, so `povdsl check` does not import libpysal (povdsl.data.polygon_files).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from povdsl.data.files import FileProblem
from povdsl.data.polygon_files import CONTIGUITY, MAX_REGIONS, checked, geojson_features, polygon_format, sidecars
from povdsl.data.weights import Weights
from povdsl.errors import DataError


def _region_id(value: object, where: str) -> object:
    """An id as the data's region column would hold it: integral numbers as int, text stripped."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if isinstance(value, str):
        value = value.strip()
        if value:
            return value
    elif isinstance(value, (bool, type(None))):
        pass
    elif isinstance(value, (int, np.integer)):
        return int(value)
    elif isinstance(value, (float, np.floating)) and np.isfinite(value):
        return int(value) if float(value).is_integer() else float(value)
    raise DataError(f"{where} has no region id ({value!r})")


def _shapefile(path: Path, id_column: str) -> tuple[list, list]:
    from libpysal.cg.shapes import Polygon
    from libpysal.io.iohandlers.pyDbfIO import DBF
    from libpysal.io.iohandlers.pyShpIO import PurePyShpWrapper

    dbf = sidecars(path)[1]
    shapes = PurePyShpWrapper(str(path), "r")
    try:
        if shapes.type is not Polygon:
            raise DataError(f"{path.name} holds {getattr(shapes.type, '__name__', 'other')} shapes; contiguity needs polygons")
        if len(shapes) > MAX_REGIONS:
            raise DataError(f"{path.name} has {len(shapes):,} shapes, over the limit of {MAX_REGIONS:,} regions")
        polygons = shapes.read()
    finally:
        shapes.close()
    table = DBF(str(dbf), "r")
    try:
        if id_column not in table.header:
            raise DataError(f"column '{id_column}' not found in {dbf.name}")
        ids = table.by_col(id_column)
    finally:
        table.close()
    if len(ids) != len(polygons):
        raise DataError(f"{dbf.name} has {len(ids)} records but {path.name} has {len(polygons)} shapes")
    return polygons, [_region_id(v, f"shape {i + 1} of {path.name}") for i, v in enumerate(ids)]


def _geojson(path: Path, id_column: str) -> tuple[list, list]:
    from shapely.geometry import shape

    features = geojson_features(path)
    if len(features) > MAX_REGIONS:
        raise DataError(f"{path.name} has {len(features):,} features, over the limit of {MAX_REGIONS:,} regions")
    polygons, ids = [], []
    for i, feature in enumerate(features):
        where = f"feature {i + 1} of {path.name}"
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            kind = geometry.get("type") if isinstance(geometry, dict) else None
            raise DataError(f"{where} is {kind or 'no geometry'}; contiguity needs Polygon or MultiPolygon features")
        properties = feature.get("properties") or {}
        if id_column not in properties:
            raise DataError(f"{where} has no property '{id_column}'")
        polygons.append(shape(geometry))
        ids.append(_region_id(properties[id_column], where))
    return polygons, ids


def from_polygons(path: str | Path, id_column: str, builder: str, *, row_standardize: bool = False) -> Weights:
    """Queen or rook contiguity over the polygons of ``path``, regions named by ``id_column``."""
    if builder not in CONTIGUITY:
        raise DataError(f"unknown contiguity builder '{builder}'; use {' or '.join(CONTIGUITY)}")
    p = Path(path)
    try:
        kind = polygon_format(p)
        for file in (p, *sidecars(p)):
            checked(file)
    except FileProblem as exc:
        raise DataError(exc.message, hint=exc.hint) from None
    try:
        from libpysal import weights as lw
    except ImportError:
        raise DataError(f'{builder}() weights need libpysal: pip install "povdsl[spatial]"') from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # libpysal announces its Geometry deprecation and islands on stderr
            polygons, ids = _shapefile(p, id_column) if kind == "shapefile" else _geojson(p, id_column)
            if not polygons:
                raise DataError(f"{p.name} has no polygons")
            index = pd.Index(ids)
            if index.has_duplicates:
                raise DataError(f"region id(s) {', '.join(map(str, index[index.duplicated()].unique()[:5]))} appear on several polygons of {p.name}")
            w = (lw.Queen if builder == "queen" else lw.Rook).from_iterable(polygons, ids=list(range(len(ids))))
            matrix = w.sparse  # rows and columns in the order of the file's polygons
    except (DataError, MemoryError):
        raise
    except Exception as exc:  # a malformed file fails inside the readers in many ways; each is a located error
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read polygons from {p.name}: {first}", hint="is it a valid polygon shapefile (.shp, .shx, .dbf) or GeoJSON file?") from None
    from povdsl.data.coordinate_weights import standardized

    text = f"{builder} contiguity (libpysal {builder.capitalize()}) of the polygons in {p.name}, regions '{id_column}'"
    matrix = standardized(matrix) if row_standardize else matrix
    return Weights(matrix, index, text + (", row-standardised" if row_standardize else ", binary, not row-standardised"))
