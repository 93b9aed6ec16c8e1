"""Compile a .tex file with pdflatex and report what went wrong.

Used by the compile tests and by anyone who wants a quick PDF of a table;
the log is read for errors and overfull boxes, which are what make a table
look machine-made (a column running into the margin).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from povdsl.errors import PovdslError

MISSING_PDFLATEX = "pdflatex not found; install TeX Live (Debian: texlive-latex-base texlive-latex-extra)"


class LatexError(PovdslError):
    """pdflatex is missing, timed out, or could not produce a PDF."""


@dataclass(frozen=True)
class CompileReport:
    ok: bool  # a PDF was produced and no "!" error was logged
    errors: tuple[str, ...]  # "! ..." lines with the line that follows
    overfull: tuple[str, ...]  # "Overfull \hbox ..." lines
    log: str
    pdf: bytes | None  # the PDF, kept in memory because the work dir is temporary


def pdflatex_path() -> str | None:
    return shutil.which("pdflatex")


RERUN = re.compile(r"Rerun to get|Column widths have changed|Table widths have changed")
MAX_RUNS = 4  # longtable settles its column widths over a few runs


def compile_pdf(tex_path: str | Path, *, timeout: float = 60.0) -> CompileReport:
    """Run pdflatex in a scratch directory until the layout settles; never leaves files beside the source.

    Page-breaking tables (longtable, xltabular) store their column widths in
    the .aux file and are only right from the second run on, so the log of
    the last run is the one judged.
    """
    executable = pdflatex_path()
    if executable is None:
        raise LatexError(MISSING_PDFLATEX)
    source = Path(tex_path)
    with tempfile.TemporaryDirectory(prefix="povdsl-latex-") as work:
        target = Path(work) / "table.tex"
        shutil.copyfile(source, target)
        log_path, pdf_path = target.with_suffix(".log"), target.with_suffix(".pdf")
        for _ in range(MAX_RUNS):
            try:
                subprocess.run(
                    [executable, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", target.name],
                    cwd=work,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise LatexError(f"pdflatex did not finish within {timeout:g} s on {source}") from exc
            log = log_path.read_text(encoding="latin-1") if log_path.exists() else ""
            if "\n!" in log or not RERUN.search(log):  # an error, or nothing left to settle
                break
        pdf = pdf_path.read_bytes() if pdf_path.exists() else None
    lines = log.splitlines()
    errors = tuple(
        " ".join(lines[i : i + 2]).strip() for i, line in enumerate(lines) if line.startswith("!")
    )
    overfull = tuple(line for line in lines if re.match(r"Overfull \\[hv]box", line))
    return CompileReport(ok=pdf is not None and not errors, errors=errors, overfull=overfull, log=log, pdf=pdf)
