import re

import pandas as pd
import pytest

from core.exports import markdown_literal
from core.feedback.report import build_feedback_report, report_html, report_markdown
from tests.core.factories import feedback, make_feedback, make_response, responses, utc

AS_OF = utc("2026-11-15 00:00")
EVIL = "<script>alert(1)</script> ![x](http://evil.example/p.png) **pay** late"


@pytest.fixture
def messages():
    """Pay: 3 negative messages this week (one hostile) + 1 positive; tooling: 2 negative last week, all in region B."""
    return feedback(
        make_feedback(created_at="2026-11-10 09:00", themes=["payments"], sentiment=-0.5, region="A",
                      text="My payout for October has not arrived and nobody answers."),
        make_feedback(created_at="2026-11-11 09:00", themes=["payments"], sentiment=-0.5, region="A", text=EVIL),
        make_feedback(created_at="2026-11-12 09:00", themes=["payments"], sentiment=-0.5, region="A",
                      text="The pay rate on Beacon was cut again without any notice."),
        make_feedback(created_at="2026-11-03 09:00", themes=["payments"], sentiment=0.5, region="A",
                      text="Payout arrived on time this month, thank you all."),
        make_feedback(created_at="2026-11-03 10:00", themes=["tooling"], sentiment=-0.5, region="B",
                      text="The upload keeps failing with a timeout error."),
        make_feedback(created_at="2026-11-04 10:00", themes=["tooling"], sentiment=-0.5, region="B",
                      text="Got an error 500 three times while submitting."),
        *(make_feedback(created_at="2026-11-05 10:00", themes=[], sentiment=0.3, region="A", text="All good here.")
          for _ in range(4)),
    )


@pytest.fixture
def answers():
    """Ten pay detractors and ten promoters: pay drags NPS by 100 points."""
    return responses(*(make_response(member_id=f"d{i}", score=0, csat=1, themes=["payments"]) for i in range(10)),
                     *(make_response(member_id=f"p{i}", score=10, csat=5, themes=[]) for i in range(10)))


@pytest.fixture
def surveys():
    return pd.DataFrame({"survey_id": ["s1"], "title": ["Pulse"], "sent_at": [utc("2026-11-01 09:00")],
                         "audience_size": [40.0]})


@pytest.fixture
def report(messages, answers, surveys, scope_of, responses_of):
    return build_feedback_report(scope_of(messages), responses_of(answers), surveys, start="2026-11-01",
                                 end="2026-11-14", as_of=AS_OF,
                                 weeks=2, names={"region": {"B": "Region <B>"}}, min_segment_mentions=2)


def test_top_issues_are_ranked_by_negative_mentions_weighted_by_nps_drag(report):
    assert [(i.rank, i.theme, i.owner, i.impact) for i in report.issues] == [
        (1, "payments", "payments", 6.0), (2, "tooling", "tooling", 2.0)]
    pay = report.issues[0]
    assert (pay.label, pay.mentions, pay.negative, pay.nps_impact, pay.nps_responses) == (
        "Pay and payouts", 4, 3, 100.0, 10)
    assert (pay.last_7_days, pay.previous_7_days, pay.trend) == (3, 1, "rising")


def test_each_issue_carries_negative_quotes_and_the_segments_it_over_represents(report):
    pay, tooling = report.issues
    assert "Payout arrived on time this month, thank you all." not in pay.quotes
    assert len(pay.quotes) == 3
    assert [(s.name, s.dimension) for s in tooling.segments] == [("Region <B>", "region")]
    assert tooling.segments[0].figures == "(region): 100% of mentions vs 20% of all messages"


def test_report_headline_has_messages_sentiment_and_the_latest_survey(report):
    assert (report.messages, report.net_sentiment) == (10, 0.0)
    assert report.survey["survey_id"] == "s1" and report.survey["nps"] == 0.0
    assert report.survey["response_rate"] == pytest.approx(20 / 40)


def test_markdown_report_escapes_tasker_text(report):
    markdown = report_markdown(report)
    assert "## 1. Pay and payouts — owner: payments" in markdown
    assert "<script>" not in markdown and "\\<script\\>" in markdown
    assert "\\!\\[x\\]\\(http\\:\\/\\/evil\\.example\\/p\\.png\\)" in markdown and "\\*\\*pay\\*\\*" in markdown
    assert "Region \\<B\\> (region): 100% of mentions vs 20% of all messages" in markdown


def test_html_report_is_self_contained_and_escapes_tasker_text(report):
    page = report_html(report)
    assert page.startswith("<!doctype html>") and "<style>" in page
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"""(src|href)=["']?http""", page)
    assert "Region &lt;B&gt;" in page
    assert "<span class=\"owner\">owner: payments</span>" in page


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("1. first", "1\\. first"),
        ("- a list", "\\- a list"),
        ("# heading", "\\# heading"),
        ("line\nbreak  and   spaces", "line break and spaces"),
        ("<b>&</b>", "\\<b\\>\\&\\<\\/b\\>"),
        ("costs $5 and $6", "costs \\$5 and \\$6"),
    ],
)
def test_markdown_escape_makes_text_inert(text, escaped):
    assert markdown_literal(text, one_line=True) == escaped


def test_a_period_without_complaints_says_so(surveys, scope_of, responses_of):
    calm = feedback(make_feedback(created_at="2026-11-10 09:00", themes=["community"], sentiment=0.6))
    report = build_feedback_report(scope_of(calm), responses_of(responses()), surveys, start="2026-11-01",
                                   end="2026-11-14", as_of=AS_OF)
    assert report.issues == [] and report.survey is None
    assert "No theme has negative mentions in this period." in report_markdown(report)
    assert "No theme has negative mentions in this period." in report_html(report)


def test_fast_growing_complaints_are_called_out_whatever_their_rank(surveys, scope_of, responses_of):
    burst = feedback(
        make_feedback(created_at="2026-10-10 09:00", themes=[], sentiment=0.0),
        *(make_feedback(created_at=f"2026-11-{d:02d} 09:00", themes=["payments"], sentiment=-0.5)
          for d in (8, 9, 10, 11, 12, 13, 14, 14, 13, 12, 11, 10, 9, 8, 10, 11)),
    )
    report = build_feedback_report(scope_of(burst), responses_of(responses()), surveys, start="2026-10-10",
                                   end="2026-11-14", as_of=AS_OF)
    assert [(r["theme"], r["recent_negative"]) for r in report.rising] == [("payments", 16)]
    assert "**Rising fast:** Pay and payouts\\: 16 negative mentions in the last 7 days" in report_markdown(report)


def test_the_overview_s_count_and_summary_are_the_report_s_headline(messages, answers, surveys, scope_of,
                                                                       responses_of, report):
    given = build_feedback_report(scope_of(messages), responses_of(answers), surveys, start="2026-11-01",
                                  end="2026-11-14", as_of=AS_OF, weeks=2,
                                  names={"region": {"B": "Region <B>"}}, min_segment_mentions=2, count=7, summary={"net": 12.5})
    assert (given.messages, given.net_sentiment) == (7, 12.5)
    assert given.issues == report.issues
    nothing = build_feedback_report(scope_of(messages), responses_of(answers), surveys, start="2026-11-01",
                                    end="2026-11-14", as_of=AS_OF, count=0, summary={"net": 12.5})
    assert nothing.net_sentiment is None


def test_a_brief_report_keeps_the_first_issues_with_their_first_quote(messages, answers, surveys, scope_of,
                                                                       responses_of, report):
    brief = build_feedback_report(scope_of(messages), responses_of(answers), surveys, start="2026-11-01",
                                  end="2026-11-14", as_of=AS_OF, weeks=2, names={"region": {"B": "Region <B>"}},
                                  min_segment_mentions=2, top=1, quotes_shown=1)
    assert [(i.theme, i.quotes) for i in brief.issues] == [
        ("payments", ("My payout for October has not arrived and nobody answers.",))]
    assert brief.issues[0].quotes == report.issues[0].quotes[:1]


def test_a_brief_quote_comes_from_the_same_mentions_as_the_full_choice(scope_of):
    # One negative mention of three is too few to quote negatives only: both choices read all three.
    scope = scope_of(feedback(
        make_feedback(created_at="2026-11-10 09:00", themes=["support"], sentiment=-0.5,
                      text="Support closed my ticket without reading it at all."),
        make_feedback(created_at="2026-11-11 09:00", themes=["support"], sentiment=0.5,
                      text="Support sorted my account out within the hour, great."),
        make_feedback(created_at="2026-11-12 09:00", themes=["support"], sentiment=0.5,
                      text="Quick and friendly answer from support on my payout."),
    ))
    full = scope.quotes("support", k=3, negative_first=True)
    assert scope.quotes("support", k=3, negative_first=True, shown=1) == full[:1] == [
        "Support sorted my account out within the hour, great."]
