"""Browser timing: navigation to a fully rendered page in headless Chromium, and the bytes it costs.

For each page, a fresh browser context (no cookies, no cache, a new Streamlit session) opens
the page's URL, and then a returning browser (static assets cached, still a new session) does; the clock stops when the app is connected, its script has finished, no
skeleton placeholder is left and every Vega chart has drawn. Bytes are the websocket frames
the server sends for that visit (the page's data and elements); static assets are counted
apart, since a browser caches them after the first visit.

    python scripts/browser_timing.py --url http://127.0.0.1:8650 --pages today queues
    python scripts/browser_timing.py --serve --port 8650 --database sqlite:////tmp/large.db --out browser.json
    python scripts/browser_timing.py --url http://127.0.0.1:8650 --network 20 --pages queues

Loopback moves 5 MB in milliseconds, so it cannot show what compressing the static files buys;
`--network MBPS` makes Chromium's network behave as a link of that many Mbit/s each way (20 ms
latency), as a person on office Wi-Fi or a VPN sees it. Static KB counts the bytes on the wire
(compressed when the server compressed them).

The first visit after the server starts fills its caches and is reported on its own; the
median is over the visits after it.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from served import add_server_options, checked_target, serving  # noqa: E402

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
# From RECIPES.md: what lets the distribution's Chromium run headless in a container.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
RENDERED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (app === null || app.dataset.testConnectionState !== 'CONNECTED'
        || app.dataset.testScriptState !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stSkeleton"]') !== null) return false;
    if (document.querySelector('[data-testid="stMain"] h1, [data-testid="stMain"] h2') === null) return false;
    // every chart has drawn its canvas or svg
    return [...document.querySelectorAll('.vega-embed')].every(c => c.querySelector('canvas, svg') !== null);
}"""


def emulate_network(context, page, mbps: float | None) -> None:
    """Make the page's network a link of `mbps` Mbit/s each way with 20 ms latency (Chrome DevTools protocol)."""
    if not mbps:
        return
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": mbps * 125_000,
                                                  "uploadThroughput": mbps * 125_000})


def visit(browser, base_url: str, url_path: str, *, timeout_ms: int, viewport: dict,
          screenshot: Path | None = None, context=None, network_mbps: float | None = None) -> dict:
    """One visit: milliseconds to script finished and to rendered, and bytes.

    In a fresh context (no cache, no cookies) unless `context` is given: a context that has
    visited before holds the static assets in its cache, as a returning user's browser does,
    while the page load still opens a new Streamlit session.
    """
    own_context = context is None
    context = context or browser.new_context(viewport=viewport)
    page = context.new_page()
    emulate_network(context, page, network_mbps)
    frames = {"bytes": 0, "frames": 0, "script_finished_ms": None, "sent_bytes": 0}
    assets = {"bytes": 0, "requests": 0}
    started = [0.0]

    def on_frame(payload) -> None:
        data = payload if isinstance(payload, bytes) else payload.encode()
        frames["bytes"] += len(data)
        frames["frames"] += 1
        if frames["script_finished_ms"] is None and isinstance(payload, bytes):
            message = ForwardMsg()
            try:
                message.ParseFromString(payload)
            except Exception:  # a frame that is not a ForwardMsg: counted, not parsed
                return
            if message.WhichOneof("type") == "script_finished":
                frames["script_finished_ms"] = (time.perf_counter() - started[0]) * 1000

    def on_websocket(socket) -> None:
        if socket.url.endswith("/_stcore/stream"):
            socket.on("framereceived", on_frame)
            socket.on("framesent", lambda p: frames.__setitem__("sent_bytes", frames["sent_bytes"] + len(p)))

    def on_response(response) -> None:
        try:
            size = response.request.sizes()["responseBodySize"]  # on the wire: compressed if the server did
        except Exception:  # redirects and aborted requests have no body
            return
        assets["bytes"] += size
        assets["requests"] += 1

    page.on("websocket", on_websocket)
    page.on("response", on_response)
    try:
        started[0] = time.perf_counter()
        page.goto(f"{base_url}/{url_path}", wait_until="commit", timeout=timeout_ms)
        page.wait_for_function(RENDERED, timeout=timeout_ms, polling=50)
        rendered_ms = (time.perf_counter() - started[0]) * 1000
        charts = page.evaluate("document.querySelectorAll('.vega-embed').length")
        # a page that failed still "renders": its exception box must not pass for a fast page
        errors = page.evaluate("""[...document.querySelectorAll('[data-testid="stException"]')]
                                  .map(e => e.innerText.split('\\n')[0].slice(0, 200))""")
        if screenshot is not None:
            page.wait_for_timeout(1500)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        page.close()
        if own_context:
            context.close()
    return {"rendered_ms": round(rendered_ms, 1), "script_finished_ms": _round(frames["script_finished_ms"]),
            "websocket_bytes": frames["bytes"], "websocket_frames": frames["frames"],
            "websocket_sent_bytes": frames["sent_bytes"], "http_bytes": assets["bytes"],
            "http_requests": assets["requests"], "charts": charts, "errors": errors}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def main(argv: list[str] | None = None) -> int:
    """Parse options, optionally start the server, time each page, print and save."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_server_options(parser)
    parser.add_argument("--pages", nargs="+", default=["today", "queues"])
    parser.add_argument("--repeat", type=int, default=3, help="visits per page after the first (median)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds one visit may take")
    parser.add_argument("--screenshots", help="directory for a screenshot of each page (1400×3200)")
    parser.add_argument("--out", help="write the figures as JSON here")
    parser.add_argument("--network", type=float, metavar="MBPS",
                        help="emulate a link of MBPS Mbit/s each way (default: loopback, unlimited)")
    args = parser.parse_args(argv)

    base_url, known = checked_target(parser, args, args.pages)

    from playwright.sync_api import sync_playwright

    results = []
    with serving(args, base_url, "browser"):
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for stem in args.pages:
                    timeout_ms = int(args.timeout * 1000)
                    first = visit(browser, base_url, known[stem], timeout_ms=timeout_ms,
                                  viewport={"width": 1400, "height": 900}, network_mbps=args.network)
                    later = [visit(browser, base_url, known[stem], timeout_ms=timeout_ms,
                                   viewport={"width": 1400, "height": 900}, network_mbps=args.network)
                             for _ in range(args.repeat)]
                    returning = browser.new_context(viewport={"width": 1400, "height": 900})
                    try:
                        visit(browser, base_url, known[stem], timeout_ms=timeout_ms, viewport={}, context=returning,
                              network_mbps=args.network)
                        cached = [visit(browser, base_url, known[stem], timeout_ms=timeout_ms, viewport={},
                                        context=returning, network_mbps=args.network) for _ in range(args.repeat)]
                    finally:
                        returning.close()
                    shot = Path(args.screenshots) / f"{stem}.png" if args.screenshots else None
                    if shot is not None:
                        visit(browser, base_url, known[stem], timeout_ms=timeout_ms,
                              viewport={"width": 1400, "height": 3200}, screenshot=shot)
                    row = {"page": stem, "first_visit": first, "visits": later, "cached_visits": cached,
                           "cached_rendered_ms_median": _round(statistics.median(v["rendered_ms"] for v in cached))
                           if cached else None,
                           "rendered_ms_median": _round(statistics.median(v["rendered_ms"] for v in later))
                           if later else None,
                           "script_finished_ms_median": _round(statistics.median(
                               v["script_finished_ms"] for v in later if v["script_finished_ms"] is not None))
                           if later else None,
                           "websocket_bytes_median": int(statistics.median(v["websocket_bytes"] for v in later))
                           if later else None}
                    results.append(row)
                    print(f"{stem}: first visit {_ms(first['rendered_ms'])}, then median "
                          f"{_ms(row['rendered_ms_median'])}, {_ms(row['cached_rendered_ms_median'])} with the "
                          "static assets cached", file=sys.stderr, flush=True)
            finally:
                browser.close()

    header = ["page", "first visit (server cold)", "rendered (median)", "rendered, assets cached",
              "script finished (median)",
              "websocket KB", "static KB (1st visit)", "charts", "errors"]
    rows = [header] + [[r["page"], _ms(r["first_visit"]["rendered_ms"]), _ms(r["rendered_ms_median"]),
                        _ms(r["cached_rendered_ms_median"]), _ms(r["script_finished_ms_median"]),
                        f"{(r['websocket_bytes_median'] or r['first_visit']['websocket_bytes']) / 1024:,.0f}",
                        f"{r['first_visit']['http_bytes'] / 1024:,.0f}", str(r["first_visit"]["charts"]),
                        "; ".join(sorted({e for v in [r["first_visit"], *r["visits"]] for e in v["errors"]}))[:80]
                        or "—"]
                       for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    print("\n".join(lines))
    if args.out:
        Path(args.out).write_text(json.dumps({"url": base_url, "database": args.database, "cpus": os.cpu_count(),
                                              "network_mbps": args.network,
                                              "load_average": os.getloadavg(), "results": results}, indent=2),
                                  encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
