"""Next week's arrivals per hour of the week, from history, with the error each method made on a held-out week.

Two methods: the seasonal naive baseline (next week = the last week, hour by hour) and the
seasonal mean (each hour of the week = its mean over the last `weeks` weeks). Both forecast the
most recent full week from the weeks before it; the one with the lower mean absolute error there
forecasts next week, and the baseline wins ties (a better method must beat it, not match it).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.frames import as_timestamp
from core.workforce.capacity import HOURS_PER_WEEK, CapacityInputError, hour_of_week, week_hours_frame

BASELINE = "seasonal naive (same hour last week)"
SEASONAL_MEAN = "seasonal mean (same hour, last {weeks} weeks)"


@dataclass(frozen=True)
class ArrivalForecast:
    """Next week's arrivals per hour of the week, the method used and both methods' held-out error."""

    frame: pd.DataFrame  # hour_of_week, day, hour, label, arrivals_per_hour, baseline, seasonal_mean, held_out_actual
    method: str
    errors: dict  # method name → mean absolute error (items per hour) on the held-out week
    held_out_start: pd.Timestamp
    starts: pd.Timestamp  # the first hour forecast


def hourly_counts(created: pd.Series, start, end) -> np.ndarray:
    """Items created in each hour of [start, end) (start on the hour), oldest first."""
    begin, finish = as_timestamp(start), as_timestamp(end)
    offsets = ((created[(created >= begin) & (created < finish)] - begin) // pd.Timedelta(hours=1)).to_numpy()
    return np.bincount(offsets.astype("int64"), minlength=int((finish - begin) / pd.Timedelta(hours=1)))


def seasonal_naive(history: np.ndarray) -> np.ndarray:
    """The next 168 hours as a copy of the last 168."""
    return history[-HOURS_PER_WEEK:].astype("float64")


def seasonal_mean(history: np.ndarray, weeks: int) -> np.ndarray:
    """The next 168 hours as the mean of the same hour over the last `weeks` weeks."""
    return history[-HOURS_PER_WEEK * weeks:].reshape(weeks, HOURS_PER_WEEK).mean(axis=0)


def mean_absolute_error(forecast: np.ndarray, actual: np.ndarray) -> float:
    """Mean absolute difference, items per hour."""
    return float(np.abs(np.asarray(forecast, dtype="float64") - actual).mean())


def forecast_arrivals(created: pd.Series, now, *, weeks: int = 4) -> ArrivalForecast:
    """Forecast the 168 hours after `now` (floored to the hour) from the items' `created_at` moments before it."""
    if weeks < 2:
        raise CapacityInputError("Cannot forecast arrivals: the seasonal mean needs at least two weeks.")
    starts = as_timestamp(now).floor("h")
    history = hourly_counts(created, starts - pd.Timedelta(weeks=weeks + 1), starts)
    held_out, before = history[-HOURS_PER_WEEK:], history[:-HOURS_PER_WEEK]
    mean_name = SEASONAL_MEAN.format(weeks=weeks)
    errors = {BASELINE: mean_absolute_error(seasonal_naive(before), held_out),
              mean_name: mean_absolute_error(seasonal_mean(before, weeks), held_out)}
    method = mean_name if errors[mean_name] < errors[BASELINE] else BASELINE
    baseline, mean = seasonal_naive(history), seasonal_mean(history, weeks)
    # Position k of the forecast is the hour starting at starts + k hours; put it at its hour of the week.
    slots = hour_of_week(pd.Series(pd.date_range(starts, periods=HOURS_PER_WEEK, freq="h"))).to_numpy()
    order = np.argsort(slots)
    frame = week_hours_frame().assign(
        baseline=baseline[order], seasonal_mean=mean[order], held_out_actual=held_out[order].astype("int64"))
    frame["arrivals_per_hour"] = frame["seasonal_mean" if method == mean_name else "baseline"]
    return ArrivalForecast(frame, method, errors, starts - pd.Timedelta(weeks=1), starts)
