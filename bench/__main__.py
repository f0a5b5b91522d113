"""`python -m bench`: time every page, the query floors, imports, sentiment, Sheets and memory against DESIGN §9."""

import argparse
import json
import sys
from contextlib import nullcontext
from pathlib import Path

from bench.report import render_table, write_result
from bench.run import postgres_database, run_bench


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's options."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=["tiny", "demo", "large"], default="demo",
                        help="demo data size; its database data/bench-SCALE.db is built once and reused")
    parser.add_argument("--database", help="bench this database URL instead (seeded only if empty; an empty "
                                           "PostgreSQL one is copied from data/bench-SCALE.db when that is seeded)")
    parser.add_argument("--postgres", action="store_true",
                        help="bench a local PostgreSQL 15 the bench starts and stops itself, keeping its cluster "
                             "in data/bench-SCALE-pg/ for later runs")
    parser.add_argument("--pg-dir", type=Path, help="the --postgres cluster's folder (default data/bench-SCALE-pg)")
    parser.add_argument("--pg-port", type=int, help="the --postgres server's port (default: any free port)")
    parser.add_argument("--out", help="JSON result file (default bench-SCALE.json; a .md table is written next to it)")
    parser.add_argument("--pages", nargs="+", metavar="PAGE", help="only these pages (file stems: today queues …)")
    parser.add_argument("--repeat", type=int, default=5, help="warm reruns per page (median reported)")
    parser.add_argument("--cold", type=int, default=3, help="cold runs per page, caches emptied before each")
    parser.add_argument("--floor-repeat", type=int, default=3, help="direct calls per loader for the query floor")
    parser.add_argument("--import-rows", type=int, default=200_000)
    parser.add_argument("--sentiment-texts", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=25,
                        help="websocket sessions rerunning each page together on a freshly started serve.py")
    parser.add_argument("--skip", nargs="+",
                        choices=["pages", "memory", "import", "sentiment", "sheets", "floors", "sessions"],
                        help="parts not to measure (import also skips the roll-up rebuild timing)")
    parser.add_argument("--compare", metavar="JSON",
                        help="an earlier result at a smaller scale (bench-demo.json): adds per-page cold and warm "
                             "growth checks")
    parser.add_argument("--fail-on-miss", action="store_true", help="exit 1 when any target is missed")

    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write its JSON and Markdown tables."""
    args = build_parser().parse_args(argv)
    baseline = json.loads(Path(args.compare).read_text(encoding="utf-8")) if args.compare else None
    if args.postgres and args.database:
        raise SystemExit("--postgres starts its own server: give it or --database, not both")
    with postgres_database(args.scale, args.pg_dir, args.pg_port) if args.postgres else nullcontext(
            args.database) as url:
        result = run_bench(scale=args.scale, database_url=url, pages=args.pages, cold=args.cold,
                           warm=args.repeat, floor_repeat=args.floor_repeat, import_rows=args.import_rows,
                           sentiment_texts=args.sentiment_texts, sessions=args.sessions, skip=args.skip or (), baseline=baseline,
                           progress=lambda message: print(message, file=sys.stderr, flush=True))
    print(render_table(result))
    suffix = "-pg" if result["engine"] == "postgresql" else ""
    out, markdown = write_result(result, Path(args.out or f"bench-{args.scale}{suffix}.json"))
    print(f"\nWrote {out} and {markdown}")
    missed = [c["measure"] for c in result["checks"] if c["passed"] is False]
    return 1 if args.fail_on_miss and missed else 0


if __name__ == "__main__":
    sys.exit(main())
