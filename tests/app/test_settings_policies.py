"""Settings, SLA policies: the whole policy edited, holidays pre-filled from a country, the effect shown before saving."""

import threading

import pandas as pd
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core import admin, rollups
from core.queues import rollup as queue_rollup
from core.demo import seed_demo
from core.queues.read import load_policies
from tests.app.conftest import APP

ANCHOR = pd.Timestamp("2026-11-20 12:00", tz="UTC").to_pydatetime()


@pytest.fixture
def settings(engine, monkeypatch):
    """The Settings page on a writable tiny demo database, run as the local admin."""
    seed_demo(engine, scale="tiny", seed=7, anchor=ANCHOR)
    monkeypatch.setenv("CROWDPULSE_NOW", ANCHOR.isoformat())
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page("app_pages/settings.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def policy_id(engine, label: str) -> int:
    """The id of the queue / priority policy."""
    stored = load_policies(engine)
    return int(stored.loc[stored["queue"] + " / " + stored["priority"] == label, "id"].iloc[0])


def submit(at: AppTest, label: str) -> AppTest:
    """Click the policy form's button with this label."""
    return next(b for b in at.button if b.label == label).click().run()


def test_the_form_shows_every_part_of_the_stored_policy(settings, engine):
    at = settings
    at.selectbox(key="settings_policy").set_value(policy_id(engine, "support / normal")).run()
    assert at.number_input(key="settings_policy_resolution").value == 48.0
    assert at.radio(key="settings_policy_clock").value == "business hours"
    assert at.selectbox(key="settings_policy_timezone").value == "UTC"
    assert [at.text_input(key=f"settings_policy_day_{d}").value for d in ("mon", "fri", "sat")] == [
        "08:00-18:00", "08:00-18:00", ""]
    assert at.multiselect(key="settings_policy_pauses").value == ["waiting_on_tasker"]


def test_holidays_prefill_from_a_country_and_the_effect_shows_before_saving(settings, engine):
    at = settings
    support = policy_id(engine, "support / normal")
    at.selectbox(key="settings_policy").set_value(support).run()
    at.selectbox(key="settings_policy_country").set_value("PH").run()
    at.button(key="settings_policy_prefill").click().run()
    holidays = at.text_area(key="settings_policy_holidays").value
    assert "2026-11-30 Bonifacio Day" in holidays and "2027-12-25 Christmas Day" in holidays
    at.selectbox(key="settings_policy_timezone").set_value("Asia/Manila")
    at.text_input(key="settings_policy_day_mon").set_value("09:00-18:00")
    at = submit(at, "Show the effect on past compliance")
    assert not at.exception
    shown = next(t.value for t in at.dataframe if {"version", "compliance"} <= set(t.value.columns))
    changes = {"first_response_minutes": 480, "resolution_minutes": 2880, "business_hours": True,
               "timezone": "Asia/Manila", "pause_statuses": ["waiting_on_tasker"],
               "schedule": {"mon": [9.0, 18.0], **{d: [8.0, 18.0] for d in ("tue", "wed", "thu", "fri")}},
               "holidays": sorted(line.split(" ")[0] for line in holidays.splitlines())}
    expected = admin.preview_policy(engine, policy_id=support, changes=changes, now=ANCHOR)
    expected["compliance"] = expected["compliance"] * 100  # tables show shares as percentages, one decimal
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected, check_dtype=False)
    stored = load_policies(engine).set_index("id").loc[support]
    assert stored["timezone"] == "UTC" and stored["holidays"] == []  # nothing saved yet


def saved(at: AppTest) -> AppTest:
    """Click Save, let the background save finish, and rerun as the page's progress fragment would."""
    at = submit(at, "Save policy")
    assert at.session_state["settings_policy_job"].wait(timeout=60)
    return at.run()


def test_saving_stores_the_whole_policy(settings, engine):
    at = settings
    support = policy_id(engine, "support / normal")
    at.selectbox(key="settings_policy").set_value(support).run()
    at.selectbox(key="settings_policy_timezone").set_value("Europe/Berlin")
    at.text_input(key="settings_policy_day_sat").set_value("10:00-14:00")
    at.text_area(key="settings_policy_holidays").set_value("2026-12-24 Christmas Eve\n2026-12-25")
    at = saved(at)
    assert "Saved the support / normal targets." in [s.value for s in at.success]
    stored = load_policies(engine).set_index("id").loc[support]
    assert stored["timezone"] == "Europe/Berlin"
    assert stored["schedule"]["sat"] == [10.0, 14.0] and stored["holidays"] == ["2026-12-24", "2026-12-25"]


def test_unreadable_opening_hours_are_explained_not_saved(settings, engine):
    at = settings
    at.text_input(key="settings_policy_day_mon").set_value("nine to five")
    at = submit(at, "Save policy")
    assert any("09:00-17:00" in e.value for e in at.error)
    assert not at.success


def test_saving_recomputes_the_clocks_in_the_background_while_the_page_stays_usable(settings, engine, monkeypatch):
    at = settings
    support = policy_id(engine, "support / normal")
    before = clock_rows(engine)
    release, real_update = threading.Event(), admin.update_policy

    def held_update(*args, progress, **kwargs):
        progress(0.25, "Recomputed the SLA clocks of 1 of 4 items")
        assert release.wait(timeout=60)
        return real_update(*args, progress=progress, **kwargs)

    monkeypatch.setattr(admin, "update_policy", held_update)
    at.selectbox(key="settings_policy").set_value(support).run()
    at.number_input(key="settings_policy_resolution").set_value(2.0)
    at = submit(at, "Save policy")
    bar = at.get("progress")[0].proto
    assert (bar.value, bar.text) == (25, "Recomputed the SLA clocks of 1 of 4 items")
    at.selectbox(key="settings_policy").set_value(policy_id(engine, "review / normal")).run()  # still usable
    assert not at.exception and at.get("progress")
    assert next(b for b in at.button if b.label == "Save policy").disabled  # one save at a time
    release.set()
    assert at.session_state["settings_policy_job"].wait(timeout=60)
    at.run()
    assert "Saved the support / normal targets." in [s.value for s in at.success] and not at.get("progress")
    after = clock_rows(engine)
    moved = after.index[after["state"].fillna("open").ne(before["state"].fillna("open"))]
    assert len(moved) > 0 and set(after.loc[moved, "queue"] + " / " + after.loc[moved, "priority"]) == {
        "support / normal"}
    with engine.begin() as connection:  # what a full rebuild under the saved policy gives
        rollups.refresh(connection, "sla_policies")
    pd.testing.assert_frame_equal(after, clock_rows(engine))


def clock_rows(engine) -> pd.DataFrame:
    """The stored SLA clock of every queue item, by item id."""
    with engine.connect() as connection:
        frame = pd.read_sql(select(queue_rollup.clock), connection)
    return frame.set_index("item_id").sort_index()
