"""Audience selection for messages."""

import pandas as pd

from core import audience

BASE = pd.DataFrame({
    "member_id": ["a", "b", "c", "d"],
    "country": ["BR", "MX", "BR", "IN"],
    "region": ["Latin America", "Latin America", "Latin America", "Asia-Pacific"],
    "timezone": ["America/Sao_Paulo", "America/Mexico_City", "America/Sao_Paulo", "Asia/Kolkata"],
    "language": ["pt", "es", "pt", "en"],
    "vendor": [None, "Lumen Agency", None, None],
    "status": ["active", "active", "inactive", "active"],
    "projects": [("p03",), ("p03", "p01"), ("p03",), ("p01",)],
})


def test_filters_combine_with_and_and_default_to_active_members():
    chosen = audience.select_audience(BASE, regions=["Latin America"], projects=["p03"])
    assert chosen["member_id"].tolist() == ["a", "b"]


def test_empty_filters_select_every_active_member():
    assert audience.select_audience(BASE)["member_id"].tolist() == ["a", "b", "d"]


def test_language_mix_counts_and_shares_recipients():
    mix = audience.audience_mix(audience.select_audience(BASE), "language")
    assert mix.to_dict("records") == [
        {"language": "en", "recipients": 1, "share": 1 / 3},
        {"language": "es", "recipients": 1, "share": 1 / 3},
        {"language": "pt", "recipients": 1, "share": 1 / 3},
    ]
