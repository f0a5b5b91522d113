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


def test_each_entry_opens_the_tab_that_shows_it(app):
    at = app()
    links = {(entry.split("**")[1], link.proto.page, link.proto.query_string)
             for entry, link in zip(shown_entries(at), at.get("page_link"))}
    assert any("breached their SLA" in title and query == "queues_breach_tab=Breached%2C+still+open"
               for title, _, query in links)
    assert any("confusion after" in title and (page, query) == ("workforce", "workforce_tab=Confusion")
               for title, page, query in links)


def test_a_link_to_a_tab_opens_it(app):
    at = app("workforce", query={"workforce_tab": "Confusion"})
    assert at.session_state["workforce_tab"] == "Confusion" and "workforce_tab" not in at.query_params
    assert at.button(key="workforce_confusion_message")  # the confusion tab ran; the fatigue tab did not
    assert not [b for b in at.button if b.key == "workforce_fatigue_message"]
