"""Comms studio: from a hand-off or a template to a checked, approved draft, with conflicts and events."""

import json
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sqlalchemy import select

from core.__main__ import main
from core.comms import checks, launch, previews, workflow
from core.comms.audience import load_audience_base
from core.comms.errors import NotAllowed
from core.demo import seed_demo
from core.exports import markdown_literal
from core.models import Member
from core.workforce.read import load_projects
from tests.app.conftest import APP

ANCHOR = pd.Timestamp("2026-11-22 09:00", tz="UTC").to_pydatetime()


@pytest.fixture
def studio(engine, monkeypatch):
    """Open the Comms studio on a writable tiny demo database (optionally with session state set first)."""
    seed_demo(engine, scale="tiny", seed=7, anchor=ANCHOR)
    monkeypatch.setenv("CROWDPULSE_NOW", ANCHOR.isoformat())  # looked at from the moment it was seeded
    monkeypatch.setenv("CROWDPULSE_DATABASE_URL", engine.url.render_as_string(hide_password=False))

    def open_studio(state: dict | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=90)
        for key, value in (state or {}).items():
            at.session_state[key] = value
        at.run()
        at.switch_page("app_pages/comms.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at
    return open_studio


def table(at: AppTest, *columns: str):
    """The first table showing these columns (AppTest does not expose a dataframe's key)."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def create_draft(at: AppTest) -> int:
    """Fill the selected template and return the id of the draft it opened."""
    at.button(key="comms_create").click().run()
    failures = [e.value for e in at.error if e.icon != ":material/block:"]  # blocking findings are not failures
    assert not at.exception and not failures, failures
    return at.selectbox(key="comms_draft_pick").value


def fill_blanks(at: AppTest, draft_id: int) -> None:
    """Replace the template's blanks and sample link, as an editor does before review (they block it: issue 19)."""
    body = at.text_area(key=f"comms_body_{draft_id}_en")
    text = checks.PLACEHOLDER_TEXT.sub("https://community.crowdpulse.org/start",
                                       workflow.PLACEHOLDER.sub("Your first tasks are in the project channel.", body.value))
    if text != body.value:
        body.input(text).run()
        at.button(key="comms_save").click().run()


def test_the_studio_opens_on_a_new_draft_with_the_audience_and_its_language_mix(studio, engine):
    from core import timeline
    from core.health.scope import active_member_ids
    at = studio()
    assert at.title[0].value == "Comms studio"
    assert at.selectbox(key="comms_draft_pick").value == 0
    tiles = {m.label: m.value for m in at.metric}
    # "Active taskers" are Health's monthly active (issue 15), not the 400 members stored as status "active".
    # Paused, offboarded and banned accounts are not messaged even when they worked in the last 28 days.
    with engine.connect() as connection:
        unavailable = set(connection.execute(select(Member.member_id).where(Member.status != "active")).scalars())
    active = set(active_member_ids(engine, timeline.data_as_of(engine))) - unavailable
    recipients = table(at, "member_id", "language")  # the first 250 rows the page shows
    assert set(recipients["member_id"]) <= set(active) and 0 < len(active) < 400
    assert tiles["Recipients"] == f"{len(active):,}"
    languages = table(at, "language", "recipients", "share")
    assert tiles["Languages"] == str(len(languages.dropna(subset=["language"])))
    assert table(at, "language", "recipients", "share")["recipients"].sum() == len(active)


def test_a_template_is_filled_from_live_data_and_checked_side_by_side(studio, engine):
    at = studio()
    at.selectbox(key="comms_new_template").set_value("guideline_update").run()
    at.selectbox(key="comms_new_project").set_value("p03").run()
    draft_id = create_draft(at)
    body = at.text_area(key=f"comms_body_{draft_id}_en").value
    assert "**Cedar GenAI Chat Rating** (version v3.0)" in body
    assert "- Sao Paulo (UTC−3): Sun 29 Nov 2026, 14:00" in body
    grade = next(m for m in at.metric if m.label.startswith("Grade"))
    assert grade.label == "Grade (target ≤ 7)" and float(grade.value) <= 7  # 36% read English as a 2nd language
    # The template's placeholders must be filled before review.
    assert "placeholder" in at.warning[0].value
    at.button(key="comms_submit").click().run()
    assert any("Fix the blocking findings on Check before review: placeholder to fill" in e.value for e in at.error)
    assert workflow.get_draft(engine, draft_id).status == "draft"


def test_findings_follow_the_text_and_are_highlighted_on_check(studio):
    at = studio()
    draft_id = create_draft(at)
    editor = at.text_area(key=f"comms_body_{draft_id}_en")
    editor.set_value(editor.value + "\nThe ground truth was reviewed. Join us next Friday at 5pm.\n").run()
    findings = table(at, "kind", "where", "fix")
    # The template's example link is a placeholder: a blocking finding, listed first (issue 19).
    assert findings["kind"].tolist() == ["Placeholder to fill", "Jargon or acronym", "Passive voice", "Ambiguous date",
                                         "Time without zone"]
    assert findings["level"].tolist()[0] == "blocking"
    assert not [s.value for s in at.success if "No findings" in s.value]  # never beside a placeholder
    highlighted = " ".join(m.value for m in at.markdown)
    assert ":violet-background[ground truth]" in highlighted
    assert r":red-background[next Friday]" in highlighted


def test_an_alert_hand_off_prefills_the_audience_and_a_fitting_template(studio, engine):
    base = pd.read_sql("SELECT member_id FROM member WHERE NOT is_staff AND NOT is_bot ORDER BY member_id LIMIT 25", engine)
    at = studio({"comms_handoff": {"member_ids": base["member_id"].tolist(), "label": "fatigued taskers",
                                   "template": "wellbeing_check", "project_id": None}})
    assert at.selectbox(key="comms_new_template").value == "wellbeing_check"
    assert at.radio(key="comms_audience_source_new").value == "handoff"
    assert {m.label: m.value for m in at.metric}["Recipients"] == "25"
    draft_id = create_draft(at)
    listing = workflow.list_drafts(engine)
    assert listing.set_index("id").loc[draft_id, "audience"] == "fatigued taskers · 22 Nov 2026"
    assert "comms_handoff" not in at.session_state


def test_a_draft_goes_from_review_to_approved_and_unlocks_sending_exports(studio, engine):
    at = studio()
    draft_id = create_draft(at)
    assert not [b for b in at.get("download_button") if b.proto.id.endswith("comms_export_eml")]
    fill_blanks(at, draft_id)
    at.button(key="comms_submit").click().run()
    at.text_area(key="comms_comment").set_value("Clear and kind.").run()
    at.button(key="comms_add_comment").click().run()
    at.button(key="comms_approve").click().run()
    assert not [e for e in at.error if e.icon != ":material/block:"]
    assert workflow.get_draft(engine, draft_id).status == "approved"
    assert table(at, "actor", "action", "detail")["action"].tolist() == ["create", "save", "submit", "comment",
                                                                         "approve"]
    assert "comms_export_eml" in " ".join(b.proto.id for b in at.get("download_button"))


def test_a_specialist_sees_approve_disabled_and_the_core_refuses_anyway(studio, engine):
    at = studio()
    draft_id = create_draft(at)
    fill_blanks(at, draft_id)
    at.button(key="comms_submit").click().run()
    signed = AppTest.from_file(APP, default_timeout=90)
    signed.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                              "client_id": "id", "client_secret": "secret",
                              "server_metadata_url": "https://example.invalid/.well-known/openid-configuration"}
    signed.user = {"is_logged_in": True, "email": "priya.cs@crowdpulse.example"}
    signed.session_state["comms_open_next"] = draft_id
    signed.run()
    signed.switch_page("app_pages/comms.py").run()
    assert signed.button(key="comms_approve").disabled
    with pytest.raises(NotAllowed, match="Only a manager or above can approve"):
        workflow.approve(engine, draft_id, expected_version=workflow.get_draft(engine, draft_id).version,
                         actor="priya.cs@crowdpulse.example")


def test_two_people_saving_at_once_get_a_conflict_message_and_nothing_is_lost(studio, engine):
    at = studio()
    draft_id = create_draft(at)
    # Marcus saves from another browser while this one is editing version 1.
    workflow.save_revision(engine, draft_id, expected_version=1, subject="From Marcus", body="Marcus's text. Read it.",
                           actor="marcus.lead@crowdpulse.example")
    at.text_area(key=f"comms_body_{draft_id}_en").set_value("My text. Please read the guide.").run()
    assert "while you were editing" in at.warning[0].value
    at.button(key="comms_save").click().run()
    assert "kept as revision 3" in at.error[0].value and "nothing is lost" in at.error[0].value
    assert "+My text. Please read the guide." in at.code[0].value
    at.button(key="comms_conflict_reapply").click().run()
    assert workflow.get_draft(engine, draft_id).versions["en"].body == "My text. Please read the guide."
    assert workflow.history(engine, draft_id)["action"].tolist() == ["create", "save", "conflict", "save"]


def test_announcing_an_event_opens_a_draft_with_its_local_times(studio):
    at = studio()
    at.selectbox(key="comms_event_pick").set_value("e010").run()
    at.button(key="comms_announce").click().run()
    assert at.selectbox(key="comms_new_template").value == "event_invite"
    assert at.selectbox(key="comms_new_event").value == "e010"
    local = table(at, "place", "local_time", "day_note")
    assert len(local) == 12 and "Kolkata" in local["place"].tolist()
    draft_id = create_draft(at)
    body = at.text_area(key=f"comms_body_{draft_id}_en").value
    assert "Launch briefing: Harbor red-teaming" in body and "(UTC+5:30)" in body


def test_an_event_entered_by_hand_appears_in_the_list(studio):
    at = studio()
    at.text_input(key="comms_event_title").set_value("Office hours: payouts")
    at.button(key="FormSubmitter:comms_event_form-Add event").click().run()
    assert "Office hours: payouts" in table(at, "title", "days_away")["title"].tolist()


BAD = ("Heads up folks! Going forward, the IAA threshold for the RLHF pairwise task will be bumped to 0.8 and "
       "submissions will be reviewed by the QA team. Please circle back with your TL by 03/04 at 5pm if you have any "
       "blockers, it's a piece of cake.")


def test_the_check_tab_and_the_cli_give_the_same_findings(studio, tmp_path, capsys):
    at = studio()
    draft_id = create_draft(at)
    subject = at.text_input(key=f"comms_subject_{draft_id}_en").value
    at.text_area(key=f"comms_body_{draft_id}_en").set_value(BAD).run()
    page = table(at, "kind", "level", "where", "text", "why", "fix")
    grade = next(m for m in at.metric if m.label.startswith("Grade"))
    assert float(grade.value) >= 7 + 4  # well above this audience's target of 7
    share = re.search(r"\((\d+)% of this audience", " ".join(page["why"])).group(1)
    draft = tmp_path / "draft.md"
    draft.write_text(f"Subject: {subject}\n{BAD}\n", encoding="utf-8")
    assert main(["comms-check", str(draft), "--format", "json", "--send-date", ANCHOR.date().isoformat(),
                 "--share", str(int(share) / 100)]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert cli["grade"] == float(grade.value)
    # The file has the subject on line 1, so its lines are the editor's plus one.
    as_cli = [(checks.KIND_LABELS[f["kind"]], f["level"], "subject" if f["part"] == "subject" else
               str(f["line"] - 1) if f["line"] else "message", f["text"], f["message"], f["suggestion"])
              for f in cli["findings"]]
    assert [tuple(row) for row in page.itertuples(index=False)] == as_cli
    assert {"IAA", "TL", "pairwise", "blockers", "folks", "Going forward", "bumped", ", it's",
            "it's a piece of cake", "RLHF", "QA", "be reviewed", "03/04", "5pm"} <= set(page["text"])


def test_a_launch_announcement_for_an_unready_launch_is_blocked(studio, engine):
    members, label = launch.launch_audience(load_audience_base(engine), load_projects(engine), "p08")
    at = studio({"comms_handoff": {"member_ids": members, "label": label, "template": "project_launch",
                                   "project_id": "p08"}})
    create_draft(at)
    blocking = [e.value for e in at.error if e.icon == ":material/block:"]
    expected = launch.announcement_blockers(launch.load_resources(engine), "p08", ANCHOR)
    assert expected and all(any(markdown_literal(b) in shown for shown in blocking) for b in expected)
    assert any("Harbor Guidelines" in shown and "in review" in shown for shown in blocking)


def test_the_preview_shows_the_email_html_and_each_channel_at_its_limits(studio):
    at = studio()
    draft_id = create_draft(at)
    body = at.text_area(key=f"comms_body_{draft_id}_en").value
    subject = at.text_input(key=f"comms_subject_{draft_id}_en").value
    shown = [e.proto.body for e in at.get("html")]
    assert shown[:4] == [previews.preview_html(c, subject, body) for c in ("email", "slack", "discord", "in_app")]
    at.text_area(key=f"comms_body_{draft_id}_en").set_value("Please read this. " + "a" * 2100).run()
    assert any("over the Discord limit of 2,000" in e.value for e in at.error)


def test_the_audience_tab_counts_own_language_and_english_readers_and_records_a_send_english_decision(studio, engine):
    """A guideline update to the Latin American readers: Spanish and Portuguese groups need a version (issue 18)."""
    from core.comms import languages
    at = studio()
    at.multiselect(key="comms_regions").set_value(["Latin America"]).run()
    at.selectbox(key="comms_new_template").set_value("guideline_update").run()
    at.selectbox(key="comms_new_project").set_value("p03").run()
    draft_id = create_draft(at)
    shown = table(at, "language", "own_language", "english_fallback")
    expected = languages.draft_language_table(engine, draft_id)
    assert shown["english_fallback"].tolist() == expected["english_fallback"].tolist()
    assert shown["own_language"].tolist() == expected["own_language"].tolist()
    large = expected[expected["missing"]]["language"].tolist()
    assert "es" in large and shown.set_index("language").loc["Spanish", "own_language"] == 0  # languages in words
    assert any(w.value == languages.missing_versions_message(expected) for w in at.warning)
    at.text_input(key=f"comms_send_english_{draft_id}_es_reason").set_value("translator away this week").run()
    at.button(key=f"comms_send_english_{draft_id}_es").click().run()
    assert not at.exception
    after = languages.draft_language_table(engine, draft_id).set_index("language")
    assert after.loc["es", "send_english"] and not after.loc["es", "missing"]
    assert workflow.history(engine, draft_id)["action"].tolist()[-1] == "send_english"


def test_each_language_version_is_checked_and_translators_get_its_strings(studio, engine):
    """Opening the Spanish version: its checks by Fernández Huerta beside the English grade, and the strings files."""
    at = studio()
    at.multiselect(key="comms_regions").set_value(["Latin America"]).run()
    draft_id = create_draft(at)
    at.segmented_control(key=f"comms_language_{draft_id}").set_value("es").run()
    assert not at.exception
    english = at.text_area(key=f"comms_body_{draft_id}_es").value  # the English text to translate
    shown = table(at, "readability", "figure", "findings").set_index("language")
    assert shown.loc["English", "readability"] == "Grade (Flesch-Kincaid, adapted)"  # languages in words
    assert shown.loc["Spanish", "readability"] == "Reading ease (Fernández Huerta)"
    assert shown.loc["Spanish", "figure"] == checks.check_text(english, language="es").flesch_reading_ease
    labels = [b.label for b in at.get("download_button")]
    assert "Strings as CSV" in labels and "Strings as XLIFF 1.2" in labels
    at.text_area(key=f"comms_body_{draft_id}_es").set_value("Hola. Lea la guía.").run()
    at.button(key="comms_save").click().run()
    assert workflow.get_draft(engine, draft_id).versions["es"].body == "Hola. Lea la guía."
