"""Real receivers on localhost for delivery tests: an SMTP server (aiosmtpd) and an HTTP receiver for webhooks."""

import email
import json
import threading
from dataclasses import dataclass, field
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import free_port


class Inbox:
    """An aiosmtpd handler that keeps every message and refuses the addresses it is told to."""

    def __init__(self, refuse=()):
        self.refuse = {a.lower() for a in refuse}
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            number = len(self.messages)
        return f"250 2.0.0 Ok: queued as M{number}"

    def to(self) -> list[str]:
        """Every recipient the server accepted a message for, in order."""
        return [r for _, rcpts in self.envelopes for r in rcpts]


class SmtpServer:
    """aiosmtpd on 127.0.0.1 at a free port; `url` is what CROWDPULSE_SMTP_URL would say."""

    def __init__(self, refuse=()):
        self.inbox = Inbox(refuse)
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


@dataclass
class Receiver:
    """A local HTTP server that records every POST and answers from a script (path → list of answers)."""

    answers: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)

    def __post_init__(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((self.path, dict(self.headers), json.loads(body or b"null")))
                script = receiver.answers.get(self.path) or []
                status, headers, text = script.pop(0) if script else (200, {}, "ok")
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(text.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def posted(self, path: str) -> list:
        """The JSON bodies posted to a path, in order."""
        return [body for p, _, body in self.requests if p == path]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smtp():
    """A real SMTP server on localhost (import this fixture into a test module to use it)."""
    with SmtpServer() as server:
        yield server
