"""Widgets every page shares: KPI tiles, tables with CSV download, clickable charts, empty states."""

import threading

import altair as alt
import pandas as pd
import streamlit as st

from core.comms.workflow import save_segment
from core.errors import CrowdPulseError
# count_of, figure and nps_drag are here for the pages: one way to write a figure.
from core.exports import count_of, figure, markdown_literal, nps_drag, plain_label, to_safe_csv  # noqa: F401
from core.feedback.language import language_name
from core.people import mask_personal
from core.workforce.quality import DIRECT
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
    colour, arrow = "inverse" if inverse else "normal", "auto"
    if shown_delta and shown_delta.startswith("±"):  # a change that rounds to zero: no arrow, no colour
        colour, arrow = "off", "off"
    elif shown_delta and shown_delta.startswith("−"):  # Streamlit reads only an ASCII "-" as a fall
        colour, arrow = ("green" if inverse else "red"), "down"
    column.metric(label, shown, shown_delta, delta_color=colour, delta_arrow=arrow, help=help, border=True)


# Help text for the terms a specialist may not know, one wording wherever the term appears (help=HELP[...]).
HELP = {
    "aht": "Average handle time: handle seconds ÷ tasks submitted.",
    "occupancy": "Handle time ÷ active time: the share of logged-in time spent working on tasks.",
    "occupancy_cap": "The highest share of their time reviewers may spend handling items; the planner adds "
                     "reviewers until the plan stays under it, so nobody works flat out.",
    "skip_rate": "Tasks skipped ÷ (submitted + skipped).",
    "too_fast": "Tasks submitted faster than the project's minimum plausible handle time (often a sign of rushing "
                "or of guessing).",
    "too_fast_rate": "Tasks submitted too fast ÷ tasks submitted.",
    "productivity": "Tasks submitted per active hour.",
    "quality": "Approved ÷ reviewed (approved + rejected) tasks.",
    "fatigue_severity": "How far past the thresholds the tasker is, summed over the signals that fired (each signal "
                        "counts value ÷ threshold): higher = more urgent.",
    "confusion_severity": "How far rejections, questions and negative feedback rose past their thresholds, summed: "
                          "higher = more urgent.",
    "compared_with": "own: the project's own weeks before the change; crowd: the median project of the same kind "
                     "over the same days (when its own history is too short).",
    "tat": "Turnaround time (TAT): from creation to resolution.",
    "p90": "90th percentile: 9 in 10 items took at most this long.",
    "clock": "calendar: every hour counts towards the target; business hours: only the policy's working hours "
             "count; own due date: the item's due time overrides the policy.",
    "at_risk": "Open items now that have used at least 75% of their resolution target (paused clocks excluded).",
    "dau": "Daily active: members (not staff, not bots) with at least one submitted task on the last day of the range.",
    "wau": "Weekly active: members with at least one submitted task in the 7 days ending on the last day of the range.",
    "mau": "Monthly active: members with at least one submitted task in the 28 days ending on the last day of the range.",
    "active_rate": "Active rate: monthly active ÷ onboarded members (onboarded by that day).",
    "stickiness": "Stickiness: the mean of daily DAU ÷ MAU over the date range (how many days a month people come back).",
    "activation": "Activation: onboarded taskers whose first task came within 7 days of onboarding, among those "
                  "whose first week has passed.",
    "churn": "Churn: members active in the 28 days before the last 28 who were not active in the last 28 days.",
    "base": "Under a project filter the base is that project's members: taskers with at least one submitted task on "
            "it in the days this page reads (up to the range end). DAU/WAU/MAU count tasks on the project; "
            "activation, statuses, churn and retention read their tasks on any project.",
    "hours_left": "Hours until the due moment (negative = overdue).",
    "nps_drag": "NPS of all responses − NPS of the responses whose comment mentions the theme: 74 means those "
                "respondents score 74 points lower; a negative value means the theme lifts NPS.",
}


# Rows a table shows in the page; the CSV download always has every row. At the large scale some lists
# hold thousands of rows: sending them all to the browser on every rerun cost more than the rest of the
# page. So the sort happens here, over every row, before the first SHOWN_ROWS are sent: a header click
# in the browser would sort only the rows it was sent.
SHOWN_ROWS = 250


def table(frame: pd.DataFrame, *, key: str, filename: str, column_config: dict | None = None,
          height: int | None = None, empty: str = "Nothing to show for these filters.",
          sort_by: str | list[str] | None = None, ascending: bool | list[bool] = True) -> None:
    """A data table sorted over all its rows (`sort_by`, worst first), its first SHOWN_ROWS shown, with a CSV
    download of all of it (formula-like cells neutralised). The sort columns come first, so they stay in view.

    A longer table gets a "Sort all rows by" picker: the sort runs over every row, not only those sent.
    """
    if frame.empty:
        st.info(empty)
        return
    frame = visible_to_user(frame)
    keys = [sort_by] if isinstance(sort_by, str) else list(sort_by or [])
    which = "worst" if keys else "first"
    if len(frame) > SHOWN_ROWS:
        picked, picked_ascending = _sort_picker(frame, keys, ascending, column_config or {}, key=key)
        if picked != keys[:1] or picked_ascending != _first(ascending):  # the reader chose another order
            keys, ascending, which = picked, picked_ascending, "first"
    ordered = frame.sort_values(keys, ascending=ascending, na_position="last", kind="stable") if keys else frame
    shown = ordered.head(SHOWN_ROWS)
    order = [*keys, *(c for c in shown.columns if c not in keys)] if keys else None
    shown, shown_config = in_percent(readable_codes(shown), column_config)
    st.dataframe(shown, hide_index=True, column_config=shown_config, key=key, height=height or "auto",
                 column_order=order)
    if len(shown) < len(ordered):
        st.caption(f"Showing the {len(shown):,} {which} of {len(ordered):,} rows, sorted over all of them; "
                   "the CSV download has them all.")
    download(ordered, key=key, filename=filename)


def in_percent(frame: pd.DataFrame, column_config: dict | None) -> tuple[pd.DataFrame, dict | None]:
    """Share columns (format "percent") shown as percentages with one decimal ('45.4%', not '45.38%'): one
    precision for every rate, as the tiles and texts show them; the CSV keeps the shares."""
    if not column_config:
        return frame, column_config
    config, scaled = dict(column_config), {}
    for name, column in column_config.items():
        kind = column.get("type_config") if isinstance(column, dict) else None
        if not kind or kind.get("format") != "percent" or name not in frame:
            continue
        scaled[name] = pd.to_numeric(frame[name], errors="coerce") * 100
        kind = {**kind, "format": "%.1f%%"} | {bound: kind[bound] * 100 for bound in ("min_value", "max_value")
                                               if kind.get(bound) is not None}
        config[name] = {**column, "type_config": kind}
    return (frame.assign(**scaled) if scaled else frame), config


def _first(ascending: bool | list[bool]) -> bool:
    return ascending[0] if isinstance(ascending, list) else ascending


def _sort_picker(frame: pd.DataFrame, keys: list[str], ascending, column_config: dict, *,
                 key: str) -> tuple[list[str], bool]:
    """The column (and direction) to sort every row of a long table by; none keeps the order the list came in."""
    columns = [c for c in frame.columns if c in keys or column_config.get(c, "") is not None]
    options = columns if keys else [None, *columns]
    left, right = st.columns([3, 2])
    column = left.selectbox(f"Sort all {len(frame):,} rows by", options, index=options.index(keys[0] if keys else None),
                            format_func=lambda c: "as listed" if c is None else column_title(c, column_config),
                            key=f"{key}_sort")
    direction = right.segmented_control("Order", ["lowest first", "highest first"], key=f"{key}_order",
                                        default="lowest first" if _first(ascending) else "highest first")
    return ([] if column is None else [column]), direction != "highest first"


def column_title(column: str, column_config: dict) -> str:
    """The title a table shows for a column: its column_config label, else the column name in words."""
    config = column_config.get(column)
    if isinstance(config, str):
        return config
    if isinstance(config, dict) and config.get("label"):
        return config["label"]
    return str(plain_label(column)).capitalize()


# Columns that hold names or identifiers, never codes to put in words.
_LITERAL_COLUMNS = ("id", "email", "handle", "name", "text", "title", "quote", "comment", "message", "keywords")


# Columns whose stored codes read differently: a blank vendor is a tasker who works for us directly, a language
# code is its name. The table shows the words; the CSV keeps what is stored.
IN_WORDS = {"vendor": lambda values: values.where(values.notna() & (values != ""), DIRECT),
            "language": lambda values: values.map(lambda code: language_name(code) if isinstance(code, str) else code)}


def readable_codes(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as a table shows it: code columns in words ('in_review' → 'in review', None → '—', 'pt' →
    'Portuguese' in a language column, a blank vendor → 'direct').

    Only text columns whose every value is a short code (no spaces) change; identifiers and free text stay literal.
    """
    changed = {column: words(frame[column]) for column, words in IN_WORDS.items()
               if column in frame and (frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]))}
    for column in frame.columns:
        if column in changed:
            continue
        values = frame[column]
        textual = values.dtype == object or pd.api.types.is_string_dtype(values)
        if not textual or str(column).endswith(_LITERAL_COLUMNS):
            continue
        present = values.dropna()
        if len(present) and present.map(lambda v: isinstance(v, str) and " " not in v and len(v) <= 40).all():
            changed[column] = values.map(plain_label)
    return frame.assign(**changed) if changed else frame


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
    if not member_ids or not auth.may_draft(st, f"a message to these {len(member_ids):,} {label}"):
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
                                          description=f"{len(member_ids):,} members saved from a list")
                st.success(f"Saved segment #{segment_id} '{name}': pick it as the audience in the Comms studio.")
            except CrowdPulseError as exc:
                st.error(str(exc))


def nothing_yet(message: str) -> None:
    """The page's empty state: say what to do ("No surveys yet — import responses on Data") and stop there."""
    st.info(message)
    st.stop()
