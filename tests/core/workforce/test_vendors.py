import pandas as pd

from core.workforce.vendors import onboarding_by_vendor, vendor_findings, vendor_lens, vendor_taskers
from tests.core.factories import utc

NOW = utc("2026-11-30 00:00")


def crowd(*rows) -> pd.DataFrame:
    """Members (id, vendor, status, onboarded, activated)."""
    return pd.DataFrame([{"member_id": i, "handle": i, "country": "PH", "vendor": v, "status": s,
                          "onboarded_at": utc(o) if o else pd.NaT, "activated_at": utc(a) if a else pd.NaT,
                          "is_staff": False, "is_bot": False} for i, v, s, o, a in rows])


MEMBERS = crowd(
    ("m1", "Brightpath BPO", "active", "2026-11-01", None),          # never started
    ("m2", "Brightpath BPO", "active", "2026-11-02", None),          # never started
    ("m3", "Brightpath BPO", "active", "2026-11-02", "2026-11-03"),  # activated in 1 day
    ("m4", "Brightpath BPO", "active", "2026-11-27", None),          # onboarded 3 days ago: too soon to tell
    ("m5", None, "banned", "2026-10-01", "2026-10-02"),
    ("m6", None, "paused", "2026-10-01", "2026-10-20"),              # activated after 19 days
)


def test_onboarding_outcomes_per_vendor():
    table = onboarding_by_vendor(MEMBERS, NOW).set_index("vendor")
    bright = table.loc["Brightpath BPO"]
    assert bright[["taskers", "onboarded", "activated_in_7_days", "never_started"]].tolist() == [4, 4, 1, 2]
    assert bright["never_started_rate"] == 2 / 3 and bright["activation_rate"] == 1 / 3
    direct = table.loc["direct"]
    assert direct[["activated_in_7_days", "never_started", "banned", "paused", "offboarded"]].tolist() == [
        1, 0, 1, 1, 0]


def test_findings_name_the_vendor_far_from_the_others():
    lens = pd.DataFrame({"vendor": ["A", "B", "C"], "onboarded": [100, 50, 40],
                         "never_started_rate": [0.7, 0.1, 0.12], "quality": [0.94, 0.88, 0.942],
                         "aht_seconds": [100.0, 60.0, 100.0], "sla_share": [0.9, 0.9, 0.88]})
    assert vendor_findings(lens) == [
        "A: 70% of the 100 taskers onboarded never started a task within 7 days (other vendors: 11%).",
        "B: quality 88.0%, lower than the other vendors (94.1%).",
        "B: faster — 60 s per task against 100 s elsewhere.",
    ]


def test_the_lens_joins_performance_onboarding_and_sla_per_vendor():
    performance = pd.DataFrame({"vendor": ["Brightpath BPO", "direct"], "quality": [0.9, 0.95],
                                "aht_seconds": [80.0, 90.0], "occupancy": [0.7, 0.8]})
    sla = pd.DataFrame({"vendor": ["direct"], "met": [3], "breached": [1], "sla_share": [0.75]})
    lens = vendor_lens(performance, onboarding_by_vendor(MEMBERS, NOW), sla).set_index("vendor")
    assert lens.loc["direct", ["quality", "sla_share", "banned"]].tolist() == [0.95, 0.75, 1]
    assert pd.isna(lens.loc["Brightpath BPO", "sla_share"])


def test_the_taskers_behind_a_vendor_figure():
    assert vendor_taskers(MEMBERS, "Brightpath BPO", "never_started", NOW)["member_id"].tolist() == ["m1", "m2"]
    assert vendor_taskers(MEMBERS, "direct", "banned", NOW)["member_id"].tolist() == ["m5"]
