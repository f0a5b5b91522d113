"""Plain-language checks: each kind fires on a hand-written bad text and stays quiet on a good one."""

import json

import pytest

from core.__main__ import main
from core.comms import checks
from core.exports import markdown_literal


def kinds(text: str, **options) -> list[tuple[str, str]]:
    """(kind, offending text) of every finding, in order."""
    return [(f.kind, f.text) for f in checks.check_text(text, **options).findings]


def only(kind: str, text: str, **options) -> list[str]:
    """The offending texts of one kind of finding."""
    return [t for k, t in kinds(text, **options) if k == kind]


# --- readability ------------------------------------------------------------------------------


def test_short_plain_sentences_read_easily():
    report = checks.check_text("Read the guide. It is short. Then try five tasks.")
    assert (report.words, report.sentences) == (10, 3)
    assert report.flesch_reading_ease > 90 and report.grade < 3
    assert only("readability", "Read the guide. It is short. Then try five tasks.") == []


def test_dense_text_is_above_grade_and_names_the_hardest_sentence():
    text = ("Annotators should systematically prioritise comprehensive evaluations of conversational responses. "
            "Read it.")
    findings = [f for f in checks.check_text(text).findings if f.kind == "readability"]
    assert findings[0].text.startswith("Annotators should systematically")
    assert "aim for 8" in findings[0].message


def test_the_same_text_can_pass_for_native_readers_and_fail_for_a_mostly_second_language_audience():
    # 15 words, 2 sentences, 25 syllables (e-val-u-a-tion is five; the heuristic says 'any' is one):
    # 0.39 * 7.5 + 11.8 * 25 / 15 - 15.59 = 7.0017
    text = "Please finish the evaluation of each chat before the weekly deadline. Reply with any questions."
    assert checks.check_text(text).grade == 7.0
    assert only("readability", text, second_language_share=0.3) == []
    assert only("readability", text, second_language_share=0.6) != []


# --- words and phrases --------------------------------------------------------------------------


def test_jargon_is_found_with_its_plain_replacement():
    report = checks.check_text("Check the ground truth and the bounding boxes before the SLA runs out. Reply here.")
    jargon = [f for f in report.findings if f.kind == "jargon"]
    assert [f.text for f in jargon] == ["ground truth", "bounding boxes", "SLA"]
    assert "the correct answer" in jargon[0].suggestion


def test_acronyms_match_only_in_capitals_and_words_only_whole():
    assert only("jargon", "The slalom and the sla file are fine. Our rubrics changed. Read them.") == ["rubrics"]


def test_project_names_are_not_reported_as_jargon():
    text = "Harbor Safety Red-Teaming opens soon. Read the guide."
    assert only("jargon", text) == ["Red-Teaming"]
    assert only("jargon", text, names=["Harbor Safety Red-Teaming"]) == []


def test_idioms_and_slang_are_found_even_when_inflected():
    text = "We are hitting the ground running. Give us a ballpark figure and we'll circle back. Ping us."
    assert only("idiom", text) == ["hitting the ground running", "ballpark", "circle back", "Ping"]


def test_plain_words_that_contain_an_idiom_word_are_not_idioms():
    assert only("idiom", "The ball is round. Please read the guide on the base rate.") == []


# --- sentences ----------------------------------------------------------------------------------


def test_sentence_over_25_words_is_long_and_25_is_not():
    words_26 = " ".join(["word"] * 25) + " end."
    words_25 = " ".join(["word"] * 24) + " end."
    assert len(only("long_sentence", words_26)) == 1
    assert only("long_sentence", words_25) == []


# (text, what the "passive" check flags in it)
PASSIVE_VOICE = [
    ("Your tasks were reviewed by the quality team.", ["were reviewed"]),
    ("Payments are being processed now.", ["are being processed"]),
    ("The guide was written last week.", ["was written"]),
    ("We are excited to welcome you.", []),
    ("The survey is closed.", []),
    ("We reviewed your tasks.", []),
    ("The car is red.", []),
]


@pytest.mark.parametrize("text, rewrite", [
    ("Your tasks were reviewed by the quality team.", "The quality team reviewed your tasks"),
    ("Submissions will be reviewed by the QA team.", "The QA team will review submissions"),
    ("Each batch is checked by a senior reviewer.", "A senior reviewer checks each batch"),
    ("Your answers have been approved by the leads.", "The leads have approved your answers"),
    ("The threshold will be bumped to 0.8.", "[who] will bump the threshold to 0.8"),
])
def test_passive_rewrite_names_the_actor_and_keeps_the_tense(text, rewrite):
    finding = next(f for f in checks.check_text(text).findings if f.kind == "passive")
    assert finding.suggestion == f"Say who acts: '{rewrite}'."


# --- dates and times ----------------------------------------------------------------------------


# (text, what the "ambiguous_date" check flags in it)
AMBIGUOUS_DATES = [
    ("Submit by 03/04 please.", ["03/04"]),
    ("Submit by 3/4/2026 please.", ["3/4/2026"]),
    ("We meet next Friday.", ["next Friday"]),
    ("Finish it by Friday.", ["by Friday"]),
    ("Reply by tomorrow or by EOD.", ["tomorrow", "EOD"]),
    ("Submit by 25/12 please.", []),                      # only one reading: 25 December
    ("Submit by 04/04 please.", []),                      # same either way
    ("Guidelines v2.1 take 3-4 hours.", []),              # versions and ranges are not dates
    ("Submit by Friday 4 December 2026.", []),
    ("Submit by 2026-12-04.", []),
    ("See https://example.com/a/03/04 for details.", []),  # inside a link
]


# (text, what the "time_without_zone" check flags in it)
TIMES_WITHOUT_A_ZONE = [
    ("Join us at 5pm.", ["5pm"]),
    ("Join us at 5:30 p.m. today.", ["5:30 p.m."]),
    ("Join us at 17:00 sharp.", ["17:00"]),
    ("The queue closes at midnight.", ["midnight"]),
    ("Join us at 17:00 UTC.", []),
    ("Join us at 5pm GMT.", []),
    ("Join us at 9am your time.", []),
    ("New York (UTC−5): Fri 4 Dec 2026, 12:00", []),
    ("It starts at 10:00 CEST.", []),
]


# --- tone, length, call to action ----------------------------------------------------------------


# (text, what the "tone" check flags in it)
NEGATIVE_OR_BLAMING_TONE = [
    ("Your work was terrible and awful. Read the guide.", ["Your work was terrible and awful."]),
    ("Failure to follow the rules means removal. Read the guide.", ["Failure to"]),
    ("You failed to read the guide. Read it now.", ["You failed"]),
    ("We are sorry for the delay. Read the update.", []),
    ("Payments are late because of a bank error. Read the update.", []),
    ("Thank you for your great work! Read the guide.", []),
]


@pytest.mark.parametrize("kind, text, expected", [
    pytest.param(kind, text, expected, id=f"{kind}: {text}")
    for kind, cases in [("passive", PASSIVE_VOICE), ("ambiguous_date", AMBIGUOUS_DATES),
                        ("time_without_zone", TIMES_WITHOUT_A_ZONE), ("tone", NEGATIVE_OR_BLAMING_TONE)]
    for text, expected in cases
])
def test_true_and_false_positives(kind, text, expected):
    assert only(kind, text) == expected


def test_email_subject_over_60_characters_or_missing_is_a_length_finding():
    assert only("length", "Read it.", subject="x" * 61) == ["x" * 61]
    assert only("length", "Read it.", subject="x" * 60) == []
    assert [f.suggestion[:18] for f in checks.check_text("Read it.", subject="").findings] == ["Add a subject line"]


@pytest.mark.parametrize("channel, size, found", [("discord", 2000, False), ("discord", 2001, True),
                                                  ("slack", 4000, False), ("slack", 4001, True),
                                                  ("in_app", 160, False), ("in_app", 161, True)])
def test_channel_length_limits(channel, size, found):
    body = "Read " + "a" * (size - 5)
    assert bool(only("length", body, channel=channel)) is found


def test_message_without_an_action_has_no_call_to_action():
    assert kinds("We changed some things this week.") == [("no_call_to_action", "")]
    assert only("no_call_to_action", "We changed some things. Please read the guide.") == []
    assert only("no_call_to_action", "We changed things: https://example.com/guide") == []


def test_deadline_is_required_only_when_the_message_asks_for_one():
    text = "Please take the survey."
    assert only("no_call_to_action", text) == []
    assert len(only("no_call_to_action", text, expects_deadline=True)) == 1
    assert only("no_call_to_action", "Please take the survey by Friday 4 December 2026, 17:00 UTC.",
                expects_deadline=True) == []


def test_other_languages_get_only_the_language_neutral_checks():
    text = "Por favor, lean la guía antes del 03/04 a las 5pm. Fue escrito por el equipo con mucho cuidado y atención."
    assert sorted({k for k, _ in kinds(text, language="es")}) == ["ambiguous_date", "time_without_zone"]


def test_findings_carry_lines_and_offsets_into_the_body():
    body = "Hello,\n\nCheck the ground truth today."
    finding = next(f for f in checks.check_text(body).findings if f.kind == "jargon")
    assert (finding.line, body[finding.start:finding.end]) == (3, "ground truth")


# --- highlighting -------------------------------------------------------------------------------


def test_highlighting_escapes_markdown_and_never_nests_directives():
    body = "Check the ground truth [now](x) *here*."
    report = checks.check_text(body)
    marked = checks.highlighted_markdown(body, report.findings)
    assert ":violet-background[ground truth]" in marked
    assert r"\[now\]\(x\) \*here\*\." in marked
    assert marked.count("[") - marked.count(r"\[") == marked.count(":violet-background[")


def test_markdown_literal_neutralises_directives_latex_and_html():
    assert markdown_literal(":red[x] $y$ <b>") == r"\:red\[x\] \$y\$ \<b\>"


# --- the CLI ------------------------------------------------------------------------------------


def test_cli_prints_figures_and_findings_as_json_with_file_line_numbers(tmp_path, capsys):
    draft = tmp_path / "draft.md"
    draft.write_text("Subject: Update on 03/04\n\nHi all,\n\nThe ground truth was reviewed. Join us at 5pm.\n")
    assert main(["comms-check", str(draft), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"flesch_reading_ease", "grade", "findings"}
    assert [(f["kind"], f["text"], f["line"]) for f in out["findings"]] == [
        ("ambiguous_date", "03/04", 1), ("jargon", "ground truth", 5), ("passive", "was reviewed", 5),
        ("time_without_zone", "5pm", 5)]
    assert all(set(f) == {"kind", "level", "text", "line", "span", "part", "message", "suggestion"}
               for f in out["findings"])
    assert out["findings"][1]["span"] == [14, 26]  # 'ground truth' in the body under the subject line
    assert {f["kind"] for f in out["findings"]} <= set(checks.KINDS)


def test_cli_checks_channel_length_and_reads_front_matter_subjects(tmp_path, capsys):
    draft = tmp_path / "post.md"
    draft.write_text("---\nsubject: Weekly news\n---\nPlease read this. " + "a" * 2100 + "\n")
    assert main(["comms-check", str(draft), "--channel", "discord", "--format", "json"]) == 0
    assert [f["kind"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["length"]


def test_cli_says_which_file_it_cannot_read(capsys):
    assert main(["comms-check", "/no/such/draft.md"]) != 0
    assert "cannot read /no/such/draft.md" in capsys.readouterr().err
