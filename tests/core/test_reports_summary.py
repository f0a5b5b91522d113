"""The weekly summary reads the 4-week trend and the sample size; weeks are complete or say 'so far'."""

import pandas as pd
import pytest

from core import weeks
from core.weekly_summary import NO_CALL, RISK, RULES, WIN, Reading, read_trend, survey_readings

WEEKS = ["2026-W43", "2026-W44", "2026-W45", "2026-W46"]


def sentiment(values, counts=(120, 110, 100, 90)):
    """Read a hand-built net sentiment series the way the report does."""
    return read_trend("Net sentiment", WEEKS, values, fmt="{:+.0f}", higher_is_better=True,
                      rule=RULES["net_sentiment"], counts=list(counts))


def test_a_bounce_after_a_long_fall_is_not_a_win():
    # Latin America's net sentiment, issue 15: +44 → +8 → −3 → +4 must not read "+4 (+6 vs last week)" as a win.
    assert sentiment([44, 8, -3, 4]) == Reading(
        RISK, "Net sentiment: W43 +44 → W44 +8 → W45 −3 → W46 +4 (n 120 / 110 / 100 / 90 messages) — "
              "down 40 over 4 weeks, despite +7 vs last week.")


def test_a_steady_rise_is_a_win_citing_its_four_weeks():
    assert sentiment([2, 6, 9, 14]) == Reading(
        WIN, "Net sentiment: W43 +2 → W44 +6 → W45 +9 → W46 +14 (n 120 / 110 / 100 / 90 messages) — "
             "up 12 over 4 weeks.")


def test_a_change_resting_on_few_messages_is_too_few_to_call():
    assert sentiment([10, 10, 10, 30], counts=(40, 35, 12, 9)) == Reading(
        NO_CALL, "Net sentiment: W43 +10 → W44 +10 → W45 +10 → W46 +30 (n 40 / 35 / 12 / 9 messages) — "
                 "too few to call the +20 vs last week.")


def test_a_one_week_swing_back_to_where_it_was_is_no_trend():
    assert sentiment([10, 20, 4, 10]) == Reading(
        NO_CALL, "Net sentiment: W43 +10 → W44 +20 → W45 +4 → W46 +10 (n 120 / 110 / 100 / 90 messages) — "
                 "+6 vs last week, but no change over 4 weeks: no trend yet.")


def test_small_moves_are_not_mentioned():
    assert sentiment([10, 11, 10, 11]) is None


def test_a_slower_first_response_is_a_risk_and_partial_weeks_name_the_same_days():
    reading = read_trend("First response", WEEKS, [1.0, 1.2, 1.5, 1.8], fmt="{:.1f} h", higher_is_better=False,
                         rule=RULES["first_response"], counts=[300, 310, 290, 280],
                         step_name="the same days of 2026-W45")
    assert reading == Reading(RISK, "First response: W43 1.0 h → W44 1.2 h → W45 1.5 h → W46 1.8 h "
                                    "(n 300 / 310 / 290 / 280 items answered) — up 0.8 h over 4 weeks.")


def test_nps_and_csat_are_read_against_their_margin_of_error():
    end = pd.Timestamp("2026-11-15 23:59", tz="UTC")
    recent = pd.DataFrame({"submitted_at": [end - pd.Timedelta(days=3)] * 40,
                           "score": pd.array([10] * 20 + [5] * 20, dtype="Int64"),
                           "csat": pd.array([5] * 30 + [2] * 10, dtype="Int64")})
    earlier = pd.DataFrame({"submitted_at": [end - pd.Timedelta(days=40)] * 10,
                            "score": pd.array([10] * 10, dtype="Int64"), "csat": pd.array([5] * 10, dtype="Int64")})
    nps_reading, csat_reading = survey_readings(pd.concat([recent, earlier], ignore_index=True), end)
    # 20 promoters and 20 detractors of 40: NPS 0, margin 1.96·100·√(1/40) = 31; the 28 days before hold only 10.
    assert nps_reading == Reading(NO_CALL, "NPS: +0 ± 31 (n 40) in the 28 days to Sun 15 Nov, +100 ± 0 (n 10) in "
                                           "the 28 days before — too few responses to call.")
    assert csat_reading.verdict == NO_CALL and csat_reading.text.startswith("CSAT: 75% ± 13 pts (n 40)")


@pytest.mark.parametrize("as_of, label, days", [
    ("2026-11-20 12:00", "2026-W47 (so far, 5 of 7 days)", 5),
    ("2026-11-23 07:00", "2026-W48 (so far, 1 of 7 days)", 1),
    ("2026-11-29 23:00", "2026-W48 (so far, 7 of 7 days)", 7),
])
def test_the_week_the_data_ends_in_is_so_far_n_of_7_days(as_of, label, days):
    window = weeks.week_window(weeks.iso_week_of(pd.Timestamp(as_of, tz="UTC")), pd.Timestamp(as_of, tz="UTC"))
    assert (window.label, window.days, window.partial) == (label, days, True)


def test_the_default_week_is_the_last_complete_one():
    assert weeks.last_complete_week(pd.Timestamp("2026-11-18 14:00", tz="UTC")) == "2026-W46"
    assert weeks.last_complete_week(pd.Timestamp("2026-11-23 07:00", tz="UTC")) == "2026-W47"
    window = weeks.week_window("2026-W46", pd.Timestamp("2026-11-18 14:00", tz="UTC"))
    assert (window.label, window.days, window.partial) == ("2026-W46", 7, False)


@pytest.mark.parametrize("asked, shown, problem", [
    (None, "2026-W46", None),
    ("2026-W30", "2026-W30", None),
    ("2026-w44", "2026-W44", None),
    ("2026-W05", "2026-W46", "The link asks for 2026-W05, which has no data. Data exists from 2026-W29 to 2026-W47 "
                             "(so far). Showing 2026-W46, the last complete week."),
    ("2026-W52", "2026-W46", "The link asks for 2026-W52, which has no data. Data exists from 2026-W29 to 2026-W47 "
                             "(so far). Showing 2026-W46, the last complete week."),
    ("nope", "2026-W46", "The link asks for week 'nope', which is not an ISO week like 2026-W47. Data exists from "
                         "2026-W29 to 2026-W47 (so far). Showing 2026-W46, the last complete week."),
])
def test_a_week_link_is_honoured_when_its_data_exists_or_answered(asked, shown, problem):
    first, as_of = pd.Timestamp("2026-07-15", tz="UTC"), pd.Timestamp("2026-11-20 12:00", tz="UTC")
    assert weeks.week_link(asked, as_of=as_of, first=first) == (shown, problem)


def test_survey_readings_counted_in_sql_keep_each_window_open_before_and_closed_after(engine):
    from core import models
    from core.feedback import rollup
    from core.feedback.surveys import ResponseScope
    from tests.core.factories import stored

    end = pd.Timestamp("2026-11-15 23:59:59.999999", tz="UTC")
    at = [end, end - pd.Timedelta(days=1), end - pd.Timedelta(days=28), end + pd.Timedelta(microseconds=1),
          end - pd.Timedelta(days=56), end - pd.Timedelta(days=2)]
    scores, ratings, authors = [10, 9, 3, 0, 0, 0], [5, 5, 1, 1, 1, 1], ["m1"] * 5 + ["m2"]
    stored(engine, models.Member(member_id="m1", region="Europe"), models.Member(member_id="m2", region="Asia"),
           models.Survey(survey_id="s1", title="Pulse"),
           *[models.SurveyResponse(response_id=f"r{i}", survey_id="s1", member_id=who, submitted_at=moment,
                                   score=score, csat=rating)
             for i, (moment, score, rating, who) in enumerate(zip(at, scores, ratings, authors))])
    with engine.begin() as connection:
        for table in (rollup.answer_mentions, rollup.answers, rollup.mentions, rollup.messages):
            connection.execute(table.delete())
        rollup.rebuild(connection)
    counted = survey_readings(ResponseScope(engine, regions=("Europe",)), end)
    # The answer at the end counts, the one a microsecond later does not; the one exactly 28 days before the end is
    # the earlier window's last, and the one 56 days before is outside both; m2 (Asia) is outside the scope.
    assert [reading.text for reading in counted] == [
        "NPS: +100 ± 0 (n 2) in the 28 days to Sun 15 Nov, −100 ± 0 (n 1) in the 28 days before — too few responses "
        "to call.",
        "CSAT: 100% ± 0 pts (n 2) in the 28 days to Sun 15 Nov, 0% ± 0 pts (n 1) in the 28 days before — too few "
        "responses to call."]
    rows = pd.DataFrame({"submitted_at": at[:5], "score": pd.array(scores[:5], dtype="Int64"),
                         "csat": pd.array(ratings[:5], dtype="Int64")})
    assert survey_readings(rows, end) == counted
