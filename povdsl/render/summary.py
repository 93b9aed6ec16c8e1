"""`Result.summary()`: a regression summary a reader can scan in a terminal or a notebook."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from povdsl.render.numbers import format_count, format_number, stars_for
from povdsl.render.table_model import DEFAULT_ESTIMATOR_LABELS, FIT_LABELS, INTEGER_STATS

if TYPE_CHECKING:
    from povdsl.estimate.result import Result

COLUMNS = ("coef", "std. error", "t", "p")
LEVELS = (0.10, 0.05, 0.01)


def summary_text(result: Result) -> str:
    """What was fitted, the coefficient table (4 decimals, p with stars) and the fit statistics."""
    title = result.label or result.model or "povdsl.fit"
    lines = [
        f"{title}: {result.dependent or '(outcome)'} | {DEFAULT_ESTIMATOR_LABELS.get(result.estimator, result.estimator)}",
        f"Observations: {format_count(result.nobs)}" + (f" ({format_count(result.dropped)} dropped for missing values)" if result.dropped else ""),
        f"Standard errors: {result.vcov}",
        "",
    ]
    terms = [str(t) for t in result.params.index]
    width = max([len(t) for t in terms] + [4])
    rows = [("", *COLUMNS)]
    for term in terms:
        p = float(result.pvalues.get(term, math.nan))
        rows.append(
            (
                term,
                format_number(float(result.params[term]), 4),
                format_number(float(result.std_errors.get(term, math.nan)), 4),
                format_number(float(result.tstats.get(term, math.nan)), 2),
                format_number(p, 3) + stars_for(p, LEVELS).ljust(3),
            )
        )
    widths = [width] + [max(len(r[i]) for r in rows) for i in range(1, 5)]
    for row in rows:
        lines.append("  ".join([row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(row[1:], widths[1:])]).rstrip())
    fits = [(FIT_LABELS.get(k, k), v, k) for k, v in result.stats.items() if v is not None and math.isfinite(v)]
    if fits:
        lines.append("")
        for label, value, key in fits:
            lines.append(f"{label}: {format_count(value) if key in INTEGER_STATS else format_number(value, 4)}")
    lines.append("")
    lines.append("* p < 0.10, ** p < 0.05, *** p < 0.01")
    return "\n".join(lines) + "\n"
