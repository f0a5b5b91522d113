"""Sentiment and theme metrics of channel messages, read through the roll-up scope, on hand-counted rows."""

import pandas as pd
import pytest

from core import models
from core.feedback.inbox import inbox, inbox_from
from core.feedback.messages import MessageScope
from core.feedback.read import load_feedback, load_responses, load_survey_population, load_surveys
from core.feedback.sentiment import effective_sentiment
from core.feedback.surveys import ResponseScope, survey_scorecard, theme_nps_impact
from core.feedback.voice import (coverage_sentence, fix_first_score, growing_negative_themes, growth_weight,
                                 impact_weight, language_coverage, sentiment_by_week, sentiment_summary,
                                 sentiment_trend, theme_scorecard, theme_segments, theme_sentiment_drops,
                                 theme_sentiment_mix, theme_summary, theme_trend)
from tests.core.factories import day, feedback, make_feedback, make_response, responses, stored, utc


@pytest.fixture
def messages():
    """Five scored messages over two ISO weeks (one overridden to negative) and one unscored."""
    return feedback(
        make_feedback(channel="slack", created_at="2026-11-02 09:00", sentiment=0.5),
        make_feedback(channel="slack", created_at="2026-11-08 23:00", sentiment=0.05),
        make_feedback(channel="discord", created_at="2026-11-09 09:00", sentiment=0.0),
        make_feedback(channel="discord", created_at="2026-11-10 09:00", sentiment=-0.04),
        make_feedback(channel="slack", created_at="2026-11-11 09:00", sentiment=0.3, sentiment_override=-0.4),
        make_feedback(channel="forum", created_at="2026-11-11 10:00", sentiment=None),
    )


def test_effective_sentiment_takes_the_human_override(messages):
    assert effective_sentiment(messages).tolist()[3:5] == [-0.04, -0.4]


def test_sentiment_summary_counts_boundaries_as_positive_and_negative(messages, scope_of):
    result = sentiment_summary(scope_of(messages)).iloc[0]
    assert result["mean_compound"] == pytest.approx(0.022)
    assert (result["positive_share"], result["negative_share"], result["count"]) == (0.4, 0.2, 5)
    assert result["net"] == pytest.approx(20.0)


def test_sentiment_summary_by_channel_leaves_out_unscored_messages(messages, scope_of):
    result = sentiment_summary(scope_of(messages), by="channel")
    assert result["channel"].tolist() == ["discord", "slack"]
    assert result["mean_compound"].tolist() == pytest.approx([-0.02, 0.05])
    assert result["net"].tolist() == pytest.approx([0.0, 100 / 3])
    assert result["count"].tolist() == [2, 3]


def test_sentiment_trend_groups_by_iso_week_starting_monday(messages, scope_of):
    result = sentiment_trend(scope_of(messages), freq="W")
    assert result["date"].tolist() == [day("2026-11-02"), day("2026-11-09")]
    assert result["mean_compound"].tolist() == pytest.approx([0.275, -0.44 / 3])
    assert result["net"].tolist() == pytest.approx([100.0, -100 / 3])
    assert result["count"].tolist() == [2, 3]


def test_theme_summary_uses_overrides_and_counts_a_theme_once_per_message(scope_of):
    messages = feedback(
        make_feedback(themes=["pay", "tooling"], sentiment=-0.5),
        make_feedback(themes=["pay"], sentiment=0.2),
        make_feedback(themes=["tooling"], themes_override=["guidelines"], sentiment=-0.1),
        make_feedback(themes=[], sentiment=0.0),
        make_feedback(themes=["pay", "pay"], sentiment=None),
        make_feedback(themes=["pay"], themes_override=[], sentiment=0.4),
    )
    result = theme_summary(scope_of(messages))
    assert result["theme"].tolist() == ["pay", "guidelines", "tooling"]
    assert result["count"].tolist() == [3, 1, 1]
    assert result["share"].tolist() == pytest.approx([0.5, 1 / 6, 1 / 6])
    assert result["mean_sentiment"].tolist() == pytest.approx([-0.15, -0.1, -0.5])
    assert result["negative_share"].tolist() == pytest.approx([0.5, 1.0, 1.0])


def test_theme_sentiment_drops_list_themes_whose_net_sentiment_fell(scope_of):
    messages = feedback(
        make_feedback(created_at="2026-11-10 09:00", themes=["pay"], sentiment=0.5),
        make_feedback(created_at="2026-11-10 10:00", themes=["pay"], sentiment=0.5),
        make_feedback(created_at="2026-11-10 11:00", themes=["tooling"], sentiment=-0.5),
        make_feedback(created_at="2026-11-28 09:00", themes=["pay"], sentiment=-0.5),
        make_feedback(created_at="2026-11-28 10:00", themes=["pay", "tooling"], sentiment=0.5),
    )
    drops = theme_sentiment_drops(scope_of(messages), utc("2026-11-30 12:00"), min_recent=2)
    assert drops.values.tolist() == [["pay", 100.0, 0.0, -100.0, 2]]


def test_theme_summary_by_channel_shares_are_of_that_channels_messages(scope_of):
    messages = feedback(
        make_feedback(channel="slack", themes=["pay"], sentiment=-0.5),
        make_feedback(channel="slack", themes=[], sentiment=0.1),
        make_feedback(channel="forum", themes=["pay", "tooling"], sentiment=0.3),
    )
    result = theme_summary(scope_of(messages), by="channel")
    assert result[["channel", "theme", "count"]].values.tolist() == [
        ["forum", "pay", 1], ["forum", "tooling", 1], ["slack", "pay", 1]]
    assert result["share"].tolist() == pytest.approx([1.0, 1.0, 0.5])


def test_theme_trend_counts_mentions_in_whole_7_day_windows_ending_at_as_of(scope_of):
    messages = feedback(
        make_feedback(created_at="2026-11-14 23:00", themes=["pay"], sentiment=-0.5),
        make_feedback(created_at="2026-11-08 01:00", themes=["pay"], sentiment=0.5),
        make_feedback(created_at="2026-11-07 23:00", themes=["pay", "tooling"], sentiment=-0.2),
        make_feedback(created_at="2026-10-20 10:00", themes=["pay"], sentiment=-0.2),  # outside the 2 windows
    )
    result = theme_trend(scope_of(messages), utc("2026-11-15 00:00"), weeks=2)
    assert result.values.tolist() == [
        [day("2026-11-08"), "pay", 1, 1],
        [day("2026-11-08"), "tooling", 1, 1],
        [day("2026-11-15"), "pay", 2, 1],
        [day("2026-11-15"), "tooling", 0, 0],
    ]


def test_theme_segments_lists_groups_over_represented_among_a_themes_mentions(scope_of):
    messages = feedback(
        *(make_feedback(region="A", themes=["pay"] if i == 0 else []) for i in range(6)),
        *(make_feedback(region="B", themes=["pay"] if i < 3 else []) for i in range(4)),
    )
    result = theme_segments(scope_of(messages), by="region", min_mentions=2)
    assert result[["theme", "dimension", "segment", "mentions"]].values.tolist() == [["pay", "region", "B", 3]]
    assert result["share_of_mentions"].tolist() == [0.75] and result["share_of_messages"].tolist() == [0.4]
    assert result["lift"].tolist() == pytest.approx([1.875])


@pytest.fixture
def scored_messages():
    """Pay: 3 negative + 1 positive (3 in the last week); tooling: 2 negative a week earlier; community: 1 positive."""
    return feedback(
        make_feedback(created_at="2026-11-10 09:00", themes=["pay"], sentiment=-0.5),
        make_feedback(created_at="2026-11-11 09:00", themes=["pay"], sentiment=-0.5),
        make_feedback(created_at="2026-11-12 09:00", themes=["pay", "community"], sentiment=-0.5),
        make_feedback(created_at="2026-11-03 09:00", themes=["pay"], sentiment=0.5),
        make_feedback(created_at="2026-11-03 10:00", themes=["tooling"], sentiment=-0.5),
        make_feedback(created_at="2026-11-04 10:00", themes=["tooling"], sentiment=-0.5),
        make_feedback(created_at="2026-11-12 10:00", themes=["community"], sentiment=0.6),
    )


@pytest.fixture
def pay_drags_nps():
    """Ten detractors who mention pay and ten promoters who mention nothing: NPS 0 overall, −100 for pay."""
    return responses(*(make_response(score=0, themes=["pay"]) for _ in range(10)),
                     *(make_response(score=10, themes=[]) for _ in range(10)))


def test_theme_scorecard_ranks_by_negative_mentions_weighted_by_nps_drag(scored_messages, pay_drags_nps, scope_of,
                                                                        responses_of):
    table = theme_scorecard(scope_of(scored_messages), responses_of(pay_drags_nps), utc("2026-11-15 00:00"), weeks=2)
    assert table["theme"].tolist() == ["pay", "tooling", "community"]
    assert table["negative"].tolist() == [3, 2, 1]
    assert table["nps_impact"].tolist()[0] == 100.0 and table["nps_responses"].tolist() == [10, 0, 0]
    # pay: 3 negative × (1 + 100/100); tooling: no survey mentions, weight 1; community: 1 negative × 1
    assert table["impact"].tolist() == pytest.approx([6.0, 2.0, 1.0])
    assert table["weekly"].tolist() == [[1, 3], [2, 0], [0, 2]]
    assert table[["last_7_days", "previous_7_days"]].values.tolist() == [[3, 1], [0, 2], [2, 0]]
    assert table["change"].tolist()[:2] == pytest.approx([2.0, -1.0])


def test_an_nps_impact_resting_on_few_comments_does_not_weigh_in_the_ranking():
    assert impact_weight(pd.Series([100.0, 100.0, -50.0, float("nan")]), pd.Series([10, 9, 50, 0])).tolist() == [
        2.0, 1.0, 1.0, 1.0]


def test_a_fast_rising_theme_outranks_a_bigger_flat_one_in_what_to_fix_first():
    table = pd.DataFrame({
        "theme": ["flat", "rising", "fading", "new", "tiny"],
        "negative": [100, 60, 100, 20, 5],
        "nps_impact": [0.0, 0.0, 0.0, 50.0, float("nan")],
        "nps_responses": [40, 40, 40, 40, 0],
        "last_7_days": [30, 45, 10, 12, 6],
        "previous_7_days": [30, 15, 40, 0, 1],
    })
    # flat 100 × 1 × (1 + 0); rising 60 × 1 × (1 + 2.0: 15 → 45); fading 100 × (1 − 0.5: −75% held at −50%);
    # new 20 × 1.5 × (1 + 2.0: none the week before); tiny: 7 mentions in two weeks, the +500% is noise → 5 × 1.
    assert fix_first_score(table).tolist() == pytest.approx([100.0, 180.0, 50.0, 90.0, 5.0])


def test_growth_weight_is_held_between_half_and_three_times():
    last, previous = pd.Series([20, 5, 0, 15, 0]), pd.Series([10, 20, 20, 0, 0])
    assert growth_weight(last, previous).tolist() == pytest.approx([2.0, 0.5, 0.5, 3.0, 1.0])


def test_growing_negative_themes_compare_the_last_week_with_the_usual_week(scope_of):
    as_of = utc("2026-11-29 00:00")
    messages = feedback(
        make_feedback(created_at="2026-10-20 09:00", themes=[], sentiment=0.0),  # data starts before the baseline
        *(make_feedback(created_at=f"2026-11-{d:02d} 09:00", themes=["pay"], sentiment=-0.5) for d in range(1, 9)),
        *(make_feedback(created_at=f"2026-11-{d:02d} 09:00", themes=["pay"], sentiment=-0.5) for d in range(22, 28)),
        *(make_feedback(created_at=f"2026-11-{d:02d} 09:00", themes=["tooling"], sentiment=-0.5) for d in range(23, 28)),
        *(make_feedback(created_at=f"2026-11-{d:02d} 09:00", themes=["pay"], sentiment=0.5) for d in range(22, 28)),
        *(make_feedback(created_at=f"2026-11-{d:02d} 09:00", themes=["support"], sentiment=-0.5) for d in range(1, 9)),
        *(make_feedback(created_at=f"2026-11-{d:02d} 09:00", themes=["support"], sentiment=-0.5) for d in range(25, 28)),
    )
    result = growing_negative_themes(scope_of(messages), as_of, min_recent=5)
    # tooling is new this week (usual 0, counted as 1); pay: 6 against 8 in 28 days = 2 a week; support: only 3
    assert result.values.tolist() == [["tooling", 5, 0.0, 5.0], ["pay", 6, 2.0, 3.0]]


def test_growing_negative_themes_scale_the_usual_week_to_the_days_the_data_covers(scope_of):
    messages = feedback(
        *(make_feedback(created_at=f"2026-11-{d:02d} 09:00", themes=["pay"], sentiment=-0.5) for d in range(8, 12)),
        *(make_feedback(created_at=f"2026-11-{d:02d} 09:00", themes=["pay"], sentiment=-0.5) for d in range(22, 28)),
    )
    result = growing_negative_themes(scope_of(messages), utc("2026-11-29 00:00"), min_recent=5, since=utc("2026-11-08 00:00"))
    # 4 negative mentions over the 14 covered days = 2 a week; 6 this week = 3×
    assert result.values.tolist() == [["pay", 6, 2.0, 3.0]]


def test_sentiment_by_week_and_theme_sentiment_mix(scope_of):
    messages = feedback(
        make_feedback(created_at="2026-11-14 09:00", themes=["pay"], sentiment=-0.5),
        make_feedback(created_at="2026-11-13 09:00", themes=["pay"], sentiment=0.5),
        make_feedback(created_at="2026-11-05 09:00", themes=["pay", "tooling"], sentiment=None, language="es"),
        make_feedback(created_at="2026-11-05 10:00", themes=[], sentiment=0.0),
    )
    scope = scope_of(messages)
    weeks = sentiment_by_week(scope, utc("2026-11-15 00:00"), weeks=2)
    assert weeks[["week_end", "net", "count"]].values.tolist() == [[day("2026-11-08"), 0.0, 1],
                                                                   [day("2026-11-15"), 0.0, 2]]
    assert theme_sentiment_mix(scope).values.tolist() == [
        ["pay", "negative", 1], ["pay", "not scored", 1], ["pay", "positive", 1], ["tooling", "not scored", 1]]


def test_an_override_changes_sentiment_theme_summary_and_nps_impact(pay_drags_nps, scope_of, responses_of):
    messages = feedback(make_feedback(themes=["pay"], sentiment=-0.6), make_feedback(themes=["pay"], sentiment=0.4))
    corrected = messages.assign(sentiment_override=[0.5, None], themes_override=[["tooling"], None])
    assert sentiment_summary(scope_of(messages))["net"].tolist() == [0.0]
    assert sentiment_summary(scope_of(corrected))["net"].tolist() == [100.0]
    assert theme_summary(scope_of(corrected))[["theme", "count"]].values.tolist() == [["pay", 1], ["tooling", 1]]

    # a human says five of the pay detractors were talking about tooling, not pay
    relabelled = pay_drags_nps.assign(themes_override=[["tooling"]] * 5 + [None] * 15)
    before = theme_nps_impact(responses_of(pay_drags_nps))
    after = theme_nps_impact(responses_of(relabelled))
    assert before.values.tolist() == [["pay", 10, -100.0, 100.0]]
    assert after.values.tolist() == [["pay", 5, -100.0, 100.0], ["tooling", 5, -100.0, 100.0]]


@pytest.mark.parametrize(
    ("name", "by", "fields"),
    [
        # DESIGN §6's fields, then how many texts of each language were scored and not scored (issue 18)
        ("sentiment", None, ["mean_compound", "positive_share", "negative_share", "net", "count",
                             "scored_by_language", "not_scored_by_language"]),
        ("sentiment", "tenure_band", ["tenure_band", "mean_compound", "positive_share", "negative_share", "net", "count",
                                      "scored_by_language", "not_scored_by_language"]),
        ("nps", None, ["nps", "promoters", "passives", "detractors", "responses", "margin_of_error"]),
        ("nps", "survey_id", ["survey_id", "nps", "promoters", "passives", "detractors", "responses", "margin_of_error"]),
        ("csat", "region", ["region", "csat", "responses", "margin_of_error"]),
        ("themes", None, ["theme", "count", "share", "mean_sentiment", "negative_share"]),
        ("themes", "channel", ["channel", "theme", "count", "share", "mean_sentiment", "negative_share"]),
    ],
)
def test_feedback_metrics_on_the_command_line_have_the_contract_fields(seeded_engine, name, by, fields):
    from core.cli.metrics import compute_metric

    result = compute_metric(seeded_engine, name, by=by)
    assert list(result.columns) == fields and len(result) >= 1


def test_every_view_of_a_community_without_feedback_is_empty_not_an_error(engine):
    stored(engine, models.Survey(survey_id="s1", title="Pulse", audience_size=10))
    messages, answers, waves = MessageScope(engine), ResponseScope(engine), load_surveys(engine)
    as_of = utc("2026-11-22 00:00")
    assert theme_scorecard(messages, answers, as_of, weeks=4).empty
    assert theme_segments(messages).empty and theme_trend(messages, as_of, weeks=4).empty
    assert growing_negative_themes(messages, as_of).empty and inbox_from(messages)[1] == 0
    assert inbox(load_feedback(engine))[1] == 0
    assert sentiment_by_week(messages, as_of, weeks=4).empty and theme_sentiment_mix(messages).empty
    for rows in (answers, load_responses(engine)):
        table = survey_scorecard(rows, waves)
        assert table[["survey_id", "responses", "response_rate"]].values.tolist() == [["s1", 0, 0.0]]
    assert survey_scorecard(load_responses(engine), waves, by="region",
                            population=load_survey_population(engine)).empty
    assert survey_scorecard(answers, waves, by="region", population=load_survey_population(engine, by="region")).empty


def test_language_coverage_counts_scored_and_not_scored_messages_per_language(scope_of):
    messages = feedback(
        make_feedback(language="en", sentiment=0.5), make_feedback(language="en", sentiment=-0.3),
        make_feedback(language="pt", sentiment=-0.4), make_feedback(language="es", sentiment=None),
        make_feedback(language="es", sentiment=None), make_feedback(language="es", sentiment=None),
        make_feedback(language="tl", sentiment=None), make_feedback(language="und", sentiment=0.2),
    )

    coverage = language_coverage(scope_of(messages))

    assert coverage.to_dict("list") == {
        "language": ["es", "en", "pt", "tl", "und"], "name": ["Spanish", "English", "Portuguese", "Tagalog", "undetermined"],
        "scored": [0, 2, 1, 0, 1], "not_scored": [3, 0, 0, 1, 0],
        "scorer": ["none", "VADER", "LeIA", "none", "VADER"]}
    assert coverage_sentence(coverage) == ("Scored: 2 English, 1 Portuguese, 1 undetermined. "
                                           "Not scored (no scorer for the language): 3 Spanish, 1 Tagalog.")


def test_language_coverage_of_no_messages_is_empty(scope_of):
    coverage = language_coverage(scope_of(feedback()))

    assert coverage.empty and coverage_sentence(coverage) == "No messages."
