"""The whole pipeline for one spec file: check, load, fit every model, render every table."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from povdsl.check import walk
from povdsl.data.frames import Frames, RunCache, load as load_frames
from povdsl.estimate.adapters import REGISTRY
from povdsl.estimate.fitting import fit_model
from povdsl.check.plan import FigureSpec, Plan
from povdsl.language.printer import expr_text
from povdsl.render.formats import RenderOptions, output_format
from povdsl.render.output import write_output
from povdsl.language import syntax as s
from povdsl.estimate.result import Result
from povdsl.check.specfile import load_plan
from povdsl.estimate.sweep import run_sweeps
from povdsl.render.tables import Table, SweepEntry, TableContext, build_model_table, build_sweep_table

DYNAMIC_LABELS = {"diffgmm": "Difference GMM", "sysgmm": "System GMM"}


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


def run(
    path: str | Path,
    out: str | Path | None = None,
    *,
    formats: tuple[str, ...] = ("latex",),
    standalone: bool = False,
    siunitx: bool = False,
    allow_outside: tuple[Path, ...] = (),
    workers: int | None = None,
) -> RunOutput:
    """Fit every model of the spec and render every table; write files when `out` is given."""
    plan = load_plan(path, allow_outside=allow_outside)
    cache = RunCache()  # the run's: derived columns and cluster tables shared by its models and sweeps
    frames = load_frames(plan, cache=cache)
    results = {m.name: fit_model(m, frames, cache) for m in plan.models if m.sweep_var is None}
    sweeps = run_sweeps([m for m in plan.models if m.sweep_var is not None], frames, workers=workers, cache=cache)
    tables: dict[str, dict[str, str | bytes]] = {}
    models: dict[str, Table] = {}
    written: list[Path] = []
    for number, spec in enumerate(plan.tables, start=1):
        if spec.layout == "sweep":
            spec = replace(spec, notes=spec.notes + skipped_notes(plan, spec, sweeps))
            table = build_sweep_table(spec, sweep_entries(plan, spec, sweeps), sweep_context(plan, frames, spec, sweeps))
        else:
            table = build_model_table(spec, [results[m] for m in spec.models], table_context(plan, frames, spec, results))
        options = RenderOptions(standalone=standalone, siunitx=siunitx, number=number)
        tables[spec.name] = {fmt: output_format(fmt).render(table, options) for fmt in formats}
        models[spec.name] = table
    figures = {spec.name: figure_files(plan, frames, spec, results, sweeps) for spec in plan.figures}
    if out is not None:
        for name, by_format in tables.items():
            for fmt, text in by_format.items():
                written.append(write_output(out, output_format(fmt).filename(name), text))
        for files in figures.values():
            for filename, data in files.items():
                written.append(write_output(out, filename, data))
    return RunOutput(plan, results, tables, tuple(written), sweeps, models, figures, tuple(frames.notices))


def figure_files(plan: Plan, frames: Frames, spec: FigureSpec, results: dict[str, Result], sweeps) -> dict[str, str | bytes]:
    """A figure's graphics and LaTeX fragment; matplotlib is loaded only here, for a spec that declares figures."""
    from povdsl.render import figure_files as files

    context = table_context(plan, frames, spec, results)
    skipped = skipped_notes(plan, spec, sweeps) if spec.kind == "sweep" else ()
    model = files.figure_model(spec, [plan.model(m) for m in spec.models], results, sweeps, context, skipped)
    return files.figure_files(spec, model)


def _weights_name(call: s.Call) -> str:
    """The weights a checked W(x, name) call names."""
    name = call.positional[1]
    assert isinstance(name, s.Name)  # the checker admits only a declared weights name here
    return name.id


def table_context(plan: Plan, frames: Frames, spec, results: dict[str, Result]) -> TableContext:
    models = [plan.model(m) for m in spec.models]
    labels = dict(spec.labels)
    used_lets = {n.id for m in models for part in (m.outcome, m.where) if part is not None for n in walk(part) if isinstance(n, s.Name)}
    lines = {}
    for line in frames.lines:
        if line.let in used_lets:
            lines[line.label] = line.value
    weights_used = {_weights_name(n) for m in models for t in (*m.terms, *m.instruments) for n in walk(t) if isinstance(n, s.Call) and n.func == "W"}
    weights = "; ".join(f"{name}: {frames.weights[name].description}" for name in sorted(weights_used))
    iv_models = [m for m in models if m.instruments]
    instruments = "; ".join(
        f"{m.label}: {', '.join(expr_text(t) for t in m.endog)} instrumented by {', '.join(expr_text(t) for t in m.instruments)}" for m in iv_models
    )
    estimator_labels = {name: e.label for name, e in REGISTRY.items()} | DYNAMIC_LABELS
    return TableContext(
        estimator_labels=estimator_labels,
        dependent_labels={expr_text(m.outcome): labels.get(expr_text(m.outcome), expr_text(m.outcome)) for m in models},
        poverty_lines=lines,
        weight_matrix=weights,
        instruments=instruments,
        variance={name: results[name].vcov for name in spec.models if name in results},
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
