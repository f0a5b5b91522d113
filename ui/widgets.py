"""Widgets every page shares: KPI tiles, tables with CSV download, clickable charts, empty states."""

import threading

import altair as alt
import pandas as pd
import streamlit as st

from core.comms.workflow import save_segment
from core.errors import CrowdPulseError
from core.exports import markdown_literal, to_safe_csv
from core.people import mask_personal
from ui import auth, data, filters


def kpi(column, label: str, value, *, delta=None, fmt: str = "{:,.0f}", delta_fmt: str | None = None,
        inverse: bool = False, help: str | None = None) -> None:
    """A KPI tile with a week-over-week delta; `inverse` when lower is better; `delta` may be preformatted text."""
    shown = "—" if value is None or pd.isna(value) else fmt.format(value)
    shown_delta = None
    if isinstance(delta, str):
        shown_delta = None if delta == "—" else delta
    elif delta is not None and not pd.isna(delta):
        shown_delta = (delta_fmt or fmt).format(delta)
        if delta > 0 and not shown_delta.startswith("+"):
            shown_delta = "+" + shown_delta
    column.metric(label, shown, shown_delta, delta_color="inverse" if inverse else "normal", help=help, border=True)


# Rows a table shows in the page; the CSV download always has every row. Lists come sorted by
# what needs attention first, and at the large scale some hold thousands of rows: sending them all
# to the browser on every rerun cost more than the rest of the page.
SHOWN_ROWS = 250


def table(frame: pd.DataFrame, *, key: str, filename: str, column_config: dict | None = None,
          height: int | None = None, empty: str = "Nothing to show for these filters.") -> None:
    """A data table (its first SHOWN_ROWS rows) with a CSV download of all of it (formula-like cells neutralised)."""
    if frame.empty:
        st.info(empty)
        return
    frame = visible_to_user(frame)
    shown = frame if len(frame) <= SHOWN_ROWS else frame.head(SHOWN_ROWS)
    st.dataframe(shown, hide_index=True, column_config=column_config, key=key, height=height or "auto")
    if len(shown) < len(frame):
        st.caption(f"Showing the first {len(shown):,} of {len(frame):,} rows; the CSV download has them all.")
    download(frame, key=key, filename=filename)


def visible_to_user(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as the signed-in person may see it: viewers get emails and handles masked."""
    return frame if auth.current_user().may("specialist") else mask_personal(frame)


def download(frame: pd.DataFrame, *, key: str, filename: str) -> None:
    """The CSV download button for a table shown some other way (masked as the table is).

    The file is written only when someone clicks (it used to be rebuilt for every table on every rerun).
    """
    shown = visible_to_user(frame)  # decided here: the deferred writer runs outside the page's session
    st.download_button("Download CSV", lambda: to_safe_csv(shown), file_name=f"{filename}.csv",
                       mime="text/csv", key=f"{key}_csv", icon=":material/download:")


def message_button(member_ids: list[str], *, label: str, template: str, key: str, comms_page,
                   project_id: str | None = None) -> None:
    """'Draft a message' to exactly these taskers: hands the audience to `comms_page`, the Comms studio."""
    if not member_ids:
        return
    if st.button(f"Draft a message to these {len(member_ids):,} {label}", key=key, icon=":material/edit_note:"):
        st.session_state["comms_handoff"] = {"member_ids": list(member_ids), "label": label, "template": template,
                                             "project_id": project_id}
        st.switch_page(comms_page)


def lazy_tabs(sections: dict, *, key: str) -> None:
    """Tabs of which only the open one runs: the others cost nothing, on the server or in the browser, until picked.

    The open tab lives in the URL as `?key=label`, like the sidebar filters: a link naming another tab (Today's
    attention list, a shared link) opens it, and each run writes the open one back. The tabs themselves are not
    bound to the URL (that would make every `st.switch_page` fail); their label is mirrored after they run.
    """
    filters.adopt_from_url(key, key, options=list(sections), many=False)
    for tab, show in zip(st.tabs(list(sections), key=key, on_change="rerun"), sections.values()):
        if tab.open:
            with tab:
                show()
    filters.mirror_to_url(key, st.session_state.get(key) or next(iter(sections)))


def vega_lite_spec(chart) -> dict:
    """The chart's Vega-Lite spec, unvalidated, with each data frame left as a named dataset.

    `st.altair_chart` validates every chart against the Vega-Lite JSON schema on every rerun: about
    15 ms a chart, most of a warm page's time. Our charts come from `core.charts`, whose output the
    tests validate once; a rerun need not do it again. The frames stay frames under `datasets`,
    which `st.vega_lite_chart` sends as Arrow (no JSON round trip). Datasets are named by their
    place in the chart, so an unchanged chart is the same message and the browser's cache answers
    it. The theme is switched off and Altair's globals are held the way Streamlit holds them, so
    concurrent sessions do not mix settings.
    """
    frames: dict[int, tuple[str, pd.DataFrame]] = {}
    with _ALTAIR_GLOBALS, alt.theme.enable("none"), alt.data_transformers.enable(_FRAME_TRANSFORMER,
                                                                                      frames=frames):
        spec = chart.to_dict(validate=False)
    if frames:
        spec["datasets"] = {**spec.get("datasets", {}), **dict(frames.values())}
    return spec


_FRAME_TRANSFORMER = "crowdpulse_frames"
# Altair's theme and data transformer are process globals: a session switching them must not
# interleave with another's. Every chart of the app is turned into a spec here (no page calls
# `st.altair_chart`, whose own lock guards the same globals), so a lock of our own is enough.
_ALTAIR_GLOBALS = threading.Lock()


def _named_frame(data, frames: dict):
    """Altair data transformer: keep a frame as a dataset named by its order in the chart (a frame used
    by several layers is one dataset)."""
    if not isinstance(data, pd.DataFrame):
        return data
    if id(data) not in frames:
        frames[id(data)] = (f"data-{len(frames)}", data)
    return {"name": frames[id(data)][0]}


def _register_transformer() -> None:
    alt.data_transformers.register(_FRAME_TRANSFORMER, _named_frame)


_register_transformer()


def clickable_chart(chart, *, key: str, field: str) -> list:
    """Show a chart whose bars can be clicked; returns the picked values of `field`."""
    event = st.vega_lite_chart(spec=_spec(chart), on_select="rerun", key=key, width="stretch")
    picked = []
    selection = getattr(event, "selection", None) or {}
    for points in selection.values():
        for point in points or []:
            if isinstance(point, dict) and field in point:
                picked.append(point[field])
    return picked


def chart(chart) -> None:
    """Show a chart (Altair, or a spec from `ui.charts`) full width."""
    st.vega_lite_chart(spec=_spec(chart), width="stretch")


def _spec(chart) -> dict:
    # A spec from ui.charts is shared between sessions: hand Streamlit its own top-level copy.
    return dict(chart) if isinstance(chart, dict) else vega_lite_spec(chart)


def save_segment_form(member_ids: list[str], *, default_name: str, key: str) -> None:
    """Save these members as a named segment for the Comms studio."""
    with st.form(key):
        name = st.text_input("Save as segment", value=default_name, key=f"{key}_name")
        if st.form_submit_button(f"Save {len(member_ids):,} members", icon=":material/group_add:", disabled=not member_ids):
            try:
                user = auth.current_user()
                segment_id = save_segment(data.engine(), name=name, member_ids=member_ids, actor=user.email,
                                          role=user.role, description=f"{len(member_ids):,} members saved from a list")
                st.success(f"Saved segment #{segment_id} '{name}': pick it as the audience in the Comms studio.")
            except CrowdPulseError as exc:
                st.error(str(exc))


def nothing_yet(message: str) -> None:
    """The page's empty state: say what to do ("No surveys yet — import responses on Data") and stop there."""
    st.info(message)
    st.stop()
