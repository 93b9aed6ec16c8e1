"""A progress bar on stderr for runs of more than a few fits: done/total, rate, ETA (tqdm).

Shown only when stderr is a terminal, so piped output, CI logs and tests
stay clean; `povdsl run --quiet` turns it off. tqdm is imported only when a
bar is shown.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

MIN_FITS = 8  # fewer fits than this finish before a bar would tell anything


class _Silent:
    def update(self, n: int = 1) -> None:
        pass


@contextmanager
def progress_bar(total: int, *, enabled: bool = True, stream: Any = None) -> Iterator[Any]:
    """A bar counting `total` fits, or an object whose update does nothing."""
    stream = stream if stream is not None else sys.stderr
    if not enabled or total < MIN_FITS or not _is_terminal(stream):
        yield _Silent()
        return
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: the process pool forks, and a forked thread is trouble
    with tqdm(total=total, file=stream, unit="fit", desc="fitting", dynamic_ncols=True, leave=True) as bar:
        yield bar


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
