"""On the large synthetic variant, povdsl recovers the generator's true parameters.

The truth is the data-generating process itself (povdsl/datasets/zhejiang.py),
an independent reference: 50,000 households in 90 villages, household fixed
effects, the generator's own industry indicators as controls.
"""

from __future__ import annotations

import pytest

import povdsl
from povdsl.datasets.zhejiang import TRUE_PARAMETERS, generate, write


@pytest.mark.slow
def test_fixed_effects_recover_cluster_and_spillover_effects(tmp_path):
    write(generate(households=50_000, villages=90), tmp_path / "data")
    truth = TRUE_PARAMETERS.income
    indicators = [code for code, _ in truth.industry_effects]
    lets = "\n".join(f'let c{code} = clusters(census, digits=4, industry="{code}")' for code in indicators)
    terms = " + ".join(f"c{code}" for code in indicators)
    spec = tmp_path / "large.pov"
    spec.write_text(
        f"""data households = "data/households.csv" panel(household, year) region(county)
data counties = "data/counties.csv" key(county, year)
data census = "data/census.csv"
weights traveltime = inverse("data/traveltime.csv", origin, destination, minutes)
let cluster = clusters(census, digits=4, lq=1.25, min_firms=10)
{lets}
model fe "FE": log(income) ~ cluster + W(cluster, traveltime) + age + edu + gender + pop + land + capital + {terms} | fe(household, year)
""",
        encoding="utf-8",
    )
    result = povdsl.run(spec).results["fe"]
    for term, true in [("cluster", truth.cluster), ("W(cluster, traveltime)", truth.wcluster), ("edu", truth.edu), ("capital", truth.capital)]:
        assert abs(result.params[term] - true) < 2 * result.std_errors[term], (term, result.params[term], true)
