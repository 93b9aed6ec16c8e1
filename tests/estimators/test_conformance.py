"""Conformance suite (issue 13.1): every estimator x every variance x data shape, through `povdsl.fit`.

Each fit either agrees with an independent reference computed here, under
the convention docs/estimators.md states, or raises a located povdsl error
that says what to do. References: pyfixest `feols`/`feglm` (fixest's defaults:
CRV1 with nested fixed effects not counted, the smallest G for two-way
clustering, t(G-1)) where it has the estimator; direct statsmodels /
linearmodels calls otherwise. Coefficients rtol 1e-8, standard errors 1e-6.
A hypothesis property then checks that nothing but povdsl's own errors ever
leaves `povdsl.fit` on that grid.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import stats

import povdsl
from povdsl.errors import EstimationError, PovdslError, SpecError

pf = pytest.importorskip("pyfixest")

COEF_RTOL, SE_RTOL = 1e-8, 1e-6
SLOPES = ["x1", "x2"]
VCOVS = ["unadjusted", "robust", "cluster(unit)", "cluster(year)", "cluster(state)", "cluster(state, year)"]


# --- data shapes -------------------------------------------------------------------


def _base(seed: int = 20261130, units: int = 36, periods: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"unit": np.repeat(np.arange(units), periods), "year": np.tile(np.arange(2001, 2001 + periods), units)})
    frame["state"] = frame.unit % 6  # units nested in states
    effect = rng.normal(size=units)[frame.unit]
    frame["z1"] = rng.normal(size=len(frame)) + 0.5 * effect
    frame["z2"] = rng.normal(size=len(frame))
    u = rng.normal(size=len(frame))
    frame["x1"] = 0.7 * frame.z1 + 0.5 * frame.z2 + 0.4 * u + rng.normal(size=len(frame))  # endogenous in the IV models
    frame["x2"] = rng.normal(size=len(frame)) + 0.3 * effect + 0.1 * (frame.year - 2003)
    frame["y"] = 1.0 + 0.8 * frame.x1 - 0.12 * frame.x2 + effect + u * (1 + 0.3 * np.abs(frame.x2))
    frame["b"] = (0.3 * frame.x1 - 0.1 * frame.x2 + 0.5 * effect + rng.logistic(size=len(frame)) > 0.2).astype(float)
    return frame


def _shape(name: str) -> tuple[pd.DataFrame, tuple[str, str] | None]:
    frame = _base()
    if name == "string_ids":
        frame["unit"] = "h" + frame.unit.astype(str).str.zfill(3)
    elif name == "categorical_ids":
        frame["unit"] = pd.Categorical("h" + frame.unit.astype(str))
        frame["state"] = pd.Categorical("s" + frame.state.astype(str))
    elif name == "unbalanced":
        frame = frame.sample(frac=0.8, random_state=1).sort_index().reset_index(drop=True)
    elif name == "gaps":
        frame = frame[~((frame.unit % 3 == 0) & frame.year.isin([2003, 2004]))].reset_index(drop=True)
    elif name == "missing":
        frame.loc[frame.index % 11 == 0, "x2"] = np.nan
        frame.loc[frame.index % 17 == 0, "y"] = np.nan
    elif name == "cross_section":
        frame = frame[frame.year == 2003].drop(columns="year").reset_index(drop=True)
        frame["year"] = frame.unit % 4  # another grouping column, for the cluster(year) request
        return frame, None
    return frame, ("unit", "year")


SHAPES = ["int_ids", "string_ids", "categorical_ids", "unbalanced", "gaps", "missing", "cross_section"]
_FRAMES = {name: _shape(name) for name in SHAPES}


# --- references ---------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    params: pd.Series
    se: pd.Series
    pvalues: pd.Series | None  # None: not compared (the reference's p-values use another distribution)


def _pf_vcov(vcov: str):
    if vcov == "unadjusted":
        return "iid"
    if vcov == "robust":
        return "hetero"
    return {"CRV1": vcov[len("cluster(") : -1].replace(", ", "+")}


def _complete(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame.dropna(subset=columns).reset_index(drop=True)


def _pyfixest_ols(frame, vcov, outcome="y", fixef=""):
    data = _complete(frame, [outcome, *SLOPES])
    formula = f"{outcome} ~ x1 + x2" + (f" | {fixef}" if fixef else "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(formula, data, vcov=_pf_vcov(vcov))
    return Reference(fit.coef(), fit.se(), fit.pvalue())


def _pyfixest_iv(frame, vcov, fixef=""):
    data = _complete(frame, ["y", *SLOPES, "z1", "z2"])
    formula = "y ~ x2" + (f" | {fixef}" if fixef else "") + " | x1 ~ z1 + z2"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(formula, data, vcov=_pf_vcov(vcov))
    return Reference(fit.coef(), fit.se(), fit.pvalue())


def _codes(data: pd.DataFrame, vcov: str) -> np.ndarray:
    names = vcov[len("cluster(") : -1].split(", ")
    return np.column_stack([pd.factorize(data[n])[0] for n in names]).squeeze()


def _statsmodels_binary(frame, vcov, link):
    """Logit/probit on statsmodels; clustered: its raw sandwich with the CRV1 factor (smallest G), normal p-values."""
    from statsmodels.stats.sandwich_covariance import cov_cluster

    data = _complete(frame, ["b", *SLOPES])
    x = sm.add_constant(data[SLOPES])
    model = (sm.Logit if link == "logit" else sm.Probit)(data.b, x)
    if vcov in ("unadjusted", "robust"):
        fit = model.fit(disp=0, **({"cov_type": "HC0"} if vcov == "robust" else {}))
        return Reference(fit.params, fit.bse, fit.pvalues)
    fit = model.fit(disp=0)
    codes = _codes(data, vcov)
    if codes.ndim == 1:
        raw = cov_cluster(fit, codes, use_correction=False)
        g = len(np.unique(codes))
    else:
        both = pd.factorize(pd.MultiIndex.from_arrays([codes[:, 0], codes[:, 1]]))[0]
        raw = sum(sign * cov_cluster(fit, c, use_correction=False) for sign, c in ((1, codes[:, 0]), (1, codes[:, 1]), (-1, both)))
        g = min(len(np.unique(codes[:, 0])), len(np.unique(codes[:, 1])))
    n, k = len(data), x.shape[1]
    se = pd.Series(np.sqrt(np.diag(raw) * (n - 1) / (n - k) * g / (g - 1)), index=fit.params.index)
    return Reference(fit.params, se, pd.Series(2 * stats.norm.sf(np.abs(fit.params / se)), index=se.index))


def _linearmodels_re(frame, vcov):
    from linearmodels.panel import RandomEffects

    data = _complete(frame, ["y", *SLOPES]).copy()
    data["t"] = pd.factorize(data.year, sort=True)[0]
    indexed = data.set_index([pd.Index(data.unit.astype(str), name="unit"), "t"])
    x = sm.add_constant(indexed[SLOPES]).rename(columns={"const": "Intercept"})
    model = RandomEffects(indexed.y, x)
    if vcov in ("unadjusted", "robust"):
        fit = model.fit(cov_type=vcov)
        return Reference(fit.params, fit.std_errors, fit.pvalues)
    clusters = pd.DataFrame(np.atleast_2d(_codes(data, vcov).T).T, index=indexed.index)
    fit = model.fit(cov_type="clustered", clusters=clusters, debiased=False, group_debias=False)
    n, k = len(data), x.shape[1]
    g = int(clusters.nunique().min())
    se = np.sqrt(np.diag(fit.cov) * (n - 1) / (n - k) * g / (g - 1))
    se = pd.Series(se, index=fit.params.index)
    return Reference(fit.params, se, pd.Series(2 * stats.t.sf(np.abs(fit.params / se), g - 1), index=se.index))


def _linearmodels_gmm(frame, vcov, absorb=False):
    """Two-step IV-GMM; with fe= the within transformation and the d/(d-G) df correction of docs/estimators.md."""
    from linearmodels.iv import IVGMM

    data = _complete(frame, ["y", *SLOPES, "z1", "z2"])
    columns = ["y", "x1", "x2", "z1", "z2"]
    block = data[columns].astype(float)
    if absorb:
        block = block - block.groupby(data.unit.astype(str).to_numpy()).transform("mean")
        exog = block[["x2"]]
    else:
        exog = sm.add_constant(block[["x2"]]).rename(columns={"const": "Intercept"})
    kind = vcov if vcov in ("unadjusted", "robust") else "clustered"
    extra = {"clusters": pd.Series(_codes(data, vcov), index=data.index)} if kind == "clustered" else {}
    fit = IVGMM(block.y, exog, block[["x1"]], block[["z1", "z2"]], weight_type=kind, **extra).fit(cov_type=kind, **extra)
    se = fit.std_errors
    if absorb and kind != "clustered":
        n, groups = len(data), data.unit.astype(str).nunique()
        se = se * np.sqrt(n / (n - groups))
        return Reference(fit.params, se, pd.Series(2 * stats.norm.sf(np.abs(fit.params / se)), index=se.index))
    return Reference(fit.params, se, fit.pvalues)


@dataclass(frozen=True)
class Estimator:
    name: str
    line: str  # the model line given to povdsl.fit
    reference: Callable[[pd.DataFrame, str], Reference]
    needs_panel: bool = False
    compared: tuple[str, ...] = ("x1", "x2")


ESTIMATORS = [
    Estimator("ols", "y ~ x1 + x2 | ols", lambda f, v: _pyfixest_ols(f, v)),
    Estimator("lpm", "b ~ x1 + x2 | lpm", lambda f, v: _pyfixest_ols(f, v, outcome="b")),
    Estimator("logit", "b ~ x1 + x2 | logit", lambda f, v: _statsmodels_binary(f, v, "logit")),
    Estimator("probit", "b ~ x1 + x2 | probit", lambda f, v: _statsmodels_binary(f, v, "probit")),
    Estimator("fe", "y ~ x1 + x2 | fe(unit)", lambda f, v: _pyfixest_ols(f, v, fixef="unit"), needs_panel=True),
    Estimator("fe_state", "y ~ x1 + x2 | fe(state)", lambda f, v: _pyfixest_ols(f, v, fixef="state")),  # absorbs a named column: cross-sections too
    Estimator("fe2", "y ~ x1 + x2 | fe(unit, year)", lambda f, v: _pyfixest_ols(f, v, fixef="unit + year"), needs_panel=True),
    Estimator("re", "y ~ x1 + x2 | re(unit)", _linearmodels_re, needs_panel=True),
    Estimator("iv", "y ~ x1 + x2 | iv(iv=z1 + z2, small)", lambda f, v: _pyfixest_iv(f, v)),
    Estimator("iv_fe", "y ~ x1 + x2 | iv(iv=z1 + z2, fe=unit, small)", lambda f, v: _pyfixest_iv(f, v, fixef="unit"), needs_panel=True),
    Estimator("gmm", "y ~ x1 + x2 | gmm(iv=z1 + z2)", lambda f, v: _linearmodels_gmm(f, v)),
    Estimator("gmm_fe", "y ~ x1 + x2 | gmm(iv=z1 + z2, fe=unit)", lambda f, v: _linearmodels_gmm(f, v, absorb=True), needs_panel=True),
]

# The grid: every estimator x variance on one shape; every shape on a few of each kind (the rest are `slow`).
FAST_SHAPES = {"int_ids": None, "string_ids": {"fe2", "iv", "logit"}, "categorical_ids": {"fe", "ols"}, "unbalanced": {"fe2", "iv_fe"},
               "gaps": {"fe2", "re"}, "missing": {"ols", "fe", "gmm"}, "cross_section": {"ols", "probit", "fe", "fe_state"}}


def _cases():
    for shape in SHAPES:
        for estimator in ESTIMATORS:
            for vcov in VCOVS:
                fast = FAST_SHAPES[shape] is None or estimator.name in FAST_SHAPES[shape]
                marks = () if fast else (pytest.mark.slow,)
                yield pytest.param(shape, estimator, vcov, id=f"{shape}-{estimator.name}-{vcov}", marks=marks)


def _fit(shape: str, estimator: Estimator, vcov: str):
    frame, panel = _FRAMES[shape]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return povdsl.fit(estimator.line, frame, panel=panel, vcov=vcov)


@pytest.mark.parametrize("shape, estimator, vcov", list(_cases()))
def test_fit_agrees_with_reference_or_refuses_clearly(shape, estimator, vcov):
    frame, _ = _FRAMES[shape]
    expected_error = _expected_error(shape, estimator, vcov)
    if expected_error is not None:
        with pytest.raises(PovdslError) as caught:
            _fit(shape, estimator, vcov)
        _assert_located_and_helpful(caught.value, expected_error)
        return
    reference = estimator.reference(frame, vcov)
    names = list(estimator.compared)
    result = _fit(shape, estimator, vcov)
    assert_allclose(result.params[names].to_numpy(), reference.params[names].to_numpy(), rtol=COEF_RTOL)
    assert_allclose(result.std_errors[names].to_numpy(), reference.se[names].to_numpy(), rtol=SE_RTOL)
    if reference.pvalues is not None:
        assert_allclose(result.pvalues[names].to_numpy(), reference.pvalues[names].to_numpy(), rtol=SE_RTOL, atol=1e-12)
    assert result.cov is not None
    if result.std_errors[names].isna().any():  # a negative two-way variance: missing as in pyfixest, and said
        assert any("negative" in w for w in result.warnings)
    assert_allclose(np.sqrt(np.diag(result.cov.loc[names, names])), result.std_errors[names], rtol=1e-12)


def _expected_error(shape: str, estimator: Estimator, vcov: str) -> str | None:
    """The combinations povdsl refuses, with a word the message must contain."""
    if shape == "cross_section" and estimator.name in ("fe", "fe2"):
        return "one row only"  # fe runs on a cross-section, but the unit is unique there: it would absorb every row
    if shape == "cross_section" and estimator.needs_panel:
        return "panel"  # the checker's error about the data comes first
    if estimator.name.startswith("gmm") and vcov == "cluster(state, year)":
        return "one-way"
    return None


def _assert_located_and_helpful(error: PovdslError, word: str) -> None:
    if isinstance(error, SpecError):
        assert error.diagnostics and all(d.span is not None for d in error.diagnostics)
        text = " ".join(f"{d.message} {d.hint or ''}" for d in error.diagnostics)
    else:
        assert isinstance(error, EstimationError) and error.hint, repr(error)
        text = f"{error.message} {error.hint}"
    assert word in text, text


# --- the property: nothing but povdsl's errors leaves fit -----------------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

EXTRA_LINES = [
    "y ~ x1 | fe(unit, unit)",
    "y ~ x1 + x1 | ols",
    "y ~ x1 | iv(iv=x1)",
    "b ~ x1 | logit(maxiter=1)",
    "y ~ C(state) + x1 | fe(unit)",
    "y ~ unit | ols",
    "y ~ x1 | gmm(iv=z1, endog=x2)",
    "y ~ log(x1) | ols",
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.sampled_from(SHAPES),
    line=st.sampled_from([e.line for e in ESTIMATORS] + EXTRA_LINES),
    vcov=st.sampled_from([*VCOVS, "cluster(unit, unit)", "cluster(nope)", "hc3", "cluster(unit, year, state)"]),
    rows=st.integers(min_value=0, max_value=40),
)
def test_nothing_but_povdsl_errors_leaves_fit(shape, line, vcov, rows):
    frame, panel = _FRAMES[shape]
    frame = frame.iloc[: rows * 5]  # from empty to a few hundred rows
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            povdsl.fit(line, frame, panel=panel, vcov=vcov)
    except PovdslError:
        pass
