"""clusters() counts per region and year: without a key(region, time) data set the checker says so, located."""

from __future__ import annotations

import shutil
from importlib.resources import files

import pytest

from povdsl.errors import SpecError
from povdsl.pipeline import load_plan

SPEC = """data households = "households.csv" panel(household, year)
data census = "census.csv"
let c = clusters(census, digits=4)
model s for industry in industries(census, digits=3): log(income) ~ clusters(census, industry=industry) + age | ols
"""


def test_clusters_without_regions_is_one_located_error_per_call(tmp_path):
    bundled = files("povdsl.datasets").joinpath("zhejiang")
    for name in ("households.csv", "census.csv"):
        shutil.copyfile(str(bundled.joinpath(name)), tmp_path / name)
    spec = tmp_path / "s.pov"
    spec.write_text(SPEC)
    with pytest.raises(SpecError) as caught:
        load_plan(spec)
    found = [(d.code, d.span.line, d.span.col) for d in caught.value.diagnostics]
    assert found == [("E135", 3, 9), ("E135", 4, 69)]
    assert "key(region, time)" in str(caught.value)
