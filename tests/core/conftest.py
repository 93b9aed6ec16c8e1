from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povdsl.datasets import bundled_path


@pytest.fixture(scope="session")
def zhejiang_output(paper):
    """The paper's run, shared with every test folder (tests/conftest.py)."""
    return paper


@pytest.fixture(scope="session")
def households() -> pd.DataFrame:
    """The bundled households with log income, for references fitted by hand (statsmodels, pyfixest)."""
    frame = pd.read_csv(bundled_path("zhejiang/households.csv"))
    frame["log_income"] = np.log(frame.income)
    return frame


@pytest.fixture
def fits(monkeypatch):
    """Every fit actually run (cache misses), by task kind, counted where workers run them (in-process here)."""
    from povdsl.estimate import jobs as jobs_module

    ran: list[tuple] = []
    original = jobs_module._run_task

    def counting(context, task, keep_raw):
        ran.append(task[0] if task[0] == "design" else task[1].name)
        return original(context, task, keep_raw)

    monkeypatch.setattr(jobs_module, "_run_task", counting)
    return ran
