"""Today: KPI tiles with week-over-week deltas and a ranked attention list from the seeded demo."""

import pandas as pd

from core import overview, timeline
from core.feedback.messages import MessageScope
from core.health.active import load_active_days, load_community
from core.queues.facts import QueueFacts


def week_figures_for(engine, f) -> list:
    """The week's figures core computes for the filters Today ran with (the windows its loaders read)."""
    now = timeline.data_as_of(engine)
    start, end = pd.Timestamp(f.start, tz="UTC"), pd.Timestamp(f.end, tz="UTC")
    status = QueueFacts(engine, now, start=start - pd.Timedelta(days=30), end=end + pd.Timedelta(days=1),
                        projects=f.projects, regions=f.regions)
    said = MessageScope(engine, start=min(start, end - pd.Timedelta(days=35)), end=end + pd.Timedelta(days=1),
                        projects=tuple(f.projects) or None, regions=tuple(f.regions) or None)
    first_day = min(f.start, f.end - pd.Timedelta(days=7).to_pytimedelta()) - pd.Timedelta(days=27).to_pytimedelta()
    days = load_active_days(engine, start=first_day, end=f.end, projects=f.projects)
    return overview.week_figures(status=status, member_days=days, members=load_community(engine, regions=f.regions),
                                 messages=said, week_end=now)


def test_today_shows_the_six_headline_figures_core_computes_with_their_deltas(app, seeded_engine):
    at = app()
    figures = week_figures_for(seeded_engine, at.session_state["filters"])
    shown = [(m.label, m.value, m.delta) for m in at.metric]
    assert [label for label, _, _ in shown] == ["Weekly active", "Active rate", "SLA met", "First response",
                                                "Open backlog", "Net sentiment"]
    assert shown == [(f.label, f.fmt.format(f.this_week), "" if f.format_delta() == "—" else f.format_delta())
                     for f in figures]
    assert all(value not in ("", "—") for _, value, _ in shown)


def shown_entries(at) -> list[str]:
    """The attention entries as a person reads them (Markdown escapes removed)."""
    return [m.value.replace("\\", "") for m in at.markdown if m.value.startswith("**")]


def test_attention_list_puts_breaches_first_and_names_the_stuck_uploads(app):
    at = app()
    entries = shown_entries(at)
    assert entries, "the attention list is empty on the demo"
    assert "breached their SLA" in entries[0]
    assert any("uploads stuck in staging on Ember Creative Review" in e for e in entries)


def test_attention_list_names_the_launch_that_is_not_ready(app):
    assert any("Harbor Safety Red-Teaming launches in" in entry for entry in shown_entries(app()))


def test_each_entry_opens_the_tab_that_shows_it(app):
    at = app()
    links = {(entry.split("**")[1], link.proto.page, link.proto.query_string)
             for entry, link in zip(shown_entries(at), at.get("page_link"))}
    assert any("breached their SLA" in title and query == "queues_breach_tab=Breached%2C+still+open"
               for title, _, query in links)
    assert any("confusion after" in title and (page, query) == ("workforce", "workforce_tab=Confusion")
               for title, page, query in links)


def test_a_link_to_a_tab_opens_it(app):
    at = app("workforce", query={"workforce_tab": "Confusion"})
    assert at.session_state["workforce_tab"] == "Confusion" and "workforce_tab" not in at.query_params
    assert at.button(key="workforce_confusion_message")  # the confusion tab ran; the fatigue tab did not
    assert not [b for b in at.button if b.key == "workforce_fatigue_message"]
