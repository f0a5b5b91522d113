"""Data page: upload a CSV, check it (dry run) with its rejected rows shown, then import it."""

import re
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.ingest import importer as ingest, sheets
from core import models

APP = str(Path(__file__).resolve().parents[2] / "app.py")
WEEK = (b"User ID,Project,Date,Submitted\r\n"
        b"m1,p1,2026-03-01,10\r\n"
        b"m2,p1,2026-03-01,seven\r\n"
        b"m1,p1,2026-03-02,12\r\n")


@pytest.fixture
def data_page(engine, monkeypatch):
    """The Data page running on a fresh database of its own (one tasker, so no demo is seeded)."""
    ingest.import_file(engine, "members", b"member_id\nm1\n", filename="roster.csv")
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("app_pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table_with(at: AppTest, columns: list[str]):
    """The first table showing exactly these columns (st.dataframe keys are not exposed by AppTest)."""
    return next(d.value for d in at.dataframe if list(d.value.columns) == columns)


def shown_text(markdown: str) -> str:
    """Text as a Markdown element displays it (the page escapes imported names and headers)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def activity_rows(engine) -> list[tuple]:
    with Session(engine) as session:
        rows = session.exec(select(models.Activity).order_by(models.Activity.day)).all()
    return [(a.member_id, a.day.isoformat(), a.tasks_submitted) for a in rows]


def test_dry_run_shows_counts_and_the_rejected_row_then_import_writes(data_page, engine):
    at = data_page
    at.selectbox(key="data_import_entity").set_value("activity").run()
    at.file_uploader(key="data_import_file").set_value(("week10.csv", WEEK, "text/csv")).run()
    assert at.button(key="data_import_run").disabled  # the check comes first

    at.button(key="data_import_check").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = metrics(at)
    assert (shown["New rows"], shown["Updated rows"], shown["Rejected rows"]) == ("2", "0", "1")
    rejected = table_with(at, ["row", "column", "value", "reason"])
    assert rejected[["row", "column", "value"]].values.tolist() == [[3, "Submitted", "seven"]]
    assert rejected["reason"].tolist() == ["tasks_submitted is not a number (use digits, with a dot for decimals)"]
    assert activity_rows(engine) == []  # a dry run writes nothing

    at.button(key="data_import_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert shown_text(at.success[0].value).startswith("Imported week10.csv: 3 rows read: 2 new, 0 updated, 1 rejected.")
    assert activity_rows(engine) == [("m1", "2026-03-01", 10), ("m1", "2026-03-02", 12)]
    assert metrics(at)["Activity"] == "2"  # the stored counts refreshed


def test_the_mapping_editor_is_prefilled_and_a_missing_column_is_explained(data_page):
    at = data_page
    at.selectbox(key="data_import_entity").set_value("activity").run()
    at.file_uploader(key="data_import_file").set_value(("x.csv", b"Worker ID,Submitted\nm1,3\n", "text/csv")).run()
    editor = at.data_editor[0].value
    assert dict(zip(editor["column"], editor["source"]))["member_id"] == "Worker ID"
    assert dict(zip(editor["column"], editor["source"]))["tasks_submitted"] == "Submitted"
    at.button(key="data_import_check").click().run()
    assert at.error[0].value.startswith("Daily activity: required columns project_id, day are missing. "
                                        "Columns found: Worker ID, Submitted.")


def test_a_saved_sheets_source_is_listed_with_its_last_outcome(data_page, engine):
    sheets.save_source(engine, name="Pulse", spreadsheet="1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
                       worksheet="Form Responses 1", entity="survey_responses")
    at = data_page
    at.run()
    listed = next(d.value for d in at.dataframe if "last_summary" in d.value.columns)
    assert listed[["name", "worksheet", "last_summary"]].values.tolist() == [["Pulse", "Form Responses 1",
                                                                              "never synced"]]
    assert at.warning == []
    # without credentials the page says where to put them and cannot sync
    assert any("gcp_service_account" in i.value for i in at.info)
    assert at.button(key="data_sync_now").disabled


def test_adding_a_source_from_the_form_parses_the_key_out_of_the_url(data_page, engine):
    at = data_page
    at.text_input(key="data_sheet_name").input("Pulse")
    at.text_input(key="data_sheet_url").input(
        "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit#gid=0")
    at.selectbox(key="data_sheet_entity").set_value("survey_responses")
    at.text_area(key="data_sheet_fixed").input("survey_id=pulse-1")
    at.button[[b.label for b in at.button].index("Save source")].click().run()
    assert not at.exception, [e.value for e in at.exception]
    saved = sheets.get_source(engine, "Pulse")
    assert (saved.spreadsheet_key, saved.constants) == ("1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", {"survey_id": "pulse-1"})


def test_a_failed_last_sync_is_spelled_out(data_page, engine):
    sheets.save_source(engine, name="Pulse", spreadsheet="1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
                       worksheet="Form Responses 1", entity="survey_responses")
    ingest.record_run(engine, None, source="sheet:Pulse", entity="survey_responses",
                      error="Spreadsheet 'Pulse survey' has no worksheet named 'Form Responses 1'; it has: 'Answers'.")
    at = data_page
    at.run()
    assert [w.value for w in at.warning] == [
        "Last sync of Pulse failed: Spreadsheet 'Pulse survey' has no worksheet named 'Form Responses 1'; it has: "
        "'Answers'."]


def audit_trail(engine, entity: str) -> list[tuple]:
    with Session(engine) as session:
        rows = session.exec(select(models.AuditEvent).where(models.AuditEvent.entity == entity)
                            .order_by(models.AuditEvent.id)).all()
    return [(e.actor, e.action, e.entity_id) for e in rows]


def test_adding_and_removing_a_source_ask_first_and_are_audited_under_the_person(data_page, engine):
    at = data_page
    at.text_input(key="data_sheet_name").input("Pulse")
    at.text_input(key="data_sheet_url").input("1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789")
    at.button[[b.label for b in at.button].index("Save source")].click().run()
    at.button(key="data_sync_remove").click().run()
    # the dialog names what goes and what stays; nothing is removed until it is confirmed
    assert any("column mapping and fixed values are deleted" in m.value for m in at.markdown)
    assert sheets.list_sources(engine)["name"].tolist() == ["Pulse"]
    at.button(key="data_sync_remove_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert sheets.list_sources(engine).empty
    assert audit_trail(engine, "sync_source") == [("local user", "create", "Pulse"), ("local user", "delete", "Pulse")]


def stored_member(engine, member_id: str) -> tuple:
    with Session(engine) as session:
        found = session.get(models.Member, member_id)
    return found.handle, found.email, found.country


def reimport(at: AppTest, name: str, body: bytes, *, clear: bool) -> AppTest:
    """Upload a members file, set the blank-cells switch, check it and import it."""
    at.selectbox(key="data_import_entity").set_value("members").run()
    at.file_uploader(key="data_import_file").set_value((name, body, "text/csv")).run()
    at.toggle(key="data_import_blank_clears").set_value(clear).run()
    at.button(key="data_import_check").click().run()
    at.button(key="data_import_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_blank_cells_keep_stored_values_unless_the_switch_says_clear(data_page, engine):
    ingest.import_file(engine, "members", b"member_id,handle,email,country\nm1,ana,ana@example.org,BR\n",
                       filename="first.csv")
    at = reimport(data_page, "blanks.csv", b"member_id,handle,email,country\nm1,,,\n", clear=False)
    assert stored_member(engine, "m1") == ("ana", "ana@example.org", "BR")
    shown = metrics(at)
    assert (shown["New rows"], shown["Updated rows"]) == ("0", "1")
    assert "0 new, 1 updated (1 unchanged), 0 rejected." in shown_text(at.success[0].value)
    at = reimport(at, "clear.csv", b"member_id,handle,email,country\nm1,,,\n", clear=True)
    assert stored_member(engine, "m1") == (None, None, None)


def test_an_xlsx_title_row_is_skipped_and_the_page_says_which_row_holds_the_headers(data_page):
    from openpyxl import Workbook
    import io

    book = Workbook()
    for row in (["Roster export, 20 Nov"], ["member_id", "country"], ["m2", "MX"]):
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    at = data_page
    at.selectbox(key="data_import_entity").set_value("members").run()
    at.file_uploader(key="data_import_file").set_value(("roster.xlsx", buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")).run()
    assert any("Read the column headers from row 2" in i.value for i in at.info)
    editor = at.data_editor[0].value
    assert dict(zip(editor["column"], editor["source"]))["country"] == "country"
    at.button(key="data_import_check").click().run()
    assert (metrics(at)["New rows"], metrics(at)["Rejected rows"]) == ("1", "0")
