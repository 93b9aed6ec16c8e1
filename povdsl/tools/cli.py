"""`povdsl run|check|fmt|explain|diff`: thin; every decision lives in the library.

Exit codes: 0 success, 1 a problem in the spec or the data, 2 usage or I/O.
A user's mistake never shows a traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from povdsl.check.sweeps import MAX_FITS, fit_count_text
from povdsl.diagnostics import escape_controls, source_excerpt
from povdsl.errors import PovdslError, SpecError
from povdsl.render.formats import FORMATS

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 on usage errors, as we want
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"povdsl: error: {message}\n")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, not {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="povdsl", description="Econometric model specs in, paper-ready tables out.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="fit every model of a spec and write its tables and figures")
    run.add_argument("spec", type=Path)
    run.add_argument("--out", type=Path, default=Path("tables"), help="folder for the tables (default: tables)")
    run.add_argument("--format", action="append", choices=tuple(FORMATS), help="output format; repeat for several (default: latex)")
    run.add_argument("--standalone", action="store_true", help="wrap each LaTeX table in a compilable document")
    run.add_argument("--siunitx", action="store_true", help="align numbers with siunitx S columns")
    run.add_argument("--pdf", action="store_true", help="also compile each LaTeX table to PDF with pdflatex")
    run.add_argument("--allow-outside", type=Path, action="append", default=[], metavar="PATH", help="allow data files under PATH outside the project folder")
    run.add_argument("--workers", type=int, default=None, metavar="N", help="processes for the fits (default: all cores, for runs of 64 fits or more)")
    run.add_argument("--cache", type=Path, default=None, metavar="DIR", help="folder of the fit cache (default: .povdsl-cache beside the spec)")
    run.add_argument("--no-cache", action="store_true", help="fit everything again and store nothing")
    run.add_argument("--cache-prune", action="store_true", help="after the run, remove the cache entries it did not use that no other spec's run uses (entries unused for 30 days always are)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--dask", metavar="ADDRESS", default=None, help="fit on a Dask cluster: a scheduler address (tcp://host:8786) or 'local' for a LocalCluster here")
    run.add_argument("--max-fits", type=_positive, default=MAX_FITS, metavar="N", help=f"refuse sweeps that expand to more than N fits (default: {MAX_FITS:,})")

    check = sub.add_parser("check", help="parse and check spec files; report every problem")
    check.add_argument("specs", type=Path, nargs="+")
    check.add_argument("--allow-outside", type=Path, action="append", default=[], metavar="PATH")
    check.add_argument("--max-fits", type=_positive, default=MAX_FITS, metavar="N", help=f"refuse sweeps that expand to more than N fits (default: {MAX_FITS:,})")

    from povdsl.tools import diff, explain, fmt

    for module in (fmt, explain, diff):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args) if args.command in _COMMANDS else args.func(args)
    except SpecError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_PROBLEM
    except PovdslError as exc:  # data problems: EstimationError and DataError carry the declaration's span
        print(_located_error(exc), file=sys.stderr)
        return EXIT_PROBLEM
    except OSError as exc:
        print(escape_controls(f"povdsl: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # the pool is stopped; every fit that finished is already in the fit cache
        print("povdsl: interrupted; the fits that finished are kept in the fit cache", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run(args) -> int:
    from povdsl.pipeline import run

    if not args.spec.exists() and not args.spec.is_symlink():  # as `check`, `explain` and `fmt` say it: exit 2 (a link or a folder is E006)
        print(escape_controls(f"povdsl: no such file: {args.spec}"), file=sys.stderr)
        return EXIT_USAGE
    formats = tuple(dict.fromkeys(args.format or ["latex"]))
    with warnings.catch_warnings(record=True) as caught:  # said once each below, as povdsl's own lines
        warnings.simplefilter("default")
        output = run(
            args.spec,
            args.out,
            formats=formats,
            standalone=args.standalone or args.pdf,
            siunitx=args.siunitx,
            allow_outside=tuple(args.allow_outside),
            workers=args.workers,
            dask=args.dask,
            max_fits=args.max_fits,
            keep_going=True,
            cache=None if args.no_cache else (args.cache or args.spec.parent / ".povdsl-cache"),
            cache_prune=args.cache_prune,
            progress=not args.quiet,
        )
    for path in output.written:
        print(path)
    for message in dict.fromkeys(str(w.message) for w in caught):
        print(f"povdsl: warning: {message}", file=sys.stderr)
    _report_data_notes(output)
    for failure in output.failures:  # each failed model, located; its tables were not written
        print(_located_error(failure), file=sys.stderr)
    for name in output.skipped_tables:
        print(f"povdsl: '{name}' not written: one of its models could not be fitted", file=sys.stderr)
    if args.pdf:
        from povdsl.render.output import write_beside
        from povdsl.render.pdf import compile_pdf, pdflatex_path

        if pdflatex_path() is None:
            print("povdsl: pdflatex not found; the .tex files are written but no PDF (Debian: apt-get install texlive-latex-base texlive-latex-extra)", file=sys.stderr)
            return EXIT_USAGE
        status = EXIT_OK
        figure_fragments = {f"{name}.tex" for name in output.figures}  # they include graphics; only tables compile alone
        for path in output.written:
            if path.suffix == ".tex" and path.name not in figure_fragments:
                report = compile_pdf(path)
                if report.ok and report.pdf is not None:
                    write_beside(path.with_suffix(".pdf"), report.pdf)
                    print(path.with_suffix(".pdf"))
                else:
                    print(f"{path}: pdflatex failed: {'; '.join(report.errors)}", file=sys.stderr)
                    status = EXIT_PROBLEM
        return EXIT_PROBLEM if output.failures else status
    return EXIT_PROBLEM if output.failures else EXIT_OK


def _location(span) -> str:
    return f"{span.path}:{span.line}:{span.col}: " if span else ""


def _located_error(exc: BaseException) -> str:
    """A data or fit error as a spec error reads: `path:line:col: error: ...`, the declaration's line and a caret, then the hint."""
    span = getattr(exc, "span", None)
    first, *rest = escape_controls(str(exc), keep_newlines=True).split("\n")
    lines = [f"{_location(span)}error: {first}"]
    if span is not None:
        lines += source_excerpt(span, _spec_text(span.path))
    return "\n".join(lines + rest)


def _spec_text(path: str) -> str | None:
    """The spec a span points into (the file povdsl just read), or None if it is gone: then no excerpt."""
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except (OSError, ValueError):
        return None


def _report_data_notes(output) -> None:
    """Say on stderr what the data did to each fit: dropped rows, backend warnings, skipped industries."""
    for notice in output.notices:
        print(escape_controls(f"{_location(notice.span)}{notice.severity}: {notice.message}"), file=sys.stderr)
    for name, result in output.results.items():
        where = _location(output.plan.model(name).span)
        if result.dropped:
            print(f"{where}note: model '{name}': {result.dropped} rows dropped for missing values", file=sys.stderr)
        for warning in result.warnings:
            print(f"{where}warning: model '{name}': {warning}", file=sys.stderr)
    for name, sweep in output.sweeps.items():
        if sweep.skipped:
            where = _location(output.plan.model(name).span)
            codes = ", ".join(code for code, _ in sweep.skipped)
            print(f"{where}note: sweep '{name}': {len(sweep.skipped)} industries not estimated ({codes}); reasons in the table notes", file=sys.stderr)


def _check(args) -> int:
    from povdsl.check.specfile import load_plan

    status = EXIT_OK
    for path in args.specs:
        if not path.is_file():
            print(escape_controls(f"povdsl: no such file: {path}"), file=sys.stderr)
            status = max(status, EXIT_USAGE)
            continue
        try:
            plan = load_plan(path, allow_outside=tuple(args.allow_outside), max_fits=args.max_fits)
        except SpecError as exc:
            print(str(exc), file=sys.stderr)
            status = max(status, EXIT_PROBLEM) if status != EXIT_USAGE else status
            continue
        figures = f", {len(plan.figures)} figures" if plan.figures else ""
        print(escape_controls(f"{path}: ok ({len(plan.models)} models, {len(plan.tables)} tables{figures})"))
        for model in plan.models:
            if model.is_sweep:
                print(escape_controls(f"  sweep {model.name}: {fit_count_text(model)}"))
    return status


_COMMANDS = {"run": _run, "check": _check}


if __name__ == "__main__":
    sys.exit(main())
