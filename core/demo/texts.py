"""Phrase banks for the demo community's feedback and survey comments.

Each theme has openings in three tones (a complaint, good news, a question or request); the
generator joins an opening and sometimes a closer of the same tone, and fills {project}, {days},
{amount} and {hours}, so thousands of messages read like different people wrote them, each one
person with one mood (never a complaint closed with a cheer).
"""

TONES = ("negative", "positive", "request")

OPENINGS = {
    "payments": {
        "negative": [
            "Still waiting on my payout for last week.",
            "My payment for {project} hasn't arrived yet.",
            "Has anyone else not been paid this cycle?",
            "The pay rate on {project} was cut again without notice.",
            "Payoneer shows the transfer pending for {days} days now.",
            "The bonus for the weekend sprint never showed up on my invoice.",
            "Why is my invoice ${amount} lower than my task count says?",
            "PayPal fees are eating a big part of my earnings.",
        ],
        "positive": [
            "Got my payout today, right on time, thank you!",
            "Payments are finally faster since the switch to weekly payouts, great job.",
        ],
        "request": [
            "Could we get payouts through Wise as well as PayPal?",
        ],
    },
    "instructions": {
        "negative": [
            "The new guidelines for {project} are really confusing.",
            "The instructions contradict the examples in the rubric.",
            "I don't understand what counts as a 'partially helpful' answer on {project}.",
            "The updated guideline for {project} changed the scoring scale and nobody explained why.",
            "Half the edge cases are not covered in the instructions.",
            "I keep getting rejected because the instructions are unclear about tone.",
        ],
        "positive": [
            "Thanks for the clear examples in the new {project} guide, it helps a lot.",
            "The guideline video for {project} was super helpful.",
        ],
        "request": [
            "Can someone clarify the rule about refusals in {project}? The doc says two different things.",
            "Could the {project} guide get a few more examples of borderline answers?",
        ],
    },
    "task_availability": {
        "negative": [
            "No tasks in my queue again today.",
            "Ran out of work after {hours} hours, is more coming on {project}?",
            "The queue has been empty for {days} days in my region.",
            "Waiting for tasks since Monday.",
            "Tasks disappear within seconds, impossible to get any.",
        ],
        "positive": [
            "Lots of tasks on {project} this week, love it.",
        ],
        "request": [
            "Is {project} paused? My dashboard shows zero available tasks.",
        ],
    },
    "tooling": {
        "negative": [
            "The upload keeps failing with a timeout error.",
            "The labelling tool crashes when I zoom in.",
            "My submissions are stuck in 'processing' for {hours} hours.",
            "Page loads are very slow since the last update.",
            "Audio player freezes on long clips in {project}.",
            "Got an error 500 three times while submitting, lost my work.",
        ],
        "positive": [
            "The new keyboard shortcuts in the tool are great.",
            "The bug where the timer resets is fixed, thanks.",
        ],
        "request": [
            "Could the tool save a draft when the connection drops?",
        ],
    },
    "quality_feedback": {
        "negative": [
            "My work was rejected without any explanation.",
            "I got disqualified after one bad audit, that seems harsh.",
            "Rejections went up a lot this week on {project}, not sure what I'm doing wrong.",
            "My quality score dropped but the reviewer comments don't match my answers.",
            "Two reviewers gave opposite feedback on the same task.",
        ],
        "positive": [
            "The reviewer feedback on {project} was detailed and fair.",
            "Appreciate the reviewer notes, I improved my score.",
        ],
        "request": [
            "Can reviewers add a short note when they reject a task on {project}?",
        ],
    },
    "support": {
        "negative": [
            "Opened a ticket {days} days ago and still no reply.",
            "Nobody answers in the help channel on weekends.",
            "Waiting for an answer from the support team about my account lock.",
            "Escalated my issue twice, no response.",
        ],
        "positive": [
            "Support answered in an hour and fixed my account, amazing.",
            "The support agent was kind and solved my payment issue.",
        ],
        "request": [],
    },
    "onboarding": {
        "negative": [
            "Finished onboarding but I can't find my first task.",
            "I passed the assessment {days} days ago and still have no project.",
            "The training module for {project} doesn't load.",
        ],
        "positive": [
            "The qualification test for {project} was hard but fair.",
            "Onboarding videos were clear and short, nice.",
        ],
        "request": [
            "Completed the training, when do I get access?",
        ],
    },
    "community": {
        "negative": [
            "The community event was at 3am my time, please rotate time zones.",
            "Missed the meetup because the invite came too late.",
        ],
        "positive": [
            "Loved the office hours yesterday, very useful.",
            "Great webinar on {project} guidelines, thank you!",
            "The Discord community is really welcoming.",
        ],
        "request": [
            "Can we get an AMA with the {project} team?",
        ],
    },
}

# Closing sentences in the tone of the opening they follow ("" = the opening alone).
DETAILS = {
    "negative": ["", "", " It's been like this for {days} days.", " This is the third time this month.",
                 " Please look into it.", " I'm thinking about leaving if this continues.",
                 " Other taskers in my group say the same.", " Honestly so frustrating.", " Any update?"],
    "positive": ["", "", " Really appreciate the team.", " Keep it up!", " Thanks again.",
                 " Made my week easier."],
    "request": ["", "", " Thanks in advance.", " It would help a lot.", " Happy to share more details."],
}


def openings(theme: str) -> list[tuple[str, str]]:
    """The theme's openings as (tone, text) pairs, in a fixed order."""
    return [(tone, text) for tone in TONES for text in OPENINGS[theme][tone]]


# Uncategorised chatter the taxonomy does not know, so discovery has something to find.
NEW_TOPIC = [
    "Please publish a night shift rota for those of us in Asia.",
    "A night shift rota would help a lot with planning the late hours.",
    "Any plans for a night shift rota like other platforms have?",
    "Dark mode for the task editor please, my eyes hurt.",
    "Dark mode would make long sessions much easier.",
]

# Messages in the authors' own languages. Portuguese is scored by LeIA; Spanish, German,
# Indonesian and Arabic have no scorer yet and are counted as "not scored" on every page.
NON_ENGLISH = {
    "es": [
        "Las nuevas instrucciones del proyecto {project} no son claras y me rechazan todo.",
        "Todavía no recibo mi pago de la semana pasada.",
        "No hay tareas disponibles en mi región desde hace días.",
        "Gracias por la sesión de preguntas, fue muy útil.",
        "No entiendo las nuevas pautas de {project}, nadie responde en soporte.",
    ],
    "pt": [
        "As novas diretrizes do {project} estão muito confusas.",
        "Ainda não recebi meu pagamento desta semana.",
        "Não tem tarefas disponíveis faz {days} dias.",
        "Ninguém responde no suporte, que frustrante.",
        "Rejeitaram tudo no {project} depois da mudança, péssimo.",
        "Obrigado pela sessão de perguntas, foi ótima!",
        "Estou muito feliz com os pagamentos semanais.",
    ],
    "de": [
        "Ich habe meine Zahlung immer noch nicht bekommen.",
        "Die neuen Richtlinien für {project} sind verwirrend.",
    ],
    "id": [
        "Pembayaran saya belum masuk minggu ini.",
        "Tidak ada tugas yang tersedia hari ini.",
    ],
    "ar": [
        "لم أستلم الدفع حتى الآن",
    ],
}

SURVEY_COMMENTS = {
    "promoter": [
        "Flexible hours and interesting projects.",
        "Payments are on time and support is friendly.",
        "I learn a lot about AI from the {project} work.",
        "Good community, clear guidelines most of the time.",
        "",
    ],
    "passive": [
        "Okay overall, but task availability is inconsistent.",
        "Good work but the instructions change too often.",
        "Fine, though support could be faster.",
        "",
    ],
    "detractor": [
        "Payments are late and the pay rate keeps dropping.",
        "Guidelines are confusing and I get rejected without explanation.",
        "No tasks for weeks, I can't rely on this income.",
        "The tool crashes and I lose my work.",
        "Support never replies to my tickets.",
    ],
}

STAGING_ERRORS = [
    "Upload timed out after 300 s",
    "Checksum mismatch on media file",
    "Storage quota exceeded for batch",
    "Transcoding failed: unsupported codec",
    "Worker lost heartbeat during processing",
]

ESCALATION_REASONS = ["hidden item", "unoriginal or AI-generated work", "policy violation", "other"]

SUPPORT_CATEGORIES = ["payments", "account access", "task availability", "tooling bug", "qualification", "other"]
