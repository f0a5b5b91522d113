"""CLI start-up: what `python -m core` costs before it does any work (DESIGN §9: ≤ 0.4 s).

Each command runs in a fresh interpreter, as a person or cron runs it the second time: with the
bytecode cache written (one unmeasured run first; PYTHONDONTWRITEBYTECODE is dropped, as a
shell that never set it would). Its start-up is the time
the interpreter spends importing (`-X importtime`: the top-level imports' cumulative times, the
interpreter's own included), which is the command's wall time minus its work; the plain wall
times are reported beside it.
"""

import os
import statistics
import subprocess
import sys
import time

# A metric over the roll-ups: its imports (pandas, SQLAlchemy, the models, one domain) are what a
# metrics command cannot avoid, and its work is small at every scale.
METRIC_COMMAND = ("metrics", "nps", "--format", "json")


def _run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Wall seconds and stderr of one `python -m core …` in a fresh interpreter."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"`python {' '.join(args)}` failed: {done.stderr.strip()[-500:]}")
    return elapsed, done.stderr


def import_seconds(importtime_log: str) -> float:
    """Seconds spent importing, from `-X importtime` output: the sum of the top-level imports' cumulative times."""
    total_us = 0
    for line in importtime_log.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        _, cumulative, name = line.split(":", 1)[1].split("|")
        if not name[1:].startswith(" "):  # a top-level import; nested ones are inside its cumulative time
            total_us += int(cumulative)
    return total_us / 1e6


def measure_cli(url: str, *, runs: int = 5) -> dict:
    """Medians of `runs` fresh runs: `--help` and one metrics command (wall), and the metric's start-up."""
    env = {**os.environ, "CROWDPULSE_DATABASE_URL": url}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    _run(["-m", "core", *METRIC_COMMAND], env)  # writes the bytecode cache; a first run compiles every module
    help_s = [_run(["-m", "core", "--help"], env)[0] for _ in range(runs)]
    metric_s = [_run(["-m", "core", *METRIC_COMMAND], env)[0] for _ in range(runs)]
    startup_s = [import_seconds(_run(["-X", "importtime", "-m", "core", *METRIC_COMMAND], env)[1])
                 for _ in range(runs)]
    return {
        "command": "python -m core " + " ".join(METRIC_COMMAND),
        "runs": runs,
        "help_ms": round(statistics.median(help_s) * 1000, 1),
        "metric_ms": round(statistics.median(metric_s) * 1000, 1),
        "startup_ms": round(statistics.median(startup_s) * 1000, 1),
    }
