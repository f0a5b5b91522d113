"""Representative quotes of a theme picked from the feedback roll-up, reading as few message texts as the choice needs."""

import statistics

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, func, or_, select

from core.feedback import rollup, themes
from core.feedback.read import read_rollup
from core.models import Feedback

# Up to this many mentions, picking quotes reads all their texts at once (cheaper than ranking them first).
TEXTS_READ_WHOLE = 300
# Texts read at first when picking quotes from the roll-up, the most typical first (4× more each
# time that is not enough): templated complaints are alike, so a few hundred usually do.
CANDIDATES = 200


def pick_quotes(engine: Engine, where: list, *, k: int) -> list[str]:
    """`themes.representative_quotes` of the mentions `where` keeps (conditions on the mentions roll-up): the same
    quotes as from all their texts, reading only the texts the choice needs."""
    table, message = rollup.mentions, Feedback.__table__
    in_order = [table.c.created_at, table.c.feedback_id]  # as written: ties go to the earlier text
    # Without their texts: each mention's score and raw length, in the order the texts were written.
    rows = read_rollup(engine, select(table.c.feedback_id, table.c.score, table.c.text_length).where(*where)
                      .order_by(*in_order))
    if len(rows) > TEXTS_READ_WHOLE:
        scores = pd.to_numeric(rows["score"]).astype("float64").tolist()
        scored = [value for value in scores if not np.isnan(value)]
        median = statistics.median(scored) if scored else 0.0
        # The key `representative_quotes` ranks readable texts by: distance to the median, then position.
        rows = rows.assign(distance=[2.0 if np.isnan(v) else round(abs(v - median), 3) for v in scores],
                           position=range(len(rows)), score=scores)
        # Only a text at least 40 characters long before stripping can be readable (40-240 once stripped).
        # Read in rank order, the readable ones among the texts read are the first readable candidates of
        # all: when they already give k quotes, the texts not read could not change the choice.
        ranked = rows[pd.to_numeric(rows["text_length"]).fillna(0) >= 40].sort_values(["distance", "position"])
        size, texts, read_to = CANDIDATES, {}, None
        while len(ranked):
            # Every candidate up to the distance of the size-th: a prefix of the ranking.
            reach = float(ranked["distance"].iloc[min(size, len(ranked)) - 1])
            if read_to is not None and reach <= read_to:  # ties: the same prefix as last time, which fell short
                size *= 4
                continue
            batch = ranked[ranked["distance"] <= reach]
            texts.update(_ring_texts(engine, where, median, read_to, reach))  # only the texts not read yet
            read_to = reach
            # Plain lists: a pandas map over Arrow strings walks them one Python object at a time.
            read = [texts.get(feedback_id) for feedback_id in batch["feedback_id"].tolist()]
            readable = [(text, score) for text, score in zip(read, batch["score"].tolist())
                        if 40 <= len((text or "").strip()) <= 240]
            chosen = themes.representative_quotes([text for text, _ in readable], [score for _, score in readable],
                                                  k=k, median=median, fill_with_similar=False)
            if len(chosen) == k:
                return chosen
            if len(batch) == len(ranked):
                break
            size *= 4
    # Few texts, or too few readable ones to choose from: the choice needs every text.
    every = read_rollup(engine, select(message.c.text, table.c.score)
                       .select_from(table.join(message, message.c.feedback_id == table.c.feedback_id))
                       .where(*where).order_by(*in_order))
    return themes.representative_quotes(every["text"].tolist(), every["score"].tolist(), k=k)


def _ring_texts(engine: Engine, where: list, median: float, after: float | None, reach: float) -> dict:
    """{feedback_id: text} of the mentions `where` keeps, at least 40 characters long, whose distance to the
    median is within `reach` and beyond `after` (the reach already read; None: nothing read yet)."""
    table, message = rollup.mentions, Feedback.__table__
    distance = func.abs(table.c.score - median)
    # a margin for SQL's unrounded distance; the same expression on both sides, so rings never overlap or miss
    ring = [distance <= reach + 0.001, *([distance > after + 0.001] if after is not None else [])]
    unscored = reach >= 2.0 and (after is None or after < 2.0)  # an unscored text ranks at distance 2.0
    statement = (select(table.c.feedback_id, message.c.text)
                 .select_from(table.join(message, message.c.feedback_id == table.c.feedback_id))
                 .where(*where, table.c.text_length >= 40,
                        or_(and_(*ring), table.c.score.is_(None)) if unscored else and_(*ring)))
    texts = read_rollup(engine, statement)
    return dict(zip(texts["feedback_id"].tolist(), texts["text"].tolist()))
