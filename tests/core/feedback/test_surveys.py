"""NPS and CSAT with margins, wave scorecards and theme NPS impact, on hand-counted answers."""

import math

import pandas as pd
import pytest

from core.feedback.surveys import ResponseScope, csat, nps, survey_scorecard, theme_nps_impact
from core.frames import as_utc
from tests.core.factories import make_response, responses


@pytest.fixture
def answers():
    """Nine NPS answers across two surveys plus a blank one."""
    return responses(
        *(make_response(survey_id="s1", score=score) for score in (10, 9, 8, 7, 6)),
        *(make_response(survey_id="s2", score=score) for score in (0, 10, 3, 9, None)),
    )


@pytest.fixture(params=["rows", "roll-up"])
def counted(request, responses_of):
    """Answers as rows, or stored and counted in SQL from the roll-up: both must give the same figures."""
    return (lambda frame: frame) if request.param == "rows" else responses_of


def test_nps_is_promoters_minus_detractors_with_a_95_percent_margin(answers, counted):
    result = nps(counted(answers)).iloc[0]
    assert (result["promoters"], result["passives"], result["detractors"], result["responses"]) == (4, 2, 3, 9)
    assert result["nps"] == pytest.approx(100 / 9)
    # p = 4/9, d = 3/9: variance term p + d − (p − d)² = 62/81, over n = 9.
    assert result["margin_of_error"] == pytest.approx(1.96 * 100 * math.sqrt(62 / 729))
    assert result["margin_of_error"] == pytest.approx(57.16, abs=0.01)


def test_nps_by_survey(answers, counted):
    result = nps(counted(answers), by="survey_id")
    assert result[["survey_id", "nps", "promoters", "passives", "detractors", "responses"]].values.tolist() == [
        ["s1", pytest.approx(20.0), 2, 2, 1, 5],
        ["s2", pytest.approx(0.0), 2, 0, 2, 4],
    ]
    assert result["margin_of_error"].tolist()[0] == pytest.approx(1.96 * 100 * math.sqrt(0.56 / 5))


def test_nps_without_answers_is_nan_with_zero_responses(counted):
    result = nps(counted(responses(make_response(score=None)))).iloc[0]
    assert result["responses"] == 0 and math.isnan(result["nps"]) and math.isnan(result["margin_of_error"])


def test_csat_is_the_share_of_four_and_five_among_valid_ratings(counted):
    ratings = responses(*(make_response(score=None, csat=rating) for rating in (5, 4, 3, 2, 1, None, 4, 0, 6)))
    result = csat(counted(ratings)).iloc[0]
    assert (result["csat"], result["responses"]) == (0.5, 6)
    assert result["margin_of_error"] == pytest.approx(1.96 * math.sqrt(0.25 / 6))


def test_a_scope_counts_only_the_answers_submitted_in_its_window_by_region(responses_of):
    scope = responses_of(responses(
        make_response(member_id="m1", region="EU", submitted_at="2026-11-01 23:59", score=0, csat=1),  # before
        make_response(member_id="m2", region="EU", submitted_at="2026-11-02 00:00", score=10, csat=5),
        make_response(member_id="m3", region="EU", submitted_at="2026-11-05 10:00", score=5, csat=2),
        make_response(member_id="m4", region="APAC", submitted_at="2026-11-06 10:00", score=9, csat=4),
        make_response(member_id=None, region=None, submitted_at="2026-11-07 10:00", score=7, csat=3),
        make_response(member_id="m5", region="APAC", submitted_at="2026-11-08 00:00", score=0, csat=1),  # after
    ))
    window = ResponseScope(scope.engine, start=pd.Timestamp("2026-11-02", tz="UTC"),
                           end=pd.Timestamp("2026-11-08", tz="UTC"))
    by_region = nps(window, by="region")
    assert by_region[["region", "nps", "responses"]].fillna("none").values.tolist() == [
        ["APAC", 100.0, 1], ["EU", 0.0, 2], ["none", 0.0, 1]]
    assert csat(window)[["csat", "responses"]].values.tolist() == [[0.5, 4]]


def test_theme_nps_impact_is_overall_nps_minus_the_theme_nps(responses_of):
    answers = responses(
        make_response(score=10, themes=["speed"]),
        make_response(score=9, themes=[]),
        make_response(score=3, themes=["pay", "speed"]),
        make_response(score=5, themes=["pay"]),
        make_response(score=8, themes=[]),
        make_response(score=None, themes=["pay"]),
    )
    result = theme_nps_impact(responses_of(answers))
    assert result.values.tolist() == [["pay", 2, -100.0, 100.0], ["speed", 2, 0.0, 0.0]]


@pytest.fixture
def waves():
    """Two waves: s1 (audience 10) and s2 (audience 4), oldest first by sent_at."""
    return pd.DataFrame({
        "survey_id": ["s2", "s1"], "title": ["November", "October"],
        "sent_at": as_utc(["2026-11-01 09:00", "2026-10-01 09:00"]), "audience_size": [4.0, 10.0],
    })


@pytest.fixture
def wave_answers():
    """s1: two promoters and a detractor (CSAT 5 and 2); s2: a promoter, a passive and an anonymous detractor."""
    return responses(
        make_response(survey_id="s1", member_id="m1", region="A", score=10, csat=5),
        make_response(survey_id="s1", member_id="m2", region="B", score=6, csat=2),
        make_response(survey_id="s1", member_id="m3", region="A", score=9, csat=None),
        make_response(survey_id="s2", member_id="m1", region="A", score=10),
        make_response(survey_id="s2", member_id="m2", region="B", score=8),
        make_response(survey_id="s2", member_id=None, region=None, score=3),
    )


def test_survey_scorecard_gives_response_rate_nps_csat_and_change_per_wave(waves, wave_answers):
    table = survey_scorecard(wave_answers, waves)
    assert table["survey_id"].tolist() == ["s1", "s2"]
    assert table["respondents"].tolist() == [3, 3]  # the anonymous answer counts as one respondent
    assert table["response_rate"].tolist() == pytest.approx([0.3, 0.75])
    assert table["nps"].tolist() == pytest.approx([100 / 3, 0.0])
    assert table["nps_margin"].tolist()[0] == pytest.approx(1.96 * 100 * math.sqrt(8 / 27))
    assert math.isnan(table["nps_change"].tolist()[0]) and table["nps_change"].tolist()[1] == pytest.approx(-100 / 3)
    assert table["csat"].tolist()[0] == 0.5 and table["csat_responses"].tolist() == [2, 0]
    assert table["csat_margin"].tolist()[0] == pytest.approx(1.96 * math.sqrt(0.25 / 2))


def test_survey_scorecard_by_segment_estimates_each_segments_audience_from_the_population(waves, wave_answers):
    population = pd.DataFrame({"member_id": ["m1", "m2", "m3", "m4"], "region": ["A", "A", "A", "B"]})
    table = survey_scorecard(wave_answers, waves, by="region", population=population)
    assert table[["survey_id", "region"]].values.tolist() == [
        ["s1", "A"], ["s1", "B"], ["s2", "A"], ["s2", "B"], ["s2", "unknown"]]
    assert table["audience"].tolist() == pytest.approx([7.5, 2.5, 3.0, 1.0, 0.0])
    assert table["response_rate"].tolist()[:4] == pytest.approx([2 / 7.5, 1 / 2.5, 1 / 3, 1.0])
    assert math.isnan(table["response_rate"].tolist()[4])
    assert table["nps"].tolist() == pytest.approx([100.0, -100.0, 100.0, 0.0, -100.0])
    assert table["nps_change"].tolist()[2:4] == pytest.approx([0.0, 100.0])


def test_survey_scorecard_without_a_population_leaves_segment_audiences_blank(waves, wave_answers):
    table = survey_scorecard(wave_answers, waves, by="region")
    assert table["audience"].isna().all() and table["response_rate"].isna().all()
