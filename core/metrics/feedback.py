"""Voice of the crowd: sentiment of channel messages, NPS and CSAT with margins of error, themes.

Sentiment is the stored VADER compound score (a human override wins); positive ≥ 0.05,
negative ≤ −0.05; net sentiment = % positive − % negative. NPS = % promoters (9–10) − %
detractors (0–6); CSAT = share of 4–5 among answered 1–5 ratings. Blank answers never count.
"""

import numpy as np
import pandas as pd
from sqlalchemy import Engine, false, func, not_, select

from core.metrics import Grouping, as_timestamp, group_columns, loader_columns, period_start, ratio, read_frame
from core.models import Feedback, Member, SurveyResponse

POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
Z_95 = 1.96


def load_feedback(
    engine: Engine, *, start=None, end=None, projects=None, channels=None, include_staff: bool = False
) -> pd.DataFrame:
    """Channel messages created in [start, end) with the author's country and region; staff and bots left out."""
    message, member = Feedback.__table__, Member.__table__
    statement = (
        select(
            *loader_columns(message, without=["language"]),
            func.coalesce(message.c.language, member.c.language).label("language"),
            member.c.country,
            member.c.region,
        )
        .select_from(message.outerjoin(member, message.c.member_id == member.c.member_id))
        .order_by(message.c.created_at, message.c.feedback_id)
    )
    if not include_staff:
        statement = statement.where(
            not_(message.c.author_is_staff),
            not_(func.coalesce(member.c.is_staff, false())),
            not_(func.coalesce(member.c.is_bot, false())),
        )
    if start is not None:
        statement = statement.where(message.c.created_at >= as_timestamp(start).to_pydatetime())
    if end is not None:
        statement = statement.where(message.c.created_at < as_timestamp(end).to_pydatetime())
    if projects:
        statement = statement.where(message.c.project_id.in_(list(projects)))
    if channels:
        statement = statement.where(message.c.channel.in_(list(channels)))
    frame = read_frame(engine, statement, timestamps=("created_at",), flags=("author_is_staff",))
    for score in ("sentiment", "sentiment_override"):
        frame[score] = pd.to_numeric(frame[score]).astype("float64")
    return frame


def load_responses(engine: Engine, *, survey_id=None, include_staff: bool = False) -> pd.DataFrame:
    """Survey responses (one survey or all) with the respondent's country, region and language."""
    response, member = SurveyResponse.__table__, Member.__table__
    statement = (
        select(
            *loader_columns(response, without=["language", "attributes"]),
            func.coalesce(response.c.language, member.c.language).label("language"),
            member.c.country,
            member.c.region,
        )
        .select_from(response.outerjoin(member, response.c.member_id == member.c.member_id))
        .order_by(response.c.submitted_at, response.c.response_id)
    )
    if not include_staff:
        statement = statement.where(
            not_(func.coalesce(member.c.is_staff, false())), not_(func.coalesce(member.c.is_bot, false()))
        )
    if survey_id is not None:
        statement = statement.where(response.c.survey_id == survey_id)
    frame = read_frame(engine, statement, timestamps=("submitted_at",))
    for answer in ("score", "csat"):
        frame[answer] = pd.to_numeric(frame[answer]).astype("Int64")
    frame["sentiment"] = pd.to_numeric(frame["sentiment"]).astype("float64")
    return frame


def effective_sentiment(frame: pd.DataFrame) -> pd.Series:
    """The compound score a human set where there is one, else the computed one."""
    computed = pd.to_numeric(frame["sentiment"]).astype("float64")
    if "sentiment_override" not in frame:
        return computed
    return pd.to_numeric(frame["sentiment_override"]).astype("float64").fillna(computed)


def effective_themes(frame: pd.DataFrame) -> pd.Series:
    """The themes a human set where they did (even an empty list), else the computed ones."""
    computed = frame["themes"] if "themes" in frame else pd.Series([[]] * len(frame), index=frame.index)
    if "themes_override" not in frame:
        return computed
    override = frame["themes_override"]
    return override.where(override.notna(), computed)


def sentiment_summary(frame: pd.DataFrame, by: Grouping = None) -> pd.DataFrame:
    """Mean compound, positive and negative shares, net sentiment (points) and count of scored messages."""
    keys = group_columns(frame, by)
    return _sentiment_table(frame, keys)


def sentiment_trend(frame: pd.DataFrame, freq: str = "W", by: Grouping = None) -> pd.DataFrame:
    """`sentiment_summary` per period ('D', ISO week 'W', month 'M') of created_at (or submitted_at)."""
    keys = group_columns(frame, by)
    moment = "created_at" if "created_at" in frame else "submitted_at"
    dated = frame.assign(date=period_start(frame[moment], freq))
    return _sentiment_table(dated, ["date", *keys])


def nps(responses: pd.DataFrame, by: Grouping = None) -> pd.DataFrame:
    """NPS (−100..100) with promoter, passive and detractor counts and its 95% margin of error in points."""
    keys = group_columns(responses, by)
    scored = responses[responses["score"].notna()]
    score = scored["score"].astype("float64")
    flags = pd.DataFrame(
        {
            "promoters": (score >= 9).astype("int64"),
            "passives": ((score >= 7) & (score <= 8)).astype("int64"),
            "detractors": (score <= 6).astype("int64"),
            "responses": 1,
        },
        index=scored.index,
    )
    table = _sum_by(flags.join(scored[keys]), keys)
    promoters = ratio(table["promoters"], table["responses"])
    detractors = ratio(table["detractors"], table["responses"])
    table["nps"] = 100 * (promoters - detractors)
    spread = (promoters + detractors - (promoters - detractors) ** 2) / table["responses"].where(table["responses"] > 0)
    table["margin_of_error"] = Z_95 * 100 * np.sqrt(spread)
    return table[[*keys, "nps", "promoters", "passives", "detractors", "responses", "margin_of_error"]]


def csat(responses: pd.DataFrame, by: Grouping = None) -> pd.DataFrame:
    """CSAT: share of 4–5 among answered 1–5 ratings, with responses and a 95% margin of error (as a share)."""
    keys = group_columns(responses, by)
    rating = responses["csat"].astype("float64")
    answered = responses[rating.between(1, 5)]
    flags = pd.DataFrame(
        {"satisfied": (answered["csat"].astype("float64") >= 4).astype("int64"), "responses": 1},
        index=answered.index,
    )
    table = _sum_by(flags.join(answered[keys]), keys)
    share = ratio(table["satisfied"], table["responses"])
    table["csat"] = share
    table["margin_of_error"] = Z_95 * np.sqrt(share * (1 - share) / table["responses"].where(table["responses"] > 0))
    return table[[*keys, "csat", "responses", "margin_of_error"]]


def theme_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per theme: messages mentioning it, their share of all messages, mean sentiment and negative share."""
    mentions = pd.DataFrame({"theme": effective_themes(frame), "sentiment": effective_sentiment(frame)})
    mentions = _one_row_per_mention(mentions)
    mentions["negative"] = (mentions["sentiment"] <= NEGATIVE_AT).astype("float64").where(mentions["sentiment"].notna())
    table = mentions.groupby("theme").agg(
        count=("message", "size"), mean_sentiment=("sentiment", "mean"), negative_share=("negative", "mean")
    )
    table["share"] = ratio(table["count"], np.full(len(table), len(frame)))
    table = table.reset_index()[["theme", "count", "share", "mean_sentiment", "negative_share"]]
    return table.sort_values(["count", "theme"], ascending=[False, True], ignore_index=True)


def theme_nps_impact(responses: pd.DataFrame) -> pd.DataFrame:
    """Per theme: responses mentioning it, their NPS, and impact = NPS of all − NPS of those (biggest drag first)."""
    scored = responses[responses["score"].notna()]
    overall = nps(scored)["nps"].iloc[0]
    mentions = pd.DataFrame({"theme": effective_themes(scored), "score": scored["score"]})
    mentions = _one_row_per_mention(mentions)
    table = nps(mentions, by="theme")[["theme", "responses", "nps"]]
    table["nps_impact"] = overall - table["nps"]
    return table.sort_values(["nps_impact", "theme"], ascending=[False, True], ignore_index=True)


def _one_row_per_mention(frame: pd.DataFrame) -> pd.DataFrame:
    mentions = frame.explode("theme").dropna(subset=["theme"]).rename_axis("message").reset_index()
    return mentions.drop_duplicates(["message", "theme"])


def _sentiment_table(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    sentiment = effective_sentiment(frame)
    scored = frame.loc[sentiment.notna(), keys].assign(compound=sentiment[sentiment.notna()])
    scored["positive"] = (scored["compound"] >= POSITIVE_AT).astype("int64")
    scored["negative"] = (scored["compound"] <= NEGATIVE_AT).astype("int64")
    if keys:
        grouped = scored.groupby(keys, dropna=False, sort=True)
        table = grouped.agg(
            mean_compound=("compound", "mean"), positive=("positive", "sum"), negative=("negative", "sum"),
            count=("compound", "size"),
        ).reset_index()
    else:
        table = pd.DataFrame(
            {
                "mean_compound": [scored["compound"].mean()],
                "positive": [scored["positive"].sum()],
                "negative": [scored["negative"].sum()],
                "count": [len(scored)],
            }
        )
    table["positive_share"] = ratio(table["positive"], table["count"])
    table["negative_share"] = ratio(table["negative"], table["count"])
    table["net"] = 100 * (table["positive_share"] - table["negative_share"])
    table["count"] = table["count"].astype("int64")
    return table[[*keys, "mean_compound", "positive_share", "negative_share", "net", "count"]]


def _sum_by(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    measures = [column for column in frame.columns if column not in keys]
    if keys:
        return frame.groupby(keys, dropna=False, sort=True)[measures].sum().reset_index()
    return frame[measures].sum().to_frame().T.astype("int64").reset_index(drop=True)


def theme_sentiment_drops(frame: pd.DataFrame, as_of, *, recent_days: int = 7, baseline_days: int = 28,
                          min_recent: int = 30, min_drop_points: float = 10.0) -> pd.DataFrame:
    """Themes whose net sentiment in the last `recent_days` fell at least `min_drop_points` below the days before.

    Baseline = the `baseline_days` before the recent window; a theme needs `min_recent` scored
    messages in the recent window to count. Columns: theme, baseline_net, recent_net, change,
    recent_count; the biggest fall first.
    """
    as_of = as_timestamp(as_of)
    recent_start = as_of - pd.Timedelta(days=recent_days)
    baseline_start = recent_start - pd.Timedelta(days=baseline_days)
    window = np.where(frame["created_at"] > recent_start, "recent",
                      np.where(frame["created_at"] > baseline_start, "baseline", None))
    scoped = frame.assign(window=window, theme=effective_themes(frame))
    scoped = scoped[scoped["window"].notna() & (scoped["created_at"] <= as_of)].explode("theme").dropna(subset=["theme"])
    table = _sentiment_table(scoped, ["theme", "window"]).pivot(index="theme", columns="window", values=["net", "count"])
    empty = pd.DataFrame(columns=["theme", "baseline_net", "recent_net", "change", "recent_count"])
    if table.empty or ("net", "recent") not in table or ("net", "baseline") not in table:
        return empty
    result = pd.DataFrame({
        "baseline_net": table[("net", "baseline")], "recent_net": table[("net", "recent")],
        "recent_count": table[("count", "recent")].fillna(0).astype("int64"),
    })
    result["change"] = result["recent_net"] - result["baseline_net"]
    result = result[(result["recent_count"] >= min_recent) & (result["change"] <= -min_drop_points)]
    return result.reset_index()[empty.columns].sort_values("change", ignore_index=True)
