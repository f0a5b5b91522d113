"""Weekly: opens on the last complete week, a partial week says "so far", links are honoured or answered, tiles
show what core computes."""

import pytest

from core import reports, weeks


def tiles_of(report) -> list[tuple[str, str, str]]:
    """(label, value, delta) of each KPI tile as the page must show it for this report."""
    return [(fig.label, fig.fmt.format(fig.this_week), "" if fig.format_delta() == "—" else fig.format_delta())
            for fig in report.figures]


def arrow_of(metric) -> tuple[str, str]:
    """(arrow direction, colour) of a KPI tile as Streamlit draws it."""
    proto = metric.proto
    return (type(proto).MetricDirection.Name(proto.direction), type(proto).MetricColor.Name(proto.color))


def expected_arrow(fig) -> tuple[str, str]:
    """No arrow for a change that rounds to zero; down for a fall (green when lower is better), up for a rise."""
    shown = fig.format_delta()
    if shown == "—" or shown.startswith("±"):
        return ("NONE", "GRAY")
    falls = shown.startswith("−")
    good = falls != fig.higher_is_better
    return ("DOWN" if falls else "UP", "GREEN" if good else "RED")


def test_weekly_opens_on_the_last_complete_week(app):
    # The fixture's demo is anchored on Friday 2026-11-20 (ISO week 47): W46 is the last week that ended.
    at = app("weekly")
    assert at.selectbox(key="weekly_week").value == "2026-W46"
    assert at.query_params["week"] in ("2026-W46", ["2026-W46"])
    assert not at.warning


def test_week_from_the_url_is_the_week_shown(app):
    at = app("weekly", query={"week": "2026-W45"})
    assert at.selectbox(key="weekly_week").value == "2026-W45"
    assert at.query_params["week"] in ("2026-W45", ["2026-W45"])


@pytest.mark.parametrize("week", ["2026-W46", "2026-W44"])
def test_each_tile_shows_the_figure_core_computes_for_the_week(app, seeded_engine, week):
    at = app("weekly", query={"week": week})
    f = at.session_state["filters"]
    report = reports.weekly_report_from_db(seeded_engine, week, projects=f.projects, regions=f.regions)
    assert [(m.label, m.value, m.delta) for m in at.metric] == tiles_of(report)
    assert at.metric[0].label == "Weekly active" and at.metric[0].value == f"{report.figures[0].this_week:,.0f}"
    assert [arrow_of(m) for m in at.metric] == [expected_arrow(fig) for fig in report.figures]
    headings = [m.value for m in at.markdown if m.value.startswith("####")]
    assert headings == ["#### Wins", "#### Risks", "#### Steady or too few to call", "#### Where to intervene"]
    bullets = [m.value.replace("\\", "") for m in at.markdown if m.value.startswith("- ")]
    assert bullets == [f"- {item}" for _, items in reports.summary_sections(report)
                       for item in items or ["Nothing notable this week."]]
    assert any(item.startswith("NPS: ") for _, items in reports.summary_sections(report) for item in items)


def test_the_current_week_is_labelled_so_far_and_compared_with_the_same_days(app, seeded_engine):
    at = app("weekly", query={"week": "2026-W47"})
    assert at.selectbox(key="weekly_week").value == "2026-W47"
    f = at.session_state["filters"]
    report = reports.weekly_report_from_db(seeded_engine, "2026-W47", projects=f.projects, regions=f.regions)
    assert report.window.label == "2026-W47 (so far, 5 of 7 days)"
    assert [(m.label, m.value, m.delta) for m in at.metric] == tiles_of(report)
    through = f"{report.window.through:%a %H:%M}"
    assert through.startswith("Fri ")  # the last day with data, never the week's Sunday
    assert [i.value for i in at.info][:1] == [
        f"2026-W47 (so far, 5 of 7 days): every figure counts Monday to {through} UTC and is compared with the same "
        "days of 2026-W46."]
    assert "compared with the same days of 2026-W46" in at.caption[0].value


def test_an_older_week_with_data_is_honoured_and_added_to_the_picker(app):
    at = app("weekly", query={"week": "2026-W30"})
    picker = at.selectbox(key="weekly_week")
    assert picker.value == "2026-W30" and "2026-W30" in picker.options
    assert not at.warning


@pytest.mark.parametrize("asked, said", [
    ("2026-47", "The link asks for week '2026-47', which is not an ISO week like 2026-W47."),
    ("2027-W10", "The link asks for 2027-W10, which has no data."),
])
def test_a_link_to_a_week_without_data_is_answered_not_silently_rewritten(app, asked, said):
    at = app("weekly", query={"week": asked})
    assert at.selectbox(key="weekly_week").value == "2026-W46"
    assert len(at.warning) == 1 and at.warning[0].value.startswith(said)
    assert "Showing 2026-W46, the last complete week." in at.warning[0].value


def test_publishing_keeps_a_snapshot_that_survives(app, engine, monkeypatch):
    import datetime as dt

    from core.demo import seed_demo
    seed_demo(engine, scale="tiny", seed=7, anchor=dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC))
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    at = app("weekly")
    at.button(key="weekly_publish").click().run()
    assert any(s.value.startswith("Published snapshot #1 for 2026-W46 (all projects and regions)") for s in at.success)
    snapshots = reports.list_snapshots(engine)
    assert len(snapshots) == 1 and snapshots["filters"][0]["label"] == "2026-W46"
    at.run()  # the next rerun sees the write: caches are keyed on the data version every write bumps
    picker = at.selectbox(key="weekly_snapshot")
    assert picker.options[0].startswith("2026-W46 · all projects and regions — published ")
    assert weeks.last_complete_week(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)) == "2026-W46"
