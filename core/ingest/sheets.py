"""Google Sheets: read a worksheet into a DataFrame, sync configured sources, write rows back.

Every function takes a `gspread.Client`, so tests hand in one whose `requests` session replays
canned Sheets API v4 responses. Every call goes through `core.ingest.sheets_api.call_with_backoff`
(bounded retries, Retry-After within a budget, named errors).

HTTP calls per worksheet read: one metadata call (`GET spreadsheets/{id}` limited to the title,
time zone and worksheet names: it tells a renamed worksheet from a missing sharing and gives
the time zone that spreadsheet date serials are in) and one values call
(`GET spreadsheets/{id}/values:batchGet`). `gspread.Client.open_by_key` is not used: it fetches
the full metadata and would cost a third call.
"""

import datetime as dt
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gspread
import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session, select

from core import models
from core.people import require
from core.db import bump_data_version, session_scope
from core.errors import (
    CrowdPulseError,
    ImportRejected,
    SheetAuthFailed,
    SheetNotFound,
    SourceNotFound,
    WorksheetNotFound,
)
from core.ingest.contract import entity_spec
from core.ingest.importer import ImportResult, Progress, import_frame, record_run
from core.ingest.read import frame_from_rows, is_blank
from core.ingest.sheets_api import (  # noqa: F401 (Backoff and the error translation are part of this API)
    RETRY_STATUSES,
    Backoff,
    call_with_backoff,
    service_account_email,
    translate_error,
)
from core.reports import WeeklyReport, sheet_rows
from core.settings import PROJECT_ROOT, get_settings

SCOPES = ["https://www.googleapis.com/auth/spreadsheets"]
# Sheets values come unformatted (numbers as numbers) and dates as serial numbers, so a date
# is never read back through a locale's d/m/y or m/d/y format.
VALUE_PARAMS = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER",
                "majorDimension": "ROWS"}
METADATA_FIELDS = "properties(title,timeZone),sheets.properties(title,sheetId)"
SHEETS_URL_RE = re.compile(r"/spreadsheets/d/([a-zA-Z0-9_-]{20,})")
KEY_RE = re.compile(r"[a-zA-Z0-9_-]{20,}")


# --- credentials ---------------------------------------------------------------------------------


def load_secrets_file(path: Path | None = None) -> dict:
    """`.streamlit/secrets.toml` as a dict (empty when there is none), for the CLI."""
    path = path or PROJECT_ROOT / ".streamlit" / "secrets.toml"
    if not path.exists():
        return {}
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def client_from_settings(secrets: Mapping[str, Any] | None = None) -> gspread.Client:
    """A client from `secrets["gcp_service_account"]` or the GOOGLE_APPLICATION_CREDENTIALS file."""
    from google.oauth2 import service_account

    info = dict(secrets["gcp_service_account"]) if secrets and "gcp_service_account" in secrets else None
    where = "[gcp_service_account] in secrets"
    if info is None:
        path = get_settings().google_credentials_file
        if not path:
            raise SheetAuthFailed("Google Sheets is not set up: add the service account's JSON key as "
                                  "[gcp_service_account] in .streamlit/secrets.toml, or point "
                                  "GOOGLE_APPLICATION_CREDENTIALS at the key file.")
        where = f"GOOGLE_APPLICATION_CREDENTIALS ({path})"
        try:
            info = json.loads(Path(path).read_text())
        except FileNotFoundError as exc:
            raise SheetAuthFailed(f"The key file named by {where} does not exist.") from exc
        except (OSError, ValueError) as exc:
            raise SheetAuthFailed(f"The key file named by {where} is not a readable JSON key ({exc}).") from exc
    try:
        credentials = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
    except (KeyError, ValueError, TypeError) as exc:
        raise SheetAuthFailed(f"The service account key in {where} is incomplete or malformed ({exc}); "
                              "paste the whole JSON key downloaded from the Cloud console.") from exc
    client = gspread.Client(auth=credentials)
    client.set_timeout((10, 60))
    return client


def spreadsheet_key(text: str) -> str:
    """The spreadsheet key from a Google Sheets URL, or the key itself."""
    text = (text or "").strip()
    found = SHEETS_URL_RE.search(text)
    if found:
        return found.group(1)
    if KEY_RE.fullmatch(text):
        return text
    raise SheetNotFound(f"{text!r} is neither a Google Sheets address (https://docs.google.com/spreadsheets/d/…) "
                        "nor a spreadsheet key.")


# --- reading -------------------------------------------------------------------------------------


def a1_sheet(title: str) -> str:
    """A worksheet title as an A1 range naming the whole sheet ('It''s' quoted)."""
    return "'" + title.replace("'", "''") + "'"


def read_worksheet(client: gspread.Client, spreadsheet_key: str, worksheet: str, *,
                   backoff: Backoff | None = None) -> pd.DataFrame:
    """One worksheet as a DataFrame of raw values, indexed by sheet row number (the header is row 1).

    Blank rows are dropped, short rows padded, empty headers named column_N and repeated ones
    Name, Name_2. `frame.attrs` holds the spreadsheet's title and time zone (date serials are in it).
    """
    http = client.http_client
    what = f"Worksheet {worksheet!r}"
    metadata = call_with_backoff(
        lambda: http.fetch_sheet_metadata(spreadsheet_key, params={"fields": METADATA_FIELDS}),
        backoff=backoff, what=what, client=client, spreadsheet_key=spreadsheet_key)
    titles = [s.get("properties", {}).get("title") for s in metadata.get("sheets", [])]
    spreadsheet_title = metadata.get("properties", {}).get("title", spreadsheet_key)
    if worksheet not in titles:
        raise WorksheetNotFound(
            f"Spreadsheet {spreadsheet_title!r} has no worksheet named {worksheet!r}; it has: "
            f"{', '.join(repr(t) for t in titles) or '(none)'}. If it was renamed, update the source on the "
            "Data page.")
    response = call_with_backoff(
        lambda: http.values_batch_get(spreadsheet_key, [a1_sheet(worksheet)], params=dict(VALUE_PARAMS)),
        backoff=backoff, what=what, client=client, spreadsheet_key=spreadsheet_key)
    ranges = response.get("valueRanges") or [{}]
    values = ranges[0].get("values") or []
    numbered = [(i, row) for i, row in enumerate(values, start=1)]
    header_at = next((i for i, row in numbered if any(not is_blank(v) for v in row)), None)
    if header_at is None:
        frame = pd.DataFrame()
        frame.index.name = "row"
    else:
        header = values[header_at - 1]
        frame = frame_from_rows(header, [(i, row) for i, row in numbered if i > header_at], pad_header=True)
    frame.attrs["spreadsheet_title"] = spreadsheet_title
    frame.attrs["timezone"] = metadata.get("properties", {}).get("timeZone") or "UTC"
    return frame


# --- writing -------------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return ""
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return value


def sheet_values(rows: pd.DataFrame, *, header: bool) -> list[list[Any]]:
    """A DataFrame as Sheets cell values (blanks for missing, ISO text for times)."""
    body = [[_cell(v) for v in row] for row in rows.itertuples(index=False, name=None)]
    return ([list(map(str, rows.columns))] if header else []) + body


def append_rows(client: gspread.Client, spreadsheet_key: str, worksheet: str, rows: pd.DataFrame, *,
                header: bool = False, backoff: Backoff | None = None) -> int:
    """Append rows under a worksheet's table in one call; values are written raw (never run as formulas)."""
    values = sheet_values(rows, header=header)
    if not values:
        return 0
    call_with_backoff(
        lambda: client.http_client.values_append(
            spreadsheet_key, f"{a1_sheet(worksheet)}!A1",
            params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"}, body={"values": values}),
        backoff=backoff, what=f"Worksheet {worksheet!r}", client=client, spreadsheet_key=spreadsheet_key)
    return len(values)


def replace_rows(client: gspread.Client, spreadsheet_key: str, worksheet: str, rows: pd.DataFrame, *,
                 backoff: Backoff | None = None) -> int:
    """Replace a worksheet's contents with a header and rows (two calls: clear, then write raw values)."""
    what = f"Worksheet {worksheet!r}"
    http = client.http_client
    call_with_backoff(lambda: http.values_clear(spreadsheet_key, a1_sheet(worksheet)),
                      backoff=backoff, what=what, client=client, spreadsheet_key=spreadsheet_key)
    values = sheet_values(rows, header=True)
    call_with_backoff(
        lambda: http.values_update(spreadsheet_key, f"{a1_sheet(worksheet)}!A1", params={"valueInputOption": "RAW"},
                                   body={"values": values}),
        backoff=backoff, what=what, client=client, spreadsheet_key=spreadsheet_key)
    return len(values) - 1


# --- sources -------------------------------------------------------------------------------------


def _source_label(name: str) -> str:
    return f"sheet:{name}"


def save_source(engine: Engine, *, name: str, spreadsheet: str, worksheet: str, entity: str,
                mapping: Mapping[str, str] | None = None, constants: Mapping[str, Any] | None = None,
                dayfirst: bool = False, enabled: bool = True, actor: str = "command line") -> models.SyncSource:
    """Create or update the source called `name` (a URL is reduced to its key); audited as `actor`."""
    require(engine, actor, "specialist", "add or change a Sheets source")
    name = (name or "").strip()
    if not name:
        raise ImportRejected("Give the source a name (e.g. 'Pulse survey responses').")
    if not (worksheet or "").strip():
        raise ImportRejected("Give the worksheet (tab) name, e.g. 'Form Responses 1'.")
    spec = entity_spec(entity)
    mapping = {k: v for k, v in (mapping or {}).items() if v}
    constants = {k: str(v) for k, v in (constants or {}).items()}
    for target in [*mapping, *constants]:
        if target not in spec.names:
            raise ImportRejected(f"{target!r} is not a column of {spec.name}; its columns are: "
                                 f"{', '.join(spec.names)}.")
    key = spreadsheet_key(spreadsheet)
    with session_scope(engine) as session:
        source = session.exec(_source_query(name)).first()
        before = _audited(source)
        if source is None:
            source = models.SyncSource(name=name, spreadsheet_key=key, worksheet=worksheet.strip(), entity=spec.name)
        source.spreadsheet_key, source.worksheet, source.entity = key, worksheet.strip(), spec.name
        source.mapping, source.constants = dict(mapping), dict(constants)
        source.dayfirst, source.enabled = bool(dayfirst), bool(enabled)
        session.add(source)
        session.add(models.AuditEvent(actor=actor, action="update" if before else "create", entity="sync_source",
                                      entity_id=name, before=before, after=_audited(source)))
        bump_data_version(session, "admin")  # a Sheets source: settings and audit only
        session.flush()
        session.refresh(source)
        session.expunge(source)
    return source


def _audited(source: models.SyncSource | None) -> dict | None:
    """What the audit keeps of a source's settings."""
    if source is None:
        return None
    return {"spreadsheet_key": source.spreadsheet_key, "worksheet": source.worksheet, "entity": source.entity,
            "mapping": dict(source.mapping), "constants": dict(source.constants), "dayfirst": bool(source.dayfirst),
            "enabled": bool(source.enabled)}


def _source_query(name: str):
    return select(models.SyncSource).where(models.SyncSource.name == name)


def get_source(engine: Engine, name: str) -> models.SyncSource:
    """The source called `name`."""
    with Session(engine) as session:
        source = session.exec(_source_query(name)).first()
        if source is None:
            known = [s.name for s in session.exec(_all_sources()).all()]
            raise SourceNotFound(f"No Sheets source named {name!r}; configured: {', '.join(known) or '(none)'}.")
        session.expunge(source)
        return source


def _all_sources():
    return select(models.SyncSource).order_by(models.SyncSource.name)


def list_sources(engine: Engine) -> pd.DataFrame:
    """Configured sources with the outcome of each one's last sync."""
    with Session(engine) as session:
        sources = session.exec(_all_sources()).all()
        runs = {}
        for source in sources:
            run = session.exec(
                select(models.SyncRun).where(models.SyncRun.source == _source_label(source.name))
                .order_by(models.SyncRun.started_at.desc(), models.SyncRun.id.desc()).limit(1)).first()
            runs[source.name] = run
    rows = []
    for source in sources:
        run = runs[source.name]
        rows.append({
            "name": source.name, "entity": source.entity, "worksheet": source.worksheet,
            "spreadsheet_key": source.spreadsheet_key, "enabled": source.enabled, "dayfirst": source.dayfirst,
            "mapping": dict(source.mapping), "constants": dict(source.constants),
            "last_sync_at": run.started_at if run else None, "last_ok": run.ok if run else None,
            "last_summary": (f"{run.inserted:,} new, {run.updated:,} updated, {run.rejected:,} rejected"
                             if run and run.ok else (run.error if run else "never synced")),
        })
    columns = ["name", "entity", "worksheet", "spreadsheet_key", "enabled", "dayfirst", "mapping", "constants",
               "last_sync_at", "last_ok", "last_summary"]
    return pd.DataFrame(rows, columns=columns)


def delete_source(engine: Engine, name: str, *, actor: str = "command line") -> None:
    """Remove the source called `name` (its sync history stays); audited as `actor`."""
    require(engine, actor, "specialist", "remove a Sheets source")
    with session_scope(engine) as session:
        source = session.exec(_source_query(name)).first()
        if source is None:
            raise SourceNotFound(f"No Sheets source named {name!r}.")
        session.add(models.AuditEvent(actor=actor, action="delete", entity="sync_source", entity_id=name,
                                      before=_audited(source), after=None))
        session.delete(source)
        bump_data_version(session, "admin")  # a Sheets source: settings and audit only


# --- syncing -------------------------------------------------------------------------------------


def sync_source(engine: Engine, client: gspread.Client, source_name: str, *, backoff: Backoff | None = None,
                progress: Progress | None = None, actor: str = "command line") -> ImportResult:
    """Read a source's worksheet and import it; any failure is recorded and leaves stored data as it was."""
    require(engine, actor, "specialist", "sync a Sheets source")
    source = get_source(engine, source_name)
    label = _source_label(source.name)
    started_at = models.utcnow()
    try:
        frame = read_worksheet(client, source.spreadsheet_key, source.worksheet, backoff=backoff)
    except CrowdPulseError as exc:
        record_run(engine, None, source=label, entity=source.entity, started_at=started_at, error=str(exc))
        raise
    except Exception as exc:  # an unexpected failure still leaves a trace in the history
        record_run(engine, None, source=label, entity=source.entity, started_at=started_at,
                   error=f"{type(exc).__name__}: {exc}")
        raise
    if frame.columns.empty:
        message = (f"Worksheet {source.worksheet!r} is empty: it has no header row. Add the header (or the "
                   "first responses) and sync again.")
        record_run(engine, None, source=label, entity=source.entity, started_at=started_at, error=message)
        raise ImportRejected(message)
    return import_frame(engine, source.entity, frame, source=label, mapping=source.mapping,
                        constants=source.constants, dayfirst=source.dayfirst,
                        timezone=frame.attrs.get("timezone"), progress=progress, actor=actor)


@dataclass
class SyncOutcome:
    """One source's sync: its result or its error message."""

    name: str
    result: ImportResult | None = None
    error: str | None = None


def sync_all(engine: Engine, client: gspread.Client, names: list[str] | None = None, *,
             backoff: Backoff | None = None, actor: str = "command line") -> list[SyncOutcome]:
    """Sync the named sources (all enabled ones when None); one failure does not stop the others."""
    if names is None:
        with Session(engine) as session:
            names = [s.name for s in session.exec(_all_sources()).all() if s.enabled]
    outcomes = []
    for name in names:
        try:
            outcomes.append(SyncOutcome(name, result=sync_source(engine, client, name, backoff=backoff, actor=actor)))
        except CrowdPulseError as exc:
            outcomes.append(SyncOutcome(name, error=str(exc)))
    return outcomes


def append_weekly_figures(engine: Engine, client: gspread.Client, report: WeeklyReport, *, spreadsheet: str,
                          worksheet: str, scope: str, actor: str) -> int:
    """Append a week's headline figures to a worksheet in one call (managers; audited); returns the rows written."""
    require(engine, actor, "manager", "add the weekly figures to the Google Sheet")
    written = append_rows(client, spreadsheet_key(spreadsheet), worksheet, sheet_rows(report, scope=scope))
    with session_scope(engine) as session:
        session.add(models.AuditEvent(actor=actor, action="append", entity="weekly_sheet", entity_id=report.week,
                                      after={"spreadsheet": spreadsheet_key(spreadsheet), "worksheet": worksheet,
                                             "rows": written, "scope": scope}))
    return written
