"""`python -m core`: the CrowdPulse command line (DESIGN §6).

Each command parses its input, calls `core`, and prints the result; any `CrowdPulseError` becomes
one clear line on stderr and exit status 1. A command's module (`core.cli.data`, `.metrics`,
`.reports`) is imported only when that command runs, so `--help` and a metric stay quick to start.
"""

import argparse
import importlib
import os
import sys

from core.errors import CrowdPulseError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    parser = argparse.ArgumentParser(prog="python -m core", description="CrowdPulse command line")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_database_commands, _metric_commands, _import_commands, _report_commands, _delivery_commands):
        add(sub)
    return parser


def _database_commands(sub) -> None:
    """init-db and seed-demo."""
    sub.add_parser("init-db", help="create or upgrade the database schema").set_defaults(command="data:init_database")

    seed = sub.add_parser("seed-demo", help="replace all data with the generated demo community")
    seed.add_argument("--scale", choices=["tiny", "demo", "large"], default="demo")
    seed.add_argument("--seed", type=int, default=7)
    seed.add_argument("--anchor", help="the demo's 'now' (ISO 8601, UTC if no offset); default: this hour")
    seed.add_argument("--if-empty", action="store_true", help="only seed when the database has no members")
    seed.set_defaults(command="data:seed")


def _metric_commands(sub) -> None:
    """metrics."""
    metrics = sub.add_parser("metrics", help="compute a metric (see DESIGN §6 for the fields)")
    metrics.add_argument("name")
    metrics.add_argument("--from", dest="from_", help="first day, YYYY-MM-DD")
    metrics.add_argument("--to", help="last day, YYYY-MM-DD")
    metrics.add_argument("--by", help="group by a column such as queue, priority, project_id, country")
    metrics.add_argument("--format", choices=["table", "json", "csv"], default="table")
    metrics.set_defaults(command="metrics:print_metric")


def _import_commands(sub) -> None:
    """import and sync-sheets."""
    imp = sub.add_parser("import", help="import a CSV or XLSX file (see DESIGN §5 for the columns)")
    imp.add_argument("entity", help="members, projects, activity, queue_items, feedback, survey_responses, "
                                    "resources or events")
    imp.add_argument("file", help="a .csv (any of , ; tab |) or .xlsx file")
    imp.add_argument("--map", action="append", metavar="TARGET=SOURCE", help="read column TARGET from SOURCE")
    imp.add_argument("--set", action="append", metavar="COLUMN=VALUE", help="fill COLUMN with VALUE on every row")
    dates = imp.add_mutually_exclusive_group()
    dates.add_argument("--dayfirst", action="store_true", help="dates like 03/04/2026 are day/month/year")
    dates.add_argument("--monthfirst", action="store_true", help="dates like 03/04/2026 are month/day/year")
    imp.add_argument("--timezone", help="IANA zone of times written without an offset (default UTC)")
    imp.add_argument("--strict", action="store_true", help="import nothing if any row is rejected")
    imp.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    imp.add_argument("--blank-clears", action="store_true", help="a blank cell clears the stored value (default: unchanged)")
    imp.add_argument("--no-create-missing", action="store_true",
                     help="reject rows naming unknown taskers or projects instead of creating them")
    imp.add_argument("--encoding", help="text encoding of a CSV that is not UTF-8 (e.g. cp1252)")
    imp.add_argument("--sheet", help="worksheet of an .xlsx file (default: the first)")
    imp.add_argument("--rejects-out", help="where to write the rejected rows CSV (default: a temp file)")
    imp.add_argument("--format", choices=["table", "json"], default="table")
    imp.set_defaults(command="data:import_file")

    sync = sub.add_parser("sync-sheets", help="sync Google Sheets sources into the database")
    sync.add_argument("--source", help="one source by name (default: every enabled source)")
    sync.set_defaults(command="data:sync_sheets")


def _report_commands(sub) -> None:
    """report, backup, bench, capacity and comms-check."""
    report = sub.add_parser("report", help="the weekly health report")
    report.add_argument("kind", choices=["weekly"])
    report.add_argument("--week", help="ISO week like 2026-W47; default: the last complete week")
    report.add_argument("--format", choices=["md", "html"], default="md")
    report.add_argument("--out", help="file (or folder: named by week and scope) to write; default: print")
    report.add_argument("--project", action="append", help="only this project (id or name); repeat for more")
    report.add_argument("--region", action="append", help="only taskers of this region; repeat for more")
    report.set_defaults(command="reports:weekly_report")

    backup = sub.add_parser("backup", help="consistent copy of the SQLite database (online backup API)")
    backup.add_argument("--out", help="target file; default data/backups/crowdpulse-<time>.db")
    backup.set_defaults(command="data:backup")

    # The benchmark lives outside core (bench/); this forwards to `python -m bench`.
    bench = sub.add_parser("bench", help="measure the app against DESIGN §9 (runs `python -m bench`)", add_help=False)
    bench.set_defaults(command="bench")

    cap = sub.add_parser("capacity", help="reviewers needed to meet an SLA (Erlang C), for a rate or a queue's week")
    cap.add_argument("--queue", help="plan each hour of the week from this queue's arrivals (with --from/--to)")
    cap.add_argument("--from", dest="from_", help="first day of the queue's history, YYYY-MM-DD")
    cap.add_argument("--to", help="last day of the queue's history, YYYY-MM-DD (default: the last day with data)")
    cap.add_argument("--arrivals-per-hour", type=float)
    cap.add_argument("--aht-seconds", type=float, help="with --queue: default the AHT measured on its items")
    cap.add_argument("--target", type=float, default=0.8, help="share answered within the time, 0-1")
    cap.add_argument("--within-seconds", type=float, required=True)
    cap.add_argument("--shrinkage", type=float, default=0.0)
    cap.add_argument("--max-occupancy", type=float, default=1.0)
    cap.add_argument("--format", choices=["table", "json"], default="table")
    cap.set_defaults(command="planning:capacity")

    comms = sub.add_parser("comms-check", help="plain-language checks of a message file (readability, jargon, …)")
    comms.add_argument("file")
    comms.add_argument("--channel", choices=["email", "slack", "discord", "in_app"], default="email")
    comms.add_argument("--language", default="en", help="language of the text (en, es, pt, fr get a readability figure)")
    comms.add_argument("--share", type=float, default=0.0, help="share of readers with English as a second language")
    comms.add_argument("--send-date", help="the day it will be read, YYYY-MM-DD (default: today)")
    comms.add_argument("--project", help="use this project's glossary from the database")
    comms.add_argument("--zone", action="append", default=[], help="an audience time zone to convert times to")
    comms.add_argument("--format", choices=["table", "json"], default="table")
    comms.set_defaults(command="comms:comms_check")

    rescore = sub.add_parser("rescore-feedback", help="score stored feedback and survey comments again")
    rescore.add_argument("--language", help="only texts stored in this language (e.g. es)")
    rescore.add_argument("--batch", type=int, default=5000, help="texts per transaction")
    rescore.add_argument("--format", choices=["table", "json"], default="table")
    rescore.set_defaults(command="feedback:rescore_feedback")


def _delivery_commands(sub) -> None:
    """worker and alerts (issue 17)."""
    work = sub.add_parser("worker", help="send every message, alert and report that is due")
    work.add_argument("--once", action="store_true", help="send what is due now, then exit (for cron)")
    work.add_argument("--every", type=float, default=15.0, help="seconds between passes (default 15)")
    work.add_argument("--format", choices=["table", "json"], default="table")
    work.set_defaults(command="worker:worker")

    alerts = sub.add_parser("alerts", help="send Today's attention list now")
    alerts.add_argument("kind", choices=["digest"])
    alerts.add_argument("--email", help="address to send the digest to")
    alerts.add_argument("--slack", action="store_true", help="also post it to the alerts Slack channel")
    alerts.add_argument("--format", choices=["table", "json"], default="table")
    alerts.set_defaults(command="worker:digest")


def main(argv: list[str] | None = None) -> int:
    """Run one command; domain errors become one line on stderr."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        os.execv(sys.executable, [sys.executable, "-m", "bench", *argv[1:]])
    args = build_parser().parse_args(argv)
    module, _, function = args.command.partition(":")
    run = getattr(importlib.import_module(f"core.cli.{module}"), function)
    try:
        return run(args)
    except CrowdPulseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
