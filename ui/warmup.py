"""Warm the page caches in the background, once per server process, so that visitors find them filled.

Served by serve.py, it starts at server start: `lifespan` (st.App's start-up hook) starts a thread and returns at
once, so the health check (/_stcore/health, answered by the server's own loop) is never delayed. The thread waits
until the server answers, then opens a loopback session for the default page; that run ends in app.py's `start`,
which opens one loopback session per page in turn and runs it as a new visitor with the default filters would:
every cache those pages read (shared by all sessions) is filled with the pages' own code, so nothing here repeats
what a page reads. Served as `streamlit run app.py` (no start-up hook) the same chain begins after the first
visitor's page has drawn. With an [auth] section the loopback session is not signed in and stops at sign-in, so
the thread warms the cached accessors of the filter bar and the pages' headline figures directly, with the
default filters (`ui.warmup_direct`). Set CROWDPULSE_WARMUP=0 to turn it off.
"""

import asyncio
import concurrent.futures
import os
import threading
import time
import urllib.request
from collections.abc import Iterable
from contextlib import asynccontextmanager

import streamlit as st
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.logger import get_logger
from websockets.asyncio.client import connect

from ui import serving

log = get_logger(__name__)  # Streamlit's logger: its lines reach the server's log at the configured level

RUN_TIMEOUT = 300  # seconds one page may take to draw
# script_finished values that end a run; FINISHED_EARLY_FOR_RERUN means another run follows.
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
            ForwardMsg.FINISHED_WITH_COMPILE_ERROR}

_lock = threading.Lock()
_started: list[threading.Thread] = []
_at_start: list[threading.Thread] = []


def start(url_paths: Iterable[str]) -> threading.Thread | None:
    """Run every page (by URL path; "" is the default page) once in a background thread, the first time it is
    called in a served process; None when already started, turned off, or not in a served session (AppTest)."""
    if os.environ.get("CROWDPULSE_WARMUP", "1") == "0" or not st.context.headers:
        return None
    with _lock:
        if _started:
            return None
        thread = threading.Thread(target=warm, args=(server_url("ws", "_stcore/stream"), list(url_paths)),
                                  name="crowdpulse-warmup", daemon=True)
        _started.append(thread)
    thread.start()
    return thread


def server_url(scheme: str, path: str) -> str:
    """This server's own URL for `path` on the loopback side of its address (scheme "http" or "ws")."""
    address = st.get_option("server.address")
    host = address if address and address not in ("0.0.0.0", "::") else "127.0.0.1"
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{scheme}://{host}:{st.get_option('server.port')}/{base + '/' if base else ''}{path}"


@asynccontextmanager
async def lifespan(_app):
    """st.App's start-up hook (serve.py): start the warm-up in a thread and return at once."""
    if os.environ.get("CROWDPULSE_WARMUP", "1") != "0":
        thread = threading.Thread(target=at_server_start, args=(server_url("http", "_stcore/health"),
                                  server_url("ws", "_stcore/stream")), name="crowdpulse-warmup-start", daemon=True)
        _at_start.append(thread)
        thread.start()
    yield None


def at_server_start(health_url: str, stream_url: str, *, timeout: float = 120) -> dict[str, float]:
    """Wait until the server answers, then warm: the default page's run (which starts every page's warm-up
    in app.py), or, with sign-in required, the cached accessors directly; seconds per step."""
    started = time.perf_counter()
    if not wait_until_answering(health_url, timeout):
        log.warning("warm-up at server start: %s did not answer within %.0f s", health_url, timeout)
        return {}
    if serving.auth_configured():
        from ui import warmup_direct

        with _lock:  # app.py's page visits would stop at sign-in: none are started later
            _started.append(threading.current_thread())
        took = warmup_direct.warm()
        log.info("warm-up done: sign-in required, %d accessor step(s) warmed directly in %.2f s", len(took),
                 sum(took.values()))
        return took
    try:
        run_alone(visit(stream_url, ""))  # its run ends in app.py's start(): every page in turn
    except Exception as problem:
        log.warning("warm-up at server start: the default page failed: %s", problem)
        return {}
    took = {"": time.perf_counter() - started}
    log.info("warm-up at server start: default page drawn %.2f s after start", took[""])
    return took


def wait_until_answering(health_url: str, timeout: float) -> bool:
    """Poll the health check (every 50 ms) until it answers 200; False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(health_url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.05)  # the server binds its port only after the start-up hook has returned
    return False


def warm(stream_url: str, url_paths: list[str]) -> dict[str, float]:
    """Visit each page once through the server's websocket (a fresh session each); seconds per page drawn."""
    took = {}
    for url_path in url_paths:
        started = time.perf_counter()
        try:
            run_alone(visit(stream_url, url_path))
        except Exception as problem:  # a page that fails warms nothing; its visitor will see the error
            log.warning("warm-up of page %r failed: %s", url_path, problem)
            continue
        took[url_path] = time.perf_counter() - started
        log.info("warmed page %r in %.2f s", url_path, took[url_path])
    log.info("warm-up done: %d of %d page(s) in %.2f s", len(took), len(url_paths), sum(took.values()))
    return took


def run_alone(coroutine):
    """Run a coroutine to its end on its own event loop in its own thread, whatever loop this thread runs."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="warm-up-loop") as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def visit(stream_url: str, url_path: str) -> None:
    """Open a session, ask for the page as a browser would, and wait until its script has finished."""
    async with connect(stream_url, subprotocols=["streamlit"], max_size=None, open_timeout=30,
                       ping_interval=None, compression=None) as connection:
        message = BackMsg()
        state = message.rerun_script
        state.page_name, state.query_string = url_path, ""
        state.widget_states.SetInParent()
        state.context_info.timezone, state.context_info.locale = "UTC", "en-US"

        async def until_finished() -> None:
            while True:
                reply = ForwardMsg()
                reply.ParseFromString(await connection.recv())
                if reply.WhichOneof("type") == "script_finished" and reply.script_finished in FINISHED:
                    return

        await connection.send(message.SerializeToString())
        await asyncio.wait_for(until_finished(), RUN_TIMEOUT)
