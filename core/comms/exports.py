"""Sending is exporting: Markdown, .eml, Slack mrkdwn, Discord Markdown, an in-app banner, a mail-merge CSV.

Every export is text built from the staff member's Markdown; the .eml also carries an HTML part
(`core.comms.markup`), built from escaped text, which is what the studio's email preview shows.
"""

import re
from email.message import EmailMessage
from email.utils import formatdate

import pandas as pd

from core.comms import timezones
from core.comms.markup import email_html
from core.exports import to_safe_csv

BANNER_CHARS = 160
MARKDOWN_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.MULTILINE)
BOLD = re.compile(r"\*\*(.+?)\*\*")
BULLET = re.compile(r"^(\s*)[-*+]\s+", re.MULTILINE)
MASS_MENTION = re.compile(r"@(everyone|here|channel)\b", re.IGNORECASE)


def _one_line(text: str) -> str:
    # A newline in a header would start a new header (header injection).
    return re.sub(r"[\r\n]+", " ", text or "").strip()


def to_markdown(title: str, versions: dict[str, tuple[str, str]], *, status: str, audience: str | None = None) -> str:
    """All language versions of a draft as one Markdown document, English first."""
    lines = [f"# {title}", "", f"- Status: {status}"]
    if audience:
        lines.append(f"- Audience: {audience}")
    for language in sorted(versions, key=lambda lang: (lang != "en", lang)):
        subject, body = versions[language]
        lines += ["", f"## [{language}] {subject}", "", body.rstrip()]
    return "\n".join(lines) + "\n"


def to_eml(subject: str, body: str, *, sender: str, language: str = "en", to: str | None = None,
           draft_id: int | None = None, date=None) -> bytes:
    """An RFC 5322 message (.eml) with a plain-text body, ready to open in a mail client or merge tool."""
    message = EmailMessage()
    message["Subject"] = _one_line(subject)
    message["From"] = _one_line(sender)
    message["To"] = _one_line(to) if to else "undisclosed-recipients:;"
    message["Date"] = formatdate(timezones.as_utc(date).timestamp() if date is not None else None, usegmt=True)
    if draft_id is not None:
        message["X-CrowdPulse-Draft"] = str(draft_id)
    message.set_content(body, subtype="plain", charset="utf-8")
    message.add_alternative(email_html(subject, body), subtype="html", charset="utf-8")  # what the preview shows
    message["Content-Language"] = _one_line(language)  # after set_content, which drops Content-* headers
    return bytes(message)


def _escape_slack(text: str) -> str:
    # Slack's mrkdwn treats &, < and > as control characters: escape them before adding links.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_slack(subject: str, body: str) -> str:
    """The message as Slack mrkdwn: *bold*, <url|text> links, • bullets; & < > escaped."""
    text = _escape_slack(body)
    text = MARKDOWN_LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)
    text = HEADING.sub(lambda m: f"*{m.group(1).strip()}*", text)
    text = BOLD.sub(r"*\1*", text)
    text = BULLET.sub(lambda m: f"{m.group(1)}• ", text)
    head = f"*{_escape_slack(_one_line(subject))}*\n\n" if subject else ""
    return (head + text).strip() + "\n"


def to_discord(subject: str, body: str) -> str:
    """The message as Discord Markdown, with @everyone/@here defused so a paste never pings everyone."""
    head = f"**{_one_line(subject)}**\n\n" if subject else ""
    text = head + body.strip()
    return MASS_MENTION.sub(lambda m: "@\u200b" + m.group(1), text) + "\n"


def _plain(text: str) -> str:
    text = MARKDOWN_LINK.sub(r"\1", text)
    text = HEADING.sub(r"\1", text)
    text = BOLD.sub(r"\1", text)
    text = BULLET.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def to_banner(subject: str, body: str, *, limit: int = BANNER_CHARS) -> str:
    """One line for an in-app banner: the subject, or the first sentence, cut at the limit with '…'."""
    line = _plain(subject) if subject and subject.strip() else _plain(body)
    if not subject:
        first = re.split(r"(?<=[.!?])\s", line, maxsplit=1)[0]
        line = first or line
    return line if len(line) <= limit else line[:limit - 1].rstrip() + "…"


def for_channel(channel: str, subject: str, body: str) -> str:
    """The text to paste into a channel: email (plain), slack, discord or in_app."""
    if channel == "slack":
        return to_slack(subject, body)
    if channel == "discord":
        return to_discord(subject, body)
    if channel == "in_app":
        return to_banner(subject, body)
    return f"Subject: {_one_line(subject)}\n\n{body.strip()}\n"


def mail_merge(recipients: pd.DataFrame, *, moments: dict[str, object], languages_available) -> pd.DataFrame:
    """One row per recipient: id, handle, email, language, the version they get, time zone, local moments."""
    available = set(languages_available)
    frame = pd.DataFrame({
        "member_id": recipients["member_id"],
        "handle": recipients["handle"] if "handle" in recipients else None,
        "email": recipients["email"] if "email" in recipients else None,
        "language": recipients["language"],
        "version_language": recipients["language"].map(lambda lang: lang if lang in available else "en"),
        "timezone": recipients["timezone"].fillna("UTC"),
    })
    for label, moment in moments.items():
        if moment is not None:
            frame[f"local_{label}"] = timezones.recipient_local_times(moment, frame["timezone"])
    return frame.reset_index(drop=True)


def mail_merge_csv(recipients: pd.DataFrame, *, moments: dict[str, object], languages_available) -> bytes:
    """The mail-merge table as CSV, with cells a spreadsheet would run as formulas neutralised."""
    return to_safe_csv(mail_merge(recipients, moments=moments, languages_available=languages_available))
