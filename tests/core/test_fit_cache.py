"""Issue 17.3: the on-disk fit cache refits only what changed, renders the same bytes, and trusts nothing it reads."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cache_helpers import age, entry_names, read_entry, write_entry

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


def _run(spec: Path, out: Path, cache: Path | None):
    return run(spec, out, formats=("latex", "markdown"), cache=cache, workers=1)


def _first_run(tmp_path: Path, text: str, out: str) -> tuple[Path, Path]:
    """The spec written to tmp_path and run once into tmp_path/out, filling tmp_path/cache: (spec, cache)."""
    spec = tmp_path / "s.pov"
    spec.write_text(text, encoding="utf-8")
    _run(spec, tmp_path / out, tmp_path / "cache")
    return spec, tmp_path / "cache"


def _tables(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_a_warm_cache_renders_the_bytes_of_a_fresh_fit_and_fits_nothing(tmp_path, fits):
    spec = tmp_path / "s.pov"
    spec.write_text(SPEC, encoding="utf-8")
    _run(spec, tmp_path / "fresh", None)
    fresh_fits = len(fits)
    _run(spec, tmp_path / "cold", tmp_path / "cache")
    assert len(fits) == 2 * fresh_fits and fresh_fits > 3  # cold: every fit ran
    from povdsl.estimate import shared as shared_module

    compiled = []
    original = shared_module.compile_model
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shared_module, "compile_model", lambda *a, **k: compiled.append(1) or original(*a, **k))
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
    """The entry files (batches and their parts), without the specs' indexes."""
    return sorted(p for p in cache.iterdir() if p.suffix == ".json" and not p.name.endswith(".spec.json"))




TWO_SWEEPS = SPEC + """\
model s2 "S2" for industry in industries(census, digits=2, year=2004): poor04 ~ clusters(census, digits=2, industry=industry) + age | ols
  where year == 2004
table t3 "Second sweep" = s2
  layout sweep
  stat none
"""


def test_corrupt_foreign_oversized_and_linked_entries_are_ignored_with_a_warning(tmp_path, fits):
    spec, cache = _first_run(tmp_path, TWO_SWEEPS, "fresh")
    names = entry_names(spec)
    assert sorted(p.name for p in _entries(cache)) == sorted(names.values())  # one file per plain model, one per sweep
    members = fits.count("design") // 2  # s and s2 run over the same industries, each on its shared design
    assert members > 3 and len(fits) == 3 + 2 * members
    (cache / names["a"]).write_text("{not json", encoding="utf-8")  # corrupt
    foreign = read_entry(cache / names["c"])
    write_entry(cache / names["b"], foreign)  # a valid entry, written for another fit
    (cache / names["s"]).write_bytes(b" " * (17 * 2**20))  # oversized
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps(foreign), encoding="utf-8")
    (cache / names["c"]).unlink()
    os.symlink(secret, cache / names["c"])  # a link: never followed
    fits.clear()
    with pytest.warns(RuntimeWarning, match="fit cache entry") as caught:
        _run(spec, tmp_path / "again", cache)
    messages = " ".join(str(w.message) for w in caught)
    assert "key differ" in messages and "larger than" in messages and "plain file" in messages
    assert sorted(fits) == sorted(["a", "b", "c"] + ["design"] * members)  # each refitted, and s2's batch came from the cache
    assert _tables(tmp_path / "again") == _tables(tmp_path / "fresh")
    assert "entry not written" in messages and (cache / names["c"]).is_symlink()  # the writer refuses to write through the link
    assert json.loads(secret.read_text(encoding="utf-8")) == foreign
    fits.clear()
    with pytest.warns(RuntimeWarning, match="plain file"):
        _run(spec, tmp_path / "third", cache)
    assert fits == ["c"]  # the rewritten files are read back; the link is still refused


@pytest.fixture
def own_key(tmp_path, monkeypatch):
    """A fresh per-user cache folder, so this test makes (and finds) its own key."""
    from povdsl.estimate.fit_seal import seal_key

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    seal_key.cache_clear()
    yield tmp_path / "xdg" / "povdsl"
    seal_key.cache_clear()


def test_an_entry_not_sealed_by_this_user_is_refitted_never_read(tmp_path, fits, own_key):
    """A pull request can commit a cache entry under a key anyone can compute; its numbers must never reach a table."""
    import stat

    from povdsl.estimate.fit_seal import KEY_FILE, seal, seal_key

    spec, cache = _first_run(tmp_path, SPEC, "fresh")
    names = entry_names(spec)
    genuine = read_entry(cache / names["a"])
    genuine["fits"][next(iter(genuine["fits"]))]["outcome"]["result"]["nobs"] = 1  # forged: any field
    (cache / names["a"]).write_text(seal(json.dumps(genuine), b"k" * 32), encoding="utf-8")  # sealed by another key
    (cache / names["b"]).write_text(json.dumps(read_entry(cache / names["b"])), encoding="utf-8")  # no seal at all
    fits.clear()
    with pytest.warns(RuntimeWarning, match="seal does not verify") as caught:
        _run(spec, tmp_path / "again", cache)
    assert sum("seal does not verify" in str(w.message) for w in caught) == 2
    assert sorted(fits) == ["a", "b"]  # both refitted; the other entries were read
    assert _tables(tmp_path / "again") == _tables(tmp_path / "fresh")
    key = own_key / KEY_FILE
    assert seal_key() == key.read_bytes() and len(seal_key() or b"") == 32
    assert stat.S_IMODE(key.stat().st_mode) == 0o600  # only this user may read it


def test_without_a_private_folder_for_the_key_the_cache_is_off_and_says_so(tmp_path, fits, monkeypatch):
    from povdsl.estimate import fit_cache

    monkeypatch.setattr(fit_cache, "seal_key", lambda: None)
    spec = tmp_path / "s.pov"
    spec.write_text(SPEC, encoding="utf-8")
    with pytest.warns(RuntimeWarning, match="fit cache off"):
        _run(spec, tmp_path / "out", tmp_path / "cache")
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_one_bad_fit_in_a_batch_refits_that_fit_alone(tmp_path, fits):
    spec, cache = _first_run(tmp_path, SPEC, "fresh")
    batch = cache / entry_names(spec)["s"]
    stored = read_entry(batch)
    assert stored["parts"] == 1 and len(stored["fits"]) == fits.count("design") > 3
    victim = sorted(stored["fits"])[1]
    stored["fits"][victim]["outcome"]["result"]["nobs"] = {"s": "12"}
    write_entry(batch, stored)
    fits.clear()
    with pytest.warns(RuntimeWarning, match=f"fit cache entry {victim}"):
        _run(spec, tmp_path / "again", cache)
    assert fits == ["design"]
    assert _tables(tmp_path / "again") == _tables(tmp_path / "fresh")


def test_a_batch_too_large_for_one_file_continues_in_parts(tmp_path, fits, monkeypatch):
    from povdsl.estimate import fit_cache

    monkeypatch.setattr(fit_cache, "MAX_FILE_BYTES", 20_000)  # a few fits per file
    spec, cache = _first_run(tmp_path, SPEC, "fresh")
    members = fits.count("design")
    stem = entry_names(spec)["s"].removesuffix(".json")
    parts = sorted(cache.glob(f"{stem}*.json"))
    assert len(parts) > 2 and all(p.stat().st_size <= 20_000 for p in parts)
    assert sum(len(read_entry(p)["fits"]) for p in parts) == members
    fits.clear()
    _run(spec, tmp_path / "warm", cache)
    assert fits == []
    lost = len(read_entry(cache / f"{stem}.2.json")["fits"])
    (cache / f"{stem}.2.json").unlink()  # a lost part: its fits alone are refitted, the parts after it are read
    with pytest.warns(RuntimeWarning, match="it is missing"):
        _run(spec, tmp_path / "again", cache)
    assert 0 < len(fits) == lost < members and set(fits) == {"design"}
    assert _tables(tmp_path / "again") == _tables(tmp_path / "fresh")


LISTED = PLAIN + """\
let poor08 = income < 0.5 * mean(income, year == 2008)
let rich = income > 2 * mean(income, year == 2004)
model l "L" for y in [log(income), poor04, poor08]: y ~ age + edu | ols
table t4 "List" = l
  layout sweep
  stat none
"""


def test_a_let_a_member_reads_refits_that_member_and_a_let_nobody_reads_refits_nothing(tmp_path, fits):
    spec, cache = _first_run(tmp_path, LISTED, "o1")
    fits.clear()
    text = LISTED.replace("income < 0.5 * mean(income, year == 2008)", "income < 0.4 * mean(income, year == 2008)")
    spec.write_text(text, encoding="utf-8")
    _run(spec, tmp_path / "o2", cache)
    assert fits == ["l[y=poor08]"]  # the member whose value names the let; its siblings come from the sweep's batch
    fits.clear()
    text = text.replace("income > 2 * mean", "income > 3 * mean")
    spec.write_text(text, encoding="utf-8")
    _run(spec, tmp_path / "o3", cache)
    assert fits == []
    fits.clear()
    spec.write_text(text.replace("0.5 * mean(income, year == 2004)", "0.45 * mean(income, year == 2004)"), encoding="utf-8")
    _run(spec, tmp_path / "o4", cache)
    assert sorted(fits) == ["b", "l[y=poor04]"]


def test_an_industries_member_is_keyed_without_building_its_model(tmp_path, fits, monkeypatch):
    from povdsl.estimate import shared, sweep_sources

    spec = tmp_path / "s.pov"
    spec.write_text(SPEC, encoding="utf-8")
    _run(spec, tmp_path / "cold", tmp_path / "cache")
    built: list[str] = []
    original = sweep_sources.concrete_model
    for module in (sweep_sources, shared):  # shared: a process compiling a shared design builds its first member
        monkeypatch.setattr(module, "concrete_model", lambda *a, **k: built.append(a[1]) or original(*a, **k))
    fits.clear()
    _run(spec, tmp_path / "warm", tmp_path / "cache")
    assert fits == [] and built == []  # a warm run substitutes no member
    _run(spec, tmp_path / "fresh", None)
    assert len(built) == 1  # without a cache only the first member is built (it compiles the shared design)
    assert _tables(tmp_path / "warm") == _tables(tmp_path / "fresh")




def test_entries_unused_for_a_month_are_pruned_and_cache_prune_removes_every_unused_one(tmp_path, fits):
    spec, cache = _first_run(tmp_path, SPEC, "o1")
    before = entry_names(spec)
    spec.write_text(SPEC.replace("age + land", "age + capital"), encoding="utf-8")
    _run(spec, tmp_path / "o2", cache)
    after = entry_names(spec)
    stale = cache / before["c"]  # c's entry before the edit: no run uses it now
    assert stale.exists() and before["c"] != after["c"]
    recent = cache / ("e" * 64 + ".json")
    recent.write_text("{}", encoding="utf-8")
    other = cache / "notes.txt"
    other.write_text("kept", encoding="utf-8")
    linked = cache / ("f" * 64 + ".json")
    os.symlink(other, linked)
    for path in (stale, cache / after["a"], other, linked):
        age(path, 40)
    fits.clear()
    _run(spec, tmp_path / "o3", cache)
    assert fits == []
    assert not stale.exists()  # unused and old: removed
    assert (cache / after["a"]).stat().st_mtime > recent.stat().st_mtime - 3600  # old but used: kept, and marked as used
    assert recent.exists() and other.exists() and linked.is_symlink()  # recent, not ours, a link: left alone
    assert main(["run", str(spec), "--out", str(tmp_path / "o4"), "--cache", str(cache), "--cache-prune", "--quiet"]) == 0
    from povdsl.estimate.cache_owners import index_name

    assert sorted(p.name for p in cache.iterdir()) == sorted([*after.values(), index_name("s.pov"), "notes.txt", linked.name])
    assert fits == []


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: e["outcome"]["result"].update(nobs={"s": "12"}),  # wrong type
        lambda e: e["outcome"]["result"]["params"]["series"].update(values="0x1p0"),  # labels and numbers disagree
        lambda e: e["outcome"]["result"]["params"]["series"].update(values=" ".join(["__import__('os')"] * len(e["labels"][0][1]))),  # no numbers
        lambda e: e["outcome"]["result"]["params"]["series"].update(labels=7),  # labels that are not in the entry's table
        lambda e: e["outcome"]["result"].update(params={"t": [{"t": [{"t": [{"t": [{"t": [{"t": [{"t": [{"t": [{"t": [None]}]}]}]}]}]}]}]}]}),
        lambda e: e["outcome"]["result"].update(code={"s": "__import__('os')"}),  # an extra field
        lambda e: e.update(format="pickle"),  # an unknown field
    ],
)
def test_a_tampered_entry_is_refitted_never_trusted(tmp_path, fits, tamper):
    spec, cache = _first_run(tmp_path, PLAIN, "fresh")
    for path in _entries(cache):
        batch = read_entry(path)
        for entry in batch["fits"].values():
            if "result" in entry["outcome"]:
                tamper(entry)
        write_entry(path, batch)
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

    from povdsl.estimate.fit_entries import _EXPECTED
    from povdsl.estimate.result import Result

    assert set(_EXPECTED) == {f.name for f in fields(Result)} - {"raw"}


def test_an_interrupted_run_writes_the_finished_fits_of_an_unfinished_sweep(tmp_path, fits, monkeypatch):
    from povdsl.estimate import runner

    original = runner.execute

    def interrupted(tasks, context, *args, on_done, **kwargs):
        def done(position, outcome):
            on_done(position, outcome)
            if position == 5:  # the plain models and three of the sweep's members are in
                raise KeyboardInterrupt

        return original(tasks, context, *args, on_done=done, **kwargs)

    spec = tmp_path / "s.pov"
    spec.write_text(SPEC, encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr(runner, "execute", interrupted)
        with pytest.raises(KeyboardInterrupt):
            _run(spec, tmp_path / "o1", tmp_path / "cache")
    assert len(fits) == 6
    kept = read_entry(tmp_path / "cache" / entry_names(spec)["s"])
    assert len(kept["fits"]) == 3  # the sweep's batch was not complete: written on the way out
    fits.clear()
    _run(spec, tmp_path / "o2", tmp_path / "cache")
    assert "a" not in fits and len(fits) == fits.count("design") > 3  # only the members that had not finished
    fits.clear()
    _run(spec, tmp_path / "o3", tmp_path / "cache")
    assert fits == []
