"""Writing for the audience's languages: own-language and English-fallback counts, and the approval rule (issue 18)."""

import pandas as pd
import pytest

from core.comms import approval, languages, workflow
from core.comms.errors import InvalidTransition, NotAllowed
from core.comms.languages import MissingLanguageVersion
from core.db import session_scope
from core.models import Member, Setting
from tests.core.comms.staff import MANAGER, SPECIALIST, VIEWER, store_staff

AUDIENCE = pd.DataFrame({"member_id": list("abcdefghij"),
                         "language": ["es", "es", "es", "es", "es", "pt", "pt", "en", "fr", None]})


@pytest.fixture(autouse=True)
def staff(request):
    """The staff accounts the tests act as, in each test's database (core derives roles from them)."""
    if "engine" in request.fixturenames:
        store_staff(request.getfixturevalue("engine"))


def test_each_language_counts_who_reads_their_own_and_who_falls_back_to_english():
    table = languages.language_versions(AUDIENCE, ["en", "pt"], threshold=0.2)
    assert table[["language", "recipients", "own_language", "english_fallback", "required", "missing"]] \
        .to_dict("records") == [
        {"language": "es", "recipients": 5, "own_language": 0, "english_fallback": 5, "required": True,
         "missing": True},
        {"language": "pt", "recipients": 2, "own_language": 2, "english_fallback": 0, "required": False,
         "missing": False},
        {"language": "en", "recipients": 1, "own_language": 1, "english_fallback": 0, "required": False,
         "missing": False},
        {"language": "fr", "recipients": 1, "own_language": 0, "english_fallback": 1, "required": False,
         "missing": False},
        {"language": "unknown", "recipients": 1, "own_language": 0, "english_fallback": 1, "required": False,
         "missing": False},
    ]
    assert table["share"].tolist() == [0.5, 0.2, 0.1, 0.1, 0.1]


def test_a_group_exactly_at_the_threshold_is_not_above_it_and_regional_codes_fold_to_the_language():
    audience = pd.DataFrame({"language": ["pt-BR", "pt_br", "en", "en", "en", "en", "en", "en", "en", "en"]})
    table = languages.language_versions(audience, ["en"], threshold=0.2).set_index("language")
    assert table.loc["pt", "recipients"] == 2 and not table.loc["pt", "required"]
    assert languages.language_versions(audience, ["en"], threshold=0.19).set_index("language").loc["pt", "missing"]


def test_a_decision_to_send_english_clears_the_missing_version_but_still_counts_the_fallback():
    table = languages.language_versions(AUDIENCE, ["en"], send_english=["es"], threshold=0.2).set_index("language")
    assert not table.loc["es", "missing"] and table.loc["es", "send_english"]
    assert table.loc["es", "english_fallback"] == 5


def test_messages_other_than_launches_and_guideline_updates_need_no_version():
    table = languages.language_versions(AUDIENCE, ["en"], threshold=0.2, rule_applies=False)
    assert not table["required"].any()


def spanish_majority_draft(engine, template="guideline_update") -> tuple[int, int]:
    """A draft to 3 Spanish readers and 1 English reader, sent for review: (draft id, version)."""
    with session_scope(engine) as session:
        for member_id, language in (("m1", "es"), ("m2", "es"), ("m3", "es"), ("m4", "en")):
            session.add(Member(member_id=member_id, language=language, timezone="America/Bogota"))
    segment = workflow.save_segment(engine, name="Bogotá", member_ids=["m1", "m2", "m3", "m4"], **SPECIALIST)
    draft_id = workflow.create_draft(engine, title="Guide update", subject="The guide changed",
                                     body="Please read the guide.", segment_id=segment, template=template,
                                     **SPECIALIST)
    return draft_id, workflow.submit_for_review(engine, draft_id, expected_version=1, **SPECIALIST)


def test_a_guideline_update_to_a_spanish_majority_cannot_be_approved_without_a_spanish_version(engine):
    draft_id, version = spanish_majority_draft(engine)
    expected = ("This message goes to large language groups with no version of their own: es (3 readers, 75%). "
                "Add their version on Write, or decide on Audience to send them the English text (the decision "
                "is audited).")
    assert approval.approval_blocker(engine, draft_id, MANAGER["actor"]) == expected
    with pytest.raises(MissingLanguageVersion) as refused:
        workflow.approve(engine, draft_id, expected_version=version, **MANAGER)
    assert str(refused.value) == expected
    assert workflow.get_draft(engine, draft_id).status == "in_review"
    version = workflow.save_revision(engine, draft_id, expected_version=version, subject="La guía cambió",
                                     body="Lea la guía, por favor.", language="es", **SPECIALIST)
    version = workflow.submit_for_review(engine, draft_id, expected_version=version, **SPECIALIST)
    assert approval.approval_blocker(engine, draft_id, MANAGER["actor"]) is None
    assert workflow.approve(engine, draft_id, expected_version=version, **MANAGER) == version + 1


def test_the_language_rule_over_a_base_the_studio_holds_counts_the_drafts_saved_audience_from_it(engine):
    draft_id, _ = spanish_majority_draft(engine)
    # The studio's cached base: m3 has since switched to English (the rule reads the base it is given).
    base = pd.DataFrame({"member_id": ["m1", "m2", "m3", "m4", "m5"], "language": ["es", "es", "en", "en", "es"]})
    assert approval.approval_blocker(engine, draft_id, MANAGER["actor"], base=base) == (
        "This message goes to large language groups with no version of their own: es (2 readers, 50%). "
        "Add their version on Write, or decide on Audience to send them the English text (the decision "
        "is audited).")


def test_an_audited_send_english_decision_lets_the_message_be_approved_and_can_be_withdrawn(engine):
    draft_id, version = spanish_majority_draft(engine, template="project_launch")
    with pytest.raises(InvalidTransition, match="Say why"):
        languages.decide_send_english(engine, draft_id, language="es", reason=" ", **SPECIALIST)
    with pytest.raises(NotAllowed):
        languages.decide_send_english(engine, draft_id, language="es", reason="x", **VIEWER)
    languages.decide_send_english(engine, draft_id, language="es", reason="no translator before Friday",
                                  **SPECIALIST)
    trail = workflow.history(engine, draft_id)
    assert trail["action"].tolist()[-1] == "send_english"
    assert trail["actor"].tolist()[-1] == "priya@example.com"
    assert trail["detail"].tolist()[-1] == "decided to send the English text to es readers: no translator before Friday"
    languages.decide_send_english(engine, draft_id, language="es", withdraw=True, **SPECIALIST)
    with pytest.raises(MissingLanguageVersion):
        workflow.approve(engine, draft_id, expected_version=version, **MANAGER)
    languages.decide_send_english(engine, draft_id, language="es", reason="no translator before Friday",
                                  **SPECIALIST)
    assert workflow.approve(engine, draft_id, expected_version=version, **MANAGER) == version + 1


def test_the_threshold_is_a_setting_and_other_templates_are_not_held(engine):
    draft_id, version = spanish_majority_draft(engine, template="weekly_newsletter")
    assert languages.draft_language_table(engine, draft_id).set_index("language").loc["es", "english_fallback"] == 3
    assert workflow.approve(engine, draft_id, expected_version=version, **MANAGER) == version + 1
    with session_scope(engine) as session:
        session.add(Setting(key=languages.THRESHOLD_SETTING, value=0.8))
    with session_scope(engine) as session:
        assert languages.language_threshold(session) == 0.8


def test_each_language_version_is_checked_with_its_formula_or_says_there_is_none():
    from core.comms import checks
    texts = {"en": "Please read the new guide. It is short.",
             "es": "Lea la nueva guía. Es corta.",
             "id": "Silakan baca panduan baru. Panduannya pendek."}
    reports = {lang: checks.check_text(text, language=lang, glossary=(), idioms=()) for lang, text in texts.items()}
    table = languages.version_check_table(reports).set_index("language")
    assert table["readability"].tolist() == ["Grade (Flesch-Kincaid, adapted)", "Reading ease (Fernández Huerta)",
                                             "—"]
    assert table.loc["en", "figure"] == reports["en"].grade and table.loc["en", "target"] == "≤ 8"
    # Fernández Huerta: 206.84 − 0.60 × syllables per 100 words − 1.02 × words per sentence
    # Le-a la nue-va guí-a · Es cor-ta: 10 syllables, 6 words, 2 sentences
    # = 206.84 − 0.60 × (10 / 6 × 100) − 1.02 × 3 = 103.78
    assert table.loc["es", "figure"] == pytest.approx(103.8, abs=0.05) and table.loc["es", "target"] == "≥ 60"
    assert table.loc["id", "note"].startswith("No readability check for this language")
    assert pd.isna(table.loc["id", "figure"])
