"""Child process that fills one template: JSON in on stdin, JSON out on stdout.

It caps its own memory and CPU time before rendering, and raises out of a running template
when the wall-clock cap passes; the parent kills it if even that does not stop it.
"""

import json
import signal
import sys

from core.comms.errors import TemplateProblem
from core.comms.templates import CHILD_MEMORY_BYTES, render_in_sandbox


class _OutOfTime(Exception):
    pass


def _limit_resources(seconds: float) -> None:
    try:
        import resource
    except ImportError:  # not on Windows: the parent's timeout is the only cap there
        return
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    cpu = int(seconds) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _on_alarm(_signum, _frame):
    raise _OutOfTime()


def main() -> int:
    """Read the request, render subject and body, print the answer."""
    request = json.loads(sys.stdin.read())
    seconds = float(request.get("seconds", 2.0))
    _limit_resources(seconds)
    if hasattr(signal, "setitimer"):
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    answer: dict
    try:
        subject = render_in_sandbox(request["subject"], request["variables"], part="subject")
        body = render_in_sandbox(request["body"], request["variables"], part="body")
        answer = {"ok": True, "subject": subject.strip(), "body": body}
    except TemplateProblem as exc:
        answer = {"ok": False, "message": str(exc), "line": exc.line, "variable": exc.variable}
        if isinstance(exc.__cause__, _OutOfTime):
            answer["slow"] = True
    except _OutOfTime:
        answer = {"ok": False, "slow": True, "message": f"The template took longer than {seconds:g} s to fill; "
                  "look for a loop that never ends or a very large range."}
    finally:
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
