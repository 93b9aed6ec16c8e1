"""Numbers as a reader of a journal table expects them: decimals, minus signs, stars, counts."""

from __future__ import annotations

import math
from collections.abc import Sequence

from povdsl.render.table_model import INTEGER_STATS, MINUS, SUPERSCRIPT, TIMES, Cell, Decimals

# A number printed with fixed decimals gets at most this many.  Under `digits N
# sig` a number whose N figures would need more (a coefficient below about
# 1e-13) prints in scientific notation instead, 3.21×10⁻¹⁷, never as a row of
# zeros.  Decision 82.
MAX_DECIMALS = 15


def format_number(value: float, decimals: int) -> str:
    """Fixed decimals, a real minus sign, and no negative zero."""
    if value is None or not math.isfinite(value):
        return ""
    text = f"{value:.{decimals}f}"
    if text.startswith("-"):
        text = text[1:] if float(text) == 0 else MINUS + text[1:]
    return text


def significant_decimals(value: float, figures: int) -> int:
    """Decimals that show `figures` significant figures: 0.0994 -> 4 for 3 figures, 123.4 -> 0."""
    if value is None or not math.isfinite(value) or value == 0:
        return max(figures - 1, 0)
    return min(max(figures - 1 - math.floor(math.log10(abs(value))), 0), MAX_DECIMALS)


def format_figures(value: float, figures: int) -> str:
    """`figures` significant figures: fixed decimals while they need at most MAX_DECIMALS (0.0994, 12.3),
    else scientific notation with a real minus and a superscript exponent (−3.21×10⁻¹⁷), as a reader writes it.

    Each format prints "×10⁻¹⁷" its own way (LaTeX as math, siunitx, CSV, JSON
    and Excel as 3.21e-17: `table_model.ascii_number`).
    """
    if value is None or not math.isfinite(value):
        return ""
    if value == 0 or figures - 1 - math.floor(math.log10(abs(value))) <= MAX_DECIMALS:
        return format_number(value, significant_decimals(value, figures))
    mantissa, _, exponent = f"{value:.{max(figures - 1, 0)}e}".partition("e")
    return mantissa.replace("-", MINUS) + TIMES + "10" + str(int(exponent)).translate(SUPERSCRIPT)


def format_places(value: float, count: int, decimals: Decimals) -> str:
    """`count` decimals, or `count` significant figures when the table asks for figures."""
    return format_figures(value, count) if decimals.significant else format_number(value, count)


def coef_decimals(value: float, decimals: Decimals) -> int:
    """`coef` decimals, or more so that a small value's first significant digit shows (figures: `format_figures`)."""
    if decimals.significant:
        return significant_decimals(value, decimals.coef)
    if value is None or not math.isfinite(value) or value == 0:
        return decimals.coef
    first_significant = -math.floor(math.log10(abs(value)))  # 0.004 -> 3, 0.66 -> 1
    return max(decimals.coef, min(first_significant, decimals.max_coef))


def format_coef(value: float, decimals: Decimals) -> str:
    if decimals.significant:
        return format_figures(value, decimals.coef)
    return format_number(value, coef_decimals(value, decimals))


def format_count(value: float) -> str:
    """Thousands separated with a comma, as the paper prints 10,234."""
    if value is None or not math.isfinite(value):
        return ""
    return f"{round(value):,}".replace("-", MINUS)


def format_amount(value: float) -> str:
    """A money amount: thousands separated, cents only when there are any."""
    if float(value).is_integer():
        return format_count(value)
    return f"{value:,.2f}".replace("-", MINUS)


def stars_for(pvalue: float, levels: Sequence[float]) -> str:
    """One star per level the p-value is strictly below (p < level, as Stata does).

    p = 0.05 exactly earns no 5% star: a test at level α rejects when p < α.
    """
    if pvalue is None or not math.isfinite(pvalue):
        return ""
    return "*" * sum(1 for level in levels if pvalue < level)


def format_level(level: float) -> str:
    """0.1 -> "0.10", 0.05 -> "0.05", 0.001 -> "0.001": as a reader writes levels."""
    text = f"{level:.6f}".rstrip("0")
    return text + "0" * max(0, 2 - len(text.split(".")[1]))


# Under `digits N sig` a p-value below this prints as "<0.0001": its significant
# figures would say nothing a reader uses (and from about 1e-15 they needed more
# decimals than any table can hold).  Fixed decimals keep printing "0.000", as
# Stata's esttab does.  Decision 71.
PVALUE_FLOOR = 0.0001


def format_pvalue(pvalue: float, decimals: Decimals) -> str:
    """A p-value with the table's decimals or figures; under figures, "<0.0001" below the floor (never 0.000000000000000)."""
    if decimals.significant and pvalue is not None and math.isfinite(pvalue) and pvalue < PVALUE_FLOOR:
        return "<" + format_level(PVALUE_FLOOR)
    return format_places(pvalue, decimals.pvalue, decimals)


def statistic_cell(kind: str, coef: float, std_error: float, tstat: float, pvalue: float, decimals: Decimals, *, square: bool = False) -> Cell:
    """The statistic printed in parentheses under a coefficient (in square brackets when it is the second one)."""
    if kind == "se":
        number = format_coef(std_error, decimals)
    elif kind == "p":
        number = format_pvalue(pvalue, decimals)
    else:
        number = format_places(tstat, decimals.tstat, decimals)
    if not number:
        return Cell()
    return Cell(text=f"[{number}]" if square else f"({number})", number=number, bracketed=True, square=square)


def interval_cell(low: float, high: float, decimals: Decimals) -> Cell:
    """A confidence interval, "[−0.12, 0.35]", each bound with a coefficient's decimals; not one number."""
    lower, upper = format_coef(low, decimals), format_coef(high, decimals)
    if not lower or not upper:
        return Cell()
    return Cell(text=f"[{lower}, {upper}]")


def coef_cell(coef: float, pvalue: float, levels: Sequence[float], decimals: Decimals) -> Cell:
    number = format_coef(coef, decimals)
    if not number:
        return Cell()
    return Cell(text=number, stars=stars_for(pvalue, levels), number=number)


def fit_cell(key: str, value: float | None, decimals: Decimals) -> Cell:
    if value is None or not math.isfinite(value):
        return Cell()
    if key in INTEGER_STATS:
        number = format_count(value)
    else:
        number = format_places(value, decimals.fit_overrides.get(key, decimals.fit), decimals)
    return Cell(text=number, number=number)
