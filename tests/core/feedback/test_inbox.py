"""The triage inbox: filters, order and limits."""

from core.feedback.inbox import inbox
from tests.core.factories import feedback, make_feedback


def test_inbox_filters_by_status_theme_sentiment_channel_and_project_newest_first():
    messages = feedback(
        make_feedback(feedback_id="a", created_at="2026-11-01 09:00", themes=["pay"], sentiment=-0.5),
        make_feedback(feedback_id="b", created_at="2026-11-02 09:00", themes=["pay"], sentiment=-0.3, channel="forum"),
        make_feedback(feedback_id="c", created_at="2026-11-03 09:00", themes=["pay"], sentiment=-0.4,
                      triage_status="handled"),
        make_feedback(feedback_id="d", created_at="2026-11-04 09:00", themes=["tooling"], themes_override=["pay"],
                      sentiment=0.5, sentiment_override=-0.5, project_id="p2"),
        make_feedback(feedback_id="e", created_at="2026-11-05 09:00", themes=["pay"], sentiment=0.6),
    ).assign(assignee=None, linked_item_id=None, version=1)
    rows, total = inbox(messages, statuses=["new"], themes=["pay"], sentiments=["negative"],
                        labels={"pay": "Pay and payouts"})
    assert (rows["feedback_id"].tolist(), total) == (["d", "b", "a"], 3)
    assert rows["theme_names"].tolist()[0] == "Pay and payouts" and rows["overridden"].tolist() == [True, False, False]
    assert inbox(messages, channels=["forum"])[0]["feedback_id"].tolist() == ["b"]
    assert inbox(messages, projects=["p2"])[0]["feedback_id"].tolist() == ["d"]
    limited, total = inbox(messages, limit=2)
    assert (limited["feedback_id"].tolist(), total) == (["e", "d"], 5)
