"""One way for the LaTeX compile tests to wrap a fragment in an ordinary article (imported by the render tests)."""

from __future__ import annotations

import re
from pathlib import Path

NEEDS = re.compile(r"^% povdsl table: needs \\usepackage\{([a-z,]+)\}")


def write_article(fragment: str, folder: Path, preamble: str = "") -> tuple[Path, str]:
    """A plain `article` that `\\input`s the fragment with the packages its first line names: (document, packages)."""
    needs = NEEDS.match(fragment)
    assert needs, fragment.splitlines()[0]
    (folder / "fragment.tex").write_text(fragment, encoding="utf-8")
    document = folder / "paper.tex"
    document.write_text(
        f"\\documentclass{{article}}\n\\usepackage{{{needs.group(1)}}}\n{preamble}\\begin{{document}}\n\\input{{{folder / 'fragment.tex'}}}\n\\end{{document}}\n",
        encoding="utf-8",
    )
    return document, needs.group(1)

