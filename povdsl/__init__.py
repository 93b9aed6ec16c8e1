"""povdsl: econometric model specs in, paper-ready tables out.

The estimation half (`fit`, `load`, `run`, `Result`, `Weights`) imports
pandas, statsmodels and linearmodels; it is loaded on first use, so that
`povdsl check`, `fmt` and `diff` start in a fraction of the time.
"""

from importlib import import_module

from povdsl.errors import DataError, EstimationError, PovdslError, SpecError
from povdsl.language.parser import parse

_LAZY = {"fit": "povdsl.api", "load": "povdsl.api", "run": "povdsl.api", "Result": "povdsl.estimate.result", "Weights": "povdsl.data.weights",
         "coefplot": "povdsl.render.plots", "sweepplot": "povdsl.render.plots", "impactsplot": "povdsl.render.plots",
         "save_figure": "povdsl.render.plots", "table": "povdsl.render.python_tables"}

__all__ = [
    "DataError", "EstimationError", "PovdslError", "Result", "SpecError", "Weights",
    "coefplot", "fit", "impactsplot", "load", "parse", "run", "save_figure", "sweepplot", "table",
]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'povdsl' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
