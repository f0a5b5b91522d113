"""First run: create the schema and seed the demo community when the database is empty."""

import streamlit as st

from core import db
from sqlalchemy.exc import OperationalError

from core.errors import DatabaseUnavailable
from core.settings import get_settings
from ui import data


def ensure_ready() -> None:
    """Make sure the schema exists and holds data; show progress while seeding; stop on failure."""
    if st.session_state.get("_db_ready"):
        return
    try:
        engine = data.engine()
        if db.is_empty(engine):
            from core.demo import seed_demo
            bar = st.progress(0.0, text="First run: creating the database…")
            seed_demo(engine, scale="demo", seed=get_settings().demo_seed,
                      progress=lambda fraction, message: bar.progress(min(fraction, 1.0), text=message))
            bar.empty()
        else:
            db.init_db(engine)
    except (DatabaseUnavailable, OperationalError) as exc:
        st.error(f"CrowdPulse cannot reach its database. {exc}\n\nCheck CROWDPULSE_DATABASE_URL and reload the page.")
        st.stop()
    st.session_state["_db_ready"] = True
