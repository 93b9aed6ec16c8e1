"""Direct, indirect and total impacts of SAR, SDM and SAC models (LeSage and Pace 2009, ch. 2 and 4).

With S_r(W) = (I - rho W)^-1 (I b_r + W t_r) for regressor r (t_r its W-lag
coefficient, 0 without one), the average direct impact is tr(S_r)/n, the
average total impact is 1' S_r 1 / n, and the indirect impact is their
difference. Both are power series in rho:

    tr(S_r)/n   = sum_k rho^k (b_r T_k + t_r T_{k+1}),     T_k = tr(W^k)/n
    1'S_r 1/n   = sum_k rho^k (b_r M_k + t_r M_{k+1}),     M_k = 1'W^k 1/n

M_k is exact (repeated sparse products W^k 1). Both are kept for W / r(W)
and the series summed in rho r(W), so neither powers of rho nor of W
overflow when r(W) is far from one (the paper's 1/minutes W). T_k is exact from W's
eigenvalues when n <= EXACT_LIMIT ("exact"); above it T_1 and T_2 are exact
(sum of the diagonal, sum of W * W') and T_k for k >= 3 is the Monte Carlo
estimate u'W^k u / n averaged over seeded Rademacher vectors u (Hutchinson;
LeSage and Pace's and spatialreg's trW(type="MC")), so no dense n x n matrix
is ever formed ("power"). The series is summed until |rho|^k r(W)^k is below
TOLERANCE (r(W) the spectral radius), which needs |rho| r(W) < 1.

Standard errors: `draws` parameter vectors from N(estimate, covariance)
(seeded, so reproducible), impacts computed for each draw; the SE is the
standard deviation over draws and the p-value the two-sided normal one of
estimate / SE, as spatialreg's summary(impacts(..., R=draws)) reports.
Draws with rho outside the stable interval, or with |rho| r(W) above
MAX_RATIO (where the series would need thousands of terms), are discarded
and counted in the table's attrs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from povdsl.errors import EstimationError
from povdsl.estimate.spatial.fit import INTERCEPT, SpatialFit
from povdsl.estimate.spatial.lattice import SampleWeights
from povdsl.estimate.spatial.logdet import spectral_radius, stable_interval

EXACT_LIMIT = 400  # regions up to which traces come from the eigenvalues of the dense W (O(n^3))
TOLERANCE = 1e-12  # relative size of the last series term kept
MAX_POWER = 4000
MAX_RATIO = 0.99  # |rho| r(W) the series serves (about 3,200 terms); draws beyond are discarded and counted
TRACE_VECTORS = 50  # Rademacher vectors for the Monte Carlo traces
DEFAULT_DRAWS = 1000
DEFAULT_SEED = 20090101  # LeSage and Pace (2009), so "seeded" has one documented default
COLUMNS = ("direct", "indirect", "total", "direct_se", "indirect_se", "total_se", "direct_pvalue", "indirect_pvalue", "total_pvalue")


@dataclass(frozen=True, eq=False)
class Multipliers:
    """T_k and M_k for k = 0..K, and what is needed to evaluate the series for any rho."""

    traces: np.ndarray  # T_k / r^k (W scaled by its spectral radius r, so no power overflows)
    sums: np.ndarray  # M_k / r^k
    eigenvalues: np.ndarray | None  # exact traces as sums over eigenvalues when known
    radius: float  # spectral radius of W
    interval: tuple[float, float]
    method: str  # "exact" or "power"

    def averages(self, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """tr(S)/n, tr(SW)/n, 1'S1/n and 1'SW1/n for every rho (S = (I - rho W)^-1)."""
        rho = np.asarray(rho, dtype=float)
        if np.any(np.abs(rho) * self.radius >= 1):
            raise EstimationError(
                f"impacts by power series need |rho| * r(W) < 1, but rho reaches {np.max(np.abs(rho)):.4g} with r(W) = {self.radius:.4g}",
                hint="rescale W (e.g. row-standardise it) so its spectral radius is 1",
            )
        powers = (rho[:, None] * self.radius) ** np.arange(len(self.sums) - 1)[None, :]
        total = powers @ self.sums[:-1]
        total_w = self.radius * (powers @ self.sums[1:])
        if self.eigenvalues is not None:
            lam = self.eigenvalues[None, :]
            inverse = 1.0 / (1.0 - rho[:, None] * lam)
            direct = np.real(inverse.mean(axis=1))
            direct_w = np.real((lam * inverse).mean(axis=1))
        else:
            direct = powers @ self.traces[:-1]
            direct_w = self.radius * (powers @ self.traces[1:])
        return direct, direct_w, total, total_w


def multipliers(
    w: SampleWeights, rho_max: float, *, method: str = "auto", seed: int = DEFAULT_SEED, vectors: int = TRACE_VECTORS, extent: np.ndarray | None = None
) -> Multipliers:
    """Traces and sums of powers of W, enough of them for |rho| up to rho_max.

    ``extent`` holds simulated rho draws: the series is made long enough for
    the largest of them that the series can serve (|rho| r(W) < 1); draws
    beyond are discarded by the caller.
    """
    n = w.n
    method = ("exact" if n <= EXACT_LIMIT else "power") if method == "auto" else method
    eigenvalues = np.linalg.eigvals(w.matrix.toarray()) if method == "exact" else None
    radius = float(np.max(np.abs(eigenvalues))) if eigenvalues is not None else spectral_radius(w)
    ratio = abs(rho_max) * radius
    if extent is not None and len(extent):
        servable = np.abs(extent) * radius
        servable = servable[servable <= MAX_RATIO]
        ratio = max(ratio, float(servable.max())) if len(servable) else ratio
    if ratio > MAX_RATIO:
        raise EstimationError(
            f"impacts by power series need |rho| * r(W) <= {MAX_RATIO}, but |rho| = {abs(rho_max):.4g} and r(W) = {radius:.4g}",
            hint="rho this close to the edge of its stable interval makes the impacts unreliable; check the model",
        )
    powers = 2 if ratio == 0 else int(min(MAX_POWER, max(2, np.ceil(np.log(TOLERANCE * (1 - ratio)) / np.log(ratio)) + 2)))
    if powers >= MAX_POWER:
        raise EstimationError(f"rho = {rho_max:.6g} is so close to 1/r(W) that the impact series needs more than {MAX_POWER} terms")
    scaled = w.matrix / radius  # spectral radius 1: every T_k, M_k below stays of order one
    sums = np.empty(powers + 1)
    v = np.ones(n)
    for k in range(powers + 1):
        sums[k] = v.sum() / n
        v = scaled @ v
    traces = np.zeros(powers + 1)
    if eigenvalues is None:
        traces[0] = 1.0
        traces[1] = scaled.diagonal().sum() / n
        if powers >= 2:
            traces[2] = scaled.multiply(scaled.T).sum() / n
        rng = np.random.default_rng(seed)
        u = rng.choice(np.array([-1.0, 1.0]), size=(n, vectors))
        block = scaled @ (scaled @ u)
        for k in range(3, powers + 1):
            block = scaled @ block
            traces[k] = np.mean(np.sum(u * block, axis=0)) / n
    interval = stable_interval(w, eigenvalues)
    return Multipliers(traces=traces, sums=sums, eigenvalues=eigenvalues, radius=radius, interval=interval, method=method)


def impacts(fit: SpatialFit, *, draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED, method: str = "auto") -> pd.DataFrame:
    """Impacts of every regressor of a fit with a spatial lag of y (sar, sdm, sac), with simulated SEs."""
    if "rho" not in fit.params.index:
        raise EstimationError(f"a {fit.model} model has no spatial lag of y, so its coefficients are its impacts", hint="impacts exist for sar, sdm and sac")
    lagged = set(fit.durbin.values())
    regressors = [name for name in fit.params.index if name not in (INTERCEPT, "rho", "lambda") and name not in lagged]
    keep = [name for name in fit.params.index if name != "lambda"]
    mean = fit.params[keep].to_numpy()
    cov = fit.cov.loc[keep, keep].to_numpy()
    rho_at = keep.index("rho")
    rng = np.random.default_rng(seed)
    sample = rng.multivariate_normal(mean, cov, size=draws, method="cholesky") if draws > 0 else np.empty((0, len(keep)))
    table = multipliers(fit.weights, float(abs(mean[rho_at])), method=method, seed=seed, extent=sample[:, rho_at])
    low, high = table.interval
    inside = (sample[:, rho_at] > low) & (sample[:, rho_at] < high) & (np.abs(sample[:, rho_at]) * table.radius <= MAX_RATIO)
    sample = sample[inside]
    rho_all = np.concatenate([[mean[rho_at]], sample[:, rho_at]])
    direct, direct_w, total, total_w = table.averages(rho_all)
    rows = {}
    for name in regressors:
        b = np.concatenate([[mean[keep.index(name)]], sample[:, keep.index(name)]])
        lag = fit.durbin.get(name)
        t = np.zeros_like(b) if lag is None or lag not in keep else np.concatenate([[mean[keep.index(lag)]], sample[:, keep.index(lag)]])
        d = b * direct + t * direct_w
        tot = b * total + t * total_w
        ind = tot - d
        row = {"direct": d[0], "indirect": ind[0], "total": tot[0]}
        for key, values in (("direct", d), ("indirect", ind), ("total", tot)):
            se = float(np.std(values[1:], ddof=1)) if len(values) > 2 else np.nan
            row[f"{key}_se"] = se
            row[f"{key}_pvalue"] = float(2 * sps.norm.sf(abs(values[0] / se))) if se > 0 else np.nan
        rows[name] = row
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    frame.index.name = "regressor"
    frame.attrs.update({"draws": int(inside.sum()), "discarded": int((~inside).sum()), "seed": seed, "traces": table.method})
    return frame


def linear_impacts(
    params: pd.Series, cov: pd.DataFrame, durbin: Mapping[str, str], weights: SampleWeights, df: int | None = None
) -> pd.DataFrame:
    """Impacts of a model without a spatial lag of y (SEM, SLX, SDEM): exact, no simulation.

    Here S_r(W) = I b_r + W t_r (LeSage and Pace 2009, sec. 2.7; Elhorst 2014,
    ch. 2), so with a zero diagonal the direct impact is b_r, the total
    b_r + t_r M_1 with M_1 = 1'W1/n the average row sum of W (1 when W is
    row-standardised without isolated regions; the paper's 1/minutes W is
    not), and the indirect t_r M_1 -- 0 for a regressor without a W() term,
    as in every SEM. A W(z) term whose z is not a regressor is a spillover
    alone (b_z = 0): its row has direct 0 and indirect = total = t_z M_1. A
    lag under another weight matrix gets no row. The W() column of the formula is computed with the
    declared matrix over every region, so M_1 (and the diagonal) are the
    declared matrix's at the model's regions, not those of W cut to them. Standard errors are those of these linear combinations
    of the estimates; p-values use the model's own reference distribution
    (normal, or t with `df` degrees of freedom for the SLX's OLS).
    """
    lagged = set(durbin.values())
    regressors = [name for name in params.index if name not in (INTERCEPT, "rho", "lambda") and name not in lagged]
    sums = weights.declared_sums if weights.declared_sums is not None else np.asarray(weights.matrix.sum(axis=1)).ravel()
    diagonals = weights.declared_diagonal if weights.declared_diagonal is not None else weights.matrix.diagonal()
    m1 = float(np.mean(sums))
    diagonal = float(np.mean(diagonals))  # 0 in every W povdsl builds; a user's matrix may differ

    def tail(value: float, se: float) -> float:
        if not se > 0:
            return np.nan
        z = abs(value / se)
        return float(2 * (sps.norm.sf(z) if df is None else sps.t.sf(z, df)))

    rows = {}
    own_lag = f", {weights.name})"
    for name in regressors:
        if name.startswith("W(") and not name.endswith(own_lag):
            continue  # a lag under another matrix: its impacts need that matrix; the table shows its coefficient
        pure = name.startswith("W(")  # W(z) of a variable z that is not a regressor itself: b_z = 0
        lag = name if pure else durbin.get(name)
        lag = lag if lag in params.index else None
        # each impact is a' (b, t) for a fixed vector a
        weights_of = {"direct": (1.0, diagonal), "total": (1.0, m1), "indirect": (0.0, m1 - diagonal)}
        row: dict[str, float] = {}
        for kind, (on_b, on_t) in weights_of.items():
            names = ([] if pure else [name]) + ([lag] if lag else [])
            a = np.array(([] if pure else [on_b]) + ([on_t] if lag else []))
            value = float(a @ params[names].to_numpy())
            var = float(a @ cov.loc[names, names].to_numpy() @ a)
            se = float(np.sqrt(var)) if var > 0 else 0.0
            row[kind], row[f"{kind}_se"], row[f"{kind}_pvalue"] = value, se, tail(value, se)
        rows[name] = row
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    frame.index.name = "regressor"
    frame.attrs.update({"draws": 0, "method": "exact (linear in the estimates)", "row_sum": m1})
    return frame
