"""The private Streamlit internals the page driver (`bench.pages`) relies on, each with why and a probe.

Streamlit may rename any of these in a minor release. `tests/bench/test_bench.py` probes every
entry, so an upgrade that removes one fails with the internal's name instead of bending the
figures quietly.
"""

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields

import streamlit.logger
from streamlit.components.v2.component_manager import BidiComponentManager
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import script_cache
from streamlit.runtime.scriptrunner_utils import script_run_context
from streamlit.testing.v1 import AppTest, app_test, local_script_runner


@dataclass(frozen=True)
class Internal:
    """One private name the bench uses, why it is worth it, and a check that it is still there."""

    name: str
    why: str
    present: Callable[[], bool]


def _app_test_has(attribute: str) -> Callable[[], bool]:
    return lambda: hasattr(AppTest.from_string("pass"), attribute)


# st.Page needs a running script, so the page is built inside one.
_PAGE_PROBE = """
import streamlit as st

def landing():
    pass

page = st.Page(landing, title="probe")
st.session_state["attributes"] = [name for name in ("_page", "_script_hash") if hasattr(page, name)]
"""


@functools.cache
def _page_attributes() -> tuple[str, ...]:
    try:
        at = AppTest.from_string(_PAGE_PROBE).run()
        return tuple(at.session_state["attributes"]) if "attributes" in at.session_state else ()
    except Exception:  # a Streamlit that cannot run the probe has, for the bench, neither attribute
        return ()


def _page_has(attribute: str) -> Callable[[], bool]:
    return lambda: attribute in _page_attributes()


def _discovery_takes_file_watching() -> bool:
    method = getattr(BidiComponentManager, "discover_and_register_components", None)
    return method is not None and "start_file_watching" in inspect.signature(method).parameters


STEERING = ("steers st.navigation to the page being timed, as a browser URL does; without it a cold run "
            "first renders Today (312 ms cold at demo, 1.26 s at large, README) and starts with its caches filled")

INTERNALS = (
    Internal("StreamlitPage._page", STEERING, _page_has("_page")),
    Internal("StreamlitPage._script_hash", STEERING, _page_has("_script_hash")),
    Internal("ScriptRunContext.pages_manager", STEERING,
             lambda: "pages_manager" in {f.name for f in fields(script_run_context.ScriptRunContext)}),
    Internal("streamlit.runtime.scriptrunner_utils.script_run_context.get_script_run_ctx", STEERING,
             lambda: callable(getattr(script_run_context, "get_script_run_ctx", None))),
    Internal("PagesManager.set_script_intent", STEERING, lambda: hasattr(PagesManager, "set_script_intent")),
    Internal("AppTest._page_hash", "every run starts from the router with no page requested; " + STEERING,
             _app_test_has("_page_hash")),
    Internal("AppTest._finished_page_script_hash", "every run starts from the router with no page requested; "
             + STEERING, _app_test_has("_finished_page_script_hash")),
    Internal("streamlit.testing.v1.app_test.ScriptCache", "one compiled-script cache for every run, as a server "
             "keeps; AppTest builds a new one per run (~50 ms of AST rewriting each)",
             lambda: hasattr(app_test, "ScriptCache")),
    Internal("streamlit.testing.v1.local_script_runner.ScriptCache", "as app_test.ScriptCache (~50 ms a run)",
             lambda: hasattr(local_script_runner, "ScriptCache")),
    Internal("streamlit.runtime.scriptrunner.script_cache.ScriptCache", "as app_test.ScriptCache (~50 ms a run)",
             lambda: hasattr(script_cache, "ScriptCache")),
    Internal("AppTest._bidi_component_manager", "one custom-component registry for every session, as a server "
             "discovers components once; AppTest scans packages per session (~55 ms a cold run)",
             _app_test_has("_bidi_component_manager")),
    Internal("BidiComponentManager.discover_and_register_components(start_file_watching=)",
             "as AppTest._bidi_component_manager (~55 ms a cold run)", _discovery_takes_file_watching),
    Internal("streamlit.logger.set_log_level", "silences the two warnings AppTest logs on every session "
             "(missing ScriptRunContext, no runtime found), a pair per timed run",
             lambda: hasattr(streamlit.logger, "set_log_level")),
)


def missing() -> list[Internal]:
    """The internals this Streamlit no longer has."""
    return [internal for internal in INTERNALS if not internal.present()]
