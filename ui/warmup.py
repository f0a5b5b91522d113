"""Warm the page caches in the background, once per server process, so that visitors find them filled.

Streamlit runs no app code before a first visit, so app.py starts this at the end of its first run, after the
visitor's page has drawn. A thread then opens a loopback session on this server for each page in turn and runs
it once, as a new visitor with the default filters would: every cache those pages read (shared by all sessions)
is filled, with the pages' own code, so nothing here repeats what a page reads. The health check
(/_stcore/health) never waits for it: the server's own loop answers it. With an [auth] section the loopback
session is not signed in and the pages stop at sign-in, so only local and trusted-network serving is warmed.
Set CROWDPULSE_WARMUP=0 to turn it off.
"""

import asyncio
import logging
import os
import threading
import time
from collections.abc import Iterable

import streamlit as st
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

log = logging.getLogger(__name__)

RUN_TIMEOUT = 300  # seconds one page may take to draw
# script_finished values that end a run; FINISHED_EARLY_FOR_RERUN means another run follows.
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
            ForwardMsg.FINISHED_WITH_COMPILE_ERROR}

_lock = threading.Lock()
_started: list[threading.Thread] = []


def start(url_paths: Iterable[str]) -> threading.Thread | None:
    """Run every page (by URL path; "" is the default page) once in a background thread, the first time it is
    called in a served process; None when already started, turned off, or not in a served session (AppTest)."""
    if os.environ.get("CROWDPULSE_WARMUP", "1") == "0" or not st.context.headers:
        return None
    with _lock:
        if _started:
            return None
        address = st.get_option("server.address")
        host = address if address and address not in ("0.0.0.0", "::") else "127.0.0.1"
        base = (st.get_option("server.baseUrlPath") or "").strip("/")
        url = f"ws://{host}:{st.get_option('server.port')}/{base + '/' if base else ''}_stcore/stream"
        thread = threading.Thread(target=warm, args=(url, list(url_paths)), name="crowdpulse-warmup", daemon=True)
        _started.append(thread)
    thread.start()
    return thread


def warm(stream_url: str, url_paths: list[str]) -> dict[str, float]:
    """Visit each page once through the server's websocket (a fresh session each); seconds per page drawn."""
    took = {}
    for url_path in url_paths:
        started = time.perf_counter()
        try:
            asyncio.run(visit(stream_url, url_path))
        except Exception as problem:  # a page that fails warms nothing; its visitor will see the error
            log.warning("warm-up of page %r failed: %s", url_path, problem)
            continue
        took[url_path] = time.perf_counter() - started
        log.info("warmed page %r in %.2f s", url_path, took[url_path])
    return took


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
