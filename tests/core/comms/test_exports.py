"""Exports: .eml, channel text, banner, Markdown, and a mail-merge CSV that a spreadsheet cannot run."""

import email
from email import policy

import pandas as pd
import pytest

from core.comms import exports

RECIPIENTS = pd.DataFrame({
    "member_id": ["m1", "m2", "m3"],
    "handle": ["=HYPERLINK(\"http://evil\",\"click\")", "@ana", "plain"],
    "email": ["m1@example.com", "+m2@example.com", "m3@example.com"],
    "language": ["es", "en", "pt"],
    "timezone": ["America/Mexico_City", "Europe/London", None],
})


def test_mail_merge_gives_each_recipient_their_version_and_local_times_across_dst():
    frame = exports.mail_merge(RECIPIENTS, languages_available=["en", "es"],
                               moments={"deadline": pd.Timestamp("2026-03-30 16:00", tz="UTC"), "launch": None})
    assert frame[["member_id", "version_language", "timezone", "local_deadline"]].values.tolist() == [
        ["m1", "es", "America/Mexico_City", "Mon 30 Mar 2026, 10:00 (Mexico City, UTC−6)"],
        ["m2", "en", "Europe/London", "Mon 30 Mar 2026, 17:00 (London, UTC+1)"],
        ["m3", "en", "UTC", "Mon 30 Mar 2026, 16:00 (UTC, UTC+0)"]]
    assert "local_launch" not in frame


def test_mail_merge_csv_neutralises_cells_that_a_spreadsheet_would_run():
    csv = exports.mail_merge_csv(RECIPIENTS, languages_available=["en"], moments={}).decode()
    lines = csv.splitlines()
    assert lines[0] == "member_id,handle,email,language,version_language,timezone"
    assert lines[1].startswith('m1,"\'=HYPERLINK(')
    assert lines[2] == "m2,'@ana,'+m2@example.com,en,en,Europe/London"


def test_eml_has_headers_and_plain_utf8_body_and_no_header_injection():
    raw = exports.to_eml("Guide update\r\nBcc: everyone@example.com", "Hola — lean la guía.\n",
                         sender="Ana <ana@example.com>", language="es", draft_id=7,
                         date=pd.Timestamp("2026-11-22 09:00", tz="UTC"))
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Guide update Bcc: everyone@example.com"
    assert message["Bcc"] is None
    assert (message["To"], message["Content-Language"], message["X-CrowdPulse-Draft"]) == \
        ("undisclosed-recipients:;", "es", "7")
    assert message["Date"] == "Sun, 22 Nov 2026 09:00:00 +0000"
    # Plain text for every client, and the HTML part the studio previews (issue 19).
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content() == "Hola — lean la guía.\n"
    assert "<p>Hola — lean la guía.</p>" in message.get_body(("html",)).get_content()


def test_slack_text_uses_mrkdwn_and_escapes_control_characters():
    text = exports.to_slack("Update", "# What changed\n\n- **Bold** & <b>x</b>\n- [the guide](https://x.example/g)")
    assert text == ("*Update*\n\n*What changed*\n\n• *Bold* &amp; &lt;b&gt;x&lt;/b&gt;\n"
                    "• <https://x.example/g|the guide>\n")


def test_discord_text_keeps_markdown_and_defuses_mass_mentions():
    text = exports.to_discord("Update", "Hi @everyone and @here, **read** this.")
    assert text == "**Update**\n\nHi @\u200beveryone and @\u200bhere, **read** this.\n"


@pytest.mark.parametrize("subject, body, expected", [
    ("New project opens", "long body", "New project opens"),
    ("", "**Read** the [guide](https://x.example). More later.", "Read the guide."),
    ("x" * 200, "", "x" * 159 + "…"),
])
def test_banner_is_one_short_plain_line(subject, body, expected):
    assert exports.to_banner(subject, body) == expected


def test_markdown_export_lists_every_language_english_first():
    text = exports.to_markdown("Launch", {"es": ("Hola", "Cuerpo"), "en": ("Hello", "Body")}, status="Approved",
                               audience="Harbor taskers")
    assert text == ("# Launch\n\n- Status: Approved\n- Audience: Harbor taskers\n\n## [en] Hello\n\nBody\n\n"
                    "## [es] Hola\n\nCuerpo\n")


def test_for_channel_picks_the_right_rendering():
    assert exports.for_channel("email", "Hi\nthere", "Body\n") == "Subject: Hi there\n\nBody\n"
    assert exports.for_channel("in_app", "Hi", "Body") == "Hi"
