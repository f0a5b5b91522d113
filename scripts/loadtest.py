"""Load test: N real Streamlit sessions rerunning a page at once over /_stcore/stream.

A plain HTTP GET never runs the script, so each simulated user opens the app's websocket,
sends the `rerun_script` BackMsg the browser sends (a protobuf `ClientState` naming the page),
and waits for the `script_finished` ForwardMsg. Per page and per N it reports the first load
of a new session and the steady-state rerun latency (p50/p95), reruns per second, and the
bytes one run sends to the browser. Like the browser, each session names the big elements it
already holds (`cached_message_hashes`), so unchanged charts and tables are not sent again.

    python scripts/loadtest.py --url http://127.0.0.1:8650 --pages today queues --clients 1 10 25
    python scripts/loadtest.py --serve --port 8650 --database sqlite:////tmp/large.db --out load.json
    python scripts/loadtest.py --serve --database sqlite:////tmp/large.db --pages health --clients 10 --write retry

With --write retry the N sessions rerun the page back to back while a queue retry is made through
core (`core.queues.actions.request_retry`, on the same database) mid-run; it reports the p95 of
the reruns started in the --before seconds ahead of the write against those started in the
--after seconds following it (DESIGN §9: a write slows other sessions' next reruns by ≤ 1.3×).

Loopback only, at most 50 sessions, and a hard deadline: this is a measuring tool, not a
stress weapon. With --serve it starts `streamlit run` itself and stops it at the end.
"""

import argparse
import asyncio
import functools
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from served import add_server_options, checked_target, serving  # noqa: E402

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

MAX_CLIENTS = 50
# ForwardMsg.script_finished values that end a run; FINISHED_EARLY_FOR_RERUN means another follows.
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
            ForwardMsg.FINISHED_WITH_COMPILE_ERROR}


def percentile(values: list[float], share: float) -> float | None:
    """Linear-interpolated percentile (as pandas' quantile), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Run:
    """One script run as the client saw it."""

    ms: float
    bytes: int
    messages: int
    errors: list[str] = field(default_factory=list)


class Session:
    """One browser-like session on the app's websocket."""

    def __init__(self, base_url: str, url_path: str):
        parsed = urlparse(base_url)
        self.base_url = base_url.rstrip("/")
        self.ws_url = f"ws://{parsed.netloc}/_stcore/stream"
        self.url_path = url_path
        self.page_script_hash = ""
        self.connection = None
        self.elements: list = []  # the Element protos of the last run, for callers that read the page
        # Like the browser's ForwardMsg cache: big elements already received are named by hash on the
        # next rerun, and the server sends a reference instead of the element again.
        self.cached_hashes: set[str] = set()

    async def open(self, timeout: float) -> None:
        """Connect as the frontend does (subprotocol 'streamlit'); no Origin header is loopback-safe."""
        self.connection = await connect(self.ws_url, subprotocols=["streamlit"], max_size=None,
                                        open_timeout=timeout, ping_interval=None, compression=None)

    async def close(self) -> None:
        """Leave the session."""
        if self.connection is not None:
            await self.connection.close()

    def _rerun_message(self, widgets: list | None = None) -> bytes:
        message = BackMsg()
        state = message.rerun_script
        state.query_string = ""
        state.page_name = self.url_path
        state.page_script_hash = self.page_script_hash
        state.widget_states.SetInParent()
        state.cached_message_hashes.extend(sorted(self.cached_hashes))
        for widget in widgets or []:
            state.widget_states.widgets.append(widget)
        state.context_info.timezone = "UTC"
        state.context_info.timezone_offset = 0
        state.context_info.locale = "en-US"
        state.context_info.url = f"{self.base_url}/{self.url_path}"
        return message.SerializeToString()

    async def run(self, timeout: float, widgets: list | None = None) -> Run:
        """Ask for a rerun (optionally with widget states, e.g. a button's trigger) and wait for script_finished."""
        started = time.perf_counter()
        await self.connection.send(self._rerun_message(widgets))
        size = count = 0
        errors: list[str] = []
        self.elements = []

        async def until_finished() -> None:
            nonlocal size, count
            while True:
                frame = await self.connection.recv()
                size += len(frame)
                count += 1
                message = ForwardMsg()
                message.ParseFromString(frame)
                if message.metadata.cacheable and message.hash:
                    self.cached_hashes.add(message.hash)
                kind = message.WhichOneof("type")
                if kind == "navigation":
                    # The page the router chose; new_session still names the main script here.
                    self.page_script_hash = message.navigation.page_script_hash
                elif kind == "page_not_found":
                    errors.append(f"page not found: {message.page_not_found.page_name!r}")
                elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                    element = message.delta.new_element
                    self.elements.append(element)
                    if element.WhichOneof("type") == "exception":
                        errors.append(f"{element.exception.type}: {element.exception.message[:200]}")
                elif kind == "script_finished" and message.script_finished in FINISHED:
                    return

        await asyncio.wait_for(until_finished(), timeout)
        return Run((time.perf_counter() - started) * 1000, size, count, errors)


async def measure(base_url: str, url_path: str, clients: int, reruns: int, timeout: float, *,
                  stagger: bool = False) -> dict:
    """N sessions open the page together (or one after another), then each reruns it `reruns` times back to back."""
    sessions = [Session(base_url, url_path) for _ in range(clients)]
    await asyncio.gather(*(s.open(timeout) for s in sessions))
    try:
        started = time.perf_counter()
        if stagger:
            first = [await s.run(timeout) for s in sessions]
        else:
            first = await asyncio.gather(*(s.run(timeout) for s in sessions))

        async def keep_rerunning(session: Session) -> list[Run]:
            return [await session.run(timeout) for _ in range(reruns)]

        rerun_started = time.perf_counter()
        later = [run for runs in await asyncio.gather(*(keep_rerunning(s) for s in sessions)) for run in runs]
        rerun_seconds = time.perf_counter() - rerun_started
        total_seconds = time.perf_counter() - started
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    errors = sorted({e for run in [*first, *later] for e in run.errors})

    def summary(runs: list[Run]) -> dict:
        times = [r.ms for r in runs]
        return {"runs": len(runs), "p50_ms": _round(percentile(times, 0.5)), "p95_ms": _round(percentile(times, 0.95)),
                "max_ms": _round(max(times) if times else None),
                "bytes_median": int(percentile([r.bytes for r in runs], 0.5) or 0)}

    return {"clients": clients, "first_load": summary(first), "rerun": summary(later),
            "reruns_per_s": round(len(later) / rerun_seconds, 2) if later and rerun_seconds else None,
            "seconds": round(total_seconds, 1), "errors": errors}


def retry_writer(database_url: str):
    """A write for --write retry: a picklable call that asks for a retry of an open staging item through core."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from core import admin
    from core.db import make_engine
    from core.queues import actions, read

    engine = make_engine(database_url)
    people = admin.load_people(engine)
    actor = people[people["role"].isin(["specialist", "manager", "admin"])]["email"].iloc[0]
    staging = read.load_queue_items(engine, queue=actions.RETRYABLE_QUEUES[0])
    engine.dispose()
    return functools.partial(retry_once, database_url, staging[staging["resolved_at"].isna()]["item_id"].iloc[-1], actor)


def retry_once(database_url: str, item_id: str, actor: str) -> None:
    """One queue retry through core (`request_retry`), as a specialist would make it from another process."""
    from core.db import make_engine
    from core.queues import actions, read

    engine = make_engine(database_url)
    current = read.load_queue_items(engine, among=[item_id])["version"].iloc[0]
    actions.request_retry(engine, item_id=item_id, expected_version=int(current), actor=actor,
                          note="loadtest: a write mid-run")
    engine.dispose()


async def measure_write(base_url: str, url_path: str, clients: int, write, *, before: float, after: float,
                        timeout: float) -> dict:
    """N sessions rerun the page back to back; `write` runs `before` seconds in: p95 of reruns started before it
    against those started in the `after` seconds following it."""
    sessions = [Session(base_url, url_path) for _ in range(clients)]
    await asyncio.gather(*(s.open(timeout) for s in sessions))
    runs: list[tuple[float, int, Run]] = []  # (when the rerun started, which session, the run)
    written: dict = {}
    try:
        await asyncio.gather(*(s.run(timeout) for s in sessions))  # first loads, not counted
        ends_at = time.perf_counter() + before + after

        async def keep_rerunning(index: int, session: Session) -> None:
            while time.perf_counter() < ends_at:
                started = time.perf_counter()
                runs.append((started, index, await session.run(timeout)))

        async def write_midway() -> None:
            await asyncio.sleep(before)
            written["at"] = time.perf_counter()
            # In a process of its own, as another server or the CLI would write: a thread here would hold
            # this process's GIL and slow the clients' own reading, which is not what is measured.
            with ProcessPoolExecutor(1) as pool:
                await asyncio.get_running_loop().run_in_executor(pool, write)
            written["done"] = time.perf_counter()
            written["ms"] = (written["done"] - written["at"]) * 1000

        await asyncio.gather(*(keep_rerunning(i, s) for i, s in enumerate(sessions)), write_midway())
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    at = written["at"]
    ahead = [run.ms for started, _index, run in runs if at - before <= started < at]
    following = [run.ms for started, _index, run in runs if at <= started < at + after]
    # Each session's next rerun once the write has committed: the one that meets whatever it invalidated.
    nexts = {index: run.ms for started, index, run in sorted(runs, key=lambda r: r[0], reverse=True)
             if started >= written["done"]}
    p95_before, p95_after = percentile(ahead, 0.95), percentile(following, 0.95)
    return {"clients": clients, "write_ms": _round(written["ms"]),
            "before": {"runs": len(ahead), "p50_ms": _round(percentile(ahead, 0.5)), "p95_ms": _round(p95_before)},
            "after": {"runs": len(following), "p50_ms": _round(percentile(following, 0.5)),
                      "p95_ms": _round(p95_after), "max_ms": _round(max(following) if following else None)},
            "next_rerun": {"p50_ms": _round(percentile(list(nexts.values()), 0.5)),
                           "max_ms": _round(max(nexts.values()) if nexts else None)},
            "p95_ratio": round(p95_after / p95_before, 2) if p95_before and p95_after else None,
            "errors": sorted({e for _started, _index, run in runs for e in run.errors})}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def render(results: list[dict]) -> str:
    """A plain table: page × clients → first load and rerun p50/p95."""
    header = ["page", "N", "first load p50", "first load p95", "rerun p50", "rerun p95", "reruns/s", "KB/run",
              "errors"]
    rows = [header]
    for r in results:
        rows.append([r["page"], str(r["clients"]), _ms(r["first_load"]["p50_ms"]), _ms(r["first_load"]["p95_ms"]),
                     _ms(r["rerun"]["p50_ms"]), _ms(r["rerun"]["p95_ms"]), str(r["reruns_per_s"] or "—"),
                     f"{r['rerun']['bytes_median'] / 1024:,.0f}", "; ".join(r["errors"])[:80] or "—"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


async def run_all(base_url: str, pages: dict[str, str], clients: list[int], reruns: int, timeout: float,
                  deadline: float, stagger: bool = False, settle: float = 0) -> tuple[list[dict], dict]:
    """Every page at every N, after one warming visit per page (reported separately); `settle` seconds of pause
    after the first page's first visit (the server's background warm-up runs then)."""
    results, warming = [], {}
    ends_at = time.monotonic() + deadline
    for index, (stem, url_path) in enumerate(pages.items()):
        # The first visit after start fills the caches (a cold server); the measured runs are warm.
        warming[stem] = (await measure(base_url, url_path, 1, 0, timeout))["first_load"]["p50_ms"]
        print(f"{stem}: first visit on a fresh server {_ms(warming[stem])}", file=sys.stderr, flush=True)
        if index == 0 and settle:
            await asyncio.sleep(settle)
        for n in clients:
            if time.monotonic() > ends_at:
                print(f"deadline reached; skipping {stem} at N={n} and later", file=sys.stderr)
                return results, warming
            outcome = await measure(base_url, url_path, n, reruns, timeout, stagger=stagger)
            outcome["page"] = stem
            results.append(outcome)
            print(f"{stem} N={n}: rerun p50 {_ms(outcome['rerun']['p50_ms'])} p95 {_ms(outcome['rerun']['p95_ms'])}",
                  file=sys.stderr, flush=True)
    return results, warming


def main(argv: list[str] | None = None) -> int:
    """Parse the options, optionally start the server, measure, print and save."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_server_options(parser)
    parser.add_argument("--pages", nargs="+", help="page file stems (default: today queues workforce feedback health)")
    parser.add_argument("--clients", nargs="+", type=int, default=[1, 10, 25])
    parser.add_argument("--reruns", type=int, default=3, help="reruns per session after its first load")
    parser.add_argument("--timeout", type=float, default=300, help="seconds one run may take")
    parser.add_argument("--deadline", type=float, default=1800, help="seconds for the whole test")
    parser.add_argument("--stagger", action="store_true",
                        help="open the N sessions one after another; only the reruns overlap")
    parser.add_argument("--write", choices=["retry"],
                        help="rerun each page while a write is made mid-run; report p95 before and after it")
    parser.add_argument("--before", type=float, default=10, help="with --write: seconds of reruns before the write")
    parser.add_argument("--after", type=float, default=10, help="with --write: seconds of reruns after the write")
    parser.add_argument("--settle", type=float, default=0,
                        help="seconds to wait after the first page's first visit (the server warms the others then)")
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args(argv)

    if any(n < 1 or n > MAX_CLIENTS for n in args.clients):
        parser.error(f"--clients must be between 1 and {MAX_CLIENTS}")
    stems = args.pages or ["today", "queues", "workforce", "feedback", "health"]
    base_url, known = checked_target(parser, args, stems)

    if args.write:
        return write_test(args, base_url, {s: known[s] for s in stems})
    with serving(args, base_url, "loadtest"):
        started = time.time()
        results, warming = asyncio.run(run_all(base_url, {s: known[s] for s in stems}, args.clients, args.reruns,
                                               args.timeout, args.deadline, args.stagger, args.settle))
    print(render(results))
    if args.out:
        Path(args.out).write_text(json.dumps({
            "url": base_url, "database": args.database, "started_at": started, "cpus": os.cpu_count(),
            "load_average": os.getloadavg(), "reruns_per_session": args.reruns, "staggered_first_loads": args.stagger,
            "settle_s": args.settle,
            "first_visit_fresh_server_ms": warming, "results": results}, indent=2), encoding="utf-8")
    return 0


def write_test(args: argparse.Namespace, base_url: str, pages: dict[str, str]) -> int:
    """--write: per page, the first --clients N sessions' rerun p95 before and after a write made mid-run."""
    database_url = args.database or os.environ.get("CROWDPULSE_DATABASE_URL")
    if not database_url:
        raise SystemExit("--write needs --database (or CROWDPULSE_DATABASE_URL): the database the app serves")
    write = retry_writer(database_url)
    results = []
    with serving(args, base_url, "loadtest"):
        for stem, url_path in pages.items():
            outcome = asyncio.run(measure_write(base_url, url_path, args.clients[0], write, before=args.before,
                                                after=args.after, timeout=args.timeout))
            outcome["page"] = stem
            results.append(outcome)
            print(f"{stem} N={outcome['clients']}: p95 {_ms(outcome['before']['p95_ms'])} before the write, "
                  f"{_ms(outcome['after']['p95_ms'])} in the {args.after:.0f} s after it ({outcome['p95_ratio']}x; "
                  f"write {_ms(outcome['write_ms'])}); each session's next rerun: median "
                  f"{_ms(outcome['next_rerun']['p50_ms'])}, max {_ms(outcome['next_rerun']['max_ms'])} "
                  f"{'; '.join(outcome['errors'])[:120]}", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps({
            "url": base_url, "database": database_url, "write": args.write, "cpus": os.cpu_count(),
            "load_average": os.getloadavg(), "results": results}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
