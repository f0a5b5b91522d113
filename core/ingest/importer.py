"""Importing a table into an entity (DESIGN §5), for the Data page, the CLI and Sheets sync.

A table (CSV, XLSX or a DataFrame from Sheets) is read in chunks (`read`), its columns are mapped
onto the entity's canonical columns (`contract`), every value is checked (`parse`), and the valid
rows are upserted on the entity's id (`store`), each chunk as its own committed batch so that other
writers get SQLite's write lock between batches; an import that fails takes its committed batches back (`undo`), so it leaves stored data and roll-ups as they were; a
strict import checks every row before writing any, and a dry run writes only its staging table. Rejected rows are listed with their row number as a
spreadsheet shows it (the header is row 1, so the first data row is row 2), the column and why.
"""

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from core import models
from core.people import require
from core.db import bulk_write, write_batch
from core.errors import ImportRejected
from core.ingest.contract import Entity, Plan, entity_spec, header_scorer, normalise_header, plan_columns
from core.ingest.parse import convert_column, hashed_ids, is_time_zone, text_values
from core.ingest.read import CHUNK_ROWS, Chunk, TableReader, frame_reader, open_table
from core.ingest.result import REJECT_COLUMNS, ImportResult, RowsRejected, rejects_csv  # noqa: F401 (public here)
from core.ingest.store import TableWriter, save_run

PREVIEW_ROWS = 20
# Rows written per committed batch: at the large scale ~0.3 s of SQLite's write lock each, so other writers
# wait well under a second (a chunk is read and checked whole, then written in parts of this size).
WRITE_ROWS = 25_000
# Between two batches (write parts, roll-up steps), a pause this long after one that held the write lock longer:
# SQLite's busy handler polls every 100 ms at most, so back to back a waiting writer missed 3-4 batches at large.
WRITE_GAP_SECONDS = 0.1
# Rejects kept with the sync history (the full list goes to the result and the CSV).
RUN_REJECTS_CAP = 100

Progress = Callable[[float, str], None]
WAITED = ("This import waited for another write (an import, a sync or a change on a page) to finish before "
          "writing; nothing was lost.")


# --- checking chunks -----------------------------------------------------------------------------


@dataclass
class _Seen:
    """Key hashes of earlier chunks, to reject a row repeating an id seen before in the same file."""

    hashes: list[np.ndarray] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)

    def first_rows(self, hashes: np.ndarray) -> np.ndarray:
        """For each key hash, the row it was first seen on in an earlier chunk (0 when new)."""
        out = np.zeros(len(hashes), dtype="int64")
        for seen, rows in zip(self.hashes, self.rows):
            pos = np.searchsorted(seen, hashes)
            pos = np.minimum(pos, len(seen) - 1)
            hit = (seen[pos] == hashes) & (out == 0)
            out[hit] = rows[pos[hit]]
        return out

    def add(self, hashes: np.ndarray, rows: np.ndarray) -> None:
        """Remember a chunk's key hashes and their rows."""
        if len(hashes):
            order = np.argsort(hashes, kind="stable")
            self.hashes.append(hashes[order])
            self.rows.append(rows[order])


class _Import:
    """One import run over a table: checks each chunk's values and hands the valid rows to the writer."""

    def __init__(self, conn: Connection, spec: Entity, plan: Plan, result: ImportResult, *, dayfirst: bool,
                 monthfirst: bool, timezone: str | None, create_missing: bool, dry_run: bool,
                 blank_clears: bool = False):
        self.spec, self.plan, self.result = spec, plan, result
        self.dayfirst, self.monthfirst, self.timezone = dayfirst, monthfirst, timezone
        self.seen = _Seen()
        self.refreshed: list[Callable[[], None]] = []  # roll-up steps committed for this import's rows
        self.rejects: list[pd.DataFrame] = []
        self.preview: list[pd.DataFrame] = []
        self.first_rows: np.ndarray | None = None  # the chunk's first rows in file order, shown in the preview
        self.writer = TableWriter(conn, spec, plan, create_missing=create_missing, dry_run=dry_run,
                                  blank_clears=blank_clears, reject=self._reject)

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

    def check(self, chunk: Chunk) -> pd.DataFrame | None:
        """A chunk's rows with every value checked (no database needed); what is wrong is rejected."""
        raw = chunk.frame
        self.result.rows_read += len(raw) + len({r for r, *_ in chunk.broken})
        for row, column, value, reason in chunk.broken:
            self._reject([row], column, [value], reason)
        if raw.empty:
            return None
        texts, sources = self._texts(raw)
        typed, bad = self._typed(texts, sources, raw.index)
        bad |= self._cross_checks(typed, sources, bad)

        frame = pd.DataFrame(typed, index=raw.index)
        if self.plan.attribute_columns:
            frame["attributes"] = _attributes(raw, self.plan.attribute_columns)
        frame = frame.loc[~bad.to_numpy()]
        frame = self._drop_duplicates(frame)
        return None if frame.empty else frame

    def store(self, frame: pd.DataFrame) -> None:
        """Resolve emails and references of checked rows and write them (inside the batch's transaction)."""
        frame = self.writer.resolve_emails(frame)
        frame = self.writer.check_references(frame)
        if not frame.empty:
            self._write(self.writer.complete(frame))

    def in_key_order(self, frame: pd.DataFrame | None) -> pd.DataFrame | None:
        """A checked chunk's rows sorted by the entity's key (row numbers kept), so that each batch inserts
        neighbouring index entries: a tasker's days of one chunk land on one index page, written once."""
        if frame is None or len(frame) < 2:
            return frame
        self.first_rows = np.sort(frame.index.to_numpy())[: PREVIEW_ROWS]
        return frame.sort_values(list(self.spec.key), kind="stable")

    def run_chunk(self, chunk: Chunk) -> None:
        """Check a chunk, reject what is wrong and write the rest."""
        frame = self.check(chunk)
        if frame is not None:
            self.store(frame)

    def _texts(self, raw: pd.DataFrame) -> tuple[dict[str, pd.Series], dict[str, str]]:
        """Each canonical column's text (mapped, fixed or a computed id) and where it came from, for rejects."""
        spec, plan, index = self.spec, self.plan, raw.index
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
            texts[spec.key[0]] = hashed_ids({k: v for k, v in texts.items()}, index)
            sources[spec.key[0]] = f"{spec.key[0]} (computed)"
        return texts, sources

    def _typed(self, texts: dict[str, pd.Series], sources: dict[str, str],
               index: pd.Index) -> tuple[dict[str, pd.Series], pd.Series]:
        """Each column's typed values, and which rows had a value refused or a required one missing."""
        bad = pd.Series(False, index=index)
        typed: dict[str, pd.Series] = {}
        for name, text in texts.items():
            col = self.spec.column(name)
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
        return typed, bad

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

    def _write(self, frame: pd.DataFrame) -> None:
        spec, result = self.spec, self.result
        shown = sum(len(p) for p in self.preview)
        rows = frame.index.to_numpy()
        if self.first_rows is not None:  # a chunk written in key order: its first rows in file order
            rows = rows[np.isin(rows, self.first_rows)]
            rows.sort()
        preview_rows = rows[: PREVIEW_ROWS if shown < PREVIEW_ROWS else 0]
        counts, statuses = self.writer.write(frame, preview_rows)
        result.inserted += counts.get(0, 0)
        result.updated += counts.get(1, 0) + counts.get(2, 0)
        result.unchanged += counts.get(2, 0)
        if len(preview_rows):
            take = frame.loc[preview_rows].copy()
            for column in take.columns:
                if column in spec.names and spec.column(column).kind == "date":
                    take[column] = take[column].dt.date
            take.insert(0, "action", [{0: "new", 1: "update", 2: "unchanged"}[statuses.get(int(r), 0)]
                                      for r in preview_rows])
            self.preview.append(take.reset_index())

    def finish(self) -> None:
        """Drop the staging table and gather the rejects, the preview and the counts into the result."""
        writer, result = self.writer, self.result
        writer.drop_stage()
        rejects = pd.concat(self.rejects, ignore_index=True) if self.rejects else pd.DataFrame(columns=REJECT_COLUMNS)
        result.rejects = rejects.sort_values("row", kind="stable").reset_index(drop=True)
        result.rejected = int(rejects["row"].nunique()) if len(rejects) else 0
        result.preview = pd.concat(self.preview, ignore_index=True) if self.preview else pd.DataFrame()
        if "row" in result.preview.columns:
            result.preview = result.preview.sort_values("row", kind="stable").head(PREVIEW_ROWS).reset_index(drop=True)
        result.created_members, result.created_projects, result.created_surveys = (
            writer.created["member"], writer.created["project"], writer.created["survey"])
        result.scored_texts = writer.scored_texts
        if writer.unmatched_emails:
            result.warnings.append(f"{writer.unmatched_emails:,} rows had an email that matches no tasker; they were "
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
    scorer = header_scorer(entity)
    return _run(engine, entity, lambda: open_table(source, filename=filename, encoding=encoding,
                                                   delimiter=delimiter, sheet=sheet, chunk_rows=chunk_rows,
                                                   header_score=scorer),
                source=label, **options)


def import_frame(engine: Engine, entity: str, frame: pd.DataFrame, *, source: str = "frame",
                 chunk_rows: int = CHUNK_ROWS, **options) -> ImportResult:
    """Import a DataFrame (e.g. a worksheet) into `entity`; an index named 'row' gives the row numbers."""
    return _run(engine, entity, lambda: frame_reader(frame, source, chunk_rows), source=source, **options)


def _run(engine: Engine, entity: str, open_reader: Callable[[], TableReader], *, source: str,
         mapping: Mapping[str, str | None] | None = None, constants: Mapping[str, Any] | None = None,
         suggest: bool = True, dayfirst: bool = False, monthfirst: bool = False, timezone: str | None = None,
         strict: bool = False, dry_run: bool = False, create_missing: bool = True, record: bool = True,
         blank_clears: bool = False, progress: Progress | None = None, actor: str = "command line") -> ImportResult:
    if not dry_run:  # a dry run writes nothing, so anyone who may open the page may check a file
        require(engine, actor, "specialist", "import data")
    started = time.perf_counter()
    started_at = models.utcnow()
    spec = entity_spec(entity)
    result = ImportResult(entity=spec.name, source=source, dry_run=dry_run, strict=strict,
                          create_missing=create_missing, blank_clears=blank_clears)
    report = progress or (lambda _f, _m: None)
    try:
        if dayfirst and monthfirst:
            raise ImportRejected("Choose dayfirst or monthfirst, not both.")
        if timezone is not None and not is_time_zone(timezone):
            raise ImportRejected(f"{timezone!r} is not an IANA time zone name such as Europe/Berlin.")
        options = dict(dayfirst=dayfirst, monthfirst=monthfirst, timezone=timezone, create_missing=create_missing,
                       blank_clears=blank_clears)
        if strict and not dry_run:
            # All or nothing while writing in batches: every row is checked first, writing nothing.
            checked = _pass(engine, spec, open_reader, mapping, constants, suggest,
                            ImportResult(entity=spec.name, source=source, strict=True, dry_run=True), options,
                            report, started=started, dry_run=True)
            if checked.rejected:
                checked.dry_run = False
                raise RowsRejected(checked)
        _pass(engine, spec, open_reader, mapping, constants, suggest, result, options, report, started=started,
              dry_run=dry_run, record=record, source=source, started_at=started_at, actor=actor)
        if strict and result.rejected and not dry_run:
            raise RowsRejected(result)
        report(1.0, result.summary())
        return result
    except Exception as exc:
        failed = getattr(exc, "result", None) or result
        if record and not dry_run and failed.run_id is None:
            failed.seconds = time.perf_counter() - started
            try:
                record_run(engine, failed, source=source, started_at=started_at, error=str(exc) or type(exc).__name__)
            except Exception:  # the database itself failing: the original error says more
                pass
        raise


def _pass(engine: Engine, spec: Entity, open_reader: Callable[[], TableReader], mapping, constants, suggest: bool,
          result: ImportResult, options: dict, report: Progress, *, started: float, dry_run: bool,
          record: bool = False, source: str = "", started_at: dt.datetime | None = None,
          actor: str = "command line") -> ImportResult:
    """One pass over the table: plan its columns, then check (and unless a dry run, write) every chunk."""
    reader = open_reader()
    try:
        result.warnings.extend(reader.warnings)
        plan = plan_columns(spec, reader.columns, mapping, constants, suggest=suggest)
        result.mapping, result.constants = plan.mapping, plan.constants
        result.attribute_columns, result.ignored_columns = plan.attribute_columns, plan.ignored_columns
        result.hashed_ids, result.guessed = plan.hashed_id, plan.guessed
        report(0.0, f"Reading {reader.name}")
        with engine.connect() as conn, bulk_write(conn):
            importer = _Import(conn, spec, plan, result, dry_run=dry_run, **options)
            if dry_run:
                _check_only(conn, importer, reader, result, report)
            else:
                _write_batches(conn, importer, reader, result, report, record=record, source=source,
                               started_at=started_at, actor=actor, started=started)
        result.seconds = time.perf_counter() - started
        return result
    finally:
        reader.close()


def _check_only(conn: Connection, importer: "_Import", reader: TableReader, result: ImportResult,
                report: Progress) -> None:
    """A dry run: every chunk checked and counted in one transaction that is rolled back (it writes only staging)."""
    try:
        for chunk in reader.chunks:
            importer.run_chunk(chunk)
            report(min(chunk.position, 0.99), f"{result.rows_read:,} rows checked")
        importer.finish()
        _note_empty(reader, result)
    finally:
        conn.rollback()


def _write_batches(conn: Connection, importer: "_Import", reader: TableReader, result: ImportResult,
                   report: Progress, *, record: bool, source: str, started_at: dt.datetime | None, actor: str,
                   started: float) -> None:
    """Each chunk checked outside any lock, then written as its own committed batch; other writers get their
    turn between batches (a 600k-row file held SQLite's write lock for 22 s when it was one transaction)."""
    position = [0.0]

    def waiting(message: str) -> None:
        if WAITED not in result.warnings:
            result.warnings.append(WAITED)
        report(position[0], message)

    try:
        for chunk in reader.chunks:
            frame = importer.in_key_order(importer.check(chunk))
            position[0] = min(chunk.position, 0.99)
            for number, part in enumerate(_write_parts(frame)):
                if number:
                    _let_others_write(conn, held)
                held = time.perf_counter()
                with write_batch(conn, on_wait=waiting):
                    importer.store(part)
                result.batches += 1
            report(position[0], f"{result.rows_read:,} rows checked, {result.accepted:,} written")
        importer.finish()
        _note_empty(reader, result)
        result.seconds = time.perf_counter() - started
        _finish_run(conn, importer, result, source=source, started_at=started_at, actor=actor, record=record,
                    waiting=waiting)
    except Exception as exc:
        if result.batches:  # what earlier batches committed is taken back: a failed import leaves nothing
            _undo(conn, importer, exc, waiting)
        raise
    result.committed = True


def _write_parts(frame: pd.DataFrame | None) -> list[pd.DataFrame]:
    """A chunk's checked rows in parts of at most WRITE_ROWS, each to be written in its own batch."""
    if frame is None:
        return []
    if len(frame) <= WRITE_ROWS:
        return [frame]
    return [frame.iloc[start:start + WRITE_ROWS].copy() for start in range(0, len(frame), WRITE_ROWS)]


def _let_others_write(conn: Connection, held_since: float) -> None:
    """On SQLite, after a batch that held the write lock past WRITE_GAP_SECONDS, pause for a waiting writer's poll."""
    if conn.dialect.name == "sqlite" and time.perf_counter() - held_since > WRITE_GAP_SECONDS:
        time.sleep(WRITE_GAP_SECONDS)


def _undo(conn: Connection, importer: "_Import", exc: Exception, waiting: Callable[[str], None]) -> None:
    """Take back the committed batches of a failed import (the roll-ups were not refreshed for them yet)."""
    if conn.invalidated:
        raise ImportRejected(f"{exc} The connection to the database was lost before the rows already written "
                             "could be taken back; importing the file again updates them.") from exc
    if conn.in_transaction():
        conn.rollback()
    with write_batch(conn, on_wait=waiting):
        importer.writer.journal.undo()
    for step in importer.refreshed:  # areas refreshed for the rows just taken back derive them again
        with write_batch(conn, on_wait=waiting):
            step()


def _finish_run(conn: Connection, importer: "_Import", result: ImportResult, *, source: str,
                started_at: dt.datetime | None, actor: str, record: bool, waiting: Callable[[str], None],
                error: str | None = None) -> None:
    """The last transactions: each area's roll-ups refreshed in its own (no single one holds the write lock
    for long), then the data version bumped and the run and the audit event stored."""
    held = 0.0  # the last part was just written: the first step lets a waiting writer in too
    for step in importer.writer.rollup_steps():
        _let_others_write(conn, held)
        held = time.perf_counter()
        with write_batch(conn, on_wait=waiting):
            step()
        importer.refreshed.append(step)
    with write_batch(conn, on_wait=waiting):
        run = _run_record(result, source, started_at or models.utcnow(), ok=error is None, error=error) \
            if record else None
        result.run_id = importer.writer.record(run=run, actor=actor, source=source, after={
            "inserted": result.inserted, "updated": result.updated, "rejected": result.rejected,
            "batches": result.batches, "ok": error is None})
        importer.writer.journal.drop()


def _note_empty(reader: TableReader, result: ImportResult) -> None:
    if result.rows_read == 0:
        result.warnings.append(f"{reader.name} has a header row but no data rows: nothing to import.")


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
    result = result or ImportResult(entity=entity or "?", source=source)
    if entity:
        result.entity = entity
    return save_run(engine, _run_record(result, source, started_at or models.utcnow(), ok=error is None,
                                        error=error))


