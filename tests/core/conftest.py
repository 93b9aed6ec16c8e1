from __future__ import annotations

from pathlib import Path

import pytest

import povdsl

SPEC = Path(__file__).resolve().parents[2] / "spec" / "zhejiang.pov"


@pytest.fixture(scope="session")
def zhejiang_output():
    """One run of the paper's spec, shared by the tests that only read its results."""
    return povdsl.run(SPEC)
