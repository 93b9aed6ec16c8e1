"""`povdsl check` on broken specs prints exactly the expected diagnostics.

Each tests/fixtures/malformed/NAME.pov has NAME.expected: the byte-exact
stderr of `povdsl check NAME.pov` run from the fixtures folder (an empty
.expected means the spec is valid and check exits 0). Absolute paths that
depend on the machine are replaced by <bundled> and <repo>.

To regenerate after an intended change of wording, run
    python -m pytest tests/language/test_malformed.py --regen
and review the diff of the .expected files before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from povdsl.check.sources import bundled_root
from povdsl.tools.cli import main

FIXTURES = Path(__file__).parent.parent / "fixtures" / "malformed"
REPO = Path(__file__).resolve().parents[2]
CASES = sorted(FIXTURES.glob("*.pov"))


def _normalised(text: str) -> str:
    for path, placeholder in ((bundled_root().resolve(), "<bundled>"), (REPO, "<repo>")):
        text = text.replace(str(path), placeholder)
    return text


def test_there_are_enough_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("spec", CASES, ids=lambda p: p.stem)
def test_check_prints_expected_diagnostics(spec, capsys, monkeypatch, golden):
    monkeypatch.chdir(FIXTURES)
    status = main(["check", spec.name])
    out, err = capsys.readouterr()
    actual = _normalised(err)
    golden(spec.with_suffix(".expected"), actual)
    assert "Traceback" not in err
    if actual:
        assert status == 1 and out == ""
    else:
        assert status == 0 and out.startswith(f"{spec.name}: ok")


def test_every_expected_file_has_its_spec():
    orphans = [p.name for p in FIXTURES.glob("*.expected") if not p.with_suffix(".pov").exists()]
    assert orphans == []
