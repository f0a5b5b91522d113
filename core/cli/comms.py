"""`comms-check` (registered in core.cli): the studio's plain-language checks on a message file, as a table or JSON.

The page and this command call the same `check_document`/`check_text`, so a file gives the same
findings as the Check tab for the same options.
"""

import datetime as dt
import json
from pathlib import Path

from core.comms.checks import check_document
from core.comms.glossary import audience_glossary
from core.db import make_engine


def comms_check(args) -> int:
    """Plain-language checks of a message file: readability figures, findings, and times converted."""
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read {args.file}: {exc.strerror}") from exc
    send_date = dt.date.fromisoformat(args.send_date) if args.send_date else None
    glossary = audience_glossary(make_engine(), args.project) if args.project else None
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
