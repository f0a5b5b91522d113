"""First run and failure handling: seed an empty database, and explain a database that is away."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.exc import DBAPIError, OperationalError

from core import db
from core.demo import seed_demo
from core.errors import DatabaseUnavailable
from core.settings import get_settings
from ui import data


def ensure_ready() -> None:
    """Make sure the schema exists and holds data; show progress while seeding the demo."""
    if st.session_state.get("_db_ready"):
        return
    engine = data.engine()
    if db.is_empty(engine):
        bar = st.progress(0.0, text="First run: creating the database…")
        seed_demo(engine, scale="demo", seed=get_settings().demo_seed,
                  progress=lambda fraction, message: bar.progress(min(fraction, 1.0), text=message))
        bar.empty()
    else:
        _migrate_once(engine.url.render_as_string(hide_password=False))
    st.session_state["_db_ready"] = True


@st.cache_resource(show_spinner=False)
def _migrate_once(url: str) -> bool:
    # Once per process, not per session: Alembic's context is not thread-safe, and sessions
    # arriving together used to crash upgrading the schema at the same moment.
    db.init_db(data.engine())
    return True


def is_unreachable(exc: BaseException) -> bool:
    """Whether a database error means the database is away, rather than a query it refused (`core.db`)."""
    return db.is_unreachable(exc)


@contextmanager
def database_guard(keep_page: Callable[[], object] | None = None) -> Iterator[None]:
    """Turn a database error into a clear message with a retry, instead of a traceback.

    `keep_page` is called on an error (the router registers its pages there when the navigation was not
    reached: a run that registers none sends the browser back to the default page, so "Try again" would
    open Today instead of the page the person was on).
    """
    try:
        yield
    except (DatabaseUnavailable, OperationalError, DBAPIError) as exc:
        if keep_page is not None:
            keep_page()
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:300]
        if is_unreachable(exc):
            st.error("CrowdPulse cannot reach its database right now, so this page cannot show current numbers. "
                     "Nothing you saved is lost. Check that the database is running "
                     f"(CROWDPULSE_DATABASE_URL), then try again.\n\nDetails: {detail}",
                     icon=":material/cloud_off:")
        else:
            st.error("The database refused a query this page needs, so it cannot show its numbers. Nothing you "
                     "saved is lost. Trying again will not help until this is fixed: please send these details "
                     f"to whoever runs CrowdPulse.\n\nDetails: {detail}", icon=":material/error:")
        if st.button("Try again", key="database_retry", icon=":material/refresh:"):
            st.rerun()
