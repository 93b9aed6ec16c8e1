"""Checks of data and weights declarations: sources, header lines, options, column scope."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from povdsl.check.nodes import _literal
from povdsl.check.plan import DataPlan, WeightsPlan
from povdsl.check.sources import SourceError, resolve_bundled, resolve_path
from povdsl.check.state import CheckerState
from povdsl.data.files import COMPRESSIONS, PLAIN, FileProblem, ReadOptions, read_header
from povdsl.data.polygon_files import CONTIGUITY, polygon_columns, polygon_format, sidecars
from povdsl.diagnostics import did_you_mean
from povdsl.errors import Span
from povdsl.language import syntax as s
from povdsl.language.functions import DATA_OPTIONS, KERNELS, WEIGHT_BUILDERS

DATA_SETTINGS = ("na", "compression")


class DeclarationChecks(CheckerState):
    """Checks data and weights declarations and builds the column scope from their headers."""

    def _source(self, expr: s.Expr) -> tuple[str | None, str]:
        """Resolve a file reference; returns (path or None, text for messages)."""
        if isinstance(expr, s.String):
            raw = expr.value
            try:
                return str(resolve_path(raw, self.env.spec_path, self.env.allow_outside)), raw
            except SourceError as exc:
                self.error("E301", str(exc), expr.span, exc.hint)
                return None, raw
        if isinstance(expr, s.Call) and expr.func == "bundled" and len(expr.args) == 1 and isinstance(expr.args[0], s.String):
            raw = expr.args[0].value
            try:
                return str(resolve_bundled(raw)), raw
            except SourceError as exc:
                self.error("E301", str(exc), expr.span, exc.hint)
                return None, raw
        self.error("E302", "a data source is a path string or bundled(\"...\")", expr.span, 'e.g. "data/households.csv"')
        return None, ""

    def _header(self, path: str, span: Span | None, options: ReadOptions = PLAIN) -> tuple[str, ...] | None:
        """The file's column names, or None after one located error (its names are then not reported again)."""
        try:
            row = read_header(path, options)
        except FileProblem as exc:
            code = "E303" if exc.message.startswith("data file not found") else "E304"
            self.error(code, exc.message, span, exc.hint)
            return None
        if any(c != c.strip() for c in row):  # pandas keeps the spaces: ' x' would pass here and fail in formulaic
            padded = ", ".join(repr(c) for c in row if c != c.strip())
            self.error("E304", f"column names in {Path(path).name} have leading or trailing spaces: {padded}", span, "remove the spaces from the header line")
            return None
        return row

    def _settings(self, d: s.DataDecl) -> ReadOptions:
        """`na=".", "NA"` and `compression="gzip"`: how the file is read, never guessed from its name."""
        na: tuple[str, ...] = ()
        compression = None
        for setting in d.settings:
            texts = [v.value for v in setting.values if isinstance(v, s.String)]
            if setting.name not in DATA_SETTINGS:
                self.error("E305", f"unknown data option '{setting.name}'", setting.name_span, did_you_mean(setting.name, DATA_SETTINGS) or 'reading options are na="." and compression="gzip"')
            elif len(texts) != len(setting.values):
                self.error("E314", f"{setting.name}= takes text in quotes", setting.span, f'e.g. {setting.name}="{"." if setting.name == "na" else "gzip"}"')
            elif setting.name == "na":
                na += tuple(texts)
            elif len(texts) != 1 or texts[0] not in COMPRESSIONS:
                self.error("E314", "compression= takes one of " + ", ".join(f'"{c}"' for c in COMPRESSIONS), setting.span, did_you_mean(texts[0], COMPRESSIONS) if texts else None)
            else:
                compression = texts[0]
        return ReadOptions(na, compression)

    def _data(self, d: s.DataDecl):
        path, _ = self._source(d.source)
        reading = self._settings(d)
        columns = self._header(path, d.source.span, reading) if path else None
        options: dict[str, tuple[str, ...]] = {}
        for opt in d.options:
            arity = DATA_OPTIONS.get(opt.func)
            if arity is None:
                self.error("E305", f"unknown data option '{opt.func}'", opt.func_span, did_you_mean(opt.func, DATA_OPTIONS) or "options are panel(unit, time), key(region, time), region(column)")
                continue
            names = [a for a in opt.args if isinstance(a, s.Name)]
            if len(names) != len(opt.args) or not arity[0] <= len(names) <= arity[1]:
                self.error("E306", f"{opt.func}() takes {arity[0]} column name{'s' if arity[0] > 1 else ''}", opt.span)
                continue
            if columns is not None:
                for n in names:
                    if n.id not in columns:
                        self.error("E307", f"column '{n.id}' not found in {Path(path or '').name}", n.span, did_you_mean(n.id, columns))
            options[opt.func] = tuple(n.id for n in names)
        if "panel" in options and "key" in options:
            self.error("E308", "a data set is either panel(...) or key(...), not both", d.span)
        if "panel" in options:
            role, unit, time = "panel", *options["panel"]
            region = options.get("region", (None,))[0]
        elif "key" in options:
            role, (region, time), unit = "region", options["key"], None
        else:
            role, unit, time, region = "source", None, None, options.get("region", (None,))[0]
        self.data[d.name] = DataPlan(
            d.name, path or "", columns or (), role, unit, time, region, span=d.span, na=reading.na, compression=reading.compression, readable=columns is not None
        )
        panels = [p for p in self.data.values() if p.role == "panel"]
        if role == "panel" and len(panels) > 1:
            self.error("E309", "only one data set may be declared panel(...)", d.span)

    def _weights(self, d: s.WeightsDecl):
        b = d.builder
        assert isinstance(b, s.Call)  # a set of weights ([w1, w2]) is checked by SweepChecks._weight_sets
        if b.func not in WEIGHT_BUILDERS:
            self.error("E310", f"unknown weights builder '{b.func}'", b.func_span, did_you_mean(b.func, WEIGHT_BUILDERS) or "use inverse(file, origin, destination, value)")
            return
        pos = b.positional
        names = [a for a in pos[1:] if isinstance(a, s.Name)]
        if b.func in CONTIGUITY:
            self._contiguity(d)
            return
        if len(pos) != 4 or len(names) != 3:
            columns_are = "origin, destination, value" if b.func == "inverse" else "region, x, y"
            self.error("E311", f"{b.func}() takes a file and three column names: {columns_are}", b.span)
            return
        path, _ = self._source(pos[0])
        columns = self._header(path, pos[0].span) if path else None
        if columns is not None:
            for n in names:
                if n.id not in columns:
                    self.error("E307", f"column '{n.id}' not found in {Path(path or '').name}", n.span, did_you_mean(n.id, columns))
        opts: dict[str, Any] = {}
        for kw in b.keywords:
            if kw.name not in WEIGHT_BUILDERS[b.func]:
                self.error("E312", f"unknown option '{kw.name}' of {b.func}()", kw.span, did_you_mean(kw.name, WEIGHT_BUILDERS[b.func]))
                continue
            value = _literal(kw.value)
            if kw.name in ("row_standardize", "binary", "fixed") and not isinstance(value, bool):
                self.error("E313", f"{kw.name} takes true or false", kw.value.span)
            elif kw.name == "function":
                if isinstance(kw.value, s.Name) and kw.value.id in KERNELS:
                    opts[kw.name] = kw.value.id
                else:
                    self.error("E313", f"function takes one of {', '.join(KERNELS)}", kw.value.span)
            elif kw.name in ("threshold", "bandwidth") and (not isinstance(value, float) or value <= 0):
                self.error("E313", f"{kw.name} takes a positive number", kw.value.span)
            elif kw.name == "alpha" and b.func == "distance_band" and not isinstance(value, float):
                self.error("E313", "alpha takes a number (the power of distance, e.g. -1)", kw.value.span)
            elif kw.name == "alpha" and b.func == "distance_band":
                opts[kw.name] = value
            elif kw.name == "k" and (not isinstance(value, float) or value < 1 or value != int(value)):
                self.error("E313", "k takes a positive whole number", kw.value.span)
            elif kw.name in ("alpha", "cutoff") and (not isinstance(value, float) or value <= 0):
                self.error("E313", f"{kw.name} takes a positive number", kw.value.span)
            else:
                opts[kw.name] = int(value) if kw.name == "k" else value
        if b.func == "distance_band" and "threshold" not in opts:
            self.error("E311", "distance_band() needs threshold=, the largest distance between neighbours", b.span)
        origin, destination, value_column = (n.id for n in names)
        self.weights[d.name] = WeightsPlan(d.name, path or "", origin, destination, value_column, transform=b.func, span=d.span, **opts)

    def _contiguity(self, d: s.WeightsDecl) -> None:
        """`queen(file, id)` / `rook(file, id)`: a polygon file (and a shapefile's .shx, .dbf) inside the project, with the id column."""
        b = d.builder
        assert isinstance(b, s.Call)  # called from _weights for a queen()/rook() builder
        pos = b.positional
        if len(pos) != 2 or not isinstance(pos[1], s.Name):
            self.error("E311", f"{b.func}() takes a polygon file and the column naming each region: {b.func}(\"regions.shp\", county)", b.span)
            return
        id_column = pos[1]
        path, _ = self._source(pos[0])
        columns = None
        if path is not None:
            try:
                polygon_format(path)
                for sidecar in sidecars(path):  # read too: the project rule applies to each
                    resolve_path(str(sidecar), self.env.spec_path, self.env.allow_outside)
                columns = polygon_columns(path)
            except SourceError as exc:
                self.error("E301", str(exc), pos[0].span, exc.hint)
            except FileProblem as exc:
                code = "E303" if exc.message.startswith("data file not found") else "E304"
                self.error(code, exc.message, pos[0].span, exc.hint)
        if columns is not None and id_column.id not in columns:
            self.error("E307", f"column '{id_column.id}' not found in {Path(path or '').name}", id_column.span, did_you_mean(id_column.id, columns))
        opts: dict[str, Any] = {}
        for kw in b.keywords:
            value = _literal(kw.value)
            if kw.name not in WEIGHT_BUILDERS[b.func]:
                self.error("E312", f"unknown option '{kw.name}' of {b.func}()", kw.span, did_you_mean(kw.name, WEIGHT_BUILDERS[b.func]))
            elif not isinstance(value, bool):
                self.error("E313", f"{kw.name} takes true or false", kw.value.span)
            else:
                opts[kw.name] = value
        self.weights[d.name] = WeightsPlan(d.name, path or "", id_column.id, "", "", transform=b.func, span=d.span, **opts)

    def _units(self) -> None:
        """Without panel(...), the first data set declared without key(...) is a cross-section: the units' frame."""
        if not any(p.role == "panel" for p in self.data.values()):
            first = next((p for p in self.data.values() if p.role == "source"), None)
            if first is not None:
                self.data[first.name] = replace(first, role="panel")

    def _columns_scope(self):
        """Region columns, then the unit-level data set's."""
        for plan in self.data.values():
            if plan.role == "region":
                for c in plan.columns:
                    self.scope.setdefault(c, "region")
        for plan in self.data.values():
            if plan.role == "panel":
                for c in plan.columns:
                    self.scope[c] = "unit"
