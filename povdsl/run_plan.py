"""A run once its plan is read: load the data, fit every model, build every table and figure.

`povdsl.pipeline.run` reads the plan and starts the figure workers, then
calls `run_plan`; everything here imports pandas and the backends.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from povdsl.check import walk
from povdsl.check.plan import FigureSpec, ModelPlan, Plan
from povdsl.data.frames import Frames, RunCache
from povdsl.data.frames import load as load_frames
from povdsl.errors import PovdslError
from povdsl.estimate.fit_cache import Fingerprint, FitCache
from povdsl.estimate.registry import REGISTRY, absorbed_effects
from povdsl.estimate.result import Result
from povdsl.estimate.runner import fit_all
from povdsl.estimate.sweep_sources import check_fit_limit
from povdsl.language import syntax as s
from povdsl.language.printer import expr_text
from povdsl.pipeline import ModelsFailed, RunOutput
from povdsl.render.figure_model import FigureModel
from povdsl.render.figure_workers import FigureWorkers
from povdsl.render.formats import RenderOptions, output_format
from povdsl.render.output import write_output
from povdsl.render.sweep_tables import MemberEntry, build_member_table
from povdsl.render.tables import InstrumentNote, SweepEntry, Table, TableContext, WeightNote, build_model_table, build_sweep_table, sweep_variance


def run_plan(
    plan: Plan,
    out: str | Path | None,
    drawers: FigureWorkers | None,
    *,
    formats: tuple[str, ...],
    standalone: bool,
    siunitx: bool,
    workers: int | None,
    dask: str | None,
    keep_going: bool,
    cache: str | Path | None,
    cache_prune: bool,
    progress: bool,
    max_fits: int,
) -> RunOutput:
    """`run` once the plan is read, with the figure workers (or None) already started."""
    run_cache = RunCache()  # the run's: derived columns and cluster tables shared by its models and sweeps
    frames = load_frames(plan, cache=run_cache)
    plain = [m for m in plan.models if not m.is_sweep]
    sweep_models = [m for m in plan.models if m.is_sweep]
    check_fit_limit(sweep_models, frames, max_fits - len(plain))  # before any fit (docs/sweeps.md, "Limits")
    fit_cache = FitCache(Path(cache), write_output, prune_unused=cache_prune, spec=plan.path) if cache is not None else None
    fingerprint = Fingerprint(plan) if fit_cache is not None else None
    early = EarlyFigures(plan, frames, drawers) if drawers is not None else None
    fitted = fit_all(
        plain,
        sweep_models,
        frames,
        run_cache,
        workers=workers,
        dask=dask,
        fit_cache=fit_cache,
        fingerprint=fingerprint,
        progress=progress,
        first=frozenset(name for figure in plan.figures for name in figure.models) if early is not None else frozenset(),
        on_ready=early,
    )
    failures, results, sweeps = fitted.failures, fitted.results, fitted.sweeps
    tables: dict[str, dict[str, str | bytes]] = {}
    models: dict[str, Table] = {}
    written: list[Path] = []
    skipped: list[str] = []
    drawn = [figure for figure in plan.figures if not any(name in failures for name in figure.models)]
    submitted = early.submitted if early is not None else []
    jobs = [(figure, figure_model(plan, frames, figure, results, sweeps)) for figure in drawn if figure.name not in submitted]
    if drawers is not None:
        drawers.submit(jobs)  # drawn beside the tables
    for number, spec in enumerate(plan.tables, start=1):
        if any(name in failures for name in spec.models):
            skipped.append(spec.name)
            continue
        if spec.layout == "sweep":
            spec = replace(spec, notes=spec.notes + skipped_notes(plan, spec, sweeps))
            if all(industries_only(plan.model(m)) for m in spec.models):
                table = build_sweep_table(spec, sweep_entries(plan, spec, sweeps), sweep_context(plan, frames, spec, sweeps))
            else:
                table = build_member_table(spec, member_entries(plan, spec, sweeps), sweep_context(plan, frames, spec, sweeps))
        else:
            table = build_model_table(spec, [results[m] for m in spec.models], table_context(plan, frames, spec, results))
        options = RenderOptions(standalone=standalone, siunitx=siunitx, number=number)
        tables[spec.name] = {fmt: output_format(fmt).render(table, options) for fmt in formats}
        models[spec.name] = table
    skipped += [figure.name for figure in plan.figures if figure not in drawn]
    drawings = drawers.collect() if drawers is not None else [figure_files(*job) for job in jobs]
    by_name = dict(zip([*submitted, *(figure.name for figure, _ in jobs)], drawings))
    figures = {figure.name: by_name[figure.name] for figure in drawn}
    if out is not None:
        for name, by_format in tables.items():
            for fmt, text in by_format.items():
                written.append(write_output(out, output_format(fmt).filename(name), text))
        for files in figures.values():
            for filename, data in files.items():
                written.append(write_output(out, filename, data))
    output = RunOutput(plan, results, tables, tuple(written), sweeps, models, figures, tuple(frames.notices), tuple(failures.values()), tuple(skipped))
    if failures and not keep_going:
        raise ModelsFailed(output.failures, output)
    return output


class EarlyFigures:
    """`fit_all`'s `on_ready`: each figure goes to the drawers as soon as all its models are settled.

    So the figures are drawn while the other models fit. A figure one of
    whose models failed is not drawn; one whose model cannot be decided
    (E197) is left for after the fits, where its error is raised in the
    figure's turn, as without the workers. The bytes do not depend on when
    a figure was drawn, or by which process (tests/render/test_figure_workers.py).
    """

    def __init__(self, plan: Plan, frames: Frames, drawers: FigureWorkers):
        self.plan, self.frames, self.drawers = plan, frames, drawers
        self.pending = list(plan.figures)
        self.settled: set[str] = set()
        self.submitted: list[str] = []  # figure names, in the order handed to the drawers

    def __call__(self, name: str, fitted) -> None:
        self.settled.add(name)
        ready = [figure for figure in self.pending if self.settled.issuperset(figure.models)]
        for figure in ready:
            self.pending.remove(figure)
            if any(m in fitted.failures for m in figure.models):
                continue
            try:
                job = (figure, figure_model(self.plan, self.frames, figure, fitted.results, fitted.sweeps))
            except PovdslError:
                continue
            self.drawers.submit([job])
            self.submitted.append(figure.name)


def figure_model(plan: Plan, frames: Frames, spec: FigureSpec, results: dict[str, Result], sweeps) -> FigureModel:
    """What a figure draws (checked against its models: E197), decided here, drawn here or by a figure worker."""
    from povdsl.render import figure_files as files

    context = table_context(plan, frames, spec, results)
    skipped = skipped_notes(plan, spec, sweeps) if spec.kind in ("sweep", "curve") else ()
    return files.figure_model(spec, [plan.model(m) for m in spec.models], results, sweeps, context, skipped)


def figure_files(spec: FigureSpec, model: FigureModel) -> dict[str, str | bytes]:
    """A figure's graphics and LaTeX fragment, drawn in this process; matplotlib is loaded only here."""
    from povdsl.render import figure_files as files

    return files.figure_files(spec, model)


def table_context(plan: Plan, frames: Frames, spec, results: dict[str, Result]) -> TableContext:
    models = [one for m in spec.models for one in (plan.model(m), *(member.model for member in plan.model(m).members))]
    labels = dict(spec.labels)
    used_lets = {n.id for m in models for part in (m.outcome, m.where) if part is not None for n in walk(part) if isinstance(n, s.Name)}
    lines = {}
    for line in frames.lines:
        if line.let in used_lets:
            lines[line.label] = line.value
    weights_used = {
        w.id
        for m in models
        for t in (*m.terms, *m.instruments)
        for n in walk(t)
        if isinstance(n, s.Call) and n.func == "W" and isinstance(w := n.positional[1], s.Name)
    }
    weights = tuple(WeightNote(name, frames.weights[name].description) for name in sorted(weights_used))
    instruments = tuple(  # dict.fromkeys: a sweep's members repeat their declaration's note
        dict.fromkeys(
            InstrumentNote(m.label, tuple(expr_text(t) for t in m.endog), tuple(expr_text(t) for t in m.instruments)) for m in models if m.instruments
        )
    )
    estimator_labels = {name: e.label for name, e in REGISTRY.items()}
    return TableContext(
        estimator_labels=estimator_labels,
        dependent_labels={expr_text(m.outcome): labels.get(expr_text(m.outcome), expr_text(m.outcome)) for m in models},
        poverty_lines=lines,
        weight_matrices=weights,
        instruments=instruments,
        variance={name: results[name].vcov for name in spec.models if name in results},
        fixed_effects={m.name: absorbed_effects(m.estimator, m.entity, m.time, dict(m.options)) for m in models},
    )


def sweep_entries(plan: Plan, spec, sweeps) -> list[SweepEntry]:
    labels = dict(spec.labels)
    entries = []
    for name in spec.models:
        sweep = sweeps[name]
        outcome = expr_text(plan.model(name).outcome)
        for item in sweep.items:
            r = item.result
            f = sweep.focus
            entries.append(
                SweepEntry(
                    labels.get(outcome, outcome),
                    item.code,
                    item.name,
                    item.digits,
                    float(r.params[f]),
                    float(r.std_errors[f]),
                    float(r.tstats[f]),
                    float(r.pvalues[f]),
                    r.nobs,
                )
            )
    return entries


def industries_only(model: ModelPlan) -> bool:
    """A sweep over industries alone keeps the paper's layout of Tables 5-6 (one block per outcome)."""
    return all(axis.kind == "industries" for axis in model.axes)


def member_entries(plan: Plan, spec, sweeps) -> list[MemberEntry]:
    """Every fit of the table's sweeps as a row (its values) and a column (its model)."""
    entries = []
    for name in spec.models:
        sweep, model = sweeps[name], plan.model(name)
        outcomes = {member.values: expr_text(member.model.outcome) for member in model.members}
        for item in sweep.items:
            r, f = item.result, sweep.focus
            checked = item.values[: len(model.members[0].values)] if model.members else ()
            outcome = outcomes.get(checked, expr_text(model.outcome))
            labels = tuple(label for _, label in item.values)
            if item.digits:  # an industry: its name, as Tables 5-6 show it
                labels = (*labels[:-1], item.name)
            variables = tuple(var for var, _ in item.values)
            entries.append(
                MemberEntry(
                    model.label,
                    outcome,
                    labels,
                    item.term or f,
                    float(r.params[f]),
                    float(r.std_errors[f]),
                    float(r.tstats[f]),
                    float(r.pvalues[f]),
                    r.nobs,
                    variables,
                )
            )
    return entries


def skipped_notes(plan: Plan, spec, sweeps) -> tuple[str, ...]:
    """Industries a sweep could not estimate are listed, never silently missing."""
    notes = []
    for name in spec.models:
        skipped = sweeps[name].skipped
        if skipped:
            reasons = "; ".join(f"{code}: {why}" for code, why in skipped)
            notes.append(f"Not estimated in {plan.model(name).label}: {reasons}.")
    return tuple(notes)


def sweep_context(plan: Plan, frames: Frames, spec, sweeps) -> TableContext:
    return replace(table_context(plan, frames, spec, {}), variance=sweep_variances(plan, spec, sweeps))


def sweep_variances(plan: Plan, spec, sweeps) -> dict[str, str]:
    """Each sweep's variance as its table's notes say it (render.tables.sweep_variance), by model label."""
    labels = [plan.model(n).label or n for n in spec.models]
    return {
        label if labels.count(label) == 1 else f"{label} ({name})": sweep_variance(sweeps[name].items)
        for name, label in zip(spec.models, labels)
        if sweeps[name].items
    }
