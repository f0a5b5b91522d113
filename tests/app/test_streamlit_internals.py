"""The Streamlit internals `ui` relies on still behave as it expects (each fails loudly on an upgrade that changes them).

- `ui.data.version` memoises the data version on the `ScriptRunContext`, telling runs apart by its
  `cursors` dict (a new one on each run).
- `ui.charts` converts chart data with `streamlit.dataframe_util.convert_anything_to_arrow_bytes`
  once, and `st.vega_lite_chart` sends a dataset that is already Arrow bytes as it is.
"""

import dataclasses

import pandas as pd
from streamlit.testing.v1 import AppTest

from core import db
from ui import data


def test_script_run_context_has_a_cursors_dict_that_each_run_replaces():
    from streamlit.runtime.scriptrunner import ScriptRunContext

    assert "cursors" in {field.name for field in dataclasses.fields(ScriptRunContext)}

    def script():
        import streamlit as st
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
        ctx._crowdpulse_probe = True  # ui.data keeps its memo on the context: it must take an attribute
        st.session_state.setdefault("cursors_seen", []).append(ctx.cursors)

    at = AppTest.from_function(script).run()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    first, second = at.session_state["cursors_seen"]
    assert isinstance(first, dict) and isinstance(second, dict) and first is not second


def test_the_data_version_is_read_once_per_run_inside_streamlit(engine, monkeypatch):
    monkeypatch.setattr(data, "engine", lambda: engine)
    reads = []
    real = db.data_versions
    monkeypatch.setattr(db, "data_versions", lambda e: reads.append(1) or real(e))

    def script():
        from ui import data

        for _ in range(3):
            data.version()

    at = AppTest.from_function(script).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(reads) == 1
    at.run()
    assert len(reads) == 2


def test_arrow_conversion_is_the_one_streamlit_applies_and_bytes_are_sent_as_they_are():
    from streamlit import dataframe_util

    frame = pd.DataFrame({"queue": ["review", "support"], "count": [3, 5]})
    assert isinstance(dataframe_util.convert_anything_to_arrow_bytes(frame), bytes)

    def script():
        import pandas as pd

        from core import charts as core_charts
        from ui import charts, widgets

        frame = pd.DataFrame({"queue": ["review", "support"], "count": [3, 5]})
        widgets.chart(charts.bars(frame, "queue", "count"))  # datasets already Arrow bytes
        widgets.chart(core_charts.bars(frame, "queue", "count"))  # datasets left to Streamlit to convert

    at = AppTest.from_function(script).run()
    assert not at.exception, [e.value for e in at.exception]
    ours, streamlits = ([d.data.data for d in chart.proto.datasets] for chart in at.get("vega_lite_chart"))
    assert ours and ours == streamlits
