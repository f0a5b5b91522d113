"""Data: what is stored, bringing files and Google Sheets in, the history of imports, and the demo reset."""

import streamlit as st

from core.ingest import contract, importer, parse, read, sheets
from core import people
from core.errors import CrowdPulseError, SheetAuthFailed
from core.exports import markdown_literal
from ui import auth, data, widgets

NOT_MAPPED = "— not in the file —"
DATE_ORDERS = {"reject": "Reject them as ambiguous", "dayfirst": "Day first (3 April)",
               "monthfirst": "Month first (March 4)"}


def as_pairs(values: dict) -> str:
    """{'a': 'b'} as 'a=b', the way the form takes it."""
    return ", ".join(f"{key}={value}" for key, value in values.items())


def written() -> None:
    """Something was stored (and the data version bumped): rerun so the counts above are current."""
    st.rerun()


def show_result(result: importer.ImportResult, key: str) -> None:
    """Counts, warnings, the preview and every rejected row of an import, sync or dry run."""
    columns = st.columns(4)
    widgets.kpi(columns[0], "New rows", result.inserted)
    widgets.kpi(columns[1], "Updated rows", result.updated,
                help="Rows whose id was already stored; those with identical values are not rewritten.")
    widgets.kpi(columns[2], "Rejected rows", result.rejected)
    created = result.created_members + result.created_projects + result.created_surveys
    widgets.kpi(columns[3], "Created", created,
                help="Taskers, projects or surveys that rows named but were not stored yet, created for them.")
    st.caption(markdown_literal(result.summary()))
    if result.hashed_ids:
        st.caption(f"The file has no {contract.entity_spec(result.entity).key[0]} column, so each row's id is a hash "
                   "of its values: importing the same rows again updates them.")
    if result.attribute_columns:
        st.caption("Kept as attributes (usable in segments): " + ", ".join(result.attribute_columns))
    if result.ignored_columns:
        st.caption("Not imported (this entity keeps no extra columns): " + ", ".join(result.ignored_columns))
    for warning in result.warnings:
        st.warning(markdown_literal(warning))
    if result.rejected:
        st.markdown("**Rejected rows** — row numbers as a spreadsheet shows them (the header is row 1)")
        widgets.table(result.rejects, key=f"{key}_rejects", filename=f"rejected-{result.entity}",
                      column_config={"row": st.column_config.NumberColumn("Row", format="%d", width="small"),
                                     "column": st.column_config.TextColumn("Column", width="small"),
                                     "value": st.column_config.TextColumn("Value", width="small"),
                                     "reason": st.column_config.TextColumn("Why", width="large")})
    if not result.preview.empty:
        st.markdown("**Preview** — the first rows as " + ("stored" if result.committed else "they would be stored"))
        widgets.table(result.preview, key=f"{key}_preview", filename=f"preview-{result.entity}")


def mapping_editor(entity: str, columns: list[str], key: str) -> dict[str, str | None]:
    """The canonical columns with the file column each is read from (prefilled with the suggestion)."""
    suggestion = contract.suggest_mapping(entity, columns)
    described = contract.describe_entity(entity)
    rows = described.assign(source=described["column"].map(suggestion).fillna(NOT_MAPPED))
    edited = st.data_editor(
        rows[["column", "required", "kind", "source"]], key=key, hide_index=True, width="stretch",
        height=35 * (len(rows) + 1) + 3,  # every column visible, no inner scrolling
        disabled=["column", "required", "kind"],
        column_config={"column": "CrowdPulse column", "required": st.column_config.CheckboxColumn("Required"),
                       "kind": "Expects",
                       "source": st.column_config.SelectboxColumn("Read from file column",
                                                                  options=[NOT_MAPPED, *columns])})
    return {row.column: (None if row.source in (NOT_MAPPED, None, "") else row.source) for row in edited.itertuples()}


def import_section() -> None:
    """Upload, map, check, import."""
    st.subheader("Import a file")
    last_import()
    picked = import_file_step()
    if picked is None:
        return
    entity, upload, mapping = picked
    options = import_options(mapping)
    if options is None:
        return
    import_buttons(entity, upload, options)


def import_file_step() -> tuple | None:
    """The entity, the uploaded file, its first rows and the column mapping: (entity, upload, mapping) or None."""
    entity = st.selectbox("What does the file hold?", list(contract.ENTITIES), key="data_import_entity",
                          format_func=lambda name: contract.ENTITIES[name].label)
    upload = st.file_uploader("CSV (comma, semicolon, tab or | separated; UTF-8) or Excel .xlsx",
                              type=["csv", "tsv", "txt", "xlsx"], key="data_import_file")
    if upload is None:
        st.caption("Re-importing a file updates the rows it already brought in; nothing is duplicated.")
        return None
    try:
        peeked = read.peek(upload, filename=upload.name, header_score=contract.header_scorer(entity))
    except CrowdPulseError as exc:
        st.error(str(exc))
        return None
    for warning in peeked.warnings:
        st.info(markdown_literal(warning), icon=":material/table_rows:")
    with st.expander(f"First rows of {upload.name}"):
        st.dataframe(peeked.sample, hide_index=True)
    st.markdown("**Columns** — check where each column is read from; unmapped file columns are kept as attributes")
    mapping = mapping_editor(entity, peeked.columns, key=f"data_import_map_{entity}_{upload.file_id}")
    return entity, upload, mapping


def import_options(mapping: dict[str, str | None]) -> dict | None:
    """Dates, time zone, fixed values and the two switches: the import's keyword options, or None if invalid."""
    left, middle, right = st.columns(3)
    order = left.radio("Dates written like 03/04/2026", list(DATE_ORDERS), format_func=DATE_ORDERS.get,
                       key="data_import_dates")
    zone = middle.selectbox("Times without a UTC offset are in", parse.time_zones(), key="data_import_tz")
    fixed = right.text_area("Fixed values (column=value, one per line)", key="data_import_fixed",
                            placeholder="queue=support", height=90)
    create = st.toggle("Create taskers and projects that rows name but are not stored yet", value=True,
                       key="data_import_create", help="Off: such rows are rejected instead.")
    strict = st.toggle("All or nothing: import nothing if any row is rejected", key="data_import_strict")
    blank_clears = st.toggle("Blank cells clear the stored value", key="data_import_blank_clears",
                             help="Off: a blank cell leaves what is stored (a handle, an email, a country) unchanged.")
    try:
        constants = contract.parse_pairs(fixed, what="fixed value")
    except CrowdPulseError as exc:
        st.error(str(exc))
        return None
    return dict(mapping=mapping, suggest=False, constants=constants, dayfirst=order == "dayfirst",
                monthfirst=order == "monthfirst", timezone=zone, create_missing=create, strict=strict,
                blank_clears=blank_clears)


def options_signature(upload, entity: str, options: dict) -> str:
    """What a dry run was made for: the file, the entity and every option (a changed one needs a new check)."""
    return repr((upload.file_id, entity, sorted(options.items(), key=lambda kv: kv[0])))


def import_buttons(entity: str, upload, options: dict) -> None:
    """The check (dry run) and import buttons, and the dry run's result while it still fits the options."""
    signature = options_signature(upload, entity, options)
    check, run = st.columns([1, 1])
    checked = st.session_state.get("data_import_checked")
    if check.button("Check (dry run)", key="data_import_check", icon=":material/fact_check:"):
        checked = dry_run(entity, upload, options, signature)
        if checked is None:
            return
    ready = checked is not None and checked[0] == signature
    if run.button("Import", key="data_import_run", type="primary", disabled=not ready,
                  icon=":material/upload:", help=None if ready else "Run the check first."):
        run_import(entity, upload, options)
    if ready:
        st.markdown("**Dry run** — nothing has been written yet")
        show_result(checked[1], key="data_import_check")


def dry_run(entity: str, upload, options: dict, signature: str) -> tuple | None:
    """Check every row without writing; keeps (signature, result) for the import button, None on an error."""
    try:
        with st.spinner("Checking every row…"):
            result = importer.import_file(data.engine(), entity, upload, filename=upload.name, dry_run=True,
                                          **options)
        st.session_state["data_import_checked"] = checked = (signature, result)
        return checked
    except CrowdPulseError as exc:
        st.session_state.pop("data_import_checked", None)
        st.error(str(exc))
        return None


def run_import(entity: str, upload, options: dict) -> None:
    """Import the file with a progress bar, keep the outcome for last_import and rerun."""
    bar = st.progress(0.0, text="Importing…")
    try:
        user = auth.current_user()
        people.require_role(user.role, "specialist", "import data")
        result = importer.import_file(data.engine(), entity, upload, filename=upload.name, actor=user.email,
                                      progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=m),
                                      **options)
        st.session_state["data_import_done"] = result
    except importer.RowsRejected as exc:
        st.session_state["data_import_done"] = exc.result
        st.session_state["data_import_error"] = str(exc)
    except CrowdPulseError as exc:
        st.session_state["data_import_error"] = str(exc)
    st.session_state.pop("data_import_checked", None)
    written()


def last_import() -> None:
    """The outcome of the import that just ran (kept across the rerun that refreshes the counts)."""
    error = st.session_state.pop("data_import_error", None)
    result = st.session_state.pop("data_import_done", None)
    if error:
        st.error(error)
    if result is not None and result.committed:
        st.success(markdown_literal(f"Imported {result.source.removeprefix('file:')}: {result.summary()}"))
    if result is not None:
        show_result(result, key="data_import_result")


def sheets_section() -> None:
    """Configured Google Sheets sources: add, sync, remove."""
    st.subheader("Google Sheets sources")
    try:
        client = data.sheets_client()
    except SheetAuthFailed as exc:
        client = None
        st.info(f"{exc} Sources can be added now and synced once that is done.")

    sources = data.sheet_sources()
    if sources.empty:
        st.caption("No sources yet. A Google Form's responses sheet is a typical one: entity 'Survey responses', "
                   "fixed value survey_id=<your survey>.")
    else:
        sources_table(sources)
        source_actions(sources, client)
        sync_outcome()
    source_form(expanded=sources.empty)
    saved = st.session_state.pop("data_sheet_saved", None)
    if saved:
        st.success(f"Saved source {saved!r}.")


def sources_table(sources) -> None:
    """The configured sources with their last sync, and a warning for each whose last sync failed."""
    shown = sources.assign(mapping=sources["mapping"].map(as_pairs), constants=sources["constants"].map(as_pairs))
    widgets.table(shown[["name", "entity", "worksheet", "last_sync_at", "last_ok", "last_summary", "enabled",
                         "constants", "mapping", "spreadsheet_key"]], key="data_sources", filename="sheets-sources",
                  column_config={"name": "Source", "entity": "Holds", "worksheet": "Worksheet",
                                 "last_sync_at": st.column_config.DatetimeColumn("Last sync (UTC)",
                                                                                 format="D MMM YYYY HH:mm"),
                                 "last_ok": st.column_config.CheckboxColumn("OK"),
                                 "last_summary": st.column_config.TextColumn("Last outcome", width="large"),
                                 "enabled": st.column_config.CheckboxColumn("Enabled"),
                                 "constants": "Fixed values", "mapping": "Mapping",
                                 "spreadsheet_key": "Spreadsheet key"})
    for row in sources[sources["last_ok"].eq(False)].itertuples():
        st.warning(f"Last sync of {row.name} failed: {row.last_summary}", icon=":material/sync_problem:")


def source_actions(sources, client) -> None:
    """Pick a source and sync it, sync every enabled one, or remove it (syncing needs a Sheets client)."""
    pick, sync, sync_all, remove = st.columns([3, 1, 1, 1], vertical_alignment="bottom")
    name = pick.selectbox("Source", sources["name"].tolist(), key="data_sync_source")
    if sync.button("Sync now", key="data_sync_now", type="primary", disabled=client is None,
                   icon=":material/sync:"):
        try:
            with st.spinner("Reading the worksheet and importing…"):
                st.session_state["data_sync_done"] = sheets.sync_source(data.engine(), client, name,
                                                                             actor=auth.current_user().email)
        except CrowdPulseError as exc:
            st.session_state["data_sync_error"] = str(exc)
        written()
    if sync_all.button("Sync all enabled", key="data_sync_all", disabled=client is None):
        outcomes = sheets.sync_all(data.engine(), client, actor=auth.current_user().email)
        failed = [f"{o.name}: {o.error}" for o in outcomes if o.error]
        if failed:
            st.session_state["data_sync_error"] = "\n\n".join(failed)
        written()
    if remove.button("Remove", key="data_sync_remove", icon=":material/delete:"):
        st.session_state["data_sync_removing"] = name
    removing = st.session_state.get("data_sync_removing")
    if removing in set(sources["name"]):  # asked until confirmed or cancelled, across the dialog's reruns
        confirm_removal(sources.set_index("name").loc[removing])


@st.dialog("Remove this Sheets source?")
def confirm_removal(source) -> None:
    """Name what removing a source loses, and remove it only when confirmed."""
    st.write(f"**{markdown_literal(source.name)}** will no longer sync worksheet "
             f"**{markdown_literal(source['worksheet'])}** into {source['entity']}: its column mapping and fixed "
             "values are deleted. The rows it imported and its sync history stay.")
    keep, drop = st.columns(2)
    if keep.button("Keep it", key="data_sync_remove_cancel"):
        del st.session_state["data_sync_removing"]
        st.rerun()
    if drop.button("Remove the source", key="data_sync_remove_confirm", type="primary"):
        del st.session_state["data_sync_removing"]
        sheets.delete_source(data.engine(), source.name, actor=auth.current_user().email)
        written()


def sync_outcome() -> None:
    """The error or the result of the sync that just ran (kept across the rerun)."""
    error = st.session_state.pop("data_sync_error", None)
    if error:
        st.error(error)
    result = st.session_state.pop("data_sync_done", None)
    if result is not None:
        st.success(f"Synced {result.source.removeprefix('sheet:')}.")
        show_result(result, key="data_sync_result")


def source_form(expanded: bool) -> None:
    """The form that adds a source or changes the one with the same name."""
    with st.expander("Add or change a source", expanded=expanded):
        with st.form("data_sheet_form", clear_on_submit=False):
            first, second = st.columns(2)
            name = first.text_input("Name", key="data_sheet_name", placeholder="Pulse survey responses")
            url = second.text_input("Spreadsheet URL or key", key="data_sheet_url",
                                    placeholder="https://docs.google.com/spreadsheets/d/…/edit")
            worksheet = first.text_input("Worksheet (tab)", value="Form Responses 1", key="data_sheet_worksheet")
            entity = second.selectbox("Holds", list(contract.ENTITIES), key="data_sheet_entity",
                                      format_func=lambda e: contract.ENTITIES[e].label)
            mapping = first.text_area("Column mapping (optional, column=sheet header, one per line)",
                                      key="data_sheet_mapping", placeholder="score=How likely are you to recommend us?",
                                      help="Columns not listed are matched by their headers, as for files.")
            fixed = second.text_area("Fixed values (column=value, one per line)", key="data_sheet_fixed",
                                     placeholder="survey_id=pulse-2026-03")
            dayfirst = st.checkbox("Text dates in this sheet are day first (03/04/2026 = 3 April)",
                                   key="data_sheet_dayfirst")
            if st.form_submit_button("Save source", type="primary"):
                try:
                    sheets.save_source(data.engine(), name=name, spreadsheet=url, worksheet=worksheet, entity=entity,
                                       mapping=contract.parse_pairs(mapping),
                                       constants=contract.parse_pairs(fixed, what="fixed value"), dayfirst=dayfirst,
                                       actor=auth.current_user().email)
                    st.session_state["data_sheet_saved"] = name
                    written()
                except CrowdPulseError as exc:
                    st.error(str(exc))


st.title("Data")
st.caption("What CrowdPulse holds now, how files and Google Sheets get in, and the history of imports and syncs.")

counts = data.table_counts()
st.subheader("Stored")
columns = st.columns(6)
for i, row in enumerate(counts.itertuples()):
    widgets.kpi(columns[i % 6], row.entity.capitalize(), row.rows)

import_section()
sheets_section()

st.subheader("Import and sync history")
widgets.table(data.admin_frame("sync_runs"), key="data_runs", filename="sync-history",
              empty="No imports or syncs yet: the data here is the generated demo community.",
              column_config={"started_at": st.column_config.DatetimeColumn("Started (UTC)", format="D MMM YYYY HH:mm"),
                             "source": "Source", "entity": "Entity", "ok": st.column_config.CheckboxColumn("OK"),
                             "inserted": "New", "updated": "Updated", "rejected": "Rejected",
                             "error": st.column_config.TextColumn("Error", width="large")})

st.subheader("Demo data")
with st.form("data_reset"):
    st.write("Replace **everything** stored with a freshly generated demo community (about 5,000 taskers).")
    confirm = st.checkbox("I understand this deletes the current data", key="data_reset_confirm")
    if st.form_submit_button("Reset demo data", type="secondary"):
        if not confirm:
            st.warning("Tick the box to confirm the reset.")
        elif not auth.current_user().may("admin"):
            st.error("Only an admin can reset the data: it deletes everything stored.")
        else:
            from core.demo import seed_demo
            bar = st.progress(0.0, text="Resetting…")
            counts = seed_demo(data.engine(), scale="demo", actor=auth.current_user().email,
                               progress=lambda fraction, message: bar.progress(min(fraction, 1.0), text=message))
            st.success(f"Demo data reset: {counts['member']:,} members, {counts['activity']:,} activity rows.")
