"""What a dynamic-panel GMM model asks for, independent of any data.

The checker builds a `DynamicPanelSpec` from `diffgmm(...)`/`sysgmm(...)`
and stores it in `ModelPlan.dynamic`; the estimator in
`povdsl.estimate.dynpanel` fits exactly that record. One definition, so the
plan and the engine cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from povdsl.errors import EstimationError


@dataclass(frozen=True)
class GmmInstrument:
    """GMM-style instruments: lags ``first``..``last`` of ``var``, one column per period and lag.

    ``last=None`` takes every available lag (xtabond2's ``lag(2 .)``); ``collapse``
    keeps one column per lag instead, so the count stops growing with T.
    """

    var: str
    first: int
    last: int | None = None
    collapse: bool = False


@dataclass(frozen=True)
class IvInstrument:
    """IV-style instrument: one column, differenced in the difference equation and in levels in the level equation.

    ``lag`` is an extension over xtabond2's ``iv(x)``, equal to ``iv(L{lag}.x)``.
    """

    var: str
    lag: int = 0


@dataclass(frozen=True)
class DynamicPanelSpec:
    """A difference (Arellano-Bond) or system (Blundell-Bond) GMM model."""

    y: str
    regressors: tuple[tuple[str, int], ...]  # (variable, lag) pairs, e.g. (("n", 1), ("w", 0))
    gmm: tuple[GmmInstrument, ...]
    iv: tuple[IvInstrument, ...] = ()
    system: bool = False
    steps: int = 2
    time_effects: bool = False
    constant: bool | None = None  # None: xtabond2's default (in system GMM only)
    collapse: bool = False  # collapse every GMM instrument

    def __post_init__(self):
        # Accept lists from callers but keep the frozen spec hashable.
        object.__setattr__(self, "regressors", tuple((str(v), int(k)) for v, k in self.regressors))
        object.__setattr__(self, "gmm", tuple(self.gmm))
        object.__setattr__(self, "iv", tuple(self.iv))
        if any(k < 0 for _, k in self.regressors):
            raise EstimationError("regressor lags must be >= 0", hint="leads are not supported")

    @property
    def has_constant(self) -> bool:
        """xtabond2 enters the constant in the level equation only, so difference GMM has none."""
        return self.system if self.constant is None else (self.constant and self.system)

    @property
    def estimator(self) -> str:
        return "sysgmm" if self.system else "diffgmm"
