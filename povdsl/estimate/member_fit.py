"""Sweep members of a shared design, fitted as updates of the columns they share (decision 69).

A sweep over industries fits the same design hundreds of times with only the
focus column changed. statsmodels has no rank-one design update, so a
per-member statsmodels fit redoes what every member shares (two SVDs per OLS
fit, model set-up, Newton from zero for logit). Here what the members share is
computed once per design and process (`_common`, memoised on the Design object,
so in-process, pool and Dask workers compute it from the same arrays and give
the same bits), and each member is an update:

- OLS and LPM: the common columns Z are factored once (QR). A member with focus
  column x is the Frisch-Waugh-Lovell update: r = x residualised on Z (projected
  twice, for accuracy), b_x = r'y / r'r, b_Z = b_Z0 - g b_x with g = (Z'Z)^-1 Z'x,
  residuals e = e_0 - b_x r, and (X'X)^-1 by the block formula. Every variance
  the OLS adapter offers is computed on these arrays with the adapter's
  conventions (docs/estimators.md): unadjusted s^2 (X'X)^-1, robust HC1 =
  n/(n-k) A' diag(e^2) A with A = X (X'X)^-1, and clustered CRV1 (one- or
  two-way) from the cluster sums of x_i e_i; t(n-k) or t(G-1).
- Logit and probit: statsmodels' own Newton, warm-started from the fit of the
  common columns with the focus coefficient at zero (computed once per design;
  for logit, moved on by Newton's first step, which costs O(nk) there),
  with statsmodels' perfect-prediction test done on the linear predictor
  instead of a second predict call. A member whose fit is anything but clean
  (a warning, non-convergence, fitted probabilities near 0 or 1, an exception)
  is refitted by the adapter from statsmodels' cold start, so every failure
  message and warning is exactly the adapter's.

A run names every member's focus coefficient as the sweep's items do
(`SharedDesign.renamed`), so the members of a design share one label Index.

Rank: the common columns are checked once per design. A member is taken by the
fast path only when every column, scaled to unit length, is at least
1000 x COLLINEARITY_TOLERANCE away from the span of all the others (read off
the diagonal of (X'X)^-1); the adapter's column-by-column check can then not
fail. Anything nearer, a zero focus column among them, goes to the adapter,
which reports it exactly as before.

What stays with the adapter (`fit_member` returns None): estimators other than
ols, lpm, logit and probit; `margins`; designs whose common columns are not
clearly of full rank, or (OLS, LPM) have no explicit constant column; designs
whose clustering the adapter refuses; non-finite focus values; members near
collinearity; unclean binary fits (above).
"""

from __future__ import annotations

import threading
import warnings
import weakref
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from povdsl.errors import EstimationError
from povdsl.estimate.adapters.base import COLLINEARITY_TOLERANCE, check_binary_outcome, check_full_rank, check_outcome_varies, check_sample, labelled_result
from povdsl.estimate.adapters.variance import inference
from povdsl.estimate.design import Design, Vcov
from povdsl.estimate.registry import REGISTRY, get
from povdsl.estimate.result import Result, Variance

LINEAR = ("ols", "lpm")
BINARY = ("logit", "probit")

# A column counts as clearly identified when (X'X)^-1_jj * ||x_j||^2, the inverse squared distance of the
# unit-scaled column from the span of all the others, is at most this: distance >= 1000 x the rank tolerance.
_CLEAR = (1000 * COLLINEARITY_TOLERANCE) ** -2


@dataclass(frozen=True, eq=False)
class _Common:
    """What every member of one shared design has in common, computed once per design and process."""

    estimator: str
    options: Mapping[str, object]
    design: Design  # the shared design (its outcome's name and dropped rows label every member)
    y: np.ndarray
    exog: np.ndarray  # the design's regressors (the focus column as compiled for the first member)
    focus: int  # position of the focus column in exog
    z: np.ndarray  # the common columns (exog without the focus column), in exog order
    q: np.ndarray  # Z = Q R, reduced
    r_inv: np.ndarray  # R^-1
    zz_inv: np.ndarray  # (Z'Z)^-1
    z_norms2: np.ndarray  # squared column lengths of Z
    order: np.ndarray  # result position -> position in [Z, x] (the focus is last there)
    labels: np.ndarray  # coefficient labels in result order (object array; the focus slot is the member's or the sweep's)
    slot: int  # the focus's result position
    variance: Variance
    df: int | None  # t degrees of freedom (None: normal)
    cluster_codes: tuple[np.ndarray, ...]  # per cluster sandwich term: the group codes (two-way: a, b, a x b)
    cluster_sort: tuple[tuple[np.ndarray, np.ndarray], ...]  # per cluster sandwich term: row order and group starts
    cluster_signs: tuple[float, ...]  # V_a + V_b - V_ab
    fit_args: Mapping[str, object]  # the binary fit's statsmodels covariance keywords
    b0: np.ndarray  # OLS: coefficients of y on Z
    e0: np.ndarray  # OLS: residuals of y on Z
    tss: float  # OLS: centred total sum of squares
    start: np.ndarray | None  # logit/probit: the common columns' fit, with 0 for the focus, in exog order
    newton: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None  # logit: at that fit, the weights p(1-p), WZ, (Z'WZ)^-1 and y - p
    null_loglik: float  # logit/probit: the constant-only log-likelihood
    last_index: list[tuple[str, pd.Index]]  # the labels last built, as one (name, Index) pair (the members of a run share them)


_CACHE: weakref.WeakKeyDictionary[Design, _Common | None] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()  # Dask workers run members in threads


def fit_member(estimator: str, design: Design, options: tuple | Mapping[str, object], vcov: Vcov, compiled: str, column: str, values: np.ndarray) -> Result | None:
    """The member whose focus column (`compiled` in `design`) is `column` with `values`; None: fit it the adapter's way.

    `column` names the focus coefficient and, as in the adapter, the column its errors blame. A run
    passes the sweep's declared focus for every member (jobs._run_member), so the members of a design
    share one label Index."""
    if estimator not in LINEAR + BINARY:
        return None
    with _LOCK:
        if design not in _CACHE:
            _CACHE[design] = _prepare(estimator, design, options, vcov, compiled)
        common = _CACHE[design]
    if common is None:
        return None
    x = np.asarray(values, dtype=float)
    if x.shape != common.y.shape or not np.isfinite(x).all():
        return None
    if common.estimator in LINEAR:
        return _linear(common, column, x)
    return _binary(common, column, x)


# --- per design ---------------------------------------------------------------------------


def _prepare(estimator: str, design: Design, options: tuple | Mapping[str, object], vcov: Vcov, compiled: str) -> _Common | None:
    """The common part, or None when the fast path does not cover this design (see the module docstring)."""
    from povdsl.estimate.adapters.cross_section import _statsmodels_cov, cluster_variance, plain_variance

    record = REGISTRY[estimator]
    merged = {**record.option_defaults(), **dict(options)}
    if merged.get("margins") or design.endog is not None:
        return None
    columns = [str(c) for c in design.exog.columns]
    if compiled not in columns:
        return None
    n, k = design.exog.shape
    focus = columns.index(compiled)
    linear = estimator in LINEAR
    try:
        check_sample(n, k)
        if estimator != "ols":
            check_binary_outcome(design.y, estimator)
        else:
            check_outcome_varies(design.y, estimator)
        y, exog = design.y.to_numpy(dtype=float), design.exog.to_numpy(dtype=float)
        z = np.delete(exog, focus, axis=1)
        check_full_rank(pd.DataFrame(z), role="regressors")
        resolved = get(estimator).resolved_vcov(vcov)
        fit_args, text = _statsmodels_cov(design, resolved, "HC1" if linear else "HC0")
        if resolved.kind == "cluster":
            from povdsl.estimate.adapters.base import cluster_frame

            clusters = cluster_frame(design, resolved, max_ways=2, backend="statsmodels")
            variance = cluster_variance(n, k, clusters, text, linear=linear)
        else:
            clusters, variance = None, plain_variance(resolved.kind, text, n, k, linear=linear, robust_kind="HC1" if linear else "HC0")
    except EstimationError:
        return None  # the adapter reports it, member by member, as it always has
    if not (np.isfinite(y).all() and np.isfinite(exog).all()):
        return None
    constant = np.flatnonzero((np.ptp(z, axis=0) == 0) & (z[0] != 0))
    if linear and len(constant) != 1:
        return None  # statsmodels' R-squared depends on how it detects the constant; keep its own path
    q, r = np.linalg.qr(z)
    r_inv = np.linalg.inv(r)
    zz_inv = r_inv @ r_inv.T
    z_norms2 = np.einsum("ij,ij->j", z, z)
    if not (z_norms2 * np.diag(zz_inv) <= _CLEAR).all():
        return None
    order, labels = _result_order(design, columns, focus)
    codes, sorts, signs = _cluster_sorts(clusters)
    b0 = r_inv @ (q.T @ y)
    e0 = y - z @ b0
    start, newton, null = None, None, 0.0
    if not linear:
        start = _common_fit(estimator, y, z, focus, int(str(merged["maxiter"])))
        newton = _first_step_parts(y, z, np.delete(start, focus)) if start is not None and estimator == "logit" else None
        ones = float(y.sum())
        null = ones * np.log(ones / n) + (n - ones) * np.log1p(-ones / n)
    return _Common(
        estimator=estimator,
        options=merged,
        design=design,
        y=y,
        exog=exog,
        focus=focus,
        z=z,
        q=q,
        r_inv=r_inv,
        zz_inv=zz_inv,
        z_norms2=z_norms2,
        order=order,
        labels=labels,
        slot=int(np.flatnonzero(order == k - 1)[0]),
        variance=variance,
        df=variance.df,
        cluster_codes=codes,
        cluster_sort=sorts,
        cluster_signs=signs,
        fit_args=fit_args if not linear else {},
        b0=b0,
        e0=e0,
        tss=float(np.sum((y - y.mean()) ** 2)),
        start=start,
        newton=newton,
        null_loglik=null,
        last_index=[],
    )


def _result_order(design: Design, columns: list[str], focus: int) -> tuple[np.ndarray, np.ndarray]:
    """Result position -> [Z, x] position, and the labels in result order: build_result's ordering
    (the spec's order first, then the rest as they stand), decided by positions, once per design."""
    k = len(columns)
    design_order = [i for i in design.order if i < k] if design.order else list(range(k))
    result = design_order + [i for i in range(k) if i not in set(design_order)]
    to_zx = np.array([k - 1 if i == focus else i - (i > focus) for i in range(k)], dtype=np.intp)
    return to_zx[result], np.array([columns[i] for i in result], dtype=object)


def _cluster_sorts(clusters: pd.DataFrame | None) -> tuple[tuple[np.ndarray, ...], tuple[tuple[np.ndarray, np.ndarray], ...], tuple[float, ...]]:
    """Codes, row order and group starts of each cluster sandwich term (two-way: a, b and their intersection,
    as `variance.twoway_raw`)."""
    if clusters is None:
        return (), (), ()
    codes = [clusters.iloc[:, i].to_numpy() for i in range(clusters.shape[1])]
    signs = [1.0] * len(codes)
    if len(codes) == 2:
        codes.append(pd.factorize(pd.MultiIndex.from_arrays(codes[:2]))[0])
        signs.append(-1.0)
    sorts = []
    for c in codes:
        rows = np.argsort(c, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(c[rows]) != 0])
        sorts.append((rows, starts))
    return tuple(codes), tuple(sorts), tuple(signs)


def _common_fit(estimator: str, y: np.ndarray, z: np.ndarray, focus: int, maxiter: int) -> np.ndarray | None:
    """The binary model on the common columns, the focus coefficient inserted as 0: every member's start."""
    from statsmodels.discrete.discrete_model import Logit, Probit

    model_class = Logit if estimator == "logit" else Probit
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = model_class(y, z, check_rank=False).fit(disp=0, maxiter=maxiter)
        except Exception:  # separation or a singular Hessian on the common columns: members start cold
            return None
    if caught or not res.mle_retvals.get("converged", False) or not np.isfinite(res.params).all():
        return None
    return np.insert(np.asarray(res.params, dtype=float), focus, 0.0)


def _first_step_parts(y: np.ndarray, z: np.ndarray, b0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """What the logit Newton step from (b0, 0) needs of the common columns: at b0 the score of Z is zero,
    so the step is s_x / S along the focus column of the inverse Hessian, S its Schur complement."""
    with np.errstate(over="ignore"):
        p = 1.0 / (1.0 + np.exp(-(z @ b0)))
    w = p * (1.0 - p)
    wz = z * w[:, None]
    try:
        inverse = np.linalg.inv(z.T @ wz)
    except np.linalg.LinAlgError:
        return None
    return w, wz, inverse, y - p


def _logit_start(common: _Common, x: np.ndarray) -> np.ndarray | None:
    """Newton's first iterate from the common fit (focus 0), in O(nk): one statsmodels iteration fewer.
    Only a start: the fit still runs statsmodels' Newton to its own tolerance."""
    if common.newton is None or common.start is None:
        return common.start
    w, wz, inverse, residual = common.newton
    zwx = wz.T @ x
    g = inverse @ zwx
    schur = float(x @ (w * x) - zwx @ g)
    if not schur > 0:
        return common.start
    step = float(x @ residual) / schur
    start = common.start.copy()
    start[np.arange(len(start)) != common.focus] -= g * step
    start[common.focus] = step
    return start if np.isfinite(start).all() else common.start


# --- per member ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Update:
    """The focus column against the common columns: residual r, g = (Z'Z)^-1 Z'x, r'r, and (X'X)^-1 in [Z, x] order."""

    r: np.ndarray
    g: np.ndarray
    rr: float
    xx_inv: np.ndarray


def _update(common: _Common, column: str, x: np.ndarray) -> _Update | None:
    """None when the member is not clearly of full rank (the adapter's check then decides and words it).

    A focus column of zeros is the adapter's error at once: with the common columns clearly of full
    rank it is the only column its check names, and the check words it."""
    if float(x @ x) <= (1e-12 * max(1.0, np.sqrt(len(x)))) ** 2:
        check_full_rank(pd.DataFrame({column: x}), role="regressors")  # raises the adapter's "is zero in every row"
    q = common.q
    qx = q.T @ x
    r = x - q @ qx
    again = q.T @ r  # a second projection: x nearly in the span of Z loses digits in one
    r = r - q @ again
    rr = float(r @ r)
    xx = float(x @ x)
    if not (rr > 0 and xx > 0) or xx <= (1e-12 * max(1.0, np.sqrt(len(x)))) ** 2 or xx / rr > _CLEAR:
        return None
    g = common.r_inv @ (qx + again)
    inv = np.empty((len(g) + 1, len(g) + 1))
    inv[:-1, :-1] = common.zz_inv + np.outer(g, g) / rr
    inv[:-1, -1] = inv[-1, :-1] = -g / rr
    inv[-1, -1] = 1.0 / rr
    if not (np.diag(inv)[:-1] * common.z_norms2 <= _CLEAR).all():
        return None
    return _Update(r, g, rr, inv)


def _labels(common: _Common, name: str) -> pd.Index:
    """The coefficient labels with the focus named `name`, built once per design for the name its
    members share (an Index is immutable; building a string Index costs more than a member's algebra)."""
    for known, index in common.last_index:
        if known == name:
            return index
    labels = common.labels.tolist()
    labels[common.slot] = name
    index = pd.Index(labels)  # the adapter's Index type
    common.last_index[:] = [(name, index)]
    return index


def _linear(common: _Common, column: str, x: np.ndarray) -> Result | None:
    """OLS / LPM by the Frisch-Waugh-Lovell update (module docstring)."""
    update = _update(common, column, x)
    if update is None:
        return None
    n, k = len(x), len(update.g) + 1
    bx = float(update.r @ common.y) / update.rr
    params = np.append(common.b0 - update.g * bx, bx)
    resid = common.e0 - bx * update.r
    ssr = float(resid @ resid)
    kind = common.variance.kind
    if kind == "unadjusted":
        cov = update.xx_inv * (ssr / (n - k))
    elif kind == "robust":
        bread = np.column_stack([common.q @ common.r_inv.T - np.outer(update.r, update.g) / update.rr, update.r / update.rr])  # X (X'X)^-1
        cov = (bread.T @ (bread * (resid**2)[:, None])) * (n / (n - k))
    else:
        scores = np.column_stack([common.z, x]) * resid[:, None]
        meat = np.zeros((k, k))
        for (rows, starts), sign in zip(common.cluster_sort, common.cluster_signs):
            sums = np.add.reduceat(scores[rows], starts, axis=0)
            meat += sign * (sums.T @ sums)
        cov = update.xx_inv @ meat @ update.xx_inv * common.variance.factor
    notes: tuple[str, ...] = ()
    if common.estimator == "lpm":
        fitted = common.y - resid
        outside = int(((fitted < 0) | (fitted > 1)).sum())
        if outside:
            notes = (f"{outside} fitted probabilities lie outside [0, 1]",)
    llf = -np.log(ssr) * n / 2 - (1 + np.log(np.pi / (n / 2))) * n / 2
    return _result(common, column, params, cov, n, {"r2": 1 - ssr / common.tss, "loglik": llf}, notes)


def _binary(common: _Common, column: str, x: np.ndarray) -> Result | None:
    """Logit / probit: statsmodels' Newton from the common fit; anything unclean goes to the adapter."""
    from statsmodels.discrete.discrete_model import Logit, Probit

    if _update(common, column, x) is None:
        return None
    exog = common.exog.copy()
    exog[:, common.focus] = x
    model = (Logit if common.estimator == "logit" else Probit)(common.y, exog, check_rank=False)
    check = _perfect_prediction(model, exog, common.y)
    maxiter = int(str(common.options["maxiter"]))
    res = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            start = _logit_start(common, x)
            if common.variance.kind == "unadjusted" and start is not None:
                params, cov, converged = _newton(model, start, maxiter, check)
            else:
                res = model.fit(start_params=start, disp=0, maxiter=maxiter, callback=check, **common.fit_args)
                params, converged = np.asarray(res.params, dtype=float), bool(res.mle_retvals.get("converged", False))
        except Exception:
            return None
        if not converged:
            return None
        with np.errstate(over="ignore", under="ignore"):
            fitted = model.cdf(exog @ params)
    from povdsl.estimate.adapters.cross_section import NEAR_CERTAIN

    if caught or not (np.minimum(fitted, 1 - fitted) >= NEAR_CERTAIN).all():
        return None
    if res is not None and common.variance.kind == "cluster":
        from statsmodels.stats.sandwich_covariance import cov_cluster

        raw = sum(sign * cov_cluster(res, codes, use_correction=False) for codes, sign in zip(common.cluster_codes, common.cluster_signs))
        cov = np.asarray(raw, dtype=float) * common.variance.factor
    elif res is not None:
        cov = np.asarray(res.cov_params(), dtype=float)
    zx = np.r_[np.delete(np.arange(len(params)), common.focus), common.focus]  # exog order -> [Z, x] order
    llf = float(model.loglike(params))
    return _result(common, column, params[zx], cov[np.ix_(zx, zx)], len(common.y), {"pseudo_r2": 1.0 - llf / common.null_loglik, "loglik": llf}, ())


def _newton(model, start: np.ndarray, maxiter: int, callback) -> tuple[np.ndarray, np.ndarray, bool]:
    """What `LikelihoodModel.fit(method="newton")` computes for an unadjusted variance, without its results
    classes: statsmodels' optimizer on the model's -loglike/n, score and Hessian, and the inverse of the
    Hessian it returns at the optimum, divided by n (statsmodels' `normalized_cov_params`)."""
    from statsmodels.base.optimizer import Optimizer

    nobs = model.endog.shape[0]
    params, retvals, _ = Optimizer()._fit(
        lambda p, *args: -model.loglike(p) / nobs,
        lambda p, *args: -model.score(p) / nobs,
        start,
        (),
        {},
        hessian=lambda p, *args: -model.hessian(p) / nobs,
        method="newton",
        maxiter=maxiter,
        full_output=True,
        disp=False,
        callback=callback,
    )
    return np.asarray(params, dtype=float), np.linalg.inv(retvals["Hessian"]) / nobs, bool(retvals["converged"])


def _perfect_prediction(model, exog: np.ndarray, endog: np.ndarray):
    """statsmodels' per-iteration `_check_perfect_pred` (it warns when np.allclose(fitted - endog, 0)),
    decided first on the linear predictor: a |z| < 5 puts that fitted probability at least
    Phi(-5) = 2.9e-7 from both 0 and 1 (logit and probit), so the test fails without computing it."""
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    def check(params, *args) -> None:
        linear = exog @ params
        if np.abs(linear).min() < 5.0:
            return
        if np.all(np.abs(model.cdf(linear) - endog) <= 1e-8):
            warnings.warn("Perfect separation or prediction detected, parameter may not be identified", PerfectSeparationWarning, stacklevel=2)

    return check


def _result(common: _Common, name: str, params: np.ndarray, cov: np.ndarray, nobs: int, stats: Mapping[str, float], notes: tuple[str, ...]) -> Result:
    """The member's Result from arrays in [Z, x] order, in the adapter's coefficient order, its focus named `name`."""
    order = common.order
    inf = inference(params[order], cov[np.ix_(order, order)], common.df, names=_labels(common, name))
    return labelled_result(
        estimator=common.estimator,
        design=common.design,
        index=inf.names,
        arrays=(params[order], inf.std_errors, inf.tstats, inf.pvalues),
        nobs=nobs,
        variance=common.variance,
        cov=inf.cov,
        stats=stats,
        raw=None,
        warnings=notes,
    )
