"""`figure` declarations end to end: `povdsl run` writes each figure's graphics and LaTeX fragment.

The plotted numbers themselves are tested in test_figures.py (against
statsmodels and scipy); here: which files, their bytes across runs, the
fragment's caption and notes, the safe writer, and `explain`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import povdsl
from povdsl.render.output import OutputError
from povdsl.render.pdf import compile_pdf, pdflatex_path
from povdsl.tools.explain import explain

SPEC = """\
data households = bundled("zhejiang/households.csv") panel(household, year) region(county)
data counties = bundled("zhejiang/counties.csv") key(county, year)
data census = bundled("zhejiang/census.csv")
data industry_names = bundled("zhejiang/industries.csv")

model m1 "Model 1": log(income) ~ age + edu | ols
model m2 "Model 2": log(income) ~ age + edu + gender | fe(household)

model s3 "By industry" for industry in industries(census, digits=3, year=2004, names=industry_names): log(income) ~ clusters(census, digits=3, industry=industry) + age | ols
  where year == 2004

figure f1 "Age & education" = coef(m1, m2)
  keep age, edu
  label edu = "years of education"
  level 0.90
  note "Synthetic data."
  format pdf, svg, png

figure f3 = sweep(s3)
  size 4 5
"""


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "figures.pov"
    path.write_text(SPEC, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def output(spec, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    return povdsl.run(spec, out), out


def test_run_writes_every_format_asked_for_and_a_fragment(output):
    result, out = output
    assert sorted(result.figures) == ["f1", "f3"]
    assert sorted(result.figures["f1"]) == ["f1.pdf", "f1.png", "f1.svg", "f1.tex"]
    assert sorted(result.figures["f3"]) == ["f3.pdf", "f3.svg", "f3.tex"]  # PDF and SVG by default
    for files in result.figures.values():
        for name, data in files.items():
            on_disk = (out / name).read_bytes()
            assert on_disk == (data.encode("utf-8") if isinstance(data, str) else data)
            assert out / name in result.written


def test_same_spec_same_bytes(output, spec, tmp_path):
    result, _ = output
    again = povdsl.run(spec, tmp_path)
    assert again.figures == result.figures


def test_fragment_includes_the_graphic_with_caption_label_and_notes(output):
    result, _ = output
    tex = result.figures["f1"]["f1.tex"]
    assert "\\includegraphics{f1}" in tex
    assert "\\caption{Age \\& education}" in tex  # escaped by the template's filter
    assert "\\label{fig:f1}" in tex
    assert "bars 90\\% confidence intervals" in tex
    assert "Standard errors: unadjusted in Model 1; clustered by household" in tex  # each model's variance, as tables say it
    assert tex.rstrip().endswith("Synthetic data.\n\\end{minipage}\n\\end{figure}")
    sweep = result.figures["f3"]["f3.tex"]
    assert "Filled markers: p \\textless{} 0.05" in sweep


def test_figure_size_option_sets_the_drawing_size(output):
    result, _ = output
    svg = result.figures["f3"]["f3.svg"]
    assert b'width="288pt" height="360pt"' in svg  # size 4 5 (inches) at 72 points per inch


def test_a_symlinked_figure_target_is_refused_not_followed(spec, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(victim, out / "f1.svg")
    with pytest.raises(OutputError, match=r"f1\.svg"):
        povdsl.run(spec, out)
    assert victim.read_text(encoding="utf-8") == "keep me"


def test_explain_shows_each_figure_with_its_defaults(spec):
    plan = povdsl.load(spec)
    text = explain(plan)
    assert 'figure f1 "Age & education"\n  plot         coefficients of Model 1, Model 2' in text
    assert "90% confidence" in explain(plan, "f1")
    only = explain(plan, "f3")
    assert only.startswith("figure f3\n") and "4 in by 5 in; style journal" in only and "f3.pdf, f3.svg, f3.tex" in only


def test_keep_takes_globs_and_an_item_matching_nothing_is_a_located_error(tmp_path):
    head = SPEC.split("model s3")[0]
    good = tmp_path / "good.pov"
    good.write_text(head + 'figure g = coef(m1, m2)\n  keep "*e*"\n', encoding="utf-8")
    assert povdsl.run(good).figures["g"]["g.tex"]  # age, edu, gender: matched by the glob
    bad = tmp_path / "bad.pov"
    bad.write_text(head + 'figure g = coef(m1)\n  keep "x*"\n', encoding="utf-8")
    with pytest.raises(povdsl.SpecError) as info:
        povdsl.run(bad)
    (d,) = info.value.diagnostics
    assert d.code == "E197" and d.span.line == head.count("\n") + 2


@pytest.mark.latex
@pytest.mark.skipif(pdflatex_path() is None, reason="pdflatex not installed (CI installs texlive-latex-base/extra)")
def test_the_fragment_compiles_in_a_plain_article_with_the_packages_its_first_line_names(output, tmp_path):
    result, out = output
    tex = result.figures["f1"]["f1.tex"]
    needs = re.match(r"^% povdsl figure: needs \\usepackage\{([a-z,]+)\}", tex)
    assert needs, tex.splitlines()[0]
    preamble = f"\\documentclass{{article}}\n\\usepackage{{{needs.group(1)}}}\n\\graphicspath{{{{{out}/}}}}\n"
    document = tmp_path / "paper.tex"
    document.write_text(f"{preamble}\\begin{{document}}\n\\input{{{out / 'f1.tex'}}}\n\\end{{document}}\n", encoding="utf-8")
    report = compile_pdf(document)
    assert report.ok, "\n".join(report.errors) or report.log[-2000:]
    assert not report.overfull  # drawn at the article's text width, it fits
    bare = tmp_path / "bare.tex"
    bare.write_text(document.read_text(encoding="utf-8").replace(f"\\usepackage{{{needs.group(1)}}}\n", ""), encoding="utf-8")
    assert not compile_pdf(bare).ok  # graphicx is needed, so the comment is not decoration
