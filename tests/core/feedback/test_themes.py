import pytest

from core.feedback.themes import (
    OWNER_TEAMS,
    TAXONOMY,
    InvalidTheme,
    Theme,
    adopted_theme,
    discover_themes,
    in_its_language,
    match_themes,
    match_themes_many,
    representative_quotes,
    taxonomy_with,
    template_for,
    theme_as_dict,
    theme_by_key,
    theme_key,
    theme_labels,
    theme_owners,
)


@pytest.mark.parametrize(
    ("text", "themes"),
    [
        ("I haven't been paid for March", ["payments"]),
        ("I havent been paid yet", ["payments"]),
        ("Payouts via PayPal are late again", ["payments"]),
        ("The pay-rate cut hurts", ["payments"]),
        ("The guidelines contradict the examples", ["instructions"]),
        ("I'm confused by the rubric", ["instructions"]),
        ("Queue is empty since Monday, ran out of work", ["task_availability"]),
        ("Upload failed twice and the page keeps loading", ["tooling"]),
        ("It crashes every time", ["tooling"]),
        ("Rejections without feedback from the reviewer", ["quality_feedback"]),
        ("Opened a ticket 5 days ago, no reply", ["support"]),
        ("Failed the qualification test twice", ["onboarding"]),
        ("Loved the office hours and the AMA!", ["community"]),
        ("Thanks for the support", ["support"]),
        ("The queue has been empty for 3 days", ["task_availability"]),
        ("Q&A session was great", ["community"]),
        ("My work was rejected and support never replied", ["quality_feedback", "support"]),
        ("Great to be here", []),
    ],
)
def test_texts_match_the_themes_their_phrases_signal(text, themes):
    assert match_themes(text) == themes


@pytest.mark.parametrize(
    "text",
    [
        "For example, I was testing the new keyboard",  # "test" and "example" are too common
    ],
)
def test_everyday_words_do_not_trigger_a_theme(text):
    assert match_themes(text) == []


def test_theme_phrases_match_only_whole_words():
    assert match_themes("A debugger session and a tester from Amazon") == []


def test_matching_many_texts_returns_one_list_per_text():
    texts = ["no tasks today", None, "no tasks today", "bug in the tool"]

    assert match_themes_many(texts) == [["task_availability"], [], ["task_availability"], ["tooling"]]


def test_a_custom_taxonomy_replaces_the_default():
    shifts = Theme("shifts", "Shift schedule", "ops", ("night shift", "rota"))

    assert match_themes("The night shifts rota changed again", [shifts]) == ["shifts"]


def test_every_theme_has_a_unique_key_and_a_known_owner_team():
    assert len({t.key for t in TAXONOMY}) == len(TAXONOMY) == 8
    assert {t.owner for t in TAXONOMY} <= set(OWNER_TEAMS)
    assert theme_by_key("payments").owner == "payments"
    assert theme_by_key("nope") is None


@pytest.fixture
def feedback_with_a_planted_phrase():
    """50 texts: 8 mention the night shift rota (no known theme), 30 known themes, 12 chatter."""
    planted = [
        "The night shift rota was changed without notice",
        "Can we see the night shift rota a week ahead?",
        "Night shift rota clashes with my day job",
        "Who decides the night shift rota?",
        "night shift rota for Asia is unfair to us",
        "Please post the night shift rota earlier",
        "The night shift rota keeps moving around",
        "Swapping slots on the night shift rota should be easier",
    ]
    known = [
        "I haven't been paid for last week",
        "The guidelines are confusing",
        "Queue is empty again, no tasks",
        "Upload failed with an error",
        "Another rejection from the reviewer",
        "No reply to my ticket",
    ] * 5
    chatter = [
        "Hello from Manila",
        "Good morning everyone",
        "Happy Friday all",
        "Greetings from Lagos",
        "Loving the new dashboard colours",
        "Anyone else from Nairobi here?",
        "Coffee time before the next batch",
        "Proud of our little crowd",
        "Weather is nice in Lima",
        "First day here, excited",
        "Congrats to the top contributors",
        "See you all tomorrow",
    ]
    return planted + known + chatter


def test_discovery_finds_a_recurring_phrase_no_theme_covers(feedback_with_a_planted_phrase):
    found = discover_themes(feedback_with_a_planted_phrase)

    assert list(found.columns) == ["candidate", "keywords", "count", "example", "language"]
    top = found.iloc[0]
    assert top["candidate"] == "night shift rota"
    assert top["language"] == "en"
    assert top["count"] == 8
    assert "night shift rota" in top["keywords"]
    assert "night shift rota" in top["example"].lower()
    assert len(found) == 1  # phrases of known themes and one-off chatter are not candidates


def test_discovery_ignores_phrases_below_the_minimum_count(feedback_with_a_planted_phrase):
    found = discover_themes(feedback_with_a_planted_phrase, min_count=9)

    assert found.empty


def test_discovery_uses_the_given_theme_lists_to_decide_coverage():
    texts = ["night shift rota again"] * 6
    already_tagged = [["shifts"]] * 6

    assert discover_themes(texts, already_tagged).empty
    assert discover_themes(texts, [[]] * 6).iloc[0]["candidate"] == "night shift rota"


def test_discovery_groups_phrases_that_share_a_word():
    texts = ["weekend shift swap request"] * 5 + ["shift swap form is missing"] * 5

    found = discover_themes(texts)

    assert len(found) == 1
    assert found.iloc[0]["count"] == 10
    assert "shift swap" in found.iloc[0]["keywords"]


NIGHT_SCHEDULE_ES = [
    "el horario nocturno cambió otra vez sin aviso",
    "quién decide el horario nocturno de la semana?",
    "no me gusta el horario nocturno para Lima",
    "pueden publicar antes el horario nocturno por favor",
    "el horario nocturno choca con mi otro trabajo",
    "cambiar turnos en el horario nocturno es muy difícil",
]
SPANISH_CHATTER = ["hola a todos desde Bogotá", "buenos días equipo", "feliz viernes a todos",
                   "saludos desde Quito", "qué bonito día en Lima"]


def test_discovery_finds_a_spanish_phrase_among_spanish_texts_and_names_the_language():
    texts = NIGHT_SCHEDULE_ES + SPANISH_CHATTER

    found = discover_themes(texts, [[]] * len(texts))

    assert found["candidate"].tolist() == ["horario nocturno"]
    assert found.iloc[0]["count"] == 6
    assert found.iloc[0]["language"] == "es"


def test_each_language_is_discovered_with_its_own_texts_and_stop_words():
    english = ["night shift rota again", "the night shift rota is late", "who owns the night shift rota",
               "night shift rota clash", "post the night shift rota"]
    # Spanish function words recur in every text here ("que", "para", "por favor"): never a candidate.
    function_words = ["que es esto para mi por favor", "para que sirve esto por favor", "que pasa con esto por favor",
                      "es para mi o para ti por favor", "que hay para hoy por favor"]
    texts = english + NIGHT_SCHEDULE_ES + function_words
    languages = ["en"] * 5 + ["es"] * 11

    found = discover_themes(texts, [[]] * len(texts), languages=languages)

    assert found[["candidate", "count", "language"]].values.tolist() == [
        ["horario nocturno", 6, "es"], ["night shift rota", 5, "en"]]


def test_undetermined_texts_join_english_and_languages_without_stop_words_are_left_out():
    texts = ["night shift rota"] * 3 + ["night shift rota!!"] * 2 + ["夜勤のシフト表"] * 6
    languages = ["en"] * 3 + ["und"] * 2 + ["ja"] * 6

    found = discover_themes(texts, [[]] * len(texts), languages=languages)

    assert found[["candidate", "count", "language"]].values.tolist() == [["night shift rota", 5, "en"]]


@pytest.mark.parametrize(("texts", "sentiments", "expected"), [
    pytest.param(
        [
            "Payout late again, third time this month, really frustrating.",
            "payout late again, third time this month, really frustrating!!",  # near-duplicate
            "Bad.",  # too short to read as a quote
            "The payout finally arrived and it was all correct, thank you so much!",
            "Payouts are slow but support did answer within a day.",
            "Still no payout for March and no one explains why it is delayed.",
        ],
        [-0.6, -0.6, -0.5, 0.8, 0.1, -0.5],
        [
            "Still no payout for March and no one explains why it is delayed.",
            "Payout late again, third time this month, really frustrating.",
            "Payouts are slow but support did answer within a day.",
        ],
        id="readable_distinct_and_near_the_median_sentiment"),
    pytest.param(
        [None, "", "Hola, ¿cuándo pagan el bono de este mes?"],
        [None, 0.0, None],
        ["Hola, ¿cuándo pagan el bono de este mes? (in Spanish)"],
        id="skip_missing_texts_and_handle_unscored_ones"),
    pytest.param(
        [
            "Payoneer shows the transfer pending for 9 days now.",
            "Payoneer shows the transfer pending for 3 days now!",
            "Payoneer shows the transfer pending for 11 days now.",
            "The pay rate on Beacon was cut again without notice.",
        ],
        [-0.3, -0.3, -0.3, -0.4],
        ["Payoneer shows the transfer pending for 9 days now.",
         "The pay rate on Beacon was cut again without notice."],
        id="treat_texts_differing_only_in_numbers_as_one"),
    pytest.param(
        [
            "The new guidelines for Cedar are really confusing. Any update?",
            "The new guidelines for Beacon are really confusing. Any update?",
            "I keep getting rejected because the rubric is unclear about tone.",
            "Half the edge cases are not covered in the instructions.",
        ],
        [-0.4, -0.4, -0.4, -0.4],
        [
            "The new guidelines for Cedar are really confusing. Any update?",
            "I keep getting rejected because the rubric is unclear about tone.",
            "Half the edge cases are not covered in the instructions.",
        ],
        id="prefer_texts_that_say_different_things"),
])
def test_representative_quotes(texts, sentiments, expected):
    quotes = representative_quotes(texts, sentiments, k=3)

    assert quotes == expected


def test_similar_quotes_fill_in_when_there_is_nothing_more_varied():
    texts = ["The new guidelines for Cedar are really confusing.", "The new guidelines for Beacon are really confusing."]

    assert representative_quotes(texts, [-0.4, -0.4], k=3) == texts


@pytest.mark.parametrize(
    ("name", "key"), [("Night shift", "night_shift"), ("  Dark-mode  editor ", "dark_mode_editor"), ("Q&A", "q_a")]
)
def test_theme_keys_are_lower_case_words_joined_by_underscores(name, key):
    assert theme_key(name) == key


def test_an_adopted_theme_is_matched_like_the_starting_ones():
    theme = adopted_theme("Night shift", ["Night shift rota", " night   shift rota ", "late hours", "x"], "ops")

    assert theme == Theme("night_shift", "Night shift", "ops", ("night shift rota", "late hours"))
    taxonomy = taxonomy_with([theme_as_dict(theme)])
    assert [t.key for t in taxonomy][-1] == "night_shift"
    assert match_themes("A night-shift rota would help with the late hours", taxonomy) == ["night_shift"]
    assert theme_labels(taxonomy)["night_shift"] == "Night shift" and theme_owners(taxonomy)["night_shift"] == "ops"


@pytest.mark.parametrize(
    ("name", "phrases", "owner", "complaint"),
    [
        ("!!!", ["late hours"], "ops", "name"),
        ("Payments", ["late hours"], "ops", "already a theme"),
        ("Night shift", ["", "ab"], "ops", "phrase"),
        ("Night shift", ["late hours"], "marketing", "owner"),
    ],
)
def test_a_theme_without_a_usable_name_phrase_or_owner_is_refused(name, phrases, owner, complaint):
    with pytest.raises(InvalidTheme, match=complaint):
        adopted_theme(name, phrases, owner)


@pytest.mark.parametrize(
    ("theme", "template"),
    [("instructions", "guideline_update"), ("community", "event_invite"), ("payments", "incident_notice"),
     ("night_shift", "incident_notice")],
)
def test_each_theme_suggests_a_message_template(theme, template):
    assert template_for(theme) == template


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Todavía no recibo mi pago de la semana pasada", ["payments"]),
        ("Ainda não recebi meu pagamento desta semana", ["payments"]),
        ("Toujours pas reçu mon paiement", ["payments"]),
        ("Pembayaran saya belum masuk minggu ini", ["payments"]),
        ("bhai paisa abhi tak nahi aaya", ["payments"]),
        ("Las nuevas instrucciones del proyecto no son claras", ["instructions"]),
        ("As novas diretrizes estão muito confusas", ["instructions"]),
        ("As novas instrucoes estao confusas", ["instructions"]),  # typed without accents
        ("Les consignes sont confuses", ["instructions"]),
        ("Tidak ada tugas yang tersedia hari ini", ["task_availability"]),
        ("Nadie responde en soporte", ["support"]),
        ("walang task ngayon", ["task_availability"]),
        ("Die neuen Richtlinien sind verwirrend", ["instructions"]),
        ("لم أستلم الدفع حتى الآن", ["payments"]),
    ],
)
def test_the_taxonomy_matches_its_phrases_in_the_crowds_languages(text, expected):
    assert match_themes(text) == expected


def test_pay_and_payouts_collects_pago_pagamento_and_paiement():
    payments = theme_by_key("payments")

    assert {"pago", "pagamento", "paiement"} <= set(payments.phrases)
    assert match_themes_many(["pago atrasado", "o pagamento", "le paiement"]) == [["payments"]] * 3


def test_a_quote_in_another_language_names_it_and_english_quotes_stay_as_written():
    assert in_its_language("Ainda não recebi meu pagamento desta semana") == (
        "Ainda não recebi meu pagamento desta semana (in Portuguese)")
    assert in_its_language("Still waiting on my payout for last week.") == "Still waiting on my payout for last week."
