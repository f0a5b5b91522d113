"""The import contract (DESIGN §5), shared by the Data page, the CLI and Sheets sync.

A table (CSV, XLSX or a DataFrame from Sheets) is read in chunks, its columns are mapped onto an
entity's canonical columns, every value is checked, and the valid rows are upserted on the
entity's id in one transaction. Rejected rows are listed with their row number as a
spreadsheet shows it (the header is row 1, so the first data row is row 2), the column and why.

Values are never guessed: a date like 03/04/2026 is rejected as ambiguous unless the caller
says which comes first; a number is a number or the row is rejected. Writes go through a
temporary staging table so that finding existing ids, updating changed rows and inserting new
ones are a few set-based statements per chunk, not one statement per row.
"""

import codecs
import csv
import datetime as dt
import hashlib
import io
import math
import re
import time
import unicodedata
import warnings
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Column as SAColumn
from sqlalchemy import Connection, Engine, Integer, MetaData, Table, func, select
from sqlmodel import Session

from core import models
from core.bulk import bulk_insert
from core import rollups
from core.db import bulk_write, bump_data_version
from core.errors import ImportRejected

CHUNK_ROWS = 50_000
PREVIEW_ROWS = 20
# Rejects kept with the sync history (the full list goes to the result and the CSV).
RUN_REJECTS_CAP = 100
# Ids are looked up with IN lists of this size (well under SQLite's 32,766 parameters).
LOOKUP_BATCH = 5_000
# Tokens that mean "no value" in a number, date or yes/no column (not in free text).
MISSING_TOKENS = frozenset({"na", "n/a", "#n/a", "null", "none", "nan", "nat", "-", "—", "–"})
TRUE_TOKENS = frozenset({"true", "t", "yes", "y", "1", "x", "✓", "✔"})
FALSE_TOKENS = frozenset({"false", "f", "no", "n", "0"})
# Spreadsheet serial dates count days from 1899-12-30; 10000-99999 covers 1927-2173.
SERIAL_EPOCH = pd.Timestamp("1899-12-30")
SERIAL_RANGE = (10_000, 99_999)
YEAR_RANGE = (1900, 2200)

Progress = Callable[[float, str], None]


# --- entities ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One canonical column of an entity: its kind of value, limits and the headers that mean it."""

    name: str
    kind: str = "text"  # text id lower upper email int float bool datetime date timezone
    required: bool = False
    low: float | None = None
    high: float | None = None
    synonyms: tuple[str, ...] = ()
    # phrases that, found inside a long header (a survey question), mean this column
    contains: tuple[str, ...] = ()
    lookup_only: bool = False  # used to find something else, never stored (e.g. a respondent's email)


@dataclass(frozen=True)
class Entity:
    """An importable entity: its table, id, columns and what it references."""

    name: str
    label: str
    model: type
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    hash_id: bool = True
    references: tuple[tuple[str, str], ...] = ()  # (column, "member" | "project" | "survey")
    scored_text: str | None = None

    @property
    def has_attributes(self) -> bool:
        return "attributes" in self.model.__table__.columns

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


def _c(name, kind="text", required=False, *, low=None, high=None, syn=(), contains=(), lookup_only=False) -> Column:
    return Column(name, kind, required, low, high, tuple(syn), tuple(contains), lookup_only)


COUNT = dict(low=0)
MEMBER_REF = _c("member_id", "id", syn=("member", "user id", "userid", "user", "worker id", "worker", "tasker id",
                                         "tasker", "contributor id", "annotator id", "participant id", "uid"))
PROJECT_REF = _c("project_id", "id", syn=("project", "project code", "project key", "workflow id"))

ENTITIES: dict[str, Entity] = {e.name: e for e in [
    Entity("members", "Taskers (members)", models.Member, ("member_id",), (
        _c("member_id", "id", True, syn=MEMBER_REF.synonyms + ("id",)),
        _c("handle", syn=("username", "user name", "display name", "nickname", "name", "full name")),
        _c("email", "email", syn=("email address", "e mail", "mail", "e mail address")),
        _c("country", "upper", syn=("country code", "nation")),
        _c("region", syn=("geo", "area")),
        _c("timezone", "timezone", syn=("time zone", "tz", "timezone name")),
        _c("language", "lower", syn=("lang", "locale", "preferred language")),
        _c("vendor", syn=("bpo", "agency", "vendor name", "partner")),
        _c("status", "lower", syn=("member status", "account status", "state")),
        _c("signed_up_at", "datetime", syn=("signed up", "sign up date", "signup date", "signup", "registered at",
                                             "registration date", "joined", "joined at", "join date", "created at",
                                             "created")),
        _c("onboarded_at", "datetime", syn=("onboarded", "onboarding date", "onboarding completed")),
        _c("activated_at", "datetime", syn=("activated", "activation date", "first task at")),
        _c("is_staff", "bool", syn=("staff", "is employee", "employee")),
        _c("is_bot", "bool", syn=("bot",)),
    ), hash_id=False),
    Entity("projects", "Projects", models.Project, ("project_id",), (
        _c("project_id", "id", True, syn=PROJECT_REF.synonyms + ("id",)),
        _c("name", syn=("project name", "title")),
        _c("kind", "lower", syn=("type", "project type", "category")),
        _c("status", "lower", syn=("project status", "state")),
        _c("launch_at", "datetime", syn=("launch", "launched at", "launch date", "start date", "starts at")),
        _c("guideline_version", syn=("guidelines version", "guideline", "guidelines")),
        _c("guideline_updated_at", "datetime", syn=("guidelines updated at", "guideline updated", "guideline date")),
    ), hash_id=False),
    Entity("activity", "Daily activity", models.Activity, ("member_id", "project_id", "day"), (
        _c("member_id", "id", True, syn=MEMBER_REF.synonyms),
        _c("project_id", "id", True, syn=PROJECT_REF.synonyms),
        _c("day", "date", True, syn=("date", "work date", "activity date", "day utc", "date utc")),
        _c("tasks_submitted", "int", syn=("submitted", "tasks", "submissions", "completed", "tasks completed"), **COUNT),
        _c("tasks_approved", "int", syn=("approved", "accepted", "tasks accepted"), **COUNT),
        _c("tasks_rejected", "int", syn=("rejected", "rejections"), **COUNT),
        _c("tasks_skipped", "int", syn=("skipped", "skips"), **COUNT),
        _c("tasks_too_fast", "int", syn=("too fast", "too fast tasks"), **COUNT),
        _c("handle_seconds", "float", syn=("handle time", "handle time seconds", "handle time s", "time spent seconds",
                                            "work seconds", "aht seconds total"), **COUNT),
        _c("active_minutes", "float", syn=("active time", "minutes active", "active mins", "active time minutes"),
           **COUNT),
        _c("questions", "int", syn=("questions asked", "question count"), **COUNT),
    ), hash_id=False, references=(("member_id", "member"), ("project_id", "project"))),
    Entity("queue_items", "Queue items", models.QueueItem, ("item_id",), (
        _c("item_id", "id", True, syn=("id", "ticket id", "ticket", "case id", "case", "item")),
        _c("queue", "lower", True, syn=("queue name",)),
        _c("created_at", "datetime", True, syn=("created", "opened at", "opened", "timestamp", "date created",
                                                 "submitted at", "created date")),
        PROJECT_REF,
        MEMBER_REF,
        _c("category", "text", syn=("type", "issue type", "topic")),
        _c("priority", "lower", syn=("urgency", "severity")),
        _c("status", "lower", syn=("state", "ticket status")),
        _c("first_response_at", "datetime", syn=("first response", "first reply at", "first replied at",
                                                  "first response date")),
        _c("resolved_at", "datetime", syn=("resolved", "closed at", "closed", "solved at", "solved", "resolution date")),
        _c("due_at", "datetime", syn=("due", "due date", "deadline", "sla due", "due by")),
        _c("updated_at", "datetime", syn=("updated", "last updated", "modified at")),
        _c("assignee", syn=("assigned to", "agent", "reviewer", "owner")),
        _c("retries", "int", syn=("retry count", "attempts"), **COUNT),
        _c("last_error", syn=("error", "last error message", "error message")),
        _c("escalation_reason", syn=("reason", "escalation")),
        _c("owner_team", syn=("team", "owning team")),
    ), references=(("project_id", "project"), ("member_id", "member"))),
    Entity("feedback", "Feedback messages", models.Feedback, ("feedback_id",), (
        _c("feedback_id", "id", True, syn=("id", "message id", "post id", "ticket id", "comment id")),
        _c("channel", "lower", True, syn=("source", "platform", "medium")),
        _c("created_at", "datetime", True, syn=("created", "timestamp", "posted at", "sent at", "date", "time",
                                                 "submitted at")),
        _c("text", "text", True, syn=("message", "body", "content", "comment", "feedback", "message text", "post")),
        MEMBER_REF,
        PROJECT_REF,
        _c("author_is_staff", "bool", syn=("is staff", "staff", "from staff", "staff author")),
        _c("email", "email", syn=("email address", "e mail", "author email"), lookup_only=True),
    ), references=(("member_id", "member"), ("project_id", "project")), scored_text="text"),
    Entity("survey_responses", "Survey responses", models.SurveyResponse, ("response_id",), (
        _c("response_id", "id", True, syn=("id", "response", "submission id")),
        _c("survey_id", "id", True, syn=("survey", "form id", "wave", "survey name")),
        _c("submitted_at", "datetime", True, syn=("timestamp", "submitted", "submitted on", "response date", "date",
                                                   "completed at", "created at")),
        _c("score", "int", low=0, high=10, syn=("nps", "nps score", "likelihood to recommend", "recommend"),
           contains=("recommend", "likely are you")),
        _c("csat", "int", low=1, high=5, syn=("csat score", "satisfaction", "satisfaction score"),
           contains=("satisf",)),
        _c("comment", syn=("comments", "feedback", "why", "reason", "open text", "free text"),
           contains=("comment", "anything else", "why ", "improve", "tell us", "suggestion")),
        MEMBER_REF,
        _c("email", "email", syn=("email address", "e mail", "respondent email"), lookup_only=True),
    ), references=(("survey_id", "survey"), ("member_id", "member")), scored_text="comment"),
    Entity("resources", "Guides, FAQs and SOPs", models.Resource, ("resource_id",), (
        _c("resource_id", "id", True, syn=("id", "doc id", "document id", "resource")),
        _c("title", "text", True, syn=("name", "document", "doc title")),
        _c("kind", "lower", syn=("type", "doc type", "resource type")),
        PROJECT_REF,
        _c("owner", syn=("owned by", "author", "maintainer")),
        _c("status", "lower", syn=("state", "doc status")),
        _c("last_reviewed_at", "datetime", syn=("last reviewed", "reviewed at", "last review", "reviewed on")),
        _c("review_every_days", "int", low=1, syn=("review cadence", "review every", "cadence days",
                                                   "review cadence days", "review interval days")),
        _c("url", syn=("link", "address", "doc url", "document url")),
    ), references=(("project_id", "project"),)),
    Entity("events", "Community events", models.Event, ("event_id",), (
        _c("event_id", "id", True, syn=("id", "event")),
        _c("title", "text", True, syn=("name", "event name", "event title")),
        _c("starts_at", "datetime", True, syn=("start", "starts", "start time", "start date", "date", "when")),
        _c("duration_minutes", "int", syn=("duration", "length minutes", "minutes"), **COUNT),
        _c("audience", syn=("segment", "for", "audience segment")),
        _c("registrations", "int", syn=("registered", "rsvps", "rsvp", "signups", "sign ups"), **COUNT),
        _c("attendance", "int", syn=("attended", "attendees", "showed up"), **COUNT),
    )),
]}

_ENTITY_ALIASES = {"member": "members", "tasker": "members", "taskers": "members", "project": "projects",
                   "queue": "queue_items", "queue_item": "queue_items", "queueitems": "queue_items",
                   "items": "queue_items", "messages": "feedback", "survey": "survey_responses",
                   "responses": "survey_responses", "survey_response": "survey_responses",
                   "resource": "resources", "event": "events"}


def entity_spec(name: str) -> Entity:
    """The entity called `name` (singular, hyphens and case forgiven)."""
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    key = _ENTITY_ALIASES.get(key, key)
    if key not in ENTITIES:
        raise ImportRejected(f"Unknown entity {name!r}: choose one of {', '.join(ENTITIES)}.")
    return ENTITIES[key]


# --- reading tables ------------------------------------------------------------------------------


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


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


def frame_from_rows(header: list[str], rows: Iterable[tuple[int, list[Any]]], *, pad_header: bool = False) -> pd.DataFrame:
    """A table from a header and (row number, values) pairs: blank rows dropped, short rows padded.

    With `pad_header` a row longer than the header widens it (new columns named column_N);
    otherwise values beyond the header must be blank. Used for Sheets, where all rows are at hand.
    """
    rows = [(n, list(v)) for n, v in rows if not all(_blank(x) for x in v)]
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
    header = clean_headers(header_cells)
    width = len(header)
    fields = max(len(r) for r in sampled) + EXTRA_FIELDS
    binary.seek(0)
    # The C parser is ~5x faster than the csv module here; every value stays text (pyarrow strings).
    records = pd.read_csv(binary, sep=sep, header=None, names=list(range(fields)), index_col=False, dtype=str,
                          keep_default_na=False, na_filter=False, skip_blank_lines=False, encoding=enc,
                          encoding_errors="strict", chunksize=chunk_rows, engine="c", quoting=csv.QUOTE_MINIMAL)

    def close() -> None:
        records.close()
        if owned:
            binary.close()

    def chunks() -> Iterator[Chunk]:
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
                broken = []
                for i in np.flatnonzero(extra):
                    values = raw.iloc[i, width:]
                    position = next(j for j, v in enumerate(values) if isinstance(v, str) and v.strip())
                    count = width + max(j for j, v in enumerate(values) if isinstance(v, str) and v.strip()) + 1
                    broken.append((int(numbers[i]), f"(column {width + 1 + position})", str(values.iloc[position]),
                                   f"row has {count} values but the header has {width} columns"))
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

    return TableReader(name, header, chunks(), "csv", sep, enc, closer=close)


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


def _xlsx_reader(binary, name: str, sheet: str | None, chunk_rows: int, owned: bool) -> TableReader:
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
    row_number = 0
    header_cells = None
    for values in cells:
        row_number += 1
        if not all(_blank(v) for v in values):
            header_cells = list(values)
            break
    if header_cells is None:
        book.close()
        raise ImportRejected(f"{name} is empty: the worksheet {ws.title!r} has no header row and no data.")
    while header_cells and _blank(header_cells[-1]):
        header_cells.pop()
    header = clean_headers(header_cells)
    width = len(header)
    total = ws.max_row or 0

    def chunks() -> Iterator[Chunk]:
        nonlocal row_number
        rows: list[tuple[int, list[Any]]] = []
        broken: list[tuple[int, str, str, str]] = []
        for values in cells:
            row_number += 1
            values = list(values)
            if all(_blank(v) for v in values):
                continue
            extra = [v for v in values[width:] if not _blank(v)]
            if extra:
                broken.append((row_number, f"(column {width + 1})", str(extra[0]),
                               "value in a column that has no header"))
                continue
            rows.append((row_number, values[:width] + [None] * (width - len(values))))
            if len(rows) >= chunk_rows:
                yield Chunk(_object_frame(rows, header), broken, row_number / total if total else 0.0)
                rows, broken = [], []
        if rows or broken:
            yield Chunk(_object_frame(rows, header), broken, 1.0)

    def close() -> None:
        book.close()
        if owned:
            binary.close()

    return TableReader(name, header, chunks(), "xlsx", closer=close)


def _object_frame(rows: list[tuple[int, list[Any]]], header: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame([v for _, v in rows], columns=header, dtype=object)
    frame.index = pd.Index([n for n, _ in rows], name="row", dtype="int64")
    return frame


def _frame_reader(frame: pd.DataFrame, name: str, chunk_rows: int) -> TableReader:
    frame = frame.copy(deep=False)
    if frame.index.name != "row" or not pd.api.types.is_integer_dtype(frame.index):
        frame.index = pd.Index(np.arange(2, len(frame) + 2), name="row", dtype="int64")
    frame.columns = clean_headers(frame.columns)
    header = list(frame.columns)
    blank = frame.map(_blank).all(axis=1) if len(frame) else pd.Series(dtype=bool)
    frame = frame.loc[~blank.to_numpy()] if len(frame) else frame

    def chunks() -> Iterator[Chunk]:
        total = len(frame)
        for start in range(0, total, chunk_rows):
            yield Chunk(frame.iloc[start:start + chunk_rows], [], min((start + chunk_rows) / total, 1.0))

    return TableReader(name, header, chunks(), "frame")


def open_table(source: Any, *, filename: str | None = None, encoding: str | None = None,
               delimiter: str | None = None, sheet: str | None = None, chunk_rows: int = CHUNK_ROWS) -> TableReader:
    """Open a CSV or XLSX file (path, bytes or binary file object) or a DataFrame for reading in chunks."""
    if isinstance(source, pd.DataFrame):
        return _frame_reader(source, filename or "table", chunk_rows)
    binary, name, size, owned = _open_binary(source, filename)
    try:
        head = binary.read(8)
        binary.seek(0)
        if _detect_kind(name, head) == "xlsx":
            return _xlsx_reader(binary, name, sheet, chunk_rows, owned)
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


def peek(source: Any, *, filename: str | None = None, encoding: str | None = None, sheet: str | None = None,
         rows: int = 5) -> Peek:
    """The columns and first few rows of a file or DataFrame."""
    reader = open_table(source, filename=filename, encoding=encoding, sheet=sheet, chunk_rows=rows)
    try:
        first = next(reader.chunks, None)
    finally:
        reader.close()
    sample = first.frame if first is not None else pd.DataFrame(columns=reader.columns)
    if hasattr(source, "seek"):
        source.seek(0)
    return Peek(reader.columns, sample.reset_index(), reader.delimiter, reader.kind)


# --- column mapping ------------------------------------------------------------------------------


def normalise_header(name: Any) -> str:
    """A header reduced to lower-case ASCII words: 'Created At' and 'createdAt' both become 'created at'."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(name))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def suggest_mapping(entity: str | Entity, columns: Iterable[str]) -> dict[str, str]:
    """For each canonical column, the source header that most likely holds it (by name and synonyms)."""
    spec = entity if isinstance(entity, Entity) else entity_spec(entity)
    columns = list(columns)
    normal = {c: normalise_header(c) for c in columns}
    used: set[str] = set()
    mapping: dict[str, str] = {}

    def assign(test) -> None:
        for col in spec.columns:
            if col.name in mapping:
                continue
            for source in columns:
                if source not in used and test(col, normal[source]):
                    mapping[col.name] = source
                    used.add(source)
                    break

    assign(lambda col, h: h in (col.name.replace("_", " "), col.name.replace("_", "")))
    assign(lambda col, h: h in col.synonyms)
    # "Member ID (numeric)" or "Survey wave" : the canonical name or a synonym at the start of a longer header
    assign(lambda col, h: any(h.startswith(s + " ") for s in (col.name.replace("_", " "), *col.synonyms)
                              if len(s) > 3))
    # Long survey questions: "How likely are you to recommend us to a friend?"
    assign(lambda col, h: len(h.split()) >= 3 and any(p in h + " " for p in col.contains))
    return {c.name: mapping[c.name] for c in spec.columns if c.name in mapping}


def _find_source(columns: list[str], wanted: str) -> str | None:
    if wanted in columns:
        return wanted
    target = normalise_header(wanted)
    return next((c for c in columns if normalise_header(c) == target), None)


def parse_pairs(items: Iterable[str] | str | None, *, what: str = "mapping") -> dict[str, str]:
    """'target=source' items (a list, or text with one per line or comma-separated) as a dict."""
    if items is None:
        return {}
    if isinstance(items, str):
        items = [line for line in re.split(r"[\r\n]+", items) if line.strip()]
    pairs: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ImportRejected(f"Cannot read {what} {item!r}: write it as column=value.")
        key, value = item.split("=", 1)
        pairs[key.strip()] = value.strip()
    return pairs


@dataclass
class Plan:
    """How a table's columns feed an entity: the mapping, constants, extras and id strategy."""

    mapping: dict[str, str]
    constants: dict[str, str]
    attribute_columns: list[str]
    ignored_columns: list[str]
    hashed_id: bool


def plan_columns(spec: Entity, columns: list[str], mapping: Mapping[str, str | None] | None = None,
                 constants: Mapping[str, Any] | None = None, *, suggest: bool = True) -> Plan:
    """Resolve the mapping (explicit over suggested), check required columns, and sort out extras."""
    mapping = dict(mapping or {})
    constants = {k.strip(): ("" if v is None else str(v)) for k, v in (constants or {}).items()}
    known = spec.names
    for target in [*mapping, *constants]:
        if target not in known:
            raise ImportRejected(f"{target!r} is not a column of {spec.name}; its columns are: {', '.join(known)}.")
    resolved: dict[str, str] = {}
    for target, wanted in mapping.items():
        if wanted is None or str(wanted).strip() == "":
            continue
        source = _find_source(columns, str(wanted))
        if source is None:
            raise ImportRejected(f"Column {wanted!r} (mapped to {target}) is not in the file. "
                                 f"Columns found: {', '.join(columns) or '(none)'}.")
        resolved[target] = source
    if suggest:
        taken = set(resolved.values())
        free = [c for c in columns if c not in taken]
        for target, source in suggest_mapping(spec, free).items():
            if target not in mapping and target not in constants:
                resolved[target] = source
    for target in constants:
        resolved.pop(target, None)
    id_column = spec.key[0] if len(spec.key) == 1 else None
    hashed = bool(spec.hash_id and id_column and id_column not in resolved and id_column not in constants)
    missing = [c for c in spec.required if c not in resolved and c not in constants and not (hashed and c == id_column)]
    if missing:
        raise MissingColumns(spec, missing, columns)
    used = set(resolved.values())
    extras = [c for c in columns if c not in used]
    ordered = {c: resolved[c] for c in known if c in resolved}
    if spec.has_attributes:
        return Plan(ordered, constants, extras, [], hashed)
    return Plan(ordered, constants, [], extras, hashed)


class MissingColumns(ImportRejected):
    """Required columns of an entity are not in the file (after mapping)."""

    def __init__(self, spec: Entity, missing: list[str], found: list[str]):
        self.missing, self.found = missing, found
        hints = " ".join(f"--map {m}=<column>" for m in missing)
        super().__init__(
            f"{spec.label}: required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"{'are' if len(missing) > 1 else 'is'} missing. Columns found: {', '.join(found) or '(none)'}. "
            f"Rename them in the file, map them ({hints}) or set a fixed value (--set column=value).")


class RowsRejected(ImportRejected):
    """Strict mode: some rows were rejected, so nothing was imported. `result` lists them."""

    def __init__(self, result: "ImportResult"):
        self.result = result
        first = result.rejects.iloc[0] if len(result.rejects) else None
        where = f" (first: row {first['row']}, {first['column']}: {first['reason']})" if first is not None else ""
        super().__init__(f"Strict import of {result.source}: {result.rejected:,} of {result.rows_read:,} rows "
                         f"rejected{where}; nothing was imported.")


# --- converting values ---------------------------------------------------------------------------


def _as_text(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value).strip() or None


def text_values(series: pd.Series) -> pd.Series:
    """Any column as stripped text, blanks as missing (numbers from spreadsheets without '.0')."""
    if pd.api.types.is_string_dtype(series) and not pd.api.types.is_object_dtype(series):
        stripped = series.str.strip()
        return stripped.mask(stripped == "")
    values = [_as_text(v) for v in series.tolist()]
    return pd.Series(pd.array(values, dtype="str"), index=series.index)


@lru_cache(maxsize=1)
def _timezones() -> dict[str, str]:
    zones = zoneinfo.available_timezones() | {"UTC"}
    return {z.lower(): z for z in zones}


def time_zones() -> list[str]:
    """Every IANA time zone name, UTC first."""
    return ["UTC", *sorted(z for z in _timezones().values() if z != "UTC")]


EMAIL_RE = r"[^@\s]+@[^@\s]+\.[^@\s]+"
_ISO_DATE_RE = r"\d{4}-\d{2}-\d{2}"
_ISO_RE = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?\s*(?:Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?"
_ISO_ZONE_RE = r"\s*(?:Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)$"
_YMD_SLASH_RE = r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
_DMY_RE = r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?"
_SERIAL_RE = r"\d{1,6}(?:\.\d+)?"
_MONTH_NAME_RE = r".*[A-Za-z]{3,}.*"


@dataclass
class Parsed:
    """Times read from text: wall-clock time, UTC offset in minutes (NaN when none) and reasons."""

    wall: pd.Series  # datetime64 naive
    offset: pd.Series  # float minutes
    reason: pd.Series  # str or NA


def _assemble(parts: pd.DataFrame, index) -> pd.Series:
    frame = pd.DataFrame({
        "year": pd.to_numeric(parts["year"], errors="coerce"),
        "month": pd.to_numeric(parts["month"], errors="coerce"),
        "day": pd.to_numeric(parts["day"], errors="coerce"),
        "hour": pd.to_numeric(parts.get("hour"), errors="coerce").fillna(0) if "hour" in parts else 0,
        "minute": pd.to_numeric(parts.get("minute"), errors="coerce").fillna(0) if "minute" in parts else 0,
        "second": pd.to_numeric(parts.get("second"), errors="coerce").fillna(0) if "second" in parts else 0,
    }, index=index)
    ok = frame["year"].between(*YEAR_RANGE) & frame["hour"].between(0, 23) & frame["minute"].between(0, 59) \
        & frame["second"].between(0, 59)
    out = pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
    if ok.any():
        good = frame.loc[ok]
        out.loc[ok] = pd.to_datetime(good, errors="coerce").astype("datetime64[us]")
    return out


AMBIGUOUS_DATE = "is ambiguous: day/month or month/day? Set the date order (dayfirst) or write YYYY-MM-DD"
NOT_A_DATE = "is not a date or time this importer reads; use ISO 8601 like 2026-03-04 14:30 or 2026-03-04T14:30Z"


def _matches(text: pd.Series, todo: pd.Series, pattern: str) -> pd.Series:
    out = pd.Series(False, index=text.index)
    if todo.any():
        out.loc[todo] = text[todo].str.fullmatch(pattern).fillna(False).astype(bool)
    return out


def parse_times(text: pd.Series, *, dayfirst: bool = False, monthfirst: bool = False) -> Parsed:
    """Read timestamps from text without guessing: ISO 8601, serial dates, d/m/y only when unambiguous or asked."""
    index = text.index
    wall = pd.Series(pd.NaT, index=index, dtype="datetime64[us]")
    offset = pd.Series(np.nan, index=index, dtype="float64")
    reason = pd.Series(pd.NA, index=index, dtype="object")
    present = text.notna()
    if not present.any():
        return Parsed(wall, offset, reason)
    todo = present.copy()

    # The common cases stay vectorised: a plain ISO date, then ISO date-times with or without a zone.
    dates = todo & text.str.fullmatch(_ISO_DATE_RE).fillna(False).astype(bool)
    if dates.any():
        value = pd.to_datetime(text[dates], format="%Y-%m-%d", errors="coerce").astype("datetime64[us]")
        value = value.where(value.dt.year.between(*YEAR_RANGE))
        wall.loc[dates] = value
        reason.loc[value[value.isna()].index] = "is not a real date"
        todo &= ~dates

    iso = todo & _matches(text, todo, _ISO_RE)
    if iso.any():
        values = text[iso].str.replace(",", ".", regex=False)
        zoned = values.str.contains(_ISO_ZONE_RE).fillna(False).astype(bool)
        local = values.str.replace(_ISO_ZONE_RE, "", regex=True)
        value = pd.to_datetime(local, format="ISO8601", errors="coerce").astype("datetime64[us]")
        value = value.where(value.dt.year.between(*YEAR_RANGE))
        wall.loc[iso] = value
        if zoned.any():
            normal = values.loc[zoned].str.replace(r"\s*(?:z|UTC|GMT)$", "Z", regex=True).str.replace(
                r"\s+(?=[+-]\d{2}(?::?\d{2})?$)", "", regex=True)
            instant = pd.to_datetime(normal, format="ISO8601", utc=True, errors="coerce")
            minutes = (value[zoned] - instant.dt.tz_localize(None).astype("datetime64[us]")).dt.total_seconds() / 60
            offset.loc[minutes.index] = minutes
            impossible = instant.isna() | (minutes.abs() > 14 * 60)
            reason.loc[impossible[impossible].index] = "has an impossible UTC offset"
        reason.loc[value[value.isna()].index] = "is not a real date or time"
        todo &= ~iso

    ymd = todo & _matches(text, todo, _YMD_SLASH_RE)
    if ymd.any():
        parts = text[ymd].str.extract(_YMD_SLASH_RE)
        parts.columns = ["year", "month", "day", "hour", "minute", "second"]
        value = _assemble(parts, parts.index)
        wall.loc[ymd] = value
        reason.loc[value[value.isna()].index] = "is not a real date or time"
        todo &= ~ymd

    dmy = todo & _matches(text, todo, _DMY_RE)
    if dmy.any():
        parts = text[dmy].str.extract(_DMY_RE)
        parts.columns = ["a", "b", "year", "hour", "minute", "second", "ampm"]
        a, b = pd.to_numeric(parts["a"]), pd.to_numeric(parts["b"])
        year = pd.to_numeric(parts["year"])
        year = year.where(parts["year"].str.len() == 4, np.where(year < 69, 2000 + year, 1900 + year))
        hour = pd.to_numeric(parts["hour"], errors="coerce")
        ampm = parts["ampm"].str.lower()
        bad_12h = ampm.notna() & ((hour < 1) | (hour > 12))
        hour = hour.where(~(ampm == "pm") | (hour == 12), hour + 12)
        hour = hour.where(~((ampm == "am") & (hour == 12)), 0)
        if dayfirst:
            day, month = a, b
            order_reason = pd.Series(pd.NA, index=parts.index, dtype="object")
        elif monthfirst:
            day, month = b, a
            order_reason = pd.Series(pd.NA, index=parts.index, dtype="object")
        else:
            # Only a reading that is the sole valid one is taken: 13/04 is 13 April, 04/13 is 13 April,
            # 04/04 is 4 April either way; 03/04 could be 3 April or 4 March, so it is rejected.
            day = np.where(a > 12, a, b)
            month = np.where(a > 12, b, a)
            ambiguous = (a <= 12) & (b <= 12) & (a != b)
            order_reason = pd.Series(pd.NA, index=parts.index, dtype="object")
            order_reason.loc[ambiguous] = AMBIGUOUS_DATE
        assembled = pd.DataFrame({"year": year, "month": month, "day": day, "hour": hour,
                                  "minute": parts["minute"], "second": parts["second"]}, index=parts.index)
        value = _assemble(assembled, parts.index)
        value[order_reason.notna() | bad_12h] = pd.NaT
        wall.loc[dmy] = value
        which = "day/month/year" if dayfirst else "month/day/year" if monthfirst else "a date"
        reason.loc[value[value.isna()].index] = f"is not a valid {which}"
        reason.loc[bad_12h[bad_12h].index] = "has an AM/PM hour outside 1-12"
        reason.loc[order_reason.dropna().index] = order_reason.dropna()
        todo &= ~dmy

    serial = todo & _matches(text, todo, _SERIAL_RE)
    if serial.any():
        days = pd.to_numeric(text[serial])
        in_range = days.between(*SERIAL_RANGE)
        value = (SERIAL_EPOCH + pd.to_timedelta(days.where(in_range), unit="D")).dt.round("s")
        wall.loc[serial] = value.astype("datetime64[us]")
        reason.loc[in_range[~in_range].index] = ("is a number, not a date (spreadsheet serial dates run "
                                                 f"from {SERIAL_RANGE[0]:,} to {SERIAL_RANGE[1]:,})")
        todo &= ~serial

    named = todo & _matches(text, todo, _MONTH_NAME_RE)
    for i in named[named].index:
        value, minutes, why = _parse_named(text[i], dayfirst=dayfirst)
        if why:
            reason.loc[i] = why
        else:
            wall.loc[i] = value
            offset.loc[i] = minutes
        todo.loc[i] = False

    reason.loc[todo] = NOT_A_DATE
    return Parsed(wall, offset, reason)


def _parse_named(value: str, *, dayfirst: bool) -> tuple[Any, float, str | None]:
    """'15 Jan 2026 10:00', 'Jan 15, 2026': the month is a word, so the order is not in doubt."""
    from dateutil import parser as dateparser
    from dateutil.parser import ParserError

    if not re.search(r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", value):
        return None, np.nan, NOT_A_DATE
    if not re.search(r"\b\d{4}\b", value):
        return None, np.nan, "has no four-digit year"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            parsed = dateparser.parse(value, dayfirst=dayfirst, default=dt.datetime(2000, 1, 1))
        except (ParserError, ValueError, OverflowError, Warning):
            return None, np.nan, "is not a date or time this importer reads (or names an unknown time zone)"
    if not (YEAR_RANGE[0] <= parsed.year <= YEAR_RANGE[1]):
        return None, np.nan, "has an implausible year"
    minutes = np.nan
    if parsed.tzinfo is not None:
        minutes = parsed.utcoffset().total_seconds() / 60
        parsed = parsed.replace(tzinfo=None)
    return pd.Timestamp(parsed), minutes, None


def to_utc(parsed: Parsed, timezone: str | None = None) -> tuple[pd.Series, pd.Series]:
    """UTC instants from parsed times: offsets honoured, naive times in `timezone` (UTC when None)."""
    out = pd.Series(pd.NaT, index=parsed.wall.index, dtype="datetime64[us, UTC]")
    reason = parsed.reason.copy()
    has_offset = parsed.offset.notna() & parsed.wall.notna()
    if has_offset.any():
        shifted = parsed.wall.loc[has_offset] - pd.to_timedelta(parsed.offset.loc[has_offset], unit="min")
        out.loc[has_offset] = shifted.dt.tz_localize("UTC")
    naive = parsed.offset.isna() & parsed.wall.notna()
    if naive.any():
        if timezone in (None, "UTC"):
            out.loc[naive] = parsed.wall.loc[naive].dt.tz_localize("UTC")
        else:
            local = parsed.wall.loc[naive].dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
            out.loc[naive] = local.dt.tz_convert("UTC")
            gap = local.isna()
            reason.loc[gap[gap].index] = f"does not exist or happens twice in {timezone} (a clock change)"
    return out, reason


@dataclass
class Converted:
    """Typed values of one column and, per row, why a value was refused (NA when fine)."""

    values: pd.Series
    reason: pd.Series


def _to_float(text: pd.Series) -> pd.Series:
    """Numbers from text; unreadable ones NaN. Arrow's cast is ~100x faster when every value reads."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        values = pc.cast(pa.array(text, from_pandas=True), pa.float64())
        return pd.Series(values.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")
    except Exception:  # any unreadable value: the slow path finds which
        return pd.to_numeric(text, errors="coerce").astype("float64")


def _typed_missing(text: pd.Series) -> pd.Series:
    lowered = text.str.lower()
    return text.mask(lowered.isin(MISSING_TOKENS))


def convert_column(col: Column, text: pd.Series, *, dayfirst: bool = False, monthfirst: bool = False,
                   timezone: str | None = None) -> Converted:
    """Check and type one column's text values; reasons read after the column name ('must be ...')."""
    none = pd.Series(pd.NA, index=text.index, dtype="object")
    nul = text.str.contains("\x00", regex=False).fillna(False).astype(bool)
    if nul.any():  # PostgreSQL cannot store it, and it is never meant: refuse rather than strip
        converted = convert_column(col, text.mask(nul), dayfirst=dayfirst, monthfirst=monthfirst, timezone=timezone)
        return Converted(converted.values, converted.reason.mask(nul, "contains a NUL character (byte 0)"))
    kind = col.kind
    if kind in ("text", "id"):
        return Converted(text, none)
    if kind == "lower":
        return Converted(text.str.lower(), none)
    if kind == "upper":
        return Converted(text.where(text.str.len() != 2, text.str.upper()), none)
    if kind == "email":
        bad = text.notna() & ~text.str.fullmatch(EMAIL_RE).fillna(False).astype(bool)
        if col.lookup_only:  # only used to find the tasker: a malformed one just finds nobody
            return Converted(text.mask(bad), none)
        return Converted(text.mask(bad), none.mask(bad, "is not an email address"))
    text = _typed_missing(text)
    if kind in ("int", "float"):
        number = _to_float(text)
        reason = none.copy()
        reason.loc[text.notna() & number.isna()] = "is not a number (use digits, with a dot for decimals)"
        finite = number.notna() & np.isfinite(number)
        reason.loc[number.notna() & ~finite] = "is not a finite number"
        if kind == "int":
            reason.loc[finite & (number != np.floor(number))] = "must be a whole number"
            reason.loc[finite & (number.abs() > 2**31 - 1)] = "is too large"
        if col.low is not None or col.high is not None:
            low = -np.inf if col.low is None else col.low
            high = np.inf if col.high is None else col.high
            outside = finite & ((number < low) | (number > high))
            if col.high is None:
                message = "must be 0 or more" if low == 0 else f"must be at least {low:g}"
            else:
                message = f"must be from {low:g} to {high:g}"
            reason.loc[outside & reason.isna()] = message
        values = number.where(reason.isna())
        return Converted(values.round().astype("Int64") if kind == "int" else values, reason)
    if kind == "bool":
        lowered = text.str.lower()
        values = pd.Series(pd.NA, index=text.index, dtype="boolean")
        values.loc[lowered.isin(TRUE_TOKENS)] = True
        values.loc[lowered.isin(FALSE_TOKENS)] = False
        bad = text.notna() & values.isna()
        return Converted(values, none.mask(bad, "is not yes/no (true/false, 1/0)"))
    if kind == "timezone":
        canonical = text.str.lower().map(_timezones())
        bad = text.notna() & canonical.isna()
        return Converted(canonical, none.mask(bad, "is not an IANA time zone name such as Europe/Berlin or "
                                                   "America/Sao_Paulo"))
    if kind in ("datetime", "date"):
        parsed = parse_times(text, dayfirst=dayfirst, monthfirst=monthfirst)
        if kind == "date":
            return Converted(parsed.wall.dt.normalize(), parsed.reason)
        values, reason = to_utc(parsed, timezone)
        return Converted(values, reason)
    raise ValueError(f"unknown column kind {kind!r}")


# --- the result ----------------------------------------------------------------------------------

REJECT_COLUMNS = ["row", "column", "value", "reason"]


@dataclass
class ImportResult:
    """What an import did (or, in a dry run, would do)."""

    entity: str
    source: str
    rows_read: int = 0
    inserted: int = 0
    # rows whose id already existed (re-imports); `unchanged` of them held the same values and were not written
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    created_members: int = 0
    created_projects: int = 0
    created_surveys: int = 0
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))
    preview: pd.DataFrame = field(default_factory=pd.DataFrame)
    mapping: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    attribute_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    hashed_ids: bool = False
    create_missing: bool = True
    dry_run: bool = False
    strict: bool = False
    committed: bool = False
    scored_texts: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    run_id: int | None = None

    @property
    def accepted(self) -> int:
        return self.inserted + self.updated

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        """One sentence: what was (or would be) written and what was refused."""
        parts = [f"{self.inserted:,} new", f"{self.updated:,} updated"
                 + (f" ({self.unchanged:,} unchanged)" if self.unchanged else ""), f"{self.rejected:,} rejected"]
        text = f"{self.rows_read:,} rows read: {', '.join(parts)}."
        created = [f"{n:,} {what if n == 1 else what + 's'}"
                   for n, what in ((self.created_members, "tasker"), (self.created_projects, "project"),
                                   (self.created_surveys, "survey")) if n]
        if created:
            text += f" Created for unknown references: {', '.join(created)}."
        if self.dry_run:
            text += " Dry run: nothing was written."
        elif self.strict and not self.committed and self.rejected:
            text += " Strict: nothing was written."
        return text


# --- writing -------------------------------------------------------------------------------------

REFERENCE_TABLES = {"member": (models.Member, "member_id"), "project": (models.Project, "project_id"),
                    "survey": (models.Survey, "survey_id")}


def _model_default(model: type, name: str) -> Any:
    info = model.model_fields[name]
    return info.get_default(call_default_factory=True)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _existing_ids(conn: Connection, table: Table, column: str, values: list[str]) -> set[str]:
    found: set[str] = set()
    col = table.c[column]
    for start in range(0, len(values), LOOKUP_BATCH):
        batch = values[start:start + LOOKUP_BATCH]
        found.update(conn.execute(select(col).where(col.in_(batch))).scalars())
    return found


def _fetch_rows(conn: Connection, table: Table, key: str, values: list[str], columns: list[str]) -> pd.DataFrame:
    rows = []
    cols = [table.c[key], *(table.c[c] for c in columns)]
    for start in range(0, len(values), LOOKUP_BATCH):
        batch = values[start:start + LOOKUP_BATCH]
        rows.extend(conn.execute(select(*cols).where(table.c[key].in_(batch))).all())
    return pd.DataFrame(rows, columns=[key, *columns]).set_index(key) if rows else pd.DataFrame(
        columns=[key, *columns]).set_index(key)


class _Stage:
    """A temporary table shaped like the target, through which one chunk is classified and upserted."""

    NAME = "_cp_import_stage"

    def __init__(self, conn: Connection, target: Table, columns: list[str]):
        self.conn, self.target, self.columns = conn, target, columns
        self.dialect = conn.dialect.name
        self.table = Table(self.NAME, MetaData(), *(SAColumn(c, target.c[c].type) for c in columns),
                           SAColumn("_row", Integer()))
        self.drop()
        cols = ", ".join(_quote(c) for c in columns)
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {self.NAME} AS SELECT {cols}, 0 AS _row "
                             f"FROM {_quote(target.name)} WHERE 1 = 0")

    def drop(self) -> None:
        prefix = "temp." if self.dialect == "sqlite" else ""
        self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {prefix}{self.NAME}")

    def _differs(self, left: str, right: str, column: str) -> str:
        a, b = f"{left}.{_quote(column)}", f"{right}.{_quote(column)}"
        if self.dialect == "postgresql":
            if str(self.target.c[column].type).upper() == "JSON":
                a, b = f"CAST({a} AS TEXT)", f"CAST({b} AS TEXT)"
            return f"{a} IS DISTINCT FROM {b}"
        return f"{a} IS NOT {b}"

    def insert_all(self, frame: pd.DataFrame) -> None:
        """Insert rows known to be new straight into the target (no staging)."""
        bulk_insert(self.conn, self.target, frame.drop(columns="_row"))

    def upsert(self, frame: pd.DataFrame, key: tuple[str, ...], provided: list[str], *, bump_version: bool,
               preview_rows: np.ndarray) -> tuple[dict[int, int], dict[int, int]]:
        """Stage `frame` and upsert it; returns counts per status (0 new, 1 changed, 2 same) and the
        status of each of `preview_rows`."""
        self.conn.exec_driver_sql(f"DELETE FROM {self.NAME}")
        bulk_insert(self.conn, self.table, frame)
        target = _quote(self.target.name)
        join = " AND ".join(f"t.{_quote(k)} = s.{_quote(k)}" for k in key)
        compared = [c for c in provided if c not in key]
        changed = " OR ".join(self._differs("t", "s", c) for c in compared) or "1 = 0"
        status = f"CASE WHEN t.{_quote(key[0])} IS NULL THEN 0 WHEN ({changed}) THEN 1 ELSE 2 END"
        source = f"FROM {self.NAME} s LEFT JOIN {target} t ON {join}"
        counts = dict(self.conn.exec_driver_sql(f"SELECT {status}, COUNT(*) {source} GROUP BY 1").all())
        shown: dict[int, int] = {}
        if len(preview_rows):
            listed = ", ".join(str(int(r)) for r in preview_rows)
            shown = dict(self.conn.exec_driver_sql(f"SELECT s._row, {status} {source} WHERE s._row IN ({listed})").all())
        if compared and counts.get(1):
            assignments = [f"{_quote(c)} = s.{_quote(c)}" for c in compared]
            if bump_version:
                assignments.append(f'"version" = {target}."version" + 1')
            where = " AND ".join(f"{target}.{_quote(k)} = s.{_quote(k)}" for k in key)
            differs = " OR ".join(self._differs(target, "s", c) for c in compared)
            self.conn.exec_driver_sql(f"UPDATE {target} SET {', '.join(assignments)} FROM {self.NAME} s "
                                      f"WHERE {where} AND ({differs})")
        if counts.get(0):
            cols = ", ".join(_quote(c) for c in self.columns)
            exists = " AND ".join(f"t.{_quote(k)} = s.{_quote(k)}" for k in key)
            self.conn.exec_driver_sql(
                f"INSERT INTO {target} ({cols}) SELECT {', '.join('s.' + _quote(c) for c in self.columns)} "
                f"FROM {self.NAME} s WHERE NOT EXISTS (SELECT 1 FROM {target} t WHERE {exists})")
        return counts, shown


def _hash_ids(frame_text: dict[str, pd.Series], index) -> pd.Series:
    names = sorted(frame_text)
    if not names:
        return pd.Series("", index=index, dtype="str")
    joined = None
    for name in names:
        part = name + "=" + frame_text[name].fillna("")
        joined = part if joined is None else joined + "\x1f" + part
    ids = [hashlib.blake2b(v.encode("utf-8"), digest_size=8).hexdigest() for v in joined.tolist()]
    return pd.Series(pd.array(ids, dtype="str"), index=index)


@dataclass
class _Seen:
    """Key hashes of earlier chunks, to reject a row repeating an id seen before in the same file."""

    hashes: list[np.ndarray] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)

    def first_rows(self, hashes: np.ndarray) -> np.ndarray:
        out = np.zeros(len(hashes), dtype="int64")
        for seen, rows in zip(self.hashes, self.rows):
            pos = np.searchsorted(seen, hashes)
            pos = np.minimum(pos, len(seen) - 1)
            hit = (seen[pos] == hashes) & (out == 0)
            out[hit] = rows[pos[hit]]
        return out

    def add(self, hashes: np.ndarray, rows: np.ndarray) -> None:
        if len(hashes):
            order = np.argsort(hashes, kind="stable")
            self.hashes.append(hashes[order])
            self.rows.append(rows[order])


# The day column whose earliest value an import reports to the roll-ups (`core.rollups.refresh`).
ROLLUP_DAY_COLUMNS = {"activity": "day", "queue_items": "created_at", "feedback": "created_at",
                      "survey_responses": "submitted_at", "members": "signed_up_at"}


class _Importer:
    """One import run over a table: converts chunks and writes them through one connection."""

    def __init__(self, conn: Connection, spec: Entity, plan: Plan, result: ImportResult, *, dayfirst: bool,
                 monthfirst: bool, timezone: str | None, create_missing: bool, dry_run: bool):
        self.conn, self.spec, self.plan, self.result = conn, spec, plan, result
        self.dayfirst, self.monthfirst, self.timezone = dayfirst, monthfirst, timezone
        self.create_missing, self.dry_run = create_missing, dry_run
        self.table = spec.model.__table__
        self.seen = _Seen()
        self.touched: set[str] = set()  # the written rows' first key (member, item, message…), for roll-ups
        self.earliest: dt.date | None = None  # the earliest day among the written rows
        # Referenced ids found or created so far: each is looked up once per import, not once per chunk.
        self.known: dict[str, set[str]] = {"member": set(), "project": set(), "survey": set()}
        self.rejects: list[pd.DataFrame] = []
        self.preview: list[pd.DataFrame] = []
        self.unmatched_emails = 0
        self._themes: list | None = None
        # Rows this import inserted without staging: days (activity) or the whole table, when they
        # held nothing before the import. In-file duplicates are already gone, so these cannot clash.
        self.fresh_days: set = set()
        self.fresh_table: bool | None = None
        provided = [c for c in spec.names if (c in plan.mapping or c in plan.constants)
                    and not spec.column(c).lookup_only]
        if plan.hashed_id:
            provided.insert(0, spec.key[0])
        if spec.scored_text and spec.scored_text in provided:
            provided += ["sentiment", "language", "themes"]
        if spec.has_attributes and plan.attribute_columns:
            provided.append("attributes")
        if "email" in plan.mapping and spec.column("email").lookup_only and "member_id" not in provided:
            provided.append("member_id")
        self.provided = provided
        model_columns = [c.name for c in self.table.columns]
        self.columns = [c for c in model_columns if c in provided or not self.table.c[c].nullable
                        or c in spec.key]
        self.stage = _Stage(conn, self.table, self.columns)

    # -- rejects ----------------------------------------------------------------------------------

    def _reject(self, rows, column: str, values, reason) -> None:
        rows = np.asarray(rows)
        if len(rows) == 0:
            return
        self.rejects.append(pd.DataFrame({
            "row": rows.astype("int64"), "column": column,
            "value": pd.array(["" if v is None or v is pd.NA else str(v)[:200] for v in values], dtype="str"),
            "reason": reason if isinstance(reason, str) else pd.array(list(reason), dtype="str"),
        }))

    # -- one chunk --------------------------------------------------------------------------------

    def run_chunk(self, chunk: Chunk) -> None:
        raw = chunk.frame
        result, spec, plan = self.result, self.spec, self.plan
        result.rows_read += len(raw) + len({r for r, *_ in chunk.broken})
        for row, column, value, reason in chunk.broken:
            self._reject([row], column, [value], reason)
        if raw.empty:
            return
        index = raw.index
        texts: dict[str, pd.Series] = {}
        sources: dict[str, str] = {}
        for target, source in plan.mapping.items():
            texts[target] = text_values(raw[source])
            sources[target] = source
        for target, value in plan.constants.items():
            constant = value.strip() or None
            texts[target] = pd.Series(pd.array([constant] * len(raw), dtype="str"), index=index)
            sources[target] = f"{target} (fixed value)"
        if plan.hashed_id:
            texts[spec.key[0]] = _hash_ids({k: v for k, v in texts.items()}, index)
            sources[spec.key[0]] = f"{spec.key[0]} (computed)"

        bad = pd.Series(False, index=index)
        typed: dict[str, pd.Series] = {}
        for name, text in texts.items():
            col = spec.column(name)
            converted = convert_column(col, text, dayfirst=self.dayfirst, monthfirst=self.monthfirst,
                                       timezone=self.timezone)
            problem = converted.reason.notna()
            if problem.any():
                self._reject(index[problem], sources[name], text[problem].tolist(),
                             (name + " " + converted.reason[problem].astype(str)).tolist())
                bad |= problem
            if col.required:
                empty = converted.values.isna() & ~problem
                if empty.any():
                    self._reject(index[empty], sources[name], [""] * int(empty.sum()), f"{name} is required")
                    bad |= empty
            typed[name] = converted.values
        bad |= self._cross_checks(typed, sources, bad)

        frame = pd.DataFrame(typed, index=index)
        if plan.attribute_columns:
            frame["attributes"] = _attributes(raw, plan.attribute_columns)
        frame = frame.loc[~bad.to_numpy()]
        frame = self._drop_duplicates(frame)
        frame = self._resolve_emails(frame)
        frame = self._check_references(frame)
        if frame.empty:
            return
        self._finish_and_write(frame)

    def _cross_checks(self, typed: dict[str, pd.Series], sources: dict[str, str], bad: pd.Series) -> pd.Series:
        flagged = pd.Series(False, index=bad.index)
        if self.spec.name == "queue_items" and "created_at" in typed:
            created = typed["created_at"]
            for later in ("first_response_at", "resolved_at"):
                if later in typed:
                    early = (typed[later] < created).fillna(False).astype(bool) & ~bad & ~flagged
                    if early.any():
                        self._reject(early[early].index, sources[later], typed[later][early].astype(str).tolist(),
                                     f"{later} is before created_at")
                        flagged |= early
        if self.spec.name == "survey_responses":
            answers = [typed[c] for c in ("score", "csat", "comment") if c in typed]
            if answers:
                empty = pd.concat(answers, axis=1).isna().all(axis=1) & ~bad
            else:
                empty = ~bad
            if empty.any():
                self._reject(empty[empty].index, "score/csat/comment", [""] * int(empty.sum()),
                             "the response has no score, CSAT or comment")
                flagged |= empty
        return flagged

    def _drop_duplicates(self, frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:
            return frame
        key = list(self.spec.key)
        keys = frame[key].copy()
        for k in key:
            if pd.api.types.is_datetime64_any_dtype(keys[k]):
                keys[k] = keys[k].dt.strftime("%Y-%m-%d")
        hashes = pd.util.hash_pandas_object(keys, index=False).to_numpy()
        rows = frame.index.to_numpy()
        earlier = self.seen.first_rows(hashes)
        inside = pd.Index(hashes).duplicated(keep="first")
        if inside.any():
            first = {h: r for h, r, d in zip(hashes, rows, inside) if not d}
            earlier = np.where(inside & (earlier == 0), [first.get(h, 0) for h in hashes], earlier)
        dup = earlier > 0
        if dup.any():
            label = self.spec.key[0] if len(key) == 1 else "+".join(key)
            values = keys[dup].astype(str).agg(" / ".join, axis=1).tolist()
            self._reject(rows[dup], label, values, [f"duplicate: the same {label} is already on row {r}"
                                                    for r in earlier[dup]])
        self.seen.add(hashes[~dup], rows[~dup])
        return frame.loc[~dup]

    def _resolve_emails(self, frame: pd.DataFrame) -> pd.DataFrame:
        if "email" not in frame.columns or not self.spec.column("email").lookup_only:
            return frame
        email = frame.pop("email")
        if "member_id" not in frame.columns:
            frame["member_id"] = pd.Series(pd.NA, index=frame.index, dtype="str")
        wanted = email.notna() & frame["member_id"].isna()
        if wanted.any():
            lowered = email[wanted].str.lower()
            member = models.Member.__table__
            found: dict[str, str] = {}
            values = sorted(set(lowered.tolist()))
            for start in range(0, len(values), LOOKUP_BATCH):
                batch = values[start:start + LOOKUP_BATCH]
                found.update({e.lower(): m for m, e in self.conn.execute(
                    select(member.c.member_id, member.c.email).where(func.lower(member.c.email).in_(batch)))})
            matched = lowered.map(found)
            frame["member_id"] = frame["member_id"].astype(object)
            frame.loc[wanted, "member_id"] = matched.astype(object).where(matched.notna(), None)
            self.unmatched_emails += int(matched.isna().sum())
        return frame

    def _check_references(self, frame: pd.DataFrame) -> pd.DataFrame:
        for column, kind in self.spec.references:
            if column not in frame.columns or frame.empty:
                continue
            wanted = sorted(set(frame[column].dropna().unique().tolist()) - self.known[kind])
            model, key = REFERENCE_TABLES[kind]
            found = _existing_ids(self.conn, model.__table__, key, wanted)
            self.known[kind] |= found
            missing = sorted(set(wanted) - found)
            if not missing:
                continue
            if self.create_missing or kind == "survey":
                self._create_minimal(kind, missing)
            else:
                unknown = frame[column].isin(missing)
                noun = {"member": "tasker", "project": "project"}[kind]
                self._reject(frame.index[unknown], self.plan.mapping.get(column, column),
                             frame.loc[unknown, column].tolist(),
                             f"{column} is not a known {noun} (allow creating missing {noun}s to add it)")
                frame = frame.loc[~unknown.to_numpy()]
        return frame

    def _create_minimal(self, kind: str, ids: list[str]) -> None:
        model, key = REFERENCE_TABLES[kind]
        if kind == "member":
            rows = pd.DataFrame({"member_id": ids, "status": "active", "is_staff": False, "is_bot": False,
                                 "attributes": [{} for _ in ids]})
            self.result.created_members += len(ids)
        elif kind == "project":
            rows = pd.DataFrame({"project_id": ids, "name": ids, "status": "live", "attributes": [{} for _ in ids]})
            self.result.created_projects += len(ids)
        else:
            rows = pd.DataFrame({"survey_id": ids, "title": ids, "kind": "nps"})
            self.result.created_surveys += len(ids)
        bulk_insert(self.conn, model.__table__, rows)
        self.known[kind].update(ids)

    def _existing(self, frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        key = self.spec.key[0]
        return _fetch_rows(self.conn, self.table, key, frame[key].tolist(), columns)

    def _finish_and_write(self, frame: pd.DataFrame) -> None:
        spec = self.spec
        if "attributes" in frame.columns:
            old = self._existing(frame, ["attributes"])
            if not old.empty:
                before = frame[spec.key[0]].map(old["attributes"])
                frame["attributes"] = [({**b, **a} if isinstance(b, dict) else a)
                                       for a, b in zip(frame["attributes"], before)]
        if spec.scored_text and spec.scored_text in frame.columns:
            self._score(frame)
        if spec.name == "projects":  # a project needs a name; its id is the best stand-in
            frame["name"] = frame["name"].fillna(frame["project_id"]) if "name" in frame else frame["project_id"]
        stage = pd.DataFrame(index=frame.index)
        for name in self.columns:
            default = _model_default(spec.model, name)
            if name in frame.columns:
                values = frame[name]
                if not self.table.c[name].nullable and values.isna().any():
                    values = values.astype(object).where(values.notna(), default)
            elif isinstance(default, (dict, list)):
                values = pd.Series([type(default)() for _ in range(len(frame))], index=frame.index, dtype=object)
            else:
                values = pd.Series([default] * len(frame), index=frame.index, dtype=object)
            stage[name] = values
        stage["_row"] = frame.index.to_numpy()
        self._note_touched(frame)
        shown = sum(len(p) for p in self.preview)
        preview_rows = frame.index.to_numpy()[: max(PREVIEW_ROWS - shown, 0)]
        if self._cannot_overlap(frame):
            counts, statuses = {0: len(frame)}, {int(r): 0 for r in preview_rows}
            self.stage.insert_all(stage)
        else:
            counts, statuses = self.stage.upsert(stage, spec.key, self.provided, preview_rows=preview_rows,
                                                 bump_version="version" in self.table.columns)
        self.result.inserted += counts.get(0, 0)
        self.result.updated += counts.get(1, 0) + counts.get(2, 0)
        self.result.unchanged += counts.get(2, 0)
        if len(preview_rows):
            take = frame.loc[preview_rows].copy()
            for column in take.columns:
                if column in spec.names and spec.column(column).kind == "date":
                    take[column] = take[column].dt.date
            take.insert(0, "action", [{0: "new", 1: "update", 2: "unchanged"}[statuses.get(int(r), 0)]
                                      for r in preview_rows])
            self.preview.append(take.reset_index())

    def _cannot_overlap(self, frame: pd.DataFrame) -> bool:
        """True when no row stored before this import can share an id with these rows.

        Then they are inserted directly, skipping the staging round trip (about half the cost of a
        first import). Daily activity usually arrives day by day, so for it the test is per day.
        """
        table = self.table
        if self.spec.name == "activity":
            days = {day.date() for day in frame["day"].unique()}
            check = sorted(days - self.fresh_days)
            if check and self.conn.execute(select(table.c.day).where(table.c.day.in_(check)).limit(1)).first():
                return False
            self.fresh_days |= days
            return True
        if self.fresh_table is None:
            self.fresh_table = self.conn.execute(select(table.c[self.spec.key[0]]).limit(1)).first() is None
        return self.fresh_table

    def _taxonomy(self) -> list:
        """The starting themes plus those the team adopted (read once per import)."""
        if self._themes is None:
            from core.feedback import themes
            from core.feedback.triage import CUSTOM_THEMES_KEY
            adopted = self.conn.execute(select(models.Setting.value).where(models.Setting.key == CUSTOM_THEMES_KEY)).scalar()
            self._themes = themes.taxonomy_with(adopted or [])
        return self._themes

    def _score(self, frame: pd.DataFrame) -> None:
        """Sentiment, language and themes for texts that are new or changed; stored ones are reused."""
        from core.feedback import sentiment, themes

        column = self.spec.scored_text
        texts = frame[column].tolist()
        keys = frame[self.spec.key[0]].tolist()
        stored = self._existing(frame, [column, "sentiment", "language", "themes"])
        stored = {k: row for k, row in zip(stored.index, stored.itertuples(index=False))}
        n = len(frame)
        compound: list[Any] = [None] * n
        language: list[Any] = [None] * n
        found: list[list] = [[] for _ in range(n)]
        todo = []
        for i, (key, text) in enumerate(zip(keys, texts)):
            if not isinstance(text, str):
                continue  # a blank comment has no sentiment (not a neutral one)
            old = stored.get(key)
            if old is not None and getattr(old, column) == text:
                compound[i], language[i], found[i] = old.sentiment, old.language, list(old.themes or [])
            else:
                todo.append(i)
        if todo and not self.dry_run:
            values = [texts[i] for i in todo]
            scores, languages = sentiment.score_texts(values)
            matched = themes.match_themes_many(values, self._taxonomy())
            for j, i in enumerate(todo):
                compound[i] = None if np.isnan(scores[j]) else float(scores[j])
                language[i], found[i] = languages[j], matched[j]
            self.result.scored_texts += len(todo)
        frame["sentiment"] = pd.Series(compound, index=frame.index, dtype=object)
        frame["language"] = pd.Series(language, index=frame.index, dtype=object)
        frame["themes"] = pd.Series(found, index=frame.index, dtype=object)

    def _note_touched(self, frame: pd.DataFrame) -> None:
        self.touched.update(frame[self.spec.key[0]].astype(str).unique().tolist())
        column = ROLLUP_DAY_COLUMNS.get(self.spec.name)
        if column in frame.columns:
            days = pd.to_datetime(frame[column], utc=True, errors="coerce").dropna()
            if len(days):
                first = days.min().date()
                self.earliest = first if self.earliest is None else min(self.earliest, first)

    def finish(self) -> None:
        self.stage.drop()
        result = self.result
        rejects = pd.concat(self.rejects, ignore_index=True) if self.rejects else pd.DataFrame(columns=REJECT_COLUMNS)
        result.rejects = rejects.sort_values("row", kind="stable").reset_index(drop=True)
        result.rejected = int(rejects["row"].nunique()) if len(rejects) else 0
        result.preview = pd.concat(self.preview, ignore_index=True) if self.preview else pd.DataFrame()
        if self.unmatched_emails:
            result.warnings.append(f"{self.unmatched_emails:,} rows had an email that matches no tasker; they were "
                                   "imported without a member.")


def _attributes(raw: pd.DataFrame, columns: list[str]) -> list[dict]:
    keys = {c: _attribute_key(c) for c in columns}
    texts = {c: text_values(raw[c]).tolist() for c in columns}
    out = []
    for i in range(len(raw)):
        out.append({keys[c]: texts[c][i] for c in columns if isinstance(texts[c][i], str)})
    return out


def _attribute_key(name: str) -> str:
    return (normalise_header(name).replace(" ", "_") or "column")[:64]


# --- running an import ---------------------------------------------------------------------------


def import_file(engine: Engine, entity: str, source: Any, *, filename: str | None = None,
                encoding: str | None = None, delimiter: str | None = None, sheet: str | None = None,
                chunk_rows: int = CHUNK_ROWS, **options) -> ImportResult:
    """Import a CSV or XLSX file (path, bytes or binary file object) into `entity`."""
    binary_name = filename or (Path(source).name if isinstance(source, (str, Path)) else getattr(source, "name", None))
    label = options.pop("source", None) or f"file:{binary_name or 'upload'}"
    return _run(engine, entity, lambda: open_table(source, filename=filename, encoding=encoding,
                                                   delimiter=delimiter, sheet=sheet, chunk_rows=chunk_rows),
                source=label, **options)


def import_frame(engine: Engine, entity: str, frame: pd.DataFrame, *, source: str = "frame",
                 chunk_rows: int = CHUNK_ROWS, **options) -> ImportResult:
    """Import a DataFrame (e.g. a worksheet) into `entity`; an index named 'row' gives the row numbers."""
    return _run(engine, entity, lambda: _frame_reader(frame, source, chunk_rows), source=source, **options)


def _run(engine: Engine, entity: str, open_reader: Callable[[], TableReader], *, source: str,
         mapping: Mapping[str, str | None] | None = None, constants: Mapping[str, Any] | None = None,
         suggest: bool = True, dayfirst: bool = False, monthfirst: bool = False, timezone: str | None = None,
         strict: bool = False, dry_run: bool = False, create_missing: bool = True, record: bool = True,
         progress: Progress | None = None, actor: str = "command line") -> ImportResult:
    started = time.perf_counter()
    started_at = models.utcnow()
    spec = entity_spec(entity)
    result = ImportResult(entity=spec.name, source=source, dry_run=dry_run, strict=strict,
                          create_missing=create_missing)
    report = progress or (lambda _f, _m: None)
    try:
        if dayfirst and monthfirst:
            raise ImportRejected("Choose dayfirst or monthfirst, not both.")
        if timezone is not None and timezone not in _timezones().values():
            raise ImportRejected(f"{timezone!r} is not an IANA time zone name such as Europe/Berlin.")
        reader = open_reader()
        result.warnings.extend(reader.warnings)
        plan = plan_columns(spec, reader.columns, mapping, constants, suggest=suggest)
        result.mapping, result.constants = plan.mapping, plan.constants
        result.attribute_columns, result.ignored_columns = plan.attribute_columns, plan.ignored_columns
        result.hashed_ids = plan.hashed_id
        report(0.0, f"Reading {reader.name}")
        try:
            _write(engine, spec, plan, reader, result, source=source, started_at=started_at, dayfirst=dayfirst,
                   monthfirst=monthfirst, timezone=timezone, create_missing=create_missing, dry_run=dry_run,
                   strict=strict, record=record, report=report, started=started, actor=actor)
        finally:
            reader.close()
        if strict and result.rejected and not dry_run:
            raise RowsRejected(result)
        report(1.0, result.summary())
        return result
    except Exception as exc:
        if record and not dry_run:
            failed = getattr(exc, "result", None) or result
            failed.seconds = time.perf_counter() - started
            try:
                record_run(engine, failed, source=source, started_at=started_at, error=str(exc) or type(exc).__name__)
            except Exception:  # the database itself failing: the original error says more
                pass
        raise


def _write(engine: Engine, spec: Entity, plan: Plan, reader: TableReader, result: ImportResult, *, source: str,
           started_at: dt.datetime, dayfirst: bool, monthfirst: bool, timezone: str | None, create_missing: bool,
           dry_run: bool, strict: bool, record: bool, report: Progress, started: float,
           actor: str = "command line") -> None:
    """Everything written in one transaction: kept, or rolled back for a dry run or a strict failure."""
    with engine.connect() as conn, bulk_write(conn):
        transaction = conn.begin()
        try:
            importer = _Importer(conn, spec, plan, result, dayfirst=dayfirst, monthfirst=monthfirst,
                                 timezone=timezone, create_missing=create_missing, dry_run=dry_run)
            for chunk in reader.chunks:
                importer.run_chunk(chunk)
                report(min(chunk.position, 0.99), f"{result.rows_read:,} rows checked")
            importer.finish()
            if result.rows_read == 0:
                result.warnings.append(f"{reader.name} has a header row but no data rows: nothing to import.")
            result.seconds = time.perf_counter() - started
            if dry_run or (strict and result.rejected):
                transaction.rollback()
                return
            rollups.refresh(conn, spec.name, ids=sorted(importer.touched), since=importer.earliest)
            with Session(bind=conn) as session:
                bump_data_version(session)
                run = _run_record(result, source, started_at, ok=True) if record else None
                if run is not None:
                    session.add(run)
                session.add(models.AuditEvent(actor=actor, action="import", entity=spec.name, entity_id=source,
                                              after={"inserted": result.inserted, "updated": result.updated,
                                                     "rejected": result.rejected}))
                session.flush()
                result.run_id = run.id if run is not None else None
            transaction.commit()
            result.committed = True
        except BaseException:
            if transaction.is_active:
                transaction.rollback()
            raise


def _run_record(result: ImportResult, source: str, started_at: dt.datetime, *, ok: bool,
                error: str | None = None) -> models.SyncRun:
    rejects = result.rejects.head(RUN_REJECTS_CAP)
    return models.SyncRun(
        source=source, entity=result.entity, started_at=started_at, finished_at=models.utcnow(),
        inserted=result.inserted if ok else 0, updated=result.updated if ok else 0, rejected=result.rejected,
        ok=ok, error=error,
        rejects=[{"row": int(r.row), "column": str(r.column), "value": str(r.value), "reason": str(r.reason)}
                 for r in rejects.itertuples()])


def record_run(engine: Engine, result: ImportResult | None, *, source: str, entity: str | None = None,
               started_at: dt.datetime | None = None, error: str | None = None) -> int:
    """Store a failed import or sync in the history (its data was not written); returns the run id."""
    from core.db import session_scope

    result = result or ImportResult(entity=entity or "?", source=source)
    if entity:
        result.entity = entity
    run = _run_record(result, source, started_at or models.utcnow(), ok=error is None, error=error)
    with session_scope(engine) as session:
        session.add(run)
        bump_data_version(session)
        session.flush()
        return run.id


def rejects_csv(result: ImportResult) -> bytes:
    """The rejected rows as a CSV download (formula-like cells neutralised)."""
    from core.exports import to_safe_csv

    return to_safe_csv(result.rejects)


def describe_entity(entity: str) -> pd.DataFrame:
    """The canonical columns of an entity: name, whether required, what kind of value."""
    spec = entity_spec(entity)
    kinds = {"id": "text id", "text": "text", "lower": "text", "upper": "text", "email": "email",
             "int": "whole number", "float": "number", "bool": "yes/no", "datetime": "date and time",
             "date": "date", "timezone": "IANA time zone"}
    rows = []
    for col in spec.columns:
        kind = kinds[col.kind]
        if col.low is not None and col.high is not None:
            kind += f" {col.low:g}-{col.high:g}"
        required = col.required and not (spec.hash_id and col.name == spec.key[0])
        rows.append({"column": col.name, "required": required, "kind": kind})
    return pd.DataFrame(rows)
