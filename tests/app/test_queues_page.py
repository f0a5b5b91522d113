"""Queues: breach lists, business-hours clocks, stuck uploads with "Request retry", escalations and enforcement."""

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core import demo, models, timeline
from core.db import session_scope
from core.queues import views
from core.queues.actions import request_retry
from core.queues.facts import QueueFacts
from core.queues.read import load_stuck_thresholds
from tests.app.conftest import open_app

# A Wednesday noon when the tiny demo has open escalations and support items waiting on the tasker.
ANCHOR = dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC)


# AppTest does not expose a dataframe's key: each table is recognised by columns only it shows.
TABLES = {
    "queues_risk": {"target", "hours_left", "warn_level"},
    "queues_breakdown": {"first_response_median_hours"},
    "queues_stuck": {"stuck_reason", "last_error"},
    "queues_escalations": {"escalation_reason", "owner_team", "hours_left"},
    "queues_enforcements": {"actor", "reason", "action"},
    "queues_paused": {"clock_minutes", "time_left_minutes"},
}


def frame(at: AppTest, key: str):
    """The DataFrame of the table with this key."""
    return next(element.value for element in at.dataframe if TABLES[key] <= set(element.value.columns))


@pytest.fixture
def writable(engine, monkeypatch):
    """The app pointed at a fresh tiny demo of its own, so a test may write to it."""
    demo.seed_demo(engine, scale="tiny", seed=7, anchor=ANCHOR)
    monkeypatch.setenv("CROWDPULSE_NOW", ANCHOR.isoformat())  # looked at from the moment it was seeded
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))

    return lambda **state: open_app("queues", state=state)


def test_queues_shows_the_headline_tiles_and_what_breaches_next(app):
    at = app("queues")
    assert [m.label for m in at.metric] == ["Open backlog", "Breached", "At risk", "Resolution met", "Response met",
                                           "Median reply"]
    assert all(m.value not in ("", "—") for m in at.metric)
    assert [tab.label for tab in at.tabs] == ["About to breach", "Breached, still open", "Paused, waiting on the tasker",
                                             "Warnings by queue, project, priority", "Stuck in staging",
                                             "Escalations and enforcement"]
    risk = frame(at, "queues_risk")
    assert at.caption[1].value.startswith(f"**{len(risk):,}** clocks about to breach · ")
    assert set(risk["target"]) <= {"first response", "resolution"}
    assert risk["hours_left"].is_monotonic_increasing
    assert (risk["warn_level"] >= 50).all()


def test_the_breached_and_warnings_tabs_list_what_their_label_says(app):
    at = app("queues")
    at.session_state["queues_breach_tab"] = "Breached, still open"
    at.run()
    late = next(e.value for e in at.dataframe if "hours_overdue" in e.value.columns)
    assert at.caption[1].value.split(" · ")[1] == f"**{len(late):,}** clocks breached, still open"
    assert len(late) and (late["hours_overdue"] > 0).all() and late["hours_overdue"].is_monotonic_decreasing
    at.session_state["queues_breach_tab"] = "Warnings by queue, project, priority"
    at.run()
    at.segmented_control(key="queues_warn_by").set_value("priority").run()
    warnings = next(e.value for e in at.dataframe if "priority" in e.value.columns and "hours_left" not in e.value.columns)
    assert set(warnings["priority"]) <= {"urgent", "high", "normal", "low"} and len(warnings)


def test_breakdown_per_priority_has_percentiles_for_first_response_and_resolution(app):
    at = app("queues")
    at.segmented_control(key="queues_breakdown_by").set_value("priority").run()
    breakdown = frame(at, "queues_breakdown")
    assert set(breakdown["priority"]) == {"urgent", "high", "normal", "low"}
    assert breakdown[["first_response_median_hours", "resolution_p90_hours"]].notna().all().all()


def test_picking_the_support_queue_narrows_every_number(app):
    at = app("queues")
    everything = int(at.metric[0].value.replace(",", ""))
    at.multiselect(key="queues_queue").set_value(["support"]).run()
    support = int(at.metric[0].value.replace(",", ""))
    assert 0 < support < everything
    assert frame(at, "queues_breakdown")["open"].sum() == support


def test_stuck_ember_uploads_are_listed_with_their_last_error(app):
    at = app("queues")
    stuck = frame(at, "queues_stuck")
    assert len(stuck) >= 6 and set(stuck["project"]) == {"Ember Creative Review"}
    assert stuck["last_error"].notna().all()


def test_support_items_waiting_on_the_tasker_are_listed_as_paused(writable):
    at = writable()
    risk = frame(at, "queues_risk")
    at.session_state["queues_breach_tab"] = "Paused, waiting on the tasker"  # only the open tab runs
    at.run()
    paused = frame(at, "queues_paused")
    assert len(paused) and set(paused["status"]) == {"waiting on tasker"} and set(paused["queue"]) == {"support"}
    assert not set(paused["item_id"]) & set(risk["item_id"])
    assert not any(TABLES["queues_risk"] <= set(element.value.columns) for element in at.dataframe)


def test_request_retry_counts_the_retry_and_leaves_an_audit_event(writable, engine):
    at = writable()
    stuck = frame(at, "queues_stuck")
    item_id = stuck["item_id"].iloc[0]
    retries = int(stuck["retries"].iloc[0])
    at.multiselect(key="queues_retry_items").set_value([item_id]).run()
    at.text_input(key="queues_retry_note").set_value("storage permissions fixed").run()
    at.button(key=f"queues_retry_{item_id}").click().run()

    assert not at.exception and not at.error
    assert f"Retry requested for {item_id} (retry {retries + 1})" in at.success[0].value
    assert at.multiselect(key="queues_retry_items").value == []
    with session_scope(engine) as session:
        item = session.get(models.QueueItem, item_id)
        assert (item.retries, item.status, item.version) == (retries + 1, "retry_requested", 2)
        audit = session.exec(select(models.AuditEvent).where(models.AuditEvent.entity_id == item_id)).scalars().one()
        assert (audit.action, audit.actor) == ("request_retry", "local user")
        event = session.exec(select(models.QueueEvent).where(models.QueueEvent.item_id == item_id)
                             .order_by(models.QueueEvent.at.desc())).scalars().first()
        assert (event.status, event.note) == ("retry_requested", "storage permissions fixed")
    assert frame(at, "queues_stuck").set_index("item_id").at[item_id, "retries"] == retries + 1


def test_a_retry_someone_else_already_made_is_refused_with_who_did_it(writable):
    at = writable()
    item_id = frame(at, "queues_stuck")["item_id"].iloc[0]
    at.multiselect(key="queues_retry_items").set_value([item_id]).run()
    request_retry(at_engine(), item_id=item_id, expected_version=1, actor="joy.support@crowdpulse.example")
    at.button(key=f"queues_retry_{item_id}").click().run()
    assert "changed by someone else" in at.error[0].value
    assert "joy.support@crowdpulse.example" in at.error[0].value


def at_engine():
    """The engine the app under test writes to (the `writable` fixture's database)."""
    from core.db import make_engine
    return make_engine()


def test_an_enforcement_action_is_recorded_and_listed(writable, engine):
    at = writable(queues_work_tab="Escalations and enforcement")
    item_id = frame(at, "queues_escalations")["item_id"].iloc[0]
    at.selectbox(key="queues_enforce_item").set_value(item_id)
    at.radio(key="queues_enforce_action").set_value("takedown")
    at.text_area(key="queues_enforce_reason").set_value("Submission copied from a public dataset")
    at.button(key="FormSubmitter:queues_enforcement-Record action").click().run()

    assert not at.error, [e.value for e in at.error]
    assert at.success[0].value.startswith("Recorded: takedown for m")
    recent = frame(at, "queues_enforcements")
    assert recent[["action", "item_id", "actor"]].values.tolist()[0] == ["takedown", item_id, "local user"]
    with session_scope(engine) as session:
        actions = session.exec(select(models.AuditEvent.action).where(models.AuditEvent.entity != "demo_data"))
        assert actions.scalars().all() == ["enforcement_takedown"]


def test_an_enforcement_without_a_reason_is_refused_in_plain_words(writable):
    at = writable(queues_work_tab="Escalations and enforcement")
    at.text_input(key="queues_enforce_member").set_value("m000001")
    at.text_area(key="queues_enforce_reason").set_value("spam")
    at.button(key="FormSubmitter:queues_enforcement-Record action").click().run()
    assert "Write why" in at.error[0].value


def test_retry_all_selected_items_at_once(writable, engine):
    at = writable()
    chosen = frame(at, "queues_stuck")["item_id"].iloc[:2].tolist()
    at.multiselect(key="queues_retry_items").set_value(chosen).run()
    at.button(key="queues_retry_all").click().run()
    assert at.success[0].value == f"Retry requested for 2 items: {', '.join(chosen)}."
    with session_scope(engine) as session:
        actions = session.exec(select(models.AuditEvent.entity_id).where(models.AuditEvent.action == "request_retry")
                               ).scalars().all()
    assert sorted(actions) == sorted(chosen)


# --- issue 15: "now" is now, one breach count ----------------------------------------------------

PAST = {"from": "2026-10-01", "to": "2026-10-31"}


def overview_for(engine, f, queues=(), priorities=()):
    """What core computes for the Queues tiles: every item of the filters' projects and regions, clocks at the
    present, history over the filters' range."""
    now = timeline.present_minute()
    facts = QueueFacts(engine, now, projects=f.projects, regions=f.regions).narrowed(queues, priorities)
    start = pd.Timestamp(f.start, tz="UTC")
    end = pd.Timestamp(f.end, tz="UTC") + pd.Timedelta(days=1)
    limits = load_stuck_thresholds(engine)
    view = views.queue_overview(facts, now, start=start, end=end, stuck_after_hours=limits["stuck_after_hours"],
                                max_retries=limits["stuck_max_retries"])
    return facts, view


def expected_tiles(view) -> list[tuple[str, str]]:
    return [("Open backlog", f"{view.open_items:,.0f}"), ("Breached", f"{view.breached_items:,.0f}"),
            ("At risk", f"{view.at_risk_items:,.0f}"),
            ("Resolution met", f"{view.resolution['compliance']:.1%}"),
            ("Response met", f"{view.first_response['compliance']:.1%}"),
            ("Median reply", f"{view.median_first_response_hours:.1f} h")]


@pytest.mark.parametrize("query", [{}, PAST], ids=["default range", "October"])
def test_each_tile_shows_what_core_computes(app, seeded_engine, query):
    at = app("queues", query=query)
    f = at.session_state["filters"]
    if query:
        assert (f.start.isoformat(), f.end.isoformat()) == (query["from"], query["to"])
    _, view = overview_for(seeded_engine, f)
    assert [(m.label, m.value) for m in at.metric] == expected_tiles(view)


def test_a_past_range_changes_the_history_tiles_but_not_the_ones_now(app):
    default, october = app("queues"), app("queues", query=PAST)
    now_tiles = slice(0, 3)  # open backlog, breached, at risk
    assert [m.value for m in october.metric][now_tiles] == [m.value for m in default.metric][now_tiles]
    assert october.metric[0].value != "0"
    assert [m.value for m in october.metric][3:] != [m.value for m in default.metric][3:]


def breaches_on_today(at) -> dict[str, int]:
    """Today's breach entries as {queue: items}."""
    titles = [m.value.replace("\\", "").split("**")[1] for m in at.markdown if m.value.startswith("**")]
    return {title.split()[1]: int(title.split()[0]) for title in titles if title.endswith("breached their SLA")}


@pytest.mark.parametrize("query", [{}, PAST], ids=["default range", "October"])
def test_todays_breach_entries_cover_exactly_the_clocks_queues_counts(app, seeded_engine, query):
    queues, today = app("queues", query=query), app(query=query)
    _, view = overview_for(seeded_engine, queues.session_state["filters"])
    per_queue = view.breached.groupby("queue")["item_id"].nunique().to_dict()
    assert breaches_on_today(today) == per_queue
    assert sum(per_queue.values()) == int(queues.metric[1].value) == view.breached_items


def test_the_queue_and_priority_picks_live_in_the_url(app):
    at = app("queues", query={"queue": "escalation", "priority": "high"})
    assert at.multiselect(key="queues_queue").value == ["escalation"]
    assert at.multiselect(key="queues_priority").value == ["high"]
    at.multiselect(key="queues_queue").set_value(["support", "review"]).run()
    assert at.query_params["queue"] == ["support", "review"] and at.query_params["priority"] == "high"
    at.multiselect(key="queues_priority").set_value([]).run()
    assert "priority" not in at.query_params
