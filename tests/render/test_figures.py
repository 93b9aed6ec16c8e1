"""Figures: the plotted data equal independently computed estimates and intervals; the bytes are stable.

References: statsmodels fitted directly (OLS: t(n - k) intervals; logit:
normal intervals), with quantiles from scipy, never from povdsl.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import povdsl
from povdsl.errors import PovdslError
from povdsl.estimate.sweep import SweepItem, SweepResult
from povdsl.render.figure_model import critical_value, reference_df
from povdsl.render.figures import figure_bytes

TERMS = ["GPA", "TUCE", "PSI"]


@pytest.fixture(scope="module")
def spector() -> pd.DataFrame:
    return sm.datasets.spector.load_pandas().data


@pytest.fixture(scope="module")
def fits(spector):
    ols = povdsl.fit("GRADE ~ GPA + TUCE + PSI | ols", spector)
    logit = povdsl.fit("GRADE ~ GPA + TUCE + PSI | logit", spector)
    return ols, logit


def _reference(spector, level):
    """(params, low, high) per model from statsmodels itself and scipy's quantiles."""
    X = sm.add_constant(spector[TERMS])
    ols = sm.OLS(spector["GRADE"], X).fit()  # povdsl's OLS default variance is the unadjusted one
    ols_se = ols.bse
    logit = sm.Logit(spector["GRADE"], X).fit(disp=0)
    q_t = stats.t.ppf((1 + level) / 2, ols.df_resid)
    return [
        (ols.params[TERMS], ols.params[TERMS] - q_t * ols_se[TERMS], ols.params[TERMS] + q_t * ols_se[TERMS]),
        (logit.params[TERMS], logit.conf_int(1 - level).loc[TERMS, 0], logit.conf_int(1 - level).loc[TERMS, 1]),
    ]


def _by_gid(ax, prefix):
    return {a.get_gid(): a for a in ax.get_children() if (a.get_gid() or "").startswith(prefix)}


def _intervals(ax, k):
    """(y, low, high) of series k's error bars, as drawn."""
    (collection,) = [c for gid, c in _by_gid(ax, "interval-").items() if gid == f"interval-{k}"]
    return [(seg[0][1], min(seg[0][0], seg[1][0]), max(seg[0][0], seg[1][0])) for seg in collection.get_segments()]


@pytest.mark.parametrize("level", [0.95, 0.90])
def test_coefplot_markers_and_bars_equal_estimates_and_intervals(spector, fits, level):
    fig = povdsl.coefplot(list(fits), level=level, names=["OLS", "Logit"])
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == TERMS  # intercept left out, model order kept
    for k, (params, low, high) in enumerate(_reference(spector, level)):
        line = _by_gid(ax, "estimate-")[f"estimate-{k}"]
        np.testing.assert_allclose(line.get_xdata(), params.to_numpy(), rtol=1e-7)
        bars = _intervals(ax, k)
        np.testing.assert_allclose([b[1] for b in bars], low.to_numpy(), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose([b[2] for b in bars], high.to_numpy(), rtol=1e-6, atol=1e-9)
        # each marker sits on its interval's row, rows in term order, models side by side
        np.testing.assert_allclose(line.get_ydata(), [b[0] for b in bars])
        assert np.all(np.abs(np.asarray(line.get_ydata()) - np.arange(3)) < 0.5)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["OLS", "Logit"]
    zero = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [0.0, 0.0]]
    assert len(zero) == 1  # the zero line


def test_keep_drop_order_and_labels_choose_rows_as_tables_do(fits):
    fig = povdsl.coefplot(list(fits), drop=["TUCE"], order=["PSI"], labels={"PSI": "tutoring"})
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["tutoring", "GPA"]
    kept = povdsl.coefplot(fits[0], keep=["Intercept", "GPA"])
    assert [t.get_text() for t in kept.axes[0].get_yticklabels()] == ["GPA", "Constant"]  # labelled as tables label it
    globbed = povdsl.coefplot(fits[0], keep=["*P*"])  # globs as in tables
    assert [t.get_text() for t in globbed.axes[0].get_yticklabels()] == ["GPA", "PSI"]
    with pytest.raises(povdsl.SpecError, match="E197"):
        povdsl.coefplot(fits[0], keep=["GPAA"])  # an item matching nothing is an error, not an empty figure


def test_reference_distribution_is_read_back_from_t_and_p(fits, spector):
    ols, logit = fits
    assert reference_df(ols.tstats.tolist(), ols.pvalues.tolist()) == len(spector) - 4
    assert reference_df(logit.tstats.tolist(), logit.pvalues.tolist()) is None
    assert critical_value(0.95, None) == pytest.approx(1.959963984540054, abs=1e-12)
    assert critical_value(0.95, 28) == pytest.approx(stats.t.ppf(0.975, 28), abs=1e-12)


@pytest.mark.parametrize("df", [1, 2, 5, 17, 44, 99, 500, 5000, 100000])
def test_reference_df_reads_whole_degrees_of_freedom_back_from_scipy_stats_tails(df):
    """Every (t, p) pair of a t(df) tail gives df back exactly; a normal tail gives None."""
    for t in (0.3, 1.7, 1.96, 2.5, 4.0):
        p = 2 * stats.t.sf(t, df)
        if 1e-12 < p < 0.999:
            assert reference_df([t], [p]) == df, (t, p)
        assert reference_df([t], [2 * stats.norm.sf(t)]) is None
    for level in (0.90, 0.95, 0.99):
        assert critical_value(level, df) == stats.t.ppf((1 + level) / 2, df)
        assert critical_value(level, None) == stats.norm.ppf((1 + level) / 2)


def _sweep(spector) -> SweepResult:
    """A sweep stand-in from real fits: one OLS per half of the sample and per PSI group."""
    parts = {
        "all": spector,
        "low TUCE": spector[spector.TUCE < spector.TUCE.median()],
        "high TUCE": spector[spector.TUCE >= spector.TUCE.median()],
        "no tutoring": spector[spector.PSI == 0],
        "tutoring": spector[spector.PSI == 1],
    }
    items = tuple(
        SweepItem(str(i), name, 3, povdsl.fit("GRADE ~ GPA + TUCE | ols", part)) for i, (name, part) in enumerate(parts.items())
    )
    return SweepResult("by_group", "GPA", items, ())


def test_sweepplot_sorts_by_estimate_and_fills_only_significant_members(spector):
    sweep = _sweep(spector)
    fig = povdsl.sweepplot(sweep, level=0.90)
    (ax,) = fig.axes
    expected = sorted(((float(i.result.params["GPA"]), i.name, i.result) for i in sweep.items), key=lambda e: -e[0])
    assert [t.get_text() for t in ax.get_yticklabels()] == [name for _, name, _ in expected]
    points = _by_gid(ax, "estimate-")["estimate-0"]
    np.testing.assert_allclose(points.get_offsets()[:, 0], [b for b, _, _ in expected], rtol=1e-9)
    faces = points.get_facecolors()
    significance = []
    for (b, _name, result), face, (_, low, high) in zip(expected, faces, _intervals(ax, 0)):
        n = result.nobs
        q = stats.t.ppf(0.95, n - 3)
        se = float(result.std_errors["GPA"])
        assert (low, high) == pytest.approx((b - q * se, b + q * se), rel=1e-6)
        significant = float(result.pvalues["GPA"]) < 0.10
        assert significant == (low > 0 or high < 0)
        assert (tuple(face[:3]) == (1.0, 1.0, 1.0)) == (not significant)  # hollow unless significant
        significance.append(significant)
    assert True in significance and False in significance  # both kinds drawn


@pytest.mark.parametrize("fmt", ["pdf", "svg", "png"])
def test_two_renders_give_identical_bytes(fits, fmt):
    first = povdsl.coefplot(list(fits))
    figure_bytes(first, "png")  # an earlier save must not change the next one
    a = figure_bytes(first, fmt)
    b = figure_bytes(povdsl.coefplot(list(fits)), fmt)
    assert a == b
    assert a[:4] == {"pdf": b"%PDF", "svg": b"<?xm", "png": b"\x89PNG"}[fmt]
    if fmt == "pdf":
        assert b"CreationDate" not in a and b"Matplotlib" not in a
    if fmt == "svg":
        assert b"<dc:date>" not in a and b"<text" not in a  # no date; text drawn as paths


def test_size_and_style_options(fits):
    fig = povdsl.coefplot(list(fits), width=3.0, height=2.0, style="slides")
    assert tuple(fig.get_size_inches()) == (3.0, 2.0)
    assert fig.axes[0].get_yticklabels()[0].get_fontfamily() == ["sans-serif"]
    journal = povdsl.coefplot(list(fits))
    assert journal.get_size_inches()[0] == pytest.approx(345 / 72.27)
    assert journal.axes[0].get_yticklabels()[0].get_fontfamily()[0] == "cmr10"


def test_save_figure_writes_the_same_bytes(fits, tmp_path):
    fig = povdsl.coefplot(list(fits))
    path = povdsl.save_figure(fig, tmp_path / "coef.svg")
    assert path.read_bytes() == figure_bytes(fig, "svg")
    with pytest.raises(ValueError, match="unknown figure format"):
        figure_bytes(fig, "jpg")
    with pytest.raises(ValueError, match="level"):
        povdsl.coefplot(list(fits), level=95)


@pytest.mark.parametrize(
    ("call", "kwargs", "message"),
    [
        ("coefplot", {"level": "0.9"}, "level must lie between 0 and 1"),  # was TypeError: '<' not supported
        ("coefplot", {"width": -1}, "width is a size in inches above 0"),  # was matplotlib's ValueError
        ("coefplot", {"height": float("nan")}, "height is a size in inches above 0"),
        ("coefplot", {"style": "nope"}, "unknown style 'nope'"),  # was OSError from matplotlib.style
        ("coefplot", {"names": ["one"]}, "names has 1 entries for 2 results"),  # was silently accepted
    ],
)
def test_bad_arguments_of_the_plotting_calls_are_povdsl_errors(fits, call, kwargs, message):
    """Found calling the plots as a new user would: tracebacks from matplotlib and Python, or a figure with a nameless model."""
    with pytest.raises(PovdslError, match=message):
        getattr(povdsl, call)(list(fits), **kwargs)


def test_what_a_plotting_call_draws_is_checked(fits, spector):
    with pytest.raises(PovdslError, match="coefplot takes a Result or a list of them"):
        povdsl.coefplot([])  # was an empty figure
    with pytest.raises(PovdslError, match="coefplot takes a Result or a list of them"):
        povdsl.coefplot([spector])  # was AttributeError: 'DataFrame' object has no attribute 'params'
    with pytest.raises(PovdslError, match="sweepplot takes sweeps"):
        povdsl.sweepplot(fits[0])  # was AttributeError: 'Result' object has no attribute 'items'
    with pytest.raises(PovdslError, match="no impacts in"):
        povdsl.impactsplot(fits[0])
    with pytest.raises(PovdslError, match="unknown figure format 'jpg'"):
        povdsl.save_figure(povdsl.coefplot(fits[0]), "coef.jpg")
    assert povdsl.coefplot(fits[0], style="ggplot").get_size_inches()[0] == pytest.approx(345 / 72.27)  # matplotlib's own styles stay usable


# ---------------------------------------------------------------- golden SVG
# A figure from fixed numbers (no fitting), compared byte for byte. The bytes
# depend on matplotlib's version (its glyph outlines and SVG writer), named
# in the golden file; after an intended change: python -m pytest --regen.

GOLDEN = Path(__file__).with_name("golden")


def _fixed_results():
    from povdsl.estimate.result import Result

    index = ["Intercept", "cluster", "W(cluster, traveltime)", "edu"]
    out = []
    for k, (params, ses) in enumerate([([1.2, 0.031, -0.012, 0.05], [0.3, 0.011, 0.009, 0.02]), ([0.8, 0.022, 0.004, 0.07], [0.2, 0.012, 0.010, 0.03])]):
        p = pd.Series(params, index=index)
        se = pd.Series(ses, index=index)
        t = p / se
        out.append(Result(p, se, t, pd.Series(2 * stats.norm.sf(t.abs()), index=index), 1000, "logit", label=f"Model {k + 1}"))
    return out


def test_coefplot_matches_its_golden_svg(golden, regen):
    import matplotlib

    path = GOLDEN / f"coefplot.mpl-{matplotlib.__version__}.svg"
    if not path.exists() and not regen:
        pytest.skip(f"no golden SVG for this matplotlib version ({path.name}); write it with: python -m pytest --regen")
    labels = {"cluster": "local industrial clusters", "W(cluster, traveltime)": "clusters in other regions \N{EN DASH} W", "edu": "education"}
    golden(path, figure_bytes(povdsl.coefplot(_fixed_results(), labels=labels), "svg"))
