"""`comms-check`: the studio's plain-language checks on a message file, as a table or JSON.

The page and this command call the same `check_document`/`check_text`, so a file gives the same
findings as the Check tab for the same options.
"""

import datetime as dt
import json
from pathlib import Path


def add_comms_check(sub) -> None:
    """Register `comms-check FILE [--channel] [--language] [--share] [--send-date] [--project] [--format]`."""
    comms = sub.add_parser("comms-check", help="plain-language checks of a message file (readability, jargon, …)")
    comms.add_argument("file")
    comms.add_argument("--channel", choices=["email", "slack", "discord", "in_app"], default="email")
    comms.add_argument("--language", default="en", help="language of the text (en, es, pt, fr get a grade)")
    comms.add_argument("--share", type=float, default=0.0,
                       help="share of readers with English as a second language, 0-1 (lowers the target grade)")
    comms.add_argument("--send-date", help="the day it will be read, YYYY-MM-DD (default: today)")
    comms.add_argument("--project", help="add this project's glossary from the database")
    comms.add_argument("--zone", action="append", default=[], help="an audience time zone to convert times to")
    comms.add_argument("--format", choices=["table", "json"], default="table")
    comms.set_defaults(command="comms:comms_check")


def comms_check(args) -> int:
    """Plain-language checks of a message file: readability figures, findings, and times converted."""
    from core.comms.checks import check_document  # noqa: PLC0415 - only when the command runs (fast --help)
    from core.comms.glossary import audience_glossary  # noqa: PLC0415

    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read {args.file}: {exc.strerror}") from exc
    send_date = dt.date.fromisoformat(args.send_date) if args.send_date else None
    glossary = None
    if args.project:
        from core.db import make_engine  # noqa: PLC0415
        glossary = audience_glossary(make_engine(), args.project)
    report = check_document(text, channel=args.channel, second_language_share=args.share, language=args.language,
                            send_date=send_date, glossary=glossary, zones=tuple(args.zone))
    if args.format == "json":
        print(json.dumps(report.public(), ensure_ascii=False))
        return 0
    print(_figures(report))
    for finding in report.findings:
        where = f"line {finding.line}" if finding.line else "message"
        quoted = f" “{finding.text}”" if finding.text else ""
        print(f"{where:>9} {finding.level:9} {finding.kind}:{quoted} {finding.message} → {finding.suggestion}")
    for moment in report.times:
        print(f"     time {moment.text} = {moment.utc:%Y-%m-%d %H:%M} UTC" +
              (f" ({', '.join(moment.local)})" if moment.local else ""))
    if not report.findings:
        print("No findings.")
    return 0


def _figures(report) -> str:
    if report.readability_note:
        return f"{report.readability_note} {report.words} words in {report.sentences} sentences"
    if report.readability_formula != "Flesch-Kincaid":
        return f"Reading ease {report.flesch_reading_ease:.1f} ({report.readability_formula}) · {report.words} words"
    return (f"Grade {report.grade:.1f} (standard Flesch-Kincaid {report.standard_grade:.1f}; target ≤ "
            f"{report.target_grade:.0f}) · reading ease {report.flesch_reading_ease:.1f} · {report.words} words in "
            f"{report.sentences} sentences")
