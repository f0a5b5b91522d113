"""Data: what is stored, where it came from, and resetting the demo."""

import streamlit as st

from ui import data, widgets

st.title("Data")
st.caption("What CrowdPulse holds now, and the history of imports and syncs.")

counts = data.table_counts()
st.subheader("Stored")
columns = st.columns(6)
for i, row in enumerate(counts.itertuples()):
    widgets.kpi(columns[i % 6], row.entity.capitalize(), row.rows)

st.subheader("Import and sync history")
widgets.table(data.admin_frame("sync_runs"), key="data_runs", filename="sync-history",
              empty="No imports or syncs yet: the data here is the generated demo community.",
              column_config={"started_at": st.column_config.DatetimeColumn("Started (UTC)", format="D MMM YYYY HH:mm")})

st.subheader("Demo data")
with st.form("data_reset"):
    st.write("Replace **everything** stored with a freshly generated demo community (about 5,000 taskers).")
    confirm = st.checkbox("I understand this deletes the current data", key="data_reset_confirm")
    if st.form_submit_button("Reset demo data", type="secondary"):
        if not confirm:
            st.warning("Tick the box to confirm the reset.")
        else:
            from core.demo import seed_demo
            bar = st.progress(0.0, text="Resetting…")
            counts = seed_demo(data.engine(), scale="demo",
                               progress=lambda fraction, message: bar.progress(min(fraction, 1.0), text=message))
            st.success(f"Demo data reset: {counts['member']:,} members, {counts['activity']:,} activity rows.")
