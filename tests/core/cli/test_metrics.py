"""`python -m core metrics`: each metric's own window, --by over imported attributes, safe CSV (issue 15)."""

import csv
import io
import json

import pytest

from core.__main__ import main
from core.ingest import importer

MEMBERS = """member_id,country,vendor,team
m1,BR,,red
m2,BR,"=HYPERLINK(""http://x"")",blue
m3,MX,Acme,blue
"""
SURVEY = """response_id,survey_id,submitted_at,score,csat,member_id,wave
r1,s1,2026-06-01T10:00,10,5,m1,alpha
r2,s1,2026-06-02T10:00,9,4,m2,alpha
r3,s1,2026-06-03T10:00,3,2,m3,beta
"""
FEEDBACK = """feedback_id,channel,created_at,text,member_id
f1,slack,2026-06-01T10:00,I love this project it is great,m1
f2,"=HYPERLINK(""http://evil"")",2026-06-02T10:00,The pay is terrible and late,m2
f3,forum,2026-06-03T10:00,Great work everyone thanks,m3
"""
# q1 answered and resolved within its due time (met), q2 resolved two days after it came due (breached).
ITEMS = """item_id,queue,created_at,priority,status,first_response_at,resolved_at,due_at,member_id,site
q1,support,2026-06-01T10:00,normal,resolved,2026-06-01T11:00,2026-06-01T12:00,2026-06-02T10:00,m1,
q2,support,2026-06-02T10:00,normal,resolved,2026-06-02T11:00,2026-06-05T12:00,2026-06-03T10:00,m3,manila
"""


def _import(engine, tmp_path, entity, text):
    path = tmp_path / f"{entity}.csv"
    path.write_text(text)
    importer.import_file(engine, entity, path)


@pytest.fixture
def cli(engine, monkeypatch):
    """Runs `python -m core metrics …` against the test's own database; returns (rows, stderr)."""
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))

    def run(capsys, *args, fmt="json"):
        assert main(["metrics", *args, "--format", fmt]) == 0
        out, err = capsys.readouterr()
        return (json.loads(out) if fmt == "json" else out), err

    return run


def test_a_database_holding_only_old_survey_answers_counts_them(engine, tmp_path, cli, capsys):
    # Months before the present (pinned to 2026-11-20): 2 promoters, 1 detractor → NPS (2 − 1) / 3 = +33.3.
    _import(engine, tmp_path, "survey_responses", SURVEY)
    rows, err = cli(capsys, "nps")
    assert rows[0]["responses"] == 3 and rows[0]["promoters"] == 2 and rows[0]["detractors"] == 1
    assert rows[0]["nps"] == pytest.approx(100 / 3)
    assert err.strip() == "window: 2026-05-07 – 2026-06-03 (28 days to the latest survey response)"


def test_each_metric_window_ends_at_its_own_source(engine, tmp_path, cli, capsys):
    for entity, text in (("survey_responses", SURVEY), ("queue_items", ITEMS)):
        _import(engine, tmp_path, entity, text)
    assert cli(capsys, "sla")[1].strip() == "window: 2026-05-06 – 2026-06-02 (28 days to the latest queue item)"
    assert cli(capsys, "csat")[1].strip() == "window: 2026-05-07 – 2026-06-03 (28 days to the latest survey response)"
    assert "(28 days to today: no feedback message yet)" in cli(capsys, "sentiment")[1]
    assert cli(capsys, "nps", "--from", "2026-06-02", "--to", "2026-06-03")[1].strip() == (
        "window: 2026-06-02 – 2026-06-03 (2 days as asked)")


@pytest.fixture
def imported(engine, tmp_path):
    """Members with a `team` column, survey answers with a `wave` column, feedback and queue items."""
    for entity, text in (("members", MEMBERS), ("survey_responses", SURVEY), ("feedback", FEEDBACK),
                         ("queue_items", ITEMS)):
        _import(engine, tmp_path, entity, text)
    return engine


def test_sentiment_breaks_down_by_the_authors_imported_team(imported, cli, capsys):
    rows, _ = cli(capsys, "sentiment", "--by", "team")
    assert [(r["team"], r["count"], r["net"]) for r in rows] == [("blue", 2, 0.0), ("red", 1, 100.0)]


def test_nps_breaks_down_by_the_answers_own_column_and_the_respondents_team(imported, cli, capsys):
    by_wave, _ = cli(capsys, "nps", "--by", "wave")
    assert [(r["wave"], r["responses"], r["nps"]) for r in by_wave] == [("alpha", 2, 100.0), ("beta", 1, -100.0)]
    by_team, _ = cli(capsys, "nps", "--by", "team")  # blue: m2 promoter, m3 detractor → 0
    assert [(r["team"], r["responses"], r["nps"]) for r in by_team] == [("blue", 2, 0.0), ("red", 1, 100.0)]


def test_sla_breaks_down_by_the_items_own_attribute_or_its_taskers(imported, cli, capsys):
    # q1 (met) was m1's (team red, no site); q2 (breached) was m3's (team blue) at site manila.
    by_team, _ = cli(capsys, "sla", "--by", "team", "--from", "2026-06-01", "--to", "2026-06-10")
    assert [(r["team"], r["met"], r["breached"]) for r in by_team] == [("blue", 0, 1), ("red", 1, 0)]
    by_site, _ = cli(capsys, "sla", "--by", "site", "--from", "2026-06-01", "--to", "2026-06-10")
    assert [(r["site"], r["met"], r["breached"]) for r in by_site] == [("manila", 0, 1), (None, 1, 0)]


def test_a_by_that_is_neither_a_column_nor_an_attribute_is_one_clear_error(imported, monkeypatch, capsys):
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", imported.url.render_as_string(hide_password=False))
    assert main(["metrics", "sentiment", "--by", "tean"]) == 1
    assert "Cannot group sentiment by tean" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "column", "cell"), [
    (["nps", "--by", "vendor"], "vendor", "'=HYPERLINK(\"http://x\")"),
    (["sentiment", "--by", "channel"], "channel", "'=hyperlink(\"http://evil\")"),
])
def test_csv_output_neutralises_formula_cells(imported, cli, capsys, args, column, cell):
    out, _ = cli(capsys, *args, fmt="csv")
    values = [row[column] for row in csv.DictReader(io.StringIO(out))]
    assert cell in values and not any(v.startswith("=") for v in values)


@pytest.mark.parametrize("name", ["sla", "first_response", "sentiment", "nps"])
def test_a_direct_taskers_vendor_reads_direct(imported, cli, capsys, name):
    rows, _ = cli(capsys, name, "--by", "vendor", "--from", "2026-06-01", "--to", "2026-06-10")
    vendors = [row["vendor"] for row in rows]
    assert "direct" in vendors and None not in vendors


def test_workforce_breaks_down_by_the_taskers_imported_team(imported, tmp_path, cli, capsys):
    _import(imported, tmp_path, "activity", """member_id,project_id,day,tasks_submitted,tasks_approved,tasks_rejected
m1,p1,2026-06-01,10,9,1
m2,p1,2026-06-01,20,10,10
m3,p1,2026-06-02,30,20,10
""")
    rows, err = cli(capsys, "workforce", "--by", "team")
    assert err.strip() == "window: 2026-05-06 – 2026-06-02 (28 days to the latest day of activity)"
    # blue: m2 + m3 → 50 submitted, 30 of 50 reviewed approved; red: m1 → 9 of 10
    assert [(r["team"], r["submitted"], r["quality"]) for r in rows] == [("blue", 50, 0.6), ("red", 10, 0.9)]


COMMUNITY = """member_id,country,team,signed_up_at,onboarded_at
m1,BR,red,2026-05-20T09:00,2026-05-21T09:00
m2,BR,blue,2026-05-20T09:00,2026-05-22T09:00
m3,MX,blue,2026-05-25T09:00,2026-05-26T09:00
"""
# m1 starts the day after onboarding; m2 waits 10 days (not activated within 7); m3 starts the next day, and on 2 Jun.
COMMUNITY_DAYS = """member_id,project_id,day,tasks_submitted
m1,p1,2026-05-22,5
m2,p1,2026-06-01,5
m3,p1,2026-05-27,5
m3,p1,2026-06-02,5
"""


@pytest.fixture
def community(engine, tmp_path):
    """Three taskers of two countries and two imported teams, with their active days."""
    _import(engine, tmp_path, "members", COMMUNITY)
    _import(engine, tmp_path, "activity", COMMUNITY_DAYS)
    return engine


def test_active_breaks_down_by_the_taskers_imported_team(community, cli, capsys):
    rows, _ = cli(capsys, "active", "--by", "team", "--from", "2026-06-02", "--to", "2026-06-02")
    # blue: m3 on 2 Jun (daily), m2 and m3 in the 7 days; red: m1 only on 22 May (monthly, not weekly)
    assert [(r["team"], r["date"], r["dau"], r["wau"], r["mau"], r["active_rate"]) for r in rows] == [
        ("blue", "2026-06-02", 1, 2, 2, 1.0), ("red", "2026-06-02", 0, 0, 1, 1.0)]


def test_funnel_breaks_down_by_country(community, cli, capsys):
    rows, _ = cli(capsys, "funnel", "--by", "country", "--from", "2026-05-10", "--to", "2026-06-02")
    stages = [(r["country"], r["stage"], r["members"]) for r in rows if r["stage"] != "retained_30d"]
    assert stages == [("BR", "signed_up", 2), ("BR", "onboarded", 2), ("BR", "activated_7d", 1),
                      ("MX", "signed_up", 1), ("MX", "onboarded", 1), ("MX", "activated_7d", 1)]


def test_retention_breaks_down_by_country(community, cli, capsys):
    rows, _ = cli(capsys, "retention", "--by", "country", "--from", "2026-05-10", "--to", "2026-06-02")
    assert [(r["country"], r["cohort_week"], r["week_number"], r["cohort_size"], r["active"]) for r in rows] == [
        ("BR", "2026-05-18", 0, 2, 1), ("BR", "2026-05-18", 1, 2, 0), ("MX", "2026-05-25", 0, 1, 1)]


def test_active_by_a_project_column_says_what_to_use_instead(community, monkeypatch, capsys):
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", community.url.render_as_string(hide_password=False))
    assert main(["metrics", "active", "--by", "project_id"]) == 1
    assert "not by project_id: try `metrics workforce --by project_id`" in capsys.readouterr().err
