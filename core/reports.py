"""The weekly health report: one ISO week against the one before, a 4-week trend and a written summary."""

import datetime as dt
import re
from dataclasses import dataclass, field

import pandas as pd
import vl_convert
from sqlalchemy import select
from sqlmodel import Session

from core import charts, models, timeline, weekly_html, weekly_summary
from core.db import bump_data_version, session_scope
from core.exports import markdown_literal
from core.feedback.messages import MessageScope
from core.feedback.surveys import ResponseScope
from core.feedback.voice import coverage_statement, language_coverage, theme_sentiment_drops
from core.frames import read_frame
from core.health import active as health
from core.health.crowd import Crowd
from core.health.scope import project_base_and_days
from core.overview import Figure, week_figures
from core.people import require
from core.queues.facts import QueueFacts
from core.weeks import WeekWindow, iso_week_of, parse_iso_week, previous_week, week_window
from core.workforce import read as workforce
from core.workforce.confusion import confusion_alerts, confusion_by_region
from core.workforce.rollup import FATIGUE_DAYS

TREND_WEEKS = 4
ALL_SCOPE = "all projects and regions"


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
    no_call: list[str] = field(default_factory=list)
    window: WeekWindow | None = None
    scope: str = ALL_SCOPE
    as_of: pd.Timestamp | None = None

    def __post_init__(self):
        if self.window is None:
            self.window = WeekWindow(self.week, self.start, self.end, self.end - pd.Timedelta(microseconds=1))

    @property
    def title(self) -> str:
        """'CrowdPulse weekly health — Latin America — 2026-W46' (the scope only when filtered)."""
        return self.titled(self.scope)

    def titled(self, scope: str) -> str:
        """The title with the scope written as given (e.g. escaped for Markdown)."""
        named = "" if self.scope == ALL_SCOPE else f" — {scope}"
        return f"CrowdPulse weekly health{named} — {self.window.label}"

    @property
    def subtitle(self) -> str:
        """The days counted, what they are compared with, the scope and the data's age."""
        return self.subtitled(self.scope)

    def subtitled(self, scope: str) -> str:
        """The subtitle with the scope written as given (e.g. escaped for Markdown)."""
        as_of = "" if self.as_of is None else f" · data as of {self.as_of:%a %d %b %Y %H:%M} UTC"
        return f"{self.window.dates}, compared with {self.window.compared_with} · {scope}{as_of}"

    def file_name(self, extension: str) -> str:
        """'crowdpulse-weekly-2026-W46-latin-america.md': week, 'so far' when partial, and the scope."""
        parts = [self.week] + (["so-far", f"{self.window.days}-of-7-days"] if self.window.partial else [])
        if self.scope != ALL_SCOPE:
            parts.append(re.sub(r"[^a-z0-9]+", "-", self.scope.lower()).strip("-")[:60].strip("-"))
        return f"crowdpulse-weekly-{'-'.join(parts)}.{extension}"

    def figures_frame(self) -> pd.DataFrame:
        """Headline figures as rows: metric, this week, previous week, change."""
        return pd.DataFrame([{"metric": f.label, "this_week": _fmt(f.fmt, f.this_week),
                              "previous_week": _fmt(f.fmt, f.previous_week), "change": f.format_delta()}
                             for f in self.figures])


def scope_label(project_names=(), regions=()) -> str:
    """The filters a report covers, in words: 'Cedar GenAI Chat Rating · Latin America', or all of them."""
    return " · ".join(filter(None, [", ".join(project_names), ", ".join(regions)])) or ALL_SCOPE


def build_weekly_report(week: str, *, status: QueueFacts, member_days: pd.DataFrame, members: pd.DataFrame,
                        messages: pd.DataFrame, alerts: dict[str, pd.DataFrame] | None = None,
                        through=None, evidence: bool = True) -> WeeklyReport:
    """The report for an ISO week from metric inputs, counted up to `through` (the data's last moment) when the
    week is still going; `alerts` adds confusion, fatigue, cohort and weekend findings."""
    start, end = parse_iso_week(week)
    window = week_window(week, end if through is None else through)
    # Up to the week's last moment, or the data's last moment; a partial week's span is its days so far.
    span = window.through - start + pd.Timedelta(microseconds=1)
    # Each week's figures come with the week before's: one call covers two trend weeks, with the n of each.
    scope = messages.window(window.through - span, window.through)
    coverage = language_coverage(scope)  # what the week's net sentiment rests on, per language
    values: dict[int, dict[str, tuple]] = {}
    for back in range(0, TREND_WEEKS, 2):
        pair = week_figures(status=status, member_days=member_days, members=members, messages=messages,
                            week_end=window.through - pd.Timedelta(days=7 * back), span=span, coverage=coverage,
                            counted=evidence)
        values[back] = {figure.key: (figure.this_week, figure.counts[0]) for figure in pair}
        values[back + 1] = {figure.key: (figure.previous_week, figure.counts[1]) for figure in pair}
        if back == 0:
            figures = pair
    rows = []
    for back in range(TREND_WEEKS - 1, -1, -1):
        moment = window.through - pd.Timedelta(days=7 * back)
        for figure in figures:
            value, count = values[back][figure.key]
            rows.append({"week": iso_week_of(moment), "metric": figure.label, "key": figure.key,
                         "value": value, "count": count if evidence else None,
                         "partial": window.partial and back == 0})
    report = WeeklyReport(week=week, start=start, end=end, figures=figures, trend=pd.DataFrame(rows), window=window)
    _write_summary(report, alerts or {})
    if evidence:  # what the week's net sentiment rests on, per language, and what could not be scored
        report.no_call += filter(None, [coverage_statement(coverage)])
    return report


def _write_summary(report: WeeklyReport, alerts: dict[str, pd.DataFrame]) -> None:
    """Wins, risks, no-calls and interventions, each naming its figures; the same data gives the same text."""
    step_name = f"the same days of {previous_week(report.week)}" if report.window.partial else "last week"
    lists = {weekly_summary.WIN: report.wins, weekly_summary.RISK: report.risks,
             weekly_summary.NO_CALL: report.no_call}
    for figure in report.figures:
        rows = report.trend[report.trend["key"] == figure.key]
        counts = None if rows["count"].isna().any() else rows["count"].astype(int).tolist()
        reading = weekly_summary.read_trend(figure.label, rows["week"].tolist(), rows["value"].tolist(),
                                            fmt=figure.fmt, higher_is_better=figure.higher_is_better,
                                            rule=weekly_summary.RULES[figure.key], counts=counts,
                                            step_name=step_name)
        if reading is not None:
            lists[reading.verdict].append(reading.text)
    responses = alerts.get("survey_responses")
    if responses is not None:
        for reading in weekly_summary.survey_readings(responses, report.window.through):
            lists[reading.verdict].append(reading.text)

    for row in _alert_rows(alerts, "sentiment_drops"):
        report.risks.append(f"Sentiment about {row.theme.replace('_', ' ')} fell {abs(row.change):.0f} points "
                            f"(net {row.baseline_net:+.0f} → {row.recent_net:+.0f}, {row.recent_count:,} messages).")
    _write_interventions(report, alerts)


def _write_interventions(report: WeeklyReport, alerts: dict[str, pd.DataFrame]) -> None:
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


def figure_columns(report: WeeklyReport) -> tuple[str, str]:
    """The headings of the two compared columns: this week and last, or the days so far and the same days before."""
    if report.window.partial:
        return f"So far ({report.window.days} of 7 days)", f"Same days of {previous_week(report.week)}"
    return "This week", "Last week"


def summary_sections(report: WeeklyReport) -> list[tuple[str, list[str]]]:
    """The written summary's sections in reading order, each with its statements."""
    return [("Wins", report.wins), ("Risks", report.risks), ("Steady or too few to call", report.no_call),
            ("Where to intervene", report.interventions)]


def trend_title(report: WeeklyReport) -> str:
    """'4-week trend', saying which days of each week count when the week is still going."""
    if report.window.partial:
        return f"{TREND_WEEKS}-week trend (Mon 00:00 – {report.window.through:%a %H:%M} UTC of each week)"
    return f"{TREND_WEEKS}-week trend"


def to_markdown(report: WeeklyReport) -> str:
    """The report as Markdown (title with scope, figures table, summary sections, trend); imported text (project and
    region names, the statements naming them) is escaped so that any renderer shows it literally."""
    this, last = figure_columns(report)
    scope = markdown_literal(report.scope, one_line=True)
    lines = [f"# {report.titled(scope)}", report.subtitled(scope), "", f"| Metric | {this} | {last} | Change |",
             "|---|---:|---:|---:|"]
    for f in report.figures:
        lines.append(f"| {f.label} | {_fmt(f.fmt, f.this_week)} | {_fmt(f.fmt, f.previous_week)} | {f.format_delta()} |")
    for title, items in summary_sections(report):
        lines += ["", f"## {title}"] + ([f"- {markdown_literal(item, one_line=True)}" for item in items]
                                        or ["- Nothing notable."])
    lines += ["", f"## {trend_title(report)}", "", "| Metric | " + " | ".join(report.trend["week"].unique()) + " |",
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


def trend_chart_options(report: WeeklyReport, rows: pd.DataFrame) -> dict:
    """How one figure's 4-week trend is drawn (`charts.line` options): its n per point in the tooltip, the week
    still going marked 'so far', a point on too few items hollow."""
    figure = next(f for f in report.figures if f.key == rows["key"].iloc[0])
    counted = rows["count"].notna().all()
    return {"x": "week", "y": "value", "y_title": figure.label, "x_type": "O", "y_format": axis_format(figure.fmt),
            "n": "count" if counted else None, "n_title": weekly_summary.RULES[figure.key].unit or "items",
            "min_n": max(weekly_summary.RULES[figure.key].min_count, 1), "partial": "partial"}


def trend_charts_svg(report: WeeklyReport) -> list[str]:
    """The 4-week trend as SVG charts (no scripts, no network), one per figure, for the HTML export."""
    return [vl_convert.vegalite_to_svg(charts.line(rows, **trend_chart_options(report, rows), height=140)
                                       .properties(width=240).to_json())
            for _, rows in report.trend.groupby("metric", sort=False)]


def to_html(report: WeeklyReport, charts_svg: list[str] | None = None) -> str:
    """A self-contained printable HTML page of the report (Jinja2, autoescaped), with the trend charts inline as SVG."""
    return weekly_html.render_page(title=report.title, subtitle=report.subtitle, headings=figure_columns(report),
                                   rows=report.figures_frame().to_dict("records"), sections=summary_sections(report),
                                   trend_title=trend_title(report),
                                   charts=trend_charts_svg(report) if charts_svg is None else charts_svg)


def _fmt(fmt: str, value) -> str:
    """A figure as shown, with a true minus ('−3'); '—' when missing."""
    return "—" if value is None or pd.isna(value) else fmt.format(value).replace("-", "−")


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


def weekly_report_from_db(engine, week: str, *, projects=None, regions=None, as_of=None) -> WeeklyReport:
    """Load what an ISO week's report needs (optionally for some projects/regions) and build it, counting a week
    still going up to the data's last moment (`as_of`, default `timeline.data_as_of`)."""
    as_of = timeline.data_as_of(engine) if as_of is None else pd.Timestamp(as_of)
    start, end = parse_iso_week(week)
    window = week_window(week, as_of)
    through = window.through + pd.Timedelta(microseconds=1)
    first_day = (start - pd.Timedelta(days=7 * TREND_WEEKS + 34)).date()
    last_day = window.through.date()
    # The Queues page's clocks (business hours, pauses from the status history), from the clock roll-up.
    # Every item created before the week's end: the backlog at a week's end counts items however old.
    status = QueueFacts(engine, min(end, timeline.present()), end=end, projects=projects, regions=regions)
    # Under a project filter the base is the project's members, as on the Health page. Active users, the active
    # rate and onboarding cohorts read only ids and onboarding times (as Today's tiles do), not every member's details.
    members = health.load_onboarded(engine, regions=regions)
    if projects:
        members, member_days = project_base_and_days(engine, members, start=first_day, end=last_day, projects=projects)
    else:
        member_days = health.load_active_days(engine, start=first_day, end=last_day)
    voice = MessageScope(engine, start=start - pd.Timedelta(days=35), end=end,
                         projects=tuple(projects) if projects else None,
                         regions=tuple(regions) if regions else None)
    window_start = (through - pd.Timedelta(days=36)).date()
    activity = workforce.load_project_day_totals(engine, start=window_start, end=last_day, projects=projects,
                                                 regions=regions, by_region=True)
    # Fatigue over the same 36 days as the Workforce page and Today (its stored default view when the week is the
    # latest), whether the week has ended or not.
    fatigue = workforce.load_fatigue_alerts(engine, last_day, window_start=last_day - dt.timedelta(days=FATIGUE_DAYS),
                                            projects=projects, regions=regions)
    negative = workforce.load_negative_feedback(engine, start=(start - pd.Timedelta(days=35)).date(), end=last_day,
                                                projects=projects, regions=regions)
    project_table = workforce.load_projects(engine)
    alerts = gather_alerts(activity=activity, projects=project_table, messages=voice, status=status,
                           members=members, member_days=member_days, start=start, end=through, voice=voice,
                           fatigue=fatigue, negative_feedback=negative)
    alerts["survey_responses"] = _survey_responses(engine, regions)
    report = build_weekly_report(week, status=status, member_days=member_days, members=members, messages=voice,
                                 alerts=alerts, through=window.through)
    names = project_table.set_index("project_id")["name"] if len(project_table) else pd.Series(dtype=object)
    report.scope = scope_label([str(names.get(p, p)) for p in projects or ()], regions or ())
    report.as_of = as_of
    return report


def _survey_responses(engine, regions) -> ResponseScope:
    """Survey responses (NPS and CSAT answers) of taskers in the regions, counted in SQL from the survey roll-up
    (staff and bots already left out, the respondent's region copied) for each window `survey_readings` compares;
    surveys have no project."""
    return ResponseScope(engine, regions=tuple(regions) if regions else None)


def publish_snapshot(engine, report: WeeklyReport, *, filters: dict, actor: str) -> int:
    """Freeze a week's figures and summary as published (managers), with its scope, days and data age; returns the id."""
    require(engine, actor, "manager", "publish a weekly snapshot")
    figures = {"figures": report.figures_frame().to_dict("records"),
               # JSON has no NaN (PostgreSQL refuses it): a figure with no data is stored as null
               "trend": [{**row, "value": _number(row["value"]), "count": _number(row.get("count"))}
                         for row in report.trend.to_dict("records")]}
    filters = {**filters, "scope": report.scope, "label": report.window.label,
               "as_of": None if report.as_of is None else report.as_of.isoformat()}
    with session_scope(engine) as session:
        snapshot = models.WeeklySnapshot(week=report.week, filters=filters, figures=figures,
                                         summary_md=to_markdown(report), published_by=actor)
        session.add(snapshot)
        session.add(models.AuditEvent(actor=actor, action="publish", entity="weekly_snapshot", entity_id=report.week,
                                      after={"week": report.week, "filters": filters}))
        bump_data_version(session)
        session.flush()
        return snapshot.id


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def list_snapshots(engine) -> pd.DataFrame:
    """Published weekly snapshots, newest first."""


    table = models.WeeklySnapshot.__table__
    statement = select(table.c.id, table.c.week, table.c.filters, table.c.published_at, table.c.published_by,
                       table.c.summary_md).order_by(table.c.published_at.desc())
    return read_frame(engine, statement, timestamps=("published_at",))


def snapshot_caption(week: str, filters: dict | None, published_at) -> str:
    """How a published snapshot is listed: its week (and 'so far'), its scope and when it was published."""
    filters = filters or {}
    return f"{filters.get('label', week)} · {filters.get('scope', ALL_SCOPE)} — published {published_at:%d %b %Y %H:%M}"


WEEKLY_SHEET_SETTING = "weekly_report_sheet"  # Setting: {"spreadsheet": URL or key, "worksheet": name}


def sheet_rows(report: WeeklyReport, *, scope: str) -> pd.DataFrame:
    """The week's headline figures as one row per metric, for appending to a shared Google Sheet (numbers stay numbers)."""
    return pd.DataFrame([{"week": report.window.label, "scope": scope, "metric": f.label,
                          "this_week": None if pd.isna(f.this_week) else round(float(f.this_week), 4),
                          "previous_week": None if pd.isna(f.previous_week) else round(float(f.previous_week), 4),
                          "change": None if pd.isna(f.delta) else round(float(f.delta), 4)} for f in report.figures])


def configured_sheet(engine) -> dict | None:
    """Where weekly figures go ({'spreadsheet', 'worksheet'}), or None when not set on Settings."""
    with Session(engine) as session:
        setting = session.get(models.Setting, WEEKLY_SHEET_SETTING)
    value = setting.value if setting is not None else None
    return value if isinstance(value, dict) and value.get("spreadsheet") and value.get("worksheet") else None
