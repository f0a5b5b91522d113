"""Commands that write reports and checks: report weekly, comms-check."""

import json
from pathlib import Path

from core import reports, timeline, weeks
from core.comms.checks import check_document
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


def comms_check(args) -> int:
    """Plain-language checks of a message file: readability figures and findings."""

    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read {args.file}: {exc.strerror}") from exc
    report = check_document(text, channel=args.channel)
    if args.format == "json":
        print(json.dumps(report.public(), ensure_ascii=False))
    else:
        print(f"Flesch reading ease {report.flesch_reading_ease:.1f} · grade {report.grade:.1f} "
              f"(target ≤ {report.target_grade:.0f}) · {report.words} words in {report.sentences} sentences")
        for finding in report.findings:
            where = f"line {finding.line}" if finding.line else "message"
            quoted = f" “{finding.text}”" if finding.text else ""
            print(f"{where:>9} {finding.kind}:{quoted} → {finding.suggestion}")
        if not report.findings:
            print("No findings.")
    return 0

