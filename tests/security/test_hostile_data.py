"""Small hostile data files that made a plain spec cost minutes or gigabytes, each run in a measured child.

The ceilings are the child's CPU time and peak RSS as the kernel counts them
(test_hostile.py's `_measured`), never wall time.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from test_hostile import _measured, _stage

from povdsl.estimate.dynpanel.instruments import MAX_INSTRUMENTS

CPU, RSS = 5.0, 512


def test_a_long_short_panel_cannot_ask_for_thousands_of_gmm_instruments(tmp_path: Path):
    """10 units over 150 periods (22 kB): Arellano-Bond's uncollapsed gmm(n, 2:.) gave 11,000 instruments, 3 GB and minutes."""
    (tmp_path / ".povdsl-root").write_text("")
    rng = np.random.default_rng(0)
    (tmp_path / "p.csv").write_text("id,t,n,k\n" + "".join(f"{i},{t},{rng.normal():.5f},{rng.random():.5f}\n" for i in range(10) for t in range(150)))
    spec = tmp_path / "s.pov"
    spec.write_text('data d = "p.csv" panel(id, t)\nmodel ab: n ~ L(n, 1) + k | diffgmm(gmm(n, 2:.), iv(k))\ntable t = ab\n', encoding="utf-8")
    result, used = _measured(_stage, str(spec), "run", cpu=CPU, rss=RSS)
    assert used.within(CPU, RSS), f"{used} ({result['outcome']})"
    assert result["outcome"] == "PovdslError" and f"over the limit of {MAX_INSTRUMENTS:,}" in result["text"], result
    assert "collapse" in result["text"]


def test_a_deeply_nested_geojson_is_a_located_error(tmp_path: Path, capsys):
    """200,000 nested brackets in a 400 kB GeoJSON: json's RecursionError was a traceback from `povdsl check`."""
    from povdsl.tools.cli import main

    (tmp_path / ".povdsl-root").write_text("")
    (tmp_path / "d.csv").write_text("id,year,y,x\n1,2000,1,2\n")
    (tmp_path / "map.geojson").write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": 1}, "geometry": {"type": "Polygon", "coordinates": ' + "[" * 200_000 + "]" * 200_000 + "}}]}")
    spec = tmp_path / "s.pov"
    spec.write_text('data d = "d.csv" panel(id, year) region(id)\nweights w = queen("map.geojson", id)\nmodel m: y ~ x + W(x, w) | ols\n', encoding="utf-8")
    assert main(["check", str(spec)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and re.search(re.escape(str(spec)) + r":2:\d+: error\[E\d{3}\].*nests its JSON too deeply", err), err


def _units(tmp_path: Path) -> None:
    (tmp_path / ".povdsl-root").write_text("")
    rng = np.random.default_rng(0)
    (tmp_path / "d.csv").write_text("hh,year,county,y,x\n" + "".join(f"{h},{t},{h % 5},{rng.normal():.5f},{rng.normal():.5f}\n" for h in range(30) for t in (2004, 2005, 2006)))


def test_a_region_file_of_twenty_thousand_columns_is_read_in_linear_time(tmp_path: Path):
    """700 kB of key(region, time) data with 20,000 columns: each was set on the units' frame alone, in time growing with the columns (minutes)."""
    _units(tmp_path)
    n = 20_000
    (tmp_path / "r.csv").write_text("county,year," + ",".join(f"c{i}" for i in range(n)) + "\n" + "".join(f"{c},{t}," + ",".join([str(c * 3 + t % 2)] * n) + "\n" for c in range(5) for t in (2004, 2005, 2006)))
    spec = tmp_path / "s.pov"
    spec.write_text('data d = "d.csv" panel(hh, year) region(county)\ndata r = "r.csv" key(county, year)\nmodel m: y ~ x + c1 | ols\ntable t = m\n', encoding="utf-8")
    result, used = _measured(_stage, str(spec), "run", cpu=CPU, rss=RSS)
    assert used.within(CPU, RSS), f"{used} ({result['outcome']})"
    assert result == {"outcome": "ok"}
    assert (tmp_path / "tables" / "t.tex").exists()


def test_a_chain_of_ten_thousand_lets_runs_in_linear_time(tmp_path: Path):
    """let a1 = a0 + 1, ..., a10000: each let's column was set on the frame alone, in time growing with the columns (a minute)."""
    _units(tmp_path)
    n = 10_000
    spec = tmp_path / "s.pov"
    spec.write_text('data d = "d.csv" panel(hh, year)\nlet a0 = x\n' + "".join(f"let a{i} = a{i - 1} + 1\n" for i in range(1, n + 1)) + f"model m: y ~ a{n} | ols\ntable t = m\n", encoding="utf-8")
    result, used = _measured(_stage, str(spec), "run", cpu=CPU, rss=RSS)
    assert used.within(CPU, RSS), f"{used} ({result['outcome']})"
    assert result == {"outcome": "ok"}
    table = (tmp_path / "tables" / "t.tex").read_text(encoding="utf-8")
    assert f"a{n}" in table.replace("\\_", "_")


def test_a_figure_label_of_300000_characters_is_cut_before_matplotlib_lays_it_out(tmp_path: Path):
    """matplotlib's layout and saving cost time and memory in the characters: 45 CPU s and 850 MB for one label in three formats."""
    from povdsl.render.figure_style import MAX_DRAWN_CHARACTERS

    _units(tmp_path)
    spec = tmp_path / "s.pov"
    spec.write_text('data d = "d.csv" panel(hh, year)\nmodel m: y ~ x | ols\nfigure f "F" = coef(m)\n  label x = "' + "W" * 300_000 + '"\n  format svg, pdf, png\n', encoding="utf-8")
    result, used = _measured(_stage, str(spec), "run", cpu=CPU, rss=RSS)
    assert used.within(CPU, RSS), f"{used} ({result['outcome']})"
    assert result == {"outcome": "ok"}
    svg = (tmp_path / "tables" / "f.svg").read_text(encoding="utf-8")
    assert "<!-- " + "W" * (MAX_DRAWN_CHARACTERS - 3) + "... -->" in svg
    assert all((tmp_path / "tables" / f"f.{ext}").stat().st_size > 0 for ext in ("pdf", "png", "tex"))


def test_a_dbf_header_claiming_two_billion_records_is_refused(tmp_path: Path, capsys):
    """Columbus's .dbf with its record count set to 2**31 - 1: libpysal's reader trusted it and took 17 GB."""
    import shutil
    import struct

    import pytest

    libpysal = pytest.importorskip("libpysal")
    from povdsl.data.contiguity import from_polygons
    from povdsl.errors import DataError
    from povdsl.tools.cli import main

    source = Path(libpysal.examples.get_path("columbus.shp")).parent
    for ext in ("shp", "shx", "dbf"):
        shutil.copy(source / f"columbus.{ext}", tmp_path / f"map.{ext}")
    dbf = bytearray((tmp_path / "map.dbf").read_bytes())
    dbf[4:8] = struct.pack("<I", 2**31 - 1)
    (tmp_path / "map.dbf").write_bytes(bytes(dbf))
    _units(tmp_path)
    spec = tmp_path / "s.pov"
    spec.write_text('data d = "d.csv" panel(hh, year) region(county)\nweights w = queen("map.shp", POLYID)\nmodel m: y ~ x + W(x, w) | ols\n', encoding="utf-8")
    assert main(["check", str(spec)]) == 1
    err = capsys.readouterr().err
    assert re.search(re.escape(str(spec)) + r":2:\d+: error\[E\d{3}\].*claims 2,147,483,647 records", err) and "Traceback" not in err, err

    def build() -> dict:
        try:
            from_polygons(tmp_path / "map.shp", "POLYID", "queen")
        except DataError as exc:
            return {"outcome": "DataError", "text": exc.message}
        return {"outcome": "ok"}

    result, used = _measured(build, cpu=CPU, rss=RSS)
    assert used.within(CPU, RSS), f"{used} ({result})"
    assert result["outcome"] == "DataError" and "claims 2,147,483,647 records" in result["text"], result
