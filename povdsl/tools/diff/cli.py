"""`povdsl diff` on the command line: register, run_diff, the text report and `python -m povdsl.tools.diff`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from povdsl.diagnostics import escape_controls
from povdsl.errors import PovdslError, SpecError
from povdsl.tools.diff.changes import EXIT_CHANGED, EXIT_SAME, EXIT_TROUBLE
from povdsl.tools.diff.declarations import diff_specs
from povdsl.tools.diff.git import _git_external, _git_pairs
from povdsl.tools.diff.inputs import DiffTrouble, _Pair, _parse, _read
from povdsl.tools.diff.output import _use_colour, format_json, format_text
from povdsl.tools.diff.results import ResultsReport, compare_results, format_results


def register(subparsers) -> argparse.ArgumentParser:
    """Add `povdsl diff` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "diff",
        help="say what changed in the meaning of a spec",
        description="Compare two versions of a spec by meaning. Exit 0: no semantic change, 1: changes, 2: trouble.",
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="OLD NEW; with --git, the paths to compare (default: every *.pov changed since REV)")
    p.add_argument("--git", metavar="REV", help="compare working-tree files against `git show REV:path`")
    p.add_argument(
        "--git-external",
        action="store_true",
        help="act as git's external diff driver: FILE is path old-file old-hex old-mode new-file new-hex new-mode",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--results", action="store_true", help="also fit both versions (needs the data) and report estimates that moved")
    p.add_argument("--cache", type=Path, default=None, metavar="DIR", help="fit cache for --results (default: .povdsl-cache beside the new spec, as povdsl run)")
    p.add_argument("--no-cache", action="store_true", help="--results fits everything again and stores nothing")
    p.add_argument("--rtol", type=float, default=1e-6, help="relative tolerance for --results (default: 1e-6)")
    p.set_defaults(func=run_diff)
    return p


def run_diff(args) -> int:
    try:
        if args.git_external:
            return _git_external(args.files)
        if args.git is not None:
            pairs = _git_pairs(args.git, args.files)
        elif len(args.files) == 2:
            old, new = args.files
            pairs = [_Pair(old, new, _read(old), _read(new), old, new)]
        else:
            raise DiffTrouble("diff takes OLD NEW, or --git REV [PATH...]")
        results = [(p, diff_specs(_parse(p.old_text, p.old_label, p.old_base), _parse(p.new_text, p.new_label, p.new_base))) for p in pairs]
        reports = [_results_for(p, changes, args) if args.results else None for p, changes in results]
    except SpecError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_TROUBLE
    except (DiffTrouble, PovdslError) as exc:
        print(escape_controls(f"povdsl diff: {exc}", keep_newlines=True), file=sys.stderr)
        return EXIT_TROUBLE
    if args.format == "json":
        sys.stdout.write(format_json([(p.old_label, p.new_label, changes) for p, changes in results], reports if args.results else None))
    else:
        sys.stdout.write(_text_report(results, reports, git_mode=args.git is not None, rtol=args.rtol))
    moved = any(r is not None and (r.moved or r.failed) for r in reports)
    return EXIT_CHANGED if moved or any(changes for _, changes in results) else EXIT_SAME


def _results_for(pair: _Pair, changes, args) -> ResultsReport:
    renames = {c.old: c.new for c in changes if c.declaration == "model" and c.kind == "renamed"}
    fit_cache = None
    if not args.no_cache:
        from povdsl.estimate.fit_cache import FitCache
        from povdsl.render.output import write_output

        fit_cache = FitCache(args.cache or Path(pair.new_base).parent / ".povdsl-cache", write_output)
    return compare_results(pair.old_text, pair.old_base, pair.new_text, pair.new_base, args.rtol, renames, fit_cache)


def _text_report(results, reports, *, git_mode: bool, rtol: float) -> str:
    colour = _use_colour(sys.stdout)
    parts = []
    for (pair, changes), report in zip(results, reports):
        body = format_text(changes, colour) if changes or not git_mode else ""
        if report is not None:
            body += escape_controls(format_results(report, rtol), keep_newlines=True)
        if git_mode and body:
            body = f"=== {escape_controls(pair.new_label)}\n" + body
        parts.append(body)
    return "".join(parts) or "no semantic change\n"


def main(argv: list[str] | None = None) -> int:
    """`python -m povdsl.tools.diff ...`: the diff command without the rest of the CLI."""
    parser = argparse.ArgumentParser(prog="povdsl")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["diff", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)
