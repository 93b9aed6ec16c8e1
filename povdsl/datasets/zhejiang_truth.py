"""The true parameters the synthetic Zhejiang data are drawn from (docs/data.md).

Kept apart from the generator so tests read the truth — their independent
reference — without reading how the data are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClusterRule:
    """The rule the generator uses for ``cluster`` (see povdsl.data.clusters)."""

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
