"""Long writes run beside the page: a thread runs one core call while the session keeps working and shows
its progress (`follow`), then its outcome."""

import logging
import threading
from collections.abc import Callable

import streamlit as st

from core.errors import CrowdPulseError

log = logging.getLogger(__name__)

# How often a page following a job redraws its progress bar.
POLL_SECONDS = 0.5


class BackgroundJob:
    """One core call in a thread of its own, told `progress(share, text)` as it goes; `error` says why it failed."""

    def __init__(self, work: Callable[[Callable[[float, str], None]], object], *, text: str, success: str):
        self.share, self.text, self.success = 0.0, text, success
        self.error: str | None = None
        # Not a daemon: a save cut off by the server stopping would roll back, but let it finish instead.
        self._thread = threading.Thread(target=self._run, args=(work,), name="crowdpulse-job")
        self._thread.start()

    def _run(self, work) -> None:
        try:
            work(self.report)
        except CrowdPulseError as exc:
            self.error = str(exc)
        except Exception as exc:  # the page must say the save failed, whatever the cause
            log.exception("background job failed")
            self.error = f"Nothing was saved: {exc}"

    def report(self, share: float, text: str) -> None:
        """The work's progress so far (0–1) and what it is doing."""
        self.share, self.text = min(max(share, 0.0), 1.0), text

    @property
    def running(self) -> bool:
        """Whether the work has not finished yet."""
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work finishes (at most `timeout` seconds); whether it has."""
        self._thread.join(timeout)
        return not self.running


def start(key: str, work, *, text: str, success: str) -> BackgroundJob:
    """Run `work(progress)` in the background for this session, under `key` in its session state."""
    job = BackgroundJob(work, text=text, success=success)
    st.session_state[key] = job
    return job


def running(key: str) -> bool:
    """Whether this session has a job under `key` that has not finished."""
    job = st.session_state.get(key)
    return job is not None and job.running


def follow(key: str) -> None:
    """Show the session's job under `key`: a progress bar while it runs (redrawn on its own, the rest of the page
    stays usable), then its outcome once, with the whole page rerun so it shows what the job wrote."""
    job = st.session_state.get(key)
    if job is None:
        return
    if job.running:
        _progress(key)
        return
    del st.session_state[key]
    if job.error:
        st.error(job.error)
    else:
        st.success(job.success)


@st.fragment(run_every=POLL_SECONDS)
def _progress(key: str) -> None:
    job = st.session_state.get(key)
    if job is None:
        return
    if not job.running:
        st.rerun()  # the whole page: the outcome and the data the job wrote
    st.progress(job.share, text=job.text)
