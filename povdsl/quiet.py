"""Silence a library's logger below ERROR for a block: its records there say nothing a povdsl user can act on."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_logger(name: str, level: int = logging.ERROR) -> Iterator[None]:
    """Only records at `level` and above (errors) from logger `name` while the block runs; its level is put back
    after (matplotlib's font manager while a figure is saved, distributed's nannies while povdsl's LocalCluster
    closes, and while it starts, when povdsl reports a failure itself)."""
    logger = logging.getLogger(name)
    before = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(before)
