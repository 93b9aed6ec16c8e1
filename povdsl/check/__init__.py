"""Syntax tree -> plan. Every mistake becomes a diagnostic; all are collected.

The checker resolves names (data columns, lets, term macros, weights, models),
gives formula operators their meaning, binds estimator arguments and fills in
every default, so the plan says exactly what will be fitted. It never reads
more of a data file than its header line.
"""

from povdsl.check.checker import Environment, check
from povdsl.check.expressions import LEVELS, MAX_FORMULA_POWER
from povdsl.check.models import VCOV_KINDS
from povdsl.check.nodes import literal, walk
from povdsl.check.table_layout import STATS

__all__ = ["LEVELS", "MAX_FORMULA_POWER", "STATS", "VCOV_KINDS", "Environment", "check", "literal", "walk"]
