"""To whom the app may be served: without sign-in every visitor is admin, so only this computer, or a trusted network.

`python -m ui.serving ADDRESS` (run by `make run`) says how the app will serve on ADDRESS and exits 1 when it
would hand an open admin console to a network; the router refuses the same case on its own (`ui.auth.sign_in`).

How its files travel: Streamlit marks its content-hashed /static/ bundles "immutable, max-age=1 year" but
sends them uncompressed (5.5 MB of JavaScript for a first visit), leaving compression to a proxy.
`CompressedStatic` is that proxy's job done in the app's own server: `serve.py` hands it to `st.App`
(Streamlit's supported hook for ASGI middleware), and it gzips each bundle once, then serves it from memory.
"""

import gzip
import mimetypes
import sys
from pathlib import Path

import anyio
import streamlit as st

from core.settings import get_settings

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
# What each way of serving means, said by `make run` at start and (the first three) in the sidebar.
MODE_LINES = {
    "sign-in": "Sign-in required ([auth] in .streamlit/secrets.toml): each person sees what their role allows.",
    "local": "Local single-user mode: only this computer can open it (listening on {address}); whoever opens "
             "it is admin. Add [auth] to .streamlit/secrets.toml to require sign-in.",
    "trusted-network": "Trusted-network mode: anyone who can reach this port is admin (CROWDPULSE_TRUSTED_NETWORK=1: "
                       "no sign-in, no four eyes).",
    "refused": "Refusing to serve {address} without sign-in: anyone who could reach the port would be admin. "
               "Add [auth] to .streamlit/secrets.toml, serve on 127.0.0.1, or set CROWDPULSE_TRUSTED_NETWORK=1 "
               "on a network where everyone may be admin.",
}


def auth_configured() -> bool:
    """Whether secrets hold an [auth] section (so sign-in is required)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all raises StreamlitSecretNotFoundError (RECIPES)
        return False


def serving_mode(address: str | None, *, auth: bool, trusted_network: bool) -> str:
    """How the app may serve: 'sign-in', 'local' (this computer only), 'trusted-network' or 'refused'."""
    if auth:
        return "sign-in"
    if (address or "").strip().strip("[]") in LOOPBACK:
        return "local"
    return "trusted-network" if trusted_network else "refused"


def startup_check(address: str) -> int:
    """Print how `make run` will serve on `address`; 1 (refuse to start) when that would expose an open admin."""
    mode = serving_mode(address, auth=auth_configured(), trusted_network=get_settings().trusted_network)
    print(MODE_LINES[mode].format(address=address))
    return 1 if mode == "refused" else 0


# Streamlit's own bundle folder: a request for /static/js/x.js reads STATIC_ROOT/static/js/x.js.
STATIC_ROOT = Path(st.__file__).resolve().parent / "static"
# Text worth compressing; fonts (woff2) and images are compressed already.
COMPRESSIBLE = frozenset({".js", ".mjs", ".css", ".svg", ".json", ".map", ".txt", ".ttf", ".wasm"})
IMMUTABLE = "public, immutable, max-age=31536000"


class CompressedStatic:
    """ASGI middleware: Streamlit's hashed /static/ bundles gzip-compressed (once each, then from memory)."""

    def __init__(self, app, *, root: Path = STATIC_ROOT, level: int = 6) -> None:
        self.app, self.root, self.level = app, root.resolve(), level
        self._bodies: dict[Path, bytes] = {}

    def bundle(self, url_path: str) -> Path | None:
        """The compressible file under `root` that a GET of `url_path` asks for, if there is one."""
        if not url_path.startswith("/static/"):
            return None
        file = (self.root / url_path.lstrip("/")).resolve()
        if file.suffix not in COMPRESSIBLE or not file.is_relative_to(self.root) or not file.is_file():
            return None
        return file

    def compressed(self, file: Path) -> bytes:
        """The file's bytes gzipped, computed on the first request for it."""
        if file not in self._bodies:
            self._bodies[file] = gzip.compress(file.read_bytes(), compresslevel=self.level, mtime=0)
        return self._bodies[file]

    async def __call__(self, scope, receive, send) -> None:
        headers = dict(scope.get("headers", ())) if scope["type"] == "http" else {}
        file = None
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and b"range" not in headers \
                and b"gzip" in headers.get(b"accept-encoding", b""):
            file = self.bundle(scope["path"])
        if file is None:
            await self.app(scope, receive, send)
            return
        body = self._bodies.get(file) or await anyio.to_thread.run_sync(self.compressed, file)
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", content_type.encode()), (b"content-encoding", b"gzip"),
            (b"content-length", str(len(body)).encode()), (b"cache-control", IMMUTABLE.encode()),
            (b"vary", b"Accept-Encoding")]})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def middleware() -> list:
    """The app server's own middleware, for `st.App(..., middleware=middleware())` in serve.py."""
    from starlette.middleware import Middleware  # Streamlit's server library, needed only by the server

    return [Middleware(CompressedStatic)]


if __name__ == "__main__":
    sys.exit(startup_check(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"))
