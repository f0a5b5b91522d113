"""The actionable feedback report: the top issues ranked by impact, with evidence, who is affected and who owns the fix.

Impact is `core.feedback.voice.theme_scorecard`'s: negative mentions weighted by the theme's
drag on NPS and by how fast it is rising (see that module's docstring). Exports are Markdown and a self-contained HTML page;
every piece of tasker text is escaped in both.
"""

import datetime as dt
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
from jinja2 import Environment

from core.exports import markdown_literal
from core.feedback import themes, voice
from core.feedback.messages import SCOPE_SEGMENTS, MessageScope
from core.feedback.surveys import survey_scorecard
from core.frames import as_timestamp

RANKING = "negative mentions × (1 + NPS drag ÷ 100) × (1 + week-on-week growth, −50% to +200%)"
SEGMENT_NAMES = {"region": "region", "project_id": "project", "country": "country", "channel": "channel",
                 "vendor": "vendor", "tenure_band": "tenure", "language": "language"}


@dataclass(frozen=True)
class AffectedSegment:
    """A group over-represented among a theme's mentions."""

    name: str
    dimension: str
    share_of_mentions: float
    share_of_messages: float

    @property
    def figures(self) -> str:
        """'(region): 52% of mentions vs 36% of all messages' (our words, safe to show unescaped)."""
        return (f"({SEGMENT_NAMES.get(self.dimension, self.dimension)}): {self.share_of_mentions:.0%} of mentions "
                f"vs {self.share_of_messages:.0%} of all messages")


@dataclass(frozen=True)
class ReportIssue:
    """One theme worth acting on, with the figures and words behind it."""

    rank: int
    theme: str
    label: str
    owner: str
    impact: float
    mentions: int
    share: float
    negative: int
    negative_share: float
    mean_sentiment: float
    nps_impact: float | None
    nps_responses: int
    last_7_days: int
    previous_7_days: int
    quotes: tuple[str, ...]
    segments: tuple[AffectedSegment, ...]

    @property
    def trend(self) -> str:
        """'rising', 'falling' or 'steady': the last 7 days against the 7 before (±20%)."""
        if self.last_7_days > 1.2 * max(self.previous_7_days, 1):
            return "rising"
        if self.last_7_days < 0.8 * self.previous_7_days:
            return "falling"
        return "steady"


@dataclass(frozen=True)
class FeedbackReport:
    """The top issues for one period, with the headline figures they sit in."""

    start: dt.date
    end: dt.date
    generated_at: pd.Timestamp
    messages: int
    net_sentiment: float | None
    survey: dict | None
    issues: list[ReportIssue] = field(default_factory=list)
    rising: list[dict] = field(default_factory=list)


def build_feedback_report(messages: MessageScope, responses, surveys: pd.DataFrame, *, start, end,
                          as_of, taxonomy: Sequence[themes.Theme] = themes.TAXONOMY,
                          names: Mapping[str, Mapping[str, str]] | None = None, top: int = 5,
                          segments_by=("region", "project_id"), weeks: int | None = None,
                          min_segment_mentions: int = 5, scorecard: pd.DataFrame | None = None,
                          affected: pd.DataFrame | None = None, waves: pd.DataFrame | None = None,
                          count: int | None = None, summary: Mapping | None = None,
                          quotes_shown: int | None = None) -> FeedbackReport:
    """The `top` themes by impact in the messages of [start, end], each with figures, quotes, segments and owner.

    `names` maps a segment column to readable names of its values (e.g. project_id → project name).
    `rising` lists themes whose negative mentions grew fast this week, whatever their rank.
    `scorecard`, `affected` and `waves` may be given when already computed (`theme_scorecard` with
    the same `as_of` and `weeks`; `theme_segments` by at least `segments_by`; `survey_scorecard`
    of the responses), and so may `count` and `summary` (the scope's `count()` and first row of
    `sentiment_summary`). `responses` is a `surveys.ResponseScope` (or None). `quotes_shown` keeps only the
    first quotes of each issue (a brief report: the same first quotes, fewer texts read).
    """
    names = names or {}
    labels, owners = themes.theme_labels(taxonomy), themes.theme_owners(taxonomy)
    if scorecard is None:
        scorecard = voice.theme_scorecard(messages, responses, as_of, weeks=weeks)
    segments_by = [c for c in segments_by if c in SCOPE_SEGMENTS]
    if affected is None:
        affected = voice.theme_segments(messages, segments_by, min_mentions=min_segment_mentions)
    else:
        affected = affected[affected["dimension"].isin(segments_by)]
    issues = []
    for rank, row in enumerate(scorecard[scorecard["negative"] > 0].head(top).itertuples(), start=1):
        issues.append(ReportIssue(
            rank=rank, theme=row.theme, label=labels.get(row.theme, row.theme.replace("_", " ")),
            owner=owners.get(row.theme, "ops"), impact=float(row.impact), mentions=int(row.count),
            share=float(row.share), negative=int(row.negative), negative_share=float(row.negative_share),
            mean_sentiment=float(row.mean_sentiment),
            nps_impact=None if pd.isna(row.nps_impact) else float(row.nps_impact), nps_responses=int(row.nps_responses),
            last_7_days=int(row.last_7_days), previous_7_days=int(row.previous_7_days),
            quotes=tuple(issue_quotes(messages, row.theme, shown=quotes_shown)),
            segments=tuple(affected_segments(affected[affected["theme"] == row.theme], names)),
        ))
    count = messages.count() if count is None else count
    if not count:
        summary = None
    elif summary is None:
        summary = voice.sentiment_summary(messages).iloc[0]
    rising = [{"theme": row.theme, "label": labels.get(row.theme, row.theme.replace("_", " ")),
               "owner": owners.get(row.theme, "ops"), "recent_negative": int(row.recent_negative),
               "usual_negative": float(row.usual_negative), "growth": float(row.growth)}
              for row in voice.growing_negative_themes(messages, as_of, since=start).itertuples()]
    return FeedbackReport(start=pd.Timestamp(start).date(), end=pd.Timestamp(end).date(),
                          generated_at=as_timestamp(as_of), messages=count,
                          net_sentiment=None if summary is None or pd.isna(summary["net"]) else float(summary["net"]),
                          survey=_latest_survey(responses, surveys, waves), issues=issues, rising=rising)


def rising_text(rising: dict) -> str:
    """'Pay and payouts: 44 negative mentions in the last 7 days, 2.6× the usual 17 (owner: payments)'."""
    return (f"{rising['label']}: {rising['recent_negative']:,} negative mentions in the last 7 days, "
            f"{rising['growth']:.1f}× the usual {rising['usual_negative']:.0f} (owner: {rising['owner']})")


def issue_quotes(messages: MessageScope, theme: str, k: int = 3, shown: int | None = None) -> list[str]:
    """Representative quotes for a theme as an issue: drawn from its negative mentions when there are enough
    (only the first `shown` of the k when given)."""
    return messages.quotes(theme, k=k, negative_first=True, shown=shown)


def affected_segments(rows: pd.DataFrame, names: Mapping[str, Mapping[str, str]] | None = None,
                      limit: int = 3) -> list[AffectedSegment]:
    """The strongest `limit` rows of `theme_segments` for one theme, with readable names."""
    names = names or {}
    return [AffectedSegment(name=str(names.get(row.dimension, {}).get(row.segment, row.segment)),
                            dimension=row.dimension, share_of_mentions=float(row.share_of_mentions),
                            share_of_messages=float(row.share_of_messages))
            for row in rows.head(limit).itertuples()]


def _latest_survey(responses, surveys: pd.DataFrame, waves: pd.DataFrame | None = None) -> dict | None:
    if responses is None or not responses.count():
        return None
    if waves is None:
        waves = survey_scorecard(responses, surveys)
    waves = waves[waves["responses"] > 0]
    if waves.empty:
        return None
    latest = waves.iloc[-1]
    return {key: (None if pd.isna(latest[key]) else latest[key])
            for key in ("survey_id", "title", "nps", "nps_margin", "nps_change", "csat", "csat_margin",
                        "response_rate", "responses")}


# --- Markdown ------------------------------------------------------------------------------------



def signed(value: float | None) -> str:
    """A whole number with its sign ("+12", "-3"), "0" for anything that rounds to zero, "n/a" for None."""
    if value is None:
        return "n/a"
    return "0" if round(value) == 0 else f"{value:+.0f}"


def report_markdown(report: FeedbackReport) -> str:
    """The report as Markdown (tasker quotes escaped)."""
    lines = [f"# What the crowd is saying: {report.start:%d %b} – {report.end:%d %b %Y}", "",
             f"{report.messages:,} channel messages; net sentiment {signed(report.net_sentiment)} points."]
    if report.survey:
        s = report.survey
        lines.append(f"Latest survey {markdown_literal(s['survey_id'], one_line=True)}: NPS {signed(s['nps'])} "
                     f"(± {s['nps_margin']:.0f}, {int(s['responses']):,} responses"
                     + (f", response rate {s['response_rate']:.0%}" if s["response_rate"] is not None else "") + ")"
                     + (f", CSAT {s['csat']:.0%} (± {s['csat_margin']:.0%})" if s["csat"] is not None else "") + ".")
    if report.rising:
        lines += ["", "**Rising fast:** " + "; ".join(markdown_literal(rising_text(r), one_line=True) for r in report.rising) + "."]
    lines += ["", f"Ranked by impact = {RANKING}.", ""]
    if not report.issues:
        lines.append("No theme has negative mentions in this period.")
    for issue in report.issues:
        lines += [f"## {issue.rank}. {markdown_literal(issue.label, one_line=True)} — owner: {issue.owner}", "",
                  f"- {issue.mentions:,} mentions ({issue.share:.0%} of messages), {issue.negative:,} negative "
                  f"({issue.negative_share:.0%}); mean sentiment {issue.mean_sentiment:+.2f}",
                  f"- NPS impact: {nps_text(issue)}",
                  f"- Last 7 days {issue.last_7_days:,} vs {issue.previous_7_days:,} the 7 before ({issue.trend})",
                  f"- Impact score {issue.impact:,.0f}"]
        if issue.segments:
            lines += ["- Affected: " + "; ".join(f"{markdown_literal(s.name, one_line=True)} {s.figures}"
                                                for s in issue.segments)]
        lines.append("")
        lines += [f"> {markdown_literal(quote, one_line=True)}\n" for quote in issue.quotes]
    return "\n".join(lines).rstrip() + "\n"


def nps_text(issue: ReportIssue) -> str:
    """The NPS impact of an issue in words, with how many survey comments it rests on."""
    if issue.nps_impact is None:
        return "no survey comment mentions it"
    caveat = "" if issue.nps_responses >= voice.MIN_SURVEY_MENTIONS else "; too few to weigh in the ranking"
    if round(issue.nps_impact) == 0:
        where = "respondents who mention it score like everyone else"
    else:
        side = "below" if issue.nps_impact > 0 else "above"
        where = f"NPS of respondents who mention it is {abs(issue.nps_impact):.0f} points {side} the overall NPS"
    return f"{signed(issue.nps_impact)} ({where}; {issue.nps_responses:,} survey comments{caveat})"


# --- HTML ----------------------------------------------------------------------------------------

_HTML = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>What the crowd is saying: {{ r.start.strftime('%d %b') }} – {{ r.end.strftime('%d %b %Y') }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:860px;margin:2rem auto;padding:0 1rem;
color:#222;background:#fff;line-height:1.45}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-top:1px solid #ddd;padding-top:1rem}
.owner{font-size:.8rem;background:#0072B2;color:#fff;border-radius:4px;padding:.1rem .4rem;margin-left:.4rem}
.rising{color:#D55E00;font-weight:600}.muted{color:#666;font-size:.9rem}
blockquote{margin:.5rem 0;padding:.3rem .8rem;border-left:4px solid #E69F00;background:#f7f7f7}
@media (prefers-color-scheme: dark){body{background:#111;color:#eee}blockquote{background:#222}.muted{color:#aaa}}
</style></head><body>
<h1>What the crowd is saying: {{ r.start.strftime('%d %b') }} – {{ r.end.strftime('%d %b %Y') }}</h1>
<p>{{ '{:,}'.format(r.messages) }} channel messages; net sentiment {{ signed(r.net_sentiment) }} points.
{% if r.survey %}Latest survey {{ r.survey.survey_id }}: NPS {{ signed(r.survey.nps) }}
(± {{ '%.0f' % r.survey.nps_margin }}, {{ '{:,}'.format(r.survey.responses|int) }} responses{% if r.survey.response_rate is not none %},
response rate {{ '{:.0%}'.format(r.survey.response_rate) }}{% endif %}){% if r.survey.csat is not none %},
CSAT {{ '{:.0%}'.format(r.survey.csat) }} (± {{ '{:.0%}'.format(r.survey.csat_margin) }}){% endif %}.{% endif %}</p>
{% if r.rising %}<p><strong class="rising">Rising fast:</strong> {% for x in r.rising %}{{ rising_text(x) }}{{ '; ' if not loop.last }}{% endfor %}.</p>{% endif %}
<p class="muted">Ranked by impact = {{ ranking }}. Generated {{ r.generated_at.strftime('%d %b %Y %H:%M') }} UTC.</p>
{% if not r.issues %}<p>No theme has negative mentions in this period.</p>{% endif %}
{% for i in r.issues %}
<h2>{{ i.rank }}. {{ i.label }}<span class="owner">owner: {{ i.owner }}</span></h2>
<ul>
<li>{{ '{:,}'.format(i.mentions) }} mentions ({{ '{:.0%}'.format(i.share) }} of messages), {{ '{:,}'.format(i.negative) }} negative
({{ '{:.0%}'.format(i.negative_share) }}); mean sentiment {{ '%+.2f' % i.mean_sentiment }}</li>
<li>NPS impact: {{ nps_text(i) }}</li>
<li>Last 7 days {{ '{:,}'.format(i.last_7_days) }} vs {{ '{:,}'.format(i.previous_7_days) }} the 7 before
(<span class="{{ i.trend }}">{{ i.trend }}</span>)</li>
<li>Impact score {{ '{:,.0f}'.format(i.impact) }}</li>
{% if i.segments %}<li>Affected: {% for s in i.segments %}{{ s.name }} {{ s.figures }}{{ '; ' if not loop.last }}{% endfor %}</li>{% endif %}
</ul>
{% for q in i.quotes %}<blockquote>{{ q }}</blockquote>
{% endfor %}
{% endfor %}
</body></html>
""")


def report_html(report: FeedbackReport) -> str:
    """The report as one self-contained HTML page (no scripts or outside files; all text escaped)."""
    return _HTML.render(r=report, ranking=RANKING, signed=signed, nps_text=nps_text, rising_text=rising_text)
