"""What a column holds: missing-value markers, stray text in numbers, text used as a factor.

Bad data is never silent (docs/language.md, "Data files"): a numeric column
with a few text cells (".", "NA", "-", as Stata and R export missing values)
would otherwise become a factor with one dummy per distinct value. Only
empty cells are missing unless the spec says `na=`; anything else that is
not a number is reported with the column, the values and some rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

SHOWN = 5  # values and rows named in a message


def row_list(rows: tuple[int, ...], count: int) -> str:
    """'row 6', 'rows 3, 7, 10', or 'rows 1, 2, 3, 4, 5, ...' when `count` rows are meant but fewer shown."""
    shown = ", ".join(map(str, rows)) + (", ..." if count > len(rows) else "")
    return f"{'row' if count == 1 else 'rows'} {shown}"


def frame_rows(index: pd.Index, bad: np.ndarray) -> str:
    """The rows of a frame where `bad` holds, as `row_list` counts them: 1-based data rows of the file.

    A data set's frame keeps the file's 0-based row positions as its index
    (sorting and `where` keep them), so the first data row is row 1, as in
    every other data error. A frame keyed otherwise (a region table indexed
    by region and period) names its keys instead.
    """
    labels = index[bad][:SHOWN]
    count = int(np.count_nonzero(bad))
    if pd.api.types.is_integer_dtype(index) and not isinstance(index, pd.MultiIndex):
        return row_list(tuple(int(i) + 1 for i in labels), count)
    shown = ", ".join(map(str, labels)) + (", ..." if count > len(labels) else "")
    return f"{'row' if count == 1 else 'rows'} {shown}"


@dataclass(frozen=True, slots=True)
class StrayText:
    """A mostly numeric column with some text cells."""

    column: str
    values: tuple[str, ...]  # distinct offending texts, the first SHOWN
    rows: tuple[int, ...]  # 1-based data rows (the header is not counted), the first SHOWN
    count: int  # cells

    def message(self, data_set: str) -> str:
        values = ", ".join(repr(v) for v in self.values)
        return f"data set '{data_set}': column '{self.column}' is numeric except for {self.count} text cell{'s' if self.count != 1 else ''} ({values}) in {row_list(self.rows, self.count)}"

    def hint(self) -> str:
        spelled = ", ".join('"' + v.replace('"', '\\"') + '"' for v in self.values)
        return f"if these mean missing, say so: na={spelled}; otherwise fix the cells"


@dataclass(frozen=True, slots=True)
class TextLevels:
    """A text column that a formula turns into dummies: how many, and which level is left out."""

    column: str
    levels: int
    base: str


def is_text(series: pd.Series) -> bool:
    return bool(pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)) and not isinstance(series.dtype, pd.CategoricalDtype)


def apply_na(frame: pd.DataFrame, na: tuple[str, ...]) -> pd.DataFrame:
    """Cells whose text (stripped) is one of `na` become missing; a text column left all numbers becomes numeric."""
    if not na:
        return frame
    markers = set(na)
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if not is_text(series):
            continue
        stripped = series.astype("string").str.strip()
        cleaned = series.mask(stripped.isin(markers))
        numbers = pd.to_numeric(cleaned, errors="coerce")
        out[column] = numbers if (numbers.notna() == cleaned.notna()).all() else cleaned
    return out


def stray_text(series: pd.Series, column: str) -> StrayText | None:
    """A text column at least half of whose filled cells are numbers: the rest are reported, not turned into dummies."""
    if not is_text(series):
        return None
    filled = series.notna().to_numpy()
    bad = filled & pd.to_numeric(series, errors="coerce").isna().to_numpy()
    count = int(bad.sum())
    if count == 0 or count * 2 > int(filled.sum()):
        return None
    texts = series[bad].astype(str).tolist()
    positions = np.flatnonzero(bad)[:SHOWN] + 1
    return StrayText(column, tuple(dict.fromkeys(texts))[:SHOWN], tuple(int(p) for p in positions), count)


_COMMA_NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+(\.\d*)?|\d+,\d+)")


def comma_numbers(series: pd.Series) -> tuple[str, ...] | None:
    """A text column whose cells are all numbers, some written with a comma ("2,672", "1,25"): a few such cells, or None.

    A thousands separator or a decimal comma (a spreadsheet's export in many
    locales) makes pandas read the column as text, which would become one
    dummy per value, or stray text whose `na=` hint would be wrong.
    """
    if not is_text(series):
        return None
    filled = series.dropna().astype(str).str.strip()
    rest = filled[pd.to_numeric(filled, errors="coerce").isna().to_numpy()]
    if rest.empty or not rest.str.fullmatch(_COMMA_NUMBER).all():
        return None
    return tuple(dict.fromkeys(rest.tolist()))[:SHOWN]


def infinite_cells(series: pd.Series) -> tuple[int, tuple[int, ...]] | None:
    """How many cells of a numeric column are +-inf, and the first rows (1-based positions): None when all are finite or missing.

    A CSV cell "inf" or "-Infinity", or an overflowed export, reads as a
    float infinity; the backends then fail deep inside (an SVD that does not
    converge) or drop the row silently, so it is reported with its rows.
    """
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return None
    values = series.to_numpy(dtype=float, na_value=np.nan)
    bad = np.isinf(values)
    count = int(bad.sum())
    if count == 0:
        return None
    return count, tuple(int(p) + 1 for p in np.flatnonzero(bad)[:SHOWN])


def is_date(series: pd.Series) -> bool:
    """Dates and durations (a Stata .dta date, a parsed timestamp): never a regressor as nanoseconds since 1970."""
    return bool(pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series) or isinstance(series.dtype, pd.PeriodDtype))


def text_levels(series: pd.Series, column: str) -> TextLevels:
    """As formulaic codes it: levels sorted, the first is the base."""
    levels = sorted(series.dropna().astype(str).unique().tolist())
    return TextLevels(column, len(levels), levels[0] if levels else "")
