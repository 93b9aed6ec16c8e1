"""Synthetic Zhejiang-like data standing in for the paper's confidential microdata.

The 2004/2008 economic-census aggregates and the rural fixed-observation-point
household panel behind the reproduced paper cannot be redistributed, so povdsl
ships data drawn from a documented data-generating process (docs/data.md)
whose true parameters live in ``TRUE_PARAMETERS``.  Estimators can then be
checked against a known truth rather than against each other.

Run ``python -m povdsl.datasets.zhejiang --out DIR`` to regenerate; with the
defaults the output is byte-identical to the bundled CSVs.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd

from povdsl.data.clusters import cluster_table, count_clusters
from povdsl.datasets.zhejiang_tables import (  # fixed tables: counties, GDP, industries, historic clusters
    COUNTIES as _COUNTIES,
)
from povdsl.datasets.zhejiang_tables import (
    DESIGNATED as _DESIGNATED,
)
from povdsl.datasets.zhejiang_tables import (
    GROUPS as _GROUPS,
)
from povdsl.datasets.zhejiang_tables import (
    INDUSTRIES as _INDUSTRIES,
)
from povdsl.datasets.zhejiang_tables import (
    ISLANDS as _ISLANDS,
)
from povdsl.datasets.zhejiang_tables import (
    MOUNTAIN_CITIES as _MOUNTAIN_CITIES,
)
from povdsl.datasets.zhejiang_tables import (
    PROVINCE_GDP as _PROVINCE_GDP,
)
from povdsl.datasets.zhejiang_truth import TRUE_PARAMETERS, CensusParameters, ClusterRule, TrueParameters

SEED = 20041231
YEARS = (2004, 2008)
LAG = 10
FILES = ("counties", "traveltime", "industries", "census", "households")


# --------------------------------------------------------------------------- fixed tables


def industries() -> pd.DataFrame:
    """The industry code list (GB/T 4754-2002 style), 3-digit groups then 4-digit classes."""
    groups = [(code, 3, "", name) for code, (name, _) in _GROUPS.items()]
    classes = [(code, 4, code[:3], name) for code, (name, _, _) in _INDUSTRIES.items()]
    frame = pd.DataFrame(groups + classes, columns=["code", "digits", "parent", "name"])
    return frame.sort_values(["digits", "code"], ignore_index=True)


def county_frame() -> pd.DataFrame:
    """Fixed county attributes (coordinates are approximate county seats)."""
    return pd.DataFrame(_COUNTIES, columns=["county", "name", "city", "lat", "lon", "kind"])


# --------------------------------------------------------------------------- counties and travel


def _counties(rng: np.random.Generator) -> pd.DataFrame:
    """County areas and GDP paths 1994-2008 scaled to provincial totals; long format."""
    base = county_frame()
    n = len(base)
    district = (base["kind"] == "d").to_numpy()
    district_area = np.exp(rng.normal(np.log(250), 0.7, n))
    county_area = np.exp(rng.normal(np.log(1300), 0.45, n))
    area = np.where(district, district_area, county_area)
    size = rng.normal(0.0, 0.6, n) + np.where(base["city"].isin(["Hangzhou", "Ningbo"]), 0.4, 0.0)
    size -= np.where(base["city"].isin(sorted(_MOUNTAIN_CITIES)), 0.5, 0.0)
    growth = rng.normal(0.0, 0.025, n)  # relative annual growth vs the province
    log_share = {year: size + growth * (year - 1994) + rng.normal(0.0, 0.05, n) for year in _PROVINCE_GDP}
    gdp = {}
    for year, values in log_share.items():
        share = np.exp(values) / np.exp(values).sum()
        gdp[year] = share * _PROVINCE_GDP[year]
    rows = []
    for year in YEARS:
        rows.append(
            pd.DataFrame(
                {
                    "county": base["county"],
                    "name": base["name"],
                    "city": base["city"],
                    "year": year,
                    "area": np.round(area, 1),
                    "gdp": np.round(gdp[year], 2),
                    "gdp_lag10": np.round(gdp[year - LAG], 2),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _haversine_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    a = np.sin(dphi / 2) ** 2 + np.cos(phi[:, None]) * np.cos(phi[None, :]) * np.sin(dlam / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def travel_minutes(rng: np.random.Generator) -> np.ndarray:
    """Driving minutes between county seats: road-factor distance, ferries, direction noise."""
    base = county_frame()
    km = _haversine_km(base["lat"].to_numpy(), base["lon"].to_numpy())
    mountain = base["city"].isin(sorted(_MOUNTAIN_CITIES)).to_numpy()
    road_factor = 1.3 + 0.15 * (mountain[:, None] | mountain[None, :])
    island = base["county"].isin(sorted(_ISLANDS)).to_numpy()
    ferry = 50.0 * (island[:, None] | island[None, :])
    minutes = 8.0 + km * road_factor / 75.0 * 60.0 + ferry
    minutes *= np.exp(rng.normal(0.0, 0.06, minutes.shape))  # one-way streets, tolls, congestion
    minutes = np.clip(np.round(minutes, 1), 10.0, 400.0)
    np.fill_diagonal(minutes, 0.0)
    return minutes


def _travel_frame(minutes: np.ndarray) -> pd.DataFrame:
    ids = county_frame()["county"].to_numpy()
    origin, destination = np.meshgrid(ids, ids, indexing="ij")
    return pd.DataFrame(
        {"origin": origin.ravel(), "destination": destination.ravel(), "minutes": minutes.ravel()}
    )


# --------------------------------------------------------------------------- census


def _history_index(counties: pd.DataFrame) -> np.ndarray:
    """Standardised log share of provincial GDP ten years earlier, counties x years."""
    lag = counties.pivot(index="county", columns="year", values="gdp_lag10")[list(YEARS)]
    log_share = np.log(lag / lag.sum(axis=0))
    reference = log_share[YEARS[0]]
    return ((log_share - reference.mean()) / reference.std()).to_numpy()


def _census(counties: pd.DataFrame, rng: np.random.Generator, params: CensusParameters) -> pd.DataFrame:
    """County x 4-digit industry firms and jobs; history and designated clusters drive location."""
    base = county_frame()
    codes = list(_INDUSTRIES)
    n_c, n_i = len(base), len(codes)
    weight = np.array([_INDUSTRIES[c][1] for c in codes])
    firm_size = np.array([_INDUSTRIES[c][2] for c in codes], dtype=float)
    manufacturing = np.array([_GROUPS[c[:3]][1] == "m" for c in codes])
    loading = np.where(manufacturing, params.history_loading, params.service_loading)
    district = (base["kind"] == "d").to_numpy()

    taste = rng.normal(0.0, params.specialisation_sd, (n_c, n_i))
    taste += np.outer(district, np.where(manufacturing, -0.5, 0.5))  # cities lean to services
    position = {county: k for k, county in enumerate(base["county"])}
    column = {code: k for k, code in enumerate(codes)}
    for county, known in _DESIGNATED.items():
        for code in known:
            taste[position[county], column[code]] += params.designated_boost
    # Manufacturing drifts toward a random direction of the province by 2008.
    lat = base["lat"].to_numpy()
    lon = base["lon"].to_numpy()
    angle = rng.uniform(0, 2 * np.pi)
    north, east = (lat - lat.mean()) / lat.std(), (lon - lon.mean()) / lon.std()
    direction = np.cos(angle) * north + np.sin(angle) * east
    shift = params.regional_shift_sd * direction + rng.normal(0.0, params.regional_shift_sd / 2, n_c)

    history = _history_index(counties)
    gdp = counties.pivot(index="county", columns="year", values="gdp")
    gdp = gdp.loc[base["county"], list(YEARS)].to_numpy()
    frames = []
    for t, year in enumerate(YEARS):
        orientation = history[:, t] + (shift if year == YEARS[1] else 0.0)
        log_share = np.log(weight) + taste + np.outer(orientation, loading)
        log_share += rng.normal(0.0, params.year_shock_sd, (n_c, n_i))
        share = np.exp(log_share)
        share /= share.sum(axis=1, keepdims=True)
        jobs = gdp[:, t] * params.jobs_per_gdp[t] * np.exp(rng.normal(0.0, 0.1, n_c))
        employment = np.round(share * jobs[:, None]).astype(np.int64)
        mean_size = firm_size * np.exp(rng.normal(0.0, params.firm_size_sd, (n_c, n_i)))
        firms = rng.poisson(employment / mean_size)
        firms = np.minimum(firms, employment)
        county_ids, industry_ids = np.nonzero(firms > 0)
        frames.append(
            pd.DataFrame(
                {
                    "county": base["county"].to_numpy()[county_ids],
                    "year": year,
                    "industry": np.array(codes, dtype=object)[industry_ids],
                    "firms": firms[county_ids, industry_ids],
                    "employment": employment[county_ids, industry_ids],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def county_cluster_measures(census: pd.DataFrame, minutes: np.ndarray, rule: ClusterRule) -> pd.DataFrame:
    """cluster_ct and Wcluster_ct = sum_{j != c} cluster_jt / minutes_cj for every county-year."""
    ids = county_frame()["county"].to_numpy()
    counts = count_clusters(census, digits=rule.digits, lq=rule.lq, min_firms=rule.min_firms)
    counts = counts.unstack("year").reindex(index=ids, fill_value=0)[list(YEARS)].fillna(0).to_numpy()
    inverse = np.zeros_like(minutes)
    off_diagonal = ~np.eye(len(ids), dtype=bool)
    inverse[off_diagonal] = 1.0 / minutes[off_diagonal]
    spill = inverse @ counts
    rows = [
        pd.DataFrame({"county": ids, "year": year, "cluster": counts[:, t], "wcluster": spill[:, t]})
        for t, year in enumerate(YEARS)
    ]
    return pd.concat(rows, ignore_index=True)


def industry_indicators(census: pd.DataFrame, rule: ClusterRule, codes: list[str]) -> pd.DataFrame:
    """0/1 cluster indicator per county-year for each industry carrying an income effect."""
    table = cluster_table(census, digits=rule.digits, lq=rule.lq, min_firms=rule.min_firms)
    table = table[table["industry"].isin(codes) & table["is_cluster"]]
    wide = (
        table.assign(flag=1)
        .pivot_table(index=["county", "year"], columns="industry", values="flag", fill_value=0)
        .reindex(columns=codes, fill_value=0)
    )
    ids = county_frame()["county"]
    every = pd.MultiIndex.from_product([ids, list(YEARS)], names=["county", "year"])
    return wide.reindex(every, fill_value=0).astype(np.int64)


# --------------------------------------------------------------------------- households


def _village_counties(villages: int, rng: np.random.Generator) -> np.ndarray:
    """Spread villages over cities, rural counties first, one village per county."""
    base = county_frame()
    if not 1 <= villages <= len(base):
        raise ValueError(f"villages must be between 1 and {len(base)} (one county each), got {villages}")
    queues: list[list[int]] = []
    for city in rng.permutation(sorted(base["city"].unique())):
        members = base[base["city"] == city]
        rural = rng.permutation(members.loc[members["kind"] == "c", "county"].to_numpy())
        urban = rng.permutation(members.loc[members["kind"] == "d", "county"].to_numpy())
        queues.append(list(rural) + list(urban))
    order: list[int] = []
    while len(order) < villages:
        for queue in queues:
            if queue and len(order) < villages:
                order.append(queue.pop(0))
    return np.array(order, dtype=np.int64)


def _controls(n: int, rng: np.random.Generator, change_share: float) -> dict[str, np.ndarray]:
    """Householder and farm characteristics in 2004 and 2008 (index 0 / 1 on the last axis)."""
    age = np.empty((n, 2))
    edu = np.empty((n, 2))
    gender = np.empty((n, 2), dtype=np.int64)
    age[:, 0] = np.clip(np.round(rng.normal(50, 10, n)), 25, 80)
    edu[:, 0] = np.clip(np.round(rng.normal(11 - 0.08 * age[:, 0], 2.5)), 0, 16)
    gender[:, 0] = rng.random(n) < 0.92
    changed = rng.random(n) < change_share  # a son or daughter takes over the household
    age[:, 1] = np.where(changed, np.clip(np.round(rng.normal(38, 6, n)), 25, 60), age[:, 0] + 4)
    edu[:, 1] = np.where(changed, np.clip(np.round(rng.normal(10, 2.5, n)), 0, 16), edu[:, 0])
    gender[:, 1] = np.where(changed, rng.random(n) < 0.85, gender[:, 0])
    pop = np.empty((n, 2))
    pop[:, 0] = np.clip(1 + rng.poisson(2.5, n), 1, 9)
    pop[:, 1] = np.clip(pop[:, 0] + rng.choice([-1, 0, 0, 0, 1], n), 1, 9)
    land = np.empty((n, 2))
    land[:, 0] = np.round(np.exp(rng.normal(np.log(2.5), 0.6, n)), 2)
    land[:, 1] = np.round(land[:, 0] * np.exp(rng.normal(-0.05, 0.2, n)), 2)
    capital = np.empty((n, 2))  # productive fixed assets, 100,000 yuan
    capital[:, 0] = np.round(np.exp(rng.normal(np.log(0.18), 0.7, n)), 3)
    capital[:, 1] = np.round(capital[:, 0] * np.exp(rng.normal(0.15, 0.3, n)), 3)
    return {
        "age": age.astype(np.int64),
        "edu": edu.astype(np.int64),
        "gender": gender,
        "pop": pop.astype(np.int64),
        "land": land,
        "capital": capital,
    }


def _households(
    n_households: int,
    villages: int,
    measures: pd.DataFrame,
    indicators: pd.DataFrame,
    rng: np.random.Generator,
    truth: TrueParameters,
) -> pd.DataFrame:
    """The two-wave panel: true log-income equation, then MCAR missingness."""
    if n_households < villages:
        raise ValueError(f"need at least one household per village, got {n_households} < {villages}")
    p = truth.income
    village_county = _village_counties(villages, rng)
    sizes = [len(part) for part in np.array_split(np.arange(n_households), villages)]
    village = np.repeat(np.arange(1, villages + 1), sizes)
    county = village_county[village - 1]
    alpha = rng.normal(0.0, p.village_sd, villages)[village - 1]
    alpha = alpha + rng.normal(0.0, p.household_sd, n_households)
    x = _controls(n_households, rng, truth.householder_change)
    measures = measures.set_index(["county", "year"])
    codes = [code for code, _ in p.industry_effects]
    effects = np.array([effect for _, effect in p.industry_effects])
    frames = []
    for t, year in enumerate(YEARS):
        place = pd.MultiIndex.from_arrays([county, np.full(n_households, year)])
        cluster = measures.loc[place, "cluster"].to_numpy()
        wcluster = measures.loc[place, "wcluster"].to_numpy()
        industry_term = indicators.loc[place, codes].to_numpy() @ effects
        log_income = (
            p.intercept
            + (p.year_2008 if t == 1 else 0.0)
            + alpha
            + p.cluster * cluster
            + p.wcluster * wcluster
            + p.age * x["age"][:, t]
            + p.edu * x["edu"][:, t]
            + p.gender * x["gender"][:, t]
            + p.pop * x["pop"][:, t]
            + p.land * x["land"][:, t]
            + p.capital * x["capital"][:, t]
            + industry_term
            + rng.normal(0.0, p.noise_sd, n_households)
        )
        frame = pd.DataFrame(
            {
                "household": np.arange(1, n_households + 1),
                "village": village,
                "county": county,
                "year": year,
                **{name: values[:, t] for name, values in x.items()},
                "income": np.round(np.exp(log_income), 1),
            }
        )
        frames.append(frame)
    panel = pd.concat(frames, ignore_index=True)
    n = len(panel)
    panel.loc[rng.random(n) < truth.missing_income, "income"] = np.nan
    control_hole = rng.random(n) < truth.missing_control
    which = rng.random(n) < 0.5
    panel.loc[control_hole & which, "land"] = np.nan
    panel.loc[control_hole & ~which, "capital"] = np.nan
    return panel.sort_values(["household", "year"], ignore_index=True)


# --------------------------------------------------------------------------- public API


def generate(households: int = 500, villages: int = 10, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """All five tables; counties, travel times and census depend on ``seed`` only."""
    truth = TRUE_PARAMETERS
    county_seed, travel_seed, census_seed, household_seed = np.random.SeedSequence(seed).spawn(4)
    counties = _counties(np.random.default_rng(county_seed))
    minutes = travel_minutes(np.random.default_rng(travel_seed))
    census = _census(counties, np.random.default_rng(census_seed), truth.census)
    measures = county_cluster_measures(census, minutes, truth.cluster_rule)
    codes = [code for code, _ in truth.income.industry_effects]
    indicators = industry_indicators(census, truth.cluster_rule, codes)
    household_rng = np.random.default_rng(household_seed)
    panel = _households(households, villages, measures, indicators, household_rng, truth)
    return {
        "counties": counties,
        "traveltime": _travel_frame(minutes),
        "industries": industries(),
        "census": census,
        "households": panel,
    }


# Decimals per float column; fixed so regeneration is byte-identical.
_DECIMALS = {"area": 1, "gdp": 2, "gdp_lag10": 2, "minutes": 1, "land": 2, "capital": 3, "income": 1}


def _formatted(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column, decimals in _DECIMALS.items():
        if column in out.columns:
            out[column] = [("" if math.isnan(v) else f"{v:.{decimals}f}") for v in out[column].astype(float)]
    return out


def write(frames: dict[str, pd.DataFrame], out_dir: str | Path) -> list[Path]:
    """Write each frame as ``<name>.csv`` with fixed number formatting."""
    from povdsl.render.output import write_output  # never through a symlink (docs/security.md)

    written = []
    for name, frame in frames.items():
        text = _formatted(frame).to_csv(index=False, lineterminator="\n")
        written.append(write_output(Path(out_dir), f"{name}.csv", text))
    return written


_STRING_COLUMNS = {"industry": str, "code": str, "parent": str}


def read(directory: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Load the CSVs (bundled by default) keeping industry codes as strings."""
    if directory is None:
        from povdsl.datasets import bundled_path

        directory = bundled_path("zhejiang")
    directory = Path(directory)
    frames = {}
    for name in FILES:
        frame = pd.read_csv(
            directory / f"{name}.csv", dtype=_STRING_COLUMNS, keep_default_na=False, na_values=[""]
        )
        if name == "industries":
            frame["parent"] = frame["parent"].fillna("")
        frames[name] = frame
    return frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m povdsl.datasets.zhejiang", description=__doc__.splitlines()[0]
    )
    default_out = Path(__file__).with_name("zhejiang")
    parser.add_argument("--out", type=Path, default=default_out, help="output directory (default: bundled)")
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--villages", type=int, default=10)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    for path in write(generate(args.households, args.villages, args.seed), args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
