"""The demo community: deterministic, sized as promised, and telling its stories."""

import datetime as dt
import re

import pandas as pd
import pytest
from sqlalchemy import text

from core import demo
from core.demo import community, texts, voice, work
from core.demo.plan import SCALES, STORIES, Plan
from core.frames import read_frame

ANCHOR = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo_frames():
    """The tiny scenario's generated frames (no database)."""
    plan = Plan(SCALES["tiny"], seed=7, anchor=ANCHOR)
    members = community.members(plan)
    activity = work.activity(plan, members)
    items, events = work.queue_items(plan, members)
    return plan, members, activity, items, events


def test_same_seed_and_anchor_give_the_same_community():
    first = Plan(SCALES["tiny"], seed=3, anchor=ANCHOR)
    second = Plan(SCALES["tiny"], seed=3, anchor=ANCHOR)
    m1, m2 = community.members(first), community.members(second)
    pd.testing.assert_frame_equal(m1, m2)
    pd.testing.assert_frame_equal(work.activity(first, m1), work.activity(second, m2))


def test_activity_rows_are_unique_per_member_project_and_day(demo_frames):
    _, _, activity, _, _ = demo_frames
    assert not activity.duplicated(["member_id", "project_id", "day"]).any()
    assert (activity["tasks_approved"] + activity["tasks_rejected"] == activity["tasks_submitted"]).all()


def test_twelve_countries_and_eight_projects():
    plan = Plan(SCALES["demo"], seed=7, anchor=ANCHOR)
    assert community.members(plan)["country"].nunique() == 12
    assert len(community.projects(plan)) == 8


def _rejection_rate(rows: pd.DataFrame) -> float:
    return rows["tasks_rejected"].sum() / rows["tasks_submitted"].sum()


def test_latin_american_rejections_spike_on_cedar_after_its_guideline_change(demo_frames):
    _, members, activity, _, _ = demo_frames
    rows = activity.merge(members[["member_id", "region"]], on="member_id")
    change = (ANCHOR - dt.timedelta(days=STORIES["guideline_change_days_ago"])).date()
    cedar_latam = rows[(rows["project_id"] == "p03") & (rows["region"] == "Latin America")]
    before, after = cedar_latam[cedar_latam["day"] < change], cedar_latam[cedar_latam["day"] >= change]
    assert _rejection_rate(after) > 2.5 * _rejection_rate(before)
    elsewhere = rows[(rows["project_id"] == "p03") & (rows["region"] != "Latin America")]
    assert _rejection_rate(elsewhere[elsewhere["day"] >= change]) < 1.5 * _rejection_rate(elsewhere[elsewhere["day"] < change])


def test_fatigued_moderators_work_every_day_of_the_last_two_weeks_for_long_hours(demo_frames):
    plan, _, activity, _, _ = demo_frames
    assert len(plan.fatigued) >= 4
    recent = activity[activity["member_id"].isin(plan.fatigued) & (activity["project_id"] == "p04")
                      & (activity["day"] > (ANCHOR - dt.timedelta(days=7)).date())]
    assert recent["active_minutes"].min() >= 560
    assert recent.groupby("member_id")["day"].nunique().min() == 7


def test_weekend_escalations_take_longer_than_weekday_ones(demo_frames):
    _, _, _, items, _ = demo_frames
    done = items[(items["queue"] == "escalation") & items["resolved_at"].notna()]
    hours = (done["resolved_at"] - done["created_at"]).dt.total_seconds() / 3600
    weekend = done["created_at"].dt.day_of_week >= 5
    assert hours[weekend].median() > 2 * hours[~weekend & (done["created_at"].dt.day_of_week <= 3)].median()


def test_creative_uploads_are_stuck_in_staging_with_repeated_failures(demo_frames):
    _, _, _, items, _ = demo_frames
    stuck = items[(items["queue"] == "staging") & (items["status"] == "failed")]
    assert len(stuck) >= 6
    assert set(stuck["project_id"]) == {"p05"}
    assert stuck["retries"].min() >= 3 and stuck["last_error"].notna().all()


def test_brightpath_cohort_mostly_never_starts(demo_frames):
    _, members, _, _, _ = demo_frames
    cohort = members[members["attributes"].map(lambda a: a.get("cohort") == "brightpath-batch-7")]
    assert len(cohort) >= 10
    assert cohort["activated_at"].isna().mean() > 0.6
    others = members[~members["is_staff"] & ~members["is_bot"] & members["onboarded_at"].notna()
                     & members["attributes"].map(lambda a: "cohort" not in a)]
    assert others["activated_at"].isna().mean() < 0.35


def test_every_queue_event_history_starts_with_open(demo_frames):
    _, _, _, items, events = demo_frames
    first = events.sort_values("at", kind="stable").groupby("item_id")["status"].first()
    assert (first == "open").all()
    assert set(first.index) == set(items["item_id"])


def test_every_anchor_of_a_year_gives_three_distinct_survey_waves(demo_frames):
    # 2026-11-25 09:00 sent two waves in October (55 and 25 days before) and both were named pulse-2026-10.
    plan, members = demo_frames[0], demo_frames[1]
    for day in pd.date_range("2026-01-01 09:00", periods=365, freq="D", tz="UTC"):
        waves, _ = voice.surveys(Plan(SCALES["tiny"], seed=7, anchor=day.to_pydatetime()), members)
        assert waves["survey_id"].is_unique and waves["title"].is_unique, day
    waves, _ = voice.surveys(Plan(SCALES["tiny"], seed=7, anchor=dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)), members)
    assert waves["survey_id"].tolist() == ["pulse-2026-09-01", "pulse-2026-10-01", "pulse-2026-10-31"]


def test_the_demo_seeds_on_a_day_whose_last_two_waves_share_a_month(engine):
    counts = demo.seed_demo(engine, scale="tiny", seed=7, anchor=dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC))
    assert counts["survey"] == 3


def test_seeding_writes_every_table_and_scores_feedback(engine):
    counts = demo.seed_demo(engine, scale="tiny", seed=7, anchor=ANCHOR)
    assert counts["member"] == 418 and counts["project"] == 8
    feedback = read_frame(engine, text("SELECT text, sentiment, language, themes FROM feedback"))
    english = feedback[feedback["language"] == "en"]
    assert english["sentiment"].notna().all()
    # Portuguese is scored by its own lexicon (LeIA); languages without a scorer are left unscored, never as English.
    portuguese = feedback[feedback["language"] == "pt"]
    assert len(portuguese) and portuguese["sentiment"].notna().all() and (portuguese["sentiment"] < 0).any()
    unscored = feedback[feedback["language"].isin(["es", "de", "id", "ar"])]
    assert "es" in set(unscored["language"]) and unscored["sentiment"].isna().all()
    assert english["themes"].map(len).gt(0).mean() > 0.8


def test_reseeding_replaces_rather_than_duplicates(engine):
    demo.seed_demo(engine, scale="tiny", seed=7, anchor=ANCHOR)
    demo.seed_demo(engine, scale="tiny", seed=7, anchor=ANCHOR)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM member")).scalar_one() == 418


def _message_tones() -> list[tuple[re.Pattern, str]]:
    """Every opening + closer the demo may write, as a pattern (a placeholder matches one word or number) with the
    opening's tone and the closer's ("alone" when there is none)."""
    def pattern(template: str) -> str:
        return r"\w+".join(re.escape(part) for part in re.split(r"\{\w+\}", template))
    return [(re.compile(pattern(opening) + pattern(closer) + "$"), f"{tone}/{closer_tone if closer else 'alone'}")
            for theme in texts.OPENINGS for tone, opening in texts.openings(theme)
            for closer_tone, closers in texts.DETAILS.items() for closer in set(closers)]


def test_each_feedback_message_reads_as_one_person_in_one_mood(demo_frames):
    plan, members = Plan(SCALES["tiny"], seed=7, anchor=ANCHOR), demo_frames[1]
    messages = voice.feedback(plan, members)["text"]
    tones = _message_tones()
    kinds = [{kind for regex, kind in tones if regex.match(message)} for message in messages]
    composed = set().union(*kinds)
    assert sum(1 for found in kinds if found) > len(messages) / 2  # the rest: other languages, the new topic
    assert composed == {f"{tone}/{closer}" for tone in texts.TONES for closer in (tone, "alone")}
    assert not messages.str.contains("unclear about tone. Keep it up!", regex=False).any()


def test_the_same_seed_writes_the_same_messages(demo_frames):
    members = demo_frames[1]
    first = voice.feedback(Plan(SCALES["tiny"], seed=7, anchor=ANCHOR), members)
    second = voice.feedback(Plan(SCALES["tiny"], seed=7, anchor=ANCHOR), members)
    assert first["text"].tolist() == second["text"].tolist()


def test_a_complaint_opening_is_never_sorted_as_good_news():
    tone = {text: tone for theme in texts.OPENINGS for tone, text in texts.openings(theme)}
    assert tone["I keep getting rejected because the instructions are unclear about tone."] == "negative"
    assert tone["I don't understand what counts as a 'partially helpful' answer on {project}."] == "negative"
    assert tone["The qualification test for {project} was hard but fair."] == "positive"
