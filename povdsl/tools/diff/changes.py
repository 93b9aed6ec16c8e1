"""The Change record, the kinds of declaration and change, exit codes and schema version."""

from __future__ import annotations

from dataclasses import dataclass

from povdsl.language.kinds import KINDS

SCHEMA_VERSION = 1
EXIT_SAME, EXIT_CHANGED, EXIT_TROUBLE = 0, 1, 2

DECLARATION_KINDS = tuple(k.keyword for k in KINDS)  # reported in this order
CHANGE_KINDS = (
    # any declaration
    "added",
    "removed",
    "renamed",
    # data
    "source changed",
    # data, weights, table
    "option added",
    "option removed",
    "option changed",
    # weights
    "builder changed",
    # let
    "definition changed",
    # terms and model
    "term added",
    "term removed",
    # model
    "label changed",
    "sweep changed",
    "outcome changed",
    "estimator changed",
    "estimator option added",
    "estimator option removed",
    "estimator option changed",
    "where changed",
    "vcov changed",
    # table
    "title changed",
    "model added",
    "model removed",
    "models reordered",
    "label added",
    "label removed",
    "note added",
    "note removed",
    # figure (and the table kinds above: title, model, label, note and option changes)
    "plot changed",
)

_KIND_OF = {k.node: k.keyword for k in KINDS}
_WEIGHTS_ARGUMENTS = ("file", "origin", "destination", "value")
_TABLE_DEFAULTS = {
    "stat": "t",
    "stars": "0.1 0.05 0.01",
    "keep": "(all)",
    "drop": "(none)",
    "order": "(none)",
    "fit": "(none)",
    "significant": "off",
    "layout": "models",
    "digits": "(default)",
    "rows": "(none)",
    "vcov row": "off",
    "row fe": "off",
    "group": "(none)",
    "panel": "(none)",
    "fit width": "off",
    "landscape": "off",
}
_FIGURE_DEFAULTS = {
    "level": "0.95",
    "keep": "(all)",
    "drop": "(none)",
    "order": "(none)",
    "size": "(text width, height by rows)",
    "format": "pdf, svg",
    "style": "journal",
}


@dataclass(frozen=True, slots=True)
class Change:
    """One difference in meaning; flat so that text, JSON and tests read it alike."""

    declaration: str  # data | weights | let | terms | model | table | figure
    name: str  # the declaration's name in the new spec (old spec when removed)
    kind: str  # one of CHANGE_KINDS
    detail: str | None = None  # which option, argument, label target, ...
    old: str | None = None  # canonical text before, None when absent
    new: str | None = None  # canonical text after, None when absent
    via_macro: str | None = None  # term changes: the macro the term came through
    models_reached: tuple[str, ...] = ()  # models this change affects

    def as_json(self) -> dict:
        return {
            "declaration": self.declaration,
            "name": self.name,
            "kind": self.kind,
            "detail": self.detail,
            "old": self.old,
            "new": self.new,
            "via_macro": self.via_macro,
            "models_reached": list(self.models_reached),
        }

