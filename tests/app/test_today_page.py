"""Today: KPI tiles with week-over-week deltas and a ranked attention list from the seeded demo."""


def test_today_shows_six_headline_tiles_with_deltas(app):
    at = app()
    labels = [m.label for m in at.metric]
    assert labels == ["Weekly active", "Active rate", "SLA met", "First response", "Open backlog", "Net sentiment"]
    assert all(m.value not in ("", "—") for m in at.metric)


def shown_entries(at) -> list[str]:
    """The attention entries as a person reads them (Markdown escapes removed)."""
    return [m.value.replace("\\", "") for m in at.markdown if m.value.startswith("**")]


def test_attention_list_puts_breaches_first_and_names_the_stuck_uploads(app):
    at = app()
    entries = shown_entries(at)
    assert entries, "the attention list is empty on the demo"
    assert "breached their SLA" in entries[0]
    assert any("uploads stuck in staging on Ember Creative Review" in e for e in entries)


def test_attention_list_names_the_launch_that_is_not_ready(app):
    assert any("Harbor Safety Red-Teaming launches in" in entry for entry in shown_entries(app()))
