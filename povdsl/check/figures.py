"""Checks of figure declarations: what they plot, which models and terms, and their options.

A figure is checked like a table: every model it names must exist and be of
the right kind (plain models for `coef`, sweeps for `sweep`), every term in
`label`/`keep`/`drop`/`order` must be a term of one of its models, and each
option's value must be one povdsl can draw. The allowed styles and formats
come from `povdsl.render.figure_style`, which imports no plotting library.
"""

from __future__ import annotations

from povdsl.check.models import _selector, _target_text
from povdsl.check.plan import FigureSpec, ModelPlan, TermSelector
from povdsl.check.state import CheckerState
from povdsl.check.sweeps import source_kind
from povdsl.diagnostics import did_you_mean
from povdsl.language import syntax as s
from povdsl.language.printer import expr_text
from povdsl.render.figure_style import (
    DEFAULT_FORMATS,
    DEFAULT_STYLE,
    FIGURE_FORMATS,
    STYLES,
)

PLOTS = ("coef", "sweep", "impacts", "curve")
IMPACT_ESTIMATORS = ("sar", "sdm", "sac")  # the spatial lag models, whose Results carry impacts
# Plots the issue tracker plans and what each still needs, so a spec that asks is told why not.
PLANNED: dict[str, str] = {}
OPTIONS = ("label", "keep", "drop", "order", "note", "level", "size", "format", "style")
TERM_OPTIONS = ("label", "keep", "drop", "order")  # coef() and impacts() figures: rows are terms
MAX_SIZE_IN = 20.0  # inches; a PNG at 300 dpi of 20 x 20 inches is already 36 million pixels
INTERCEPT = "Intercept"


class FigureChecks(CheckerState):
    """Checks `figure` declarations against the models they plot."""

    def _figure(self, d: s.FigureDecl, declared: dict[str, s.ModelDecl], checked: dict[str, ModelPlan]) -> FigureSpec | None:
        before = len(self.diagnostics)
        kind = d.plot.func
        models = self._figure_models(d.plot, declared)
        terms = self._figure_terms([checked[m] for m in models]) if all(m in checked for m in models) else None
        labels: list[tuple[str, str]] = []
        lists: dict[str, list[str]] = {"keep": [], "drop": [], "order": []}
        notes: list[str] = []
        chosen: list[TermSelector] = []
        level, style = 0.95, DEFAULT_STYLE
        size: tuple[float | None, float | None] = (None, None)
        formats: tuple[str, ...] = DEFAULT_FORMATS
        for opt in d.options:
            if opt.kind not in OPTIONS:  # a table's option, or any other word
                word = opt.target.id if opt.kind == "unknown" and isinstance(opt.target, s.Name) else opt.kind
                self.error("E407", f"figures have no option '{word}'", opt.span, did_you_mean(word, OPTIONS) or f"figure options: {', '.join(OPTIONS)}")
                continue
            if opt.kind in TERM_OPTIONS and kind == "sweep":
                self.error("E412", f"{opt.kind} applies to coef() and impacts() figures; a sweep() figure has one row per member", opt.span, "remove the line")
                continue
            if opt.kind in ("keep", "drop", "order") and kind == "curve":
                self.error("E412", f"{opt.kind} applies to coef() and impacts() figures; a curve() draws one term (term=)", opt.span, "remove the line")
                continue
            numbers = [v for v in opt.values if isinstance(v, s.Number)]  # the grammar decides each option's value types
            names = [v for v in opt.values if isinstance(v, s.Name)]
            strings = [v.value for v in opt.values if isinstance(v, s.String)]
            if opt.kind == "label" and opt.target is not None:  # a curve's labels name terms or sweep values
                chosen.append(self._figure_selector("label", opt.target, None if kind == "curve" else terms, strings[0]))
                labels.append((_target_text(opt.target), strings[0]))
            elif opt.kind in lists:
                for v in opt.values:
                    chosen.append(self._figure_selector(opt.kind, v, terms))
                    lists[opt.kind].append(_target_text(v))
            elif opt.kind == "note":
                notes.extend(strings)
            elif opt.kind == "level":
                level = numbers[0].value
                if not 0.5 <= level < 1:
                    self.error("E408", f"level {numbers[0].text} is not a confidence level", numbers[0].span, "a probability between 0.5 and 1, e.g. level 0.95")
            elif opt.kind == "size":
                width, height = (v.value for v in numbers)
                if not (0 < width <= MAX_SIZE_IN and 0 < height <= MAX_SIZE_IN):
                    self.error("E409", f"size takes a width and a height in inches, each above 0 and at most {MAX_SIZE_IN:g}", opt.span, "e.g. size 4.8 3")
                size = (width, height)
            elif opt.kind == "format":
                formats = tuple(dict.fromkeys(v.id for v in names))
                for v in names:
                    if v.id not in FIGURE_FORMATS:
                        self.error("E410", f"unknown figure format '{v.id}'", v.span, did_you_mean(v.id, FIGURE_FORMATS) or f"formats: {', '.join(FIGURE_FORMATS)}")
            elif opt.kind == "style":
                style = names[0].id
                if style not in STYLES:
                    self.error("E411", f"unknown figure style '{style}'", names[0].span, did_you_mean(style, STYLES) or f"styles: {', '.join(STYLES)}")
        if len(self.diagnostics) > before:
            return None
        return FigureSpec(
            name=d.name,
            title=d.title or d.name,
            kind=kind,
            models=tuple(models),
            level=level,
            labels=tuple(labels),
            keep=tuple(lists["keep"]),
            drop=tuple(lists["drop"]),
            order=tuple(lists["order"]),
            notes=tuple(notes),
            width=size[0],
            height=size[1],
            formats=formats,
            style=style,
            selectors=tuple(chosen),
            term=self._curve_term(d.plot, [checked[m] for m in models if m in checked]) if kind == "curve" else "",
        )

    def _curve_term(self, plot: s.FigurePlot, models: list[ModelPlan]) -> str:
        """curve(sweep, term=x): x must be a term of every member (default: the first term, the sweep's focus)."""
        given = next((kw.value for kw in plot.keywords if kw.name == "term"), None)
        if given is None or not models:
            return ""
        text = expr_text(given)
        members = [member.model for member in models[0].members] or [models[0]]
        if any(text not in {expr_text(t) for t in m.terms} for m in members):
            terms = sorted({expr_text(t) for t in members[0].terms})
            self.error("E406", f"'{text}' is not a term of every member of '{models[0].name}'", given.span, did_you_mean(text, terms) or f"terms: {', '.join(terms)}")
            return ""
        return text

    def _figure_models(self, plot: s.FigurePlot, declared: dict[str, s.ModelDecl]) -> list[str]:
        """The model names `plot` draws, each checked to exist and to suit the plot."""
        kind = plot.func
        if kind in PLANNED:
            self.error("E402", f"{kind}() figures are not available yet", plot.func_span, PLANNED[kind])
            return []
        if kind not in PLOTS:
            self.error("E401", f"unknown figure '{kind}()'", plot.func_span, did_you_mean(kind, (*PLOTS, *PLANNED)) or "draw coef(models...), sweep(sweep models...) or impacts(spatial lag models...)")
            return []
        for kw in plot.keywords:
            if kind == "curve" and kw.name == "term":
                continue
            self.error("E405", f"{kind}() takes model names only, not '{kw.name}='" + (" (and term=)" if kind == "curve" else ""), kw.span)
        names: list[str] = []
        for arg in plot.positional:
            if not isinstance(arg, s.Name):
                self.error("E405", f"{kind}() takes model names, not {expr_text(arg)}", arg.span)
                continue
            model = declared.get(arg.id)
            if model is None:
                self.error("E403", f"unknown model '{arg.id}'", arg.span, did_you_mean(arg.id, declared))
            elif kind == "coef" and model.sweep is not None:
                self.error("E404", f"'{arg.id}' is a sweep (one model per member); draw it with sweep({arg.id})", arg.span)
            elif kind == "impacts" and (model.sweep is not None or model.estimator.name not in IMPACT_ESTIMATORS):
                self.error("E404", f"'{arg.id}' has no impacts; impacts() draws spatial lag models ({', '.join(IMPACT_ESTIMATORS)})", arg.span)
            elif kind in ("sweep", "curve") and model.sweep is None:
                self.error("E404", f"'{arg.id}' is not a sweep; draw it with coef({arg.id})", arg.span)
            elif kind == "curve" and all(source_kind(w) == "industries" for w in model.sweeps):
                self.error("E404", f"'{arg.id}' sweeps over industries only; a curve() draws a multiverse of specification choices", arg.span, f"draw it with sweep({arg.id})")
            elif kind == "curve" and names:
                self.error("E405", "curve() draws one sweep", arg.span, "declare one figure per sweep")
            elif arg.id in names:
                self.error("E405", f"'{arg.id}' is named twice", arg.span)
            else:
                names.append(arg.id)
        if not plot.positional:
            self.error("E413", f"{kind}() needs at least one model", plot.span, f"e.g. {kind}(m1)")
        return names

    @staticmethod
    def _figure_terms(models: list[ModelPlan]) -> set[str] | None:
        """Every term the models estimate, as printed; None when a model did not check (nothing to compare with)."""
        if not models:
            return None
        terms = {expr_text(t) for m in models for t in m.terms}
        if any(m.intercept for m in models):
            terms.add(INTERCEPT)
        return terms

    def _figure_selector(self, kind: str, target: s.Expr, terms: set[str] | None, label: str = "") -> TermSelector:
        """A keep/drop/order/label item as a table reads it; a plain term that no model has is refused now.

        Globs, strings and lag ranges name coefficients only the fit reports,
        so they are matched after fitting (E197, as for tables).
        """
        selector = _selector(kind, target, label)
        plain = not isinstance(target, s.String) and selector.names == (expr_text(target),)
        if plain and terms is not None and selector.text not in terms:
            hint = did_you_mean(selector.text, terms) or f"terms: {', '.join(sorted(terms))}"
            self.error("E406", f"'{selector.text}' is not a term of the figure's models", target.span, hint)
        return selector
