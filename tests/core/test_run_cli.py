"""`povdsl run` end to end: Table 1 golden file, determinism, pdflatex, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from povdsl.render.pdf import compile_pdf, pdflatex_path
from povdsl.render.templating import render
from povdsl.tools.cli import main

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec" / "zhejiang.pov"
GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def tables(paper) -> Path:
    """The folder the session's one run of the paper wrote (tests/conftest.py)."""
    return paper.written[0].parent


@pytest.mark.parametrize("name", [f"table{i}.{ext}" for i in range(1, 8) for ext in ("tex", "md", "html")])
def test_paper_tables_match_golden(tables, name, golden):
    golden(GOLDEN / name, (tables / name).read_bytes())


def test_every_figure_of_the_paper_spec_is_written(tables):
    """The README's first command writes each declared figure in each of its formats, and its LaTeX fragment."""
    from povdsl.check.specfile import load_plan
    from povdsl.render.figure_style import FIGURE_FORMATS

    figures = load_plan(SPEC).figures
    assert {f.name for f in figures} == {"figure1", "figure5", "figure6", "figure7"}
    assert {f.kind for f in figures} == {"coef", "sweep", "curve"}
    for figure in figures:
        for fmt in figure.formats:
            assert (tables / f"{figure.name}{FIGURE_FORMATS[fmt]}").stat().st_size > 1000, (figure.name, fmt)
        assert f"\\includegraphics{{{figure.name}}}" in (tables / f"{figure.name}.tex").read_text(encoding="utf-8")


def test_the_readme_picture_is_the_runs_own_figure(tables, golden):
    """docs/figure1.png, shown in the README, is byte for byte what the run draws (--regen rewrites it)."""
    golden(ROOT / "docs" / "figure1.png", (tables / "figure1.png").read_bytes())


def test_same_spec_same_bytes(tables, tmp_path):
    """A second run, through the command line this time, writes the same bytes."""
    assert main(["run", str(SPEC), "--out", str(tmp_path), "--format", "latex", "--format", "markdown", "--format", "html"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in tables.iterdir())
    for produced in tables.iterdir():
        assert (tmp_path / produced.name).read_bytes() == produced.read_bytes()


@pytest.mark.latex
@pytest.mark.skipif(pdflatex_path() is None, reason="pdflatex not installed (CI installs texlive-latex-base/extra)")
def test_tables_compile_without_errors_or_overfull_boxes(paper, tmp_path):
    for number, (name, table) in enumerate(paper.models.items(), start=1):
        source = tmp_path / f"{name}.tex"
        source.write_text(render(table, "latex", standalone=True, number=number), encoding="utf-8")
        if name == "table3":
            assert "\\setcounter{table}{2}" in source.read_text(encoding="utf-8")  # captioned "Table 3"
        report = compile_pdf(source)
        assert report.ok, (name, report.errors)
        assert report.overfull == (), name


def test_templates_work_from_a_non_editable_install(tmp_path):
    """Build a wheel (offline: the test extra brings setuptools), install it into a fresh target dir, run from elsewhere."""
    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheel_dir), str(ROOT)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stderr
    wheel = next(wheel_dir.glob("povdsl-*.whl"))
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = "import povdsl, sys; print(povdsl.__file__); povdsl.run(sys.argv[1], sys.argv[2])"
    done = subprocess.run([sys.executable, "-c", code, str(SPEC), str(tmp_path / "out")], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(target))
    assert (tmp_path / "out" / "table1.tex").read_text(encoding="utf-8") == (GOLDEN / "table1.tex").read_text(encoding="utf-8")


def test_check_exit_codes_and_no_traceback(tmp_path, capsys):
    assert main(["check", str(SPEC)]) == 0
    bad = tmp_path / "bad.pov"
    bad.write_text("model m: y ~ clustr | ols\n", encoding="utf-8")
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:1:14: error[E" in err and "Traceback" not in err
    assert main(["check", str(tmp_path / "missing.pov")]) == 2
    garbage = tmp_path / "garbage.pov"
    garbage.write_bytes(bytes(range(256)) * 4)
    assert main(["check", str(garbage)]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_usage_error_exits_2():
    with pytest.raises(SystemExit) as info:
        main(["run"])
    assert info.value.code == 2
