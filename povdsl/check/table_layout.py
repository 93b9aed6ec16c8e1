"""Checks of a table's statistic, fit rows and layout options (issue 18).

`stat se, p` and `stat ci95`; `fit r2 "R²" digits 3`; `group` and `panel`,
which name models of the table (adjacent ones for a group; each model in at
most one panel, every model in one once panels are used). Kept apart from
`check/models.py` so each module reads in one sitting.
"""

from __future__ import annotations

from povdsl.check.nodes import name_of, number_of, string_of
from povdsl.check.state import CheckerState
from povdsl.diagnostics import did_you_mean
from povdsl.language import syntax as s

STATS = ("t", "se", "p", "none", "ci90", "ci95", "ci99")
SECOND_STATS = ("t", "se", "p", "ci90", "ci95", "ci99")
SWEEP_STATS = ("t", "se", "p", "none")
MAX_DIGITS = 8  # as `digits`: more is noise in a table
FIT_STYLES = ("small", "scale")  # `fit width small`: a smaller font too; `fit width scale`: shrunk, not wrapped
STAT_HINT = "use t, se, p, ci95 (ci90, ci99) or none; two statistics as `stat se, p`"


class TableLayoutChecks(CheckerState):
    """Checks of the statistic, fit-row and layout options of a table; the checker's `_table` calls them."""

    def _stat_option(self, opt: s.TableOption) -> tuple[str, str]:
        """(first, second) statistic of `stat t`, `stat ci95` or `stat se, p`; unknown names are E191."""
        names = [name_of(v) for v in opt.values]
        for v, name in zip(opt.values, names):
            if name not in STATS:
                self.error("E191", f"unknown statistic '{name}'", v.span, did_you_mean(name, STATS) or STAT_HINT)
                return "t", ""
        if len(names) > 2:
            self.error("E191", f"a table shows at most two statistics, not {len(names)}", opt.span, "e.g. stat se, p")
            return "t", ""
        if len(names) == 2:
            first, second = names
            if "none" in names:
                self.error("E191", "`none` shows no statistic and takes no second one", opt.span, "write `stat none` alone")
            elif first == second:
                self.error("E191", f"statistic '{first}' named twice", opt.values[1].span)
            return first, second
        return names[0], ""

    def _fit_option(self, opt: s.TableOption, fit: list[str], labels: list[tuple[str, str]], digits: list[tuple[str, int]]) -> None:
        """`fit r2, loglik` and `fit r2 "R²" digits 3`: statistics by name, each with its label and digits."""
        from povdsl.estimate.result import FIT_STATISTICS

        for name_node, label, places in s.fit_items(opt.values):
            statistic = name_node.id
            if statistic not in FIT_STATISTICS:
                self.error("E193", f"unknown fit statistic '{statistic}'", name_node.span, did_you_mean(statistic, FIT_STATISTICS) or "the fit statistics are " + ", ".join(sorted(FIT_STATISTICS)))
                continue
            fit.append(statistic)
            if label is not None:
                labels.append((statistic, string_of(label)))
            if places is not None:
                number = number_of(places)
                if not (float(number).is_integer() and 0 <= number <= MAX_DIGITS):
                    self.error("E188", f"digits takes a whole number from 0 to {MAX_DIGITS}", places.span)
                    continue
                digits.append((statistic, int(number)))

    def _fit_style(self, opt: s.TableOption) -> str:
        """`fit width` alone, `fit width small` or `fit width scale` (E189 otherwise)."""
        if not opt.values:
            return ""
        style = name_of(opt.values[0])
        if style not in FIT_STYLES:
            self.error("E189", f"unknown `fit width {style}`", opt.values[0].span, did_you_mean(style, FIT_STYLES) or "write `fit width`, `fit width small` or `fit width scale`")
            return ""
        return style

    def _span_option(self, d: s.TableDecl, opt: s.TableOption) -> tuple[str, tuple[str, ...]] | None:
        """A `group` or `panel` item: its text and models, each a model of this table, none twice (E186)."""
        table_models = [m.id for m in d.models]
        named: list[str] = []
        ok = True
        for v in opt.values:
            name = name_of(v)
            if name not in table_models:
                self.error("E186", f"{opt.kind} names model '{name}', which is not in table '{d.name}'", v.span, did_you_mean(name, table_models) or f"the table's models are {', '.join(table_models)}")
                ok = False
            elif name in named:
                self.error("E186", f"{opt.kind} names model '{name}' twice", v.span)
                ok = False
            named.append(name)
        if not ok:
            return None
        assert opt.target is not None  # the grammar gives group and panel their text
        return string_of(opt.target), tuple(named)

    def _check_groups(self, d: s.TableDecl, groups: list[tuple[s.TableOption, tuple[str, ...]]], panels: bool, layout: str) -> None:
        """A group spans adjacent models, in the table's order; groups do not overlap; a sweep table has none."""
        order = [m.id for m in d.models]
        taken: dict[str, str] = {}
        for opt, models in groups:
            if layout == "sweep":
                self.error("E186", "a sweep table has no model groups (its columns are industries and results)", opt.span, "remove `group` or `layout sweep`")
                return
            if panels:
                self.error("E186", "a table with panels cannot group models", opt.span, "use `group` or `panel`, not both")
                return
            columns = sorted(order.index(m) for m in models)
            if columns != list(range(columns[0], columns[0] + len(columns))):
                self.error("E186", "a group spans adjacent models of the table", opt.span, f"list them in the table's order with no other model between: {', '.join(order[columns[0]:columns[-1] + 1])}")
                continue
            overlap = [m for m in models if m in taken]
            if overlap:
                self.error("E186", f"model '{overlap[0]}' is already in group \"{taken[overlap[0]]}\"", opt.span, "a model belongs to one group")
                continue
            assert opt.target is not None
            taken.update(dict.fromkeys(models, string_of(opt.target)))

    def _check_panels(self, d: s.TableDecl, panels: list[tuple[s.TableOption, tuple[str, ...]]], layout: str) -> None:
        """Every model of the table in exactly one panel (E187), and panels only in a model table."""
        if not panels:
            return
        if layout != "models":
            self.error("E187", "panels stack model tables; a sweep table has none", panels[0][0].span, "remove `panel` or `layout sweep`")
            return
        seen: dict[str, str] = {}
        for opt, models in panels:
            assert opt.target is not None
            for m in models:
                if m in seen:
                    self.error("E187", f"model '{m}' is already in panel \"{seen[m]}\"", opt.span, "panels do not overlap: each model is in one panel")
                    return
                seen[m] = string_of(opt.target)
        for model in d.models:
            if model.id not in seen:
                self.error("E187", f"model '{model.id}' is in no panel", model.span, "once a table has panels, put each of its models in one")

    def _grid_option(self, d: s.TableDecl, opt: s.TableOption, declared: dict[str, s.ModelDecl]) -> tuple[str, ...]:
        """`layout sweep c by w`: two variables of every sweep of the table, one on rows, one on columns (E512, E513).

        Each member is one cell, so the two variables must be all the sweep varies:
        a third clause would put several members in one cell.
        """
        _, row, column = opt.values
        names = (name_of(row), name_of(column))
        if names[0] == names[1]:
            self.error("E512", f"'{names[0]}' cannot be both the rows and the columns", column.span, "name the sweep's other variable after `by`")
            return ()
        before = len(self.diagnostics)
        for m in d.models:
            model = declared.get(m.id)
            if model is None or not model.sweeps:
                continue  # E190 / E196 already
            variables = [sweep.var for sweep in model.sweeps]
            for node, name in zip((row, column), names):
                if name not in variables:
                    hint = did_you_mean(name, variables) or f"the variables of '{m.id}' are " + ", ".join(variables)
                    self.error("E512", f"'{name}' is not a variable of sweep '{m.id}'", node.span, hint)
                    return ()
            others = [v for v in variables if v not in names]
            if others:
                self.error(
                    "E513",
                    f"sweep '{m.id}' also varies {', '.join(others)}, so one cell would hold several of its fits",
                    m.span,
                    "show it with `layout sweep` (one row per member), or declare one model per value of " + ", ".join(others),
                )
        return names if len(self.diagnostics) == before else ()
