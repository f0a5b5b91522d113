"""Weekly: the chosen ISO week lives in the URL, figures compare with the week before, exports exist."""

from core import reports


def test_week_from_the_url_is_the_week_shown(app, seeded_engine):
    from core import timeline
    previous = reports.previous_week(reports.iso_week_of(timeline.data_as_of(seeded_engine)))
    at = app("weekly", query={"week": previous})
    assert at.selectbox(key="weekly_week").value == previous
    assert at.query_params["week"] in (previous, [previous])


def test_weekly_shows_headline_figures_and_the_written_summary(app):
    at = app("weekly")
    assert [m.label for m in at.metric][:3] == ["Weekly active", "Active rate", "SLA met"]
    headings = [m.value for m in at.markdown if m.value.startswith("####")]
    assert headings == ["#### Wins", "#### Risks", "#### Where to intervene"]


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
