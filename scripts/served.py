"""The app a measuring script talks to: its pages, the loopback-only target, and a `streamlit run` child.

Shared by scripts/loadtest.py and scripts/browser_timing.py (and the browser tests' server stop).
Standard library only, so each script still runs standalone as `python scripts/<name>.py`.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """--url, --serve, --port and --database: which app to measure, or which one to start."""
    parser.add_argument("--url", help="a running app, e.g. http://127.0.0.1:8650 (loopback only)")
    parser.add_argument("--serve", action="store_true", help="start `streamlit run serve.py` on --port first")
    parser.add_argument("--port", type=int, default=8650)
    parser.add_argument("--database", help="CROWDPULSE_DATABASE_URL for the server started with --serve")


def checked_target(parser: argparse.ArgumentParser, args: argparse.Namespace,
                   stems: Iterable[str]) -> tuple[str, dict[str, str]]:
    """The base URL (loopback only) and the app's pages, or a usage error naming what is wrong."""
    base_url = args.url or f"http://127.0.0.1:{args.port}"
    if urlparse(base_url).hostname not in LOOPBACK:
        parser.error("loopback only: point --url at 127.0.0.1 or localhost")
    known = router_pages()
    unknown = [s for s in stems if s not in known]
    if unknown:
        parser.error(f"unknown page(s) {', '.join(unknown)}; the app has {', '.join(known)}")
    return base_url, known


@contextmanager
def serving(args: argparse.Namespace, base_url: str, label: str) -> Iterator[None]:
    """With --serve, start the app first (log in $TMPDIR/crowdpulse-<label>-<port>.log) and stop it at the end;
    either way, wait until base_url is healthy."""
    server = None
    if args.serve:
        log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"crowdpulse-{label}-{args.port}.log"
        server = start_server(args.port, args.database, log_path)
        print(f"started streamlit (pid {server.pid}, log {log_path})", file=sys.stderr)
    try:
        wait_until_healthy(base_url, 120, server)
        yield
    finally:
        if server is not None:
            stop_server(server)


def router_pages(app: Path = PROJECT_ROOT / "app.py") -> dict[str, str]:
    """Page file stem → the URL path the browser asks for ("" for the default page)."""
    pages = {}
    for match in re.finditer(r'st\.Page\(\s*"[\w/]*?(\w+)\.py"([^)]*)\)', app.read_text(encoding="utf-8")):
        stem, options = match.groups()
        url_path = re.search(r'url_path="([^"]*)"', options)
        pages[stem] = "" if "default=True" in options else (url_path.group(1) if url_path else stem)
    return pages



def wait_until_healthy(base_url: str, timeout: float, server: subprocess.Popen | None = None) -> None:
    """Poll /_stcore/health until the server answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise SystemExit(f"streamlit exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise SystemExit(f"{base_url} is not healthy after {timeout:.0f} s")


def start_server(port: int, database: str | None, log_path: Path) -> subprocess.Popen:
    """`streamlit run serve.py` (app.py, as `make run` serves it) on a loopback port, as a child of this script."""
    with socket.socket() as probe:
        # Another server on the port would answer the health check and be measured instead.
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is already in use: stop that server or pick another --port")
    env = dict(os.environ)
    if database:
        env["CROWDPULSE_DATABASE_URL"] = database
    command = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(port),
               "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    with open(log_path, "w") as log:
        return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop_server(server: subprocess.Popen, timeout: float = 15) -> None:
    """Stop the child server, by its own pid: terminate, and kill it if it has not exited after `timeout` s."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
