"""Weekly: the chosen ISO week lives in the URL, figures compare with the week before, exports exist."""

from core import reports


def test_week_from_the_url_is_the_week_shown(app, seeded_engine):
    from core import timeline
    previous = reports.previous_week(reports.iso_week_of(timeline.data_as_of(seeded_engine)))
    at = app("weekly", query={"week": previous})
    assert at.selectbox(key="weekly_week").value == previous
    assert at.query_params["week"] in (previous, [previous])


def test_weekly_shows_the_figures_and_summary_of_the_report_core_builds(app, seeded_engine):
    at = app("weekly")
    f = at.session_state["filters"]
    report = reports.weekly_report_from_db(seeded_engine, at.selectbox(key="weekly_week").value,
                                           projects=f.projects, regions=f.regions)
    assert [m.label for m in at.metric][:3] == ["Weekly active", "Active rate", "SLA met"]
    assert [(m.label, m.value, m.delta) for m in at.metric] == [
        (fig.label, fig.fmt.format(fig.this_week), "" if fig.format_delta() == "—" else fig.format_delta())
        for fig in report.figures]
    headings = [m.value for m in at.markdown if m.value.startswith("####")]
    assert headings == ["#### Wins", "#### Risks", "#### Where to intervene"]
    bullets = [m.value.replace("\\", "") for m in at.markdown if m.value.startswith("- ")]
    assert bullets == [f"- {item}" for items in (report.wins, report.risks, report.interventions)
                       for item in items or ["Nothing notable this week."]]
    assert report.wins or report.risks or report.interventions


def test_publishing_keeps_a_snapshot_that_survives(app, engine, monkeypatch):
    import datetime as dt

    from core.demo import seed_demo
    seed_demo(engine, scale="tiny", seed=7, anchor=dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC))
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    at = app("weekly")
    at.button(key="weekly_publish").click().run()
    assert any("Published snapshot" in s.value for s in at.success)
    assert len(reports.list_snapshots(engine)) == 1
    at.run()  # the next rerun sees the write: caches are keyed on the data version every write bumps
    assert at.selectbox(key="weekly_snapshot").options
