"""Strings for translators: CSV and XLIFF 1.2 out, the translation back in as a language version (issue 18)."""

import pytest

from core.comms import translations, workflow
from core.comms.translations import TranslationProblem

SPECIALIST = dict(actor="priya@example.com", role="specialist")
SUBJECT = "The guide changed"
BODY = "Hello all,\n\nThe guide for **Cedar** changed:\n- Sao Paulo: 14:00\n- =SUM(A1)\n\n\nThanks!\n"
SPANISH = {"subject": "La guía cambió", "body.1": "Hola a todos,",
           "body.2": "La guía de **Cedar** cambió:\n- São Paulo: 14:00\n- =SUM(A1)", "body.3": "¡Gracias!"}


def english_draft(engine) -> int:
    """A draft with the English text above."""
    return workflow.create_draft(engine, title="Guide", subject=SUBJECT, body=BODY, **SPECIALIST)


def test_units_are_the_subject_and_each_paragraph():
    assert translations.units(SUBJECT, BODY) == [
        ("subject", "The guide changed"), ("body.1", "Hello all,"),
        ("body.2", "The guide for **Cedar** changed:\n- Sao Paulo: 14:00\n- =SUM(A1)"), ("body.3", "Thanks!")]


def fill(table, texts: dict):
    """What a translator does: the target column filled."""
    return table.assign(target=table["unit"].map(texts).fillna(""))


@pytest.mark.parametrize("format, filename", [("csv", "strings.csv"), ("xliff", "strings.xlf")])
def test_export_then_import_round_trips_into_a_spanish_version(engine, format, filename):
    draft_id = english_draft(engine)
    draft = workflow.get_draft(engine, draft_id)
    exported = translations.strings_file(draft, "es", format=format)
    table = translations.read_file(exported, filename)
    assert table["source"].tolist() == [text for _, text in translations.units(SUBJECT, BODY)]  # apostrophes undone
    assert table["target"].tolist() == ["", "", "", ""]
    filled = fill(table, SPANISH)
    data = translations.to_xliff(filled) if format == "xliff" else translations.to_csv(filled)
    translation, version = translations.import_strings(engine, draft_id, data, filename, expected_version=1,
                                                       **SPECIALIST)
    assert version == 2 and translation.stale == [] and translation.untranslated == []
    spanish = workflow.get_draft(engine, draft_id).versions["es"]
    assert spanish.subject == "La guía cambió"
    assert spanish.body == ("Hola a todos,\n\nLa guía de **Cedar** cambió:\n- São Paulo: 14:00\n- =SUM(A1)\n\n\n"
                            "¡Gracias!\n")
    again = translations.read_file(translations.strings_file(workflow.get_draft(engine, draft_id), "es",
                                                             format=format), filename)
    assert again["target"].tolist() == ["La guía cambió", "Hola a todos,", SPANISH["body.2"], "¡Gracias!"]


def test_csv_cells_that_look_like_formulas_leave_neutralised():
    table = translations.translation_table(3, (SUBJECT, "=HYPERLINK(\"x\")"), "es")
    assert "'=HYPERLINK" in translations.to_csv(table).decode()


def test_an_empty_target_keeps_the_english_and_a_changed_source_is_stale():
    table = translations.translation_table(3, (SUBJECT, "One.\n\nTwo."), "pt")
    table = table.assign(target=["Assunto", "Um.", ""], source=[SUBJECT, "One (old).", "Two."])
    translation = translations.apply_translation(table, 3, (SUBJECT, "One.\n\nTwo."))
    assert (translation.language, translation.subject, translation.body) == ("pt", "Assunto", "Um.\n\nTwo.")
    assert translation.stale == ["body.1"] and translation.untranslated == ["body.2"]


def test_a_file_of_another_draft_or_with_unknown_units_is_refused():
    table = translations.translation_table(3, (SUBJECT, "One."), "pt").assign(target="x")
    with pytest.raises(TranslationProblem, match="another draft"):
        translations.apply_translation(table, 4, (SUBJECT, "One."))
    with pytest.raises(TranslationProblem, match="body.1"):
        translations.apply_translation(table, 3, (SUBJECT, ""))


def test_xliff_with_entities_and_broken_files_are_refused_in_words():
    with pytest.raises(TranslationProblem, match="entities"):
        translations.read_file(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><xliff/>', "a.xlf")
    with pytest.raises(TranslationProblem, match="well-formed"):
        translations.read_file(b"<xliff", "a.xliff")
    with pytest.raises(TranslationProblem, match="columns"):
        translations.read_file(b"a,b\n1,2\n", "a.csv")


def test_a_file_targeting_english_is_refused(engine):
    draft_id = english_draft(engine)
    table = translations.translation_table(draft_id, (SUBJECT, BODY), "en").assign(target="x")
    with pytest.raises(TranslationProblem, match="English"):
        translations.import_strings(engine, draft_id, translations.to_csv(table), "s.csv", expected_version=1,
                                    **SPECIALIST)


def test_the_caveats_name_the_units_to_look_at_again():
    translation = translations.Translation("pt", "s", "b", stale=["body.1"], untranslated=["body.2", "body.3"])
    assert translation.caveats() == ("Units left empty, so still in English: body.2, body.3; translated from an "
                                     "older English text: body.1.")
    assert translations.Translation("pt", "s", "b").caveats() == ""
