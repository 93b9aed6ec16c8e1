"""Peak resident memory of a stretch of code in this process, for the benchmarks' child processes.

The kernel's high-water mark (VmHWM) is reset just before the measured call
(`/proc/self/clear_refs`, Linux), so what imports and input data took before
does not count; the result is the growth of the resident set during the call.
"""

from __future__ import annotations

import gc


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def start() -> int | None:
    """Reset the high-water mark; returns the current RSS in kB, or None where the kernel cannot reset it."""
    gc.collect()
    before = _status_kb("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return None
    return before


def peak_mb(before: int | None) -> float:
    """Growth of the resident set since `start()`, in MB (NaN when it could not be measured)."""
    return float("nan") if before is None else (_status_kb("VmHWM") - before) / 1024
