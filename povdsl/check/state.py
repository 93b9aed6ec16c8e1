"""What every part of the checker shares: the spec's environment, the scope built so far, and the diagnostics.

The checks are split into mixins by subject (declarations, expressions, models);
this base declares the state they read and write, so each mixin type-checks
on its own and no mixin reaches for an attribute another one happens to set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from povdsl.check.plan import DataPlan, WeightsPlan
from povdsl.check.sweeps import MAX_FITS
from povdsl.check.terms import Expander
from povdsl.errors import Diagnostic, Span
from povdsl.language import syntax as s


@dataclass
class Environment:
    """What the checker may know besides the spec: where files are, or frames given in memory."""

    spec_path: Path | None = None
    allow_outside: tuple[Path, ...] = ()
    frames: dict[str, DataPlan] = field(default_factory=dict)  # name -> DataPlan given directly (povdsl.fit)
    weights: dict[str, WeightsPlan] = field(default_factory=dict)  # name -> WeightsPlan given directly
    unit_level_w: bool = False  # povdsl.fit: W() may take unit-level columns constant within region-time
    max_fits: int = MAX_FITS  # fits the spec's sweeps may expand to (`--max-fits`; docs/sweeps.md)


class CheckerState:
    """The state of one spec's check, shared by the mixins that hold the checks."""

    spec: s.Spec
    env: Environment
    diagnostics: list[Diagnostic]
    scope: dict[str, str]  # variable -> level ("scalar", "region", "unit")
    macros: dict[str, s.Expr]
    weights: dict[str, WeightsPlan]
    weight_sets: dict[str, tuple[str, ...]]  # `weights NAME = [w1, w2]`: sets a sweep may run over
    data: dict[str, DataPlan]
    sweep_var: str | None  # the variable of the sweep being checked, if any
    _macro_ok: dict[str, bool]  # each `terms` body checked once (expressions.check_macros)
    _expander: Expander | None  # formula expansion, each macro expanded once

    def __init__(self, spec: s.Spec, env: Environment):
        self.spec = spec
        self.env = env
        self.diagnostics = []
        self.scope = {}
        self.macros = {}
        self.weights = dict(env.weights)
        self.weight_sets = {}
        self.data = dict(env.frames)
        self.sweep_var = None
        self._macro_ok = {}
        self._expander = None

    def error(self, code: str, message: str, span: Span | None, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint))
