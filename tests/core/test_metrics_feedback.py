import datetime as dt
import math

import pandas as pd
import pytest

from core import models
from core.metrics.feedback import (
    csat,
    effective_sentiment,
    load_feedback,
    load_responses,
    nps,
    sentiment_summary,
    sentiment_trend,
    theme_nps_impact,
    theme_sentiment_drops,
    theme_summary,
)
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


def test_sentiment_summary_counts_boundaries_as_positive_and_negative(messages):
    result = sentiment_summary(messages).iloc[0]
    assert result["mean_compound"] == pytest.approx(0.022)
    assert (result["positive_share"], result["negative_share"], result["count"]) == (0.4, 0.2, 5)
    assert result["net"] == pytest.approx(20.0)


def test_sentiment_summary_by_channel_leaves_out_unscored_messages(messages):
    result = sentiment_summary(messages, by="channel")
    assert result["channel"].tolist() == ["discord", "slack"]
    assert result["mean_compound"].tolist() == pytest.approx([-0.02, 0.05])
    assert result["net"].tolist() == pytest.approx([0.0, 100 / 3])
    assert result["count"].tolist() == [2, 3]


def test_sentiment_trend_groups_by_iso_week_starting_monday(messages):
    result = sentiment_trend(messages, freq="W")
    assert result["date"].tolist() == [day("2026-11-02"), day("2026-11-09")]
    assert result["mean_compound"].tolist() == pytest.approx([0.275, -0.44 / 3])
    assert result["net"].tolist() == pytest.approx([100.0, -100 / 3])
    assert result["count"].tolist() == [2, 3]


@pytest.fixture
def answers():
    """Nine NPS answers across two surveys plus a blank one."""
    return responses(
        *(make_response(survey_id="s1", score=score) for score in (10, 9, 8, 7, 6)),
        *(make_response(survey_id="s2", score=score) for score in (0, 10, 3, 9, None)),
    )


def test_nps_is_promoters_minus_detractors_with_a_95_percent_margin(answers):
    result = nps(answers).iloc[0]
    assert (result["promoters"], result["passives"], result["detractors"], result["responses"]) == (4, 2, 3, 9)
    assert result["nps"] == pytest.approx(100 / 9)
    # p = 4/9, d = 3/9: variance term p + d − (p − d)² = 62/81, over n = 9.
    assert result["margin_of_error"] == pytest.approx(1.96 * 100 * math.sqrt(62 / 729))
    assert result["margin_of_error"] == pytest.approx(57.16, abs=0.01)


def test_nps_by_survey(answers):
    result = nps(answers, by="survey_id")
    assert result[["survey_id", "nps", "promoters", "passives", "detractors", "responses"]].values.tolist() == [
        ["s1", pytest.approx(20.0), 2, 2, 1, 5],
        ["s2", pytest.approx(0.0), 2, 0, 2, 4],
    ]
    assert result["margin_of_error"].tolist()[0] == pytest.approx(1.96 * 100 * math.sqrt(0.56 / 5))


def test_nps_without_answers_is_nan_with_zero_responses():
    result = nps(responses(make_response(score=None))).iloc[0]
    assert result["responses"] == 0 and math.isnan(result["nps"]) and math.isnan(result["margin_of_error"])


def test_csat_is_the_share_of_four_and_five_among_valid_ratings():
    ratings = responses(*(make_response(score=None, csat=rating) for rating in (5, 4, 3, 2, 1, None, 4, 0, 6)))
    result = csat(ratings).iloc[0]
    assert (result["csat"], result["responses"]) == (0.5, 6)
    assert result["margin_of_error"] == pytest.approx(1.96 * math.sqrt(0.25 / 6))


def test_theme_summary_uses_overrides_and_counts_a_theme_once_per_message():
    messages = feedback(
        make_feedback(themes=["pay", "tooling"], sentiment=-0.5),
        make_feedback(themes=["pay"], sentiment=0.2),
        make_feedback(themes=["tooling"], themes_override=["guidelines"], sentiment=-0.1),
        make_feedback(themes=[], sentiment=0.0),
        make_feedback(themes=["pay", "pay"], sentiment=None),
        make_feedback(themes=["pay"], themes_override=[], sentiment=0.4),
    )
    result = theme_summary(messages)
    assert result["theme"].tolist() == ["pay", "guidelines", "tooling"]
    assert result["count"].tolist() == [3, 1, 1]
    assert result["share"].tolist() == pytest.approx([0.5, 1 / 6, 1 / 6])
    assert result["mean_sentiment"].tolist() == pytest.approx([-0.15, -0.1, -0.5])
    assert result["negative_share"].tolist() == pytest.approx([0.5, 1.0, 1.0])


def test_theme_nps_impact_is_overall_nps_minus_the_theme_nps():
    answers = responses(
        make_response(score=10, themes=["speed"]),
        make_response(score=9, themes=[]),
        make_response(score=3, themes=["pay", "speed"]),
        make_response(score=5, themes=["pay"]),
        make_response(score=8, themes=[]),
        make_response(score=None, themes=["pay"]),
    )
    result = theme_nps_impact(answers)
    assert result.values.tolist() == [["pay", 2, -100.0, 100.0], ["speed", 2, 0.0, 0.0]]


def test_loaders_leave_out_staff_and_fill_language_from_the_member(engine):
    at = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    stored(
        engine,
        models.Member(member_id="m1", region="LATAM", country="BR", language="pt"),
        models.Member(member_id="staff", is_staff=True),
        models.Project(project_id="p1", name="One"),
        models.Feedback(feedback_id="f1", channel="slack", member_id="m1", project_id="p1", created_at=at,
                        text="pagamento atrasado", sentiment=-0.6, themes=["pay"]),
        models.Feedback(feedback_id="f2", channel="discord", created_at=at + dt.timedelta(days=1), text="nice",
                        sentiment=0.4, sentiment_override=0.1, themes_override=["tooling"], language="en"),
        models.Feedback(feedback_id="f3", channel="slack", created_at=at, text="announcement", author_is_staff=True),
        models.Feedback(feedback_id="f4", channel="slack", member_id="staff", created_at=at, text="reply"),
        models.Survey(survey_id="s1", title="Pulse"),
        models.SurveyResponse(response_id="r1", survey_id="s1", member_id="m1", submitted_at=at, score=9),
        models.SurveyResponse(response_id="r2", survey_id="s1", member_id="staff", submitted_at=at, score=10),
        models.SurveyResponse(response_id="r3", survey_id="s1", submitted_at=at, csat=4),
    )
    messages = load_feedback(engine)
    assert messages["feedback_id"].tolist() == ["f1", "f2"]
    assert messages["language"].tolist() == ["pt", "en"]
    assert messages["region"].tolist()[0] == "LATAM"
    assert str(messages["created_at"].dtype) == "datetime64[us, UTC]"
    assert messages["themes"].tolist() == [["pay"], []]
    assert messages["themes_override"].tolist()[0] is None
    assert effective_sentiment(messages).tolist() == [-0.6, 0.1]
    assert load_feedback(engine, include_staff=True)["feedback_id"].tolist() == ["f1", "f3", "f4", "f2"]
    assert load_feedback(engine, channels=["discord"])["feedback_id"].tolist() == ["f2"]
    assert load_feedback(engine, start=utc("2026-11-03 00:00"))["feedback_id"].tolist() == ["f2"]
    assert load_feedback(engine, end=utc("2026-11-03 00:00"), projects=["p1"])["feedback_id"].tolist() == ["f1"]

    answers = load_responses(engine, survey_id="s1")
    assert answers["response_id"].tolist() == ["r1", "r3"]
    assert str(answers["score"].dtype) == "Int64" and pd.isna(answers["score"].tolist()[1])
    assert answers["language"].tolist()[0] == "pt"
    assert nps(answers)["nps"].tolist() == [100.0] and csat(answers)["csat"].tolist() == [1.0]


def test_theme_sentiment_drops_list_themes_whose_net_sentiment_fell():
    messages = feedback(
        make_feedback(created_at="2026-11-10 09:00", themes=["pay"], sentiment=0.5),
        make_feedback(created_at="2026-11-10 10:00", themes=["pay"], sentiment=0.5),
        make_feedback(created_at="2026-11-10 11:00", themes=["tooling"], sentiment=-0.5),
        make_feedback(created_at="2026-11-28 09:00", themes=["pay"], sentiment=-0.5),
        make_feedback(created_at="2026-11-28 10:00", themes=["pay", "tooling"], sentiment=0.5),
    )
    drops = theme_sentiment_drops(messages, utc("2026-11-30 12:00"), min_recent=2)
    assert drops.values.tolist() == [["pay", 100.0, 0.0, -100.0, 2]]
