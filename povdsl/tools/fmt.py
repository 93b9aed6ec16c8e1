"""`povdsl fmt`: one canonical layout for every spec, printed from the syntax tree.

Printing from the tree (never from the text) is what makes the formatter
trustworthy: whatever the input looked like, the output can only say what the
parser understood, and `parse(fmt(x)) == parse(x)` is checked by the tests.

Layout rules (docs/language.md, "Canonical layout", shows them on an example):

* One declaration per line; a model's `where` and `vcov` clauses and a table's
  options go on their own lines, indented two spaces. `where` comes before
  `vcov` (the tree does not record the order and neither changes the meaning).
* Blank lines separate groups: consecutive declarations of the same kind stay
  together (three `data` lines, a run of `let`s, a run of one-line models).
  A blank line goes between declarations of different kinds, before every
  declaration that has a comment above it (a comment opens a paragraph, as
  in "# Robustness: ..." above a group of models), and around every
  declaration that takes more than one line (a model with clauses, a table
  with options), so multi-line blocks never run into each other.
* Comments stay on the node the parser gave them to and are printed on their
  own lines directly above it, at its indentation: a comment at the end of a
  line moves above that line. Comments after the last declaration end the file,
  after a blank line. Blank lines the author put between a comment and its
  node are not kept (the tree does not record them).
* Table options keep the order they were written in. Their order carries
  meaning: labels are applied in order, `keep`/`drop`/`order` lists accumulate
  and the last `stat`/`stars`/`layout` wins, so sorting them could change the
  table.
* Expressions are printed by `povdsl.language.printer.expr_text`: one space around
  binary, comparison and boolean operators, none around `:` and `**`, `, `
  between arguments, `name=value` for keywords, and only the parentheses the
  author wrote. Numbers keep their spelling (`0.10` stays `0.10`).
* Lines are never wrapped; a long formula is better split with `terms`.
* The output ends with exactly one newline; an empty spec formats to nothing.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from povdsl.check.specfile import read_spec_file
from povdsl.diagnostics import escape_controls
from povdsl.errors import SpecError
from povdsl.language import syntax as s
from povdsl.language.kinds import BY_NODE
from povdsl.language.parser import parse
from povdsl.language.printer import expr_text, fit_item_text, setting_text, string_literal, sweep_text
from povdsl.render.output import OutputError, write_beside

INDENT = "  "
EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2
STDIN = "-"


def format_text(text: str, path: str = "<spec>") -> str:
    """Canonical text of a spec; raises SpecError when it does not parse."""
    return format_spec(parse(text, path))


def format_spec(spec: s.Spec) -> str:
    blocks: list[tuple[type, list[str]]] = [(type(d), _declaration(d)) for d in spec.declarations]
    out: list[str] = []
    previous: tuple[type, list[str]] | None = None
    for kind, lines in blocks:
        if previous is not None and _blank_between(previous, (kind, lines)):
            out.append("")
        out.extend(lines)
        previous = (kind, lines)
    if spec.trailing_comments:
        if out:
            out.append("")
        out.extend(spec.trailing_comments)
    return "\n".join(out) + "\n" if out else ""


def _blank_between(previous: tuple[type, list[str]], current: tuple[type, list[str]]) -> bool:
    (kind_a, lines_a), (kind_b, lines_b) = previous, current
    commented = lines_b[0].startswith("#")
    return kind_a is not kind_b or commented or _multi_line(lines_a) or _multi_line(lines_b)


def _multi_line(lines: list[str]) -> bool:
    """A declaration with clauses or options (its comment lines do not count)."""
    return sum(1 for line in lines if not line.lstrip().startswith("#")) > 1


def _declaration(d: s.Declaration) -> list[str]:
    """Comments, head line and body lines of one declaration, by its kind's `fmt` function."""
    if type(d) not in BY_NODE:
        raise TypeError(f"not a declaration: {d!r}")
    head, body = globals()[BY_NODE[type(d)].fmt](d)
    return [*d.comments, head, *body]


def _data(d: s.DataDecl) -> tuple[str, list[str]]:
    return " ".join([f"data {d.name} = {expr_text(d.source)}", *(expr_text(o) for o in d.options), *(setting_text(o) for o in d.settings)]), []


def _weights(d: s.WeightsDecl) -> tuple[str, list[str]]:
    return f"weights {d.name} = {expr_text(d.builder)}", []


def _let(d: s.LetDecl) -> tuple[str, list[str]]:
    return f"let {d.name} = {expr_text(d.value)}", []


def _terms(d: s.TermsDecl) -> tuple[str, list[str]]:
    return f"terms {d.name} = {expr_text(d.value)}", []


def _model(d: s.ModelDecl) -> tuple[str, list[str]]:
    label = f" {string_literal(d.label)}" if d.label is not None else ""
    sweep = "".join(f" {sweep_text(w)}" for w in d.sweeps)
    head = f"model {d.name}{label}{sweep}: {expr_text(d.lhs)} ~ {expr_text(d.rhs)} | {_estimator(d.estimator)}"
    body = []
    if d.where is not None:
        body.append(f"{INDENT}where {expr_text(d.where.condition)}")
    if d.vcov is not None:
        groups = f"({', '.join(g.id for g in d.vcov.groups)})" if d.vcov.groups else ""
        body.append(f"{INDENT}vcov {d.vcov.kind}{groups}")
    return head, body


def _estimator(e: s.Estimator) -> str:
    return f"{e.name}({', '.join(expr_text(a) for a in e.args)})" if e.args else e.name


def _table(d: s.TableDecl) -> tuple[str, list[str]]:
    title = f" {string_literal(d.title)}" if d.title is not None else ""
    head = f"table {d.name}{title} = {', '.join(m.id for m in d.models)}"
    return head, _options(d.options)


def _figure(d: s.FigureDecl) -> tuple[str, list[str]]:
    title = f" {string_literal(d.title)}" if d.title is not None else ""
    plot = d.plot
    head = f"figure {d.name}{title} = {plot.func}({', '.join(expr_text(a) for a in plot.args)})"
    return head, _options(d.options)


def _options(options: tuple[s.TableOption, ...]) -> list[str]:
    """Option lines in the order written, each under its comments."""
    body: list[str] = []
    for option in options:
        body.extend(INDENT + c for c in option.comments)
        body.append(INDENT + _option(option))
    return body


def _target(o: s.TableOption) -> str:
    """The labelled term of `label`, `row` and `digits TERM =` (the tree builder always sets it for those)."""
    if o.target is None:
        raise TypeError(f"table option {o.kind!r} has no target")
    return expr_text(o.target)


def _option(o: s.TableOption) -> str:
    values = o.values
    match o.kind:
        case "label":
            return f"label {_target(o)} = {expr_text(values[0])}"
        case "stars" | "size":
            return f"{o.kind} " + " ".join(expr_text(v) for v in values)
        case "fit":
            return "fit " + ", ".join(fit_item_text(*item) for item in s.fit_items(values))
        case "keep" | "drop" | "order" | "format":
            return f"{o.kind} " + ", ".join(expr_text(v) for v in values)
        case "unknown":  # a figure option line the checker will refuse, kept as written
            return f"{_target(o)} " + ", ".join(expr_text(v) for v in values)
        case "significant":
            return "significant only"
        case "row":
            return f"row {_target(o)} = " + ", ".join(expr_text(v) for v in values)
        case "vcov row" | "row fe" | "fit width" | "landscape":
            return " ".join([o.kind, *(expr_text(v) for v in values)])
        case "group" | "panel":
            return f"{o.kind} {_target(o)} = " + ", ".join(expr_text(v) for v in values)
        case "digits" if o.target is not None:
            return f"digits {_target(o)} = {expr_text(values[0])}"
        case "digits":
            return "digits " + " ".join(expr_text(v) for v in values)
        case "stat":
            return "stat " + ", ".join(expr_text(v) for v in values)
        case "layout" if len(values) == 3:  # layout sweep c by w
            return f"layout {expr_text(values[0])} {expr_text(values[1])} by {expr_text(values[2])}"
        case "note" | "layout" | "level" | "style" | "show":
            return f"{o.kind} {expr_text(values[0])}"
    raise TypeError(f"not a table option: {o.kind!r}")


# ---------------------------------------------------------------------- CLI


def register(subparsers) -> None:
    fmt = subparsers.add_parser("fmt", help="rewrite spec files in the canonical layout")
    fmt.add_argument("files", nargs="+", help="spec files; '-' reads stdin and writes stdout")
    fmt.add_argument("--check", action="store_true", help="change nothing; print a diff and exit 1 when a file is not canonical")
    fmt.set_defaults(func=run_fmt)


def run_fmt(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for name in args.files:
        status = max(status, _format_one(name, check_only=args.check))
    return status


def _format_one(name: str, *, check_only: bool) -> int:
    """Format one file (or stdin); return its exit status."""
    try:  # bytes, so that a CRLF file is not mistaken for a canonical one
        text = sys.stdin.read() if name == STDIN else read_spec_file(Path(name))
    except SpecError as exc:  # not UTF-8, or over the size limit: not a spec fmt can rewrite
        print(escape_controls(f"povdsl: {name}: {exc.diagnostics[0].message}"), file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(escape_controls(f"povdsl: {exc.strerror or exc}: {name}"), file=sys.stderr)
        return EXIT_USAGE
    shown = "<stdin>" if name == STDIN else name
    try:
        formatted = format_text(text, shown)
    except SpecError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_PROBLEM
    if check_only:
        if formatted == text:
            return EXIT_OK
        diff = difflib.unified_diff(text.splitlines(keepends=True), formatted.splitlines(keepends=True), f"{shown} (original)", f"{shown} (formatted)")
        sys.stdout.writelines(_terminated(diff))
        return EXIT_PROBLEM
    if name == STDIN:
        sys.stdout.write(formatted)
    elif formatted != text:
        try:
            write_beside(Path(name), formatted)
        except OutputError as exc:
            print(f"povdsl: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except OSError as exc:
            print(f"povdsl: {exc.strerror or exc}: {name}", file=sys.stderr)
            return EXIT_USAGE
        print(f"reformatted {name}", file=sys.stderr)
    return EXIT_OK


def _terminated(lines):
    """difflib leaves a last line without newline as is; the diff must stay line-based."""
    for line in lines:
        yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
