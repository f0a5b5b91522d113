"""Settings: SLA policies, alert thresholds, people and roles, and the audit trail."""

import json

import streamlit as st

from core import admin, people
from core.comms import glossary
from core.queues import calendar
from core.errors import CrowdPulseError
from ui import auth, data, jobs, widgets
from ui.alerts import channels_and_alerts

st.title("Settings")
user = auth.current_user()
st.caption("SLA targets per queue and priority, alert thresholds, each project's glossary, who has which role, and "
           "who changed what. "
           + ("You can change them as an admin." if user.may("admin") else "Only admins can change them."))


def attempt(action, success: str) -> None:
    """Run a change and say how it went in words (role refusals and conflicts included)."""
    try:
        action()
        st.success(success)
    except CrowdPulseError as exc:
        st.error(str(exc))


POLICY_JOB = "settings_policy_job"
POLICY_WIDGETS = ("settings_policy_first", "settings_policy_resolution", "settings_policy_clock",
                  "settings_policy_timezone", "settings_policy_pauses", "settings_policy_holidays",
                  *(f"settings_policy_day_{day}" for day in calendar.WEEKDAYS))


def forget_policy_inputs() -> None:
    """Another policy was picked: its own values must fill the form, not the last one's."""
    for key in POLICY_WIDGETS:
        st.session_state.pop(key, None)


def prefill_holidays(policy_row) -> None:
    """Fill the holidays box with the chosen country's public holidays (this year and next), to edit before saving."""
    years = [data.as_of().year, data.as_of().year + 1]
    try:
        found = calendar.country_holidays(st.session_state["settings_policy_country"], years)
    except CrowdPulseError as exc:
        st.session_state["settings_policy_holiday_error"] = str(exc)
        return
    st.session_state["settings_policy_holidays"] = "\n".join(f"{h['day']} {h['name']}" for h in found)


def edit_policy(policies) -> None:
    """The whole policy of one queue and priority: targets, clock, weekly hours, time zone, pauses, holidays;
    its effect on the last weeks' compliance before saving."""
    labels = {row.id: f"{row.queue} / {row.priority}" for row in policies.itertuples()}
    ids = list(labels)
    default = next((i for i, label in labels.items() if label == "review / normal"), ids[0])
    policy_id = st.selectbox("Policy", ids, index=ids.index(default), format_func=labels.get, key="settings_policy",
                             on_change=forget_policy_inputs)
    current = policies.set_index("id").loc[policy_id]
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    left.selectbox("Holidays of", calendar.HOLIDAY_COUNTRIES, index=calendar.HOLIDAY_COUNTRIES.index("US"),
                   key="settings_policy_country")
    right.button("Pre-fill holidays", key="settings_policy_prefill", on_click=prefill_holidays, args=(current,))
    if "settings_policy_holiday_error" in st.session_state:
        st.error(st.session_state.pop("settings_policy_holiday_error"))
    with st.form("settings_policy_form"):
        st.markdown(f"**The {labels[policy_id]} policy**")
        changes = policy_form(current)
        save, preview = st.columns(2)
        saved = save.form_submit_button("Save policy", disabled=jobs.running(POLICY_JOB),
                                        help="Saving recomputes the SLA clocks of the policy's items in the "
                                             "background: other tabs and pages stay usable meanwhile.")
        previewed = preview.form_submit_button("Show the effect on past compliance")
    if changes is not None and previewed:
        show_preview(policy_id, changes)
    if changes is not None and saved and not jobs.running(POLICY_JOB):
        save_policy(int(policy_id), int(current["version"]), changes, labels[policy_id])
    jobs.follow(POLICY_JOB)


def save_policy(policy_id: int, version: int, changes: dict, label: str) -> None:
    """Save the policy and recompute its items' SLA clocks in the background, followed by a progress bar."""
    engine = data.engine()
    jobs.start(POLICY_JOB, lambda progress: admin.update_policy(
        engine, policy_id=policy_id, expected_version=version, changes=changes, actor=user.email, progress=progress),
        text=f"Saving the {label} policy and recomputing its items' SLA clocks…", success=f"Saved the {label} targets.")


def policy_form(current) -> dict | None:
    """The policy's fields as inputs; returns the changes they describe (None when they cannot be read)."""
    left, right = st.columns(2)
    first = left.number_input("First response target (hours, 0 = none)", min_value=0.0, step=0.5,
                              value=float((current["first_response_minutes"] or 0) / 60), key="settings_policy_first")
    resolution = right.number_input("Resolution target (hours)", min_value=0.5, step=0.5,
                                    value=float(current["resolution_minutes"] / 60), key="settings_policy_resolution")
    clock = left.radio("The clock runs", ["calendar (24/7)", "business hours"], horizontal=True,
                       index=int(bool(current["business_hours"])), key="settings_policy_clock")
    zones = calendar.time_zones()
    zone = right.selectbox("Time zone of the business hours", zones, index=zones.index(current["timezone"] or "UTC"),
                           key="settings_policy_timezone")
    st.caption("Business hours per weekday, local time (blank = closed; several spans: 08:00-12:00, 13:00-17:00):")
    days = st.columns(7)
    shown = calendar.schedule_text(current["schedule"] or calendar.DEFAULT_SCHEDULE)
    hours = {day: days[i].text_input(day.title(), value=shown[day], key=f"settings_policy_day_{day}")
             for i, day in enumerate(calendar.WEEKDAYS)}
    known = calendar.PAUSE_CHOICES + [s for s in (current["pause_statuses"] or []) if s not in calendar.PAUSE_CHOICES]
    pauses = st.multiselect("Statuses that pause the clock", known, default=list(current["pause_statuses"] or []),
                            key="settings_policy_pauses")
    holidays = st.text_area("Holidays (one day a line: YYYY-MM-DD and a name; the clock does not run on them)",
                            value="\n".join(current["holidays"] or []), key="settings_policy_holidays", height=120)
    try:
        return {"first_response_minutes": round(first * 60) or None, "resolution_minutes": round(resolution * 60),
                "business_hours": clock == "business hours", "timezone": zone,
                "schedule": calendar.parse_schedule(hours), "pause_statuses": pauses,
                "holidays": calendar.holiday_days(holidays)}
    except CrowdPulseError as exc:
        st.error(str(exc))
        return None


def show_preview(policy_id: int, changes: dict) -> None:
    """Met, breached and compliance of the last weeks' items under the stored policy and under the change."""
    try:
        effect = admin.preview_policy(data.engine(), policy_id=int(policy_id), changes=changes, now=data.as_of())
    except CrowdPulseError as exc:
        st.error(str(exc))
        return
    st.caption(f"Effect on the items of the last {admin.PREVIEW_DAYS} days (nothing is saved yet):")
    widgets.table(effect, key="settings_policy_preview", filename="sla-policy-preview", column_config={
        "version": "Policy", "target": "Target", "met": "Met", "breached": "Breached",
        "compliance": st.column_config.NumberColumn("Compliance", format="percent")})


policies_tab, thresholds_tab, glossary_tab, people_tab, audit_tab, channels_tab = st.tabs(
    ["SLA policies", "Alert thresholds", "Glossary", "People and roles", "Audit trail", "Channels and alerts"])

with policies_tab:
    policies = data.policies()
    widgets.table(calendar.policy_overview(policies), key="settings_policies", filename="sla-policies",
                  empty="No SLA policies yet.",
                  column_config={"first_response_hours": st.column_config.NumberColumn("First response (h)", format="%.1f"),
                                 "resolution_hours": st.column_config.NumberColumn("Resolution (h)", format="%.1f")})
    if user.may("admin") and len(policies):
        edit_policy(policies)

with thresholds_tab:
    settings = data.admin_frame("settings")
    settings = settings[~settings["key"].astype("str").str.startswith(glossary.SETTING_PREFIX)]  # on the Glossary tab
    widgets.table(settings, key="settings_thresholds", filename="settings")
    if user.may("admin") and len(settings):
        with st.form("settings_threshold_form"):
            key = st.selectbox("Setting", settings["key"].tolist(), key="settings_threshold_key")
            row = settings.set_index("key").loc[key]
            value = st.text_input("Value (JSON: a number, text in quotes, true/false)", value=row["value"],
                                  key="settings_threshold_value")
            if st.form_submit_button("Save setting"):
                try:
                    parsed = json.loads(value)
                except json.JSONDecodeError:
                    st.error("That value is not valid JSON: write a number like 24, text in quotes like \"viewer\", "
                             "or true/false.")
                else:
                    attempt(lambda: admin.update_setting(data.engine(), key=key, value=parsed,
                                                         expected_version=int(row["version"]), actor=user.email),
                                                         f"Saved {key}.")

with glossary_tab:
    st.caption("Teach the message checks a project's words. A term with plain wording is flagged in messages to "
               "that project's taskers, with the plain wording as the fix ('pairwise' → 'side-by-side comparison'). "
               "A term with no plain wording is one those taskers know: it is never flagged.")
    glossary_projects = data.projects()
    project_names = dict(zip(glossary_projects["project_id"], glossary_projects["name"]))
    project_id = st.selectbox("Project", list(project_names), format_func=project_names.get,
                              key="settings_glossary_project")
    terms, terms_version = glossary.project_terms(data.engine(), project_id)
    if user.may("admin"):
        with st.form("settings_glossary_form"):
            left, right = st.columns(2)
            term = left.text_input("Term", key="settings_glossary_term", placeholder="pairwise")
            plain = right.text_input("Plain wording (empty: taskers know it)", key="settings_glossary_plain",
                                     placeholder="side-by-side comparison")
            if st.form_submit_button("Add or change the term"):
                attempt(lambda: glossary.save_project_terms(
                    data.engine(), project_id=project_id, rows=glossary.with_term(terms, term, plain),
                    expected_version=terms_version, actor=user.email),
                    f"Saved '{term}' for {project_names[project_id]}.")
        terms, terms_version = glossary.project_terms(data.engine(), project_id)  # as saved just now
        if terms:
            remove_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
            remove = remove_col.selectbox("Remove a term", [t for t, _plain in terms], key="settings_glossary_remove")
            if button_col.button("Remove", key="settings_glossary_remove_button"):
                attempt(lambda: glossary.save_project_terms(
                    data.engine(), project_id=project_id, rows=glossary.without_term(terms, remove),
                    expected_version=terms_version, actor=user.email), f"Removed '{remove}'.")
    terms = glossary.project_terms(data.engine(), project_id)[0]  # as saved just now
    widgets.table(glossary.terms_frame(terms), key="settings_glossary_terms",
                  filename=f"glossary-{project_id}", empty="No terms of its own yet: the shared glossary applies.")
    with st.expander(f"Shared glossary ({len(glossary.load_glossary())} terms, every project)"):
        widgets.table(glossary.terms_frame(glossary.load_glossary()),
                      key="settings_glossary_shared", filename="glossary-shared")

with people_tab:
    widgets.table(data.admin_frame("people"), key="settings_people", filename="people", empty="No staff accounts yet.")
    if user.may("admin"):
        with st.form("settings_person_form"):
            st.markdown("**Add a person or change a role**")
            c1, c2, c3, c4 = st.columns([3, 3, 2, 1], vertical_alignment="bottom")
            email = c1.text_input("Email", key="settings_person_email")
            name = c2.text_input("Name", key="settings_person_name")
            role = c3.selectbox("Role", people.ROLES, key="settings_person_role")
            active = c4.checkbox("Active", value=True, key="settings_person_active")
            if st.form_submit_button("Save person", key="settings_person_save"):
                attempt(lambda: people.save_person(data.engine(), email=email, name=name or email, role=role,
                                                   active=active, actor=user.email),
                        f"Saved {email} as {role}.")
        st.caption("People who sign in with an email not listed here get no access, unless the "
                   f"'{people.UNKNOWN_EMAIL_SETTING}' alert setting names a role such as \"viewer\".")

with audit_tab:
    if not user.may("admin"):
        st.info("Only admins can see the audit trail.")
    else:
        widgets.table(data.admin_frame("audit"), key="settings_audit", filename="audit-trail",
                      empty="No changes recorded yet.",
                      column_config={"at": st.column_config.DatetimeColumn("When (UTC)", format="D MMM YYYY HH:mm")})

with channels_tab:
    channels_and_alerts(user)
