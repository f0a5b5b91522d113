"""The background warm-up: started once per served process only, and it draws every page it is given."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.browser.conftest import served_app
from ui import warmup


def test_nothing_starts_outside_a_served_session():
    def script():
        import streamlit as st

        from ui import warmup

        st.session_state["thread"] = warmup.start(["", "health"])

    at = AppTest.from_function(script).run()
    assert not at.exception and at.session_state["thread"] is None  # AppTest has no browser connection


@pytest.mark.slow
def test_the_warm_up_draws_each_page_it_is_given_on_a_served_app(seeded_engine, tmp_path, monkeypatch):
    monkeypatch.setenv("CROWDPULSE_WARMUP", "0")  # the server's own warm-up stays off: only ours runs
    url = seeded_engine.url.render_as_string(hide_password=False)
    with served_app(url, tmp_path) as base:
        took = warmup.warm(base.replace("http://", "ws://") + "/_stcore/stream", ["", "health", "queues"])
    assert sorted(took) == ["", "health", "queues"] and all(seconds > 0 for seconds in took.values())


def test_the_start_up_hook_returns_while_the_warm_up_still_runs(monkeypatch):
    # The server binds its port (and answers /_stcore/health) only once the hook has returned: it must not wait.
    import threading

    release, seen = threading.Event(), []
    monkeypatch.delenv("CROWDPULSE_WARMUP", raising=False)
    monkeypatch.setattr(warmup, "at_server_start", lambda health, stream: (seen.append((health, stream)),
                                                                           release.wait(30)))
    monkeypatch.setattr(warmup, "_at_start", [])

    async def enter_and_leave():
        async with warmup.lifespan(None) as state:
            return state


    assert warmup.run_alone(enter_and_leave()) is None  # returned although the warm-up is blocked
    [thread] = warmup._at_start
    assert thread.is_alive() and seen and seen[0][0].endswith("/_stcore/health") \
        and seen[0][1].startswith("ws://") and seen[0][1].endswith("/_stcore/stream")
    release.set()
    thread.join(30)
    assert not thread.is_alive()


def test_the_start_up_hook_starts_nothing_when_turned_off(monkeypatch):

    async def enter():
        async with warmup.lifespan(None):
            pass

    monkeypatch.setenv("CROWDPULSE_WARMUP", "0")
    monkeypatch.setattr(warmup, "_at_start", [])
    warmup.run_alone(enter())
    assert warmup._at_start == []


def test_waiting_for_the_server_gives_up_on_a_closed_port_and_succeeds_on_a_healthy_one():
    import http.server
    import threading

    from tests.conftest import free_port

    assert warmup.wait_until_answering(f"http://127.0.0.1:{free_port()}/_stcore/health", 0.3) is False

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert warmup.wait_until_answering(f"http://127.0.0.1:{server.server_port}/_stcore/health", 10) is True
    finally:
        server.shutdown()


def test_with_sign_in_the_start_warms_the_accessors_directly_instead_of_a_session(monkeypatch):
    from ui import serving, warmup_direct

    monkeypatch.setattr(warmup, "wait_until_answering", lambda url, timeout: True)
    monkeypatch.setattr(serving, "auth_configured", lambda: True)
    monkeypatch.setattr(warmup_direct, "warm", lambda: {"health": 0.5})
    monkeypatch.setattr(warmup, "visit", lambda *a: pytest.fail("a loopback session cannot sign in"))
    monkeypatch.setattr(warmup, "_started", [])
    assert warmup.at_server_start("http://h/_stcore/health", "ws://h/_stcore/stream") == {"health": 0.5}
    assert len(warmup._started) == 1  # so a signed-in visitor's run starts no page visits that stop at sign-in


@pytest.mark.slow
def test_a_served_app_warms_every_page_at_start_before_any_visitor(seeded_engine, tmp_path):
    # No session is opened here: the log's lines can only come from the warm-up started by serve.py's hook.
    import os
    import re
    import subprocess
    import sys
    import time
    from pathlib import Path

    from tests.conftest import free_port, wait_until_healthy

    root = Path(__file__).resolve().parents[2]
    port, log_path = free_port(), tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if k != "CROWDPULSE_WARMUP"}
    env["CROWDPULSE_DATABASE_URL"] = seeded_engine.url.render_as_string(hide_password=False)
    with open(log_path, "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
                                   "--server.address", "127.0.0.1", "--server.port", str(port)],
                                  cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", server, log_path)
        deadline = time.monotonic() + 120
        while not re.search(r"warm-up done: \d+ of \d+", log_path.read_text()) and time.monotonic() < deadline:
            time.sleep(0.2)
        text = log_path.read_text()
        assert "warm-up at server start: default page drawn" in text, text[-3000:]
        assert re.search(r"warm-up done: 10 of 10 page\(s\)", text), text[-3000:]
        assert "warmed page 'health'" in text and "failed" not in text
    finally:
        server.terminate()
        server.wait(timeout=30)
