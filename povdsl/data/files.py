"""Reading data files: format by extension, compression only when asked, inflation bounded.

A data file is untrusted (docs/security.md). pandas guesses compression from
a file's extension, so a 2 KB `.gz` could expand to gigabytes; here nothing
is decompressed unless the spec says `compression="gzip"` (or bz2, xz, zip),
and then the stream is counted before it is kept, against
MAX_INFLATED_BYTES. The formats that compress inside (an .xlsx is a zip,
Parquet pages are compressed) are bounded by the sizes their own indexes
declare, which their readers do not exceed. Header reading uses only the
standard library for CSV so that `povdsl check` never imports pandas.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import os
import stat
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

if TYPE_CHECKING:
    import pandas as pd

MAX_INFLATED_BYTES = 256 * 2**20  # decompressed bytes of one data file (compressed CSV, xlsx members, Parquet pages)
MAX_CELLS = 50_000_000  # rows x columns a Parquet or Excel file may declare
MAX_HEADER_BYTES = 1 * 2**20  # the first line of a CSV file
MAX_ZIP_MEMBERS = 10_000

FORMATS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet", ".dta": "stata", ".xlsx": "excel"}
COMPRESSIONS = {"gzip": ".gz", "bz2": ".bz2", "xz": ".xz", "zip": ".zip"}
_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz", b"PK\x03\x04": "zip"}
_ARCHIVE_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip", ".tar": None, ".tgz": None, ".zst": None, ".7z": None}
_CHUNK = 1 << 20


class FileProblem(Exception):
    """A data file that cannot be read as the spec asks; message and hint are shown at the declaration."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How a data declaration asks its file to be read (`na=`, `compression=`)."""

    na: tuple[str, ...] = ()
    compression: str | None = None


PLAIN = ReadOptions()  # no na= markers, no compression


def file_format(path: str | Path, compression: str | None = None) -> str:
    """The reader for a path, from its extension (after the compression suffix when one is asked)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if compression is not None:
        if compression != "zip" and suffix == COMPRESSIONS[compression]:
            suffix = Path(p.stem).suffix.lower()
        elif compression == "zip" and suffix == ".zip":
            suffix = Path(p.stem).suffix.lower() or ".csv"
        if FORMATS.get(suffix, "csv") != "csv":
            raise FileProblem(f"compression= applies to CSV files; {p.name} is {FORMATS[suffix]}", "remove compression=")
        return "csv"
    if suffix in _ARCHIVE_SUFFIXES:
        kind = _ARCHIVE_SUFFIXES[suffix]
        if kind is None:
            raise FileProblem(f"{p.name} is an archive povdsl does not open", "extract the data file and name it in the spec")
        raise FileProblem(f"{p.name} is compressed; povdsl decompresses only when the spec asks", f'add compression="{kind}" to the data declaration')
    return FORMATS.get(suffix, "csv")


def check_regular(path: str | Path) -> None:
    """Only regular files: a FIFO or device in the project would block or never end."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileProblem(f"data file not found: {path}") from None
    except OSError as exc:
        raise FileProblem(f"cannot read {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise FileProblem(f"{path} is not a regular file", "name a data file")


def _open_stream(path: str | Path, compression: str | None) -> IO[bytes]:
    if compression is None:
        return open(path, "rb")
    if compression == "zip":
        archive = zipfile.ZipFile(path)
        members = [i for i in archive.infolist() if not i.is_dir()]
        if len(members) != 1:
            archive.close()
            raise FileProblem(f"{Path(path).name} holds {len(members)} files; compression=\"zip\" reads a zip with exactly one", "extract the data file")
        return archive.open(members[0])
    if compression == "gzip":
        return cast(IO[bytes], gzip.GzipFile(path, "rb"))
    if compression == "bz2":
        return cast(IO[bytes], bz2.BZ2File(path, "rb"))
    return cast(IO[bytes], lzma.LZMAFile(path, "rb"))


def _chunks(path: str | Path, compression: str | None) -> Iterator[bytes]:
    """The decompressed bytes in chunks; a corrupt stream is a FileProblem, not a library error."""
    try:
        with _open_stream(path, compression) as fh:
            while chunk := fh.read(_CHUNK):
                yield chunk
    except FileProblem:
        raise
    except (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile, ValueError) as exc:
        raise FileProblem(f"cannot decompress {Path(path).name} as {compression}: {exc}", "check the compression= option") from None


def inflated(path: str | Path, compression: str) -> bytes:
    """The decompressed content, counted first without keeping it, so a bomb costs neither memory nor much time."""
    total = 0
    for chunk in _chunks(path, compression):
        total += len(chunk)
        if total > MAX_INFLATED_BYTES:
            raise FileProblem(
                f"{Path(path).name} expands to more than {MAX_INFLATED_BYTES:,} bytes (the limit on decompressed data)",
                "decompress it yourself if the data really are that large",
            )
    return b"".join(_chunks(path, compression))


def sniff_compressed(path: str | Path) -> str | None:
    with open(path, "rb") as fh:
        start = fh.read(8)
    return next((kind for magic, kind in _MAGIC.items() if start.startswith(magic)), None)


def _first_line(path: str | Path, compression: str | None) -> bytes:
    if compression is None:
        kind = sniff_compressed(path)
        if kind is not None:
            raise FileProblem(f"{Path(path).name} is {kind}-compressed; povdsl decompresses only when the spec asks", f'add compression="{kind}" to the data declaration')
        with open(path, "rb") as fh:
            line = fh.readline(MAX_HEADER_BYTES + 1)
    else:
        line = b""
        for chunk in _chunks(path, compression):
            line += chunk
            if b"\n" in line or len(line) > MAX_HEADER_BYTES:
                break
        line = line.split(b"\n", 1)[0]
    if len(line) > MAX_HEADER_BYTES and b"\n" not in line:
        raise FileProblem(f"the header line of {Path(path).name} is longer than {MAX_HEADER_BYTES:,} bytes", "is this a data file?")
    return line


def read_header(path: str | Path, options: ReadOptions = PLAIN) -> tuple[str, ...]:
    """Column names of a data file, without reading its rows."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # readers' numeric noise on a corrupt file; its error is what we report
        return _read_header(path, options)


def _read_header(path: str | Path, options: ReadOptions) -> tuple[str, ...]:
    check_regular(path)
    kind = file_format(path, options.compression)
    try:
        if kind == "csv":
            return _csv_header(path, options.compression)
        if kind == "parquet":
            return tuple(_parquet_file(path).schema_arrow.names)
        if kind == "excel":
            return _excel_header(path)
        return _stata_header(path)
    except FileProblem:
        raise
    except ImportError as exc:
        raise _missing_reader(kind, exc) from None
    except Exception as exc:  # a hostile file may make a third-party reader raise anything
        raise FileProblem(f"cannot read {Path(path).name} as {kind}: {_short(exc)}") from None


def _csv_header(path: str | Path, compression: str | None) -> tuple[str, ...]:
    raw = _first_line(path, compression)
    if not raw.strip(b"\r\n\t \xef\xbb\xbf"):
        raise FileProblem(f"{Path(path).name} is empty or its first line is blank", "the first line names the columns")
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark is an encoding detail, not part of the first name
    except UnicodeDecodeError:
        raise FileProblem(f"{Path(path).name} is not UTF-8 text", "save the file as UTF-8 CSV") from None
    try:
        row = next(csv.reader([text.rstrip("\r\n")]), [])
    except csv.Error as exc:
        raise FileProblem(f"cannot read the header line of {Path(path).name}: {exc}", "column names are short plain names") from None
    _refuse_other_separator(path, row)
    return tuple(row)


def _refuse_other_separator(path: str | Path, row: list[str]) -> None:
    """A header that is one name holding `;` or a tab is a file in another dialect (European Excel, TSV): one error, not one per column."""
    if len(row) != 1:
        return
    separator = next((sep for sep in (";", "\t", "|") if sep in row[0]), None)
    if separator is None:
        return
    shown = row[0] if len(row[0]) <= 60 else row[0][:57] + "..."
    name = {";": "semicolon", "\t": "tab", "|": "bar"}[separator]
    raise FileProblem(
        f"{Path(path).name} is not comma-separated: its header is one column, {shown!r}, and looks {name}-separated",
        f"povdsl reads comma-separated files; save it as CSV with commas (pandas: pd.read_csv(path, sep={separator!r}).to_csv(path, index=False))",
    )


def _parquet_file(path: str | Path):
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    meta = pf.metadata
    cells = meta.num_rows * max(1, meta.num_columns)
    if cells > MAX_CELLS:
        raise FileProblem(f"{Path(path).name} declares {meta.num_rows:,} rows x {meta.num_columns} columns, over the limit of {MAX_CELLS:,} cells")
    size = sum(meta.row_group(i).column(j).total_uncompressed_size for i in range(meta.num_row_groups) for j in range(meta.num_columns))
    if size > MAX_INFLATED_BYTES:
        raise FileProblem(f"{Path(path).name} expands to {size:,} bytes, over the limit of {MAX_INFLATED_BYTES:,} on decompressed data")
    return pf


def _check_xlsx(path: str | Path) -> None:
    """An .xlsx is a zip: its members' declared sizes bound what openpyxl inflates (zipfile stops there)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile:
        raise FileProblem(f"{Path(path).name} is not an Excel .xlsx file (not a zip)") from None
    if len(infos) > MAX_ZIP_MEMBERS or sum(i.file_size for i in infos) > MAX_INFLATED_BYTES:
        raise FileProblem(f"{Path(path).name} expands to more than {MAX_INFLATED_BYTES:,} bytes (the limit on decompressed data)")


def _excel_header(path: str | Path) -> tuple[str, ...]:
    import openpyxl

    _check_xlsx(path)
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        if (sheet.max_row or 0) * (sheet.max_column or 0) > MAX_CELLS:
            raise FileProblem(f"{Path(path).name} declares more than {MAX_CELLS:,} cells")
        first = next(sheet.iter_rows(max_row=1, values_only=True), ())
    finally:
        book.close()
    if not first:
        raise FileProblem(f"{Path(path).name} is empty", "the first row names the columns")
    return tuple("" if v is None else str(v) for v in first)


def _stata_header(path: str | Path) -> tuple[str, ...]:
    import pandas as pd

    with pd.read_stata(path, iterator=True) as reader:
        return tuple(reader.read(1).columns)


def read_frame(path: str | Path, options: ReadOptions = PLAIN) -> pd.DataFrame:
    """The whole data file as a DataFrame; only empty cells (and the spec's `na=` values) are missing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _read_frame(path, options)


def _read_frame(path: str | Path, options: ReadOptions) -> pd.DataFrame:
    import pandas as pd

    check_regular(path)
    kind = file_format(path, options.compression)
    try:
        if kind == "csv":
            _first_line(path, options.compression)  # refuses an unannounced compressed file and a giant header
            source: str | Path | io.BytesIO = io.BytesIO(inflated(path, options.compression)) if options.compression else path
            frame = pd.read_csv(source, encoding="utf-8-sig", compression=None, keep_default_na=False, na_values=[""])
        elif kind == "parquet":
            frame = _parquet_file(path).read().to_pandas(ignore_metadata=True)
        elif kind == "excel":
            _excel_header(path)
            frame = pd.read_excel(path, engine="openpyxl", keep_default_na=False, na_values=[""])
        else:
            frame = _stata_missing_strings(pd.read_stata(path, convert_categoricals=False))
    except FileProblem:
        raise
    except ImportError as exc:
        raise _missing_reader(kind, exc) from None
    except pd.errors.EmptyDataError:
        raise FileProblem(f"{Path(path).name} is empty", "the first line names the columns") from None
    except Exception as exc:  # pandas and its engines raise many kinds on malformed files
        raise FileProblem(f"cannot read {Path(path).name} as {kind}: {_short(exc)}") from None
    if len(frame.columns) == 0:
        raise FileProblem(f"{Path(path).name} has no columns", "the first line names the columns")
    return frame


def _stata_missing_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Stata stores a missing string as "", which pandas reads as text: an empty cell, missing as in a CSV."""
    import pandas as pd

    for column in frame.columns:
        series = frame[column]
        if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
            empty = (series == "").to_numpy(dtype=bool, na_value=False)
            if empty.any():
                frame[column] = series.mask(empty)
    return frame


def _missing_reader(kind: str, exc: ImportError) -> FileProblem:
    return FileProblem(f"reading {kind} files needs the package {exc.name or 'that reads them'}", "pip install 'povdsl[formats]'")


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]
