"""Settings: SLA policies, alert thresholds, people and roles, and the audit trail."""

import json

import streamlit as st

from core import admin, people
from core.comms import glossary
from core.errors import CrowdPulseError
from ui import auth, data, widgets
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


policies_tab, thresholds_tab, glossary_tab, people_tab, audit_tab, channels_tab = st.tabs(
    ["SLA policies", "Alert thresholds", "Glossary", "People and roles", "Audit trail", "Channels and alerts"])

with policies_tab:
    policies = data.policies()
    shown = policies.assign(
        resolution_hours=policies["resolution_minutes"] / 60,
        first_response_hours=policies["first_response_minutes"] / 60,
        clock=policies["business_hours"].map({True: "business hours", False: "calendar (24/7)"}),
        pauses=policies["pause_statuses"].map(lambda v: ", ".join(v) if isinstance(v, list) else ""),
    )
    widgets.table(shown[["queue", "priority", "first_response_hours", "resolution_hours", "clock", "timezone", "pauses"]],
                  key="settings_policies", filename="sla-policies", empty="No SLA policies yet.",
                  column_config={"first_response_hours": st.column_config.NumberColumn("First response (h)", format="%.1f"),
                                 "resolution_hours": st.column_config.NumberColumn("Resolution (h)", format="%.1f")})
    if user.may("admin") and len(policies):
        with st.form("settings_policy_form"):
            st.markdown("**Change a target**")
            labels = {row.id: f"{row.queue} / {row.priority}" for row in policies.itertuples()}
            policy_id = st.selectbox("Policy", list(labels), format_func=labels.get, key="settings_policy")
            current = policies.set_index("id").loc[policy_id]
            left, right = st.columns(2)
            first = left.number_input("First response target (hours, 0 = none)", min_value=0.0, step=0.5,
                                      value=float((current["first_response_minutes"] or 0) / 60), key="settings_policy_first")
            resolution = right.number_input("Resolution target (hours)", min_value=0.5, step=0.5,
                                            value=float(current["resolution_minutes"] / 60), key="settings_policy_resolution")
            if st.form_submit_button("Save target"):
                attempt(lambda: admin.update_policy(
                    data.engine(), policy_id=int(policy_id), expected_version=int(current["version"]),
                    changes={"first_response_minutes": round(first * 60) or None, "resolution_minutes": round(resolution * 60)},
                    actor=user.email, actor_role=user.role), f"Saved the {labels[policy_id]} targets.")

with thresholds_tab:
    settings = data.admin_frame("settings")
    settings = settings[~settings["key"].str.startswith(glossary.SETTING_PREFIX)]  # on the Glossary tab
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
                                                         expected_version=int(row["version"]), actor=user.email,
                                                         actor_role=user.role), f"Saved {key}.")

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
                    expected_version=terms_version, actor=user.email, actor_role=user.role),
                    f"Saved '{term}' for {project_names[project_id]}.")
        terms, terms_version = glossary.project_terms(data.engine(), project_id)  # as saved just now
        if terms:
            remove_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
            remove = remove_col.selectbox("Remove a term", [t for t, _plain in terms], key="settings_glossary_remove")
            if button_col.button("Remove", key="settings_glossary_remove_button"):
                attempt(lambda: glossary.save_project_terms(
                    data.engine(), project_id=project_id, rows=glossary.without_term(terms, remove),
                    expected_version=terms_version, actor=user.email, actor_role=user.role), f"Removed '{remove}'.")
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
                                                   active=active, actor=user.email, actor_role=user.role),
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
