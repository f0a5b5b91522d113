"""Weekly report: ISO weeks, deltas, a deterministic summary naming the demo's stories, and exports."""

import datetime as dt

import pandas as pd
import pytest

from core import reports, weeks
from core.demo import seed_demo

ANCHOR = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize("week, start", [("2026-W47", "2026-11-16"), ("2026-W01", "2025-12-29"), ("2027-W01", "2027-01-04")])
def test_iso_week_starts_on_its_monday(week, start):
    begin, end = weeks.parse_iso_week(week)
    assert begin == pd.Timestamp(start, tz="UTC") and end - begin == pd.Timedelta(days=7)


@pytest.mark.parametrize("week, previous", [("2026-W01", "2025-W52"), ("2027-W01", "2026-W53"), ("2026-W47", "2026-W46")])
def test_previous_week_crosses_year_boundaries(week, previous):
    assert weeks.previous_week(week) == previous


def test_a_bad_week_is_refused_with_the_expected_format():
    with pytest.raises(ValueError, match="like 2026-W47"):
        weeks.parse_iso_week("2026-47")


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    """The weekly report of the demo's last full week, on its own SQLite database."""
    from core.db import make_engine
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('weekly')}/demo.db")
    seed_demo(engine, scale="tiny", seed=7, anchor=ANCHOR)
    return reports.weekly_report_from_db(engine, "2026-W46"), engine


def test_summary_names_the_confused_project_its_region_and_the_weekend_breaches(demo_report):
    report, _ = demo_report
    interventions = " ".join(report.interventions)
    assert "Cedar GenAI Chat Rating" in interventions and "Latin America" in interventions
    assert any(risk.startswith("Escalation items due at weekends") for risk in report.risks)


def test_the_same_data_gives_the_same_text(demo_report):
    report, engine = demo_report
    again = reports.weekly_report_from_db(engine, "2026-W46")
    assert reports.to_markdown(again) == reports.to_markdown(report)


def test_markdown_has_the_figures_table_and_the_trend(demo_report):
    text = reports.to_markdown(demo_report[0])
    assert text.startswith("# CrowdPulse weekly health — 2026-W46\n"
                           "Mon 09 Nov – Sun 15 Nov 2026 (UTC), compared with 2026-W45 · all projects and regions · "
                           "data as of Fri 20 Nov 2026 11:59 UTC\n")
    assert "| SLA met |" in text and "## 4-week trend" in text and "2026-W43" in text
    assert "## Steady or too few to call" in text and "\n- NPS\\: " in text  # statements are Markdown-literal


def test_html_export_escapes_text(demo_report):
    report = demo_report[0]
    report.wins.append("<script>alert(1)</script>")
    page = reports.to_html(report)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_stalled_cohort_is_the_one_far_below_the_median():
    cohorts = pd.DataFrame({
        "cohort_week": pd.to_datetime(["2026-10-05"] * 2 + ["2026-10-12"] * 2 + ["2026-10-19"] * 2),
        "week_number": [0, 1] * 3, "cohort_size": [40] * 2 + [50] * 2 + [60] * 2,
        "active": [30, 28, 36, 35, 12, 10], "share": [0.0] * 6})
    stalled = reports.stalled_cohorts(cohorts)
    assert stalled["cohort_week"].tolist() == [pd.Timestamp("2026-10-19")]
    assert stalled["share"].tolist() == [0.2]


def test_weekly_figures_go_to_the_sheet_in_one_append_call(demo_report):
    import json

    from core.ingest.sheets import append_weekly_figures
    from tests.core.ingest.test_sheets import ReplaySheets, client_for
    adapter = ReplaySheets(append=[(200, {"updates": {"updatedRows": 6}})])
    written = append_weekly_figures(demo_report[1], client_for(adapter), demo_report[0],
                                    scope="all projects and regions", actor="command line",
                                    spreadsheet="https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit",
                                    worksheet="Weekly")
    assert written == 6 and adapter.count("append") == 1 and len(adapter.requests) == 1
    rows = json.loads(adapter.requests[0].body)["values"]
    assert [row[:3] for row in rows][:2] == [["2026-W46", "all projects and regions", "Weekly active"],
                                             ["2026-W46", "all projects and regions", "Active rate"]]


def test_report_cli_writes_markdown_for_the_asked_week(demo_report, tmp_path, monkeypatch, capsys):
    from core.__main__ import main
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", demo_report[1].url.render_as_string(hide_password=False))
    out = tmp_path / "w.md"
    assert main(["report", "weekly", "--week", "2026-W46", "--out", str(out)]) == 0
    assert out.read_text().startswith("# CrowdPulse weekly health — 2026-W46")
    assert main(["report", "weekly", "--week", "2026-46"]) == 2
    assert "like 2026-W47" in capsys.readouterr().err


def test_report_cli_defaults_to_the_last_complete_week(demo_report, monkeypatch, capsys):
    from core.__main__ import main
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", demo_report[1].url.render_as_string(hide_password=False))
    assert main(["report", "weekly"]) == 0
    assert capsys.readouterr().out.startswith("# CrowdPulse weekly health — 2026-W46\n")


def test_report_cli_labels_the_current_week_so_far(demo_report, tmp_path, monkeypatch, capsys):
    from core.__main__ import main
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", demo_report[1].url.render_as_string(hide_password=False))
    out = tmp_path / "w.html"
    assert main(["report", "weekly", "--week", "2026-W47", "--format", "html", "--out", str(out)]) == 0
    assert capsys.readouterr().out == (f"Wrote the 2026-W47 (so far, 5 of 7 days) report (all projects and regions) "
                                       f"to {out}\n")
    page = out.read_text()
    assert "<h1>CrowdPulse weekly health — 2026-W47 (so far, 5 of 7 days)</h1>" in page
    assert "<th>So far (5 of 7 days)</th><th>Same days of 2026-W46</th>" in page


def test_a_partial_week_is_compared_with_the_same_days_and_measured_at_the_last_day_with_data(demo_report):
    engine = demo_report[1]
    report = reports.weekly_report_from_db(engine, "2026-W47")
    assert report.window.label == "2026-W47 (so far, 5 of 7 days)"
    assert report.window.through == pd.Timestamp("2026-11-20 11:59:45.124471", tz="UTC")
    # Each trend point is Monday 00:00 .. Friday 11:59 of its week: the same days, never a full week.
    assert report.trend["week"].unique().tolist() == ["2026-W44", "2026-W45", "2026-W46", "2026-W47"]
    assert reports.trend_title(report) == "4-week trend (Mon 00:00 – Fri 11:59 UTC of each week)"
    full = reports.weekly_report_from_db(engine, "2026-W46")
    sla_so_far = report.trend[(report.trend["key"] == "sla") & (report.trend["week"] == "2026-W46")]
    assert sla_so_far["count"].iloc[0] < full.trend[(full.trend["key"] == "sla")
                                                    & (full.trend["week"] == "2026-W46")]["count"].iloc[0]
    assert [f.previous_week for f in report.figures] == sla_so_far_previous(report)


def sla_so_far_previous(report) -> list:
    """The figures' 'previous' values are the trend's W46 points (same days), not W46's full-week values."""
    w46 = report.trend[report.trend["week"] == "2026-W46"].set_index("key")["value"]
    return [w46[f.key] for f in report.figures]


def test_a_latin_america_export_is_titled_and_named_as_one(demo_report):
    engine = demo_report[1]
    report = reports.weekly_report_from_db(engine, "2026-W46", regions=("Latin America",))
    assert reports.to_markdown(report).startswith("# CrowdPulse weekly health — Latin America — 2026-W46\n")
    assert "<title>CrowdPulse weekly health — Latin America — 2026-W46</title>" in reports.to_html(report, "")
    assert report.file_name("md") == "crowdpulse-weekly-2026-W46-latin-america.md"
    current = reports.weekly_report_from_db(engine, "2026-W47", projects=("p03",), regions=("Latin America",))
    assert current.title == ("CrowdPulse weekly health — Cedar GenAI Chat Rating · Latin America — "
                             "2026-W47 (so far, 5 of 7 days)")
    assert current.file_name("html") == ("crowdpulse-weekly-2026-W47-so-far-5-of-7-days-"
                                         "cedar-genai-chat-rating-latin-america.html")


def test_a_snapshot_keeps_its_scope_label_and_data_age(demo_report):
    engine = demo_report[1]
    report = reports.weekly_report_from_db(engine, "2026-W47", regions=("Latin America",))
    reports.publish_snapshot(engine, report, filters={"projects": [], "regions": ["Latin America"]},
                             actor="marcus.lead@crowdpulse.example")
    stored = reports.list_snapshots(engine).iloc[0]
    assert stored["filters"]["label"] == "2026-W47 (so far, 5 of 7 days)"
    assert stored["filters"]["scope"] == "Latin America"
    assert stored["filters"]["as_of"] == "2026-11-20T11:59:45.124471+00:00"
    assert stored["summary_md"].startswith(
        "# CrowdPulse weekly health — Latin America — 2026-W47 (so far, 5 of 7 days)\n")
    assert reports.snapshot_caption(stored["week"], stored["filters"], pd.Timestamp("2026-11-20 13:00")) == (
        "2026-W47 (so far, 5 of 7 days) · Latin America — published 20 Nov 2026 13:00")


def test_report_cli_carries_its_scope_in_the_title_and_the_file_name(demo_report, tmp_path, monkeypatch, capsys):
    from core.__main__ import main
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", demo_report[1].url.render_as_string(hide_password=False))
    assert main(["report", "weekly", "--week", "2026-W46", "--project", "Cedar GenAI Chat Rating",
                 "--region", "Latin America", "--out", str(tmp_path)]) == 0
    written = tmp_path / "crowdpulse-weekly-2026-W46-cedar-genai-chat-rating-latin-america.md"
    assert capsys.readouterr().out == (f"Wrote the 2026-W46 report (Cedar GenAI Chat Rating · Latin America) "
                                       f"to {written}\n")
    assert written.read_text().startswith(
        "# CrowdPulse weekly health — Cedar GenAI Chat Rating · Latin America — 2026-W46\n")
    assert main(["report", "weekly", "--week", "2026-W46", "--project", "p03", "--format", "html"]) == 0
    assert "<h1>CrowdPulse weekly health — Cedar GenAI Chat Rating — 2026-W46</h1>" in capsys.readouterr().out
    assert main(["report", "weekly", "--project", "Nope"]) == 1
    assert capsys.readouterr().err.startswith("error: No project 'Nope': give a project id or name")
