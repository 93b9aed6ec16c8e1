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
