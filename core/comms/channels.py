"""Where messages leave the product: email over SMTP, Slack and Discord incoming webhooks, a pipeline's retry endpoint.

Configuration comes from the environment (`CROWDPULSE_SMTP_URL`, …) or, for keys the environment
does not set, from the git-ignored `.streamlit/secrets.toml` (read here with tomllib: the worker
runs without Streamlit). Every attempt answers with an `Outcome`: sent with the server's answer,
or not sent with the reason in words and whether trying again later may help.
"""

import datetime as dt
import html
import os
import re
import smtplib
import ssl
import time
import tomllib
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import requests

from core.comms import exports
from core.errors import CrowdPulseError
from core.settings import PROJECT_ROOT

SECRETS_FILE = PROJECT_ROOT / ".streamlit" / "secrets.toml"
WEBHOOK_CHANNELS = ("slack", "discord")
# Slack allows one message per second per incoming webhook; Discord about five per two seconds.
WEBHOOK_PER_SECOND = {"slack": 1.0, "discord": 2.0}
DISCORD_LIMIT = 2000
DEFAULT_SMTP_PER_SECOND = 5.0
DEFAULT_APP_URL = "http://localhost:8501"


class ChannelProblem(CrowdPulseError):
    """A channel is not configured, or its settings cannot work; the message says what to fix."""


# --- configuration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpConfig:
    """How to reach the mail server and whom mail comes from."""

    host: str
    port: int
    security: str  # "starttls" (when the server offers it), "tls" (smtps://) or "plain"
    username: str | None
    password: str | None
    sender: str
    per_second: float = DEFAULT_SMTP_PER_SECOND
    timeout: float = 20.0

    def describe(self) -> str:
        """The server in words, without the password."""
        login = f" as {self.username}" if self.username else ""
        return f"{self.host}:{self.port} ({self.security}{login}), from {self.sender}, ≤ {self.per_second:g}/s"


@dataclass(frozen=True)
class Channels:
    """Every configured way out, plus the problems found in the settings (in words)."""

    smtp: SmtpConfig | None = None
    webhooks: dict = field(default_factory=dict)  # slack, slack_alerts, discord → URL
    pipeline_url: str | None = None
    pipeline_token: str | None = None
    app_url: str = DEFAULT_APP_URL
    problems: dict = field(default_factory=dict)  # channel → what is wrong

    def ready(self, channel: str) -> bool:
        """Whether deliveries on this channel can be attempted now."""
        if channel == "email":
            return self.smtp is not None
        return bool(self.webhooks.get(channel))

    def why_not(self, channel: str) -> str:
        """Why a channel's deliveries wait, in words ('' when it is ready)."""
        if self.ready(channel):
            return ""
        return self.problems.get(channel) or f"no channel configured: {SETUP_HINT.get(channel, channel)}"


SETUP_HINT = {"email": "set CROWDPULSE_SMTP_URL (or [smtp] url in secrets) to send email",
              "slack": "set CROWDPULSE_SLACK_WEBHOOK_URL (or [webhooks] slack in secrets) to post to Slack",
              "slack_alerts": "set CROWDPULSE_SLACK_ALERTS_WEBHOOK_URL (or [webhooks] slack_alerts) for alerts",
              "discord": "set CROWDPULSE_DISCORD_WEBHOOK_URL (or [webhooks] discord in secrets) to post to Discord"}


def secrets_file() -> dict:
    """The git-ignored secrets file as a dict ({} when there is none): the worker reads it without Streamlit."""
    return _secrets(SECRETS_FILE)


def _secrets(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def parse_smtp_url(url: str, *, sender: str | None = None, per_second=None) -> SmtpConfig:
    """An SMTP configuration from `smtp://user:password@host:port` (`smtps://` for TLS); `ChannelProblem` if unusable."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ChannelProblem(f"The SMTP address “{parts.scheme}://{parts.hostname or ''}…” cannot work: write it as "
                             "smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465 (TLS).")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 587)
    except ValueError as exc:
        raise ChannelProblem(f"The SMTP port in the address is not a number: {exc}.") from exc
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    security = "tls" if parts.scheme == "smtps" else ("plain" if options.get("starttls") == "no" else "starttls")
    username = unquote(parts.username) if parts.username else None
    address = parseaddr(sender or "")[1] or (username if username and "@" in username else None)
    if not address or "@" not in address:
        raise ChannelProblem("Email needs a From address: set CROWDPULSE_SMTP_FROM (or [smtp] from), e.g. "
                             "\"Community team <community@example.org>\".")
    try:
        rate = float(per_second) if per_second not in (None, "") else DEFAULT_SMTP_PER_SECOND
    except ValueError as exc:
        raise ChannelProblem(f"The SMTP rate limit must be a number of messages per second, not “{per_second}”.") from exc
    if rate <= 0:
        raise ChannelProblem("The SMTP rate limit must be above 0 messages per second.")
    name = parseaddr(sender or "")[0]
    return SmtpConfig(host=parts.hostname, port=port, security=security, username=username,
                      password=unquote(parts.password) if parts.password else None,
                      sender=formataddr((name, address)) if name else address, per_second=rate)


def load_channels(environ=None, secrets: dict | None = None) -> Channels:
    """The channels as the environment and the secrets file say now (environment first)."""
    env = os.environ if environ is None else environ
    secret = _secrets(SECRETS_FILE) if secrets is None else secrets
    smtp_secret, hooks, pipeline = (secret.get(k) or {} for k in ("smtp", "webhooks", "pipeline"))
    problems, smtp = {}, None
    url = env.get("CROWDPULSE_SMTP_URL") or smtp_secret.get("url")
    if url:
        try:
            smtp = parse_smtp_url(url, sender=env.get("CROWDPULSE_SMTP_FROM") or smtp_secret.get("from"),
                                  per_second=env.get("CROWDPULSE_SMTP_PER_SECOND") or smtp_secret.get("per_second"))
        except ChannelProblem as exc:
            problems["email"] = f"settings problem: {exc}"
    webhooks = {}
    for name in ("slack", "slack_alerts", "discord"):
        value = env.get(f"CROWDPULSE_{name.upper()}_WEBHOOK_URL") or hooks.get(name)
        if value and not str(value).startswith(("https://", "http://")):
            problems[name] = f"settings problem: the {name} webhook must be an https:// address"
        elif value:
            webhooks[name] = str(value)
    return Channels(smtp=smtp, webhooks=webhooks, problems=problems,
                    pipeline_url=env.get("CROWDPULSE_PIPELINE_RETRY_URL") or pipeline.get("retry_url"),
                    pipeline_token=env.get("CROWDPULSE_PIPELINE_TOKEN") or pipeline.get("token"),
                    app_url=(env.get("CROWDPULSE_APP_URL") or secret.get("app_url") or DEFAULT_APP_URL).rstrip("/"))


# --- what an attempt says ------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one attempt did: sent (with the server's answer) or not, why, and whether to try again later.

    `retry_after` None with `retry` True means "use the usual backoff"; `held` means nothing was
    attempted (settings or login trouble): the delivery goes back to the queue without using a try.
    """

    sent: bool
    answer: str = ""
    error: str = ""
    retry: bool = False
    retry_after: float | None = None
    bounced: bool = False
    held: bool = False


# --- email ---------------------------------------------------------------------------------------

MARKDOWN_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
BULLET = re.compile(r"^\s*[-*+]\s+")
HEADING = re.compile(r"^#{1,6}\s+")


def _inline_html(text: str) -> str:
    text = html.escape(text)
    text = MARKDOWN_LINK.sub(r'<a href="\2">\1</a>', text)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)


def body_html(body: str) -> str:
    """The Markdown body as simple, escaped HTML: paragraphs, headings, bullet lists, bold and links."""
    blocks = []
    for block in re.split(r"\n\s*\n", body.strip()):
        lines = block.splitlines()
        if all(BULLET.match(line) for line in lines):
            items = "".join("<li>" + _inline_html(BULLET.sub("", line)) + "</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        elif len(lines) == 1 and HEADING.match(lines[0]):
            blocks.append("<h3>" + _inline_html(HEADING.sub("", lines[0])) + "</h3>")
        else:
            blocks.append("<p>" + "<br>".join(_inline_html(line) for line in lines) + "</p>")
    return "<!doctype html><html><body>" + "\n".join(blocks) + "</body></html>"


def body_plain(body: str) -> str:
    """The Markdown body as plain text a mail client shows well: links written out after their text."""
    return MARKDOWN_LINK.sub(r"\1 (\2)", body.strip()) + "\n"


def email_message(*, sender: str, to: str, subject: str, body: str, language: str = "en",
                  unsubscribe: str | None = None, when=None) -> EmailMessage:
    """A mail with a plain-text part, an HTML part and (for crowd messages) a List-Unsubscribe header."""
    message = EmailMessage()
    message["Subject"] = re.sub(r"[\r\n]+", " ", subject).strip()
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate((when or dt.datetime.now(dt.UTC)).timestamp(), usegmt=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    if unsubscribe:
        message["List-Unsubscribe"] = unsubscribe
    message.set_content(body_plain(body), subtype="plain", charset="utf-8")
    message.add_alternative(body_html(body), subtype="html", charset="utf-8")
    message["Content-Language"] = language
    return message


def unsubscribe_header(sender: str, member_id: str | None) -> str:
    """A List-Unsubscribe value: a mail to the sender asking to stop, naming the tasker."""
    address = parseaddr(sender)[1]
    return f"<mailto:{address}?subject={quote('unsubscribe ' + (member_id or ''))}>"


def _words(reply) -> str:
    code, text = reply
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}".strip()


class Mailer:
    """One SMTP connection, opened on the first message and reused until `close`."""

    def __init__(self, config: SmtpConfig):
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        if config.security == "tls":
            smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            smtp.ehlo()
            if config.security == "starttls" and smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
        if config.username:
            smtp.login(config.username, config.password or "")
        return smtp

    def send(self, message: EmailMessage, recipient: str) -> Outcome:
        """Hand one message for one recipient to the server; its answer (or refusal) in words."""
        try:
            if self._smtp is None:
                self._smtp = self._connect()
        except smtplib.SMTPAuthenticationError as exc:
            return Outcome(False, error=f"the mail server refused the login ({_words((exc.smtp_code, exc.smtp_error))}): "
                                        "check the SMTP user and password", held=True)
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            return Outcome(False, error=f"could not reach the mail server {self.config.host}:{self.config.port} "
                                        f"({exc})", retry=True)
        return self._transaction(message, recipient)

    def _transaction(self, message: EmailMessage, recipient: str) -> Outcome:
        smtp = self._smtp
        try:
            for step, reply in (("sender", lambda: smtp.mail(parseaddr(self.config.sender)[1])),
                                ("recipient", lambda: smtp.rcpt(recipient))):
                code, text = reply()
                if code >= 400:
                    smtp.rset()
                    permanent = code >= 500
                    what = "refused the address" if step == "recipient" else "refused the sender"
                    return Outcome(False, error=f"the mail server {what} ({_words((code, text))})",
                                   retry=not permanent, bounced=permanent and step == "recipient")
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            return Outcome(False, error=f"the connection to the mail server broke before sending ({exc})", retry=True)
        try:
            # smtplib sends bytes as they are: the lines must already end in CRLF (the SMTP policy).
            code, text = smtp.data(message.as_bytes(policy=email_policy.SMTP))
        except smtplib.SMTPDataError as exc:
            return Outcome(False, error=f"the mail server refused the message ({_words((exc.smtp_code, exc.smtp_error))})",
                           retry=exc.smtp_code < 500)
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            # The server may have taken it: trying again could deliver it twice.
            return Outcome(False, error=f"the connection broke while the server took the message ({exc}); not retried "
                                        "so nobody gets it twice")
        if code >= 400:
            return Outcome(False, error=f"the mail server refused the message ({_words((code, text))})",
                           retry=code < 500)
        return Outcome(True, answer=_words((code, text)))

    def close(self) -> None:
        """Say goodbye to the server (quietly, whatever state the connection is in)."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None


# --- webhooks and the pipeline ---------------------------------------------------------------------


def slack_payload(subject: str, body: str) -> dict:
    """An incoming-webhook message in Slack's mrkdwn."""
    return {"text": exports.to_slack(subject, body), "mrkdwn": True}


def discord_payload(subject: str, body: str) -> dict:
    """A webhook message in Discord Markdown that pings nobody, cut to Discord's 2,000 characters."""
    text = exports.to_discord(subject, body)
    if len(text) > DISCORD_LIMIT:
        text = text[:DISCORD_LIMIT - 1] + "…"
    return {"content": text, "allowed_mentions": {"parse": []}}


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def post_json(url: str, payload: dict, *, what: str, headers: dict | None = None, timeout: float = 15.0) -> Outcome:
    """POST a JSON payload; 2xx is sent, 429 and 5xx may pass (Retry-After honoured), other answers are final."""
    try:
        response = requests.post(url, json=payload, headers=headers or {}, timeout=timeout)
    except requests.RequestException as exc:
        return Outcome(False, error=f"could not reach {what} ({type(exc).__name__}: {exc})", retry=True)
    answer = f"{response.status_code} {response.text.strip()[:200]}".strip()
    if response.ok:
        return Outcome(True, answer=answer)
    if response.status_code == 429:
        return Outcome(False, error=f"{what} asked us to slow down ({answer})", retry=True,
                       retry_after=_retry_after(response))
    if response.status_code >= 500:
        return Outcome(False, error=f"{what} failed on its side ({answer})", retry=True,
                       retry_after=_retry_after(response))
    hint = {401: "the token was refused", 403: "the token was refused", 404: "the address is wrong or was revoked",
            410: "the address was revoked"}.get(response.status_code, "it refused the message")
    return Outcome(False, error=f"{what} answered {answer}: {hint}")


def post_webhook(channel: str, url: str, subject: str, body: str) -> Outcome:
    """Post a message to a Slack or Discord incoming webhook in that service's own formatting."""
    payload = slack_payload(subject, body) if channel.startswith("slack") else discord_payload(subject, body)
    return post_json(url, payload, what="Slack" if channel.startswith("slack") else "Discord")


def request_pipeline_retry(url: str, token: str | None, item_ids: list[str]) -> Outcome:
    """Ask the upload pipeline to retry items: a POST with their ids and the token as a Bearer header."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return post_json(url, {"item_ids": list(item_ids)}, what="the pipeline's retry endpoint", headers=headers)


# --- pace ------------------------------------------------------------------------------------------


class Pacer:
    """Keeps at least 1/rate seconds between two messages on the same line (a webhook, the SMTP server)."""

    def __init__(self, *, clock=time.monotonic, sleep=time.sleep):
        self._clock, self._sleep, self._last = clock, sleep, {}

    def wait(self, line: str, per_second: float) -> None:
        """Sleep until the line may carry another message, then note that it does."""
        gap = 1.0 / per_second
        last = self._last.get(line)
        if last is not None:
            left = last + gap - self._clock()
            if left > 0:
                self._sleep(left)
        self._last[line] = self._clock()
