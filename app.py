"""CrowdPulse: the router. Page config, who is signed in, the pages their role may see, the shared filters."""

import streamlit as st

from ui import auth, bootstrap, filters, warmup

st.set_page_config(page_title="CrowdPulse", page_icon="data/icon.png", layout="wide")

# section → (least role, page); people see only the pages their role allows
PAGES = {
    "Act": [
        ("viewer", st.Page("app_pages/today.py", title="Today", icon=":material/notifications_active:", default=True)),
        ("viewer", st.Page("app_pages/queues.py", title="Queues", icon=":material/inbox:", url_path="queues")),
        ("viewer", st.Page("app_pages/workforce.py", title="Workforce", icon=":material/engineering:", url_path="workforce")),
        ("viewer", st.Page("app_pages/feedback.py", title="Feedback", icon=":material/forum:", url_path="feedback")),
    ],
    "Report": [
        ("viewer", st.Page("app_pages/health.py", title="Health", icon=":material/monitor_heart:", url_path="health")),
        ("viewer", st.Page("app_pages/weekly.py", title="Weekly", icon=":material/calendar_month:", url_path="weekly")),
    ],
    "Communicate": [
        ("specialist", st.Page("app_pages/comms.py", title="Comms studio", icon=":material/edit_note:", url_path="comms")),
        ("viewer", st.Page("app_pages/launch.py", title="Launch readiness", icon=":material/rocket_launch:", url_path="launch")),
    ],
    "Admin": [
        ("specialist", st.Page("app_pages/data.py", title="Data", icon=":material/database:", url_path="data")),
        ("manager", st.Page("app_pages/settings.py", title="Settings", icon=":material/settings:", url_path="settings")),
    ],
}

# A database away before the navigation: the pages are registered, hidden, so "Try again" reopens the page the
# person was on (a run that registers none sends the browser to the default page).
EVERY_PAGE = [page for pages in PAGES.values() for _role, page in pages]
navigated = []
with bootstrap.database_guard(keep_page=lambda: navigated or st.navigation(EVERY_PAGE, position="hidden")):
    bootstrap.ensure_ready()
    user = auth.sign_in()
    allowed = {section: [page for role, page in pages if user.may(role)] for section, pages in PAGES.items()}
    page = st.navigation({section: pages for section, pages in allowed.items() if pages})
    navigated.append(page)
    auth.sidebar_badge(user)
    filters.sidebar_filters(page.url_path)
    page.run()
    warmup.start(p.url_path for p in EVERY_PAGE)  # once per process: serve.py starts it, else the first page
