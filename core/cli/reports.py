"""Commands that write reports: report weekly."""

from pathlib import Path

from core import reports, timeline, weeks
from core.db import make_engine


def weekly_report(args) -> int:
    """Write the weekly health report for an ISO week (default: the last complete one) as Markdown or HTML."""

    engine = make_engine()
    as_of = timeline.data_as_of(engine)
    week = weeks.iso_week_of(weeks.parse_iso_week(args.week)[0]) if args.week else weeks.last_complete_week(as_of)
    report = reports.weekly_report_from_db(engine, week, as_of=as_of)
    text = reports.to_markdown(report) if args.format == "md" else reports.to_html(report)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"Wrote the {report.window.label} report ({report.scope}) to {args.out}")
    else:
        print(text, end="")
    return 0
