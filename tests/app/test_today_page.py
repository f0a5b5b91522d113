"""Today: KPI tiles with week-over-week deltas and a ranked attention list from the seeded demo."""

import re
from urllib.parse import parse_qs

import pandas as pd

from core import overview, timeline
from core.feedback.messages import MessageScope
from core.health.active import load_active_days, load_community
from core.health.scope import project_base
from core.queues.facts import QueueFacts


def week_figures_for(engine, f) -> list:
    """The week's figures core computes for Today: the 28 days ending on the data's last day (whatever the range),
    in the filters' projects and regions, open backlog at the present."""
    as_of, now = timeline.data_as_of(engine), timeline.present_minute()
    end = pd.Timestamp(as_of.date(), tz="UTC")
    status = QueueFacts(engine, now, projects=f.projects, regions=f.regions)
    said = MessageScope(engine, start=end - pd.Timedelta(days=35), end=end + pd.Timedelta(days=1),
                        projects=tuple(f.projects) or None, regions=tuple(f.regions) or None)
    days = load_active_days(engine, start=(end - pd.Timedelta(days=34)).date(), end=end.date(), projects=f.projects)
    members = project_base(engine, load_community(engine, regions=f.regions), end=end.date(), projects=f.projects)
    return overview.week_figures(status=status, member_days=days, members=members, messages=said, week_end=as_of,
                                 now=now)


def shown_figures(at) -> list[tuple]:
    """The tiles as (label, value, delta)."""
    return [(m.label, m.value, m.delta) for m in at.metric]


def test_today_shows_the_six_headline_figures_core_computes_with_their_deltas(app, seeded_engine):
    at = app()
    figures = week_figures_for(seeded_engine, at.session_state["filters"])
    shown = shown_figures(at)
    assert [label for label, _, _ in shown] == ["Weekly active", "Active rate", "SLA met", "First response",
                                                "Open backlog", "Net sentiment"]
    assert shown == [(f.label, f.fmt.format(f.this_week), "" if f.format_delta() == "—" else f.format_delta())
                     for f in figures]
    assert all(value not in ("", "—") for _, value, _ in shown)


def test_under_a_project_filter_the_active_rate_counts_the_projects_members_as_health_does(app, seeded_engine):
    at = app(query={"project": "p03", "region": "Latin America"})
    figures = week_figures_for(seeded_engine, at.session_state["filters"])
    shown = shown_figures(at)
    assert shown == [(f.label, f.fmt.format(f.this_week), "" if f.format_delta() == "—" else f.format_delta())
                     for f in figures]
    health = app("health", query={"project": "p03", "region": "Latin America"})
    rate = next(m.value for m in health.metric if m.label == "Active rate")
    assert (shown[1][0], shown[1][1]) == ("Active rate", rate)


def test_a_past_date_range_leaves_today_showing_now(app, seeded_engine):
    default = app()
    october = app(query={"from": "2026-10-01", "to": "2026-10-31"})
    assert october.session_state["filters"].end.isoformat() == "2026-10-31"
    assert shown_figures(october) == shown_figures(default)
    assert shown_entries(october) == shown_entries(default)
    # The open backlog is the one the Queues page counts now.
    queues = app("queues", query={"from": "2026-10-01", "to": "2026-10-31"})
    label, value, _ = shown_figures(october)[4]
    assert (label, value) == ("Open backlog", queues.metric[0].value) and value != "0"


def shown_entries(at) -> list[str]:
    """The attention entries as a person reads them (Markdown escapes removed)."""
    return [m.value.replace("\\", "") for m in at.markdown if m.value.startswith("**")]


def shown_scores(at) -> list[float]:
    """Each shown entry's score, from its caption ('Score 178 · severity 100 · 6 items')."""
    return [float(c.value.split(" · ")[0].removeprefix("Score ").replace(",", "")) for c in at.caption
            if c.value.startswith("Score ")]


def test_attention_list_ranks_by_score_and_names_the_breaches_and_stuck_uploads(app):
    at = app()
    entries, scores = shown_entries(at), shown_scores(at)
    assert entries, "the attention list is empty on the demo"
    assert len(scores) == len(entries) and scores == sorted(scores, reverse=True)
    # Issue 15: severity × (1 + log10 affected): 6 breached staging items (100 × 1.78) above 2 review items at 90%
    # (92 × 1.30), a single breached review item (100) below them.
    breached = [i for i, e in enumerate(entries) if "breached their SLA" in e]
    assert entries[breached[0]].startswith("**6 staging items breached their SLA**") and scores[breached[0]] == 178
    assert any("uploads stuck in staging on Ember Creative Review" in e for e in entries)


def test_attention_list_names_the_launch_that_is_not_ready(app):
    assert any("Harbor Safety Red-Teaming launches in" in entry for entry in shown_entries(app()))


def entry_links(at) -> list[tuple[str, str, dict]]:
    """Each shown entry as (title, linked page, query parameters)."""
    return [(entry.split("**")[1], link.proto.page, parse_qs(link.proto.query_string))
            for entry, link in zip(shown_entries(at), at.get("page_link"))]


def test_each_entry_opens_the_exact_view_that_shows_it(app):
    at = app()
    f = at.session_state["filters"]
    links = entry_links(at)
    kept = {"from": [f.start.isoformat()], "to": [f.end.isoformat()]}
    assert all({key: query.get(key) for key in kept} == kept for _, _, query in links)  # the filters stay
    clocks = [(re.fullmatch(r"\d+ (\w+) items? (breached their SLA|at \d+% of their SLA)", title), query)
              for title, page, query in links if page == "queues"]
    clocks = [(found.groups(), query) for found, query in clocks if found]
    assert {tab for (_, what), _ in clocks for tab in [what.split()[0]]} == {"breached", "at"}  # both kinds listed
    for (queue, what), query in clocks:  # each opens its queue on the tab that lists it
        tab = "Breached, still open" if what.startswith("breached") else "About to breach"
        assert query == {**kept, "queues_breach_tab": [tab], "queue": [queue]}
    stuck = next(query for title, _, query in links if "uploads stuck in staging" in title)
    assert (stuck["queues_work_tab"], stuck["queue"], len(stuck["project"])) == (["Stuck in staging"], ["staging"], 1)
    assert any("confusion after" in title and page == "workforce" and query["workforce_tab"] == ["Confusion"]
               and len(query["project"]) == 1 for title, page, query in links)


def test_the_link_to_breached_staging_items_opens_that_tab_and_queue_on_queues(app):
    today = app()
    _, _, query = next(link for link in entry_links(today) if "staging items breached" in link[0])
    at = app("queues", query={key: values[0] for key, values in query.items()})
    assert at.session_state["queues_breach_tab"] == "Breached, still open"
    assert at.multiselect(key="queues_queue").value == ["staging"]
    assert (at.query_params["queue"], at.query_params["queues_breach_tab"]) == ("staging", "Breached, still open")
    late = next(e.value for e in at.dataframe if "hours_overdue" in e.value.columns)
    assert set(late["queue"]) == {"staging"} and late["item_id"].nunique() == 6


def test_a_link_to_a_tab_opens_it(app):
    at = app("workforce", query={"workforce_tab": "Confusion"})
    # Issue 15: the open tab stays in the URL (it used to be read once and deleted).
    assert at.session_state["workforce_tab"] == "Confusion" and at.query_params["workforce_tab"] == "Confusion"
    assert at.button(key="workforce_confusion_message")  # the confusion tab ran; the fatigue tab did not
    assert not [b for b in at.button if b.key == "workforce_fatigue_message"]


def test_the_open_tab_is_written_to_the_url_on_each_run(app):
    at = app("workforce")
    assert at.query_params["workforce_tab"] == "Fatigue"
    at.session_state["workforce_tab"] = "Capacity planner"
    at.run()
    assert at.query_params["workforce_tab"] == "Capacity planner"


def test_a_hand_off_to_the_comms_studio_still_switches_page_from_a_tab_named_in_the_url(app):
    at = app("workforce", query={"workforce_tab": "Confusion"})
    at.button(key="workforce_confusion_message").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="comms_audience_source_new").value == "handoff"


def test_the_sidebar_says_how_old_the_data_is(app, seeded_engine):
    at = app()
    as_of = timeline.data_as_of(seeded_engine)
    age = timeline.age_words(timeline.present() - as_of)
    assert f"Data as of {as_of:%a %d %b, %H:%M} UTC, {age}" in [c.value for c in at.sidebar.caption]
    assert not at.sidebar.warning


def test_the_sidebar_warns_when_the_data_is_older_than_the_setting(app, seeded_engine, monkeypatch):
    monkeypatch.setenv("CROWDPULSE_NOW", "2026-11-20T15:00:00+00:00")  # three hours after the tiny demo's data
    monkeypatch.setenv("CROWDPULSE_STALE_AFTER_HOURS", "2")
    at = app()
    age = timeline.age_words(timeline.present() - timeline.data_as_of(seeded_engine))
    assert [w.value for w in at.sidebar.warning] == [
        f"The newest data is from {age} (older than 2 h): open clocks keep running, but nothing newer has arrived."]


def test_a_link_naming_a_project_sets_the_project_filter_in_the_same_session(app):
    at = app()
    _, _, query = next(link for link in entry_links(at) if "confusion after" in link[0])
    for key, values in query.items():
        at.query_params[key] = values
    at.run()
    assert at.session_state["filters"].projects == tuple(query["project"])
    assert at.multiselect(key="filter_projects").value == query["project"]
    at.multiselect(key="filter_projects").set_value([]).run()  # the person's own pick wins on the next run
    assert at.session_state["filters"].projects == () and "project" not in at.query_params
