"""Health: active-user tiles, funnel, cohorts and the split by segment."""


def test_health_tiles_show_active_taskers_and_rates(app):
    at = app("health")
    tiles = {m.label: m.value for m in at.metric}
    assert set(tiles) == {"Daily active", "Weekly active", "Monthly active", "Active rate", "Stickiness"}
    assert int(tiles["Monthly active"].replace(",", "")) >= int(tiles["Weekly active"].replace(",", ""))
    assert tiles["Active rate"].endswith("%")


def test_health_draws_the_active_trend_funnel_and_cohort_heatmap(app):
    at = app("health")
    specs = [chart.proto.spec for chart in at.get("vega_lite_chart")]
    assert len(specs) >= 4
    assert any('"rect"' in spec for spec in specs), "no retention heatmap"


def test_split_by_country_lists_each_country_once(app):
    at = app("health")
    at.segmented_control(key="health_split").set_value("country").run()
    table = next(frame.value for frame in at.dataframe if "country" in frame.value.columns)
    assert list(table.columns[:1]) == ["country"]
    assert table["country"].is_unique and len(table) == 12
