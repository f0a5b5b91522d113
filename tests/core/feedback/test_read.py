"""Reading feedback rows: staff left out, languages filled from the member, segments and attributes."""

import datetime as dt

import pandas as pd

from core import models
from core.feedback.read import load_feedback, load_main_projects, load_responses, load_survey_population, load_surveys
from core.feedback.sentiment import effective_sentiment
from core.feedback.surveys import csat, nps, survey_segment_columns, with_main_project
from tests.core.factories import stored, utc


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


def test_loaders_bring_vendor_tenure_band_and_imported_attributes(engine):
    at = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    stored(
        engine,
        models.Member(member_id="m1", region="Africa", vendor="Lumen Agency", attributes={"tenure_band": "new"},
                      activated_at=at),
        models.Member(member_id="m2", region="Europe", attributes={}, activated_at=at),
        models.Member(member_id="m3", region="Europe"),  # never activated: not in a survey's audience
        models.Member(member_id="staff", is_staff=True, activated_at=at),
        models.Project(project_id="p1", name="One"),
        models.Project(project_id="p2", name="Two"),
        models.Activity(member_id="m1", project_id="p1", day=dt.date(2026, 11, 1), tasks_submitted=3),
        models.Activity(member_id="m1", project_id="p2", day=dt.date(2026, 11, 1), tasks_submitted=9),
        models.Activity(member_id="m2", project_id="p1", day=dt.date(2026, 11, 1), tasks_submitted=1),
        models.Feedback(feedback_id="f1", channel="slack", member_id="m1", created_at=at, text="hi"),
        models.Feedback(feedback_id="f2", channel="slack", member_id="m2", created_at=at, text="hi"),
        models.Survey(survey_id="s2", title="Later", sent_at=at, audience_size=40),
        models.Survey(survey_id="s1", title="Earlier", sent_at=at - dt.timedelta(days=30)),
        models.SurveyResponse(response_id="r1", survey_id="s1", member_id="m1", submitted_at=at, score=9,
                              attributes={"team": "night", "region": "ignored: the member's region wins"}),
        models.SurveyResponse(response_id="r2", survey_id="s2", member_id="m2", submitted_at=at, score=3),
    )
    messages = load_feedback(engine)
    assert messages["vendor"].tolist() == ["Lumen Agency", "direct"]  # a blank vendor is a direct tasker
    assert messages["tenure_band"].tolist()[0] == "new" and pd.isna(messages["tenure_band"].tolist()[1])
    answers = load_responses(engine)
    assert answers["team"].tolist()[0] == "night" and pd.isna(answers["team"].tolist()[1])
    assert answers["region"].tolist() == ["Africa", "Europe"]
    assert answers["version"].tolist() == [1, 1] and answers["themes_override"].tolist() == [None, None]
    assert survey_segment_columns(answers) == ["region", "country", "language", "vendor", "tenure_band", "team"]
    assert load_surveys(engine)[["survey_id", "audience_size"]].astype(object).values.tolist() == [
        ["s1", pd.NA], ["s2", 40.0]]
    population = load_survey_population(engine)
    assert population["member_id"].tolist() == ["m1", "m2"]
    assert population["tenure_band"].tolist()[0] == "new" and pd.isna(population["tenure_band"].tolist()[1])
    main = load_main_projects(engine)
    assert main.values.tolist() == [["m1", "p2"], ["m2", "p1"]]
    assert with_main_project(answers, main)["project_id"].tolist() == ["p2", "p1"]
