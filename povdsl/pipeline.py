"""The whole pipeline for one spec file: check, load, fit every model, render every table."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from povdsl.check import walk
from povdsl.check.plan import FigureSpec, ModelPlan, Plan
from povdsl.check.specfile import load_plan
from povdsl.check.sweeps import MAX_FITS
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
from povdsl.render.figure_model import FigureModel
from povdsl.render.figure_workers import FigureWorkers, figure_workers
from povdsl.render.formats import RenderOptions, output_format
from povdsl.render.output import write_output
from povdsl.render.sweep_tables import MemberEntry, build_member_table
from povdsl.render.tables import InstrumentNote, SweepEntry, Table, TableContext, WeightNote, build_model_table, build_sweep_table


@dataclass(frozen=True)
class RunOutput:
    plan: Plan
    results: dict[str, Result]
    tables: dict[str, dict[str, str | bytes]]  # table name -> format -> text (bytes for a binary format)
    written: tuple[Path, ...] = ()
    sweeps: dict = field(default_factory=dict)  # model name -> povdsl.estimate.sweep.SweepResult
    models: dict[str, Table] = field(default_factory=dict)  # table name -> table model, to render in other formats
    figures: dict[str, dict[str, str | bytes]] = field(default_factory=dict)  # figure name -> file name -> contents
    notices: tuple = ()  # povdsl.data.frames.Notice: what the data did (text columns as dummies, isolated regions)
    failures: tuple[PovdslError, ...] = ()  # models that could not be fitted (each names its model and location)
    skipped_tables: tuple[str, ...] = ()  # tables not rendered because one of their models failed


class ModelsFailed(PovdslError):
    """Some models of a run could not be fitted; the tables of the others were rendered (and written).

    ``failures`` are the located errors, one per failed model; ``output`` is
    the run's output without the tables that needed them.
    """

    def __init__(self, failures: tuple[PovdslError, ...], output: RunOutput):
        self.failures = failures
        self.output = output
        self.span = getattr(failures[0], "span", None)
        self.model = getattr(failures[0], "model", "")
        names = ", ".join(f"'{getattr(f, 'model', '') or '?'}'" for f in failures)
        super().__init__(f"{len(failures)} model(s) could not be fitted ({names}): " + "; ".join(str(f) for f in failures))


def run(
    path: str | Path,
    out: str | Path | None = None,
    *,
    formats: tuple[str, ...] = ("latex",),
    standalone: bool = False,
    siunitx: bool = False,
    allow_outside: tuple[Path, ...] = (),
    workers: int | None = None,
    dask: str | None = None,
    keep_going: bool = False,
    cache: str | Path | None = None,
    cache_prune: bool = False,
    progress: bool = False,
    max_fits: int = MAX_FITS,
) -> RunOutput:
    """Fit every model of the spec and render every table whose models fitted; write them when `out` is given.

    A model that cannot be fitted costs only the tables that show it. With
    ``keep_going`` the failures are returned in ``RunOutput.failures`` (the
    CLI reports them and exits 1); without it they are raised together as
    `ModelsFailed` after the other tables are written.

    ``cache`` is a folder for the fit cache (estimate/fit_cache.py): fits
    stored there are not run again. The CLI passes `.povdsl-cache/` beside
    the spec; the Python default is no cache. Entry files no run used for 30
    days are removed; with ``cache_prune`` every one this run did not use. ``progress`` shows a bar on a
    terminal's stderr.

    Figures are drawn by two forked processes started once the plan is read
    (render/figure_workers.py): they import matplotlib while the data load
    and the fits run, and draw while the tables are rendered; the bytes are
    those of drawing in-process.
    """
    plan = load_plan(path, allow_outside=allow_outside, max_fits=max_fits)
    with figure_workers(len(plan.figures)) as drawers:  # started now: they import matplotlib while the data load and the fits run
        return _run_plan(
            plan,
            out,
            drawers,
            formats=formats,
            standalone=standalone,
            siunitx=siunitx,
            workers=workers,
            dask=dask,
            keep_going=keep_going,
            cache=cache,
            cache_prune=cache_prune,
            progress=progress,
            max_fits=max_fits,
        )


def _run_plan(
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
    fit_cache = FitCache(Path(cache), write_output, prune_unused=cache_prune) if cache is not None else None
    fingerprint = Fingerprint(plan) if fit_cache is not None else None
    fitted = fit_all(plain, sweep_models, frames, run_cache, workers=workers, dask=dask, fit_cache=fit_cache, fingerprint=fingerprint, progress=progress)
    failures, results, sweeps = fitted.failures, fitted.results, fitted.sweeps
    tables: dict[str, dict[str, str | bytes]] = {}
    models: dict[str, Table] = {}
    written: list[Path] = []
    skipped: list[str] = []
    drawn = [figure for figure in plan.figures if not any(name in failures for name in figure.models)]
    jobs = [(figure, figure_model(plan, frames, figure, results, sweeps)) for figure in drawn]
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
    figures = dict(zip((figure.name for figure in drawn), drawers.collect() if drawers is not None else [figure_files(*job) for job in jobs]))
    if out is not None:
        for name, by_format in tables.items():
            for fmt, text in by_format.items():
                written.append(write_output(out, output_format(fmt).filename(name), text))
        for files in figures.values():
            for filename, data in files.items():
                written.append(write_output(out, filename, data))
    output = RunOutput(
        plan, results, tables, tuple(written), sweeps, models, figures, tuple(frames.notices), tuple(failures.values()), tuple(skipped)
    )
    if failures and not keep_going:
        raise ModelsFailed(output.failures, output)
    return output


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
        dict.fromkeys(InstrumentNote(m.label, tuple(expr_text(t) for t in m.endog), tuple(expr_text(t) for t in m.instruments)) for m in models if m.instruments)
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
                SweepEntry(labels.get(outcome, outcome), item.code, item.name, item.digits, float(r.params[f]), float(r.std_errors[f]), float(r.tstats[f]), float(r.pvalues[f]), r.nobs)
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
            entries.append(MemberEntry(model.label, outcome, labels, item.term or f, float(r.params[f]), float(r.std_errors[f]), float(r.tstats[f]), float(r.pvalues[f]), r.nobs, variables))
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
    labels = dict(spec.labels)
    base = table_context(plan, frames, spec, {})
    variance = {labels.get(expr_text(plan.model(n).outcome), expr_text(plan.model(n).outcome)): sweeps[n].items[0].result.vcov for n in spec.models if sweeps[n].items}
    return replace(base, variance=variance)
