"""Sweep members fitted as updates of their shared design (estimate/member_fit.py, decision 69).

Every reference is computed here on the same arrays: statsmodels' OLS, Logit
and Probit fitted from scratch (and, for the two-way clustered variance,
statsmodels' raw cluster sandwiches combined as the documented CRV1 does),
and povdsl's own adapter on the swapped design, which the fast path must
reproduce down to its failure messages.
"""

from __future__ import annotations

import warnings
from dataclasses import fields, replace

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from statsmodels.discrete.discrete_model import Logit, Probit
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.sandwich_covariance import cov_cluster

from povdsl.errors import EstimationError
from povdsl.estimate import member_fit
from povdsl.estimate.design import Design, Vcov
from povdsl.estimate.fitting import fit_design
from povdsl.estimate.jobs import Failure, SharedDesign, WorkerContext, _fit_member, run_tasks

N = 400
FOCUS = "clusters(census, industry=\"1\")"
VCOVS = {
    "unadjusted": Vcov("unadjusted"),
    "robust": Vcov("robust"),
    "cluster": Vcov("cluster", ("county",)),
    "twoway": Vcov("cluster", ("county", "village")),
}


def _frame(near_collinear: bool, binary: bool = False, seed: int = 66) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """Regressors (Intercept, the focus as first compiled, four controls), and focus columns of further members."""
    rng = np.random.default_rng(seed)
    controls = rng.normal(size=(N, 4))
    if near_collinear:  # a control nearly the sum of two others, a focus nearly a control
        controls[:, 3] = controls[:, 0] + controls[:, 1] + 1e-2 * rng.normal(size=N)  # R^2 of 0.99998 on the others
    county = rng.integers(0, 25, size=N)
    members = [(rng.random(25) < share)[county].astype(float) for share in (0.3, 0.5, 0.2)]
    if near_collinear:
        members.append(controls[:, 0] + 1e-2 * rng.normal(size=N))
    exog = pd.DataFrame({"Intercept": 1.0, FOCUS: members[0], "age": controls[:, 0], "edu": controls[:, 1], "land": controls[:, 2], "capital": controls[:, 3]})
    eta = 0.2 + exog.to_numpy()[:, 1:] @ np.array([0.4, 0.5, -0.3, 0.2, 0.1]) + rng.normal(size=N)
    y = (eta > 0.3).astype(float) if binary else eta
    frame = exog.assign(y=y, county=county, village=rng.integers(0, 9, size=N))
    return frame, members


def _shared(frame: pd.DataFrame, estimator: str, vcov: Vcov, options: tuple = ()) -> SharedDesign:
    exog = frame[["Intercept", FOCUS, "age", "edu", "land", "capital"]]
    design = Design(y=frame.y.rename("y"), exog=exog, groups=frame[["county", "village"]])
    # compiled already: the recipe a worker compiles from (model, focus term, variable, first value) is not needed
    return SharedDesign(estimator, options, model=None, focus=None, var="industry", first="1", column=FOCUS, renamed=FOCUS, design=design, vcov=vcov)  # type: ignore[arg-type]


class _Member(SharedDesign):
    """A compiled design whose member `value` has the focus column `focus_<value>`, zero in every row."""

    def member_column(self, value, frames, cache) -> np.ndarray:
        return np.zeros(N)

    def member_term(self, value: str) -> str:
        return f"focus_{value}"


def _swapped(shared: SharedDesign, values: np.ndarray) -> np.ndarray:
    assert shared.design is not None
    matrix = shared.design.exog.to_numpy(dtype=float, copy=True)
    matrix[:, shared.design.exog.columns.get_loc(FOCUS)] = values
    return matrix


def _adapter(shared: SharedDesign, column: str, values: np.ndarray):
    """povdsl's adapter on the swapped design: what members were before the fast path."""
    assert shared.design is not None and shared.vcov is not None
    names = [column if n == FOCUS else n for n in shared.design.exog.columns]
    exog = pd.DataFrame(_swapped(shared, values), index=shared.design.exog.index, columns=names)
    return fit_design(shared.estimator, replace(shared.design, exog=exog), shared.options, shared.vcov)


def _fast(shared: SharedDesign, column: str, values: np.ndarray):
    assert shared.design is not None and shared.vcov is not None
    result = member_fit.fit_member(shared.estimator, shared.design, shared.options, shared.vcov, shared.column, column, values)
    assert result is not None, "the member should take the fast path"
    return result


def _crv1_twoway(res, frame: pd.DataFrame, n: int, k: int) -> np.ndarray:
    both = pd.factorize(pd.MultiIndex.from_arrays([frame.county, frame.village]))[0]
    raw = sum(sign * cov_cluster(res, codes, use_correction=False) for codes, sign in ((frame.county.to_numpy(), 1), (frame.village.to_numpy(), 1), (both, -1)))
    g = min(frame.county.nunique(), frame.village.nunique())
    return raw * (n - 1) / (n - k) * g / (g - 1)


@pytest.mark.parametrize("near_collinear", [False, True], ids=["random", "near-collinear"])
@pytest.mark.parametrize("kind", list(VCOVS))
def test_ols_members_equal_statsmodels_on_the_same_arrays(kind, near_collinear):
    from scipy.stats import t as student

    frame, members = _frame(near_collinear)
    shared = _shared(frame, "ols", VCOVS[kind])
    y = frame.y.to_numpy()
    for number, values in enumerate(members):
        column = f"member{number}"
        result = _fast(shared, column, values)
        X = _swapped(shared, values)
        n, k = X.shape
        if kind in ("unadjusted", "robust"):
            ref = OLS(y, X).fit(cov_type="nonrobust" if kind == "unadjusted" else "HC1", use_t=True)
            bse, pvalues = ref.bse, ref.pvalues
        elif kind == "cluster":  # statsmodels' own correction is CRV1 for one-way clustering, p from t(G-1)
            ref = OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": frame.county.to_numpy()}, use_t=True)
            bse, pvalues = ref.bse, ref.pvalues
            assert ref.df_resid_inference == frame.county.nunique() - 1
        else:
            ref = OLS(y, X).fit()
            with np.errstate(invalid="ignore"):  # few villages: a two-way variance can be negative (then NaN, as povdsl)
                bse = np.sqrt(np.diag(_crv1_twoway(ref, frame, n, k)))
            pvalues = 2 * student.sf(np.abs(ref.params / bse), min(frame.county.nunique(), frame.village.nunique()) - 1)
        assert list(result.params.index) == ["Intercept", column, "age", "edu", "land", "capital"]
        assert_allclose(result.params.to_numpy(), ref.params, rtol=1e-9, atol=1e-12)
        assert_allclose(result.std_errors.to_numpy(), bse, rtol=1e-9)
        assert_allclose(result.pvalues.to_numpy(), pvalues, rtol=1e-9, atol=1e-300)
        assert result.stats["r2"] == pytest.approx(ref.rsquared, rel=1e-9)
        assert result.stats["loglik"] == pytest.approx(ref.llf, rel=1e-9)
        assert result.nobs == int(ref.nobs)
        # and everything else as povdsl's adapter reports it
        adapter = _adapter(shared, column, values)
        assert result.variance == adapter.variance and result.vcov == adapter.vcov and result.warnings == adapter.warnings
        assert_allclose(result.cov.to_numpy(), adapter.cov.to_numpy(), rtol=1e-9, atol=1e-15)


def test_lpm_members_equal_the_adapter_with_its_fitted_probability_warning():
    frame, members = _frame(False, binary=True)
    shared = _shared(frame, "lpm", Vcov("default"))  # lpm's default: robust HC1
    for values in members:
        result, adapter = _fast(shared, "m", values), _adapter(shared, "m", values)
        ref = OLS(frame.y.to_numpy(), _swapped(shared, values)).fit(cov_type="HC1", use_t=True)
        assert_allclose(result.params.to_numpy(), ref.params, rtol=1e-9)
        assert_allclose(result.std_errors.to_numpy(), ref.bse, rtol=1e-9)
        assert result.warnings == adapter.warnings and result.variance == adapter.variance
    assert any(_adapter(shared, "m", v).warnings for v in members)  # the warning is exercised


@pytest.mark.parametrize("estimator", ["logit", "probit"])
@pytest.mark.parametrize("kind", ["unadjusted", "robust", "cluster"])
def test_binary_members_warm_started_equal_a_cold_statsmodels_fit(estimator, kind):
    frame, members = _frame(False, binary=True)
    shared = _shared(frame, estimator, VCOVS[kind])
    model_class = Logit if estimator == "logit" else Probit
    y = frame.y.to_numpy()
    for values in members:
        result = _fast(shared, "m", values)
        X = _swapped(shared, values)
        args: dict = {"unadjusted": {}, "robust": {"cov_type": "HC0"}, "cluster": {"cov_type": "cluster", "cov_kwds": {"groups": frame.county.to_numpy()}}}[kind]
        cold = model_class(y, X).fit(disp=0, **args)  # statsmodels' one-way cluster correction is CRV1; normal p-values
        assert_allclose(result.params.to_numpy(), cold.params, rtol=1e-7)
        assert_allclose(result.std_errors.to_numpy(), cold.bse, rtol=1e-7)
        assert_allclose(result.pvalues.to_numpy(), cold.pvalues, rtol=1e-6)
        assert result.stats["loglik"] == pytest.approx(cold.llf, rel=1e-10)
        assert result.stats["pseudo_r2"] == pytest.approx(cold.prsquared, rel=1e-8)
        assert result.variance == _adapter(shared, "m", values).variance


def test_the_warm_start_is_the_common_columns_fit_with_the_focus_at_zero():
    frame, members = _frame(False, binary=True)
    shared = _shared(frame, "logit", Vcov("unadjusted"))
    _fast(shared, "m", members[1])
    common = member_fit._CACHE[shared.design]
    assert common is not None and common.start is not None
    controls = frame[["Intercept", "age", "edu", "land", "capital"]].to_numpy()
    reference = Logit(frame.y.to_numpy(), controls).fit(disp=0).params
    assert common.start[1] == 0.0
    assert_allclose(np.delete(common.start, 1), reference, rtol=1e-12)


@pytest.mark.parametrize("estimator", ["ols", "logit"])
def test_a_collinear_or_zero_focus_fails_with_the_adapters_message(estimator):
    frame, _ = _frame(False, binary=estimator == "logit")
    shared = _shared(frame, estimator, Vcov("unadjusted"))
    cases = {
        "zero": np.zeros(N),
        "collinear": 2 * frame.age.to_numpy() - frame.edu.to_numpy() + 1,
        "nearly": frame.age.to_numpy() + 1e-9 * np.random.default_rng(1).normal(size=N),
    }
    for name, values in cases.items():
        with pytest.raises(EstimationError) as before:
            _adapter(shared, f"focus_{name}", values)
        with pytest.raises(EstimationError) as now:
            _fit_member(shared, f"focus_{name}", values)
        assert now.value.message == before.value.message and now.value.hint == before.value.hint
        assert "regressors:" in now.value.message
    member = _Member(**{f.name: getattr(shared, f.name) for f in fields(shared)})
    context = WorkerContext(frames=object(), designs=(member,), compiled={0: member})  # type: ignore[arg-type]  # compiled: no frames read
    failure = run_tasks(context, [("design", 0, "zero")], keep_raw=False)[0]
    assert isinstance(failure, Failure) and failure.message == "regressors: 'focus_zero' is zero in every row"  # the member's own term


def test_members_near_the_rank_tolerance_are_left_to_the_adapter():
    frame, _ = _frame(False)
    shared = _shared(frame, "ols", Vcov("unadjusted"))
    values = frame.age.to_numpy() + 1e-6 * np.random.default_rng(2).normal(size=N)  # fits, but within 1000x the tolerance
    assert shared.design is not None and shared.vcov is not None
    assert member_fit.fit_member("ols", shared.design, (), shared.vcov, FOCUS, "near", values) is None
    result = _fit_member(shared, "near", values)
    assert_allclose(result.params.to_numpy(), _adapter(shared, "near", values).params.to_numpy(), rtol=0)


def test_a_separated_member_gets_the_adapters_separation_error():
    frame, _ = _frame(False, binary=True)
    shared = _shared(frame, "logit", Vcov("unadjusted"))
    separating = frame.y.to_numpy() * 2.0 + 0.5  # splits the outcomes exactly
    assert shared.design is not None and shared.vcov is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert member_fit.fit_member("logit", shared.design, (), shared.vcov, FOCUS, "sep", separating) is None
        with pytest.raises(EstimationError) as before:
            _adapter(shared, "sep", separating)
        with pytest.raises(EstimationError) as now:
            _fit_member(shared, "sep", separating)
    assert now.value.message == before.value.message and "separation" in now.value.message


def test_designs_the_fast_path_does_not_cover_go_to_the_adapter():
    frame, members = _frame(False, binary=True)
    margins = _shared(frame, "logit", Vcov("unadjusted"), (("margins", True),))
    no_constant = replace(_shared(frame, "ols", Vcov("unadjusted")), design=Design(y=frame.y.rename("y"), exog=frame[[FOCUS, "age", "edu"]]))
    for shared in (margins, no_constant):
        assert shared.design is not None and shared.vcov is not None
        assert member_fit.fit_member(shared.estimator, shared.design, shared.options, shared.vcov, FOCUS, "m", members[1]) is None
        result = _fit_member(shared, "m", members[1])
        assert_allclose(result.params.to_numpy(), _adapter(shared, "m", members[1]).params.to_numpy(), rtol=0)


def test_member_fits_are_the_same_bytes_from_a_fresh_process_cache():
    frame, members = _frame(True)
    first = [_fast(_shared(frame, "ols", Vcov("robust")), "m", v) for v in members]
    again = _shared(frame, "ols", Vcov("robust"))  # a new Design object: its common part is computed afresh
    second = [_fast(again, "m", v) for v in members]
    for a, b in zip(first, second):
        for field in ("params", "std_errors", "pvalues"):
            assert getattr(a, field).to_numpy().tobytes() == getattr(b, field).to_numpy().tobytes()


def test_the_members_of_a_design_share_one_label_index_under_the_declared_focus():
    frame, members = _frame(False)
    shared = _shared(frame, "ols", Vcov("unadjusted"))
    first, second = (_fit_member(shared, "clusters(census, industry=industry)", v) for v in members[:2])
    assert list(first.params.index) == ["Intercept", "clusters(census, industry=industry)", "age", "edu", "land", "capital"]
    assert first.params.index is second.params.index
    adapter = _adapter(shared, "clusters(census, industry=industry)", members[1])
    assert second.params.index.dtype == adapter.params.index.dtype
    assert_allclose(second.params.to_numpy(), adapter.params.to_numpy(), rtol=1e-9)
