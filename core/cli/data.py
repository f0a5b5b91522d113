"""Commands that build or fill the database: init-db, seed-demo, import, sync-sheets, backup."""

import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

from core.db import backup_sqlite, init_db, is_empty, make_engine
from core.demo import seed_demo
from core.ingest import contract, importer, sheets
from core.settings import DATA_DIR


def init_database(args) -> int:
    """Create or upgrade the schema."""
    engine = make_engine()
    init_db(engine)
    print(f"Database ready at {engine.url.render_as_string(hide_password=True)}")
    return 0


def seed(args) -> int:
    """Fill the database with the generated demo community."""
    engine = make_engine()
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
        anchor = dt.datetime.fromisoformat(args.anchor)
        if anchor.tzinfo is None:
            anchor = anchor.replace(tzinfo=dt.UTC)
    counts = seed_demo(engine, scale=args.scale, seed=args.seed, anchor=anchor, progress=progress)
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{name} {count:,}" for name, count in counts.items())
    print(f"Seeded the {args.scale}-scale demo community in {elapsed:.1f} s: {summary}")
    return 0


def import_file(args) -> int:
    """Import a CSV or XLSX file into one entity (DESIGN §5)."""

    engine = make_engine()
    init_db(engine)
    options = dict(mapping=contract.parse_pairs(args.map),
                   constants=contract.parse_pairs(args.set, what="fixed value"),
                   dayfirst=args.dayfirst, monthfirst=args.monthfirst, timezone=args.timezone, strict=args.strict,
                   dry_run=args.dry_run, create_missing=not args.no_create_missing, blank_clears=args.blank_clears)
    last = [-1]

    def progress(fraction: float, message: str) -> None:
        step = int(fraction * 10)
        if args.format != "json" and sys.stderr.isatty() and step != last[0]:
            last[0] = step
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr)

    failure = None
    try:
        result = importer.import_file(engine, args.entity, args.file, encoding=args.encoding, sheet=args.sheet,
                                      progress=progress, **options)
    except importer.RowsRejected as exc:
        result, failure = exc.result, exc
    rejects_file = None
    if result.rejected:
        if args.rejects_out:
            path = Path(args.rejects_out)
        else:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            path = Path(tempfile.gettempdir()) / f"crowdpulse-rejects-{result.entity}-{stamp}.csv"
        path.write_bytes(importer.rejects_csv(result))
        rejects_file = str(path)
    if args.format == "json":
        print(json.dumps({"inserted": 0 if failure else result.inserted, "updated": 0 if failure else result.updated,
                          "rejected": result.rejected, "rejects_file": rejects_file}))
    else:
        print(result.summary())
        if result.hashed_ids:
            print(f"No {contract.entity_spec(result.entity).key[0]} column: ids are hashes of each row's values.")
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


def sync_sheets(args) -> int:
    """Sync Google Sheets sources (all enabled ones, or one by name)."""
    engine = make_engine()
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


def backup(args) -> int:
    """Copy the SQLite database consistently, even while the app is running."""

    out = Path(args.out) if args.out else DATA_DIR / "backups" / f"crowdpulse-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.db"
    print(f"Backed up to {backup_sqlite(make_engine(), out)}")
    return 0
