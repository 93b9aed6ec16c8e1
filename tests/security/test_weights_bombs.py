"""Weights from small hostile files that ask for n^2 links: refused before libpysal builds anything, within ceilings.

A 500 kB coordinates file of 20,000 points with `knn(k=19999)`, a distance
band or a kernel bandwidth wider than the map, and a 600 kB GeoJSON of 3,000
wedges meeting at one point each asked for 9 to 400 million links (libpysal
keeps each as Python objects: gigabytes, then a MemoryError traceback). A
polygon whose 60,000 vertices are each touched by a small triangle has only
120,000 links but cost libpysal's set merging time quadratic in them. Every
attack runs in a forked child measured by the kernel (CPU time, peak RSS),
with the harness of test_hostile.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from test_hostile import _measured, _stage

from povdsl.data.contiguity import from_polygons
from povdsl.data.weights import MAX_LINKS

libpysal = pytest.importorskip("libpysal")
shapely_geometry = pytest.importorskip("shapely.geometry")

CPU, RSS = 5.0, 512


def _project(tmp_path: Path, regions: int, weights: str) -> Path:
    """Units and a region table over `regions` regions, and a spec whose W() uses `weights`."""
    (tmp_path / ".povdsl-root").write_text("")
    rng = np.random.default_rng(0)
    ids = np.arange(regions)
    (tmp_path / "units.csv").write_text("id,year,v,y\n" + "".join(f"{i},2000,{a:.4f},{b:.4f}\n" for i, a, b in zip(ids, rng.random(regions), rng.random(regions))))
    (tmp_path / "regions.csv").write_text("id,year,g\n" + "".join(f"{i},2000,{a:.4f}\n" for i, a in zip(ids, rng.random(regions))))
    spec = tmp_path / "s.pov"
    spec.write_text(
        'data d = "units.csv" panel(id, year) region(id)\n'
        'data r = "regions.csv" key(id, year)\n'
        f"weights w = {weights}\n"
        "model m: y ~ v + W(g, w) | ols\n"
        "table t = m\n",
        encoding="utf-8",
    )
    return spec


def _points(tmp_path: Path, n: int, outlier: bool = False) -> None:
    rng = np.random.default_rng(1)
    xy = rng.random((n, 2))
    if outlier:
        xy[-1] = (1e6, 1e6)  # libpysal's fixed kernel bandwidth is the largest k-nearest distance: this one reaches everyone
    (tmp_path / "points.csv").write_text("id,x,y\n" + "".join(f"{i},{x:.6f},{y:.6f}\n" for i, (x, y) in enumerate(xy)))


def _features(polygons: list[list[tuple[float, float]]]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": i}, "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}} for i, ring in enumerate(polygons)
    ]})


@pytest.mark.parametrize(
    "weights, outlier",
    [
        ('knn("points.csv", id, x, y, k=19999)', False),
        ('distance_band("points.csv", id, x, y, threshold=100)', False),
        ('kernel("points.csv", id, x, y, bandwidth=100)', False),
        ('kernel("points.csv", id, x, y)', True),
    ],
    ids=["knn_all", "band_wider_than_map", "kernel_bandwidth_wide", "kernel_fixed_outlier"],
)
def test_coordinate_weights_asking_for_n_squared_links_are_refused(tmp_path, weights, outlier):
    n = 20_000
    spec = _project(tmp_path, n, weights)
    _points(tmp_path, n, outlier)
    result, used = _measured(_stage, str(spec), "run", cpu=CPU, rss=RSS)
    assert used.within(CPU, RSS), f"{used} ({result['outcome']}: {result.get('text', '')[:300]})"
    assert result["outcome"] == "PovdslError", result
    assert f"over the limit of {MAX_LINKS:,}" in result["text"] and "weights 'w'" in result["text"], result["text"]
    assert not (tmp_path / "tables" / "t.tex").exists()


def test_wedges_around_one_point_are_refused(tmp_path):
    n = 3_000
    spec = _project(tmp_path, n, 'queen("map.geojson", id)')
    wedges = [[(0.0, 0.0), (math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)), (math.cos(2 * math.pi * (i + 0.5) / n), math.sin(2 * math.pi * (i + 0.5) / n))] for i in range(n)]
    (tmp_path / "map.geojson").write_text(_features(wedges))
    result, used = _measured(_stage, str(spec), "run", cpu=CPU, rss=RSS)
    assert used.within(CPU, RSS), f"{used} ({result['outcome']})"
    assert result["outcome"] == "PovdslError" and "three or more polygons meet" in result["text"], result


def test_a_polygon_touched_at_every_vertex_costs_linear_time(tmp_path):
    """One polygon of 60,000 vertices, a small triangle on each: 120,000 links, built in CPU seconds, equal to the rule."""
    n = 60_000
    ring = [(math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)) for i in range(n)]
    triangles = [[(x, y), (x * 1.001, y * 1.001 + 1e-5), (x * 1.001 + 1e-5, y * 1.001)] for x, y in ring]
    (tmp_path / "map.geojson").write_text(_features([ring, *triangles]))
    (tmp_path / ".povdsl-root").write_text("")

    def build() -> dict:
        w = from_polygons(tmp_path / "map.geojson", "id", "queen")
        matrix = w.matrix.tocsr()
        return {"outcome": "ok", "hub": int(matrix[0].nnz), "nnz": int(matrix.nnz), "others": sorted(set(np.diff(matrix.indptr)[1:].tolist()))}

    result, used = _measured(build, cpu=CPU, rss=RSS)
    assert used.within(CPU, RSS), f"{used} ({result})"
    assert result == {"outcome": "ok", "hub": n, "nnz": 2 * n, "others": [1]}


@pytest.mark.parametrize("builder, cls", [("queen", "Queen"), ("rook", "Rook")])
def test_contiguity_equals_libpysals_on_a_mixed_map(tmp_path, builder, cls):
    """Squares, triangles meeting at corners and two-part regions: the same links as libpysal's Queen and Rook."""
    from shapely.geometry import MultiPolygon, Polygon, box, mapping

    shapes = []
    for i in range(12):
        for j in range(12):
            if (i + j) % 5 == 0:
                shapes += [Polygon([(i, j), (i + 1, j), (i, j + 1)]), Polygon([(i + 1, j), (i + 1, j + 1), (i, j + 1)])]
            elif (i * j) % 7 == 3:
                shapes.append(MultiPolygon([box(i, j, i + 0.5, j + 1), box(i + 0.5, j, i + 1, j + 1)]))
            else:
                shapes.append(box(i, j, i + 1, j + 1))
    (tmp_path / ".povdsl-root").write_text("")
    (tmp_path / "map.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": i}, "geometry": mapping(s)} for i, s in enumerate(shapes)]}))
    ours = from_polygons(tmp_path / "map.geojson", "id", builder).matrix
    theirs = getattr(libpysal.weights, cls).from_iterable(shapes, ids=list(range(len(shapes)))).sparse
    assert ours.nnz > len(shapes)
    assert abs(ours - theirs).sum() == 0


@pytest.mark.parametrize("model", ["y ~ v | sem(w, ldet=ord) where year == 2000", "y ~ v | sar(w, ldet=full) where year == 2000", "y ~ v | sar(w, fe=id)"], ids=["ord", "full", "panel"])
def test_a_dense_log_determinant_on_thousands_of_regions_is_refused(tmp_path, model):
    """4,000 regions (a 200 kB file): `ldet=ord`/`full` and spreg's panel likelihood form a dense 4,000 x 4,000 W, O(n^3) each time."""
    n = 4_000
    spec = _project(tmp_path, n, 'knn("points.csv", id, x, y, k=4)')
    _points(tmp_path, n)
    rng = np.random.default_rng(2)
    (tmp_path / "units.csv").write_text("id,year,v,y\n" + "".join(f"{i},{t},{rng.random():.4f},{rng.random():.4f}\n" for t in (2000, 2001) for i in range(n)))
    spec.write_text(spec.read_text(encoding="utf-8").replace("y ~ v + W(g, w) | ols", model), encoding="utf-8")
    result, used = _measured(_stage, str(spec), "run", cpu=CPU, rss=RSS)
    assert used.within(CPU, RSS), f"{used} ({result['outcome']})"
    assert result["outcome"] == "PovdslError" and "forms a dense 4,000 x 4,000 matrix" in result["text"], result
