"""`python -m core import` and `sync-sheets`: the JSON contract, exit codes and one-line errors."""

import csv
import json
import subprocess
import sys

import pytest
from sqlmodel import Session, select

from core import models
from core.ingest import sheets
from core.__main__ import main


@pytest.fixture
def use_engine(engine, monkeypatch):
    """Point the CLI at the test's fresh database."""
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return engine


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


ACTIVITY = "member_id,project_id,day,tasks_submitted\nm1,p1,2026-03-01,4\nm2,p1,03/04/2026,x\n"


def test_import_json_prints_counts_and_where_the_rejects_are(use_engine, tmp_path, capsys):
    path = write(tmp_path, "activity.csv", ACTIVITY)
    rejects = tmp_path / "rejects.csv"
    assert main(["import", "activity", str(path), "--format", "json", "--rejects-out", str(rejects)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"inserted": 1, "updated": 0, "rejected": 1, "rejects_file": str(rejects)}
    with open(rejects, newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["row", "column", "value", "reason"],
            ["3", "day", "03/04/2026", "day is ambiguous: day/month or month/day? Set the date order (dayfirst) "
                                       "or write YYYY-MM-DD"],
            ["3", "tasks_submitted", "x", "tasks_submitted is not a number (use digits, with a dot for decimals)"]]


def test_import_json_without_rejects_has_a_null_file(use_engine, tmp_path, capsys):
    path = write(tmp_path, "members.csv", "member_id,handle\nm1,ana\n")
    assert main(["import", "members", str(path), "--format", "json"]) == 0
    assert capsys.readouterr().out.strip() == '{"inserted": 1, "updated": 0, "rejected": 0, "rejects_file": null}'


def test_map_set_and_dayfirst_options_reach_the_importer(use_engine, tmp_path, capsys):
    path = write(tmp_path, "tickets.csv", "Ticket,Opened\nt1,03/04/2026 09:00\n")
    assert main(["import", "queue_items", str(path), "--map", "item_id=Ticket", "--map", "created_at=Opened",
                 "--set", "queue=support", "--dayfirst", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["inserted"] == 1
    with Session(use_engine) as session:
        item = session.exec(select(models.QueueItem)).one()
    assert (item.item_id, item.queue, item.created_at.month, item.created_at.day) == ("t1", "support", 4, 3)


def test_dry_run_reports_counts_and_writes_nothing(use_engine, tmp_path, capsys):
    path = write(tmp_path, "members.csv", "member_id\nm1\nm2\n")
    assert main(["import", "members", str(path), "--dry-run", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["inserted"] == 2
    with Session(use_engine) as session:
        assert session.exec(select(models.Member)).all() == []


def test_reimport_counts_updates(use_engine, tmp_path, capsys):
    path = write(tmp_path, "members.csv", "member_id\nm1\nm2\n")
    main(["import", "members", str(path), "--format", "json"])
    capsys.readouterr()
    main(["import", "members", str(path), "--format", "json"])
    assert json.loads(capsys.readouterr().out) == {"inserted": 0, "updated": 2, "rejected": 0, "rejects_file": None}


def test_strict_rejection_exits_non_zero_with_one_line_on_stderr(use_engine, tmp_path):
    path = write(tmp_path, "activity.csv", ACTIVITY)
    env = {"CROWDPULSE_DATABASE_URL": use_engine.url.render_as_string(hide_password=False), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "core", "import", "activity", str(path), "--strict", "--format",
                             "json", "--rejects-out", str(tmp_path / "rejects.csv")], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 1
    assert json.loads(result.stdout)["inserted"] == 0 and json.loads(result.stdout)["rejected"] == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: Strict import of file:activity.csv")
    with Session(use_engine) as session:
        assert session.exec(select(models.Activity)).all() == []


@pytest.mark.parametrize("args, message", [
    (["import", "activity", "missing.csv"], "error: No such file: missing.csv"),
    (["import", "planets", "x.csv"], "error: Unknown entity 'planets'"),
    (["import", "activity", "{path}", "--map", "nonsense"], "error: Cannot read mapping 'nonsense'"),
])
def test_bad_input_fails_with_one_clear_line(use_engine, tmp_path, capsys, args, message):
    path = write(tmp_path, "activity.csv", ACTIVITY)
    assert main([a.replace("{path}", str(path)) for a in args]) == 1
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_sync_sheets_reports_each_source_and_fails_if_one_failed(use_engine, capsys, monkeypatch):
    from tests.core.ingest.test_sheets import FORM, KEY, ReplaySheets, client_for, metadata, values

    sheets.save_source(use_engine, name="Pulse", spreadsheet=KEY, worksheet="Form Responses 1",
                       entity="survey_responses", constants={"survey_id": "pulse-1"})
    sheets.save_source(use_engine, name="Old", spreadsheet=KEY, worksheet="Gone", entity="survey_responses")
    adapter = ReplaySheets(metadata=[(200, metadata("Form Responses 1"))], values=[(200, values(FORM))])
    monkeypatch.setattr(sheets, "client_from_settings", lambda secrets=None: client_for(adapter))
    assert main(["sync-sheets"]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("Pulse: 2 rows read: 2 new")
    assert captured.err.startswith("error: Old: Spreadsheet 'Pulse survey' has no worksheet named 'Gone'")
    assert main(["sync-sheets", "--source", "Pulse"]) == 0


def test_import_keeps_stored_values_under_blank_cells_unless_blank_clears(use_engine, tmp_path, capsys):
    first = write(tmp_path, "first.csv", "member_id,handle,country\nm1,ana,BR\n")
    blanks = write(tmp_path, "blanks.csv", "member_id,handle,country\nm1,,\n")
    assert main(["import", "members", str(first)]) == 0
    assert main(["import", "members", str(blanks), "--format", "json"]) == 0
    with Session(use_engine) as session:
        assert (session.get(models.Member, "m1").handle, session.get(models.Member, "m1").country) == ("ana", "BR")
    assert main(["import", "members", str(blanks), "--blank-clears", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["updated"] == 1
    with Session(use_engine) as session:
        assert (session.get(models.Member, "m1").handle, session.get(models.Member, "m1").country) == (None, None)
