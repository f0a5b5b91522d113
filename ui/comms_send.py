"""Comms studio, Review tab: send the approved message for real (now, or at a local time in each recipient's zone),
a test to oneself first, and each send's progress with the recipients behind every number."""

import datetime as dt

import pandas as pd
import streamlit as st

from core import timeline
from core.comms import channels, delivery, schedule
from core.comms.workflow import DraftView
from core.errors import CrowdPulseError
from ui import comms, widgets
from ui.comms import Studio
from ui.data import engine, on_data_version

COUNTS = ["sent", "failed", "pending", "skipped", "cancelled", "total"]
RECIPIENT_COLUMNS = {"due_at": st.column_config.DatetimeColumn("Due (UTC)", format="D MMM HH:mm"),
                     "sent_at": st.column_config.DatetimeColumn("Sent (UTC)", format="D MMM HH:mm:ss"),
                     "answer": st.column_config.TextColumn("Server's answer"),
                     "error": st.column_config.TextColumn("Why not (yet)")}


@on_data_version(max_entries=16)
def sends(draft_id: int) -> pd.DataFrame:
    """The sends of a draft, newest first."""
    return delivery.list_sends(engine(), draft_id=draft_id)


@on_data_version(max_entries=16)
def progress(draft_id: int) -> pd.DataFrame:
    """Sent, failed, pending, skipped and cancelled per send, channel and zone."""
    return delivery.progress(engine(), draft_id=draft_id)


@on_data_version(max_entries=16)
def recipients(send_id: int, status: str | None) -> pd.DataFrame:
    """Who is behind one of a send's numbers."""
    return delivery.recipients(engine(), send_id, status=status)


def target_channel(draft: DraftView) -> str:
    """The channel a draft's deliveries use: email, or its Slack or Discord webhook."""
    return draft.channel if draft.channel in channels.WEBHOOK_CHANNELS else "email"


def send_panel(studio: Studio, draft: DraftView, members: pd.DataFrame) -> None:
    """Channel status, a test to oneself, the send itself (when approved), and the progress of every send."""
    st.subheader("Send")
    ready = channels.load_channels()
    target = target_channel(draft)
    if draft.channel == "in_app":
        st.info("In-app banners are exported from Preview; there is nothing to send from here.")
        return
    if ready.ready(target):
        st.caption(f"Sending by {target}: " + (ready.smtp.describe() if target == "email" else "incoming webhook"))
    else:
        st.warning(f"Sends stay queued until the channel works — {ready.why_not(target)}.", icon=":material/schedule:")
    test_send(studio, draft, target)
    if draft.status in ("approved", "scheduled"):
        send_form(studio, draft, members)
    progress_section(studio, draft)


def test_send(studio: Studio, draft: DraftView, target: str) -> None:
    """'Send me a test': the current text, marked [Test], to one address (or the channel) now."""
    t1, t2 = st.columns([3, 1], vertical_alignment="bottom")
    to = t1.text_input("Send a test to", value=studio.actor if target == "email" else target, key="comms_test_to",
                       disabled=target != "email")
    if t2.button("Send me a test", key="comms_send_test", icon=":material/forward_to_inbox:"):
        try:
            row = schedule.send_test(studio.engine, draft.id, to=to, actor=studio.actor,
                                     now=timeline.present())
        except CrowdPulseError as exc:
            comms.show_error(exc)
            return
        if row["status"] == "sent":
            st.success(f"Test sent to {row['recipient']} ({row['answer']}).")
        else:
            st.error(f"The test was not sent: {row['error']}.")


def send_form(studio: Studio, draft: DraftView, members: pd.DataFrame) -> None:
    """Send now, or at a wall-clock time in each recipient's zone (one batch per zone)."""
    now = timeline.present()
    local = st.toggle("At a local time in each recipient's time zone", key="comms_send_local")
    clock = st.time_input("Local time", value=dt.time(10, 0), key="comms_send_clock") if local else None
    if clock is not None and len(members):
        batches = schedule.zone_batches(members["timezone"], now=now, clock=clock)
        st.caption(f"{len(batches)} batch{'es' if len(batches) != 1 else ''}: " + "; ".join(
            f"{b.timezone} ({b.recipients}) at {b.local}" for b in batches.head(6).itertuples())
            + (" …" if len(batches) > 6 else ""))
    label = f"Send to {len(members):,} recipients" + (f" at {clock:%H:%M} their time" if clock else " now")
    if st.button(label, key="comms_send_go", type="primary", icon=":material/send:"):
        try:
            started = schedule.send_draft(studio.engine, draft.id, expected_version=studio.bases[draft.id],
                                          actor=studio.actor, now=now, clock=clock)
        except CrowdPulseError as exc:
            comms.show_error(exc)
            return
        studio.bases[draft.id] = started.version
        st.rerun(scope="app")


def progress_section(studio: Studio, draft: DraftView) -> None:
    """Each send: a progress bar, the counts per channel and zone, and the recipients behind them."""
    table = progress(draft.id)
    if table.empty:
        return
    running = bool(table["pending"].sum())
    # While something is pending, the numbers refresh on their own: the worker sends in another process.
    st.fragment(run_every=5 if running else None)(_progress)(studio, draft)


def _progress(studio: Studio, draft: DraftView) -> None:
    table, listed = progress(draft.id), sends(draft.id)
    st.subheader("Progress")
    for send in listed.itertuples():
        rows = table[table["send_id"] == send.id]
        totals = rows[COUNTS].sum()
        done = int(totals["total"] - totals["pending"])
        when = f"at {send.local_time} in each recipient's zone" if send.local_time else "now"
        st.markdown(f"**Send {send.id}** · {send.channel} {when} · by {send.requested_by} on "
                    f"{send.requested_at:%d %b %H:%M} UTC")
        st.progress(done / max(int(totals["total"]), 1),
                    text=" · ".join(f"{int(totals[c]):,} {c}" for c in COUNTS[:-1]) + f" of {int(totals['total']):,}")
        widgets.table(rows.drop(columns=["send_id"]), key=f"comms_send_progress_{send.id}",
                      filename=f"send-{send.id}-progress",
                      column_config={"next_due": st.column_config.DatetimeColumn("Next batch (UTC)",
                                                                                 format="D MMM HH:mm")})
        status = st.selectbox("Show the recipients who are", ["sent", "failed", "pending", "skipped", "cancelled"],
                              key=f"comms_send_who_{send.id}")
        widgets.table(recipients(int(send.id), status), key=f"comms_send_recipients_{send.id}",
                      filename=f"send-{send.id}-{status}", column_config=RECIPIENT_COLUMNS, empty=f"Nobody {status}.")
        if int(totals["pending"]) and st.button("Cancel what has not started", key=f"comms_send_cancel_{send.id}",
                                                icon=":material/cancel_schedule_send:"):
            try:
                cancelled = schedule.cancel_send(studio.engine, int(send.id), actor=studio.actor,
                                                 now=timeline.present())
                st.toast(f"Cancelled {cancelled:,} deliveries.")
                st.rerun(scope="app")
            except CrowdPulseError as exc:
                comms.show_error(exc)
    if table["pending"].sum():
        st.caption("Pending deliveries go out when due, sent by the worker (`python -m core worker`, which "
                   "`make run` starts beside the app).")
