"""A sweep's shared design: compiled once in each process that fits its members; a member brings only its value.

When an industries variable enters nothing but a clusters() focus term, every
member of the group has the same design except that one column. The parent
only lists the members: a task is (design number, industry code). The
process that runs it (this one, a pool worker, a Dask worker) compiles the
design the first time it meets it, keeps it for the run (`WorkerContext`),
and per member computes the focus column from the cluster matrix held in
its run cache (`data.frames.cluster_values`, one column slice and one
gather per member). The same code runs in every executor, so the outcomes
are the same bits whichever runs them, and nothing per member costs the
parent O(rows).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import numpy as np

from povdsl.check import walk
from povdsl.check.plan import ModelPlan
from povdsl.data.frames import Frames, RunCache, cluster_values, on_cells, region_positions
from povdsl.estimate.compile import compile_model
from povdsl.estimate.design import Design, Vcov
from povdsl.estimate.sweep_sources import concrete_model, substitute
from povdsl.language import syntax as s
from povdsl.language.printer import expr_text


@dataclass(frozen=True)
class SharedDesign:
    """One group's design: what a worker needs to compile it, and once compiled the design itself.

    `column` is the focus column as compiled for the first member (the fit
    cache's key reads it); `renamed` is the declared focus term, the name
    every member's focus coefficient is reported under, so the parent
    renames nothing.
    """

    estimator: str
    options: tuple
    model: ModelPlan  # the group's model, its sweep variable pending: the design is compiled from its `first` member
    focus: s.Call  # the clusters() focus term with the sweep variable still in it
    var: str  # the sweep variable
    first: str  # the first member's value
    column: str
    renamed: str
    design: Design | None = None  # set by `compiled`
    vcov: Vcov | None = None
    cells: np.ndarray | None = field(default=None, compare=False, repr=False)  # each design row's region cell

    def compiled(self, frames: Frames, cache: RunCache) -> SharedDesign:
        """The design compiled on `frames` (raises the compile stage's error when it cannot be)."""
        done = compile_model(concrete_model(self.model, self.first), frames, cache)
        rows = frames.unit.index.get_indexer(done.design.exog.index)  # the design's rows are unit rows
        return replace(self, design=done.design, vcov=done.vcov, cells=region_positions(frames, cache)[rows])

    @functools.cached_property
    def _direct(self) -> bool:
        """The variable is the call's `industry=` argument and nothing else: a member's value is passed as the code,
        without building its call (substituting into the call cost more than counting its clusters)."""
        industry = [kw for kw in self.focus.keywords if kw.name == "industry"]
        others = (*self.focus.positional, *(kw.value for kw in self.focus.keywords if kw.name != "industry"))
        named = len(industry) == 1 and isinstance(industry[0].value, s.Name) and industry[0].value.id == self.var
        return named and not any(
            isinstance(n, s.Name) and n.id == self.var for node in others for n in walk(node)
        )

    def member_term(self, value: str) -> str:
        """The member's own focus term as printed, e.g. `clusters(census, digits=4, industry="1712")`."""
        return expr_text(substitute(self.focus, self.var, value))

    def member_column(self, value: str, frames: Frames, cache: RunCache) -> np.ndarray:
        """The focus column of the member whose sweep variable is `value`, on the design's rows."""
        assert self.cells is not None  # only compiled designs have members fitted
        if self._direct:
            return on_cells(cluster_values(frames, self.focus, cache, industry=value), self.cells)
        return on_cells(cluster_values(frames, substitute(self.focus, self.var, value), cache), self.cells)
