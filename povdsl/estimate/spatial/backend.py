"""Lazy access to spreg and libpysal, with the install hint when they are missing."""

from __future__ import annotations

import importlib
from types import ModuleType

from povdsl.errors import EstimationError

INSTALL_HINT = 'pip install "povdsl[spatial]"  (installs spreg and libpysal)'


def require(name: str) -> ModuleType:
    """Import spreg, libpysal or one of their submodules, or say how to install them."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise EstimationError(f"spatial models need the optional package '{name.split('.')[0]}'", hint=INSTALL_HINT) from None


def call(model: str, function, *args, **kwargs):
    """Run one spreg estimator quietly (spreg prints its class name and warns freely); a failure is an EstimationError."""
    import contextlib
    import io
    import warnings

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        try:
            return function(*args, **kwargs)
        except Exception as exc:  # spreg raises bare Exception (e.g. "H'H singular"); the boundary turns every failure into ours
            raise EstimationError(f"spreg could not fit the {model}: {str(exc).splitlines()[0][:200]}") from None
