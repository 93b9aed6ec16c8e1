"""The cluster rule: count industries whose local employment share is unusually high.

An industry i is a *cluster* in region c at time t when its location quotient

    LQ_cit = (E_cit / E_ct) / (E_it / E_t)

is at least ``lq`` and the region hosts enough firms (and, optionally, jobs) in
it.  The location quotient is the standard first screen for clusters in
regional economics (Isard 1960; Porter 2003; Delgado, Porter & Stern 2016;
Fowler & Kleit 2014, whom the reproduced paper follows): it is cheap, needs
only census employment counts and is comparable across regions of very
different size.  Thresholds of 1.25 (O'Donoghue & Gleave 2004 use 1.25 and a
significance test) and a minimum firm count keep one large plant from being
called a cluster.  LQ is always computed against the whole economy in the data,
even when the count is restricted to one industry prefix, so that restricting
the count never changes which industries qualify.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from povdsl.errors import DataError

__all__ = ["cluster_table", "count_clusters", "industry_codes", "prefix_columns"]

class ClusterRuleError(DataError, ValueError):
    """Census data or options the cluster rule cannot use; a povdsl error (located at the let) and a ValueError for library callers."""


# Relative slack when comparing LQ with its threshold: LQ is a ratio of
# integer products, so a hand-built LQ of exactly 1.25 must still qualify.
_LQ_SLACK = 1e-12


def _check_columns(census: pd.DataFrame, columns: dict[str, str]) -> None:
    if not isinstance(census, pd.DataFrame):
        raise ClusterRuleError(f"census must be a pandas DataFrame, got {type(census).__name__}")
    missing = [f"{role}={name!r}" for role, name in columns.items() if name not in census.columns]
    if missing:
        raise ClusterRuleError(f"census lacks column(s) {', '.join(missing)}; present: {list(census.columns)}")


def _check_digits(digits: object) -> int:
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise ClusterRuleError(f"digits must be a positive integer, got {digits!r}")
    return digits


def _truncated_codes(census: pd.DataFrame, code: str, digits: int) -> pd.Series:
    codes = census[code].astype(str).str.strip()
    too_short = codes.str.len() < digits
    if too_short.any():
        example = codes[too_short].iloc[0]
        raise ClusterRuleError(
            f"industry code {example!r} has fewer than {digits} characters; "
            f"cannot aggregate to {digits}-digit industries (codes must be strings, e.g. '1711')"
        )
    return codes.str.slice(0, digits)


def industry_codes(census: pd.DataFrame, digits: int = 4, *, code: str = "industry") -> list[str]:
    """Sorted distinct industry codes at ``digits`` digits, as the cluster rule sees them."""
    digits = _check_digits(digits)
    _check_columns(census, {"code": code})
    return sorted(_truncated_codes(census, code, digits).unique().tolist())


def cluster_table(
    census: pd.DataFrame,
    *,
    digits: int = 4,
    lq: float = 1.25,
    min_firms: int = 10,
    min_employment: int = 0,
    region: str = "county",
    time: str = "year",
    code: str = "industry",
    firms: str = "firms",
    employment: str = "employment",
) -> pd.DataFrame:
    """One row per region x time x industry with its LQ and whether it is a cluster.

    Exposed so that per-industry regressions (the paper's Tables 5-6) can use
    the same indicator the counts are built from.
    """
    digits = _check_digits(digits)
    if isinstance(lq, bool) or not isinstance(lq, (int, float)) or not math.isfinite(lq) or lq <= 0:
        raise ClusterRuleError(f"lq must be a positive finite number, got {lq!r}")
    for label, value in (("min_firms", min_firms), ("min_employment", min_employment)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise ClusterRuleError(f"{label} must be a non-negative number, got {value!r}")
    roles = {"region": region, "time": time, "code": code, "firms": firms, "employment": employment}
    _check_columns(census, roles)
    for column in (firms, employment):
        values = pd.to_numeric(census[column], errors="coerce")
        if values.isna().any():
            raise ClusterRuleError(f"column {column!r} must be numeric without missing values")
        if (values < 0).any():
            raise ClusterRuleError(f"column {column!r} has negative values")

    frame = pd.DataFrame(
        {
            region: census[region].to_numpy(),
            time: census[time].to_numpy(),
            code: _truncated_codes(census, code, digits).to_numpy(),
            firms: pd.to_numeric(census[firms]).to_numpy(),
            employment: pd.to_numeric(census[employment]).to_numpy(),
        }
    )
    table = frame.groupby([region, time, code], as_index=False, sort=True)[[firms, employment]].sum()
    e_cit = table[employment].astype(float)
    e_ct = table.groupby([region, time])[employment].transform("sum").astype(float)
    e_it = table.groupby([time, code])[employment].transform("sum").astype(float)
    e_t = table.groupby(time)[employment].transform("sum").astype(float)
    # Multiply before dividing: exact for integer counts below 2**53.
    numerator = e_cit * e_t
    denominator = e_ct * e_it
    table["lq"] = (numerator / denominator).where(denominator > 0)
    table["is_cluster"] = (
        (numerator >= lq * denominator * (1 - _LQ_SLACK))
        & (denominator > 0)
        & (table[firms] >= min_firms)
        & (table[employment] >= min_employment)
    )
    return table


def count_clusters(
    census: pd.DataFrame,
    *,
    digits: int = 4,
    lq: float = 1.25,
    min_firms: int = 10,
    min_employment: int = 0,
    industry: str | None = None,
    region: str = "county",
    time: str = "year",
    code: str = "industry",
    firms: str = "firms",
    employment: str = "employment",
) -> pd.Series:
    """Number of cluster industries per region and time, zero where there are none.

    ``industry`` restricts the count to codes starting with that prefix (e.g.
    ``"17"`` for textiles, ``"1742"`` for one industry, giving a 0/1
    indicator); the location quotients still use the whole economy.
    """
    digits = _check_digits(digits)
    if industry is not None:
        if not isinstance(industry, str) or not industry.strip():
            raise ClusterRuleError(f"industry must be a non-empty string prefix such as '17', got {industry!r}")
        industry = industry.strip()
        if len(industry) > digits:
            raise ClusterRuleError(
                f"industry prefix {industry!r} is longer than digits={digits}; "
                f"no {digits}-digit code can start with it"
            )
    table = cluster_table(
        census,
        digits=digits,
        lq=lq,
        min_firms=min_firms,
        min_employment=min_employment,
        region=region,
        time=time,
        code=code,
        firms=firms,
        employment=employment,
    )
    every_cell = pd.MultiIndex.from_frame(census[[region, time]].drop_duplicates().sort_values([region, time]))
    return counts_from_table(table, every_cell, industry=industry, code=code)


def counts_from_table(table: pd.DataFrame, cells: pd.MultiIndex, *, industry: str | None = None, code: str = "industry") -> pd.Series:
    """Cluster counts per (region, time) cell from a `cluster_table`.

    Split from `count_clusters` so a sweep over hundreds of industries builds
    the location quotients once and only re-counts per industry.
    """
    region, time = cells.names
    selected = table["is_cluster"]
    if industry is not None:
        selected = selected & table[code].str.startswith(industry)
    counts = selected.groupby([table[region], table[time]]).sum()
    counts = counts.reindex(cells, fill_value=0).astype("int64")
    counts.index.names = [region, time]
    counts.name = "cluster"
    return counts


def cluster_matrix(table: pd.DataFrame, cells: pd.MultiIndex, *, code: str = "industry") -> pd.DataFrame:
    """0/1 cluster indicators with one row per (region, time) cell and one column per industry.

    A sweep reads one column (or sums a prefix's columns) per industry
    instead of filtering the long table hundreds of times.
    """
    region, time = cells.names
    wide = table.pivot_table(index=[region, time], columns=code, values="is_cluster", aggfunc="sum", fill_value=0)
    wide = wide.reindex(cells, fill_value=0).astype("int64")
    wide.columns = [str(c) for c in wide.columns]
    if not wide.columns.is_monotonic_increasing:  # `prefix_columns` needs the codes in string order
        wide = wide[sorted(wide.columns)]
    return wide


def prefix_columns(columns: pd.Index | np.ndarray, prefix: str) -> slice:
    """The columns whose code starts with ``prefix``, as a slice of string-sorted columns.

    Codes that share a prefix are adjacent in string order, so two binary
    searches find them: a sweep over every industry costs O(industries x log),
    not a scan of every column per industry.
    """
    lo = int(columns.searchsorted(prefix, side="left"))
    hi = int(columns.searchsorted(prefix + "\U0010ffff", side="left"))
    if hi < len(columns) and str(columns[hi]).startswith(prefix):  # a code continuing past U+10FFFF: scan
        hi = lo + sum(1 for c in columns[lo:] if str(c).startswith(prefix))
    return slice(lo, hi)
