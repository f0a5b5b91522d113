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

    cap = sub.add_parser("capacity", help="reviewers needed to meet an SLA (Erlang C)")
    cap.add_argument("--arrivals-per-hour", type=float, required=True)
    cap.add_argument("--aht-seconds", type=float, required=True)
    cap.add_argument("--target", type=float, default=0.8, help="share answered within the time, 0-1")
    cap.add_argument("--within-seconds", type=float, required=True)
    cap.add_argument("--shrinkage", type=float, default=0.0)
    cap.add_argument("--max-occupancy", type=float, default=1.0)
    cap.add_argument("--format", choices=["table", "json"], default="table")
    cap.set_defaults(func=cmd_capacity)
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
