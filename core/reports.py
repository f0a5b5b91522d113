"""The weekly health report: one ISO week against the one before, a 4-week trend and a written summary."""

import datetime as dt
import html
from dataclasses import dataclass, field

import pandas as pd
import vl_convert
from sqlalchemy import select
from sqlmodel import Session

from core import charts, models
from core.db import bump_data_version, session_scope
from core.feedback.messages import MessageScope
from core.feedback.voice import theme_sentiment_drops
from core.frames import read_frame
from core.health import active as health
from core.health.crowd import Crowd
from core.overview import Figure, week_figures
from core.queues.facts import QueueFacts
from core.workforce import read as workforce
from core.workforce.confusion import confusion_alerts, confusion_by_region

TREND_WEEKS = 4


def parse_iso_week(week: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """'2026-W47' → (Monday 00:00 UTC, next Monday 00:00 UTC); a clear error for anything else."""
    try:
        year, number = week.upper().split("-W")
        monday = dt.date.fromisocalendar(int(year), int(number), 1)
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"'{week}' is not an ISO week: write it like 2026-W47.") from exc
    start = pd.Timestamp(monday, tz="UTC")
    return start, start + pd.Timedelta(days=7)


def iso_week_of(moment) -> str:
    """The ISO week label ('2026-W47') a moment falls in."""
    year, week, _ = pd.Timestamp(moment).isocalendar()
    return f"{year}-W{week:02d}"


def previous_week(week: str) -> str:
    """The ISO week before this one (across year boundaries)."""
    start, _ = parse_iso_week(week)
    return iso_week_of(start - pd.Timedelta(days=7))


@dataclass
class WeeklyReport:
    """Everything the Weekly page, the Markdown/HTML export and the Sheets write-back show."""
    week: str
    start: pd.Timestamp
    end: pd.Timestamp
    figures: list[Figure]
    trend: pd.DataFrame
    wins: list[str] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)
    interventions: list[str] = field(default_factory=list)

    def figures_frame(self) -> pd.DataFrame:
        """Headline figures as rows: metric, this week, previous week, change."""
        return pd.DataFrame([{"metric": f.label, "this_week": _fmt(f.fmt, f.this_week),
                              "previous_week": _fmt(f.fmt, f.previous_week), "change": f.format_delta()}
                             for f in self.figures])


def build_weekly_report(week: str, *, status: QueueFacts, member_days: pd.DataFrame, members: pd.DataFrame,
                        messages: pd.DataFrame, alerts: dict[str, pd.DataFrame] | None = None) -> WeeklyReport:
    """The report for an ISO week from metric inputs; `alerts` adds confusion, fatigue, cohort and weekend findings."""
    start, end = parse_iso_week(week)
    week_end = end - pd.Timedelta(microseconds=1)
    figures = week_figures(status=status, member_days=member_days, members=members, messages=messages, week_end=week_end)
    rows = []
    for back in range(TREND_WEEKS - 1, -1, -1):
        moment = week_end - pd.Timedelta(days=7 * back)
        for figure in week_figures(status=status, member_days=member_days, members=members, messages=messages,
                                   week_end=moment):
            rows.append({"week": iso_week_of(moment), "metric": figure.label, "value": figure.this_week})
    report = WeeklyReport(week=week, start=start, end=end, figures=figures, trend=pd.DataFrame(rows))
    _write_summary(report, alerts or {})
    return report


def _change_text(figure: Figure) -> str:
    return f"{figure.fmt.format(figure.this_week)} ({figure.format_delta()} vs last week)"


def _write_summary(report: WeeklyReport, alerts: dict[str, pd.DataFrame]) -> None:
    """Wins, risks and interventions, each naming its figure and segment; the same data gives the same text."""
    thresholds = {"wau": 0.02, "active_rate": 0.005, "sla": 0.01, "first_response": 0.1, "backlog": 0.05,
                  "net_sentiment": 3.0}
    for figure in report.figures:
        if pd.isna(figure.this_week) or pd.isna(figure.previous_week):
            continue
        size = abs(figure.delta)
        relative = size / abs(figure.previous_week) if figure.key in ("wau", "backlog", "first_response") and figure.previous_week else size
        if relative < thresholds[figure.key]:
            continue
        better = (figure.delta > 0) == figure.higher_is_better
        (report.wins if better else report.risks).append(f"{figure.label}: {_change_text(figure)}.")

    for row in _alert_rows(alerts, "sentiment_drops"):
        report.risks.append(f"Sentiment about {row.theme.replace('_', ' ')} fell {abs(row.change):.0f} points "
                            f"(net {row.baseline_net:+.0f} → {row.recent_net:+.0f}, {row.recent_count:,} messages).")
    for row in _alert_rows(alerts, "confusion"):
        region = f" — worst in {row.worst_region}" if getattr(row, "worst_region", None) else ""
        report.interventions.append(
            f"{row.name}: rejections or questions jumped after its {row.change_kind} ({row.reasons}){region}. "
            "Owner: quality + learning — clarify the guideline and message the affected taskers.")
    fatigue = alerts.get("fatigue")
    if fatigue is not None and len(fatigue):
        report.interventions.append(
            f"{len(fatigue):,} taskers show fatigue against their own baseline (e.g. {fatigue.iloc[0]['reasons']}). "
            "Owner: ops — check workloads and send a well-being note.")
    for row in _alert_rows(alerts, "stalled_cohorts"):
        report.interventions.append(
            f"Onboarding cohort of {row.cohort_week:%d %b} stalled: {row.share:.0%} of {row.cohort_size:,} "
            f"taskers did a task in their first week. Owner: ops — send an activation nudge.")
    for row in _alert_rows(alerts, "weekend_breaches"):
        report.risks.append(
            f"{row.queue.capitalize()} items due at weekends met their SLA {row.weekend_compliance:.0%} of the time "
            f"vs {row.weekday_compliance:.0%} on weekdays ({row.weekend_breached:,} weekend breaches).")
        report.interventions.append(f"Add weekend cover to the {row.queue} queue. Owner: ops.")


def _alert_rows(alerts: dict[str, pd.DataFrame], key: str):
    """The rows of one alert frame as named tuples; none when that alert was not computed."""
    frame = alerts.get(key)
    return () if frame is None else frame.itertuples()


def weekend_breaches(status: QueueFacts, start, end, *, gap: float = 0.15) -> pd.DataFrame:
    """Queues whose items due on Saturday or Sunday met their SLA clearly less often than on weekdays."""
    counts = status.decided(due_from=start, due_to=end, by=["queue", "weekend"])
    rows = []
    for queue, items in counts.groupby("queue", sort=True):
        weekend = items.loc[items["weekend"].astype(bool), ["met", "breached"]].sum()
        weekday = items.loc[~items["weekend"].astype(bool), ["met", "breached"]].sum()
        weekend_due, weekday_due = int(weekend.sum()), int(weekday.sum())
        if weekend_due < 5 or weekday_due < 5:
            continue
        weekend_met, weekday_met = int(weekend["met"]) / weekend_due, int(weekday["met"]) / weekday_due
        if weekday_met - weekend_met >= gap:
            rows.append({"queue": queue, "weekend_compliance": weekend_met, "weekday_compliance": weekday_met,
                         "weekend_breached": int(weekend["breached"])})
    return pd.DataFrame(rows, columns=["queue", "weekend_compliance", "weekday_compliance", "weekend_breached"])


def stalled_cohorts(cohorts: pd.DataFrame, *, gap: float = 0.25, min_size: int = 20) -> pd.DataFrame:
    """Onboarding cohorts whose week-0/1 activity is far below the median cohort's."""
    early = cohorts[cohorts["week_number"] <= 1].groupby("cohort_week").agg(
        cohort_size=("cohort_size", "first"), active=("active", "max"))
    if early.empty:
        return pd.DataFrame(columns=["cohort_week", "cohort_size", "share"])
    early["share"] = early["active"] / early["cohort_size"]
    typical = early["share"].median()
    stalled = early[(early["cohort_size"] >= min_size) & (early["share"] <= typical - gap)]
    return stalled.reset_index()[["cohort_week", "cohort_size", "share"]]


def to_markdown(report: WeeklyReport) -> str:
    """The report as Markdown (figures table, wins, risks, interventions, trend)."""
    lines = [f"# CrowdPulse weekly health — {report.week}",
             f"{report.start:%a %d %b %Y} – {(report.end - pd.Timedelta(days=1)):%a %d %b %Y} (UTC)", "",
             "| Metric | This week | Last week | Change |", "|---|---:|---:|---:|"]
    for f in report.figures:
        lines.append(f"| {f.label} | {_fmt(f.fmt, f.this_week)} | {_fmt(f.fmt, f.previous_week)} | {f.format_delta()} |")
    for title, items in (("Wins", report.wins), ("Risks", report.risks), ("Where to intervene", report.interventions)):
        lines += ["", f"## {title}"] + ([f"- {item}" for item in items] or ["- Nothing notable."])
    lines += ["", f"## {TREND_WEEKS}-week trend", "", "| Metric | " + " | ".join(report.trend["week"].unique()) + " |",
              "|---|" + "---:|" * report.trend["week"].nunique()]
    formats = {f.label: f.fmt for f in report.figures}
    for metric, rows in report.trend.groupby("metric", sort=False):
        lines.append(f"| {metric} | " + " | ".join(_fmt(formats[metric], v) for v in rows["value"]) + " |")
    return "\n".join(lines) + "\n"


def axis_format(fmt: str) -> str:
    """The d3 axis format matching a figure's Python format."""
    if "%" in fmt:
        return ".1%"
    if "+" in fmt:
        return "+.0f"
    return ",.1f" if ".1f" in fmt else ",.0f"


def trend_charts_svg(report: WeeklyReport) -> str:
    """The 4-week trend as inline SVG charts (no scripts, no network), for the HTML export."""


    formats = {f.label: f.fmt for f in report.figures}
    parts = []
    for metric, rows in report.trend.groupby("metric", sort=False):
        y_format = axis_format(formats[metric])
        chart = charts.line(rows, "week", "value", y_title=metric, x_type="O", y_format=y_format, height=140)
        parts.append(f'<figure>{vl_convert.vegalite_to_svg(chart.properties(width=240).to_json())}</figure>')
    return f'<h2>{TREND_WEEKS}-week trend</h2><div class="charts">{"".join(parts)}</div>'


def to_html(report: WeeklyReport, charts_html: str | None = None) -> str:
    """A self-contained printable HTML page of the report, with the trend charts inline as SVG."""
    if charts_html is None:
        charts_html = trend_charts_svg(report)
    def items(values):
        return "".join(f"<li>{html.escape(v)}</li>" for v in values) or "<li>Nothing notable.</li>"

    rows = "".join(
        f"<tr><td>{html.escape(f.label)}</td><td>{_fmt(f.fmt, f.this_week)}</td><td>{_fmt(f.fmt, f.previous_week)}</td>"
        f"<td>{f.format_delta()}</td></tr>" for f in report.figures)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CrowdPulse weekly health {html.escape(report.week)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:900px;margin:2rem auto;color:#222}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.4rem;text-align:right}}
td:first-child,th:first-child{{text-align:left}}h2{{margin-top:2rem}}
.charts{{display:flex;flex-wrap:wrap;gap:1rem}}figure{{margin:0}}@media print{{body{{margin:0}}}}</style></head>
<body><h1>CrowdPulse weekly health — {html.escape(report.week)}</h1>
<p>{report.start:%a %d %b %Y} – {(report.end - pd.Timedelta(days=1)):%a %d %b %Y} (UTC)</p>
<table><tr><th>Metric</th><th>This week</th><th>Last week</th><th>Change</th></tr>{rows}</table>
<h2>Wins</h2><ul>{items(report.wins)}</ul><h2>Risks</h2><ul>{items(report.risks)}</ul>
<h2>Where to intervene</h2><ul>{items(report.interventions)}</ul>{charts_html}</body></html>"""


def _fmt(fmt: str, value) -> str:
    return "—" if value is None or pd.isna(value) else fmt.format(value)


def gather_alerts(*, activity: pd.DataFrame, projects: pd.DataFrame, messages: pd.DataFrame, status: QueueFacts,
                  members: pd.DataFrame, member_days: pd.DataFrame, start, end, fatigue: pd.DataFrame,
                  negative_feedback: pd.DataFrame, voice=None) -> dict[str, pd.DataFrame]:
    """The findings the summary names: confusion (with its worst region), fatigue, stalled cohorts, weekend breaches.

    `activity` holds per project-day (and region) sums, `fatigue` the fatigue alerts and
    `negative_feedback` per project-day counts of scored and negative messages for the confusion alerts.
    """

    as_of = end - pd.Timedelta(microseconds=1)
    confusion = confusion_alerts(activity, projects, as_of, feedback=negative_feedback)
    if len(confusion) and "region" in activity:
        worst = [confusion_by_region(activity, row.project_id, row.change_at, as_of=as_of)["region"].iloc[0]
                 for row in confusion.itertuples()]
        confusion = confusion.assign(worst_region=worst)
    cohorts = Crowd(members, member_days).retention_cohorts(weeks=2, as_of=as_of)
    recent_cohorts = cohorts[cohorts["cohort_week"] >= (start - pd.Timedelta(weeks=8)).tz_localize(None)]
    return {
        "confusion": confusion,
        "fatigue": fatigue,
        "stalled_cohorts": stalled_cohorts(recent_cohorts),
        "weekend_breaches": weekend_breaches(status, start - pd.Timedelta(days=21), end),
        "sentiment_drops": _sentiment_drops(messages if voice is None else voice, as_of),
    }


def _sentiment_drops(messages, as_of) -> pd.DataFrame:
    # `messages` is a `feedback.messages.MessageScope` (aggregated in SQL).
    last = messages.last_created_at()
    return theme_sentiment_drops(messages, as_of if last is None else min(as_of, last))


def weekly_report_from_db(engine, week: str, *, projects=None, regions=None) -> WeeklyReport:
    """Load what an ISO week's report needs (optionally for some projects/regions) and build it."""
    start, end = parse_iso_week(week)
    first_day = (start - pd.Timedelta(days=7 * TREND_WEEKS + 34)).date()
    last_day = (end - pd.Timedelta(days=1)).date()
    # The Queues page's clocks (business hours, pauses from the status history), from the clock roll-up.
    status = QueueFacts(engine, min(end, pd.Timestamp.now(tz="UTC")),
                        start=start - pd.Timedelta(days=7 * TREND_WEEKS + 30), end=end,
                        projects=projects, regions=regions)
    members = health.load_community(engine, regions=regions)
    member_days = health.load_active_days(engine, start=first_day, end=last_day, projects=projects)
    voice = MessageScope(engine, start=start - pd.Timedelta(days=35), end=end,
                         projects=tuple(projects) if projects else None,
                         regions=tuple(regions) if regions else None)
    window_start = (end - pd.Timedelta(days=36)).date()
    activity = workforce.load_project_day_totals(engine, start=window_start, end=last_day, projects=projects,
                                                 regions=regions, by_region=True)
    fatigue = workforce.load_fatigue_alerts(engine, last_day, window_start=window_start, projects=projects,
                                            regions=regions)
    negative = workforce.load_negative_feedback(engine, start=(start - pd.Timedelta(days=35)).date(), end=last_day,
                                                projects=projects, regions=regions)
    alerts = gather_alerts(activity=activity, projects=workforce.load_projects(engine), messages=voice, status=status,
                           members=members, member_days=member_days, start=start, end=end, voice=voice,
                           fatigue=fatigue, negative_feedback=negative)
    return build_weekly_report(week, status=status, member_days=member_days, members=members, messages=voice,
                               alerts=alerts)


def publish_snapshot(engine, report: WeeklyReport, *, filters: dict, actor: str) -> int:
    """Freeze a week's figures and summary as published; returns the snapshot id."""
    figures = {"figures": report.figures_frame().to_dict("records"),
               # JSON has no NaN (PostgreSQL refuses it): a figure with no data is stored as null
               "trend": [{**row, "value": None if pd.isna(row["value"]) else float(row["value"])}
                         for row in report.trend.to_dict("records")]}
    with session_scope(engine) as session:
        snapshot = models.WeeklySnapshot(week=report.week, filters=filters, figures=figures,
                                         summary_md=to_markdown(report), published_by=actor)
        session.add(snapshot)
        session.add(models.AuditEvent(actor=actor, action="publish", entity="weekly_snapshot", entity_id=report.week,
                                      after={"week": report.week, "filters": filters}))
        bump_data_version(session)
        session.flush()
        return snapshot.id


def list_snapshots(engine) -> pd.DataFrame:
    """Published weekly snapshots, newest first."""


    table = models.WeeklySnapshot.__table__
    statement = select(table.c.id, table.c.week, table.c.filters, table.c.published_at, table.c.published_by,
                       table.c.summary_md).order_by(table.c.published_at.desc())
    return read_frame(engine, statement, timestamps=("published_at",))


WEEKLY_SHEET_SETTING = "weekly_report_sheet"  # Setting: {"spreadsheet": URL or key, "worksheet": name}


def sheet_rows(report: WeeklyReport, *, scope: str) -> pd.DataFrame:
    """The week's headline figures as one row per metric, for appending to a shared Google Sheet."""
    return pd.DataFrame([{"week": report.week, "scope": scope, "metric": f.label,
                          "this_week": None if pd.isna(f.this_week) else round(float(f.this_week), 4),
                          "previous_week": None if pd.isna(f.previous_week) else round(float(f.previous_week), 4),
                          "change": f.format_delta()} for f in report.figures])


def configured_sheet(engine) -> dict | None:
    """Where weekly figures go ({'spreadsheet', 'worksheet'}), or None when not set on Settings."""
    with Session(engine) as session:
        setting = session.get(models.Setting, WEEKLY_SHEET_SETTING)
    value = setting.value if setting is not None else None
    return value if isinstance(value, dict) and value.get("spreadsheet") and value.get("worksheet") else None
