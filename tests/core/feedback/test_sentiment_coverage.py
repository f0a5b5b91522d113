"""What each sentiment figure rests on, per language: the CLI's row and the Weekly report's statement (issue 18)."""

import json

import pandas as pd

from core.__main__ import main
from core.feedback import voice
from tests.core.factories import feedback, make_feedback

ROWS = feedback(
    make_feedback(feedback_id="f1", language="en", sentiment=0.5, project_id="p1"),
    make_feedback(feedback_id="f2", language="en", sentiment=-0.5, project_id="p1"),
    make_feedback(feedback_id="f3", language="es", sentiment=None, project_id="p1"),
    make_feedback(feedback_id="f4", language="es", sentiment=None, sentiment_override=0.8, project_id="p1"),
    make_feedback(feedback_id="f5", language="tl", sentiment=None, project_id="p2"),
    make_feedback(feedback_id="f6", language="tl", sentiment=None, project_id="p2"),
)


def test_the_sentiment_row_counts_scored_and_unscored_messages_per_language(scope_of):
    row = voice.sentiment_with_languages(scope_of(ROWS)).iloc[0]
    assert row["count"] == 3  # two English and the corrected Spanish one
    assert row["net"] == (2 / 3 - 1 / 3) * 100
    assert row["scored_by_language"] == {"en": 2, "es": 1}
    assert row["not_scored_by_language"] == {"es": 1, "tl": 2}


def test_a_group_whose_messages_are_all_unscored_still_has_its_row(scope_of):
    table = voice.sentiment_with_languages(scope_of(ROWS), "project_id").set_index("project_id")
    assert table.loc["p1", "count"] == 3 and table.loc["p1", "not_scored_by_language"] == {"es": 1}
    assert table.loc["p2", "count"] == 0 and pd.isna(table.loc["p2", "net"])
    assert table.loc["p2", "scored_by_language"] == {} and table.loc["p2", "not_scored_by_language"] == {"tl": 2}


def test_the_weekly_statement_says_what_net_sentiment_rests_on(scope_of):
    coverage = voice.language_coverage(scope_of(ROWS))
    assert voice.coverage_statement(coverage) == ("Net sentiment rests on 2 English and 1 Spanish messages; 2 in "
                                                  "Tagalog and 1 in Spanish are not scored (no scorer for their "
                                                  "language).")
    english = voice.language_coverage(scope_of(ROWS.iloc[:1]))
    assert voice.coverage_statement(english) == "Net sentiment rests on 1 English message, each scored in its own " \
                                                "language."
    assert voice.coverage_statement(voice.language_coverage(scope_of(ROWS.iloc[4:]))) == (
        "No message could be scored; 2 in Tagalog are not scored (no scorer for their language).")


def test_metrics_sentiment_json_carries_the_per_language_counts(scope_of, engine, monkeypatch, capsys):
    scope_of(ROWS)
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert main(["metrics", "sentiment", "--from", "2026-11-01", "--to", "2026-11-03", "--format", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["count"] == 3
    assert row["scored_by_language"] == {"en": 2, "es": 1}
    assert row["not_scored_by_language"] == {"es": 1, "tl": 2}


def test_the_weekly_report_says_per_language_what_net_sentiment_rests_on(seeded_engine):
    from core import reports
    from core.exports import markdown_literal
    from core.feedback.messages import MessageScope
    report = reports.weekly_report_from_db(seeded_engine, "2026-W46")
    week = MessageScope(seeded_engine, start=pd.Timestamp("2026-11-09", tz="UTC"),
                        end=pd.Timestamp("2026-11-16", tz="UTC"))
    coverage = voice.language_coverage(week)
    statement = voice.coverage_statement(coverage)
    assert coverage["not_scored"].sum() > 0 and "are not scored (no scorer for their language)" in statement
    assert f"{coverage.set_index('language').loc['en', 'scored']:,} English" in statement
    assert statement in report.no_call
    assert f"- {markdown_literal(statement)}" in reports.to_markdown(report)  # statements are escaped in Markdown
