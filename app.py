"""CrowdPulse: the router. Page config, the navigation, the shared filter bar, run the page."""

import streamlit as st

from ui import bootstrap, filters

st.set_page_config(page_title="CrowdPulse", page_icon="data/icon.png", layout="wide")

PAGES = {
    "Act": [
        st.Page("pages/today.py", title="Today", icon=":material/notifications_active:", default=True),
        st.Page("pages/queues.py", title="Queues", icon=":material/inbox:", url_path="queues"),
        st.Page("pages/workforce.py", title="Workforce", icon=":material/engineering:", url_path="workforce"),
        st.Page("pages/feedback.py", title="Feedback", icon=":material/forum:", url_path="feedback"),
    ],
    "Report": [
        st.Page("pages/health.py", title="Health", icon=":material/monitor_heart:", url_path="health"),
        st.Page("pages/weekly.py", title="Weekly", icon=":material/calendar_month:", url_path="weekly"),
    ],
    "Communicate": [
        st.Page("pages/comms.py", title="Comms studio", icon=":material/edit_note:", url_path="comms"),
        st.Page("pages/launch.py", title="Launch readiness", icon=":material/rocket_launch:", url_path="launch"),
    ],
    "Admin": [
        st.Page("pages/data.py", title="Data", icon=":material/database:", url_path="data"),
        st.Page("pages/settings.py", title="Settings", icon=":material/settings:", url_path="settings"),
    ],
}

page = st.navigation(PAGES)
st.sidebar.caption("Local mode: one user, full access. Add [auth] to secrets to require sign-in.")
with bootstrap.database_guard():
    bootstrap.ensure_ready()
    filters.sidebar_filters()
    page.run()
