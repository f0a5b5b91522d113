"""Weekly report: ISO weeks, deltas, a deterministic summary naming the demo's stories, and exports."""

import datetime as dt

import pandas as pd
import pytest

from core import reports
from core.demo import seed_demo

ANCHOR = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize("week, start", [("2026-W47", "2026-11-16"), ("2026-W01", "2025-12-29"), ("2027-W01", "2027-01-04")])
def test_iso_week_starts_on_its_monday(week, start):
    begin, end = reports.parse_iso_week(week)
    assert begin == pd.Timestamp(start, tz="UTC") and end - begin == pd.Timedelta(days=7)


@pytest.mark.parametrize("week, previous", [("2026-W01", "2025-W52"), ("2027-W01", "2026-W53"), ("2026-W47", "2026-W46")])
def test_previous_week_crosses_year_boundaries(week, previous):
    assert reports.previous_week(week) == previous


def test_a_bad_week_is_refused_with_the_expected_format():
    with pytest.raises(ValueError, match="like 2026-W47"):
        reports.parse_iso_week("2026-47")


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    """The weekly report of the demo's last full week, on its own SQLite database."""
    from core.db import make_engine
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('weekly')}/demo.db")
    seed_demo(engine, scale="tiny", seed=7, anchor=ANCHOR)
    return reports.weekly_report_from_db(engine, "2026-W47"), engine


def test_summary_names_the_confused_project_its_region_and_the_weekend_breaches(demo_report):
    report, _ = demo_report
    interventions = " ".join(report.interventions)
    assert "Cedar GenAI Chat Rating" in interventions and "Latin America" in interventions
    assert any(risk.startswith("Escalation items due at weekends") for risk in report.risks)


def test_the_same_data_gives_the_same_text(demo_report):
    report, engine = demo_report
    again = reports.weekly_report_from_db(engine, "2026-W47")
    assert reports.to_markdown(again) == reports.to_markdown(report)


def test_markdown_has_the_figures_table_and_the_trend(demo_report):
    text = reports.to_markdown(demo_report[0])
    assert text.startswith("# CrowdPulse weekly health — 2026-W47\n")
    assert "| SLA met |" in text and "## 4-week trend" in text and "2026-W44" in text


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
    written = append_weekly_figures(client_for(adapter), demo_report[0], scope="all projects and regions",
                                    spreadsheet="https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit",
                                    worksheet="Weekly")
    assert written == 6 and adapter.count("append") == 1 and len(adapter.requests) == 1
    rows = json.loads(adapter.requests[0].body)["values"]
    assert [row[:3] for row in rows][:2] == [["2026-W47", "all projects and regions", "Weekly active"],
                                             ["2026-W47", "all projects and regions", "Active rate"]]


def test_report_cli_writes_markdown_for_the_asked_week(demo_report, tmp_path, monkeypatch, capsys):
    from core.__main__ import main
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", demo_report[1].url.render_as_string(hide_password=False))
    out = tmp_path / "w.md"
    assert main(["report", "weekly", "--week", "2026-W46", "--out", str(out)]) == 0
    assert out.read_text().startswith("# CrowdPulse weekly health — 2026-W46")
    assert main(["report", "weekly", "--week", "2026-46"]) == 2
    assert "like 2026-W47" in capsys.readouterr().err
