"""Widgets every page shares: KPI tiles, tables with CSV download, clickable charts, empty states."""

import pandas as pd
import streamlit as st

from core.exports import to_safe_csv


def kpi(column, label: str, value, *, delta=None, fmt: str = "{:,.0f}", delta_fmt: str | None = None,
        inverse: bool = False, help: str | None = None) -> None:
    """A KPI tile with a week-over-week delta; `inverse` when lower is better."""
    shown = "—" if value is None or pd.isna(value) else fmt.format(value)
    shown_delta = None
    if delta is not None and not pd.isna(delta):
        shown_delta = (delta_fmt or fmt).format(delta)
        if delta > 0 and not shown_delta.startswith("+"):
            shown_delta = "+" + shown_delta
    column.metric(label, shown, shown_delta, delta_color="inverse" if inverse else "normal", help=help, border=True)


def table(frame: pd.DataFrame, *, key: str, filename: str, column_config: dict | None = None,
          height: int | None = None, empty: str = "Nothing to show for these filters.") -> None:
    """A data table with its CSV download (formula-like cells neutralised)."""
    if frame.empty:
        st.info(empty)
        return
    st.dataframe(frame, hide_index=True, column_config=column_config, key=key, height=height or "auto")
    st.download_button("Download CSV", to_safe_csv(frame), file_name=f"{filename}.csv", mime="text/csv",
                       key=f"{key}_csv", icon=":material/download:")


def clickable_chart(chart, *, key: str, field: str) -> list:
    """Show a chart whose bars can be clicked; returns the picked values of `field`."""
    event = st.altair_chart(chart, on_select="rerun", key=key, width="stretch")
    picked = []
    selection = getattr(event, "selection", None) or {}
    for points in selection.values():
        for point in points or []:
            if isinstance(point, dict) and field in point:
                picked.append(point[field])
    return picked


def chart(chart) -> None:
    """Show a chart full width."""
    st.altair_chart(chart, width="stretch")
