"""Tables from Python, like pyfixest's `etable` and modelsummary: `povdsl.table([r1, r2], ...)`.

The same TableSpec, table builder and format registry as spec tables, so a
table made in a notebook and one made by `povdsl run` agree byte for byte
on the same results and options.  A `TableView` displays itself in Jupyter
(`_repr_html_`, `_repr_markdown_`, `_repr_latex_`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from povdsl.check.plan import TableSpec
from povdsl.check.table_layout import FIT_STYLES, MAX_DIGITS, SECOND_STATS, STATS
from povdsl.diagnostics import did_you_mean
from povdsl.errors import PovdslError
from povdsl.estimate.result import Result
from povdsl.render.formats import RenderOptions, output_format
from povdsl.render.table_model import Table, TableContext
from povdsl.render.tables import build_model_table


@dataclass(frozen=True)
class TableView:
    """A table model and the format `str()` gives; every other format is one call away."""

    table: Table
    format: str = "latex"

    def render(self, fmt: str | None = None, *, standalone: bool = False) -> str | bytes:
        return output_format(fmt or self.format).render(self.table, RenderOptions(standalone=standalone))

    def __str__(self) -> str:
        text = self.render()
        return text if isinstance(text, str) else f"<{self.format} table, {len(text)} bytes>"

    def _repr_html_(self) -> str:
        return str(self.render("html"))

    def _repr_markdown_(self) -> str:
        return str(self.render("markdown"))

    def _repr_latex_(self) -> str:
        return str(self.render("latex"))


def table(
    results: Sequence[Result] | Result,
    *,
    labels: Mapping[str, str] | None = None,
    names: Sequence[str] | None = None,
    stat: str | Sequence[str] = "t",
    stars: Sequence[float] = (0.10, 0.05, 0.01),
    keep: Sequence[str] = (),
    drop: Sequence[str] = (),
    order: Sequence[str] = (),
    digits: int | None = None,
    significant_figures: bool = False,
    fit: Sequence[str | tuple] = (),
    rows: Mapping[str, Sequence[str]] | None = None,
    title: str = "",
    notes: Sequence[str] = (),
    groups: Mapping[str, Sequence[int]] | None = None,
    panels: Mapping[str, Sequence[int]] | None = None,
    fe_rows: bool = False,
    fit_width: bool | str = False,
    landscape: bool = False,
    format: str = "latex",
) -> TableView:
    """A table of `results` (from `povdsl.fit` or a run), with a spec table's options as keywords.

    `labels` maps a term or an outcome (or a glob, `"W(*)"`) to its label;
    `names` heads the columns (default "(1)", "(2)", ...); `keep`, `drop`,
    `order` take names and globs as in a spec; `rows` adds rows of one text
    per model (`{"Controls": ["Yes", "No"]}`); `stat` is one statistic or two
    (`("se", "p")`); a `fit` item is a name or `(name, label)` or
    `(name, label, digits)`; `groups` spans adjacent columns, numbered from 1
    (`{"Income": [2, 3]}`); `panels` stacks results, each in one panel
    (`{"A. 2004": [1, 2], "B. 2008": [3, 4]}`, numbered as `results`);
    `fe_rows` adds a Yes/No row per fixed effect a result absorbed (what a
    spec's `row fe` draws), before the `rows`.
    """
    results = [results] if isinstance(results, Result) else list(results) if isinstance(results, Sequence) else []
    if not results or not all(isinstance(r, Result) for r in results):
        raise PovdslError("povdsl.table takes a list of Result objects (from povdsl.fit or povdsl.run(...).results)")
    stats = [s.strip() for s in stat.split(",")] if isinstance(stat, str) else list(stat)
    if not 1 <= len(stats) <= 2 or stats[0] not in STATS or (len(stats) == 2 and (stats[1] not in SECOND_STATS or "none" in stats or stats[0] == stats[1])):
        raise PovdslError(f"unknown statistic {stat!r}; use one of {', '.join(STATS)}, or two as ('se', 'p')")
    if isinstance(fit_width, str) and fit_width not in FIT_STYLES:
        raise PovdslError(f"fit_width is True, False, or one of {', '.join(FIT_STYLES)}")
    fit_items = _fit_items(fit)
    levels = _star_levels(stars)
    if digits is not None and (isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= MAX_DIGITS):
        raise PovdslError(f"digits takes a whole number from 0 to {MAX_DIGITS} (as a spec's `digits`), got {digits!r}")
    if any(isinstance(texts, str) for texts in (rows or {}).values()):
        raise PovdslError("each row takes a list of texts, one per result, e.g. {'Controls': ['Yes', 'No']}")
    output_format(format)  # an unknown format fails here, before any work
    headings = list(names) if names is not None else [f"({i + 1})" for i in range(len(results))]
    if len(headings) != len(results):
        raise PovdslError(f"names has {len(headings)} entries for {len(results)} results")
    columns = [replace(r, model=f"m{i + 1}", label=h) for i, (r, h) in enumerate(zip(results, headings))]
    extra = tuple((label, tuple(texts)) for label, texts in (rows or {}).items())
    spans = []
    for text, numbers in (groups or {}).items():
        positions = sorted(int(n) for n in numbers)
        if not positions or positions != list(range(positions[0], positions[0] + len(positions))) or positions[0] < 1 or positions[-1] > len(results):
            raise PovdslError(f"group {text!r} spans adjacent columns numbered 1 to {len(results)}, e.g. [2, 3]")
        spans.append((text, tuple(f"m{n}" for n in positions)))
    if any(len(texts) != len(results) for _, texts in extra):
        raise PovdslError("each row takes one text per result")
    stacked = _panels(panels or {}, len(results))
    if stacked and spans:
        raise PovdslError("a table with panels cannot group results; use groups or panels, not both")
    spec = TableSpec(
        name="table",
        title=title or "Estimates",
        models=tuple(r.model for r in columns),
        labels=tuple((labels or {}).items()),
        stat=stats[0],
        second_stat=stats[1] if len(stats) == 2 else "",
        stars=levels,
        keep=tuple(keep),
        drop=tuple(drop),
        order=tuple(order),
        notes=tuple(notes),
        fit_stats=tuple(str(item[0]) for item in fit_items),
        fit_labels=tuple((str(item[0]), str(item[1])) for item in fit_items if len(item) > 1),
        fit_digits=tuple((str(item[0]), int(item[2])) for item in fit_items if len(item) > 2),
        groups=tuple(spans),
        panels=stacked,
        fe_rows=0 if fe_rows else None,
        fit_width=bool(fit_width),
        fit_style=fit_width if isinstance(fit_width, str) else "",
        landscape=landscape,
        digits=digits,
        significant_figures=significant_figures,
        rows=extra,
    )
    return TableView(build_model_table(spec, columns, _context(columns, labels or {})), format)


def _fit_items(fit: Sequence[str | tuple]) -> list[tuple]:
    """Each item as (name[, label[, digits]]); an unknown statistic is refused as a spec's E193 is, not dropped."""
    from povdsl.estimate.result import FIT_STATISTICS

    items = [(item,) if isinstance(item, str) else tuple(item) for item in ([fit] if isinstance(fit, str) else fit)]
    if any(not 1 <= len(item) <= 3 for item in items):
        raise PovdslError("a fit item is a name, (name, label) or (name, label, digits)")
    for item in items:
        if item[0] not in FIT_STATISTICS:
            hint = did_you_mean(str(item[0]), FIT_STATISTICS) or "the fit statistics are " + ", ".join(sorted(FIT_STATISTICS))
            raise PovdslError(f"unknown fit statistic {item[0]!r}; {hint}")
        if len(item) == 3 and (isinstance(item[2], bool) or not isinstance(item[2], int) or not 0 <= item[2] <= MAX_DIGITS):
            raise PovdslError(f"the digits of fit statistic {item[0]!r} take a whole number from 0 to {MAX_DIGITS}, got {item[2]!r}")
    return items


def _star_levels(stars: Sequence[float]) -> tuple[float, ...]:
    message = "stars are at most 5 probabilities in decreasing order, e.g. (0.10, 0.05, 0.01)"
    if isinstance(stars, (str, bytes)) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in stars):
        raise PovdslError(message + f", got {stars!r}")
    levels = tuple(float(x) for x in stars)
    if not all(0 < x < 1 for x in levels) or list(levels) != sorted(levels, reverse=True) or len(levels) > 5:
        raise PovdslError(message)
    return levels


def _panels(panels: Mapping[str, Sequence[int]], count: int) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`{"A. 2004": [1, 2], ...}` as the spec's panels: every result in exactly one panel, as a spec requires (E187)."""
    if not panels:
        return ()
    seen: dict[int, str] = {}
    for title, numbers in panels.items():
        for n in numbers:
            if not 1 <= int(n) <= count:
                raise PovdslError(f"panel {title!r} names result {n}; results are numbered 1 to {count}")
            if int(n) in seen:
                raise PovdslError(f"result {n} is in panel {seen[int(n)]!r} and in panel {title!r}; each result is in one panel")
            seen[int(n)] = title
    missing = [n for n in range(1, count + 1) if n not in seen]
    if missing:
        raise PovdslError(f"result {missing[0]} is in no panel; once a table has panels, put each result in one")
    return tuple((title, tuple(f"m{int(n)}" for n in numbers)) for title, numbers in panels.items())


def _context(results: Sequence[Result], labels: Mapping[str, str]) -> TableContext:
    from povdsl.estimate.adapters import REGISTRY

    return TableContext(
        estimator_labels={name: entry.label for name, entry in REGISTRY.items()},
        dependent_labels={r.dependent: labels.get(r.dependent, r.dependent) for r in results},
        fixed_effects={r.model: r.absorbed for r in results},
    )
