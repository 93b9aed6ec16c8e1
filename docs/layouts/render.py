"""Re-draw the layout pictures of docs/tables.md from compiled PDFs.

Runs docs/layouts/layouts.pov with `povdsl run --pdf` (pdflatex), renders
the first page of each table's PDF with pypdfium2 (`pip install pypdfium2`;
a documentation tool, not a povdsl dependency) and crops it to the ink.

    python docs/layouts/render.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pypdfium2
from PIL import ImageChops, ImageOps

HERE = Path(__file__).resolve().parent
SCALE = 1.6  # 115 dpi: the text reads, the files stay small
MARGIN = 12  # pixels of white kept around the ink


def main() -> int:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([str(Path(sys.executable).with_name("povdsl")), "run", str(HERE / "layouts.pov"), "--out", out, "--pdf", "--no-cache"], check=True, stdout=subprocess.DEVNULL)
        for pdf in sorted(Path(out).glob("*.pdf")):
            page = pypdfium2.PdfDocument(pdf)[0]
            image = page.render(scale=SCALE).to_pil().convert("L")
            ink = ImageChops.invert(image).getbbox()
            if ink is None:
                continue
            left, top, right, bottom = ink
            image = image.crop((max(left - MARGIN, 0), max(top - MARGIN, 0), right + MARGIN, bottom + MARGIN))
            target = HERE / f"{pdf.stem}.png"
            ImageOps.posterize(image, 4).save(target, optimize=True)
            print(target.relative_to(HERE.parent.parent), image.size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
