"""One checked figure declaration -> its files: the graphic in each format and a LaTeX fragment.

The fragment is a `figure` environment laid out by templates/figure.tex.j2
(never by string concatenation): the graphic at its natural size, so its
text keeps the size it was drawn at, then the caption, label and notes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from povdsl.check.plan import FigureSpec, ModelPlan
from povdsl.render.figure_model import FigureModel
from povdsl.render.figure_style import FIGURE_FORMATS
from povdsl.render.plots import coef_model, figure_notes, impacts_model, selection, sweep_model
from povdsl.render.table_model import TableContext, _one_line
from povdsl.render.tables import model_name, sweep_variance
from povdsl.render.term_selection import check_selectors

if TYPE_CHECKING:
    from povdsl.estimate.result import Result
    from povdsl.estimate.sweep import SweepResult

FRAGMENT_SUFFIX = ".tex"


def figure_model(
    spec: FigureSpec,
    models: Sequence[ModelPlan],
    results: Mapping[str, Result],
    sweeps: Mapping[str, SweepResult],
    context: TableContext,
    extra_notes: Sequence[str] = (),
) -> FigureModel:
    """What the figure shows, notes included, with every text on one line."""
    if spec.kind in ("impacts", "coef"):
        plotted = [results[m] for m in spec.models]
        names = [model_name(r, i) for i, r in enumerate(plotted)]
        variances = [(n, context.variance.get(r.model, r.vcov)) for n, r in zip(names, plotted)]
        notes = figure_notes(spec.kind, spec.level, variances, context, (*spec.notes, *extra_notes))
        chosen = selection(spec.keep, spec.drop, spec.order, dict(spec.labels), spec.selectors)
        check_selectors(replace(chosen, models=spec.models), plotted, [])  # E197 at the item, as for tables
        if spec.kind == "impacts":
            titles = [m.label for m in models] if len(models) > 1 else ()
            model = impacts_model(plotted, name=spec.name, title=spec.title, level=spec.level, chosen=chosen, titles=titles, notes=notes)
        else:
            model = coef_model(plotted, name=spec.name, title=spec.title, level=spec.level, chosen=chosen, notes=notes)
    elif spec.kind == "curve":
        from povdsl.render.curve import curve_model

        sweep = sweeps[spec.models[0]]
        variances = [(models[0].label, sweep_variance(sweep.items))] if sweep.items else []
        notes = figure_notes("curve", spec.level, variances, context, (*spec.notes, *extra_notes))
        term = spec.term or sweep.focus
        members = [(item.values, item.result) for item in sweep.items]
        model = curve_model(members, term, labels=dict(spec.labels), name=spec.name, title=spec.title, level=spec.level, notes=notes)
    else:
        drawn = [sweeps[m] for m in spec.models]
        labels = [m.label for m in models]
        variances = [(label, sweep_variance(s.items)) for label, s in zip(labels, drawn) if s.items]
        notes = figure_notes("sweep", spec.level, variances, context, (*spec.notes, *extra_notes))
        model = sweep_model(drawn, titles=labels if len(drawn) > 1 else (), name=spec.name, title=spec.title, level=spec.level, notes=notes)
    result = _one_line(model)
    assert isinstance(result, FigureModel)
    return result


def figure_files(spec: FigureSpec, model: FigureModel) -> dict[str, bytes | str]:
    """File name -> contents: the graphic in each of the spec's formats, then the LaTeX fragment."""
    from povdsl.render.figures import draw, figure_bytes
    from povdsl.render.templating import environment

    fig = draw(model, width=spec.width, height=spec.height, style=spec.style)
    files: dict[str, bytes | str] = {f"{spec.name}{FIGURE_FORMATS[fmt]}": figure_bytes(fig, fmt) for fmt in spec.formats}
    text = environment("latex").get_template("figure.tex.j2").render(figure=model, graphic=spec.name)
    files[f"{spec.name}{FRAGMENT_SUFFIX}"] = text.rstrip("\n") + "\n"
    return files
