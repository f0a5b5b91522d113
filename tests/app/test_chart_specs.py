"""Page charts are built once per content and stay intact while sessions render them."""

import pandas as pd
from streamlit.testing.v1 import AppTest

from ui import charts


def _weekly(value: float) -> pd.DataFrame:
    return pd.DataFrame({"week": ["2026-W45", "2026-W46", "2026-W47"], "value": [1.0, 2.0, value]})


def test_the_same_content_gives_the_same_spec_and_new_content_a_new_one():
    first = charts.line(_weekly(3.0), "week", "value", x_type="O")
    again = charts.line(_weekly(3.0), "week", "value", x_type="O")  # an equal frame, built anew
    changed = charts.line(_weekly(4.0), "week", "value", x_type="O")
    titled = charts.line(_weekly(3.0), "week", "value", x_type="O", y_title="members")

    assert again is first
    assert changed is not first and titled is not first
    assert all(isinstance(data, bytes) for data in first["datasets"].values())  # Arrow, ready to send


def test_rendering_a_shared_spec_twice_leaves_it_whole():
    spec = charts.bars(pd.DataFrame({"queue": ["review", "support"], "count": [3, 5]}), "queue", "count")
    datasets = dict(spec["datasets"])

    def script():
        import pandas as pd

        from ui import charts, widgets
        frame = pd.DataFrame({"queue": ["review", "support"], "count": [3, 5]})
        widgets.chart(charts.bars(frame, "queue", "count"))
        widgets.chart(charts.bars(frame, "queue", "count"))

    at = AppTest.from_function(script).run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 2
    assert spec["datasets"] == datasets and "mark" in spec
