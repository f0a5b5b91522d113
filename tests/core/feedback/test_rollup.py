"""The feedback roll-up: aggregated in SQL, it gives the numbers the message rows give, and stays in step with writes."""

import dataclasses

import pandas as pd
import pytest

from core.errors import CrowdPulseError
from core.feedback import inbox as feedback_inbox, quotes, read, report as feedback_report, surveys, themes, voice
from core.feedback import triage as feedback_actions
from core.feedback.messages import MessageScope
from core.feedback.sentiment import effective_sentiment
from core.feedback.surveys import ResponseScope
from core.feedback.themes import effective_themes
from core.ingest import importer as ingest
from tests.core.feedback.oracle import FrameResponses, FrameScope, theme_messages
from tests.conftest import DEMO_ANCHOR

AS_OF = pd.Timestamp(DEMO_ANCHOR)  # noon: 7-day windows end inside a day, not at midnight
START, END = AS_OF - pd.Timedelta(days=35), AS_OF + pd.Timedelta(days=1)


def same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True), check_dtype=False,
                                  check_index_type=False, check_column_type=False, rtol=1e-9)


@pytest.fixture(scope="module")
def both(seeded_engine):
    """The demo's messages of five weeks as rows and as a roll-up scope."""
    return (read.load_feedback(seeded_engine, start=START, end=END),
            MessageScope(seeded_engine, start=START, end=END))


@pytest.fixture(scope="module")
def answers(seeded_engine):
    """The demo's survey responses."""
    return read.load_responses(seeded_engine)


def test_demo_has_messages_with_themes_and_corrections_to_compare(both):
    rows, scope = both
    assert len(rows) > 200 and scope.count() == len(rows)
    assert effective_themes(rows).map(len).sum() > 100


@pytest.mark.parametrize("by", [None, "channel", "region", "project_id", "language"])
def test_sentiment_summary_from_the_rollup_matches_the_rows(both, by):
    rows, scope = both
    same(voice.sentiment_summary(scope, by), voice.sentiment_summary(FrameScope(rows), by))


@pytest.mark.parametrize("by", [None, "channel", "region"])
def test_theme_summary_from_the_rollup_matches_the_rows(both, by):
    rows, scope = both
    same(voice.theme_summary(scope, by), voice.theme_summary(FrameScope(rows), by))


def test_windowed_views_from_the_rollup_match_the_rows(both, answers):
    rows, scope = both
    same(voice.sentiment_by_week(scope, AS_OF, weeks=5), voice.sentiment_by_week(FrameScope(rows), AS_OF, weeks=5))
    same(voice.theme_trend(scope, AS_OF, weeks=5), voice.theme_trend(FrameScope(rows), AS_OF, weeks=5))
    same(voice.theme_sentiment_mix(scope), voice.theme_sentiment_mix(FrameScope(rows)))
    same(voice.sentiment_trend(scope, freq="W"), voice.sentiment_trend(FrameScope(rows), freq="W"))
    card = voice.theme_scorecard(scope, FrameResponses(answers), AS_OF, weeks=5)
    expected = voice.theme_scorecard(FrameScope(rows), FrameResponses(answers), AS_OF, weeks=5)
    same(card.drop(columns="weekly"), expected.drop(columns="weekly"))
    assert card["weekly"].tolist() == expected["weekly"].tolist()


def test_alerts_from_the_rollup_match_the_rows(both):
    rows, scope = both
    for kwargs in ({}, {"min_recent": 1, "min_growth": 0.0}):
        same(voice.growing_negative_themes(scope, AS_OF, **kwargs),
             voice.growing_negative_themes(FrameScope(rows), AS_OF, **kwargs))
    for kwargs in ({}, {"min_recent": 1, "min_drop_points": -200.0}):
        same(voice.theme_sentiment_drops(scope, AS_OF, **kwargs),
             voice.theme_sentiment_drops(FrameScope(rows), AS_OF, **kwargs))
    same(voice.theme_segments(scope, ["region", "project_id", "channel"], min_mentions=1, min_lift=0.0),
         voice.theme_segments(FrameScope(rows), ["region", "project_id", "channel"], min_mentions=1, min_lift=0.0))


@pytest.mark.parametrize("candidates", [200, 3, 8])
def test_quotes_read_on_demand_are_the_quotes_of_all_the_rows(both, monkeypatch, candidates):
    monkeypatch.setattr(quotes, "CANDIDATES", candidates)  # small: the texts are read a few at a time
    monkeypatch.setattr(quotes, "TEXTS_READ_WHOLE", 0 if candidates < 200 else 20_000)
    rows, scope = both
    for theme in voice.theme_summary(FrameScope(rows))["theme"]:
        mentions = theme_messages(rows, theme)
        assert scope.quotes(theme) == themes.representative_quotes(
            mentions["text"].tolist(), effective_sentiment(mentions).tolist())
        assert feedback_report.issue_quotes(scope, theme) == feedback_report.issue_quotes(FrameScope(rows), theme)
        assert feedback_report.issue_quotes(scope, theme, shown=1) == feedback_report.issue_quotes(
            FrameScope(rows), theme, shown=1)
        assert scope.theme_count(theme) == len(mentions)


def test_report_from_the_rollup_matches_the_rows(both, answers, seeded_engine):
    rows, scope = both
    waves = read.load_surveys(seeded_engine)
    kwargs = dict(start=START.date(), end=AS_OF.date(), as_of=AS_OF, weeks=5)
    report = feedback_report.build_feedback_report(scope, FrameResponses(answers), waves, **kwargs)
    expected = feedback_report.build_feedback_report(FrameScope(rows), FrameResponses(answers), waves, **kwargs)
    assert len(report.issues) > 1

    def rounded(issue):  # SQL sums in another order: the mean may differ in the 17th digit
        return dataclasses.replace(issue, mean_sentiment=round(issue.mean_sentiment, 12))

    assert [rounded(i) for i in report.issues] == [rounded(i) for i in expected.issues]
    assert dataclasses.replace(report, issues=[]) == dataclasses.replace(expected, issues=[])


def test_inbox_pages_from_the_rollup_match_the_rows(both):
    rows, scope = both
    for filters in ({}, {"statuses": ["new"], "sentiments": ["negative"]}, {"themes": ["payments", "tooling"], "channels": ["slack"]}):
        listed, total = feedback_inbox.inbox_from(scope, limit=50, **filters)
        expected, expected_total = feedback_inbox.inbox(rows, limit=50, **filters)
        assert total == expected_total > 0
        same(listed, expected)


def test_scope_filters_by_region_and_project_like_the_rows(both):
    rows, scope = both
    region, project = rows["region"].dropna().iloc[0], rows["project_id"].dropna().iloc[0]
    narrowed = rows[(rows["region"] == region) & (rows["project_id"] == project)]
    narrow = MessageScope(scope.engine, start=START, end=END, regions=(region,), projects=(project,))
    assert narrow.count() == len(narrowed)
    same(voice.theme_summary(narrow), voice.theme_summary(FrameScope(narrowed)))


# --- kept in step with writes --------------------------------------------------------------------


def _import(engine, entity, rows, **options):
    return ingest.import_frame(engine, entity, pd.DataFrame(rows), **options)


def _community(engine):
    _import(engine, "members", [{"member_id": "m1", "country": "DE"}, {"member_id": "m2", "country": "BR"}])
    _import(engine, "feedback", [
        {"feedback_id": "f1", "channel": "slack", "created_at": "2026-11-02T08:00:00Z", "member_id": "m1",
         "text": "The payout is late again and nobody answers, this is terrible"},
        {"feedback_id": "f2", "channel": "forum", "created_at": "2026-11-03T08:00:00Z", "member_id": "m2",
         "text": "Love the new guidelines, thanks team"},
    ])
    return MessageScope(engine)


def test_an_import_of_messages_updates_the_rollup(engine):
    scope = _community(engine)
    assert scope.count() == 2
    before = voice.theme_summary(scope)
    _import(engine, "feedback", [{"feedback_id": "f3", "channel": "slack", "created_at": "2026-11-04T08:00:00Z",
                                  "member_id": "m2", "text": "Still no payout, awful"}])
    assert scope.count() == 3
    after = voice.theme_summary(scope)
    assert after["count"].sum() > before["count"].sum()
    same(after, voice.theme_summary(FrameScope(read.load_feedback(engine))))


def test_a_member_becoming_staff_leaves_the_rollup(engine):
    scope = _community(engine)
    _import(engine, "members", [{"member_id": "m1", "is_staff": True}])
    assert scope.count() == 1


def test_a_correction_changes_the_rollup_numbers(engine):
    scope = _community(engine)
    row = read.load_feedback(engine).set_index("feedback_id").loc["f2"]
    feedback_actions.override_scores(engine, entity="feedback", entity_id="f2", expected_version=int(row["version"]),
                                     actor="command line", sentiment=-0.8,
                                     themes_set=["payments"])
    summary = voice.sentiment_summary(scope).iloc[0]
    assert summary["negative_share"] == 1.0
    assert "payments" in set(voice.theme_summary(scope)["theme"])
    same(voice.theme_summary(scope), voice.theme_summary(FrameScope(read.load_feedback(engine))))


def test_a_strict_rejected_import_leaves_the_rollup_as_it_was(engine):
    scope = _community(engine)
    before = voice.theme_summary(scope)
    try:
        _import(engine, "feedback", [
            {"feedback_id": "f9", "channel": "slack", "created_at": "2026-11-05T08:00:00Z", "text": "payout late"},
            {"feedback_id": "f10", "channel": "slack", "created_at": "not a date", "text": "broken"},
        ], strict=True)
    except CrowdPulseError:
        pass
    assert scope.count() == 2
    same(voice.theme_summary(scope), before)


def test_triage_changes_the_count_of_untriaged_messages(engine):
    scope = _community(engine)
    assert scope.new_count() == 2
    version = int(read.load_feedback(engine).set_index("feedback_id").loc["f1", "version"])
    feedback_actions.triage_messages(engine, versions={"f1": version}, actor="command line", status="handled")
    assert scope.new_count() == 1


@pytest.mark.parametrize("by", ["region", "vendor", "tenure_band", "language"])
def test_survey_audiences_from_counted_population_match_the_member_rows(seeded_engine, answers, by):
    waves = read.load_surveys(seeded_engine)
    counted = read.load_survey_population(seeded_engine, by=by)
    assert counted["members"].sum() > 0
    same(surveys.survey_scorecard(answers, waves, by=by, population=counted),
         surveys.survey_scorecard(answers, waves, by=by, population=read.load_survey_population(seeded_engine)))


# --- survey answers ------------------------------------------------------------------------------


@pytest.mark.parametrize("by", [None, "region", "country", "language", "vendor", "tenure_band"])
def test_survey_scorecard_from_the_rollup_matches_the_rows(seeded_engine, answers, by):
    waves = read.load_surveys(seeded_engine)
    population = None if by is None else read.load_survey_population(seeded_engine, by=by)
    card = surveys.survey_scorecard(ResponseScope(seeded_engine), waves, by=by, population=population)
    assert len(card) >= 3
    same(card, surveys.survey_scorecard(answers, waves, by=by, population=population))


def test_survey_views_of_one_region_from_the_rollup_match_the_rows(seeded_engine, answers):
    region = answers["region"].dropna().iloc[0]
    rows, scope = answers[answers["region"] == region], ResponseScope(seeded_engine, regions=(region,))
    assert scope.count() == len(rows) > 0
    same(surveys.survey_scorecard(scope, read.load_surveys(seeded_engine)),
         surveys.survey_scorecard(rows, read.load_surveys(seeded_engine)))
    same(surveys.theme_nps_impact(scope), surveys.theme_nps_impact(FrameResponses(rows)))


def test_theme_nps_impact_and_scorecard_from_the_rollup_match_the_rows(both, answers, seeded_engine):
    rows, scope = both
    responses = ResponseScope(seeded_engine)
    impact = surveys.theme_nps_impact(responses)
    assert len(impact) > 3
    same(impact, surveys.theme_nps_impact(FrameResponses(answers)))
    card = voice.theme_scorecard(scope, responses, AS_OF, weeks=5)
    expected = voice.theme_scorecard(FrameScope(rows), FrameResponses(answers), AS_OF, weeks=5)
    same(card.drop(columns="weekly"), expected.drop(columns="weekly"))


def test_survey_comments_and_segment_columns_from_the_rollup_match_the_rows(seeded_engine, answers):
    scope = ResponseScope(seeded_engine)
    for survey_id in read.load_surveys(seeded_engine)["survey_id"]:
        listed = surveys.survey_comments(scope, survey_id, limit=40)
        assert len(listed) == 40
        same(listed, surveys.survey_comments(FrameResponses(answers), survey_id, limit=40))
    assert scope.columns() == list(answers.columns)
    assert surveys.survey_segment_columns(pd.DataFrame(columns=scope.columns())) == \
        surveys.survey_segment_columns(answers)


def test_report_with_the_survey_rollup_matches_the_rows(both, answers, seeded_engine):
    _, scope = both
    waves = read.load_surveys(seeded_engine)
    kwargs = dict(start=START.date(), end=AS_OF.date(), as_of=AS_OF, weeks=5)
    report = feedback_report.build_feedback_report(scope, ResponseScope(seeded_engine), waves, **kwargs)
    expected = feedback_report.build_feedback_report(scope, FrameResponses(answers), waves, **kwargs)
    assert report.survey is not None and report.survey == expected.survey
    assert report.issues == expected.issues


def test_discovery_texts_are_the_newest_listed_messages(both):
    _, scope = both
    listed, _ = scope.listing(languages=["en", "und"], limit=300)
    recent = scope.newest_texts(languages=["en", "und"], limit=300)
    oldest_first = listed.iloc[::-1]
    assert recent["text"].tolist() == oldest_first["text"].tolist()
    assert recent["themed"].tolist() == effective_themes(oldest_first).map(bool).tolist()
    same(themes.discover_themes(recent["text"].tolist(), recent["themed"].tolist(), min_count=2),
         themes.discover_themes(oldest_first["text"].tolist(), effective_themes(oldest_first).tolist(),
                                min_count=2))


def _answers(engine):
    _import(engine, "members", [{"member_id": "m1", "country": "DE"}, {"member_id": "m2", "country": "BR"}])
    _import(engine, "survey_responses", [
        {"response_id": "r1", "survey_id": "s1", "submitted_at": "2026-11-02T08:00:00Z", "member_id": "m1",
         "score": 10, "csat": 5, "comment": "The payout is late again, terrible"},
        {"response_id": "r2", "survey_id": "s1", "submitted_at": "2026-11-03T08:00:00Z", "member_id": "m2",
         "score": 3, "csat": 2, "comment": "Love the new guidelines"},
    ])
    return ResponseScope(engine)


def _waves(scope):
    return surveys.survey_scorecard(scope, read.load_surveys(scope.engine))


def test_an_import_of_survey_answers_updates_the_rollup(engine):
    scope = _answers(engine)
    assert _waves(scope)[["survey_id", "responses", "nps"]].to_dict("records") == [
        {"survey_id": "s1", "responses": 2, "nps": 0.0}]
    _import(engine, "survey_responses", [{"response_id": "r3", "survey_id": "s1", "member_id": "m2",
                                          "submitted_at": "2026-11-04T08:00:00Z", "score": 9}])
    card = _waves(scope)
    assert card[["responses", "respondents", "promoters", "detractors"]].iloc[0].tolist() == [3, 2, 2, 1]
    same(card, surveys.survey_scorecard(read.load_responses(engine), read.load_surveys(engine)))


def test_a_correction_of_an_answer_and_a_respondent_turning_staff_change_the_survey_rollup(engine):
    scope = _answers(engine)
    version = int(read.load_responses(engine).set_index("response_id").loc["r1", "version"])
    feedback_actions.override_scores(engine, entity="survey_response", entity_id="r1", expected_version=version,
                                     actor="command line", sentiment=-0.8,
                                     themes_set=["payments"])
    impact = surveys.theme_nps_impact(scope)
    assert impact.set_index("theme").loc["payments", ["responses", "nps"]].tolist() == [1, 100.0]
    same(impact, surveys.theme_nps_impact(FrameResponses(read.load_responses(engine))))
    _import(engine, "members", [{"member_id": "m1", "is_staff": True}])
    assert scope.count() == 1 and _waves(scope)["nps"].tolist() == [-100.0]
    assert "payments" not in set(surveys.theme_nps_impact(scope)["theme"])


def test_a_strict_rejected_import_of_answers_leaves_the_survey_rollup_as_it_was(engine):
    scope = _answers(engine)
    before = _waves(scope)
    with pytest.raises(CrowdPulseError):
        _import(engine, "survey_responses", [
            {"response_id": "r8", "survey_id": "s1", "submitted_at": "2026-11-05T08:00:00Z", "score": 0},
            {"response_id": "r9", "survey_id": "s1", "submitted_at": "not a date", "score": 10},
        ], strict=True)
    assert scope.count() == 2
    same(_waves(scope), before)
