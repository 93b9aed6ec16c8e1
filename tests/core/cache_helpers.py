"""Helpers of the fit cache tests (test_fit_cache.py, test_cache_owners.py): entry file names as a run computes them, aging files."""

from __future__ import annotations

import json
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


def read_entry(path: Path) -> dict:
    """An entry file's JSON behind its seal (estimate/fit_seal.py), as the run reads it."""
    from povdsl.estimate.fit_seal import seal_key, unseal

    key = seal_key()
    assert key is not None
    return json.loads(unseal(path.read_text(encoding="utf-8"), key))


def write_entry(path: Path, data: object) -> None:
    """Write JSON as an entry file this user's runs trust: sealed with this user's key (a test's tampering, not a foreign file)."""
    from povdsl.estimate.fit_seal import seal, seal_key

    key = seal_key()
    assert key is not None
    path.write_text(seal(json.dumps(data), key), encoding="utf-8")
