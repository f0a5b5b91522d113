"""A page's CSV download is safe to open in a spreadsheet: no cell runs as a formula, whatever was imported."""

import csv
import datetime as dt
import io
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from core import models, rollups
from core.demo import seed_demo
from tests.app.conftest import APP

# Vendor names as an import could carry them: a formula, each character a spreadsheet reads as one, a bare CR.
HOSTILE_VENDORS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "ok\r=1+1"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def hostile_vendors(engine, monkeypatch):
    """A tiny demo whose most active taskers each work for a vendor named like a formula."""
    seed_demo(engine, scale="tiny", seed=7, anchor=dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC))
    with engine.connect() as connection:
        busiest = connection.execute(text(
            "SELECT member_id FROM activity JOIN member USING (member_id) "
            "WHERE day >= '2026-11-01' AND NOT member.is_staff AND NOT member.is_bot GROUP BY member_id "
            "ORDER BY SUM(tasks_submitted) DESC, member_id LIMIT :n"), {"n": len(HOSTILE_VENDORS)}).scalars().all()
    with Session(engine) as session:
        for member_id, vendor in zip(busiest, HOSTILE_VENDORS):
            session.get(models.Member, member_id).vendor = vendor
        session.commit()
    with engine.begin() as connection:
        rollups.refresh(connection, "members", ids=busiest)
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("CROWDPULSE_NOW", "2026-11-20T12:00:00Z")
    return engine


@pytest.fixture
def deferred_downloads(monkeypatch) -> dict:
    """The file writers download buttons register (AppTest's runtime is gone once a run ends), by file id."""
    writers = {}
    register = MediaFileManager.add_deferred

    def remember(self, data_callable, *args, **kwargs):
        file_id = register(self, data_callable, *args, **kwargs)
        writers[file_id] = data_callable
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", remember)
    return writers


def download_payload(at: AppTest, writers: dict, key: str) -> bytes:
    """What the download button with this widget key hands the browser when clicked."""
    button = next(b for b in at.get("download_button") if b.proto.id.endswith(f"{key}_csv"))
    return writers[button.proto.deferred_file_id]()


def test_the_workforce_vendor_csv_neutralises_every_formula_cell(hostile_vendors, deferred_downloads):
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("app_pages/workforce.py").run()
    at.session_state["workforce_tab"] = "Taskers, projects, vendors"
    at.session_state["workforce_dimension"] = "vendor"
    at.run()
    assert not at.exception, [e.value for e in at.exception]

    payload = download_payload(at, deferred_downloads, "workforce_table").decode("utf-8")
    assert "\r" not in payload  # no bare CR left for a spreadsheet to split a row at
    rows = list(csv.DictReader(io.StringIO(payload)))
    vendors = [row["vendor"] for row in rows]
    assert "'=HYPERLINK(\"http://x\",\"y\")" in vendors
    assert {"'+1+1", "'-2+3", "'@SUM(A1)", "'\t=1+1", "'\n=1+1", "ok\n=1+1"} <= set(vendors)
    for row in rows:  # every text cell of every column, not only the vendor's
        for value in row.values():
            assert not value.startswith(FORMULA_START), row


def test_the_tables_own_toolbar_cannot_export_raw_formula_cells():
    # st.dataframe's "Download as CSV" writes cells as they are (and only the rows sent): the app hides it, and
    # every table has its own neutralised, complete "Download CSV" button.
    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True
