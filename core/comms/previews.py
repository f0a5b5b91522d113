"""Previews: how a message looks in each channel: the email as its HTML part, Slack and Discord bubbles, the in-app banner."""

import html
import re

from core.comms.exports import BANNER_CHARS, to_banner, to_discord, to_slack
from core.comms.markup import EMAIL_WIDTH_PX, FONT, markdown_html

# The in-app banner is one line on a phone.
BANNER_WIDTH_PX = 360
LIMITS = {"slack": 4000, "discord": 2000, "in_app": BANNER_CHARS}


def preview_html(channel: str, subject: str, body: str) -> str:
    """A snippet that looks like the message in its channel (for the studio's Preview tab)."""
    if channel == "in_app":
        text = html.escape(to_banner(subject, body))
        return (f"<div style=\"{FONT}width:{BANNER_WIDTH_PX}px;box-sizing:border-box;padding:10px 14px;"
                "background:#0b5cad;color:#fff;border-radius:8px;font-size:14px;white-space:nowrap;overflow:hidden;"
                f"text-overflow:ellipsis\" title=\"{text}\">{text}</div>")
    if channel == "slack":
        shown = markdown_html(_slack_as_markdown(to_slack(subject, body)))
        return (f"<div style=\"{FONT}font-size:15px;line-height:1.46;color:#1d1c1d;background:#fff;padding:8px 20px;"
                f"border-left:4px solid #4a154b\">{shown}</div>")
    if channel == "discord":
        return (f"<div style=\"{FONT}font-size:16px;line-height:1.375;color:#dbdee1;background:#313338;"
                f"padding:8px 16px;border-radius:4px\">{markdown_html(to_discord(subject, body))}</div>")
    return (f"<div style=\"border:1px solid #d0d7de;border-radius:6px;max-width:{EMAIL_WIDTH_PX}px;background:#fff\">"
            f"<div style=\"{FONT}padding:8px 16px;border-bottom:1px solid #d0d7de;color:#1f2328\"><strong>"
            f"{html.escape(subject)}</strong></div><div style=\"{FONT}font-size:15px;line-height:1.5;color:#1f2328;"
            f"padding:0 16px\">{markdown_html(body)}</div></div>")


def _slack_as_markdown(text: str) -> str:
    # Slack's mrkdwn back to the Markdown the renderer reads: *bold*, <url|text>, and its escapes.
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"[\2](\1)", text)
    text = re.sub(r"(?<![*\w])\*([^*\n]+)\*(?![*\w])", r"**\1**", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def over_limit(channel: str, text: str) -> int:
    """How many characters the channel's text is over its limit (0 when it fits or has none)."""
    limit = LIMITS.get(channel)
    return max(0, len(text) - limit) if limit else 0
