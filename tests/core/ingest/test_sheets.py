"""Google Sheets with the real gspread client over a requests session that replays Sheets API v4 JSON.

No network: a `requests` adapter answers each request from canned responses and records it,
so the tests can count the HTTP calls a sync makes.
"""

import datetime as dt
import json
import re
from urllib.parse import parse_qs, unquote, urlparse

import gspread
import pandas as pd
import pytest
import requests
from sqlmodel import Session, select

from core import models
from core.ingest import sheets
from core.errors import (
    ImportRejected,
    SheetAccessDenied,
    SheetAuthFailed,
    SheetNotFound,
    SheetQuotaExceeded,
    SheetUnavailable,
    WorksheetNotFound,
)

KEY = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
API = "https://sheets.googleapis.com/v4/spreadsheets/"


def metadata(*titles: str, zone: str = "UTC") -> dict:
    """A spreadsheets.get answer (limited fields) listing worksheets."""
    return {"properties": {"title": "Pulse survey", "timeZone": zone},
            "sheets": [{"properties": {"title": t, "sheetId": i}} for i, t in enumerate(titles)]}


def values(rows: list[list], sheet: str = "Form Responses 1") -> dict:
    """A values:batchGet answer for one range."""
    body = {"range": f"'{sheet}'!A1:Z1000", "majorDimension": "ROWS"}
    if rows:
        body["values"] = rows
    return {"spreadsheetId": KEY, "valueRanges": [body]}


def error(code: int, message: str, status: str) -> dict:
    return {"error": {"code": code, "message": message, "status": status}}


class ReplaySheets(requests.adapters.BaseAdapter):
    """Answers Sheets API requests from queues of (status, body) per kind of call; records requests."""

    def __init__(self, **answers: list[tuple[int, dict]]):
        super().__init__()
        self.answers = {kind: list(queue) for kind, queue in answers.items()}
        self.requests: list[requests.PreparedRequest] = []

    @staticmethod
    def kind(request: requests.PreparedRequest) -> str:
        path = unquote(urlparse(request.url).path)
        if path.endswith("/values:batchGet"):
            return "values"
        if path.endswith(":append"):
            return "append"
        if path.endswith(":clear"):
            return "clear"
        if "/values/" in path:
            return "update"
        return "metadata"

    def send(self, request, **kwargs):
        self.requests.append(request)
        queue = self.answers[self.kind(request)]
        status, body = queue.pop(0) if len(queue) > 1 else queue[0]
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        response.headers["Content-Type"] = "application/json"
        response.url, response.request = request.url, request
        return response

    def close(self):
        pass

    def count(self, kind: str) -> int:
        return sum(1 for r in self.requests if self.kind(r) == kind)


def client_for(adapter: ReplaySheets) -> gspread.Client:
    """The real gspread client on a session whose HTTPS traffic goes to the replay adapter."""
    session = requests.Session()
    session.mount("https://", adapter)
    return gspread.Client(auth=None, session=session)


class Sleeps(list):
    """An injected sleep that records how long it was asked to wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


FORM = [["Timestamp", "Email Address", "How likely are you to recommend us?", "Why?", ""],
        [46082.5, "ana@example.org", 9, "great support"],
        [],
        [46083.25, "raj@example.org", 3, "payouts late", "extra"]]


# --- reading -------------------------------------------------------------------------------------


def test_read_worksheet_makes_one_values_call_and_tidies_the_table():
    adapter = ReplaySheets(metadata=[(200, metadata("Form Responses 1"))], values=[(200, values(FORM))])
    frame = sheets.read_worksheet(client_for(adapter), KEY, "Form Responses 1")
    assert list(frame.columns) == ["Timestamp", "Email Address", "How likely are you to recommend us?", "Why?",
                                   "column_5"]
    assert list(frame.index) == [2, 4]  # sheet row numbers: the blank row 3 is dropped
    assert frame.loc[2].tolist() == [46082.5, "ana@example.org", 9, "great support", None]
    assert frame.loc[4, "column_5"] == "extra"
    assert (adapter.count("values"), adapter.count("metadata"), len(adapter.requests)) == (1, 1, 2)
    query = parse_qs(urlparse(adapter.requests[1].url).query)
    assert query["ranges"] == ["'Form Responses 1'"] and query["valueRenderOption"] == ["UNFORMATTED_VALUE"]
    assert query["dateTimeRenderOption"] == ["SERIAL_NUMBER"]


def test_repeated_and_empty_headers_are_named_and_short_rows_padded():
    rows = [["Name", "Name", "", "Score"], ["a", "b"], ["c", "d", "e", 7]]
    adapter = ReplaySheets(metadata=[(200, metadata("S"))], values=[(200, values(rows, "S"))])
    frame = sheets.read_worksheet(client_for(adapter), KEY, "S")
    assert list(frame.columns) == ["Name", "Name_2", "column_3", "Score"]
    assert frame.loc[2].tolist() == ["a", "b", None, None]


def test_an_empty_worksheet_reads_as_an_empty_table():
    adapter = ReplaySheets(metadata=[(200, metadata("S"))], values=[(200, values([], "S"))])
    assert sheets.read_worksheet(client_for(adapter), KEY, "S").empty


def test_a_429_is_retried_with_growing_waits_then_succeeds():
    sleeps = Sleeps()
    quota = error(429, "Quota exceeded for quota metric 'Read requests'", "RESOURCE_EXHAUSTED")
    adapter = ReplaySheets(metadata=[(200, metadata("S"))],
                           values=[(429, quota), (429, quota), (200, values([["a"], [1]], "S"))])
    frame = sheets.read_worksheet(client_for(adapter), KEY, "S", backoff=sheets.Backoff(attempts=5, sleep=sleeps))
    assert frame["a"].tolist() == [1]
    assert sleeps == [1.0, 2.0] and adapter.count("values") == 3


def test_a_persistent_429_gives_up_after_the_bounded_attempts():
    sleeps = Sleeps()
    adapter = ReplaySheets(metadata=[(200, metadata("S"))],
                           values=[(429, error(429, "Quota exceeded", "RESOURCE_EXHAUSTED"))])
    with pytest.raises(SheetQuotaExceeded, match="still refused after 4 attempts over 7 s"):
        sheets.read_worksheet(client_for(adapter), KEY, "S", backoff=sheets.Backoff(attempts=4, sleep=sleeps))
    assert sleeps == [1.0, 2.0, 4.0] and adapter.count("values") == 4


def test_waits_are_capped_and_retry_after_is_honoured():
    backoff = sheets.Backoff(base=1.0, cap=8.0)
    assert [backoff.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert backoff.delay(1, retry_after="3") == 3.0 and backoff.delay(1, retry_after="120") == 8.0


def test_a_5xx_storm_ends_in_a_clear_unavailable_error():
    adapter = ReplaySheets(metadata=[(503, error(503, "The service is currently unavailable.", "UNAVAILABLE"))])
    with pytest.raises(SheetUnavailable, match=r"HTTP 503\) after 3 attempts"):
        sheets.read_worksheet(client_for(adapter), KEY, "S", backoff=sheets.Backoff(attempts=3, sleep=Sleeps()))


def test_a_sheet_not_shared_with_the_service_account_says_how_to_share_it():
    adapter = ReplaySheets(metadata=[(403, error(403, "The caller does not have permission", "PERMISSION_DENIED"))])
    with pytest.raises(SheetAccessDenied, match=f"the spreadsheet {KEY} is not shared with the service account. "
                                                "In Google Sheets choose Share"):
        sheets.read_worksheet(client_for(adapter), KEY, "S")
    assert len(adapter.requests) == 1  # a 403 is not retried


def test_a_disabled_sheets_api_is_told_apart_from_missing_sharing():
    body = error(403, "Google Sheets API has not been used in project 123 before or it is disabled.",
                 "PERMISSION_DENIED")
    with pytest.raises(SheetAccessDenied, match="Enable 'Google Sheets API'"):
        sheets.read_worksheet(client_for(ReplaySheets(metadata=[(403, body)])), KEY, "S")


def test_an_unknown_spreadsheet_key_is_reported():
    adapter = ReplaySheets(metadata=[(404, error(404, "Requested entity was not found.", "NOT_FOUND"))])
    with pytest.raises(SheetNotFound, match=f"there is no spreadsheet with key {KEY}"):
        sheets.read_worksheet(client_for(adapter), KEY, "S")


def test_revoked_credentials_are_an_auth_error():
    adapter = ReplaySheets(metadata=[(401, error(401, "Request had invalid authentication credentials.",
                                                 "UNAUTHENTICATED"))])
    with pytest.raises(SheetAuthFailed, match="Google rejected the credentials"):
        sheets.read_worksheet(client_for(adapter), KEY, "S")


def test_a_renamed_worksheet_lists_the_worksheets_that_exist():
    adapter = ReplaySheets(metadata=[(200, metadata("Form Responses 2", "Summary"))])
    with pytest.raises(WorksheetNotFound) as failure:
        sheets.read_worksheet(client_for(adapter), KEY, "Form Responses 1")
    assert str(failure.value) == ("Spreadsheet 'Pulse survey' has no worksheet named 'Form Responses 1'; it has: "
                                  "'Form Responses 2', 'Summary'. If it was renamed, update the source on the "
                                  "Data page.")
    assert adapter.count("values") == 0


# --- keys and credentials ------------------------------------------------------------------------


@pytest.mark.parametrize("text", [f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0",
                                  f"https://docs.google.com/spreadsheets/d/{KEY}", f"  {KEY} "])
def test_the_key_is_taken_from_a_url_or_given_as_is(text):
    assert sheets.spreadsheet_key(text) == KEY


def test_text_that_is_no_spreadsheet_address_is_refused():
    with pytest.raises(SheetNotFound, match="neither a Google Sheets address"):
        sheets.spreadsheet_key("my survey sheet")


def test_no_credentials_anywhere_says_where_to_put_them(monkeypatch):
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    with pytest.raises(SheetAuthFailed, match=r"\[gcp_service_account\] in .streamlit/secrets.toml"):
        sheets.client_from_settings({})


def test_a_malformed_service_account_key_is_an_auth_error():
    with pytest.raises(SheetAuthFailed, match="incomplete or malformed"):
        sheets.client_from_settings({"gcp_service_account": {"type": "service_account", "client_email": "x@y"}})


# --- writing -------------------------------------------------------------------------------------


def test_append_rows_is_one_raw_call_so_nothing_runs_as_a_formula():
    adapter = ReplaySheets(append=[(200, {"updates": {"updatedRows": 2}})])
    rows = pd.DataFrame({"week": ["2026-W10", "2026-W11"], "nps": [31.5, float("nan")],
                         "note": ["=HYPERLINK(\"x\")", None]})
    assert sheets.append_rows(client_for(adapter), KEY, "Weekly", rows) == 2
    (request,) = adapter.requests
    assert parse_qs(urlparse(request.url).query)["valueInputOption"] == ["RAW"]
    assert json.loads(request.body) == {"values": [["2026-W10", 31.5, "=HYPERLINK(\"x\")"], ["2026-W11", "", ""]]}


def test_replace_rows_clears_then_writes_a_header_and_rows():
    adapter = ReplaySheets(clear=[(200, {})], update=[(200, {"updatedRows": 2})])
    rows = pd.DataFrame({"at": [pd.Timestamp("2026-03-01T10:00Z")], "count": [3]})
    assert sheets.replace_rows(client_for(adapter), KEY, "Weekly", rows) == 1
    assert [ReplaySheets.kind(r) for r in adapter.requests] == ["clear", "update"]
    assert json.loads(adapter.requests[1].body) == {"values": [["at", "count"], ["2026-03-01T10:00:00+00:00", 3]]}


# --- sources and syncs ---------------------------------------------------------------------------


def runs(engine) -> list[models.SyncRun]:
    with Session(engine) as session:
        return session.exec(select(models.SyncRun).order_by(models.SyncRun.id)).all()


def responses(engine) -> list[models.SurveyResponse]:
    with Session(engine) as session:
        return session.exec(select(models.SurveyResponse).order_by(models.SurveyResponse.submitted_at)).all()


def save_pulse(engine, **overrides):
    options = dict(name="Pulse", spreadsheet=f"https://docs.google.com/spreadsheets/d/{KEY}/edit",
                   worksheet="Form Responses 1", entity="survey_responses", constants={"survey_id": "pulse-1"},
                   mapping={"comment": "Why?"})
    options.update(overrides)
    return sheets.save_source(engine, **options)


def test_sources_are_saved_listed_updated_and_deleted(engine):
    save_pulse(engine)
    save_pulse(engine, worksheet="Form Responses 2")
    listed = sheets.list_sources(engine)
    assert listed[["name", "spreadsheet_key", "worksheet", "entity", "last_summary"]].to_dict("records") == [
        {"name": "Pulse", "spreadsheet_key": KEY, "worksheet": "Form Responses 2", "entity": "survey_responses",
         "last_summary": "never synced"}]
    sheets.delete_source(engine, "Pulse")
    assert sheets.list_sources(engine).empty


def test_a_source_with_an_unknown_column_in_its_mapping_is_refused(engine):
    with pytest.raises(ImportRejected, match="'nps' is not a column of survey_responses"):
        save_pulse(engine, mapping={"nps": "Score"})


def test_sync_imports_the_worksheet_and_records_the_run(engine):
    save_pulse(engine)
    adapter = ReplaySheets(metadata=[(200, metadata("Form Responses 1", zone="America/New_York"))],
                           values=[(200, values(FORM))])
    result = sheets.sync_source(engine, client_for(adapter), "Pulse")
    assert (result.inserted, result.rejected, result.source) == (2, 0, "sheet:Pulse")
    assert result.attribute_columns == ["column_5"] and result.mapping["email"] == "Email Address"
    stored = responses(engine)
    # serial 46082.5 is 2026-03-01 12:00 in the spreadsheet's zone (New York, UTC-5 in March before DST)
    assert stored[0].submitted_at == dt.datetime(2026, 3, 1, 17, 0, tzinfo=dt.UTC)
    assert [(r.score, r.comment, r.survey_id) for r in stored] == [(9, "great support", "pulse-1"),
                                                                   (3, "payouts late", "pulse-1")]
    (run,) = runs(engine)
    assert (run.source, run.ok, run.inserted, run.rejected) == ("sheet:Pulse", True, 2, 0)
    assert len(adapter.requests) == 2
    assert sheets.list_sources(engine)["last_summary"].tolist() == ["2 new, 0 updated, 0 rejected"]


def test_a_second_sync_updates_rather_than_duplicates(engine):
    save_pulse(engine)
    adapter = ReplaySheets(metadata=[(200, metadata("Form Responses 1"))], values=[(200, values(FORM))])
    client = client_for(adapter)
    sheets.sync_source(engine, client, "Pulse")
    again = sheets.sync_source(engine, client, "Pulse")
    assert (again.inserted, again.updated) == (0, 2) and len(responses(engine)) == 2


def test_a_failed_sync_is_recorded_and_leaves_stored_data_untouched(engine):
    save_pulse(engine)
    good = ReplaySheets(metadata=[(200, metadata("Form Responses 1"))], values=[(200, values(FORM))])
    sheets.sync_source(engine, client_for(good), "Pulse")
    before = [(r.response_id, r.score) for r in responses(engine)]
    storm = ReplaySheets(metadata=[(200, metadata("Form Responses 1"))],
                         values=[(429, error(429, "Quota exceeded", "RESOURCE_EXHAUSTED"))])
    with pytest.raises(SheetQuotaExceeded):
        sheets.sync_source(engine, client_for(storm), "Pulse", backoff=sheets.Backoff(attempts=2, sleep=Sleeps()))
    assert [(r.response_id, r.score) for r in responses(engine)] == before
    failed = runs(engine)[-1]
    assert (failed.source, failed.ok, failed.inserted) == ("sheet:Pulse", False, 0)
    assert failed.error.startswith("Worksheet 'Form Responses 1': Google Sheets quota exceeded")


def test_a_sync_whose_sheet_lost_a_required_column_fails_without_writing(engine):
    save_pulse(engine, mapping={})
    rows = [["Email Address", "Score"], ["ana@example.org", 9]]
    adapter = ReplaySheets(metadata=[(200, metadata("Form Responses 1"))], values=[(200, values(rows))])
    with pytest.raises(ImportRejected, match="required column submitted_at is missing. Columns found: "
                                             "Email Address, Score"):
        sheets.sync_source(engine, client_for(adapter), "Pulse")
    assert responses(engine) == [] and runs(engine)[-1].ok is False


def test_sync_all_carries_on_past_a_failing_source(engine):
    save_pulse(engine)
    save_pulse(engine, name="Renamed", worksheet="Old tab")
    adapter = ReplaySheets(metadata=[(200, metadata("Form Responses 1"))], values=[(200, values(FORM))])
    outcomes = sheets.sync_all(engine, client_for(adapter))
    assert [(o.name, o.result is not None, bool(o.error)) for o in outcomes] == [("Pulse", True, False),
                                                                                  ("Renamed", False, True)]
    assert re.search(r"has no worksheet named 'Old tab'", outcomes[1].error)
