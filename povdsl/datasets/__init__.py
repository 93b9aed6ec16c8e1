"""Bundled example data; see docs/data.md."""

from __future__ import annotations

import importlib.resources
import pathlib

__all__ = ["bundled_path"]


def bundled_path(relpath: str) -> pathlib.Path:
    """A file or folder under povdsl/datasets/, found where the package is installed."""
    path = pathlib.Path(str(importlib.resources.files("povdsl.datasets").joinpath(relpath)))
    if not path.exists():
        raise FileNotFoundError(f"no bundled dataset file {relpath!r} (looked at {path})")
    return path
