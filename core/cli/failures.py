"""What `python -m core` prints when a command fails: one line in words and an exit status.

Loaded by `core.cli.main` only when a command has failed, so `--help` and quick commands do not
pay for importing the database layer.
"""

from core.db import database_problem
from core.errors import CrowdPulseError
from core.settings import get_settings


def one_line(exc: Exception) -> tuple[str | None, int]:
    """The line and exit status for a failure: a database away or broken (1), a domain error (1), bad input (2).

    None for anything else: a bug, whose traceback is what fixes it.
    """
    problem = database_problem(exc, get_settings().database_url)
    if problem is not None:
        return problem, 1
    if isinstance(exc, CrowdPulseError):
        return str(exc), 1
    if isinstance(exc, ValueError):
        return str(exc), 2
    return None, 1
