"""Specs sharing a cache folder: `--cache-prune` removes only the running spec's stale entries (and unowned ones),
an index is untrusted input that can only spare files, and a batch rewritten in fewer parts leaves none behind."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cache_helpers import age, entry_names, read_entry

from povdsl.estimate import fit_cache
from povdsl.estimate.cache_owners import index_name
from povdsl.pipeline import run

A = """\
data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
data census = bundled("zhejiang/census.csv")
let poor04 = income < 0.5 * mean(income, year == 2004)
model a "A": log(income) ~ age + edu | ols where year == 2004
model b "B": poor04 ~ age + edu | lpm where year == 2004
model l "L" for y in [log(income), poor04]: y ~ age + land | ols where year == 2004
table t "T" = a, b
table u "U" = l
  layout sweep
  stat none
"""
B = A.replace("age + edu | lpm", "age + capital | lpm")  # a and l's fits are the same as A's; b is its own




def _run(spec: Path, out: str, *, prune: bool = False):
    return run(spec, spec.parent / out, formats=("markdown",), cache=spec.parent / ".povdsl-cache", cache_prune=prune, workers=1)




@pytest.fixture
def shared(tmp_path, fits):
    """a.pov and b.pov in one folder, each run once: (a, b, the cache folder)."""
    a, b = tmp_path / "a.pov", tmp_path / "b.pov"
    a.write_text(A, encoding="utf-8")
    b.write_text(B, encoding="utf-8")
    _run(a, "oa")
    _run(b, "ob")
    assert sorted(fits) == ["a", "b", "b", "l[y=log(income)]", "l[y=log(income)]", "l[y=poor04]", "l[y=poor04]"]  # b.pov found a's fit
    fits.clear()
    return a, b, tmp_path / ".povdsl-cache"


def test_cache_prune_keeps_another_specs_entries_in_a_shared_folder(shared, fits):
    a, b, cache = shared
    before_a, names_b = entry_names(a), entry_names(b)
    assert before_a["a"] == names_b["a"] and before_a["l"] != names_b["l"]  # a's fit is shared; each spec has its own sweep batch
    a.write_text(A.replace("age + edu | ols", "age + edu + gender | ols").replace("age + edu | lpm", "age + edu + gender | lpm"), encoding="utf-8")
    orphan = cache / ("e" * 64 + ".json")  # an entry no spec's index names (a diff's, an older povdsl's)
    orphan.write_text("{}", encoding="utf-8")
    age(orphan, 1)
    _run(a, "oa2", prune=True)
    assert sorted(fits) == ["a", "b"]
    after_a = entry_names(a)
    assert not (cache / before_a["b"]).exists() and not orphan.exists()  # a's own stale entry and an unowned one: removed
    assert all((cache / name).exists() for name in [*names_b.values(), *after_a.values()])  # b's, shared with a's old one
    fits.clear()
    _run(b, "ob2", prune=True)
    assert fits == []  # b's next run fits nothing
    assert all((cache / name).exists() for name in after_a.values())  # and b's pruning spares a's entries
    fits.clear()
    _run(a, "oa3")
    assert fits == []


def test_an_index_unused_for_a_month_owns_nothing_and_is_removed(shared, fits):
    a, b, cache = shared
    b_only = cache / entry_names(b)["b"]
    stale = cache / index_name("b.pov")
    assert json.loads(stale.read_text(encoding="utf-8"))["entries"] == sorted(entry_names(b).values())
    age(stale, 40)
    _run(a, "oa2", prune=True)
    assert fits == [] and not stale.exists() and not b_only.exists()  # b.pov's index is stale, so its entries are unowned
    assert all((cache / name).exists() for name in entry_names(a).values())


def test_the_thirty_day_rule_still_removes_another_specs_old_entries(shared, fits):
    a, b, cache = shared
    b_only = cache / entry_names(b)["b"]
    age(b_only, 40)
    _run(a, "oa2")  # no --cache-prune: only the age rule
    assert not b_only.exists() and (cache / index_name("b.pov")).exists()
    _run(b, "ob2")
    assert fits == ["b"]


OUTSIDE = "../" + "d" * 64 + ".json"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "not JSON"),
        ("[]", "not a spec index"),
        (json.dumps({"format": "povdsl-spec/1", "spec": "c.pov", "entries": []}), "another spec"),
        (json.dumps({"format": "povdsl-spec/1", "spec": "b.pov", "entries": [OUTSIDE]}), "not entry file names"),
        (json.dumps({"format": "povdsl-spec/1", "spec": "b.pov", "entries": ["/etc/passwd"]}), "not entry file names"),
        (json.dumps({"format": "povdsl-spec/1", "spec": "b.pov", "entries": [7, None]}), "not entry file names"),
        (json.dumps({"format": "povdsl-spec/1", "spec": "b.pov", "entries": "*"}), "not entry file names"),
        (json.dumps({"format": "pickle", "spec": "b.pov", "entries": []}), "not a spec index"),
        ("[" * 100_000 + "]" * 100_000, "not JSON"),
        ('{"format": "povdsl-spec/1", "spec": "b.pov", "entries": [' + "9" * 5000 + "]}", "not JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (" " * (17 * 2**20), "larger than"),
    ],
    ids=["json", "list", "other-spec", "parent-path", "absolute-path", "not-texts", "not-a-list", "format", "deep", "huge-int", "utf8", "oversized"],
)
def test_a_malformed_index_spares_everything_and_deletes_nothing_outside(shared, fits, text, reason):
    a, b, cache = shared
    victim = cache.parent / ("d" * 64 + ".json")  # entry-shaped, outside the cache folder
    victim.write_text("{}", encoding="utf-8")
    before_b, stale_a = entry_names(b), cache / entry_names(a)["b"]
    index = cache / index_name("b.pov")
    index.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    a.write_text(A.replace("age + edu | lpm", "age + edu + gender | lpm"), encoding="utf-8")
    with pytest.warns(RuntimeWarning, match=f"fit cache index .*ignored: .*{reason}"):
        _run(a, "oa2", prune=True)
    assert fits == ["b"] and victim.exists() and stale_a.exists()  # --cache-prune removed nothing another spec might own
    assert all((cache / name).exists() for name in before_b.values())  # nothing an unreadable index might own is removed
    fits.clear()
    _run(b, "ob2")
    assert fits == []


def test_an_index_names_what_it_spares_and_never_what_is_removed(shared, fits, tmp_path):
    a, _, cache = shared
    stale_a = cache / entry_names(a)["b"]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.txt").write_text("kept", encoding="utf-8")
    linked = cache / index_name("c.pov")  # a link in an index's place: not a regular file, so no index
    os.symlink(outside / "x.txt", linked)
    spared = cache / index_name("d.pov")  # a hostile but well-formed index can only spare
    spared.write_text(json.dumps({"format": "povdsl-spec/1", "spec": "d.pov", "entries": [stale_a.name]}), encoding="utf-8")
    a.write_text(A.replace("age + edu | lpm", "age + edu + gender | lpm"), encoding="utf-8")
    _run(a, "oa2", prune=True)
    assert stale_a.exists() and linked.is_symlink() and (outside / "x.txt").read_text(encoding="utf-8") == "kept"
    spared.unlink()
    _run(a, "oa3", prune=True)
    assert not stale_a.exists()


def test_a_file_written_during_the_run_is_not_pruned_as_unused(tmp_path):
    from povdsl.render.output import write_output

    cache = fit_cache.FitCache(tmp_path, write_output, prune_unused=True, spec="a.pov")
    before, during = tmp_path / ("a" * 64 + ".json"), tmp_path / ("b" * 64 + ".json")
    before.write_text("{}", encoding="utf-8")
    during.write_text("{}", encoding="utf-8")  # by a concurrent run of another spec, whose index is not written yet
    age(before, 1)
    os.utime(during, (cache.started + 1, cache.started + 1))
    assert cache.prune() == 1
    assert not before.exists() and during.exists()
    assert json.loads((tmp_path / index_name("a.pov")).read_text(encoding="utf-8"))["entries"] == []


LONG = A.replace("for y in [log(income), poor04]", "for y in [log(income), poor04, edu, age]").replace("y ~ age + land", "y ~ land")


def _parts(cache: Path, batch: str) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.name.startswith(batch.removesuffix(".json")))


@pytest.fixture
def four_parts(tmp_path, monkeypatch):
    """LONG run once with one fit per part: (spec, its sweep's batch file name, the batch's stem)."""
    monkeypatch.setattr(fit_cache, "MAX_FILE_BYTES", 2_000)
    spec = tmp_path / "a.pov"
    spec.write_text(LONG, encoding="utf-8")
    _run(spec, "o1")
    batch = entry_names(spec)["l"]
    stem = batch.removesuffix(".json")
    assert _parts(tmp_path / ".povdsl-cache", batch) == sorted([batch, f"{stem}.1.json", f"{stem}.2.json", f"{stem}.3.json"])
    return spec, batch, stem


def test_a_batch_rewritten_in_fewer_parts_removes_its_stale_parts(tmp_path, fits, four_parts):
    spec, batch, stem = four_parts
    outside = tmp_path / "kept.txt"
    outside.write_text("kept", encoding="utf-8")
    (tmp_path / ".povdsl-cache" / f"{stem}.2.json").unlink()
    os.symlink(outside, tmp_path / ".povdsl-cache" / f"{stem}.2.json")  # a link at a stale part's name: left alone
    fits.clear()
    spec.write_text(LONG.replace("[log(income), poor04, edu, age]", "[log(income), poor04]").replace("y ~ land", "y ~ land + edu"), encoding="utf-8")
    with pytest.warns(RuntimeWarning, match="plain file"):  # the link is read as no part
        _run(spec, "o2")  # fewer members, each refitted: the batch is rewritten in two parts
    assert sorted(fits) == ["l[y=log(income)]", "l[y=poor04]"]
    assert _parts(tmp_path / ".povdsl-cache", batch) == sorted([batch, f"{stem}.1.json", f"{stem}.2.json"])
    assert (tmp_path / ".povdsl-cache" / f"{stem}.2.json").is_symlink() and outside.read_text(encoding="utf-8") == "kept"
    (tmp_path / ".povdsl-cache" / f"{stem}.2.json").unlink()
    fits.clear()
    _run(spec, "o3")
    assert fits == []


def test_parts_beyond_a_lost_one_are_removed_too(tmp_path, fits, four_parts, monkeypatch):
    spec, batch, stem = four_parts
    cache = tmp_path / ".povdsl-cache"
    (cache / f"{stem}.1.json").unlink()  # a lost part: its fit alone is refitted (the parts after it are read), and the batch is rewritten
    monkeypatch.setattr(fit_cache, "MAX_FILE_BYTES", 16 * 2**20)  # now in one file
    fits.clear()
    with pytest.warns(RuntimeWarning, match="it is missing"):
        _run(spec, "o2")
    assert len(fits) == 1
    assert _parts(cache, batch) == [batch]  # parts 2 and 3, beyond the new single file, are gone
    assert len(read_entry(cache / batch)["fits"]) == 4
