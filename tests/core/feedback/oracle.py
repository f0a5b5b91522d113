"""The feedback numbers computed in pandas over message and response rows: the reference the roll-up scopes are
checked against.

`FrameScope` answers what `core.feedback.messages.MessageScope` answers (counts, sentiment and
theme aggregates, quotes), and `FrameResponses` what `core.feedback.surveys.ResponseScope`
answers, from rows shaped like `read.load_feedback` and `read.load_responses`. Handed to the
production metrics (`core.feedback.voice`, `surveys`, `report`) in place of a scope, they give
the tables the roll-up must give; the literal tests pin both down on tiny hand-built frames.
"""

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from core.feedback import themes
from core.feedback.messages import sentiment_shares, week_end
from core.feedback.sentiment import NEGATIVE_THRESHOLD, POSITIVE_THRESHOLD, effective_sentiment, sentiment_labels
from core.feedback.surveys import nps, wave_counts
from core.feedback.themes import effective_themes
from core.frames import Grouping, as_timestamp, group_columns, period_start, ratio


def theme_mentions(frame: pd.DataFrame, columns: Grouping = None) -> pd.DataFrame:
    """One row per (message, theme) with the effective sentiment; `message` is the row's index label in `frame`."""
    keep = group_columns(frame, columns)
    mentions = pd.DataFrame({"theme": effective_themes(frame), "sentiment": effective_sentiment(frame)})
    for column in keep:
        mentions[column] = frame[column]
    return one_row_per_mention(mentions)


def theme_messages(frame: pd.DataFrame, theme: str) -> pd.DataFrame:
    """The messages (or responses) whose effective themes include `theme`."""
    return frame[effective_themes(frame).map(lambda found: theme in (found or ()))]


def one_row_per_mention(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows exploded by their `theme` lists, each (row, theme) once."""
    mentions = frame.explode("theme").dropna(subset=["theme"]).rename_axis("message").reset_index()
    return mentions.drop_duplicates(["message", "theme"])


def sentiment_table(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """`sentiment_summary` of message rows grouped by `keys`."""
    sentiment = effective_sentiment(frame)
    scored = frame.loc[sentiment.notna(), keys].assign(compound=sentiment[sentiment.notna()])
    scored["positive"] = (scored["compound"] >= POSITIVE_THRESHOLD).astype("int64")
    scored["negative"] = (scored["compound"] <= NEGATIVE_THRESHOLD).astype("int64")
    if keys:
        table = scored.groupby(keys, dropna=False, sort=True).agg(
            mean_compound=("compound", "mean"), positive=("positive", "sum"), negative=("negative", "sum"),
            count=("compound", "size"),
        ).reset_index()
    else:
        table = pd.DataFrame({"mean_compound": [scored["compound"].mean()], "positive": [scored["positive"].sum()],
                              "negative": [scored["negative"].sum()], "count": [len(scored)]})
    return sentiment_shares(table, keys)


def _weeks_ago(moments: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    return ((as_of - moments) / pd.Timedelta(days=7)).apply(np.floor)


@dataclass(frozen=True)
class FrameScope:
    """Message rows (`read.load_feedback`'s shape) answering as a `MessageScope` does, computed in pandas."""

    rows: pd.DataFrame

    def window(self, after, through) -> "FrameScope":
        """The rows created in (after, through]."""
        created = self.rows["created_at"]
        return replace(self, rows=self.rows[(created > as_timestamp(after)) & (created <= as_timestamp(through))])

    def count(self) -> int:
        """How many messages."""
        return len(self.rows)

    def first_created_at(self) -> pd.Timestamp | None:
        """When the first message was created."""
        return self.rows["created_at"].min() if len(self.rows) else None

    def last_created_at(self) -> pd.Timestamp | None:
        """When the last message was created."""
        return self.rows["created_at"].max() if len(self.rows) else None

    def sentiment(self, by: Grouping = None) -> pd.DataFrame:
        """`sentiment_summary` of the rows."""
        return sentiment_table(self.rows, group_columns(self.rows, by))

    def sentiment_by_period(self, freq: str, by: Grouping = None) -> pd.DataFrame:
        """`sentiment_trend` of the rows."""
        keys = group_columns(self.rows, by)
        moment = "created_at" if "created_at" in self.rows else "submitted_at"
        dated = self.rows.assign(date=period_start(self.rows[moment], freq))
        return sentiment_table(dated, ["date", *keys])

    def whole_weeks(self, as_of: pd.Timestamp, weeks: int | None) -> int:
        """`weeks`, else the whole 7-day windows since the first message."""
        if weeks is not None:
            return weeks
        oldest = self.rows["created_at"].min() if len(self.rows) else as_of
        return max(1, int((as_of - oldest) / pd.Timedelta(days=7)))

    def sentiment_by_week(self, as_of, weeks: int | None) -> pd.DataFrame:
        """`sentiment_by_week` of the rows."""
        as_of = as_timestamp(as_of)
        weeks = self.whole_weeks(as_of, weeks)
        weeks_ago = _weeks_ago(self.rows["created_at"], as_of)
        inside = self.rows[(weeks_ago >= 0) & (weeks_ago < weeks)]
        dated = inside.assign(week_end=week_end(as_of, weeks_ago[inside.index].astype("int64")))
        return sentiment_table(dated, ["week_end"])

    def theme_summary(self, by: Grouping = None) -> pd.DataFrame:
        """`theme_summary` of the rows."""
        frame = self.rows
        keys = group_columns(frame, by)
        mentions = theme_mentions(frame, keys)
        negative = (mentions["sentiment"] <= NEGATIVE_THRESHOLD).astype("float64")
        mentions["negative"] = negative.where(mentions["sentiment"].notna())
        table = mentions.groupby([*keys, "theme"], dropna=False, sort=False).agg(
            count=("message", "size"), mean_sentiment=("sentiment", "mean"), negative_share=("negative", "mean")
        ).reset_index()
        if keys:
            totals = frame.groupby(keys, dropna=False).size().rename("messages").reset_index()
            table = table.merge(totals, on=keys, how="left")
        else:
            table["messages"] = len(frame)
        table["share"] = ratio(table["count"], table["messages"])
        table = table[[*keys, "theme", "count", "share", "mean_sentiment", "negative_share"]]
        return table.sort_values([*keys, "count", "theme"], ascending=[*([True] * len(keys)), False, True],
                                 ignore_index=True)

    def theme_mix(self) -> pd.DataFrame:
        """`theme_sentiment_mix` of the rows."""
        mentions = pd.DataFrame({"theme": effective_themes(self.rows), "sentiment": sentiment_labels(self.rows)})
        table = one_row_per_mention(mentions).groupby(["theme", "sentiment"]).size().rename("count").reset_index()
        return table.sort_values(["theme", "sentiment"], ignore_index=True)

    def theme_weeks(self, as_of: pd.Timestamp, weeks: int) -> pd.DataFrame:
        """Mentions and negative mentions per (weeks_ago, theme)."""
        mentions = theme_mentions(self.rows, ["created_at"])
        weeks_ago = _weeks_ago(mentions["created_at"], as_of)
        mentions = mentions[(weeks_ago >= 0) & (weeks_ago < weeks)].assign(weeks_ago=weeks_ago.astype("int64"))
        mentions["negative"] = (mentions["sentiment"] <= NEGATIVE_THRESHOLD).astype("int64")
        return mentions.groupby(["weeks_ago", "theme"]).agg(count=("message", "size"), negative=("negative", "sum"))

    def segment_counts(self, dimensions: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(one row per message with `messages` = 1, one row per mention with `mentions` = 1)."""
        dimensions = group_columns(self.rows, dimensions)
        return (self.rows[dimensions].assign(messages=1),
                theme_mentions(self.rows, dimensions).assign(mentions=1))

    def negative_mentions(self, as_of, recent_start, baseline_start) -> pd.DataFrame:
        """Negative mentions per theme in (recent_start, as_of] and in the window before."""
        mentions = theme_mentions(self.rows, ["created_at"])
        mentions = mentions[(mentions["sentiment"] <= NEGATIVE_THRESHOLD) & (mentions["created_at"] > baseline_start)
                            & (mentions["created_at"] <= as_of)]
        recent = mentions["created_at"] > recent_start
        return pd.DataFrame({"recent_negative": mentions[recent].groupby("theme").size(),
                             "baseline": mentions[~recent].groupby("theme").size()}).fillna(0)

    def theme_window_sentiment(self, as_of, recent_start, baseline_start) -> pd.DataFrame:
        """Sentiment per theme in (recent_start, as_of] ('recent') and the window before ('baseline')."""
        frame = self.rows
        window = np.where(frame["created_at"] > recent_start, "recent",
                          np.where(frame["created_at"] > baseline_start, "baseline", None))
        scoped = frame.assign(window=window, theme=effective_themes(frame))
        scoped = scoped[scoped["window"].notna() & (scoped["created_at"] <= as_of)].explode("theme").dropna(
            subset=["theme"])
        return sentiment_table(scoped, ["theme", "window"])

    def theme_count(self, theme: str, *, negative: bool = False) -> int:
        """Messages mentioning `theme` (only the negative ones when asked)."""
        mentions = theme_messages(self.rows, theme)
        return int((effective_sentiment(mentions) <= NEGATIVE_THRESHOLD).sum()) if negative else len(mentions)

    def quotes(self, theme: str, *, k: int = 3, negative_first: bool = False, shown: int | None = None) -> list[str]:
        """`themes.representative_quotes` of the rows mentioning `theme` (its negative ones first when enough), the
        first `shown` of them when given."""
        mentions = theme_messages(self.rows, theme)
        negative = mentions[effective_sentiment(mentions) <= NEGATIVE_THRESHOLD]
        pool = negative if negative_first and len(negative) >= k else mentions
        return themes.representative_quotes(pool["text"].tolist(), effective_sentiment(pool).tolist(), k=k)[:shown]


@dataclass(frozen=True)
class FrameResponses:
    """Response rows (`read.load_responses`'s shape) answering as a `ResponseScope` does, computed in pandas."""

    rows: pd.DataFrame

    def count(self) -> int:
        """How many responses."""
        return len(self.rows)

    def has_scores(self) -> bool:
        """Whether any response has an NPS score."""
        return bool(self.rows["score"].notna().any())

    def wave_counts(self, segments: list[str]) -> tuple[pd.DataFrame, pd.Series]:
        """Counts per wave and segment value, and each wave's first answer."""
        return wave_counts(self.rows, segments)

    def theme_nps(self) -> tuple[float, pd.DataFrame]:
        """(NPS of every scored response, per theme mentioned: theme, responses, nps)."""
        scored = self.rows[self.rows["score"].notna()]
        mentions = one_row_per_mention(pd.DataFrame({"theme": effective_themes(scored), "score": scored["score"]}))
        return nps(scored)["nps"].iloc[0], nps(mentions, by="theme")[["theme", "responses", "nps"]]

    def commented(self, survey_id: str, limit: int) -> pd.DataFrame:
        """The newest `limit` commented responses of one wave."""
        answers = self.rows[(self.rows["survey_id"] == survey_id) & self.rows["comment"].notna()]
        return answers.sort_values(["submitted_at", "response_id"], ascending=False).head(limit)
