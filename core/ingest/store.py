"""Storing checked rows: set-based upserts through a staging table, referenced taskers, projects and surveys
created on the way, stored text scores reused, and on commit the roll-up refresh, the data version, the sync
history and the audit trail.

Writes go through a temporary staging table so that finding existing ids, updating changed rows and
inserting new ones are a few set-based statements per chunk, not one statement per row.
"""

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Column as SAColumn
from sqlalchemy import Connection, Engine, Integer, MetaData, Table, func, select
from sqlmodel import Session

from core import models, rollups
from core.bulk import bulk_insert
from core.db import bump_data_version, session_scope
from core.feedback import sentiment, themes
from core.feedback.triage import CUSTOM_THEMES_KEY
from core.ingest.contract import REFERENCE_TABLES, ROLLUP_DAY_COLUMNS, Entity, Plan
from core.ingest.undo import Journal

# Ids are looked up with IN lists of this size (well under SQLite's 32,766 parameters).
LOOKUP_BATCH = 5_000
# The data area (core.db.AREAS) each import entity writes; every import also records a run and an audit event (admin).
ENTITY_AREAS = {"members": "members", "projects": "projects", "activity": "activity", "queue_items": "queues",
                "feedback": "feedback", "survey_responses": "feedback", "resources": "comms", "roster": "roster",
                "events": "comms"}

# reject(rows, column, values, reason): how the writer refuses rows (an unknown tasker, say)
Reject = Callable[[Any, str, Any, Any], None]


def _model_default(model: type, name: str) -> Any:
    info = model.model_fields[name]
    return info.get_default(call_default_factory=True)


def _filled(values: pd.Series, default: Any) -> pd.Series:
    """Blanks replaced by a column's default (a fresh list or dict for JSON columns)."""
    if isinstance(default, (dict, list)):
        return pd.Series([v if isinstance(v, (dict, list)) else type(default)() for v in values],
                         index=values.index, dtype=object)
    return values.astype(object).where(values.notna(), default)


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
        """Remove the staging table if it exists."""
        prefix = "temp." if self.dialect == "sqlite" else ""
        self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {prefix}{self.NAME}")

    def _differs(self, left: str, right: str, column: str, *, blank_clears: bool = True) -> str:
        """SQL: whether the staged value (`right`) would change the stored one (`left`); a blank staged value
        changes nothing unless blanks clear."""
        a, b = f"{left}.{_quote(column)}", f"{right}.{_quote(column)}"
        if self.dialect == "postgresql":
            if str(self.target.c[column].type).upper() == "JSON":
                a, b = f"CAST({a} AS TEXT)", f"CAST({b} AS TEXT)"
            differs = f"{a} IS DISTINCT FROM {b}"
        else:
            differs = f"{a} IS NOT {b}"
        return differs if blank_clears else f"({b} IS NOT NULL AND {differs})"

    def _assign(self, column: str, blank_clears: bool) -> str:
        if blank_clears:
            return f"{_quote(column)} = s.{_quote(column)}"
        return f"{_quote(column)} = COALESCE(s.{_quote(column)}, {_quote(self.target.name)}.{_quote(column)})"

    def insert_all(self, frame: pd.DataFrame) -> None:
        """Insert rows known to be new straight into the target (no staging)."""
        bulk_insert(self.conn, self.target, frame.drop(columns="_row"))

    def fill_blanks(self, defaults: dict[str, Any]) -> None:
        """Staged blanks of columns that cannot be empty get the column's default (for the rows inserted)."""
        for column, default in defaults.items():
            self.conn.execute(self.table.update().where(self.table.c[column].is_(None)).values({column: default}))

    def upsert(self, frame: pd.DataFrame, key: tuple[str, ...], provided: list[str], *, bump_version: bool,
               preview_rows: np.ndarray, blank_clears: bool = True, defaults: dict[str, Any] | None = None,
               dry_run: bool = False, journal: Journal | None = None) -> tuple[dict[int, int], dict[int, int]]:
        """Stage `frame` and upsert it; returns counts per status (0 new, 1 changed, 2 same) and the
        status of each of `preview_rows`. A dry run only stages (the temporary table takes no write lock)."""
        self.conn.exec_driver_sql(f"DELETE FROM {self.NAME}")
        bulk_insert(self.conn, self.table, frame)
        target = _quote(self.target.name)
        join = " AND ".join(f"t.{_quote(k)} = s.{_quote(k)}" for k in key)
        compared = [c for c in provided if c not in key]
        changed = " OR ".join(self._differs("t", "s", c, blank_clears=blank_clears) for c in compared) or "1 = 0"
        status = f"CASE WHEN t.{_quote(key[0])} IS NULL THEN 0 WHEN ({changed}) THEN 1 ELSE 2 END"
        source = f"FROM {self.NAME} s LEFT JOIN {target} t ON {join}"
        counts = dict(self.conn.exec_driver_sql(f"SELECT {status}, COUNT(*) {source} GROUP BY 1").all())
        shown: dict[int, int] = {}
        if len(preview_rows):
            listed = ", ".join(str(int(r)) for r in preview_rows)
            shown = dict(self.conn.exec_driver_sql(f"SELECT s._row, {status} {source} WHERE s._row IN ({listed})").all())
        if dry_run:
            return counts, shown
        if journal is not None and (counts.get(0) or counts.get(1)):
            journal.note_upsert(self.NAME, changed)
        if compared and counts.get(1):
            assignments = [self._assign(c, blank_clears) for c in compared]
            if bump_version:
                assignments.append(f'"version" = {target}."version" + 1')
            where = " AND ".join(f"{target}.{_quote(k)} = s.{_quote(k)}" for k in key)
            differs = " OR ".join(self._differs(target, "s", c, blank_clears=blank_clears) for c in compared)
            self.conn.exec_driver_sql(f"UPDATE {target} SET {', '.join(assignments)} FROM {self.NAME} s "
                                      f"WHERE {where} AND ({differs})")
        if counts.get(0):
            self.fill_blanks(defaults or {})
            cols = ", ".join(_quote(c) for c in self.columns)
            exists = " AND ".join(f"t.{_quote(k)} = s.{_quote(k)}" for k in key)
            self.conn.exec_driver_sql(
                f"INSERT INTO {target} ({cols}) SELECT {', '.join('s.' + _quote(c) for c in self.columns)} "
                f"FROM {self.NAME} s WHERE NOT EXISTS (SELECT 1 FROM {target} t WHERE {exists})")
        return counts, shown


def provided_columns(spec: Entity, plan: Plan) -> list[str]:
    """The table columns an import with this plan writes (besides those every row needs)."""
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
    return provided


class TableWriter:
    """Writes one import's checked rows into the entity's table through one connection."""

    def __init__(self, conn: Connection, spec: Entity, plan: Plan, *, create_missing: bool, dry_run: bool,
                 reject: Reject, blank_clears: bool = False):
        self.conn, self.spec, self.plan = conn, spec, plan
        self.create_missing, self.dry_run, self.reject = create_missing, dry_run, reject
        # A blank cell in a re-import leaves the stored value as it was, unless the import is asked to clear it.
        self.blank_clears = blank_clears
        self.table = spec.model.__table__
        self.touched: set[str] = set()  # the written rows' first key (member, item, message…), for roll-ups
        self.earliest: dt.date | None = None  # the earliest day among the written rows
        # Referenced ids found or created so far: each is looked up once per import, not once per chunk.
        self.known: dict[str, set[str]] = {"member": set(), "project": set(), "survey": set()}
        self.created: dict[str, int] = {"member": 0, "project": 0, "survey": 0}
        self.unmatched_emails = 0
        self.scored_texts = 0
        self._themes: list | None = None
        # Rows this import inserted without staging: days (activity) or the whole table, when they
        # held nothing before the import. In-file duplicates are already gone, so these cannot clash.
        self.fresh_days: set = set()
        self.fresh_table: bool | None = None
        self.provided = provided_columns(spec, plan)
        model_columns = [c.name for c in self.table.columns]
        self.columns = [c for c in model_columns if c in self.provided or not self.table.c[c].nullable
                        or c in spec.key]
        self.stage = _Stage(conn, self.table, self.columns)
        self.journal = Journal(conn, self.table, spec.key)  # what to take back if the import fails

    def resolve_emails(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rows with an email but no member id get the id of the tasker with that email, if any."""
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

    def check_references(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Create the taskers, projects and surveys the rows name but the database lacks, or reject those rows."""
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
                self.reject(frame.index[unknown], self.plan.mapping.get(column, column),
                            frame.loc[unknown, column].tolist(),
                            f"{column} is not a known {noun} (allow creating missing {noun}s to add it)")
                frame = frame.loc[~unknown.to_numpy()]
        return frame

    def _create_minimal(self, kind: str, ids: list[str]) -> None:
        model, key = REFERENCE_TABLES[kind]
        if kind == "member":
            rows = pd.DataFrame({"member_id": ids, "status": "active", "is_staff": False, "is_bot": False,
                                 "attributes": [{} for _ in ids]})
            self.created["member"] += len(ids)
        elif kind == "project":
            rows = pd.DataFrame({"project_id": ids, "name": ids, "status": "live", "attributes": [{} for _ in ids]})
            self.created["project"] += len(ids)
        else:
            rows = pd.DataFrame({"survey_id": ids, "title": ids, "kind": "nps"})
            self.created["survey"] += len(ids)
        if not self.dry_run:
            bulk_insert(self.conn, model.__table__, rows)
            self.journal.note_created(model.__table__, ids)
        self.known[kind].update(ids)

    def _existing(self, frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        key = self.spec.key[0]
        return _fetch_rows(self.conn, self.table, key, frame[key].tolist(), columns)

    def complete(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows as they will be stored: extras merged into stored attributes, texts scored, names filled."""
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
        return frame

    def write(self, frame: pd.DataFrame, preview_rows: np.ndarray) -> tuple[dict[int, int], dict[int, int]]:
        """Insert or update the completed rows; counts per status (0 new, 1 changed, 2 same) and each preview row's."""
        spec = self.spec
        stage = pd.DataFrame(index=frame.index)
        fresh = self._cannot_overlap(frame)
        blanks: dict[str, Any] = {}  # columns that cannot be empty: their staged blanks get the default on insert
        for name in self.columns:
            default = _model_default(spec.model, name)
            if name in frame.columns:
                values = frame[name]
                if not self.table.c[name].nullable and values.isna().any():
                    if fresh or self.blank_clears:
                        values = _filled(values, default)
                    else:
                        blanks[name] = default
            elif isinstance(default, (dict, list)):
                values = pd.Series([type(default)() for _ in range(len(frame))], index=frame.index, dtype=object)
            else:
                values = pd.Series([default] * len(frame), index=frame.index, dtype=object)
            stage[name] = values
        stage["_row"] = frame.index.to_numpy()
        self._note_touched(frame)
        if fresh:
            if not self.dry_run:
                self.stage.insert_all(stage)
                self.journal.note_inserted(stage)
            return {0: len(frame)}, {int(r): 0 for r in preview_rows}
        return self.stage.upsert(stage, spec.key, self.provided, preview_rows=preview_rows,
                                 bump_version="version" in self.table.columns, blank_clears=self.blank_clears,
                                 defaults=blanks, dry_run=self.dry_run, journal=self.journal)

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
            adopted = self.conn.execute(select(models.Setting.value).where(models.Setting.key == CUSTOM_THEMES_KEY)).scalar()
            self._themes = themes.taxonomy_with(adopted or [])
        return self._themes

    def _score(self, frame: pd.DataFrame) -> None:
        """Sentiment, language and themes for texts that are new or changed; stored ones are reused."""
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
                # a blank comment has no sentiment (not a neutral one); unless blanks clear, the stored one stays
                found[i] = [] if self.blank_clears else None
                continue
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
            self.scored_texts += len(todo)
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

    def drop_stage(self) -> None:
        """Remove the staging table."""
        self.stage.drop()

    def refresh_rollups(self) -> None:
        """Bring the roll-ups up to date with the written rows (their ids and earliest day)."""
        rollups.refresh(self.conn, self.spec.name, ids=sorted(self.touched), since=self.earliest)

    def rollup_steps(self) -> Iterator[Callable[[], None]]:
        """The roll-up refresh as steps, each its own short transaction for the caller: one per area, or the
        area's own steps when it has them (`refresh_steps`, worked out as the steps before them run)."""
        ids, since, entity = sorted(self.touched), self.earliest, self.spec.name
        for area in rollups.areas():
            if entity not in area.ENTITIES:
                continue
            if hasattr(area, "refresh_steps"):
                yield from area.refresh_steps(self.conn, ids=ids, since=since, entity=entity)
            else:
                yield functools.partial(area.refresh, self.conn, ids=ids, since=since, entity=entity)

    def record(self, *, run: models.SyncRun | None, actor: str, source: str, after: dict) -> int | None:
        """Bump the data version and add the run (if any) and the import's audit event; returns the run id."""
        with Session(bind=self.conn) as session:
            area = ENTITY_AREAS.get(self.spec.name)
            bump_data_version(session, *((area, "admin") if area else ()))  # an unknown entity: every area
            if run is not None:
                session.add(run)
            session.add(models.AuditEvent(actor=actor, action="import", entity=self.spec.name, entity_id=source,
                                          after=after))
            session.flush()
            return run.id if run is not None else None


def save_run(engine: Engine, run: models.SyncRun) -> int:
    """Store an import or sync run on its own (one that failed wrote nothing else); returns its id."""
    with session_scope(engine) as session:
        session.add(run)
        bump_data_version(session, "admin")
        session.flush()
        return run.id
