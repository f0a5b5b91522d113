"""Weekly: this week against last, what went well, what is at risk, where to intervene — shareable."""

import pandas as pd
import streamlit as st

from core import reports
from core.exports import markdown_literal
from ui import auth, charts, data, filters, widgets

st.title("Weekly health")

f = filters.current()
this_week = reports.iso_week_of(data.as_of())
weeks = [this_week]
for _ in range(11):
    weeks.append(reports.previous_week(weeks[-1]))
requested = st.query_params.get("week")
if "weekly_week" not in st.session_state:
    st.session_state["weekly_week"] = requested if requested in weeks else weeks[0]
week = st.selectbox("ISO week", weeks, key="weekly_week",
                    format_func=lambda w: f"{w} (this week, so far)" if w == this_week else w)
st.query_params["week"] = week

report = data.weekly_report(week, f)
scope = ", ".join(filter(None, [", ".join(f.projects), ", ".join(f.regions)])) or "all projects and regions"
st.caption(f"{report.start:%a %d %b} – {report.end - pd.Timedelta(days=1):%a %d %b %Y} (UTC) · {scope} · "
           "copy the address bar to share this exact view.")

for column, figure in zip(st.columns(len(report.figures)), report.figures):
    widgets.kpi(column, figure.label, figure.this_week, delta=figure.format_delta(), fmt=figure.fmt,
                inverse=not figure.higher_is_better, help=figure.help)

left, middle, right = st.columns(3)
for column, (title, items, icon) in zip((left, middle, right), (
        ("Wins", report.wins, ":material/thumb_up:"), ("Risks", report.risks, ":material/warning:"),
        ("Where to intervene", report.interventions, ":material/target:"))):
    with column.container(border=True):
        st.markdown(f"#### {title}")
        for item in items or ["Nothing notable this week."]:
            st.markdown(f"- {markdown_literal(item)}")

st.subheader(f"{reports.TREND_WEEKS}-week trend")
formats = {fig.label: fig.fmt for fig in report.figures}
columns = st.columns(3)
for i, (metric, rows) in enumerate(report.trend.groupby("metric", sort=False)):
    with columns[i % 3]:
        y_format = reports.axis_format(formats[metric])
        widgets.chart(charts.line(rows, "week", "value", y_title=metric, x_type="O", y_format=y_format, height=160))

st.subheader("Share")
markdown, printable = data.weekly_exports(week, f)
c1, c2, c3, c4 = st.columns(4)
c1.download_button("Markdown", markdown, file_name=f"crowdpulse-weekly-{week}.md", mime="text/markdown",
                   icon=":material/description:", key="weekly_md")
c2.download_button("Printable HTML", printable, file_name=f"crowdpulse-weekly-{week}.html",
                   mime="text/html", icon=":material/print:", key="weekly_html")
if c3.button("Publish snapshot", icon=":material/bookmark:", key="weekly_publish",
             help="Keep this week's figures and summary as they are now, even if the data changes later."):
    snapshot = reports.publish_snapshot(data.engine(), report, actor=auth.current_user().email,
                                        filters={"projects": list(f.projects), "regions": list(f.regions)})
    st.success(f"Published snapshot #{snapshot} for {week}: it stays as it is now even if data changes.")
target = reports.configured_sheet(data.engine())
if c4.button("Add to the Google Sheet", icon=":material/table_view:", key="weekly_sheet", disabled=target is None,
             help="Appends this week's figures as rows. Set the sheet on Settings (weekly_report_sheet)."
             if target is None else f"Appends to {target['worksheet']} in {target['spreadsheet']}"):
    from core.ingest import sheets
    from core.errors import CrowdPulseError
    try:
        written = sheets.append_weekly_figures(sheets.client_from_settings(data.sheets_secrets()), report,
                                               spreadsheet=target["spreadsheet"], worksheet=target["worksheet"],
                                               scope=scope)
        st.success(f"Added {written} rows for {week} to {target['worksheet']}.")
    except CrowdPulseError as exc:
        st.error(str(exc))

with st.expander("Past snapshots"):
    past = data.snapshots()
    if past.empty:
        st.info("No published weeks yet — publish this one above.")
    else:
        choice = st.selectbox("Snapshot", past["id"].tolist(), key="weekly_snapshot",
                              format_func=lambda i: f"{past.set_index('id').loc[i, 'week']} — published "
                                                    f"{past.set_index('id').loc[i, 'published_at']:%d %b %Y %H:%M}")
        st.code(past.set_index("id").loc[choice, "summary_md"], language="markdown", wrap_lines=True)
