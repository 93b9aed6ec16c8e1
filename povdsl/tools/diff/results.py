"""`--results`: with the data at hand, fit both versions and report estimates
that moved. A fit is keyed by what determines its numbers: the model plan
without name, label and spans, the lets it reads (transitively), the plans
of weights and data sets, and the sha256 of every data and weights file.
A model whose key is the same on both sides is fitted once; the cache
lives for one run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from povdsl.errors import PovdslError
from povdsl.language.parser import parse

if TYPE_CHECKING:  # data loads lazily, only when results are compared
    from povdsl.data.frames import Frames
    from povdsl.estimate.fit_cache import Fingerprint, FitCache

STAR_LEVELS = (0.10, 0.05, 0.01)  # the tables' default stars


@dataclass(frozen=True, slots=True)
class MovedEstimate:
    """One coefficient whose value, standard error or significance differs between the versions."""

    model: str
    term: str
    old_coef: float | None
    new_coef: float | None
    old_p: float | None
    new_p: float | None
    old_se: float | None = None
    new_se: float | None = None
    se_only: bool = False  # the coefficient held (within rtol) and its standard error moved (a `vcov` edit): the text line shows both SEs

    def as_json(self) -> dict:
        return {
            "model": self.model,
            "term": self.term,
            "old_coef": _finite(self.old_coef),
            "new_coef": _finite(self.new_coef),
            "old_p": _finite(self.old_p),
            "new_p": _finite(self.new_p),
            "old_stars": _stars(self.old_p),
            "new_stars": _stars(self.new_p),
            "old_se": _finite(self.old_se),
            "new_se": _finite(self.new_se),
        }


@dataclass(frozen=True, slots=True)
class ResultsReport:
    moved: tuple[MovedEstimate, ...]
    unchanged: tuple[str, ...]  # models fitted on both sides whose coefficients and standard errors did not move
    failed: tuple[tuple[str, str], ...]  # (model, message): a side that could not be fitted
    fits: int  # fits actually run (cache misses), so reuse can be checked

    def as_json(self) -> dict:
        return {
            "moved": [m.as_json() for m in self.moved],
            "unchanged_models": list(self.unchanged),
            "failed": [{"model": m, "error": e} for m, e in self.failed],
        }


def _finite(x: float | None) -> float | None:
    """JSON has no NaN: a coefficient the backend could not estimate is null."""
    return None if x is None or x != x else x


def _stars(p: float | None) -> str:
    return "" if p is None else "*" * sum(p < level for level in STAR_LEVELS)


def _estimate_text(coef: float | None, p: float | None) -> str:
    return "(absent)" if coef is None else f"{coef:.4f}{_stars(p)}"


def _number(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"


def compare_results(
    old_text: str | None,
    old_path: str,
    new_text: str | None,
    new_path: str,
    rtol: float = 1e-6,
    renames: dict[str, str] | None = None,
    fit_cache: FitCache | None = None,
) -> ResultsReport:
    """Fit the models present on both sides and list the estimates that moved.

    Each version resolves its data paths against its *_path; `--git` passes
    the working-tree file for both, so it compares specs on today's data.
    With `fit_cache` (the one `povdsl run` fills, estimate/fit_cache.py) a
    model fitted before on the same data is read, not fitted: after a run,
    a diff refits only the models the change touched.
    """
    from povdsl.check import Environment, check

    renames = renames or {}
    plans = []
    for text, path in ((old_text, old_path), (new_text, new_path)):
        spec = parse(text or "", path)
        plans.append(check(spec, Environment(spec_path=Path(path)), source_text=text))
    old_plan, new_plan = plans
    cache: dict[str, object] = {}
    frames: dict[int, Frames] = {}
    fingerprints: dict[int, Fingerprint] = {}
    fits = 0

    def fitted(plan, side: int, model):
        from povdsl.data.frames import load
        from povdsl.errors import EstimationError
        from povdsl.estimate.fit_cache import Fingerprint, fit_key
        from povdsl.estimate.fitting import finish, fit_unfinished
        from povdsl.estimate.jobs import Failure

        nonlocal fits
        if side not in fingerprints:
            fingerprints[side] = Fingerprint(plan)
        # the fit cache's key: names, labels and source positions left out, so a layout-only edit is no change
        stored = fit_key(model, (), False, fingerprints[side])
        key = stored if stored is not None else f"uncacheable:{side}:{model.name}"
        if key in cache:
            return cache[key]
        known = fit_cache.load(stored) if fit_cache is not None and stored is not None else None
        if known is not None:
            cache[key] = EstimationError(known.message, hint=known.hint, model=model.name, span=model.span) if isinstance(known, Failure) else finish(known, model)
            return cache[key]
        try:
            if side not in frames:
                frames[side] = load(plan)
            fits += 1
            result = fit_unfinished(model, frames[side])
            if fit_cache is not None and stored is not None:
                fit_cache.store(stored, result)
            cache[key] = finish(result, model)
        except (EstimationError, PovdslError) as exc:
            cache[key] = exc
        return cache[key]

    moved, unchanged, failed = [], [], []
    new_models = {m.name: m for m in new_plan.models}
    for old_model in old_plan.models:
        name = renames.get(old_model.name, old_model.name)
        if name not in new_models:
            continue
        before, after = fitted(old_plan, 0, old_model), fitted(new_plan, 1, new_models[name])
        problems = [str(r).splitlines()[0] for r in (before, after) if isinstance(r, Exception)]
        if problems:
            failed.append((name, problems[0]))
            continue
        rows = _moved(name, before, after, rtol)
        moved.extend(rows)
        if not rows:
            unchanged.append(name)
    return ResultsReport(tuple(moved), tuple(unchanged), tuple(failed), fits)


def _moved(model: str, before, after, rtol: float) -> list[MovedEstimate]:
    """Estimates whose coefficient or standard error moved by more than `rtol`, or whose stars changed."""
    out = []
    terms = list(before.params.index) + [t for t in after.params.index if t not in before.params.index]
    for term in terms:
        old_coef, new_coef = _value(before.params, term), _value(after.params, term)
        old_p, new_p = _value(before.pvalues, term), _value(after.pvalues, term)
        old_se, new_se = _value(before.std_errors, term), _value(after.std_errors, term)
        same_coef, same_se = _same(old_coef, new_coef, rtol), _same(old_se, new_se, rtol)
        if not same_coef or not same_se or _stars(old_p) != _stars(new_p):
            out.append(MovedEstimate(model, term, old_coef, new_coef, old_p, new_p, old_se, new_se, same_coef and not same_se))
    return out


def _value(series, term: str) -> float | None:
    return float(series[term]) if term in series.index else None


def _same(old: float | None, new: float | None, rtol: float) -> bool:
    if old is None or new is None:
        return False
    return math.isclose(old, new, rel_tol=rtol, abs_tol=0.0) or (math.isnan(old) and math.isnan(new))


def format_results(report: ResultsReport, rtol: float) -> str:
    """`m3  cluster  0.0100** -> 0.0082*`, one line per moved estimate; unchanged models in one line."""
    lines = [f"results (rtol {rtol:g})"]
    for m in report.moved:
        old, new = _estimate_text(m.old_coef, m.old_p), _estimate_text(m.new_coef, m.new_p)
        if m.se_only:
            old, new = f"{old} (se {_number(m.old_se)})", f"{new} (se {_number(m.new_se)})"
        lines.append(f"  {m.model}  {m.term}  {old} -> {new}")
    for model, error in report.failed:
        lines.append(f"  {model}  fit failed: {error}")
    if report.unchanged:
        lines.append(f"  unchanged: {', '.join(report.unchanged)}")
    return "\n".join(lines) + "\n"
