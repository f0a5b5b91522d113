"""`python -m core`: the CrowdPulse command line (DESIGN §6).

Each command parses its input, calls `core`, and prints the result; any
`CrowdPulseError` becomes one clear line on stderr and exit status 1.
"""

import argparse
import json
import sys
import time

from core.errors import CrowdPulseError


def _engine():
    from core.db import make_engine
    return make_engine()


def cmd_init_db(args) -> int:
    """Create or upgrade the schema."""
    from core.db import init_db
    engine = _engine()
    init_db(engine)
    print(f"Database ready at {engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_seed_demo(args) -> int:
    """Fill the database with the generated demo community."""
    from core.db import init_db, is_empty
    from core.demo import seed_demo
    engine = _engine()
    init_db(engine)
    if args.if_empty and not is_empty(engine):
        print("Database already has data; not seeding (drop --if-empty to replace it).")
        return 0
    started = time.perf_counter()
    last = [-1]

    def progress(fraction: float, message: str) -> None:
        step = int(fraction * 20)
        if step != last[0]:
            last[0] = step
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr)

    anchor = None
    if args.anchor:
        import datetime as dt
        anchor = dt.datetime.fromisoformat(args.anchor)
        if anchor.tzinfo is None:
            anchor = anchor.replace(tzinfo=dt.UTC)
    counts = seed_demo(engine, scale=args.scale, seed=args.seed, anchor=anchor, progress=progress)
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{name} {count:,}" for name, count in counts.items())
    print(f"Seeded the {args.scale}-scale demo community in {elapsed:.1f} s: {summary}")
    return 0


def cmd_metrics(args) -> int:
    """Compute one named metric and print it as a table, JSON or CSV."""
    from core.cli_metrics import compute_metric
    frame = compute_metric(_engine(), args.name, start=args.from_, end=args.to, by=args.by)
    for column in frame.columns:  # calendar days print as YYYY-MM-DD, not as midnight timestamps
        if frame[column].dtype.kind == "M" and getattr(frame[column].dt, "tz", None) is None:
            frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    if args.format == "json":
        print(frame.to_json(orient="records", date_format="iso"))
    elif args.format == "csv":
        print(frame.to_csv(index=False), end="")
    else:
        print(frame.to_string(index=False) if not frame.empty else "(no rows)")
    return 0


def cmd_capacity(args) -> int:
    """Reviewers needed for a queue to hit its SLA (Erlang C)."""
    from dataclasses import asdict

    from core.capacity import erlang_c_agents
    plan = erlang_c_agents(args.arrivals_per_hour, args.aht_seconds, args.target, args.within_seconds,
                           shrinkage=args.shrinkage, max_occupancy=args.max_occupancy)
    if args.format == "json":
        print(json.dumps(asdict(plan)))
    else:
        for key, value in asdict(plan).items():
            print(f"{key:>14}: {value}")
    return 0


def cmd_comms_check(args) -> int:
    """Plain-language checks of a message file: readability figures and findings."""
    from pathlib import Path

    from core.comms.checks import check_document
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


def cmd_import(args) -> int:
    """Import a CSV or XLSX file into one entity (DESIGN §5)."""
    import tempfile
    from pathlib import Path

    from core import ingest
    from core.db import init_db
    engine = _engine()
    init_db(engine)
    options = dict(mapping=ingest.parse_pairs(args.map), constants=ingest.parse_pairs(args.set, what="fixed value"),
                   dayfirst=args.dayfirst, monthfirst=args.monthfirst, timezone=args.timezone, strict=args.strict,
                   dry_run=args.dry_run, create_missing=not args.no_create_missing)
    last = [-1]

    def progress(fraction: float, message: str) -> None:
        step = int(fraction * 10)
        if args.format != "json" and sys.stderr.isatty() and step != last[0]:
            last[0] = step
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr)

    failure = None
    try:
        result = ingest.import_file(engine, args.entity, args.file, encoding=args.encoding, sheet=args.sheet,
                                    progress=progress, **options)
    except ingest.RowsRejected as exc:
        result, failure = exc.result, exc
    rejects_file = None
    if result.rejected:
        if args.rejects_out:
            path = Path(args.rejects_out)
        else:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            path = Path(tempfile.gettempdir()) / f"crowdpulse-rejects-{result.entity}-{stamp}.csv"
        path.write_bytes(ingest.rejects_csv(result))
        rejects_file = str(path)
    if args.format == "json":
        print(json.dumps({"inserted": 0 if failure else result.inserted, "updated": 0 if failure else result.updated,
                          "rejected": result.rejected, "rejects_file": rejects_file}))
    else:
        print(result.summary())
        if result.hashed_ids:
            print(f"No {ingest.entity_spec(result.entity).key[0]} column: ids are hashes of each row's values.")
        if result.attribute_columns:
            print(f"Kept as attributes: {', '.join(result.attribute_columns)}")
        if result.ignored_columns:
            print(f"Ignored columns: {', '.join(result.ignored_columns)}")
        if rejects_file:
            print(f"Rejected rows with reasons: {rejects_file}")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if failure is not None:
        raise failure
    return 0


def cmd_sync_sheets(args) -> int:
    """Sync Google Sheets sources (all enabled ones, or one by name)."""
    from core import sheets
    from core.db import init_db
    engine = _engine()
    init_db(engine)
    client = sheets.client_from_settings(sheets.load_secrets_file())
    outcomes = sheets.sync_all(engine, client, [args.source] if args.source else None)
    if not outcomes:
        print("No enabled Google Sheets sources: add one on the Data page.")
        return 0
    for outcome in outcomes:
        if outcome.result is not None:
            print(f"{outcome.name}: {outcome.result.summary()}")
        else:
            print(f"error: {outcome.name}: {outcome.error}", file=sys.stderr)
    return 1 if any(o.error for o in outcomes) else 0


def cmd_backup(args) -> int:
    """Copy the SQLite database consistently, even while the app is running."""
    import datetime as dt
    from pathlib import Path

    from core.db import backup_sqlite
    from core.settings import DATA_DIR
    out = Path(args.out) if args.out else DATA_DIR / "backups" / f"crowdpulse-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.db"
    print(f"Backed up to {backup_sqlite(_engine(), out)}")
    return 0


def cmd_bench(args) -> int:
    """Time every page, the query floors, imports, sentiment, Sheets and memory against DESIGN §9."""
    from pathlib import Path

    from core import bench
    baseline = json.loads(Path(args.compare).read_text(encoding="utf-8")) if args.compare else None
    result = bench.run_bench(scale=args.scale, database_url=args.database, pages=args.pages, cold=args.cold,
                             warm=args.repeat, floor_repeat=args.floor_repeat, import_rows=args.import_rows,
                             sentiment_texts=args.sentiment_texts, skip=args.skip or (), baseline=baseline,
                             progress=lambda message: print(message, file=sys.stderr, flush=True))
    print(bench.render_table(result))
    out, markdown = bench.write_result(result, Path(args.out or f"bench-{args.scale}.json"))
    print(f"\nWrote {out} and {markdown}")
    missed = [c["measure"] for c in result["checks"] if c["passed"] is False]
    return 1 if args.fail_on_miss and missed else 0


def cmd_report(args) -> int:
    """Write the weekly health report for an ISO week as Markdown or HTML."""
    from pathlib import Path

    from core import reports, timeline
    engine = _engine()
    week = args.week or reports.iso_week_of(timeline.data_as_of(engine))
    report = reports.weekly_report_from_db(engine, week)
    text = reports.to_markdown(report) if args.format == "md" else reports.to_html(report)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"Wrote the {week} report to {args.out}")
    else:
        print(text, end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    parser = argparse.ArgumentParser(prog="python -m core", description="CrowdPulse command line")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("init-db", help="create or upgrade the database schema").set_defaults(func=cmd_init_db)

    seed = sub.add_parser("seed-demo", help="replace all data with the generated demo community")
    seed.add_argument("--scale", choices=["tiny", "demo", "large"], default="demo")
    seed.add_argument("--seed", type=int, default=7)
    seed.add_argument("--anchor", help="the demo's 'now' (ISO 8601, UTC if no offset); default: this hour")
    seed.add_argument("--if-empty", action="store_true", help="only seed when the database has no members")
    seed.set_defaults(func=cmd_seed_demo)

    metrics = sub.add_parser("metrics", help="compute a metric (see DESIGN §6 for the fields)")
    metrics.add_argument("name")
    metrics.add_argument("--from", dest="from_", help="first day, YYYY-MM-DD")
    metrics.add_argument("--to", help="last day, YYYY-MM-DD")
    metrics.add_argument("--by", help="group by a column such as queue, priority, project_id, country")
    metrics.add_argument("--format", choices=["table", "json", "csv"], default="table")
    metrics.set_defaults(func=cmd_metrics)

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
    imp.add_argument("--no-create-missing", action="store_true",
                     help="reject rows naming unknown taskers or projects instead of creating them")
    imp.add_argument("--encoding", help="text encoding of a CSV that is not UTF-8 (e.g. cp1252)")
    imp.add_argument("--sheet", help="worksheet of an .xlsx file (default: the first)")
    imp.add_argument("--rejects-out", help="where to write the rejected rows CSV (default: a temp file)")
    imp.add_argument("--format", choices=["table", "json"], default="table")
    imp.set_defaults(func=cmd_import)

    sync = sub.add_parser("sync-sheets", help="sync Google Sheets sources into the database")
    sync.add_argument("--source", help="one source by name (default: every enabled source)")
    sync.set_defaults(func=cmd_sync_sheets)

    report = sub.add_parser("report", help="the weekly health report")
    report.add_argument("kind", choices=["weekly"])
    report.add_argument("--week", help="ISO week like 2026-W47; default: the week of the latest data")
    report.add_argument("--format", choices=["md", "html"], default="md")
    report.add_argument("--out", help="file to write; default: print")
    report.set_defaults(func=cmd_report)

    backup = sub.add_parser("backup", help="consistent copy of the SQLite database (online backup API)")
    backup.add_argument("--out", help="target file; default data/backups/crowdpulse-<time>.db")
    backup.set_defaults(func=cmd_backup)

    bench = sub.add_parser("bench", help="measure page, import, sentiment, Sheets and memory figures (DESIGN §9)")
    bench.add_argument("--scale", choices=["tiny", "demo", "large"], default="demo",
                       help="demo data size; its database data/bench-SCALE.db is built once and reused")
    bench.add_argument("--database", help="bench this database URL instead (seeded only if empty)")
    bench.add_argument("--out", help="JSON result file (default bench-SCALE.json; a .md table is written next to it)")
    bench.add_argument("--pages", nargs="+", metavar="PAGE", help="only these pages (file stems: today queues …)")
    bench.add_argument("--repeat", type=int, default=5, help="warm reruns per page (median reported)")
    bench.add_argument("--cold", type=int, default=3, help="cold runs per page, caches emptied before each")
    bench.add_argument("--floor-repeat", type=int, default=3, help="direct calls per loader for the query floor")
    bench.add_argument("--import-rows", type=int, default=200_000)
    bench.add_argument("--sentiment-texts", type=int, default=100_000)
    bench.add_argument("--skip", nargs="+", choices=["pages", "memory", "import", "sentiment", "sheets"],
                       help="parts not to measure (import also skips the roll-up rebuild timing)")
    bench.add_argument("--compare", metavar="JSON", help="an earlier result at a smaller scale: adds warm-growth checks")
    bench.add_argument("--fail-on-miss", action="store_true", help="exit 1 when any target is missed")
    bench.set_defaults(func=cmd_bench)

    cap = sub.add_parser("capacity", help="reviewers needed to meet an SLA (Erlang C)")
    cap.add_argument("--arrivals-per-hour", type=float, required=True)
    cap.add_argument("--aht-seconds", type=float, required=True)
    cap.add_argument("--target", type=float, default=0.8, help="share answered within the time, 0-1")
    cap.add_argument("--within-seconds", type=float, required=True)
    cap.add_argument("--shrinkage", type=float, default=0.0)
    cap.add_argument("--max-occupancy", type=float, default=1.0)
    cap.add_argument("--format", choices=["table", "json"], default="table")
    cap.set_defaults(func=cmd_capacity)

    comms = sub.add_parser("comms-check", help="plain-language checks of a message file (readability, jargon, …)")
    comms.add_argument("file")
    comms.add_argument("--channel", choices=["email", "slack", "discord", "in_app"], default="email")
    comms.add_argument("--format", choices=["table", "json"], default="table")
    comms.set_defaults(func=cmd_comms_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; domain errors become one line on stderr."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CrowdPulseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
