"""The triage inbox: channel messages to read and act on, newest first, with their effective sentiment and themes."""

import pandas as pd

from core.feedback.messages import MessageScope
from core.feedback.sentiment import effective_sentiment, sentiment_labels
from core.feedback.themes import effective_themes


def inbox(frame: pd.DataFrame, *, statuses=None, themes=None, sentiments=None, channels=None, projects=None,
          limit: int | None = 500, labels: dict[str, str] | None = None) -> tuple[pd.DataFrame, int]:
    """Messages to triage, newest first, filtered by status, theme (any of), sentiment label, channel and project.

    Returns at most `limit` rows (a browser table of 300k messages helps nobody) and how many matched;
    `theme_names` lists each row's themes by their `labels`.
    """
    keep = pd.Series(True, index=frame.index)
    if statuses:
        keep &= frame["triage_status"].isin(list(statuses))
    if channels:
        keep &= frame["channel"].isin(list(channels))
    if projects:
        keep &= frame["project_id"].isin(list(projects))
    sentiment = sentiment_labels(frame)
    if sentiments:
        keep &= sentiment.isin(list(sentiments))
    found = effective_themes(frame)
    if themes:
        wanted = set(themes)
        keep &= found.map(lambda listed: bool(wanted.intersection(listed or ())))
    matched = frame[keep]
    rows = matched.sort_values(["created_at", "feedback_id"], ascending=False)
    if limit is not None:
        rows = rows.head(limit)
    out = pd.DataFrame({
        "feedback_id": rows["feedback_id"], "created_at": rows["created_at"], "channel": rows["channel"],
        "project_id": rows["project_id"], "region": rows["region"], "sentiment": effective_sentiment(rows),
        "sentiment_label": sentiment[rows.index], "themes": found[rows.index],
        "overridden": rows["sentiment_override"].notna() | rows["themes_override"].notna(),
        "triage_status": rows["triage_status"], "assignee": rows["assignee"],
        "linked_item_id": rows["linked_item_id"], "version": rows["version"], "text": rows["text"],
    })
    names = labels or {}
    out.insert(out.columns.get_loc("themes") + 1, "theme_names",
               out["themes"].map(lambda keys: ", ".join(names.get(k, k) for k in keys or [])))
    return out.reset_index(drop=True), int(keep.sum())


def inbox_from(scope: MessageScope, *, statuses=None, themes=None, sentiments=None, channels=None, projects=None,
               limit: int | None = 500, labels: dict[str, str] | None = None) -> tuple[pd.DataFrame, int]:
    """`inbox` read page-wise from the roll-up: only the listed messages' texts are read."""
    rows, total = scope.listing(statuses=statuses, themes=themes, sentiments=sentiments, channels=channels,
                                projects=projects, limit=limit)
    listed, _ = inbox(rows, limit=None, labels=labels)
    return listed, total
