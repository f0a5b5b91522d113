"""Issue 16, import traps: a header guessed from a loose match, blanks that erased stored values, a title row
above an XLSX header, Sheets answering 200 with a page that is not JSON, and a Retry-After of an hour."""

import io

import pytest
import requests
from sqlmodel import Session, select

from core import models
from core.errors import SheetQuotaExceeded, SheetUnavailable
from core.ingest import contract, importer, sheets, sheets_api
from core.ingest.contract import MissingColumns
from tests.core.ingest.test_sheets import KEY, ReplaySheets, Sleeps, client_for, error, metadata


def load(engine, entity: str, text: str, **options) -> importer.ImportResult:
    """Import CSV text as upload.csv."""
    return importer.import_file(engine, entity, text.encode(), filename="upload.csv", **options)


def member(engine, member_id: str) -> models.Member:
    with Session(engine) as session:
        return session.get(models.Member, member_id)


# --- headers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entity, header", [
    ("activity", "Tasker name"),        # began with the synonym 'tasker': it once became member_id
    ("activity", "Member ID (old)"),    # began with the column's own name
    ("members", "Email Address Verified"),
    ("queue_items", "Created by"),
])
def test_a_header_only_starting_with_a_synonym_is_not_guessed(entity, header):
    assert contract.suggest_mapping(entity, [header]) == {}


def test_an_activity_file_whose_only_tasker_column_is_a_name_is_refused_not_guessed(engine):
    with pytest.raises(MissingColumns, match="required column member_id is missing"):
        load(engine, "activity", "Tasker name,project_id,day\nAna Lima,p1,2026-11-02\n")


def test_the_summary_says_which_columns_were_matched_by_a_synonym(engine):
    result = load(engine, "activity", "Worker ID,project_id,Date,Submitted\nm1,p1,2026-11-02,4\n")
    assert result.guessed == {"member_id": "Worker ID", "day": "Date", "tasks_submitted": "Submitted"}
    assert "Matched by header: member_id ← 'Worker ID', day ← 'Date', tasks_submitted ← 'Submitted'." \
        in result.summary()


def test_a_column_mapped_by_hand_or_named_exactly_is_not_called_a_guess(engine):
    result = load(engine, "activity", "who,project_id,day\nm1,p1,2026-11-02\n", mapping={"member_id": "who"})
    assert result.guessed == {} and "Matched by header" not in result.summary()


# --- blanks ---------------------------------------------------------------------------------------------


FIRST = "member_id,handle,email,country,status\nm1,ana,ana@example.org,BR,paused\n"
AGAIN = "member_id,handle,email,country,status\nm1,,,,\n"


def test_a_reimport_with_blank_cells_leaves_what_is_stored(engine):
    load(engine, "members", FIRST)
    result = load(engine, "members", AGAIN)
    stored = member(engine, "m1")
    assert (stored.handle, stored.email, stored.country, stored.status) == ("ana", "ana@example.org", "BR", "paused")
    assert (result.updated, result.unchanged) == (1, 1)


def test_a_blank_next_to_a_new_value_changes_only_the_new_value(engine):
    load(engine, "members", FIRST)
    load(engine, "members", "member_id,handle,email,country\nm1,ana_l,,\n")
    stored = member(engine, "m1")
    assert (stored.handle, stored.email, stored.country) == ("ana_l", "ana@example.org", "BR")


def test_blank_cells_clear_stored_values_when_asked(engine):
    load(engine, "members", FIRST)
    result = load(engine, "members", AGAIN, blank_clears=True)
    stored = member(engine, "m1")
    # status cannot be empty: a cleared status is the table's default
    assert (stored.handle, stored.email, stored.country, stored.status) == (None, None, None, "active")
    assert (result.updated, result.unchanged) == (1, 0)


def test_blank_cells_leave_queue_items_and_survey_comments_as_stored(engine):
    load(engine, "queue_items", "item_id,queue,created_at,assignee,last_error\n"
                                "q1,support,2026-11-02T10:00Z,lee,timeout\n")
    load(engine, "queue_items", "item_id,queue,created_at,assignee,last_error\nq1,support,2026-11-02T10:00Z,,\n")
    with Session(engine) as session:
        item = session.get(models.QueueItem, "q1")
    assert (item.assignee, item.last_error) == ("lee", "timeout")
    load(engine, "survey_responses", "response_id,survey_id,submitted_at,score,comment\n"
                                     "r1,w1,2026-11-02,9,great support thanks\n")
    with Session(engine) as session:
        scored = session.get(models.SurveyResponse, "r1").sentiment
    load(engine, "survey_responses", "response_id,survey_id,submitted_at,score,comment\nr1,w1,2026-11-02,10,\n")
    with Session(engine) as session:
        response = session.get(models.SurveyResponse, "r1")
    assert (response.score, response.comment) == (10, "great support thanks")
    assert scored > 0.05 and response.sentiment == scored  # the comment's score stays with it


# --- XLSX title rows -----------------------------------------------------------------------------------


def workbook(*rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_title_row_above_the_header_is_skipped_and_the_row_used_is_named(engine):
    data = workbook(["Weekly activity export — week 45"], [], ["member_id", "project_id", "day", "tasks_submitted"],
                    ["m1", "p1", "2026-11-02", 4], ["m2", "p1", "2026-11-03", 6])
    result = importer.import_file(engine, "activity", data, filename="week45.xlsx")
    assert (result.inserted, result.rejected) == (2, 0)
    assert result.warnings == ["Read the column headers from row 3 of worksheet 'Sheet': the rows above it do not "
                               "name the columns (a title or a note), so they were skipped."]
    with Session(engine) as session:
        assert sorted(a.tasks_submitted for a in session.exec(select(models.Activity))) == [4, 6]


def test_without_a_title_row_the_first_row_is_the_header_and_nothing_is_said(engine):
    data = workbook(["member_id", "country"], ["m1", "BR"])
    result = importer.import_file(engine, "members", data, filename="members.xlsx")
    assert (result.inserted, result.warnings) == (1, [])


# --- Google Sheets -------------------------------------------------------------------------------------


class HtmlPage(ReplaySheets):
    """A proxy or sign-in page answering the values call with 200 and HTML."""

    def send(self, request, **kwargs):
        if self.kind(request) != "values":
            return super().send(request, **kwargs)
        self.requests.append(request)
        response = requests.Response()
        response.status_code, response._content = 200, b"<html><body>Sign in to continue</body></html>"
        response.headers["Content-Type"] = "text/html"
        response.url, response.request = request.url, request
        return response


def test_a_200_answer_that_is_not_json_is_a_clear_error_and_nothing_is_stored(engine):
    adapter = HtmlPage(metadata=[(200, metadata("Form Responses 1"))])
    sheets.save_source(engine, name="Pulse", spreadsheet=KEY, worksheet="Form Responses 1",
                       entity="survey_responses", constants={"survey_id": "w1"})
    with pytest.raises(SheetUnavailable, match="answered with something that is not Sheets data.*nothing was stored"):
        sheets.sync_source(engine, client_for(adapter), "Pulse", backoff=sheets.Backoff(sleep=Sleeps()))
    with Session(engine) as session:
        assert session.exec(select(models.SurveyResponse)).all() == []
        run = session.exec(select(models.SyncRun)).one()
    assert (run.ok, run.inserted) == (False, 0) and "not Sheets data" in run.error


class AskedToWait(ReplaySheets):
    """429 with a Retry-After header on the values call."""

    def __init__(self, retry_after: str, **answers):
        super().__init__(**answers)
        self.retry_after = retry_after

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        if self.kind(request) == "values":
            response.headers["Retry-After"] = self.retry_after
        return response


def test_a_retry_after_of_an_hour_gives_up_at_once_and_says_when_to_retry():
    sleeps = Sleeps()
    adapter = AskedToWait("3600", metadata=[(200, metadata("S"))],
                          values=[(429, error(429, "Quota exceeded", "RESOURCE_EXHAUSTED"))])
    # CROWDPULSE_NOW is 2026-11-20 12:00 UTC in the tests
    with pytest.raises(SheetQuotaExceeded, match=r"Google Sheets asked us to wait 60 minutes; try again after "
                                                 r"13:00 UTC\. Nothing was stored\."):
        sheets.read_worksheet(client_for(adapter), KEY, "S", backoff=sheets.Backoff(sleep=sleeps))
    assert sleeps == [] and adapter.count("values") == 1


def test_a_short_retry_after_within_the_budget_is_waited_for():
    sleeps = Sleeps()
    adapter = AskedToWait("3", metadata=[(200, metadata("S"))],
                          values=[(429, error(429, "Quota exceeded", "RESOURCE_EXHAUSTED")),
                                  (200, {"valueRanges": [{"values": [["a"], [1]]}]})])
    frame = sheets.read_worksheet(client_for(adapter), KEY, "S", backoff=sheets.Backoff(sleep=sleeps))
    assert frame["a"].tolist() == [1] and sleeps == [3.0]


@pytest.mark.parametrize("header, seconds", [("120", 120.0), ("Fri, 20 Nov 2026 12:30:00 GMT", 1800.0),
                                             ("soon", None), (None, None)])
def test_retry_after_is_read_as_seconds_or_a_date(header, seconds):
    assert sheets_api.retry_after_seconds(header) == seconds
