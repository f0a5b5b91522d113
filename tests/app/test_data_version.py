"""The data version is read once per script run, yet a write is never missed."""

from types import SimpleNamespace

from sqlmodel import Session

from core import db
from ui import data


def _bump_from_another_server(engine) -> None:
    with Session(engine) as session:
        row = session.get(db.models.DataVersion, 1)
        row.version += 1
        session.add(row)
        session.commit()


def test_one_read_per_run_and_writes_are_seen(engine, monkeypatch):
    monkeypatch.setattr(data, "engine", lambda: engine)
    run = SimpleNamespace(cursors={})
    monkeypatch.setattr(data, "get_script_run_ctx", lambda suppress_warning=False: run)
    reads = []
    real = db.data_versions
    monkeypatch.setattr(db, "data_versions", lambda e: reads.append(1) or real(e))

    first = data.version()
    assert data.version() == first and len(reads) == 1  # the rest of the run reuses it

    _bump_from_another_server(engine)
    assert data.version() == first  # another server's write shows on the next run…
    run.cursors = {}  # …which is what a rerun looks like (ScriptRunContext.reset)
    assert data.version() == first + 1 and len(reads) == 2

    with db.session_scope(engine) as session:  # a write made by this process, mid-run
        db.bump_data_version(session)
    assert data.version() == first + 2 and len(reads) == 3


def test_outside_a_script_run_every_call_reads(engine, monkeypatch):
    monkeypatch.setattr(data, "engine", lambda: engine)
    monkeypatch.setattr(data, "get_script_run_ctx", lambda suppress_warning=False: None)
    before = data.version()
    _bump_from_another_server(engine)
    assert data.version() == before + 1
