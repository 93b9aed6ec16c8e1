"""The table model: frozen dataclasses of plain-text cells, and the labels they use.

Rendering is split in two so that numbers are decided once and every output
format agrees on them: `povdsl.render.tables` turns Results into a `Table` of
plain-text cells (Unicode minus, stars kept apart), and `povdsl.render.templating`
only lays that table out.  Nothing here knows about LaTeX, HTML or Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from types import MappingProxyType

MINUS = "\N{MINUS SIGN}"  # U+2212; each renderer maps it to its own minus
EN_DASH = "\N{EN DASH}"
TIMES = "\N{MULTIPLICATION SIGN}"  # scientific notation: "3.21×10⁻¹⁷"
SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")  # an exponent's digits and sign
ASCII_EXPONENT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
SCIENTIFIC = re.compile(f"{TIMES}10([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)")  # the "×10⁻¹⁷" of a number in scientific notation


def ascii_number(text: str) -> str:
    """A number as printed ("−3.21×10⁻¹⁷", "[−0.12, 0.35]") with the ASCII signs a program reads ("-3.21e-17").

    Thousands separators are left to the caller: in an interval the comma separates the bounds.
    """
    return SCIENTIFIC.sub(lambda m: "e" + m.group(1).translate(ASCII_EXPONENT), text).replace(MINUS, "-")

DEFAULT_ESTIMATOR_LABELS = MappingProxyType(
    {
        "ols": "OLS",
        "logit": "Logit",
        "probit": "Probit",
        "fe": "FE",
        "re": "RE",
        "iv": "IV",
        "iv2sls": "IV-2SLS",
        "ivgmm": "IV-GMM",
        "sysgmm": "System GMM",
        "diffgmm": "Difference GMM",
        "sar": "SAR",
        "sem": "SEM",
    }
)

FIT_LABELS = MappingProxyType(
    {
        "r2": "R²",
        "r2_within": "Within R²",
        "pseudo_r2": "Pseudo R²",
        "loglik": "Log likelihood",
        "ngroups": "Groups",
        "j_stat": "Hansen J",
        "j_pvalue": "Hansen J p-value",
        "first_stage_f": "First-stage F",
        "ninstruments": "Instruments",
        "sargan": "Sargan test",
        "sargan_pvalue": "Sargan p-value",
        "hansen": "Hansen test",
        "hansen_pvalue": "Hansen p-value",
        "ar1": "AR(1) test",
        "ar1_pvalue": "AR(1) p-value",
        "ar2": "AR(2) test",
        "ar2_pvalue": "AR(2) p-value",
        "aic": "AIC",
        "moran": "Moran's I (residuals)",
        "moran_pvalue": "Moran's I p-value",
        "lm_lag": "LM lag",
        "lm_lag_pvalue": "LM lag p-value",
        "lm_error": "LM error",
        "lm_error_pvalue": "LM error p-value",
        "rlm_lag": "Robust LM lag",
        "rlm_lag_pvalue": "Robust LM lag p-value",
        "rlm_error": "Robust LM error",
        "rlm_error_pvalue": "Robust LM error p-value",
    }
)

# Counts print as integers whatever the decimals say.
INTEGER_STATS = frozenset({"ngroups", "ninstruments"})

STAT_NOTES = MappingProxyType(
    {
        "t": "t statistics",
        "se": "standard errors",
        "p": "p-values",
        "ci90": "90% confidence intervals",
        "ci95": "95% confidence intervals",
        "ci99": "99% confidence intervals",
    }
)
CI_LEVELS = MappingProxyType({"ci90": 0.90, "ci95": 0.95, "ci99": 0.99})


@dataclass(frozen=True)
class Decimals:
    """How many decimals each kind of number gets.

    Coefficients and standard errors get `coef` decimals, but a value below
    10**-coef gets as many as its first significant digit needs, up to
    `max_coef` — the paper prints 0.004 and −0.005 next to 0.66, not 0.00
    or −0.01.  t statistics get `tstat` decimals, p-values `pvalue`,
    fit statistics `fit` unless `fit_overrides` names them.
    """

    coef: int = 2
    max_coef: int = 4
    tstat: int = 2
    pvalue: int = 3
    fit: int = 3
    fit_overrides: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({"loglik": 2, "first_stage_f": 2})
    )
    significant: bool = False  # the counts above are significant figures, not decimals

    @classmethod
    def uniform(cls, digits: int, *, significant: bool = False) -> Decimals:
        """`digits 3` (every number with 3 decimals) or `digits 3 sig` (3 significant figures)."""
        return cls(digits, digits, digits, digits, digits, MappingProxyType({}), significant)

    def for_row(self, digits: int) -> Decimals:
        """`digits cluster = 4`: this row's coefficient and statistic with 4 (decimals or figures)."""
        return replace(self, coef=digits, max_coef=digits, tstat=digits, pvalue=digits)


@dataclass(frozen=True)
class WeightNote:
    """A weight matrix a table's models use, for the notes: its name and how it was built."""

    name: str  # as declared, e.g. "w"
    description: str  # the data stage's sentence, e.g. "inverse travel time, row-standardised"


@dataclass(frozen=True)
class InstrumentNote:
    """What an instrumental-variables model of the table instruments, for the notes."""

    model: str  # the model's label
    endogenous: tuple[str, ...]  # expanded terms, as printed
    instruments: tuple[str, ...]  # excluded instruments, as printed


@dataclass(frozen=True)
class TableContext:
    """What a table needs that a Result does not carry; supplied by the plan."""

    estimator_labels: Mapping[str, str] = field(default_factory=dict)  # registry name -> "Logit"
    dependent_labels: Mapping[str, str] = field(default_factory=dict)  # outcome text -> label
    poverty_lines: Mapping[str, float] = field(default_factory=dict)  # name -> value used
    poverty_line_unit: str = ""  # e.g. "yuan"; appended to each value in the note
    weight_matrices: tuple[WeightNote, ...] = ()  # the weight matrices the models use, by name
    instruments: tuple[InstrumentNote, ...] = ()  # one per instrumental-variables model, in table order
    variance: Mapping[str, str] = field(default_factory=dict)  # model name (sweep: outcome) -> description
    decimals: Decimals = field(default_factory=Decimals)
    stub_header: str = "Dependent variable"
    header_wrap: int = 18  # characters per header line per spanned column
    fixed_effects: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # model name -> absorbed effect columns

    def __post_init__(self) -> None:
        for name in ("estimator_labels", "dependent_labels", "poverty_lines", "variance", "fixed_effects"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))


@dataclass(frozen=True)
class SweepEntry:
    """One per-industry regression of a sweep (Tables 5 and 6)."""

    outcome: str  # outcome label or outcome text (looked up in dependent_labels)
    code: str  # industry code, e.g. "171" or "1711"
    industry: str  # industry name
    digits: int  # code depth: 3 or 4
    coef: float
    std_error: float
    tstat: float
    pvalue: float
    nobs: int


@dataclass(frozen=True)
class Cell:
    """One formatted cell; stars are kept apart so each format places them."""

    text: str = ""  # as printed, without stars: "−0.01", "(−2.61)", "Logit", "975"
    stars: str = ""  # "", "*", "**", "***"
    number: str = ""  # the bare number inside text, "" when the cell is not a number
    bracketed: bool = False  # text is "(" + number + ")", or "[" + number + "]" when `square`
    square: bool = False  # a second statistic (`stat se, p`): in square brackets

    @property
    def display(self) -> str:
        return self.text + self.stars

    @property
    def bound(self) -> bool:
        """A p-value printed as a bound ("<0.0001"): a number to siunitx, text to a spreadsheet."""
        return self.number.startswith("<")


@dataclass(frozen=True)
class HeaderGroup:
    """A header cell spanning `span` data columns, starting at data column `first` (1-based)."""

    text: str
    span: int
    first: int
    lines: tuple[str, ...] = ()  # text broken into lines for formats that cannot wrap

    @property
    def last(self) -> int:
        return self.first + self.span - 1


@dataclass(frozen=True)
class HeaderRow:
    label: str  # stub cell
    groups: tuple[HeaderGroup, ...]
    rule: bool = False  # draw a partial rule under each group (booktabs \cmidrule)


@dataclass(frozen=True)
class Row:
    label: str  # stub cell; "" under a coefficient for the statistic row
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Section:
    """Rows that belong together; renderers put a rule between sections.

    `title` (a panel's, e.g. "A. 2004") is printed as a row of its own over
    the section, spanning the table.
    """

    label: str
    rows: tuple[Row, ...]
    title: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    layout: str  # "models" or "sweep"
    column_kinds: tuple[str, ...]  # per data column: "number" or "text"
    header: tuple[HeaderRow, ...]
    sections: tuple[Section, ...]
    footer: tuple[Row, ...]  # fit statistics and Observations (empty in a table of panels: each panel has its own)
    notes: tuple[str, ...]
    fit_width: bool = False  # `fit width`: as wide as the text, the stub column wrapping
    fit_style: str = ""  # "small": a smaller font as well; "scale": LaTeX shrinks the table to the text width instead
    landscape: bool = False  # `landscape`: turned sideways

    @property
    def ncols(self) -> int:
        return len(self.column_kinds)


# Line and paragraph breaks and every other control character: a title or an
# industry name with a raw newline would end a Markdown row, split a LaTeX
# \caption over a paragraph, or start a new line in a file a shell reads.
# Surrogates and U+FFFE/U+FFFF too: XML has no place for them, and Word and
# Excel files are XML (lxml refused them with a traceback).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]+")


def _one_line(value: object) -> object:
    if isinstance(value, str):
        return _CONTROL.sub(" ", value)
    if isinstance(value, tuple):
        return tuple(_one_line(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _one_line(getattr(value, f.name)) for f in fields(value)}
        return replace(value, **changes)
    return value


def one_line(table: Table) -> Table:
    """The table with every control character in its text replaced by a space, for every format."""
    result = _one_line(table)
    assert isinstance(result, Table)
    return result
