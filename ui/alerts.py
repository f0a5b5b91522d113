"""Settings, "Channels and alerts": which ways out work, and who gets the digest, the immediate alerts and the report."""

import pandas as pd
import streamlit as st

from core import alerts
from core.comms import channels
from core.errors import CrowdPulseError
from ui import data, widgets

WEEKDAY_NAMES = list(alerts.WEEKDAYS)


def channel_status(ready: channels.Channels) -> pd.DataFrame:
    """One row per way out: whether it works, and what to set when it does not."""
    rows = [("Email (SMTP)", ready.smtp.describe() if ready.smtp else ready.why_not("email")),
            ("Slack (community)", "incoming webhook set" if ready.ready("slack") else ready.why_not("slack")),
            ("Slack (alerts)", "incoming webhook set" if ready.ready("slack_alerts") else ready.why_not("slack_alerts")),
            ("Discord", "incoming webhook set" if ready.ready("discord") else ready.why_not("discord")),
            ("Pipeline retry", ready.pipeline_url or "not configured: set CROWDPULSE_PIPELINE_RETRY_URL"),
            ("Links in alerts", ready.app_url)]
    return pd.DataFrame(rows, columns=["channel", "state"])


def _emails(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def _digest_rows(digests: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([dict(team=d["team"], time=d["time"], timezone=d["timezone"],
                              weekdays=", ".join(WEEKDAY_NAMES[i] for i in d["weekdays"]), slack=d["slack"])
                         for d in digests], columns=["team", "time", "timezone", "weekdays", "slack"])


def _digests_from(rows: pd.DataFrame) -> list[dict]:
    digests = []
    for row in rows.dropna(how="all").itertuples():
        days = [d.strip()[:3].title() for d in str(row.weekdays or "").split(",") if d.strip()]
        unknown = [d for d in days if d not in WEEKDAY_NAMES]
        if unknown:
            raise channels.ChannelProblem(f"The {row.team or 'team'} digest: {', '.join(unknown)} is not a weekday; "
                                          "write Mon, Tue, Wed, Thu, Fri, Sat or Sun.")
        digests.append(dict(team=row.team, time=row.time or "09:00", timezone=row.timezone or "UTC",
                            weekdays=[WEEKDAY_NAMES.index(d) for d in days], slack=bool(row.slack)))
    return digests


def channels_and_alerts(user) -> None:
    """The section: channel status for everyone, the alert settings form for admins."""
    ready = channels.load_channels()
    st.caption("Addresses, passwords and webhooks come from the environment or `.streamlit/secrets.toml` "
               "(see the README, “Email, Slack and Discord”); who gets what is set here.")
    widgets.table(channel_status(ready), key="settings_channels", filename="channels")
    settings, version = alerts.load_settings(data.engine())
    teams = alerts.team_emails(data.engine())
    digest_recipients(settings["digests"], teams)
    if not user.may("admin"):
        st.info("Only admins can change who gets alerts.")
        return
    with st.form("settings_alerts_form"):
        st.markdown("**Digest of Today's list, per team**: to the people of that team (People and roles), and/or the "
                    "alerts Slack channel; one row a team, weekdays like “Mon, Tue, Wed, Thu, Fri”")
        digests = st.data_editor(_digest_rows(settings["digests"]), num_rows="dynamic", key="settings_alert_digests",
                                 column_config={"team": st.column_config.SelectboxColumn("Team", options=sorted(teams)),
                                                "slack": st.column_config.CheckboxColumn("Slack")})
        now, report = settings["immediate"], settings["weekly_report"]
        st.markdown("**Immediate alert** when an item reaches 90% of its SLA or breaches (one per item and level)")
        st.caption(switch_on_words(now))
        i1, i2, i3, i4, i5 = st.columns([1, 3, 1, 1, 2])
        enabled = i1.checkbox("On", value=now["enabled"], key="settings_alert_now_on")
        now_emails = i2.text_input("Emails", value=", ".join(now["emails"]), key="settings_alert_now_emails")
        quiet_start = i3.text_input("Quiet from", value=now["quiet_start"] or "", key="settings_alert_quiet_start")
        quiet_end = i4.text_input("to", value=now["quiet_end"] or "", key="settings_alert_quiet_end")
        zone = i5.text_input("Time zone", value=now["timezone"], key="settings_alert_now_zone")
        slack = st.checkbox("Also to the alerts Slack channel", value=now["slack"], key="settings_alert_now_slack")
        st.markdown("**Weekly report** by email to the managers' list (a snapshot is published and, when one is set, its row "
                    "added to the Google Sheet as it goes)")
        w1, w2, w3, w4, w5 = st.columns([1, 3, 1, 1, 2])
        weekly_on = w1.checkbox("On", value=report["enabled"], key="settings_alert_report_on")
        report_emails = w2.text_input("Emails", value=", ".join(report["emails"]), key="settings_alert_report_emails")
        weekday = w3.selectbox("Day", range(7), index=report["weekday"], format_func=WEEKDAY_NAMES.__getitem__,
                               key="settings_alert_report_day")
        report_time = w4.text_input("At", value=report["time"], key="settings_alert_report_time")
        report_zone = w5.text_input("Time zone", value=report["timezone"], key="settings_alert_report_zone")
        if st.form_submit_button("Save alerts", key="settings_alert_save"):
            try:
                alerts.save_settings(data.engine(), {
                    "digests": _digests_from(digests),
                    "immediate": dict(enabled=enabled, emails=_emails(now_emails), slack=slack, timezone=zone,
                                      quiet_start=quiet_start.strip() or None, quiet_end=quiet_end.strip() or None),
                    "weekly_report": dict(enabled=weekly_on, emails=_emails(report_emails), weekday=weekday,
                                          time=report_time, timezone=report_zone)},
                    expected_version=version, actor=user.email)
                st.success("Saved the alert settings.")
            except CrowdPulseError as exc:
                st.error(str(exc))


def digest_recipients(digests: list[dict], teams: dict) -> None:
    """Who each saved digest reaches; a team with nobody in it is an error to fix."""
    for digest in digests:
        people = teams.get(digest["team"], [])
        if people:
            st.caption(f"The {digest['team']} digest goes to {', '.join(people)}"
                       + (" and the alerts Slack channel." if digest["slack"] else "."))
        else:
            st.error(alerts.nobody_in(digest["team"]), icon=":material/group_off:")


def switch_on_words(immediate: dict) -> str:
    """What switching immediate alerts on does, and since when they run."""
    if immediate.get("enabled") and immediate.get("since"):
        since = pd.Timestamp(immediate["since"])
        return (f"On since {since:%a %d %b %Y, %H:%M} UTC: only items that reached 90% or breached after that moment "
                "are alerted; those already there then are on Today.")
    return ("Switching alerts on starts from that moment: items already at 90% or breached then get no alert "
            "(Today lists them); only later crossings do.")
