"""Data problems name the model and its declaration; never a traceback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povdsl.tools.cli import main


def _project(tmp_path, model_line: str):
    rng = np.random.default_rng(3)
    n = 200
    x = rng.normal(size=n)
    df = pd.DataFrame({"u": np.arange(n), "t": 1, "x": x, "z": 2 * x, "y": (x > 0).astype(float), "w": rng.normal(size=n)})
    df.to_csv(tmp_path / "d.csv", index=False)
    spec = tmp_path / "s.pov"
    spec.write_text(f'data d = "d.csv" panel(u, t)\n\n{model_line}\n', encoding="utf-8")
    return spec


def test_perfect_separation_names_model_and_line(tmp_path, capsys):
    spec = _project(tmp_path, "model sep: y ~ x | logit")
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}:3:1: error: model 'sep': ")
    assert "separat" in err and "Traceback" not in err


def test_collinear_terms_are_named(tmp_path, capsys):
    spec = _project(tmp_path, "model col: w ~ x + z | ols")
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "model 'col'" in err and "'z' is collinear with 'x'" in err


def test_outcome_not_binary_for_logit(tmp_path, capsys):
    spec = _project(tmp_path, "model bin: w ~ x | logit")
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    assert "model 'bin'" in capsys.readouterr().err


def test_missing_where_condition_counts_as_dropped_and_is_reported(tmp_path, capsys):
    rng = np.random.default_rng(5)
    n = 120
    df = pd.DataFrame({"u": np.arange(n), "t": 1, "x": rng.normal(size=n), "y": rng.normal(size=n), "g": rng.integers(0, 2, n).astype(float)})
    df.loc[:9, "g"] = np.nan  # 10 rows whose condition cannot be decided
    df.loc[10:14, "x"] = np.nan  # 5 rows with a missing regressor (some may have g == 0)
    df.to_csv(tmp_path / "d.csv", index=False)
    spec = tmp_path / "s.pov"
    spec.write_text('data d = "d.csv" panel(u, t)\n\nmodel m: y ~ x | ols\n  where g == 1\n', encoding="utf-8")
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 0
    expected = 10 + int((df.loc[10:14, "g"] == 1).sum())
    assert f"note: model 'm': {expected} rows dropped for missing values" in capsys.readouterr().err


@pytest.mark.parametrize(
    "body, where",
    [
        ("let z = name * 2\nmodel m: y ~ z | ols", "let 'z'"),
        ("let z = mean(name)\nmodel m: y ~ x | ols\n  where y > z", "let 'z'"),
        ("model m: y ~ x | ols\n  where name > 3", "model 'm'"),
        ("model m: y ~ log(name) | ols", "model 'm'"),
    ],
)
def test_text_where_numbers_are_needed_is_a_located_error(tmp_path, capsys, body, where):
    pd.DataFrame({"u": range(6), "t": 1, "name": list("abcdef"), "y": [1.0, 2, 3.5, 1, 2.2, 3], "x": [2.0, 3, 1, 5, 2.5, 4]}).to_csv(tmp_path / "d.csv", index=False)
    spec = tmp_path / "s.pov"
    spec.write_text(f'data d = "d.csv" panel(u, t)\n{body}\n', encoding="utf-8")
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{spec}:2:1: error: {where}") and "Traceback" not in err
