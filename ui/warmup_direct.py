"""The warm-up when sign-in is required: the cached accessors the pages open with, called directly with the default
filters (a loopback session is not signed in, so it cannot run the pages).

Each step is the accessor call its page makes first, with the arguments a new visitor's default filters give
(the last `filters.DEFAULT_DAYS` days of data, every project and region, no page-level picks), so the page's
first visit finds those entries cached. Calls made later in a page (tabs, pickers, downloads) are not warmed.
The accessors need no script run: outside one they read the data versions on each call.
"""

import time
from collections.abc import Callable

from streamlit.logger import get_logger

from ui import data, filters
from ui import feedback as voice
from ui import health as health_data
from ui import queues as queue_data

log = get_logger(__name__)


def default_filters() -> filters.Filters:
    """The filters a new session starts with (`ui.filters._seed_from_url` without a query string)."""
    as_of = data.as_of().date()
    return filters.Filters(start=filters.default_start(as_of), end=as_of, projects=(), regions=())


def steps(f: filters.Filters) -> dict[str, Callable[[], object]]:
    """Name → the accessor call the filter bar or a page opens with, under filters `f`."""
    return {
        "filter bar": lambda: (data.filter_choices(), data.freshness()),
        "today": lambda: data.today(f),
        "queues": lambda: (queue_data.choices(f), queue_data.overview(f, [], [])),
        "workforce": lambda: (queue_data.workforce_summary(f), queue_data.confusion(f)),
        "feedback": lambda: (voice.overview(f), voice.brief_report(f)),
        "health": lambda: (health_data.health(f), health_data.health_split(f, "region")),
    }


def warm() -> dict[str, float]:
    """Run every step once (a failing step is logged and skipped); seconds per step."""
    took = {}
    for name, step in steps(default_filters()).items():
        started = time.perf_counter()
        try:
            step()
        except Exception as problem:  # a step that fails warms nothing; its page will show the error
            log.warning("direct warm-up of %s failed: %s", name, problem)
            continue
        took[name] = time.perf_counter() - started
        log.info("warmed %s directly in %.2f s", name, took[name])
    return took
