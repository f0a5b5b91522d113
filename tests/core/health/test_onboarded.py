"""`load_onboarded`: the community members' ids and onboarding times, all Today's tiles read of them."""

import datetime as dt

import pandas as pd

from core.health.active import load_onboarded
from core.models import Member
from tests.core.factories import stored


def test_load_onboarded_keeps_the_community_in_the_regions_in_id_order_with_onboarding_times(engine):
    stored(engine,
           Member(member_id="m3", region="EMEA", onboarded_at=dt.datetime(2026, 9, 2, 8, 30, tzinfo=dt.UTC)),
           Member(member_id="m1", region="EMEA"),
           Member(member_id="m2", region="APAC", onboarded_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC)),
           Member(member_id="staff", region="EMEA", is_staff=True, onboarded_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC)),
           Member(member_id="bot", region="EMEA", is_bot=True))
    everyone = load_onboarded(engine)
    assert list(everyone.columns) == ["member_id", "onboarded_at"]
    assert everyone["member_id"].tolist() == ["m1", "m2", "m3"]
    assert everyone["onboarded_at"].isna().tolist() == [True, False, False]
    assert everyone["onboarded_at"].iloc[2] == pd.Timestamp("2026-09-02 08:30", tz="UTC")
    assert load_onboarded(engine, regions=["EMEA"])["member_id"].tolist() == ["m1", "m3"]
