"""A test worker that has run Playwright keeps a running event loop, so a test that starts its own loop
on the worker's thread (asyncio.run, anyio.run) fails depending on which files xdist gave that worker.
CI failed this way once; tests use ui.warmup.run_alone, which runs the coroutine on a thread of its own."""

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
OWN_LOOP = re.compile(r"\b(asyncio\.run|anyio\.run|run_until_complete)\(")


def test_no_test_starts_an_event_loop_on_the_workers_thread():
    offenders = [f"{path.relative_to(TESTS.parent)}:{number}: {line.strip()}"
                 for path in sorted(TESTS.rglob("*.py")) if path != Path(__file__).resolve()
                 for number, line in enumerate(path.read_text().splitlines(), 1) if OWN_LOOP.search(line)]
    assert offenders == []
