"""The estimator contract and the checks every adapter shares.

Adapters stay thin because everything that is not a backend call lives here:
sample-size and rank checks that name the offending columns, the mapping from a
spec's variance request to backend arguments, and the assembly of a Result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from povdsl.errors import EstimationError
from povdsl.estimate.design import Design, Vcov
from povdsl.estimate.result import Result, Variance

if TYPE_CHECKING:
    from povdsl.estimate.adapters.variance import Inference

# Relative residual norm below which a column counts as a linear combination of
# the columns before it: R^2 of that auxiliary regression above 1 - 1e-16.
COLLINEARITY_TOLERANCE = 1e-8


# --- sample and rank checks -------------------------------------------------


def check_sample(nobs: int, nparams: int, what: str = "parameters") -> None:
    """Refuse fits that cannot identify their parameters before the backend fails obscurely."""
    if nobs == 0:
        raise EstimationError(
            "the design is empty: no observations are left after listwise deletion",
            hint="check for variables that are missing in every row, or a sample filter that keeps nothing",
        )
    if nobs <= nparams:
        raise EstimationError(
            f"{nobs} observations for {nparams} {what}: the model needs more observations than {what}",
            hint="drop regressors or use a larger sample",
        )


def check_full_rank(frame: pd.DataFrame, *, role: str = "", absorbed_by: str = "") -> None:
    """Raise naming each column that is (nearly) a linear combination of the columns before it.

    Columns are visited in design order, like Stata's "omitted because of
    collinearity", so the message blames the later term. Each column is scaled
    to unit length first so that units do not decide what counts as collinear.
    ``absorbed_by`` names the fixed effects already partialled out of ``frame``,
    so that a column that vanishes is reported as absorbed rather than as zero.
    """
    values = frame.to_numpy(dtype=float)
    if _clearly_full_rank(values):
        return
    kept: list[str] = []
    problems: list[str] = []
    for position, column in enumerate(frame.columns):
        vector = values[:, position]
        length = np.linalg.norm(vector)
        if length <= 1e-12 * max(1.0, np.sqrt(len(vector))):
            problems.append(
                f"'{column}' is absorbed by the {absorbed_by}" if absorbed_by else f"'{column}' is zero in every row"
            )
            continue
        unit = vector / length
        if kept:
            basis = values[:, [frame.columns.get_loc(name) for name in kept]]
            basis = basis / np.linalg.norm(basis, axis=0)
            coefficients, *_ = np.linalg.lstsq(basis, unit, rcond=None)
            residual = unit - basis @ coefficients
            if np.linalg.norm(residual) < COLLINEARITY_TOLERANCE:
                partners = [name for name, c in zip(kept, coefficients) if abs(c) > 1e-6] or kept
                listed = ", ".join(f"'{name}'" for name in partners)
                suffix = f" (after removing the {absorbed_by})" if absorbed_by else ""
                problems.append(f"'{column}' is collinear with {listed}{suffix}")
                continue
        kept.append(str(column))
    if problems:
        prefix = f"{role}: " if role else ""
        raise EstimationError(
            prefix + "; ".join(problems),
            hint=(
                f"a regressor that does not vary once the {absorbed_by} are removed cannot be estimated; drop it"
                if absorbed_by and any("absorbed" in problem for problem in problems)
                else "drop one of the collinear terms from the formula"
            ),
        )


def _clearly_full_rank(values: np.ndarray) -> bool:
    """One Cholesky of the unit-scaled columns' cosine matrix: its diagonal is the length of what
    column j adds to the columns before it, the residual the column-by-column check measures (the
    R diagonal of a QR, from a k x k product instead of a decomposition of the data). The Gram
    matrix squares the rounding, so only a design 1000x clear of the tolerance passes here (as the
    fixed-effects check does); anything nearer goes through the check that names the columns."""
    if values.shape[1] == 0:
        return True
    if values.shape[0] < values.shape[1]:
        return False
    gram = values.T @ values
    lengths = np.sqrt(np.diag(gram))
    if lengths.min() <= 1e-12 * max(1.0, np.sqrt(len(values))) or not np.isfinite(gram).all():
        return False
    try:
        residuals = np.diag(np.linalg.cholesky(gram / np.outer(lengths, lengths)))
    except np.linalg.LinAlgError:
        return False
    return bool(residuals.min() >= 1000 * COLLINEARITY_TOLERANCE)


def within(frame: pd.DataFrame | pd.Series, entity: pd.Series):
    """Subtract entity means: the within transformation that absorbs unit fixed effects."""
    from povdsl.estimate.demean import demean, factor

    demeaned = demean(frame.to_numpy(dtype=float), [factor(entity.to_numpy())])
    if isinstance(frame, pd.Series):
        return pd.Series(demeaned, index=frame.index, name=frame.name)
    return pd.DataFrame(demeaned, index=frame.index, columns=frame.columns)


def check_full_rank_within(original: pd.DataFrame, demeaned: pd.DataFrame, *, role: str, absorbed_by: str) -> None:
    """Rank check after partialling out fixed effects; columns that vanish are reported as absorbed."""
    lengths = np.sqrt((original.astype(float) ** 2).sum()).to_numpy()
    vanished = np.sqrt((demeaned**2).sum()).to_numpy() <= 1e-9 * np.maximum(lengths, 1.0)
    cleaned = demeaned.copy()
    cleaned.loc[:, vanished] = 0.0
    check_full_rank(cleaned, role=role, absorbed_by=absorbed_by)


def check_repeated_units(entity: pd.Series, estimator: str) -> None:
    """Unit effects on a cross-section would absorb every row: say so before the parameter count does."""
    if len(entity) and entity.nunique() == len(entity):
        raise EstimationError(
            f"{estimator}: each value of '{entity.name}' appears in one row only, so unit effects would absorb every observation",
            hint="absorb a column with several rows per value (on a cross-section, a group such as a county), or use ols, or iv/gmm without fe=",
        )


def check_outcome_varies(y: pd.Series, estimator: str) -> None:
    """A constant outcome has nothing to explain: every slope 0 with a zero standard error, t statistics 0/0."""
    values = y.to_numpy(dtype=float)
    if len(values) and np.all(values == values[0]):
        raise EstimationError(
            f"the outcome '{y.name}' is {values[0]:g} in every row of the sample: there is nothing for {estimator} to explain",
            hint="check the sample filter (`where`) and the outcome column",
        )


def check_binary_outcome(y: pd.Series, estimator: str) -> None:
    values = pd.unique(y.to_numpy())
    if not set(values.tolist()) <= {0, 1}:
        shown = ", ".join(f"{v:g}" for v in sorted(values)[:8]) + (", ..." if len(values) > 8 else "")
        raise EstimationError(
            f"{estimator} needs a 0/1 outcome, but '{y.name}' takes the values {shown}",
            hint="recode the outcome to 0/1 (e.g. `poor = income < line`), or use ols for a continuous outcome",
        )
    if len(values) < 2:
        raise EstimationError(
            f"{estimator} needs both outcomes, but '{y.name}' is {values[0]:g} in every row",
            hint="check the sample filter",
        )


# --- variance requests --------------------------------------------------------


def cluster_frame(design: Design, vcov: Vcov, *, max_ways: int, backend: str) -> pd.DataFrame:
    """The cluster variables as integer codes, after checking the backend can use that many and each has two clusters."""
    if not vcov.clusters:
        raise EstimationError("clustered variance requested without a cluster variable", hint="write e.g. `cluster(county)`")
    if len(vcov.clusters) > max_ways:
        ways = "one-way" if max_ways == 1 else f"up to {max_ways}-way"
        raise EstimationError(
            f"{backend} supports only {ways} clustering, but {len(vcov.clusters)} cluster variables were given "
            f"({', '.join(vcov.clusters)})",
            hint="cluster by one variable, or by the coarser of the two",
        )
    missing = [name for name in vcov.clusters if design.groups is None or name not in design.groups]
    if missing or design.groups is None:
        raise EstimationError(f"cluster variable(s) {', '.join(missing)} not in the design's groups")
    from povdsl.estimate.adapters.variance import cluster_counts

    groups = design.groups.loc[:, ~design.groups.columns.duplicated()][list(dict.fromkeys(vcov.clusters))]
    codes = pd.DataFrame({name: pd.factorize(groups[name])[0] for name in groups}, index=groups.index)
    cluster_counts(codes)  # one cluster: G/(G-1) divides by zero (was a ZeroDivisionError for ols)
    return codes


def cluster_text(vcov: Vcov) -> str:
    return "clustered by " + " and ".join(vcov.clusters)


def as_float(frame: pd.DataFrame | pd.Series):
    return frame.astype(float)


def nonempty(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """linearmodels wants None, not a frame without columns."""
    return None if frame is None or frame.shape[1] == 0 else frame


# --- results --------------------------------------------------------------------


def inference_result(
    res, inf: Inference, *, estimator: str, design: Design, variance: Variance, stats: Mapping[str, float], warnings: tuple[str, ...] = ()
) -> Result:
    """A Result from a backend fit whose standard errors povdsl computed itself (`Inference`, the conventions of variance.py)."""
    return build_result(
        estimator=estimator,
        design=design,
        params=res.params,
        std_errors=inf.std_errors,
        tstats=inf.tstats,
        pvalues=inf.pvalues,
        nobs=res.nobs,
        variance=variance,
        cov=inf.cov,
        stats=stats,
        raw=res,
        warnings=warnings,
        names=inf.names,
    )


def build_result(
    *,
    estimator: str,
    design: Design,
    params: pd.Series | np.ndarray,
    std_errors: pd.Series | np.ndarray,
    tstats: pd.Series | np.ndarray,
    pvalues: pd.Series | np.ndarray,
    nobs: int,
    variance: Variance,
    cov: pd.DataFrame | np.ndarray | None,
    stats: Mapping[str, float],
    raw: object,
    warnings: Sequence[str] = (),
    names: Sequence[str] | pd.Index | None = None,
) -> Result:
    """Assemble a Result, dropping statistics the backend could not compute.

    Coefficients come in the design's order (the spec's, from the compiler),
    then any the backend adds (rho, lambda, W(x)) in its own order.
    Statistics are Series (aligned on ``params``' index) or arrays in the order of
    ``names`` (the fast path: a fit on arrays is labelled here, once, with one index
    shared by the four series and the covariance).
    """
    labels = params.index if isinstance(params, pd.Series) else _as_index(names if names is not None else [])
    texts = [str(name) for name in labels.tolist()]  # plain strings: a pandas string Index is slow to build and to iterate
    order, positions = labels, None
    if design.order:
        wanted = design.coefficient_order()
        present = set(texts)
        first = [n for n in wanted if n in present]
        taken = set(first)
        reordered = first + [n for n in texts if n not in taken]
        if reordered != texts:
            place = {name: i for i, name in enumerate(texts)}
            order, positions = pd.Index(reordered), np.array([place[name] for name in reordered], dtype=np.intp)
    index = order if order is not labels or all(isinstance(name, str) for name in labels.tolist()) else pd.Index(texts)
    if cov is None or isinstance(cov, np.ndarray):
        values = None if cov is None else np.asarray(cov, dtype=float) if positions is None else np.asarray(cov, dtype=float)[np.ix_(positions, positions)]
    else:
        frame = pd.DataFrame(cov)
        if frame.index.equals(order) and frame.columns.equals(order):
            values = frame.to_numpy(dtype=float)
        else:
            values = frame.reindex(index=order, columns=order).to_numpy(dtype=float)
    arrays = [_aligned(s, order, positions) for s in (params, std_errors, tstats, pvalues)]
    return labelled_result(
        estimator=estimator, design=design, index=index, arrays=arrays, nobs=nobs, variance=variance, cov=values, stats=stats, raw=raw, warnings=warnings
    )


def labelled_result(
    *,
    estimator: str,
    design: Design,
    index: pd.Index,
    arrays: Sequence[np.ndarray],
    nobs: int,
    variance: Variance,
    cov: np.ndarray | None,
    stats: Mapping[str, float],
    raw: object,
    warnings: Sequence[str] = (),
) -> Result:
    """A Result from float arrays already in the order of ``index`` (params, std_errors, tstats, pvalues)
    and the covariance in that order: one index shared by the four series and the covariance.
    A missing standard error with a finite estimate is said in a warning."""
    series = [pd.Series(values, index=index, copy=False) for values in arrays]
    matrix = None if cov is None else pd.DataFrame(cov, index=index, columns=index, copy=False)
    errors, estimates = arrays[1], arrays[0]
    missing = [str(index[i]) for i in np.flatnonzero(np.isnan(errors) & np.isfinite(estimates))]
    if missing:
        warnings = (
            *warnings,
            f"the estimated variance of {', '.join(repr(m) for m in missing)} is negative "
            "(two-way clustering with few clusters), so the standard error is missing; cluster by one variable",
        )
    return Result(
        params=series[0],
        std_errors=series[1],
        tstats=series[2],
        pvalues=series[3],
        nobs=int(nobs),
        estimator=estimator,
        vcov=variance.text,
        stats={key: float(value) for key, value in stats.items() if value is not None and np.isfinite(value)},
        dropped=design.dropped,
        dependent=str(design.y.name or ""),
        warnings=tuple(warnings),
        raw=raw,
        variance=variance,
        cov=matrix,
    )


def _as_index(names: Sequence[str] | pd.Index) -> pd.Index:
    """An Index as it is (building one from strings is a good part of a small fit's cost)."""
    return names if isinstance(names, pd.Index) else pd.Index(names)


def _aligned(statistic: pd.Series | np.ndarray, order: pd.Index, positions: np.ndarray | None) -> np.ndarray:
    """A statistic as floats in the order of ``order``: a Series aligned by its index, an array
    (in the order of the labels) taken at ``positions`` when the design reorders the coefficients."""
    if isinstance(statistic, pd.Series):
        return np.asarray(statistic if statistic.index.equals(order) else statistic.reindex(order), dtype=float)
    values = np.asarray(statistic, dtype=float)
    return values if positions is None else values[positions]
