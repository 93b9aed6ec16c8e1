"""A dynamic panel with known coefficients, for tests and the benchmark.

y_it = rho*y_i,t-1 + beta*x_it + mu_i + e_it with x_it = 0.5*x_i,t-1 + 0.5*mu_i + v_it.
A long burn-in makes the initial conditions mean-stationary, which is the
assumption system GMM's level moments need, so the truth is a fair reference
for both estimators.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_ar1_panel(n_units: int, n_periods: int, *, rho: float = 0.5, beta: float = 1.0, seed: int = 0, burn_in: int = 50) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    total = n_periods + burn_in
    mu = rng.normal(size=n_units)
    x = np.zeros((n_units, total))
    y = np.zeros((n_units, total))
    for t in range(1, total):
        x[:, t] = 0.5 * x[:, t - 1] + 0.5 * mu + rng.normal(size=n_units)
        y[:, t] = rho * y[:, t - 1] + beta * x[:, t] + mu + rng.normal(size=n_units)
    keep = slice(burn_in, total)
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n_units), n_periods),
            "period": np.tile(np.arange(2000, 2000 + n_periods), n_units),
            "y": y[:, keep].ravel(),
            "x": x[:, keep].ravel(),
        }
    )
