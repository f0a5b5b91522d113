"""Comms studio, Write tab: a new draft from a template, or the editor of an open draft with its checks beside it."""

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core.comms import audience as audiences
from core.comms import (approval, checks, context, drafting, glossary, languages, launch, timezones, translations,
                        workflow)
from core.comms import events as community_events
from core.comms.audience import AudienceChoice
from core.comms.errors import StaleDraft, TemplateProblem
from core.comms.templates import MessageTemplate
from core.comms.workflow import DraftView
from core.errors import CrowdPulseError
from core.exports import markdown_literal
from ui import comms, data, widgets
from ui.data import on_data_version

# Times in a message are converted for this many of the audience's largest zones.
CHECK_ZONES = 6


@dataclass(frozen=True)
class EditorText:
    """The text in the editor now, and its plain-language checks (None before a draft exists)."""

    subject: str = ""
    body: str = ""
    language: str = "en"
    report: checks.CheckReport | None = None


def new_draft_form(studio: comms.Studio, choice: AudienceChoice) -> None:
    """Pick a template and channel, give what it needs, and create the draft for the chosen audience."""
    catalogue = comms.templates()
    if st.session_state.get("comms_new_template") not in catalogue:
        st.session_state["comms_new_template"] = next(iter(catalogue))
    t1, t2 = st.columns([3, 2])
    key = t1.selectbox("Template", list(catalogue), format_func=lambda k: catalogue[k].title, key="comms_new_template")
    template = catalogue[key]
    t1.caption(template.description)
    channel = t2.segmented_control("Channel", list(comms.CHANNEL_LABELS), format_func=comms.CHANNEL_LABELS.get,
                                   default=template.channel, key=f"comms_new_channel_{key}") or template.channel
    chosen = choice.members
    st.markdown(f"**Audience:** {markdown_literal(choice.label)} · **{len(chosen):,}** recipients · change it "
                "on the Audience tab.")
    title = st.text_input("Draft title (for your team)", value=f"{template.title}: {choice.label}"[:120],
                          key=f"comms_new_title_{key}")
    needed = template_inputs(studio, template, chosen)
    signer = st.text_input("Signed by", value=comms.sender_name(studio.actor), key="comms_new_signer")
    when = drafting.message_moment(**{k: needed.get(k) for k in ("deadline", "event", "project")})
    if when is not None and len(chosen):
        with st.expander("When that is for your readers", expanded=True, icon=":material/schedule:"):
            comms.local_times_table(when, chosen, key="comms_new_local_times", filename="local-times")
    with st.expander("Edit the template before filling it", icon=":material/code:"):
        st.caption("Variables: " + ", ".join(f"`{name}`" for name in
                                             ["audience", "sender", "community", *sorted(set(template.needs))])
                   + ". An unknown variable or a loop that runs too long stops with the line it is on.")
        subject_source = st.text_input("Subject template", value=template.subject, key=f"comms_tpl_subject_{key}")
        body_source = st.text_area("Body template", value=template.body, height=260, key=f"comms_tpl_body_{key}")
    if st.button("Fill the template and create the draft", key="comms_create", type="primary",
                 icon=":material/edit_document:", disabled=chosen.empty):
        try:
            draft = drafting.draft_for_segment(
                engine=studio.engine, template=template, segment=choice, title=title, channel=channel,
                author=studio.actor, today=studio.now, signer=signer,
                subject_source=subject_source, body_source=body_source, **needed)
            st.session_state.pop("comms_handoff", None)
            st.session_state["comms_open_next"] = draft.id
            st.rerun()
        except TemplateProblem as exc:
            st.error(f"The template could not be filled. {exc}", icon=":material/error:")
        except CrowdPulseError as exc:
            comms.show_error(exc)
    if chosen.empty:
        st.caption("Choose an audience with at least one tasker on the Audience tab.")


def template_inputs(studio: comms.Studio, template: MessageTemplate, chosen: pd.DataFrame) -> dict:
    """Inputs for what the template needs: project, event, link, deadline (only those it names)."""
    key, needs, events = template.key, set(template.needs), studio.events
    project_names = studio.project_names
    needed: dict = {"project": None, "deadline": None, "event": None, "link": None}
    inputs = st.columns(2)
    if "project" in needs:
        if st.session_state.get("comms_new_project") not in project_names:
            st.session_state["comms_new_project"] = next(iter(project_names))
        project_id = inputs[0].selectbox("Project", list(project_names), format_func=project_names.get,
                                         key="comms_new_project")
        needed["project"] = studio.project_table[studio.project_table["project_id"] == project_id].iloc[0].to_dict()
    if "event" in needs:
        all_titles = dict(zip(events["event_id"], events["title"]))
        if not all_titles:
            st.info("No events yet — add one on the Events tab.")
        else:
            if st.session_state.get("comms_new_event") not in all_titles:
                st.session_state["comms_new_event"] = next(iter(all_titles))
            event_id = inputs[0].selectbox("Event", list(all_titles), format_func=all_titles.get, key="comms_new_event")
            needed["event"] = community_events.event_record(events, event_id)
    if "link" in needs:
        guide = launch.project_guide(data.resources(), (needed["project"] or {}).get("project_id"), studio.now)
        guide_url = (guide or {}).get("url")
        needed["link"] = inputs[1].text_input("Link", value=guide_url or "https://community.crowdpulse.example/",
                                              key=f"comms_new_link_{key}_{guide_url or 'none'}",
                                              help="The guide, survey, sign-up or status page the reader should open. "
                                                   "A project's guide comes from its resources on Launch readiness; "
                                                   "the example address is a placeholder the checks block on.")
    if "deadline" in needs:
        d1, d2, d3 = st.columns(3)
        day = d1.date_input("Deadline date", value=(studio.now + pd.Timedelta(days=7)).date(),
                            key="comms_new_deadline_day")
        clock = d2.time_input("Deadline time", value=dt.time(17, 0), key="comms_new_deadline_time")
        zone = d3.selectbox("…in the time zone", ["UTC"] + sorted(chosen["timezone"].dropna().unique()),
                            key="comms_new_deadline_zone", help="The zone the date and time above are in. Readers "
                            "see it in their own zone.")
        needed["deadline"] = timezones.to_utc(day, clock, zone)
    return needed


def draft_editor(studio: comms.Studio, draft: DraftView, choice: AudienceChoice) -> EditorText:
    """The editor of one language version, with save, conflict handling and the checks beside it."""
    template = comms.templates().get(draft.template)
    expects_deadline = bool(template and template.expects_deadline)
    audience_languages = audiences.audience_mix(choice.members, "language")["language"].tolist()
    language = st.segmented_control(
        "Language version", context.language_choices(draft.versions, audience_languages),
        default="en" if "en" in draft.versions else draft.languages[0],
        format_func=lambda lang: lang if lang in draft.versions else f"{lang} (none yet)",
        key=f"comms_language_{draft.id}") or "en"
    saved = draft.versions.get(language)
    starting = saved or draft.versions.get("en") or next(iter(draft.versions.values()))
    subject_key, body_key = f"comms_subject_{draft.id}_{language}", f"comms_body_{draft.id}_{language}"
    take_newer_text(studio, draft)
    if subject_key not in st.session_state:
        st.session_state[subject_key] = studio.loaded[subject_key] = starting.subject
        st.session_state[body_key] = studio.loaded[body_key] = starting.body
    read_only = draft.status == "sent" or not workflow.role_allows(studio.role, "specialist")
    left, right = st.columns([3, 2], gap="large")
    with left:
        if saved is None:
            st.info(f"No {language} version yet: the English text is below to translate. Saving creates the "
                    f"{language} version.", icon=":material/translate:")
        subject = st.text_input("Subject", key=subject_key, disabled=read_only)
        body = st.text_area("Message (Markdown)", key=body_key, height=460, disabled=read_only)
        editing = EditorText(subject, body, language)
        save_row(studio, draft, editing, saved=saved, read_only=read_only)
        conflict_box(studio, draft, editing, current=saved or starting)
        if language != "en" and "en" in draft.versions:
            translator_files(studio, draft, language, read_only=read_only)
    with right:
        options = dict(channel=draft.channel, share=audiences.second_language_share(choice.members),
                       expects_deadline=expects_deadline, names=studio.names_in_text,
                       **check_options(studio, draft, choice))
        report = comms.check(body, subject=subject, language=language, **options)
        comms.readability_tiles(report)
        left_over = workflow.unfilled_placeholders(subject + "\n" + body)
        if left_over:
            st.warning(f"{len(left_over)} template placeholder(s) still to fill, e.g. “{left_over[0]}”.",
                       icon=":material/edit:")
        comms.findings_list(report, limit=8)
        if len(draft.versions) > 1 or saved is None:
            version_checks(draft, EditorText(subject, body, language, report), options)
    return EditorText(subject, body, language, report)


def version_checks(draft: DraftView, editing: EditorText, options: dict) -> None:
    """The checks of every language version side by side (the one in the editor as typed), or 'no check'."""
    reports = {lang: comms.check(v.body, subject=v.subject, language=lang, **options)
               for lang, v in draft.versions.items() if lang != editing.language}
    reports[editing.language] = editing.report
    st.markdown("**Checks per language version**")
    widgets.table(languages.version_check_table(dict(sorted(reports.items()))), key="comms_version_checks",
                  filename=f"draft-{draft.id}-checks-per-language")


@on_data_version(max_entries=16)
def project_glossary(project_id: str | None) -> tuple:
    """The shared glossary with the project's own terms (Settings) on top."""
    return glossary.audience_glossary(data.engine(), project_id)


def check_options(studio: comms.Studio, draft: DraftView, choice: AudienceChoice) -> dict:
    """What the checks need beyond the text: the send date, the audience's zones and glossary, launch blockers."""
    project_id = (draft.context or {}).get("project_id")
    sent_on = pd.Timestamp(draft.scheduled_at or studio.now)
    zones = context.zone_mix(choice.members)["timezone"].head(CHECK_ZONES)
    blockers = approval.launch_blockers_in(data.resources(), draft.template, project_id, studio.now)
    return {"send_date": sent_on.date(), "zones": tuple(zones), "glossary": project_glossary(project_id),
            "blockers": tuple(blockers)}


def take_newer_text(studio: comms.Studio, draft: DraftView) -> None:
    """When someone saved since this session loaded the draft: reload quietly if nothing was typed, else warn."""
    loaded, bases = studio.loaded, studio.bases
    draft_keys = [k for k in loaded if k.startswith(f"comms_subject_{draft.id}_") or k.startswith(f"comms_body_{draft.id}_")]
    if draft.version == bases[draft.id]:
        return
    edited = any(st.session_state.get(k) != loaded[k] for k in draft_keys)
    if not edited:  # nothing typed here since: take the newer text quietly
        for k in draft_keys:
            st.session_state.pop(k, None)
            loaded.pop(k, None)
        bases[draft.id] = draft.version
    else:
        st.warning(f"Someone saved version {draft.version} while you were editing version {bases[draft.id]}. "
                   "When you save, your text is kept and you can compare and re-apply it.",
                   icon=":material/sync_problem:")


def _keys(draft: DraftView, language: str) -> tuple[str, str]:
    return f"comms_subject_{draft.id}_{language}", f"comms_body_{draft.id}_{language}"


def save_row(studio: comms.Studio, draft: DraftView, editing: EditorText, *, saved, read_only: bool) -> None:
    """The Save button and the state beside it; a lost save race is kept as a conflict to resolve."""
    subject, body, language = editing.subject, editing.body, editing.language
    unsaved = saved is None or subject != saved.subject or body != saved.body
    save_col, state_col = st.columns([1, 3], vertical_alignment="center")
    if save_col.button("Save", key="comms_save", type="primary", icon=":material/save:",
                       disabled=read_only or not unsaved):
        try:
            studio.bases[draft.id] = workflow.save_revision(
                studio.engine, draft.id, expected_version=studio.bases[draft.id], subject=subject, body=body,
                language=language, actor=studio.actor)
            studio.loaded.update(zip(_keys(draft, language), (subject, body)))
            st.session_state.pop("comms_conflict", None)
            st.toast(f"Saved the {language} version.")
            st.rerun()
        except StaleDraft as exc:
            st.session_state["comms_conflict"] = {"draft_id": draft.id, "language": language,
                                                  "message": str(exc), "kept": exc.kept_revision,
                                                  "current": exc.current_version}
        except CrowdPulseError as exc:
            comms.show_error(exc)
    if draft.status == "sent":
        state_col.caption("Sent messages are final: start a new draft for a correction.")
    elif unsaved:
        state_col.caption(":orange[Unsaved changes]" + (" · saving sends it back to draft for a new review"
                                                        if draft.status in ("in_review", "approved", "scheduled") else ""))


def conflict_box(studio: comms.Studio, draft: DraftView, editing: EditorText, *, current) -> None:
    """After a lost save race: the difference, and a choice to re-apply this text or load the saved one."""
    conflict = st.session_state.get("comms_conflict")
    if not (conflict and conflict["draft_id"] == draft.id and conflict["language"] == editing.language):
        return
    keys = _keys(draft, editing.language)
    with st.container(border=True):
        st.error(conflict["message"], icon=":material/sync_problem:")
        st.code(workflow.revision_diff(current.subject, current.body, editing.subject, editing.body,
                                       old_label=f"saved version {draft.version}",
                                       new_label=f"your text (kept as revision {conflict['kept']})")
                or "(no difference)", language="diff")
        keep_col, take_col = st.columns(2)
        if keep_col.button("Re-apply my text on top", key="comms_conflict_reapply", icon=":material/redo:"):
            try:
                studio.bases[draft.id] = workflow.save_revision(
                    studio.engine, draft.id, expected_version=draft.version, subject=editing.subject,
                    body=editing.body, language=editing.language, actor=studio.actor)
                studio.loaded.update(zip(keys, (editing.subject, editing.body)))
                st.session_state.pop("comms_conflict")
                st.rerun()
            except CrowdPulseError as exc:
                comms.show_error(exc)
        if take_col.button("Load the saved version", key="comms_conflict_take", icon=":material/download:",
                           help=f"Your text stays in the history as revision {conflict['kept']}."):
            for k in keys:
                st.session_state.pop(k, None)
                studio.loaded.pop(k, None)
            studio.bases[draft.id] = draft.version
            st.session_state.pop("comms_conflict")
            st.rerun()


def translator_files(studio: comms.Studio, draft: DraftView, language: str, *, read_only: bool) -> None:
    """The English strings for a translator into this language (CSV or XLIFF 1.2), and their translation back in."""
    with st.expander(f"Translators: the strings to translate into {language}", icon=":material/translate:"):
        name = f"draft-{draft.id}-{language}"
        csv_col, xliff_col = st.columns(2)
        csv_col.download_button("Strings as CSV", lambda: translations.strings_file(draft, language),
                                file_name=f"{name}.csv", mime="text/csv", key=f"comms_strings_csv_{draft.id}",
                                icon=":material/download:")
        xliff_col.download_button("Strings as XLIFF 1.2", lambda: translations.strings_file(draft, language,
                                                                                           format="xliff"),
                                  file_name=f"{name}.xlf", mime="application/x-xliff+xml",
                                  key=f"comms_strings_xliff_{draft.id}", icon=":material/download:")
        upload = st.file_uploader("Import the translated file", type=["csv", "xlf", "xliff"], disabled=read_only,
                                  key=f"comms_strings_upload_{draft.id}_{language}")
        if upload is not None and st.button("Save it as the version of its language", key="comms_strings_import",
                                            icon=":material/upload:"):
            try:
                done, studio.bases[draft.id] = translations.import_strings(
                    studio.engine, draft.id, upload.getvalue(), upload.name, expected_version=studio.bases[draft.id],
                    actor=studio.actor)
                for k in _keys(draft, done.language):
                    st.session_state.pop(k, None)
                    studio.loaded.pop(k, None)
                st.toast(f"Saved the {done.language} version from {upload.name}.")
                if done.caveats():
                    st.session_state["comms_strings_notes"] = done.caveats()
                st.rerun()
            except CrowdPulseError as exc:
                comms.show_error(exc)
        if note := st.session_state.pop("comms_strings_notes", None):
            st.warning(note, icon=":material/translate:")
