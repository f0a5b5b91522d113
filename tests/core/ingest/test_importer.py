"""The import contract (DESIGN §5): reading, mapping, validation, upsert, rejects, strict and dry runs.

Every test runs on a fresh empty database (SQLite, or PostgreSQL with --postgres).
"""

import datetime as dt
import hashlib
import io

import pandas as pd
import pytest
from sqlmodel import Session, select

from core.ingest import importer, read
from core import models
from core.feedback import sentiment
from core.db import WRITE_CACHE_KIB, data_version
from core.errors import ImportRejected

UTC = dt.UTC


def load(engine, entity: str, text: str | bytes, **options) -> importer.ImportResult:
    """Import CSV text (or bytes) as a file called upload.csv."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return importer.import_file(engine, entity, raw, filename=options.pop("filename", "upload.csv"), **options)


def stored(engine, model, order_by=None) -> list:
    """Every row of a table as model objects, in key order."""
    with Session(engine) as session:
        statement = select(model)
        if order_by is not None:
            statement = statement.order_by(order_by)
        return session.exec(statement).all()


def rejects(result: importer.ImportResult) -> list[tuple]:
    """The rejects as (row, column, reason) tuples."""
    return [(int(r.row), r.column, r.reason) for r in result.rejects.itertuples()]


def seed_activity(engine) -> None:
    """Two activity rows for m1 on p1 (creating m1 and p1)."""
    load(engine, "activity", "member_id,project_id,day,tasks_submitted,handle_seconds\n"
                             "m1,p1,2026-03-01,10,300\n"
                             "m1,p1,2026-03-02,12,360\n")


# --- each entity's happy path ----------------------------------------------------------------------


def test_members_import_types_every_column_and_keeps_extras_as_attributes(engine):
    result = load(engine, "members",
                  "Member ID,Username,Email Address,Country,Time zone,Signup date,Staff,Cohort\n"
                  "m1,ana,ana@example.org,br,america/sao_paulo,2026-01-05T09:30:00-03:00,no,2026-01\n"
                  "m2,raj,raj@example.org,IN,Asia/Kolkata,2026-01-06 08:00,yes,\n")
    assert (result.inserted, result.updated, result.rejected) == (2, 0, 0)
    assert result.attribute_columns == ["Cohort"]
    ana, raj = stored(engine, models.Member, models.Member.member_id)
    assert (ana.handle, ana.email, ana.country, ana.timezone) == ("ana", "ana@example.org", "BR", "America/Sao_Paulo")
    assert ana.signed_up_at == dt.datetime(2026, 1, 5, 12, 30, tzinfo=UTC)
    assert ana.is_staff is False and ana.attributes == {"cohort": "2026-01"}
    assert raj.is_staff is True and raj.attributes == {} and raj.status == "active"


def test_projects_without_a_name_column_are_named_by_their_id(engine):
    result = load(engine, "projects", "project_id,kind,launch_at\natlas,Labeling,2026-02-01\n")
    assert result.inserted == 1
    (atlas,) = stored(engine, models.Project)
    assert (atlas.name, atlas.kind, atlas.launch_at) == ("atlas", "labeling", dt.datetime(2026, 2, 1, tzinfo=UTC))


def test_activity_rows_land_with_their_counts(engine):
    seed_activity(engine)
    first, second = stored(engine, models.Activity, models.Activity.day)
    assert (first.member_id, first.project_id, first.day) == ("m1", "p1", dt.date(2026, 3, 1))
    assert (first.tasks_submitted, first.handle_seconds, first.tasks_approved) == (10, 300.0, 0)
    assert second.tasks_submitted == 12


def test_queue_items_keep_their_sla_timestamps(engine):
    result = load(engine, "queue_items",
                  "Ticket ID,Queue,Created At,Priority,First response,Resolved At,Retries\n"
                  "t1,Support,2026-03-01T08:00:00Z,High,2026-03-01T08:30:00Z,2026-03-01T12:00:00Z,1\n")
    assert result.mapping == {"item_id": "Ticket ID", "queue": "Queue", "created_at": "Created At",
                              "priority": "Priority", "first_response_at": "First response",
                              "resolved_at": "Resolved At", "retries": "Retries"}
    (item,) = stored(engine, models.QueueItem)
    assert (item.queue, item.priority, item.status, item.retries) == ("support", "high", "open", 1)
    assert item.resolved_at - item.created_at == dt.timedelta(hours=4)


def test_feedback_texts_are_scored_and_themed_at_import(engine):
    load(engine, "feedback", "feedback_id,channel,created_at,text\n"
                             "f1,Discord,2026-03-01 10:00,I love the new guidelines\n"
                             "f2,slack,2026-03-01 11:00,\n")
    (f1,) = stored(engine, models.Feedback)
    assert f1.channel == "discord"
    assert f1.sentiment == pytest.approx(sentiment.score_text("I love the new guidelines"))
    assert f1.language == "en" and f1.themes == ["instructions"]


def test_survey_responses_from_a_google_form_export(engine):
    result = load(engine, "survey_responses",
                  "Timestamp,Email Address,How likely are you to recommend us to a friend?,"
                  "Why did you give that score?,Which team?\n"
                  "2026-03-02 10:00:00,ana@example.org,9,Great support,red\n"
                  "2026-03-02 11:00:00,nobody@example.org,4,,blue\n",
                  constants={"survey_id": "pulse-2026-03"})
    assert result.mapping == {"submitted_at": "Timestamp",
                              "score": "How likely are you to recommend us to a friend?",
                              "comment": "Why did you give that score?", "email": "Email Address"}
    assert result.hashed_ids and result.created_surveys == 1 and result.inserted == 2
    responses = stored(engine, models.SurveyResponse, models.SurveyResponse.submitted_at)
    assert [(r.score, r.comment, r.attributes) for r in responses] == [
        (9, "Great support", {"which_team": "red"}), (4, None, {"which_team": "blue"})]
    assert responses[1].sentiment is None  # a blank comment has no sentiment, not a neutral one
    (survey,) = stored(engine, models.Survey)
    assert survey.survey_id == "pulse-2026-03"


def test_survey_response_email_links_the_response_to_the_tasker(engine):
    load(engine, "members", "member_id,email\nm7,Ana@Example.org\n")
    result = load(engine, "survey_responses",
                  "response_id,survey_id,submitted_at,score,Email\n"
                  "r1,s1,2026-03-02,9,ana@example.org\nr2,s1,2026-03-02,7,who@example.org\n")
    assert [r.member_id for r in stored(engine, models.SurveyResponse, models.SurveyResponse.response_id)] == ["m7", None]
    assert result.warnings == ["1 rows had an email that matches no tasker; they were imported without a member."]


def test_resources_and_events_import(engine):
    load(engine, "resources", "resource_id,title,kind,project_id,last_reviewed_at,review_every_days\n"
                              "g1,Atlas guide,Guide,atlas,2026-01-10,30\n")
    load(engine, "events", "event_id,title,starts_at,duration_minutes,registrations\n"
                           "e1,Office hours,2026-03-05T15:00:00+01:00,45,120\n")
    (guide,) = stored(engine, models.Resource)
    (event,) = stored(engine, models.Event)
    assert (guide.kind, guide.review_every_days, guide.project_id) == ("guide", 30, "atlas")
    assert (event.starts_at, event.duration_minutes, event.attendance) == (
        dt.datetime(2026, 3, 5, 14, 0, tzinfo=UTC), 45, None)


# --- file formats ----------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_any_common_delimiter_is_recognised(engine, delimiter):
    text = delimiter.join(["member_id", "project_id", "day", "handle_seconds"]) + "\n" + \
        delimiter.join(["m1", "p1", "2026-03-01", "12.5"]) + "\n"
    assert load(engine, "activity", text).inserted == 1
    assert stored(engine, models.Activity)[0].handle_seconds == 12.5


def test_utf8_bom_semicolons_and_crlf_line_ends(engine):
    raw = "\ufeffmember_id;handle;country\r\nm1;José;PT\r\nm2;Zoë;NL\r\n".encode("utf-8")
    assert load(engine, "members", raw).inserted == 2
    assert [m.handle for m in stored(engine, models.Member, models.Member.member_id)] == ["José", "Zoë"]


def test_non_utf8_file_is_refused_with_advice_unless_its_encoding_is_given(engine):
    raw = "member_id,handle\nm1,José\n".encode("cp1252")
    with pytest.raises(ImportRejected, match="is not UTF-8 text .*CSV UTF-8"):
        load(engine, "members", raw)
    assert load(engine, "members", raw, encoding="cp1252").inserted == 1
    assert stored(engine, models.Member)[0].handle == "José"


def test_xlsx_dates_and_numbers_are_read_from_cells(engine):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["event_id", "title", "starts_at", "registrations"])
    sheet.append(["e1", "AMA", dt.datetime(2026, 3, 5, 15, 0), 40])
    sheet.append([None, None, None, None])
    sheet.append([2, "Training", "2026-03-06T09:00:00Z", 12.0])
    buffer = io.BytesIO()
    book.save(buffer)
    result = importer.import_file(engine, "events", buffer.getvalue(), filename="events.xlsx")
    assert (result.inserted, result.rejected) == (2, 0)
    events = stored(engine, models.Event, models.Event.event_id)
    assert [(e.event_id, e.starts_at, e.registrations) for e in events] == [
        ("2", dt.datetime(2026, 3, 6, 9, 0, tzinfo=UTC), 12), ("e1", dt.datetime(2026, 3, 5, 15, 0, tzinfo=UTC), 40)]


def test_empty_file_is_refused_and_header_only_imports_nothing_with_a_warning(engine):
    with pytest.raises(ImportRejected, match="is empty"):
        load(engine, "members", "")
    result = load(engine, "members", "member_id,handle\n")
    assert (result.rows_read, result.inserted) == (0, 0)
    assert result.warnings == ["upload.csv has a header row but no data rows: nothing to import."]


def test_blank_rows_are_skipped_short_rows_padded_and_long_rows_rejected(engine):
    result = load(engine, "members", "member_id,handle,country\n"
                                     "m1,ana\n"
                                     ",,\n"
                                     "\n"
                                     "m2,raj,IN,surprise\n"
                                     "m3,li,CN\n")
    assert (result.rows_read, result.inserted, result.rejected) == (3, 2, 1)
    assert rejects(result) == [(5, "(column 4)", "row has 4 values but the header has 3 columns")]
    assert [m.country for m in stored(engine, models.Member, models.Member.member_id)] == [None, "CN"]


def test_empty_and_repeated_headers_are_named(engine):
    peeked = read.peek(b"member_id,,Name,Name\nm1,x,a,b\n", filename="x.csv")
    assert peeked.columns == ["member_id", "column_2", "Name", "Name_2"]


# --- mapping, constants, ids ------------------------------------------------------------------------


def test_explicit_mapping_and_fixed_values_win_over_suggestions(engine):
    result = load(engine, "queue_items", "id,opened,message\nt1,2026-03-01T08:00:00Z,stuck upload\n",
                  mapping={"created_at": "opened", "last_error": "message"}, constants={"queue": "staging"})
    assert result.mapping == {"item_id": "id", "created_at": "opened", "last_error": "message"}
    (item,) = stored(engine, models.QueueItem)
    assert (item.queue, item.last_error) == ("staging", "stuck upload")


def test_missing_required_columns_are_named_with_the_columns_found(engine):
    with pytest.raises(ImportRejected) as error:
        load(engine, "activity", "member,when,count\nm1,2026-03-01,3\n")
    assert str(error.value).startswith("Daily activity: required columns project_id, day are missing. "
                                       "Columns found: member, when, count.")


def test_rows_without_an_id_column_get_stable_hashed_ids(engine):
    text = "Timestamp,Message\n2026-03-01 10:00,payout late\n2026-03-01 11:00,thanks!\n"
    first = load(engine, "feedback", text, constants={"channel": "forum"}, mapping={"text": "Message"})
    again = load(engine, "feedback", text, constants={"channel": "forum"}, mapping={"text": "Message"})
    assert (first.inserted, again.inserted, again.updated, again.unchanged) == (2, 0, 2, 2)
    expected = hashlib.blake2b("channel=forum\x1fcreated_at=2026-03-01 10:00\x1ftext=payout late".encode(),
                               digest_size=8).hexdigest()
    assert expected in [f.feedback_id for f in stored(engine, models.Feedback)]


# --- upsert -----------------------------------------------------------------------------------------


def test_reimport_updates_changed_rows_and_never_duplicates(engine):
    seed_activity(engine)
    result = load(engine, "activity", "member_id,project_id,day,tasks_submitted,handle_seconds\n"
                                      "m1,p1,2026-03-01,10,300\n"
                                      "m1,p1,2026-03-02,15,360\n"
                                      "m1,p1,2026-03-03,1,30\n")
    assert (result.inserted, result.updated, result.unchanged) == (1, 2, 1)
    assert [a.tasks_submitted for a in stored(engine, models.Activity, models.Activity.day)] == [10, 15, 1]


def test_reimport_leaves_columns_the_file_lacks_alone(engine):
    load(engine, "members", "member_id,handle,country\nm1,ana,BR\n")
    load(engine, "members", "member_id,status\nm1,paused\n")
    (member,) = stored(engine, models.Member)
    assert (member.handle, member.country, member.status) == ("ana", "BR", "paused")


def test_reimport_merges_new_attributes_with_stored_ones(engine):
    load(engine, "members", "member_id,cohort\nm1,A\n")
    load(engine, "members", "member_id,team\nm1,red\n")
    assert stored(engine, models.Member)[0].attributes == {"cohort": "A", "team": "red"}


def test_reimport_bumps_the_version_of_changed_queue_items_only(engine):
    text = "item_id,queue,created_at,status\nt1,review,2026-03-01T08:00Z,open\nt2,review,2026-03-01T09:00Z,open\n"
    load(engine, "queue_items", text)
    load(engine, "queue_items", text.replace("09:00Z,open", "09:00Z,resolved"))
    assert [(i.item_id, i.status, i.version) for i in stored(engine, models.QueueItem, models.QueueItem.item_id)] == [
        ("t1", "open", 1), ("t2", "resolved", 2)]


def test_duplicate_ids_in_one_file_reject_the_later_rows_even_across_chunks(engine):
    result = load(engine, "members", "member_id,handle\nm1,a\nm2,b\nm3,c\nm1,again\nm2,again\n", chunk_rows=2)
    assert (result.inserted, result.rejected) == (3, 2)
    assert rejects(result) == [(5, "member_id", "duplicate: the same member_id is already on row 2"),
                               (6, "member_id", "duplicate: the same member_id is already on row 3")]
    assert [m.handle for m in stored(engine, models.Member, models.Member.member_id)] == ["a", "b", "c"]


# --- strict and dry runs ------------------------------------------------------------------------------


def test_strict_import_writes_nothing_when_any_row_is_rejected(engine):
    with pytest.raises(importer.RowsRejected) as error:
        load(engine, "activity", "member_id,project_id,day,tasks_submitted\nm1,p1,2026-03-01,4\nm2,p1,2026-03-02,x\n",
             strict=True)
    assert (error.value.result.rejected, error.value.result.committed) == (1, False)
    assert stored(engine, models.Activity) == [] and stored(engine, models.Member) == []
    (run,) = stored(engine, models.SyncRun)
    assert (run.ok, run.inserted, run.rejected) == (False, 0, 1)
    assert run.error.startswith("Strict import of file:upload.csv: 1 of 2 rows rejected")


def test_dry_run_counts_but_writes_nothing(engine):
    seed_activity(engine)
    version = data_version(engine)
    result = load(engine, "activity", "member_id,project_id,day,tasks_submitted\n"
                                      "m1,p1,2026-03-01,99\nm9,p1,2026-03-01,1\nm1,p1,bad,1\n", dry_run=True)
    assert (result.inserted, result.updated, result.rejected, result.created_members) == (1, 1, 1, 1)
    assert list(result.preview["action"]) == ["update", "new"]
    assert [a.tasks_submitted for a in stored(engine, models.Activity, models.Activity.day)] == [10, 12]
    assert [m.member_id for m in stored(engine, models.Member)] == ["m1"]
    assert data_version(engine) == version and len(stored(engine, models.SyncRun)) == 1


# --- rejects ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("entity, text, column, reason", [
    ("activity", "member_id,project_id,day,tasks_submitted\nm1,p1,2026-03-01,3.5\n",
     "tasks_submitted", "tasks_submitted must be a whole number"),
    ("activity", "member_id,project_id,day,handle_seconds\nm1,p1,2026-03-01,ten\n",
     "handle_seconds", "handle_seconds is not a number (use digits, with a dot for decimals)"),
    ("activity", "member_id,project_id,day,tasks_rejected\nm1,p1,2026-03-01,-2\n",
     "tasks_rejected", "tasks_rejected must be 0 or more"),
    ("members", "member_id,timezone\nm1,GMT+2\n",
     "timezone", "timezone is not an IANA time zone name such as Europe/Berlin or America/Sao_Paulo"),
    ("members", "member_id,email\nm1,ana-at-example\n", "email", "email is not an email address"),
    ("members", "member_id,is_staff\nm1,maybe\n", "is_staff", "is_staff is not yes/no (true/false, 1/0)"),
    ("survey_responses", "response_id,survey_id,submitted_at,csat\nr1,s1,2026-03-01,6\n",
     "csat", "csat must be from 1 to 5"),
    ("survey_responses", "response_id,survey_id,submitted_at,score\nr1,s1,2026-03-01,\n",
     "score/csat/comment", "the response has no score, CSAT or comment"),
    ("activity", "member_id,project_id,day\nm1,p1,03/04/2026\n",
     "day", "day is ambiguous: day/month or month/day? Set the date order (dayfirst) or write YYYY-MM-DD"),
    ("activity", "member_id,project_id,day\nm1,p1,2026-02-30\n", "day", "day is not a real date"),
    ("feedback", "feedback_id,channel,created_at,text\nf1,slack,last tuesday,hi\n",
     "created_at", "created_at is not a date or time this importer reads; use ISO 8601 like "
                   "2026-03-04 14:30 or 2026-03-04T14:30Z"),
    ("feedback", "feedback_id,channel,created_at,text\nf1,,2026-03-01,hi\n", "channel", "channel is required"),
    ("queue_items", "item_id,queue,created_at,resolved_at\nt1,review,2026-03-02T10:00Z,2026-03-02T09:00Z\n",
     "resolved_at", "resolved_at is before created_at"),
])
def test_rejected_rows_say_which_row_which_column_and_why(engine, entity, text, column, reason):
    result = load(engine, entity, text)
    assert rejects(result) == [(2, column, reason)]  # the one data row is row 2 of the file, under its header
    assert (result.rejected, result.inserted) == (1, 0)


@pytest.mark.parametrize("value, options, expected", [
    ("2026-03-04", {}, dt.datetime(2026, 3, 4, tzinfo=UTC)),
    ("2026-03-04T10:00:00+02:00", {}, dt.datetime(2026, 3, 4, 8, tzinfo=UTC)),
    ("2026-03-04 10:00", {}, dt.datetime(2026, 3, 4, 10, tzinfo=UTC)),
    ("2026-03-04 10:00", {"timezone": "America/New_York"}, dt.datetime(2026, 3, 4, 15, tzinfo=UTC)),
    ("46082.5", {}, dt.datetime(2026, 3, 1, 12, tzinfo=UTC)),  # spreadsheet serial: days since 1899-12-30
    ("03/04/2026", {"dayfirst": True}, dt.datetime(2026, 4, 3, tzinfo=UTC)),
    ("03/04/2026", {"monthfirst": True}, dt.datetime(2026, 3, 4, tzinfo=UTC)),
    ("13/04/2026 14:30", {}, dt.datetime(2026, 4, 13, 14, 30, tzinfo=UTC)),  # only one reading is a date
    ("4 Mar 2026 9:15", {}, dt.datetime(2026, 3, 4, 9, 15, tzinfo=UTC)),
])
def test_timestamps_are_read_without_guessing(engine, value, options, expected):
    result = load(engine, "events", f"event_id,title,starts_at\ne1,AMA,{value}\n", **options)
    assert result.rejected == 0
    assert stored(engine, models.Event)[0].starts_at == expected


def test_mixed_date_formats_take_each_unambiguous_value_and_reject_the_rest(engine):
    result = load(engine, "events", "event_id,title,starts_at\n"
                                    "e1,a,2026-03-04\ne2,b,04/13/2026\ne3,c,05/06/2026\ne4,d,46082\n")
    assert [e.starts_at.date() for e in stored(engine, models.Event, models.Event.event_id)] == [
        dt.date(2026, 3, 4), dt.date(2026, 4, 13), dt.date(2026, 3, 1)]
    assert [(row, column) for row, column, _ in rejects(result)] == [(4, "starts_at")]


def test_a_column_mixing_day_first_and_month_first_dates_is_refused_not_read_two_ways(engine):
    # 25/12/2025 can only be day-first and 12/25/2025 only month-first: one of them is a mistake, and which is unknown.
    result = load(engine, "events", "event_id,title,starts_at\ne1,a,25/12/2025\ne2,b,12/25/2025\ne3,c,2026-03-04\n")
    assert [e.event_id for e in stored(engine, models.Event)] == ["e3"]
    assert [(row, column) for row, column, _ in rejects(result)] == [(2, "starts_at"), (3, "starts_at")]
    assert all("mixes day-first (25/12/2025) and month-first" in reason for _, _, reason in rejects(result))
    with_order = load(engine, "events", "event_id,title,starts_at\ne1,a,25/12/2025\ne2,b,12/11/2025\n", dayfirst=True)
    assert with_order.rejected == 0


# --- references -----------------------------------------------------------------------------------


def test_unknown_taskers_and_projects_are_created_by_default(engine):
    result = load(engine, "activity", "member_id,project_id,day\nm1,p1,2026-03-01\nm2,p1,2026-03-01\n")
    assert (result.created_members, result.created_projects) == (2, 1)
    assert result.summary() == ("2 rows read: 2 new, 0 updated, 0 rejected. "
                                "Created for unknown references: 2 taskers, 1 project.")
    assert [(p.project_id, p.name) for p in stored(engine, models.Project)] == [("p1", "p1")]


def test_unknown_taskers_are_rejected_when_creating_them_is_off(engine):
    seed_activity(engine)
    result = load(engine, "activity", "member_id,project_id,day\nm1,p1,2026-03-05\nm2,p1,2026-03-05\n",
                  create_missing=False)
    assert (result.inserted, result.created_members) == (1, 0)
    assert rejects(result) == [(3, "member_id", "member_id is not a known tasker (allow creating missing taskers "
                                                "to add it)")]


def test_after_an_import_the_connection_checks_foreign_keys_again(engine):
    load(engine, "activity", "member_id,project_id,day\nm1,p1,2026-03-01\n")
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:  # the pooled connection the import used
        driver = connection.connection.driver_connection
        assert driver.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert driver.execute("PRAGMA cache_size").fetchone()[0] != -WRITE_CACHE_KIB


# --- transactions, history, scoring -------------------------------------------------------------


def test_a_failed_import_leaves_stored_data_as_it_was(engine):
    seed_activity(engine)
    good = "".join(f"m1,p1,2026-04-{d:02d},1\n" for d in range(1, 6))
    raw = ("member_id,project_id,day,tasks_submitted\n" + good).encode() + "m2,p1,2026-04-09,é\n".encode("cp1252")
    with pytest.raises(ImportRejected, match="is not UTF-8"):
        load(engine, "activity", raw, chunk_rows=2)
    assert len(stored(engine, models.Activity)) == 2
    failed = stored(engine, models.SyncRun, models.SyncRun.id)[-1]
    assert (failed.ok, failed.inserted) == (False, 0) and "is not UTF-8" in failed.error


def test_each_import_is_recorded_with_its_counts_and_rejects(engine):
    result = load(engine, "activity", "member_id,project_id,day,tasks_submitted\nm1,p1,2026-03-01,1\nm1,p1,x,1\n",
                  filename="week10.csv")
    (run,) = stored(engine, models.SyncRun)
    assert (run.source, run.entity, run.ok, run.inserted, run.updated, run.rejected) == (
        "file:week10.csv", "activity", True, 1, 0, 1)
    assert run.rejects == [{"row": 3, "column": "day", "value": "x", "reason": result.rejects["reason"][0]}]
    assert result.run_id == run.id


def test_an_import_bumps_the_data_version_once(engine):
    before = data_version(engine)
    seed_activity(engine)
    assert data_version(engine) == before + 1


def test_unchanged_texts_are_not_rescored_on_reimport(engine, monkeypatch):
    scored: list[str] = []
    real = sentiment.score_texts

    def counting(texts, **kwargs):
        scored.extend(texts)
        return real(texts, **kwargs)

    monkeypatch.setattr(sentiment, "score_texts", counting)
    text = "feedback_id,channel,created_at,text\nf1,slack,2026-03-01,payouts are late\nf2,slack,2026-03-01,thanks all\n"
    load(engine, "feedback", text)
    assert scored == ["payouts are late", "thanks all"]
    result = load(engine, "feedback", text.replace("thanks all", "this is awful"))
    assert scored[2:] == ["this is awful"] and result.scored_texts == 1
    f2 = stored(engine, models.Feedback, models.Feedback.feedback_id)[1]
    assert f2.sentiment == pytest.approx(sentiment.score_text("this is awful")) and f2.sentiment < 0


def test_progress_is_reported_to_the_end(engine):
    seen = []
    load(engine, "members", "member_id\n" + "".join(f"m{i}\n" for i in range(5)), chunk_rows=2,
         progress=lambda fraction, message: seen.append(fraction))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


def test_a_dataframe_from_sheets_keeps_its_sheet_row_numbers(engine):
    frame = pd.DataFrame({"member_id": ["m1", "m2"], "email": ["a@x.org", "broken"]},
                         index=pd.Index([2, 5], name="row"))
    result = importer.import_frame(engine, "members", frame, source="sheet:roster")
    assert rejects(result) == [(5, "email", "email is not an email address")]


def test_a_nul_character_rejects_its_row_instead_of_failing_the_database(engine):
    # found by the property test: PostgreSQL text cannot hold byte 0
    result = load(engine, "members", "member_id,handle\nm1,a\x00b\nm2,ok\n")
    assert rejects(result) == [(2, "handle", "handle contains a NUL character (byte 0)")]
    assert result.inserted == 1


def test_imported_feedback_is_tagged_with_themes_the_team_adopted(engine):
    from core.feedback import triage as feedback_actions
    feedback_actions.adopt_theme(engine, name="Night shift rota", phrases=["night shift rota"], owner="ops",
                                 actor="command line")
    csv = b"feedback_id,channel,created_at,text\nf1,slack,2026-11-01T10:00:00Z,Please publish a night shift rota soon\n"
    importer.import_file(engine, "feedback", csv, filename="feedback.csv")
    with Session(engine) as session:
        stored = session.get(models.Feedback, "f1")
    assert any("night" in theme for theme in stored.themes), stored.themes


def test_an_import_is_audited_with_who_and_the_counts(engine):
    csv = b"member_id,country\nm1,BR\nm2,MX\n"
    with Session(engine) as session:  # core checks the role of the person it is told acts
        session.add(models.Person(email="priya@example.com", name="Priya", role="specialist"))
        session.commit()
    importer.import_file(engine, "members", csv, filename="roster.csv", actor="priya@example.com")
    with Session(engine) as session:
        event = session.exec(select(models.AuditEvent).where(models.AuditEvent.action == "import")).one()
    assert (event.actor, event.entity, event.entity_id) == ("priya@example.com", "members", "file:roster.csv")
    assert event.after == {"inserted": 2, "updated": 0, "rejected": 0, "batches": 1, "ok": True}


def test_rows_are_written_in_key_order_yet_the_preview_shows_the_files_first_rows(engine, monkeypatch):
    monkeypatch.setattr(importer, "WRITE_ROWS", 2)  # 5 rows: parts of 2 + 2 + 1, each of neighbouring keys
    written = []
    real = importer._Import.store
    monkeypatch.setattr(importer._Import, "store", lambda self, frame: (written.append(list(frame["member_id"])),
                                                                       real(self, frame)))
    result = load(engine, "activity", "member_id,project_id,day,tasks_submitted\n"
                                      "m3,p1,2026-03-01,1\nm1,p1,2026-03-02,2\nm2,p1,2026-03-01,3\n"
                                      "m1,p1,2026-03-01,4\nm3,p1,2026-03-02,5\n")
    assert written == [["m1", "m1"], ["m2", "m3"], ["m3"]]
    assert list(result.preview["row"]) == [2, 3, 4, 5, 6]
    assert list(result.preview["member_id"]) == ["m3", "m1", "m2", "m1", "m3"]
    assert sorted((a.member_id, str(a.day), a.tasks_submitted) for a in stored(engine, models.Activity)) == [
        ("m1", "2026-03-01", 4), ("m1", "2026-03-02", 2), ("m2", "2026-03-01", 3), ("m3", "2026-03-01", 1),
        ("m3", "2026-03-02", 5)]
