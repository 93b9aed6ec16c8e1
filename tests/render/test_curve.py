"""Specification curves (issue 19's curve()): the plotted data are the multiverse's own estimates, sorted,
with their intervals, and the choice marks say which values each fit took.

References: the sweep's items (each checked against pyfixest/statsmodels in
tests/core/test_sweep_sources.py) and scipy's quantiles; the drawing is read
back from matplotlib's artists by their ids.
"""

from __future__ import annotations

import pytest
from scipy import stats

from povdsl.check.specfile import load_plan
from povdsl.errors import SpecError
from povdsl.render.curve import curve_model
from povdsl.render.figures import draw, figure_bytes


@pytest.fixture(scope="module")
def multiverse(paper):
    return paper.sweeps["robust3"]


@pytest.fixture(scope="module")
def model(multiverse):
    return curve_model([(i.values, i.result) for i in multiverse.items], multiverse.focus, level=0.95)


def test_points_are_the_estimates_sorted_with_their_intervals(multiverse, model):
    (panel,) = model.panels
    estimates = sorted(float(i.result.params["cluster"]) for i in multiverse.items)
    assert [p.estimate for p in panel.points] == estimates
    for point in panel.points:
        item = next(i for i in multiverse.items if float(i.result.params["cluster"]) == point.estimate)
        se = float(item.result.std_errors["cluster"])
        # fe(household) reports t(G-1) p-values with G households: the interval uses that t
        (groups,) = item.result.variance.groups
        q = stats.t.ppf(0.975, groups - 1)
        assert point.low == pytest.approx(point.estimate - q * se, rel=1e-9)
        assert point.high == pytest.approx(point.estimate + q * se, rel=1e-9)


def test_choices_mark_exactly_the_fits_that_took_each_value(multiverse, model):
    (panel,) = model.panels
    by_estimate = {float(i.result.params["cluster"]): dict(i.values) for i in multiverse.items}
    ordered = [by_estimate[p.estimate] for p in panel.points]
    assert [c.variable for c in model.choices] == ["c"] * 3 + ["w"] * 2  # clause order, then values in order
    for choice in model.choices:
        expected = tuple(k for k, values in enumerate(ordered) if values[choice.variable] == choice.row)
        assert choice.positions == expected and expected


def test_the_drawing_shows_the_model(model):
    fig = draw(model)
    top, bottom = fig.axes
    (dots,) = [c for c in top.collections if c.get_gid() == "estimate-0"]
    xy = dots.get_offsets()
    assert [tuple(map(float, row)) for row in xy] == [(float(k), p.estimate) for k, p in enumerate(model.panels[0].points)]
    for row, choice in enumerate(model.choices):
        (marks,) = [c for c in bottom.collections if c.get_gid() == f"choice-{row}"]
        assert [tuple(map(float, r)) for r in marks.get_offsets()] == [(float(k), float(row)) for k in choice.positions]
    assert [t.get_text() for t in bottom.get_yticklabels()] == [c.row for c in model.choices]
    assert figure_bytes(fig, "svg") == figure_bytes(draw(model), "svg")  # deterministic bytes


def test_the_paper_spec_writes_its_curve(paper):
    files = paper.figures["figure7"]
    assert {"figure7.pdf", "figure7.svg", "figure7.tex"} <= set(files)
    assert b"choice-0" in files["figure7.svg"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("figure f = curve(m3)", "E404"),  # not a sweep
        ("figure f = curve(inc04_3)", "E404"),  # industries only: draw it with sweep()
        ("figure f = curve(robust3, term=W(cluster, traveltime))", "E406"),  # not a term of every member
        ("figure f = curve(robust3, robust3)", "E405"),
        ("figure f = curve(robust3, by=cluster)", "E405"),
        ("figure f = curve(robust3)\n  keep cluster", "E412"),
    ],
)
def test_bad_curves_are_located_errors(tmp_path, body, code):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "spec" / "zhejiang.pov").read_text() + "\n" + body + "\n"
    spec = tmp_path / "s.pov"
    spec.write_text(text)
    with pytest.raises(SpecError) as caught:
        load_plan(spec)
    assert [d.code for d in caught.value.diagnostics] == [code]
