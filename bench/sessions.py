"""The bench's served figures: N websocket sessions on a freshly started server (`scripts/loadtest.py`).

AppTest times a page inside one process; a person meets the page through `serve.py` (the same server
`make run` starts, with its background warm-up). This part starts that server on the bench's database,
visits each page once in order (the first visits after a start), then has N sessions open and rerun
each page together, and records each page's rerun p95 (DESIGN §9: ≤ 1 s with 25 sessions at large).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.postgres import free_port
from bench.report import TARGETS, Check, format_ms

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LOADTEST = PROJECT_ROOT / "scripts" / "loadtest.py"


def measure_sessions(url: str, pages: list[str], *, clients: int = 25, reruns: int = 3,
                     deadline: float = 1500.0) -> dict:
    """Start `serve.py` on `url`, visit each page once, then N sessions rerun it; the figures loadtest records."""
    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as folder:
        out = Path(folder) / "sessions.json"
        command = [sys.executable, str(LOADTEST), "--serve", "--port", str(free_port()), "--database", url,
                   "--pages", *pages, "--clients", str(clients), "--reruns", str(reruns),
                   "--deadline", str(deadline), "--out", str(out)]
        # TMPDIR: the server's log goes into this folder, read on failure and removed with it
        finished = subprocess.run(command, cwd=PROJECT_ROOT, env={**os.environ, "TMPDIR": folder},
                                  capture_output=True, text=True, timeout=deadline + 300)
        if finished.returncode != 0 or not out.exists():
            logs = "".join(log.read_text(errors="replace")[-1500:] for log in Path(folder).glob("crowdpulse-*.log"))
            return {"clients": clients, "error": ((finished.stderr or finished.stdout)[-1500:] + logs)[-3000:],
                    "pages": []}
        raw = json.loads(out.read_text(encoding="utf-8"))
    return {"clients": clients, "reruns_per_session": reruns, "error": None,
            "load_average": [round(v, 2) for v in raw["load_average"]],
            "pages": [{"page": r["page"], "first_visit_ms": raw["first_visit_fresh_server_ms"].get(r["page"]),
                       "first_load_p95_ms": r["first_load"]["p95_ms"], "rerun_p50_ms": r["rerun"]["p50_ms"],
                       "rerun_p95_ms": r["rerun"]["p95_ms"], "errors": r["errors"]} for r in raw["results"]]}


def session_checks(result: dict) -> list[Check]:
    """Each page's first visit after a server start and its rerun p95 with N sessions, against DESIGN §9."""
    figures = result.get("sessions")
    if not figures:
        return []
    if figures.get("error"):
        return [Check("sessions: the served app", None, "", None, note=f"ERROR: {figures['error'][-200:]}")]
    checks = []
    for index, page in enumerate(figures["pages"]):
        order = "the first visit after the server started" if index == 0 else \
            "its first visit, after the pages before it (the warm-up runs in the background)"
        checks.append(Check(f"{page['page']}: first visit on a fresh server", page["first_visit_ms"], "ms",
                            TARGETS["first_visit_ms"], note=order))
        note = f"p50 {format_ms(page['rerun_p50_ms'])}, first load p95 {format_ms(page['first_load_p95_ms'])}"
        if page["errors"]:
            note += f"; ERRORS: {'; '.join(page['errors'])[:120]}"
        checks.append(Check(f"{page['page']}: rerun p95, {figures['clients']} sessions", page["rerun_p95_ms"], "ms",
                            TARGETS["sessions_p95_ms"], note=note))
    return checks
