"""The canonical formatter: fixed points, messy inputs, and the `povdsl fmt` command."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from povdsl import SpecError, parse
from povdsl.tools.fmt import format_spec, format_text, register

IDENTITY = sorted((Path(__file__).parent.parent / "fixtures" / "identity").glob("*.pov"))
HEAD = 'data households = bundled("zhejiang/households.csv") panel(household, year) region(county)\n'


def test_there_are_enough_identity_fixtures():
    assert len(IDENTITY) >= 25


@pytest.mark.parametrize("path", IDENTITY, ids=lambda p: p.stem)
def test_canonical_files_are_fixed_points(path):
    text = path.read_text(encoding="utf-8")
    assert format_text(text, str(path)) == text


@pytest.mark.parametrize("path", IDENTITY, ids=lambda p: p.stem)
def test_canonical_files_keep_their_meaning(path):
    spec = parse(path.read_text(encoding="utf-8"), str(path))
    assert parse(format_spec(spec)) == spec


# (messy input, canonical output): every layout decision fmt makes, once each.
MESSY = {
    "odd spacing": (
        "let   x=a+b*  c\nlet y  =  -  x**2\nlet z=f( a ,b )",
        "let x = a + b * c\nlet y = -x**2\nlet z = f(a, b)\n",
    ),
    "tabs and blank lines": (
        "\n\n\tlet x = 1\n\n\n\n\tlet y = 2   \n\n\n",
        "let x = 1\nlet y = 2\n",
    ),
    "one-line clauses": (
        "model m1:y~x+z|ols where year==2004 vcov cluster(county,year)",
        "model m1: y ~ x + z | ols\n  where year == 2004\n  vcov cluster(county, year)\n",
    ),
    "vcov before where": (
        "model m: y ~ x | ols vcov robust where a > 1 and not b",
        "model m: y ~ x | ols\n  where a > 1 and not b\n  vcov robust\n",
    ),
    "empty argument lists": (
        "model m: y ~ x | logit()\n  vcov cluster()",
        "model m: y ~ x | logit\n  vcov cluster\n",
    ),
    "one-line table": (
        'table t "T" = m1,m2 label x = "X" stat se stars 0.1 .05 1e-2 keep a,b significant only layout sweep',
        'table t "T" = m1, m2\n  label x = "X"\n  stat se\n  stars 0.1 .05 1e-2\n  keep a, b\n  significant only\n  layout sweep\n',
    ),
    "expression over several lines": (
        "terms controls = age +\n    edu\n  + gender\nmodel m: y ~\n  controls\n  | ols",
        "terms controls = age + edu + gender\n\nmodel m: y ~ controls | ols\n",
    ),
    "trailing comma and keyword spacing": (
        "let c = clusters(census, digits = 4, lq=1.25,)",
        "let c = clusters(census, digits=4, lq=1.25)\n",
    ),
    "parentheses the author wrote are kept": (
        "let x = ((a + b)) * (c)\nlet y = (a) ",
        "let x = ((a + b)) * (c)\nlet y = (a)\n",
    ),
    "end-of-line comments move above their node": (
        "let x = 1  # one\nlet y = 2 # two\n",
        "# one\nlet x = 1\n\n# two\nlet y = 2\n",
    ),
    "comments inside a declaration": (
        "model m: y ~ x | ols # why x\n  where a > 1 # sample\n  vcov robust",
        "# why x\n# sample\nmodel m: y ~ x | ols\n  where a > 1\n  vcov robust\n",
    ),
    "comments between and on table options": (
        "table t = m1 # head\n# before label\nlabel x = \"X\" # on label\nstat t\n   # end of file",
        '# head\ntable t = m1\n  # before label\n  # on label\n  label x = "X"\n  stat t\n\n# end of file\n',
    ),
    "kinds change: blank lines between groups": (
        HEAD + "let a = 1\nterms t = a\nmodel m: y ~ t | ols\nmodel n: y ~ t | ols\ntable x = m\ntable y = n",
        HEAD + "\nlet a = 1\n\nterms t = a\n\nmodel m: y ~ t | ols\nmodel n: y ~ t | ols\n\ntable x = m\ntable y = n\n",
    ),
    "only comments": (
        "   # just a note   \n\n\n",
        "# just a note\n",
    ),
    "empty": ("\n\n  \n", ""),
}


@pytest.mark.parametrize("name", MESSY)
def test_messy_layouts_become_canonical(name):
    messy, canonical = MESSY[name]
    assert format_text(messy) == canonical


@pytest.mark.parametrize("name", MESSY)
def test_messy_layouts_keep_meaning_and_are_idempotent(name):
    messy, _ = MESSY[name]
    once = format_text(messy)
    assert format_text(once) == once
    assert parse(once) == parse(messy)


def test_output_ends_with_exactly_one_newline():
    out = format_text("let x = 1\n\n\n\n")
    assert out.endswith("1\n") and not out.endswith("\n\n")


def test_numbers_keep_their_spelling():
    assert format_text("table t = m stars 0.10 0.050 1E-2") == "table t = m\n  stars 0.10 0.050 1E-2\n"


def test_string_escapes_survive():
    text = 'table t "a \\"b\\" \\\\ c\\td\\ne" = m\n'
    assert format_text(text) == text
    assert parse(text).declarations[0].title == 'a "b" \\ c\td\ne'


def test_syntax_error_raises_spec_error():
    with pytest.raises(SpecError):
        format_text("let x = ")


def test_negative_exponent_round_trips_without_new_parentheses():
    text = "let y = x**-1 + x**(-1)\n"
    assert format_text(text) == text
    assert parse(format_text(text)) == parse(text)


def test_sweep_keeps_its_clause():
    text = "model s for i in industries(census, digits=3): y ~ x | ols\n"
    assert format_text("model s for i in industries( census,digits = 3 ) :y~x|ols") == text


# ---------------------------------------------------------------- the command


def _run(argv, capsys, stdin: str | None = None, monkeypatch=None):
    parser = argparse.ArgumentParser(prog="povdsl")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    status = args.func(args)
    out, err = capsys.readouterr()
    return status, out, err


def test_fmt_rewrites_a_file_in_place(tmp_path, capsys):
    spec = tmp_path / "a.pov"
    spec.write_text("let x=1")
    status, _out, err = _run(["fmt", str(spec)], capsys)
    assert status == 0
    assert spec.read_text() == "let x = 1\n"
    assert "reformatted" in err


def test_fmt_leaves_a_canonical_file_untouched(tmp_path, capsys):
    spec = tmp_path / "a.pov"
    spec.write_text("let x = 1\n")
    before = spec.stat().st_mtime_ns
    status, out, err = _run(["fmt", str(spec)], capsys)
    assert (status, out, err) == (0, "", "")
    assert spec.stat().st_mtime_ns == before


def test_fmt_check_prints_a_diff_and_changes_nothing(tmp_path, capsys):
    spec = tmp_path / "a.pov"
    spec.write_text("let x=1\n")
    status, out, _ = _run(["fmt", "--check", str(spec)], capsys)
    assert status == 1
    assert spec.read_text() == "let x=1\n"
    assert "-let x=1\n" in out and "+let x = 1\n" in out and out.startswith("---")


def test_fmt_check_passes_on_canonical_files(capsys):
    status, out, err = _run(["fmt", "--check", *map(str, IDENTITY)], capsys)
    assert (status, out, err) == (0, "", "")


def test_fmt_check_sees_crlf_line_endings(tmp_path, capsys):
    spec = tmp_path / "a.pov"
    spec.write_bytes(b"let x = 1\r\n")
    status, _, _ = _run(["fmt", "--check", str(spec)], capsys)
    assert status == 1


def test_fmt_check_marks_a_missing_final_newline(tmp_path, capsys):
    spec = tmp_path / "a.pov"
    spec.write_text("let x = 1")
    status, out, _ = _run(["fmt", "--check", str(spec)], capsys)
    assert status == 1 and "\\ No newline at end of file" in out


def test_fmt_reads_stdin_and_writes_stdout(capsys, monkeypatch):
    status, out, _ = _run(["fmt", "-"], capsys, stdin="let   x=1", monkeypatch=monkeypatch)
    assert (status, out) == (0, "let x = 1\n")


def test_fmt_syntax_error_prints_diagnostic_not_traceback(tmp_path, capsys):
    spec = tmp_path / "bad.pov"
    spec.write_text("let x = \n")
    status, _out, err = _run(["fmt", str(spec)], capsys)
    assert status == 1
    assert "error[E012]" in err and "Traceback" not in err
    assert spec.read_text() == "let x = \n"


def test_fmt_missing_file_is_an_io_problem(tmp_path, capsys):
    status, _, err = _run(["fmt", str(tmp_path / "nope.pov")], capsys)
    assert status == 2 and "nope.pov" in err


def test_fmt_binary_file_is_an_io_problem(tmp_path, capsys):
    spec = tmp_path / "bin.pov"
    spec.write_bytes(b"\xff\xfe\x00garbage")
    status, _, err = _run(["fmt", str(spec)], capsys)
    assert status == 2 and "UTF-8" in err


def test_fmt_worst_status_wins_across_files(tmp_path, capsys):
    good, bad = tmp_path / "good.pov", tmp_path / "bad.pov"
    good.write_text("let x = 1\n")
    bad.write_text("let = \n")
    status, _, _ = _run(["fmt", "--check", str(good), str(bad), str(tmp_path / "missing.pov")], capsys)
    assert status == 2
