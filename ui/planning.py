"""Cached accessors of the Workforce planner and vendor lens: measured AHT, the arrival forecast, the roster."""

import pandas as pd

from core.queues.read import load_arrivals
from core.workforce import forecast as arrival_forecast
from core.workforce import handling, roster, vendors
from core.workforce.read import load_workforce_table
from ui.data import as_of, engine, on_data_version

# Handling times and the forecast's history: this many whole weeks before the data's last moment.
PLAN_WEEKS = 4


@on_data_version(8)
def _handled(queue: str, now: pd.Timestamp) -> pd.DataFrame:
    return handling.load_handled_items(engine(), queue, start=now - pd.Timedelta(weeks=PLAN_WEEKS), end=now)


def handled(queue: str) -> pd.DataFrame:
    """The queue's finished items of the last four weeks with their handling seconds (measured or imported)."""
    return _handled(queue, as_of())


@on_data_version(8)
def _forecast(queue: str, now: pd.Timestamp) -> arrival_forecast.ArrivalForecast:
    created = load_arrivals(engine(), queue, start=now - pd.Timedelta(weeks=PLAN_WEEKS + 1), end=now)["created_at"]
    return arrival_forecast.forecast_arrivals(created, now, weeks=PLAN_WEEKS)


def forecast(queue: str) -> arrival_forecast.ArrivalForecast:
    """The queue's arrivals over the next 168 hours, with both methods' error on the held-out week."""
    return _forecast(queue, as_of())


@on_data_version(8)
def shifts(queue: str, start: pd.Timestamp) -> pd.DataFrame:
    """Roster shifts of the queue overlapping the week that starts at `start`."""
    return roster.load_roster(engine(), start=start, end=start + pd.Timedelta(weeks=1), queue=queue)


@on_data_version(8)
def _vendor_members() -> pd.DataFrame:
    return vendors.load_vendor_members(engine())


@on_data_version(8)
def _lens(start, end, now: pd.Timestamp) -> pd.DataFrame:
    performance = load_workforce_table(engine(), start=start, end=end, by="vendor")
    sla = vendors.load_sla_by_vendor(engine(), start=pd.Timestamp(start, tz="UTC"),
                                     end=pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1))
    return vendors.vendor_lens(performance, vendors.onboarding_by_vendor(_vendor_members(), now), sla)


def vendor_lens(filters) -> pd.DataFrame:
    """Per vendor: quality, AHT, occupancy over the filters' days, onboarding outcomes, SLA share."""
    return _lens(filters.start, filters.end, as_of())


def vendor_taskers(vendor: str, outcome: str) -> pd.DataFrame:
    """The taskers behind one vendor's onboarding or status figure."""
    return vendors.vendor_taskers(_vendor_members(), vendor, outcome, as_of())
