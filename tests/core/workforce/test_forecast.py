import numpy as np
import pandas as pd
import pytest

from core.workforce.capacity import CapacityInputError
from core.workforce.forecast import BASELINE, forecast_arrivals, hourly_counts, mean_absolute_error
from tests.core.factories import utc

NOW = utc("2026-11-30 00:00")  # a Monday: the forecast covers Mon 30 Nov – Sun 6 Dec


def arrivals_at(*moments_and_counts) -> pd.Series:
    """`created_at` moments: each (moment, n) repeated n times."""
    return pd.Series([utc(m) for m, n in moments_and_counts for _ in range(n)])


def test_hourly_counts_bins_each_item_into_its_hour():
    created = arrivals_at(("2026-11-02 00:10", 2), ("2026-11-02 02:59", 1), ("2026-11-02 03:00", 1))
    assert hourly_counts(created, utc("2026-11-02 00:00"), utc("2026-11-02 03:00")).tolist() == [2, 0, 1]


def test_the_held_out_week_scores_both_methods_and_the_better_one_forecasts():
    # Monday 09:00 over the five weeks before now: 4, 8, 4, 8 then the held-out week 6.
    created = arrivals_at(("2026-10-26 09:00", 4), ("2026-11-02 09:00", 8), ("2026-11-09 09:00", 4),
                          ("2026-11-16 09:00", 8), ("2026-11-23 09:00", 6))
    forecast = forecast_arrivals(created, NOW, weeks=4)
    # Held-out week (23-29 Nov): naive says 8 (the 16th), the mean of the 4 weeks before says 6.
    # Mean absolute error over 168 hours: |8-6| / 168 and 0.
    assert forecast.errors[BASELINE] == pytest.approx(2 / 168)
    assert forecast.errors["seasonal mean (same hour, last 4 weeks)"] == 0.0
    assert forecast.method.startswith("seasonal mean")
    monday_nine = forecast.frame.set_index("label").loc["Mon 09:00"]
    # Next week: naive = 6 (last week), mean of 8, 4, 8, 6 = 6.5; the mean is used.
    assert monday_nine[["baseline", "seasonal_mean", "arrivals_per_hour", "held_out_actual"]].tolist() == [
        6.0, 6.5, 6.5, 6]


def test_the_baseline_is_kept_when_the_other_method_does_not_beat_it():
    # A steady rise: last week's value predicts the held-out week better than the mean of four.
    created = arrivals_at(*((f"2026-{month}-{day} 12:00", n) for (month, day), n in zip(
        [("10", "28"), ("11", "04"), ("11", "11"), ("11", "18"), ("11", "25")], [2, 4, 6, 8, 10])))
    forecast = forecast_arrivals(created, NOW, weeks=4)
    assert forecast.method == BASELINE
    assert forecast.frame.set_index("label").loc["Wed 12:00", "arrivals_per_hour"] == 10.0


def test_a_forecast_from_midweek_places_each_hour_at_its_hour_of_the_week():
    created = arrivals_at(("2026-11-26 15:00", 3))  # Thursday 15:00, within the last week before now
    forecast = forecast_arrivals(created, utc("2026-11-27 10:20"), weeks=2)
    assert forecast.starts == utc("2026-11-27 10:00")
    assert forecast.frame.set_index("label").loc["Thu 15:00", "baseline"] == 3.0
    assert forecast.frame["baseline"].sum() == 3.0


def test_mean_absolute_error_and_the_two_week_minimum():
    assert mean_absolute_error(np.array([1.0, 3.0]), np.array([2, 2])) == 1.0
    with pytest.raises(CapacityInputError, match="two weeks"):
        forecast_arrivals(pd.Series([], dtype="datetime64[ns, UTC]"), NOW, weeks=1)
