"""Queues: what will breach next, what is stuck, and how each queue is doing against its SLA."""

import streamlit as st

from core.queues import actions as queue_actions
from core.errors import CrowdPulseError
from core.exports import markdown_literal
from core.queues import clock, views
from ui import charts, data, filters, widgets
from ui import queues as queue_data

DIMENSIONS = {"queue": "queue", "project_id": "project", "priority": "priority"}

st.title("Queues")
st.caption("Review, escalation, staging and support against their SLA targets. Each policy's clock runs on calendar "
           "time or on its business hours, and stops while an item waits on the tasker; an item's own due date wins.  \n"
           f"**Now** ({data.clock_now():%a %d %b, %H:%M} UTC, whatever the date range): open backlog, breached, at "
           "risk, what breaches next, paused, backlog by age, stuck uploads and open escalations. **The date range**: "
           "SLA met (clocks that came due in it), the SLA trend, open items per day, response times and escalation "
           "reasons (items created in it).")

f = filters.current()
choices = queue_data.choices(f)
if not choices["items"]:
    widgets.nothing_yet("No queue items yet — import queue items on Data.")

left, right = st.columns(2)
filters.adopt_from_url("queue", "queues_queue", options=choices["queues"])
filters.adopt_from_url("priority", "queues_priority", options=choices["priorities"])
picked_queues = left.multiselect("Queues", choices["queues"], key="queues_queue", placeholder="All queues")
picked_priorities = right.multiselect("Priorities", choices["priorities"], key="queues_priority",
                                      placeholder="All priorities")
filters.mirror_to_url("queue", picked_queues)
filters.mirror_to_url("priority", picked_priorities)
view = queue_data.overview(f, picked_queues, picked_priorities)
may_act = queue_data.may_act()

tiles = st.columns(6)
widgets.kpi(tiles[0], "Open backlog", view.open_items, help="Open items now, whatever the date range.")
widgets.kpi(tiles[1], "Breached", view.breached_items,
            help="Open items now past their first-response or resolution target (Today's breach entries add up to "
                 "this number).")
widgets.kpi(tiles[2], "At risk", view.at_risk_items,
            help=widgets.HELP["at_risk"])
widgets.kpi(tiles[3], "Resolution met", view.resolution["compliance"], fmt="{:.1%}",
            help=f"{int(view.resolution['met']):,} met of {int(view.resolution['count']):,} items due in the "
                 "date range")
widgets.kpi(tiles[4], "Response met", view.first_response["compliance"], fmt="{:.1%}",
            help=f"First response: {int(view.first_response['met']):,} met of {int(view.first_response['count']):,} "
                 "first responses due in the date range")
widgets.kpi(tiles[5], "Median reply", view.median_first_response_hours, fmt="{:.1f} h",
            help="Median first-response time of items created in the date range; p90 and resolution times "
                 "are in the breakdown below.")

# --- what breaches next ---------------------------------------------------------------------------

st.subheader("What breaches next")
st.caption(f"**{len(view.risk):,}** clocks about to breach · **{len(view.breached):,}** clocks breached, "
           f"still open · **{len(view.paused):,}** items paused, waiting on the tasker. Each item has a "
           "first-response and a resolution clock, so these count clocks where the tiles above count items.")
risk_columns = ["item_id", "target", "warn_level", "used_share", "hours_left", "due_effective", "queue", "priority",
                "project", "status", "clock", "assignee", "created_at"]
risk_config = {
    "item_id": "Item", "queue": "Queue", "priority": "Priority", "project_id": "Project ID", "project": "Project",
    "status": "Status", "assignee": "Assignee", "member_id": "Tasker", "escalation_reason": "Reason",
    "last_error": "Last error", "retries": "Retries", "stuck_reason": "Why stuck", "state": "SLA state",
    "target": st.column_config.TextColumn("Target"),
    "used_share": st.column_config.ProgressColumn("Target used", format="percent", min_value=0, max_value=1),
    "hours_left": st.column_config.NumberColumn("Hours left", format="%.1f", help=widgets.HELP["hours_left"]),
    "hours_overdue": st.column_config.NumberColumn("Hours overdue", format="%.1f"),
    "warn_level": st.column_config.NumberColumn("Warning", format="%d%%"),
    "created_at": st.column_config.DatetimeColumn("Created (UTC)", format="D MMM HH:mm"),
    "due_effective": st.column_config.DatetimeColumn("Due (UTC)", format="ddd D MMM HH:mm"),
    "clock": st.column_config.TextColumn("Clock", help=widgets.HELP["clock"]),
}


def show_soon() -> None:
    """Open clocks past half their target, soonest due first."""
    st.caption("Open first-response and resolution clocks past 50% of their target, soonest due first.")
    widgets.table(data.with_project_names(view.risk).reindex(columns=risk_columns), key="queues_risk",
                  filename="breach-risk", column_config=risk_config, sort_by=["due_effective", "hours_left"],
                  empty="Nothing open has used half of its SLA target.", height=320)


def show_late() -> None:
    """Open items already past their SLA, most overdue first."""
    late_columns = ["item_id", "target", "hours_overdue", "due_effective", "queue", "priority", "project", "status",
                    "clock", "assignee", "created_at"]
    widgets.table(data.with_project_names(view.breached).reindex(columns=late_columns), key="queues_breached",
                  filename="breached-open", column_config=risk_config, empty="No open item is past its SLA.",
                  sort_by="hours_overdue", ascending=False,
                  height=320)


def show_paused() -> None:
    """Clocks stopped while the item waits on the tasker."""
    st.caption("These clocks are stopped by a pause status of their policy; "
               "the due time assumes the tasker answers now.")
    paused = data.with_project_names(view.paused)
    widgets.table(paused.reindex(columns=["item_id", "queue", "priority", "project", "status", "clock_minutes",
                                          "time_left_minutes", "due_effective", "assignee"]),
                  key="queues_paused", filename="paused-items", empty="No clock is paused right now.",
                  column_config={**risk_config,
                                 "clock_minutes": st.column_config.NumberColumn("Minutes counted", format="%.0f"),
                                 "time_left_minutes": st.column_config.NumberColumn("Minutes left", format="%.0f")})


def show_warnings() -> None:
    """Open clocks past each warning level, per queue, project or priority."""
    dimension = st.segmented_control("By", ["queue", "project_id", "priority"], default="queue",
                                     format_func=DIMENSIONS.get, key="queues_warn_by") or "queue"
    widgets.table(queue_data.warnings(f, picked_queues, picked_priorities, dimension), key="queues_warnings",
                  filename=f"warnings-by-{dimension}", empty="No warnings.",
                  column_config=risk_config)


widgets.lazy_tabs({"About to breach": show_soon, "Breached, still open": show_late,
                   "Paused, waiting on the tasker": show_paused, "Warnings by queue, project, priority": show_warnings},
                  key="queues_breach_tab")

# --- backlog and compliance -----------------------------------------------------------------------

left, right = st.columns(2)
with left:
    st.subheader("Backlog by age")
    picked = widgets.clickable_chart(
        charts.bars(view.ages, "queue", "count", color="bucket", value_title="open items", select=True, sort="-x",
                    color_order=list(views.BACKLOG_BUCKETS)),
        key="queues_backlog", field="queue")
    if picked:
        st.caption(f"Open items in {', '.join(picked)}")
        widgets.table(queue_data.open_items(f, picked_queues, picked_priorities, picked).reindex(
                          columns=["item_id", "queue", "priority", "project", "status", "state", "created_at",
                                   "due_effective", "assignee"]),
                      key="queues_backlog_items", filename="backlog-items", column_config=risk_config)
    else:
        st.caption("Click a bar to list its open items.")
with right:
    st.subheader("SLA met by day")
    target = st.segmented_control("Target", ["resolution", "first_response"], default="resolution",
                                  format_func=clock.TARGET_LABELS.get, key="queues_trend_target") or "resolution"
    trend = queue_data.compliance_trend(f, picked_queues, picked_priorities, target)
    if trend.empty:
        st.info("No target came due in this date range.")
    else:
        widgets.chart(charts.line(trend, "date", "compliance", color="queue", y_title="met", y_format=".0%",
                                  n="count", as_of=data.as_of(), period="D"))

st.subheader("Open items at the end of each day")
widgets.chart(charts.line(view.open_by_day, "date", "open_count", color="queue", y_title="open items",
                          as_of=data.as_of(), period="D"))

# --- breakdowns -----------------------------------------------------------------------------------

st.subheader("By queue, project and priority")
st.caption("Open, breached and at-risk items now; SLA met for targets due in the date range; response-time median "
           "and p90 (TAT) in hours for items created in the date range.")
breakdown_by = st.segmented_control("Per", ["queue", "project_id", "priority"], default="project_id",
                                    format_func=DIMENSIONS.get, key="queues_breakdown_by") or "project_id"
hours = st.column_config.NumberColumn
widgets.table(queue_data.breakdown(f, picked_queues, picked_priorities, breakdown_by), key="queues_breakdown",
              filename=f"queues-by-{breakdown_by}", column_config={**risk_config,
                  "open": hours("Open", format="%d"), "breached_open": hours("Breached", format="%d"),
                  "at_risk": hours("At risk", format="%d", help=widgets.HELP["at_risk"]),
                  "due": hours("Due in range", format="%d"),
                  "compliance": st.column_config.ProgressColumn("Resolution met", format="percent", min_value=0,
                                                                max_value=1),
                  "response_compliance": st.column_config.ProgressColumn("First response met", format="percent",
                                                                         min_value=0, max_value=1),
                  "first_response_median_hours": hours("First response median (h)", format="%.1f"),
                  "first_response_p90_hours": hours("First response p90 (h)", format="%.1f", help=widgets.HELP["p90"]),
                  "resolution_median_hours": hours("Resolution median (h)", format="%.1f", help=widgets.HELP["tat"]),
                  "resolution_p90_hours": hours("Resolution p90 (h)", format="%.1f",
                                                help=widgets.HELP["tat"] + " " + widgets.HELP["p90"])})

# --- staging ----------------------------------------------------------------------------------------


def request_retries(versions: dict[str, int]) -> None:
    """Button callback: ask for retries of these stuck items and say how it went after the rerun."""
    try:
        done, refused = queue_actions.request_retries(data.engine(), versions=versions,
                                                      note=st.session_state.get("queues_retry_note") or None,
                                                      **queue_data.actor())
    except CrowdPulseError as problem:
        st.session_state["queues_flash"] = [("error", str(problem))]
        return
    flash = [("error", message) for message in refused.values()]
    if done:  # issue 17: tell the pipeline (its answer, or why not, in words)
        flash.append(queue_actions.notify_pipeline(data.engine(), [r.item_id for r in done],
                                                   actor=queue_data.actor()["actor"]))
    if len(done) == 1:
        flash.insert(0, ("success", f"Retry requested for {done[0].item_id} (retry {done[0].retries})."))
    elif done:
        flash.insert(0, ("success", f"Retry requested for {len(done)} items: {', '.join(r.item_id for r in done)}."))
    st.session_state["queues_flash"] = flash
    st.session_state["queues_retry_items"] = [i for i in st.session_state["queues_retry_items"] if i in refused]


def show_stuck() -> None:
    """Staging items with no progress, and asking the pipeline to retry them."""
    for kind, message in st.session_state.pop("queues_flash", []):
        (st.success if kind == "success" else st.info if kind == "info" else st.error)(message)
    limits = queue_data.stuck_thresholds()
    stuck = data.with_project_names(view.stuck)
    st.caption(f"Open staging items with no progress for {limits['stuck_after_hours']:.0f} h or "
               f"{limits['stuck_max_retries']} or more retries (thresholds on Settings).")
    widgets.table(stuck.reindex(columns=["item_id", "project", "status", "hours_stuck", "retries", "last_error",
                                         "stuck_reason", "member_id", "created_at"]),
                  key="queues_stuck", filename="stuck-staging", empty="No staging item is stuck.",
                  column_config={**risk_config,
                                 "hours_stuck": st.column_config.NumberColumn("Hours stuck", format="%.0f")})
    if not stuck.empty:
        by_id = stuck.set_index("item_id")
        # One label per stuck item, built once: at scale there are thousands of options.
        retry_labels = {item: f"{item} · {project} · {retries} retries · {error or 'no error recorded'}"
                        for item, project, retries, error in zip(stuck["item_id"], stuck["project"], stuck["retries"],
                                                                 stuck["last_error"])}
        chosen = st.multiselect(
            "Items to retry", list(retry_labels), key="queues_retry_items",
            placeholder="Pick stuck items to ask the pipeline to retry", format_func=retry_labels.get)
        st.text_input("Note for the retry (optional)", key="queues_retry_note",
                      placeholder="e.g. storage bucket permissions fixed")
        versions = {item_id: int(by_id.at[item_id, "version"]) for item_id in chosen}
        if len(chosen) > 1:
            st.button(f"Request retry for all {len(chosen)} selected", key="queues_retry_all", type="primary",
                      icon=":material/replay:", on_click=request_retries, args=(versions,), disabled=not may_act)
        for item_id in chosen:
            text, button = st.columns([5, 1], vertical_alignment="center")
            text.markdown(f"**{markdown_literal(item_id)}** · "
                          f"{by_id.at[item_id, 'hours_stuck']:.0f} h without progress · "
                          f"{by_id.at[item_id, 'retries']} retries · "
                          f"last error: {markdown_literal(by_id.at[item_id, 'last_error'] or '—', one_line=True)}")
            button.button("Request retry", key=f"queues_retry_{item_id}", icon=":material/replay:",
                          on_click=request_retries, args=({item_id: versions[item_id]},),
                          disabled=not may_act, help=None if may_act else "Specialists and above can request retries.")


# --- escalation ---------------------------------------------------------------------------------------

def record_enforcement(decision: dict) -> bool:
    """Record a warning, ban or takedown and say how it went (after the rerun, for a ban confirmed in its dialog)."""
    try:
        queue_actions.record_enforcement(data.engine(), **decision, **queue_data.actor())
    except CrowdPulseError as problem:
        st.session_state["queues_enforce_flash"] = [("error", str(problem))]
        return False
    st.session_state["queues_enforce_flash"] = [
        ("success", f"Recorded: {decision['action']} for {markdown_literal(decision['member_id'])}.")]
    return True


@st.dialog("Ban this tasker?")
def confirm_ban(decision: dict) -> None:
    """Name who is banned and what changes for them, and record the ban only when confirmed."""
    tasker = queue_actions.tasker_record(data.engine(), decision["member_id"])
    if tasker is None:
        st.error(f"There is no tasker {markdown_literal(decision['member_id'])}.")
    else:
        who = " · ".join(markdown_literal(v) for v in (tasker.handle, tasker.country) if v)
        st.write(f"**{markdown_literal(tasker.member_id)}**{f' ({who})' if who else ''} goes from "
                 f"**{markdown_literal(tasker.status or 'active')}** to **banned**: they leave every audience of "
                 f"active taskers. They have {tasker.open_items:,} open queue item(s) and "
                 f"{tasker.past_actions:,} earlier warning(s), ban(s) or takedown(s). The ban and your reason stay "
                 "on their record and in the audit trail; nothing on this page lifts it.")
        st.caption(f"Why: {markdown_literal(decision['reason'] or '—', one_line=True)}")
    keep, ban = st.columns(2)
    if keep.button("Do not ban", key="queues_ban_cancel"):
        del st.session_state["queues_banning"]
        st.rerun()
    if ban.button("Ban the tasker", key="queues_ban_confirm", type="primary", icon=":material/block:",
                  disabled=tasker is None):
        del st.session_state["queues_banning"]
        record_enforcement({**decision, "action": "ban"})
        st.rerun()


def show_escalations() -> None:
    """Escalations by reason and team, the open ones, and recording an enforcement action."""
    left, right = st.columns(2)
    with left:
        st.caption("Escalations created in the date range, by reason and the team that owns them")
        reasons = view.escalation_reasons
        if reasons.empty:
            st.info("No escalations in this range.")
        else:
            widgets.chart(charts.bars(reasons, "escalation_reason", "count", color="owner_team",
                                      value_title="escalations"))
    with right:
        st.caption("Open escalations, soonest due first")
        escalations = data.with_project_names(view.open_escalations)
        widgets.table(escalations.reindex(columns=["item_id", "escalation_reason", "owner_team", "member_id", "project",
                                                   "state", "hours_left", "due_effective"]),
                      key="queues_escalations", filename="open-escalations", empty="No escalation is open.",
                      column_config={**risk_config, "owner_team": st.column_config.TextColumn("Owner team")},
                      height=300)

    with st.expander("Record an enforcement action (warn, ban, takedown)", icon=":material/gavel:"):
        with st.form("queues_enforcement", clear_on_submit=True):
            options = [None, *escalations["item_id"].tolist()]
            members = dict(zip(escalations["item_id"], escalations["member_id"]))
            item = st.selectbox("Escalated item", options, key="queues_enforce_item",
                                format_func=lambda i: "— none —" if i is None
                                else f"{i} · tasker {members.get(i)}")
            member = st.text_input("Tasker ID", key="queues_enforce_member",
                                   help="Leave empty to act on the tasker of the escalated item.")
            action = st.radio("Action", queue_actions.ENFORCEMENT_ACTIONS, horizontal=True, key="queues_enforce_action",
                              format_func=str.capitalize)
            reason = st.text_area("Why", key="queues_enforce_reason",
                                  placeholder="What happened and which rule it breaks; "
                                              "this stays on the tasker's record.")
            st.caption("Warnings and takedowns: specialists and above. Bans: managers and above.")
            if st.form_submit_button("Record action", icon=":material/gavel:", disabled=not may_act):
                member_id = member.strip() or members.get(item)
                if not member_id:
                    st.error("Pick an escalated item or type the tasker ID.")
                elif action == "ban":  # a ban ends someone's work: it is asked in a dialog that names what changes
                    st.session_state["queues_banning"] = dict(member_id=member_id, reason=reason, item_id=item)
                else:
                    record_enforcement(dict(member_id=member_id, action=action, reason=reason, item_id=item))
        for kind, message in st.session_state.pop("queues_enforce_flash", []):
            (st.success if kind == "success" else st.error)(message)
        if st.session_state.get("queues_banning"):  # asked until confirmed or cancelled, across the dialog's reruns
            confirm_ban(st.session_state["queues_banning"])

    st.caption("Recent enforcement actions")
    widgets.table(queue_data.enforcements(), key="queues_enforcements", filename="enforcement-actions",
                  empty="No warning, ban or takedown recorded yet.",
                  column_config={**risk_config,
                                 "at": st.column_config.DatetimeColumn("When (UTC)", format="D MMM YYYY HH:mm"),
                                 "action": "Action", "handle": "Handle", "country": "Country", "reason": "Why",
                                 "actor": "By", "item_id": "Item"})


st.subheader("Stuck uploads and escalations")
widgets.lazy_tabs({"Stuck in staging": show_stuck, "Escalations and enforcement": show_escalations},
                  key="queues_work_tab")
