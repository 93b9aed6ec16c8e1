"""The diff corpus: tests/diff/cases/NAME/{old.pov, new.pov, expected.txt}.

expected.txt is the exact text `povdsl diff old.pov new.pov` prints (no
colour). After an intended change of the output, regenerate every expected
file with

    python -m pytest tests/diff/test_cases.py --regen

and read the resulting `git diff tests/diff/cases` before committing it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from povdsl.language.parser import parse
from povdsl.tools.diff import CHANGE_KINDS, DECLARATION_KINDS, SCHEMA_VERSION, diff_specs, format_text
from povdsl.tools.diff.cli import main as run_cli  # `povdsl diff ...` through the same register() the main CLI uses

CASES = Path(__file__).parent / "cases"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if p.is_dir())
NO_CHANGE = "no semantic change\n"



def _diff(name: str):
    folder = CASES / name
    old = parse((folder / "old.pov").read_text(encoding="utf-8"), "old.pov")
    new = parse((folder / "new.pov").read_text(encoding="utf-8"), "new.pov")
    return diff_specs(old, new)


def test_corpus_is_large_enough():
    assert len(CASE_NAMES) >= 20
    assert sum((CASES / n / "expected.txt").read_text() == NO_CHANGE for n in CASE_NAMES) >= 5


@pytest.mark.parametrize("name", CASE_NAMES)
def test_text_output_matches_expected(name, golden):
    golden(CASES / name / "expected.txt", format_text(_diff(name)))


@pytest.mark.parametrize("name", CASE_NAMES)
def test_cli_prints_the_same_and_exits_like_diff(name, capsys):
    folder = CASES / name
    status = run_cli([str(folder / "old.pov"), str(folder / "new.pov")])
    out = capsys.readouterr().out
    expected = (folder / "expected.txt").read_text(encoding="utf-8")
    assert out == expected
    assert status == (0 if expected == NO_CHANGE else 1)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_changes_use_documented_vocabulary(name):
    for change in _diff(name):
        assert change.kind in CHANGE_KINDS
        assert change.declaration in DECLARATION_KINDS
        assert isinstance(change.models_reached, tuple)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_no_change_is_symmetric(name):
    folder = CASES / name
    old = parse((folder / "old.pov").read_text(encoding="utf-8"))
    new = parse((folder / "new.pov").read_text(encoding="utf-8"))
    assert bool(diff_specs(old, new)) == bool(diff_specs(new, old))


@pytest.mark.parametrize("name", CASE_NAMES)
def test_json_shape(name, capsys):
    folder = CASES / name
    status = run_cli(["--format", "json", str(folder / "old.pov"), str(folder / "new.pov")])
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) == {"schema_version", "files"}
    assert payload["schema_version"] == SCHEMA_VERSION == 1
    [entry] = payload["files"]
    assert set(entry) == {"old", "new", "changes"}
    assert entry["old"].endswith("old.pov") and entry["new"].endswith("new.pov")
    assert status == (1 if entry["changes"] else 0)
    for change in entry["changes"]:
        assert list(change) == ["declaration", "name", "kind", "detail", "old", "new", "via_macro", "models_reached"]
        assert change["kind"] in CHANGE_KINDS
        assert all(change[k] is None or isinstance(change[k], str) for k in ("detail", "old", "new", "via_macro"))
        assert isinstance(change["models_reached"], list)
    assert [c["kind"] for c in entry["changes"]] == [c.kind for c in _diff(name)]
