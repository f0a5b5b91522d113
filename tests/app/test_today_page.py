"""Today: KPI tiles with week-over-week deltas and a ranked attention list from the seeded demo."""


def test_today_shows_six_headline_tiles_with_deltas(app):
    at = app()
    labels = [m.label for m in at.metric]
    assert labels == ["Active taskers (7d)", "Active rate", "SLA met", "First response", "Open backlog", "Net sentiment"]
    assert all(m.value not in ("", "—") for m in at.metric)


def test_attention_list_puts_breaches_first_and_names_the_stuck_uploads(app):
    at = app()
    entries = [m.value for m in at.markdown if m.value.startswith("**")]
    assert entries, "the attention list is empty on the demo"
    assert "breached their SLA" in entries[0]
    assert any("uploads stuck in staging on Ember Creative Review" in e for e in entries)


def test_attention_list_names_the_launch_that_is_not_ready(app):
    at = app()
    text = " ".join(m.value for m in at.markdown)
    assert "Harbor Safety Red-Teaming launches in 7 days" in text
