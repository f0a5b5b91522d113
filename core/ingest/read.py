"""Reading tables: CSV (encodings, delimiters) and XLSX files, or DataFrames, as chunks of text rows.

Rows keep their number as a spreadsheet shows it (the header is row 1, so the first data row is
row 2); a row that cannot be read as a table row is passed on as broken, to be rejected.
"""

import codecs
import csv
import io
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import ImportRejected

# Source rows read, checked and sorted by key together (then written in parts of importer.WRITE_ROWS): at the
# large scale a chunk spanning several days of a tasker puts those days on one index page, written once
# (a 200k-row, 8-day activity file: 5.1 s → 1.1 s of commits, 3.4 s → 2.2 s of inserts).
CHUNK_ROWS = 200_000

@dataclass
class Chunk:
    """Up to CHUNK_ROWS source rows: text (or raw spreadsheet) values, indexed by row number."""

    frame: pd.DataFrame
    # rows that could not be read as a table row: (row, column, value, reason)
    broken: list[tuple[int, str, str, str]] = field(default_factory=list)
    position: float = 0.0  # share of the source read so far, for progress


@dataclass
class TableReader:
    """An opened table: its header and an iterator of chunks."""

    name: str
    columns: list[str]
    chunks: Iterator[Chunk]
    kind: str = "csv"
    delimiter: str | None = None
    encoding: str | None = None
    warnings: list[str] = field(default_factory=list)
    closer: Callable[[], None] | None = None

    def close(self) -> None:
        """Release the file (a caller's own file object is left open)."""
        if self.closer is not None:
            self.closer()
            self.closer = None


def clean_headers(raw: Iterable[Any]) -> list[str]:
    """Header cells as column names: stripped, empty ones named column_N, duplicates Name, Name_2."""
    names: list[str] = []
    seen: set[str] = set()
    for i, cell in enumerate(raw, start=1):
        name = "" if cell is None or (isinstance(cell, float) and math.isnan(cell)) else str(cell).strip()
        name = name.replace("\n", " ") or f"column_{i}"
        candidate, n = name, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate.lower())
        names.append(candidate)
    return names


def is_blank(value: Any) -> bool:
    """Whether a cell holds nothing: None, NaN or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


def frame_from_rows(header: list[str], rows: Iterable[tuple[int, list[Any]]], *, pad_header: bool = False) -> pd.DataFrame:
    """A table from a header and (row number, values) pairs: blank rows dropped, short rows padded.

    With `pad_header` a row longer than the header widens it (new columns named column_N);
    otherwise values beyond the header must be blank. Used for Sheets, where all rows are at hand.
    """
    rows = [(n, list(v)) for n, v in rows if not all(is_blank(x) for x in v)]
    width = len(header)
    if pad_header and rows:
        width = max(width, max(len(v) for _, v in rows))
    names = clean_headers(list(header) + [None] * (width - len(header)))
    data = [v[:width] + [None] * (width - len(v)) for _, v in rows]
    frame = pd.DataFrame(data, columns=names, dtype=object)
    frame.index = pd.Index([n for n, _ in rows], name="row", dtype="int64")
    return frame


def _detect_kind(name: str, head: bytes) -> str:
    suffix = Path(name).suffix.lower()
    if head.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRejected(f"{name} is an old Excel .xls file: save it as .xlsx or CSV UTF-8 and import that.")
    return "csv"


def _open_binary(source: Any, filename: str | None) -> tuple[Any, str, int | None, bool]:
    """(binary stream, display name, size in bytes or None, whether we opened it)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise ImportRejected(f"No such file: {path}")
        return open(path, "rb"), filename or path.name, path.stat().st_size, True
    if isinstance(source, (bytes, bytearray)):
        return io.BytesIO(source), filename or "upload", len(source), True
    if hasattr(source, "read"):
        name = filename or getattr(source, "name", None) or "upload"
        size = getattr(source, "size", None)
        if not (hasattr(source, "seekable") and source.seekable()):
            source = io.BytesIO(source.read())
            size = len(source.getbuffer())
        source.seek(0)
        return source, str(name), size, False
    raise ImportRejected(f"Cannot read a table from {type(source).__name__}")


def _sniff_encoding(head: bytes, encoding: str | None) -> str:
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    if encoding:
        return encoding
    return "utf-8-sig"  # plain UTF-8, and a byte-order mark is dropped if there is one


DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(sample: str) -> str:
    """The delimiter among , ; tab | that splits the sample's lines into the same number of fields."""
    if "\n" in sample.rstrip("\r\n"):
        sample = sample[: sample.rstrip("\r\n").rfind("\n") + 1] or sample  # drop a possibly cut last line
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            records = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if any(x.strip() for x in r)]
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        consistent = sum(len(r) == width for r in records[1:])
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _encoding_message(name: str, exc: UnicodeDecodeError, offset: int = 0) -> str:
    byte = exc.object[exc.start:exc.start + 1].hex() if exc.object else "?"
    return (f"{name} is not UTF-8 text (byte 0x{byte} near byte {offset + exc.start:,} cannot be read). "
            "Save it as 'CSV UTF-8' in your spreadsheet program, or give its encoding (e.g. --encoding cp1252).")


# Columns read beyond the widest row of the sample, so that a longer row is seen (and rejected)
# instead of stopping the parser.
EXTRA_FIELDS = 8


def _csv_reader(binary, name: str, size: int | None, encoding: str | None, delimiter: str | None,
                chunk_rows: int, owned: bool) -> TableReader:
    enc, sep, header, fields = _csv_layout(binary, name, encoding, delimiter)
    binary.seek(0)
    # The C parser is ~5x faster than the csv module here; every value stays text (pyarrow strings).
    records = pd.read_csv(binary, sep=sep, header=None, names=list(range(fields)), index_col=False, dtype=str,
                          keep_default_na=False, na_filter=False, skip_blank_lines=False, encoding=enc,
                          encoding_errors="strict", chunksize=chunk_rows, engine="c", quoting=csv.QUOTE_MINIMAL)

    def close() -> None:
        records.close()
        if owned:
            binary.close()

    chunks = _csv_chunks(records, binary, size, name, header, sep)
    return TableReader(name, header, chunks, "csv", sep, enc, closer=close)


def _csv_layout(binary, name: str, encoding: str | None, delimiter: str | None) -> tuple[str, str, list[str], int]:
    """From the first 64 KiB: the encoding, the delimiter, the header and how many fields to read a row as."""
    head = binary.read(65_536)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ImportRejected(f"{name} is empty: there is no header row and no data.")
    enc = _sniff_encoding(head, encoding)
    try:
        sample = codecs.getincrementaldecoder(enc)().decode(head, final=len(head) < 65_536)
    except UnicodeDecodeError as exc:
        raise ImportRejected(_encoding_message(name, exc)) from exc
    except LookupError as exc:
        raise ImportRejected(f"Unknown text encoding {encoding!r}.") from exc
    sep = delimiter or sniff_delimiter(sample)
    try:
        sampled = [r for r in csv.reader(io.StringIO(sample), delimiter=sep)]
    except csv.Error as exc:
        raise ImportRejected(f"{name} cannot be read as CSV ({exc}).") from exc
    header_cells = next((r for r in sampled if any(x.strip() for x in r)), None)
    if header_cells is None:
        raise ImportRejected(f"{name} is empty: there is no header row and no data.")
    while header_cells and not header_cells[-1].strip():
        header_cells.pop()
    return enc, sep, clean_headers(header_cells), max(len(r) for r in sampled) + EXTRA_FIELDS


def _csv_chunks(records, binary, size: int | None, name: str, header: list[str], sep: str) -> Iterator[Chunk]:
    """The parsed records as chunks: leading blank rows and the header skipped, rows wider than the header broken."""
    width = len(header)
    seen_header = False
    try:
        for raw in records:
            numbers = raw.index.to_numpy() + 1  # record 0 is the header row, row 1
            nonblank = _nonblank(raw, raw.columns[:width])
            extra = _nonblank(raw, raw.columns[width:])
            if not seen_header:
                # skip leading blank rows and the header itself
                first = int(np.argmax(nonblank | extra)) if (nonblank | extra).any() else len(raw)
                nonblank[: first + 1] = False
                extra[: first + 1] = False
                seen_header = first < len(raw)
            broken = _wide_rows(raw, extra, numbers, width)
            keep = nonblank & ~extra
            frame = raw.loc[keep, list(raw.columns[:width])]
            frame.columns = header
            frame.index = pd.Index(numbers[keep], name="row", dtype="int64")
            yield Chunk(frame, broken, _position(binary, size))
    except UnicodeDecodeError as exc:
        raise ImportRejected(_encoding_message(name, exc)) from exc
    except pd.errors.ParserError as exc:
        found = re.search(r"line (\d+), saw (\d+)", str(exc))
        where = f"row {found.group(1)} has {found.group(2)} values, far more than the {width} columns of the " \
                "header" if found else str(exc)
        raise ImportRejected(f"{name} cannot be read as CSV: {where}. Fix that row (a text with an unquoted "
                             f"'{sep}' perhaps) and import again.") from exc


def _wide_rows(raw: pd.DataFrame, extra: np.ndarray, numbers: np.ndarray,
               width: int) -> list[tuple[int, str, str, str]]:
    """The rows holding values beyond the header's columns, as broken rows."""
    broken = []
    for i in np.flatnonzero(extra):
        values = raw.iloc[i, width:]
        position = next(j for j, v in enumerate(values) if isinstance(v, str) and v.strip())
        count = width + max(j for j, v in enumerate(values) if isinstance(v, str) and v.strip()) + 1
        broken.append((int(numbers[i]), f"(column {width + 1 + position})", str(values.iloc[position]),
                       f"row has {count} values but the header has {width} columns"))
    return broken


def _nonblank(raw: pd.DataFrame, columns) -> np.ndarray:
    """Per row, whether any of `columns` holds more than blanks (a column is read only for rows not yet known)."""
    found = np.zeros(len(raw), dtype=bool)
    for column in columns:
        todo = ~found
        if not todo.any():
            break
        values = raw[column] if todo.all() else raw[column][todo]
        found[todo] = values.str.strip().ne("").fillna(False).to_numpy(dtype=bool)
    return found


def _position(binary, size: int | None) -> float:
    try:
        return min(binary.tell() / size, 1.0) if size else 0.0
    except (OSError, ValueError):
        return 0.0


# How many filled rows at the top of a worksheet may sit above its header (a title, a note, a blank line).
HEADER_SEARCH_ROWS = 10

HeaderScore = Callable[[list[str]], int]


def _xlsx_reader(binary, name: str, sheet: str | None, chunk_rows: int, owned: bool,
                 header_score: HeaderScore | None = None) -> TableReader:
    # openpyxl is only needed for XLSX files and takes ~70 ms to import, so it is loaded when one is read.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(binary, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ImportRejected(f"{name} cannot be opened as an Excel workbook ({exc}).") from exc
    if sheet is not None and sheet not in book.sheetnames:
        raise ImportRejected(f"{name} has no worksheet {sheet!r}; it has: {', '.join(book.sheetnames)}.")
    ws = book[sheet] if sheet is not None else book.worksheets[0]
    ws.reset_dimensions()  # some writers record a wrong sheet size; read to the real end
    cells = ws.iter_rows(values_only=True)
    row_number, header_cells, rows_after = _header_row(cells, header_score)
    if header_cells is None:
        book.close()
        raise ImportRejected(f"{name} is empty: the worksheet {ws.title!r} has no header row and no data.")
    while header_cells and is_blank(header_cells[-1]):
        header_cells.pop()
    header = clean_headers(header_cells)
    warnings = []
    if row_number > 1:
        warnings.append(f"Read the column headers from row {row_number} of worksheet {ws.title!r}: the rows above "
                        "it do not name the columns (a title or a note), so they were skipped.")

    def close() -> None:
        book.close()
        if owned:
            binary.close()

    chunks = _xlsx_chunks(rows_after, header, ws.max_row or 0, chunk_rows)
    return TableReader(name, header, chunks, "xlsx", warnings=warnings, closer=close)


def _header_row(cells: Iterator[tuple], score: HeaderScore | None) -> tuple[int, list[Any] | None,
                                                                          Iterator[tuple[int, tuple]]]:
    """The header's row number and values, and the numbered rows after it: among the first filled rows, the
    first that names the most of the entity's columns (the first filled row when none names any, or unscored)."""
    numbered = enumerate(cells, start=1)
    top: list[tuple[int, tuple]] = []
    for number, values in numbered:
        if not all(is_blank(v) for v in values):
            top.append((number, values))
            if score is None or len(top) >= HEADER_SEARCH_ROWS:
                break
    if not top:
        return 0, None, iter(())
    best = 0
    if score is not None:
        scores = [score(clean_headers(v)) for _, v in top]
        best = scores.index(max(scores))
    number, header = top[best]
    return number, list(header), itertools.chain(top[best + 1:], numbered)


def _xlsx_chunks(rows_after: Iterator[tuple[int, tuple]], header: list[str], total: int,
                 chunk_rows: int) -> Iterator[Chunk]:
    """The worksheet's numbered rows after the header as chunks; a value in a column without a header breaks
    its row."""
    width = len(header)
    rows: list[tuple[int, list[Any]]] = []
    broken: list[tuple[int, str, str, str]] = []
    row_number = 0
    for row_number, values in rows_after:
        values = list(values)
        if all(is_blank(v) for v in values):
            continue
        extra = [v for v in values[width:] if not is_blank(v)]
        if extra:
            broken.append((row_number, f"(column {width + 1})", str(extra[0]), "value in a column that has no header"))
            continue
        rows.append((row_number, values[:width] + [None] * (width - len(values))))
        if len(rows) >= chunk_rows:
            yield Chunk(_object_frame(rows, header), broken, row_number / total if total else 0.0)
            rows, broken = [], []
    if rows or broken:
        yield Chunk(_object_frame(rows, header), broken, 1.0)


def _object_frame(rows: list[tuple[int, list[Any]]], header: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame([v for _, v in rows], columns=header, dtype=object)
    frame.index = pd.Index([n for n, _ in rows], name="row", dtype="int64")
    return frame


def frame_reader(frame: pd.DataFrame, name: str, chunk_rows: int) -> TableReader:
    """A DataFrame as a table: its index named "row" kept as row numbers, else rows numbered from 2."""
    frame = frame.copy(deep=False)
    if frame.index.name != "row" or not pd.api.types.is_integer_dtype(frame.index):
        frame.index = pd.Index(np.arange(2, len(frame) + 2), name="row", dtype="int64")
    frame.columns = clean_headers(frame.columns)
    header = list(frame.columns)
    blank = frame.map(is_blank).all(axis=1) if len(frame) else pd.Series(dtype=bool)
    frame = frame.loc[~blank.to_numpy()] if len(frame) else frame

    def chunks() -> Iterator[Chunk]:
        total = len(frame)
        for start in range(0, total, chunk_rows):
            yield Chunk(frame.iloc[start:start + chunk_rows], [], min((start + chunk_rows) / total, 1.0))

    return TableReader(name, header, chunks(), "frame")


def open_table(source: Any, *, filename: str | None = None, encoding: str | None = None,
               delimiter: str | None = None, sheet: str | None = None, chunk_rows: int = CHUNK_ROWS,
               header_score: HeaderScore | None = None) -> TableReader:
    """Open a CSV or XLSX file (path, bytes or binary file object) or a DataFrame for reading in chunks.

    `header_score` counts the entity's columns a row names: a worksheet's header is the best such row at its
    top (a title row above the header is skipped)."""
    if isinstance(source, pd.DataFrame):
        return frame_reader(source, filename or "table", chunk_rows)
    binary, name, size, owned = _open_binary(source, filename)
    try:
        head = binary.read(8)
        binary.seek(0)
        if _detect_kind(name, head) == "xlsx":
            return _xlsx_reader(binary, name, sheet, chunk_rows, owned, header_score)
        return _csv_reader(binary, name, size, encoding, delimiter, chunk_rows, owned)
    except BaseException:
        if owned:
            binary.close()
        raise


@dataclass
class Peek:
    """The header and first rows of a table, for the mapping editor."""

    columns: list[str]
    sample: pd.DataFrame
    delimiter: str | None
    kind: str
    warnings: list[str] = field(default_factory=list)


def peek(source: Any, *, filename: str | None = None, encoding: str | None = None, sheet: str | None = None,
         rows: int = 5, header_score: HeaderScore | None = None) -> Peek:
    """The columns and first few rows of a file or DataFrame (and where its header was found)."""
    reader = open_table(source, filename=filename, encoding=encoding, sheet=sheet, chunk_rows=rows,
                        header_score=header_score)
    try:
        first = next(reader.chunks, None)
    finally:
        reader.close()
    sample = first.frame if first is not None else pd.DataFrame(columns=reader.columns)
    if hasattr(source, "seek"):
        source.seek(0)
    return Peek(reader.columns, sample.reset_index(), reader.delimiter, reader.kind, reader.warnings)


