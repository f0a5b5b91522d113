"""Comms studio, Check and Preview tabs: the editor's text with its problems highlighted, then each channel and export."""

import streamlit as st

from core.comms import checks, context, exports, previews, timezones, workflow
from core.comms.audience import AudienceChoice
from core.comms.workflow import DraftView
from core.exports import markdown_literal
from ui import comms, widgets
from ui.comms_write import EditorText


def check_tab(draft: DraftView, editing: EditorText) -> None:
    """The text as it is in the editor now, each problem highlighted, and the list of fixes."""
    st.caption(f"The {editing.language} text as it is in the editor now, with each problem highlighted; the list "
               "says why it is a problem and how to fix it.")
    report = editing.report
    for finding in report.blocking:
        st.error(f"**{finding.label}** — {markdown_literal(finding.message)} {markdown_literal(finding.suggestion)}",
                 icon=":material/block:")
    left, right = st.columns([3, 2], gap="large")
    with left:
        comms.highlight_legend()
        with st.container(border=True):
            st.markdown(f"**Subject:** {markdown_literal(editing.subject)}")
            st.markdown(checks.highlighted_markdown(editing.body, report.findings))
        zoned_times(report)
    with right:
        comms.readability_tiles(report)
        comms.findings_list(report)
    with st.expander("Findings as a table", icon=":material/table:"):
        widgets.table(comms.findings_frame(report), key="comms_findings",
                      filename=f"draft-{draft.id}-findings", empty="No findings: plain, clear and complete.")


def zoned_times(report: checks.CheckReport) -> None:
    """Each time the message gives with a zone, in UTC and in the audience's largest zones."""
    if not report.times:
        return
    lines = [f"**{markdown_literal(t.text)}** = {timezones.format_utc(t.utc)}"
             + (" · " + " · ".join(markdown_literal(local) for local in t.local) if t.local else "")
             for t in report.times]
    with st.container(border=True):
        st.caption("The times in this message, for your readers:")
        st.markdown("  \n".join(lines))


def preview_tab(studio: comms.Studio, draft: DraftView, editing: EditorText, choice: AudienceChoice) -> None:
    """The editor's text as each channel shows it, then the exports (sending ones once approved)."""
    st.caption("How the editor's text will look in each channel: the email as the HTML it sends, Slack and Discord "
               "with their own markdown, the in-app banner at its width on a phone. Everything you write is escaped "
               "first: nothing in a draft runs as HTML.")
    subject, body = editing.subject, editing.body
    for channel_tab, channel in zip(st.tabs(list(comms.CHANNEL_LABELS.values())), comms.CHANNEL_LABELS):
        with channel_tab:
            text = exports.for_channel(channel, subject, body)
            limit = previews.LIMITS.get(channel)
            st.caption(f"{len(text):,} characters" + (f" of {limit:,} allowed" if limit else "")
                       + (f" · subject {len(subject)} of {checks.SUBJECT_LIMIT} shown in most inboxes"
                          if channel == "email" else ""))
            over = previews.over_limit(channel, text)
            if over:
                st.error(f"{over:,} characters over the {comms.CHANNEL_LABELS[channel]} limit of {limit:,}: "
                         "shorten it or link to the details.", icon=":material/warning:")
            st.html(previews.preview_html(channel, subject, body))
            with st.expander("Text to paste", icon=":material/content_paste:"):
                comms.channel_preview(channel, subject, body)
    st.subheader("Export")
    export_panel(studio, draft, choice)


def export_panel(studio: comms.Studio, draft: DraftView, choice: AudienceChoice) -> None:
    """Markdown for sharing; .eml, Slack, Discord and the mail merge once a manager approved the draft."""
    versions = {lang: (rev.subject, rev.body) for lang, rev in draft.versions.items()}
    export_language = st.selectbox("Language version to export", draft.languages, key="comms_export_language")
    subject, body = versions[export_language]

    def note_export(format_name: str) -> None:
        """Record the export in the draft's audit trail."""
        workflow.record_export(studio.engine, draft.id, format=format_name, actor=studio.actor)

    st.download_button("Markdown (all languages, for sharing)",
                       exports.to_markdown(draft.title, versions, status=workflow.STATUS_LABELS[draft.status],
                                           audience=choice.label),
                       file_name=f"draft-{draft.id}.md", mime="text/markdown", key="comms_export_md",
                       icon=":material/description:", on_click=note_export, args=("markdown",))
    if draft.status not in ("approved", "scheduled", "sent"):
        st.info("Sending exports (.eml, Slack, Discord, mail merge) unlock once a manager approves the draft on "
                "Review.", icon=":material/lock:")
        return
    stem = f"draft-{draft.id}-{export_language}"
    e1, e2, e3, e4 = st.columns(4)
    e1.download_button(".eml for your mail tool",
                       exports.to_eml(subject, body, sender=comms.sender_name(studio.actor),
                                      language=export_language, draft_id=draft.id, date=studio.now),
                       file_name=f"{stem}.eml", mime="message/rfc822", key="comms_export_eml", icon=":material/mail:",
                       on_click=note_export, args=("eml",))
    e2.download_button("Slack text", exports.to_slack(subject, body), file_name=f"{stem}-slack.txt",
                       mime="text/plain", key="comms_export_slack", icon=":material/tag:", on_click=note_export,
                       args=("slack",))
    e3.download_button("Discord text", exports.to_discord(subject, body), file_name=f"{stem}-discord.txt",
                       mime="text/plain", key="comms_export_discord", icon=":material/forum:", on_click=note_export,
                       args=("discord",))
    e4.download_button(f"Mail-merge CSV ({len(choice.members):,} recipients)",
                       exports.mail_merge_csv(choice.members, moments=context.draft_moments(draft.context),
                                              languages_available=draft.languages),
                       file_name=f"draft-{draft.id}-recipients.csv", mime="text/csv", key="comms_export_merge",
                       icon=":material/table:", on_click=note_export, args=("mail_merge_csv",))
    st.caption("The mail-merge CSV gives each recipient the language version they get and the deadline, "
               "event start or launch in their own time zone.")
