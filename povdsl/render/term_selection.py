"""Which coefficients a model table shows, in which order and under which labels.

`keep`, `drop`, `order` and `label` items are `TermSelector`s: exact names or
globs over the coefficient names the fitted models report.  An item that
matches nothing is a mistake (a typo in `keep` would empty the table), so it
is an error located at the item, with the closest name as a hint.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from povdsl.check.plan import TableSpec, TermSelector, is_glob
from povdsl.diagnostics import did_you_mean
from povdsl.errors import Diagnostic, SpecError
from povdsl.estimate.result import Result

UNMATCHED = "E197"


def selectors(spec: TableSpec) -> tuple[TermSelector, ...]:
    """The spec's selectors; for a TableSpec built in Python, also those made from its keep/drop/order/labels lists.

    The checker fills both the lists and the selectors, so the lists are
    only read when no selector says keep, drop, order or label.
    """
    if any(s.kind != "digits" for s in spec.selectors):
        return spec.selectors
    made: list[TermSelector] = []
    for kind, items in (("keep", spec.keep), ("drop", spec.drop), ("order", spec.order)):
        made += [_from_text(kind, text) for text in items]
    made += [_from_text("label", term, label) for term, label in spec.labels]
    return tuple(made) + spec.selectors


def _from_text(kind: str, text: str, label: str = "") -> TermSelector:
    if is_glob(text):
        return TermSelector(kind, text, pattern=text, label=label)
    return TermSelector(kind, text, names=(text,), label=label)


def coefficient_names(results: Sequence[Result]) -> list[str]:
    """Every coefficient name of the models, in order of first appearance."""
    seen: dict[str, None] = {}
    for result in results:
        seen.update(dict.fromkeys(map(str, result.params.index)))
    return list(seen)


def check_selectors(spec: TableSpec, results: Sequence[Result], outcomes: Sequence[str]) -> None:
    """Every keep/drop/order/label item matches a coefficient (a label may also name an outcome)."""
    names = coefficient_names(results)
    problems = []
    for sel in selectors(spec):
        pool = names + list(outcomes) if sel.kind == "label" else names
        if any(sel.matches(name) for name in pool):
            continue
        models = ", ".join(spec.models) or "its models"
        what = "pattern" if sel.pattern else "term"
        message = f"{sel.kind} {what} '{sel.text}' matches no coefficient of {models}"
        hint = did_you_mean(sel.names[0] if sel.names else sel.text, pool)
        if hint is None:
            hint = "the coefficients are " + ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        problems.append(Diagnostic(UNMATCHED, message, sel.span, hint))
    if problems:
        raise SpecError(problems, _sources(problems))


def _sources(problems: list[Diagnostic]) -> dict[str, str]:
    """The spec text for the carets; the spec was read once already, so this only re-reads an accepted file."""
    from povdsl.language.parser import read_spec

    sources = {}
    for d in problems:
        if d.span is not None and d.span.path not in sources:
            try:
                sources[d.span.path] = read_spec(Path(d.span.path))
            except (OSError, SpecError):
                pass
    return sources


def term_order(spec: TableSpec, results: Sequence[Result]) -> list[str]:
    """Terms to show: `order` items first (in their order), then first appearance; Intercept last unless ordered."""
    chosen = selectors(spec)
    keep = [s for s in chosen if s.kind == "keep"]
    drop = [s for s in chosen if s.kind == "drop"]
    shown = [
        t for t in coefficient_names(results)
        if (not keep or any(s.matches(t) for s in keep)) and not any(s.matches(t) for s in drop)
    ]
    ordered: list[str] = []
    for sel in (s for s in chosen if s.kind == "order"):
        ordered += [t for t in (sel.names or shown) if t in shown and t not in ordered and sel.matches(t)]
    rest = [t for t in shown if t not in ordered]
    if "Intercept" in rest:
        rest.remove("Intercept")
        rest.append("Intercept")
    return ordered + rest


def term_label(term: str, spec: TableSpec) -> str:
    """The last `label` item that matches the term, else the term ("Constant" for the intercept)."""
    label = next((s.label for s in reversed(selectors(spec)) if s.kind == "label" and s.matches(term)), None)
    if label is not None:
        return label
    return "Constant" if term == "Intercept" else term
