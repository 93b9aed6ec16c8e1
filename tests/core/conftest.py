from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def zhejiang_output(paper):
    """The paper's run, shared with every test folder (tests/conftest.py)."""
    return paper
