"""Silence a library's logger below ERROR for a block: its records there say nothing a povdsl user can act on."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_logger(name: str) -> Iterator[None]:
    """Only errors from logger `name` while the block runs; its level is put back after (matplotlib's font
    manager while a figure is saved, distributed's nannies while povdsl's LocalCluster closes)."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
