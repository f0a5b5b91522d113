"""The channel messages of a scope, aggregated in SQL from the feedback roll-up (`core.feedback.rollup`).

A `MessageScope` names the messages (created in [start, end), optionally in (after, through], for
some projects, regions and channels); its methods count them, sum their sentiment and theme
mentions per group and window, and read texts on demand. The metrics in `core.feedback.voice`
shape these aggregates into the tables the pages, the CLI, Today and the reports show.
"""

from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import Engine, case, func, select

from core.feedback import quotes, rollup
from core.feedback.read import parse_theme_lists, raw_theme_columns, read_rollup
from core.feedback.sentiment import NEGATIVE_THRESHOLD, POSITIVE_THRESHOLD
from core.frames import Grouping, as_timestamp, group_columns, period_start, ratio, read_frame
from core.models import Feedback, Member

# Columns a `MessageScope` can break theme mentions, and messages, down by.
SCOPE_SEGMENTS = ("region", "project_id", "channel")
MESSAGE_SEGMENTS = ("region", "project_id", "channel", "country", "language", "vendor", "tenure_band", "member_id")


def sentiment_shares(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Shares and net sentiment from counts of scored, positive and negative messages (and the mean)."""
    table["positive_share"] = ratio(table["positive"], table["count"])
    table["negative_share"] = ratio(table["negative"], table["count"])
    table["net"] = 100 * (table["positive_share"] - table["negative_share"])
    table["count"] = table["count"].astype("int64")
    return table[[*keys, "mean_compound", "positive_share", "negative_share", "net", "count"]]


def week_end(as_of: pd.Timestamp, weeks_ago: pd.Series) -> pd.Series:
    """The (naive) day each 7-day window ending `weeks_ago` whole weeks before `as_of` ends on."""
    return (as_of - pd.to_timedelta(7 * weeks_ago, unit="D")).dt.tz_localize(None).dt.normalize()


def sentiment_label_sql(score):
    """The sentiment label of an effective score, in SQL (as `sentiment.sentiment_labels`)."""
    return case((score.is_(None), "not scored"), (score >= POSITIVE_THRESHOLD, "positive"),
                (score <= NEGATIVE_THRESHOLD, "negative"), else_="neutral")


@dataclass(frozen=True)
class MessageScope:
    """Community messages created in [start, end) (and in (after, through] when set) for some projects, regions and
    channels, aggregated in SQL from the feedback roll-up rather than loaded row by row.

    The metrics of `core.feedback.voice` take a scope; the tests check its aggregates against the
    message rows (`tests/core/feedback/oracle.py`).
    """

    engine: Engine
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    projects: tuple | None = None
    regions: tuple | None = None
    channels: tuple | None = None
    after: pd.Timestamp | None = None
    through: pd.Timestamp | None = None

    def window(self, after, through) -> "MessageScope":
        """The messages of this scope created in (after, through]."""
        return replace(self, after=as_timestamp(after), through=as_timestamp(through))

    # -- plumbing

    def where(self, table) -> list:
        """The conditions on a roll-up `table` that keep this scope's rows."""
        c = table.c
        conditions = []
        for column, bound, keep in (("start", self.start, lambda x, b: x >= b), ("end", self.end, lambda x, b: x < b),
                                    ("after", self.after, lambda x, b: x > b),
                                    ("through", self.through, lambda x, b: x <= b)):
            if bound is not None:
                conditions.append(keep(c.created_at, as_timestamp(bound).to_pydatetime()))
        for column, wanted in (("project_id", self.projects), ("region", self.regions), ("channel", self.channels)):
            if wanted:
                conditions.append(c[column].in_(list(wanted)))
        return conditions

    def read(self, statement, **kwargs) -> pd.DataFrame:
        """One query over the roll-up as a frame."""
        return read_rollup(self.engine, statement, **kwargs)

    def _scalar(self, statement):
        frame = read_rollup(self.engine, statement)
        return frame.iat[0, 0] if len(frame) else None

    def _keys(self, by: Grouping, table) -> list[str]:
        return group_columns(pd.DataFrame(columns=[c.name for c in table.c]), by)

    def _grouping(self, table, by: Grouping) -> tuple[list, object]:
        """The columns to group `table` by and the FROM that holds them: a column `table` lacks comes from the
        message roll-up, else from the message table (e.g. assignee), joined on feedback_id; any other name is an
        import's extra column on the author (DESIGN §5: member attributes are segments)."""
        sources = [table, *(t for t in (rollup.messages, Feedback.__table__) if t is not table)]
        names = [by] if isinstance(by, str) else list(by or [])
        columns, source, joined = [], table, set()
        for name in names:
            origin = next((t for t in sources if name in t.c), None)
            if origin is None:
                origin = Member.__table__
                columns.append(origin.c.attributes[name].as_string().label(name))
            else:
                columns.append(origin.c[name].label(name))
            if origin is not table and origin.name not in joined:
                on = origin.c.member_id if origin.name == "member" else origin.c.feedback_id
                source = source.join(origin, on == table.c[on.name], isouter=origin.name == "member")
                joined.add(origin.name)
        return columns, source

    # -- counts

    def count(self) -> int:
        """How many messages."""
        table = rollup.messages
        return int(self._scalar(select(func.count()).select_from(table).where(*self.where(table))))

    def new_count(self) -> int:
        """How many messages nobody has triaged yet."""
        table = rollup.messages
        return int(self._scalar(select(func.count()).select_from(table)
                                .where(*self.where(table), table.c.triage_status == "new")))

    def first_created_at(self) -> pd.Timestamp | None:
        """When the first message was created (None without messages)."""
        table = rollup.messages
        first = self._scalar(select(func.min(table.c.created_at)).where(*self.where(table)))
        return None if first is None else as_timestamp(first)

    def last_created_at(self) -> pd.Timestamp | None:
        """When the last message was created (None without messages)."""
        table = rollup.messages
        last = self._scalar(select(func.max(table.c.created_at)).where(*self.where(table)))
        return None if last is None else as_timestamp(last)

    def unscored_languages(self) -> pd.Series:
        """Messages not scored (another language, no correction), per language, most first."""
        table = rollup.messages
        statement = (select(table.c.language, func.count().label("count"))
                     .where(*self.where(table), table.c.score.is_(None), table.c.language.is_not(None))
                     .group_by(table.c.language))
        frame = self.read(statement).sort_values(["count", "language"], ascending=[False, True])
        return frame.set_index("language")["count"].astype("int64")

    def language_counts(self, by: Grouping = None) -> pd.DataFrame:
        """Messages per group and language: `scored` (a computed or corrected score) and `not_scored`."""
        table = rollup.messages
        names = [by] if isinstance(by, str) else list(by or [])
        keys, source = self._grouping(table, [name for name in names if name != "language"])
        scored = func.sum(case((table.c.score.is_not(None), 1), else_=0))
        statement = (select(*keys, func.coalesce(table.c.language, "und").label("language"), scored.label("scored"),
                            (func.count() - scored).label("not_scored"))
                     .select_from(source).where(*self.where(table)).group_by(*keys, table.c.language))
        frame = self.read(statement)
        for column in ("scored", "not_scored"):
            frame[column] = pd.to_numeric(frame[column]).fillna(0).astype("int64")
        return frame

    # -- sentiment

    def _sentiment(self, table, keys: list, extra=(), labels: list[str] = (), source=None) -> pd.DataFrame:
        score = table.c.score
        statement = (select(*keys, func.count(score).label("count"), func.sum(score).label("total"),
                            func.sum(case((score >= POSITIVE_THRESHOLD, 1), else_=0)).label("positive"),
                            func.sum(case((score <= NEGATIVE_THRESHOLD, 1), else_=0)).label("negative"))
                     .select_from(table if source is None else source)
                     .where(*self.where(table), score.is_not(None), *extra))
        if keys:
            statement = statement.group_by(*keys)
        table = self.read(statement)
        names = list(labels) or [k.name for k in keys]
        table.columns = [*names, *table.columns[len(names):]]
        for column in ("count", "positive", "negative"):
            table[column] = pd.to_numeric(table[column]).fillna(0).astype("int64")
        table["mean_compound"] = ratio(pd.to_numeric(table["total"]).astype("float64"), table["count"])
        if names:
            table = table.sort_values(names, na_position="last", ignore_index=True)
        return sentiment_shares(table, names)

    def sentiment(self, by: Grouping = None) -> pd.DataFrame:
        """`sentiment_summary` of the scope."""
        keys, source = self._grouping(rollup.messages, by)
        return self._sentiment(rollup.messages, keys, source=source)

    def whole_weeks(self, as_of: pd.Timestamp, weeks: int | None) -> int:
        """`weeks`, else the whole 7-day windows since the first message."""
        if weeks is not None:
            return weeks
        oldest = self.first_created_at() or as_of
        return max(1, int((as_of - oldest) / pd.Timedelta(days=7)))

    def _weeks_ago(self, table, as_of: pd.Timestamp, weeks: int):
        """(window number, conditions): 0 for (as_of − 7 days, as_of], 1 for the 7 days before…"""
        moment = table.c.created_at
        edges = [(as_of - pd.Timedelta(days=7 * (k + 1))).to_pydatetime() for k in range(weeks)]
        number = case(*[(moment > edge, k) for k, edge in enumerate(edges)], else_=None)
        return number, [moment <= as_of.to_pydatetime(), moment > edges[-1]]

    def sentiment_by_week(self, as_of, weeks: int | None) -> pd.DataFrame:
        """`sentiment_by_week` of the scope."""
        as_of = as_timestamp(as_of)
        weeks = self.whole_weeks(as_of, weeks)
        table = rollup.messages
        number, inside = self._weeks_ago(table, as_of, weeks)
        frame = self._sentiment(table, [number.label("weeks_ago")], inside)
        frame.insert(0, "week_end", week_end(as_of, frame.pop("weeks_ago").astype("int64")))
        return frame.sort_values("week_end", ignore_index=True)

    def sentiment_by_period(self, freq: str, by: Grouping = None) -> pd.DataFrame:
        """`sentiment_trend` of the scope: per UTC day, ISO week or month of creation."""
        table = rollup.messages
        keys = self._keys(by, table)
        bounds = self.read(select(func.min(table.c.created_at).label("first"),
                                  func.max(table.c.created_at).label("last")).where(*self.where(table)),
                           timestamps=("first", "last"))
        if bounds["first"].isna().all():
            return pd.DataFrame(columns=["date", *keys, "mean_compound", "positive_share", "negative_share", "net",
                                         "count"])
        first, last = bounds["first"].iloc[0], bounds["last"].iloc[0]
        starts = pd.Series(pd.period_range(period_start(pd.Series([first]), freq).iloc[0],
                                           period_start(pd.Series([last]), freq).iloc[0],
                                           freq={"M": "M", "W": "W", "D": "D"}[freq]).start_time).dt.as_unit("us")
        moment = table.c.created_at
        number = case(*[(moment >= start.tz_localize("UTC").to_pydatetime(), n)
                        for n, start in reversed(list(enumerate(starts)))], else_=None)
        frame = self._sentiment(table, [number.label("period"), *[table.c[k] for k in keys]])
        frame.insert(0, "date", starts.iloc[frame.pop("period").astype("int64")].to_numpy())
        return frame.sort_values(["date", *keys], na_position="last", ignore_index=True)

    # -- themes

    def theme_summary(self, by: Grouping = None) -> pd.DataFrame:
        """`theme_summary` of the scope (grouped by any column of its messages)."""
        table = rollup.mentions
        columns, source = self._grouping(table, by)
        keys = [c.name for c in columns]
        score = table.c.score
        statement = (select(*columns, table.c.theme, func.count().label("count"),
                            func.count(score).label("scored"), func.sum(score).label("total"),
                            func.sum(case((score <= NEGATIVE_THRESHOLD, 1), else_=0)).label("negative"))
                     .select_from(source).where(*self.where(table)).group_by(*columns, table.c.theme))
        frame = self.read(statement)
        for column in ("count", "scored", "negative"):
            frame[column] = pd.to_numeric(frame[column]).fillna(0).astype("int64")
        frame["mean_sentiment"] = ratio(pd.to_numeric(frame["total"]).astype("float64"), frame["scored"])
        frame["negative_share"] = ratio(frame["negative"], frame["scored"])
        if keys:
            columns, source = self._grouping(rollup.messages, keys)
            totals = self.read(select(*columns, func.count().label("messages")).select_from(source)
                               .where(*self.where(rollup.messages)).group_by(*columns))
            frame = frame.merge(totals, on=keys, how="left")
        else:
            frame["messages"] = self.count()
        frame["share"] = ratio(frame["count"], frame["messages"])
        frame = frame[[*keys, "theme", "count", "share", "mean_sentiment", "negative_share"]]
        return frame.sort_values([*keys, "count", "theme"], ascending=[*([True] * len(keys)), False, True],
                                 ignore_index=True)

    def theme_mix(self) -> pd.DataFrame:
        """`theme_sentiment_mix` of the scope."""
        table = rollup.mentions
        label = sentiment_label_sql(table.c.score).label("sentiment")
        frame = self.read(select(table.c.theme, label, func.count().label("count"))
                           .where(*self.where(table)).group_by(table.c.theme, label))
        frame["count"] = frame["count"].astype("int64")
        return frame.sort_values(["theme", "sentiment"], ignore_index=True)

    def theme_weeks(self, as_of: pd.Timestamp, weeks: int) -> pd.DataFrame:
        """Mentions and negative mentions per (weeks_ago, theme), windows as in `sentiment_by_week`."""
        table = rollup.mentions
        number, inside = self._weeks_ago(table, as_of, weeks)
        frame = self.read(select(number.label("weeks_ago"), table.c.theme, func.count().label("count"),
                                 func.sum(case((table.c.score <= NEGATIVE_THRESHOLD, 1), else_=0)).label("negative"))
                           .where(*self.where(table), *inside).group_by(number, table.c.theme))
        frame = frame.astype({"weeks_ago": "int64", "count": "int64", "negative": "int64"})
        return frame.set_index(["weeks_ago", "theme"])

    def segment_counts(self, dimensions: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(messages per combination of `dimensions`, mentions per theme and combination)."""
        messages, mentions = rollup.messages, rollup.mentions
        self._keys(dimensions, mentions)
        per_message = self.read(select(*[messages.c[d] for d in dimensions], func.count().label("messages"))
                                 .where(*self.where(messages)).group_by(*[messages.c[d] for d in dimensions]))
        per_mention = self.read(select(mentions.c.theme, *[mentions.c[d] for d in dimensions],
                                       func.count().label("mentions"))
                                 .where(*self.where(mentions))
                                 .group_by(mentions.c.theme, *[mentions.c[d] for d in dimensions]))
        return per_message, per_mention

    def negative_mentions(self, as_of, recent_start, baseline_start) -> pd.DataFrame:
        """Negative mentions per theme in (recent_start, as_of] ('recent_negative') and the window before ('baseline')."""
        table = rollup.mentions
        moment = table.c.created_at
        recent = case((moment > as_timestamp(recent_start).to_pydatetime(), 1), else_=0).label("recent")
        frame = self.read(select(table.c.theme, recent, func.count().label("count"))
                           .where(*self.where(table), table.c.score <= NEGATIVE_THRESHOLD,
                                  moment > as_timestamp(baseline_start).to_pydatetime(),
                                  moment <= as_timestamp(as_of).to_pydatetime())
                           .group_by(table.c.theme, recent))
        counts = frame.pivot(index="theme", columns="recent", values="count").reindex(columns=[1, 0])
        return counts.set_axis(["recent_negative", "baseline"], axis=1).fillna(0)

    def theme_window_sentiment(self, as_of, recent_start, baseline_start) -> pd.DataFrame:
        """Sentiment per theme in (recent_start, as_of] ('recent') and the window before ('baseline')."""
        table = rollup.mentions
        moment = table.c.created_at
        window = case((moment > as_timestamp(recent_start).to_pydatetime(), "recent"), else_="baseline")
        return self._sentiment(table, [table.c.theme, window], [moment > as_timestamp(baseline_start).to_pydatetime(),
                                                                moment <= as_timestamp(as_of).to_pydatetime()],
                               labels=["theme", "window"])

    # -- texts, fetched on demand

    def theme_where(self, theme: str, negative: bool = False) -> list:
        """The conditions on the mentions roll-up that keep this scope's mentions of `theme` (negative ones only)."""
        table = rollup.mentions
        return [*self.where(table), table.c.theme == theme, *([table.c.score <= NEGATIVE_THRESHOLD] if negative else [])]

    def theme_count(self, theme: str, *, negative: bool = False) -> int:
        """Messages mentioning `theme` (only the negative ones when asked)."""
        table = rollup.mentions
        return int(self._scalar(select(func.count()).select_from(table).where(*self.theme_where(theme, negative))))

    def unhappy_authors(self, theme: str) -> list[str]:
        """Who wrote the negative messages mentioning `theme`, sorted."""
        table = rollup.mentions
        frame = self.read(select(table.c.member_id).distinct()
                           .where(*self.theme_where(theme, True), table.c.member_id.is_not(None)))
        return sorted(frame["member_id"].tolist())

    def quotes(self, theme: str, *, k: int = 3, negative_first: bool = False, shown: int | None = None) -> list[str]:
        """`themes.representative_quotes` of the messages mentioning `theme` (its negative ones first when there
        are at least k), reading only as many texts as the choice needs; with `shown`, only the first `shown` of
        those k quotes (the same texts, picked from fewer reads)."""
        negative = negative_first and self.theme_count(theme, negative=True) >= k
        # Quotes are chosen greedily, best first: the first of k is the first of one.
        return quotes.pick_quotes(self.engine, self.theme_where(theme, negative), k=min(k, shown or k))

    def theme_messages(self, theme: str, limit: int) -> pd.DataFrame:
        """The newest `limit` messages mentioning `theme` with their text (created_at, channel, project_id, region,
        sentiment, text)."""
        table, message = rollup.mentions, Feedback.__table__
        statement = (select(table.c.feedback_id, table.c.created_at, table.c.channel, table.c.project_id,
                            table.c.region, table.c.member_id, table.c.score.label("sentiment"), message.c.text)
                     .select_from(table.join(message, message.c.feedback_id == table.c.feedback_id))
                     .where(*self.theme_where(theme))
                     .order_by(table.c.created_at.desc(), table.c.feedback_id.desc()).limit(limit))
        return self.read(statement, timestamps=("created_at",))

    def newest_texts(self, *, languages=None, limit: int) -> pd.DataFrame:
        """The newest `limit` messages' text, whether they mention any theme (`themed`) and language, oldest first: what
        topic discovery reads (the messages `listing(languages=…, limit=…)` lists, without the rest)."""
        table, message, mentions = rollup.messages, Feedback.__table__, rollup.mentions
        where = self.where(table)
        if languages:
            where.append(table.c.language.in_(list(languages)))
        themed = select(mentions.c.feedback_id).where(mentions.c.feedback_id == table.c.feedback_id).exists()
        statement = (select(message.c.text, themed.label("themed"), table.c.language)
                     .select_from(table.join(message, message.c.feedback_id == table.c.feedback_id)).where(*where)
                     .order_by(table.c.created_at.desc(), table.c.feedback_id.desc()).limit(limit))
        frame = self.read(statement)
        return frame.iloc[::-1].assign(themed=lambda rows: rows["themed"].astype(bool)).reset_index(drop=True)

    def listing(self, *, statuses=None, themes=None, sentiments=None, channels=None, projects=None,
                languages=None, limit: int | None = None, newest_first: bool = True) -> tuple[pd.DataFrame, int]:
        """Messages with their text and triage fields (shaped like `load_feedback`), newest first, and how many match."""
        table, message = rollup.messages, Feedback.__table__
        where = self.where(table)
        if statuses:
            where.append(table.c.triage_status.in_(list(statuses)))
        if channels:
            where.append(table.c.channel.in_(list(channels)))
        if projects:
            where.append(table.c.project_id.in_(list(projects)))
        if languages:
            where.append(table.c.language.in_(list(languages)))
        if sentiments:
            where.append(sentiment_label_sql(table.c.score).in_(list(sentiments)))
        if themes:
            where.append(table.c.feedback_id.in_(select(rollup.mentions.c.feedback_id)
                                                 .where(rollup.mentions.c.theme.in_(list(themes)))))
        joined = table.join(message, message.c.feedback_id == table.c.feedback_id)
        total = int(self._scalar(select(func.count()).select_from(table).where(*where)))
        order = [table.c.created_at.desc(), table.c.feedback_id.desc()] if newest_first else \
            [table.c.created_at, table.c.feedback_id]
        statement = (select(table.c.feedback_id, table.c.channel, table.c.member_id, table.c.project_id,
                            table.c.created_at, message.c.text, message.c.sentiment, message.c.sentiment_override,
                            message.c.triage_status, message.c.assignee, message.c.linked_item_id, message.c.version,
                            *raw_theme_columns(message), table.c.language, table.c.country, table.c.region,
                            table.c.vendor, table.c.tenure_band)
                     .select_from(joined).where(*where).order_by(*order))
        if limit is not None:
            statement = statement.limit(limit)
        frame = parse_theme_lists(self.read(statement, timestamps=("created_at",)))
        for score in ("sentiment", "sentiment_override"):
            frame[score] = pd.to_numeric(frame[score]).astype("float64")
        return frame, total


def load_message_scores(scope: MessageScope) -> pd.DataFrame:
    """The scope's messages without text or themes, from the roll-up: feedback_id, created_at, channel, project_id,
    member_id, region, country, language, vendor, tenure_band and the effective `sentiment`."""
    table = rollup.messages
    statement = (select(table.c.feedback_id, table.c.created_at, table.c.channel, table.c.project_id,
                        table.c.member_id, table.c.region, table.c.country, table.c.language, table.c.vendor,
                        table.c.tenure_band, table.c.score.label("sentiment"))
                 .where(*scope.where(table)).order_by(table.c.created_at, table.c.feedback_id))
    frame = read_frame(scope.engine, statement, timestamps=("created_at",))
    frame["sentiment"] = pd.to_numeric(frame["sentiment"]).astype("float64")
    return frame
