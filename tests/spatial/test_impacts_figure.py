"""`figure f = impacts(m)` and `povdsl.impactsplot`: the plotted impacts and intervals are the Result's, drawn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import povdsl
from povdsl.errors import SpecError
from povdsl.estimate.adapters.spatial import SpatialDesign, fit_sar, fit_sem
from povdsl.estimate.design import Design, Vcov


def _sar(columbus):
    frame, sw, _, _ = columbus
    exog = pd.concat([pd.Series(1.0, index=frame.index, name="Intercept"), frame[["INC", "HOVAL"]]], axis=1)
    design = SpatialDesign(Design(y=frame.CRIME.rename("CRIME"), exog=exog), (sw,))
    return fit_sar(design, {"weights": ("w",), "draws": 200}, Vcov()), fit_sem(design, {"weights": ("w",)}, Vcov())


def test_impactsplot_draws_each_impact_with_its_normal_interval(columbus):
    sar, sem = _sar(columbus)
    fig = povdsl.impactsplot(sar, level=0.90, labels={"INC": "income"})
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["income", "HOVAL"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Direct", "Indirect", "Total"]
    z = stats.norm.ppf(0.95)
    children = {a.get_gid(): a for a in ax.get_children() if a.get_gid()}
    for k, kind in enumerate(("direct", "indirect", "total")):
        expected = sar.impacts.loc[["INC", "HOVAL"], kind].to_numpy()
        se = sar.impacts.loc[["INC", "HOVAL"], f"{kind}_se"].to_numpy()
        np.testing.assert_allclose(children[f"estimate-{k}"].get_xdata(), expected, rtol=1e-12)
        segments = children[f"interval-{k}"].get_segments()
        np.testing.assert_allclose([min(s[0][0], s[1][0]) for s in segments], expected - z * se, rtol=1e-9)
        np.testing.assert_allclose([max(s[0][0], s[1][0]) for s in segments], expected + z * se, rtol=1e-9)
    with pytest.raises(ValueError, match="no impacts"):
        povdsl.impactsplot([sar, sem])  # an error model has no impacts


def test_impacts_figure_of_a_model_without_impacts_is_a_located_error(tmp_path):
    """An impacts figure of a model without a spatial lag of y is refused at the figure (the drawn case: test_spec_models.py)."""
    from spatial_project import write_project  # type: ignore[import-not-found]

    spec = write_project(tmp_path, 'model m2: y ~ x | ols\nfigure fi "Spillovers" = impacts(m2)\n')
    with pytest.raises(SpecError) as info:
        povdsl.load(spec)
    (d,) = info.value.diagnostics
    assert d.code == "E404" and "spatial lag models (sar, sdm, sac)" in d.message and d.span.line == 6
