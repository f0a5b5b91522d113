"""Issue 19: a table of short texts and the findings an editor expects, each kind beside its false-positive twin.

Every text is read as sent on Friday 27 February 2026 (so 'Friday 6 March' is next week's Friday).
The table compares every finding except the overall grade and the call to action, which have their
own tests below.
"""

import datetime as dt

import pytest

from core.comms import checks, readability

SEND = dt.date(2026, 2, 27)
BAD = ("Heads up folks! Going forward, the IAA threshold for the RLHF pairwise task will be bumped to 0.8 and "
       "submissions will be reviewed by the QA team. Please circle back with your TL by 03/04 at 5pm if you have any "
       "blockers, it's a piece of cake.")
PLAIN = ("From Monday 9 March 2026, we will raise the agreement score you need on the side-by-side comparison task "
         "to 0.8. Our quality team will review each task you submit. If something stops your work, write to your "
         "team lead before Friday 6 March, 17:00 UTC.")


def findings(text: str, **options) -> list[tuple[str, str]]:
    """(kind, offending text) of every finding but the grade and the call to action, in order."""
    report = checks.check_text(text, send_date=options.pop("send_date", SEND), **options)
    return [(f.kind, f.text) for f in report.findings if f.kind not in ("readability", "no_call_to_action")]


TABLE = [
    # jargon by list, by rule, and defined in the message
    ("Check the ground truth before you submit.", [("jargon", "ground truth")]),
    ("Your IAA must stay above 0.8. Ask your TL.", [("jargon", "IAA"), ("jargon", "TL")]),
    ("Your inter-annotator agreement (IAA) must stay above 0.8.", [("jargon", "inter-annotator agreement")]),
    ("Follow the SOP for each HIT.", [("jargon", "SOP"), ("jargon", "HIT")]),
    ("Read the FAQ, then send the PDF.", []),
    ("Upload the files w/ their labels, approx. ten per task.", [("jargon", "w/"), ("jargon", "approx.")]),
    ("The TLs will reply today.", [("jargon", "TLs")]),
    ("Rate each answer in the pairwise task.", [("jargon", "pairwise")]),
    ("Work pairs well with your team.", []),
    ("Read the QA notes.", [("jargon", "QA")]),
    # idioms
    ("We will circle back with the results.", [("idiom", "circle back")]),
    ("Please touch base with your lead.", [("idiom", "touch base")]),
    ("The ball is round.", []),
    # informal or vague
    ("Heads up folks, the guide changed.", [("idiom", "Heads up"), ("register", "folks")]),
    ("Going forward, reviews take two days.", [("register", "Going forward")]),
    ("We moved forward with the plan.", []),
    ("We bumped the pay rate to 12 dollars.", [("register", "bumped")]),
    ("Tell us about any blockers.", [("register", "blockers")]),
    ("Reply ASAP.", [("register", "ASAP")]),
    ("Reach out to your lead.", [("register", "Reach out to")]),
    ("The lead will reach the office soon.", []),
    # condescension
    ("It's easy: open the tool and start.", [("condescension", "It's easy")]),
    ("Simply click the button.", [("condescension", "Simply")]),
    ("Just click the button.", [("condescension", "Just")]),
    ("We just released the guide.", []),
    ("If you have problems, it's a piece of cake.", [("condescension", "it's a piece of cake")]),
    ("Obviously, you should read the guide.", [("condescension", "Obviously")]),
    ("Clearly written examples help.", []),
    # shouting
    ("DO NOT SUBMIT empty answers.", [("shouting", "DO NOT SUBMIT")]),
    ("Thanks for your work!!!", [("shouting", "!!!")]),
    ("URGENT: the queue closes soon.", [("shouting", "URGENT")]),
    ("Thanks for your work!", []),
    # blame
    ("Your batch was rejected.", [("tone", "Your batch was rejected"), ("passive", "was rejected")]),
    ("Your batch was accepted.", [("passive", "was accepted")]),
    ("You failed to read the guide.", [("tone", "You failed")]),
    ("We are sorry for the delay.", []),
    # comma splices
    ("Please write to your lead if you have any problems, it's quick.", [("run_on", ", it's")]),
    ("Read the guide, you will find the examples there.", [("run_on", ", you")]),
    ("If you have questions, we answer within a day.", []),
    ("In the next two weeks, we will test the tool.", []),
    ("Read the guide, then try five tasks.", []),
    # passive voice
    ("Submissions will be reviewed by the QA team.", [("passive", "be reviewed"), ("jargon", "QA")]),
    ("We will review your submissions.", []),
    ("We are excited to welcome you.", []),
    # numeric and relative dates
    ("Submit by 03/04 please.", [("ambiguous_date", "03/04")]),
    ("Submit by 25/12 please.", []),
    ("We reviewed it yesterday.", [("ambiguous_date", "yesterday")]),
    ("Reply by tomorrow.", [("ambiguous_date", "tomorrow")]),
    ("Join us next Friday.", [("ambiguous_date", "next Friday")]),
    ("We met last Friday.", [("ambiguous_date", "last Friday")]),
    ("Finish it by Friday.", [("ambiguous_date", "by Friday")]),
    ("Finish it by Friday 6 March.", []),
    # weekday and date, years, dates that do not exist
    ("Submit by Friday 6 March 2027.", [("date_mismatch", "Friday 6 March 2027")]),
    ("Submit by Friday 6 March 2026.", []),
    ("Submit by Saturday 6 March.", [("date_mismatch", "Saturday 6 March")]),
    ("The call is on Monday, March 5.", [("date_mismatch", "Monday, March 5")]),
    ("The call is on Thursday, March 5.", []),
    ("The survey closes on 31 April.", [("date_mismatch", "31 April")]),
    ("The survey closes on 15 September.", [("ambiguous_date", "15 September")]),
    ("The survey closes on 15 March.", []),
    # times and zones
    ("Join us at 5pm.", [("time_without_zone", "5pm")]),
    ("Join us at 5pm ET.", []),
    ("Join us at 17:00 UTC.", []),
    ("Join us at 9:30 BRT.", []),
    ("Join us at 18:00 CET on 6 March.", []),
    ("Join us at noon IST.", []),
    ("Join us at 5pm your time.", []),
    # placeholders
    ("Read the guide: https://community.crowdpulse.example/", [("placeholder", "https://community.crowdpulse.example/")]),
    ("Read the guide: https://guides.crowdpulse.io/harbor", []),
    ("[Write the first change here.] Read the guide.", [("placeholder", "[Write the first change here.]")]),
    ("Open {{ link }} to start.", [("placeholder", "{{ link }}")]),
    # the texts quoted in the issue
    (BAD, [("idiom", "Heads up"), ("register", "folks"), ("register", "Going forward"), ("jargon", "IAA"),
           ("jargon", "RLHF"), ("jargon", "pairwise"), ("passive", "be bumped"), ("register", "bumped"),
           ("passive", "be reviewed"), ("jargon", "QA"), ("idiom", "circle back"), ("jargon", "TL"),
           ("ambiguous_date", "03/04"), ("time_without_zone", "5pm"), ("register", "blockers"), ("run_on", ", it's"),
           ("condescension", "it's a piece of cake")]),
    (PLAIN, []),
]


@pytest.mark.parametrize("text, expected", [pytest.param(t, e, id=t[:60]) for t, e in TABLE])
def test_each_text_gets_exactly_the_findings_an_editor_expects(text, expected):
    assert findings(text) == expected


CALLS_TO_ACTION = [
    ("If you have questions, write to your team lead.", False, 0),
    ("[Open the guide](https://guides.crowdpulse.io/x) before you start.", False, 0),
    ("Please send your answers by Friday 6 March 2026.", True, 0),
    ("Write to your team lead before Friday 6 March, 17:00 UTC.", True, 0),
    ("We changed some things this week.", False, 1),
    ("Thanks for a great week.", False, 1),
    ("Please take the survey.", True, 1),
]


@pytest.mark.parametrize("text, expects_deadline, count", CALLS_TO_ACTION)
def test_a_call_to_action_is_recognised_in_its_common_shapes(text, expects_deadline, count):
    report = checks.check_text(text, send_date=SEND, expects_deadline=expects_deadline)
    assert report.count("no_call_to_action") == count


def test_the_bad_announcement_grades_well_above_target_and_the_plain_one_gets_nothing():
    bad = checks.check_text(BAD, send_date=SEND, expects_deadline=True)
    assert bad.standard_grade == 4.3  # what plain Flesch-Kincaid says: "easy"
    assert bad.grade >= bad.target_grade + 4  # acronyms spoken and flagged words count as hard words
    assert "aim for 8 or lower" in next(f.message for f in bad.findings if f.kind == "readability" and f.line == 1
                                        and "reads at grade" in f.message)
    plain = checks.check_text(PLAIN, send_date=SEND, expects_deadline=True)
    assert plain.findings == [] and plain.grade <= plain.target_grade


def test_two_short_sentences_full_of_acronyms_are_no_longer_grade_zero():
    report = checks.check_text("Your IAA must stay above 0.8. Ask your TL.", send_date=SEND)
    # 8 words, 2 sentences; IAA and TL are hard words of 3 syllables: 13 syllables.
    # 0.39 * 4 + 11.8 * 13 / 8 - 15.59 = 5.145
    assert (report.standard_grade, report.grade) == (0.0, 5.1)


def test_fixes_keep_the_meaning_and_the_tense():
    suggestions = {f.text: f.suggestion for f in checks.check_text(BAD, send_date=SEND).findings}
    assert suggestions["circle back"] == "Say 'follow up' instead of 'circle back'."
    assert suggestions["bumped"] == "Say 'raised' instead of 'bumped'."
    assert suggestions["be reviewed"] == "Say who acts: 'the QA team will review submissions'."
    assert suggestions["be bumped"] == "Say who acts: '[who] will bump the IAA threshold for the RLHF pairwise task to 0.8'."
    assert suggestions["TL"] == "Say 'team lead' instead of 'TL'."


def test_a_weekday_that_disagrees_with_the_date_in_the_send_year_is_flagged():
    # Friday 6 March is right in 2026; a message sent in December 2026 means March 2027, a Saturday.
    assert findings("Submit by Friday 6 March.", send_date=dt.date(2026, 2, 27)) == []
    late = checks.check_text("Submit by Friday 6 March.", send_date=dt.date(2026, 12, 7)).findings
    assert [(f.kind, f.message) for f in late] == [("date_mismatch", "6 March 2027 is a Saturday, not a Friday.")]
    assert late[0].suggestion == ("Write 'Saturday 6 March 2027', or 'Friday 5 March 2027' or "
                                  "'Friday 12 March 2027'.")


def test_relative_dates_get_the_absolute_date_for_the_send_date():
    by_text = {f.text: f.suggestion for f in checks.check_text(
        "We met yesterday. Reply by tomorrow. Join us next Friday.", send_date=SEND).findings}
    assert by_text["yesterday"] == "Write 'Thursday 26 February 2026' (for a message sent on Friday 27 February 2026)."
    assert by_text["tomorrow"] == "Write 'Saturday 28 February 2026' (for a message sent on Friday 27 February 2026)."
    assert by_text["next Friday"] == ("Write the date: to some readers that is 'Friday 6 March 2026', to others "
                                      "'Friday 13 March 2026'.")


def test_zone_abbreviations_are_converted_to_utc_and_the_audience_zones():
    report = checks.check_text("Join us at 5pm ET on Friday 6 March. Or at 10:00 CET on Monday 30 March.",
                               send_date=SEND, zones=("Africa/Lagos", "Asia/Manila"))
    assert [(t.text, t.utc.isoformat(), t.local) for t in report.times] == [
        ("5pm ET", "2026-03-06T22:00:00+00:00", ("Lagos Fri 6 Mar 2026, 23:00", "Manila Sat 7 Mar 2026, 06:00")),
        ("10:00 CET", "2026-03-30T09:00:00+00:00", ("Lagos Mon 30 Mar 2026, 10:00", "Manila Mon 30 Mar 2026, 17:00"))]
    assert report.count("time_without_zone") == 0


def test_an_unready_launch_blocks_the_message_first():
    report = checks.check_text("Please read the guide: https://guides.crowdpulse.io/harbor", send_date=SEND,
                               blockers=["Harbor Guidelines is not published (in review)."])
    assert [(f.kind, f.level, f.message) for f in report.findings] == [
        ("not_ready", "blocking", "Harbor Guidelines is not published (in review).")]


# --- readability: worked examples and other languages ------------------------------------------

# Published worked examples: the Wikipedia article on the Flesch-Kincaid tests (ease 116, 69 and 24.4
# with 6, 23 and 26 syllables) and read-able.com's figures for the Gettysburg Address (ease 65.4,
# grade 10.9; 271 words in 10 sentences).
GETTYSBURG = (
    "Four score and seven years ago our fathers brought forth on this continent a new nation, conceived in liberty, "
    "and dedicated to the proposition that all men are created equal. Now we are engaged in a great civil war, "
    "testing whether that nation, or any nation so conceived and so dedicated, can long endure. We are met on a "
    "great battlefield of that war. We have come to dedicate a portion of that field, as a final resting place for "
    "those who here gave their lives that that nation might live. It is altogether fitting and proper that we should "
    "do this. But, in a larger sense, we can not dedicate, we can not consecrate, we can not hallow this ground. The "
    "brave men, living and dead, who struggled here, have consecrated it, far above our poor power to add or detract. "
    "The world will little note, nor long remember what we say here, but it can never forget what they did here. It "
    "is for us the living, rather, to be dedicated here to the unfinished work which they who fought here have thus "
    "far so nobly advanced. It is rather for us to be here dedicated to the great task remaining before us -- that "
    "from these honored dead we take increased devotion to that cause for which they gave the last full measure of "
    "devotion -- that we here highly resolve that these dead shall not have died in vain -- that this nation, under "
    "God, shall have a new birth of freedom -- and that government of the people, by the people, for the people, "
    "shall not perish from the earth.")


@pytest.mark.parametrize("text, words, sentences, ease, grade", [
    ("The cat sat on the mat.", 6, 1, 116.1, -1.45),
    ("This sentence, taken as a reading passage unto itself, is being used to prove a point.", 16, 1, 69.0, 7.6),
    ("The Australian platypus is seemingly a hybrid of a mammal and reptilian creature.", 13, 1, 24.4, 13.1),
    (GETTYSBURG, 271, 10, 65.4, 10.9),
])
def test_standard_grade_matches_published_worked_examples_within_half_a_grade(text, words, sentences, ease, grade):
    split = readability.split_sentences(text)
    count = sum(s.words for s in split)
    syllables = sum(s.syllables for s in split)
    assert (count, len(split)) == (words, sentences)
    assert readability.flesch_reading_ease(count, len(split), syllables) == pytest.approx(ease, abs=1.5)
    assert readability.fk_grade(count, len(split), syllables) == pytest.approx(grade, abs=0.5)


@pytest.mark.parametrize("word, spoken", [("IAA", 3), ("RLHF", 4), ("TLs", 2), ("WWW", 9), ("F1", 2), ("team", 1)])
def test_acronyms_are_counted_as_they_are_spoken(word, spoken):
    assert readability.spoken_syllables(word) == spoken


@pytest.mark.parametrize("language, text, formula, ease", [
    # 10 words, 2 sentences, 18 syllables: 206.84 - 60 * 1.8 - 1.02 * 5 = 93.74
    ("es", "La guía es clara. Lean los ejemplos antes de empezar.", "Fernández Huerta", 93.7),
    # 10 words, 2 sentences, 15 syllables: 248.835 - 1.015 * 5 - 84.6 * 1.5 = 116.86
    ("pt", "O guia é claro. Leia os exemplos antes de começar.", "Flesch adapted for Portuguese", 116.9),
    # 10 words, 2 sentences, 15 syllables: 207 - 1.015 * 5 - 73.6 * 1.5 = 91.525
    ("fr", "Le guide est clair. Lisez les exemples avant de commencer.", "Kandel-Moles (Flesch adapted for French)",
     91.5),
])
def test_spanish_portuguese_and_french_use_their_own_reading_ease(language, text, formula, ease):
    report = checks.check_text(text, language=language, send_date=SEND)
    assert (report.readability_formula, report.flesch_reading_ease, report.readability_note) == (formula, ease, "")


def test_a_hard_spanish_text_gets_a_readability_finding():
    text = ("La implementación metodológica correspondiente garantizará evaluaciones considerablemente "
            "más consistentes.")
    report = checks.check_text(text, language="es", send_date=SEND)
    assert report.flesch_reading_ease < readability.TARGET_EASE
    assert [f.kind for f in report.findings] == ["readability"]


def test_other_languages_say_there_is_no_readability_check():
    report = checks.check_text("Der Leitfaden ist klar. Lesen Sie die Beispiele.", language="de", send_date=SEND)
    assert report.readability_note == "No readability check for this language."
    assert report.count("readability") == 0
