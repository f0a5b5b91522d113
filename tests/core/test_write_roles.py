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


def _viewer_writes(engine, who: str) -> dict:
    """Each remaining write of issue 16, as the person `who` (the page passes only who is acting)."""
    from core import admin
    from core.feedback import triage
    from core.queues import actions

    return {
        "change settings": lambda: admin.update_setting(engine, key="stuck_after_hours", value=1, expected_version=1,
                                                        actor=who),
        "change SLA policies": lambda: admin.update_policy(engine, policy_id=1, changes={"resolution_minutes": 60},
                                                           expected_version=1, actor=who),
        "change people and roles": lambda: people.save_person(engine, email=who, name="Me", role="admin", actor=who),
        "adopt a theme": lambda: triage.adopt_theme(engine, name="Dark mode", phrases=["dark mode"], owner="ux",
                                                    actor=who),
        "correct a sentiment or theme": lambda: triage.override_scores(engine, entity="feedback", entity_id="x",
                                                                       expected_version=1, actor=who, sentiment=0.5),
        "triage messages": lambda: triage.triage_messages(engine, versions={"x": 1}, actor=who, status="handled"),
        "request a retry": lambda: actions.request_retry(engine, item_id="x", expected_version=1, actor=who),
        "record a warn": lambda: actions.record_enforcement(engine, member_id="m000001", action="warn",
                                                            reason="Low-effort answers on Cedar", actor=who),
        "record a ban": lambda: actions.record_enforcement(engine, member_id="m000001", action="ban",
                                                           reason="Repeated AI-generated uploads", actor=who),
    }


@pytest.mark.parametrize("doing", list(_viewer_writes(None, VIEWER)))
def test_a_viewer_identity_is_refused_by_core_for_every_write(seeded_engine, doing):
    from core.db import data_version

    before = data_version(seeded_engine)
    with pytest.raises(NotAllowed, match=f"can {doing}; you are signed in as viewer"):
        _viewer_writes(seeded_engine, VIEWER)[doing]()
    assert data_version(seeded_engine) == before


def test_a_specialist_may_warn_but_a_ban_needs_a_manager(seeded_engine):
    with pytest.raises(NotAllowed, match="Only a manager or above can record a ban; you are signed in as specialist"):
        _viewer_writes(seeded_engine, SPECIALIST)["record a ban"]()
