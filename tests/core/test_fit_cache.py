"""Issue 17.3: the on-disk fit cache refits only what changed, renders the same bytes, and trusts nothing it reads."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from povdsl.estimate import jobs as jobs_module
from povdsl.pipeline import run
from povdsl.tools.cli import main

PLAIN = """\
data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
data counties = bundled("zhejiang/counties.csv") key(county, year)
data census = bundled("zhejiang/census.csv")
let poor04 = income < 0.5 * mean(income, year == 2004)
terms controls = age + edu + gender
model a "A": log(income) ~ age + edu | ols where year == 2004
model b "B": poor04 ~ age + edu + gender | logit where year == 2004
model c "C": log(income) ~ age + land | fe(household)
table t1 "Plain" = a, b, c
"""
SPEC = PLAIN + """\
model s "S" for industry in industries(census, digits=2, year=2004): log(income) ~ clusters(census, digits=2, industry=industry) + controls | ols
  where year == 2004
table t2 "Sweep" = s
  layout sweep
  stat none
"""


@pytest.fixture
def fits(monkeypatch):
    """Every fit actually run (cache misses), by task kind, counted where workers run them (in-process here)."""
    ran: list[tuple] = []
    original = jobs_module._run_task

    def counting(context, task, cache, keep_raw):
        ran.append(task[0] if task[0] == "design" else task[1].name)
        return original(context, task, cache, keep_raw)

    monkeypatch.setattr(jobs_module, "_run_task", counting)
    return ran


def _run(spec: Path, out: Path, cache: Path | None):
    return run(spec, out, formats=("latex", "markdown"), cache=cache, workers=1)


def _tables(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_a_warm_cache_renders_the_bytes_of_a_fresh_fit_and_fits_nothing(tmp_path, fits):
    spec = tmp_path / "s.pov"
    spec.write_text(SPEC, encoding="utf-8")
    _run(spec, tmp_path / "fresh", None)
    fresh_fits = len(fits)
    _run(spec, tmp_path / "cold", tmp_path / "cache")
    assert len(fits) == 2 * fresh_fits and fresh_fits > 3  # cold: every fit ran
    from povdsl.estimate import sweep as sweep_module

    compiled = []
    original = sweep_module.compile_model
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sweep_module, "compile_model", lambda *a, **k: compiled.append(1) or original(*a, **k))
        warm = _run(spec, tmp_path / "warm", tmp_path / "cache")
    assert len(fits) == 2 * fresh_fits and compiled == []  # warm: nothing fitted, the sweep's shared design not even compiled
    assert _tables(tmp_path / "warm") == _tables(tmp_path / "fresh") == _tables(tmp_path / "cold")
    assert warm.sweeps["s"].items and warm.results["a"].raw is None  # a cached Result has no backend object


def test_editing_one_model_refits_that_model_only_and_layout_edits_refit_nothing(tmp_path, fits):
    spec = tmp_path / "s.pov"
    spec.write_text(SPEC, encoding="utf-8")
    _run(spec, tmp_path / "o1", tmp_path / "cache")
    fits.clear()
    spec.write_text(SPEC.replace("log(income) ~ age + land | fe(household)", "log(income) ~ age + capital | fe(household)"), encoding="utf-8")
    _run(spec, tmp_path / "o2", tmp_path / "cache")
    assert fits == ["c"]
    fits.clear()
    relaid = "# a comment moves every line\n" + SPEC.replace('model a "A"', 'model a   "A (renamed label)"').replace("age + edu | ols", "age+edu | ols")
    relaid = relaid.replace("age + land", "age + capital")
    spec.write_text(relaid, encoding="utf-8")
    _run(spec, tmp_path / "o3", tmp_path / "cache")
    assert fits == []


def test_a_let_edit_refits_the_models_that_read_it(tmp_path, fits):
    spec = tmp_path / "s.pov"
    spec.write_text(SPEC, encoding="utf-8")
    _run(spec, tmp_path / "o1", tmp_path / "cache")
    fits.clear()
    spec.write_text(SPEC.replace("0.5 * mean", "0.6 * mean"), encoding="utf-8")
    _run(spec, tmp_path / "o2", tmp_path / "cache")
    assert fits == ["b"]


def test_changed_data_refits_everything(tmp_path, fits):
    from povdsl.datasets import bundled_path

    spec = tmp_path / "s.pov"
    (tmp_path / "census.csv").write_bytes(Path(bundled_path("zhejiang/census.csv")).read_bytes())
    spec.write_text(SPEC.replace('bundled("zhejiang/census.csv")', '"census.csv"'), encoding="utf-8")
    _run(spec, tmp_path / "o1", tmp_path / "cache")
    first = len(fits)
    with (tmp_path / "census.csv").open("a", encoding="utf-8") as handle:
        handle.write("")  # no change: still all hits
    _run(spec, tmp_path / "o2", tmp_path / "cache")
    assert len(fits) == first
    lines = (tmp_path / "census.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "census.csv").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # one census row fewer
    _run(spec, tmp_path / "o3", tmp_path / "cache")
    assert len(fits) == 2 * first


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.iterdir() if p.suffix == ".json")


def test_corrupt_foreign_oversized_and_linked_entries_are_ignored_with_a_warning(tmp_path, fits):
    spec = tmp_path / "s.pov"
    spec.write_text(SPEC, encoding="utf-8")
    cache = tmp_path / "cache"
    _run(spec, tmp_path / "fresh", cache)
    entries = _entries(cache)
    count = len(fits)
    assert len(entries) == count
    victims = entries[:4]
    victims[0].write_text("{not json", encoding="utf-8")  # corrupt
    foreign = json.loads(victims[2].read_text(encoding="utf-8"))
    victims[1].write_text(json.dumps(foreign), encoding="utf-8")  # a valid entry, stored under another fit's key
    victims[2].write_bytes(b" " * (9 * 2**20))  # oversized
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps(foreign), encoding="utf-8")
    victims[3].unlink()
    os.symlink(secret, victims[3])  # a link: never followed
    fits.clear()
    with pytest.warns(RuntimeWarning, match="fit cache entry") as caught:
        _run(spec, tmp_path / "again", cache)
    messages = " ".join(str(w.message) for w in caught)
    assert "key differ" in messages and "larger than" in messages and "plain file" in messages
    assert len(fits) == 4  # each refitted, and the rest came from the cache
    assert _tables(tmp_path / "again") == _tables(tmp_path / "fresh")
    assert "entry not written" in messages and victims[3].is_symlink()  # the writer refuses to write through the link
    assert json.loads(secret.read_text(encoding="utf-8")) == foreign


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: e["outcome"]["result"].update(nobs={"s": "12"}),  # wrong type
        lambda e: e["outcome"]["result"]["params"]["series"].update(values=["0x1p0"]),  # labels and numbers disagree
        lambda e: e["outcome"]["result"].update(params={"t": [{"t": [{"t": [{"t": [{"t": [{"t": [{"t": [{"t": [{"t": [None]}]}]}]}]}]}]}]}]}),
        lambda e: e["outcome"]["result"].update(code={"s": "__import__('os')"}),  # an extra field
        lambda e: e.update(format="pickle"),
    ],
)
def test_a_tampered_entry_is_refitted_never_trusted(tmp_path, fits, tamper):
    spec = tmp_path / "s.pov"
    spec.write_text(PLAIN, encoding="utf-8")
    cache = tmp_path / "cache"
    _run(spec, tmp_path / "fresh", cache)
    for path in _entries(cache):
        entry = json.loads(path.read_text(encoding="utf-8"))
        if "result" in entry["outcome"]:
            tamper(entry)
            path.write_text(json.dumps(entry), encoding="utf-8")
    fits.clear()
    with pytest.warns(RuntimeWarning, match="fit cache entry"):
        _run(spec, tmp_path / "again", cache)
    assert len(fits) >= 3
    assert _tables(tmp_path / "again") == _tables(tmp_path / "fresh")


def test_the_cli_caches_beside_the_spec_unless_told_otherwise(tmp_path, capsys):
    spec = tmp_path / "s.pov"
    spec.write_text(SPEC, encoding="utf-8")
    assert main(["run", str(spec), "--out", str(tmp_path / "o"), "--quiet"]) == 0
    assert _entries(tmp_path / ".povdsl-cache")
    assert main(["run", str(spec), "--out", str(tmp_path / "o"), "--cache", str(tmp_path / "elsewhere")]) == 0
    assert _entries(tmp_path / "elsewhere")
    assert main(["run", str(spec), "--out", str(tmp_path / "o"), "--no-cache", "--cache", str(tmp_path / "none")]) == 0
    assert not (tmp_path / "none").exists()


def test_a_linked_cache_folder_is_not_written_through(tmp_path, capsys):
    spec = tmp_path / "s.pov"
    spec.write_text(SPEC, encoding="utf-8")
    target = tmp_path / "target"
    target.mkdir()
    (tmp_path / ".povdsl-cache").symlink_to(target)
    assert main(["run", str(spec), "--out", str(tmp_path / "o")]) == 0
    assert list(target.iterdir()) == []
    assert "is a symbolic link" in capsys.readouterr().err


def test_every_result_field_has_an_expected_type_in_the_entry_reader():
    """A field added to Result must be added to the reader's type table (its values are checked before use)."""
    from dataclasses import fields

    from povdsl.estimate.fit_cache import _EXPECTED
    from povdsl.estimate.result import Result

    assert set(_EXPECTED) == {f.name for f in fields(Result)} - {"raw"}
