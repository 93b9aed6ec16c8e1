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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from povdsl.clusters import cluster_table, count_clusters

SEED = 20041231
YEARS = (2004, 2008)
LAG = 10
FILES = ("counties", "traveltime", "industries", "census", "households")


# --------------------------------------------------------------------------- truth


@dataclass(frozen=True)
class ClusterRule:
    """The rule the generator uses for ``cluster`` (see povdsl.clusters)."""

    digits: int = 4
    lq: float = 1.25
    min_firms: int = 10


@dataclass(frozen=True)
class IncomeParameters:
    """log(income_it) = intercept + year_2008 + alpha_i + b'x_it + industry terms + e_it."""

    intercept: float = 8.16
    year_2008: float = 0.11
    cluster: float = 0.02
    wcluster: float = 0.15
    age: float = -0.005
    edu: float = 0.04
    gender: float = 0.0
    pop: float = -0.10
    land: float = -0.03
    capital: float = 1.2
    # Extra effect of being a cluster in these labour-intensive industries (own 0/1 indicator).
    industry_effects: tuple[tuple[str, float], ...] = (
        ("1713", 0.05),  # dyeing and finishing of cotton and chemical fibre textiles
        ("1742", 0.06),  # spinning and weaving of silk textiles
        ("1762", 0.06),  # wool knitwear
        ("1810", 0.05),  # textile garments
        ("3460", 0.04),  # metal surface treatment and heat treatment
        ("3582", 0.05),  # fasteners and springs
        ("3583", 0.04),  # machinery parts processing and repair
        ("2221", 0.04),  # machine-made paper and paperboard
        ("2231", 0.05),  # paper and cardboard containers
    )
    village_sd: float = 0.10
    household_sd: float = 0.50
    noise_sd: float = 0.22

    def industry_effect(self, code: str) -> float:
        """theta for a 4-digit code; zero for industries without an own effect."""
        return dict(self.industry_effects).get(code, 0.0)


@dataclass(frozen=True)
class CensusParameters:
    """Where industries locate: persistent specialisation, history, shocks."""

    jobs_per_gdp: tuple[float, float] = (1400.0, 900.0)  # jobs per 100 million yuan, 2004 / 2008
    specialisation_sd: float = 0.6  # persistent county x industry taste
    designated_boost: float = 1.6  # historic clusters (Shaoxing textiles, Fuyang paper, ...)
    history_loading: float = 0.5  # manufacturing share rises with log GDP ten years earlier
    service_loading: float = -0.3  # ... and service shares fall with it
    regional_shift_sd: float = 0.6  # 2008-only shift of manufacturing toward a region
    year_shock_sd: float = 0.3  # county x industry x year noise
    firm_size_sd: float = 0.3


@dataclass(frozen=True)
class TrueParameters:
    """Everything the data were drawn from: the independent reference for tests."""

    income: IncomeParameters = IncomeParameters()
    census: CensusParameters = CensusParameters()
    cluster_rule: ClusterRule = ClusterRule()
    missing_income: float = 0.015  # share of household-years with income missing (MCAR)
    missing_control: float = 0.01  # share with land or capital missing (MCAR)
    householder_change: float = 0.08  # share of households whose householder changes by 2008


TRUE_PARAMETERS = TrueParameters()


# --------------------------------------------------------------------------- fixed tables

# (code, name, city, latitude, longitude, kind); kind: d = urban district, c = county/county-level city.
_COUNTIES = (
    (330102, "Shangcheng", "Hangzhou", 30.24, 120.17, "d"),
    (330103, "Xiacheng", "Hangzhou", 30.28, 120.18, "d"),
    (330104, "Jianggan", "Hangzhou", 30.27, 120.21, "d"),
    (330105, "Gongshu", "Hangzhou", 30.32, 120.14, "d"),
    (330106, "Xihu", "Hangzhou", 30.26, 120.10, "d"),
    (330108, "Binjiang", "Hangzhou", 30.21, 120.21, "d"),
    (330109, "Xiaoshan", "Hangzhou", 30.16, 120.26, "d"),
    (330110, "Yuhang", "Hangzhou", 30.42, 120.30, "d"),
    (330122, "Tonglu", "Hangzhou", 29.80, 119.69, "c"),
    (330127, "Chun'an", "Hangzhou", 29.61, 119.04, "c"),
    (330182, "Jiande", "Hangzhou", 29.47, 119.28, "c"),
    (330183, "Fuyang", "Hangzhou", 30.05, 119.96, "c"),
    (330185, "Lin'an", "Hangzhou", 30.23, 119.72, "c"),
    (330203, "Haishu", "Ningbo", 29.86, 121.55, "d"),
    (330204, "Jiangdong", "Ningbo", 29.87, 121.57, "d"),
    (330205, "Jiangbei", "Ningbo", 29.89, 121.55, "d"),
    (330206, "Beilun", "Ningbo", 29.90, 121.85, "d"),
    (330211, "Zhenhai", "Ningbo", 29.95, 121.72, "d"),
    (330212, "Yinzhou", "Ningbo", 29.82, 121.55, "d"),
    (330225, "Xiangshan", "Ningbo", 29.48, 121.87, "c"),
    (330226, "Ninghai", "Ningbo", 29.29, 121.43, "c"),
    (330281, "Yuyao", "Ningbo", 30.04, 121.15, "c"),
    (330282, "Cixi", "Ningbo", 30.17, 121.24, "c"),
    (330283, "Fenghua", "Ningbo", 29.66, 121.41, "c"),
    (330302, "Lucheng", "Wenzhou", 28.01, 120.65, "d"),
    (330303, "Longwan", "Wenzhou", 27.93, 120.77, "d"),
    (330304, "Ouhai", "Wenzhou", 27.97, 120.64, "d"),
    (330322, "Dongtou", "Wenzhou", 27.84, 121.16, "c"),
    (330324, "Yongjia", "Wenzhou", 28.15, 120.69, "c"),
    (330326, "Pingyang", "Wenzhou", 27.66, 120.56, "c"),
    (330327, "Cangnan", "Wenzhou", 27.52, 120.43, "c"),
    (330328, "Wencheng", "Wenzhou", 27.79, 120.09, "c"),
    (330329, "Taishun", "Wenzhou", 27.56, 119.72, "c"),
    (330381, "Rui'an", "Wenzhou", 27.78, 120.65, "c"),
    (330382, "Yueqing", "Wenzhou", 28.12, 120.96, "c"),
    (330402, "Nanhu", "Jiaxing", 30.76, 120.78, "d"),
    (330411, "Xiuzhou", "Jiaxing", 30.76, 120.71, "d"),
    (330421, "Jiashan", "Jiaxing", 30.83, 120.92, "c"),
    (330424, "Haiyan", "Jiaxing", 30.53, 120.94, "c"),
    (330481, "Haining", "Jiaxing", 30.53, 120.68, "c"),
    (330482, "Pinghu", "Jiaxing", 30.68, 121.02, "c"),
    (330483, "Tongxiang", "Jiaxing", 30.63, 120.56, "c"),
    (330502, "Wuxing", "Huzhou", 30.87, 120.10, "d"),
    (330503, "Nanxun", "Huzhou", 30.88, 120.42, "d"),
    (330521, "Deqing", "Huzhou", 30.54, 119.97, "c"),
    (330522, "Changxing", "Huzhou", 31.01, 119.91, "c"),
    (330523, "Anji", "Huzhou", 30.64, 119.68, "c"),
    (330602, "Yuecheng", "Shaoxing", 30.00, 120.58, "d"),
    (330621, "Shaoxing County", "Shaoxing", 30.08, 120.49, "c"),
    (330624, "Xinchang", "Shaoxing", 29.50, 120.90, "c"),
    (330681, "Zhuji", "Shaoxing", 29.71, 120.24, "c"),
    (330682, "Shangyu", "Shaoxing", 30.03, 120.87, "c"),
    (330683, "Shengzhou", "Shaoxing", 29.59, 120.82, "c"),
    (330702, "Wucheng", "Jinhua", 29.08, 119.65, "d"),
    (330703, "Jindong", "Jinhua", 29.09, 119.69, "d"),
    (330723, "Wuyi", "Jinhua", 28.89, 119.82, "c"),
    (330726, "Pujiang", "Jinhua", 29.45, 119.89, "c"),
    (330727, "Pan'an", "Jinhua", 29.05, 120.45, "c"),
    (330781, "Lanxi", "Jinhua", 29.21, 119.46, "c"),
    (330782, "Yiwu", "Jinhua", 29.31, 120.07, "c"),
    (330783, "Dongyang", "Jinhua", 29.29, 120.24, "c"),
    (330784, "Yongkang", "Jinhua", 28.89, 120.04, "c"),
    (330802, "Kecheng", "Quzhou", 28.94, 118.87, "d"),
    (330803, "Qujiang", "Quzhou", 28.98, 118.96, "d"),
    (330822, "Changshan", "Quzhou", 28.90, 118.51, "c"),
    (330824, "Kaihua", "Quzhou", 29.14, 118.41, "c"),
    (330825, "Longyou", "Quzhou", 29.03, 119.17, "c"),
    (330881, "Jiangshan", "Quzhou", 28.74, 118.63, "c"),
    (330902, "Dinghai", "Zhoushan", 30.02, 122.11, "d"),
    (330903, "Putuo", "Zhoushan", 29.95, 122.30, "d"),
    (330921, "Daishan", "Zhoushan", 30.24, 122.20, "c"),
    (330922, "Shengsi", "Zhoushan", 30.73, 122.45, "c"),
    (331002, "Jiaojiang", "Taizhou", 28.68, 121.43, "d"),
    (331003, "Huangyan", "Taizhou", 28.65, 121.26, "d"),
    (331004, "Luqiao", "Taizhou", 28.58, 121.38, "d"),
    (331021, "Yuhuan", "Taizhou", 28.14, 121.23, "c"),
    (331022, "Sanmen", "Taizhou", 29.10, 121.38, "c"),
    (331023, "Tiantai", "Taizhou", 29.14, 121.03, "c"),
    (331024, "Xianju", "Taizhou", 28.85, 120.73, "c"),
    (331081, "Wenling", "Taizhou", 28.37, 121.37, "c"),
    (331082, "Linhai", "Taizhou", 28.85, 121.14, "c"),
    (331102, "Liandu", "Lishui", 28.45, 119.92, "d"),
    (331121, "Qingtian", "Lishui", 28.14, 120.29, "c"),
    (331122, "Jinyun", "Lishui", 28.66, 120.09, "c"),
    (331123, "Suichang", "Lishui", 28.59, 119.27, "c"),
    (331124, "Songyang", "Lishui", 28.45, 119.48, "c"),
    (331125, "Yunhe", "Lishui", 28.11, 119.57, "c"),
    (331126, "Qingyuan", "Lishui", 27.62, 119.06, "c"),
    (331127, "Jingning", "Lishui", 27.97, 119.64, "c"),
    (331181, "Longquan", "Lishui", 28.07, 119.14, "c"),
)
_ISLANDS = frozenset({330902, 330903, 330921, 330922, 330322})  # ferry-linked before the 2009 bridges
_MOUNTAIN_CITIES = frozenset({"Lishui", "Quzhou"})

# Zhejiang provincial GDP, 100 million yuan (statistical yearbooks, rounded).
_PROVINCE_GDP = {1994: 2689.0, 1998: 5052.0, 2004: 11649.0, 2008: 21463.0}

# 3-digit groups: code -> (name, sector) with sector m = manufacturing, s = services/construction.
_GROUPS = {
    "135": ("Slaughtering and meat processing", "m"),
    "171": ("Spinning, weaving and finishing of cotton and chemical fibre textiles", "m"),
    "172": ("Spinning, weaving and finishing of wool textiles", "m"),
    "174": ("Spinning, weaving and finishing of silk textiles", "m"),
    "175": ("Manufacture of textile products", "m"),
    "176": ("Manufacture of knitted and crocheted fabrics and articles", "m"),
    "181": ("Manufacture of textile garments", "m"),
    "192": ("Manufacture of leather products", "m"),
    "211": ("Manufacture of wooden furniture", "m"),
    "212": ("Manufacture of bamboo and rattan furniture", "m"),
    "222": ("Manufacture of paper", "m"),
    "223": ("Manufacture of paper products", "m"),
    "244": ("Manufacture of toys", "m"),
    "261": ("Manufacture of basic chemical raw materials", "m"),
    "306": ("Manufacture of plastic packaging boxes and containers", "m"),
    "315": ("Manufacture of ceramic products", "m"),
    "346": ("Metal surface treatment and heat treatment", "m"),
    "348": ("Manufacture of stainless steel and similar daily-use metal products", "m"),
    "354": ("Manufacture of pumps, valves and compressors", "m"),
    "355": ("Manufacture of bearings, gears and transmission parts", "m"),
    "358": ("Manufacture of parts for general-purpose machinery and mechanical repair", "m"),
    "364": ("Manufacture of special equipment for printing, pharmaceuticals and daily chemicals", "m"),
    "372": ("Manufacture of automobiles", "m"),
    "374": ("Manufacture of motorcycles", "m"),
    "392": ("Manufacture of power transmission, distribution and control equipment", "m"),
    "393": ("Manufacture of wires and cables", "m"),
    "395": ("Manufacture of household electric appliances", "m"),
    "397": ("Manufacture of lighting equipment", "m"),
    "406": ("Manufacture of electronic components", "m"),
    "421": ("Manufacture of arts and crafts", "m"),
    "471": ("Construction of buildings", "s"),
    "522": ("Road freight transport", "s"),
    "633": ("Wholesale of textiles, clothing and daily necessities", "s"),
    "651": ("Retail of general merchandise", "s"),
    "671": ("Restaurants", "s"),
    "741": ("Corporate management services", "s"),
}

# 4-digit industries: code -> (name, base share weight, typical firm size).
_INDUSTRIES = {
    "1351": ("Slaughtering of livestock", 1.0, 25),
    "1711": ("Cotton and chemical fibre spinning", 2.0, 45),
    "1712": ("Cotton and chemical fibre weaving", 2.5, 35),
    "1713": ("Dyeing and finishing of cotton and chemical fibre textiles", 1.5, 40),
    "1722": ("Wool spinning", 0.8, 40),
    "1723": ("Wool weaving", 0.8, 35),
    "1741": ("Silk reeling", 0.6, 30),
    "1742": ("Spinning and weaving of silk textiles", 1.2, 30),
    "1743": ("Printing and dyeing of silk", 0.6, 30),
    "1751": ("Manufacture of cotton and chemical fibre textile products", 1.0, 20),
    "1757": ("Manufacture of non-woven fabrics", 0.5, 20),
    "1761": ("Manufacture of cotton and chemical fibre knitwear (hosiery)", 1.2, 20),
    "1762": ("Manufacture of wool knitwear", 1.0, 25),
    "1810": ("Manufacture of textile garments", 4.0, 40),
    "1921": ("Manufacture of leather shoes", 2.0, 45),
    "1923": ("Manufacture of leather bags and cases", 0.8, 25),
    "2110": ("Manufacture of wooden furniture", 1.0, 25),
    "2120": ("Manufacture of bamboo and rattan furniture", 0.5, 15),
    "2221": ("Manufacture of machine-made paper and paperboard", 1.0, 40),
    "2223": ("Manufacture of processed paper", 0.5, 25),
    "2231": ("Manufacture of paper and cardboard containers", 1.0, 20),
    "2239": ("Manufacture of other paper products", 0.5, 15),
    "2440": ("Manufacture of toys", 0.6, 30),
    "2612": ("Inorganic base manufacturing", 0.3, 40),
    "2613": ("Inorganic salt manufacturing", 0.4, 35),
    "2614": ("Organic chemical raw material manufacturing", 0.8, 45),
    "3060": ("Manufacture of plastic packaging boxes and containers", 0.7, 15),
    "3152": ("Manufacture of daily-use ceramics (celadon)", 0.4, 20),
    "3460": ("Metal surface treatment and heat treatment", 0.6, 12),
    "3481": ("Manufacture of stainless steel daily-use products", 0.8, 20),
    "3489": ("Manufacture of other daily-use metal products (hardware)", 1.2, 15),
    "3541": ("Manufacture of pumps and vacuum equipment", 0.8, 25),
    "3543": ("Manufacture of valves and cocks", 1.0, 25),
    "3551": ("Manufacture of bearings", 0.7, 30),
    "3552": ("Manufacture of gears and transmission parts", 0.6, 25),
    "3581": ("Manufacture of metal seals", 0.3, 15),
    "3582": ("Manufacture of fasteners and springs", 1.0, 15),
    "3583": ("Machinery parts processing and equipment repair", 1.5, 10),
    "3589": ("Manufacture of other general-purpose parts", 0.8, 15),
    "3641": ("Manufacture of pulp and paper-making machinery", 0.3, 25),
    "3642": ("Manufacture of printing machinery", 0.3, 25),
    "3725": ("Manufacture of automobile parts and accessories", 1.5, 40),
    "3742": ("Manufacture of motorcycle parts and accessories", 0.8, 35),
    "3922": ("Manufacture of capacitors and auxiliary equipment", 0.3, 30),
    "3923": ("Manufacture of switchgear and control equipment", 1.0, 30),
    "3931": ("Manufacture of wires and cables", 0.7, 40),
    "3951": ("Manufacture of household refrigeration appliances", 0.6, 80),
    "3954": ("Manufacture of household kitchen appliances", 0.7, 40),
    "3972": ("Manufacture of lighting fixtures", 0.6, 25),
    "4061": ("Manufacture of electronic components", 1.5, 60),
    "4211": ("Manufacture of carvings (stone, wood, root)", 0.3, 10),
    "4710": ("Construction of buildings", 12.0, 60),
    "5220": ("Road freight transport", 3.0, 8),
    "6331": ("Wholesale of textiles, knitwear and raw materials", 2.0, 6),
    "6332": ("Wholesale of clothing", 1.5, 5),
    "6339": ("Wholesale of other household goods", 1.5, 5),
    "6511": ("Department store retail", 6.0, 12),
    "6710": ("Restaurant services", 6.0, 8),
    "7411": ("Corporate production management services", 2.0, 10),
    "7412": ("Investment and asset management", 1.0, 8),
}

# Historic clusters: county -> 4-digit industries it is known for.
_DESIGNATED = {
    330109: ("1712", "1713", "1810", "3725"),  # Xiaoshan: chemical fibre, garments, auto parts
    330621: ("1711", "1712", "1713", "1751"),  # Shaoxing County (Keqiao): textile city
    330602: ("1713", "1712"),
    330502: ("1741", "1742"),  # Huzhou silk
    330503: ("1742", "1743"),
    330481: ("1762", "1923"),  # Haining: knitwear, leather
    330483: ("1762", "1742"),  # Tongxiang (Puyuan sweaters)
    330681: ("1761", "3481"),  # Zhuji (Datang hosiery)
    330683: ("1810",),  # Shengzhou neckties
    330212: ("1810",),  # Yinzhou garments
    330283: ("1810",),
    330482: ("1810",),
    330304: ("1921", "3582"),  # Wenzhou shoes, fasteners
    330302: ("1921",),
    330381: ("3582", "3742", "3583"),  # Rui'an auto and motorcycle parts
    330382: ("3923", "3582", "3583"),  # Yueqing low-voltage electrics
    330424: ("3582",),  # Haiyan fasteners
    331003: ("3583", "3060"),  # Huangyan moulds and plastics
    331004: ("3583", "3742"),
    331081: ("3541", "3583", "3460"),  # Wenling pumps
    331021: ("3543",),  # Yuhuan valves
    330784: ("3489", "3460", "3481"),  # Yongkang hardware
    330183: ("2221", "2231", "2223", "3641"),  # Fuyang paper
    330122: ("2231",),
    330782: ("6331", "6332", "6339", "2440"),  # Yiwu small-commodities market
    330282: ("3951", "3954"),  # Cixi appliances
    330281: ("3060", "3972"),  # Yuyao plastics, lighting
    330523: ("2120",),  # Anji bamboo
    330803: ("2613", "2612"),  # Quzhou chemicals
    330182: ("2613",),
    330682: ("2614",),  # Shangyu chemicals
    331181: ("3152",),  # Longquan celadon
    331121: ("4211",),  # Qingtian stone carving
    330783: ("4211",),  # Dongyang wood carving
    330102: ("7411", "7412", "6511"),  # central Hangzhou
    330103: ("7411", "7412", "6511"),
    330106: ("7411", "6710"),
    330108: ("4061",),
    330203: ("7411", "6511"),
    331082: ("3725", "3543"),
}


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
    queues = []
    for city in rng.permutation(sorted(base["city"].unique())):
        members = base[base["city"] == city]
        rural = rng.permutation(members.loc[members["kind"] == "c", "county"].to_numpy())
        urban = rng.permutation(members.loc[members["kind"] == "d", "county"].to_numpy())
        queues.append(list(rural) + list(urban))
    order = []
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
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in frames.items():
        path = out / f"{name}.csv"
        _formatted(frame).to_csv(path, index=False, lineterminator="\n")
        written.append(path)
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
