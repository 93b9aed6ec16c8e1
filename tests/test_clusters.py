"""The cluster rule on frames small enough to check by hand."""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
import pytest

from povdsl.data.clusters import cluster_table, count_clusters, industry_codes


def _census() -> pd.DataFrame:
    # Year 2004: E = 400; E_1711 = 100, E_1712 = 100, E_3582 = 200.
    #   region 1: 1711=50, 1712=30, 3582=80  (E_1 = 160) -> LQ_1,1711 = (50/160)/(100/400) = 5/4 exactly
    #   region 2: 1711=50, 1712=70, 3582=120 (E_2 = 240)
    #   region 3: present only with zero employment (must still appear with count 0)
    # Year 2008: region 1 only, so every LQ is 1 (no clusters at lq=1.25).
    rows = [
        (1, 2004, "1711", 12, 50),
        (1, 2004, "1712", 11, 30),
        (1, 2004, "3582", 10, 80),
        (2, 2004, "1711", 15, 50),
        (2, 2004, "1712", 20, 70),
        (2, 2004, "3582", 30, 120),
        (3, 2004, "3582", 0, 0),
        (1, 2008, "1711", 40, 100),
        (1, 2008, "3582", 40, 100),
    ]
    return pd.DataFrame(rows, columns=["county", "year", "industry", "firms", "employment"])


def _lq(e_ci: int, e_c: int, e_i: int, e: int) -> float:
    return float(Fraction(e_ci, e_c) / Fraction(e_i, e))


def test_location_quotients_match_hand_computation():
    table = cluster_table(_census()).set_index(["county", "year", "industry"])["lq"]
    assert table[(1, 2004, "1711")] == pytest.approx(_lq(50, 160, 100, 400), rel=1e-15)
    assert table[(1, 2004, "1712")] == pytest.approx(_lq(30, 160, 100, 400), rel=1e-15)
    assert table[(1, 2004, "3582")] == pytest.approx(_lq(80, 160, 200, 400), rel=1e-15)
    assert table[(2, 2004, "1712")] == pytest.approx(_lq(70, 240, 100, 400), rel=1e-15)
    assert table[(2, 2004, "3582")] == pytest.approx(_lq(120, 240, 200, 400), rel=1e-15)
    assert table[(1, 2008, "1711")] == pytest.approx(1.0, rel=1e-15)
    assert pd.isna(table[(3, 2004, "3582")])


def test_counts_with_exact_threshold_and_zero_regions():
    counts = count_clusters(_census())
    # LQ_1,1711 = 1.25 exactly qualifies; LQ_2,1712 = 7/6 does not.
    assert counts.to_dict() == {(1, 2004): 1, (1, 2008): 0, (2, 2004): 0, (3, 2004): 0}
    assert counts.name == "cluster"
    assert list(counts.index.names) == ["county", "year"]
    assert counts.dtype == "int64"


def test_lq_threshold():
    counts = count_clusters(_census(), lq=1.1)
    # LQ_2,1712 = 7/6 > 1.1 now qualifies too.
    assert counts[(1, 2004)] == 1 and counts[(2, 2004)] == 1
    assert count_clusters(_census(), lq=1.26)[(1, 2004)] == 0


def test_firm_and_employment_thresholds():
    census = _census()
    assert count_clusters(census, min_firms=12)[(1, 2004)] == 1
    assert count_clusters(census, min_firms=13)[(1, 2004)] == 0
    assert count_clusters(census, min_employment=50)[(1, 2004)] == 1
    assert count_clusters(census, min_employment=51)[(1, 2004)] == 0
    # Region 2's 1712 (LQ 7/6, 20 firms) passes lq=1.1 and min_firms=20 but not 21.
    assert count_clusters(census, lq=1.1, min_firms=20)[(2, 2004)] == 1
    assert count_clusters(census, lq=1.1, min_firms=21)[(2, 2004)] == 0


def test_prefix_restriction_keeps_whole_economy_lq():
    census = _census()
    assert count_clusters(census, industry="17")[(1, 2004)] == 1
    assert count_clusters(census, industry="1711")[(1, 2004)] == 1
    assert count_clusters(census, industry="35")[(1, 2004)] == 0
    # Dropping other industries from the data would change LQs; the prefix must not.
    restricted = count_clusters(census, lq=1.1, industry="1712")
    assert restricted.to_dict() == {(1, 2004): 0, (1, 2008): 0, (2, 2004): 1, (3, 2004): 0}


def test_three_digit_aggregation():
    census = _census()
    # 171 in 2004: region 1 = 80 of 160, region 2 = 120 of 240, E_171 = 200 of 400 -> LQ 1 both.
    table = cluster_table(census, digits=3).set_index(["county", "year", "industry"])
    assert table.loc[(1, 2004, "171"), "employment"] == 80
    assert table.loc[(1, 2004, "171"), "firms"] == 23
    assert table.loc[(1, 2004, "171"), "lq"] == pytest.approx(1.0, rel=1e-15)
    assert count_clusters(census, digits=3).sum() == 0
    assert industry_codes(census, 3) == ["171", "358"]
    assert industry_codes(census) == ["1711", "1712", "3582"]


def test_custom_column_names():
    census = _census().rename(
        columns={"county": "r", "year": "t", "industry": "i", "firms": "f", "employment": "e"}
    )
    counts = count_clusters(census, region="r", time="t", code="i", firms="f", employment="e")
    assert counts[(1, 2004)] == 1
    assert list(counts.index.names) == ["r", "t"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"digits": 0}, "digits"),
        ({"digits": 2.0}, "digits"),
        ({"lq": 0}, "lq"),
        ({"lq": float("nan")}, "lq"),
        ({"min_firms": -1}, "min_firms"),
        ({"min_employment": -5}, "min_employment"),
        ({"industry": "17111"}, "longer"),
        ({"industry": ""}, "industry"),
        ({"region": "village"}, "village"),
        ({"digits": 5}, "fewer than 5"),
    ],
)
def test_invalid_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        count_clusters(_census(), **kwargs)


def test_bad_data_raises_value_error():
    census = _census()
    census.loc[0, "employment"] = -1
    with pytest.raises(ValueError, match="negative"):
        count_clusters(census)
    with pytest.raises(ValueError, match="DataFrame"):
        count_clusters([1, 2, 3])
