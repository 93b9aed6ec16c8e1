"""Helpers of the fit cache tests (test_fit_cache.py, test_cache_owners.py): entry file names as a run computes them, aging files."""

from __future__ import annotations

import os
from pathlib import Path


def entry_names(spec: Path) -> dict[str, str]:
    """The entry file of each plain model (its key) and of each sweep (its batch), computed as the run does."""
    from povdsl.check.specfile import load_plan
    from povdsl.estimate.fit_cache import Fingerprint, fit_key, sweep_batch

    plan = load_plan(spec)
    fingerprint = Fingerprint(plan)
    return {m.name: f"{sweep_batch(m.name, fingerprint) if m.is_sweep else fit_key(m, (), False, fingerprint)}.json" for m in plan.models}


def age(path: Path, days: float) -> None:
    """Make the file (or link) look `days` days older, as a month without runs would."""
    old = path.lstat().st_mtime - days * 86400
    os.utime(path, (old, old), follow_symlinks=False)
