"""Every write checks, in core, the role of the person acting, derived from who they are (not from a role they claim)."""

import datetime as dt

import pytest

from core import people, reports
from core.demo import seed_demo
from core.errors import NotAllowed
from core.ingest import importer, sheets

ANCHOR = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
VIEWER, SPECIALIST, MANAGER = ("sam.viewer@crowdpulse.example", "priya.cs@crowdpulse.example",
                               "marcus.lead@crowdpulse.example")




def test_roles_come_from_identity(seeded_engine):
    assert [people.role_of(seeded_engine, who) for who in (VIEWER, SPECIALIST, MANAGER, "ana.ops@crowdpulse.example",
                                                            people.LOCAL_USER, people.COMMAND_LINE,
                                                            "stranger@example.com")] == [
        "viewer", "specialist", "manager", "admin", "admin", "admin", None]


def test_a_viewer_cannot_import_and_a_dry_run_is_still_allowed(seeded_engine):
    rows = b"member_id,project_id,day,tasks_submitted\nm000001,p01,2026-11-19,3\n"
    with pytest.raises(NotAllowed, match="Only a specialist or above can import data; you are signed in as viewer"):
        importer.import_file(seeded_engine, "activity", rows, filename="a.csv", actor=VIEWER)
    checked = importer.import_file(seeded_engine, "activity", rows, filename="a.csv", actor=VIEWER, dry_run=True)
    assert (checked.inserted, checked.rejected) == (1, 0)


def test_sheets_sources_need_a_specialist(seeded_engine):
    with pytest.raises(NotAllowed, match="add or change a Sheets source"):
        sheets.save_source(seeded_engine, name="Pulse", spreadsheet="1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
                           worksheet="Form Responses 1", entity="survey_responses", actor=VIEWER)
    for refused in (lambda: sheets.delete_source(seeded_engine, "Pulse", actor=VIEWER),
                    lambda: sheets.sync_source(seeded_engine, None, "Pulse", actor=VIEWER)):
        with pytest.raises(NotAllowed):
            refused()
    assert sheets.list_sources(seeded_engine).empty


def test_only_a_manager_publishes_the_week_and_only_an_admin_resets(engine):
    seed_demo(engine, scale="tiny", seed=7, anchor=ANCHOR)
    report = reports.weekly_report_from_db(engine, "2026-W46")
    for who in (VIEWER, SPECIALIST):
        with pytest.raises(NotAllowed, match="publish a weekly snapshot"):
            reports.publish_snapshot(engine, report, filters={}, actor=who)
    assert reports.publish_snapshot(engine, report, filters={}, actor=MANAGER) > 0
    with pytest.raises(NotAllowed, match="Only an admin can reset the data; you are signed in as manager"):
        seed_demo(engine, scale="tiny", seed=7, anchor=ANCHOR, actor=MANAGER)
