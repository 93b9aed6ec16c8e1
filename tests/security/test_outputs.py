"""Outputs never follow symlinks or leave their folder; user text stays on one line (issue 12, items 2 and 5).

A repository can commit `tables/t1.tex` as a symlink to any file its reader
can write; `povdsl run` must leave that file untouched.  Titles, labels and
notes with newlines or markup must stay inert in every format.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from povdsl.render.output import OutputError, write_beside, write_output
from povdsl.tools.cli import main

CSV = "".join(f"{h},{y},{1.0 + 0.3 * h + 0.1 * y - 200.0 + (h * y) % 7 * 0.05},{h % 3 + 0.5 * (y - 2004)}\n" for h in range(1, 13) for y in (2004, 2005))
VICTIM_TEXT = "precious: must survive\n"


def _project(tmp_path: Path, table_options: str = "", title: str = "T") -> Path:
    (tmp_path / ".povdsl-root").write_text("")
    (tmp_path / "d.csv").write_text("hh,year,y,x\n" + CSV)
    spec = tmp_path / "s.pov"
    spec.write_text(
        'data d = "d.csv" panel(hh, year)\n'
        "model m1: y ~ x | ols\n"
        f'table t1 "{title}" = m1\n{table_options}',
        encoding="utf-8",
    )
    return spec


@pytest.fixture
def victim(tmp_path) -> Path:
    path = tmp_path / "victim"
    path.write_text(VICTIM_TEXT)
    return path


@pytest.mark.parametrize("fmt,extension", [("latex", "tex"), ("markdown", "md"), ("html", "html")])
def test_run_refuses_a_committed_symlink_and_leaves_its_target_untouched(tmp_path, victim, capsys, fmt, extension):
    spec = _project(tmp_path)
    out = tmp_path / "tables"
    out.mkdir()
    (out / f"t1.{extension}").symlink_to(Path("..") / "victim")
    assert main(["run", str(spec), "--out", str(out), "--format", fmt]) == 1
    assert victim.read_text() == VICTIM_TEXT
    assert (out / f"t1.{extension}").is_symlink()  # nothing replaced it either
    err = capsys.readouterr().err
    assert "is a symbolic link" in err and "Traceback" not in err
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]  # no temporary file left behind


def test_run_refuses_a_symlinked_output_folder(tmp_path, capsys):
    spec = _project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "tables").symlink_to(elsewhere)
    assert main(["run", str(spec), "--out", str(tmp_path / "tables")]) == 1
    assert list(elsewhere.iterdir()) == []
    assert "output folder" in capsys.readouterr().err


def test_run_writes_regular_files_and_replaces_old_ones(tmp_path):
    spec = _project(tmp_path)
    out = tmp_path / "tables"
    out.mkdir()
    (out / "t1.tex").write_text("stale\n")
    assert main(["run", str(spec), "--out", str(out)]) == 0
    written = out / "t1.tex"
    assert not written.is_symlink() and written.read_text().startswith(("%", "\\begin{table}"))
    assert sorted(p.name for p in out.iterdir()) == ["t1.tex"]


def test_write_output_refuses_names_that_leave_the_folder(tmp_path, victim):
    for name in ("../victim", "sub/x.tex", "..", ".", "", "a\x00b"):
        with pytest.raises(OutputError):
            write_output(tmp_path / "out", name, "x")
    assert victim.read_text() == VICTIM_TEXT


def test_write_output_refuses_a_directory_or_fifo_target(tmp_path):
    (tmp_path / "d.tex").mkdir()
    with pytest.raises(OutputError, match="not a regular file"):
        write_output(tmp_path, "d.tex", "x")
    os.mkfifo(tmp_path / "p.tex")
    with pytest.raises(OutputError, match="not a regular file"):
        write_output(tmp_path, "p.tex", "x")  # opening a FIFO for writing would block forever


def test_pdf_beside_its_tex_is_not_written_through_a_link(tmp_path, victim):
    (tmp_path / "t1.pdf").symlink_to(victim)
    with pytest.raises(OutputError, match="symbolic link"):
        write_beside(tmp_path / "t1.pdf", b"%PDF-1.5")
    assert victim.read_text() == VICTIM_TEXT


def test_fmt_does_not_rewrite_a_spec_through_a_symlink(tmp_path, victim, capsys):
    victim.write_text("model   m: y ~ x | ols\n")  # a spec that fmt would rewrite
    (tmp_path / "s.pov").symlink_to(victim)
    assert main(["fmt", str(tmp_path / "s.pov")]) == 2
    assert victim.read_text() == "model   m: y ~ x | ols\n"
    assert "symbolic link" in capsys.readouterr().err


HOSTILE_TITLE = r"Title\nrm -rf ~ <script>alert(1)</script>"
HOSTILE_LABEL = r"<img src=x onerror=alert(1)>\n# heading &amp; more"


@pytest.mark.parametrize("fmt,extension", [("latex", "tex"), ("markdown", "md"), ("html", "html")])
def test_titles_labels_and_notes_keep_no_raw_newline_or_markup(tmp_path, fmt, extension):
    options = f'  label x = "{HOSTILE_LABEL}"\n  note "first\\nsecond\\tthird"\n'
    spec = _project(tmp_path, options, title=HOSTILE_TITLE)
    out = tmp_path / "tables"
    assert main(["run", str(spec), "--out", str(out), "--format", fmt]) == 0
    text = (out / f"t1.{extension}").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert not any(line.startswith(("rm -rf", "# heading", "second", "third")) for line in lines), text
    assert "\r" not in text and "\t" not in text
    title_lines = [line for line in lines if "rm -rf" in line]
    assert len(title_lines) == 1 and "Title" in title_lines[0]
    if fmt == "markdown":
        assert re.search(r"(?<!\\)[<&][A-Za-z/!?#]", text) is None, text  # nothing can open a tag or entity
        assert "\\<script>" in text and "\\<img" in text and "\\&amp;" in text
    if fmt == "html":
        assert "<script>" not in text and "<img" not in text
        assert "&lt;script&gt;" in text and "&lt;img src=x onerror=alert(1)&gt;" in text


# Spreadsheets open a cell that starts with = + - @ as a formula: `=cmd|' /C calc'!A0` is a DDE call, `=HYPERLINK(...)` or
# `=WEBSERVICE(...)` sends the sheet's contents away. Titles, labels, model labels and notes come from the spec.


def _formula_project(tmp_path: Path) -> Path:
    spec = _project(tmp_path, '  label x = "@SUM(A1)"\n  label y = "-2+3"\n  note "+cmd"\n', title="=cmd|' /C calc'!A0")
    spec.write_text(spec.read_text(encoding="utf-8").replace("model m1:", 'model m1 "=HYPERLINK(1)":'), encoding="utf-8")
    return spec


def test_xlsx_writes_spec_text_as_text_never_as_a_formula(tmp_path):
    import zipfile

    spec = _formula_project(tmp_path)
    assert main(["run", str(spec), "--out", str(tmp_path / "tables"), "--format", "xlsx"]) == 0
    with zipfile.ZipFile(tmp_path / "tables" / "t1.xlsx") as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet and "<f " not in sheet, sheet  # no formula cell at all
    for text in ("=cmd|' /C calc'!A0", "=HYPERLINK(1)", "@SUM(A1)", "-2+3"):
        assert f"<t>{text.replace('&', '&amp;')}</t>" in sheet.replace("&apos;", "'"), text
    assert "+cmd" in sheet


def test_csv_cells_never_start_a_formula(tmp_path):
    import csv

    spec = _formula_project(tmp_path)
    assert main(["run", str(spec), "--out", str(tmp_path / "tables"), "--format", "csv"]) == 0
    rows = list(csv.reader((tmp_path / "tables" / "t1.csv").read_text(encoding="utf-8").splitlines()))
    cells = [cell for row in rows for cell in row]
    number = re.compile(r"-?[0-9]+(\.[0-9]+)?")
    starts = [c for c in cells if c.startswith(("=", "+", "-", "@")) and not number.fullmatch(c)]
    assert starts == [], starts
    assert "'@SUM(A1)" in cells and "'-2+3" in cells and "'=HYPERLINK(1)" in cells  # the text survives, marked as text


def test_figure_text_is_never_parsed_as_mathtext(tmp_path, capsys):
    """matplotlib reads "$...$" as mathtext: a broken formula was a traceback, a nested one unbounded work; spec text is drawn as it is."""
    figure = 'figure f1 "F" = coef(m1)\n  label x = "$\\\\frac$ and $x^{y^{z}}$"\n  format svg\n'
    spec = _project(tmp_path, figure)
    spec.write_text(spec.read_text(encoding="utf-8").replace('model m1:', 'model m1 "$\\\\sqrt{$":'), encoding="utf-8")
    out = tmp_path / "tables"
    assert main(["run", str(spec), "--out", str(out)]) == 0, capsys.readouterr().err
    svg = (out / "f1.svg").read_text(encoding="utf-8")
    assert "<!-- $\\frac$ and $x^{y^{z}}$ -->" in svg  # matplotlib's comment before the outlines of a text drawn as it is
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_word_and_excel_take_text_xml_cannot_hold(tmp_path, capsys, fmt):
    """A raw control character or U+FFFE in a spec string (or a data value) was an lxml traceback; it becomes a space."""
    spec = _project(tmp_path, '  label x = "a\x01b\ufffec"\n  note "d\x0be\uffff"\n', title="t\x1b[31m\x08")
    assert main(["run", str(spec), "--out", str(tmp_path / "tables"), "--format", fmt]) == 0
    assert "Traceback" not in capsys.readouterr().err
    import zipfile

    with zipfile.ZipFile(tmp_path / "tables" / f"t1.{fmt}") as document:
        text = "".join(document.read(name).decode("utf-8") for name in document.namelist() if name.endswith(".xml"))
    assert "a b c" in text and "d e " in text
    assert re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", text) is None
