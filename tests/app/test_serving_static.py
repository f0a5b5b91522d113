"""ui.serving.CompressedStatic and serve.py: Streamlit's static bundles travel gzipped and cacheable (issue 20)."""

import gzip
import re
from pathlib import Path

import pytest

from ui import serving
from ui.warmup import run_alone

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = b"function hello(){return 'hello world';}\n" * 200


def call(app, path: str, *, accept: bytes = b"gzip, deflate, br", extra=(), method="GET") -> dict:
    """One request through the ASGI app: its status, headers and body."""
    scope = {"type": "http", "method": method, "path": path,
             "headers": [(b"accept-encoding", accept), *extra]}
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    run_alone(app(scope, receive, send))  # its own loop: a worker that ran Playwright already has one
    return {"status": sent[0]["status"], "headers": dict(sent[0]["headers"]), "body": sent[1]["body"]}


async def streamlit_itself(scope, receive, send):
    """Stands in for Streamlit's own server: answers every request uncompressed."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-served-by", b"streamlit")]})
    await send({"type": "http.response.body", "body": b"plain"})


@pytest.fixture
def app(tmp_path):
    """CompressedStatic over a static folder holding one JavaScript bundle, one font and a file outside it."""
    (tmp_path / "static" / "static" / "js").mkdir(parents=True)
    (tmp_path / "static" / "static" / "js" / "index.abc123.js").write_bytes(BUNDLE)
    (tmp_path / "static" / "static" / "font.woff2").write_bytes(b"already compressed")
    (tmp_path / "secret.js").write_bytes(b"not served")
    return serving.CompressedStatic(streamlit_itself, root=tmp_path / "static")


def test_a_bundle_is_sent_gzipped_with_an_immutable_cache_header(app):
    answer = call(app, "/static/js/index.abc123.js")
    assert answer["status"] == 200 and gzip.decompress(answer["body"]) == BUNDLE
    assert len(answer["body"]) < len(BUNDLE) / 10
    assert answer["headers"][b"content-encoding"] == b"gzip"
    assert answer["headers"][b"cache-control"] == b"public, immutable, max-age=31536000"
    assert answer["headers"][b"vary"] == b"Accept-Encoding"
    assert answer["headers"][b"content-length"] == str(len(answer["body"])).encode()


def test_a_bundle_is_compressed_once_then_served_from_memory(app):
    first = call(app, "/static/js/index.abc123.js")["body"]
    (app.root / "static" / "js" / "index.abc123.js").write_bytes(b"changed on disk")
    assert call(app, "/static/js/index.abc123.js")["body"] == first


@pytest.mark.parametrize("path, accept, extra", [
    ("/static/js/index.abc123.js", b"identity", ()),                     # a client that cannot gunzip
    ("/static/js/index.abc123.js", b"gzip", [(b"range", b"bytes=0-9")]),  # a partial read
    ("/static/font.woff2", b"gzip", ()),                                 # compressed already
    ("/static/../../secret.js", b"gzip", ()),                            # outside the static folder
    ("/static/js/missing.js", b"gzip", ()),                              # Streamlit answers (its 404 or index)
    ("/queues", b"gzip", ()),                                            # a page, not a bundle
])
def test_everything_else_goes_to_streamlit_untouched(app, path, accept, extra):
    answer = call(app, path, accept=accept, extra=extra)
    assert answer["headers"] == {b"x-served-by": b"streamlit"} and answer["body"] == b"plain"


def test_head_sends_the_headers_without_the_body(app):
    answer = call(app, "/static/js/index.abc123.js", method="HEAD")
    assert answer["headers"][b"content-encoding"] == b"gzip" and answer["body"] == b""


def test_every_bundle_streamlits_page_loads_is_one_this_middleware_compresses():
    # Fails when a Streamlit upgrade moves its bundles (STATIC_ROOT/static/js) or their URLs (./static/…).
    index = (serving.STATIC_ROOT / "index.html").read_text()
    urls = re.findall(r'(?:src|href)="\./(static/js/[^"]+\.js)"', index)
    middleware = serving.CompressedStatic(streamlit_itself)
    assert urls and all(middleware.bundle("/" + url) is not None for url in urls)


def test_streamlit_run_serve_py_finds_the_app_with_its_middleware():
    # `streamlit run serve.py` serves an st.App only when its discovery sees one; fails if that hook moves.
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(ROOT / "serve.py")
    assert found.is_asgi_app and found.app_name == "app"


@pytest.mark.slow
def test_the_served_app_sends_its_bundles_gzipped_and_its_pages_as_before(engine, tmp_path):
    import os
    import subprocess
    import sys
    import urllib.request

    from tests.conftest import free_port, wait_until_healthy

    port, log_path = free_port(), tmp_path / "serve.log"
    env = dict(os.environ, CROWDPULSE_DATABASE_URL=engine.url.render_as_string(hide_password=False))
    with open(log_path, "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
                                   "--server.address", "127.0.0.1", "--server.port", str(port)],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, server, log_path)
        bundle = re.search(r'src="\./(static/js/[^"]+\.js)"', (serving.STATIC_ROOT / "index.html").read_text())[1]
        request = urllib.request.Request(f"{base}/{bundle}", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            assert "immutable" in response.headers["Cache-Control"]
            assert gzip.decompress(response.read()) == (serving.STATIC_ROOT / bundle).read_bytes()
        with urllib.request.urlopen(f"{base}/queues", timeout=30) as response:  # a page: Streamlit's own index
            assert response.status == 200 and b'id="root"' in response.read()
    finally:
        server.terminate()
        server.wait(timeout=30)
