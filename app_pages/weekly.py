"""Weekly: this week against last, what went well, what is at risk, where to intervene — shareable."""

import streamlit as st

from core import reports, weeks
from core.errors import CrowdPulseError
from core.exports import markdown_literal
from ui import auth, charts, data, filters, widgets

st.title("Weekly health")

f = filters.current()
as_of = data.as_of()
options = weeks.recent_weeks(as_of)
if "weekly_week" not in st.session_state:
    # A link is honoured whenever its week has data, even older than the list; otherwise it is answered, not rewritten.
    linked, problem = weeks.week_link(st.query_params.get("week"), as_of=as_of, first=data.data_start())
    st.session_state["weekly_week"], st.session_state["weekly_link_problem"] = linked, problem
if st.session_state["weekly_week"] not in options:
    options = sorted({*options, st.session_state["weekly_week"]}, reverse=True)
week = st.selectbox("ISO week", options, key="weekly_week",
                    format_func=lambda w: weeks.week_window(w, as_of).label)
problem = st.session_state.get("weekly_link_problem")
if problem and week == weeks.last_complete_week(as_of):
    st.warning(problem, icon=":material/link_off:")
st.query_params["week"] = week

report = data.weekly_report(week, f)
st.caption(f"{report.subtitle} · copy the address bar to share this exact view.")
if report.window.partial:
    st.info(f"{report.window.label}: every figure counts Monday to {report.window.through:%a %H:%M} UTC and is "
            f"compared with the same days of {weeks.previous_week(week)}.", icon=":material/hourglass_top:")

for column, figure in zip(st.columns(len(report.figures)), report.figures):
    widgets.kpi(column, figure.label, figure.this_week, delta=figure.format_delta(), fmt=figure.fmt,
                inverse=not figure.higher_is_better, help=figure.help)

for column, (title, items) in zip(st.columns(4), reports.summary_sections(report)):
    with column.container(border=True):
        st.markdown(f"#### {title}")
        for item in items or ["Nothing notable this week."]:
            st.markdown(f"- {markdown_literal(item)}")

st.subheader(reports.trend_title(report))
columns = st.columns(3)
for i, (_, rows) in enumerate(report.trend.groupby("metric", sort=False)):
    with columns[i % 3]:
        widgets.chart(charts.line(rows, **reports.trend_chart_options(report, rows), height=160))

st.subheader("Share")
c1, c2, c3, c4 = st.columns(4)
c1.download_button("Markdown", reports.to_markdown(report), file_name=report.file_name("md"), mime="text/markdown",
                   icon=":material/description:", key="weekly_md")
# The printable page draws its charts as SVG (about a second at any scale): written when clicked, not on every visit.
c2.download_button("Printable HTML", lambda: reports.to_html(report), file_name=report.file_name("html"),
                   mime="text/html", icon=":material/print:", key="weekly_html")
manager = auth.current_user().may("manager")
MANAGERS_ONLY = "Managers publish the weekly figures; you can download them."
if c3.button("Publish snapshot", icon=":material/bookmark:", key="weekly_publish", disabled=not manager,
             help="Keep this week's figures and summary as they are now, even if the data changes later."
             if manager else MANAGERS_ONLY):
    try:
        snapshot = reports.publish_snapshot(data.engine(), report, actor=auth.current_user().email,
                                            filters={"projects": list(f.projects), "regions": list(f.regions)})
        st.success(f"Published snapshot #{snapshot} for {report.window.label} ({report.scope}): "
                   "it stays as it is now even if data changes.")
    except CrowdPulseError as exc:
        st.error(str(exc))
target = reports.configured_sheet(data.engine())
if c4.button("Add to the Google Sheet", icon=":material/table_view:", key="weekly_sheet",
             disabled=target is None or not manager,
             help=MANAGERS_ONLY if not manager else "Appends this week's figures as rows. Set the sheet on Settings "
             "(weekly_report_sheet)." if target is None else f"Appends to {target['worksheet']} in {target['spreadsheet']}"):
    from core.ingest import sheets
    try:
        written = sheets.append_weekly_figures(data.engine(), sheets.client_from_settings(data.sheets_secrets()),
                                               report, spreadsheet=target["spreadsheet"],
                                               worksheet=target["worksheet"], scope=report.scope,
                                               actor=auth.current_user().email)
        st.success(f"Added {written} rows for {report.window.label} to {target['worksheet']}.")
    except CrowdPulseError as exc:
        st.error(str(exc))

with st.expander("Past snapshots"):
    past = data.snapshots()
    if past.empty:
        st.info("No published weeks yet — publish this one above.")
    else:
        listed = past.set_index("id")
        choice = st.selectbox("Snapshot", past["id"].tolist(), key="weekly_snapshot",
                              format_func=lambda i: reports.snapshot_caption(listed.loc[i, "week"],
                                                                             listed.loc[i, "filters"],
                                                                             listed.loc[i, "published_at"]))
        st.code(listed.loc[choice, "summary_md"], language="markdown", wrap_lines=True)
