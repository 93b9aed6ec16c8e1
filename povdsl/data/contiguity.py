"""Contiguity weights from region polygons: `queen(file, id)` and `rook(file, id)`, built by libpysal.

`weights contig = queen("regions.shp", county)` reads a polygon shapefile
(the .shp with its .shx and .dbf beside it, through libpysal's own pure-Python
readers) or a GeoJSON file (the standard library's json, shapes by shapely,
which libpysal requires) and joins the polygons by libpysal's Queen or Rook rule (`_links`):
queen counts a shared vertex, rook only a shared edge, of libpysal's own
vertex lists, with a sort instead of libpysal's set merging, which is
quadratic in a polygon's shared vertices. Neither needs GDAL or
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
from scipy import sparse

from povdsl.data.files import FileProblem
from povdsl.data.polygon_files import CONTIGUITY, MAX_REGIONS, checked, dbf_records, geojson_features, polygon_format, sidecars
from povdsl.data.weights import MAX_LINKS, Weights
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
    records = dbf_records(dbf)
    if records != len(polygons):
        raise DataError(f"{dbf.name} has {records} records but {path.name} has {len(polygons)} shapes")
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


def _links(polygons: list, builder: str, source: str) -> sparse.csr_matrix:
    """The binary contiguity matrix by libpysal's rule, in time and memory linear in the vertices.

    libpysal's Queen and Rook join two polygons that share a vertex (queen) or
    an edge (rook) of `_get_verts`, and so does this function, from those
    same vertices. libpysal merges the sets of polygons at each vertex into
    each polygon's neighbour set by copying it, which is quadratic in a
    polygon's shared vertices (one polygon of 100,000 vertices, each touched
    by a small triangle: minutes), and forms every pair at a point where many
    polygons meet (3,000 wedges around one point: 9 million links, a
    gigabyte). Here the pairs come from sorting the (vertex or edge, polygon)
    rows: a point shared by two polygons, nearly all of them, gives its pair
    directly, and the pairs of points shared by more are counted against
    MAX_LINKS before they are formed.
    """
    from libpysal.weights._contW_lists import _get_verts

    keys, owners = [], []
    for i, polygon in enumerate(polygons):
        verts = np.asarray(_get_verts(polygon), dtype=float).reshape(-1, 2)
        if builder == "rook":  # an edge is its two end points, in sorted order (libpysal: tuple(sorted([a, b])))
            a, b = verts[:-1], verts[1:]
            swap = ((b[:, 0] < a[:, 0]) | ((b[:, 0] == a[:, 0]) & (b[:, 1] < a[:, 1])))[:, None]
            verts = np.hstack([np.where(swap, b, a), np.where(swap, a, b)])
        keys.append(verts)
        owners.append(np.full(len(verts), float(i)))
    n = len(polygons)
    table = np.unique(np.column_stack([np.concatenate(keys), np.concatenate(owners)]), axis=0)  # one row per (point, polygon), by point
    owner = table[:, -1].astype(np.int64)
    point = table[:, :-1]
    starts = np.flatnonzero(np.concatenate([[True], np.any(point[1:] != point[:-1], axis=1)]))
    sizes = np.diff(np.append(starts, len(table)))
    pairs = int(np.sum(sizes[sizes > 2] * (sizes[sizes > 2] - 1)))
    if pairs > MAX_LINKS:
        raise DataError(f"{source}: {pairs:,} neighbour pairs where three or more polygons meet, over the limit of {MAX_LINKS:,}", hint="contiguity needs a map of regions, not polygons stacked on one point or edge")
    two = starts[sizes == 2]
    rows, cols = [owner[two], owner[two + 1]], [owner[two + 1], owner[two]]
    many, size = starts[sizes > 2], sizes[sizes > 2]
    if len(many):
        member = np.repeat(many, size) + np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)  # rows of each point's polygons
        times = np.repeat(size, size)
        left = np.repeat(member, times)
        right = np.repeat(np.repeat(many, size), times) + np.arange(times.sum()) - np.repeat(np.cumsum(times) - times, times)
        distinct = left != right
        rows.append(owner[left[distinct]])
        cols.append(owner[right[distinct]])
    row, col = np.concatenate(rows), np.concatenate(cols)
    matrix = sparse.csr_matrix((np.ones(len(row)), (row, col)), shape=(n, n))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    if matrix.nnz > MAX_LINKS:
        raise DataError(f"{source}: {matrix.nnz:,} neighbour pairs, over the limit of {MAX_LINKS:,}")
    return matrix


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
        import libpysal  # noqa: F401  (the readers and the vertex rule are libpysal's)
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
            matrix = _links(polygons, builder, p.name)  # rows and columns in the order of the file's polygons
    except (DataError, MemoryError):
        raise
    except Exception as exc:  # a malformed file fails inside the readers in many ways; each is a located error
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read polygons from {p.name}: {first}", hint="is it a valid polygon shapefile (.shp, .shx, .dbf) or GeoJSON file?") from None
    from povdsl.data.coordinate_weights import standardized

    text = f"{builder} contiguity (libpysal {builder.capitalize()}) of the polygons in {p.name}, regions '{id_column}'"
    matrix = standardized(matrix) if row_standardize else matrix
    return Weights(matrix, index, text + (", row-standardised" if row_standardize else ", binary, not row-standardised"))
