"""What the demo crowd says: channel messages and survey waves."""

import numpy as np
import pandas as pd

from core.demo import texts as demo_texts
from core.demo.plan import CHANNELS, CHANNEL_WEIGHTS, DAYS, PROJECTS, STORIES, THEME_WEIGHTS, Plan, days_before, weights
from core.feedback.sentiment import score_texts
from core.feedback.themes import match_themes_many


def feedback(demo: Plan, members: pd.DataFrame) -> pd.DataFrame:
    """Channel messages, with the payout incident and Cedar's Latin American confusion planted."""
    rng, n = demo.rng, demo.scale.feedback
    pool = members[~members["is_staff"] & ~members["is_bot"] & members["activated_at"].notna()].reset_index(drop=True)
    days_ago = rng.power(1.4, n) * DAYS
    days_ago = DAYS - days_ago  # more recent messages are more frequent
    created = days_before(demo.anchor, days_ago)
    themes = rng.choice(list(THEME_WEIGHTS), size=n, p=weights(list(THEME_WEIGHTS.values())))
    author_idx = rng.integers(0, len(pool), n)
    project = rng.choice(demo.project_ids[:7], size=n)
    projects = {p[0]: p[1].split()[0] for p in PROJECTS}

    # Story: after Cedar's change, Latin American taskers write about confusing instructions.
    change_days = STORIES["guideline_change_days_ago"]
    latam_idx = np.where(pool["region"].to_numpy() == STORIES["confused_region"])[0]
    confused = (days_ago < change_days) & (rng.random(n) < 0.18)
    themes = np.where(confused, "instructions", themes)
    project = np.where(confused, STORIES["confused_project"], project)
    author_idx = np.where(confused, rng.choice(latam_idx, n), author_idx)
    # Story: a payout delay makes payment messages spike and sour.
    lo, hi = STORIES["payment_incident_days_ago"]
    incident = (days_ago < lo) & (days_ago > hi) & (rng.random(n) < 0.35)
    themes = np.where(incident, "payments", themes)

    banks = {theme: demo_texts.openings(theme) for theme in demo_texts.OPENINGS}
    # The stories' messages are complaints: an incident or a confusing change brings no thank-you notes.
    complaints = {theme: [(tone, text) for tone, text in bank if tone == "negative"] for theme, bank in banks.items()}
    texts = []
    for i in range(n):
        bank = (complaints if incident[i] or confused[i] else banks)[themes[i]]
        tone, opening = bank[rng.integers(len(bank))]
        details = demo_texts.DETAILS[tone]
        texts.append(opening + details[rng.integers(len(details))])
    language = pool["language"].to_numpy()[author_idx]
    foreign = (rng.random(n) < 0.25) & np.isin(language, list(demo_texts.NON_ENGLISH))
    foreign |= confused & np.isin(language, ["es", "pt"]) & (rng.random(n) < 0.4)
    for i in np.where(foreign)[0]:
        bank = demo_texts.NON_ENGLISH[language[i]]
        texts[i] = bank[rng.integers(len(bank))]
    # an emerging topic the taxonomy lacks: rare until a month ago, then common enough to discover
    for i in np.where(rng.random(n) < np.where(days_ago < 30, 0.08, 0.01))[0]:
        texts[i] = demo_texts.NEW_TOPIC[rng.integers(len(demo_texts.NEW_TOPIC))]
    texts = [t.format(project=projects[p], days=int(d) + 2, amount=int(a), hours=int(h))
             for t, p, d, a, h in zip(texts, project, rng.integers(1, 12, n), rng.integers(5, 80, n), rng.integers(2, 30, n))]
    channel = rng.choice(CHANNELS, size=n, p=CHANNEL_WEIGHTS)
    return pd.DataFrame({
        "feedback_id": [f"f{i:07d}" for i in range(1, n + 1)],
        "channel": channel, "member_id": pool["member_id"].to_numpy()[author_idx],
        "project_id": project, "created_at": created, "text": texts,
        "author_is_staff": False, "triage_status": np.where(days_ago > 14, "handled", "new"),
        "version": 1,
    })


def surveys(demo: Plan, members: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three survey waves and their responses."""
    rng, n = demo.rng, demo.scale.responses
    sent = [demo.anchor - pd.Timedelta(days=d) for d in (85, 55, 25)]
    # Named by the day they went out: 30 days apart, two waves can fall in one calendar month.
    surveys = pd.DataFrame({
        "survey_id": [f"pulse-{day:%Y-%m-%d}" for day in sent],
        "title": [f"Tasker pulse — {day.day} {day:%b %Y}" for day in sent],
        "kind": "nps", "sent_at": sent,
    })
    pool = members[~members["is_staff"] & ~members["is_bot"] & members["activated_at"].notna()].reset_index(drop=True)
    surveys["audience_size"] = int(len(pool) * 0.6)
    wave = rng.choice(len(sent), size=n, p=[0.3, 0.33, 0.37])
    author = rng.choice(len(pool), size=n, replace=n > len(pool))
    region = pool["region"].to_numpy()[author]
    base = rng.choice(11, size=n, p=weights([2, 1, 1, 2, 3, 4, 6, 12, 20, 25, 24]))
    # the latest wave, after Cedar's change: Latin America scores drop
    drop = (wave == 2) & (region == STORIES["confused_region"]) & (rng.random(n) < 0.75)
    score = np.where(drop, np.clip(base - rng.integers(1, 5, n), 0, 10), base)
    csat = np.clip(np.round(score / 2.2 + rng.normal(0.4, 0.6, n)), 1, 5).astype(int)
    bucket = np.where(score >= 9, "promoter", np.where(score >= 7, "passive", "detractor"))
    # people do not comment only on what matches their score: a third talk about something else
    bucket = np.where(rng.random(n) < 0.35, rng.choice(["promoter", "passive", "detractor"], n), bucket)
    projects = {p[0]: p[1].split()[0] for p in PROJECTS}
    comments = []
    for b in bucket:
        bank = demo_texts.SURVEY_COMMENTS[b]
        comments.append(bank[rng.integers(len(bank))].format(project=projects[demo.project_ids[rng.integers(7)]]))
    submitted = (surveys["sent_at"].iloc[wave].reset_index(drop=True)
                 + pd.to_timedelta(rng.exponential(2.0, n).clip(0, 12), unit="D"))
    responses = pd.DataFrame({
        "response_id": [f"r{i:07d}" for i in range(1, n + 1)],
        "survey_id": surveys["survey_id"].to_numpy()[wave],
        "member_id": pool["member_id"].to_numpy()[author],
        "submitted_at": submitted,
        "score": np.where(rng.random(n) < 0.04, np.nan, score),
        "csat": np.where(rng.random(n) < 0.1, np.nan, csat),
        "comment": [c or None for c in comments],
    })
    responses["score"] = responses["score"].astype("Int64")
    responses["csat"] = responses["csat"].astype("Int64")
    responses["attributes"] = [{} for _ in range(n)]
    return surveys, responses


def scored(frame: pd.DataFrame, text_column: str) -> pd.DataFrame:
    """Sentiment, language and themes stored with each text, as an import computes them."""
    texts = frame[text_column].fillna("").tolist()
    compound, language = score_texts(texts)
    out = frame.copy()
    out["sentiment"] = compound
    out["language"] = np.where(frame[text_column].isna(), None, language)
    out["themes"] = match_themes_many(texts)
    return out
