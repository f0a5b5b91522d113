"""`capacity`: reviewers a queue needs, for one arrival rate or hour by hour of the week from its history."""

import json
import sys
from dataclasses import asdict

import pandas as pd

from core import timeline
from core.db import make_engine
from core.frames import as_timestamp
from core.queues.read import load_arrivals
from core.workforce.capacity import (
    DEFAULT_AHT_SECONDS,
    arrivals_by_hour_of_week,
    erlang_c_agents,
    staffing_by_hour_of_week,
)
from core.workforce.handling import load_handled_items, measured_aht

ROW_FIELDS = ["weekday", "hour", "arrivals_per_hour", "agents", "scheduled", "service_level"]


def capacity(args) -> int:
    """Erlang C for one arrival rate, or with --queue one row per hour of the week from the queue's history."""
    if args.queue is None:
        if args.arrivals_per_hour is None or args.aht_seconds is None:
            raise ValueError("give --queue NAME, or both --arrivals-per-hour and --aht-seconds")
        plan = erlang_c_agents(args.arrivals_per_hour, args.aht_seconds, args.target, args.within_seconds,
                               shrinkage=args.shrinkage, max_occupancy=args.max_occupancy)
        _print_rows([asdict(plan)], args.format, single=True)
        return 0
    engine = make_engine()
    start, end = history_window(args.from_, args.to, timeline.data_as_of(engine))
    aht = args.aht_seconds
    if aht is None:
        aht, count = measured_aht(load_handled_items(engine, args.queue, start=start, end=end))
        print(f"AHT: measured on {count:,} finished {args.queue} items, {aht:,.0f} s" if aht is not None else
              f"AHT: only {count} {args.queue} items with a handling time in the window, so the default "
              f"{DEFAULT_AHT_SECONDS:.0f} s is used — pass --aht-seconds", file=sys.stderr)
        aht = aht if aht is not None else DEFAULT_AHT_SECONDS
    print(f"Arrivals: {args.queue} items created {start:%Y-%m-%d} to {end - pd.Timedelta(days=1):%Y-%m-%d} (UTC)",
          file=sys.stderr)
    arrivals = arrivals_by_hour_of_week(load_arrivals(engine, args.queue, start=start, end=end), end, start=start)
    plan = staffing_by_hour_of_week(arrivals, aht, args.target, args.within_seconds, shrinkage=args.shrinkage,
                                    max_occupancy=args.max_occupancy)
    rows = plan.assign(weekday=plan["hour_of_week"] // 24)[ROW_FIELDS].to_dict("records")
    _print_rows(rows, args.format)
    return 0


def history_window(first_day, last_day, as_of) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[first day 00:00, the day after the last day 00:00) in UTC; by default the 28 days ending on `as_of`'s day."""
    end = (as_timestamp(last_day) if last_day else as_timestamp(as_of).normalize()) + pd.Timedelta(days=1)
    start = as_timestamp(first_day) if first_day else end - pd.Timedelta(days=28)
    if start >= end:
        raise ValueError(f"--from {first_day} is after --to {last_day}")
    return start, end


def _print_rows(rows: list[dict], output: str, *, single: bool = False) -> None:
    clean = [{key: (int(v) if key in ("weekday", "hour", "agents", "scheduled") else float(v)) for key, v in row.items()}
             for row in rows]
    if output == "json":
        print(json.dumps(clean[0] if single else clean))
    elif single:
        for key, value in clean[0].items():
            print(f"{key:>14}: {value}")
    else:
        print(pd.DataFrame(clean).to_string(index=False))
