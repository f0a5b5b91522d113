"""Two workers on one database never double-send (run with --postgres for PostgreSQL; SQLite otherwise)."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from core.comms import delivery
from tests.core.comms.receivers import SmtpServer

NOW = pd.Timestamp("2026-12-07 09:00", tz="UTC").to_pydatetime()
PROJECT_ROOT = Path(__file__).resolve().parents[3]


def test_two_worker_processes_on_one_database_send_each_delivery_exactly_once(engine, tmp_path):
    rows = [dict(recipient=f"t{i:02d}@example.org", subject="Hi", body="Hello", due_at=NOW) for i in range(40)]
    send_id = delivery.enqueue(engine, kind="message", channel="email", title="Hello", requested_by="priya",
                               key_prefix="two-workers", rows=rows, now=NOW)
    with SmtpServer() as smtp:
        env = {**os.environ, "CROWDPULSE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
               "CROWDPULSE_NOW": NOW.isoformat(), "CROWDPULSE_SMTP_URL": smtp.url,
               "CROWDPULSE_SMTP_FROM": "community@example.org", "CROWDPULSE_SMTP_PER_SECOND": "1000"}
        workers = [subprocess.Popen([sys.executable, "-m", "core", "worker", "--once", "--format", "json"],
                                    cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True) for _ in range(2)]
        outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    assert sorted(smtp.inbox.to()) == sorted(r["recipient"] for r in rows)
    assert delivery.recipients(engine, send_id)["status"].value_counts().to_dict() == {"sent": 40}
