#!/usr/bin/env bash
# Re-render docs/table1.png from the bundled spec (needs pdflatex and pdftoppm).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
povdsl run spec/zhejiang.pov --out "$out" --pdf >/dev/null
pdftoppm -png -r 110 -f 1 -l 1 -x 125 -y 100 -W 690 -H 570 -singlefile "$out/table1.pdf" docs/table1
rm -rf "$out"
