"""povdsl: econometric model specs in, paper-ready tables out."""

from povdsl.api import fit, load, run
from povdsl.errors import DataError, EstimationError, PovdslError, SpecError
from povdsl.parser import parse
from povdsl.result import Result
from povdsl.weights import Weights

__all__ = ["DataError", "EstimationError", "PovdslError", "Result", "SpecError", "Weights", "fit", "load", "parse", "run"]
__version__ = "0.1.0"
