"""`povdsl diff`: what changed in the MEANING of a spec, for code review.

Design
------
The diff works on syntax trees: it needs no data, so it runs in a
pull-request check without the (often confidential) data.

1. Both sides are parsed and checked. The checker reads the header line of
   a data file when one is at hand. A spec it finds unsafe (`inputs.UNSAFE`:
   `x**1e15`, an unknown call, an expansion over the limits) is refused
   with its diagnostics (exit 2) and never expanded; other errors (absent
   data, unknown names) do not stop the comparison. Declarations are matched by (kind, name), where
   kind is data, weights, let, terms, model or table. Layout, comments and
   declaration order never reach the comparison: spans are excluded from
   node equality, comments are ignored and matching is by name.
2. Renames. A declaration removed and one of the same kind added whose
   bodies mean the same are a rename. "Body" excludes the name and the
   label/title (a renamed model usually gets a new label too; that is then
   reported as a label change on the renamed model rather than hiding the
   rename). The old side is then rewritten with the new names everywhere
   (references in formulas, W(), clusters(), table model lists), so a pure
   rename reports one change and nothing else. Data and weights
   declarations are not rewritten: their names are file columns, and a
   column may share its name with a renamed macro. A name declared twice
   is the checker's to report; the diff uses the first declaration.
3. Expressions are compared in a normal form: parentheses dropped (the tree
   already holds the grouping), numbers by value (0.10 == 0.1), call
   keywords sorted by name; then printed with `printer.expr_text`.
4. Right-hand sides are compared as SETS of terms after expanding `terms`
   macros, the way formulaic reads them: `a*b` is a + b + a:b, `a/b` is
   a + a:b, `(a+b)**2` all pairwise interactions, `-` removes terms, `0` and
   `-1` remove the intercept (shown as the term `1`). A term is a set of
   factors, so `a:b` equals `b:a`; its text sorts the factors.
5. Macro attribution. Each expanded term remembers the chain of macros it
   came through. A term added to (removed from) a model is "explained" when
   some macro on its chain itself added (removed) that term; it is then
   reported once, at the macro, with `models_reached` listing every model
   it reached. Otherwise it is reported at the model, with `via_macro`
   naming the outermost macro it came through (None: written directly).
   So models_reached of a macro change lists models whose term set really
   changed, not models that merely mention the macro.
6. Lets, weights and data sets report the models they reach by name
   dependency (outcome, terms, where, estimator, vcov, through other lets
   and macros), in either version. A panel(...) or key(...) data set
   supplies columns that a syntax tree cannot trace, so its changes reach
   every model.
7. Defaults are meaning: an absent `stat` equals `stat t`; an absent model
   label equals the model's name; `keep`/`drop` are sets, `order` and `fit`
   sequences; two-way cluster groups are a set.
8. `--results` (needs data) fits both versions and lists coefficients that
   moved beyond a relative tolerance or changed stars. Fits are cached by
   what determines their numbers (see povdsl/tools/diff/results.py), so a
   model unchanged in meaning is fitted once, not twice.

Change records are frozen (like sqlglot's edit records) and flat (like
hcl2's DiffEntry): declaration, name, kind, detail, old, new, via_macro,
models_reached. `CHANGE_KINDS` lists every kind. Text output groups them by
declaration; JSON output is documented in docs/review.md (schema_version 1).

Exit codes follow diff(1): 0 no semantic change, 1 changes, 2 trouble.
"""

from povdsl.tools.diff.changes import (
    CHANGE_KINDS,
    DECLARATION_KINDS,
    EXIT_CHANGED,
    EXIT_SAME,
    EXIT_TROUBLE,
    SCHEMA_VERSION,
    Change,
)
from povdsl.tools.diff.cli import main, register, run_diff
from povdsl.tools.diff.declarations import diff_specs
from povdsl.tools.diff.inputs import DiffTrouble
from povdsl.tools.diff.output import format_json, format_text
from povdsl.tools.diff.results import STAR_LEVELS, MovedEstimate, ResultsReport, compare_results, format_results

__all__ = [
    "CHANGE_KINDS",
    "DECLARATION_KINDS",
    "EXIT_CHANGED",
    "EXIT_SAME",
    "EXIT_TROUBLE",
    "SCHEMA_VERSION",
    "STAR_LEVELS",
    "Change",
    "DiffTrouble",
    "MovedEstimate",
    "ResultsReport",
    "compare_results",
    "diff_specs",
    "format_json",
    "format_results",
    "format_text",
    "main",
    "register",
    "run_diff",
]
